"""What every stage of one day's run shares: the day, the report language, the settings and the services.

    ctx = DayContext(day=day, language="ko", config=config, taxonomy=taxonomy, store=store, llm=llm)
    digest = await build_digest(ctx, "news", classified)

Frozen: a stage reads it, never changes it (what a stage has to say goes into the report it returns).
The kind (news or papers) is not part of it: one day builds both kinds with the same context.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .config import Config
from .llm.base import LLM
from .infra.store import Store
from .taxonomy import Taxonomy


@dataclass(frozen=True)
class DayContext:
    day: dt.date
    language: str  # the report language ("ko", "en", ...)
    config: Config
    taxonomy: Taxonomy
    store: Store | None = None  # None: nothing read from or kept in a store (tests, one-off use)
    llm: LLM | None = None  # None: the offline paths (extractive summaries)
