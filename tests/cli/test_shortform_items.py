"""Delivered messages carry title + link + sentence for every item (issue 19: the delivered paper digests showed
the excerpt without the paper it came from). The digests are built from the real Hugging Face Daily Papers and
Hacker News recordings (tests/data/digest), written by the real report writer, and delivered through apprise to a
JSON webhook receiver on 127.0.0.1 (tests/fakes/receivers.HookServer); the other formats are checked on the
rendered bodies."""

from __future__ import annotations

import datetime as dt
from test_render_markdown import _as_llm, _digest  # tests/render (every layer folder is on pytest's pythonpath)
from test_summarize_fixtures import classify, hf_items, hn_category, hn_items  # tests/summarize

from fakes.receivers import HookServer

from aidigest.config import Config  # noqa: E402
from aidigest.deliver import build_short_form, notify_day, pack  # noqa: E402
from aidigest.deliver.notify import NotifyOptions  # noqa: E402
from aidigest.render.write import write_report  # noqa: E402
from aidigest.infra.store import Store  # noqa: E402

DAY = dt.date(2026, 8, 2)


def _papers():
    return _digest(classify(hf_items(), lambda it: "llm"), kind="paper")


def test_offline_paper_items_have_title_link_and_the_labelled_sentence():
    digest = _papers()
    sf = build_short_form(digest, top=3)
    items = [ln for ln in sf.lines if ln.role == "item"]
    entries = digest.sections[0].entries[:3]
    assert len(items) == 3 and any(e.result for e in entries)
    for ln, e in zip(items, entries, strict=True):
        assert ln.title == " ".join(e.title.split()) and ln.url == e.url
        if e.result:
            assert ln.text == f"원문 발췌: “{' '.join(e.result.split())}”"
    for fmt in ("markdown", "html", "text", "email"):
        body = pack(sf, fmt, 0)[0]
        for e in entries:
            assert e.title.split()[0] in body and e.url in body, fmt
            if e.result:
                assert " ".join(e.result.split())[:40] in body, fmt
    md = pack(sf, "markdown", 0)[0]
    e = entries[0]
    assert f"- [{e.title}]({e.url}) — 원문 발췌: “" in md


def test_llm_items_have_title_link_and_tldr():
    digest = _as_llm(_digest(classify(hn_items(), hn_category)))
    sf = build_short_form(digest, top=2)
    items = [ln for ln in sf.lines if ln.role == "item"]
    assert items and all(ln.title and ln.url for ln in items)
    by_url = {e.url: e for s in digest.sections for e in s.entries}
    for ln in items:
        e = by_url[ln.url]
        assert ln.text == (" ".join(e.tldr.split()) if e.tldr != e.title else "")
    html = pack(sf, "html", 0)[0]
    ln = items[0]
    assert f'• <a href="{ln.url}">' in html.replace("&amp;", "&") and ln.title.split()[0] in html


def test_a_long_title_and_sentence_are_shortened_but_never_the_link():
    digest = _papers()
    sf = build_short_form(digest, top=8)
    for fmt, limit in (("markdown", 300), ("text", 300), ("html", 300)):
        bodies = pack(sf, fmt, limit)
        assert all(len(b) <= limit for b in bodies)
        joined = "\n".join(bodies)
        assert all(e.url in joined for e in digest.sections[0].entries[:8])


def test_the_delivered_webhook_message_names_each_paper(tmp_path):
    digest = _papers()
    out = tmp_path / "out"
    write_report(digest, out)
    cfg = Config().updated(notify={"targets": [], "top": 3})
    with HookServer() as hooks:
        cfg = cfg.updated(notify={"targets": [f"json://127.0.0.1:{hooks.port}/hook"], "top": 3})
        with Store(tmp_path / "d.db") as store:
            res = notify_day(DAY, out, cfg, store, options=NotifyOptions(env={"NO_PROXY": "127.0.0.1"}, kinds=("paper",)))
        assert not res.failed, [d.error for d in res.failed]
        [req] = hooks.requests
    message = req.json["message"]
    for e in digest.sections[0].entries[:3]:
        assert e.url in message
        # the title, Markdown-escaped as the message is, next to its link
        assert e.title.split()[0].replace("_", "\\_") in message.split(e.url)[0].splitlines()[-1]
