"""Generated cases are deterministic, bounded, cheap and right about validity, for every profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import jsonschema_rs
import pytest

from conformance.cases import GeneratedCase, generate_cases, generator_info
from conformance.providers import Profile, load_profile, profile_names
from conformance.specs import component_schema, document_path
from tests.cases._support import MAX_CASES, MAX_TOKENS, shared_cases


def _profile_or_skip(name: str) -> Profile:
    profile = load_profile(name)
    try:
        present = document_path(profile.spec).is_file()
    except (FileNotFoundError, KeyError):
        present = False
    if not present:
        pytest.skip(f"normalized document {profile.spec!r} of profile {name} is not written yet (helper 'specs')")
    return profile


def _generated(name: str) -> tuple[Profile, list[GeneratedCase], float]:
    profile = _profile_or_skip(name)
    cases, seconds = shared_cases(name)
    return profile, cases, seconds


@pytest.fixture(scope="module")
def request_validator() -> Any:
    # jsonschema-rs, not the generator's own jsonschema-based judge: an independent second opinion.
    return jsonschema_rs.validator_for(component_schema("ChatCompletionRequest"))


def _limit_violations(body: dict[str, Any], profile: Profile) -> list[str]:
    out = []
    for name, (low, high) in profile.limits.items():
        value = body.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and not low <= value <= high:
            out.append(name)
    budget = (body.get("thinking") or {}).get("budget_tokens") if isinstance(body.get("thinking"), dict) else None
    if isinstance(budget, int) and profile.thinking.budget_min is not None and profile.thinking.budget_max is not None:
        if not profile.thinking.budget_min <= budget <= profile.thinking.budget_max:
            out.append("thinking.budget_tokens")
    return out


@pytest.mark.parametrize("name", profile_names())
def test_counts_ids_and_speed(name: str) -> None:
    _, cases, seconds = _generated(name)
    positives = [c for c in cases if c.kind == "positive"]
    negatives = [c for c in cases if c.kind == "negative"]
    assert len(positives) == MAX_CASES // 2, f"{name}: {len(positives)} positive cases"
    assert len(negatives) == MAX_CASES // 2, f"{name}: {len(negatives)} negative cases"
    assert [c.id for c in positives] == [f"pos-{n:04d}" for n in range(1, len(positives) + 1)]
    assert [c.id for c in negatives] == [f"neg-{n:04d}" for n in range(1, len(negatives) + 1)]
    assert len({c.payload() for c in cases}) == len(cases), "duplicate bodies"
    assert all(c.headers == {} for c in cases)
    assert seconds < 20, f"{name}: generating {len(cases)} cases took {seconds:.1f} s"


@pytest.mark.parametrize("name", profile_names())
def test_positive_bodies_are_valid_cheap_and_consistent(name: str, request_validator: Any) -> None:
    profile, cases, _ = _generated(name)
    own_validator = jsonschema_rs.validator_for(component_schema("ChatCompletionRequest", document=profile.spec))
    for case in (c for c in cases if c.kind == "positive"):
        body = case.body
        errors = [e.message for e in request_validator.iter_errors(body)]
        assert not errors, f"{case.id} is invalid under the canonical request schema: {errors}\n{body}"
        own = [e.message for e in own_validator.iter_errors(body)]
        assert not own, f"{case.id} is invalid under the profile's document {profile.spec}: {own}\n{body}"
        assert not _limit_violations(body, profile), f"{case.id} breaks the profile's limits: {body}"
        assert body["model"] == profile.default_model
        assert isinstance(body["max_tokens"], int) and 1 <= body["max_tokens"] <= MAX_TOKENS
        assert body["messages"] and all(isinstance(m["content"], str) and m["content"].strip()
                                        for m in body["messages"])
        if body.get("top_logprobs") is not None:
            assert body.get("logprobs") is True, case.id
        if body.get("stream_options") is not None:
            assert body.get("stream") is True, case.id
        if isinstance(body.get("thinking"), dict) and "budget_tokens" in body["thinking"]:
            assert body["thinking"].get("type") == "enabled", case.id
        if body.get("tool_choice") is not None:
            assert body.get("tools"), case.id
        if isinstance(body.get("thinking"), dict) and body["thinking"].get("type") in ("enabled", "auto"):
            # V3.1 thinking mode documents neither logprobs nor tool calls.
            assert not {"logprobs", "top_logprobs", "tools", "tool_choice"} & set(body), case.id
        assert case.stream is (body.get("stream") is True)
        assert case.description == ""


@pytest.mark.parametrize("name", profile_names())
def test_negative_bodies_are_invalid_and_described(name: str, request_validator: Any) -> None:
    profile, cases, _ = _generated(name)
    for case in (c for c in cases if c.kind == "negative"):
        body = case.body
        view = body
        if (isinstance(body, dict) and profile.stream_options_without_stream == "ignore"
                and body.get("stream") is not True):
            view = {k: v for k, v in body.items() if k != "stream_options"}
        invalid = not request_validator.is_valid(view) or (isinstance(body, dict) and _limit_violations(body, profile))
        assert invalid, f"{case.id} is documented-valid for {name}: {body}"
        assert case.description, case.id
        json.loads(case.payload())  # every body is sendable JSON


@pytest.mark.parametrize("name", profile_names())
def test_positive_cases_respect_the_profile_features(name: str) -> None:
    profile, cases, _ = _generated(name)
    gated = {"tools": "tools", "tool_choice": "tools", "logprobs": "logprobs", "top_logprobs": "logprobs",
             "stop": "stop", "response_format": "json_mode"}
    for case in (c for c in cases if c.kind == "positive"):
        for field, feature in gated.items():
            if not profile.has(feature):
                assert field not in case.body, f"{case.id}: {field} sent to a profile without {feature}"
        if profile.thinking.style != "thinking_type":
            assert "thinking" not in case.body, case.id


def test_positive_cases_cover_the_parameter_space() -> None:
    _, cases, _ = _generated("canonical")
    bodies = [c.body for c in cases if c.kind == "positive"]
    seen = {key for body in bodies for key, value in body.items() if value is not None}
    for field in ("stream", "stream_options", "temperature", "top_p", "frequency_penalty", "presence_penalty",
                  "stop", "logprobs", "top_logprobs", "response_format", "tools", "tool_choice", "thinking"):
        assert field in seen, f"no positive case sets {field}"
    assert {b.get("stream") is True for b in bodies} == {True, False}
    assert any(isinstance(b.get("thinking"), dict) and "budget_tokens" in b["thinking"] for b in bodies)


def test_negative_cases_break_different_things() -> None:
    _, cases, _ = _generated("canonical")
    fields = {c.description.split(":", 1)[0].split(".", 1)[0] for c in cases if c.kind == "negative"}
    assert len(fields) >= 6, fields


def test_same_seed_same_cases_and_another_seed_differs() -> None:
    profile = _profile_or_skip("canonical")
    first = generate_cases(profile, seed=7, max_cases=16)
    again = generate_cases(profile, seed=7, max_cases=16)
    other = generate_cases(profile, seed=8, max_cases=16)
    assert [c.payload() for c in first] == [c.payload() for c in again]
    assert first == again
    assert [c.payload() for c in first] != [c.payload() for c in other]


_SCRIPT = """
import json, sys
from conformance.cases import generate_cases
from conformance.providers import load_profile
cases = generate_cases(load_profile("canonical"), seed=int(sys.argv[1]), max_cases=12)
print(json.dumps([[c.id, c.kind, c.body, c.description] for c in cases]))
"""


def test_same_seed_same_cases_across_processes_and_hash_seeds() -> None:
    """CI runs compare run to run: a fresh interpreter, with another PYTHONHASHSEED and without the test
    modules and plugins this process has imported, draws the same bodies."""
    _profile_or_skip("canonical")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", _SCRIPT, "99"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    here = [[c.id, c.kind, c.body, c.description] for c in generate_cases(load_profile("canonical"), seed=99,
                                                                         max_cases=12)]
    assert json.loads(done.stdout) == json.loads(json.dumps(here))


def test_generator_info_names_the_versions() -> None:
    info = generator_info()
    assert set(info) == {"schemathesis", "hypothesis"}
    assert info["schemathesis"].startswith("4.")


def test_bounds_and_kinds() -> None:
    profile = _profile_or_skip("canonical")
    assert generate_cases(profile, seed=1, max_cases=0) == []
    only_negative = generate_cases(profile, seed=1, max_cases=5, kinds=("negative",))
    assert [c.kind for c in only_negative] == ["negative"] * 5
    odd = generate_cases(profile, seed=1, max_cases=5)
    assert [c.kind for c in odd] == ["positive"] * 3 + ["negative"] * 2
    tiny = generate_cases(profile, seed=1, max_cases=10, max_tokens=2, kinds=("positive",))
    assert len(tiny) == 10 and all(1 <= c.body["max_tokens"] <= 2 for c in tiny)
    with pytest.raises(ValueError):
        generate_cases(profile, seed=1, max_cases=5, kinds=("sideways",))
    with pytest.raises(ValueError):
        generate_cases(profile, seed=1, max_cases=5, max_tokens=0)
