"""Logging and progress for long work (sources, article pages, LLM calls, embedding), on stderr.

`setup(verbosity)` is called once by the command line: -q = errors only, default = warnings, -v = info
(paths used, per-stage progress lines, the run's final line), -vv = debug. Log records go through `logging`:
to a `rich.logging.RichHandler` on a terminal (markup off: fetched text is printed literally), and as plain
`time level name: message` lines otherwise (cron mail, journald, CI logs), never wrapped.

Progress: code doing long work calls

    with progress.task("article pages", total=len(items)) as t:
        ... t.advance()

On a terminal (and not -q) that is a live rich progress bar on stderr that disappears when done; otherwise it
is one INFO line when the task starts and one when it ends (shown with -v). Without `setup` (library use,
tests) a task costs nothing but its two log records.

The terminal's bar belongs to the handler `setup` installs on the "aidigest" logger (`_Display`): logging is the
process's one configuration of where output goes, so the bar lives there instead of in a module-level variable.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("aidigest.infra.progress")
ROOT_LOGGER = "aidigest"


class _Display:
    """The terminal a bar is drawn on (None: no bars) and the live bar while a task runs; held by the handler."""

    def __init__(self, console=None):
        self.console = console
        self.live = None


def _display() -> _Display | None:
    for h in logging.getLogger(ROOT_LOGGER).handlers:
        display = getattr(h, "aidigest_display", None)
        if isinstance(display, _Display):
            return display
    return None


def setup(verbosity: int = 0, console=None) -> None:
    """verbosity: -1 quiet, 0 default, 1 -v, 2 -vv."""
    from rich.console import Console

    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG if verbosity > 1 else logging.ERROR)
    console = console or Console(stderr=True)
    root = logging.getLogger(ROOT_LOGGER)
    for h in list(root.handlers):
        root.removeHandler(h)
    if console.is_terminal:
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(console=console, markup=False, show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    alog = logging.getLogger("apprise")
    alog.setLevel(logging.WARNING)
    alog.propagate = False  # its lines may name a target URL with a secret; aidigest.deliver reports failures redacted
    handler.aidigest_display = _Display(console if console.is_terminal and verbosity >= 0 else None)  # type: ignore[attr-defined]


class _Task:
    def __init__(self, name: str, total: int | None, bar=None, task_id=None):
        self.name, self.total, self.done = name, total, 0
        self._bar, self._id = bar, task_id

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(self._id, advance=n)


@contextmanager
def task(name: str, total: int | None = None) -> Iterator[_Task]:
    """A unit of long work: a bar on a terminal, a start and an end line in logs."""
    t0 = time.perf_counter()
    log.info("%s: started%s", name, f" ({total})" if total is not None else "")
    bar = None
    display = _display()
    console = display.console if display is not None else None
    if display is not None and console is not None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        bar = display.live
        if bar is None:
            bar = Progress(
                SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=console, transient=True,
            )
            bar.start()
            display.live = bar
    t = _Task(name, total, bar, bar.add_task(name, total=total) if bar is not None else None)
    try:
        yield t
    finally:
        if bar is not None:
            bar.remove_task(t._id)
            if not bar.tasks and display is not None:
                bar.stop()
                display.live = None
        log.info("%s: done %s%s in %.1fs", name, t.done, f"/{total}" if total is not None else "", time.perf_counter() - t0)
