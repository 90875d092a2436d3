"""Report details a Korean reader stumbled on (issue 19), each on real recordings (tests/data/digest):

- the facts line's source counts add up to what it counts (an item seen in two sources is counted once);
- the facts line names the list's first item (no "most discussed" that sits further down);
- the run-health counts have a heading of their own (they hung under "대체 경로: 없음");
- each report lists only its own kind's sources in run health;
- a failed delivery's run-health line is in Korean in a Korean report.
"""

from __future__ import annotations

import re

from test_render_markdown import _digest
from test_summarize_fixtures import classify, hf_items, hn_category, hn_items

from aidigest.records import RunHealth, Sighting, SourceOutcome
from aidigest.render.health_words import note_words
from aidigest.render.markdown import render_markdown
from aidigest.summarize.header import section_header


def _two_source_papers():
    items = hf_items()[:6]
    both = items[2]
    items[2] = both.model_copy(update={"sightings": [*both.sightings,
                                                     Sighting(source="arxiv", url=both.url, title=both.title)]})
    return items


def _counts(header: str) -> tuple[int, int]:
    """(k the counts say they are of, sum of the counts)."""
    m = re.search(r"상위 (\d+)건의 출처: (.*)$", header)
    assert m, header
    return int(m.group(1)), sum(int(n) for n in re.findall(r" (\d+)(?:,|$)", m.group(2)))


def test_source_counts_add_up_to_the_items_they_count():
    items = _two_source_papers()
    assert len(items[2].sources) == 2
    h = section_header("paper", items, 25, "ko")
    assert h.startswith("오늘 25건 (상위 6건 아래)")
    k, total = _counts(h)
    assert k == len(items) == total  # was "출처: HF Daily Papers 6, arXiv 1" for 6 items
    assert "arXiv+HF Daily Papers 1" in h and "HF Daily Papers 5" in h
    # all listed: the counts add up to the day's count
    h = section_header("paper", items, 6, "ko")
    assert h.startswith("오늘 6건") and "상위" not in h
    assert sum(int(n) for n in re.findall(r" (\d+)(?:,|$)", h.split("출처: ")[1])) == 6
    en = section_header("paper", items, 25, "en")
    assert "sources of the top 6: HF Daily Papers 5, arXiv+HF Daily Papers 1" in en
    # one item in two sources: the line names both, and no count is needed
    assert section_header("paper", items[2:3], 1, "ko") == "오늘 1건 · 출처: arXiv+HF Daily Papers"


def test_the_facts_line_names_the_first_listed_item():
    items = hn_items()[:6]
    # the list's order is the ranking's; put a less discussed item first, as the ranking may
    items.sort(key=lambda it: (it.hn_points or 0) + (it.hn_comments or 0))
    assert (items[0].hn_points or 0) < max(it.hn_points or 0 for it in items)
    h = section_header("news", items, 6, "ko")
    assert f"1위: “{items[0].title[:40]}" in h
    # and in a built report, the line names the entry numbered 1
    digest = _digest(classify(hn_items(), hn_category))
    for sec in digest.sections:
        if len(sec.entries) > 1 and "1위" in sec.header:
            assert sec.entries[0].title[:40] in sec.header


def _health() -> RunHealth:
    return RunHealth(outcomes=[
        SourceOutcome(source="hackernews", kind="news", status="ok", items=30),
        SourceOutcome(source="arxiv", kind="paper", status="ok", items=25),
        SourceOutcome(source="hf_papers", kind="paper", status="failed", items=0, error="HTTP 503"),
    ], notes=["deliveries that failed and are retried by the next notify: 2 (2026-08-02 news, 2026-08-02 paper)"])


def _health_block(md: str) -> str:
    return md.split("## 🩺 실행 상태", 1)[1]


def test_run_health_counts_have_their_own_heading_and_each_report_its_own_sources():
    papers = _digest(classify(hf_items(), lambda it: "llm"), kind="paper", health=_health())
    news = _digest(classify(hn_items(), hn_category), kind="news", health=_health())
    p, n = _health_block(render_markdown(papers, None)), _health_block(render_markdown(news, None))
    # counts under a heading of their own, after the fallbacks
    for block in (p, n):
        assert re.search(r"\*\*대체 경로:\*\*\n\n - 없음\n\n\*\*집계:\*\*\n\n - 수록: ", block), block
    assert "Hacker News" not in p and "arXiv (paper)" in p and "HF Daily Papers (paper): 실패" in p
    assert "Hacker News (news): 정상, 30건" in n and "arXiv" not in n and "HF Daily Papers" not in n


def test_a_failed_delivery_is_said_in_korean():
    note = _health().notes[0]
    ko = note_words(note, "ko")
    assert ko == "전송에 실패해 다음 notify 때 다시 보낼 보고서 2건 (2026-08-02 뉴스, 2026-08-02 논문)"
    assert note_words(note, "en") == note
    assert note_words("paper: 2 duplicate item(s) handed to the digest, shown once", "ko") == "논문: 중복으로 들어온 항목 2건은 한 번만 표시"
    md = render_markdown(_digest(classify(hn_items(), hn_category), health=_health()), None)
    block = _health_block(md)
    assert "**참고:**\n\n - " + ko in block and "deliveries that failed" not in md
