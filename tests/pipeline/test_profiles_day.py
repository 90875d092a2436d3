"""Reader profiles on the demo day (issue 20), end to end through the real CLI: one collect/categorize/summarize,
two profiles ("nlp" with liked papers, "vision" with keywords), two digests and two sites, two local webhooks
that each receive their own digest once.

The LLM is the benchmark's fake OpenAI-compatible server on 127.0.0.1 (bench/fake_llm.py's Responder, as the
golden day `demo_llm` uses: the real offline classifier's categories, Korean summaries that pass every check);
the webhooks are tests/fakes/receivers.HookServer (real HTTP on loopback, apprise's real requests).
The same day without profiles is the reference: the LLM calls and tokens must be the same (the shared part is
done once), and the main reports byte-identical to the golden `demo_llm` reports."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from clihelp import llm_line
from fakes.fake_openai import FakeOpenAIServer
from fakes.receivers import HookServer
from golden_days import reference

from aidigest.report import Digest
from aidigest.infra.store import Store

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "replay" / "2026-08-02"
DAY = "2026-08-02"
LIKED = "2607.26497"  # a paper of the demo day (BM25 Wins at Scale, cs.CL)


def aidigest(*args: str, cwd: Path, env: dict | None = None):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "OPENAI_", "ANTHROPIC_", "TOGETHER_"))}
    e.update({"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1", "COLUMNS": "250"})
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "aidigest.cli", *args], cwd=cwd, env=e, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    from fakes.responder import Responder, offline_categories

    work = tmp_path_factory.mktemp("profiles")
    prepared = offline_categories(work, DAY, DEMO)
    responder = Responder(prepared["categories"], prepared["reported_ids"])
    with FakeOpenAIServer(responder=responder) as srv, HookServer() as nlp_hook, HookServer() as vision_hook:
        llm_env = {"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": "sk-profiles-test"}
        plain = work / "plain"
        plain.mkdir()
        (plain / "aidigest.toml").write_text("", encoding="utf-8")
        r0 = aidigest("run", "--date", DAY, "--replay", str(DEMO), "--db", str(plain / "s.db"), "--out", str(plain / "reports"),
                      "--llm", "openai:fake-model", "--config", str(plain / "aidigest.toml"), cwd=plain, env=llm_env)
        assert r0.returncode == 0, r0.stderr
        plain_requests = len(srv.completion_requests)
        srv.reset()

        prof = work / "prof"
        prof.mkdir()
        cfg = prof / "aidigest.toml"
        cfg.write_text(f"""
[http]
allow_networks = ["127.0.0.1/32"]

[profiles.nlp]
interests = ["대형 언어 모델의 추론과 평가", "retrieval-augmented generation for language models"]
targets = ["json://127.0.0.1:{nlp_hook.port}/nlp"]

[profiles.vision]
include_keywords = ["vision", "image", "video", "이미지"]
exclude_keywords = ["LLM"]
targets = ["json://127.0.0.1:{vision_hook.port}/vision"]
""", encoding="utf-8")
        added = aidigest("profile", "add-paper", "nlp", f"arXiv:{LIKED}v2", "--config", str(cfg), "--db", str(prof / "s.db"), cwd=prof)
        assert added.returncode == 0, added.stderr
        r1 = aidigest("run", "--date", DAY, "--replay", str(DEMO), "--db", str(prof / "s.db"), "--out", str(prof / "reports"),
                      "--llm", "openai:fake-model", "--config", str(cfg), "--notify", cwd=prof, env=llm_env)
        assert r1.returncode == 0, r1.stderr
        prof_requests = len(srv.completion_requests)
        again = aidigest("notify", "--date", DAY, "--db", str(prof / "s.db"), "--out", str(prof / "reports"),
                         "--config", str(cfg), cwd=prof)
        site = aidigest("site", "--reports", str(prof / "reports"), "--db", str(prof / "s.db"), "--out", str(prof / "site"),
                        "--config", str(cfg), cwd=prof)
        assert site.returncode == 0, site.stderr
        return {"work": work, "r0": r0, "r1": r1, "again": again, "site": site, "plain_requests": plain_requests,
                "prof_requests": prof_requests, "nlp": list(nlp_hook.requests), "vision": list(vision_hook.requests),
                "reports": prof / "reports", "db": prof / "s.db", "site_dir": prof / "site"}


def digest(day, name: str, kind_word: str) -> Digest:
    return Digest.model_validate_json((day["reports"] / "profiles" / name / DAY / f"{kind_word}_{DAY}.json").read_text("utf-8"))


def test_shared_part_is_done_once_llm_calls_and_tokens_equal_a_run_without_profiles(day):
    assert llm_line(day["r1"].stdout) == llm_line(day["r0"].stdout)
    assert day["prof_requests"] == day["plain_requests"] > 0  # what the fake LLM server received


def test_main_reports_are_unchanged_by_profiles(day):
    ref = reference("demo_llm")
    main = {p.relative_to(day["reports"]).as_posix(): p.read_bytes() for p in sorted(day["reports"].rglob("*"))
            if p.is_file() and "profiles" not in p.relative_to(day["reports"]).parts}
    assert main == ref


def test_each_profile_writes_both_digests_opening_with_picks(day):
    for name in ("nlp", "vision"):
        for word in ("News", "Papers"):
            md = (day["reports"] / "profiles" / name / DAY / f"{word}_{DAY}_report.md").read_text("utf-8")
            first_section = md.index("\n## ")
            assert md[first_section:].startswith(f"\n## ⭐ 추천 · {name}\n"), md[:600]
        assert f"profile {name}: news (" in day["r1"].stdout.replace("\n", " ")
    papers = digest(day, "nlp", "Papers")
    assert papers.profile == "nlp" and papers.picks is not None and len(papers.picks) == 10
    assert all(p.reason for p in papers.picks[:3]), [p.reason for p in papers.picks]
    # the liked paper's neighbours say so; it is itself the most similar item of the day
    assert any(f"좋아한 논문 {LIKED}와 비슷함" in p.reason for p in papers.picks)
    assert papers.picks[0].key == f"arxiv:{LIKED}" or any(p.key == f"arxiv:{LIKED}" for p in papers.picks[:3])


def test_vision_keywords_rank_and_mute(day):
    with Store(str(day["db"])) as store:
        for word in ("News", "Papers"):
            d = digest(day, "vision", word)
            for p in d.picks or []:
                m = re.search(r"키워드 ‘(.+?)’", p.reason)
                if m:  # the keyword named is in the item's title or text, as a whole word
                    it = store.get_item(p.key)
                    assert re.search(rf"(?<![0-9a-z]){re.escape(m.group(1))}(?![0-9a-z])", f"{it.title}\n{it.snippet}", re.I)
        # exclude_keywords = ["LLM"]: no item of its digest has LLM as a word in its title
        shown = [e.title for s in d.sections for e in s.entries] + [c.title for s in d.sections for c in s.more]
        assert not [t for t in shown if re.search(r"(?<![0-9a-z])LLM(?![0-9a-z])", t, re.I)]
    papers = digest(day, "vision", "Papers")
    assert sum("키워드" in p.reason for p in papers.picks or []) >= 5


def test_inside_each_category_items_follow_the_profile_score(day):
    for name in ("nlp", "vision"):
        for word in ("News", "Papers"):
            d = digest(day, name, word)
            for sec in d.sections:
                scores = [e.rank_score for e in sec.entries if not e.followed]
                assert scores == sorted(scores, reverse=True), (name, sec.category, scores)
                # numbered in the profile's order; the shared summary's citations point at listed entries
                assert [e.n for e in sec.entries] == list(range(1, len(sec.entries) + 1))
                if sec.summary:
                    cites = {c for part in sec.summary.parts() for p in part for c in p.cites}
                    assert cites <= {e.n for e in sec.entries}


def test_each_webhook_gets_its_own_digest_once(day):
    for name in ("nlp", "vision"):
        reqs = day[name]
        assert sorted(r.path for r in reqs) == [f"/{name}"] * 2, [r.path for r in reqs]  # news + papers, once each
        titles = sorted(r.json["title"] for r in reqs)
        assert titles == [f"AI 다이제스트 {DAY} · 논문 · {name}", f"AI 다이제스트 {DAY} · 뉴스 · {name}"]
        papers = digest(day, name, "Papers")
        msg = next(r.json["message"] for r in reqs if "논문" in r.json["title"])
        assert papers.picks[0].url in msg
    # `aidigest notify` afterwards sends nothing again
    assert day["again"].returncode == 0, day["again"].stderr
    assert "already sent" in day["again"].stdout and " sent (" not in day["again"].stdout
    rows = sqlite3.connect(day["db"]).execute("SELECT kind, status FROM deliveries ORDER BY kind").fetchall()
    assert rows == [("nlp:news", "sent"), ("nlp:paper", "sent"), ("vision:news", "sent"), ("vision:paper", "sent")]


def test_each_profile_has_its_own_no_repeat_memory(day):
    db = sqlite3.connect(day["db"])
    per = dict(db.execute("SELECT profile, COUNT(*) FROM profile_reported WHERE day = ? GROUP BY profile", (DAY,)).fetchall())
    assert set(per) == {"nlp", "vision"} and all(n > 0 for n in per.values())
    nlp_keys = {k for (k,) in db.execute("SELECT key FROM profile_reported WHERE profile = 'nlp'")}
    vision_keys = {k for (k,) in db.execute("SELECT key FROM profile_reported WHERE profile = 'vision'")}
    assert nlp_keys != vision_keys  # vision mutes LLM items the nlp profile shows


def test_two_sites_linked_from_home_with_feeds(day):
    site = day["site_dir"]
    home = (site / "index.html").read_text("utf-8")
    for name in ("nlp", "vision"):
        assert f'href="profiles/{name}/index.html"' in home
        root = site / "profiles" / name
        assert (root / "index.html").is_file()
        feed = (root / "feeds" / "papers.xml").read_text("utf-8")
        assert "<feed" in feed and f"· {name}" in feed
        page = (root / "day" / f"{DAY}-papers.html").read_text("utf-8")
        assert 'class="picks"' in page and "추천" in page
    assert (site / "day" / f"{DAY}-papers.html").is_file()
    assert 'class="picks"' not in (site / "day" / f"{DAY}-papers.html").read_text("utf-8")
    assert "profile nlp:" in day["site"].stdout and "profile vision:" in day["site"].stdout


def test_profile_site_in_a_browser(day):
    """The browser tests' crawl (tests/render/test_site_browser.py) over a profile's site: every page loads with no
    console error, every link resolves inside it, the picks section is shown."""
    from test_site_browser import _crawl, _driver, _exists, _need_browser, _quit

    _need_browser()
    root = day["site_dir"] / "profiles" / "nlp"
    prefix = root.as_uri() + "/"
    d = _driver()
    try:
        pages = _crawl(d, prefix + "index.html", prefix)
        assert len([u for u in pages if u.endswith(".html")]) >= 10
        for u in pages:
            assert _exists(u, prefix, root), u
        from selenium.webdriver.common.by import By

        d.get(prefix + f"day/{DAY}-papers.html")
        items = d.find_elements(By.CSS_SELECTOR, "section.picks li")
        assert len(items) == 10 and all(i.is_displayed() for i in items)
        assert "추천" in d.find_element(By.CSS_SELECTOR, "section.picks h2").text
    finally:
        _quit(d)


def test_export_of_the_main_digest_has_no_profile_fields(day):
    data = json.loads((day["reports"] / DAY / f"Papers_{DAY}.json").read_text("utf-8"))
    assert "picks" not in data and "profile" not in data
