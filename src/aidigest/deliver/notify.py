"""Send the day's short form to every configured target (apprise URLs), once per (day, kind, target).

Targets: `[notify] targets = [...]` in the config plus `$AIDIGEST_NOTIFY` (whitespace-separated). `${VAR}` in a
target is replaced by the environment variable VAR, so secrets (SMTP passwords, bot tokens, webhook URLs) live
only in the environment; a target whose variable is unset fails with a message naming the variable.

Each send is recorded in the store's `deliveries` table under a hash of the expanded URL, never the URL:
a target already sent for (day, kind) is skipped on a rerun; a failed one is retried on the next run (from the
first part that did not go out, when a message was split) and does not stop the others. Log lines and errors
name a target by its position and apprise's privacy form of the URL (secrets masked), and any expanded secret
that would still appear in an error text is replaced by `***`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .shortform import Format, ShortForm, build_short_form, load_digest, pack

if TYPE_CHECKING:
    from ..config import Config
    from ..store import Store

log = logging.getLogger("aidigest.notify")

KINDS = ("news", "paper")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class TargetError(Exception):
    """A target that cannot be used as configured (unset variable, not an apprise URL)."""


@dataclass
class Target:
    index: int  # 1-based position among the configured targets
    template: str  # as configured, ${VAR} unexpanded: safe to show

    def expand(self, env: dict[str, str]) -> tuple[str, list[str]]:
        """(the URL with every ${VAR} replaced, the values substituted: the secrets to keep out of messages)."""
        secrets: list[str] = []

        def sub(m: re.Match) -> str:
            name = m.group(1)
            value = env.get(name, "")
            if not value:
                raise TargetError(f"target #{self.index}: environment variable {name} is not set")
            secrets.append(value)
            return value

        return _VAR.sub(sub, self.template), secrets


@dataclass
class Delivery:
    day: dt.date
    kind: str
    target: str  # shown name: "#2 tgram://1...9/"
    status: str  # sent | skipped (sent before) | failed
    parts: int = 0
    error: str | None = None


@dataclass
class NotifyResult:
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == "failed"]

    @property
    def sent(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == "sent"]


def configured_targets(config: Config, env: dict[str, str] | None = None) -> list[Target]:
    env = dict(os.environ) if env is None else env
    raw = list(config.notify.targets) + env.get("AIDIGEST_NOTIFY", "").split()
    seen: list[str] = []
    for t in raw:
        t = t.strip()
        if t and t not in seen:
            seen.append(t)
    return [Target(i + 1, t) for i, t in enumerate(seen)]


def target_id(url: str) -> str:
    """The identity recorded in the store: a hash of the expanded URL (never the URL itself)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def redact(text: str, secrets: list[str]) -> str:
    for s in sorted(secrets, key=len, reverse=True):
        if len(s) >= 3:
            text = text.replace(s, "***")
    return text


def report_files(out_dir: Path, day: dt.date) -> dict[str, Path]:
    """kind -> the day's JSON export (only the kinds that were written)."""
    from ..render.markdown import report_kind_word

    d = day.isoformat()
    found = {}
    for kind in KINDS:
        p = Path(out_dir) / d / f"{report_kind_word(kind)}_{d}.json"
        if p.exists():
            found[kind] = p
    return found


def _format_for(plugin) -> Format:
    from apprise.common import NotifyFormat
    from apprise.plugins.email.base import NotifyEmail

    if isinstance(plugin, NotifyEmail):
        return "email"
    formats = plugin.notify_format if isinstance(plugin.notify_format, tuple) else (plugin.notify_format,)
    if formats[0] == NotifyFormat.HTML:
        return "html"
    if NotifyFormat.MARKDOWN in formats:
        return "markdown"
    return "text"


_APPRISE_FORMAT = {"email": "html", "html": "html", "markdown": "markdown", "text": "text"}


class _Capture(logging.Handler):
    """Apprise says why a send failed only in its log: keep its warnings of one send."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _ensure_table(store: Store) -> None:
    # the table comes from the store's migration list; this only guards against an older store object
    store.conn.execute("SELECT 1 FROM deliveries LIMIT 0")


def _previous(store: Store, day: dt.date, kind: str, tid: str):
    return store.conn.execute(
        "SELECT status, parts_sent, attempts FROM deliveries WHERE day = ? AND kind = ? AND target = ?",
        (day.isoformat(), kind, tid),
    ).fetchone()


def _record(store: Store, day: dt.date, kind: str, tid: str, label: str, status: str, parts: int, parts_sent: int,
            error: str | None) -> None:
    now = time.time()
    with store.conn:
        store.conn.execute(
            "INSERT INTO deliveries (day, kind, target, label, status, parts, parts_sent, attempts, error, updated_at)"
            " VALUES (?,?,?,?,?,?,?,1,?,?)"
            " ON CONFLICT(day, kind, target) DO UPDATE SET label=excluded.label, status=excluded.status,"
            " parts=excluded.parts, parts_sent=excluded.parts_sent, attempts=attempts+1, error=excluded.error,"
            " updated_at=excluded.updated_at",
            (day.isoformat(), kind, tid, label, status, parts, parts_sent, error, now),
        )


def _send_one(target: Target, short: ShortForm, store: Store, env: dict[str, str]) -> Delivery:
    import apprise

    day, kind = short.day, short.kind
    shown = f"#{target.index}"
    try:
        url, secrets = target.expand(env)
    except TargetError as e:
        # not recorded under a hash: there is no URL yet; it is tried again next run once the variable is set
        return Delivery(day, kind, shown, "failed", error=str(e))
    tid = target_id(url)
    a = apprise.Apprise()
    if not a.add(url) or len(a) != 1:
        error = f"target #{target.index} ({target.template.split(':', 1)[0]}:…) is not a valid apprise URL"
        _record(store, day, kind, tid, shown, "failed", 0, 0, error)
        return Delivery(day, kind, shown, "failed", error=redact(error, secrets + [url]))
    plugin = a[0]
    shown = redact(f"#{target.index} {plugin.url(privacy=True).split('?')[0]}", secrets)
    prev = _previous(store, day, kind, tid)
    if prev is not None and prev["status"] == "sent":
        return Delivery(day, kind, shown, "skipped")
    fmt = _format_for(plugin)
    title = short.title
    limit = int(getattr(plugin, "body_maxlen", 0) or 0)
    if limit and fmt != "email":
        limit -= len(title) + 16  # chat plugins count the title (and a " (2/3)" part number) in the body's limit
    try:
        bodies = pack(short, fmt, limit)
    except ValueError as e:
        _record(store, day, kind, tid, shown, "failed", 0, 0, str(e))
        return Delivery(day, kind, shown, "failed", error=redact(str(e), secrets))
    start = int(prev["parts_sent"]) if prev is not None and prev["parts_sent"] else 0
    start = start if start < len(bodies) else 0
    capture = _Capture()
    alog = logging.getLogger("apprise")
    saved = (alog.level, alog.propagate)
    alog.setLevel(min(alog.level or logging.WARNING, logging.WARNING))
    alog.propagate = False  # apprise's own lines may hold a URL: only the redacted reason is shown
    alog.addHandler(capture)
    sent = start
    error = None
    try:
        for i in range(start, len(bodies)):
            part_title = title if len(bodies) == 1 else f"{title} ({i + 1}/{len(bodies)})"
            ok = a.notify(body=bodies[i], title=part_title, body_format=_APPRISE_FORMAT[fmt])
            if not ok:
                why = capture.messages[-1] if capture.messages else "apprise reported a failure"
                error = f"part {i + 1}/{len(bodies)}: {why}"
                break
            sent = i + 1
    except Exception as e:  # a plugin bug must not stop the other targets
        error = f"{type(e).__name__}: {e}"
    finally:
        alog.removeHandler(capture)
        alog.setLevel(saved[0])
        alog.propagate = saved[1]
    status = "sent" if error is None else "failed"
    if error is not None:
        error = redact(error, secrets + [url])
    _record(store, day, kind, tid, shown, status, len(bodies), sent, error)
    return Delivery(day, kind, shown, status, parts=sent - start, error=error)


def notify_day(
    day: dt.date,
    out_dir: Path,
    config: Config,
    store: Store,
    env: dict[str, str] | None = None,
    kinds: tuple[str, ...] = KINDS,
) -> NotifyResult:
    """Send the day's reports found in `out_dir` to every target not yet served. Never raises for a target."""
    env = dict(os.environ) if env is None else env
    _ensure_table(store)
    result = NotifyResult()
    targets = configured_targets(config, env)
    files = {k: p for k, p in report_files(out_dir, day).items() if k in kinds}
    for kind, path in files.items():
        short = build_short_form(load_digest(path), top=config.notify.top, site_url=config.notify.site_url)
        for target in targets:
            d = _send_one(target, short, store, env)
            result.deliveries.append(d)
            if d.status == "failed":
                log.info("delivery %s %s to %s failed: %s", day, kind, d.target, d.error)
            else:
                log.info("delivery %s %s to %s: %s", day, kind, d.target, d.status)
    return result
