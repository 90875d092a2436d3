"""Send the day's short form to every configured target (apprise URLs), once per (day, kind, target).

Targets: `[notify] targets = [...]` in the config plus `$AIDIGEST_NOTIFY` (whitespace-separated). `${VAR}` in a
target is replaced by the environment variable VAR, so secrets (SMTP passwords, bot tokens, webhook URLs) live
only in the environment; a target whose variable is unset fails with a message naming the variable.

Each send is recorded in the store's `deliveries` table under a hash of the expanded URL, never the URL:
a target already sent for (day, kind) is skipped on a rerun; a failed one is retried on the next run (from the
first part that did not go out, when a message was split) and does not stop the others. Log lines and errors
name a target by its position, scheme and host (`#1 mailtos://smtp.gmail.com`; never user, password, path or query),
and any expanded secret that would still appear in an error text is replaced by `***`.
"""

from __future__ import annotations

from ..errors import DeliveryError

import datetime as dt
import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import environ
from ..infra.migrations import Migrations
from ..profiles.reader import site_path
from ..render.markdown import report_kind_word
from .shortform import Format, ShortForm, build_short_form, build_week_short_form, load_digest, load_week, pack

if TYPE_CHECKING:
    from ..config import Config
    from ..infra.store import Store

log = logging.getLogger("aidigest.notify")

KINDS = ("news", "paper")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class TargetError(DeliveryError):
    """A target that cannot be used as configured (unset variable, not an apprise URL)."""


@dataclass
class Target:
    index: int  # 1-based position among the configured targets
    template: str  # as configured, ${VAR} unexpanded
    from_env: bool = False  # given literally in $AIDIGEST_NOTIFY: the whole URL may be a secret

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
    env = environ() if env is None else env
    raw = [(t, False) for t in config.notify.targets] + [(t, True) for t in env.get("AIDIGEST_NOTIFY", "").split()]
    seen: dict[str, bool] = {}
    for t, from_env in raw:
        t = t.strip()
        if t and t not in seen:
            seen[t] = from_env
    return [Target(i + 1, t, from_env) for i, (t, from_env) in enumerate(seen.items())]


def target_id(url: str) -> str:
    """The identity recorded in the store: a hash of the expanded URL (never the URL itself)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def redact(text: str, secrets: list[str]) -> str:
    for s in sorted(secrets, key=len, reverse=True):
        if len(s) >= 3:
            text = text.replace(s, "***")
    return text


def shown_name(index: int, private_url: str, secrets: list[str]) -> str:
    """How a target is named in output, logs and the store: its position, scheme and host, e.g.
    `#1 mailtos://smtp.gmail.com`, `#2 json://127.0.0.1:8080`. Taken from apprise's privacy form of the URL (which
    masks a token in the host position: `tgram://1...9`), never its user, password, path or query; a substituted
    secret that would still show is replaced by `***`."""
    m = re.match(r"^([a-z0-9+.-]+)://(?:[^@/?#]*@)?([^/?#]*)", private_url, flags=re.I)
    name = f"{m.group(1)}://{m.group(2)}" if m else private_url.split(":", 1)[0] + "://…"
    return redact(f"#{index} {name}", secrets)


def _parts(url: str) -> list[str]:
    """Path segments and query values of a URL given literally in the environment (each may be a token)."""
    rest = url.split("://", 1)[-1]
    return [p for p in re.split(r"[/?&=]", rest.split("/", 1)[1] if "/" in rest else "") if len(p) >= 8]


def report_files(out_dir: Path, day: dt.date) -> dict[str, Path]:
    """kind -> the day's JSON export (only the kinds that were written)."""

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


# one row per (day, kind, target); target is a hash of the target URL, never the URL (it may hold a secret)
MIGRATIONS = Migrations("deliver")
MIGRATIONS.add("001_deliveries", """
    CREATE TABLE deliveries (
        day         TEXT NOT NULL,
        kind        TEXT NOT NULL,
        target      TEXT NOT NULL,
        label       TEXT NOT NULL,           -- the target as shown: position + apprise privacy URL
        status      TEXT NOT NULL,           -- sent | failed
        parts       INTEGER NOT NULL DEFAULT 0,
        parts_sent  INTEGER NOT NULL DEFAULT 0,
        attempts    INTEGER NOT NULL DEFAULT 0,
        error       TEXT,
        updated_at  REAL NOT NULL,
        PRIMARY KEY (day, kind, target)
    );
""", legacy=4)
# the weekly roundup (aidigest week): one row per (ISO week, kind, target), the same columns as a day's
MIGRATIONS.add("002_week_deliveries", """
    CREATE TABLE week_deliveries (
        week        TEXT NOT NULL,           -- ISO week, e.g. 2026-W31
        kind        TEXT NOT NULL,
        target      TEXT NOT NULL,
        label       TEXT NOT NULL,
        status      TEXT NOT NULL,           -- sent | failed
        parts       INTEGER NOT NULL DEFAULT 0,
        parts_sent  INTEGER NOT NULL DEFAULT 0,
        attempts    INTEGER NOT NULL DEFAULT 0,
        error       TEXT,
        updated_at  REAL NOT NULL,
        PRIMARY KEY (week, kind, target)
    );
""")


def _ensure_table(store: Store) -> None:
    store.ensure(MIGRATIONS)


def _slot(day: dt.date, week: str | None) -> tuple[str, str, str]:
    """(table, its period column, the period's value): a day's deliveries, or a week's (`week` given)."""
    return ("week_deliveries", "week", week) if week else ("deliveries", "day", day.isoformat())


def _previous(store: Store, day: dt.date, kind: str, tid: str, week: str | None = None):
    _ensure_table(store)
    table, col, value = _slot(day, week)
    return store.query_one(
        f"SELECT status, parts_sent, attempts FROM {table} WHERE {col} = ? AND kind = ? AND target = ?",
        (value, kind, tid),
    )


def _record(store: Store, day: dt.date, kind: str, tid: str, label: str, status: str, parts: int, parts_sent: int,
            error: str | None, week: str | None = None) -> None:
    now = time.time()
    _ensure_table(store)
    table, col, value = _slot(day, week)
    with store.write() as db:
        db.execute(
            f"INSERT INTO {table} ({col}, kind, target, label, status, parts, parts_sent, attempts, error, updated_at)"
            " VALUES (?,?,?,?,?,?,?,1,?,?)"
            f" ON CONFLICT({col}, kind, target) DO UPDATE SET label=excluded.label, status=excluded.status,"
            " parts=excluded.parts, parts_sent=excluded.parts_sent, attempts=attempts+1, error=excluded.error,"
            " updated_at=excluded.updated_at",
            (value, kind, tid, label, status, parts, parts_sent, error, now),
        )


def _send_one(target: Target, short: ShortForm, store: Store, env: dict[str, str], record: str | None = None,
              week: str | None = None) -> Delivery:
    """Send `short` to `target` unless it was sent before for its (day, kind) — or (week, kind) with `week`;
    `record` is the kind as recorded ("<profile>:<kind>" for a reader profile's digest)."""
    import apprise

    day, kind = short.day, short.kind
    rec = record or kind  # the kind as recorded: "<profile>:<kind>" for a reader profile's digest
    shown = f"#{target.index}"
    try:
        url, secrets = target.expand(env)
    except TargetError as e:
        # not recorded under a hash: there is no URL yet; it is tried again next run once the variable is set
        return Delivery(day, kind, shown, "failed", error=str(e))
    tid = target_id(url)
    error: str | None
    a = apprise.Apprise()
    if not a.add(url) or len(a) != 1:
        error = f"target #{target.index} ({target.template.split(':', 1)[0]}:…) is not a valid apprise URL"
        _record(store, day, rec, tid, shown, "failed", 0, 0, error, week)
        return Delivery(day, kind, shown, "failed", error=redact(error, secrets + [url] + _parts(url)))
    plugin = a[0]
    shown = shown_name(target.index, plugin.url(privacy=True), secrets + ([url] if target.from_env else []))
    prev = _previous(store, day, rec, tid, week)
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
        _record(store, day, rec, tid, shown, "failed", 0, 0, str(e), week)
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
        error = redact(error, secrets + [url] + (_parts(url) if target.from_env else []))
    _record(store, day, rec, tid, shown, status, len(bodies), sent, error, week)
    return Delivery(day, kind, shown, status, parts=sent - start, error=error)


RETRY_DAYS = 7  # failed deliveries of this many earlier days are retried by the next run


def pending_retries(
    store: Store, day: dt.date, window_days: int = RETRY_DAYS, include_day: bool = False
) -> list[tuple[dt.date, str, str]]:
    """(day, kind, target hash) of failed deliveries of the `window_days` days before `day` (and of `day`)."""
    _ensure_table(store)
    rows = store.query(
        f"SELECT day, kind, target FROM deliveries WHERE status = 'failed' AND day {'<=' if include_day else '<'} ?"
        " AND day >= ? ORDER BY day, kind",
        (day.isoformat(), (day - dt.timedelta(days=window_days)).isoformat()),
    )
    return [(dt.date.fromisoformat(r[0]), r[1], r[2]) for r in rows]


def failed_note(store: Store, day: dt.date) -> str | None:
    """A run-health line naming deliveries that failed and wait for a retry (None when there are none)."""
    pending = pending_retries(store, day, include_day=True)
    if not pending:
        return None
    what = sorted({f"{d} {k}" for d, k, _ in pending})
    return f"deliveries that failed and are retried by the next notify: {len(pending)} ({', '.join(what)})"


def _target_hash(target: Target, env: dict[str, str]) -> str | None:
    try:
        return target_id(target.expand(env)[0])
    except TargetError:
        return None


def notify_day(
    day: dt.date,
    out_dir: Path,
    config: Config,
    store: Store,
    env: dict[str, str] | None = None,
    kinds: tuple[str, ...] = KINDS,
    retry_days: int = RETRY_DAYS,
    profile: str = "",
) -> NotifyResult:
    """Send the day's reports found in `out_dir` to every target not yet served, then retry the deliveries that
    failed on the `retry_days` days before (a daily schedule never asks for those days again). Never raises
    for a target. `profile`: a reader profile's digests (`out_dir` is its reports folder): its own targets
    only, its deliveries recorded apart (kind "<profile>:<kind>")."""
    env = environ() if env is None else env
    _ensure_table(store)
    result = NotifyResult()
    prefix = f"{profile}:" if profile else ""
    targets = (configured_targets(config, env) if not profile
               else [Target(i + 1, t) for i, t in enumerate(dict.fromkeys(x.strip() for x in config.profiles[profile].targets if x.strip()))])
    jobs: list[tuple[dt.date, str, Path, list[Target]]] = [
        (day, k, p, targets) for k, p in report_files(out_dir, day).items() if k in kinds
    ]
    if retry_days > 0:
        by_hash = {h: t for t in targets if (h := _target_hash(t, env)) is not None}
        for old_day, rec, tid in pending_retries(store, day, retry_days):
            if prefix and not rec.startswith(prefix):
                continue  # another profile's (or the main digest's) delivery
            kind = rec.removeprefix(prefix)
            path = report_files(out_dir, old_day).get(kind)
            if path is None or tid not in by_hash or kind not in kinds:
                continue  # report gone or target no longer configured: stays failed in the store
            if jobs and jobs[-1][:2] == (old_day, kind):
                jobs[-1][3].append(by_hash[tid])
            else:
                jobs.append((old_day, kind, path, [by_hash[tid]]))
    site_url = config.notify.site_url or config.site.base_url
    if profile and site_url:  # the profile's own pages (aidigest.profiles.reader.site_path)
        site_url = site_url.rstrip("/") + "/" + site_path(profile, config.profiles[profile])
    for day, kind, path, these in jobs:
        try:
            short = build_short_form(load_digest(path), top=config.notify.top, site_url=site_url)
        except (OSError, ValueError) as e:  # unreadable or not a digest export: nothing sent, said per target
            why = f"{path.name} is not a readable digest export ({type(e).__name__})"
            result.deliveries += [Delivery(day, kind, f"#{t.index}", "failed", error=why) for t in these]
            log.info("delivery %s %s: %s", day, kind, why)
            continue
        for target in these:
            d = _send_one(target, short, store, env, record=prefix + kind)
            result.deliveries.append(d)
            if d.status == "failed":
                log.info("delivery %s %s to %s failed: %s", day, kind, d.target, d.error)
            else:
                log.info("delivery %s %s to %s: %s", day, kind, d.target, d.status)
    return result


def week_report_files(out_dir: Path, week: str) -> dict[str, Path]:
    """kind -> the week's JSON export written by `aidigest week` (only the kinds that were written)."""
    found = {}
    for kind in KINDS:
        p = Path(out_dir) / "weekly" / week / f"{report_kind_word(kind)}_{week}.json"
        if p.exists():
            found[kind] = p
    return found


def notify_week(
    week: str, out_dir: Path, config: Config, store: Store, env: dict[str, str] | None = None,
    kinds: tuple[str, ...] = KINDS, profile: str = "",
) -> NotifyResult:
    """Send the week's roundups found in `out_dir` to every target not yet served for (week, kind); a failed target
    is tried again by the next `notify --week` of that week. Never raises for a target. `profile`: a reader
    profile's weeks (`out_dir` is its reports folder): its own targets only, recorded apart ("<profile>:<kind>")."""
    env = environ() if env is None else env
    _ensure_table(store)
    result = NotifyResult()
    prefix = f"{profile}:" if profile else ""
    targets = (configured_targets(config, env) if not profile
               else [Target(i + 1, t) for i, t in enumerate(dict.fromkeys(x.strip() for x in config.profiles[profile].targets if x.strip()))])
    site_url = config.notify.site_url or config.site.base_url
    if profile and site_url:  # the profile's own pages (aidigest.profiles.reader.site_path)
        site_url = site_url.rstrip("/") + "/" + site_path(profile, config.profiles[profile])
    for kind, path in week_report_files(out_dir, week).items():
        if kind not in kinds:
            continue
        try:
            w = load_week(path)
            short = build_week_short_form(w, top=config.notify.top, site_url=site_url)
        except (OSError, ValueError) as e:
            why = f"{path.name} is not a readable weekly export ({type(e).__name__})"
            result.deliveries += [Delivery(dt.date.min, kind, f"#{t.index}", "failed", error=why) for t in targets]
            continue
        for target in targets:
            d = _send_one(target, short, store, env, record=prefix + kind, week=week)
            result.deliveries.append(d)
            log.info("delivery %s %s to %s: %s%s", week, kind, d.target, d.status, f" ({d.error})" if d.error else "")
    return result
