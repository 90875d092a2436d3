"""Infrastructure every stage stands on: the store (SQLite, PostgreSQL, migrations, copy), HTTP and its
SSRF guard, paths, process ids, days, progress and atomic file writes. Nothing here imports a stage."""
