"""One request and its answer: what is asked (`Ask`), what a provider's `_request` returns (`RawReply`) or raises
(`Transient`, `Rejected`), the engine's own signals (a mode the endpoint refused, an answer that failed validation)
and the scrubbing of API keys from what comes back."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..infra.http import parse_retry_after
from .base import Message


@dataclass(frozen=True)
class Ask:
    """What one request sends besides the structured-output mode."""

    messages: list[Message]
    sent: dict | None  # the JSON Schema sent (json_schema_for), None for plain text
    name: str  # the schema's name (tools mode: the tool's)
    temperature: float
    max_tokens: int

    def with_feedback(self, answer: str, feedback: str) -> Ask:
        """The same request with the invalid answer and what was wrong with it appended."""
        return replace(self, messages=[*self.messages, Message(role="assistant", content=answer),
                                       Message(role="user", content=feedback)])


@dataclass
class RawReply:
    text: str  # the answer text; in tools mode the tool arguments as JSON text
    tokens_in: int = 0
    tokens_out: int = 0
    tool_args: Any = None  # tools mode: the parsed arguments when the SDK gives them parsed
    refusal: str | None = None  # an explicit refusal (OpenAI message.refusal, Anthropic stop_reason=refusal)
    truncated: bool = False  # stopped at the max output tokens


class Transient(Exception):  # private retry signal between a provider and core (errors.py)
    """Retryable: 429, 5xx, timeouts, connection errors."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class Rejected(Exception):  # private: core turns it into an LLMError (errors.py)
    """The endpoint refused this request (a 4xx other than auth / not found / 429): not retried as is."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class _ModeRejected(Exception):  # private: core tries the next mode (errors.py)
    pass


class _InvalidOutput(Exception):  # private: core retries once, then an LLMError (errors.py)
    pass


# ---- secrets -------------------------------------------------------------------------------------------
_KEY_PATTERNS = (
    re.compile(r"\b(sk|pk|rk|sess|tgp|gsk|xai)[-_][A-Za-z0-9_\-]{8,}"),  # sk-..., sk-ant-..., sk-proj-...
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{8,}"),
    re.compile(r"(?i)((?:api[_-]?key|x-api-key|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{6,}"),
)


def scrub(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """Remove API keys from text bound for logs, the call log or an error message."""
    out = text or ""
    for s in secrets:
        if s and len(s) >= 4:
            out = out.replace(s, "***")
    out = _KEY_PATTERNS[0].sub(lambda m: m.group(1) + "-***", out)
    out = _KEY_PATTERNS[1].sub(lambda m: m.group(1) + "***", out)
    out = _KEY_PATTERNS[2].sub(lambda m: m.group(1) + "***", out)
    return out


def scrub_reply(reply: RawReply, secrets: list[str] | tuple[str, ...]) -> RawReply:
    """The key never leaves an answer: a server that echoes it back cannot get it into a report or the cache."""
    reply.text = scrub(reply.text or "", secrets)
    if reply.refusal:
        reply.refusal = scrub(reply.refusal, secrets)
    if reply.tool_args is not None:
        dumped = json.dumps(reply.tool_args, ensure_ascii=False)
        clean = scrub(dumped, secrets)
        if clean != dumped:
            reply.tool_args = json.loads(clean)
    return reply


def retry_after_from(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"))
