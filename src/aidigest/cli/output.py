"""What a command prints: one `Session` per invocation (made by the top-level callback, kept on typer's root
context, which every command receives as `ctx`) holds the consoles and `-q`, and names the store a command uses
when a store error stops it."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..infra.pgstore import is_url, redact
from .guard import say


def shown_db(db: str) -> str:
    """The store as messages show it: a PostgreSQL URL without its password."""
    return redact(db) if is_url(db) else db


@dataclass
class Session:
    """One command's invocation: its consoles, whether -q was given, and the store it uses (set once the config is
    loaded; named in the one line a store error prints)."""

    quiet: bool = False
    db: str | None = None
    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))

    @staticmethod
    def of(ctx: typer.Context) -> Session:
        """The invocation's session, kept on the root context by the top-level callback."""
        root = ctx.find_root()
        if not isinstance(root.obj, Session):  # a command invoked without the callback (embedded use)
            root.obj = Session()
        return root.obj

    def error(self, message: object) -> None:
        """One line on stderr, shown with -q too; outside text printed literally (guard.say)."""
        say(self.err, "error:", "bold red", message)

    def warning(self, message: object, label: str = "warning:") -> None:
        if not self.quiet:  # -q: errors only
            say(self.err, label, "yellow", message)

    def info(self, *objects, **kw) -> None:
        """A command's summary on stdout (the sources table, the reports written, deliveries): none with -q."""
        if not self.quiet:
            self.out.print(*objects, **kw)

    def line(self, text: str) -> None:
        """A command's own output (shown with -q too), printed as written."""
        self.out.print(text, highlight=False, markup=False)

    def outcomes(self, outcomes) -> None:
        """The sources table of a collect or run, then a warning per failed source."""
        if not self.quiet:
            t = Table(title="Sources", show_lines=False)
            for col in ("source", "status", "items", "time", "detail"):
                t.add_column(col)
            for o in outcomes:
                style = {"ok": "green", "empty": "yellow"}.get(o.status, "red")
                detail = o.error or ", ".join(f"{k}={v}" for k, v in o.notes.items() if v)
                t.add_row(Text(o.source), Text(o.status, style=style), str(o.items), f"{o.duration_s:.1f}s",
                          Text(detail), style=None)
            self.out.print(t)
        for o in outcomes:
            if o.status in ("failed", "no_recording"):
                self.warning(f"source {o.source} {o.status.replace('_', ' ')}: {o.error}")
