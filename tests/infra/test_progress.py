"""Progress on stderr (aidigest.infra.progress): a live bar on a terminal, plain log lines otherwise, nothing
with -q; the bar belongs to the handler `setup` installs (no module-level state)."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console

from aidigest.infra import progress


@pytest.fixture(autouse=True)
def _restore_logging():
    """setup() configures the process's "aidigest" logger; later tests (caplog) need it as it was."""
    root = logging.getLogger("aidigest")
    saved = (list(root.handlers), root.level, root.propagate)
    yield
    root.handlers[:], root.level, root.propagate = saved[0], saved[1], saved[2]


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=terminal, width=100), buf


def test_terminal_shows_a_bar_while_tasks_run_and_none_after():
    console, _ = _console(terminal=True)
    progress.setup(0, console=console)
    display = progress._display()
    assert display is not None and display.console is console
    with progress.task("article pages", total=2) as outer:
        bar = display.live
        assert bar is not None
        with progress.task("LLM calls", total=1) as inner:
            assert display.live is bar and len(bar.tasks) == 2  # one bar, a line per task
            inner.advance()
        outer.advance(2)
        assert outer.done == 2
    assert display.live is None


def test_quiet_and_non_terminal_draw_no_bar_but_log_start_and_end():
    console, _ = _console(terminal=True)
    progress.setup(-1, console=console)
    with progress.task("quiet"):
        assert progress._display().live is None
    console, _ = _console(terminal=False)
    progress.setup(1, console=console)
    handler = logging.getLogger("aidigest").handlers[0]
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    with progress.task("sources", total=3) as t:
        assert progress._display().live is None
        t.advance(3)
    lines = stream.getvalue().splitlines()
    assert any("sources: started (3)" in ln for ln in lines) and any("sources: done 3/3" in ln for ln in lines)


def test_setup_again_replaces_the_handler_not_adds_one():
    for v in (0, 1, -1):
        progress.setup(v, console=_console(terminal=False)[0])
    assert len(logging.getLogger("aidigest").handlers) == 1
