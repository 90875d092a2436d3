"""The outcome -> exit-code policy of `aidigest run` lives in the library (aidigest.rundays.RunOutcome), not in the
command line: which error a run ends with, its one line and its code (the README's), for each way a run can end.
The end-to-end runs (tests/cli/test_cli.py, test_rerun_backfill.py, test_notify.py, tests/llm/test_llm_limits.py)
drive the same policy through real days."""

from __future__ import annotations

import pytest

from aidigest.errors import DeliveryFailed, RunFailed, UserError
from aidigest.rundays import LLMStopped, RunOutcome

STOPPED = "LLM stopped: HTTP 401 (the reports above were written offline)"


@pytest.mark.parametrize(("outcome", "kind", "code", "line"), [
    (RunOutcome(days=1), None, 0, None),
    (RunOutcome(days=3), None, 0, None),
    (RunOutcome(days=1, failed=(("2026-08-02", "every source failed: hackernews: HTTP 500"),)), RunFailed, 1,
     "every source failed: hackernews: HTTP 500"),
    (RunOutcome(days=3, failed=(("2026-08-01", "x"), ("2026-08-03", "y"))), RunFailed, 1,
     "2 of 3 day(s) failed: 2026-08-01, 2026-08-03 (the others were done)"),
    (RunOutcome(days=2, failed=(("2026-08-01", "x"),), llm_stopped=STOPPED, delivery_failures=("d",)), RunFailed, 1,
     "1 of 2 day(s) failed: 2026-08-01 (the others were done)"),  # a failed day comes first
    (RunOutcome(days=1, llm_stopped=STOPPED), LLMStopped, 2, STOPPED),
    (RunOutcome(days=1, llm_stopped=STOPPED, delivery_failures=("2026-08-02 news mailto://a", "2026-08-02 paper b")),
     LLMStopped, 2, STOPPED + "; delivery failed for 2026-08-02 news mailto://a; 2026-08-02 paper b"),
    (RunOutcome(days=2, delivery_failures=("2026-08-02 news mailto://a",)), DeliveryFailed, 4,
     "delivery failed for 2026-08-02 news mailto://a (retried on the next run)"),
])
def test_the_run_ends_with_the_error_its_outcome_names(outcome, kind, code, line):
    error = outcome.error
    assert outcome.exit_code == code
    if kind is None:
        assert error is None
    else:
        assert type(error) is kind and str(error) == line and error.exit_code == code


def test_an_llm_that_stops_the_run_is_a_users_mistake():
    assert issubclass(LLMStopped, UserError)  # a key or model to fix: exit 2 so a cron job notices
