"""The one place the command line turns an exception into one line on stderr and an exit code, by type.

Every command is registered through `command` (a typer command wrapped by `guarded`). The codes are the README's:
an `AidigestError` exits with its class's `exit_code` (the tree is drawn in aidigest.errors); a database
driver's error met mid-run (the transaction was rolled back, the reports are whole files) exits 3 when it is a
lock not granted, else 1; an `OSError` (a full disk, an unwritable file) exits 1; Ctrl-C 130, SIGTERM 143.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from ..errors import EXIT_FAILED, EXIT_REFUSED, AidigestError
from ..infra.pgstore import PgError
from .guard import Signals
from .output import Session, shown_db


INTERRUPTED = 130  # Ctrl-C
TERMINATED = 143  # SIGTERM
_SQLITE_LOCK = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)  # primary result codes of a lock not granted
STOPPING = (AidigestError, sqlite3.Error, OSError)

F = TypeVar("F", bound=Callable[..., Any])


def exit_code(e: BaseException) -> int:
    """The exit code for an exception that stops a command, by its type."""
    if isinstance(e, AidigestError):
        return e.exit_code
    if isinstance(e, sqlite3.Error):
        code = getattr(e, "sqlite_errorcode", None) or 0
        return EXIT_REFUSED if (code & 0xFF) in _SQLITE_LOCK else EXIT_FAILED  # extended codes keep the primary in the low byte
    return EXIT_FAILED


def message(e: BaseException, db: str | None) -> str:
    """The one line printed for it: a database error names the store and what to do."""
    from ..infra.store import explain  # lazy: heavy (pydantic): not for --help
    if isinstance(e, sqlite3.Error | PgError):
        return explain(shown_db(db or "?"), e)
    if isinstance(e, OSError):
        where = f"{e.filename}: " if e.filename else ""
        return f"{where}{e.strerror or e} (nothing was half-written; fix it and rerun)"
    return str(e)


def guarded(fn: F) -> F:
    """Run a command; what stops it becomes one line and its exit code (never a traceback for a known cause)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = Session.of(kwargs["ctx"])
        signals = Signals()
        try:
            with signals:
                return fn(*args, **kwargs)
        except STOPPING as e:
            session.error(message(e, session.db))
            raise typer.Exit(exit_code(e)) from None
        except KeyboardInterrupt:
            what, code = ("terminated (SIGTERM)", TERMINATED) if signals.terminated else ("interrupted", INTERRUPTED)
            session.error(f"{what}: stopped; a run in progress is marked failed in the store; no file was half-written")
            raise typer.Exit(code) from None

    return wrapper  # type: ignore[return-value]  # same signature: typer reads the wrapped function's


def command(app: typer.Typer, name: str | None = None) -> Callable[[F], F]:
    """`@command(app)`: a typer command whose failures go through `guarded` (its first parameter is
    `ctx: typer.Context`, hidden from the help, through which it reaches the invocation's Session)."""

    def register(fn: F) -> F:
        if "ctx" not in inspect.signature(fn).parameters:
            raise TypeError(f"{fn.__name__}: a command takes `ctx: typer.Context` (its session: output, -q, store)")
        app.command(name)(guarded(fn))
        return fn

    return register
