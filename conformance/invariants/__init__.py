"""Invariants: the rules of the contract, each a declaration plus a pure check function.

Importing this package registers every invariant (each group module registers on import).
"""

from . import catalogue  # noqa: F401 - registers every group (the names above exist first)
from ._model import SOURCE_DOCS, Expect, Invariant, Mode, NotApplicable, Severity, Source, Violation
from ._observation import AssembledChoice, Observation, Payload, ScenarioInfo, ToolCallAssembly
from ._registry import GROUPS, CatalogError, Registry, catalogue_entry, invariant, registry

__all__ = [
    "GROUPS",
    "SOURCE_DOCS",
    "AssembledChoice",
    "CatalogError",
    "Expect",
    "Invariant",
    "Mode",
    "NotApplicable",
    "Observation",
    "Payload",
    "Registry",
    "ScenarioInfo",
    "Severity",
    "Source",
    "ToolCallAssembly",
    "Violation",
    "catalogue_entry",
    "invariant",
    "registry",
]
