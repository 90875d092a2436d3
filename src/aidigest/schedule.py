"""Schedule recipes: the GitHub Actions workflow written by `aidigest init --github-actions`.

The systemd timer/service and the cron line live in docs/schedule.md (and docs/systemd/, docs/cron/).
"""

from __future__ import annotations

import datetime as dt
import shlex

from . import __version__
from .days import local_time_to_utc

WORKFLOW_PATH = ".github/workflows/aidigest.yml"

# Secrets the workflow hands to aidigest, by the environment variable aidigest reads. Unset secrets are empty:
# an empty key just means that provider is not used; an empty AIDIGEST_NOTIFY means no delivery from the env.
LLM_SECRETS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TOGETHER_API_KEY")
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


def _env_lines(names: tuple[str, ...], indent: int) -> str:
    pad = " " * indent
    return "\n".join(f"{pad}{n}: ${{{{ secrets.{n} }}}}" for n in names)


def github_workflow(local_time: str, tz: str, package: str = "aidigest", on: dt.date | None = None,
                    weekly: str = "") -> str:
    text = _daily_workflow(local_time, tz, package, on)
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


def _daily_workflow(local_time: str, tz: str, package: str, on: dt.date | None) -> str:
    cron, note = utc_cron(local_time, tz, on)
    install = shlex.quote(package)
    return f"""# Written by `aidigest init --github-actions` (aidigest {__version__}); edit freely.
# Every day: restore the store (7-day no-repeat memory, LLM cache, delivery records) -> aidigest run -> build the
# site -> commit the reports -> deploy the site to GitHub Pages -> send the digest -> save the store.
# Settings: aidigest.toml in this repository ([general] timezone, [notify] targets with ${{VAR}} placeholders).
# Secrets (Settings -> Secrets and variables -> Actions): the LLM key if [llm] provider is set, and the values
# your [notify] targets name (AIDIGEST_NOTIFY, SMTP_PASSWORD, TELEGRAM_BOT_TOKEN, ...). Pages: Settings -> Pages ->
# Source: GitHub Actions.
name: aidigest

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

permissions:
  contents: write
  pages: write
  id-token: write

concurrency:
  group: aidigest
  cancel-in-progress: false

jobs:
  digest:
    runs-on: ubuntu-latest
    timeout-minutes: 90
    environment:
      name: github-pages
      url: ${{{{ steps.deploy.outputs.page_url }}}}
    env:
      AIDIGEST_HOME: ${{{{ github.workspace }}}}/.aidigest
      AIDIGEST_OUT: reports
      AIDIGEST_DATE: ${{{{ inputs.date }}}}
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

      - name: Run the day
        env:
{_env_lines(LLM_SECRETS, 10)}
        run: aidigest -v run ${{AIDIGEST_DATE:+--date "$AIDIGEST_DATE"}}

      - name: Build the site
        run: aidigest -v site --out site

      - name: Commit the reports
        run: |
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
          git add reports
          if ! git diff --cached --quiet; then
            git commit -m "aidigest: reports of ${{AIDIGEST_DATE:-the last complete day}}"
            git push
          fi

      - uses: actions/configure-pages@v6

      - uses: actions/upload-pages-artifact@v5
        with:
          path: site

      - id: deploy
        uses: actions/deploy-pages@v5

      - name: Send the digest
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
"""
