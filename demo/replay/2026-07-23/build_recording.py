"""Rebuild this replay recording (index.json + bodies/) from the real GeekNews recording in ../shared/data.

2026-07-23 (KST) is the demo's Korean day: the one real recording of a Korean feed we have is GeekNews's Atom
feed as fetched late on 2026-07-23 KST (comeva2kr/ai-command-bus test/fixtures/geeknews.xml @ 1adcae5a, a real
one-time fetch; 50 entries from 2026-07-22 07:19 to 2026-07-23 23:35 KST). Its body is copied byte for byte
and answers the exact request the geeknews source sends (GET https://news.hada.io/rss/news). The source keeps
the 31 entries of 2026-07-23 in Asia/Seoul (the default [general] timezone) and counts the other 19.

No other source was recorded on or near this day (no Hacker News, Hugging Face, arXiv or technologyreview.kr
body of 2026-07-22/23 exists in the shared data), so nothing else is in this recording: those sources show
`no_recording` in the day's run health, and the linked pages' snippets count as `missing`. Nothing is invented.

Run from the repository root:  .venv/bin/python demo/replay/2026-07-23/build_recording.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from aidigest.config import Config

HERE = Path(__file__).resolve().parent
SRC = "geeknews/atom_raw_comeva2kr_2026-07-23.xml"
BODY = "bodies/geeknews_atom_comeva2kr_2026-07-23.xml"
NOTE = (
    "Real body: ../shared/data/geeknews/atom_raw_comeva2kr_2026-07-23.xml (comeva2kr/ai-command-bus "
    "test/fixtures/geeknews.xml @ 1adcae5a63c55a56adfa940b554d5fac605b047f, a real one-time fetch of this URL late "
    "on 2026-07-23 KST), byte for byte. Same request as ours. The recording's other sources are absent: nothing "
    "else was recorded on 2026-07-22/23."
)


def main(data: Path) -> None:
    url = Config().sources.geeknews.url  # the default config's request
    (HERE / "bodies").mkdir(exist_ok=True)
    shutil.copyfile(data / SRC, HERE / BODY)  # byte for byte
    index = {"version": 1, "entries": [{
        "method": "GET", "url": url, "status": 200, "headers": {"content-type": "application/atom+xml; charset=utf-8"},
        "body_file": BODY, "note": NOTE,
    }]}
    tmp = HERE / "index.json.tmp"
    tmp.write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(HERE / "index.json")
    print(f"wrote {len(index['entries'])} entry to {HERE / 'index.json'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3].parent / "shared" / "data")
