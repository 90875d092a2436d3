"""Every error aidigest raises on purpose, in one tree with one root, `AidigestError`.

Each class carries the exit code the command line ends with when it stops a command (`exit_code`, set with a
class keyword: `class StoreBusy(StoreError, exit_code=3)`); the CLI reads it, by type, in one place
(`aidigest.cli.errors`). Codes as the README documents them: 1 the run failed, 2 a mistake the user can fix
(a flag, the config, a file, a store that cannot be used), 3 refused because another run holds the day or the
store, 4 the reports were written but a delivery failed. A class defined elsewhere says where, in brackets.

    AidigestError                 exit 1  aidigest stopped for a reason it can name: one line, no traceback
    ├── UserError                 exit 2  a mistake the user can fix: a flag, a value, a file they named
    │   ├── ConfigError           exit 2  the config file or the environment [configbase]
    │   │   └── LLMConfigError    exit 2  unknown provider or missing API key (also an LLMFatal) [llm.base]
    │   ├── DayError              exit 2  a date or time zone that cannot be read (also a ValueError) [infra.days]
    │   ├── WeekError             exit 2  --week/--date naming no week (also a ValueError) [weekly.build]
    │   ├── InstallSpecError      exit 2  an install line that would not install aidigest (also a ValueError) [schedule]
    │   ├── ProfileError          exit 2  an unknown profile, bad arXiv id, unreadable library file [profiles.reader]
    │   ├── LLMStopped            exit 2  the provider rejected the key or model: reports written offline [rundays]
    │   └── RenderError           exit 2  a template override or site folder the user pointed at
    │       ├── TemplateProblem   exit 2  a template that cannot be loaded or rendered [render.templating]
    │       └── SiteError         exit 2  a site that cannot be built as asked [render.site]
    ├── RunFailed                 exit 1  the run could not do its job (every source failed, a backfill day failed)
    │   └── NothingCollected      exit 1  no item at all for the day: no report written [pipeline]
    ├── SourceError               exit 1  a source could not be read (collect records it as the source's outcome)
    │   ├── FetchError            exit 1  a request that failed for good, after retries [infra.http]
    │   │   ├── ReplayMissing     exit 1  the recording holds no answer for the request [infra.http]
    │   │   ├── ResponseTooLarge  exit 1  the answer passed the size cap [infra.http]
    │   │   ├── Blocked           exit 1  the SSRF policy refused the URL or a redirect hop [infra.http]
    │   │   └── DeadlineExceeded  exit 1  no complete answer within the deadline [infra.http]
    │   ├── BlockedAddress        exit 1  an address the policy forbids, seen at connect time [infra.netguard]
    │   └── ParseError            exit 1  a body that is not what the source returns [sources.base]
    ├── LLMError                  exit 1  an LLM call that failed after retries (callers go offline) [llm.base]
    │   ├── LLMFatal              exit 2  a key or model the provider rejects: never retried [llm.base]
    │   │   └── LLMConfigError    exit 2  (see UserError) [llm.base]
    │   ├── LLMUnavailable        exit 1  circuit breaker open or the run's LLM deadline passed [llm.base]
    │   └── BudgetExceeded        exit 1  --budget-usd / --max-tokens reached [llm.base]
    ├── SummaryFailed             exit 1  no LLM summary for a section (the caller writes the extractive one) [summarize.llm]
    ├── StoreError                exit 2  the store cannot be used as it is (damaged, newer, read-only) [infra.store]
    │   ├── StoreFull             exit 1  the disk under the store is full; nothing half-written [infra.store]
    │   └── StoreBusy             exit 3  another run holds the day or the store [infra.store]
    ├── PgError                   exit 1  a PostgreSQL statement failed (rolled back) [infra.pgstore]
    │   └── PgBusy                exit 3  a lock not granted within the busy timeout [infra.pgstore]
    ├── DeliveryError             exit 4  the reports were written, a delivery was not (retried next run)
    │   ├── DeliveryFailed        exit 4  some targets failed
    │   └── TargetError           exit 4  a target that cannot be used as configured [deliver.notify]
    └── InternalError             exit 1  an invariant broke: a bug, never a user's mistake
        └── SectionInvariantError exit 1  a section about to be written is broken (also an AssertionError) [summarize.checks]

Private control flow stays outside the tree (plain exceptions, caught in the module that raises them, a bug if
one ever escapes): llm.reply's Transient, Rejected, _ModeRejected, _InvalidOutput, llm.bodycap's AnswerTooLarge
(turned into Transient by the provider) and sources.hackernews' _BadRecord. tests/architecture/test_errors.py keeps
this drawing equal to the classes.

This module imports nothing of aidigest: any module can raise into the tree without loading another.
"""

from __future__ import annotations

from typing import Any, ClassVar

EXIT_FAILED = 1  # the run failed
EXIT_USAGE = 2  # a mistake the user can fix
EXIT_REFUSED = 3  # another run holds the day or the store
EXIT_DELIVERY = 4  # reports written, a delivery failed


class AidigestError(Exception):
    """The root: aidigest stopped for a reason it can name in one line."""

    exit_code: ClassVar[int] = EXIT_FAILED

    def __init_subclass__(cls, exit_code: int | None = None, **kwargs: Any) -> None:
        # a keyword on the class line (`class StoreBusy(StoreError, exit_code=3)`): the code sits where the class
        # is named, and a module that defines one changes only that line
        super().__init_subclass__(**kwargs)
        if exit_code is not None:
            cls.exit_code = exit_code


class UserError(AidigestError, exit_code=EXIT_USAGE):
    """A mistake the user can fix (a flag, a config value, a file they named): one line, exit code 2."""


class RenderError(UserError, exit_code=EXIT_USAGE):
    """A template override or a site folder the user pointed at cannot be used."""


class RunFailed(AidigestError, exit_code=EXIT_FAILED):
    """The run could not do its job (every source failed, a day of a backfill failed): one line, exit code 1."""


class SourceError(AidigestError, exit_code=EXIT_FAILED):
    """A source could not be read; collect records it as that source's outcome and goes on."""


class DeliveryError(AidigestError, exit_code=EXIT_DELIVERY):
    """The reports were written but a delivery was not (retried on the next run): exit code 4."""


class DeliveryFailed(DeliveryError, exit_code=EXIT_DELIVERY):
    """Some delivery targets failed (named in the message)."""


class InternalError(AidigestError, exit_code=EXIT_FAILED):
    """An invariant broke: a bug in aidigest, never the user's mistake."""
