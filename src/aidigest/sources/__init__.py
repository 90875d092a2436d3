"""The data sources, one module each (`fetch` does I/O, `parse` is pure), the enricher (`snippets`) and their
registry (`registry`). `builtin` registers the built-in ones through the same `register` a plugin uses; import
the registry's contents from there (`from aidigest.sources.builtin import SOURCES, build_sources`) so that they
are registered. Nothing is re-exported here: importing one source loads only what it needs."""
