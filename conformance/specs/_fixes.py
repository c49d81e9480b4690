"""Repairs as data: each fix names a pointer in the normalized document, the value it ends with, and why.

A vendor document is normalized in five steps: relocate its inline schemas into named components,
apply its fixes, hold every request field canonical defines and the document leaves open to the
canonical schema (`_strictness.py`), copy in any canonical component the repaired schemas
reference, and strip generator noise. Every fix becomes a record (document, pointer, before,
after, reason, source) in FIXES.yaml; `before` is read from the source document, `after` from
the output, so the record can be checked against both files.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ._components import canonical_schemas, ref, schema_closure
from ._pointer import ABSENT, remove_at, resolve, set_at, split
from ._sources import RawSource, source_line

__all__ = ["CATEGORIES", "NOISE", "Fix", "FixError", "Relocation", "normalize_source", "strip_noise"]

# Generator noise: apifox/apidog bookkeeping, "run in" links, and our own prose annotations in derived/*.yaml.
NOISE = re.compile(r"^x-(apifox|apidog|run-in-|prose)")
_SCHEMAS = "/components/schemas/"


class FixError(ValueError):
    """A fix list is inconsistent with its source (a normalizer bug, never a user error)."""


@dataclass(frozen=True, slots=True)
class Fix:
    """One repair. `after` is ABSENT for a removal; `source_pointer` is set only for a move."""

    pointer: str
    after: Any
    category: str
    reason: str
    cite: str = ""  # where the repaired value comes from, when not from the defect itself
    assumption: bool = False  # the vendor document does not state this; the suite assumes it
    source_pointer: str | None = None


@dataclass(frozen=True, slots=True)
class Relocation:
    """An inline schema moved to `#/components/schemas/<name>`, leaving a `$ref` behind."""

    source: str
    name: str

    @property
    def target(self) -> str:
        return _SCHEMAS + self.name


def strip_noise(value: Any, counts: Counter[str]) -> Any:
    """A copy of `value` without generator-noise keys; `counts` tallies what was removed."""
    if isinstance(value, dict):
        out = {}
        for key, child in value.items():
            if NOISE.match(key):
                counts[key] += 1
            else:
                out[key] = strip_noise(child, counts)
        return out
    if isinstance(value, list):
        return [strip_noise(child, counts) for child in value]
    return value


def _source_pointer(fix: Fix, relocations: list[Relocation]) -> str:
    if fix.source_pointer is not None:
        return fix.source_pointer
    for relocation in relocations:
        if fix.pointer == relocation.target or fix.pointer.startswith(relocation.target + "/"):
            return relocation.source + fix.pointer[len(relocation.target) :]
    return fix.pointer


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _check_disjoint(fixes: list[Fix]) -> None:
    for i, first in enumerate(fixes):
        for second in fixes[i + 1 :]:
            if _overlaps(first.pointer, second.pointer):
                raise FixError(f"fixes overlap: {first.pointer} and {second.pointer}")


def _removal_order(ptr: str) -> list[tuple[int, int | str]]:
    # list items are removed from the highest index down so earlier indices stay valid
    return [(0, int(token)) if token.isdigit() else (1, token) for token in split(ptr)]


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        target = str(value.get("$ref", ""))
        found = {target.removeprefix("#" + _SCHEMAS)} if target.startswith("#" + _SCHEMAS) else set()
        for child in value.values():
            found |= _refs(child)
        return found
    if isinstance(value, list):
        return set().union(*(_refs(child) for child in value)) if value else set()
    return set()


def _component_fixes(work: dict[str, Any]) -> list[Fix]:
    """Canonical components the repaired document references but does not define."""
    have = work.get("components", {}).get("schemas") or {}
    canonical = canonical_schemas()
    wanted = schema_closure({**canonical, **have}, sorted(_refs(work)))
    return [
        Fix(
            _SCHEMAS + name,
            canonical[name],
            "canonical-component",
            f"Referenced by a repaired schema; copied verbatim from canonical.yaml#/components/schemas/{name}.",
            cite="canonical",
        )
        for name in wanted
        if name not in have
    ]


def _record(
    raw: RawSource, document: str, index: int, fix: Fix, source_ptr: str, output: dict[str, Any]
) -> dict[str, Any]:
    before = resolve(raw.document, source_ptr)
    after = resolve(output, fix.pointer)
    if fix.source_pointer is not None:
        kind = "move"
    elif before is ABSENT:
        kind = "add"
    elif after is ABSENT:
        kind = "remove"
    else:
        kind = "replace"
    record: dict[str, Any] = {
        "id": f"{document}-{index:03d}",
        "document": f"{document}.yaml",
        "category": _checked_category(fix.category),
        "kind": kind,
        "pointer": fix.pointer,
        "source": f"specs/sources/{raw.file}:{source_line(raw, source_ptr)}",
        "source_pointer": source_ptr,
        "reason": fix.reason,
        "assumption": fix.assumption,
    }
    if fix.cite:
        record["cite"] = fix.cite
    if before is not ABSENT:
        record["before"] = before
    if after is not ABSENT:
        record["after"] = after
    return record


CATEGORIES = frozenset(
    {
        "canonical-component",  # a canonical schema copied in because a repair references it
        "canonical-undeclared",  # a request field canonical defines, left open here: held to canonical's schema
        "constraint",  # a bound/enum/minItems the vendor omits but states in prose, or the canonical contract needs
        "dependency",  # a cross-field rule (stream_options needs stream, top_logprobs needs logprobs)
        "doc-tool-leakage",  # a parameter the documentation tool added (X-Forwarded-Host)
        "empty-oneof",  # oneOf of empty/identical objects
        "error-responses",  # declared 4xx/5xx with the error envelope
        "header-parameter",  # Accept/Content-Type/Authorization declared as header parameters
        "integer-number",  # a float parameter typed integer
        "invalid-example",  # an example that its own schema rejects
        "null-type",  # type: 'null' in OpenAPI 3.0
        "nullable",  # 3.0 `nullable` turned into a 3.1 type array
        "openapi-version",  # 3.0.1 -> 3.1.0
        "pseudo-status",  # x-200:Streaming
        "required-relaxed",  # a required field the document's own examples omit, or a dialect legitimately omits
        "security",  # invalid/missing security scheme or requirement
        "streaming",  # text/event-stream response with the chunk schema
        "underspecified",  # a bare {type: object} filled with the shape the document promises
        "dialect",  # a response type that rejects a legitimate dialect (content null, ...)
    }
)


def _checked_category(category: str) -> str:
    if category not in CATEGORIES:
        raise FixError(f"unknown fix category {category!r}")
    return category


def normalize_source(
    raw: RawSource, document: str, relocations: list[Relocation], fixes: list[Fix]
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, int]]:
    """Normalize one vendor document: returns (output document, fix records, noise counts)."""
    work = copy.deepcopy(raw.document)
    for relocation in relocations:
        value = resolve(work, relocation.source)
        if value is ABSENT:
            continue  # the document has no such schema; a fix adds one
        set_at(work, relocation.target, value)
        set_at(work, relocation.source, ref(relocation.name))
    relocated = copy.deepcopy(work)
    fixes = list(fixes)
    _check_disjoint(fixes)
    for fix in fixes:
        source_ptr = _source_pointer(fix, relocations)
        if fix.source_pointer is None and resolve(relocated, fix.pointer) != resolve(raw.document, source_ptr):
            raise FixError(f"{document}: {fix.pointer} does not map to {source_ptr}")
        if resolve(raw.document, source_ptr) == fix.after:
            raise FixError(f"{document}: fix at {fix.pointer} changes nothing")
    _apply(work, fixes)
    from ._strictness import canonical_strictness_fixes  # imported here: it imports Fix from this module

    strictness_fixes = canonical_strictness_fixes(work)
    _check_disjoint(fixes + strictness_fixes)
    _apply(work, strictness_fixes)
    fixes += strictness_fixes
    component_fixes = _component_fixes(work)
    _apply(work, component_fixes)
    fixes += component_fixes
    counts: Counter[str] = Counter()
    output = strip_noise(work, counts)
    records = []
    for index, fix in enumerate(fixes, start=1):
        source_ptr = _source_pointer(fix, relocations)
        if resolve(output, fix.pointer) != fix.after:
            raise FixError(f"{document}: {fix.pointer} does not hold the fix's value after normalization")
        if fix.source_pointer is not None and resolve(output, fix.source_pointer) is not ABSENT:
            raise FixError(f"{document}: moved node {fix.source_pointer} is still present")
        records.append(_record(raw, document, index, fix, source_ptr, output))
    return output, records, dict(sorted(counts.items()))


def _apply(work: dict[str, Any], fixes: list[Fix]) -> None:
    removals = []
    for fix in fixes:
        if fix.source_pointer is not None:
            removals.append(fix.source_pointer)
        if fix.after is ABSENT:
            removals.append(fix.pointer)
        else:
            set_at(work, fix.pointer, copy.deepcopy(fix.after))
    for ptr in sorted(removals, key=_removal_order, reverse=True):
        remove_at(work, ptr)
