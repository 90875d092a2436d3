"""The LLM layer: one small interface over OpenAI(-compatible) and Anthropic providers, with structured
output, retries, a SQLite cache, a call log, cost accounting and a run budget. See docs/llm.md.

    llm = make_llm(config, store, run_id, health.llm)   # None when config.llm.provider is "none"
    result = await llm.complete([Message(role="user", content=...)], schema=MyModel, purpose="classify")
"""
