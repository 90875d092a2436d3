"""The recipes, executed: the fork workflow (.github/workflows/daily-digest.yml) and the workflow `aidigest init
--github-actions` writes are run step by step as a runner would (tests/workflow_runner.py says what is real and
what is emulated), on a fresh clone of this repository whose `origin` is a local bare repository, in a fresh
venv that has no aidigest until the workflow's own `pip install` (tests/freshvenv.py); the cron line and the
systemd ExecStart of docs/ run under `env -i` with the documented environment file.

The days come from recordings: demo/replay/2026-08-02 and tests/data/replay/2026-08-18 (the next day with real
recordings: Hacker News and Daily Papers of EienMosu/ai-news-digest; arXiv was not recorded that day and is
named `no_recording`). The digest goes to a JSON webhook and an SMTP server on 127.0.0.1 (tests/fakes/receivers.py);
the rejected key is a loopback OpenAI-compatible server answering 401 (tests/fakes/fake_openai.py).

Artifacts for the closing note go to tests/artifacts/workflow-harness/: the bare remote's log, a received mail,
the 401 path's last job lines.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from fakes.fake_openai import FakeOpenAIServer
from fakes.receivers import HookServer, SmtpServer
from freshvenv import REPO, aidigest_location, clean_env, make_venv, pip_offline_env
from workflow_runner import Context, ExpressionError, JobResult, Runner

from aidigest.schedule import FORK_WORKFLOW_PATH, KEEPALIVE_PATH

DAY1, DAY2 = "2026-08-02", "2026-08-18"
REPLAY1 = "demo/replay/2026-08-02"
REPLAY2 = "tests/data/replay/2026-08-18"
ARTIFACTS = REPO / "tests" / "artifacts" / "workflow-harness"
PAGE_URL = "https://reader.github.io/aidigest/"
HOOK_TOKEN = "hook-T0KEN-5150"
GIT_ID = ["-c", "user.name=Reader", "-c", "user.email=reader@example.com"]


def git(*args: str, cwd: Path, env: dict | None = None) -> str:
    r = subprocess.run(["git", *GIT_ID, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, f"git {' '.join(args)}: {r.stderr}"
    return r.stdout


def _save(name: str, text: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_text(text, encoding="utf-8")


# ---- the world the workflow runs in ----------------------------------------------------------------------------
class World:
    """Once per module: the upstream repository (this working tree, committed into a fresh repository), a fresh
    venv, and a runner environment without network (pip asks no index; the dependencies are visible)."""

    def __init__(self, root: Path):
        self.root = root
        self.upstream = root / "upstream"
        t0 = time.monotonic()
        # the repository as it is on disk: tracked files with their working-tree content and new, unignored files
        files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                               capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
        for f in filter(None, files):
            src = REPO / f
            if src.is_file():
                dest = self.upstream / f
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
        git("init", "-q", "-b", "main", str(self.upstream), cwd=root)
        git("add", "-A", cwd=self.upstream)
        git("commit", "-q", "-m", "aidigest upstream (the working tree under test)", cwd=self.upstream)
        self.venv_bin = make_venv(root / "venv")
        self.home = root / "home"
        self.home.mkdir()
        self.env = clean_env(HOME=str(self.home), XDG_CACHE_HOME=str(root / "cache"), GIT_CONFIG_NOSYSTEM="1",
                             **pip_offline_env())
        self.setup_s = time.monotonic() - t0

    def fork(self, name: str, *, last_commit_days_ago: int | None = None) -> Path:
        """A reader's fork: a bare repository cloned from upstream (optionally with a last commit dated N days ago)."""
        bare = self.root / f"{name}.git"
        git("clone", "-q", "--bare", str(self.upstream), str(bare), cwd=self.root)
        if last_commit_days_ago is not None:
            work = self.root / f"{name}-setup"
            git("clone", "-q", str(bare), str(work), cwd=self.root)
            when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=last_commit_days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
            (work / "NOTES.md").write_text("the reader's own notes\n")
            git("add", "NOTES.md", cwd=work)
            env = dict(self.env, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
            git("commit", "-q", "-m", "an old commit", cwd=work, env=env)
            git("push", "-q", "origin", "main", cwd=work)
        return bare

    def runner(self, name: str, remote: Path, workflow: Path) -> Runner:
        return Runner(workflow_file=workflow, remote=str(remote), venv_bin=self.venv_bin, work=self.root / name,
                      cache_dir=self.root / name / "cache", pages_dir=self.root / name / "pages", page_url=PAGE_URL,
                      base_env=self.env)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    w = World(tmp_path_factory.mktemp("harness"))
    assert aidigest_location(w.venv_bin) is None  # a fresh venv: no aidigest until the workflow installs it
    return w


def notify_secrets(hooks: HookServer, smtp: SmtpServer, token_var: bool = False) -> dict[str, str]:
    """The secret AIDIGEST_NOTIFY: a JSON webhook whose path holds a token, and mail. With token_var, the token
    is its own variable, `${HOOK_TOKEN}` in the target (as an environment file of the cron/systemd recipes may do)."""
    token = "${HOOK_TOKEN}" if token_var else HOOK_TOKEN
    return {
        "AIDIGEST_NOTIFY": (f"json://127.0.0.1:{hooks.port}/digest/{token} "
                            f"mailto://127.0.0.1:{smtp.port}?from=digest@example.com&to=reader@example.com&mode=insecure"),
        **({"HOOK_TOKEN": HOOK_TOKEN} if token_var else {}),
    }


def remote_log(bare: Path) -> str:
    """The bare remote's history, one line per commit, then the files of the commits the workflow made."""
    return (git("log", "--format=%h %ad %an <%ae>: %s", "--date=iso", "main", cwd=bare) + "\n"
            + git("log", "--format=%h %s", "--name-status", "main", "--", "digest", "reports", KEEPALIVE_PATH, cwd=bare))


def remote_files(bare: Path) -> list[str]:
    return git("ls-tree", "-r", "--name-only", "main", cwd=bare).splitlines()


def titles(hooks: HookServer, since: int = 0) -> list[str]:
    return sorted(r.json["title"] for r in hooks.requests[since:])


# ---- the fork, two days ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fork_two_days(world):
    bare = world.fork("fork")
    runner = world.runner("fork-runs", bare, world.upstream / FORK_WORKFLOW_PATH)
    enabled = {"AIDIGEST_ENABLED": "true"}
    with HookServer() as hooks, SmtpServer() as smtp:
        secrets = notify_secrets(hooks, smtp)
        off = runner.run(secrets=secrets, vars={}, inputs={"date": DAY1, "replay": REPLAY1})
        t0 = time.monotonic()
        first = runner.run(secrets=secrets, vars=enabled, inputs={"date": DAY1, "replay": REPLAY1})
        t_first = time.monotonic() - t0
        sent1 = (len(hooks.requests), len(smtp.envelopes))
        pages1 = sorted(p.relative_to(runner.pages_dir).as_posix() for p in runner.pages_dir.rglob("*.html"))
        files1, subjects1 = remote_files(bare), git("log", "--format=%s", "main", cwd=bare).splitlines()
        second = runner.run(secrets=secrets, vars=enabled, inputs={"date": DAY2, "replay": REPLAY2})
        mails = smtp.messages
    return {"bare": bare, "runner": runner, "off": off, "first": first, "second": second, "hooks": hooks,
            "mails": mails, "sent1": sent1, "pages1": pages1, "t_first": t_first, "files1": files1,
            "subjects1": subjects1}


def _ok(job: JobResult) -> None:
    assert job.conclusion == "success", job.log[-6000:]


def test_the_workflow_does_nothing_until_the_owner_turns_it_on(fork_two_days):
    off = fork_two_days["off"]
    assert off.conclusion == "skipped" and off.steps == [] and not off.workspace.exists()


def test_first_day_commits_publishes_sends_and_saves_the_store(fork_two_days, world):
    f = fork_two_days
    first = f["first"]
    _ok(first)
    assert f["sent1"] == (2, 2)  # news + papers to the webhook and by mail
    assert titles(f["hooks"])[:2] == [f"AI 다이제스트 {DAY1} · 논문", f"AI 다이제스트 {DAY1} · 뉴스"]
    assert all(r.path == f"/digest/{HOOK_TOKEN}" for r in f["hooks"].requests)  # the secret reached the target
    for name in (f"News_{DAY1}_report.md", f"Papers_{DAY1}_report.md", f"News_{DAY1}.json"):
        assert f"digest/{DAY1}/{name}" in f["files1"]
    assert f["subjects1"][0] == f"aidigest: reports of {DAY1}"
    assert f["subjects1"][1:] == git("log", "--format=%s", "main", cwd=world.upstream).splitlines()
    assert f"day/{DAY1}-news.html" in f["pages1"] and "index.html" in f["pages1"]
    assert first.step("Install aidigest").outcome == "success"
    assert "Cache not found" in first.step("Restore the store").log
    assert "Cache saved with key: aidigest-store-1002-1" in first.steps[-2].log
    assert first.step("Keep the schedule alive").log.startswith("last commit 0 days ago: nothing to do")
    assert first.step("Fail the job").outcome == "skipped"
    _save("timing.txt", f"harness set-up (upstream repo + fresh venv): {world.setup_s:.1f} s\n"
          f"first fork run (pip install . -> reports -> site -> commit -> pages -> notify -> cache): "
          f"{f['t_first']:.1f} s\n")
    # the digest links the deployed page of the day
    assert f"{PAGE_URL}day/{DAY1}-news.html" in f["hooks"].requests[0].body.decode() + f["hooks"].requests[1].body.decode()


def test_second_day_restores_the_store_repeats_nothing_and_resends_nothing(fork_two_days):
    f = fork_two_days
    second, bare, runner = f["second"], f["bare"], f["runner"]
    _ok(second)
    assert "Cache restored from key: aidigest-store-1002-1" in second.step("Restore the store").log
    new = f["hooks"].requests[f["sent1"][0]:]
    assert sorted(r.json["title"] for r in new) == [f"AI 다이제스트 {DAY2} · 논문", f"AI 다이제스트 {DAY2} · 뉴스"]
    assert len(f["mails"]) == 4 and sorted(m["Subject"] for m in f["mails"][2:]) == sorted(r.json["title"] for r in new)
    # the restored store holds both days' runs and deliveries, each (day, kind, target) sent once
    store = runner.work / "run3" / "workspace" / ".aidigest" / "aidigest.sqlite3"
    db = sqlite3.connect(store)
    sent = db.execute("SELECT day, kind, COUNT(*) FROM deliveries WHERE status = 'sent' GROUP BY day, kind").fetchall()
    assert sorted(sent) == [(DAY1, "news", 2), (DAY1, "paper", 2), (DAY2, "news", 2), (DAY2, "paper", 2)]
    days_run = {r[0] for r in db.execute("SELECT day FROM runs").fetchall()}
    assert {DAY1, DAY2} <= days_run
    # no item of day 1's reports comes back on day 2
    ws = runner.work / "run3" / "workspace" / "digest"
    urls = [{e["url"] for s in json.loads((ws / d / f"{k}_{d}.json").read_text())["sections"] for e in s["entries"]}
            for d in (DAY1, DAY2) for k in ("News", "Papers")]
    assert urls[2] and urls[3] and not ((urls[0] | urls[1]) & (urls[2] | urls[3]))
    subjects = git("log", "--format=%s", "main", cwd=bare).splitlines()
    assert subjects[:2] == [f"aidigest: reports of {DAY2}", f"aidigest: reports of {DAY1}"]
    _save("bare-remote-log.txt", remote_log(bare))
    mail = next(m for m in f["mails"][2:] if "뉴스" in m["Subject"])
    _save("received-mail.txt", f"Subject: {mail['Subject']}\nTo: {mail['To']}\n\n" + mail.get_body(("plain",)).get_content())
    _save("received-webhook.json", json.dumps(new[0].json, ensure_ascii=False, indent=1))
    _save("fork-job-day2.log", second.log)


# ---- a rejected LLM key -------------------------------------------------------------------------------------------
def test_a_rejected_key_still_commits_publishes_and_sends_then_fails_with_the_reason(world):
    bare = world.fork("fork401")
    runner = world.runner("fork401-runs", bare, world.upstream / FORK_WORKFLOW_PATH)
    with HookServer() as hooks, SmtpServer() as smtp, FakeOpenAIServer(api_key="sk-the-right-key") as llm:
        secrets = dict(notify_secrets(hooks, smtp), OPENAI_API_KEY="sk-revoked-key-0000")
        vars = {"AIDIGEST_ENABLED": "true", "AIDIGEST_LLM": "openai:gpt-4o-mini", "OPENAI_BASE_URL": f"{llm.root_url}/v1"}
        job = runner.run(secrets=secrets, vars=vars, inputs={"date": DAY1, "replay": REPLAY1})
        assert llm.requests and all(r.answered == 401 for r in llm.completion_requests)
    assert job.conclusion == "failure"
    run = job.step("Run the day")
    assert run.outcome == "success" and "LLM stopped" in run.log and "sk-revoked" not in job.log
    for step in ("Build the site", "Commit the reports", "deploy-pages", "Send the digest", "Save the store"):
        assert job.step(step).outcome == "success", job.log[-5000:]
    assert titles(hooks) == [f"AI 다이제스트 {DAY1} · 논문", f"AI 다이제스트 {DAY1} · 뉴스"] and len(smtp.envelopes) == 2
    assert f"digest/{DAY1}/News_{DAY1}_report.md" in remote_files(bare)
    assert (runner.pages_dir / "index.html").exists()
    last = job.steps[-1]
    assert last.name.startswith("Fail the job") and last.outcome == "failure"
    assert "aidigest run exited 2: " in last.log and "LLM stopped" in last.log and "HTTP 401" in last.log
    assert last.log.rstrip().endswith("Error: Process completed with exit code 2.")
    _save("401-final-lines.txt", "\n".join(job.log.splitlines()[-12:]) + "\n")
    _save("401-job.log", job.log)


# ---- keep-alive ---------------------------------------------------------------------------------------------------
def test_keep_alive_commits_when_nothing_else_did_for_50_days(world):
    bare = world.fork("quiet", last_commit_days_ago=51)
    runner = world.runner("quiet-runs", bare, world.upstream / FORK_WORKFLOW_PATH)
    before = git("rev-parse", "main", cwd=bare).strip()
    with HookServer() as hooks, SmtpServer() as smtp:
        vars = {"AIDIGEST_ENABLED": "true", "AIDIGEST_COMMIT_REPORTS": "false"}
        job = runner.run(secrets=notify_secrets(hooks, smtp), vars=vars, inputs={"date": DAY1, "replay": REPLAY1})
        _ok(job)
        assert len(hooks.requests) == 2  # the digest still goes out
    assert "nothing committed" in job.step("Commit the reports").log
    subjects = git("log", "--format=%s", "main", cwd=bare).splitlines()
    assert subjects[0] == "aidigest: keep the daily schedule alive (last commit 51 days ago)"
    assert git("rev-parse", "main~1", cwd=bare).strip() == before
    changed = git("show", "--name-only", "--format=", "main", cwd=bare).split()
    assert changed == [KEEPALIVE_PATH] and not any(f.startswith("digest/") for f in remote_files(bare))
    stamp = git("show", f"main:{KEEPALIVE_PATH}", cwd=bare).strip()
    assert dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    # a recent last commit leaves the history alone: test_first_day_... ("last commit 0 days ago: nothing to do")


# ---- the workflow of `aidigest init --github-actions` ----------------------------------------------------------------
def test_init_github_actions_workflow_runs_in_a_repository_of_config_and_reports(world, fork_two_days):
    """A separate repository holding only aidigest.toml: its workflow is written by the aidigest installed from the
    fork (so the default install line is the fork's git URL pinned to its commit) and installs from there."""
    fork = fork_two_days["bare"]
    digest = world.root / "digest-setup"
    git("init", "-q", "-b", "main", str(digest), cwd=world.root)
    (digest / "aidigest.toml").write_text('[general]\ntimezone = "Asia/Seoul"\n')
    # the reader installs aidigest from a checkout of their fork (here: the one of the fork's second run)
    checkout = fork_two_days["runner"].work / "run3" / "workspace"
    r = subprocess.run([str(world.venv_bin / "python"), "-m", "pip", "install", "-q", str(checkout)], env=world.env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and str(world.root / "venv") in (aidigest_location(world.venv_bin) or ""), r.stderr
    r = subprocess.run([str(world.venv_bin / "aidigest"), "init", "--github-actions"], cwd=digest, env=world.env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    commit = git("rev-parse", "HEAD", cwd=checkout).strip()
    wf_text = (digest / ".github" / "workflows" / "aidigest.yml").read_text()
    assert f"python -m pip install git+file://{fork}@{commit}\n" in wf_text
    git("add", "-A", cwd=digest)
    git("commit", "-q", "-m", "daily aidigest", cwd=digest)
    bare = world.root / "digest.git"
    git("clone", "-q", "--bare", str(digest), str(bare), cwd=world.root)
    runner = world.runner("digest-runs", bare, digest / ".github" / "workflows" / "aidigest.yml")
    replay = str(REPO / REPLAY1)  # the recording lives in aidigest's repository, not in this one
    with HookServer() as hooks, SmtpServer() as smtp:
        job = runner.run(secrets=notify_secrets(hooks, smtp), vars={}, inputs={"date": DAY1, "replay": replay})
        _ok(job)
        assert titles(hooks) == [f"AI 다이제스트 {DAY1} · 논문", f"AI 다이제스트 {DAY1} · 뉴스"] and len(smtp.envelopes) == 2
    files = remote_files(bare)
    assert f"reports/{DAY1}/News_{DAY1}_report.md" in files and "aidigest.toml" in files
    assert not any(f.startswith(("src/", "tests/")) for f in files)  # only config and reports
    assert (runner.pages_dir / "index.html").exists()
    _save("init-workflow-remote-log.txt", remote_log(bare))


# ---- the runner's evaluator refuses what it does not know -----------------------------------------------------------
def test_the_expression_evaluator_is_strict():
    ctx = Context(secrets={"K": "s"}, vars={"A": "true"}, inputs={}, github={"workspace": "/w"},
                  steps={"run": {"outputs": {"code": "2"}, "outcome": "success"}})
    assert ctx.condition("vars.A == 'true'") and not ctx.condition("vars.B == 'true'")
    assert ctx.condition("${{ !cancelled() && steps.run.outputs.code != '' && steps.run.outputs.code != '0' }}")
    assert ctx.substitute("x-${{ secrets.K }}-${{ github.workspace }}") == "x-s-/w"
    for bad in ("contains(github.ref, 'x')", "github.event.repository.fork", "vars.A == 1", "hashFiles('*')",
                "vars.A ==", "fromJSON(vars.A)"):
        with pytest.raises(ExpressionError):
            ctx.condition(bad)


# ---- cron and systemd under env -i --------------------------------------------------------------------------------
def _recipe_home(world, name: str, hooks: HookServer, smtp: SmtpServer, **more: str) -> tuple[Path, str]:
    """A user's home as docs/schedule.md sets it up: aidigest in ~/.local/bin, secrets in ~/.config/aidigest/env
    (KEY=value lines, chmod 600). The recorded day comes from the same file (AIDIGEST_DATE/AIDIGEST_REPLAY)."""
    home = world.root / name
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".config" / "aidigest").mkdir(parents=True)
    assert aidigest_location(world.venv_bin)  # installed by the fork runs above
    (home / ".local" / "bin" / "aidigest").symlink_to(world.venv_bin / "aidigest")
    secrets = notify_secrets(hooks, smtp, token_var=True)
    env_file = home / ".config" / "aidigest" / "env"
    values = dict(secrets, AIDIGEST_DATE=DAY1, AIDIGEST_REPLAY=str(REPO / REPLAY1), **more)
    env_file.write_text("".join(f"{k}='{v}'\n" for k, v in values.items()))  # the documented KEY='value' lines
    env_file.chmod(0o600)
    return home, HOOK_TOKEN


def _cron(home: Path) -> subprocess.CompletedProcess:
    """docs/cron/aidigest.cron's command as cron runs it: /bin/sh -c with HOME, LOGNAME, SHELL and a minimal PATH."""
    line = next(ln for ln in (REPO / "docs" / "cron" / "aidigest.cron").read_text().splitlines()
                if ln.strip() and not ln.startswith("#"))
    command = line.split(None, 5)[5]
    return subprocess.run(["env", "-i", f"HOME={home}", "LOGNAME=reader", "SHELL=/bin/sh", "PATH=/usr/bin:/bin",
                           "/bin/sh", "-c", command], cwd=home, capture_output=True, text=True, timeout=600)


def test_the_cron_line_runs_under_env_i_and_sees_its_secrets(world, fork_two_days):
    with HookServer() as hooks, SmtpServer() as smtp:
        home, token = _recipe_home(world, "cron-home", hooks, smtp)
        r = _cron(home)
        log = home / ".local" / "state" / "aidigest.log"
        assert r.returncode == 0, r.stderr + (log.read_text() if log.exists() else "")
        assert [q.path for q in hooks.requests] == [f"/digest/{token}"] * 2 and len(smtp.envelopes) == 2
    assert (home / ".local" / "share" / "aidigest" / "reports" / DAY1 / f"News_{DAY1}_report.md").exists()


def test_the_cron_line_with_a_rejected_key_still_sends_the_day_then_exits_2(world, fork_two_days):
    """`run --notify` sends the offline reports of a day whose LLM key was refused, then exits 2 (cron mails it)."""
    with HookServer() as hooks, SmtpServer() as smtp, FakeOpenAIServer(api_key="sk-the-right-key") as llm:
        home, token = _recipe_home(world, "cron401-home", hooks, smtp, AIDIGEST_LLM="openai:gpt-4o-mini",
                                   OPENAI_BASE_URL=f"{llm.root_url}/v1", OPENAI_API_KEY="sk-revoked-key-0000")
        r = _cron(home)
        assert llm.requests and all(q.answered == 401 for q in llm.completion_requests)
        assert r.returncode == 2
        assert [q.path for q in hooks.requests] == [f"/digest/{token}"] * 2 and len(smtp.envelopes) == 2
    log = (home / ".local" / "state" / "aidigest.log").read_text()
    errors = [ln for ln in log.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "LLM stopped" in errors[0] and "HTTP 401" in errors[0] and "sk-revoked" not in log


def test_the_systemd_service_runs_under_env_i_with_its_environment_file(world, fork_two_days):
    """ExecStart executed as systemd would: the EnvironmentFile's KEY=value lines as the environment (parsed
    the way systemd does for these simple lines), %h = the home folder, no shell. `systemd-analyze verify` of
    the same units is tests/cli/test_schedule.py::test_systemd_units."""
    service = (REPO / "docs" / "systemd" / "aidigest.service").read_text()
    exec_start = re.search(r"^ExecStart=(.+)$", service, re.M).group(1)
    env_file = re.search(r"^EnvironmentFile=-?(.+)$", service, re.M).group(1)
    with HookServer() as hooks, SmtpServer() as smtp:
        home, token = _recipe_home(world, "systemd-home", hooks, smtp)
        path = Path(env_file.replace("%h", str(home)))
        env = []
        for ln in path.read_text().splitlines():
            if ln.strip() and not ln.startswith("#"):
                key, _, value = ln.partition("=")
                assert len(value) >= 2 and value[0] == value[-1] == "'", ln  # systemd removes the single quotes
                env.append(f"{key}={value[1:-1]}")
        argv = [a.replace("%h", str(home)) for a in exec_start.split()]
        r = subprocess.run(["env", "-i", f"HOME={home}", "PATH=/usr/bin:/bin", *env, *argv], cwd="/",
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        assert [q.path for q in hooks.requests] == [f"/digest/{token}"] * 2 and len(smtp.envelopes) == 2
    assert f"run {DAY1} done" in r.stderr

