"""CASE-001..005: verdicts on schema-generated cases, pure functions of one observation.

A generated case reaches these checks with the features "generated" plus "positive" or
"negative" (see `case_features`). Positive cases are documented-valid and expect success;
negative ones are invalid on purpose and expect a rejection with the error envelope.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema_rs

from ..invariants._behaviour_helpers import error_envelope_problem
from ..invariants._model import Expect, Mode, NotApplicable, Severity, Source, Violation
from ..invariants._observation import Observation
from ..invariants._registry import invariant
from ._validity import request_problems, shorten

__all__ = [
    "negative_case_has_error_envelope",
    "negative_case_is_not_a_server_error",
    "negative_case_is_not_accepted",
    "positive_case_is_accepted",
    "positive_case_matches_response_schema",
]

_MAX_VIOLATIONS = 5  # schema errors listed per response; the rest are counted
_ERROR_STATUSES_KIND = "invalid_param"


@cache
def _response_validator() -> jsonschema_rs.Validator:
    from ..specs import component_schema  # heavy import, deferred to the first judged response

    return jsonschema_rs.validator_for(component_schema("ChatCompletion"))


def _vendor_message(obs: Observation) -> str:
    """The provider's own words: error.message when the body has it, else the start of the body."""
    body = obs.body_object
    if body is not None:
        err = body.get("error")
        message = err.get("message") if isinstance(err, dict) else None
        if isinstance(message, str) and message.strip():
            return message.strip()[:300]
        if isinstance(err, str) and err.strip():
            return err.strip()[:300]
    text = obs.exchange.body.decode("utf-8", "replace").strip()
    return shorten(text, 300) if text else "(empty body)"


def _expected_statuses(obs: Observation) -> str:
    kind = obs.scenario.error_kind or _ERROR_STATUSES_KIND
    statuses = ", ".join(str(s) for s in obs.profile.status_for(kind))
    return f"a 4xx rejection (profile {obs.profile.name} documents {statuses} for {kind})"


def _status(obs: Observation) -> int:
    if obs.exchange.status is None:
        raise NotApplicable("no response arrived")
    return obs.exchange.status


def _problems(obs: Observation) -> str:
    problems = request_problems(obs.request, obs.profile)
    return "; ".join(problems[:3]) + (f"; +{len(problems) - 3} more" if len(problems) > 3 else "")


@invariant(
    id="CASE-001",
    rule="A generated request that the profile's document defines as valid is accepted with a 2xx.",
    severity=Severity.MUST,
    group="cases",
    requires={"generated", "positive"},
    expect=Expect.SUCCESS,
    sources=[Source("canonical", "#/components/schemas/ChatCompletionRequest"),
             Source("rfc9110", "§15.3 Successful 2xx", "the client's request was successfully received, "
                    "understood, and accepted")],
)
def positive_case_is_accepted(obs: Observation) -> Iterator[Violation]:
    """A positive generated case is valid under the canonical request schema, the profile's limits
    and the cross-field rules, so refusing it means the provider rejects what its documents allow."""
    status = _status(obs)
    if not 200 <= status < 300:
        yield Violation(expected="a 2xx: the body is valid under the canonical request schema and the profile's "
                                 f"limits (profile {obs.profile.name})",
                        received=f"HTTP {status}: rejected a documented-valid request: {_vendor_message(obs)}")


@invariant(
    id="CASE-002",
    rule="A generated valid non-stream request is answered with a body that validates against the response schema.",
    severity=Severity.MUST,
    group="cases",
    requires={"generated", "positive"},
    modes={Mode.NONSTREAM},
    expect=Expect.SUCCESS,
    sources=[Source("canonical", "#/components/schemas/ChatCompletion")],
)
def positive_case_matches_response_schema(obs: Observation) -> Iterator[Violation]:
    """The JSON body of an accepted positive non-stream case validates against the canonical
    `ChatCompletion` schema. Streamed positive cases are judged by the stream invariants instead."""
    status = _status(obs)
    if not 200 <= status < 300:
        raise NotApplicable(f"HTTP {status}: CASE-001 judges the status")
    try:
        body = obs.body_json
    except (ValueError, UnicodeDecodeError):
        yield Violation(expected="a JSON chat.completion body (canonical ChatCompletion schema)",
                        received=f"a body that is not JSON (Content-Type {obs.exchange.media_type}): "
                                 f"{shorten(obs.exchange.body.decode('utf-8', 'replace'), 120)}")
        return
    errors = list(_response_validator().iter_errors(body))
    for err in errors[:_MAX_VIOLATIONS]:
        where = "/".join(str(p) for p in err.instance_path) or "(body)"
        yield Violation(expected="a body valid under the canonical ChatCompletion schema",
                        received=f"{where}: {err.message[:200]}")
    if len(errors) > _MAX_VIOLATIONS:
        yield Violation(expected="a body valid under the canonical ChatCompletion schema",
                        received=f"{len(errors) - _MAX_VIOLATIONS} more schema errors")


@invariant(
    id="CASE-003",
    rule="A generated invalid request is never accepted with a 2xx.",
    severity=Severity.MUST,
    group="cases",
    requires={"generated", "negative"},
    expect=Expect.ERROR,
    sources=[Source("deepseek-docs", "/quick_start/error_codes", "400 Invalid Format ... 422 Invalid Parameters"),
             Source("canonical", "#/components/schemas/ChatCompletionRequest")],
)
def negative_case_is_not_accepted(obs: Observation) -> Iterator[Violation]:
    """A negative generated case breaks the canonical request schema, a profile limit or a
    documented cross-field rule; a 2xx means the provider silently accepted an invalid request,
    which hides client bugs and bills for requests the documents call invalid."""
    status = _status(obs)
    if status < 400:
        verdict = "silently accepted an invalid request" if 200 <= status < 300 else "did not reject an invalid request"
        yield Violation(expected=_expected_statuses(obs),
                        received=f"HTTP {status}: {verdict} ({_problems(obs)})")


@invariant(
    id="CASE-004",
    rule="A generated invalid request never gets a 5xx.",
    severity=Severity.MUST,
    group="cases",
    requires={"generated", "negative"},
    expect=Expect.ERROR,
    sources=[Source("rfc9110", "§15.6 Server Error 5xx", "the server is aware that it has erred"),
             Source("deepseek-docs", "/quick_start/error_codes", "422 Invalid Parameters")],
)
def negative_case_is_not_a_server_error(obs: Observation) -> Iterator[Violation]:
    """An invalid request is the client's error; a 5xx blames the server, makes SDKs retry a request
    that can never succeed, and usually means the input reached code that did not validate it."""
    status = _status(obs)
    if status >= 500:
        yield Violation(expected=_expected_statuses(obs),
                        received=f"HTTP {status} for an invalid request ({_problems(obs)}): {_vendor_message(obs)}")


@invariant(
    id="CASE-005",
    rule='A rejected generated request carries the {"error": {"message": ...}} envelope with a non-empty message.',
    severity=Severity.MUST,
    group="cases",
    requires={"generated", "negative"},
    expect=Expect.ERROR,
    sources=[Source("openai-openapi", "#/components/schemas/ErrorResponse"),
             Source("openai-python", "src/openai/_client.py _make_status_error (reads body['error'])")],
)
def negative_case_has_error_envelope(obs: Observation) -> Iterator[Violation]:
    """Clients show `error.message` from an error body; without the envelope the user gets a
    generic status text instead of the reason the request was refused."""
    status = _status(obs)
    if status < 400:
        raise NotApplicable(f"HTTP {status}: not a rejection (CASE-003 judges it)")
    expected = 'a JSON body {"error": {"message": "<non-empty string>", ...}}'
    try:
        body: Any = obs.body_json
    except (ValueError, UnicodeDecodeError):
        yield Violation(expected=expected, received=f"a body that is not JSON: "
                        f"{shorten(obs.exchange.body.decode('utf-8', 'replace'), 120)}")
        return
    problem = error_envelope_problem(body)
    if problem:
        yield Violation(expected=expected, received=problem)
