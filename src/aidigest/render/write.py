"""Writing a digest to disk: Markdown report, category chart (PNG) and JSON export, all atomically.

    <out_dir>/YYYY-MM-DD/News_YYYY-MM-DD_report.md     Papers_YYYY-MM-DD_report.md
    <out_dir>/YYYY-MM-DD/news_YYYY-MM-DD.png           paper_YYYY-MM-DD.png        (names as in the seed)
    <out_dir>/YYYY-MM-DD/News_YYYY-MM-DD.json          Papers_YYYY-MM-DD.json

Korean reports keep the seed's names; a report in any other language gets the language as a suffix
(News_YYYY-MM-DD_report_en.md, news_YYYY-MM-DD_en.png, News_YYYY-MM-DD_en.json), so `--lang en` never
overwrites the Korean files.

    paths = write_report(digest, out_dir, health=run_health, chart=png)   # png: prepare_chart's bytes, or None

The chart shows only the selection (categories, counts, top titles): the pipeline draws it early with
`prepare_chart(preview, out_dir)` and hands its bytes to `write_report`; without them it is drawn there.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ..records import RunHealth
from ..report import Digest, ReportPaths
from ..infra.atomic import clean_stale_temp, write_bytes_atomic, write_text_atomic
from .chart import digest_chart
from .export import digest_json
from .markdown import render_markdown, report_kind_word

log = logging.getLogger("aidigest.render")


def file_names(digest: Digest) -> tuple[str, str, str]:
    """(markdown, chart, json) file names for the digest's day and kind."""
    d = digest.day.isoformat()
    word = report_kind_word(digest.kind)
    sfx = "" if digest.language == "ko" else f"_{digest.language}"
    return f"{word}_{d}_report{sfx}.md", f"{digest.kind}_{d}{sfx}.png", f"{word}_{d}{sfx}.json"


def prepare_chart(digest: Digest, out_dir: Path) -> bytes | None:
    """The chart of `digest` as PNG bytes, drawn now (a chart shows only categories, counts and top titles: the
    pipeline draws it from the preview in a thread while the LLM writes the summaries, and passes the bytes to
    `write_report`). Nothing is written; an unchanged chart already in `out_dir` is read, not drawn."""
    return digest_chart(digest, previous=Path(out_dir) / digest.day.isoformat() / file_names(digest)[1])


def shown_items(digest: Digest) -> int:
    """Items a report shows by title: full entries, one-line entries, returning stories and the non-AI list."""
    return digest.stats.full + digest.stats.compact + digest.stats.returning + digest.stats.other_tech_listed


def published_report(digest: Digest, out_dir: Path) -> tuple[Path, int] | None:
    """(the Markdown report already written for the digest's day and kind, items it shows), from its JSON export;
    None when there is none (or its export cannot be read: then nothing is known to be lost by rewriting it)."""
    md_name, _, json_name = file_names(digest)
    day_dir = Path(out_dir) / digest.day.isoformat()
    try:
        stats = json.loads((day_dir / json_name).read_bytes())["stats"]
        shown = (int(stats["full"]) + int(stats["compact"]) + int(stats.get("returning", 0))
                 + int(stats.get("other_tech_listed", 0)))  # counted as shown_items() counts them
        return day_dir / md_name, shown
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def write_report(digest: Digest, out_dir: Path, health: RunHealth | None = None, templates: str | Path | None = None,
                 chart: bytes | None = None) -> ReportPaths:
    """Write `<out_dir>/YYYY-MM-DD/{News|Papers}_YYYY-MM-DD_report.md`, the chart PNG and the JSON export.

    All three files are written atomically. The run-health section uses `health` when given (the run's merged
    health), else `digest.health`. Same digest -> byte-identical files. `chart`: the chart's PNG bytes drawn
    earlier from this digest's selection (`prepare_chart`); None: drawn here. `templates`: folder of template
    overrides (`[site] templates`; report.md.j2 there replaces the built-in layout).
    """
    if health is not None:
        digest = digest.model_copy(update={"health": health})
    return write_all(digest, Path(out_dir), templates, chart)


def write_all(digest: Digest, out_dir: Path, templates: str | Path | None = None,
              chart: bytes | None = None) -> ReportPaths:
    """`templates`: the override folder of report.md.j2 (`[site] templates`). The report is rendered before any
    file is written: a broken template (TemplateProblem) leaves the day's files as they were."""
    day_dir = Path(out_dir) / digest.day.isoformat()
    md_name, png_name, json_name = file_names(digest)
    notes = list(digest.health.notes)
    png: bytes | None = chart
    try:
        if png is None:
            png = digest_chart(digest, previous=day_dir / png_name)  # unchanged since the last run: not redrawn
    except Exception as e:  # a chart problem must not cost the report; it is said in the run health
        log.warning("chart for %s %s failed: %s: %s", digest.kind, digest.day, type(e).__name__, e)
        digest = _with_note(digest, f"{digest.kind} chart not drawn ({type(e).__name__})")
    md = render_markdown(digest, png_name if png is not None else None, templates)
    day_dir.mkdir(parents=True, exist_ok=True)
    cleaned = clean_stale_temp(day_dir)  # left by a write that was killed before its rename
    if cleaned:
        log.info("removed %d temp file(s) left by an interrupted write in %s", cleaned, day_dir)
    chart_path: Path | None = None
    if png is not None:
        try:
            chart_path = write_bytes_atomic(day_dir / png_name, png)
        except Exception as e:  # as above; the report is rendered again, without the chart and with the note
            log.warning("chart for %s %s failed: %s: %s", digest.kind, digest.day, type(e).__name__, e)
            digest = _with_note(digest, f"{digest.kind} chart not drawn ({type(e).__name__})")
            md = render_markdown(digest, None, templates)
    md_path = write_text_atomic(day_dir / md_name, md)
    json_path = write_text_atomic(day_dir / json_name, digest_json(digest))
    return ReportPaths(markdown=md_path, chart=chart_path, json=json_path, notes=tuple(digest.health.notes[len(notes):]))


def _with_note(digest: Digest, note: str) -> Digest:
    """`digest` with `note` added to a copy of its health (the caller's health object is not changed: the notes
    come back in ReportPaths.notes for the pipeline to merge)."""
    return digest.model_copy(update={"health": digest.health.model_copy(update={"notes": [*digest.health.notes, note]})})
