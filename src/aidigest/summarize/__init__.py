"""Summaries: one per category section (`sections.summarize_sections`, LLM or extractive), the weekly ones
(`weekly`), and the pieces they share (checks, extractive, tldr, header, i18n, text). Nothing is re-exported here:
importing one of them loads only what it needs."""
