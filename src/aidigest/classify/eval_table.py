"""The per-category table `aidigest eval classify` prints (rich), kept out of cli.py."""

from __future__ import annotations

from rich.table import Table

from .eval import MIN_CATEGORY_N, EvalReport


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
