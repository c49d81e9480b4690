"""Is a request body documented-valid for a profile? The canonical request schema, the profile's
limits and the cross-field rules the documents state in prose, each problem said in one line.

Both generation (keep a positive body only when it has no problem; keep a negative body only when
it has one) and the CASE checks (say why a silently accepted body was invalid) use this.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

# No stubs ship for jsonschema; the second code keeps this quiet once the project adds them.
import jsonschema  # type: ignore[import-untyped,unused-ignore]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped,unused-ignore]

from ..providers._profile import Profile

__all__ = ["canonical_request_schema", "document_problems", "request_problems", "shorten"]

_SHORT = 48  # characters of a value shown in a problem line


def shorten(value: Any, limit: int = _SHORT) -> str:
    """A value as compact JSON, cut to `limit` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@cache
def canonical_request_schema() -> dict[str, Any]:
    """The canonical `ChatCompletionRequest` JSON Schema (specs/normalized/canonical.yaml)."""
    from ..specs import component_schema  # the specs package is heavy to import; only load it when used

    return component_schema("ChatCompletionRequest")


@cache
def _canonical_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(canonical_request_schema())


@cache
def _document_validator(spec: str) -> jsonschema.Draft202012Validator | None:
    from ..specs import component_schema

    try:
        return jsonschema.Draft202012Validator(component_schema("ChatCompletionRequest", document=spec))
    except KeyError:  # a document without the component: the canonical schema alone judges
        return None


def document_problems(body: Any, profile: Profile) -> list[str]:
    """Why `body` is invalid under the profile's own normalized document (empty when it is valid).

    Positive cases must be valid under both this and the canonical schema: a vendor can only be
    blamed for refusing what its own document allows.
    """
    validator = _document_validator(profile.spec)
    if validator is None:
        return []
    return [f"{_path(err.absolute_path)}: {err.message[:120]} (document {profile.spec})"
            for err in sorted(validator.iter_errors(body), key=_error_order)]


def request_problems(body: Any, profile: Profile) -> list[str]:
    """Every reason `body` is not a documented-valid request for `profile`; empty when it is valid."""
    view = body
    if (isinstance(body, dict) and profile.stream_options_without_stream == "ignore"
            and body.get("stream") is not True and isinstance(body.get("stream_options"), dict)):
        # The profile documents that stream_options without a stream is ignored, not refused: judge the rest.
        view = {k: v for k, v in body.items() if k != "stream_options"}
    errors = sorted(_canonical_validator().iter_errors(view), key=_error_order)
    problems = [line for err in errors for line in _describe(err, view)]
    if isinstance(body, dict):
        flagged = {".".join(str(p) for p in err.absolute_path) for err in errors}
        problems += [line for path, line in _limit_problems(body, profile) if path not in flagged]
    return _one_per_field(problems)


def _one_per_field(problems: list[str]) -> list[str]:
    """The first problem of each field: a wrong type also fails that field's enum, which says nothing new."""
    seen: set[str] = set()
    out = []
    for line in problems:
        where = line.split(": ", 1)[0]
        if line and where not in seen:
            seen.add(where)
            out.append(line)
    return out


def _error_order(err: ValidationError) -> tuple[str, str]:
    return (_path(err.absolute_path), str(err.validator))


def _path(parts: Sequence[Any] | Any) -> str:
    text = ".".join(str(p) for p in parts)
    return text or "(body)"


def _schema_node(path: Sequence[Any]) -> Any:
    """The canonical schema node at an error's schema path, following `$ref`s on the way."""
    root = canonical_request_schema()
    node: Any = root
    for key in path:
        while isinstance(node, dict) and key not in node and isinstance(node.get("$ref"), str):
            node = _resolve(root, node["$ref"])
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return None
    return node


def _resolve(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _cross_field(err: ValidationError, body: Any) -> str | None:
    """A failed `then` of an if/then rule, said with the rule's own description."""
    path = list(err.absolute_schema_path)
    if "then" not in path:
        return None
    rule = _schema_node(path[: path.index("then")])
    if not isinstance(rule, dict):
        return None
    text = str(rule.get("description") or "a cross-field rule of the canonical schema").rstrip(".")
    trigger = (rule.get("if") or {}).get("required") or []
    if trigger and isinstance(body, dict) and trigger[0] in body:
        return f"{trigger[0]}: {shorten(body[trigger[0]])} ({text})"
    return f"{_path(err.absolute_path)}: {text}"


def _near_alternative(err: ValidationError) -> ValidationError | None:
    """The error of the one anyOf/oneOf alternative that has the right shape, when there is exactly one.

    An alternative failing on `type`, `const` or `enum` of the value itself is a different form
    (the null branch of a nullable field); one failing only deeper down is the form the client meant.
    """
    level = len(err.absolute_path)
    by_branch: dict[Any, list[ValidationError]] = {}
    for sub in err.context or []:
        by_branch.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else None, []).append(sub)
    near = [errs for errs in by_branch.values()
            if not any(e.validator in {"type", "const", "enum"} and len(e.absolute_path) == level for e in errs)]
    if len(near) != 1:
        return None
    found: ValidationError | None = best_match(near[0])
    return found


def _describe(err: ValidationError, body: Any = None) -> list[str]:
    """Lines of the form `where: value (what the schema asks)`; one per missing field for `required`."""
    rule = _cross_field(err, body)
    if rule is not None:
        return [rule]
    where = _path(err.absolute_path)
    keyword = str(err.validator)
    expected: Any = err.validator_value
    if keyword in {"anyOf", "oneOf"} and err.context:
        near = _near_alternative(err)
        if near is not None:
            return _describe(near, body)
        return [f"{where}: {shorten(err.instance)} ({keyword}: matches no documented form)"]
    if keyword == "required" and isinstance(err.instance, dict):
        missing = [name for name in expected if name not in err.instance]
        prefix = "" if where == "(body)" else where + "."
        return [f"{prefix}{name}: missing (required)" for name in missing]
    if keyword == "additionalProperties" and isinstance(err.instance, dict):
        schema: Any = err.schema
        allowed = set(schema.get("properties", {}) if isinstance(schema, dict) else ())
        extra = sorted(k for k in err.instance if k not in allowed)
        prefix = "" if where == "(body)" else where + "."
        return [f"{prefix}{', '.join(extra)}: not a documented field (additionalProperties false)"]
    if keyword == "type":
        kinds = expected if isinstance(expected, str) else " | ".join(expected)
        return [f"{where}: {shorten(err.instance)} (type {kinds})"]
    if keyword == "enum":
        return [f"{where}: {shorten(err.instance)} (enum {', '.join(shorten(v, 24) for v in expected)})"]
    if keyword in {"const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems",
                   "minLength", "maxLength", "minProperties", "maxProperties", "multipleOf", "pattern",
                   "uniqueItems", "format"}:
        return [f"{where}: {shorten(err.instance)} ({keyword} {shorten(expected, 24)})"]
    return [f"{where}: {shorten(err.instance)} ({keyword}: {err.message[:80]})"]


def _lookup(body: dict[str, Any], dotted: str) -> Iterator[Any]:
    node: Any = body
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    yield node


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _limit_problems(body: dict[str, Any], profile: Profile) -> list[tuple[str, str]]:
    """Numeric values outside the ranges the profile documents (its `limits` and thinking budget)."""
    ranges = dict(profile.limits)
    budget = profile.thinking
    if budget.budget_field and (budget.budget_min is not None or budget.budget_max is not None):
        ranges.setdefault(budget.budget_field, (float(budget.budget_min if budget.budget_min is not None else 0),
                                                float(budget.budget_max if budget.budget_max is not None else 2**63)))
    out = []
    for field_path, (low, high) in ranges.items():
        for value in _lookup(body, field_path):
            if _is_number(value) and not low <= value <= high:
                out.append((field_path, f"{field_path}: {shorten(value)} (profile {profile.name} documents "
                                        f"[{_fmt(low)}, {_fmt(high)}])"))
    return out
