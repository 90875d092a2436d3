"""OpenAI and every OpenAI-compatible server (Together, Ollama, vLLM, llama.cpp server, LM Studio, OpenRouter):
POST {base_url}/chat/completions with httpx, which the rest of aidigest already loads. Not the `openai` SDK: its
import (every typed model of the whole API) would sit on a day's critical path before the first categorization
call (bench/results: the e2e runs), and one endpoint's JSON needs no SDK. Retries, deadlines, the circuit breaker and
the error mapping are ours (aidigest.llm.core); this module only speaks the wire format.

Structured-output ladder: json_schema -> json_object (+ "schema", which llama.cpp's server turns into a
grammar; it answers json_schema with HTTP 500) -> a forced tool call -> the schema in the prompt.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from .. import __version__
from .base import Message
from .bodycap import AnswerTooLarge, capped_transport
from .core import BaseLLM, RawReply, Transient
from .prompts import schema_instruction
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


def _count(v: Any) -> int | None:
    """A token count as the server reported it (None when missing or not a number)."""
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 else None


def error_message(r: httpx.Response) -> str:
    """The server's own words for an error status: OpenAI-style {"error": {"message": ...}} (or {"error": "..."},
    {"message": ...}, {"detail": ...} as other compatible servers send), else the start of the body."""
    try:
        body = r.json()
    except ValueError:
        return r.text[:300]
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"]
        for v in (err, body.get("message"), body.get("detail")):
            if isinstance(v, str):
                return v
    return r.text[:300]


class OpenAICompatLLM(BaseLLM):
    provider = "openai"
    modes = ("json_schema", "json_object", "tools", "prompt")

    @property
    def is_official_openai(self) -> bool:
        return self.base_url.startswith("https://api.openai.com")

    def _make_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {self._api_key}", "User-Agent": f"aidigest/{__version__}"},
            timeout=httpx.Timeout(self.config.timeout_s),
            # a plain-http endpoint (a local server) never speaks TLS (redirects are not followed): no CA bundle
            # to load for it (~0.1-0.3 s of CPU at client start); an https one is verified as always.
            # The answer is read through a size cap (llm.max_response_bytes, aidigest.llm.bodycap)
            transport=capped_transport(httpx, self.config.max_response_bytes,
                                       verify=self.base_url.startswith("https://")),
        )

    async def _close_client(self, client: Any) -> None:
        await client.aclose()

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
        kw = self.build_request(messages, schema, name, mode, temperature, max_tokens)
        client = self._loop_state().client
        try:
            r = await client.post("chat/completions", json=kw)
        except httpx.TimeoutException:
            raise Transient(f"no answer within {self.config.timeout_s:g}s") from None
        except AnswerTooLarge as e:
            raise Transient(str(e)) from None
        except httpx.TransportError as e:
            raise Transient(f"connection error: {self.scrub(str(e) or type(e).__name__)}") from None
        if r.status_code >= 400:
            raise self._status_error(r.status_code, r.headers, error_message(r)) from None
        try:
            resp = r.json()
        except ValueError as e:  # not JSON at all
            raise Transient(f"malformed response: {type(e).__name__}") from None

        choices = resp.get("choices") if isinstance(resp, dict) else None
        choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
        msg = choice.get("message") if choice is not None else None
        if choice is None or not isinstance(msg, dict):
            raise Transient("malformed response: no choices")
        text = msg["content"] if isinstance(msg.get("content"), str) else ""
        calls = msg.get("tool_calls")
        if mode == "tools" and schema is not None and isinstance(calls, list) and calls and isinstance(calls[0], dict):
            fn = calls[0].get("function")
            args = fn.get("arguments") if isinstance(fn, dict) else None
            if isinstance(args, str) and args.strip():
                text = args
            elif isinstance(args, dict):
                text = json.dumps(args, ensure_ascii=False)
        usage = resp.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        tin, tout = _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))
        if tin is None:
            tin = estimate_tokens("".join(m["content"] for m in kw["messages"]))
        if tout is None:
            tout = estimate_tokens(text)
        return RawReply(
            text=text or "",
            tokens_in=int(tin),
            tokens_out=int(tout),
            refusal=msg.get("refusal") if isinstance(msg.get("refusal"), str) and msg.get("refusal") else None,
            truncated=choice.get("finish_reason") == "length",
        )


# any OpenAI-compatible server: OPENAI_BASE_URL (a local one needs no key)
