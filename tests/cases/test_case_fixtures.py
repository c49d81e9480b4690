"""CASE-001..005 pass and fail on their fixtures (tests/fixtures/streams/CASE-00N), offline."""

from __future__ import annotations

import pytest

import conformance.cases  # noqa: F401 - registers CASE-001..005
from conformance.invariants import registry
from tests.invariants.fixture_runner import FixtureCase, assert_case, discover_cases

CASE_IDS = [f"CASE-00{n}" for n in range(1, 6)]
CASES = discover_cases(ids=CASE_IDS)


@pytest.mark.parametrize("case", CASES, ids=[c.test_id for c in CASES])
def test_case_fixture(case: FixtureCase) -> None:
    assert_case(case)


@pytest.mark.parametrize("inv_id", CASE_IDS)
def test_every_case_invariant_has_pass_and_fail_fixtures(inv_id: str) -> None:
    assert inv_id in registry
    inv = registry[inv_id]
    assert inv.group == "cases" and "generated" in inv.requires
    expects = {c.expect for c in CASES if c.invariant_id == inv_id}
    assert {"pass", "fail"} <= expects
