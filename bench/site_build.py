"""Bench section `site`: the static web archive (aidigest.render.site) over a year of days.

    python bench/run.py --sections site            # 365 days (+ one more for the incremental build)
    python bench/site_build.py                     # the same, printed, nothing written to bench/results

The days: 365 consecutive days (2025-08-03 .. 2026-08-02) of News and Papers exports, written as the pipeline
writes them (the `Digest` model's JSON export + a chart PNG beside each). Their items are the REAL titles, URLs,
abstracts and signals of shared/data (bench/common.load_real_records: arXiv papers, the old system's news items,
Hacker News and Hugging Face recordings), dealt out without repetition inside a day; ~30 news and ~60 papers a day
over the taxonomy's categories, with weights that drift over the year (so the trend charts have growth to show);
per category at most 8 entries in full (four-part summary built from the items' own text, TL;DR = the abstract's
first sentence) and the rest as compact entries. The chart PNG is one real day chart (render/chart.py) per kind,
drawn once and copied beside every day: the site only copies charts.

Measured, in one process (a fresh Python, so the web-font subset is made once, inside the full build):
- full build of the 365 days into an empty folder;
- incremental: one new day added, rebuilt (what is rewritten, and how long);
- no-op: rebuilt again with nothing new: files written (must be 0; checked on every file's inode, mtime and
  bytes, and the state file), time;
- the site's size (bytes, files).

Targets: full ≤ 60 s, one new day ≤ 2 s, no-op writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import BenchContext, BenchError, SectionResult, Target, load_real_records, shared_data  # noqa: E402

DAYS = 365
LAST = dt.date(2026, 8, 2)
TARGET_FULL_S = 60.0
TARGET_INCR_S = 2.0
NEWS_PER_DAY, PAPERS_PER_DAY = 30, 60
PER_CATEGORY = 8


def _first_sentence(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    for end in (". ", "? ", "! "):
        i = text.find(end)
        if 0 < i < limit:
            return text[: i + 1]
    return text[:limit].rstrip() + ("…" if len(text) > limit else "")


def make_days(reports: Path, days: list[dt.date], seed: int = 20260802) -> dict:
    """Write the exports (+ chart copies) of `days` into `reports`; returns counts."""
    from aidigest.report import (
        CategorySection,
        CompactEntry,
        Digest,
        SectionSummary,
        SelectionStats,
        SourceEntry,
        SummaryPoint,
    )
    from aidigest.records import RunHealth, SourceOutcome
    from aidigest.render.write import file_names
    from aidigest.render.chart import digest_chart
    from aidigest.render.export import digest_json
    from aidigest.summarize.i18n import strings
    from aidigest.taxonomy import load_taxonomy

    tax = load_taxonomy()
    cats = [c for c in tax.reported()]
    recs = load_real_records(shared_data())
    pools = {k: [r for r in recs if r.kind == k] for k in ("news", "paper")}
    rng = random.Random(seed)
    t = strings("ko")
    charts: dict[str, bytes] = {}
    n_items = 0

    def entry(n, r, cat, kind):
        return SourceEntry(
            n=n, key=r.url, kind=kind, category=cat.id,
            title=r.title, url=r.url, tldr=_first_sentence(r.snippet) if r.snippet else r.title,
            popularity=float(r.points or r.upvotes or 0), hn_points=r.points, hn_comments=r.comments, hf_upvotes=r.upvotes,
            sources=[r.source], language=r.language,
            discussion_url="https://news.ycombinator.com/item?id=" + str(40_000_000 + n_items) if r.points else None,
        )

    for di, day in enumerate(days):
        phase = di / 365 * 2 * math.pi
        weights = [1.0 + 0.8 * math.sin(phase + i * 0.9) for i in range(len(cats))]
        for kind, per_day in (("news", NEWS_PER_DAY), ("paper", PAPERS_PER_DAY)):
            pool = pools[kind]
            picked = rng.sample(pool, per_day)
            by_cat: dict[str, list] = {}
            for r in picked:
                cat = rng.choices(cats, weights=weights)[0]
                by_cat.setdefault(cat.id, []).append(r)
            sections = []
            for cat in cats:
                rs = by_cat.get(cat.id)
                if not rs:
                    continue
                full, more = rs[:PER_CATEGORY], rs[PER_CATEGORY:]
                entries = [entry(i + 1, r, cat, kind) for i, r in enumerate(full)]
                pts = [SummaryPoint(text=_first_sentence(r.snippet or r.title, 160), cites=[i + 1]) for i, r in enumerate(full[:3])]
                summary = SectionSummary(
                    themes=[SummaryPoint(text=t.keywords.format(terms=", ".join(r.title.split()[:3])), cites=[i + 1])
                            for i, r in enumerate(full[:3])],
                    events=pts, impact=pts[:2],
                    bottom_line=[SummaryPoint(text=t.all_items.format(n=len(rs)), cites=list(range(1, len(full) + 1)))],
                    method="extractive", source_language="en",
                )
                sections.append(CategorySection(
                    category=cat.id, name=cat.display_name("ko"), emoji=cat.emoji, total=len(rs), entries=entries,
                    more=[CompactEntry(key=r.url, title=r.title, url=r.url) for r in more], summary=summary,
                ))
                n_items += len(rs)
            sections.sort(key=lambda s: -s.total)
            stats = SelectionStats(classified=per_day, full=sum(len(s.entries) for s in sections),
                                   compact=sum(len(s.more) for s in sections),
                                   per_category={s.category: s.total for s in sections})
            health = RunHealth(outcomes=[SourceOutcome(source="bench", kind=kind, status="ok", items=per_day)])
            digest = Digest(day=day, kind=kind, language="ko", sections=sections, stats=stats, health=health)
            _, png_name, json_name = file_names(digest)
            day_dir = reports / day.isoformat()
            day_dir.mkdir(parents=True, exist_ok=True)
            (day_dir / json_name).write_text(digest_json(digest), encoding="utf-8")
            if kind not in charts:
                charts[kind] = digest_chart(digest) or b""
            (day_dir / png_name).write_bytes(charts[kind])
    return {"days": len(days), "items": n_items, "real_titles": len(recs)}


def snapshot(d: Path) -> dict[str, tuple[int, int, int]]:
    out = {}
    for p in d.rglob("*"):
        if p.is_file():
            st = p.stat()
            out[str(p.relative_to(d))] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def worker() -> dict:
    from aidigest.render.site import SiteOptions, build_site

    tmp = Path(tempfile.mkdtemp(prefix="aidigest-bench-site-"))
    try:
        reports, out = tmp / "reports", tmp / "site"
        days = [LAST - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
        t = time.perf_counter()
        made = make_days(reports, days + [LAST + dt.timedelta(days=1)])
        new_day_dir = reports / (LAST + dt.timedelta(days=1)).isoformat()
        parked = tmp / "parked"
        shutil.move(str(new_day_dir), parked)  # the extra day arrives later
        build_data_s = time.perf_counter() - t

        from aidigest.render import webfont

        font_cached = bool(webfont.cache_path() and webfont.cache_path().is_file())
        opts = SiteOptions(reports=reports, out=out, db=None)
        load0 = os.getloadavg()[0]
        c = time.process_time()
        full = build_site(opts)
        full_cpu = time.process_time() - c
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        files = sum(1 for p in out.rglob("*") if p.is_file())

        shutil.move(str(parked), new_day_dir)
        c = time.process_time()
        incr = build_site(opts)
        incr_cpu = time.process_time() - c

        snap = snapshot(out)
        c = time.process_time()
        noop = build_site(opts)
        noop_cpu = time.process_time() - c
        unchanged = snapshot(out) == snap
        t = time.perf_counter()
        font_ok = webfont._make_subset() is not None  # what the font costs when it is not cached yet
        font_s = time.perf_counter() - t
        return {
            "data": made, "build_data_s": round(build_data_s, 2),
            "full_s": full.seconds, "full_cpu_s": full_cpu, "full_files_written": len(full.written),
            "incr_s": incr.seconds, "incr_cpu_s": incr_cpu, "incr_written": incr.written, "incr_rendered": incr.rendered,
            "noop_s": noop.seconds, "noop_cpu_s": noop_cpu,
            "noop_written": len(noop.written) + len(noop.removed) + (1 if noop.swapped else 0),
            "noop_tree_unchanged": unchanged,
            "site_bytes": size, "site_files": files,
            "by_dir_bytes": _by_dir(out),
            "font_cached_before": font_cached, "font_subset_s": font_s, "font_ok": font_ok,
            "loadavg_start": load0, "loadavg_end": os.getloadavg()[0],
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _by_dir(out: Path) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for p in out.rglob("*"):
        if p.is_file():
            top = p.relative_to(out).parts[0] if len(p.relative_to(out).parts) > 1 else "(root)"
            sizes[top] = sizes.get(top, 0) + p.stat().st_size
    return dict(sorted(sizes.items()))


def run(ctx: BenchContext, progress=print) -> SectionResult:
    shared_data()
    progress(f"site: {DAYS} days of exports, full build, one new day, no-op (fresh process)...")
    with tempfile.TemporaryDirectory() as td:
        res_path = Path(td) / "res.json"
        proc = subprocess.run([ctx.python, str(Path(__file__).resolve()), "--worker", str(res_path)],
                              capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0 or not res_path.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise BenchError(f"site worker failed: {tail[0]}")
        r = json.loads(res_path.read_text(encoding="utf-8"))
    mb = r["site_bytes"] / 1e6
    rows = [
        ["full build (365 days, empty folder)", f"{r['full_s']:.2f}", f"{r['full_cpu_s']:.2f}", str(r["full_files_written"])],
        ["one new day (incremental)", f"{r['incr_s']:.2f}", f"{r['incr_cpu_s']:.2f}", str(len(r["incr_written"]))],
        ["no-op rebuild", f"{r['noop_s']:.2f}", f"{r['noop_cpu_s']:.2f}", str(r["noop_written"])],
    ]
    targets = [
        Target("full 365-day build", round(r["full_s"], 2), TARGET_FULL_S, "s", r["full_s"] <= TARGET_FULL_S),
        Target("one new day", round(r["incr_s"], 2), TARGET_INCR_S, "s", r["incr_s"] <= TARGET_INCR_S),
        Target("no-op rebuild: files written", r["noop_written"], 0, "=", r["noop_written"] == 0 and r["noop_tree_unchanged"]),
    ]
    notes = [
        f"{r['data']['days']} days generated ({r['data']['items']} items from {r['data']['real_titles']} real titles), "
        f"{r['build_data_s']} s (not counted)",
        f"site: {mb:.1f} MB in {r['site_files']} files; by folder (MB): "
        + ", ".join(f"{k} {v / 1e6:.1f}" for k, v in r["by_dir_bytes"].items()),
        f"one new day rewrote {len(r['incr_written'])} files ({r['incr_rendered']} rendered): "
        + ", ".join(r["incr_written"][:40]) + (" …" if len(r["incr_written"]) > 40 else ""),
        f"no-op: every file's inode, mtime and size unchanged: {r['noop_tree_unchanged']}",
        ("the web-font subset was " + ("taken from the cache (~/.cache/aidigest)" if r["font_cached_before"] else
         "made inside the full build") + f"; making it costs {r['font_subset_s']:.1f} s (once per machine)"),
        f"load average (1 min) at start / end: {r['loadavg_start']:.1f} / {r['loadavg_end']:.1f} on "
        f"{os.cpu_count()} cores: wall time above CPU time is waiting for a core, not work",
    ]
    return SectionResult(name="site", title="Static site: 365 days", columns=["build", "wall s", "CPU s", "files written"],
                         rows=rows, targets=targets, notes=notes, data=r)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        res = worker()
        Path(sys.argv[2]).write_text(json.dumps(res), encoding="utf-8")
        return
    r = run(BenchContext(quick=False))
    for row in r.rows:
        print(" | ".join(row))
    for t in r.targets:
        print(f"target {t.name}: {t.value} (limit {t.limit} {t.unit}) {'met' if t.met else 'NOT MET'}")
    for n in r.notes:
        print(" -", n)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
