"""`aidigest week` on a week of days built from real recordings (tests/week_days.py says which day is real, which is
rebuilt and how): the ranking across days, the missing-day note, idempotence, the LLM call count against the
benchmark's fake OpenAI-compatible server on 127.0.0.1 (bench/fake_llm.py's Responder: valid Korean four-part
answers, no model runs), and the weekly message reaching a JSON webhook and an SMTP server on 127.0.0.1 once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from week_days import FAILED, MONDAY, NOT_COLLECTED, REBUILT, SUNDAY, WEEK, make_week, returning_keys

from aidigest.infra.store import Store
from aidigest.weekly.report import WeeklyDigest

REPO = Path(__file__).resolve().parents[2]


def aidigest(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "OPENAI_", "ANTHROPIC_", "TOGETHER_"))}
    e.update({"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1", "COLUMNS": "200"})
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "aidigest.cli", *args], cwd=cwd, env=e, capture_output=True, text=True,
                          timeout=300)


def week_args(work: Path, reports: Path, db: Path, *more: str) -> list[str]:
    cfg = work / "aidigest.toml"
    cfg.write_text("", encoding="utf-8")  # the defaults, whatever the user's config folder holds
    return ["week", "--week", WEEK, "--db", str(db), "--out", str(reports), "--config", str(cfg), *more]


def files(reports: Path) -> dict[str, bytes]:
    root = reports / "weekly" / WEEK
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


@pytest.fixture(scope="module")
def offline_week(tmp_path_factory):
    work = tmp_path_factory.mktemp("week")
    reports, db = make_week(work)
    r = aidigest(*week_args(work, reports, db, "--llm", "none"), cwd=work)
    assert r.returncode == 0, r.stderr
    return work, reports, db, r


def load(reports: Path, kind_word: str) -> WeeklyDigest:
    return WeeklyDigest.model_validate_json((reports / "weekly" / WEEK / f"{kind_word}_{WEEK}.json").read_bytes())


def test_a_story_seen_on_three_days_is_counted_once_with_its_days(offline_week):
    _, reports, db, _ = offline_week
    week = load(reports, "News")
    with Store(db) as store:
        back = returning_keys(store)
    assert len(back) == 3
    listed = [e for sec in week.sections for e in sec.entries]
    for key in back:
        assert len([e for e in listed if e.key == key]) <= 1, key  # listed once at most, never once per day
        ret = [e for e in week.returning if e.key == key]
        assert len(ret) == 1, key
        assert ret[0].days == [REBUILT[0], REBUILT[1], SUNDAY]
        assert SUNDAY in ret[0].reported_days and set(ret[0].reported_days) <= set(ret[0].days)
    # returning stories come first: most days first
    assert [len(e.days) for e in week.returning] == sorted((len(e.days) for e in week.returning), reverse=True)
    # each section is ranked by the week's score; shares add up to one; every category counted once per story
    for sec in week.sections:
        scores = [e.score for e in sec.entries]
        assert scores == sorted(scores, reverse=True)
    assert abs(sum(s.share for s in week.sections) - 1.0) < 1e-9
    assert week.stats.stories == sum(s.stories for s in week.sections)
    keys = [e.key for sec in week.sections for e in sec.entries]
    assert len(keys) == len(set(keys))
    # a category's count is its distinct stories: the three returning ones once each
    with Store(db) as store:
        seen = store.items_between(MONDAY, SUNDAY, "news")
    assert all(len(seen[k][1]) == 3 for k in back)
    md = (reports / "weekly" / WEEK / f"News_{WEEK}_report.md").read_text(encoding="utf-8")
    e = next(e for e in week.returning if e.key == back[0])
    assert 1 <= md.count(f"({e.url})") <= 2  # under "kept coming back", and in its section if in its top
    assert "3일 등장: 07-27 월, 07-29 수, 08-02 일" in md


def test_the_week_before_gives_each_category_its_change(offline_week):
    _, reports, _, _ = offline_week
    week = load(reports, "News")
    assert week.stats.stories_before > 0
    assert all(s.share_before is not None for s in week.sections)
    md = (reports / "weekly" / WEEK / f"News_{WEEK}_report.md").read_text(encoding="utf-8")
    assert "## 📊 분야별 비중" in md and "| 분야 | 이번 주 | 비중 | 지난주 | 변화 |" in md


def test_missing_days_are_named_with_their_reason(offline_week):
    _, reports, _, r = offline_week
    for word in ("News", "Papers"):
        week = load(reports, word)
        status = {d.day: d.status for d in week.days}
        assert status[FAILED] == "all_failed"
        assert all(status[d] == "not_collected" for d in NOT_COLLECTED)
        assert status[SUNDAY] == status[MONDAY] == "reported"
        failed = next(d for d in week.days if d.day == FAILED)
        assert failed.failed and all(o.status == "no_recording" for o in failed.failed)
    md = (reports / "weekly" / WEEK / f"News_{WEEK}_report.md").read_text(encoding="utf-8")
    assert "**이번 주 수집:** 7일 중 3일 보고서" in md
    line = next(ln for ln in md.splitlines() if ln.startswith(" - 2026-07-30 (목): 모든 소스 실패 — "))
    assert "Hacker News: 녹화본에 이 요청의 응답이 없음" in line  # each source of the kind, in words
    for d in NOT_COLLECTED:
        assert f"{d.isoformat()} ({'월화수목금토일'[d.weekday()]}): 수집하지 않음 (실행 기록 없음)" in md
    assert "missing: 2026-07-28 not_collected, 2026-07-30 all_failed" in r.stdout


def test_offline_week_is_the_honest_list_and_a_rerun_writes_the_same_bytes(offline_week):
    work, reports, db, _ = offline_week
    md = (reports / "weekly" / WEEK / f"News_{WEEK}_report.md").read_text(encoding="utf-8")
    assert md.startswith(f"# Weekly Artificial Intelligence Insights : News — {WEEK} (2026-07-27 ~ 2026-08-02)\n")
    assert "LLM 없이 만든 주간 보고서입니다" in md and "**요약:**" not in md  # no invented prose
    before = files(reports)
    assert set(before) == {f"News_{WEEK}_report.md", f"News_{WEEK}.json", f"Papers_{WEEK}_report.md", f"Papers_{WEEK}.json"}
    r = aidigest(*week_args(work, reports, db, "--llm", "none"), cwd=work)
    assert r.returncode == 0, r.stderr
    assert files(reports) == before


def test_llm_week_costs_one_call_per_category_and_a_rerun_none(tmp_path):
    from fakes.responder import Responder, call_kind
    from fakes.fake_openai import FakeOpenAIServer

    reports, db = make_week(tmp_path)
    env = {"OPENAI_API_KEY": "sk-week-test"}
    with FakeOpenAIServer(responder=Responder({}, ["llm"])) as srv:
        env["OPENAI_BASE_URL"] = srv.base_url
        r1 = aidigest(*week_args(tmp_path, reports, db, "--llm", "openai:fake-model"), cwd=tmp_path, env=env)
        assert r1.returncode == 0, r1.stderr
        first = list(srv.completion_requests)
        out1 = files(reports)
        r2 = aidigest(*week_args(tmp_path, reports, db, "--llm", "openai:fake-model"), cwd=tmp_path, env=env)
        assert r2.returncode == 0, r2.stderr
        second = srv.completion_requests[len(first):]
    news, papers = load(reports, "News"), load(reports, "Papers")
    categories = len(news.sections) + len(papers.sections)
    summaries = [q for q in first if call_kind(q.body) == "summary"]
    answered = [q for q in summaries if q.answered == 200]
    assert len(answered) == categories  # one call per category (every answer passed its checks)
    assert len(first) <= categories + 3, len(first)  # + a constant: structured-output mode discovery
    assert second == []  # the rerun: every answer from the cache
    assert files(reports) == out1  # and the same bytes
    print(f"\nweek {WEEK} with the fake LLM: {len(first)} requests for {categories} categories; {r1.stdout.splitlines()[-1]}")
    # the prompt carries the week's stories with their days, not every item of the week
    prompt = json.dumps(answered[0].body["messages"], ensure_ascii=False)
    assert "Seen on: " in prompt and "Week: 2026-W31" in prompt
    assert all(sec.summary is not None and sec.summary.method == "llm" for sec in news.sections)
    md = (reports / "weekly" / WEEK / f"News_{WEEK}_report.md").read_text(encoding="utf-8")
    assert "**요약:**" in md and "1. **주요 주제**:" in md and "**출처:**" in md and "[1]" in md
    assert "LLM 없이" not in md
    assert "LLM: openai:fake-model — 0 calls" in r2.stdout


def test_weekly_message_reaches_a_webhook_and_an_smtp_server_once(offline_week, tmp_path):
    from fakes.receivers import HookServer, SmtpServer

    work, reports, _, _ = offline_week
    db = tmp_path / "deliveries.db"
    with HookServer() as hooks, SmtpServer() as smtp:
        targets = (f"json://127.0.0.1:{hooks.port}/week "
                   f"mailto://127.0.0.1:{smtp.port}?from=digest@example.com&to=reader@example.com&mode=insecure")
        env = {"AIDIGEST_NOTIFY": targets, "AIDIGEST_SITE_URL": "https://me.github.io/digest"}
        for _ in range(2):  # the second run sends nothing: once per (week, kind, target)
            r = aidigest("notify", "--week", WEEK, "--db", str(db), "--out", str(reports), cwd=work, env=env)
            assert r.returncode == 0, r.stderr
        assert "already sent" in r.stdout
        assert len(hooks.requests) == 2 and len(smtp.envelopes) == 2  # news + papers, each once
        news = next(q.json for q in hooks.requests if "뉴스" in q.json["title"])
        assert news["title"] == f"AI 다이제스트 주간 {WEEK} · 뉴스"
        assert f"https://me.github.io/digest/week/{WEEK}-news.html" in news["message"]
        assert "(3일)" in news["message"]  # a story that kept coming back says so
        assert "2026-07-30" in news["message"]  # the missing days
        mail = next(m for m in smtp.messages if "뉴스" in m["Subject"])
        assert WEEK in mail["Subject"] and f"week/{WEEK}-news.html" in mail.get_body(("plain",)).get_content()


def test_week_without_any_day_and_a_bad_week_are_one_line(tmp_path):
    cfg = tmp_path / "aidigest.toml"
    cfg.write_text("", encoding="utf-8")
    base = ["--db", str(tmp_path / "s.db"), "--out", str(tmp_path / "reports"), "--config", str(cfg)]
    r = aidigest("week", "--week", "2026-W60", *base, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "2026 has no week 60" in r.stderr
    r = aidigest("week", "--week", "2026-W10", *base, cwd=tmp_path)
    assert r.returncode == 1 and "nothing stored for 2026-W10" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "reports" / "weekly" / "2026-W10").exists()
    r = aidigest("week", "--week", "2026-W31", "--date", "2026-08-02", *base, cwd=tmp_path)
    assert r.returncode == 2


def test_default_week_is_the_last_complete_one():
    import datetime as dt

    from aidigest.weekly.build import resolve_week

    monday_noon_utc = dt.datetime(2026, 8, 3, 3, 0, tzinfo=dt.UTC)  # Monday 12:00 in Seoul
    assert resolve_week(None, None, "Asia/Seoul", monday_noon_utc) == dt.date(2026, 7, 27)
    sunday_utc = dt.datetime(2026, 8, 2, 14, 0, tzinfo=dt.UTC)  # still Sunday 23:00 in Seoul: W31 is not over
    assert resolve_week(None, None, "Asia/Seoul", sunday_utc) == dt.date(2026, 7, 20)
    assert resolve_week(None, "2026-08-02", "UTC") == dt.date(2026, 7, 27)
    assert resolve_week("2026-W31", None, "UTC") == dt.date(2026, 7, 27)


def test_llm_prompt_carries_the_days_summaries_and_a_failed_answer_falls_back_to_the_list(tmp_path):
    """Sunday's News export replaced by the golden demo_llm export (the same day through the LLM path with the
    benchmark's fake LLM, tests/data/golden/demo_llm): its category summaries reach the weekly prompt as context.
    Then a server whose every answer is unusable: each category is tried twice and shown as the offline list."""
    import shutil

    from fakes.responder import Responder, call_kind
    from fakes import Reply
    from fakes.fake_openai import FakeOpenAIServer

    from aidigest.report import Digest

    reports, db = make_week(tmp_path)
    golden = REPO / "tests" / "data" / "golden" / "demo_llm" / "out" / "2026-08-02" / "News_2026-08-02.json"
    shutil.copyfile(golden, reports / "2026-08-02" / "News_2026-08-02.json")
    daily = Digest.model_validate_json(golden.read_bytes())
    theme = next(sec for sec in daily.sections if sec.summary is not None).summary.themes[0].text
    env = {"OPENAI_API_KEY": "sk-week-test"}
    with FakeOpenAIServer(responder=Responder({}, ["llm"])) as srv:
        env["OPENAI_BASE_URL"] = srv.base_url
        r = aidigest(*week_args(tmp_path, reports, db, "--llm", "openai:fake-model"), cwd=tmp_path, env=env)
        assert r.returncode == 0, r.stderr
        prompts = [json.dumps(q.body["messages"], ensure_ascii=False) for q in srv.completion_requests
                   if call_kind(q.body) == "summary"]
    with_daily = [p for p in prompts if "Daily summaries of this category" in p]
    assert with_daily and all(theme in p for p in with_daily)
    assert all("daily summary 2026-08-02" in p for p in with_daily)

    bad = tmp_path / "bad"
    reports2, db2 = make_week(bad)
    with FakeOpenAIServer(responder=lambda req: Reply(json={"nothing": "useful"})) as srv:
        env["OPENAI_BASE_URL"] = srv.base_url
        r = aidigest(*week_args(bad, reports2, db2, "--llm", "openai:fake-model"), cwd=bad, env=env)
        assert r.returncode == 0, r.stderr
    news = load(reports2, "News")
    assert all(sec.summary is None for sec in news.sections)
    assert sum(news.fallbacks.values()) == len(news.sections)
    md = (reports2 / "weekly" / WEEK / f"News_{WEEK}_report.md").read_text(encoding="utf-8")
    assert "LLM 요약이 검사를 통과하지 못한 분야는" in md and "**요약:**" not in md and "llm → list (" in md
    assert "fallback:" in r.stderr


def test_english_week(offline_week, tmp_path):
    work, reports, db, _ = offline_week
    r = aidigest(*week_args(work, reports, db, "--llm", "none", "--lang", "en"), cwd=work)
    assert r.returncode == 0, r.stderr
    md = (reports / "weekly" / WEEK / f"News_{WEEK}_report_en.md").read_text(encoding="utf-8")
    assert "**Missing days:**" in md
    assert "Hacker News: the recording has no response" in next(ln for ln in md.splitlines() if "2026-07-30 (Thu): every source failed — " in ln)
    assert "## 📊 Share by category" in md and "seen on 3 days: 07-27 Mon, 07-29 Wed, 08-02 Sun" in md


def test_reader_profiles_can_plug_in_their_own_ranking_and_filter(offline_week):
    """The extension point left for reader profiles (issue 23 item 4, built elsewhere): a scorer and a filter."""
    import asyncio
    from dataclasses import replace

    from aidigest.config import Config
    from aidigest.taxonomy import load_taxonomy
    from aidigest.weekly.build import WeekContext, build_week

    _, reports, db, _ = offline_week
    with Store(db) as store:
        ctx = WeekContext(config=Config(), store=store, out_dir=reports, language="ko", taxonomy=load_taxonomy())
        shared = asyncio.run(build_week(ctx, MONDAY, "news"))
        fewest = asyncio.run(build_week(replace(ctx, score=lambda it, days: -float(it.hn_points or 0)), MONDAY, "news"))
        no_llm = asyncio.run(build_week(replace(ctx, keep=lambda it: "LLM" not in it.title), MONDAY, "news"))
    assert shared == load(reports, "News")  # the default context is the shared week
    sec = next(s for s in fewest.sections if s.stories > len(s.entries))
    points = [e.hn_points or 0 for e in sec.entries]
    assert points == sorted(points)  # the reader's own order
    assert all("LLM" not in e.title for s in no_llm.sections for e in s.entries)
    assert no_llm.stats.stories < shared.stats.stories
