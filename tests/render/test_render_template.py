"""The Markdown report comes from the Jinja2 template report.md.j2 (issue 10, "Templates"):

- byte for byte the report of the render_markdown before the template (references in tests/data/render_reference,
  see its README): the suite's digests (offline, LLM layout, hostile input, run health, empty, ja/xx) and the demo
  day through `aidigest run` (ko and en);
- a report.md.j2 in the `[site] templates` folder of the config changes the written report;
- a broken override is one line, exit 2, no traceback, and no file written or changed;
- an override only lays out a pre-escaped view model: hostile titles and URLs stay text whatever it prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from render_reference_cases import CHART, _hostile, cases  # noqa: E402
from test_cli import DAY, DEMO, aidigest, no_traceback  # noqa: E402

from aidigest.render.escape import safe_url  # noqa: E402
from aidigest.render.markdown import render_markdown  # noqa: E402
from aidigest.render.templating import TemplateProblem, package_templates  # noqa: E402

REF = Path(__file__).parents[1] / "data" / "render_reference"
CASES = sorted(p.stem for p in REF.glob("*.md") if p.name != "README.md")
DEMO_REPORTS = ["News_2026-08-02_report.md", "Papers_2026-08-02_report.md",
                "News_2026-08-02_report_en.md", "Papers_2026-08-02_report_en.md"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, str]:
    return cases(tmp_path_factory.mktemp("cases"))


def test_every_reference_case_is_rendered(rendered):
    assert sorted(rendered) == CASES and len(CASES) == 11


@pytest.mark.parametrize("name", CASES)
def test_template_output_is_byte_identical_to_the_reference(rendered, name):
    assert rendered[name].encode("utf-8") == (REF / f"{name}.md").read_bytes()


def _run(tmp: Path, *extra: str, config: Path | None = None, out: str = "out"):
    args = ["run", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp / "s.db"), "--out", str(tmp / out),
            "--llm", "none", *extra]
    if config is not None:
        args += ["--config", str(config)]
    return aidigest(*args, cwd=tmp)


def _files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()} if d.exists() else {}


def test_demo_day_reports_are_byte_identical_to_the_reference(tmp_path):
    # as the references were made: a fresh store, the Korean run, then --lang en on the same store
    for extra in ((), ("--lang", "en")):
        r = _run(tmp_path, *extra)
        assert r.returncode == 0, r.stderr
    day = tmp_path / "out" / DAY
    for name in DEMO_REPORTS:
        assert (day / name).read_bytes() == (REF / "demo" / name).read_bytes(), name


def _override(folder: Path, text: str, tmp: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md.j2").write_text(text, encoding="utf-8")
    cfg = tmp / f"{folder.name}.toml"
    cfg.write_text(f'[site]\ntemplates = "{folder.name}"\n', encoding="utf-8")  # relative to the working dir
    return cfg


def test_user_override_changes_the_written_report(tmp_path):
    default = (package_templates() / "report.md.j2").read_text(encoding="utf-8")
    assert default.count("\n# {{ r.title }}\n") == 1
    mine = default.replace("\n# {{ r.title }}\n", "\n# {{ r.title }}\n\n> Curated by me: {{ r.sections|length }} AI sections\n")
    cfg = _override(tmp_path / "mytemplates", mine, tmp_path)
    r = _run(tmp_path, config=cfg)
    assert r.returncode == 0, r.stderr
    day = tmp_path / "out" / DAY
    for name in DEMO_REPORTS[:2]:
        md = (day / name).read_text(encoding="utf-8")
        ref = (REF / "demo" / name).read_text(encoding="utf-8")
        assert md != ref
        line = re.search(r"^> Curated by me: (\d+) AI sections$", md, re.M)
        assert line and int(line.group(1)) == len(re.findall(r"^## ", ref, re.M)) - len(
            re.findall(r"^## (💻|🔁|🩺) ", ref, re.M))
        # everything else is the default layout
        assert md.replace(line.group(0) + "\n\n", "", 1) == ref


@pytest.mark.parametrize("text,needle", [
    ("# {{ r.title }\n", "line 1: unexpected '}'"),  # does not compile: found before anything is fetched
    ("# {{ r.title }}\n{{ r.no_such_field }}\n", "no_such_field"),  # fails only when rendering the day's data
    ("{% for s in r.sections %}{{ s.name|no_such_filter }}{% endfor %}\n", "no_such_filter"),
])
def test_broken_override_is_one_line_exit_2_and_nothing_is_written(tmp_path, text, needle):
    # a good run first: its files must stay exactly as they are
    assert _run(tmp_path).returncode == 0
    before = _files(tmp_path / "out")
    assert len(before) == 6
    cfg = _override(tmp_path / "broken", text, tmp_path)
    r = _run(tmp_path, config=cfg)
    assert r.returncode == 2 and no_traceback(r)
    errors = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and needle in errors[0] and "report.md.j2" in errors[0], r.stderr
    assert _files(tmp_path / "out") == before  # no file changed, no temp file left
    # and into an empty folder: nothing at all
    r = _run(tmp_path, config=cfg, out="fresh")
    assert r.returncode == 2 and no_traceback(r) and not _files(tmp_path / "fresh")


def test_missing_template_folder_is_one_line_exit_2(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[site]\ntemplates = "nowhere"\n', encoding="utf-8")
    r = _run(tmp_path, config=cfg)
    assert r.returncode == 2 and no_traceback(r)
    assert [x for x in r.stderr.splitlines() if x.startswith("error:")] == ["error: template folder nowhere does not exist"]
    assert not _files(tmp_path / "out")


# an override that prints every untrusted field in its own layout, and uses the filters on text of its own
CARELESS = """{% for sec in r.sections %}
# {{ sec.name }}
{% for e in sec.ranked or [] %}
{{ e.link }} {{ e.refused }} {{ e.result }}
{% endfor %}
{% for s in sec.sources %}
{{ s.title }} <{{ s.target }}> {{ s.tldr }}
{% endfor %}
{% for p in (sec.summary.parts if sec.summary else []) %}
{{ p.points|join(" ") }}
{% endfor %}
{% endfor %}
{{ "[x](javascript:alert(1)) <script>" | md }} [ok]({{ "javascript:alert(1)" | md_url }}) [ok2]({{ "https://a.org/(x)" | md_url }})
"""


@pytest.mark.parametrize("llm", [False, True])
def test_an_override_cannot_unescape_hostile_input(tmp_path, llm):
    digest = _hostile(llm)
    (tmp_path / "report.md.j2").write_text(CARELESS, encoding="utf-8")
    md = render_markdown(digest, CHART, tmp_path)
    tokens = MarkdownIt("commonmark").parse(md)
    [sec] = digest.sections
    assert [t.tag for t in tokens if t.type == "heading_open"] == ["h1"]  # only the one the override wrote
    assert not [t for t in tokens if t.type in ("html_block", "html_inline")]
    kids = [c for t in tokens if t.type == "inline" for c in t.children or []]
    hrefs = {c.attrs["href"] for c in kids if c.type == "link_open"}
    assert hrefs and hrefs <= {safe_url(e.url) for e in sec.entries} | {"https://a.org/%28x%29"} | {""}
    assert "javascript:" not in " ".join(str(c.attrs) for c in kids)
    assert "\\[x\\](javascript:alert(1)) \\<script\\>" in md and "[ok]()" in md


def test_template_problem_names_the_override_folder(tmp_path):
    (tmp_path / "report.md.j2").write_text("{{ r.nope }}\n", encoding="utf-8")
    with pytest.raises(TemplateProblem) as e:
        render_markdown(_hostile(False), None, tmp_path)
    assert "nope" in str(e.value) and str(tmp_path) in str(e.value) and "\n" not in str(e.value)

