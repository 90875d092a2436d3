"""Hacker News source on every real HN recording (tests/data/hackernews, see SOURCES.md (a))."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from conftest import DATA, data_bytes

from aidigest.config import Config
from aidigest.infra.http import HttpClient, Recording
from aidigest.sources import hackernews as hn
from aidigest.sources.base import FetchContext, ParseError
from aidigest.urls import canonical_key

HN = DATA / "hackernews"
ALGOLIA_FILES = sorted(HN.glob("algolia_raw_*/*.json"))
DERIVED_FILES = sorted(HN.glob("derived_items_*/*.json"))
DISC = re.compile(r"^https://news\.ycombinator\.com/item\?id=\d+$")


def test_all_hn_recordings_are_present():
    assert len(ALGOLIA_FILES) == 5 and len(DERIVED_FILES) == 4
    assert len(list(HN.glob("firebase_raw_*/*.json"))) == 16


@pytest.mark.parametrize("path", ALGOLIA_FILES, ids=lambda p: p.parent.name)
def test_algolia_every_recording(path: Path):
    raw = path.read_bytes()
    hits = json.loads(raw)["hits"]
    stories = [h for h in hits if h.get("title") and "comment" not in h["_tags"]]
    page = hn.parse_algolia_page(raw)
    assert len(page.items) == len(stories) > 0
    assert page.skipped == len(hits) - len(stories)
    for it, hit in zip(page.items, stories, strict=True):
        s = it.sightings[0]
        assert it.kind == "news" and s.source == "hackernews"
        assert it.title == hit["title"]
        assert s.points == hit["points"] and s.comments == hit["num_comments"]
        assert s.discussion_url == f"https://news.ycombinator.com/item?id={hit['objectID']}"
        assert it.published == dt.datetime.fromtimestamp(hit["created_at_i"], tz=dt.UTC)
        assert it.url == (hit.get("url") or s.discussion_url)  # Ask HN/text posts: the discussion is the link
        assert it.key == canonical_key(it.url)
    assert hn.parse(raw) == page.items


def test_algolia_2017_format_skips_comments():
    raw = data_bytes("hackernews", "algolia_raw_SiukAlator_2017-09-27", "search_by_date_query-nodejs.json")
    page = hn.parse_algolia_page(raw)
    assert (page.hits, len(page.items), page.skipped) == (20, 4, 16)  # old search results mix in comments
    assert page.nb_pages == 50
    assert all(it.hn_points is not None for it in page.items)


def test_text_posts_use_the_discussion_link_and_their_text():
    raw = data_bytes("hackernews", "algolia_raw_EienMosu_2026-08-18",
                     "search_by_date_query-AI_tags-story_points-gt-20_hpp50.json")
    text_posts = [it for it in hn.parse(raw) if DISC.match(it.url)]
    assert len(text_posts) == 2
    for it in text_posts:
        assert it.key == canonical_key(it.url) and it.key.startswith("https://news.ycombinator.com/item?id=")
        assert it.snippet and "<" not in it.snippet and len(it.snippet) <= hn.TEXT_SNIPPET_CHARS + 1


def test_hn_post_linking_arxiv_gets_the_paper_key():
    raw = data_bytes("hackernews", "algolia_raw_EienMosu_2026-08-18",
                     "search_by_date_query-AI_tags-story_points-gt-20_hpp50.json")
    linked = [it for it in hn.parse(raw) if "arxiv.org" in it.url]
    assert [(it.arxiv_id, it.key) for it in linked] == [("2608.13122", "arxiv:2608.13122")]
    assert linked[0].kind == "news"  # still an HN sighting; merging with the paper is done by dedupe


@pytest.mark.parametrize("name,count", [
    ("firebase_raw_t1ooo_2022-03-21/topstories.json", 500),
    ("firebase_raw_t1ooo_2022-03-21/newstories.json", 500),
    ("firebase_raw_t1ooo_2022-03-21/beststories.json", 200),
    ("firebase_raw_t1ooo_2022-03-21/askstories.json", None),
    ("firebase_raw_t1ooo_2022-03-21/showstories.json", None),
    ("firebase_raw_t1ooo_2022-03-21/jobstories.json", None),
    ("firebase_raw_HongChunKeat_2023-08-09/topstories.json", 500),  # minified
])
def test_firebase_id_lists_pretty_and_minified(name, count):
    raw = (HN / name).read_bytes()
    ids = hn.parse_ids(raw)
    assert ids == [int(x) for x in re.findall(rb"\d+", raw)]
    if count is not None:
        assert len(ids) == count
    with pytest.raises(ParseError, match="id list"):
        hn.parse(raw)


def test_firebase_updates_gives_item_ids():
    raw = data_bytes("hackernews", "firebase_raw_t1ooo_2022-03-21", "updates.json")
    assert hn.parse_ids(raw) == json.loads(raw)["items"]


def test_firebase_single_items():
    d = HN / "firebase_raw_t1ooo_2022-03-21"
    [story] = hn.parse((d / "item_story.json").read_bytes())
    assert story.title == "My YC app: Dropbox - Throw away your USB drive"
    assert story.url == "http://www.getdropbox.com/u/2/screencast.html"
    assert story.key == "https://getdropbox.com/u/2/screencast.html"
    assert (story.hn_points, story.hn_comments) == (104, 71)
    assert story.discussion_url == "https://news.ycombinator.com/item?id=8863"
    assert story.published == dt.datetime(2007, 4, 4, 19, 16, 40, tzinfo=dt.UTC)

    [ask] = hn.parse((d / "item_ask.json").read_bytes())
    assert ask.url == ask.discussion_url == "https://news.ycombinator.com/item?id=121003"
    assert ask.snippet.startswith("or HN: the Next Iteration I get the impression")

    [poll] = hn.parse((d / "item_poll.json").read_bytes())
    assert poll.hn_points == 47 and poll.url.endswith("id=126809")

    for kind in ("job", "comment", "pollopt"):
        got = hn.parse_firebase_items((d / f"item_{kind}.json").read_bytes())
        assert got.items == [] and got.skipped == {kind: 1}


@pytest.mark.parametrize("name", ["user.json", "maxitem.json"])
def test_firebase_non_item_bodies_are_parse_errors(name):
    with pytest.raises(ParseError):
        hn.parse(data_bytes("hackernews", "firebase_raw_t1ooo_2022-03-21", name))


@pytest.mark.parametrize("path", DERIVED_FILES, ids=lambda p: p.name)
def test_derived_item_lists(path: Path):
    objs = json.loads(path.read_bytes())
    keep = [o for o in objs if o and o.get("type") in ("story", "poll") and not o.get("dead") and not o.get("deleted")
            and o.get("title")]
    got = hn.parse_firebase_items(path.read_bytes())
    assert [it.title for it in got.items] == [o["title"].strip() for o in keep]
    assert sum(got.skipped.values()) == len(objs) - len(keep)
    assert [it.sightings[0].rank for it in got.items] == list(range(len(keep)))
    for it, o in zip(got.items, keep, strict=True):
        assert it.hn_points == o.get("score")
        if o.get("url") and "arxiv.org/abs/" in o["url"]:
            assert it.key.startswith("arxiv:")


def test_malformed_bodies_name_the_problem():
    raw = data_bytes("hackernews", "algolia_raw_scout-cpu_2026-08-02", "search_by_date_tags-story_points-ge-20_hpp30.json")
    with pytest.raises(ParseError, match=r"not valid JSON"):
        hn.parse(raw[: len(raw) // 2])  # a truncated real body
    hf = data_bytes("huggingface_daily_papers", "raw_EienMosu_2026-08-18", "daily_papers_limit10.json")
    with pytest.raises(ParseError, match="not an item object"):
        hn.parse(hf)
    with pytest.raises(ParseError, match="no 'hits'"):
        hn.parse_algolia_page(b'{"nbHits": 0}')


# ---- fetch through the HTTP layer (replay recordings built in tmp dirs) -----------------------------------
def _replay_ctx(tmp_path: Path, day: dt.date, entries: list[tuple[str, bytes, str]], config: Config | None = None):
    rec = Recording(tmp_path / "rec")
    for url, body, note in entries:
        rec.add("GET", url, 200, {"content-type": "application/json"}, body, note=note)
    http = HttpClient.create((config or Config()).http, replay=tmp_path / "rec")
    return FetchContext(day=day, http=http, config=config or Config()), http


def _algolia_url(day: dt.date, page: int, min_points: int = 20, hpp: int = hn.HITS_PER_PAGE) -> str:
    import httpx

    return str(httpx.URL(hn.ALGOLIA_URL, params=hn.algolia_params(day, min_points, page, hpp)))


def test_algolia_request_is_the_utc_day_with_min_points():
    p = hn.algolia_params(dt.date(2026, 8, 2), 20, 0)
    assert p["tags"] == "story"
    assert p["numericFilters"] == "created_at_i>=1785628800,created_at_i<1785715200,points>=20"
    assert 1785628800 == dt.datetime(2026, 8, 2, tzinfo=dt.UTC).timestamp()


def test_fetch_algolia_ranks_by_points_and_caps(tmp_path):
    day = dt.date(2026, 8, 2)
    body = data_bytes("hackernews", "algolia_raw_scout-cpu_2026-08-02", "search_by_date_tags-story_points-ge-20_hpp30.json")
    cfg = Config()
    cfg = cfg.updated(sources={"hackernews": {"max_items": 10}})
    ctx, http = _replay_ctx(tmp_path, day, [(_algolia_url(day, 0), body, "real scout-cpu page (no date filter)")], cfg)

    async def go():
        async with http:
            return await hn.HackerNewsSource(today=lambda: dt.date(2026, 11, 27)).fetch(ctx)

    res = asyncio.run(go())
    points = sorted((h["points"] for h in json.loads(body)["hits"]), reverse=True)
    assert [it.hn_points for it in res.items] == points[:10]
    assert [it.sightings[0].rank for it in res.items] == list(range(10))
    assert res.notes == {"pages": 1, "skipped_non_story": 0, "over_cap": 20,  # 30 hits < 200 asked: one page
                         "skipped_invalid": 0, "repaired_encoding": 0, "merged_duplicates": 0}


def test_fetch_algolia_paginates_until_a_short_or_last_page(tmp_path, monkeypatch):
    # Pagination with 30 hits per page. The page bodies are real Algolia responses to OTHER queries
    # (scout-cpu page 0 with nbPages=34, then ikevinxie's with nbPages=1): what is tested is the paging logic.
    monkeypatch.setattr(hn, "HITS_PER_PAGE", 30)
    day = dt.date(2026, 8, 2)
    p0 = data_bytes("hackernews", "algolia_raw_scout-cpu_2026-08-02", "search_by_date_tags-story_points-ge-20_hpp30.json")
    p1 = data_bytes("hackernews", "algolia_raw_ikevinxie_2026-07-13", "hackernews_search.json")
    cfg = Config()
    cfg = cfg.updated(sources={"hackernews": {"max_items": 1000}})
    ctx, http = _replay_ctx(tmp_path, day, [
        (_algolia_url(day, 0, hpp=30), p0, "scout-cpu body"), (_algolia_url(day, 1, hpp=30), p1, "ikevinxie body"),
    ], cfg)

    async def go():
        async with http:
            return await hn.HackerNewsSource(today=lambda: dt.date(2026, 11, 27)).fetch(ctx)

    res = asyncio.run(go())
    assert res.notes["pages"] == 2  # page 0 was full (30 of 30) -> page 1; page 1 says nbPages=1 -> stop
    assert len(res.items) == 60  # 30 + 30 stories, no story on both pages
    assert [it.hn_points for it in res.items] == sorted((it.hn_points for it in res.items), reverse=True)


def _derived_top(n: int) -> list[dict]:
    return json.loads(data_bytes("hackernews", "derived_items_victorqribeiro_2019-11", "topstories.items.json"))[:n]


def test_fetch_firebase_today(tmp_path):
    # No recording of a topstories.json together with its items exists. The derived file holds the full
    # items of one real topstories snapshot (2019-11, in front-page order), so this test serves its ids as the
    # id list and each item re-serialized with json.dumps: real data, reshaped into the API's per-item bodies.
    items = _derived_top(8)
    day = dt.date(2019, 11, 12)
    cfg = Config()
    cfg = cfg.updated(sources={"hackernews": {"max_items": 8}})
    cfg = cfg.updated(sources={"hackernews": {"min_points": 5}})
    entries = [(f"{hn.FIREBASE_URL}/topstories.json", json.dumps([o["id"] for o in items]).encode(), "ids of derived items")]
    entries += [(f"{hn.FIREBASE_URL}/item/{o['id']}.json", json.dumps(o).encode(), "derived item") for o in items[:-1]]
    ctx, http = _replay_ctx(tmp_path, day, entries, cfg)  # the last item is left out of the recording

    async def go():
        async with http:
            return await hn.HackerNewsSource(today=lambda: day).fetch(ctx)

    res = asyncio.run(go())
    expect = [o for o in items[:-1] if o.get("type") == "story" and o.get("score", 0) >= 5]
    assert [it.title for it in res.items] == [o["title"] for o in expect]
    assert [it.sightings[0].rank for it in res.items] == [items.index(o) for o in expect]  # front-page position
    assert res.notes["item_errors"] == 1
    assert res.notes["below_min_points"] + len(res.items) + res.notes["skipped_non_story"] == 7


def test_fetch_firebase_with_no_items_recorded_is_no_recording(tmp_path):
    from aidigest.infra.http import ReplayMissing

    items = _derived_top(3)
    day = dt.date(2019, 11, 12)
    ctx, http = _replay_ctx(tmp_path, day, [
        (f"{hn.FIREBASE_URL}/topstories.json", json.dumps([o["id"] for o in items]).encode(), "ids of derived items")])

    async def go():
        async with http:
            return await hn.HackerNewsSource(today=lambda: day).fetch(ctx)

    with pytest.raises(ReplayMissing, match="all 3 Hacker News items failed"):
        asyncio.run(go())


# ---- bad records, not bad sources (issue 8) ----------------------------------------------------------------
# Each test copies the REAL scout-cpu Algolia response (30 stories) and mutates ONE record at runtime.
REAL_30 = ("hackernews", "algolia_raw_scout-cpu_2026-08-02", "search_by_date_tags-story_points-ge-20_hpp30.json")


def _fetch_mutated(tmp_path, body: bytes):
    day = dt.date(2026, 8, 2)
    ctx, http = _replay_ctx(tmp_path, day, [(_algolia_url(day, 0), body, "real scout-cpu page, one record mutated")])

    async def go():
        async with http:
            return await hn.HackerNewsSource(today=lambda: dt.date(2026, 11, 27)).fetch(ctx)

    return asyncio.run(go())


def _hit_span(body: bytes, i: int) -> tuple[int, int]:
    """Byte span of the i-th hit's title value in the raw body (found by its objectID, not re-serialized)."""
    hit = json.loads(body)["hits"][i]
    title = json.dumps(hit["title"], ensure_ascii=False).encode()
    start = body.index(b'"title":' + title)
    return start + len(b'"title":') + 1, start + len(b'"title":') + len(title) - 1


def test_one_invalid_utf8_byte_repairs_that_record_only(tmp_path):
    body = data_bytes(*REAL_30)
    a, _ = _hit_span(body, 3)
    bad = body[:a + 2] + b"\xff" + body[a + 2:]
    with pytest.raises(UnicodeDecodeError):
        bad.decode("utf-8")
    res = _fetch_mutated(tmp_path, bad)
    assert len(res.items) == 30 and res.notes["repaired_encoding"] == 1
    assert sum("\ufffd" in it.title for it in res.items) == 1


@pytest.mark.parametrize("field,value", [("points", b"Infinity"), ("points", b"-Infinity"), ("num_comments", b"NaN"),
                                         ("created_at_i", b"99999999999999999999")])
def test_an_impossible_number_skips_and_counts_that_record(tmp_path, field, value):
    body = data_bytes(*REAL_30)
    hits = json.loads(body)["hits"]
    sid = hits[5]["objectID"]
    old = json.dumps(hits[5][field]).encode()
    # the 6th hit's field, located after its own objectID-tagged _tags entry
    anchor = body.index(f'"story_{sid}"'.encode())
    start = body.index(f'"{field}":'.encode() + old, anchor)
    bad = body[:start] + f'"{field}":'.encode() + value + body[start + len(f'"{field}":') + len(old):]
    res = _fetch_mutated(tmp_path, bad)
    assert len(res.items) == 29 and res.notes["skipped_invalid"] == 1
    assert sid not in {it.discussion_url.rsplit("=", 1)[1] for it in res.items}


def test_duplicate_submissions_of_one_url_merge_their_signals(tmp_path):
    data = json.loads(data_bytes(*REAL_30))
    first = data["hits"][0]
    dup = json.loads(json.dumps(first))  # a second submission of the same URL: new id, its own points/comments
    dup["objectID"] = "1" + first["objectID"]
    dup["story_id"] = int(dup["objectID"])
    dup["points"], dup["num_comments"] = 40, 7
    data["hits"].append(dup)
    res = _fetch_mutated(tmp_path, json.dumps(data).encode())
    assert len(res.items) == 30 and res.notes["merged_duplicates"] == 1
    (it,) = [i for i in res.items if i.url == first["url"]]
    assert it.hn_points == first["points"] + 40 and it.hn_comments == first["num_comments"] + 7
    assert {s.discussion_url for s in it.sightings} == {hn.discussion_url(first["objectID"]), hn.discussion_url(dup["objectID"])}


def test_a_1mb_title_is_capped_at_parse_time(tmp_path):
    """The real response with one title blown up to 1 MB: that item keeps 300 characters, the others are intact."""
    from aidigest.records import MAX_TITLE_CHARS

    data = json.loads(data_bytes(*REAL_30))
    data["hits"][2]["title"] = "Huge " + "A" * 1_000_000
    res = _fetch_mutated(tmp_path, json.dumps(data).encode())
    assert len(res.items) == 30
    assert max(len(it.title) for it in res.items) <= MAX_TITLE_CHARS
    assert all(len(s.title) <= MAX_TITLE_CHARS for it in res.items for s in it.sightings)
