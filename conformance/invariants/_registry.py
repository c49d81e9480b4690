"""The catalogue: invariants register themselves with `@invariant(...)` when their module is imported."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._model import SOURCE_DOCS, CheckFn, Expect, Invariant, Mode, Severity, Source

__all__ = ["GROUPS", "CatalogError", "Registry", "invariant", "registry"]

_ID = re.compile(r"^[A-Z]+-\d{3}$")
# Group name -> id prefix. One prefix per group keeps ids readable and stable.
GROUPS: dict[str, str] = {
    "framing": "FRAME",
    "schema": "SCHEMA",
    "ordering": "ORDER",
    "usage": "USAGE",
    "termination": "TERM",
    "headers": "HEAD",
    "reasoning": "REASON",
    "tools": "TOOL",
    "json": "JSON",
    "logprobs": "LOGPROB",
    "limits": "LIMIT",
    "errors": "ERROR",
    "consistency": "CONSIST",
    "sdk": "SDK",
    "cases": "CASE",
}
_MAX_RULE = 160


class CatalogError(ValueError):
    """A malformed or duplicate invariant declaration."""


class Registry:
    """Invariants by id, in registration order."""

    def __init__(self) -> None:
        self._items: dict[str, Invariant] = {}

    def add(self, inv: Invariant) -> Invariant:
        where = f"{inv.check.__module__}.{inv.check.__qualname__}"
        if not _ID.match(inv.id):
            raise CatalogError(f"{where}: id {inv.id!r} does not match PREFIX-NNN (e.g. USAGE-003)")
        if inv.id in self._items:
            other = self._items[inv.id].check
            raise CatalogError(f"{where}: id {inv.id!r} is already declared by {other.__module__}.{other.__qualname__}")
        prefix = GROUPS.get(inv.group)
        if prefix is None:
            raise CatalogError(f"{where}: unknown group {inv.group!r}; known: {', '.join(sorted(GROUPS))}")
        if not inv.id.startswith(prefix + "-"):
            raise CatalogError(f"{where}: id {inv.id!r} does not use its group's prefix {prefix!r}")
        rule = inv.rule.strip()
        if not rule or not rule.endswith(".") or len(rule) > _MAX_RULE:
            raise CatalogError(f"{where}: rule must be one sentence ending in '.', at most {_MAX_RULE} chars: {rule!r}")
        if not inv.sources:
            raise CatalogError(f"{where}: {inv.id} declares no source")
        for src in inv.sources:
            if src.doc not in SOURCE_DOCS:
                known = ", ".join(sorted(SOURCE_DOCS))
                raise CatalogError(f"{where}: {inv.id} cites unknown document {src.doc!r}; known: {known}")
            if not src.locator.strip():
                raise CatalogError(f"{where}: {inv.id} cites {src.doc!r} without a locator")
        if not inv.modes:
            raise CatalogError(f"{where}: {inv.id} applies to no mode")
        self._items[inv.id] = inv
        return inv

    def remove(self, inv_id: str) -> None:
        del self._items[inv_id]

    def __getitem__(self, inv_id: str) -> Invariant:
        return self._items[inv_id]

    def __contains__(self, inv_id: object) -> bool:
        return inv_id in self._items

    def __iter__(self) -> Iterator[Invariant]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def ids(self) -> list[str]:
        return list(self._items)

    def select(self, only: Iterable[str] = (), skip: Iterable[str] = ()) -> list[Invariant]:
        """Invariants matching any `only` selector (id or group; all when empty) and no `skip` selector."""
        only_set = {s for s in only}
        skip_set = {s for s in skip}
        unknown = (only_set | skip_set) - set(self._items) - set(GROUPS)
        if unknown:
            raise KeyError(f"unknown invariant id or group: {', '.join(sorted(unknown))}")

        def hit(inv: Invariant, sel: set[str]) -> bool:
            return inv.id in sel or inv.group in sel

        return [inv for inv in self if (not only_set or hit(inv, only_set)) and not hit(inv, skip_set)]


registry = Registry()


def invariant(
    *,
    id: str,
    rule: str,
    severity: Severity,
    group: str,
    sources: Iterable[Source],
    requires: Iterable[str] = (),
    modes: Iterable[Mode] = (Mode.STREAM, Mode.NONSTREAM),
    expect: Expect = Expect.SUCCESS,
    profiles: Iterable[str] | None = None,
    stochastic: bool = False,
    target: Registry | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Declare an invariant; the decorated function is its check and is returned unchanged."""

    def decorate(fn: CheckFn) -> CheckFn:
        (target if target is not None else registry).add(
            Invariant(
                id=id,
                rule=rule,
                severity=severity,
                group=group,
                sources=tuple(sources),
                check=fn,
                requires=frozenset(requires),
                modes=frozenset(modes),
                expect=expect,
                profiles=frozenset(profiles) if profiles is not None else None,
                stochastic=stochastic,
            )
        )
        return fn

    return decorate


def catalogue_entry(inv: Invariant) -> dict[str, Any]:
    """The machine-readable description of one invariant (`conformance list --format json`)."""
    return {
        "id": inv.id,
        "rule": inv.rule,
        "severity": str(inv.severity),
        "group": inv.group,
        "sources": [
            {"doc": s.doc, "locator": s.locator, **({"quote": s.quote} if s.quote else {})} for s in inv.sources
        ],
        "requires": sorted(inv.requires),
        "modes": sorted(str(m) for m in inv.modes),
        "expect": str(inv.expect),
        "profiles": sorted(inv.profiles) if inv.profiles is not None else None,
        "stochastic": inv.stochastic,
    }
