"""Every vendor request schema is at least as strict as the canonical one, checked structurally.

A body a vendor document accepts becomes a positive case, which must be canonical-valid (issue 2).
Generation finds a gap only if it happens to draw it; this walks the two schemas side by side and
needs no luck: every constraint canonical puts on a request (types, enums, bounds, required fields,
the properties of every nested object, the cross-field rules) must be matched or tightened by each
vendor document, whether the vendor declares the field or leaves it open. The check is sufficient,
not complete: it may reject an equivalent schema spelled differently, never accept a looser one.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from conformance.specs import DOCUMENT_NAMES
from conformance.specs._strictness import ANNOTATIONS, UNDECLARED_COMMENT, exact_pattern

Schema = dict[str, Any]
VENDORS = [name for name, seed in DOCUMENT_NAMES.items() if seed is not None]
REQUEST = {"$ref": "#/components/schemas/ChatCompletionRequest"}
JSON_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})
NULL = {"type": "null"}
# Keywords that only describe; everything else constrains and must be understood below.
_NOTES = frozenset({"description", "$comment", "title", "default", "examples", "deprecated", "readOnly", "writeOnly"})
_HANDLED = frozenset(
    {"$ref", "type", "const", "enum", "anyOf", "oneOf", "allOf", "minimum", "maximum", "exclusiveMinimum",
     "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "items", "required",
     "properties", "patternProperties", "additionalProperties", "dependentSchemas"}
)  # fmt: skip


class Doc:
    """A normalized document, for following its `$ref`s."""

    def __init__(self, document: Schema) -> None:
        self.schemas: dict[str, Schema] = document["components"]["schemas"]

    def deref(self, schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema:
            siblings = {k: v for k, v in schema.items() if k != "$ref" and k not in _NOTES}
            assert not siblings, f"$ref with constraining siblings: {schema}"
            schema = self.schemas[schema["$ref"].removeprefix("#/components/schemas/")]
        return schema


def _types(schema: Schema) -> frozenset[str]:
    """The JSON types a plain (combinator-free) schema admits."""
    if "const" in schema or "enum" in schema:
        values = [schema["const"]] if "const" in schema else schema["enum"]
        found = {_type_of(value) for value in values}
    else:
        kind = schema.get("type")
        found = set(JSON_TYPES if kind is None else [kind] if isinstance(kind, str) else kind)
    if "integer" in found and "number" not in found:
        return frozenset(found)
    return frozenset(found | ({"integer"} if "number" in found else set()))


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def _values(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    return list(schema["enum"]) if "enum" in schema else None


def _narrowed(schema: Schema, kind: str) -> Schema:
    """`schema` restricted to one JSON type (its enum filtered to that type)."""
    out = dict(schema)
    out["type"] = kind
    values = _values(schema)
    if values is not None:
        out.pop("const", None)
        out["enum"] = [v for v in values if _type_of(v) == kind or (kind == "number" and _type_of(v) == "integer")]
    return out


def _admits(schema: Schema, kind: str) -> bool:
    return kind in _types(schema)


class Checker:
    def __init__(self, vendor: Doc, canonical: Doc) -> None:
        self.vendor = vendor
        self.canonical = canonical
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where or '(body)'}: {message}")

    def check(self, vendor: Any, canonical: Any, where: str) -> None:
        """Every instance `vendor` admits, `canonical` admits (or a problem is recorded)."""
        vendor, canonical = self.vendor.deref(vendor), self.canonical.deref(canonical)
        if canonical is True or canonical == {} or vendor is False:
            return
        if vendor is True or not isinstance(vendor, dict):
            self.fail(where, "unconstrained here, constrained in canonical")
            return
        unknown = set(vendor) - _HANDLED - _NOTES
        assert not unknown, f"{where}: the checker does not understand {sorted(unknown)}"
        for key in ("anyOf", "oneOf"):
            if key in vendor:  # each branch (with the siblings) must be canonical-valid
                rest = {k: v for k, v in vendor.items() if k != key}
                for branch in vendor[key]:
                    self.check({"allOf": [rest, branch]} if _constrains(rest) else branch, canonical, where)
                return
        if "allOf" in vendor and any(not _is_rule(part) for part in vendor["allOf"]):
            merged = _merge(self.vendor, vendor)
            self.check(merged, canonical, where)
            return
        if "anyOf" in canonical or "oneOf" in canonical:
            self.union(vendor, canonical, where)
            return
        self.plain(vendor, canonical, where)

    def union(self, vendor: Schema, canonical: Schema, where: str) -> None:
        """`vendor` (no combinator) against `anyOf`/`oneOf`: each JSON type, and for objects each role, of
        `vendor` must fall into one branch (oneOf: the only branch admitting it)."""
        key = "anyOf" if "anyOf" in canonical else "oneOf"
        rest = {k: v for k, v in canonical.items() if k != key}
        if _constrains(rest):
            self.plain(vendor, rest, where)
        branches = [self.canonical.deref(branch) for branch in canonical[key]]
        for kind in sorted(_types(vendor) - ({"integer"} if "number" in _types(vendor) else set())):
            part = _narrowed(vendor, kind)
            if _values(part) == []:
                continue
            admitting = [branch for branch in branches if _admits(_plain_view(self.canonical, branch), kind)]
            if len(admitting) > 1 and key == "anyOf":
                self.any_branch(part, admitting, where)
                continue
            if kind == "object" and len(admitting) > 1:
                self.by_role(part, admitting, where)
                continue
            if not admitting:
                self.fail(where, f"admits {kind}, which no canonical {key} branch admits")
            elif key == "oneOf" and len(admitting) > 1:
                self.fail(where, f"{kind} values may match several canonical oneOf branches")
            else:
                self.check(part, admitting[0], where)

    def any_branch(self, vendor: Schema, branches: list[Schema], where: str) -> None:
        """anyOf: `vendor` within one of the branches is enough."""
        attempts = []
        for branch in branches:
            attempt = Checker(self.vendor, self.canonical)
            attempt.check(vendor, branch, where)
            if not attempt.problems:
                return
            attempts.append(attempt.problems)
        self.fail(where, f"within no canonical anyOf branch: {attempts}")

    def by_role(self, vendor: Schema, branches: list[Schema], where: str) -> None:
        """Objects told apart by a `role` const (the canonical messages): split the vendor's role enum."""
        roles = _values(self.vendor.deref(vendor.get("properties", {}).get("role", {})) or {})
        if not roles or "role" not in vendor.get("required", []):
            self.fail(where, "an object that several canonical branches admit, with no required role enum")
            return
        for role in roles:
            matching = [b for b in branches if role in (_values(b.get("properties", {}).get("role", {})) or [])]
            if len(matching) != 1:
                self.fail(where, f"role {role!r} matches {len(matching)} canonical branches")
                continue
            narrowed = {**vendor, "properties": {**vendor["properties"], "role": {"const": role}}}
            self.check(narrowed, matching[0], f"{where}[role={role}]")

    def plain(self, vendor: Schema, canonical: Schema, where: str) -> None:
        unknown = set(canonical) - _HANDLED - _NOTES
        assert not unknown, f"{where}: the checker does not understand canonical {sorted(unknown)}"
        extra = _types(vendor) - _types(canonical)
        if extra:
            self.fail(where, f"admits {sorted(extra)}; canonical admits only {sorted(_types(canonical))}")
        allowed, values = _values(canonical), _values(vendor)
        if allowed is not None and (values is None or any(v not in allowed for v in values)):
            self.fail(where, f"admits {values if values is not None else 'any value'}; canonical: {allowed}")
        self.bounds(vendor, canonical, where)
        if "items" in canonical:
            if "items" not in vendor and "array" in _types(vendor) and _values(vendor) is None:
                self.fail(where, "array items are unconstrained")
            elif "items" in vendor:
                self.check(vendor["items"], canonical["items"], where + "[]")
        if "object" in _types(vendor) and _values(vendor) is None:
            self.object(vendor, canonical, where)
        if "anyOf" in canonical or "oneOf" in canonical:
            self.union(vendor, canonical, where)
        for rule in canonical.get("allOf", []):
            if not _is_rule(rule):
                self.check(vendor, rule, where)
            elif (
                rule not in vendor.get("allOf", [])
                and vendor.get("dependentSchemas", {}).get(rule["if"]["required"][0]) != rule
            ):
                self.fail(where, f"lacks canonical's rule {rule.get('description')!r}")

    def bounds(self, vendor: Schema, canonical: Schema, where: str) -> None:
        values = _values(vendor)
        low, low_open = _bound(canonical, "minimum", "exclusiveMinimum", max)
        high, high_open = _bound(canonical, "maximum", "exclusiveMaximum", min)
        if _types(vendor) & {"number", "integer"}:
            numbers = [v for v in values or [] if _type_of(v) in {"number", "integer"}]
            v_low, v_low_open = _bound(vendor, "minimum", "exclusiveMinimum", max)
            v_high, v_high_open = _bound(vendor, "maximum", "exclusiveMaximum", min)
            if values is not None:
                v_low = min(numbers, default=math.inf)
                v_high = max(numbers, default=-math.inf)
                v_low_open = v_high_open = False
            if v_low < low or (v_low == low and low_open and not v_low_open):
                self.fail(where, f"lower bound {v_low} is below canonical's {low}")
            if v_high > high or (v_high == high and high_open and not v_high_open):
                self.fail(where, f"upper bound {v_high} is above canonical's {high}")
        for least, most, kind in (("minLength", "maxLength", "string"), ("minItems", "maxItems", "array")):
            if kind not in _types(vendor) or values is not None:
                continue
            if vendor.get(least, 0) < canonical.get(least, 0):
                self.fail(where, f"{least} {vendor.get(least, 0)} is below canonical's {canonical[least]}")
            if vendor.get(most, math.inf) > canonical.get(most, math.inf):
                self.fail(where, f"{most} {vendor.get(most, 'unbounded')} is above canonical's {canonical[most]}")
        if "pattern" in canonical and "string" in _types(vendor):
            texts = [v for v in values or [] if isinstance(v, str)]
            if values is not None:
                bad = [text for text in texts if not re.search(canonical["pattern"], text)]
                if bad:
                    self.fail(where, f"admits {bad}, which canonical's pattern rejects")
            elif vendor.get("pattern") != canonical["pattern"]:
                self.fail(where, f"pattern {vendor.get('pattern')!r} is not canonical's {canonical['pattern']!r}")

    def object(self, vendor: Schema, canonical: Schema, where: str) -> None:
        missing = set(canonical.get("required", [])) - set(vendor.get("required", []))
        if missing:
            self.fail(where, f"does not require {sorted(missing)}")
        if canonical.get("additionalProperties") is False and vendor.get("additionalProperties") is not False:
            self.fail(where, "admits additional properties")
        for name, schema in canonical.get("properties", {}).items():
            self.check(_applies_to(vendor, name), schema, f"{where}.{name}" if where else name)


def _bound(schema: Schema, inclusive: str, exclusive: str, pick: Any) -> tuple[float, bool]:
    """The tighter of the inclusive/exclusive bound (open: exclusive)."""
    candidates = []
    if inclusive in schema:
        candidates.append((schema[inclusive], False))
    if exclusive in schema:
        candidates.append((schema[exclusive], True))
    if not candidates:
        return (-math.inf if pick is max else math.inf), False
    value = pick(value for value, _ in candidates)
    return value, any(open_ for v, open_ in candidates if v == value)


def _applies_to(vendor: Schema, name: str) -> Any:
    """The schema a vendor object applies to its property `name` (True: none)."""
    parts = []
    if name in vendor.get("properties", {}):
        parts.append(vendor["properties"][name])
    parts += [s for pattern, s in vendor.get("patternProperties", {}).items() if re.search(pattern, name)]
    if not parts:
        additional = vendor.get("additionalProperties", True)
        return additional
    return parts[0] if len(parts) == 1 else {"allOf": parts}


def _is_rule(schema: Any) -> bool:
    return isinstance(schema, dict) and "if" in schema


def _constrains(schema: Schema) -> bool:
    return bool(set(schema) - _NOTES)


def _plain_view(doc: Doc, schema: Schema) -> Schema:
    return _merge(doc, schema) if "allOf" in schema else schema


def _merge(doc: Doc, schema: Schema) -> Schema:
    """A conjunction folded into one schema where the parts do not overlap (rules are kept as rules)."""
    out: Schema = {k: v for k, v in schema.items() if k != "allOf"}
    rules = [part for part in schema.get("allOf", []) if _is_rule(part)]
    for part in schema.get("allOf", []):
        if _is_rule(part):
            continue
        part = doc.deref(part)
        for key, value in part.items():
            if key in _NOTES:
                continue
            if key == "properties":
                out["properties"] = {**out.get("properties", {}), **value}
            elif key == "required":
                out["required"] = sorted({*out.get("required", []), *value})
            else:
                assert key not in out or out[key] == value, f"cannot merge {key}: {out.get(key)} and {value}"
                out[key] = value
    if rules:
        out["allOf"] = rules
    return out


@pytest.fixture(scope="module")
def canonical(documents: dict[str, Schema]) -> Doc:
    return Doc(documents["canonical"])


@pytest.mark.parametrize("name", VENDORS)
def test_vendor_request_is_at_least_as_strict_as_canonical(
    name: str, documents: dict[str, Schema], canonical: Doc
) -> None:
    checker = Checker(Doc(documents[name]), canonical)
    checker.check(REQUEST, REQUEST, "")
    assert checker.problems == [], f"{name} admits request bodies the canonical schema rejects"


def _open_object() -> Schema:
    return {"type": "object", "required": ["role", "content"],
            "properties": {"role": {"enum": ["user"]}, "content": {"type": "string"}}}  # fmt: skip


@pytest.mark.parametrize(
    ("vendor", "problem"),
    [
        ({"type": "object", "required": ["model", "messages"], "properties": {
            "model": {"type": "string", "minLength": 1},
            "messages": {"type": "array", "minItems": 1, "items": _open_object()}}},
         "messages[][role=user].name: unconstrained"),
        ({"type": "object", "required": ["model", "messages"], "properties": {
            "model": {"type": "string"}, "messages": {"type": "array", "minItems": 1}}}, "model: minLength 0"),
        ({"type": "object", "required": ["model"], "properties": {"model": {"type": "string", "minLength": 1}}},
         "(body): does not require ['messages']"),
        ({"type": "object", "required": ["model", "messages"], "additionalProperties": False, "properties": {
            "model": {"type": "string", "minLength": 1}, "messages": {"type": "array", "minItems": 1, "maxItems": 1,
            "items": _open_object()}, "top_p": {"type": "number", "minimum": 0, "maximum": 1}}}, "top_p: lower bound"),
    ],
)  # fmt: skip
def test_the_checker_finds_looser_schemas(vendor: Schema, problem: str, canonical: Doc) -> None:
    """The checker is not vacuous: each of these (pre-fix shapes) is reported."""
    document = {"components": {"schemas": {"ChatCompletionRequest": vendor}}}
    checker = Checker(Doc(document), canonical)
    checker.check(REQUEST, REQUEST, "")
    assert any(found.startswith(problem) for found in checker.problems), checker.problems


@pytest.mark.parametrize("name", VENDORS)
def test_undeclared_fields_keep_reading_as_undocumented(name: str, documents: dict[str, Schema]) -> None:
    """The canonical-only fields sit under patternProperties (exact names), never under properties, and
    their schemas are canonical's without its defaults."""
    request = documents[name]["components"]["schemas"]["ChatCompletionRequest"]
    canonical = documents["canonical"]["components"]["schemas"]["ChatCompletionRequest"]["properties"]
    for pattern, schema in request.get("patternProperties", {}).items():
        field = pattern.strip("^$")
        assert pattern == exact_pattern(field) and field not in request["properties"]
        assert schema["$comment"] == UNDECLARED_COMMENT
        expected = {k: v for k, v in canonical[field].items() if k not in ANNOTATIONS}
        assert {k: v for k, v in schema.items() if k != "$comment"} == expected
