"""Categorization: every item gets exactly one id of the closed taxonomy. The stage is `items.classify_items`
(LLM in batches, checked against the offline classifier, which answers alone without an LLM); `jsonl` is the
`aidigest classify` command's line handling; `offline`, `llm`, `check` and `business` are its parts, `train`,
`eval` and `news_eval` the tools around them. Nothing is re-exported here: importing one of them loads only what
it needs."""
