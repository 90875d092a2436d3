"""arXiv API source on EVERY real arXiv API recording (tests/data/arxiv_api, SOURCES.md (d))."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from pathlib import Path

import httpx
import pytest
from conftest import DATA, data_bytes

from aidigest.config import Config
from aidigest.infra.http import HttpClient, Recording, ReplayTransport
from aidigest.sources import arxiv
from aidigest.sources.base import FetchContext, ParseError

API = DATA / "arxiv_api"
ALL = sorted(API.glob("*/*.xml"))
ERROR_BODY = API / "arxivpy_2026_recorded" / "id_abc_s0_m100_b79c8dcf6bc3.body.xml"
RECORDED = API / "arxivpy_2026_recorded"


def test_every_recording_is_here():
    assert len(ALL) == 4 + 20 + 4  # raw fixtures, arxiv.py 2026 bodies, arxiv.py 2016 raw


def _expected(raw: bytes) -> list[dict]:
    """What each <entry> says, read with plain regexes (independent of the parser under test)."""
    out = []
    for e in re.findall(rb"<entry>(.*?)</entry>", raw, re.S):
        eid = re.search(rb"<id>https?://arxiv\.org/abs/(.+?)</id>", e).group(1).decode()
        prim = re.search(rb"<arxiv:primary_category[^>]*term=\"([^\"]+)\"", e).group(1).decode()
        authors = [a.decode().strip() for a in re.findall(rb"<author>\s*<name>(.*?)</name>", e, re.S)]
        out.append({"id": re.sub(r"v\d+$", "", eid), "primary": prim, "authors": authors})
    return out


@pytest.mark.parametrize("path", [p for p in ALL if p != ERROR_BODY], ids=lambda p: f"{p.parent.name}/{p.name[:40]}")
def test_parse_every_recording(path: Path):
    raw = path.read_bytes()
    expected = _expected(raw)
    page = arxiv.parse_page(raw)
    assert [it.arxiv_id for it in page.items] == [e["id"] for e in expected]
    assert page.entries == len(expected) and page.skipped == 0
    assert page.total is not None and page.total >= len(expected)
    for rank, (it, e) in enumerate(zip(page.items, expected, strict=True)):
        assert it.kind == "paper" and it.key == f"arxiv:{e['id']}"
        assert it.url == f"https://arxiv.org/abs/{e['id']}"
        assert it.primary_category == e["primary"]
        assert it.authors == e["authors"] and it.authors
        assert it.title and "\n" not in it.title
        assert len(it.snippet) > 50 and "  " not in it.snippet  # abstract, whitespace collapsed
        assert it.published is not None and it.published.tzinfo is not None
        assert it.sightings[0].source == "arxiv" and it.sightings[0].rank == rank


def test_empty_results_are_empty():
    assert arxiv.parse(data_bytes("arxiv_api", "arxivpy_2026_recorded", "id_0000.0000_s0_m100_8b51d9633a68.body.xml")) == []


def test_error_body_names_the_arxiv_error():
    with pytest.raises(ParseError, match=r"arXiv API error: incorrect id format for abc"):
        arxiv.parse(ERROR_BODY.read_bytes())


def test_error_body_in_its_recorder_wrapper_is_the_http_400():
    wrapper = json.loads((RECORDED / "id_abc_s0_m100_b79c8dcf6bc3.json").read_bytes())
    assert wrapper["status_code"] == 400
    body = wrapper["body"].encode("latin-1")  # how arxiv.py's recorder stores the bytes
    assert body == ERROR_BODY.read_bytes()
    with pytest.raises(ParseError, match="incorrect id format for abc"):
        arxiv.parse(body)


def test_old_style_ids_and_2016_format():
    [astro] = arxiv.parse(data_bytes("arxiv_api", "arxivpy_2026_recorded", "id_astro-ph_0601001_s0_m100_3150dca9dc76.body.xml"))
    assert astro.arxiv_id == "astro-ph/0601001" and astro.key == "arxiv:astro-ph/0601001"
    [old] = arxiv.parse(data_bytes("arxiv_api", "arxivpy_2016_raw", "id_list=1111.2011v2.xml"))
    assert old.arxiv_id == "1111.2011" and old.primary_category == "cond-mat.str-el"
    assert old.title == "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    assert old.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert old.published == dt.datetime(2011, 11, 8, 18, 48, 36, tzinfo=dt.UTC)


def test_cross_listed_paper_keeps_its_real_primary_category():
    items = arxiv.parse(data_bytes("arxiv_api", "raw_scout-cpu_2026-08-02",
                                   "query_cat-cs.AI-OR-cs.LG-OR-cs.CL_submittedDate_desc_max25.xml"))
    assert items[0].arxiv_id == "2607.28628" and items[0].primary_category == "hep-th"


def test_malformed_and_foreign_bodies():
    raw = data_bytes("arxiv_api", "raw_CrSamson_2026-04-30", "query_cat-cs.LG-OR-cs.AI_max20.xml")
    with pytest.raises(ParseError, match="not valid Atom XML"):
        arxiv.parse(raw[: len(raw) // 2])
    with pytest.raises(ParseError, match="expected an Atom <feed>, got <rss>"):
        arxiv.parse(data_bytes("arxiv_rss", "raw_BuiVannn_2026-08-01", "rss_cs.CL_weekend_empty.xml"))


# ---- the date window and the request --------------------------------------------------------------------
def test_window_follows_the_14h_eastern_deadline_with_dst():
    s, e = arxiv.window(dt.date(2026, 8, 2))  # EDT (UTC-4)
    assert (s, e) == (dt.datetime(2026, 8, 1, 18, tzinfo=dt.UTC), dt.datetime(2026, 8, 2, 18, tzinfo=dt.UTC))
    s, e = arxiv.window(dt.date(2026, 1, 15))  # EST (UTC-5)
    assert (s, e) == (dt.datetime(2026, 1, 14, 19, tzinfo=dt.UTC), dt.datetime(2026, 1, 15, 19, tzinfo=dt.UTC))
    day = dt.date(2026, 3, 1)
    for _ in range(60):  # consecutive dates tile time (across the March DST switch): no gap, no overlap
        assert arxiv.window(day)[1] == arxiv.window(day + dt.timedelta(days=1))[0]
        day += dt.timedelta(days=1)


def test_fallback_dst_rule_agrees_with_the_tz_database(monkeypatch):
    day = dt.date(2025, 1, 1)
    expected = [arxiv.window(day + dt.timedelta(days=i)) for i in range(731)]
    monkeypatch.setattr(arxiv, "EASTERN", None)  # as on a machine without a time zone database
    assert [arxiv.window(day + dt.timedelta(days=i)) for i in range(731)] == expected


def test_search_query():
    q = arxiv.search_query(dt.date(2026, 8, 2), ["cs.AI", "cs.CL"])
    assert q == "(cat:cs.AI OR cat:cs.CL) AND submittedDate:[202608011800 TO 202608021759]"


def _url(day, cats, start, n) -> str:
    return str(httpx.URL(arxiv.API_URL, params=arxiv.page_params(day, cats, start, n)))


def test_fetch_paginates_with_polite_pauses(tmp_path):
    # Four real pages of arXiv's `search_query=testing` (start 0/10/20/30, 10 per page) answer OUR four page
    # requests: the bodies are real, the query they answer is not ours; what is tested is paging + pauses.
    day, cfg = dt.date(2026, 8, 2), Config()
    cfg = cfg.updated(sources={"arxiv": {"categories": ["cs.AI"]}})
    cfg = cfg.updated(sources={"arxiv": {"page_size": 10}})
    cfg = cfg.updated(sources={"arxiv": {"max_results": 40}})
    cfg = cfg.updated(sources={"arxiv": {"delay_s": 1.0}})  # below arXiv's 3 s: the source must still wait 3 s
    rec = Recording(tmp_path / "rec")
    names = {0: "q_testing_s0_m10_bc5a6c384fe9", 10: "q_testing_s10_m10_34e56e15aaac",
             20: "q_testing_s20_m10_348a237fecab", 30: "q_testing_s30_m10_f2e39f0143dc"}
    for start, name in names.items():
        rec.add("GET", _url(day, ["cs.AI"], start, 10), 200, {"content-type": "application/atom+xml"},
                (RECORDED / f"{name}.body.xml").read_bytes(), note=f"arxiv.py fixture {name}")
    slept: list[float] = []

    async def fake_sleep(s: float) -> None:
        slept.append(s)

    async def go():
        # a replay transport but "online" behaviour, so the politeness delays reach our fake sleep
        http = HttpClient(cfg.http, transport=ReplayTransport(tmp_path / "rec"), offline=False, sleep=fake_sleep)
        async with http:
            return await arxiv.ArxivSource().fetch(FetchContext(day, http, cfg)), http.transport.served

    res, served = asyncio.run(go())
    assert len(served) == 4 and res.notes["pages"] == 4
    assert slept == [3.0, 3.0, 3.0]  # between pages only, never less than 3 s
    ids = [it.arxiv_id for it in res.items]
    assert len(ids) == len(set(ids)) == 40 - res.notes["duplicates"]
    assert [it.sightings[0].rank for it in res.items] == list(range(len(ids)))


def test_fetch_stops_at_a_short_page_and_skips_pauses_in_replay(tmp_path):
    day, cfg = dt.date(2026, 8, 2), Config()
    rec = Recording(tmp_path / "rec")
    rec.add("GET", _url(day, cfg.sources.arxiv.categories, 0, 200), 200, {"content-type": "application/atom+xml"},
            data_bytes("arxiv_api", "raw_scout-cpu_2026-08-02", "query_cat-cs.AI-OR-cs.LG-OR-cs.CL_submittedDate_desc_max25.xml"),
            note="scout-cpu page (25 entries)")

    async def go():
        async with HttpClient.create(cfg.http, replay=tmp_path / "rec") as http:
            return await arxiv.ArxivSource().fetch(FetchContext(day, http, cfg))

    res = asyncio.run(go())  # only one page is recorded: a second request would raise ReplayMissing
    assert len(res.items) == 25 and res.notes["pages"] == 1


def test_fetch_http_400_error_body_is_a_parse_error_naming_it(tmp_path):
    day, cfg = dt.date(2026, 8, 2), Config()
    rec = Recording(tmp_path / "rec")
    rec.add("GET", _url(day, cfg.sources.arxiv.categories, 0, 200), 400, {"content-type": "application/atom+xml"},
            ERROR_BODY.read_bytes(), note="real HTTP 400 body of arXiv (id_list=abc)")

    async def go():
        async with HttpClient.create(cfg.http, replay=tmp_path / "rec") as http:
            return await arxiv.ArxivSource().fetch(FetchContext(day, http, cfg))

    with pytest.raises(ParseError, match=r"HTTP 400: arXiv API error: incorrect id format for abc"):
        asyncio.run(go())
