"""A fake OpenAI-compatible server (chat completions) on 127.0.0.1 for tests and the benchmark.

    with FakeOpenAIServer([Reply.rate_limited(retry_after=1), Reply.ok({"category": "llm"})]) as srv:
        env = {"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": "sk-test-..."}
        ...
        assert srv.count == 2
        assert srv.completion_requests[-1].body["response_format"]["type"] == "json_schema"

What it fakes: the HTTP shape of POST /v1/chat/completions (choices[0].message.content / tool_calls /
refusal, finish_reason, usage.prompt_tokens / completion_tokens), GET /v1/models, OpenAI-style error bodies
({"error": {"message", "type", "code"}}) and Retry-After. No model runs: answers are scripted (`Reply`),
else generated from the schema the request carries (response_format json_schema / json_object+schema,
the forced tool's parameters, or a schema in the prompt), else a fixed sentence.

`reject_modes={"json_schema": 500}` behaves like llama.cpp's server (json_schema -> HTTP 500, json_object
with a "schema" accepted); rejected requests do not consume the script. Defaults: json_schema -> 500,
other modes -> 400.

Standalone (for bench/ or manual runs): `python tests/fakes/fake_openai.py --latency 0.2 --tokens-per-s 80`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from fakes import FakeServer, RecordedRequest, Reply, estimate_tokens, find_schema_in_text  # type: ignore
else:
    from . import FakeServer, RecordedRequest, Reply, estimate_tokens, find_schema_in_text

__all__ = ["FakeOpenAIServer", "Reply"]


class FakeOpenAIServer(FakeServer):
    name = "fake-openai"
    completion_path = "/chat/completions"

    @property
    def base_url(self) -> str:
        """What OPENAI_BASE_URL should be set to."""
        return f"{self.root_url}/v1"

    def default_reject_status(self, mode: str) -> int:
        return 500 if mode == "json_schema" else 400

    def authorized(self, req: RecordedRequest) -> bool:
        if self.api_key is None:
            return True
        return req.headers.get("authorization", "") == f"Bearer {self.api_key}"

    def request_mode(self, body: Any) -> str:
        if not isinstance(body, dict):
            return "text"
        rf = body.get("response_format")
        if isinstance(rf, dict) and rf.get("type") in ("json_schema", "json_object"):
            return rf["type"]
        if body.get("tools"):
            return "tools"
        text = self.prompt_text(body)
        return "prompt" if find_schema_in_text(text) is not None else "text"

    def prompt_text(self, body: Any) -> str:
        if not isinstance(body, dict):
            return ""
        parts = []
        for m in body.get("messages") or []:
            c = m.get("content")
            parts.append(c if isinstance(c, str) else json.dumps(c))
        return "\n".join(parts)

    def schema_of(self, req: RecordedRequest) -> dict | None:
        body = req.body if isinstance(req.body, dict) else {}
        rf = body.get("response_format") or {}
        if rf.get("type") == "json_schema":
            return (rf.get("json_schema") or {}).get("schema")
        if rf.get("type") == "json_object" and isinstance(rf.get("schema"), dict):
            return rf["schema"]
        tools = body.get("tools") or []
        if tools:
            return (tools[0].get("function") or {}).get("parameters")
        return find_schema_in_text(self.prompt_text(body))

    def handle_get(self, path: str) -> tuple[int, Any] | None:
        if path.rstrip("/").endswith("/models"):
            return 200, {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "fake"} for m in self.models]}
        return None

    def render_error(self, status: int, message: str, error_type: str | None) -> bytes:
        code = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}.get(status)
        return json.dumps(
            {"error": {"message": message, "type": error_type or "invalid_request_error", "param": None, "code": code}}
        ).encode()

    def render(self, req: RecordedRequest, reply: Reply, tokens_in: int) -> tuple[int, dict[str, str], bytes, int]:
        if reply.raw_body is not None:
            return reply.status, dict(reply.headers), reply.raw_body, 0
        if reply.status >= 400:
            return reply.status, dict(reply.headers), self.render_error(reply.status, reply.error or "error", reply.error_type), 0
        body = req.body if isinstance(req.body, dict) else {}
        forced_tool = bool(body.get("tools")) and body.get("tool_choice") not in (None, "none", "auto")
        as_tool = forced_tool if reply.as_tool_call is None else reply.as_tool_call
        message: dict[str, Any] = {"role": "assistant", "content": None}
        finish = reply.finish_reason
        if reply.refusal is not None:
            message["refusal"] = reply.refusal
            out_text = reply.refusal
            finish = finish or "stop"
        elif reply.json is not None and as_tool and body.get("tools"):
            name = (body["tools"][0].get("function") or {}).get("name", "respond")
            out_text = json.dumps(reply.json, ensure_ascii=False)
            message["tool_calls"] = [
                {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function", "function": {"name": name, "arguments": out_text}}
            ]
            finish = finish or "tool_calls"
        else:
            out_text = reply.content if reply.content is not None else json.dumps(reply.json, ensure_ascii=False)
            message["content"] = out_text
            finish = finish or "stop"
        tokens_out = reply.tokens_out if reply.tokens_out is not None else (
            self.tokens_out if self.tokens_out is not None else estimate_tokens(out_text) if out_text else 0)
        payload = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out, "total_tokens": tokens_in + tokens_out},
        }
        return 200, dict(reply.headers), json.dumps(payload, ensure_ascii=False).encode(), tokens_out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Fake OpenAI-compatible server (schema-valid answers, no model).")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    ap.add_argument("--tokens-per-s", type=float, default=None, help="extra latency: completion tokens / this rate")
    ap.add_argument("--tokens-in", type=int, default=None)
    ap.add_argument("--tokens-out", type=int, default=None)
    ap.add_argument("--reject", action="append", default=[], help="reject a mode like llama.cpp (json_schema)")
    args = ap.parse_args(argv)
    srv = FakeOpenAIServer(latency_s=args.latency, tokens_per_s=args.tokens_per_s, tokens_in=args.tokens_in,
                           tokens_out=args.tokens_out, reject_modes=args.reject).start()
    print(f"OPENAI_BASE_URL={srv.base_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":
    main()
