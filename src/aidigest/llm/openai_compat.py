"""OpenAI and every OpenAI-compatible server (Together, Ollama, vLLM, llama.cpp server, LM Studio, OpenRouter)
through the official `openai` SDK (AsyncOpenAI, its own retries off: ours are the only ones).

Structured-output ladder: json_schema -> json_object (+ "schema", which llama.cpp's server turns into a
grammar; it answers json_schema with HTTP 500) -> a forced tool call -> the schema in the prompt.
"""

from __future__ import annotations

import json
from typing import Any

from .base import Message
from .core import BaseLLM, RawReply, Transient
from .prompts import schema_instruction
from .registry import ProviderSpec
from .schema import is_strict_compatible

_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def estimate_tokens(text: str) -> int:
    """~4 characters per token: used only when a server reports no usage."""
    return (len(text) + 3) // 4


def with_schema_in_prompt(messages: list[dict], schema: dict) -> list[dict]:
    """The schema instruction appended to the system message (one is added when there is none)."""
    instruction = schema_instruction(schema)
    out = [dict(m) for m in messages]
    for m in out:
        if m["role"] == "system":
            m["content"] = f"{m['content']}\n\n{instruction}"
            return out
    return [{"role": "system", "content": instruction}, *out]


class OpenAICompatLLM(BaseLLM):
    provider = "openai"
    modes = ("json_schema", "json_object", "tools", "prompt")

    @property
    def is_official_openai(self) -> bool:
        return self.base_url.startswith("https://api.openai.com")

    def _make_client(self) -> Any:
        from openai import AsyncOpenAI

        return AsyncOpenAI(
            api_key=self._api_key, base_url=self.base_url, max_retries=0, timeout=self.config.timeout_s
        )

    def build_request(
        self, messages: list[Message], schema: dict | None, name: str, mode: str, temperature: float, max_tokens: int
    ) -> dict[str, Any]:
        msgs: list[dict] = [{"role": m.role, "content": m.content} for m in messages]
        kw: dict[str, Any] = {"model": self.model}
        reasoning = self.is_official_openai and self.model.startswith(_REASONING_PREFIXES)
        if not reasoning:  # o-series / gpt-5 accept only the default temperature
            kw["temperature"] = temperature
        kw["max_completion_tokens" if self.is_official_openai else "max_tokens"] = max_tokens
        if schema is not None:
            if mode == "json_schema":
                kw["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": name, "schema": schema, "strict": is_strict_compatible(schema)},
                }
            elif mode == "json_object":
                kw["response_format"] = {"type": "json_object", "schema": schema}
                msgs = with_schema_in_prompt(msgs, schema)
            elif mode == "tools":
                kw["tools"] = [
                    {
                        "type": "function",
                        "function": {"name": name, "description": "Give the answer as the arguments.", "parameters": schema},
                    }
                ]
                kw["tool_choice"] = {"type": "function", "function": {"name": name}}
            else:  # prompt
                msgs = with_schema_in_prompt(msgs, schema)
        kw["messages"] = msgs
        return kw

    async def _request(
        self, messages: list[Message], schema: dict | None, name: str, mode: str, temperature: float, max_tokens: int
    ) -> RawReply:
        import openai

        kw = self.build_request(messages, schema, name, mode, temperature, max_tokens)
        client = self._loop_state().client
        try:
            resp = await client.chat.completions.create(**kw)
        except openai.APITimeoutError:
            raise Transient(f"no answer within {self.config.timeout_s:g}s") from None
        except openai.APIConnectionError as e:
            raise Transient(f"connection error: {self.scrub(str(e))}") from None
        except openai.APIStatusError as e:
            raise self._status_error(e.status_code, e.response.headers, e.message) from None
        except openai.APIError as e:  # a body the SDK could not read
            raise Transient(f"malformed response: {self.scrub(str(e))[:200]}") from None
        except ValueError as e:  # not JSON at all
            raise Transient(f"malformed response: {type(e).__name__}") from None

        choices = getattr(resp, "choices", None) or []
        if not choices or getattr(choices[0], "message", None) is None:
            raise Transient("malformed response: no choices")
        choice = choices[0]
        msg = choice.message
        text = msg.content if isinstance(msg.content, str) else ""
        if mode == "tools" and schema is not None and getattr(msg, "tool_calls", None):
            call = msg.tool_calls[0]
            fn = getattr(call, "function", None)
            args = getattr(fn, "arguments", None)
            if isinstance(args, str) and args.strip():
                text = args
            elif isinstance(args, dict):
                text = json.dumps(args, ensure_ascii=False)
        usage = getattr(resp, "usage", None)
        tin = getattr(usage, "prompt_tokens", None) if usage is not None else None
        tout = getattr(usage, "completion_tokens", None) if usage is not None else None
        if tin is None:
            tin = estimate_tokens("".join(m["content"] for m in kw["messages"]))
        if tout is None:
            tout = estimate_tokens(text)
        return RawReply(
            text=text or "",
            tokens_in=int(tin),
            tokens_out=int(tout),
            refusal=getattr(msg, "refusal", None) or None,
            truncated=getattr(choice, "finish_reason", None) == "length",
        )


# any OpenAI-compatible server: OPENAI_BASE_URL (a local one needs no key)
OPENAI = ProviderSpec("openai", OpenAICompatLLM, "OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1")
TOGETHER = ProviderSpec("together", OpenAICompatLLM, "TOGETHER_API_KEY", "TOGETHER_BASE_URL", "https://api.together.xyz/v1")
OLLAMA = ProviderSpec(
    "ollama", OpenAICompatLLM, "OLLAMA_API_KEY", "OLLAMA_BASE_URL", "http://127.0.0.1:11434/v1",
    local=True, needs_key=False, placeholder_key="ollama", url_suffix="/v1",
)
