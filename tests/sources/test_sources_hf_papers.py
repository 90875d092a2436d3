"""Hugging Face Daily Papers on all 4 real API responses (tests/data/huggingface_daily_papers, SOURCES.md (c))."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from conftest import DATA, data_bytes

from aidigest.config import Config
from aidigest.infra.http import HttpClient, Recording
from aidigest.sources import hf_papers
from aidigest.sources.base import FetchContext, ParseError

FILES = sorted((DATA / "huggingface_daily_papers").glob("*/*.json"))


def test_four_recordings():
    assert [len(json.loads(p.read_bytes())) for p in FILES] == [10, 25, 30, 30]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_parse_every_recording(path: Path):
    raw = path.read_bytes()
    entries = json.loads(raw)
    items = hf_papers.parse(raw)
    assert len(items) == len(entries)
    for rank, (it, e) in enumerate(zip(items, entries, strict=True)):
        p = e["paper"]
        assert it.kind == "paper"
        assert it.arxiv_id == p["id"] and it.key == f"arxiv:{p['id']}"
        assert it.url == f"https://arxiv.org/abs/{p['id']}"
        assert it.title == " ".join(p["title"].split())
        assert it.snippet == " ".join(p["summary"].split()) and len(it.snippet) > 200  # the abstract
        assert it.hf_upvotes == p["upvotes"]
        assert it.authors == [a["name"].strip() for a in p["authors"] if not a.get("hidden")]
        assert it.published == dt.datetime.fromisoformat(p["publishedAt"].replace("Z", "+00:00"))
        s = it.sightings[0]
        assert (s.source, s.url, s.rank) == ("hf_papers", f"https://huggingface.co/papers/{p['id']}", rank)


def test_unicode_titles_survive():
    items = hf_papers.parse(data_bytes("huggingface_daily_papers", "raw_scout-cpu_2026-08-02", "daily_papers_limit30.json"))
    titles = [it.title for it in items]
    assert any(t.startswith("β-OPSD") for t in titles) and any(t.startswith("Σ-Mem") for t in titles)


def test_malformed_and_foreign_bodies():
    raw = data_bytes("huggingface_daily_papers", "raw_EienMosu_2026-08-18", "daily_papers_limit10.json")
    with pytest.raises(ParseError, match="not valid JSON"):
        hf_papers.parse(raw[:1000])  # truncated real body
    algolia = data_bytes("hackernews", "algolia_raw_scout-cpu_2026-08-02", "search_by_date_tags-story_points-ge-20_hpp30.json")
    with pytest.raises(ParseError, match="expected a JSON array"):
        hf_papers.parse(algolia)
    # No recorded Hugging Face error body exists; this is the API's documented {"error": ...} shape.
    with pytest.raises(ParseError, match="Hugging Face API error: Invalid date"):
        hf_papers.parse(b'{"error":"Invalid date"}')


def test_fetch_asks_for_the_date(tmp_path):
    day = dt.date(2026, 8, 2)
    url = str(httpx.URL(hf_papers.API_URL, params={"date": "2026-08-02"}))
    rec = Recording(tmp_path / "rec")
    body = data_bytes("huggingface_daily_papers", "raw_scout-cpu_2026-08-02", "daily_papers_limit30.json")
    rec.add("GET", url, 200, {"content-type": "application/json"}, body, note="real ?limit=30 body")
    cfg = Config()

    async def go():
        async with HttpClient.create(cfg.http, replay=tmp_path / "rec") as http:
            return await hf_papers.HFPapersSource().fetch(FetchContext(day, http, cfg))

    res = asyncio.run(go())
    assert len(res.items) == 30 and res.notes == {"skipped_malformed": 0}


def test_huge_title_and_abstract_are_capped_at_parse_time():
    """A real Daily Papers entry with its title and abstract blown up to 1 MB each (mutated at runtime)."""
    from aidigest.records import MAX_TEXT_CHARS, MAX_TITLE_CHARS

    path = next(Path(__file__).parents[1].joinpath("data", "huggingface_daily_papers").rglob("*.json"))
    entries = json.loads(path.read_bytes())
    entries[0]["paper"]["title"] = "T " * 500_000
    entries[0]["paper"]["summary"] = "word " * 200_000
    items = hf_papers.parse(json.dumps(entries).encode())
    assert len(items[0].title) <= MAX_TITLE_CHARS and len(items[0].snippet) <= MAX_TEXT_CHARS
    assert items[0].title.endswith("…") and items[0].snippet.endswith("…")
