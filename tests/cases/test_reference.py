"""Generated cases against the embedded reference provider over real loopback HTTP.

The clean reference accepts every positive case and rejects every negative one with a 4xx and the
error envelope, for every profile; its faults that accept invalid requests, answer them with a 500
or drop the envelope are caught by CASE-003, CASE-004 and CASE-005 on every negative case.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from conformance.capture import Bounds, capture
from conformance.cases import GeneratedCase, case_features
from conformance.invariants import Expect, Mode, NotApplicable, Observation, ScenarioInfo, registry
from conformance.providers import Profile, load_profile, profile_names
from conformance.reference import ReferenceServer, Timing
from tests.cases._support import shared_cases

KEY = "sk-cases-test"
BOUNDS = Bounds(connect_s=5, ttfb_s=10, idle_s=10, total_s=20)


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(api_key=KEY, timing=Timing()) as srv:
        yield srv


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


def _cases(name: str) -> list[GeneratedCase]:
    return shared_cases(name)[0]


def observe(client: httpx.Client, base_url: str, profile: Profile, case: GeneratedCase) -> Observation:
    """Send one case the way the engine does and wrap the capture in the Observation the checks get."""
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json",
               "Accept": "text/event-stream" if case.stream else "application/json", **case.headers}
    exchange = capture(client, method="POST", url=base_url + profile.path, headers=headers, body=case.payload(),
                       bounds=BOUNDS, secrets=(KEY,))
    scenario = ScenarioInfo(
        id=case.id,
        mode=Mode.STREAM if case.stream else Mode.NONSTREAM,
        expect=Expect.SUCCESS if case.kind == "positive" else Expect.ERROR,
        features=case_features(case),
        request=case.body,  # a negative case may send a JSON value that is not an object
        error_kind=None if case.kind == "positive" else "invalid_param",
    )
    return Observation(scenario=scenario, exchange=exchange, profile=profile)


def verdict(inv_id: str, obs: Observation) -> list[str] | None:
    """Rendered violations of one CASE check, or None when it is not applicable to the observation."""
    inv = registry[inv_id]
    sc = obs.scenario
    if sc.mode not in inv.modes or sc.expect is not inv.expect or not inv.requires <= sc.features:
        return None
    try:
        return [v.render() for v in inv.check(obs)]
    except NotApplicable:
        return None


def _describe(case: GeneratedCase, obs: Observation) -> str:
    return f"{case.id} {case.description} -> HTTP {obs.exchange.status}: {obs.exchange.body[:300]!r}\n{case.body}"


@pytest.mark.parametrize("name", profile_names())
def test_clean_reference_accepts_positives_and_rejects_negatives(name: str, server: ReferenceServer,
                                                                 client: httpx.Client) -> None:
    profile = load_profile(name)
    cases = _cases(name)
    assert cases
    base = server.url_for(profile=name)
    judged: dict[str, int] = {}
    for case in cases:
        obs = observe(client, base, profile, case)
        status = obs.exchange.status
        assert obs.exchange.complete, f"{case.id}: capture ended with {obs.exchange.end}: {obs.exchange.end_detail}"
        if case.kind == "positive":
            assert status is not None and 200 <= status < 300, _describe(case, obs)
            assert obs.is_event_stream is case.stream, _describe(case, obs)
            ids = ["CASE-001", "CASE-002"]
        else:
            assert status is not None and 400 <= status < 500, _describe(case, obs)
            assert status in profile.status_for("invalid_param") + profile.status_for("unknown_thinking") \
                + profile.status_for("empty_messages") + profile.status_for("bad_role") \
                + profile.status_for("top_logprobs_without_logprobs"), _describe(case, obs)
            ids = ["CASE-003", "CASE-004", "CASE-005"]
        for inv_id in ids:
            found = verdict(inv_id, obs)
            if found is not None:
                judged[inv_id] = judged.get(inv_id, 0) + 1
                assert found == [], f"{inv_id} on {_describe(case, obs)}\n" + "\n".join(found)
    # Every check judged something: CASE-002 needs at least one non-stream positive case.
    assert set(judged) == {"CASE-001", "CASE-002", "CASE-003", "CASE-004", "CASE-005"}, judged


@pytest.mark.parametrize(("fault", "inv_id", "status_range"), [
    ("invalid-accepted", "CASE-003", range(200, 300)),
    ("invalid-500", "CASE-004", range(500, 600)),
    ("error-envelope-wrong", "CASE-005", range(400, 500)),
])
@pytest.mark.parametrize("name", ["canonical", "deepseek-official"])
def test_faults_are_caught_on_every_negative_case(name: str, fault: str, inv_id: str, status_range: range,
                                                  server: ReferenceServer, client: httpx.Client) -> None:
    profile = load_profile(name)
    negatives = [c for c in _cases(name) if c.kind == "negative"]
    assert negatives
    base = server.url_for(profile=name, fault=fault)
    for case in negatives:
        obs = observe(client, base, profile, case)
        assert obs.exchange.status in status_range, _describe(case, obs)
        found = verdict(inv_id, obs)
        assert found, f"{inv_id} missed the {fault} fault on {_describe(case, obs)}"
    # The faults only touch invalid requests: positive cases still pass CASE-001 under them.
    for case in [c for c in _cases(name) if c.kind == "positive"][:3]:
        obs = observe(client, base, profile, case)
        assert verdict("CASE-001", obs) == [], _describe(case, obs)


def test_case_003_message_names_the_mutation(server: ReferenceServer, client: httpx.Client) -> None:
    profile = load_profile("canonical")
    case = next(c for c in _cases("canonical") if c.kind == "negative")
    obs = observe(client, server.url_for(profile="canonical", fault="invalid-accepted"), profile, case)
    found = verdict("CASE-003", obs)
    assert found and "silently accepted an invalid request" in found[0]
    first_problem = case.description.split("; ")[0]
    assert first_problem in found[0], found[0]


@pytest.mark.parametrize("name", profile_names())
def test_positive_cases_pass_the_whole_catalogue_on_the_clean_reference(name: str, server: ReferenceServer,
                                                                        client: httpx.Client) -> None:
    """What the engine does with a positive case: every applicable deterministic invariant judges it.

    Streamed positive cases are captured by our own capture (not schemathesis' 20-event reader) and
    must pass the stream invariants; non-stream ones the schema and header invariants.
    """
    import conformance.invariants.catalogue  # noqa: F401 - registers every group

    profile = load_profile(name)
    base = server.url_for(profile=name)
    ran = 0
    for case in (c for c in _cases(name) if c.kind == "positive"):
        obs = observe(client, base, profile, case)
        for inv in registry:
            sc = obs.scenario
            if (sc.mode not in inv.modes or sc.expect is not inv.expect or not inv.requires <= sc.features
                    or inv.stochastic or (inv.profiles is not None and name not in inv.profiles)):
                continue
            try:
                found = [v.render() for v in inv.check(obs)]
            except NotApplicable:
                continue
            ran += 1
            assert found == [], f"{inv.id} on {_describe(case, obs)}\n" + "\n".join(found)
    assert ran >= 100, ran
