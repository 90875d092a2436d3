"""The store (a real SQLite file, and a real PostgreSQL server: `store_db` runs a test on both) and configuration
loading."""

from __future__ import annotations

import datetime as dt
import sqlite3
import tomllib

import pytest

from aidigest.collect import store_items
from aidigest.config import Config, ConfigError, default_config_text, load_config
from aidigest.dedupe.merge import merge_items
from aidigest.records import Item, Sighting, SourceOutcome
from aidigest.infra.store import SCHEMA_VERSION, Store
from aidigest.urls import canonical_key

DAY = dt.date(2026, 8, 2)


def paper(aid: str, source: str, **kw) -> Item:
    url = f"https://arxiv.org/abs/{aid}v2" if source == "arxiv" else f"https://huggingface.co/papers/{aid}"
    return Item(
        kind="paper", title=kw.pop("title", f"Paper {aid}"), url=url, key=canonical_key(url), arxiv_id=aid,
        sightings=[Sighting(source=source, url=url, **kw)],
    )


def news(url: str, points: int) -> Item:
    return Item(kind="news", title="A story", url=url, key=canonical_key(url),
                sightings=[Sighting(source="hackernews", url=url, points=points)])


def test_schema_created_and_migrated_on_open(tmp_path):
    db = tmp_path / "sub" / "a.sqlite3"
    with Store(db) as s:
        assert s.schema_version == SCHEMA_VERSION
    raw = sqlite3.connect(db)
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"items", "item_days", "runs", "source_outcomes", "reported", "llm_cache", "llm_calls"} <= tables
    raw.close()
    with Store(db) as s:  # reopening doesn't re-run migrations
        assert s.schema_version == SCHEMA_VERSION


def test_upsert_is_idempotent_and_merges_signals(store_db):
    with Store(store_db) as s:
        items = [news("https://example.com/a?utm_source=hn", 10), paper("2607.23193", "hf_papers", upvotes=5)]
        assert store_items(s, DAY, items) == 2
        before = (s.count("items"), s.count("item_days"))
        # the same day again, with fresher signals and the arXiv record of the same paper
        again = [news("https://example.com/a", 25), paper("2607.23193", "arxiv", title="Real title")]
        assert store_items(s, DAY, again) == 0
        assert (s.count("items"), s.count("item_days")) == before
        stored = {i.key: i for i in s.items_for_day(DAY)}
        assert stored["https://example.com/a"].hn_points == 25
        p = stored["arxiv:2607.23193"]
        assert p.sources == ["hf_papers", "arxiv"] and p.hf_upvotes == 5


def test_same_item_on_two_days(store_db):
    with Store(store_db) as s:
        store_items(s, DAY, [news("https://example.com/a", 10)])
        store_items(s, DAY + dt.timedelta(days=1), [news("https://example.com/a", 50)])
        assert s.count("items") == 1 and s.count("item_days") == 2
        assert len(s.items_for_day(DAY + dt.timedelta(days=1))) == 1


def test_upsert_stores_what_it_is_given(store_db):
    """The store does not merge: a second upsert of a key replaces the stored item (keeping its first day);
    folding sightings together is collect/dedupe's work (`store_items`)."""
    with Store(store_db) as s:
        assert s.upsert_items(DAY, [paper("2607.23193", "hf_papers", upvotes=5)]) == 1
        assert s.upsert_items(DAY + dt.timedelta(days=1), [paper("2607.23193", "arxiv", title="Real title")]) == 0
        (p,) = s.items_for_day(DAY)
        assert p.sources == ["arxiv"] and p.title == "Real title" and p.hf_upvotes is None
        row = s.query_one("SELECT first_day, last_day FROM items WHERE key = ?", (p.key,))
        assert tuple(row) == (DAY.isoformat(), (DAY + dt.timedelta(days=1)).isoformat())
        # what the store has for keys / arXiv ids, in stored order: what dedupe merges into
        assert list(s.stored_items(["nothing"], ["2607.23193"])) == [p.key]
        assert s.stored_items(["nothing"], ["0000.00000"]) == {}


def test_store_items_folds_into_the_stored_item_by_arxiv_id(store_db):
    """An HN link to the arXiv abstract of a paper stored under another key joins the stored paper on a later day."""
    with Store(store_db) as s:
        hf = paper("2607.23193", "hf_papers", upvotes=5)
        hf = hf.model_copy(update={"key": "hf:2607.23193"})
        assert store_items(s, DAY, [hf]) == 1
        link = paper("2607.23193", "arxiv", title="Real title", points=None)
        assert store_items(s, DAY + dt.timedelta(days=1), [link]) == 0
        assert s.count("items") == 1
        (p,) = s.items_for_day(DAY + dt.timedelta(days=1))
        assert p.key == "hf:2607.23193" and p.sources == ["hf_papers", "arxiv"] and p.hf_upvotes == 5


def test_runs_outcomes_and_reported_window(store_db):
    with Store(store_db) as s:
        rid = s.start_run(DAY, "collect")
        s.record_outcome(rid, SourceOutcome(source="arxiv", kind="paper", status="failed", error="HTTP 503"))
        s.record_outcome(rid, SourceOutcome(source="hackernews", kind="news", status="ok", items=12))
        s.finish_run(rid, "ok")
        assert [o.status for o in s.outcomes(rid)] == ["failed", "ok"]
        assert s.last_outcomes()["arxiv"][1].error == "HTTP 503"
        s.mark_reported(DAY - dt.timedelta(days=3), [("k1", "news", "llm", 10.0)])
        s.mark_reported(DAY - dt.timedelta(days=10), [("k2", "news", "llm", 10.0)])
        s.mark_reported(DAY, [("k3", "news", "llm", 1.0)])
        window = s.reported_before(DAY, 7)
        assert set(window) == {"k1"}  # k2 too old, k3 is the same day
        # rerunning a day replaces its rows rather than adding
        s.mark_reported(DAY, [("k3", "news", "llm", 2.0)])
        assert s.count("reported") == 3


def test_merge_items_joins_arxiv_ids_across_sources():
    hn_url = "https://arxiv.org/pdf/2607.23193v1"
    hn = Item(kind="news", title="OmniScope (arxiv.org)", url=hn_url, key=canonical_key(hn_url),
              sightings=[Sighting(source="hackernews", url=hn_url, points=120, comments=30)])
    merged, n = merge_items([paper("2607.23193", "hf_papers", upvotes=40), paper("2607.23193", "arxiv"), hn])
    assert n == 2 and len(merged) == 1
    m = merged[0]
    assert m.kind == "paper" and m.sources == ["hf_papers", "arxiv", "hackernews"]
    assert (m.hf_upvotes, m.hn_points, m.hn_comments) == (40, 120, 30)


# ---- config -----------------------------------------------------------------------------------
def test_default_file_is_the_reference():
    assert Config.model_validate(tomllib.loads(default_config_text())) == Config()


def test_env_overrides_file(tmp_path):
    f = tmp_path / "a.toml"
    f.write_text('[general]\nlanguage = "en"\n[llm]\nprovider = "openai:gpt-4o-mini"\n')
    cfg = load_config(f, env={"AIDIGEST_LLM": "none", "AIDIGEST_BUDGET_USD": "0.5"})
    assert cfg.general.language == "en" and cfg.llm.provider == "none" and cfg.llm.budget_usd == 0.5


@pytest.mark.parametrize(
    "text,env,needle",
    [
        ("[general\n", {}, "not valid TOML"),
        ("[general]\nlanguge = 'ko'\n", {}, "general.languge"),
        ("[http]\ntimeout_s = 'soon'\n", {}, "http.timeout_s"),
        ("", {"AIDIGEST_BUDGET_USD": "lots"}, "AIDIGEST_BUDGET_USD"),
    ],
)
def test_config_errors_are_one_clear_line(tmp_path, text, env, needle):
    f = tmp_path / "c.toml"
    f.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(f, env=env)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_missing_explicit_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", env={})
