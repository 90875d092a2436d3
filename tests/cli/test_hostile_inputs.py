"""What an unattended service must survive (issue 18, item 7) and the command line's details (issue 19, item 6):
hostile or mistaken input gives one line and the README's exit code, never a traceback. Real subprocesses, the demo's
real recording, real SQLite files; the LLM is a fake OpenAI-compatible server on 127.0.0.1 (tests/fakes)."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import sqlite3
from pathlib import Path

import pytest

from clihelp import DAY, DEMO, aidigest, no_traceback  # noqa: E402
from test_bad_state import in_namespace, needs_mounts, read_only  # noqa: E402 - the private mount namespace harness


def one_line_error(r, code: int) -> str:
    assert r.returncode == code, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    assert no_traceback(r), r.stderr[-3000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


# ---- dates: the supported range is decided once, where dates are parsed (aidigest.infra.days) --------------------
@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-02", "1969-12-31"])
def test_a_day_before_the_epoch_is_one_line_exit_2(tmp_path, day):
    """Before: 0001-01-01 and 0001-01-02 ended in a 62-line OverflowError traceback (deliver/notify.py), exit 1."""
    r = aidigest("run", "--date", day, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"), "--out",
                 str(tmp_path / "r"), "--llm", "none", cwd=tmp_path)
    line = one_line_error(r, 2)
    assert day in line and "1970-01-01" in line
    assert not (tmp_path / "s.db").exists() and not (tmp_path / "r").exists()  # refused before anything was made


def test_a_day_that_has_not_begun_is_refused_before_any_fetch(tmp_path):
    """Before: --date 2030-01-01 fetched every source and ended "no items", exit 1."""
    r = aidigest("run", "--date", "2030-01-01", "--replay", str(DEMO), "--db", str(tmp_path / "s.db"),
                 "--out", str(tmp_path / "r"), "--llm", "none", cwd=tmp_path)
    line = one_line_error(r, 2)
    assert "2030-01-01" in line and "has not begun" in line and "Asia/Seoul" in line
    assert not (tmp_path / "s.db").exists()
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()  # after today in every zone
    r = aidigest("run", "--from", "2026-08-01", "--to", tomorrow, "--db", str(tmp_path / "s.db"), cwd=tmp_path)
    assert tomorrow in one_line_error(r, 2)


# ---- cache clear -----------------------------------------------------------------------------------------
def test_cache_clear_with_a_negative_age_is_one_line_exit_2(tmp_path):
    """Before: a 44-line ValueError traceback, exit 1."""
    r = aidigest("cache", "clear", "--older-than-days", "-5", "--db", str(tmp_path / "s.db"), cwd=tmp_path)
    assert "--older-than-days -5" in one_line_error(r, 2)
    assert not (tmp_path / "s.db").exists()


# ---- a damaged store is found before the first write --------------------------------------------------------
def damage_pages(db: Path, table: str, count: int) -> list[int]:
    """Overwrite `count` leaf pages of `table` in the middle of the file with random bytes (a disk fault)."""
    conn = sqlite3.connect(db)
    try:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' "
                                            "ORDER BY pageno", (table,))]
    finally:
        conn.close()
    middle = pages[len(pages) // 2 : len(pages) // 2 + count]
    with open(db, "r+b") as f:
        for page in middle:
            f.seek((page - 1) * size)
            f.write(random.Random(page).randbytes(size))
    return middle


def test_a_store_with_damaged_pages_is_refused_before_anything_is_written(tmp_path):
    """Before: the run wrote its `runs` row, then met the damage: exit 1 and the damaged file changed."""
    db = tmp_path / "s.sqlite3"
    r = aidigest("run", "--date", DAY, "--replay", str(DEMO), "--db", str(db), "--out", str(tmp_path / "r"),
                 "--llm", "none", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert not Path(f"{db}-wal").exists()
    assert len(damage_pages(db, "items", 2)) == 2
    before = db.read_bytes()
    r = aidigest("run", "--date", DAY, "--replay", str(DEMO), "--db", str(db), "--out", str(tmp_path / "r2"),
                 "--llm", "none", cwd=tmp_path)
    line = one_line_error(r, 2)
    assert str(db) in line and "damaged" in line and "move it aside" in line
    assert db.read_bytes() == before  # byte-identical: not even a `runs` row
    assert not [p for p in (tmp_path / "r2").rglob("*") if p.is_file()]  # no report


# ---- commands that only read open the store read-only -------------------------------------------------------
@needs_mounts
@pytest.mark.parametrize("command", [("sources",), ("cache", "stats")])
def test_read_only_commands_inspect_a_read_only_store(tmp_path, command):
    """Before: both failed with "store ... cannot be written" (exit 2): the store was opened for writing."""
    disk = tmp_path / "ro"
    disk.mkdir()
    db = disk / "s.sqlite3"
    r = aidigest("run", "--date", DAY, "--replay", str(DEMO), "--db", str(db), "--out", str(tmp_path / "r"),
                 "--llm", "none", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    before = {p.name: p.read_bytes() for p in disk.iterdir()}
    r, res = in_namespace({"mount": read_only(disk), "args": [*command, "--db", str(db)], "cwd": str(tmp_path),
                           "inspect": str(disk)})
    assert r.returncode == 0 and no_traceback(r), r.stderr
    if command == ("sources",):
        assert "hackernews" in r.stdout and "ok" in r.stdout  # the last outcomes were read
    else:
        assert json.loads(r.stdout)["entries"] == 0
    assert {p.name: p.read_bytes() for p in disk.iterdir()} == before


# ---- the command line's details (issue 19) ----------------------------------------------------------------
def test_quiet_prints_errors_only(tmp_path):
    """Before: -q still printed the source warning and the Sources table, the LLM line and the report lines."""
    args = ("run", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"), "--out", str(tmp_path / "r"),
            "--llm", "none")
    loud = aidigest(*args, cwd=tmp_path)
    assert loud.returncode == 0 and "warning:" in loud.stderr and "Sources" in loud.stdout  # there is something to hide
    r = aidigest("-q", *args, "--replace", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (r.stdout, r.stderr) == ("", "")
    r = aidigest("-q", "run", "--date", "someday", "--db", str(tmp_path / "s.db"), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error:")  # errors still show


def test_classify_of_binary_input_names_a_few_bad_lines_and_counts_the_rest(tmp_path):
    """Before: one error line per bad input line (2.2 million lines, 161 MB, from 20 s of /dev/urandom)."""
    from aidigest.classify.jsonl import MAX_NAMED_ERRORS

    noise = random.Random(7).randbytes(2_000_000)  # what `classify < /dev/urandom` reads, a finite piece of it
    good = b'{"title": "A new open-weight large language model beats GPT-4 on reasoning benchmarks"}\n'
    r = aidigest("classify", "--llm", "none", "--db", str(tmp_path / "s.db"), cwd=tmp_path,
                 stdin=noise + b"\n" + good + noise)
    stderr, stdout = r.stderr.decode("utf-8"), r.stdout.decode("utf-8")  # bytes in, bytes out
    assert r.returncode == 1 and "Traceback" not in stderr, stderr[-2000:]
    lines = stderr.splitlines()
    named = [ln for ln in lines if ln.endswith("line skipped")]
    assert len(named) == MAX_NAMED_ERRORS and len(lines) <= MAX_NAMED_ERRORS + 3, lines[-5:]
    in_all = re.search(r"error: ([\d,]+) bad input lines in all", stderr)
    skipped = re.search(r"error: (\d+) input line\(s\) skipped", stderr)
    assert in_all and skipped and int(in_all.group(1).replace(",", "")) == int(skipped.group(1)), lines[-3:]
    # every non-blank line of noise is bad (not UTF-8 or not JSON); blank ones are ignored
    assert int(skipped.group(1)) > noise.count(b"\n") * 2 * 0.9
    assert [json.loads(ln)["category"] for ln in stdout.splitlines()] == ["llm"]  # the good line still got through


@pytest.mark.parametrize("lang,meant", [("kr", "ko"), ("jp", "ja"), ("korean", "ko"), ("englsh", "en")])
def test_an_unknown_language_code_suggests_the_nearest_known_one(tmp_path, lang, meant):
    """Before: "--lang 'kr' is not a known language code (de, en, ...)" with no suggestion."""
    r = aidigest("run", "--date", DAY, "--replay", str(DEMO), "--lang", lang, "--db", str(tmp_path / "s.db"),
                 cwd=tmp_path)
    line = one_line_error(r, 2)
    assert f"did you mean {meant}?" in line and "not a known language code" in line
    assert not (tmp_path / "s.db").exists()


def commands() -> list[tuple[list[str], object]]:
    """(argv, click command) of every command and sub-command of `aidigest`."""
    import typer

    from aidigest.cli import app

    found = []

    def walk(cmd, path):
        found.append((path, cmd))
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_every_help_keeps_its_brackets_and_shows_flags_without_a_value(tmp_path):
    """Before: `train --help` read "use it with  classifier" (rich markup ate "[digest]"), and every flag was shown
    as taking a value: `--notify <bool>`, `-v <int>`, `--help <bool>`."""
    cmds = commands()
    assert len(cmds) >= 14
    for path, cmd in cmds:
        r = aidigest(*path, "--help", cwd=tmp_path)
        assert r.returncode == 0, (path, r.stderr)
        flat = " ".join(r.stdout.replace("│", " ").split())
        texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
        for text in texts:
            for bracket in re.findall(r"\\?\[[^\[\]\s]+\]", text):  # "[digest]" (written "\[digest]" for rich)
                assert bracket.lstrip("\\") in flat, (path, bracket)
        for p in cmd.params:
            if getattr(p, "is_flag", False) or getattr(p, "count", False):
                for opt in p.opts:
                    assert not re.search(rf"{re.escape(opt)}\s+(?:-\w\s+)?<", flat), (path, opt, flat[:300])
    train = aidigest("train", "--help", cwd=tmp_path).stdout
    assert "[digest] classifier" in " ".join(train.split())


def test_notify_names_a_target_by_scheme_and_host_never_its_secrets(tmp_path):
    """Before: a target given as one variable (`${HOOK_URL}`) was named `#1 ***`, although docs/schedule.md promises
    scheme and host; user, password and path were never to be shown (and still are not)."""
    from fakes.receivers import HookServer, SmtpServer

    r = aidigest("run", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"), "--out",
                 str(tmp_path / "r"), "--llm", "none", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    user, password, token = "reader-login", "pa55-w0rd-77", "hook-token-31337"
    with HookServer() as hooks, SmtpServer() as smtp:
        env = {
            "AIDIGEST_NOTIFY": f"${{HOOK_URL}} mailto://${{SMTP_USER}}:${{SMTP_PASSWORD}}@127.0.0.1:{smtp.port}"
                               "?from=digest@example.com&to=reader@example.com&mode=insecure",
            "HOOK_URL": f"json://127.0.0.1:{hooks.port}/hook/{token}", "SMTP_USER": user, "SMTP_PASSWORD": password,
            "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
        }
        r = aidigest("notify", "--date", DAY, "--db", str(tmp_path / "s.db"), "--out", str(tmp_path / "r"),
                     cwd=tmp_path, env=env)
    shown = r.stdout + r.stderr
    # the SMTP receiver offers no login, so the mail with a user and password fails (exit 4): its failure lines
    # name the target the same way
    assert r.returncode == 4 and f"failed for 2026-08-02 news #2 mailto://127.0.0.1:{smtp.port};" in r.stderr, shown
    assert f"→ #1 json://127.0.0.1:{hooks.port}: " in shown, shown
    assert f"→ #2 mailto://127.0.0.1:{smtp.port}: " in shown, shown
    for secret in (user, password, token, "/hook"):
        assert secret not in shown
    labels = {row[0] for row in sqlite3.connect(tmp_path / "s.db").execute("SELECT label FROM deliveries")}
    assert labels == {f"#1 json://127.0.0.1:{hooks.port}", f"#2 mailto://127.0.0.1:{smtp.port}"}
