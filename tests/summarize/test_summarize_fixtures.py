"""Real items for the digest tests (select / summarize / render), read from byte-for-byte copies in
tests/data/digest/ (provenance: ../shared/data/SOURCES.md):

- hn_algolia_scout-cpu_2026-08-02.json        Algolia HN front-page stories of 2026-08-02 (RAW)
- hn_algolia_EienMosu_llm_2026-08-18.json     Algolia HN "LLM OR OpenAI OR Anthropic" stories, with story_text (RAW)
- hf_daily_papers_scout-cpu_2026-08-02.json   Hugging Face Daily Papers API, 30 papers (RAW)
- linyueqian_2025-06-26.jsonl                 one arXiv listing day, 462 papers with abstracts (DERIVED, DEV split)
- finddme_news_items.techreview_kr_first12.jsonl  first 12 technologyreview.kr lines of finddme_news_items.jsonl:
  real Korean titles/URLs the old system reported on 2024-10-15/16/17 (DERIVED, DEV split; no snippets exist)

Items are built with plain json + aidigest.records (not the source parsers, which are tested on their own).
The CATEGORY assignments below are fixed by these helpers (the classifier is not under test here):
papers by arXiv primary category via ARXIV_TO_CATEGORY, HN stories by `hn_category`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re

from conftest import data_path

from aidigest.records import Classified, Item, Sighting
from aidigest.urls import canonical_key

ARXIV_TO_CATEGORY = {
    "cs.CL": "nlp", "cs.CV": "cv", "cs.LG": "training", "cs.AI": "llm", "cs.RO": "robotics", "cs.SD": "audio",
    "eess.AS": "audio", "eess.IV": "cv", "stat.ML": "training", "cs.IR": "tabular", "cs.CR": "policy",
    "cs.MA": "llm", "cs.HC": "policy", "cs.NE": "training", "cs.DC": "inference", "cs.AR": "inference",
}


def _strip_html(s: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", s or "")).strip()


def hn_items(name: str = "hn_algolia_scout-cpu_2026-08-02.json") -> list[Item]:
    data = json.loads(data_path("digest", name).read_text(encoding="utf-8"))
    out = []
    for h in data["hits"]:
        disc = f"https://news.ycombinator.com/item?id={h['objectID']}"
        url = h.get("url") or disc
        out.append(
            Item(
                kind="news", title=h["title"], url=url, key=canonical_key(url), snippet=_strip_html(h.get("story_text") or ""),
                published=dt.datetime.fromisoformat(h["created_at"].replace("Z", "+00:00")),
                sightings=[Sighting(source="hackernews", url=url, title=h["title"], points=h.get("points"),
                                    comments=h.get("num_comments"), discussion_url=disc)],
            )
        )
    return out


_AI = re.compile(r"\b(AI|LLMs?|OpenAI|Anthropic|GPT|agents?|Claude|model)\b", re.I)
_OTHERS = re.compile(r"Seinfeld|Cocaine|eBay|carmakers|EV Sales|words we teach", re.I)


def hn_category(item: Item) -> str:
    if _OTHERS.search(item.title):
        return "others"
    return "business" if _AI.search(item.title) else "software"


def hf_items() -> list[Item]:
    data = json.loads(data_path("digest", "hf_daily_papers_scout-cpu_2026-08-02.json").read_text(encoding="utf-8"))
    out = []
    for e in data:
        p = e["paper"]
        url = f"https://arxiv.org/abs/{p['id']}"
        out.append(
            Item(
                kind="paper", title=e["title"], url=url, key=f"arxiv:{p['id']}", snippet=p.get("summary", ""),
                arxiv_id=p["id"], published=dt.datetime.fromisoformat(e["publishedAt"].replace("Z", "+00:00")),
                authors=[a["name"] for a in p.get("authors", [])],
                sightings=[Sighting(source="hf_papers", url=f"https://huggingface.co/papers/{p['id']}",
                                    title=e["title"], upvotes=p.get("upvotes"))],
            )
        )
    return out


def arxiv_day_items() -> list[Item]:
    """462 papers of one arXiv listing day (2025-06-26), abstracts as snippets, no popularity signals."""
    out = []
    seen = set()
    for line in data_path("digest", "linyueqian_2025-06-26.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["id"] in seen:
            continue
        seen.add(d["id"])
        out.append(
            Item(
                kind="paper", title=d["title"], url=d["abs"], key=f"arxiv:{d['id']}", snippet=d.get("summary") or "",
                arxiv_id=d["id"], primary_category=d["categories"][0], authors=d.get("authors") or [],
                sightings=[Sighting(source="arxiv", url=d["abs"], title=d["title"])],
            )
        )
    return out


def paper_category(item: Item) -> str:
    return ARXIV_TO_CATEGORY.get(item.primary_category or "", "others")


def techreview_items(date: str) -> list[Item]:
    """Korean technologyreview.kr items the old system listed on `date` (titles + URLs only)."""
    out = []
    for line in data_path("digest", "finddme_news_items.techreview_kr_first12.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["date"] != date:
            continue
        out.append(
            Item(kind="news", title=d["title"], url=d["url"], key=canonical_key(d["url"]), language="ko",
                 sightings=[Sighting(source="techreview_kr", url=d["url"], title=d["title"])])
        )
    return out


def classify(items: list[Item], how) -> list[Classified]:
    return [Classified(item=it, category=how(it), method="offline") for it in items]


# ---- the loaders read what they should --------------------------------------------------------------
def test_fixture_loaders_read_the_real_recordings():
    hn = hn_items()
    assert len(hn) == 30 and all(it.hn_points and it.hn_points >= 20 for it in hn)
    hf = hf_items()
    assert len(hf) == 30 and max(it.hf_upvotes for it in hf) == 292
    day = arxiv_day_items()
    assert len(day) == 462 and all(it.snippet for it in day)
    tr = techreview_items("2024-10-16")
    assert len(tr) == 5 and all(it.language == "ko" and not it.snippet for it in tr)
