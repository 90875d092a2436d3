"""Anthropic's Messages API through the official `anthropic` SDK (AsyncAnthropic, its own retries off).

Structured output: a forced tool call whose input_schema is the schema (tool use), else the schema in the
prompt and the JSON parsed out of the text. 529 "overloaded" is retried like 429/5xx.
"""

from __future__ import annotations

from typing import Any

from .base import Message
from .bodycap import AnswerTooLarge, capped_transport
from .core import BaseLLM, RawReply, Transient
from .prompts import schema_instruction


class AnthropicLLM(BaseLLM):
    provider = "anthropic"
    modes = ("tools", "prompt")

    def _make_client(self) -> Any:
        import importlib

        from anthropic import AsyncAnthropic, DefaultAsyncHttpxClient

        # the answer is read through a size cap (llm.max_response_bytes, aidigest.llm.bodycap), with the httpx the
        # SDK is built on (httpx, or its fork httpx2 in newer releases)
        lib = importlib.import_module(DefaultAsyncHttpxClient.__mro__[1].__module__.split(".")[0])
        transport = capped_transport(lib, self.config.max_response_bytes)
        return AsyncAnthropic(
            api_key=self._api_key, base_url=self.base_url, max_retries=0, timeout=self.config.timeout_s,
            http_client=DefaultAsyncHttpxClient(transport=transport),
        )

    def build_request(
        self, messages: list[Message], schema: dict | None, name: str, mode: str, temperature: float, max_tokens: int
    ) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
        if not turns:
            turns = [{"role": "user", "content": "(see the instructions)"}]
        # no temperature: the current Messages API (and SDK) has no such parameter; it stays in the cache key
        kw: dict[str, Any] = {"model": self.model, "max_tokens": max_tokens}
        if schema is not None:
            if mode == "tools":
                kw["tools"] = [{"name": name, "description": "Give the answer as the input.", "input_schema": schema}]
                kw["tool_choice"] = {"type": "tool", "name": name}
            else:
                system = f"{system}\n\n{schema_instruction(schema)}" if system else schema_instruction(schema)
        if system:
            kw["system"] = system
        kw["messages"] = turns
        return kw

    async def _request(
        self, messages: list[Message], schema: dict | None, name: str, mode: str, temperature: float, max_tokens: int
    ) -> RawReply:
        import anthropic

        kw = self.build_request(messages, schema, name, mode, temperature, max_tokens)
        client = self._loop_state().client
        try:
            resp = await client.messages.create(**kw)
        except anthropic.APITimeoutError:
            raise Transient(f"no answer within {self.config.timeout_s:g}s") from None
        except anthropic.APIConnectionError as e:
            if isinstance(e.__cause__, AnswerTooLarge):
                raise Transient(str(e.__cause__)) from None
            raise Transient(f"connection error: {self.scrub(str(e))}") from None
        except anthropic.APIStatusError as e:
            message = getattr(e, "message", None) or str(e)
            raise self._status_error(e.status_code, e.response.headers, message) from None
        except anthropic.APIError as e:
            raise Transient(f"malformed response: {self.scrub(str(e))[:200]}") from None
        except ValueError as e:  # not JSON at all
            raise Transient(f"malformed response: {type(e).__name__}") from None

        blocks = getattr(resp, "content", None) or []
        texts: list[str] = []
        tool_args = None
        for b in blocks:
            btype = getattr(b, "type", None)
            if btype == "text":
                texts.append(getattr(b, "text", "") or "")
            elif btype == "tool_use" and tool_args is None and mode == "tools":
                tool_args = getattr(b, "input", None)
        stop = getattr(resp, "stop_reason", None)
        usage = getattr(resp, "usage", None)
        text = "".join(texts)
        return RawReply(
            text=text,
            tokens_in=int(getattr(usage, "input_tokens", 0) or 0),
            tokens_out=int(getattr(usage, "output_tokens", 0) or 0),
            tool_args=tool_args if isinstance(tool_args, dict) else None,
            refusal=(text or "refused") if stop == "refusal" else None,
            truncated=stop == "max_tokens",
        )


