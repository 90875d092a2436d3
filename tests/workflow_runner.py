"""Run a GitHub Actions workflow's job on this machine, step by step, as a runner would — for the workflow harness.

What is real: the YAML (parsed, every step in order), every `run:` step (written to a file and executed by
`bash --noprofile --norc -eo pipefail`, GitHub's default shell, with the job's and the step's `env`, GITHUB_OUTPUT,
RUNNER_TEMP, GITHUB_WORKSPACE), git (clone, commit, push to a local bare repository standing in for GitHub),
pip and aidigest. What is emulated (the `uses:` steps, which run GitHub's own code):

- actions/checkout: `git clone` of the remote into a new workspace (branch main, depth 1, like checkout's default)
- actions/setup-python: the given venv's bin first on PATH, aidigest uninstalled from it (a fresh runner has none)
- actions/cache/restore, actions/cache/save: a folder per key under `cache_dir`; restore takes the exact key, else
  the newest saved key starting with a `restore-keys` prefix; save never overwrites a key (GitHub's caches are
  immutable)
- actions/configure-pages: nothing; actions/upload-pages-artifact: copy of the `path` folder; actions/deploy-pages:
  that copy moved to `pages_dir`, output `page_url`

Expressions: only what the project's workflows use — `${{ ... }}` holding a context reference (secrets, vars,
inputs, github.workspace/run_id/run_attempt/repository_owner/event.schedule, steps.<id>.outputs.<name>, steps.<id>.outcome),
a string literal, `==`, `!=`, `&&`, `||`, `!`, parentheses and always()/success()/failure()/cancelled(). Anything
else raises ExpressionError: a new construct in a workflow must be taught here, never silently evaluated.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml


class ExpressionError(ValueError):
    pass


# ---- expressions ----------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))|(?P<ref>[A-Za-z_][\w.-]*(?:\(\))?))")


def _tokens(expr: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"cannot read {expr[pos:]!r} in {expr!r}")
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(expr) and expr[pos].isspace():
            pos += 1
    return out


@dataclass
class Context:
    secrets: dict[str, str]
    vars: dict[str, str]
    inputs: dict[str, str]
    github: dict[str, str]
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {"outputs": {...}, "outcome": ...}
    job_failed: bool = False

    def ref(self, name: str) -> Any:
        parts = name.split(".")
        head = parts[0]
        if head in ("secrets", "vars", "inputs") and len(parts) == 2:
            return getattr(self, head).get(parts[1], "")
        if head == "github" and len(parts) == 2 and parts[1] in self.github:
            return self.github[parts[1]]
        if name == "github.event.schedule":  # the cron line that started a scheduled run; harness runs are dispatched
            return self.github.get("event.schedule", "")
        if head == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get("outputs", {}).get(parts[3], "")
        if head == "steps" and len(parts) == 3 and parts[2] == "outcome":
            return self.steps.get(parts[1], {}).get("outcome", "")
        raise ExpressionError(f"unknown context reference {name!r}")

    def call(self, fn: str) -> bool:
        if fn == "always":
            return True
        if fn == "success":
            return not self.job_failed
        if fn == "failure":
            return self.job_failed
        if fn == "cancelled":
            return False  # nobody cancels a harness run
        raise ExpressionError(f"unknown function {fn}()")

    def evaluate(self, expr: str) -> Any:
        return _Parser(self, expr).parse()

    def substitute(self, text: Any) -> str:
        """A YAML value with its `${{ ... }}` parts evaluated (as a string, like the runner)."""
        if isinstance(text, bool):
            return "true" if text else "false"
        s = str(text)

        def one(m: re.Match) -> str:
            v = self.evaluate(m.group(1))
            return ("true" if v else "false") if isinstance(v, bool) else str(v)

        out = re.sub(r"\$\{\{(.*?)\}\}", one, s)
        if "${{" in out:
            raise ExpressionError(f"unclosed expression in {s!r}")
        return out

    def condition(self, cond: Any) -> bool:
        """A step's or job's `if:` (default success()); `${{ }}` around it is optional, as on GitHub."""
        if cond is None:
            return self.call("success")
        if isinstance(cond, bool):
            return cond
        s = str(cond).strip()
        m = re.fullmatch(r"\$\{\{(.*)\}\}", s, re.S)
        return _truthy(self.evaluate(m.group(1) if m else s))


def _truthy(v: Any) -> bool:
    return bool(v) if not isinstance(v, str) else v != ""


class _Parser:
    """Recursive descent over one expression's tokens, lowest precedence first: `||`, `&&`, `!` and `==`/`!=`, then a
    string, a parenthesised expression, a function call or a context reference. `&&`/`||` return an operand, as
    GitHub does; a comparison takes strings only."""

    def __init__(self, ctx: Context, expr: str):
        self.ctx, self.expr = ctx, expr
        self.toks = _tokens(expr)
        self.pos = 0

    def parse(self) -> Any:
        value = self.or_expr()
        if self.pos != len(self.toks):
            raise ExpressionError(f"trailing {self.toks[self.pos][1]!r} in {self.expr!r}")
        return value

    def peek(self) -> str | None:
        return self.toks[self.pos][1] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.toks):
            raise ExpressionError(f"unexpected end of {self.expr!r}")
        self.pos += 1
        return self.toks[self.pos - 1]

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if text == "(":
            v = self.or_expr()
            if self.take()[1] != ")":
                raise ExpressionError(f"missing ) in {self.expr!r}")
            return v
        if kind == "ref" and text.endswith("()"):
            return self.ctx.call(text[:-2])
        if kind == "ref":
            return self.ctx.ref(text)
        raise ExpressionError(f"unexpected {text!r} in {self.expr!r}")

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not _truthy(self.unary())
        left = self.primary()
        if self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.primary()
            if not isinstance(left, str) or not isinstance(right, str):
                raise ExpressionError(f"comparison of non-strings in {self.expr!r}")
            return (left == right) if op == "==" else (left != right)
        return left

    def and_expr(self) -> Any:
        v = self.unary()
        while self.peek() == "&&":
            self.take()
            r = self.unary()
            v = r if _truthy(v) else v
        return v

    def or_expr(self) -> Any:
        v = self.and_expr()
        while self.peek() == "||":
            self.take()
            r = self.and_expr()
            v = v if _truthy(v) else r
        return v


# ---- the job ---------------------------------------------------------------------------------------------------
@dataclass
class StepResult:
    name: str
    outcome: str  # success, failure, skipped
    log: str = ""
    seconds: float = 0.0


@dataclass
class JobResult:
    conclusion: str  # success, failure, skipped
    steps: list[StepResult]
    workspace: Path

    @property
    def log(self) -> str:
        return "\n".join(f"##[{s.outcome}] {s.name} ({s.seconds:.1f} s)\n{s.log}".rstrip() for s in self.steps)

    def step(self, name_part: str) -> StepResult:
        return next(s for s in self.steps if name_part in s.name)


@dataclass
class Runner:
    workflow_file: Path
    remote: str  # what checkout clones (a path or file:// URL of the bare repository)
    venv_bin: Path
    work: Path  # runner's folder: workspaces, RUNNER_TEMP, Pages artifact
    cache_dir: Path
    pages_dir: Path
    page_url: str
    base_env: dict[str, str]
    job: str = "digest"
    run_number: int = 0

    def run(self, *, secrets: dict[str, str], vars: dict[str, str], inputs: dict[str, str],
            timeout: int = 600) -> JobResult:
        self.run_number += 1
        wf = yaml.safe_load(self.workflow_file.read_text(encoding="utf-8"))
        declared = set((wf[True].get("workflow_dispatch") or {}).get("inputs") or {})  # YAML 1.1 reads `on` as true
        if set(inputs) - declared:
            raise ExpressionError(f"inputs not declared by workflow_dispatch: {sorted(set(inputs) - declared)}")
        job = wf["jobs"][self.job]
        ws = self.work / f"run{self.run_number}" / "workspace"
        temp = self.work / f"run{self.run_number}" / "temp"
        temp.mkdir(parents=True)
        ctx = Context(secrets=secrets, vars=vars, inputs={k: inputs.get(k, "") for k in declared},
                      github={"workspace": str(ws), "run_id": str(1000 + self.run_number), "run_attempt": "1",
                              "repository_owner": "reader"})
        if not ctx.condition(job.get("if", "success()")):
            return JobResult("skipped", [], ws)
        env = dict(self.base_env)
        env.update({"GITHUB_WORKSPACE": str(ws), "RUNNER_TEMP": str(temp), "CI": "true", "GITHUB_ACTIONS": "true"})
        env.update({k: ctx.substitute(v) for k, v in (job.get("env") or {}).items()})
        results: list[StepResult] = []
        for i, step in enumerate(job["steps"]):
            name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
            sid = step.get("id", f"__step{i}")
            if not ctx.condition(step.get("if")):
                results.append(StepResult(name, "skipped"))
                ctx.steps[sid] = {"outputs": {}, "outcome": "skipped"}
                continue
            step_env = dict(env)
            t0 = time.monotonic()
            step_env.update({k: ctx.substitute(v) for k, v in (step.get("env") or {}).items()})
            if "run" in step:
                outcome, log, outputs = self._run_step(ctx.substitute(step["run"]), step_env, ws, temp, i, timeout)
            elif "uses" in step:
                with_ = {k: ctx.substitute(v) for k, v in (step.get("with") or {}).items()}
                outcome, log, outputs = self._uses(step["uses"], with_, ws, env)
            else:
                raise ExpressionError(f"step {name!r} has neither run nor uses")
            results.append(StepResult(name, outcome, log, time.monotonic() - t0))
            ctx.steps[sid] = {"outputs": outputs, "outcome": outcome}
            if outcome == "failure" and not step.get("continue-on-error"):
                ctx.job_failed = True
        return JobResult("failure" if ctx.job_failed else "success", results, ws)

    # ---- run: steps --------------------------------------------------------------------------------------------
    def _run_step(self, script: str, env: dict[str, str], ws: Path, temp: Path, i: int,
                  timeout: int) -> tuple[str, str, dict[str, str]]:
        out_file = temp / f"output_{i}"
        out_file.write_text("")
        script_file = temp / f"step_{i}.sh"
        script_file.write_text(script, encoding="utf-8")
        env = dict(env, GITHUB_OUTPUT=str(out_file), PATH=f"{self.venv_bin}:{env.get('PATH', os.defpath)}")
        r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)], cwd=ws, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
        outputs = {}
        for line in out_file.read_text().splitlines():
            if "<<" in line.split("=", 1)[0]:
                raise ExpressionError(f"multi-line GITHUB_OUTPUT not emulated: {line!r}")
            key, _, value = line.partition("=")
            outputs[key] = value
        log = r.stdout + (f"\nError: Process completed with exit code {r.returncode}." if r.returncode else "")
        return ("success" if r.returncode == 0 else "failure"), log, outputs

    # ---- uses: steps -------------------------------------------------------------------------------------------
    def _uses(self, uses: str, with_: dict[str, str], ws: Path, env: dict[str, str]) -> tuple[str, str, dict[str, str]]:
        emulate = _ACTIONS.get(uses.split("@", 1)[0])
        if emulate is None:
            raise ExpressionError(f"action {uses} is not emulated by the harness")
        return emulate(self, with_, ws, env)

    def _checkout(self, with_: dict[str, str], ws: Path, env: dict[str, str]) -> tuple[str, str, dict[str, str]]:
        r = subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "main", self.remote, str(ws)],
                           capture_output=True, text=True, env=env, timeout=120)
        return ("success" if r.returncode == 0 else "failure"), f"cloned {self.remote}\n{r.stderr}", {}

    def _setup_python(self, with_: dict[str, str], ws: Path, env: dict[str, str]) -> tuple[str, str, dict[str, str]]:
        py = subprocess.run([str(self.venv_bin / "python"), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                            capture_output=True, text=True, env=env, timeout=60).stdout.strip()
        if py != with_.get("python-version"):
            return "failure", f"the harness venv is Python {py}, the workflow asks {with_.get('python-version')}", {}
        subprocess.run([str(self.venv_bin / "python"), "-m", "pip", "uninstall", "-q", "-y", "aidigest"],
                       capture_output=True, env=env, timeout=120)
        return "success", f"Python {py} at {self.venv_bin} (aidigest not installed)", {}

    def _saved_cache(self, key: str, restore_keys: str) -> Path | None:
        """The cache saved under `key`, else the newest whose key starts with a restore-keys prefix (in their order)."""
        saved = sorted((p for p in self.cache_dir.iterdir()), key=lambda p: p.stat().st_mtime, reverse=True) \
            if self.cache_dir.exists() else []
        hit = next((p for p in saved if p.name == key), None)
        if hit is None:
            for prefix in [k for k in restore_keys.splitlines() if k.strip()]:
                hit = next((p for p in saved if p.name.startswith(prefix.strip())), None)
                if hit:
                    break
        return hit

    def _cache_restore(self, with_: dict[str, str], ws: Path, env: dict[str, str]) -> tuple[str, str, dict[str, str]]:
        target = ws / with_["path"]
        keys = [with_["key"]]
        hit = self._saved_cache(with_["key"], with_.get("restore-keys", ""))
        if hit is None:
            return "success", f"Cache not found for input keys: {', '.join(keys)}", {"cache-hit": "false"}
        shutil.copytree(hit, target, dirs_exist_ok=True)
        return "success", f"Cache restored from key: {hit.name}", {"cache-hit": str(hit.name == keys[0]).lower()}

    def _cache_save(self, with_: dict[str, str], ws: Path, env: dict[str, str]) -> tuple[str, str, dict[str, str]]:
        src = ws / with_["path"]
        dest = self.cache_dir / with_["key"]
        if dest.exists():
            return "success", f"Cache already exists: {dest.name}", {}
        if not src.exists():
            return "success", f"Path Validation Error: {with_['path']} does not exist, cache not saved", {}
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dest)
        return "success", f"Cache saved with key: {dest.name}", {}

    def _configure_pages(self, with_: dict[str, str], ws: Path, env: dict[str, str]) -> tuple[str, str, dict[str, str]]:
        return "success", "Pages configured (emulated)", {}

    def _upload_pages_artifact(self, with_: dict[str, str], ws: Path,
                               env: dict[str, str]) -> tuple[str, str, dict[str, str]]:
        src = ws / with_.get("path", "_site")
        if not src.is_dir():
            return "failure", f"Artifact path {src} does not exist", {}
        dest = self.work / f"run{self.run_number}" / "pages-artifact"
        shutil.copytree(src, dest)
        return "success", f"uploaded {sum(1 for _ in dest.rglob('*'))} files", {}

    def _deploy_pages(self, with_: dict[str, str], ws: Path, env: dict[str, str]) -> tuple[str, str, dict[str, str]]:
        art = self.work / f"run{self.run_number}" / "pages-artifact"
        if not art.is_dir():
            return "failure", "no github-pages artifact", {}
        shutil.rmtree(self.pages_dir, ignore_errors=True)
        shutil.copytree(art, self.pages_dir)
        return "success", f"deployed to {self.page_url}", {"page_url": self.page_url}


# an emulated action (`uses:` without @ref) -> the Runner method that runs it: (self, with_, workspace, env)
_ACTIONS: Mapping[str, Callable[[Runner, dict[str, str], Path, dict[str, str]], tuple[str, str, dict[str, str]]]] = \
    MappingProxyType({
        "actions/checkout": Runner._checkout,
        "actions/setup-python": Runner._setup_python,
        "actions/cache/restore": Runner._cache_restore,
        "actions/cache/save": Runner._cache_save,
        "actions/configure-pages": Runner._configure_pages,
        "actions/upload-pages-artifact": Runner._upload_pages_artifact,
        "actions/deploy-pages": Runner._deploy_pages,
    })
