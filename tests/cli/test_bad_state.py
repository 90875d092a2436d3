"""Bad state -> one line each, no traceback, nothing half-written: damaged or newer stores, read-only or full disks
(store and output), `--out` a file, `--config` a folder, a damaged replay index, `per_category = 0`, an unwritable
`init` path, hostile `classify` input (deep nesting, an invalid UTF-8 byte, a 10 MB line), SIGTERM and SIGINT.

Read-only and full disks are real: a tmpfs of a few KB, or a read-only bind mount, in a private mount namespace
(`unshare -rm`, no root needed). Where the kernel does not allow user namespaces those tests are skipped, saying so."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from clihelp import DAY, DEMO, aidigest, cli_env, last_line, no_traceback, runs, start, temp_files, wait_for_running  # noqa: E402
from aidigest.infra.store import SCHEMA_VERSION  # noqa: E402

COLLECT = ("collect", "--date", DAY, "--replay", str(DEMO))


def one_line_error(r, *needles: str) -> str:
    assert no_traceback(r), r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, r.stderr
    for n in needles:
        assert n in errors[0], (n, errors[0])
    return errors[0]


def small_store(path: Path) -> None:
    """A real store with a few items (closed, its WAL checkpointed into the file)."""
    from aidigest.records import Item
    from aidigest.infra.store import Store

    with Store(path) as s:
        import datetime as dt

        s.upsert_items(dt.date(2026, 8, 1), [
            Item(kind="news", title=f"story {i} " + "x" * 400, url=f"https://example.com/{i}", key=f"https://example.com/{i}")
            for i in range(300)
        ])
    assert not Path(str(path) + "-wal").exists()


# ---- the store ----------------------------------------------------------------------------------------------
def test_garbage_store_is_one_line_naming_the_file_and_left_alone(tmp_path):
    db = tmp_path / "s.sqlite3"
    db.write_bytes(os.urandom(8192))
    before = db.read_bytes()
    r = aidigest(*COLLECT, "--db", str(db), cwd=tmp_path)
    assert r.returncode == 2
    one_line_error(r, str(db), "move it aside")
    assert db.read_bytes() == before


def test_truncated_store_is_one_line_naming_the_file(tmp_path):
    db = tmp_path / "s.sqlite3"
    small_store(db)
    with open(db, "r+b") as f:
        f.truncate(db.stat().st_size // 2)
    r = aidigest(*COLLECT, "--db", str(db), cwd=tmp_path)
    assert r.returncode == 2
    one_line_error(r, str(db), "damaged")


def test_store_from_a_newer_schema_is_refused_and_not_written(tmp_path):
    db = tmp_path / "s.sqlite3"
    small_store(db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = db.read_bytes()
    r = aidigest(*COLLECT, "--db", str(db), cwd=tmp_path)
    assert r.returncode == 2
    one_line_error(r, str(db), "newer aidigest", "99")
    assert db.read_bytes() == before and not Path(f"{db}-wal").exists()


# ---- read-only and full disks (a private mount namespace) ------------------------------------------------
def _namespaces() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


needs_mounts = pytest.mark.skipif(not _namespaces(), reason="user/mount namespaces unavailable (unshare -rm failed)")

# Runs inside `unshare -rm`: mounts, runs the CLI, then reports what it left on the mounted disk (gone afterwards).
DRIVER = textwrap.dedent(r"""
    import json, os, sqlite3, subprocess, sys
    spec = json.loads(sys.argv[1])
    for cmd in spec["mount"]:
        subprocess.run(cmd, check=True)
    r = subprocess.run([sys.executable, "-m", "aidigest.cli", *spec["args"]], capture_output=True, text=True,
                       cwd=spec["cwd"])
    files = {}
    for root, _, names in os.walk(spec["inspect"]):
        for n in names:
            p = os.path.join(root, n)
            files[os.path.relpath(p, spec["inspect"])] = open(p, "rb").read().hex()
    check = None
    if spec.get("db") and os.path.exists(spec["db"]):
        c = sqlite3.connect(spec["db"])
        try:
            check = [c.execute("PRAGMA integrity_check").fetchone()[0], c.execute("PRAGMA user_version").fetchone()[0]]
        except sqlite3.Error as e:
            check = [str(e), None]
        c.close()
    print(json.dumps({"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr, "files": files, "db": check}))
""")


def in_namespace(spec: dict) -> tuple[subprocess.CompletedProcess, dict]:
    p = subprocess.run(["unshare", "-rm", sys.executable, "-c", DRIVER, json.dumps(spec)], capture_output=True,
                       text=True, env=cli_env(), timeout=600)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout.strip().splitlines()[-1])
    r = subprocess.CompletedProcess(spec["args"], res["rc"], res["stdout"], res["stderr"])
    return r, res


def tmpfs(folder: Path, size: str) -> list[str]:
    return ["mount", "-t", "tmpfs", "-o", f"size={size}", "aidigest-test", str(folder)]


def read_only(folder: Path) -> list[list[str]]:
    return [["mount", "--bind", str(folder), str(folder)], ["mount", "-o", "remount,bind,ro", str(folder)]]


@needs_mounts
def test_full_disk_for_the_store(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    db = disk / "s.sqlite3"
    # room for the migrated empty store (~130 KB and its WAL), not for the day's items (~380 KB)
    r, res = in_namespace({"mount": [tmpfs(disk, "300k")], "args": [*COLLECT, "--db", str(db)], "cwd": str(tmp_path),
                           "inspect": str(disk), "db": str(db)})
    assert r.returncode == 1, r.stderr
    one_line_error(r, str(db), "disk is full")
    assert res["db"] == ["ok", SCHEMA_VERSION]  # the store is intact and migrated: the failed write was rolled back
    assert not [f for f in res["files"] if f.endswith(".tmp")]


@needs_mounts
def test_read_only_store(tmp_path):
    disk = tmp_path / "ro"
    disk.mkdir()
    db = disk / "s.sqlite3"
    small_store(db)
    before = db.read_bytes()
    r, _ = in_namespace({"mount": read_only(disk), "args": [*COLLECT, "--db", str(db)], "cwd": str(tmp_path),
                         "inspect": str(disk)})
    assert r.returncode == 2
    one_line_error(r, str(db), "cannot be written")
    assert db.read_bytes() == before


@needs_mounts
def test_read_only_output_is_refused_before_the_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    db = tmp_path / "s.sqlite3"
    r, _ = in_namespace({"mount": read_only(out), "cwd": str(tmp_path), "inspect": str(out),
                         "args": ["run", "--date", DAY, "--replay", str(DEMO), "--db", str(db), "--out", str(out)]})
    assert r.returncode == 2
    one_line_error(r, str(out), "Read-only file system")
    assert not db.exists()  # refused before anything was collected


@needs_mounts
def test_full_disk_for_the_reports(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    db = tmp_path / "s.sqlite3"
    r, res = in_namespace({"mount": [tmpfs(out, "40k")], "cwd": str(tmp_path), "inspect": str(out),
                           "args": ["run", "--date", DAY, "--replay", str(DEMO), "--db", str(db), "--out", str(out)]})
    assert r.returncode == 1
    line = one_line_error(r, "No space left on device", "nothing was half-written", str(out / DAY))
    assert ".tmp" not in line  # names the report it could not write, not a temp file
    files = {name: bytes.fromhex(h) for name, h in res["files"].items()}
    assert not [f for f in files if f.endswith(".tmp")]
    for name, data in files.items():  # whatever was written is whole
        if name.endswith(".png"):
            assert data.endswith(b"IEND\xaeB`\x82"), name
        elif name.endswith(".json"):
            json.loads(data)
        elif name.endswith(".md"):
            assert "🩺" in data.decode("utf-8"), name
    assert [x["status"] for x in runs(db)] == ["error"]  # and the run is marked failed


# ---- paths and config -----------------------------------------------------------------------------------
def test_out_pointing_at_a_file(tmp_path):
    (tmp_path / "reports").write_text("not a folder")
    r = aidigest("run", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"), "--out",
                 str(tmp_path / "reports"), cwd=tmp_path)
    assert r.returncode == 2
    one_line_error(r, "--out", "is a file")
    assert not (tmp_path / "s.db").exists()  # refused before the run, not after it


def test_db_that_is_a_directory(tmp_path):
    (tmp_path / "store").mkdir()
    r = aidigest(*COLLECT, "--db", str(tmp_path / "store"), cwd=tmp_path)
    assert r.returncode == 2
    one_line_error(r, "store", "is a directory")


def test_config_that_is_a_directory(tmp_path):
    (tmp_path / "conf").mkdir()
    r = aidigest(*COLLECT, "--config", str(tmp_path / "conf"), "--db", str(tmp_path / "s.db"), cwd=tmp_path)
    assert r.returncode == 2
    one_line_error(r, "conf", "is a directory")


@pytest.mark.parametrize("index", ['{"version": 1, "entr', "[1, 2]", '{"entries": [{"url": 5}]}', "\udcff"])
def test_damaged_replay_index(tmp_path, index):
    rec = tmp_path / "rec"
    rec.mkdir()
    (rec / "index.json").write_bytes(index.encode("utf-8", "surrogateescape"))
    r = aidigest("collect", "--date", DAY, "--replay", str(rec), "--db", str(tmp_path / "s.db"), cwd=tmp_path)
    assert r.returncode == 2
    one_line_error(r, "--replay", "index.json", "not a readable recording index")


def test_per_category_zero(tmp_path):
    (tmp_path / "aidigest.toml").write_text("[digest]\nper_category = 0\n")
    r = aidigest("run", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"), "--out",
                 str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 2
    one_line_error(r, "[digest.per_category]", "greater than or equal to 1")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("where", ["under-a-file", "a-directory"])
def test_unwritable_init_path(tmp_path, where):
    if where == "under-a-file":
        (tmp_path / "file").write_text("x")
        target = tmp_path / "file" / "aidigest.toml"
        args = ("init", "--path", str(target))
    else:
        (tmp_path / "dir").mkdir()
        target = tmp_path / "dir"
        args = ("init", "--path", str(target), "--force")
    r = aidigest(*args, cwd=tmp_path)
    assert r.returncode == 2
    one_line_error(r, str(target), "cannot write")
    assert temp_files(tmp_path) == []


# ---- classify on hostile input ------------------------------------------------------------------------------
GOOD = [b'{"title": "Gradle 8.10 released with faster configuration cache"}',
        b'{"title": "OpenAI raises $6.6B at a $157B valuation", "snippet": "The funding round..."}']


def classify_bounded(stdin: bytes, tmp_path: Path, limit_gb: float = 3.0) -> tuple[subprocess.CompletedProcess, float]:
    """`aidigest classify` with its address space capped (a runaway would fail instead of exhausting the host);
    returns the result and the child's peak RSS in MB (measured by a fresh parent, so it is that child's alone)."""
    code = textwrap.dedent(f"""
        import resource, subprocess, sys, json
        def cap():
            resource.setrlimit(resource.RLIMIT_AS, ({int(limit_gb * 2**30)}, {int(limit_gb * 2**30)}))
        r = subprocess.run([sys.executable, "-m", "aidigest.cli", "classify"], stdin=sys.stdin, capture_output=True,
                           preexec_fn=cap)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        sys.stdout.write(json.dumps({{"rc": r.returncode, "out": r.stdout.decode("utf-8", "replace"),
                                      "err": r.stderr.decode("utf-8", "replace"), "peak": peak}}))
    """)
    p = subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, env=cli_env(), cwd=tmp_path,
                       timeout=600)
    res = json.loads(p.stdout)
    return subprocess.CompletedProcess(["classify"], res["rc"], res["out"], res["err"]), res["peak"]


def _classified(r) -> list[str]:
    return [json.loads(x)["title"][:20] for x in r.stdout.splitlines()]


@pytest.mark.parametrize(
    "bad,message",
    [
        (b'{"title": "deep", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b'{"title": "caf\xe9 au lait"}', "not valid UTF-8"),
        (b'{"title": "' + b"A" * 10_000_000 + b'"}', "longer than 1,000,000 bytes"),
    ],
    ids=["deep-json", "invalid-utf8", "10MB-line"],
)
def test_classify_skips_and_counts_a_bad_line_and_keeps_every_other(tmp_path, bad, message):
    r, peak = classify_bounded(b"\n".join([GOOD[0], bad, GOOD[1]]) + b"\n", tmp_path)
    assert no_traceback(r), r.stderr[-2000:]
    assert r.returncode == 1
    assert re.search(rf"line 2: .*{message}", r.stderr), r.stderr[-500:]
    assert "1 input line(s) skipped" in r.stderr
    assert _classified(r) == ["Gradle 8.10 released", "OpenAI raises $6.6B "]  # both other lines, in order
    assert peak < 1500, peak


def test_classify_a_long_title_within_the_line_cap_stays_small(tmp_path):
    long_title = b'{"title": "Transformers ' + b"scale " * 150_000 + b'"}'  # 900 KB: a line that is kept
    r, peak = classify_bounded(b"\n".join([GOOD[0], long_title]) + b"\n", tmp_path)
    assert r.returncode == 0 and no_traceback(r), r.stderr[-2000:]
    assert len(r.stdout.splitlines()) == 2
    assert peak < 1500, peak


# ---- SIGTERM as SIGINT --------------------------------------------------------------------------------------
@pytest.mark.parametrize("sig,rc,word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_a_signal_marks_the_run_failed_and_says_so(tmp_path, sig, rc, word):
    db, out = tmp_path / "s.sqlite3", tmp_path / "out"
    p = start("run", "--date", DAY, "--replay", str(DEMO), "--db", str(db), "--out", str(out), cwd=tmp_path)
    wait_for_running(db, p)
    p.send_signal(sig)
    stdout, stderr = p.communicate(timeout=300)
    assert p.returncode == rc, stderr
    assert "Traceback" not in stderr
    assert word in last_line(stderr) and "marked failed" in last_line(stderr)
    (row,) = runs(db)
    assert row["status"] == "error" and row["finished_at"] is not None
    assert temp_files(tmp_path) == []
