"""How tries of one check become one verdict (pass@k, pass^k, the pass-rate threshold, expectations)."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.engine import CheckResult
from conformance.engine._session import _aggregate, apply_expectation
from conformance.invariants import Invariant, Observation, Severity, Source, Violation
from conformance.providers import load_profile


def _noop(obs: Observation) -> Iterator[Violation]:
    yield from ()


def _inv(stochastic: bool) -> Invariant:
    return Invariant(
        id="TOOL-010",
        rule="A rule holds.",
        severity=Severity.MUST,
        group="tools",
        sources=(Source("openai-openapi", "x"),),
        check=_noop,
        stochastic=stochastic,
    )


BAD = ("fail", [Violation(expected="a call to get_weather", received="no tool call")], "", "captures/x.try2.json")
GOOD = ("pass", [], "", "captures/x.try1.json")


def _result() -> CheckResult:
    return CheckResult(id="TOOL-010", severity="MUST", group="tools", status="skip", scenario="stream-tools")


def test_strict_default_fails_on_any_failed_try_and_reports_pass_at_k() -> None:
    verdict = _aggregate(_result(), _inv(stochastic=True), [GOOD, BAD, GOOD])
    assert verdict.status == "fail"
    assert "[passed 2/3]" in verdict.message and verdict.evidence == "captures/x.try2.json"
    assert verdict.to_json()["repetitions"] == {"k": 3, "passed": 2, "pass_at_k": True, "pass_hat_k": False}


def test_threshold_lets_a_stochastic_check_pass_and_keeps_the_failed_try_visible() -> None:
    verdict = _aggregate(_result(), _inv(stochastic=True), [GOOD, BAD, GOOD], min_pass_rate=0.6)
    assert verdict.status == "pass"
    assert "passed 2/3" in verdict.message and "no tool call" in verdict.message
    assert _aggregate(_result(), _inv(stochastic=True), [BAD, BAD, GOOD], min_pass_rate=0.6).status == "fail"


def test_threshold_never_applies_to_a_deterministic_check() -> None:
    assert _aggregate(_result(), _inv(stochastic=False), [GOOD, BAD, GOOD], min_pass_rate=0.5).status == "fail"


def test_no_response_is_an_error_never_a_pass() -> None:
    verdict = _aggregate(
        _result(), _inv(stochastic=False), [("error", [], "no response (connect_error: refused)", None)]
    )
    assert verdict.status == "error" and "connect_error" in verdict.message


def test_profile_expectation_marks_a_documented_failure_but_keeps_it_failed() -> None:
    profile = load_profile("deepseek-official")
    result = _result()
    result.id, result.status = "SDK-002", "fail"
    verdict = apply_expectation(result, profile)
    assert verdict.status == "fail" and verdict.expected_failure and "role" in verdict.expected_failure
    other = apply_expectation(_result(), profile)
    assert other.expected_failure is None
