"""One error tree (aidigest.errors): every exception class in src/ has the `AidigestError` root (or is private
control flow, listed here with the reason), each family names its exit code, the drawing in errors.py's docstring
is the tree as it is, and the command line picks a code by type in one place, never from the message."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import aidigest
from aidigest import errors
from aidigest.cli.errors import command
from aidigest.errors import AidigestError
from clihelp import aidigest as run_cli, no_traceback

SRC = Path(aidigest.__file__).resolve().parent
REPO = SRC.parents[1]

# Plain exceptions on purpose: raised and caught inside one module (or between a provider and llm.core), a bug if
# one ever reaches a caller; errors.py's docstring names them too.
PRIVATE = {
    "aidigest.llm.reply.Transient": "a provider tells core to retry (429, 5xx, timeouts); core turns it into LLMError",
    "aidigest.llm.reply.Rejected": "a refused request; core turns it into LLMError",
    "aidigest.llm.reply._ModeRejected": "core tries the next structured-output mode",
    "aidigest.llm.reply._InvalidOutput": "core retries once, then raises LLMError",
    "aidigest.llm.bodycap.AnswerTooLarge": "the provider turns it into core.Transient",
    "aidigest.sources.hackernews._BadRecord": "one record skipped inside the parser",
}
TREE_LINE = re.compile(r"^(?P<indent>[│├└─ ]*)(?P<name>[A-Za-z_]\w*)\s+exit (?P<code>\d)\s.*?(?:\[(?P<module>[\w.]+)\])?$")


def _modules() -> list:
    return [importlib.import_module(m.name) for m in pkgutil.walk_packages(aidigest.__path__, "aidigest.")
            if not m.name.endswith("__main__")]


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined at module level in src/, by qualified name."""
    found = {}
    for mod in _modules():
        for obj in vars(mod).values():
            if isinstance(obj, type) and issubclass(obj, BaseException) and obj.__module__ == mod.__name__:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def _tree() -> list[tuple[int, str, int, str | None]]:
    """(depth, class name, exit code, module) for each line of the drawing in errors.py's docstring."""
    rows = []
    for line in (errors.__doc__ or "").splitlines():
        m = TREE_LINE.match(line.strip("\n")[4:]) if line.startswith("    ") else None
        if m:
            rows.append((len(m["indent"]) // 4, m["name"], int(m["code"]), m["module"]))
    return rows


def test_every_exception_class_has_the_root_or_a_reason():
    classes = _exception_classes()
    assert len(classes) > 30  # the scan found them (37 when the tree was made)
    unrooted = sorted(n for n, c in classes.items() if not issubclass(c, AidigestError) and n not in PRIVATE)
    assert unrooted == [], "derive from aidigest.errors.AidigestError (or a family), or list it in PRIVATE with why"
    assert set(PRIVATE) <= set(classes), f"gone, remove from PRIVATE: {sorted(set(PRIVATE) - set(classes))}"
    assert not any(issubclass(classes[n], AidigestError) for n in PRIVATE)


def test_no_exception_class_hides_inside_a_function():
    """A class defined in a function is out of the scan above; exceptions live at module level."""
    nested = []
    for path in SRC.rglob("*.py"):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                nested += [f"{path.relative_to(SRC)}:{c.lineno} {c.name}" for c in ast.walk(fn) if isinstance(c, ast.ClassDef)
                           and any(re.search(r"(Error|Exception|Failed)$", ast.unparse(b)) for b in c.bases)]
    assert nested == []


def test_each_family_names_a_documented_exit_code():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    sentence = readme[readme.index("Exit codes: 0 success"):].split("\n\n")[0]
    documented = {int(n) for n in re.findall(r"(?<![\w.-])(\d)(?= (?:when|for|on)\b)", sentence)}
    assert documented == {1, 2, 3, 4}, sentence
    families = [c for c in _exception_classes().values() if AidigestError in c.__bases__]
    assert len(families) >= 8
    for family in families:
        assert "exit_code" in vars(family), f"{family.__name__}: a family says its exit code on its class line"
        assert family.exit_code in documented, family
    # the four codes a command ends with are distinct, and each is some family's
    codes = [errors.EXIT_FAILED, errors.EXIT_USAGE, errors.EXIT_REFUSED, errors.EXIT_DELIVERY]
    assert len(set(codes)) == 4 and set(codes) == {c.exit_code for c in _exception_classes().values()
                                                   if issubclass(c, AidigestError)}


def test_the_drawing_is_the_tree():
    classes = {c.__name__: c for c in _exception_classes().values()}
    rows = _tree()
    assert rows[0][:2] == (0, "AidigestError")
    parents: list[str] = []
    for depth, name, code, module in rows:
        assert name in classes, f"the drawing names {name}, which no module defines"
        cls = classes[name]
        assert cls.exit_code == code, f"{name}: drawn with exit {code}, its class says {cls.exit_code}"
        assert cls.__module__ == (f"aidigest.{module}" if module else "aidigest.errors"), (name, cls.__module__)
        del parents[depth:]
        if parents:
            assert classes[parents[-1]] in cls.__bases__, f"{name} is drawn under {parents[-1]}, not its base"
        parents.append(name)
    rooted = {n for n, c in classes.items() if issubclass(c, AidigestError)}
    assert rooted == {name for _, name, _, _ in rows}, "every class of the tree is drawn, once or more"
    for name in PRIVATE:
        assert name.rsplit(".", 1)[1] in (errors.__doc__ or ""), f"errors.py's docstring names {name}"


def _instance(cls: type[AidigestError], message: str) -> AidigestError:
    e = cls.__new__(cls)
    Exception.__init__(e, message)
    return e


# messages that a policy reading the text would take for another code
HOSTILE = ["store x is busy: held by run 1", "every source failed", "delivery failed for news", "disk is full",
           "error: exit 0"]


@pytest.mark.parametrize("name", sorted({c.__name__ for c in _exception_classes().values()
                                          if issubclass(c, AidigestError) and c.__module__ != "aidigest.infra.pgstore"}))
def test_the_cli_exits_by_type_not_by_message(name):
    cls = next(c for c in _exception_classes().values() if c.__name__ == name)
    app = typer.Typer()

    @command(app)
    def boom(ctx: typer.Context, n: int = 0) -> None:
        raise _instance(cls, HOSTILE[n])

    @command(app)
    def other(ctx: typer.Context) -> None:  # two commands: typer keeps `boom` a subcommand
        pass

    for n, text in enumerate(HOSTILE):
        r = CliRunner().invoke(app, ["boom", "--n", str(n)])
        assert r.exit_code == cls.exit_code, (name, text, r.output)
        assert r.output.strip() == f"error: {text}"  # one line, the message as raised


def test_a_database_lock_exits_3_by_its_code_and_other_database_errors_1(tmp_path):
    """A real SQLite lock (SQLITE_BUSY) met mid-command, and a real other failure (not a database)."""
    holder = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    app = typer.Typer()

    @command(app)
    def locked(ctx: typer.Context) -> None:
        sqlite3.connect(tmp_path / "s.db", timeout=0).execute("CREATE TABLE t (x)")

    @command(app)
    def garbage(ctx: typer.Context) -> None:
        (tmp_path / "g.db").write_bytes(b"busy locked " * 200)  # a message matcher would read "busy" here
        sqlite3.connect(tmp_path / "g.db").execute("SELECT * FROM sqlite_master")

    r = CliRunner().invoke(app, ["locked"])
    assert r.exit_code == 3 and "is busy" in r.output, r.output
    holder.rollback()
    r = CliRunner().invoke(app, ["garbage"])
    assert r.exit_code == 1 and "damaged or not an aidigest store" in r.output, r.output


@pytest.mark.parametrize(("args", "code", "words"), [
    (["run", "--date", "2026-02-30"], 2, "--date"),  # UserError (a DayError)
    (["cache", "clear", "--db", "garbage.db"], 2, "damaged"),  # StoreError
    (["collect", "--date", "2026-08-02", "--replay", "empty", "--db", "s.db"], 1, "every source failed"),  # RunFailed
])
def test_a_hostile_input_per_family_exits_with_its_code(tmp_path, args, code, words):
    (tmp_path / "garbage.db").write_bytes(b"not a store " * 500)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "index.json").write_text('{"entries": []}', encoding="utf-8")
    r = run_cli(*args, cwd=tmp_path)
    assert r.returncode == code and no_traceback(r), (r.returncode, r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("error:") and words in lines[-1], r.stderr


def test_errors_imports_nothing_of_aidigest():
    """Any module can raise into the tree without loading another (a leaf, like env and text)."""
    tree = ast.parse((SRC / "errors.py").read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.level or "aidigest" in (n.module or ""))]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names if a.name.startswith("aidigest")]
    assert imported == []
