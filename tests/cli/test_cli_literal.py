"""The command line prints outside text literally. Before: an API error text holding `[/]` crashed the CLI with
rich's MarkupError (exit 1, a traceback) after the reports were written, and `[bold]` in it was eaten as markup.

The error body is written here (no recorded API error holds square brackets): the demo's real recording with the
Hugging Face answer replaced by an HTTP 400 whose JSON error text contains rich markup."""

from __future__ import annotations

import json
import shutil

from clihelp import DAY, DEMO, aidigest, no_traceback  # noqa: E402

ERROR_TEXT = "Invalid date [/] expected [bold]YYYY-MM-DD[/bold] or [red]today"


def test_api_error_text_with_markup_is_printed_literally(tmp_path):
    rec = tmp_path / "rec"
    shutil.copytree(DEMO, rec)
    index = json.loads((rec / "index.json").read_text(encoding="utf-8"))
    (hf,) = [e for e in index["entries"] if "huggingface.co" in e["url"]]
    hf["status"] = 400
    (rec / hf["body_file"]).write_text(json.dumps({"error": ERROR_TEXT}), encoding="utf-8")
    (rec / "index.json").write_text(json.dumps(index), encoding="utf-8")

    r = aidigest("run", "--date", DAY, "--replay", str(rec), "--db", str(tmp_path / "s.db"), "--out",
                 str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert no_traceback(r)
    warning = [ln for ln in r.stderr.splitlines() if ln.startswith("warning: source hf_papers failed")]
    assert len(warning) == 1 and ERROR_TEXT in warning[0]  # every bracket kept, nothing styled away
    assert ERROR_TEXT[:20] in r.stdout  # the sources table shows it too (cut to the column)
    assert (tmp_path / "out" / DAY / f"News_{DAY}_report.md").exists()
