"""The behaviour groups declare exactly the planned ids, each with sources, a docstring and pass/fail fixtures."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from conformance.engine import select_invariants
from conformance.invariants import (  # noqa: F401
    Expect,
    Mode,
    Severity,
    consistency,
    errors,
    json_mode,
    limits,
    logprobs,
    reasoning,
    registry,
    sdk,
    tools,
)
from tests.invariants.fixture_runner import FIXTURES_ROOT, load_cases

M, S = Severity.MUST, Severity.SHOULD
# id -> (severity, stochastic), as planned in the team brief.
PLAN: dict[str, tuple[Severity, bool]] = {
    "REASON-001": (M, True), "REASON-002": (M, True), "REASON-003": (M, False), "REASON-004": (M, False),
    "REASON-005": (S, False), "REASON-006": (S, False), "REASON-007": (M, False), "REASON-008": (M, False),
    "REASON-009": (S, False), "REASON-010": (S, False), "REASON-011": (S, False),
    "TOOL-001": (M, False), "TOOL-002": (M, False), "TOOL-003": (M, False), "TOOL-004": (M, False),
    "TOOL-005": (S, True), "TOOL-006": (M, False), "TOOL-007": (M, False), "TOOL-008": (S, False),
    "TOOL-009": (M, False), "TOOL-010": (M, True), "TOOL-011": (M, False), "TOOL-012": (S, False),
    "JSON-001": (M, True), "JSON-002": (M, False), "JSON-003": (S, False),
    "LOGPROB-001": (M, False), "LOGPROB-002": (M, False), "LOGPROB-003": (M, False), "LOGPROB-004": (S, False),
    "LOGPROB-005": (M, False), "LOGPROB-006": (M, False), "LOGPROB-007": (M, False),
    "LIMIT-001": (M, False), "LIMIT-002": (M, False), "LIMIT-003": (M, False), "LIMIT-004": (M, False),
    "ERROR-001": (M, False), "ERROR-002": (M, False), "ERROR-003": (M, False), "ERROR-004": (M, False),
    "ERROR-005": (M, False), "ERROR-006": (M, False), "ERROR-007": (M, False), "ERROR-008": (M, False),
    "ERROR-009": (S, False),
    "CONSIST-001": (M, False), "CONSIST-002": (M, False), "CONSIST-003": (S, False), "CONSIST-004": (S, False),
    "CONSIST-005": (S, True),
    "SDK-001": (M, False), "SDK-002": (M, False), "SDK-003": (M, False),
}
PREFIXES = ("REASON-", "TOOL-", "JSON-", "LOGPROB-", "LIMIT-", "ERROR-", "CONSIST-", "SDK-")
ERROR_IDS = {"REASON-007", "LOGPROB-006", "LOGPROB-007", "ERROR-001", "ERROR-002", "ERROR-003", "ERROR-004",
             "ERROR-005", "ERROR-006", "ERROR-007"}
PRIMARY = {"openai-openapi", "openai-python", "deepseek-docs", "seed-000", "seed-001", "seed-002", "seed-003",
           "seed-004", "canonical", "rfc9110"}
VENDOR_WORDS = ("deepseek", "vllm", "volcengine", "sglang", "openrouter", "ollama", "llama.cpp")


def test_exactly_the_planned_ids_are_registered() -> None:
    mine = {i for i in registry.ids() if i.startswith(PREFIXES)}
    assert mine == set(PLAN)


@pytest.mark.parametrize("inv_id", sorted(PLAN))
def test_declaration_matches_the_plan(inv_id: str) -> None:
    inv = registry[inv_id]
    severity, stochastic = PLAN[inv_id]
    assert (inv.severity, inv.stochastic) == (severity, stochastic)
    assert inv.expect is (Expect.ERROR if inv_id in ERROR_IDS else Expect.SUCCESS)
    assert inv.doc, f"{inv_id} has no docstring"
    assert {s.doc for s in inv.sources} & PRIMARY
    if inv.id.startswith("CONSIST-"):
        assert inv.modes == frozenset({Mode.STREAM}), "consistency checks judge the stream side against its peer"


@pytest.mark.parametrize("inv_id", sorted(PLAN))
def test_fixtures_prove_pass_and_fail(inv_id: str) -> None:
    folder = FIXTURES_ROOT / inv_id
    assert (folder / "cases.yaml").is_file(), f"no fixtures for {inv_id}"
    verdicts = {c.expect for c in load_cases(folder)}
    assert {"pass", "fail"} <= verdicts


@pytest.mark.parametrize("inv_id", sorted(inv.id for inv in select_invariants()))  # every group, not only these
def test_check_code_names_no_vendor(inv_id: str) -> None:
    """Vendor differences are profile data: a check's code (docstring aside) never names a vendor."""
    fn = registry[inv_id].check
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    func.decorator_list = []  # the declaration cites vendor documents by design
    if func.body and isinstance(func.body[0], ast.Expr) and isinstance(func.body[0].value, ast.Constant):
        func.body = func.body[1:]
    code = ast.unparse(func).lower()
    assert not [w for w in VENDOR_WORDS if w in code]
