"""The public surface of every package is its `__all__` (httpx's test_exported_members pattern).

The order of `__all__` is enforced by ruff (RUF022); this pins that it is complete and resolvable.
"""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "conformance",
    "conformance.capture",
    "conformance.invariants",
    "conformance.providers",
    "conformance.scenarios",
    "conformance.engine",
    "conformance.report",
    "conformance.specs",
    "conformance.cases",
    "conformance.reference",
    "conformance.sdk",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_complete_and_resolvable(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), f"{name}.__all__ repeats a name"  # order: ruff RUF022
    for member in exported:
        assert hasattr(module, member), f"{name}.__all__ names {member!r}, which does not exist"
    public = {
        m
        for m in dir(module)
        if not m.startswith("_") and not isinstance(getattr(module, m), types.ModuleType) and m not in {"annotations"}
    }
    assert public <= set(exported), f"{name} exposes names missing from __all__: {sorted(public - set(exported))}"


def test_key_entry_points_are_importable() -> None:
    from conformance.capture import capture, decode_reads
    from conformance.engine import ProviderSession, run_suite
    from conformance.invariants import invariant, registry
    from conformance.reference import ReferenceServer

    assert callable(capture) and callable(decode_reads) and callable(run_suite) and callable(invariant)
    assert len(registry) >= 100 and ProviderSession and ReferenceServer
