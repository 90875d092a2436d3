"""Reports, JSON exports and charts of five fixed days are byte-identical to the references an earlier release
wrote (tests/golden_days.py says how they are made and when to regenerate them)."""

from __future__ import annotations

import pytest

import golden_days


@pytest.mark.parametrize("case", golden_days.CASES)
def test_outputs_byte_identical_to_reference(case, tmp_path):
    want = golden_days.reference(case)
    assert want, f"no reference files for {case}: run tests/golden_days.py --write {case}"
    got = golden_days.produce(case, tmp_path)
    assert sorted(got) == sorted(want), f"{case}: other files written"
    changed = [rel for rel in want if got[rel] != want[rel]]
    assert not changed, f"{case}: files differ from the reference: {changed}"
