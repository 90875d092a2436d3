"""Test doubles for LLM providers: real HTTP servers on 127.0.0.1 (ephemeral port, stdlib http.server in a
thread) that speak the OpenAI chat-completions shape (fake_openai.py) or Anthropic's Messages API
(fake_anthropic.py). They are honest fakes: no model runs; answers are scripted per call (`Reply`), or
generated from the JSON Schema in the request (`sample_from_schema`), so callers get schema-valid JSON.

Shared here:
- `sample_from_schema(schema)`: a deterministic JSON value that validates against a JSON Schema (objects
  with all properties, arrays with minItems..maxItems bounded, enums, anyOf, $ref, numeric bounds).
- `Reply`: one scripted answer or fault (status, Retry-After, latency, hang, invalid JSON, empty content,
  refusal, arbitrary text, token counts, a raw HTTP body).
- `FakeServer`: the threaded server, request recording (`.requests`), concurrency high-water mark
  (`.max_in_flight`), a script queue (`.push(...)`), per-server latency / token rate / token counts.

Usable outside pytest (bench/): `sys.path.insert(0, "tests")`, then `from fakes.fake_openai import FakeOpenAIServer`.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any

__all__ = ["FakeServer", "RecordedRequest", "Reply", "estimate_tokens", "find_schema_in_text", "sample_from_schema"]


# ---------------------------------------------------------------------------------------------------
# schema -> a valid sample
# ---------------------------------------------------------------------------------------------------
def _resolve(node: dict, root: dict) -> dict:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _resolve(merged, root)
    return node


_MAX_DEPTH = 20  # deeper than this (a recursive $ref) the sample is null


def sample_from_schema(schema: dict, root: dict | None = None, _depth: int = 0, _name: str = "value") -> Any:
    """A deterministic value valid against `schema` (the subset of JSON Schema pydantic emits).

    In order: a const or the first enum value; a combinator (anyOf/oneOf/allOf) sampled as the one schema it stands
    for; a default (except for objects and arrays, whose parts are sampled); else a sampler per type."""
    root = schema if root is None else root
    node = _resolve(schema, root)
    if _depth > _MAX_DEPTH:
        return None
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return node["enum"][0]
    narrowed = _combined(node, root)
    if narrowed is not None:
        return sample_from_schema(narrowed, root, _depth + 1, _name)
    if "default" in node and node.get("type") not in ("object", "array"):
        return copy.deepcopy(node["default"])
    t = _type_of(node)
    sampler = _SAMPLERS.get(t) if isinstance(t, str) else None
    return sampler(node, root, _depth, _name) if sampler else None


def _combined(node: dict, root: dict) -> dict | None:
    """The one schema a combinator stands for: anyOf/oneOf's first non-null option, allOf's parts merged; None
    when `node` has no (non-empty) combinator."""
    for key in ("anyOf", "oneOf"):
        if node.get(key):
            options = [_resolve(o, root) for o in node[key]]
            non_null = [o for o in options if o.get("type") != "null"]
            return (non_null or options)[0]
    if node.get("allOf"):
        return _merge_all_of(node["allOf"], root)
    return None


def _merge_all_of(parts: list, root: dict) -> dict:
    """allOf's parts as one schema: properties merged, required lists joined, any other key from the last part."""
    merged: dict = {}
    for part in parts:
        part = _resolve(part, root)
        for k, v in part.items():
            if k == "properties":
                merged.setdefault("properties", {}).update(v)
            elif k == "required":
                merged.setdefault("required", []).extend(v)
            else:
                merged[k] = v
    return merged


def _type_of(node: dict) -> Any:
    """The type to sample: the first non-null of a type list, else guessed from properties/items, else string."""
    t = node.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "null")
    if t is None:
        t = "object" if "properties" in node else "array" if "items" in node else "string"
    return t


def _sample_object(node: dict, root: dict, depth: int, name: str) -> dict:
    """Every property, each sample named after its key."""
    props = node.get("properties", {})
    return {k: sample_from_schema(v, root, depth + 1, k) for k, v in props.items()}


def _sample_array(node: dict, root: dict, depth: int, name: str) -> list:
    """A tuple form (items or prefixItems as a list) item by item; else min(maxItems, 2) items, at least minItems,
    made distinct when uniqueItems asks it of strings."""
    lo = int(node.get("minItems", 1))
    hi = int(node.get("maxItems", max(lo, 2)))
    n = max(lo, min(hi, 2))
    items = node.get("items", {})
    if isinstance(items, list):  # tuple form
        return [sample_from_schema(i, root, depth + 1, name) for i in items]
    prefix = node.get("prefixItems")
    if prefix:
        return [sample_from_schema(i, root, depth + 1, name) for i in prefix]
    out = [sample_from_schema(items, root, depth + 1, name) for _ in range(n)]
    if node.get("uniqueItems") and out and isinstance(out[0], str):
        out = [f"{v}{i}" if i else v for i, v in enumerate(out)]
    return out


def _sample_string(node: dict, root: dict, depth: int, name: str) -> str:
    """A fixed value per format (date-time, date, uri/url); else "sample <name>" padded or cut to the lengths."""
    fmt = node.get("format")
    if fmt == "date-time":
        return "2024-10-29T00:00:00Z"
    if fmt == "date":
        return "2024-10-29"
    if fmt in ("uri", "url"):
        return "https://example.com/"
    s = f"sample {name}"
    lo, hi = node.get("minLength"), node.get("maxLength")
    if lo is not None and len(s) < lo:
        s = s + "x" * (lo - len(s))
    if hi is not None:
        s = s[:hi]
    return s


def _in_bounds(node: dict) -> float:
    """The middle of (exclusive)minimum..(exclusive)maximum, one inside a single bound, 1 when unbounded."""
    lo = node.get("minimum", node.get("exclusiveMinimum"))
    hi = node.get("maximum", node.get("exclusiveMaximum"))
    if lo is not None and hi is not None:
        return (lo + hi) / 2
    if lo is not None:
        return lo + 1
    if hi is not None:
        return hi - 1
    return 1


def _sample_integer(node: dict, root: dict, depth: int, name: str) -> int:
    return int(_in_bounds(node))


def _sample_number(node: dict, root: dict, depth: int, name: str) -> float:
    return float(_in_bounds(node))


def _sample_boolean(node: dict, root: dict, depth: int, name: str) -> bool:
    return True


# JSON Schema type -> (node, root, depth, name) -> a valid value; a type not here ("null", unknown) samples as None
_SAMPLERS: Mapping[str, Callable[[dict, dict, int, str], Any]] = MappingProxyType({
    "object": _sample_object,
    "array": _sample_array,
    "string": _sample_string,
    "integer": _sample_integer,
    "number": _sample_number,
    "boolean": _sample_boolean,
})


def find_schema_in_text(text: str) -> dict | None:
    """The first JSON object in `text` that looks like a JSON Schema (prompt-mode requests carry one)."""
    dec = json.JSONDecoder()
    i = text.find("{")
    while i != -1:
        try:
            value, _ = dec.raw_decode(text, i)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict) and ("properties" in value or value.get("type") == "object"):
            return value
        i = text.find("{", i + 1)
    return None


def estimate_tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


# ---------------------------------------------------------------------------------------------------
# scripted replies
# ---------------------------------------------------------------------------------------------------
@dataclass
class Reply:
    """One scripted answer. Leave `content` and `json` unset to let the server's responder answer."""

    content: str | None = None  # assistant text, verbatim
    json: Any = None  # a JSON value: sent as the tool call (when the request forced a tool) or as text
    status: int = 200
    error: str | None = None  # error message for status >= 400
    error_type: str | None = None  # provider error type, e.g. "rate_limit_error"
    headers: dict[str, str] = field(default_factory=dict)
    latency_s: float | None = None  # None: the server's default latency
    hang: bool = False  # never answer (until the server stops or hang_s passes): a client timeout
    hang_s: float = 30.0
    tokens_in: int | None = None  # reported usage; None: the server's setting or an estimate
    tokens_out: int | None = None
    refusal: str | None = None  # an explicit refusal (OpenAI message.refusal / Anthropic stop_reason=refusal)
    finish_reason: str | None = None  # e.g. "length"; None: the natural one
    raw_body: bytes | None = None  # the HTTP body verbatim, e.g. b"not json"
    as_tool_call: bool | None = None  # None: a tool call exactly when the request forced one

    # ---- the faults the LLM layer must survive ------------------------------------------------------
    @classmethod
    def ok(cls, value: Any = None, **kw: Any) -> Reply:
        return cls(json=value, **kw) if value is not None and not isinstance(value, str) else cls(content=value, **kw)

    @classmethod
    def rate_limited(cls, retry_after: float | str | None = 1, status: int = 429) -> Reply:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return cls(status=status, error="Rate limit reached, please retry later", error_type="rate_limit_error",
                   headers=headers)

    @classmethod
    def server_error(cls, status: int = 500, message: str = "internal server error") -> Reply:
        return cls(status=status, error=message, error_type="server_error")

    @classmethod
    def overloaded(cls) -> Reply:  # Anthropic's 529
        return cls(status=529, error="Overloaded", error_type="overloaded_error")

    @classmethod
    def hang_forever(cls, seconds: float = 30.0) -> Reply:
        return cls(hang=True, hang_s=seconds)

    @classmethod
    def invalid_json(cls) -> Reply:
        return cls(content='{"category": "llm", "reason": "unterminated')

    @classmethod
    def empty(cls) -> Reply:
        return cls(content="")

    @classmethod
    def text(cls, text: str) -> Reply:  # e.g. an answer in the wrong language
        return cls(content=text, as_tool_call=False)

    @classmethod
    def refusal_text(cls, text: str = "I'm sorry, but I can't help with that.") -> Reply:
        """A refusal the classic way: prose, no JSON, no tool call."""
        return cls(content=text, as_tool_call=False)

    @classmethod
    def explicit_refusal(cls, text: str = "I'm sorry, I cannot assist with that request.") -> Reply:
        return cls(refusal=text)

    @classmethod
    def unauthorized(cls, message: str = "Incorrect API key provided.") -> Reply:
        return cls(status=401, error=message, error_type="authentication_error")

    @classmethod
    def model_not_found(cls, model: str = "missing-model") -> Reply:
        return cls(status=404, error=f"The model `{model}` does not exist or you do not have access to it.",
                   error_type="not_found_error")

    @classmethod
    def garbage_body(cls) -> Reply:
        return cls(raw_body=b"<html>502 from a proxy</html>", headers={"Content-Type": "application/json"})


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON (None when the body was not JSON)
    raw: bytes
    mode: str = ""  # structured-output mode the request asked for (json_schema/json_object/tools/prompt/text)
    answered: int = 0  # HTTP status sent back (0: none, e.g. a hang)


Responder = Callable[[RecordedRequest], Reply]


class FakeServer:
    """Threaded loopback HTTP server with scripted replies. Subclasses define the API shape."""

    name = "fake"

    def __init__(
        self,
        script: Iterable[Reply] = (),
        *,
        responder: Responder | None = None,
        latency_s: float = 0.0,
        tokens_per_s: float | None = None,
        tokens_in: int | None = None,
        tokens_out: int | None = None,
        reject_modes: dict[str, int] | Iterable[str] = (),
        models: Iterable[str] = ("fake-model",),
        api_key: str | None = None,
    ):
        self.script: deque[Reply] = deque(script)
        self.responder = responder
        self.latency_s = latency_s
        self.tokens_per_s = tokens_per_s
        self.tokens_in = tokens_in
        self.tokens_out = tokens_out
        if isinstance(reject_modes, dict):
            self.reject_modes = dict(reject_modes)
        else:
            self.reject_modes = {m: self.default_reject_status(m) for m in reject_modes}
        self.models = list(models)
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> FakeServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server._handle(self, "GET")

            def do_POST(self) -> None:
                server._handle(self, "POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=f"{self.name}-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- scripting / inspection ---------------------------------------------------------------------
    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    @property
    def count(self) -> int:
        """Requests to the completion endpoint (what an LLM call costs)."""
        return len(self.completion_requests)

    @property
    def completion_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(self.completion_path)]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_in_flight = 0

    # ---- subclass API -------------------------------------------------------------------------------
    completion_path = "/completions"

    def default_reject_status(self, mode: str) -> int:
        return 400

    def request_mode(self, body: Any) -> str:
        return "text"

    def schema_of(self, req: RecordedRequest) -> dict | None:
        return None

    def authorized(self, req: RecordedRequest) -> bool:
        return True

    def render(self, req: RecordedRequest, reply: Reply, tokens_in: int) -> tuple[int, dict[str, str], bytes, int]:
        """-> (status, headers, body, tokens_out)."""
        raise NotImplementedError

    def render_error(self, status: int, message: str, error_type: str | None) -> bytes:
        raise NotImplementedError

    def handle_get(self, path: str) -> tuple[int, Any] | None:
        return None

    def prompt_text(self, body: Any) -> str:
        return json.dumps(body, ensure_ascii=False)

    # ---- the default answer -------------------------------------------------------------------------
    def default_reply(self, req: RecordedRequest) -> Reply:
        schema = self.schema_of(req)
        if schema is not None:
            return Reply(json=sample_from_schema(schema))
        return Reply(content="This is a fake answer from the test server.")

    # ---- HTTP ---------------------------------------------------------------------------------------
    def _send(self, h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            h.send_response(status)
            sent = {k.lower() for k in headers}
            for k, v in headers.items():
                h.send_header(k, v)
            if "content-type" not in sent:
                h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        path = h.path.split("?", 1)[0]
        req = RecordedRequest(method, path, {k.lower(): v for k, v in h.headers.items()}, body, raw)
        with self._lock:
            self.requests.append(req)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._respond(h, req)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _respond(self, h: BaseHTTPRequestHandler, req: RecordedRequest) -> None:
        if req.method == "GET":
            got = self.handle_get(req.path)
            if got is None:
                req.answered = 404
                self._send(h, 404, {}, self.render_error(404, f"no route {req.path}", "not_found_error"))
            else:
                req.answered = got[0]
                self._send(h, got[0], {}, json.dumps(got[1]).encode())
            return
        if not req.path.endswith(self.completion_path):
            req.answered = 404
            self._send(h, 404, {}, self.render_error(404, f"no route {req.path}", "not_found_error"))
            return
        if not self.authorized(req):
            req.answered = 401
            self._send(h, 401, {}, self.render_error(401, "Invalid API key.", "authentication_error"))
            return
        req.mode = self.request_mode(req.body)
        if req.mode in self.reject_modes:  # like llama.cpp answering json_schema with a 500
            status = self.reject_modes[req.mode]
            req.answered = status
            self._send(h, status, {}, self.render_error(status, f"{req.mode} is not supported by this server", None))
            return
        with self._lock:
            reply = self.script.popleft() if self.script else None
        if reply is None:
            reply = self.responder(req) if self.responder else self.default_reply(req)
        elif reply.status == 200 and reply.content is None and reply.json is None and reply.raw_body is None \
                and reply.refusal is None and not reply.hang:
            base = self.responder(req) if self.responder else self.default_reply(req)
            reply = Reply(**{**base.__dict__, **{k: v for k, v in reply.__dict__.items()
                                                 if k in ("latency_s", "tokens_in", "tokens_out", "finish_reason")
                                                 and v is not None}})
        if reply.hang:
            self._stop.wait(reply.hang_s)
            req.answered = 0
            try:
                h.close_connection = True
            except Exception:
                pass
            return
        tokens_in = reply.tokens_in if reply.tokens_in is not None else (
            self.tokens_in if self.tokens_in is not None else estimate_tokens(self.prompt_text(req.body)))
        status, headers, body, tokens_out = self.render(req, reply, tokens_in)
        delay = self.latency_s if reply.latency_s is None else reply.latency_s
        if self.tokens_per_s and status == 200:
            delay += tokens_out / self.tokens_per_s
        if delay > 0:
            self._stop.wait(delay)
        req.answered = status
        self._send(h, status, headers, body)
