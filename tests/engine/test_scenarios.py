"""The scenario catalogue: well-formed, cheap, and feeding every invariant somewhere."""

from __future__ import annotations

import json

import pytest

from conformance.engine import generated_scenarios, select_invariants
from conformance.invariants import Expect
from conformance.providers import load_profile, profile_names
from conformance.scenarios import SCENARIOS, scenario_by_id


def test_ids_are_unique_and_peers_exist() -> None:
    ids = [s.id for s in SCENARIOS]
    assert len(ids) == len(set(ids))
    for sc in SCENARIOS:
        if sc.peer:
            assert scenario_by_id(sc.peer).mode is not sc.mode


@pytest.mark.parametrize("profile_name", profile_names())
def test_requests_are_small_and_valid_json(profile_name: str) -> None:
    profile = load_profile(profile_name)
    for sc in SCENARIOS:
        if sc.skip_reason(profile):
            continue
        spec = sc.build(profile)
        if spec.raw_body is not None:
            with pytest.raises(ValueError):
                json.loads(spec.raw_body)  # the malformed-JSON scenario really is malformed
            continue
        assert spec.body is not None
        if sc.expect_for(profile) is Expect.SUCCESS:
            assert 1 <= spec.body["max_tokens"] <= 96, sc.id  # a full run against a paid vendor costs cents
            assert spec.body["messages"], sc.id


def test_every_invariant_is_fed_by_some_scenario_for_some_profile() -> None:
    unfed = []
    candidates = {
        name: [*SCENARIOS, *generated_scenarios(load_profile(name), seed=0, count=2)] for name in profile_names()
    }
    for inv in select_invariants():
        fed = False
        for name in profile_names():
            profile = load_profile(name)
            if any(sc.feeds(inv, profile) and not sc.skip_reason(profile) for sc in candidates[name]):
                fed = True
                break
        if not fed:
            unfed.append(inv.id)
    assert unfed == [], "invariants no scenario ever judges (they could never fail in a run)"


def test_quick_subset_is_a_strict_subset_covering_both_modes() -> None:
    quick = [s for s in SCENARIOS if s.quick]
    assert 0 < len(quick) < len(SCENARIOS)
    assert {str(s.mode) for s in quick} == {"stream", "nonstream"}
    assert any(s.expect is Expect.ERROR for s in quick)
