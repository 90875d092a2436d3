"""How release-6c11cbf.sqlite3 was made (run once, with aidigest at commit 6c11cbf, from the repository root):

    .venv/bin/python tests/data/stores/make_release_store.py tests/data/stores/release-6c11cbf.sqlite3

A store as the release before named migrations left it (PRAGMA user_version 5, every table created by the store's
one migration list), with rows in every table: the demo day run offline (`aidigest run --date 2026-08-02 --replay
demo/replay/2026-08-02 --llm none`: items, item_days, runs, source_outcomes, reported, embeddings, offline_labels,
offline_summaries), one LLM call through the fake OpenAI server of tests/fakes (llm_cache, llm_calls, llm_modes), one
snippet row and one delivery row written by their modules' own writers (aidigest.reuse, aidigest.deliver.notify; the
demo records no article page and delivers nothing), one HTTP validator row, then VACUUM.
tests/store/test_store_migrations.py opens it with the current code. Running this script with a later aidigest makes a
store of that later schema, not this one: the committed file is the record.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests"))

from fakes.fake_openai import FakeOpenAIServer  # noqa: E402

from pydantic import BaseModel  # noqa: E402

from aidigest.config import Config  # noqa: E402
from aidigest.deliver import notify  # noqa: E402
from aidigest.llm import Message, make_llm  # noqa: E402
from aidigest.records import LLMTotals  # noqa: E402
from aidigest.reuse import SnippetCache  # noqa: E402
from aidigest.infra.store import Store  # noqa: E402


class Sentence(BaseModel):
    sentence: str


def main(target: Path) -> None:
    work = Path(tempfile.mkdtemp())
    db = work / "s.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIDIGEST_", "OPENAI_", "ANTHROPIC_"))}
    subprocess.run([sys.executable, "-m", "aidigest.cli", "run", "--date", "2026-08-02", "--replay",
                    str(ROOT / "demo/replay/2026-08-02"), "--db", str(db), "--out", str(work / "out"), "--llm", "none"],
                   cwd=work, env=env, check=True)
    with FakeOpenAIServer(tokens_in=400, tokens_out=100) as srv, Store(db) as store:
        cfg = Config()
        cfg.llm.provider = "openai:gpt-4o-mini"
        llm_env = {"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": "sk-test-0"}
        llm = make_llm(cfg, store, None, LLMTotals(), env=llm_env)

        async def go():
            try:
                return await llm.complete([Message(role="user", content="Say one sentence about transformers.")],
                                          schema=Sentence, purpose="store-fixture")
            finally:
                await llm.aclose()

        asyncio.run(go())
        notify._record(store, notify._Slot(dt.date(2026, 8, 2), "news", "0" * 16), notify._Row("#1 json://localhost", "sent", 2, 2))
        # rows that do not change a rerun of the demo day: a page that is not one of its links, a delivery that was sent
        SnippetCache(store).put("https://example.com/an-article-of-another-day", 600, "A snippet.", "2026-07-30")
        store.put_validators("https://example.com/feed.xml", '"etag-1"', None, b"<rss/>")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("VACUUM")
    conn.close()
    shutil.copyfile(db, target)
    shutil.rmtree(work)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
