"""The command line end to end: real subprocesses, the demo's real recording, a real SQLite file, and for the
LLM path the fake OpenAI-compatible server on 127.0.0.1 (tests/fakes). Nothing touches the network."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fakes import Reply, sample_from_schema  # noqa: E402
from fakes.fake_openai import FakeOpenAIServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "replay" / "2026-08-02"
DAY = "2026-08-02"


def aidigest(*args: str, cwd: Path, env: dict | None = None, stdin: str | None = None, timeout: int = 300):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "OPENAI_", "ANTHROPIC_", "TOGETHER_"))}
    e.update(env or {})
    e["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "aidigest.cli", *args], cwd=cwd, env=e, input=stdin, capture_output=True,
        text=True, timeout=timeout,
    )


def no_traceback(r) -> bool:
    return "Traceback" not in r.stderr and "Traceback" not in r.stdout


def sections(md: str) -> list[str]:
    return [line for line in md.splitlines() if line.startswith("## ")]


# ---- user mistakes: one line, exit 2, no traceback --------------------------------------------------
def test_help_lists_every_command(tmp_path):
    r = aidigest("--help", cwd=tmp_path)
    assert r.returncode == 0
    for cmd in ("init", "collect", "run", "notify", "week", "where", "site", "sources", "classify", "train", "eval", "cache"):
        assert re.search(rf"\b{cmd}\b", r.stdout), cmd


@pytest.mark.parametrize(
    "args,needle",
    [
        (["collect", "--date", "2026-13-45"], "YYYY-MM-DD"),
        (["run", "--date", "someday"], "YYYY-MM-DD"),  # "yesterday" is a valid day since issue 11
        (["collect", "--date", DAY, "--replay", "no/such/dir"], "no recording"),
        (["run", "--date", DAY, "--llm", "gpt4"], "gpt4"),
        (["run", "--date", DAY, "--llm", "openai:gpt-4o-mini", "--replay", str(DEMO)], "OPENAI_API_KEY"),
        (["collect", "--config", "missing.toml"], "does not exist"),
        (["run", "--date", DAY, "--lang", "korean", "--replay", str(DEMO)], "not a known language code"),
    ],
)
def test_user_errors_are_one_line(tmp_path, args, needle):
    r = aidigest(*args, "--db", str(tmp_path / "x.db"), cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and no_traceback(r)


def test_init_writes_the_reference_and_refuses_to_overwrite(tmp_path):
    r = aidigest("init", cwd=tmp_path)
    assert r.returncode == 0
    text = (tmp_path / "aidigest.toml").read_text()
    assert "[llm]" in text and "OPENAI_API_KEY" in text
    r2 = aidigest("init", cwd=tmp_path)
    assert r2.returncode == 2 and "already exists" in r2.stderr and no_traceback(r2)


# ---- collect ----------------------------------------------------------------------------------------
def test_collect_demo_day_names_missing_source_and_is_idempotent(tmp_path):
    db = tmp_path / "s.db"
    r = aidigest("collect", "--date", DAY, "--replay", str(DEMO), "--db", str(db), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "techreview_kr" in r.stderr and "no recording" in r.stderr  # named, not fatal
    m = re.search(r"(\d+) items \((\d+) new", r.stdout)
    assert m and int(m.group(1)) > 50 and m.group(1) == m.group(2)
    r2 = aidigest("collect", "--date", DAY, "--replay", str(DEMO), "--db", str(db), cwd=tmp_path)
    assert re.search(r"\((0) new", r2.stdout), r2.stdout
    s = aidigest("sources", "--db", str(db), cwd=tmp_path)
    assert s.returncode == 0 and "no_recording" in s.stdout and "hf_papers" in s.stdout


def test_collect_exits_nonzero_only_when_every_source_failed(tmp_path):
    empty = tmp_path / "empty-recording"
    empty.mkdir()
    (empty / "index.json").write_text('{"version": 1, "entries": []}')
    r = aidigest("collect", "--date", DAY, "--replay", str(empty), "--db", str(tmp_path / "s.db"), cwd=tmp_path)
    assert r.returncode == 1 and "every source failed" in r.stderr and no_traceback(r)
    assert len(r.stderr.strip().splitlines()[-1]) > 20


# ---- run, offline -----------------------------------------------------------------------------------
def test_run_offline_writes_both_reports_and_reruns_identically(tmp_path):
    args = ("run", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"), "--out", str(tmp_path / "out"))
    r = aidigest(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "out" / DAY
    news, papers = folder / f"News_{DAY}_report.md", folder / f"Papers_{DAY}_report.md"
    for p in (news, papers, folder / f"news_{DAY}.png", folder / f"News_{DAY}.json", folder / f"Papers_{DAY}.json"):
        assert p.exists() and p.stat().st_size > 0, p
    md = papers.read_text()
    assert md.startswith(f"# Daily Artificial Intelligence Insights : Papers — {DAY}\n")
    assert len(sections(md)) >= 3
    # offline: a ranked list with result sentences, no four-part imitation of an analysis
    for part in ("주요 주제", "주요 사건", "영향 분석", "최종 요약", "핵심어"):
        assert part not in md
    assert md.count(" — 원문 발췌: “") >= 10  # on the items' own lines: " - [n] [title](url) — 원문 발췌: “…”"
    news_md = news.read_text()
    heads = sections(news_md)
    assert heads[-2:] == ["## 💻 그 밖의 기술 소식", "## 🩺 실행 상태"] and "## 💻 소프트웨어·컴퓨팅" not in heads
    assert "news: 30 items collected, " in r.stdout and "other tech" in r.stdout
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    r2 = aidigest(*args, cwd=tmp_path)
    assert r2.returncode == 0
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert before == after  # same items -> same reports, byte for byte
    # another language: files with a suffix, the Korean ones untouched
    r3 = aidigest(*args, "--lang", "en", cwd=tmp_path)
    assert r3.returncode == 0, r3.stderr
    en = folder / f"News_{DAY}_report_en.md"
    assert en.read_text().startswith(f"# Daily Artificial Intelligence Insights : News — {DAY}\n")
    assert "## 💻 Other tech news" in en.read_text()
    assert (folder / f"news_{DAY}_en.png").exists() and (folder / f"Papers_{DAY}_en.json").exists()
    assert {n: b for n, b in ((p.name, p.read_bytes()) for p in folder.iterdir()) if n in before} == before


# ---- run with an LLM (fake OpenAI-compatible server on loopback) -------------------------------------
def korean_summary(req) -> Reply:
    """Answers summary calls with a valid Korean section citing real source numbers; other calls
    (classification) get schema-valid JSON generated from the request's schema."""
    body = req.body or {}
    rf = body.get("response_format") or {}
    schema = (rf.get("json_schema") or {}).get("schema") or rf.get("schema") or {}
    if "themes" not in json.dumps(schema):
        return Reply(json=sample_from_schema(schema)) if schema else Reply()
    prompt = body["messages"][-1]["content"]
    n = int(re.search(r"Sources \((\d+),", prompt).group(1))
    point = lambda t, c: {"text": t, "cites": c}  # noqa: E731
    answer = {
        "themes": [point("이 분야의 새로운 연구와 발표가 이어졌다.", [1])],
        "events": [point(f"{i}번 출처가 새로운 결과를 발표했다.", [i]) for i in range(1, min(n, 6) + 1)],
        "impact": [point("연구자들이 바로 활용할 수 있는 방법과 자료가 늘었다.", [1])],
        "bottom_line": [point("오늘 이 분야에서 가장 주목할 결과는 1번 출처이다.", [1])],
        "tldr": [{"n": i, "text": f"{i}번 출처의 핵심 내용을 한 문장으로 정리했다."} for i in range(1, n + 1)],
    }
    return Reply(json=answer, tokens_in=900, tokens_out=400)


def test_run_with_openai_compatible_server_then_rerun_makes_zero_calls(tmp_path):
    with FakeOpenAIServer(responder=korean_summary) as srv:
        env = {"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": "sk-test-not-a-real-key"}
        args = ("run", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"),
                "--out", str(tmp_path / "out"), "--llm", "openai:gpt-4o-mini")
        r = aidigest(*args, cwd=tmp_path, env=env)
        assert r.returncode == 0, r.stderr
        first = srv.count
        assert first > 0
        md = (tmp_path / "out" / DAY / f"Papers_{DAY}_report.md").read_text()
        assert "1번 출처의 핵심 내용" in md  # the LLM's TL;DRs reached the report
        assert "1. **주요 주제**:" in md and "LLM 없이 만든" not in md  # the four parts, only because an LLM wrote them
        health = md[md.index("🩺"):] if "🩺" in md else md[-3000:]
        assert "openai:gpt-4o-mini" in health
        calls = int(re.search(r"호출 (\d+)회", health).group(1))
        tokens_in = int(re.search(r"입력 토큰 (\d+)", health).group(1))
        assert calls == first and tokens_in > 0 and re.search(r"비용 \\?\$0\.\d{4}", health)
        assert "sk-test-not-a-real-key" not in md + r.stdout + r.stderr

        r2 = aidigest(*args, cwd=tmp_path, env=env)
        assert r2.returncode == 0
        assert srv.count == first  # every answer came from the SQLite cache
        assert re.search(r"0 calls", r2.stdout)
        stats = aidigest("cache", "stats", "--db", str(tmp_path / "s.db"), cwd=tmp_path)
        assert stats.returncode == 0 and '"entries"' in stats.stdout


# ---- classify / eval --------------------------------------------------------------------------------
def test_classify_stdin_to_stdout(tmp_path):
    lines = [
        json.dumps({"title": "Gradle 8.10 released with faster configuration cache"}),
        json.dumps({"title": "OpenAI raises $6.6B at a $157B valuation", "snippet": "The funding round..."}),
        "not json",
    ]
    r = aidigest("classify", cwd=tmp_path, stdin="\n".join(lines) + "\n")
    assert r.returncode == 1 and "line 3" in r.stderr and no_traceback(r)
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(out) == 2 and out[0]["category"] == "software" and out[1]["category"] == "business"
