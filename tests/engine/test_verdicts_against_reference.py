"""The suite's verdicts, proven over real loopback HTTP against the embedded reference provider.

- Clean: for every profile, the emulation passes every MUST and SHOULD check (a failure the
  profile itself documents is allowed only as a declared, reasoned expectation).
- Recall: every fault in the catalogue is caught by at least one invariant it names.
- Precision: a fault raises no MUST failure in an invariant it does not name.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.capture import Bounds
from conformance.engine import ProviderSession, select_invariants
from conformance.engine._results import ProviderResult
from conformance.invariants import Expect, Mode
from conformance.providers import load_profile, profile_names
from conformance.providers._config import ProviderConfig
from conformance.reference import FAULTS, FaultSettings, ReferenceServer
from conformance.scenarios import SCENARIOS, Scenario, scenario_by_id

KEY = "sk-reference-test-key"
# Small bounds so the stall and huge-event faults trip a bound quickly.
BOUNDS = Bounds(connect_s=5, ttfb_s=10, idle_s=1.0, total_s=30, max_bytes=2 * 1024 * 1024, max_events=5000)
SCENARIOS_PER_FAULT = 3


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(
        api_key=KEY, fault_settings=FaultSettings(stall_s=3.0, huge_event_bytes=4 * 1024 * 1024)
    ) as srv:
        yield srv


def _run(
    server: ReferenceServer, profile: str, scenarios: list[Scenario], fault: str | None = None, repeat: int = 1
) -> ProviderResult:
    config = ProviderConfig(
        name=f"ref-{profile}-{fault or 'clean'}",
        base_url=server.url_for(profile, fault),
        profile=profile,
        bounds=BOUNDS,
        concurrency=2,
    )
    with ProviderSession(
        config, invariants=select_invariants(), scenarios=scenarios, api_key=KEY, repeat=repeat
    ) as session:
        return session.run()


@pytest.mark.parametrize("profile", profile_names())
def test_clean_reference_passes_every_must_and_should_check(server: ReferenceServer, profile: str) -> None:
    result = _run(server, profile, list(SCENARIOS), repeat=2)
    assert not result.unreachable
    problems = [
        f"{c.id} {c.scenario}: {c.status}: {c.message}"
        for c in result.checks
        if c.status in ("fail", "error") and c.severity in ("MUST", "SHOULD") and not c.expected_failure
    ]
    assert problems == []
    declared = load_profile(profile).expectations
    for c in result.checks:
        if c.expected_failure:
            assert c.id in declared and declared[c.id].get("reason")
    judged = [c for c in result.checks if c.status == "pass"]
    assert len(judged) > 200, "the clean run must actually judge, not skip"


def _scenarios_for_hint(hint: str, profile_name: str) -> list[Scenario]:
    profile = load_profile(profile_name)
    mode_word, *features = hint.split("+")
    chosen: list[Scenario] = []
    for sc in SCENARIOS:
        if sc.skip_reason(profile):
            continue
        expect = sc.expect_for(profile)
        if mode_word == "error":
            ok = expect is Expect.ERROR and all(f in sc.features or f == str(sc.mode) for f in features)
        else:
            ok = expect is Expect.SUCCESS and (mode_word == "any" or str(sc.mode) == mode_word)
            ok = ok and set(features) <= sc.features
        if ok:
            chosen.append(sc)
    chosen = chosen[:SCENARIOS_PER_FAULT]
    peers = [scenario_by_id(sc.peer) for sc in chosen if sc.peer]
    return chosen + [p for p in peers if p not in chosen]


def _profile_for(fault_name: str) -> str:
    fault = FAULTS[fault_name]
    for name in ("canonical", *profile_names()):
        if fault.applies(load_profile(name)):
            return name
    raise AssertionError(f"fault {fault_name} applies to no profile")


@pytest.mark.parametrize("fault_name", sorted(FAULTS))
def test_every_fault_is_caught_by_a_named_invariant_and_only_related_musts_fail(
    server: ReferenceServer, fault_name: str
) -> None:
    fault = FAULTS[fault_name]
    profile = _profile_for(fault_name)
    scenarios = _scenarios_for_hint(fault.scenario_hint, profile)
    assert scenarios, f"no scenario matches hint {fault.scenario_hint!r} for profile {profile}"
    result = _run(server, profile, scenarios, fault=fault_name)
    failed = {c.id for c in result.checks if c.status == "fail"}
    caught = failed & set(fault.catches)
    assert caught, (
        f"{fault_name} ({fault.description}) on {profile}: none of {fault.catches} failed; "
        f"failures were {sorted(failed)}"
    )
    unrelated = sorted(
        {
            c.id
            for c in result.checks
            if c.status == "fail" and c.severity == "MUST" and c.id not in fault.catches and not c.expected_failure
        }
    )
    assert unrelated == [], f"{fault_name}: MUST failures outside its named invariants"
    errors = [f"{c.id} {c.scenario}: {c.message}" for c in result.checks if c.status == "error"]
    if fault.scenario_hint.split("+")[0] != "error":
        assert all("check raised" not in e for e in errors), errors


def test_every_fault_names_registered_invariants() -> None:
    known = {inv.id for inv in select_invariants()}
    for fault in FAULTS.values():
        assert fault.catches, fault.name
        assert set(fault.catches) <= known, (fault.name, set(fault.catches) - known)
    assert len(FAULTS) >= 30


def test_streams_and_modes_in_fault_hints_exist() -> None:
    modes = {str(m) for m in Mode}
    for fault in FAULTS.values():
        head = fault.scenario_hint.split("+")[0]
        assert head in modes | {"any", "error"}, fault.scenario_hint
