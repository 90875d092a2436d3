"""What `aidigest eval classify` prints (rich tables and lines), kept out of cli.py.

Order: the fair figure first (per category, from the text alone: papers and news), then the papers' family
figure (two coarse families per arXiv primary, arXiv categories as evidence: optimistic, labelled as such),
the papers' per-category table, and the news tables (English, Korean)."""

from __future__ import annotations

from rich.table import Table

from .eval import MIN_CATEGORY_N, EvalReport
from .news_eval import NewsReport, NewsScore

LANG_NAMES = {"en": "English", "ko": "Korean"}


def fair_line(report: EvalReport, news: NewsReport | None) -> str:
    """The first line: per-category accuracy from the text alone, papers and news side by side."""
    parts = [f"papers {report.accuracy_labelled_text_only:.3f} (n={report.n_labelled})"]
    for lang, s in (news.sets.items() if news else []):
        parts.append(f"news {LANG_NAMES.get(lang, lang)} {s.accuracy:.3f} (n={s.n})")
    return "Fair figure, per category from the text alone: " + " · ".join(parts)


def family_table(report: EvalReport, folder: object) -> Table:
    t = Table(title=f"Family figure (optimistic): test papers by arXiv primary family, arXiv categories as evidence ({folder})")
    for col in ("family", "scored", "accuracy"):
        t.add_column(col)
    for fam, acc in report.per_family.items():
        t.add_row(fam, str(report.per_family_n.get(fam, "")), f"{acc:.3f}")
    t.add_row("[bold]all[/]", str(report.n_scored), f"[bold]{report.accuracy:.3f}[/]")
    return t


def family_line(report: EvalReport) -> str:
    return (f"family figure {report.accuracy:.4f} on {report.n_scored} scored papers ({report.n_skipped} not scored); "
            f"family figure from the text only (no arXiv categories): {report.accuracy_text_only:.4f}")


def category_table(report: EvalReport) -> Table:
    t = Table(title=(f"Per category, test papers labelled by the rules of aidigest.classify.labels "
                     f"({report.n_labelled} papers; categories with >= {MIN_CATEGORY_N})"))
    for col in ("category", "n", "precision", "recall", "precision (text only)", "recall (text only)"):
        t.add_column(col, justify="right" if col != "category" else "left")
    for cid, sc in report.per_category.items():
        to = report.per_category_text_only.get(cid)
        t.add_row(cid, str(sc.n), f"{sc.precision:.3f}", f"{sc.recall:.3f}",
                  f"{to.precision:.3f}" if to else "", f"{to.recall:.3f}" if to else "")
    t.add_row("[bold]accuracy[/]", str(report.n_labelled), f"[bold]{report.accuracy_labelled:.3f}[/]", "",
              f"{report.accuracy_labelled_text_only:.3f}", "")
    return t


def news_table(lang: str, s: NewsScore) -> Table:
    sources = ", ".join(f"{k} {s.by_source_n[k]}: {v:.3f}" for k, v in s.by_source.items())
    t = Table(title=f"News, {LANG_NAMES.get(lang, lang)} test items, hand-labelled, text only ({sources})")
    for col in ("category", "n", "predicted", "precision", "recall"):
        t.add_column(col, justify="right" if col != "category" else "left")
    for cid, sc in s.per_category.items():
        t.add_row(cid, str(sc.n), str(sc.predicted), f"{sc.precision:.3f}" if sc.predicted else "-", f"{sc.recall:.3f}")
    t.add_row("[bold]accuracy[/]", str(s.n), "", f"[bold]{s.accuracy:.3f}[/]", f"strict {s.accuracy_strict:.3f}")
    return t


def news_line(lang: str, s: NewsScore) -> str:
    return (f"news {LANG_NAMES.get(lang, lang)}: accuracy {s.accuracy:.4f} on {s.n} items (strict, first label only: "
            f"{s.accuracy_strict:.4f}); AI items {s.n_ai}: {s.ai_in_others} filed under others, {s.ai_as_not_ai} under "
            f"software/others; non-AI items filed as AI: {s.not_ai_as_ai}")
