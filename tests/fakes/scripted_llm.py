"""`ScriptedLLM`: the one in-process fake of the `LLM` protocol (aidigest.llm.base.LLM), shared by the tests of
the LLM categorization and summary paths (and any test that needs an LLM without an HTTP server; the HTTP
layer and the providers are tested against the loopback servers in fake_openai.py / fake_anthropic.py).

It is NOT a model: every call takes the next step of a script written in the test. A step is
- a dict: validated into the call's schema and returned as `data` (what a real provider layer returns after its
  own schema validation, so the fake cannot return what the schema forbids), with the JSON as `text`;
- a str: returned as raw `text` with `data=None` (a model that did not answer in JSON);
- an Exception: raised (LLMError, LLMFatal, BudgetExceeded, ...);
- a callable `(indexes, titles) -> step`: answers from the prompt it was given; `indexes` are the N of the
  prompt's `<untrusted-text label="item N">` blocks, `titles` the text after each "title: " line.

The script is either a list (one queue for every purpose; its last step repeats for ever) or a dict from a call's
`purpose` (e.g. "summarize:paper:llm") to that purpose's queue (a purpose without steps left raises LLMError).
Every call is recorded in `.calls` (messages, schema, purpose, temperature, max_output_tokens, the item indexes
read from the prompt); `.max_in_flight` is the highest number of concurrent calls seen (each awaits `delay` s).
Usage is estimated like the HTTP fakes do (4 characters a token).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from pydantic import BaseModel

from aidigest.llm.base import LLMError, LLMResult, Message

Step = Any  # dict | str | Exception | Callable[[list[int], list[str]], Step]
_ITEM = re.compile(r'<untrusted-text label="item (\d+)">')
_TITLE = re.compile(r"title: (.*)")


def prompt_items(text: str) -> tuple[list[int], list[str]]:
    """(item indexes, titles) as they appear in a prompt."""
    return [int(m) for m in _ITEM.findall(text)], _TITLE.findall(text)


class ScriptedLLM:
    """Implements the LLM protocol from a script (see the module docstring)."""

    name = "fake:scripted"

    def __init__(self, script: list[Step] | dict[str, list[Step]], delay: float = 0.0, concurrency: int = 1):
        self.concurrency = concurrency  # calls in flight the stages may start (a real LLM's comes from make_llm)
        self.script: list[Step] | dict[str, list[Step]] = (
            {k: list(v) for k, v in script.items()} if isinstance(script, dict) else list(script))
        self.calls: list[dict] = []
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0

    def _next_step(self, purpose: str) -> Step:
        if isinstance(self.script, dict):
            steps = self.script.get(purpose) or []
            if not steps:
                raise LLMError(f"no scripted answer left for {purpose}")
            return steps.pop(0)
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    async def complete(self, messages: list[Message], schema: type[BaseModel] | None = None, purpose: str = "",
                       *, max_output_tokens: int | None = None, temperature: float | None = None) -> LLMResult:
        user = messages[-1].content
        idx, titles = prompt_items(user)
        self.calls.append({"messages": list(messages), "schema": schema, "purpose": purpose, "indexes": idx,
                           "temperature": temperature, "max_output_tokens": max_output_tokens})
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            step = self._next_step(purpose)
            if callable(step):
                step = step(idx, titles)
            if isinstance(step, Exception):
                raise step
            tokens_in = sum(len(m.content) for m in messages) // 4
            if isinstance(step, str):
                return LLMResult(provider="fake", model="scripted", text=step, data=None, tokens_in=tokens_in,
                                 tokens_out=len(step) // 4)
            data = schema.model_validate(step) if schema is not None else None
            text = json.dumps(step, ensure_ascii=False)
            return LLMResult(provider="fake", model="scripted", text=text, data=data, tokens_in=tokens_in,
                             tokens_out=len(text) // 4)
        finally:
            self.in_flight -= 1

    async def warm_up(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
