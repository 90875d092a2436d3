"""The one small interface every LLM provider implements.

    result = await llm.complete(messages, schema=MyPydanticModel, purpose="summarize:llm")
    result.data   # a validated MyPydanticModel instance (when schema is given)
    result.text   # the raw text
    result.tokens_in, result.tokens_out, result.cost_usd, result.cached

Errors: `LLMFatal` (bad key, unknown model: never retried), `BudgetExceeded` (run budget reached: the caller
takes the offline path), `LLMUnavailable` (circuit breaker open or the run's LLM deadline passed: offline for
the rest of the run), `LLMError` (anything else after retries, including output that never validated).
"""

from __future__ import annotations

from ..errors import AidigestError

from typing import Any, Literal, Protocol

from pydantic import BaseModel

from ..configbase import ConfigError

# How structured output is requested, strongest first (see aidigest.llm.structured):
#   json_schema  response_format={"type": "json_schema", ...}       (OpenAI, vLLM, recent Ollama, ...)
#   json_object  response_format={"type": "json_object", "schema": ...}  (llama.cpp server; OpenAI JSON mode)
#   tools        a forced tool/function call whose parameters are the schema (Anthropic tool use, most servers)
#   prompt       the schema in the prompt, JSON parsed out of the text
#   text         no schema: plain text
StructuredMode = Literal["json_schema", "json_object", "tools", "prompt", "text"]


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class LLMResult(BaseModel):
    provider: str
    model: str
    text: str
    data: Any = None  # validated schema instance when a schema was given
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    cached: bool = False
    latency_s: float = 0.0
    mode: str = "text"  # the StructuredMode used
    attempts: int = 1  # HTTP requests this answer took (retries and the validation retry included)


class LLMError(AidigestError, exit_code=1):
    """A call that failed after retries, or whose output never validated."""


class LLMFatal(LLMError, exit_code=2):
    """Authentication / model-not-found / bad configuration: fail fast, never retry."""


class LLMUnavailable(LLMError):
    """The LLM is switched off for the rest of the run: the circuit breaker opened (repeated timeouts / 5xx /
    connection errors, or a Retry-After longer than `max_retry_after_s`) or the run's LLM deadline passed.
    Callers take the offline paths; `LLMTotals.offline` says why."""


class BudgetExceeded(LLMError):
    """The run's --budget-usd or --max-tokens is reached: no new calls."""


class LLMConfigError(LLMFatal, ConfigError):
    """Unknown provider spec or missing API key: one line naming the env var, never a traceback."""


class LLM(Protocol):
    name: str  # e.g. "openai:gpt-4o-mini"
    concurrency: int  # calls it takes in flight ([llm] concurrency, else the provider's default)

    async def complete(
        self,
        messages: list[Message],
        schema: type[BaseModel] | None = None,
        purpose: str = "",
        *,
        max_output_tokens: int | None = None,  # overrides config.llm.max_output_tokens for this call
        temperature: float | None = None,  # overrides config.llm.temperature for this call
    ) -> LLMResult: ...

    async def warm_up(self) -> None:
        """Get ready for the first real call while other work goes on (e.g. learn the endpoint's structured-output
        mode); the pipeline starts it before collecting and does not wait for it. Never raises."""
        ...

    async def aclose(self) -> None:
        """Close the HTTP client; call it when done (the pipeline does at the end of a run)."""
        ...
