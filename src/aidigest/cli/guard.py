"""What the command line checks and prints around a command: outside text printed literally,
SIGTERM handled as Ctrl-C, and the checks that refuse a bad `--replay` or `--out` before any work is done."""

from __future__ import annotations

import json
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.text import Text


# Text from outside (API errors, titles, paths, config keys like [general.langauge]) is printed literally:
# never parsed as rich markup, never wrapped onto a second line.
def say(console: Console, label: str, style: str, message: object) -> None:
    console.print(Text.assemble((label, style), " ", str(message)), highlight=False, soft_wrap=True)


class Signals:
    """While active, SIGTERM stops a command as Ctrl-C does (asyncio cancels the run, which is marked failed in
    the store; elsewhere KeyboardInterrupt is raised); `terminated` tells the two apart afterwards."""

    def __init__(self) -> None:
        self.terminated = False
        self._previous: Callable[[int, FrameType | None], Any] | int | None = None

    def _on_sigterm(self, signum, frame) -> None:
        self.terminated = True
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):  # Python's default (raises KeyboardInterrupt) or asyncio's (cancels the main task)
            handler(signal.SIGINT, frame)
            return
        raise KeyboardInterrupt

    def __enter__(self) -> Signals:
        try:
            self._previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        except ValueError:  # not the main thread (embedded use): SIGTERM keeps its default
            self._previous = None
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def replay_index_problem(replay: Path) -> str | None:
    """Why `replay`/index.json is not a usable recording index (None when it is)."""
    index = replay / "index.json"
    try:
        data = json.loads(index.read_bytes())
        entries = data["entries"]
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("url"), str) and isinstance(e.get("body_file"), str)
            for e in entries
        ):
            raise ValueError('every entry needs a "url" and a "body_file"')
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as e:
        what = str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e}"
        return f"{index} is not a readable recording index ({what})"
    return None


def out_dir_problem(target: Path) -> str | None:
    """Why reports cannot be written in `target` (None when they can): checked before the run, not after it."""
    if target.exists() and not target.is_dir():
        return "is a file, not a folder; pass a folder for the reports"
    try:
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=target):
            pass
    except OSError as e:
        return f"cannot write reports there ({e.strerror or e})"
    return None
