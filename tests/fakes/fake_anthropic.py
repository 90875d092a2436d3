"""A fake Anthropic Messages API server on 127.0.0.1 (POST /v1/messages), for tests.

    with FakeAnthropicServer([Reply.overloaded(), Reply.ok({"category": "cv"})]) as srv:
        env = {"ANTHROPIC_BASE_URL": srv.base_url, "ANTHROPIC_API_KEY": "sk-ant-test-..."}

What it fakes: the response shape (content blocks `text` / `tool_use` with `input`, stop_reason end_turn /
tool_use / max_tokens / refusal, usage.input_tokens / output_tokens), Anthropic error bodies
({"type": "error", "error": {"type", "message"}}) for 401, 404, 429 (Retry-After) and 529 overloaded, and
GET /v1/models. No model runs: answers are scripted (`Reply`) or generated from the forced tool's
input_schema (or a schema in the system prompt).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from . import FakeServer, RecordedRequest, Reply, estimate_tokens, find_schema_in_text

__all__ = ["FakeAnthropicServer", "Reply"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class FakeAnthropicServer(FakeServer):
    name = "fake-anthropic"
    completion_path = "/v1/messages"

    @property
    def base_url(self) -> str:
        """What ANTHROPIC_BASE_URL should be set to (the SDK adds /v1/messages)."""
        return self.root_url

    def authorized(self, req: RecordedRequest) -> bool:
        if self.api_key is None:
            return True
        # older SDKs send x-api-key, newer ones (anthropic 2.x) Authorization: Bearer
        return self.api_key in (req.headers.get("x-api-key"), req.headers.get("authorization", "").removeprefix("Bearer "))

    def request_mode(self, body: Any) -> str:
        if not isinstance(body, dict):
            return "text"
        if body.get("tools"):
            return "tools"
        return "prompt" if find_schema_in_text(self.prompt_text(body)) is not None else "text"

    def prompt_text(self, body: Any) -> str:
        if not isinstance(body, dict):
            return ""
        system = body.get("system") or ""
        if not isinstance(system, str):
            system = json.dumps(system)
        parts = [system]
        for m in body.get("messages") or []:
            c = m.get("content")
            parts.append(c if isinstance(c, str) else json.dumps(c))
        return "\n".join(parts)

    def schema_of(self, req: RecordedRequest) -> dict | None:
        body = req.body if isinstance(req.body, dict) else {}
        tools = body.get("tools") or []
        if tools:
            return tools[0].get("input_schema")
        return find_schema_in_text(self.prompt_text(body))

    def handle_get(self, path: str) -> tuple[int, Any] | None:
        if path.rstrip("/").endswith("/v1/models"):
            return 200, {"data": [{"id": m, "type": "model", "display_name": m} for m in self.models], "has_more": False}
        return None

    def render_error(self, status: int, message: str, error_type: str | None) -> bytes:
        etype = error_type if error_type in _ERROR_TYPES.values() else _ERROR_TYPES.get(status, "api_error")
        return json.dumps({"type": "error", "error": {"type": etype, "message": message}}).encode()

    def render(self, req: RecordedRequest, reply: Reply, tokens_in: int) -> tuple[int, dict[str, str], bytes, int]:
        if reply.raw_body is not None:
            return reply.status, dict(reply.headers), reply.raw_body, 0
        if reply.status >= 400:
            return reply.status, dict(reply.headers), self.render_error(reply.status, reply.error or "error", reply.error_type), 0
        body = req.body if isinstance(req.body, dict) else {}
        forced = bool(body.get("tools")) and (body.get("tool_choice") or {}).get("type") in ("tool", "any")
        as_tool = forced if reply.as_tool_call is None else reply.as_tool_call
        stop = reply.finish_reason
        if reply.refusal is not None:
            content = [{"type": "text", "text": reply.refusal}]
            out_text = reply.refusal
            stop = stop or "refusal"
        elif reply.json is not None and as_tool and body.get("tools"):
            name = body["tools"][0].get("name", "respond")
            content = [{"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:20]}", "name": name, "input": reply.json}]
            out_text = json.dumps(reply.json, ensure_ascii=False)
            stop = stop or "tool_use"
        else:
            out_text = reply.content if reply.content is not None else json.dumps(reply.json, ensure_ascii=False)
            content = [{"type": "text", "text": out_text}] if out_text else []
            stop = stop or "end_turn"
        tokens_out = reply.tokens_out if reply.tokens_out is not None else (
            self.tokens_out if self.tokens_out is not None else estimate_tokens(out_text) if out_text else 0)
        payload = {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "fake-model"),
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
        }
        return 200, dict(reply.headers), json.dumps(payload, ensure_ascii=False).encode(), tokens_out
