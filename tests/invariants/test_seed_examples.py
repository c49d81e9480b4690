"""Seed 002's streaming example, judged by every stream rule: clean under the profile that documents it
(deepseek-official), and failing under canonical exactly where DeepSeek's dialect deviates from it."""

from __future__ import annotations

import pytest

from conformance.invariants import Expect, Mode, registry
from tests.invariants.fixture_runner import FIXTURES_ROOT, FixtureCase, ensure_registered, run_case

ensure_registered()
STREAM_GROUPS = ("framing", "schema", "ordering", "usage", "termination", "headers")
FOLDER = FIXTURES_ROOT / "USAGE-003"  # holds both renderings of the example

# (file, features) -> the rules that fail under canonical, each a documented dialect difference:
# CRLF framing (FRAME-006), role on every delta (ORDER-005), usage on the finish chunk (USAGE-003), and
# usage sent without include_usage (USAGE-005).
EXAMPLES = {
    ("seed002-example.sse", "usage_not_requested"): {"FRAME-006", "ORDER-005", "USAGE-003", "USAGE-005"},
    ("seed002-include-usage.sse", "include_usage"): {"FRAME-006", "ORDER-005", "USAGE-003"},
}
# Rules that cannot judge the example: it predates DeepSeek's context cache and reports no cache fields.
CANNOT_JUDGE = {"USAGE-008"}


def _verdicts(file: str, feature: str, profile: str) -> dict[str, str]:
    out = {}
    for inv in registry:
        if inv.group not in STREAM_GROUPS or Mode.STREAM not in inv.modes or inv.expect is not Expect.SUCCESS:
            continue
        if not inv.requires <= {feature}:
            continue
        case = FixtureCase(invariant_id=inv.id, folder=FOLDER, file=file, expect="pass", profile=profile,
                           features=frozenset({feature}))
        result = run_case(case)
        out[inv.id] = "skip" if result.not_applicable is not None else ("fail" if result.violations else "pass")
    return out


@pytest.mark.parametrize(("file", "feature"), list(EXAMPLES))
def test_seed_example_passes_every_rule_under_deepseek_official(file: str, feature: str) -> None:
    verdicts = _verdicts(file, feature, "deepseek-official")
    assert len(verdicts) > 40
    assert {i for i, v in verdicts.items() if v != "pass"} == CANNOT_JUDGE


@pytest.mark.parametrize(("file", "feature"), list(EXAMPLES))
def test_seed_example_deviates_from_canonical_only_where_documented(file: str, feature: str) -> None:
    verdicts = _verdicts(file, feature, "canonical")
    assert {i for i, v in verdicts.items() if v == "fail"} == EXAMPLES[(file, feature)]
    assert {i for i, v in verdicts.items() if v == "skip"} == CANNOT_JUDGE
