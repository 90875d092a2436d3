"""JSON Schema helpers for structured output.

`json_schema_for(Model)` turns a pydantic model into the schema we send: `$ref`s inlined (llama.cpp's
grammar converter and some OpenAI-compatible servers handle `$defs` badly), `additionalProperties: false`
on every object and a `maxItems` on EVERY array, so a rambling model cannot produce an unbounded list
(declare the bound in the model with `Field(max_length=N)`; arrays without one are patched with a default
and logged). `parse_json_text` pulls a JSON value out of a model's text answer (code fences, chatter).
"""

from __future__ import annotations

import copy
import json
import logging
import re
from typing import Any

from pydantic import BaseModel, ValidationError

log = logging.getLogger("aidigest.llm")

DEFAULT_MAX_ITEMS = 100


def _walk(node: Any, path: str, visit) -> None:
    if isinstance(node, dict):
        visit(node, path)
        for key, value in node.items():
            if key in ("properties", "$defs", "definitions", "patternProperties") and isinstance(value, dict):
                for name, sub in value.items():
                    _walk(sub, f"{path}.{key}.{name}", visit)
            elif isinstance(value, (dict, list)):
                _walk(value, f"{path}.{key}", visit)
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            _walk(sub, f"{path}[{i}]", visit)


def _is_array(node: dict) -> bool:
    t = node.get("type")
    return t == "array" or (isinstance(t, list) and "array" in t)


def unbounded_arrays(schema: dict) -> list[str]:
    """Paths of every array schema without a maxItems."""
    found: list[str] = []

    def visit(node: dict, path: str) -> None:
        if _is_array(node) and "maxItems" not in node:
            found.append(path)

    _walk(schema, "$", visit)
    return found


def assert_max_items(schema: dict) -> None:
    """Raise ValueError naming every array in `schema` that has no maxItems."""
    missing = unbounded_arrays(schema)
    if missing:
        raise ValueError("arrays without maxItems in the schema: " + ", ".join(missing))


def ensure_max_items(schema: dict, default: int = DEFAULT_MAX_ITEMS) -> list[str]:
    """Give every unbounded array `maxItems: default` (in place). Returns the patched paths."""
    patched: list[str] = []

    def visit(node: dict, path: str) -> None:
        if _is_array(node) and "maxItems" not in node:
            node["maxItems"] = default
            patched.append(path)

    _walk(schema, "$", visit)
    return patched


def inline_refs(schema: dict) -> dict:
    """Replace local `#/$defs/X` refs by the definitions (recursive models keep their $defs)."""
    defs = schema.get("$defs") or schema.get("definitions") or {}
    recursive = False

    def resolve(node: Any, stack: tuple[str, ...]) -> Any:
        nonlocal recursive
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and re.match(r"^#/(\$defs|definitions)/", ref):
                name = ref.split("/")[-1]
                if name in stack or name not in defs:
                    recursive = True
                    return dict(node)
                merged = {k: v for k, v in node.items() if k != "$ref"}
                target = resolve(copy.deepcopy(defs[name]), stack + (name,))
                return {**target, **{k: resolve(v, stack) for k, v in merged.items()}}
            return {k: resolve(v, stack) for k, v in node.items() if k not in ("$defs", "definitions")}
        if isinstance(node, list):
            return [resolve(v, stack) for v in node]
        return node

    out = resolve(schema, ())
    if recursive and defs:
        out["$defs"] = copy.deepcopy(defs)
    return out


def close_objects(schema: dict) -> None:
    """`additionalProperties: false` on every object schema that does not say otherwise (in place)."""

    def visit(node: dict, path: str) -> None:
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False

    _walk(schema, "$", visit)


def is_strict_compatible(schema: dict) -> bool:
    """OpenAI `strict: true` needs every object closed and every property required."""
    ok = True

    def visit(node: dict, path: str) -> None:
        nonlocal ok
        if node.get("type") == "object":
            props = node.get("properties", {})
            if node.get("additionalProperties", True) is not False or set(node.get("required", [])) != set(props):
                ok = False

    _walk(schema, "$", visit)
    return ok and "$defs" not in schema


def json_schema_for(model: type[BaseModel], default_max_items: int = DEFAULT_MAX_ITEMS) -> dict:
    """The schema sent to providers for `model` (see module doc). Deterministic for a given model."""
    schema = inline_refs(model.model_json_schema())
    close_objects(schema)
    patched = ensure_max_items(schema, default_max_items)
    if patched:
        log.warning(
            "schema %s: arrays without max_length got maxItems=%d: %s", model.__name__, default_max_items, ", ".join(patched)
        )
    assert_max_items(schema)
    return schema


def schema_name(model: type[BaseModel]) -> str:
    """A function/schema name providers accept (^[a-zA-Z0-9_-]{1,64}$)."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", model.__name__)[:64] or "response"


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)


def parse_json_text(text: str) -> Any:
    """The JSON value in a model's answer: the whole text, a ```json fence, or the outermost {...} / [...].

    Raises ValueError with a short reason (fed back to the model on the validation retry)."""
    s = (text or "").strip()
    if not s:
        raise ValueError("the answer was empty")
    candidates = [s]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(s)]
    for opener, closer in (("{", "}"), ("[", "]")):
        i, j = s.find(opener), s.rfind(closer)
        if i != -1 and j > i:
            candidates.append(s[i : j + 1])
    first_error = ""
    for c in candidates:
        try:
            return json.loads(c)
        except json.JSONDecodeError as e:
            first_error = first_error or f"{e.msg} at line {e.lineno} column {e.colno}"
    if "{" not in s and "[" not in s:
        raise ValueError("the answer contains no JSON object")
    raise ValueError(f"the answer is not valid JSON ({first_error})")


def validation_message(err: ValidationError, limit: int = 5) -> str:
    """A short, model-readable summary of a pydantic ValidationError."""
    parts = []
    for e in err.errors()[:limit]:
        where = ".".join(str(x) for x in e["loc"]) or "(root)"
        parts.append(f"{where}: {e['msg']}")
    more = len(err.errors()) - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)
