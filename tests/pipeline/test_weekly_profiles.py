"""Reader profiles get the week too (issue 23, item 4), end to end through the real CLI on the week of
tests/week_days.py (which day is real, which rebuilt from real recordings, is said there): two profiles with
different interests ("nlp": language-model interests; "vision": image/video keywords, LLM muted), each with its
own week ranked by its profile score, the shared weekly summaries reused (the same LLM calls as with no profile),
its own webhook receiving its weekly messages once, and its own weekly pages on its site.

The LLM is the benchmark's fake OpenAI-compatible server on 127.0.0.1 (bench/fake_llm.py's Responder: valid
Korean four-part answers, no model runs), as in tests/pipeline/test_weekly.py; the webhooks are
tests/fakes/receivers.HookServer (real HTTP on loopback, apprise's real requests)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from clihelp import llm_line
from fakes.fake_openai import FakeOpenAIServer
from fakes.receivers import HookServer
from test_weekly import aidigest, files
from week_days import WEEK, make_week

from aidigest.weekly.report import WeeklyDigest

NAMES = ("nlp", "vision")


@pytest.fixture(scope="module")
def weeks(tmp_path_factory):
    from fakes.responder import Responder

    work = tmp_path_factory.mktemp("weekprof")
    env = {"OPENAI_API_KEY": "sk-week-test"}
    with FakeOpenAIServer(responder=Responder({}, ["llm"])) as srv, HookServer() as nlp_hook, HookServer() as vision_hook:
        env["OPENAI_BASE_URL"] = srv.base_url
        # the reference: the same week, no profile
        plain = work / "plain"
        reports0, db0 = make_week(plain)
        (plain / "aidigest.toml").write_text("", encoding="utf-8")
        r0 = aidigest("week", "--week", WEEK, "--db", str(db0), "--out", str(reports0), "--config", str(plain / "aidigest.toml"),
                      "--llm", "openai:fake-model", cwd=plain, env=env)
        assert r0.returncode == 0, r0.stderr
        plain_requests = len(srv.completion_requests)
        srv.reset()

        prof = work / "prof"
        reports, db = make_week(prof)
        cfg = prof / "aidigest.toml"
        cfg.write_text(f"""
[http]
allow_networks = ["127.0.0.1/32"]

[profiles.nlp]
interests = ["대형 언어 모델의 추론과 평가", "large language models, reasoning and agents"]
targets = ["json://127.0.0.1:{nlp_hook.port}/nlp"]

[profiles.vision]
interests = ["image and video generation, computer vision"]
include_keywords = ["vision", "image", "video", "이미지"]
exclude_keywords = ["LLM"]
targets = ["json://127.0.0.1:{vision_hook.port}/vision"]
""", encoding="utf-8")
        r1 = aidigest("week", "--week", WEEK, "--db", str(db), "--out", str(reports), "--config", str(cfg),
                      "--llm", "openai:fake-model", "--notify", cwd=prof, env=env)
        assert r1.returncode == 0, r1.stderr
        prof_requests = len(srv.completion_requests)
        first = profile_files(reports)
        rerun = aidigest("week", "--week", WEEK, "--db", str(db), "--out", str(reports), "--config", str(cfg),
                         "--llm", "openai:fake-model", cwd=prof, env=env)
        assert rerun.returncode == 0, rerun.stderr
        rerun_requests = len(srv.completion_requests) - prof_requests
        again = aidigest("notify", "--week", WEEK, "--db", str(db), "--out", str(reports), "--config", str(cfg), cwd=prof)
        site = aidigest("site", "--reports", str(reports), "--db", str(db), "--out", str(prof / "site"), "--config", str(cfg),
                        cwd=prof)
        assert site.returncode == 0, site.stderr
        return {"r0": r0, "r1": r1, "rerun": rerun, "rerun_requests": rerun_requests, "first": first, "again": again, "site": site, "plain_requests": plain_requests,
                "prof_requests": prof_requests, "plain_reports": reports0, "reports": reports, "db": db,
                "site_dir": prof / "site", "nlp": list(nlp_hook.requests), "vision": list(vision_hook.requests)}


def profile_files(reports: Path) -> dict[str, bytes]:
    return {p.relative_to(reports).as_posix(): p.read_bytes() for p in sorted((reports / "profiles").rglob("*"))
            if p.is_file() and "weekly" in p.parts}


def week_of(w, name: str, word: str) -> WeeklyDigest:
    path = w["reports"] / "profiles" / name / "weekly" / WEEK / f"{word}_{WEEK}.json"
    return WeeklyDigest.model_validate_json(path.read_bytes())


def test_profiles_cost_no_llm_call_and_leave_the_shared_week_as_it_was(weeks):
    assert weeks["prof_requests"] == weeks["plain_requests"] > 0  # what the fake LLM server received
    assert llm_line(weeks["r1"].stdout) == llm_line(weeks["r0"].stdout)
    assert files(weeks["reports"]) == files(weeks["plain_reports"])  # the shared week, byte for byte
    # a rerun: no LLM call, every profile's week the same bytes
    assert weeks["rerun_requests"] == 0 and llm_line(weeks["rerun"].stdout)[0] == 0
    assert len(weeks["first"]) == 8 and profile_files(weeks["reports"]) == weeks["first"]
    print(f"\nweek {WEEK} with the fake LLM: {weeks['plain_requests']} requests without profiles, "
          f"{weeks['prof_requests']} with 2 profiles; {llm_line(weeks['r1'].stdout)[0]} calls")


def test_each_profile_writes_its_week_opening_with_its_picks(weeks):
    for name in NAMES:
        for word in ("News", "Papers"):
            md = (weeks["reports"] / "profiles" / name / "weekly" / WEEK / f"{word}_{WEEK}_report.md").read_text("utf-8")
            assert md.startswith(f"# Weekly Artificial Intelligence Insights : {word} — {WEEK} ")
            assert md[md.index("\n## "):].startswith(f"\n## ⭐ 추천 · {name}\n"), md[:800]
            w = week_of(weeks, name, word)
            assert w.profile == name and w.picks and w.picks[0].n == 1
            assert any(p.reason for p in w.picks[:3]), [p.reason for p in w.picks]
            assert "이번 주 많이 본 항목" in md or "관심사와 가까움" in md or "키워드" in md
        assert f"profile {name}: news → " in weeks["r1"].stdout.replace("\n", " ")
    print("\n" + (weeks["reports"] / "profiles" / "nlp" / "weekly" / WEEK / f"Papers_{WEEK}_report.md")
          .read_text("utf-8")[:1800])


def test_two_profiles_rank_the_week_differently(weeks):
    for word in ("News", "Papers"):
        nlp, vision = week_of(weeks, "nlp", word), week_of(weeks, "vision", word)
        assert [p.key for p in nlp.picks or []] != [p.key for p in vision.picks or []], word
        for w in (nlp, vision):
            for sec in w.sections:  # inside a category, the profile's order; numbered 1..n; citations point at them
                scores = [e.score for e in sec.entries]
                assert scores == sorted(scores, reverse=True), (w.profile, sec.category, scores)
                assert [e.n for e in sec.entries] == list(range(1, len(sec.entries) + 1))
                if sec.summary is not None:
                    assert {c for part in sec.summary.parts() for p in part for c in p.cites} <= {e.n for e in sec.entries}
                    assert all(e.tldr for e in sec.entries)
            picks = [p.score for p in w.picks or []]
            assert picks == sorted(picks, reverse=True)
    # vision mutes LLM: no story of its week has LLM as a word in its title; nlp's has some
    vision_titles = [e.title for word in ("News", "Papers") for s in week_of(weeks, "vision", word).sections for e in s.entries]
    nlp_titles = [e.title for word in ("News", "Papers") for s in week_of(weeks, "nlp", word).sections for e in s.entries]
    llm = re.compile(r"(?<![0-9a-z])LLM(?![0-9a-z])", re.I)
    assert not [t for t in vision_titles if llm.search(t)]
    assert [t for t in nlp_titles if llm.search(t)]
    # the days are the shared week's
    shared = WeeklyDigest.model_validate_json((weeks["reports"] / "weekly" / WEEK / f"News_{WEEK}.json").read_bytes())
    assert week_of(weeks, "nlp", "News").days == shared.days


def test_each_webhook_gets_its_own_weekly_messages_once(weeks):
    for name in NAMES:
        reqs = weeks[name]
        assert sorted(r.path for r in reqs) == [f"/{name}"] * 2, [r.path for r in reqs]  # news + papers, once each
        titles = sorted(r.json["title"] for r in reqs)
        assert titles == [f"AI 다이제스트 주간 {WEEK} · 논문 · {name}", f"AI 다이제스트 주간 {WEEK} · 뉴스 · {name}"]
        papers = week_of(weeks, name, "Papers")
        msg = next(r.json["message"] for r in reqs if "논문" in r.json["title"])
        assert papers.picks and papers.picks[0].url in msg
    assert weeks["again"].returncode == 0, weeks["again"].stderr
    assert "already sent" in weeks["again"].stdout and " sent (" not in weeks["again"].stdout
    rows = sqlite3.connect(weeks["db"]).execute("SELECT week, kind, status FROM week_deliveries ORDER BY kind").fetchall()
    assert rows == [(WEEK, "nlp:news", "sent"), (WEEK, "nlp:paper", "sent"), (WEEK, "vision:news", "sent"),
                    (WEEK, "vision:paper", "sent")]


def test_each_profile_site_has_its_weekly_pages(weeks):
    site: Path = weeks["site_dir"]
    for name in NAMES:
        page = site / "profiles" / name / "week" / f"{WEEK}-papers.html"
        html = page.read_text("utf-8")
        assert 'class="picks"' in html and f"추천 · {name}" in html
        assert (site / "profiles" / name / "feeds" / "weekly.xml").is_file()
    assert 'class="picks"' not in (site / "week" / f"{WEEK}-papers.html").read_text("utf-8")


def test_offline_profile_in_english_with_its_categories_only(tmp_path):
    """Without an LLM (the ranked lists), a profile reading English and two categories only: its files get the
    language suffix, its sections and picks are those categories, the shared Korean week is unchanged."""
    reports, db = make_week(tmp_path)
    plain = tmp_path / "plain.toml"
    plain.write_text("", encoding="utf-8")
    r0 = aidigest("week", "--week", WEEK, "--db", str(db), "--out", str(reports), "--config", str(plain), "--llm", "none",
                  cwd=tmp_path)
    assert r0.returncode == 0, r0.stderr
    before = files(reports)
    cfg = tmp_path / "aidigest.toml"
    cfg.write_text('[profiles.english]\ninterests = ["language model agents"]\nlanguage = "en"\ncategories = ["llm", "multimodal"]\n',
                   encoding="utf-8")
    r = aidigest("week", "--week", WEEK, "--db", str(db), "--out", str(reports), "--config", str(cfg), "--llm", "none",
                 cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert files(reports) == before
    folder = reports / "profiles" / "english" / "weekly" / WEEK
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{w}_{WEEK}{x}" for w in ("News", "Papers") for x in ("_en.json", "_report_en.md"))
    papers = WeeklyDigest.model_validate_json((folder / f"Papers_{WEEK}_en.json").read_bytes())
    assert papers.language == "en" and papers.sections
    assert {s.category for s in papers.sections} <= {"llm", "multimodal"}
    assert papers.picks and {p.category for p in papers.picks} <= {"llm", "multimodal"}
    assert all(s.summary is None for s in papers.sections)  # offline: the lists, nothing invented
    md = (folder / f"Papers_{WEEK}_report_en.md").read_text("utf-8")
    assert "\n## ⭐ Picked for you · english\n" in md and "**Missing days:**" in md
    bad = tmp_path / "bad.toml"
    bad.write_text('[profiles.x]\ncategories = ["nope"]\n', encoding="utf-8")
    r = aidigest("week", "--week", WEEK, "--db", str(db), "--out", str(reports), "--config", str(bad), "--llm", "none",
                 cwd=tmp_path)
    assert r.returncode == 2 and "nope not in the taxonomy" in r.stderr and "Traceback" not in r.stderr
