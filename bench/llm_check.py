"""How many wrong LLM categories reach the report, without and with the offline check (aidigest.classify.check).

    .venv/bin/python bench/llm_check.py            # prints the table (writes nothing)

The day: the demo day's real recording (demo/replay/2026-08-02, 82 items after merging, news and papers),
collected through the replay as `aidigest run --replay` does. The LLM: the loopback OpenAI-compatible fake of
tests/fakes (FakeOpenAIServer) with `WrongResponder` below, through the real provider client (HTTP, schema,
validation). What it fakes, honestly (no model runs):

- its RIGHT answer for an item is the category the real offline classifier gives it (as the golden demo_llm
  day's fake does: bench/fake_llm.Responder), so "right" here is the offline classifier's opinion; the bench
  measures how many planted slips get past the check, not how often the offline classifier itself is wrong
  (where it is, a right LLM answer could be overturned: not measurable with this truth, see docs/llm.md);
- it answers a WRONG category for 20 % of the items, chosen deterministically (the items whose sha256 of the
  normalized title is lowest, and always "Microsoft raises Xbox prices by up to 43%" as Large Language Models);
  the wrong id is hash-picked among every other taxonomy id (so some slips stay inside a family: those the
  check is not meant to catch);
- asked again about an item (the check's second question, with its note), it either insists on its wrong answer
  (`insists`: the worst case, a model that does not listen) or answers the category the note names (`listens`).

"Reaches the report": the item is listed (a section's full or compact list, or the non-AI list) under a wrong
category; "left out wrongly": an item of a reported category filed `others` (dropped from the report).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests")]

from fake_llm import Responder, call_kind, norm_title  # noqa: E402
from fakes import RecordedRequest, Reply  # noqa: E402
from fakes.fake_openai import FakeOpenAIServer  # noqa: E402

DAY = dt.date(2026, 8, 2)
REPLAY = REPO / "demo" / "replay" / DAY.isoformat()
SHARE = 0.2
XBOX = "Microsoft raises Xbox prices by up to 43%"
_NOTE = re.compile(r"Note on item (\d+): you answered `(\w+)` .*? confident it is `(\w+)`")
_ITEM_BLOCK = re.compile(r'<untrusted-text label="item (\d+)">\n(.*?)\n</untrusted-text>', re.S)


def _h(title: str) -> int:
    return int(hashlib.sha256(norm_title(title).encode()).hexdigest()[:12], 16)


def plant_wrong(truth: dict[str, str], ids: list[str], share: float = SHARE) -> dict[str, str]:
    """{title: wrong id} for `share` of the titles (deterministic; the Xbox story always, as `llm`)."""
    titles = sorted(truth)
    n = round(share * len(titles))
    wrong: dict[str, str] = {}
    if XBOX in truth and truth[XBOX] != "llm":
        wrong[XBOX] = "llm"
    for t in sorted((t for t in titles if t not in wrong), key=_h):
        if len(wrong) >= n:
            break
        others = [i for i in ids if i != truth[t]]
        wrong[t] = others[_h(t + "#wrong") % len(others)]
    return wrong


class WrongResponder(Responder):
    """bench/fake_llm.Responder (valid classify and summary answers) with planted wrong categories."""

    def __init__(self, truth: dict[str, str], wrong: dict[str, str], reported_ids: list[str], listens: bool):
        super().__init__({**truth, **wrong}, reported_ids)
        self.listens = listens
        self.rechecks = 0

    def __call__(self, req: RecordedRequest) -> Reply:
        body = req.body if isinstance(req.body, dict) else {}
        prompt = (body.get("messages") or [{}])[-1].get("content") or ""
        notes = {int(i): (first, offline) for i, first, offline in _NOTE.findall(prompt)}
        if call_kind(body) == "classify" and notes:
            self.rechecks += 1
            self.calls["classify"] += 1
            answers = [f"{i}:{notes[i][1] if self.listens else notes[i][0]}"
                       for i in (int(x) for x, _ in _ITEM_BLOCK.findall(prompt)) if i in notes]
            return Reply(json={"items": answers})
        return super().__call__(req)


async def _items(work: Path):
    from aidigest.collect import collect_day
    from aidigest.config import Config
    from aidigest.dedupe.near import merge_near_duplicates
    from aidigest.infra.http import HttpClient
    from aidigest.infra.store import Store

    with Store(str(work / "collect.db")) as store:
        async with HttpClient.create(Config().http, replay=REPLAY) as http:
            await collect_day(DAY, Config(), store, http)
        items = store.items_for_day(DAY)
    return merge_near_duplicates(items)[0]


def measure(work: Path, check: bool, listens: bool = False) -> dict:
    """One run of the day's classification + both digests against the 20 %-wrong fake; the counts."""
    from aidigest.assemble import build_digest
    from aidigest.classify import check as check_module
    from aidigest.classify.items import classify_items, classify_offline
    from aidigest.config import Config
    from aidigest.context import DayContext
    from aidigest.llm.factory import make_llm
    from aidigest.records import LLMTotals
    from aidigest.infra.store import Store
    from aidigest.taxonomy import load_taxonomy

    work.mkdir(parents=True, exist_ok=True)
    taxonomy = load_taxonomy()
    items = asyncio.run(_items(work))
    truth = {it.title: cat for it, (cat, _) in zip(items, classify_offline(items, taxonomy))}
    wrong = plant_wrong(truth, taxonomy.ids)
    responder = WrongResponder(truth, wrong, [c.id for c in taxonomy.reported()], listens)
    config = Config.model_validate({"llm": {"provider": "openai:fake-model"}})
    saved = check_module.CONFIDENT
    check_module.CONFIDENT = saved if check else float("inf")  # "before": the check never fires
    try:
        with FakeOpenAIServer(responder=responder) as srv, Store(str(work / f"run-{check}-{listens}.db")) as store:
            async def go():
                llm = make_llm(config, store, None, LLMTotals(),
                               env={"OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": "sk-bench"})
                try:
                    return await classify_items(items, taxonomy, llm, config, store=store)
                finally:
                    await llm.aclose()

            classified, health = asyncio.run(go())
            ctx = DayContext(day=DAY, language="ko", config=config, taxonomy=taxonomy, store=None, llm=None)
            digests = [asyncio.run(build_digest(ctx, kind, classified)) for kind in ("news", "paper")]
    finally:
        check_module.CONFIDENT = saved
    listed = {e.key for d in digests for s in d.sections for e in s.entries}
    listed |= {c.key for d in digests for s in d.sections for c in s.more}
    listed |= {o.key for d in digests for o in d.other_tech}
    cat = {c.item.key: c.category for c in classified}
    bad = [c for c in classified if c.category != truth[c.item.title]]
    return {
        "items": len(items), "planted": len(wrong), "wrong_final": len(bad),
        "wrong_in_report": sum(c.item.key in listed for c in bad),
        "left_out_wrongly": sum(cat[c.item.key] == "others" and truth[c.item.title] != "others" for c in bad),
        "xbox": next((c.category for c in classified if c.item.title == XBOX), None),
        "disputed": len(health.checks), "rechecks": responder.rechecks,
        "right_overturned": sum(c.final != truth[c.title] and c.llm == truth[c.title] for c in health.checks),
        "cross_family_planted": sum(taxonomy[w].family_id != taxonomy[truth[t]].family_id for t, w in wrong.items()),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        rows = [("before (no check)", measure(Path(d) / "a", check=False)),
                ("after, fake insists", measure(Path(d) / "b", check=True, listens=False)),
                ("after, fake listens", measure(Path(d) / "c", check=True, listens=True))]
    r0 = rows[0][1]
    print(f"demo day {DAY}: {r0['items']} items, {r0['planted']} wrong LLM answers planted "
          f"({r0['cross_family_planted']} in another family than the right one)")
    cols = ["wrong_final", "wrong_in_report", "left_out_wrongly", "disputed", "rechecks", "right_overturned", "xbox"]
    print(f"{'':22s} " + " ".join(f"{c:>16s}" for c in cols))
    for name, r in rows:
        print(f"{name:22s} " + " ".join(f"{r[c]!s:>16s}" for c in cols))


if __name__ == "__main__":
    main()
