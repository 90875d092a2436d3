"""2024-10-29, the day of the old system's report (docs/old-system/), rebuilt from that day's real titles and links
(demo/replay/2024-10-29, reconstructed envelopes: see its NOTES.md) and run offline by the golden case
`old_system_day` (tests/golden_days.py). This file checks what the README shows of it: the example report in
docs/examples/2024-10-29/ is the golden output, byte for byte, and the day's Korean items are filed into AI
categories."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import golden_days
from conftest import REPO

OUT = golden_days.GOLDEN / "old_system_day" / "out" / "2024-10-29"
EXAMPLE = REPO / "docs" / "examples" / "2024-10-29"


def test_the_readme_example_is_the_golden_output():
    for name in ("News_2024-10-29_report.md", "news_2024-10-29.png"):
        assert (EXAMPLE / name).read_bytes() == (OUT / name).read_bytes(), f"{name}: copy it from {OUT}"
    assert (REPO / "docs" / "old-system" / "News_2024-10-29_report.md").exists()


def test_the_five_technologyreview_items_are_in_ai_categories_and_the_hn_tools_are_not():
    digest = json.loads((OUT / "News_2024-10-29.json").read_text(encoding="utf-8"))
    shown = {e["title"]: sec["category"] for sec in digest["sections"] for e in sec["entries"]}
    korean = {t for t, _ in shown.items() if any("\uac00" <= ch <= "\ud7a3" for ch in t)}
    other = {e["title"] for e in digest["other_tech"]}
    kr_hosts = {urlsplit(e["url"]).hostname for sec in digest["sections"] for e in sec["entries"] if e["title"] in korean}
    assert len(korean) == 5 and kr_hosts == {"www.technologyreview.kr"}  # all 5 in AI sections, none in the other list
    assert shown["중국 정부가 AI 규제에 소극적인 이유는?"] == "policy"
    # the old report filed these build/debugging posts under "Model training technique", "Audio", "Inference acceleration"
    assert {"Mill: A fast JVM build tool for Java and Scala",
            "Debugging audio artifacts caused by... a serial port?"} <= other
