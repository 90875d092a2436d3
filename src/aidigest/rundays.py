"""Running days: `aidigest run` for one day or a backfill (`--from/--to`, `--jobs`), and what the run's end means.

`run_days(plan, observer)` walks the days (claimed from the store on PostgreSQL: aidigest.backfill), runs each
through `pipeline.run_day`, judges it (every source failed: the day failed and the others go on; the LLM rejected
the key or model: the reports were written offline and a backfill stops there), has it delivered when asked, and
returns a `RunOutcome`: which days failed, whether the LLM stopped, which deliveries failed. `RunOutcome.error` is
the error the command ends with (its exit code by type, aidigest.errors), None for a run that did its job. The
observer is told what happens as it happens (the command line prints it); nothing here prints.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .backfill import claimed_days, run_in_jobs, worker_id
from .collect import collect_day
from .config import Config
from .errors import AidigestError, DeliveryFailed, RunFailed, UserError
from .infra.http import HttpClient
from .infra.pgstore import is_url
from .infra.store import Store
from .records import CollectResult, SourceOutcome
from .sources.builtin import is_enricher

if TYPE_CHECKING:
    from .pipeline import RunSummary

FAILED = ("failed", "no_recording")  # source outcomes that count as a failed source


class LLMStopped(UserError):
    """The LLM provider rejected the key or the model: the reports were written offline (and delivered when
    asked); the run exits 2 so a cron job notices."""


@dataclass(frozen=True)
class RunPlan:
    """What `aidigest run` was asked to do, its flags checked."""

    config: Config
    days: tuple[dt.date, ...]
    out: Path
    language: str
    replay: Path | None = None
    record: Path | None = None
    replace: bool = False  # overwrite a published report even when this run shows fewer items
    notify: bool = False  # deliver each day once it is written
    jobs: int = 1  # days at once in this process


class DayObserver(Protocol):
    """Told what happens to each day, as it happens (the command line prints it)."""

    def starting(self, day: dt.date, worker: str | None) -> None:
        """A day of a backfill begins (worker: this process's name when days are claimed from a shared store)."""

    def finished(self, summary: RunSummary) -> None:
        """A day was run (its sources, reports and LLM use); judged afterwards."""

    def day_failed(self, day: dt.date, error: RunFailed) -> None:
        """A day of a backfill failed; the others go on."""

    def llm_off(self, reason: str) -> None:
        """The LLM was switched off during the day (offline fallbacks used)."""

    def deliver(self, day: dt.date) -> list[str]:
        """Send the day's reports (with `RunPlan.notify`); the failed deliveries, one line each."""
        ...


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended: the days it was given, those that failed (day, why), why the LLM stopped, failed
    deliveries."""

    days: int
    failed: tuple[tuple[str, str], ...] = ()
    llm_stopped: str | None = None
    delivery_failures: tuple[str, ...] = ()

    @property
    def error(self) -> AidigestError | None:
        """The error the command ends with (None: the run did its job); the first that applies: a failed day,
        the LLM stopped, a failed delivery."""
        if self.failed:
            if self.days == 1:
                return RunFailed(self.failed[0][1])
            names = ", ".join(day for day, _ in self.failed)
            return RunFailed(f"{len(self.failed)} of {self.days} day(s) failed: {names} (the others were done)")
        if self.llm_stopped:
            sent = "; delivery failed for " + "; ".join(self.delivery_failures) if self.delivery_failures else ""
            return LLMStopped(self.llm_stopped + sent)
        if self.delivery_failures:
            return DeliveryFailed(f"delivery failed for {'; '.join(self.delivery_failures)} (retried on the next run)")
        return None

    @property
    def exit_code(self) -> int:
        error = self.error
        return 0 if error is None else error.exit_code


def every_source_failed(outcomes: list[SourceOutcome]) -> RunFailed | None:
    """The day's failure when every source (enrichers aside) failed, else None."""
    real = [o for o in outcomes if not is_enricher(o.source)]
    if real and all(o.status in FAILED for o in real):
        return RunFailed("every source failed: " + "; ".join(f"{o.source}: {o.error}" for o in real))
    return None


def http_client(cfg: Config, store: Store, replay: Path | None, record: Path | None) -> HttpClient:
    """The day's HTTP client: replaying or recording when asked, else with the store's conditional-GET validators."""
    client = HttpClient.create(cfg.http, replay=replay, record=record)
    if not replay and not record:
        client.validators = store
    return client


def collect_one_day(cfg: Config, day: dt.date, replay: Path | None, record: Path | None) -> CollectResult:
    """Collect one day into the store (`aidigest collect`), holding the day's lock."""

    async def go() -> CollectResult:
        with Store(cfg.general.db) as store:
            store.day_lock(day, "collect")
            async with http_client(cfg, store, replay, record) as http:
                return await collect_day(day, cfg, store, http)

    return asyncio.run(go())


def run_one_day(plan: RunPlan, day: dt.date) -> RunSummary:
    """Run the pipeline for one day, holding the day's lock in the store."""
    from .pipeline import DayOptions, NothingCollected, run_day  # lazy: heavy (the whole pipeline: numpy, the LLM SDKs)

    async def go() -> RunSummary:
        with Store(plan.config.general.db) as store:
            store.day_lock(day, "run")
            async with http_client(plan.config, store, plan.replay, plan.record) as http:
                return await run_day(day, plan.config, store, http, plan.out, DayOptions(plan.language, replace=plan.replace))

    try:
        return asyncio.run(go())
    except NothingCollected as e:
        raise RunFailed(f"every source failed or was empty, no report written: {e}") from None


@dataclass
class _Tally:  # what the days of one run_days call found (appended from its threads: list.append is atomic)
    failed: list[tuple[str, str]] = field(default_factory=list)
    llm_stopped: list[str] = field(default_factory=list)
    delivery_failures: list[str] = field(default_factory=list)


def _one_day(plan: RunPlan, observer: DayObserver, day: dt.date, tally: _Tally) -> bool:
    """Run and judge one day; False when it failed."""
    try:
        summary = run_one_day(plan, day)
        observer.finished(summary)
        if failure := every_source_failed(summary.health.outcomes):
            raise failure
    except RunFailed as e:
        tally.failed.append((str(day), str(e)))
        if len(plan.days) > 1:
            observer.day_failed(day, e)
        return False
    llm = summary.health.llm
    if llm.offline and llm.fatal:  # bad key / unknown model: the reports were written offline, delivered below
        tally.llm_stopped.append(f"LLM stopped: {llm.offline} (the reports above were written offline)")
    elif llm.offline:
        observer.llm_off(llm.offline)
    if plan.notify:
        tally.delivery_failures.extend(observer.deliver(day))
    return True


def run_days(plan: RunPlan, observer: DayObserver) -> RunOutcome:
    """Run every day of the plan (see the module's docstring); errors other than a failed day (a store that is
    busy or cannot be used, a bad template, Ctrl-C) stop the run and propagate."""
    days = list(plan.days)
    db = plan.config.general.db
    shared = is_url(db) and len(days) > 1  # days claimed from the store (aidigest.backfill)
    tally = _Tally()

    def worker(todo) -> None:
        for day in todo:
            if len(days) > 1:
                observer.starting(day, worker_id() if shared else None)
            if _one_day(plan, observer, day, tally) and tally.llm_stopped:
                break  # a backfill stops at the first day whose LLM refused the key

    if plan.jobs > 1 and len(days) > 1:
        run_in_jobs(worker, db, days, plan.jobs)
    else:
        worker(claimed_days(db, days))
    return RunOutcome(days=len(days), failed=tuple(tally.failed),
                      llm_stopped=tally.llm_stopped[0] if tally.llm_stopped else None,
                      delivery_failures=tuple(tally.delivery_failures))
