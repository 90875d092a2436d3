"""The LLM response cache, the call log and the remembered structured-output modes (tables of this module in the
SQLite store: their schema is this module's migration set "llm", their SQL is only here).

- `llm_cache`: one row per distinct request. The key hashes provider, endpoint, model, temperature,
  max output tokens, the schema sent, the structured-output mode and the messages, so a rerun of the same
  day makes zero LLM calls. Cached answers are free (and allowed past the run budget).
- `llm_calls`: one row per `complete()` (real, cached, failed or refused for budget) with run id, purpose,
  tokens, cost, latency, attempts and the (scrubbed) error — like simonw/llm's log.
- `llm_modes`: the structured-output mode discovered per (provider, base URL, model).

`cache_stats(store)` and `cache_clear(store, older_than_days)` back `aidigest cache stats|clear`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from ..infra.migrations import LLM
from ..infra.store import Store
from .base import Message

MIGRATIONS = LLM  # this module's tables (their schema: aidigest.infra.migrations)


def cache_key(
    endpoint: tuple[str, str, str],
    messages: list[Message],
    *,
    temperature: float,
    max_output_tokens: int,
    schema: dict | None,
    mode: str,
) -> str:
    """sha256 over everything that changes the answer (canonical JSON, so dict order never matters)."""
    provider, base_url, model = endpoint  # (provider, base URL, model)
    payload = {
        "v": 1,
        "provider": provider,
        "base_url": base_url.rstrip("/"),
        "model": model,
        "temperature": temperature,
        "max_output_tokens": max_output_tokens,
        "schema": schema,
        "mode": mode,
        "messages": hashlib.sha256(
            json.dumps([[m.role, m.content] for m in messages], ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class CachedResponse(BaseModel):
    text: str
    data: Any = None  # the validated JSON (model_dump) when a schema was given
    mode: str = "text"
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


def cache_get(store: Store, key: str) -> CachedResponse | None:
    store.ensure(MIGRATIONS)
    row = store.query_one(
        "SELECT response, tokens_in, tokens_out, cost_usd, mode FROM llm_cache WHERE cache_key = ?", (key,)
    )
    if row is None:
        return None
    try:
        body = json.loads(row["response"])
    except json.JSONDecodeError:
        return None
    return CachedResponse(
        text=body.get("text", ""),
        data=body.get("data"),
        mode=row["mode"],
        tokens_in=row["tokens_in"],
        tokens_out=row["tokens_out"],
        cost_usd=row["cost_usd"],
    )


def cache_hit(store: Store, key: str) -> None:
    store.ensure(MIGRATIONS)
    with store.write() as db:
        db.execute(
            "UPDATE llm_cache SET hits = hits + 1, last_hit_at = ? WHERE cache_key = ?", (time.time(), key)
        )


def cache_put(store: Store, key: str, provider: str, model: str, resp: CachedResponse) -> None:
    body = json.dumps({"text": resp.text, "data": resp.data}, ensure_ascii=False)
    store.ensure(MIGRATIONS)
    with store.write() as db:
        db.execute(
            "INSERT INTO llm_cache (cache_key, provider, model, response, tokens_in, tokens_out, cost_usd,"
            " created_at, mode, hits) VALUES (?,?,?,?,?,?,?,?,?,0) ON CONFLICT (cache_key) DO UPDATE SET"
            " provider=excluded.provider, model=excluded.model, response=excluded.response,"
            " tokens_in=excluded.tokens_in, tokens_out=excluded.tokens_out, cost_usd=excluded.cost_usd,"
            " created_at=excluded.created_at, mode=excluded.mode, hits=0, last_hit_at=NULL",
            (key, provider, model, body, resp.tokens_in, resp.tokens_out, resp.cost_usd, time.time(), resp.mode),
        )


@dataclass(frozen=True)
class CallRecord:
    """One row of the call log: one `complete()`, real, cached, failed or refused for the budget."""

    run_id: int | None
    provider: str
    model: str
    purpose: str
    cache_key: str | None
    status: str  # ok | cached | error | budget
    mode: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    attempts: int = 0
    error: str | None = None  # scrubbed


def log_call(store: Store, call: CallRecord) -> None:
    store.ensure(MIGRATIONS)
    with store.write() as db:
        db.execute(
            "INSERT INTO llm_calls (run_id, provider, model, purpose, cache_key, cached, status, tokens_in, tokens_out,"
            " cost_usd, latency_s, error, created_at, mode, attempts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                call.run_id, call.provider, call.model, call.purpose, call.cache_key, 1 if call.status == "cached" else 0,
                call.status, call.tokens_in, call.tokens_out, call.cost_usd, round(call.latency_s, 4), call.error,
                time.time(), call.mode, call.attempts,
            ),
        )


# ---- remembered structured-output modes ----------------------------------------------------------
def get_mode(store: Store, provider: str, base_url: str, model: str) -> str | None:
    store.ensure(MIGRATIONS)
    row = store.query_one(
        "SELECT mode FROM llm_modes WHERE provider = ? AND base_url = ? AND model = ?", (provider, base_url, model)
    )
    return row["mode"] if row else None


def set_mode(store: Store, provider: str, base_url: str, model: str, mode: str) -> None:
    store.ensure(MIGRATIONS)
    with store.write() as db:
        db.execute(
            "INSERT INTO llm_modes (provider, base_url, model, mode, updated_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT (provider, base_url, model) DO UPDATE SET mode=excluded.mode, updated_at=excluded.updated_at",
            (provider, base_url, model, mode, time.time()),
        )


# ---- aidigest cache stats | clear ------------------------------------------------------------------
class CacheModelStats(BaseModel):
    provider: str
    model: str
    entries: int
    tokens_in: int  # tokens it cost to produce the cached answers
    tokens_out: int
    cost_usd: float
    hits: int  # answers served from the cache instead of a new call
    saved_usd: float  # estimated cost those hits avoided


class CacheStats(BaseModel):
    entries: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0  # estimated cost of producing every cached answer
    hits: int = 0
    saved_usd: float = 0.0  # estimated cost avoided by cache hits
    oldest: dt.datetime | None = None
    newest: dt.datetime | None = None
    by_model: list[CacheModelStats] = Field(default_factory=list)
    calls_logged: int = 0  # rows in the call log (llm_calls)
    modes: dict[str, str] = Field(default_factory=dict)  # "provider base_url model" -> structured-output mode


def _ts(value: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc) if value is not None else None


def cache_stats(store: Store) -> CacheStats:
    store.ensure(MIGRATIONS)
    rows = store.query(
        "SELECT provider, model, COUNT(*) AS entries, SUM(tokens_in) AS tin, SUM(tokens_out) AS tout,"
        " SUM(cost_usd) AS cost, SUM(hits) AS hits, SUM(hits * cost_usd) AS saved"
        " FROM llm_cache GROUP BY provider, model ORDER BY provider, model"
    )
    by_model = [
        CacheModelStats(
            provider=r["provider"], model=r["model"], entries=r["entries"], tokens_in=r["tin"] or 0,
            tokens_out=r["tout"] or 0, cost_usd=round(r["cost"] or 0.0, 6), hits=r["hits"] or 0,
            saved_usd=round(r["saved"] or 0.0, 6),
        )
        for r in rows
    ]
    (span,) = store.query("SELECT MIN(created_at), MAX(created_at) FROM llm_cache")
    modes = {
        f"{r['provider']} {r['base_url']} {r['model']}": r["mode"]
        for r in store.query("SELECT provider, base_url, model, mode FROM llm_modes ORDER BY provider, model")
    }
    return CacheStats(
        entries=sum(m.entries for m in by_model),
        tokens_in=sum(m.tokens_in for m in by_model),
        tokens_out=sum(m.tokens_out for m in by_model),
        cost_usd=round(sum(m.cost_usd for m in by_model), 6),
        hits=sum(m.hits for m in by_model),
        saved_usd=round(sum(m.saved_usd for m in by_model), 6),
        oldest=_ts(span[0]),
        newest=_ts(span[1]),
        by_model=by_model,
        calls_logged=store.scalar("SELECT COUNT(*) FROM llm_calls"),
        modes=modes,
    )


def cache_clear(store: Store, older_than_days: int | None = None, now: float | None = None) -> int:
    """Delete cached responses (all, or those created more than `older_than_days` days ago).

    Clearing everything also forgets the discovered structured-output modes (they are rediscovered on the
    next call). The call log is kept. Returns the number of cached responses deleted."""
    if older_than_days is not None and older_than_days < 0:
        raise ValueError("older_than_days must be >= 0")
    store.ensure(MIGRATIONS)
    with store.write() as db:
        if older_than_days is None:
            n = db.execute("DELETE FROM llm_cache").rowcount
            db.execute("DELETE FROM llm_modes")
        else:
            cutoff = (time.time() if now is None else now) - older_than_days * 86400
            n = db.execute("DELETE FROM llm_cache WHERE created_at < ?", (cutoff,)).rowcount
    return int(n)
