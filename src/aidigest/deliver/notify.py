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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..infra.env import environ
from ..infra.migrations import DELIVER
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


MIGRATIONS = DELIVER  # this module's tables (their schema: aidigest.infra.migrations)


def _ensure_table(store: Store) -> None:
    store.ensure(MIGRATIONS)


@dataclass(frozen=True)
class _Slot:
    """One delivery's row: (day, kind as recorded, target hash), or (week, kind, target) with `week`."""

    day: dt.date
    kind: str  # "<profile>:<kind>" for a reader profile's digest
    tid: str
    week: str | None = None

    def where(self) -> tuple[str, str, str]:
        """(table, its period column, the period's value)."""
        return ("week_deliveries", "week", self.week) if self.week else ("deliveries", "day", self.day.isoformat())


@dataclass(frozen=True)
class _Row:
    """What a send recorded for its slot."""

    label: str
    status: str
    parts: int = 0
    parts_sent: int = 0
    error: str | None = None


def _previous(store: Store, slot: _Slot):
    _ensure_table(store)
    table, col, value = slot.where()
    return store.query_one(
        f"SELECT status, parts_sent, attempts FROM {table} WHERE {col} = ? AND kind = ? AND target = ?",
        (value, slot.kind, slot.tid),
    )


def _record(store: Store, slot: _Slot, row: _Row) -> None:
    now = time.time()
    _ensure_table(store)
    table, col, value = slot.where()
    with store.write() as db:
        db.execute(
            f"INSERT INTO {table} ({col}, kind, target, label, status, parts, parts_sent, attempts, error, updated_at)"
            " VALUES (?,?,?,?,?,?,?,1,?,?)"
            f" ON CONFLICT({col}, kind, target) DO UPDATE SET label=excluded.label, status=excluded.status,"
            " parts=excluded.parts, parts_sent=excluded.parts_sent, attempts=attempts+1, error=excluded.error,"
            " updated_at=excluded.updated_at",
            (value, slot.kind, slot.tid, row.label, row.status, row.parts, row.parts_sent, row.error, now),
        )


@contextmanager
def _apprise_warnings() -> Iterator[_Capture]:
    """Apprise's warnings of one send, kept for the reason of a failure and not shown (they may hold a URL)."""
    capture = _Capture()
    alog = logging.getLogger("apprise")
    saved = (alog.level, alog.propagate)
    alog.setLevel(min(alog.level or logging.WARNING, logging.WARNING))
    alog.propagate = False  # apprise's own lines may hold a URL: only the redacted reason is shown
    alog.addHandler(capture)
    try:
        yield capture
    finally:
        alog.removeHandler(capture)
        alog.setLevel(saved[0])
        alog.propagate = saved[1]


def _bodies(plugin, short: ShortForm) -> tuple[Format, list[str]]:
    """The message format the plugin takes and `short` packed into bodies within its length limit (ValueError
    when a link alone does not fit)."""
    fmt = _format_for(plugin)
    limit = int(getattr(plugin, "body_maxlen", 0) or 0)
    if limit and fmt != "email":
        limit -= len(short.title) + 16  # chat plugins count the title (and a " (2/3)" part number) in the body's limit
    return fmt, pack(short, fmt, limit)


def _notify_parts(a, bodies: list[str], start: int, title: str, fmt: Format) -> tuple[int, str | None]:
    """Send `bodies[start:]` in order, stopping at the first failure: (parts sent up to, the error or None)."""
    sent = start
    error = None
    with _apprise_warnings() as capture:
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
    return sent, error


def _send_one(target: Target, short: ShortForm, store: Store, env: dict[str, str], slot: _Slot) -> Delivery:
    """Send `short` to `target` unless it was sent before for its slot; `slot.tid` is filled in here (the target's
    URL hash is known once its variables are expanded)."""
    import apprise

    day, kind = short.day, short.kind
    shown = f"#{target.index}"
    try:
        url, secrets = target.expand(env)
    except TargetError as e:
        # not recorded under a hash: there is no URL yet; it is tried again next run once the variable is set
        return Delivery(day, kind, shown, "failed", error=str(e))
    slot = replace(slot, tid=target_id(url))
    a = apprise.Apprise()
    if not a.add(url) or len(a) != 1:
        invalid = f"target #{target.index} ({target.template.split(':', 1)[0]}:…) is not a valid apprise URL"
        _record(store, slot, _Row(shown, "failed", error=invalid))
        return Delivery(day, kind, shown, "failed", error=redact(invalid, secrets + [url] + _parts(url)))
    plugin = a[0]
    shown = shown_name(target.index, plugin.url(privacy=True), secrets + ([url] if target.from_env else []))
    prev = _previous(store, slot)
    if prev is not None and prev["status"] == "sent":
        return Delivery(day, kind, shown, "skipped")
    try:
        fmt, bodies = _bodies(plugin, short)
    except ValueError as e:
        _record(store, slot, _Row(shown, "failed", error=str(e)))
        return Delivery(day, kind, shown, "failed", error=redact(str(e), secrets))
    start = int(prev["parts_sent"]) if prev is not None and prev["parts_sent"] else 0
    start = start if start < len(bodies) else 0
    sent, error = _notify_parts(a, bodies, start, short.title, fmt)
    status = "sent" if error is None else "failed"
    if error is not None:
        error = redact(error, secrets + [url] + (_parts(url) if target.from_env else []))
    _record(store, slot, _Row(shown, status, len(bodies), sent, error))
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


@dataclass(frozen=True)
class NotifyOptions:
    """How a notify run sends: `env` holds the variables targets read (${VAR}, $AIDIGEST_NOTIFY; the process's
    environment when None), `kinds` the kinds it sends, `retry_days` how many earlier days' failed deliveries a
    day's run retries (a daily schedule never asks for those days again)."""

    env: dict[str, str] | None = None
    kinds: tuple[str, ...] = KINDS
    retry_days: int = RETRY_DAYS


DEFAULT_OPTIONS = NotifyOptions()


@dataclass
class _Job:
    """One report to send to some targets: a day's (`week` None) or a week's (`day` is then dt.date.min)."""

    day: dt.date
    kind: str
    path: Path
    targets: list[Target]
    week: str | None = None


def _targets(config: Config, env: dict[str, str], profile: str) -> list[Target]:
    """The main digest's targets, or a reader profile's own."""
    if not profile:
        return configured_targets(config, env)
    own = dict.fromkeys(x.strip() for x in config.profiles[profile].targets if x.strip())
    return [Target(i + 1, t) for i, t in enumerate(own)]


def _site_url(config: Config, profile: str) -> str:
    site_url = config.notify.site_url or config.site.base_url
    if profile and site_url:  # the profile's own pages (aidigest.profiles.reader.site_path)
        site_url = site_url.rstrip("/") + "/" + site_path(profile, config.profiles[profile])
    return site_url


def _log_delivery(job: _Job, d: Delivery) -> None:
    if job.week:
        log.info("delivery %s %s to %s: %s%s", job.week, job.kind, d.target, d.status, f" ({d.error})" if d.error else "")
    elif d.status == "failed":
        log.info("delivery %s %s to %s failed: %s", job.day, job.kind, d.target, d.error)
    else:
        log.info("delivery %s %s to %s: %s", job.day, job.kind, d.target, d.status)


def _deliver(jobs: list[_Job], load: Callable[[Path], ShortForm], store: Store, env: dict[str, str],
             prefix: str) -> NotifyResult:
    """Each job's report to each of its targets (the one loop of a day's and a week's deliveries); a report that
    cannot be read fails for every target of its job, said per target."""
    result = NotifyResult()
    for job in jobs:
        try:
            short = load(job.path)
        except (OSError, ValueError) as e:  # unreadable or not an export: nothing sent, said per target
            why = f"{job.path.name} is not a readable {'weekly' if job.week else 'digest'} export ({type(e).__name__})"
            result.deliveries += [Delivery(job.day, job.kind, f"#{t.index}", "failed", error=why) for t in job.targets]
            if not job.week:
                log.info("delivery %s %s: %s", job.day, job.kind, why)
            continue
        for target in job.targets:
            d = _send_one(target, short, store, env, _Slot(short.day, prefix + job.kind, "", job.week))
            result.deliveries.append(d)
            _log_delivery(job, d)
    return result


def _retry_jobs(store: Store, day: dt.date, out_dir: Path, options: NotifyOptions, by_hash: dict[str, Target],
                prefix: str) -> list[_Job]:
    """The deliveries that failed on the `options.retry_days` days before `day`, one job per (day, kind), to the
    targets still configured (`by_hash`: target by URL hash) whose report is still there."""
    jobs: list[_Job] = []
    for old_day, rec, tid in pending_retries(store, day, options.retry_days):
        if prefix and not rec.startswith(prefix):
            continue  # another profile's (or the main digest's) delivery
        kind = rec.removeprefix(prefix)
        path = report_files(out_dir, old_day).get(kind)
        if path is None or tid not in by_hash or kind not in options.kinds:
            continue  # report gone or target no longer configured: stays failed in the store
        if jobs and (jobs[-1].day, jobs[-1].kind) == (old_day, kind):
            jobs[-1].targets.append(by_hash[tid])
        else:
            jobs.append(_Job(old_day, kind, path, [by_hash[tid]]))
    return jobs


def notify_day(day: dt.date, out_dir: Path, config: Config, store: Store, profile: str = "",
               options: NotifyOptions = DEFAULT_OPTIONS) -> NotifyResult:
    """Send the day's reports found in `out_dir` to every target not yet served, then retry the deliveries that
    failed on the `options.retry_days` days before. Never raises for a target. `profile`: a reader profile's
    digests (`out_dir` is its reports folder): its own targets only, its deliveries recorded apart (kind
    "<profile>:<kind>")."""
    env = environ() if options.env is None else options.env
    _ensure_table(store)
    prefix = f"{profile}:" if profile else ""
    targets = _targets(config, env, profile)
    jobs = [_Job(day, k, p, targets) for k, p in report_files(out_dir, day).items() if k in options.kinds]
    if options.retry_days > 0:
        by_hash = {h: t for t in targets if (h := _target_hash(t, env)) is not None}
        jobs += _retry_jobs(store, day, out_dir, options, by_hash, prefix)
    site_url = _site_url(config, profile)

    def load(path: Path) -> ShortForm:
        return build_short_form(load_digest(path), top=config.notify.top, site_url=site_url)

    return _deliver(jobs, load, store, env, prefix)


def week_report_files(out_dir: Path, week: str) -> dict[str, Path]:
    """kind -> the week's JSON export written by `aidigest week` (only the kinds that were written)."""
    found = {}
    for kind in KINDS:
        p = Path(out_dir) / "weekly" / week / f"{report_kind_word(kind)}_{week}.json"
        if p.exists():
            found[kind] = p
    return found


def notify_week(week: str, out_dir: Path, config: Config, store: Store, profile: str = "",
                options: NotifyOptions = DEFAULT_OPTIONS) -> NotifyResult:
    """Send the week's roundups found in `out_dir` to every target not yet served for (week, kind); a failed target
    is tried again by the next `notify --week` of that week. Never raises for a target. `profile`: a reader
    profile's weeks (`out_dir` is its reports folder): its own targets only, recorded apart ("<profile>:<kind>")."""
    env = environ() if options.env is None else options.env
    _ensure_table(store)
    prefix = f"{profile}:" if profile else ""
    targets = _targets(config, env, profile)
    site_url = _site_url(config, profile)
    jobs = [_Job(dt.date.min, kind, path, targets, week)
            for kind, path in week_report_files(out_dir, week).items() if kind in options.kinds]

    def load(path: Path) -> ShortForm:
        return build_week_short_form(load_week(path), top=config.notify.top, site_url=site_url)

    return _deliver(jobs, load, store, env, prefix)
