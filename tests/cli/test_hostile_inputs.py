"""What an unattended service must survive (issue 18, item 7) and the command line's details (issue 19, item 6):
hostile or mistaken input gives one line and the README's exit code, never a traceback. Real subprocesses, the demo's
real recording, real SQLite files; the LLM is a fake OpenAI-compatible server on 127.0.0.1 (tests/fakes)."""

from __future__ import annotations

import datetime as dt

import pytest

from clihelp import DEMO, aidigest, no_traceback  # noqa: E402


def one_line_error(r, code: int) -> str:
    assert r.returncode == code, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    assert no_traceback(r), r.stderr[-3000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


# ---- dates: the supported range is decided once, where dates are parsed (aidigest.days) --------------------
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
