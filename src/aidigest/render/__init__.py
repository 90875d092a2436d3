"""Rendering a digest: the day's files (`write`: Markdown report, chart, JSON export), the static site (`site`),
feeds and the weekly page. Nothing is re-exported here: importing one module (`escape`, say) loads only what it
needs, and no render module loads the LLM client (aidigest.llm)."""
