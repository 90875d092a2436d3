"""A backfill two worker processes share on one PostgreSQL store (a real server, tests/pg_server.py), one of them
killed with SIGKILL mid-day: the day it held is claimed again by the other, and every day's reports exist once,
byte-identical to a sequential backfill of the same days on SQLite.

The days' recordings serve the demo's real bodies at each day's URLs (tests/clihelp.py `recording_for`), so the
days show the same items: with the repeat window on, which day shows an item depends on the order days are run,
and a shared backfill runs them in no fixed order. The window is 0 here (a config option) so that every day's
reports depend on its own items only, which is what makes a byte comparison with the sequential run meaningful.
The two workers run on two test hosts the test sets up (root only; skipped, saying why, otherwise): network
namespaces that reach the server only through a veth pair each (host side 10.200.1.1/24 and 10.200.2.1/24, the
server listening there and on 127.0.0.1, password login from those networks), removed at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aidigest.infra.store import Store
from pg_server import PgServer, find_bin
from clihelp import DAY, DEMO, aidigest, cli_env, no_traceback, recording_for  # noqa: E402

DAYS = ["2026-07-30", "2026-07-31", "2026-08-01", DAY]


def _recording(dest: Path) -> Path:
    """One replay folder serving every day of DAYS."""
    entries = json.loads((DEMO / "index.json").read_text(encoding="utf-8"))
    shutil.copytree(DEMO, dest)
    for d in DAYS[:-1]:
        rec = recording_for(dt.date.fromisoformat(d), dest.parent / f"rec-{d}")
        entries["entries"] += json.loads((rec / "index.json").read_text(encoding="utf-8"))["entries"]
    (dest / "index.json").write_text(json.dumps(entries, indent=1), encoding="utf-8")
    return dest


def _args(rec: Path, db: str, out: Path, cfg: Path) -> list[str]:
    return ["run", "--from", DAYS[0], "--to", DAYS[-1], "--replay", str(rec), "--db", db, "--out", str(out),
            "--llm", "none", "--config", str(cfg)]


def _start(args: list[str], cwd: Path, prefix: list[str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([*(prefix or []), sys.executable, "-m", "aidigest.cli", *args], cwd=cwd, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


NETS = (("a", "10.200.1"), ("b", "10.200.2"))  # test host -> its /24: host side .1, the namespace .2


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


@pytest.fixture
def two_hosts(pg_server):
    """Two test hosts (network namespaces, each with a veth pair to this host) and a PostgreSQL server listening
    on the host ends: yields (server, [(command prefix, server address) per host]). Removed at the end."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("network namespaces need root and iproute2's `ip`")
    tag = f"{os.getpid() % 100000}"
    made: list[str] = []
    hosts = []
    try:
        try:
            for name, net in NETS:
                ns, host_if, ns_if = f"aidg{tag}{name}", f"vh{tag}{name}", f"vn{tag}{name}"
                _ip("netns", "add", ns)
                made.append(ns)
                _ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
                _ip("link", "set", ns_if, "netns", ns)
                _ip("addr", "add", f"{net}.1/24", "dev", host_if)
                _ip("link", "set", host_if, "up")
                _ip("-n", ns, "addr", "add", f"{net}.2/24", "dev", ns_if)
                _ip("-n", ns, "link", "set", ns_if, "up")
                _ip("-n", ns, "link", "set", "lo", "up")
                hosts.append((["ip", "netns", "exec", ns], f"{net}.1"))
        except subprocess.CalledProcessError as e:
            pytest.skip(f"network namespaces cannot be set up here: {e.stderr.strip()}")
        bindir = find_bin()
        assert bindir is not None  # pg_server would have skipped
        server = PgServer(bindir, listen=",".join(["127.0.0.1", *(h for _, h in hosts)]),
                          allow=tuple(f"{net}.0/24" for _, net in NETS)).start()
        try:
            yield server, hosts
        finally:
            server.stop()
    finally:
        for ns in made:  # deleting a namespace deletes its veth end, and with it the pair
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def _files(out: Path, day: str) -> dict[str, bytes]:
    folder = out / day
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    """The recording, the config, and the reports of the days backfilled in order, one process, SQLite."""
    base = tmp_path_factory.mktemp("sequential")
    rec = _recording(base / "rec")
    cfg = base / "aidigest.toml"
    cfg.write_text("[digest]\nrepeat_window_days = 0\n", encoding="utf-8")
    r = aidigest(*_args(rec, str(base / "seq.sqlite3"), base / "seq", cfg), cwd=base, timeout=900)
    assert r.returncode == 0 and no_traceback(r), r.stderr
    return rec, cfg, base / "seq"


def test_two_workers_share_a_backfill_and_a_killed_workers_day_is_done_by_the_other(two_hosts, sequential, tmp_path):
    rec, cfg, seq = sequential
    server, ((prefix_a, addr_a), (prefix_b, addr_b)) = two_hosts
    url = server.new_db()  # the test itself reads the store over 127.0.0.1
    name = url.rsplit("/", 1)[1]
    # each worker reaches the server only at its veth's host end (its namespace has no other way out)
    a = _start(_args(rec, server.url(name, host=addr_a), tmp_path / "out-a", cfg), tmp_path, prefix_a)
    b = _start(_args(rec, server.url(name, host=addr_b), tmp_path / "out-b", cfg), tmp_path, prefix_b)
    # worker A is killed mid-day: after it finished a day, once its run of the next day it claimed has started
    # (before that day's reports are written)
    deadline = time.time() + 600
    held = None
    while held is None and time.time() < deadline:
        assert a.poll() is None, a.communicate()
        time.sleep(0.2)
        try:
            with Store(url) as s:
                done = s.scalar("SELECT COUNT(*) FROM runs WHERE pid = ? AND status = 'ok'", (a.pid,))
                row = s.query_one("SELECT day FROM runs WHERE pid = ? AND finished_at IS NULL", (a.pid,))
        except Exception:  # the store is being created by a worker
            continue
        held = row[0] if row and done else None
    assert held is not None, "worker A never started a second day"
    a.send_signal(signal.SIGKILL)
    a.communicate(timeout=60)
    out_b, err_b = b.communicate(timeout=900)
    assert b.returncode == 0, err_b
    assert "Traceback" not in err_b

    with Store(url) as s:
        claims = [dict(r) for r in s.query("SELECT day, status, worker, client FROM day_claims ORDER BY day")]
    print("which worker did which day:", claims, f"(A pid {a.pid} killed mid-{held}, B pid {b.pid})")
    assert [c["day"] for c in claims] == DAYS and all(c["status"] == "done" for c in claims)
    assert any(c["worker"].endswith(f":{a.pid}") for c in claims)  # A did a day before it was killed
    clients = {c["worker"].rsplit(":", 1)[1]: c["client"] for c in claims}  # pid -> the address it came from
    assert clients == {str(p.pid): f"{net}.2" for p, (_, net) in zip((a, b), NETS, strict=True)
                       if str(p.pid) in clients}
    assert all(c["worker"].endswith(f":{b.pid}") for c in claims if c["day"] == held)  # B took A's day over
    assert f"── {held} ── claimed by worker" in out_b
    for d in DAYS:
        want = _files(seq, d)
        assert want, d
        got_a, got_b = _files(tmp_path / "out-a", d), _files(tmp_path / "out-b", d)
        assert bool(got_a) != bool(got_b), f"{d}: reports written by {'both' if got_a else 'no'} worker"
        assert (got_a or got_b) == want, f"{d}: reports differ from the sequential backfill"
    assert _files(tmp_path / "out-a", held) == {}  # the killed worker left no report of its day

    # the same range again resumes: every day is done, nothing is run
    r = aidigest(*_args(rec, url, tmp_path / "out-c", cfg), cwd=tmp_path, timeout=300)
    assert r.returncode == 0 and no_traceback(r), r.stderr
    assert not (tmp_path / "out-c").exists() or not any((tmp_path / "out-c").rglob("*.md"))


def test_jobs_run_days_at_once_with_the_same_reports(store_db, sequential, tmp_path):
    """`--jobs 3`: the days at once in one process (threads; on PostgreSQL each claims days like a worker)."""
    rec, cfg, seq = sequential
    r = aidigest(*_args(rec, store_db, tmp_path / "out", cfg), "--jobs", "3", cwd=tmp_path, timeout=900)
    assert r.returncode == 0 and no_traceback(r), r.stderr
    for d in DAYS:
        assert _files(tmp_path / "out", d) == _files(seq, d), d
        assert r.stdout.count(f"── {d} ──") == 1
    with Store(store_db) as s:
        assert s.scalar("SELECT COUNT(DISTINCT day) FROM runs WHERE status = 'ok'") == len(DAYS)
