"""Schedule recipes: the GitHub Actions workflows — the one the repository itself carries for a fork
(`.github/workflows/daily-digest.yml`, `FORK_WORKFLOW_PATH`) and the one `aidigest init --github-actions` writes
for a separate repository that holds only config and reports — and the install line the latter uses.

Both come from `github_workflow` (a test keeps the committed fork workflow equal to it). The systemd
timer/service and the cron line live in docs/schedule.md (and docs/systemd/, docs/cron/).
"""

from __future__ import annotations

from .errors import UserError

import datetime as dt
import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from . import __version__
from .infra.days import local_time_to_utc

WORKFLOW_PATH = ".github/workflows/aidigest.yml"
FORK_WORKFLOW_PATH = ".github/workflows/daily-digest.yml"
KEEPALIVE_PATH = ".github/aidigest-keepalive"
KEEPALIVE_DAYS = 50  # GitHub disables a schedule after 60 days without repository activity

# Secrets the workflow hands to aidigest, by the environment variable aidigest reads. Unset secrets are empty:
# an empty key just means that provider is not used; an empty AIDIGEST_NOTIFY means no delivery from the env.
LLM_SECRETS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TOGETHER_API_KEY")
LLM_VARIABLES = ("AIDIGEST_LLM", "OPENAI_BASE_URL")  # repository variables (not secret): the provider, a base URL
NOTIFY_SECRETS = ("AIDIGEST_NOTIFY", "SMTP_USER", "SMTP_PASSWORD", "SLACK_WEBHOOK_URL", "DISCORD_WEBHOOK_ID",
                  "DISCORD_WEBHOOK_TOKEN", "TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID")


def utc_cron(local_time: str, tz: str, on: dt.date | None = None) -> tuple[str, str]:
    """(cron expression in UTC, a comment saying which local time it is) for a daily run at `local_time` in `tz`."""
    on = on or dt.datetime.now(dt.UTC).date()
    hour, minute, shift = local_time_to_utc(local_time, tz, on)
    when = "the day before " if shift < 0 else ("the next day " if shift > 0 else "")
    note = (
        f"{local_time} {tz} = {hour:02d}:{minute:02d} UTC {when}(as of {on}; GitHub's cron is UTC only, so a zone with "
        "daylight saving time moves by an hour half the year: rerun `aidigest init --github-actions --force`)"
    ).replace("  ", " ")
    return f"{minute} {hour} * * *", note



WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def utc_weekly_cron(weekly: str, tz: str, on: dt.date | None = None) -> tuple[str, str]:
    """(cron expression in UTC, a comment) for the weekly run `weekly` ("mon 09:00") in `tz`: the weekday moves with
    the day shift (09:00 Monday in Seoul = 00:00 UTC Monday; 08:00 = 23:00 UTC Sunday)."""
    day, hhmm = weekly.split()
    cron, note = utc_cron(hhmm, tz, on)
    _, _, shift = local_time_to_utc(hhmm, tz, on)
    dow = (WEEKDAYS.index(day) + 1 + shift) % 7  # cron: 0 = Sunday
    return cron[: -len("* * *")] + f"* * {dow}", f"{day} {note}"


# ---- what the workflow of a separate repository installs ----------------------------------------------------
class InstallSpecError(UserError, ValueError):
    """An install line that would not install this project's code (a registry name, an unpinned git URL)."""


_REGISTRY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*([<>=!~]=?.*)?")


def check_install_spec(spec: str) -> str:
    """`spec` if pip would install this project from it: a git URL pinned to a tag or commit, or a path/URL of a
    checkout, sdist or wheel. A bare name is refused: "aidigest" is not published on a package index by this
    project, and whoever publishes that name would get the reader's keys (the workflow hands them to it)."""
    spec = spec.strip()
    if not spec:
        raise InstallSpecError("the install line is empty")
    if spec.startswith("git+"):
        url = spec.split("#", 1)[0]
        tail = url.rsplit("/", 1)[-1]
        if "@" not in tail or not tail.rsplit("@", 1)[1]:
            raise InstallSpecError(f"{spec}: pin the git URL to a tag or commit (git+URL@v1.2.3 or @<commit>)")
        return spec
    if "://" in spec or spec.startswith((".", "/", "~")) or spec.endswith((".whl", ".tar.gz", ".zip")):
        return spec
    if _REGISTRY_NAME.fullmatch(spec):
        raise InstallSpecError(
            f"{spec}: a package-index name; aidigest is installed from its source (a git URL pinned to a tag or "
            "commit, or a local path), never by a name someone else could publish")
    return spec


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None


def _pip_git_url(remote: str) -> str:
    """A git remote as pip writes it: scp-like `git@host:owner/repo.git` -> `ssh://git@host/owner/repo.git`."""
    if remote.startswith("/"):
        return f"file://{remote}"  # a local repository (a path)
    m = re.fullmatch(r"([\w.-]+@[\w.-]+):(?!//)(.+)", remote)
    return f"ssh://{m.group(1)}/{m.group(2)}" if m else remote


def default_install_spec() -> str:
    """The source of the aidigest running now, pinned to its exact commit: the git URL and commit pip recorded
    when it was installed from git (PEP 610 direct_url.json), or, for an install from a checkout, that
    checkout's `origin` remote at its HEAD commit. Raises InstallSpecError when neither is known."""
    try:
        raw = metadata.distribution("aidigest").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        raw = None
    info = json.loads(raw) if raw else {}
    url = str(info.get("url", ""))
    vcs = info.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and vcs.get("commit_id"):
        return f"git+{url}@{vcs['commit_id']}"
    here = Path(__file__).resolve().parent
    checkouts = [here]  # a source tree (editable install, PYTHONPATH) ...
    if url.startswith("file://"):
        checkouts.append(Path(url[len("file://"):]))  # ... or the checkout pip installed from
    for checkout in checkouts:
        tracked = checkout / "src" / "aidigest" / "__init__.py" if checkout != here else here / "__init__.py"
        if not checkout.is_dir() or _git(["ls-files", "--full-name", str(tracked)], checkout) is None:
            continue  # not a git checkout of aidigest (e.g. site-packages of a venv that happens to lie in a repo)
        remote = _git(["remote", "get-url", "origin"], checkout)
        commit = _git(["rev-parse", "HEAD"], checkout)
        if remote and commit:
            return f"git+{_pip_git_url(remote)}@{commit}"
    raise InstallSpecError(
        "cannot tell where this aidigest came from (no git URL or checkout with an origin remote): pass --package "
        "git+https://github.com/OWNER/aidigest@TAG (or a local path)")


# ---- the workflow -------------------------------------------------------------------------------------------
def _env_lines(names: tuple[str, ...], indent: int, ctx: str = "secrets") -> str:
    pad = " " * indent
    return "\n".join(f"{pad}{n}: ${{{{ {ctx}.{n} }}}}" for n in names)


def github_workflow(local_time: str, tz: str, package: str | None = None, on: dt.date | None = None,
                    fork: bool = False, weekly: str = "") -> str:
    """The daily workflow, with the weekly roundup when `weekly` ("mon 09:00") is set (see `_daily_workflow`)."""
    text = _daily_workflow(local_time, tz, package, on, fork)
    return _with_weekly(text, weekly, tz, on) if weekly else text


def _with_weekly(text: str, weekly: str, tz: str, on: dt.date | None) -> str:
    """The workflow with the weekly roundup: a second cron line, and two steps that run only on it (after the day's
    run: `aidigest week`, then, with the site deployed, `aidigest notify --week last`)."""
    cron, note = utc_weekly_cron(weekly, tz, on)
    on_weekly = f"github.event.schedule == '{cron}'"
    text = text.replace("  workflow_dispatch:\n", f"    # weekly roundup: {note}\n    - cron: \"{cron}\"\n  workflow_dispatch:\n", 1)
    text = text.replace("      - name: Build the site\n", f"""      - name: Write the weekly roundup (the last complete week)
        if: ${{{{ {on_weekly} }}}}
        env:
{_env_lines(LLM_VARIABLES, 10, "vars")}
{_env_lines(LLM_SECRETS, 10)}
        run: aidigest -v week

      - name: Build the site\n""", 1)
    text = text.replace("      - name: Save the store", f"""      - name: Send the weekly roundup
        if: ${{{{ {on_weekly} }}}}
        env:
          AIDIGEST_SITE_URL: ${{{{ steps.deploy.outputs.page_url }}}}
{_env_lines(NOTIFY_SECRETS, 10)}
        run: aidigest -v notify --week last

      - name: Save the store""", 1)
    return text


@dataclass(frozen=True)
class _Flavor:
    """What differs between the fork's workflow and the one `init --github-actions` writes."""

    name: str  # the workflow's name
    header: str  # the opening comment
    gate: str  # the job's `if:` line ("" when it always runs)
    install: str  # what `pip install` installs
    out: str  # the reports folder (AIDIGEST_OUT)


def _daily_workflow(local_time: str, tz: str, package: str | None, on: dt.date | None, fork: bool) -> str:
    """The daily workflow. `fork=True`: the one in this repository (.github/workflows/daily-digest.yml), which
    installs the checkout itself (`pip install .`), commits the reports under `digest/` and does nothing until
    the repository variable AIDIGEST_ENABLED is "true". Otherwise the one `init --github-actions` writes for a
    repository holding only aidigest.toml and the reports, installing `package` (see check_install_spec)."""
    cron, note = utc_cron(local_time, tz, on)
    flavor = _fork_flavor() if fork else _separate_flavor(package)
    return (_workflow_triggers(flavor, cron, note) + _job_setup(flavor) + _run_step() + _publish_steps()
            + _closing_steps())


def _fork_flavor() -> _Flavor:
    header = """# The daily digest, for a fork of the aidigest repository (README, "Run it every day"). It does nothing until
# the repository variable AIDIGEST_ENABLED is "true" (Settings -> Secrets and variables -> Actions -> Variables),
# so the upstream repository, and a fork whose owner has not turned it on, never run it.
# It installs aidigest from this checkout (pip install .), never from a package index."""
    return _Flavor(name="Daily digest", header=header, gate="    if: vars.AIDIGEST_ENABLED == 'true'\n", install=".",
                   out="digest")


def _separate_flavor(package: str | None) -> _Flavor:
    header = f"""# Written by `aidigest init --github-actions` (aidigest {__version__}); edit freely.
# It installs aidigest from its source, pinned: `aidigest init --github-actions --package SPEC` chooses another."""
    return _Flavor(name="aidigest", header=header, gate="",
                   install=shlex.quote(check_install_spec(package or default_install_spec())), out="reports")


def _workflow_triggers(flavor: _Flavor, cron: str, note: str) -> str:
    """The opening comment, the schedule and manual trigger, permissions and concurrency."""
    name, header = flavor.name, flavor.header
    return f"""{header}
# Every day: restore the store (7-day no-repeat memory, LLM cache, delivery records) -> aidigest run -> build the
# site -> commit the reports -> deploy the site to GitHub Pages -> send the digest -> save the store. A rejected
# LLM key (run exits 2) still publishes and sends the offline reports; the job then fails and says why.
# Settings: aidigest.toml in this repository ([general] timezone, [notify] targets with ${{VAR}} placeholders),
# or repository variables (AIDIGEST_LLM, OPENAI_BASE_URL, AIDIGEST_COMMIT_REPORTS=false to commit nothing).
# Secrets (Settings -> Secrets and variables -> Actions): the LLM key if a provider is set, and the values
# your delivery targets name (AIDIGEST_NOTIFY, SMTP_USER, SMTP_PASSWORD, TELEGRAM_BOT_TOKEN, ...). Pages:
# Settings -> Pages -> Source: GitHub Actions.
name: {name}

on:
  schedule:
    # {note}
    - cron: "{cron}"
  workflow_dispatch:
    inputs:
      date:
        description: "Day to build: YYYY-MM-DD, yesterday or -3d (empty: the last complete day in the configured time zone)"
        required: false
        default: ""
      replay:
        description: "A recorded day to replay instead of the network (a folder in this repository, e.g. demo/replay/2026-08-02, with date 2026-08-02); empty: live"
        required: false
        default: ""

permissions:
  contents: write
  pages: write
  id-token: write

concurrency:
  group: aidigest
  cancel-in-progress: false

"""


def _job_setup(flavor: _Flavor) -> str:
    """The job, its environment, and the steps before the run: checkout, Python, install, restore the store."""
    gate, out, install = flavor.gate, flavor.out, flavor.install
    return f"""jobs:
  digest:
{gate}    runs-on: ubuntu-latest
    timeout-minutes: 90
    environment:
      name: github-pages
      url: ${{{{ steps.deploy.outputs.page_url }}}}
    env:
      AIDIGEST_HOME: ${{{{ github.workspace }}}}/.aidigest
      AIDIGEST_OUT: {out}
      AIDIGEST_DATE: ${{{{ inputs.date }}}}
      AIDIGEST_REPLAY: ${{{{ inputs.replay }}}}
      AIDIGEST_COMMIT_REPORTS: ${{{{ vars.AIDIGEST_COMMIT_REPORTS }}}}
    steps:
      - uses: actions/checkout@v5

      - uses: actions/setup-python@v6
        with:
          python-version: "3.11"

      - name: Install aidigest
        run: python -m pip install --upgrade pip && python -m pip install {install}

      - name: Restore the store (the newest one saved by an earlier run)
        uses: actions/cache/restore@v5
        with:
          path: .aidigest
          key: aidigest-store-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}
          restore-keys: aidigest-store-

"""


def _run_step() -> str:
    """The day's run: an exit 2 (reports written offline) does not stop the steps after it."""
    return f"""      - name: Run the day
        id: run
        env:
{_env_lines(LLM_VARIABLES, 10, "vars")}
{_env_lines(LLM_SECRETS, 10)}
        run: |
          # exit 2 with the reports written offline (a rejected LLM key) must not stop the site, the commit and the
          # delivery: remember the code and the reason, go on, and fail the job in the last step
          set +e
          aidigest -v run ${{AIDIGEST_DATE:+--date "$AIDIGEST_DATE"}} ${{AIDIGEST_REPLAY:+--replay "$AIDIGEST_REPLAY"}} 2> "$RUNNER_TEMP/aidigest-run.log"
          code=$?
          cat "$RUNNER_TEMP/aidigest-run.log" >&2
          echo "code=$code" >> "$GITHUB_OUTPUT"
          if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then exit "$code"; fi

"""


def _publish_steps() -> str:
    """Build the site, commit the reports, keep the schedule alive, deploy to GitHub Pages."""
    return f"""      - name: Build the site
        if: ${{{{ !cancelled() && steps.run.outcome == 'success' }}}}
        run: aidigest -v site --out site

      - name: Commit the reports
        if: ${{{{ !cancelled() && steps.run.outcome == 'success' }}}}
        run: |
          if [ "$AIDIGEST_COMMIT_REPORTS" = false ]; then echo "AIDIGEST_COMMIT_REPORTS=false: nothing committed"; exit 0; fi
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
          git add "$AIDIGEST_OUT"
          if ! git diff --cached --quiet; then
            git commit -q -m "aidigest: reports of ${{AIDIGEST_DATE:-the last complete day}}"
            git pull -q --rebase && git push -q
          fi

      - name: Keep the schedule alive (GitHub turns it off after 60 days without a commit)
        if: ${{{{ !cancelled() }}}}
        run: |
          last=$(git log -1 --format=%ct)
          age=$(( ($(date +%s) - last) / 86400 ))
          if [ "$age" -lt {KEEPALIVE_DAYS} ]; then echo "last commit $age days ago: nothing to do"; exit 0; fi
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
          date -u +%Y-%m-%dT%H:%M:%SZ > {KEEPALIVE_PATH}
          git add {KEEPALIVE_PATH}
          git commit -q -m "aidigest: keep the daily schedule alive (last commit $age days ago)"
          git pull -q --rebase && git push -q

      - uses: actions/configure-pages@v6
        if: ${{{{ !cancelled() && steps.run.outcome == 'success' }}}}

      - uses: actions/upload-pages-artifact@v5
        if: ${{{{ !cancelled() && steps.run.outcome == 'success' }}}}
        with:
          path: site

      - id: deploy
        if: ${{{{ !cancelled() && steps.run.outcome == 'success' }}}}
        uses: actions/deploy-pages@v5

"""


def _closing_steps() -> str:
    """Send the digest, save the store (always), fail the job when the run did."""
    return f"""      - name: Send the digest
        if: ${{{{ !cancelled() && steps.run.outcome == 'success' }}}}
        env:
          AIDIGEST_SITE_URL: ${{{{ steps.deploy.outputs.page_url }}}}
{_env_lines(NOTIFY_SECRETS, 10)}
        run: aidigest -v notify ${{AIDIGEST_DATE:+--date "$AIDIGEST_DATE"}}

      - name: Save the store (also after a failure, so delivery records and the cache are kept)
        if: always()
        uses: actions/cache/save@v5
        with:
          path: .aidigest
          key: aidigest-store-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}

      - name: Fail the job when the run did (the digest above was still published and sent)
        if: ${{{{ !cancelled() && steps.run.outputs.code != '' && steps.run.outputs.code != '0' }}}}
        env:
          CODE: ${{{{ steps.run.outputs.code }}}}
        run: |
          reason=$(grep -E '(^| )error:' "$RUNNER_TEMP/aidigest-run.log" | tail -n 3)
          echo "::error title=aidigest run exited $CODE::${{reason:-see the log of the step Run the day}}"
          echo "aidigest run exited $CODE: ${{reason:-see the log of the step Run the day}}"
          exit "$CODE"
"""
