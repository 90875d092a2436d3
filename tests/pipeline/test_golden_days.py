"""Reports, JSON exports and charts of five fixed days are byte-identical to the references an earlier release
wrote (tests/golden_days.py says how they are made and when to regenerate them), with the store on SQLite and on
a real PostgreSQL server (tests/pg_server.py): the same bytes from both."""

from __future__ import annotations

import pytest

import golden_days


@pytest.mark.parametrize("case", golden_days.CASES)
def test_outputs_byte_identical_to_reference(case, tmp_path, store_db):
    want = golden_days.reference(case)
    assert want, f"no reference files for {case}: run tests/golden_days.py --write {case}"
    got = golden_days.produce(case, tmp_path, store_db)
    assert sorted(got) == sorted(want), f"{case}: other files written"
    changed = [rel for rel in want if got[rel] != want[rel]]
    assert not changed, f"{case}: files differ from the reference: {changed}"
