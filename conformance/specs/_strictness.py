"""A vendor request schema admits nothing the canonical one rejects: fields canonical defines are never left open.

A vendor document that does not declare a field canonical defines, in an object it leaves open (no
`additionalProperties: false`), accepts any value there: `thinking: 5`, a message with `name: 5` or
`tool_calls: "x"`. schemathesis then generates such bodies as positive cases, and the canonical
request schema rejects them. This pass walks the repaired request schema next to the canonical one
(the top level, and every nested object both declare: messages[], thinking, stream_options,
response_format, ...) and holds each undeclared canonical field to its canonical schema.

The constraint goes under `patternProperties` with an exact-name pattern (`^thinking$`), not under
`properties`: validation is the same, but the field still reads as one the vendor does not document
(DIFF.md shows it as absent, and `conformance/cases` generates only documented fields). A canonical
cross-field rule (`allOf` if/then) missing from the vendor's `allOf` goes under `dependentSchemas`,
keyed by the field that triggers it, for the same reason. Every such change is a fix record with
`assumption: true`: the vendor states none of it.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import jsonschema_rs

from ._components import canonical_schemas
from ._fixes import Fix, FixError
from ._pointer import ABSENT, pointer, resolve

__all__ = ["ANNOTATIONS", "UNDECLARED_COMMENT", "canonical_strictness_fixes", "exact_pattern"]

Schema = dict[str, Any]

_SCHEMAS = "/components/schemas/"
_REQUEST = "ChatCompletionRequest"
_NULL = {"type": "null"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Annotations that describe a vendor's behaviour (its default, its sample values): not carried over.
ANNOTATIONS = ("default", "examples")
UNDECLARED_COMMENT = (
    "Not documented by this vendor; when sent, canonical.yaml's schema applies (FIXES.yaml, canonical-undeclared)."
)
# Values tried, in order, for the example in a fix's reason: the first one canonical rejects.
_SAMPLES: tuple[Any, ...] = (5, "x", True, [], {})


def exact_pattern(name: str) -> str:
    """The `patternProperties` key that matches exactly the property `name`."""
    if not _NAME.match(name):
        raise FixError(f"not a plain property name: {name!r}")
    return f"^{name}$"


class _Canonical:
    """The canonical component schemas, dereferenced on demand; pointers are into canonical.yaml."""

    def __init__(self) -> None:
        self.schemas = canonical_schemas()
        self._defs = {name: _rebased(schema) for name, schema in self.schemas.items()}

    def deref(self, schema: Any, where: str) -> tuple[Any, str]:
        """Follow `$ref`s and unwrap `anyOf: [X, null]`."""
        for _ in range(16):
            if not isinstance(schema, dict):
                break
            target = schema.get("$ref")
            if isinstance(target, str) and target.startswith("#" + _SCHEMAS):
                name = target.removeprefix("#" + _SCHEMAS)
                schema, where = self.schemas[name], _SCHEMAS + name
                continue
            branches = schema.get("anyOf")
            if isinstance(branches, list) and len(branches) == 2 and _NULL in branches:
                index = next(i for i, item in enumerate(branches) if item != _NULL)
                schema, where = branches[index], f"{where}/anyOf/{index}"
                continue
            break
        return schema, where

    def object_properties(self, schema: Any, where: str) -> dict[str, list[tuple[Schema, str]]]:
        """The properties an object schema declares (a oneOf of `$ref`s: the union of its variants'),
        each with every (schema, canonical pointer) that declares it."""
        schema, where = self.deref(schema, where)
        if not isinstance(schema, dict):
            return {}
        variants: list[tuple[Any, str]] = [(schema, where)]
        union = schema.get("oneOf")
        if isinstance(union, list) and union and all(isinstance(item, dict) and "$ref" in item for item in union):
            variants = [self.deref(item, f"{where}/oneOf/{i}") for i, item in enumerate(union)]
        found: dict[str, list[tuple[Schema, str]]] = {}
        for variant, variant_where in variants:
            for name, sub in (variant.get("properties") or {}).items():
                found.setdefault(name, []).append((sub, variant_where + pointer("properties", name)))
        return found

    def items(self, schema: Any, where: str) -> tuple[Any, str]:
        schema, where = self.deref(schema, where)
        if isinstance(schema, dict) and "items" in schema:
            return schema["items"], where + "/items"
        return None, where

    def rejected_sample(self, schema: Schema) -> Any:
        """A simple value the canonical `schema` rejects (for a fix's reason)."""
        validator = jsonschema_rs.validator_for({"$defs": self._defs, **_rebased(schema)})
        for sample in _SAMPLES:
            if not validator.is_valid(sample):
                return sample
        raise FixError(f"canonical schema {schema!r} rejects none of {_SAMPLES!r}")


def _rebased(value: Any) -> Any:
    if isinstance(value, dict):
        out = {key: _rebased(child) for key, child in value.items()}
        target = out.get("$ref")
        if isinstance(target, str) and target.startswith("#" + _SCHEMAS):
            out["$ref"] = "#/$defs/" + target.removeprefix("#" + _SCHEMAS)
        return out
    if isinstance(value, list):
        return [_rebased(child) for child in value]
    return value


def _vendor_node(work: Schema, schema: Any, where: str) -> tuple[Any, str] | None:
    """Follow the vendor's own `$ref`s and `anyOf: [X, null]`. None: the schema is a reference to a
    canonical component the document does not define yet (it is copied in verbatim later)."""
    for _ in range(16):
        if not isinstance(schema, dict):
            return schema, where
        target = schema.get("$ref")
        if isinstance(target, str) and target.startswith("#" + _SCHEMAS):
            found = resolve(work, target.removeprefix("#"))
            if found is ABSENT:
                return None
            schema, where = found, target.removeprefix("#")
            continue
        branches = schema.get("anyOf")
        if isinstance(branches, list) and len(branches) == 2 and _NULL in branches:
            index = next(i for i, item in enumerate(branches) if item != _NULL)
            schema, where = branches[index], f"{where}/anyOf/{index}"
            continue
        return schema, where
    raise FixError(f"{where}: $ref chain too long")


def _is_object(schema: Schema) -> bool:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "properties" in schema or "object" in kinds


def _declares(schema: Schema, name: str) -> bool:
    if name in (schema.get("properties") or {}):
        return True
    return any(re.search(pattern, name) for pattern in schema.get("patternProperties") or {})


def _undeclared_value(canonical: Schema) -> Schema:
    value = {key: copy.deepcopy(child) for key, child in canonical.items() if key not in ANNOTATIONS}
    return {**value, "$comment": UNDECLARED_COMMENT}


class _Walk:
    def __init__(self, work: Schema) -> None:
        self.work = work
        self.canonical = _Canonical()
        self.fixes: list[Fix] = []

    def node(self, canonical: Any, canonical_where: str, vendor: Any, where: str, label: str) -> None:
        """Compare the vendor schema at `where` with its canonical counterpart; `label` names the field."""
        resolved = _vendor_node(self.work, vendor, where)
        if resolved is None:
            return  # a canonical component, copied in verbatim: as strict as canonical by construction
        vendor, where = resolved
        if not isinstance(vendor, dict):
            return
        wanted = self.canonical.object_properties(canonical, canonical_where)
        if wanted and _is_object(vendor):
            self.object(wanted, vendor, where, label)
        items, items_where = self.canonical.items(canonical, canonical_where)
        if items is not None and "items" in vendor:
            self.node(items, items_where, vendor["items"], where + "/items", label + "[]")

    def object(self, wanted: dict[str, list[tuple[Schema, str]]], vendor: Schema, where: str, label: str) -> None:
        closed = vendor.get("additionalProperties") is False
        if not closed and isinstance(vendor.get("additionalProperties"), dict):
            raise FixError(f"{where}: additionalProperties is a schema; a pattern would exempt fields from it")
        declared = vendor.get("properties") or {}
        for name, candidates in wanted.items():
            field = f"{label}.{name}" if label else name
            if name in declared:
                for schema, source in candidates:
                    self.node(schema, source, declared[name], where + pointer("properties", name), field)
            elif not closed and not _declares(vendor, name):
                schemas = [schema for schema, _ in candidates]
                if any(schema != schemas[0] for schema in schemas):
                    raise FixError(f"{where}: {field} is undeclared and the canonical variants type it differently")
                sources = ", ".join("canonical.yaml#" + source for _, source in candidates)
                self.fixes.append(self.undeclared(schemas[0], sources, where, field))

    def undeclared(self, schema: Schema, sources: str, where: str, field: str) -> Fix:
        sample = self.canonical.rejected_sample(schema)
        leaf = field.rsplit(".", 1)[-1]
        dropped = [key for key in ANNOTATIONS if key in schema]
        without = f" (without its {' and '.join(dropped)})" if dropped else ""
        return Fix(
            where + pointer("patternProperties", exact_pattern(leaf)),
            _undeclared_value(schema),
            "canonical-undeclared",
            f"{field} is not declared here, and the object is open (no additionalProperties: false), so any value "
            f"validated, e.g. {leaf}: {json.dumps(sample)}, which the canonical contract rejects; schemathesis "
            f"could generate it in a positive case. When sent, it is now held to canonical's schema{without}. "
            "Under patternProperties, not properties, so the field still reads as undocumented.",
            cite=sources,
            assumption=True,
        )

    def rules(self, request: Schema, where: str) -> None:
        """Canonical cross-field rules the vendor's `allOf` lacks go under `dependentSchemas`."""
        present = request.get("allOf") or []
        dependent = request.get("dependentSchemas") or {}
        for index, rule in enumerate(self.canonical.schemas[_REQUEST].get("allOf", [])):
            if rule in present:
                continue
            trigger = rule["if"]["required"]
            if len(trigger) != 1:
                raise FixError(f"canonical rule without a single trigger field: {rule!r}")
            (name,) = trigger
            if dependent.get(name) == rule:
                continue
            self.fixes.append(
                Fix(
                    where + pointer("dependentSchemas", name),
                    copy.deepcopy(rule),
                    "dependency",
                    f"The document states no such rule, yet accepts {name} (declared, or held to canonical's "
                    f"schema): without canonical's rule ('{rule['description']}') it validated bodies the "
                    f"canonical contract rejects. Under dependentSchemas ({name} triggers it), not allOf, which "
                    "holds the vendor's own rules.",
                    cite=f"canonical.yaml#{_SCHEMAS}{_REQUEST}/allOf/{index}",
                    assumption=True,
                )
            )


def canonical_strictness_fixes(work: Schema) -> list[Fix]:
    """Fixes that close every canonical field a repaired vendor document leaves open (see the module doc)."""
    where = _SCHEMAS + _REQUEST
    request = resolve(work, where)
    if not isinstance(request, dict):
        raise FixError(f"the document has no {where}")
    walk = _Walk(work)
    walk.node({"$ref": "#" + where}, "", request, where, "")
    walk.rules(request, where)
    return walk.fixes
