"""An answer checked against what was asked: the schema sent for a pydantic model (computed once per model class),
and the validation of a reply (refusal, empty, bad JSON, schema mismatch -> `_InvalidOutput`, which the engine
retries once with the error fed back)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from .reply import RawReply, _InvalidOutput
from .schema import json_schema_for, parse_json_text, validation_message

FEEDBACK_ECHO_CHARS = 2000  # how much of an invalid answer is echoed back on the validation retry


class SentSchemas:
    """json_schema_for(model), computed once per model class (the patch warning is logged once)."""

    LIMIT = 256  # models built per call (create_model) must not grow this forever

    def __init__(self) -> None:
        self._schemas: dict[type, dict] = {}

    def __call__(self, model: type[BaseModel]) -> dict:
        if model not in self._schemas:
            if len(self._schemas) >= self.LIMIT:
                self._schemas.clear()
            self._schemas[model] = json_schema_for(model)
        return self._schemas[model]


def validate_reply(reply: RawReply, schema: type[BaseModel] | None) -> tuple[str, Any]:
    """(text, validated data) of a reply; raises _InvalidOutput saying what is wrong."""
    cut = " (the answer was cut off at the output token limit: answer more briefly)" if reply.truncated else ""
    if reply.refusal:
        raise _InvalidOutput(f"the model refused: {reply.refusal.strip()[:200]}")
    if schema is None:
        text = (reply.text or "").strip()
        if not text:
            raise _InvalidOutput("the answer was empty" + cut)
        return text, None
    if reply.tool_args is not None:
        value = reply.tool_args
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = reply.text or ""
        try:
            value = parse_json_text(text)
        except ValueError as e:
            snippet = " ".join(text.split())[:120]
            extra = f' (it began: "{snippet}")' if snippet and "no JSON" in str(e) else ""
            raise _InvalidOutput(f"{e}{extra}{cut}") from None
    try:
        data = schema.model_validate(value)
    except ValidationError as e:
        raise _InvalidOutput(f"the JSON does not match the schema: {validation_message(e)}{cut}") from None
    return text, data


def echo_of(reply: RawReply) -> str:
    """What of an invalid answer is shown back to the model."""
    return (reply.text or "")[:FEEDBACK_ECHO_CHARS] or "(empty answer)"
