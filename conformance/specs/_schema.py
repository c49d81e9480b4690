"""Read normalized documents and cut self-contained JSON Schemas out of them."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from ._components import schema_closure
from ._paths import document_path
from ._yamlio import load_yaml

__all__ = ["DIALECT", "component_schema", "load_document"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_COMPONENT_PREFIX = "#/components/schemas/"


@cache
def _cached_document(name: str) -> dict[str, Any]:
    document = load_yaml(document_path(name))
    if not isinstance(document, dict):
        raise ValueError(f"{name}: not a mapping")
    return document


def load_document(name: str) -> dict[str, Any]:
    """A normalized OpenAPI 3.1 document as a dict (a fresh copy; callers may mutate it)."""
    return copy.deepcopy(_cached_document(name.removesuffix(".yaml")))


def _rebase(value: Any) -> Any:
    if isinstance(value, dict):
        out = {key: _rebase(child) for key, child in value.items()}
        target = out.get("$ref")
        if isinstance(target, str) and target.startswith(_COMPONENT_PREFIX):
            out["$ref"] = "#/$defs/" + target.removeprefix(_COMPONENT_PREFIX)
        return out
    if isinstance(value, list):
        return [_rebase(child) for child in value]
    return value


def component_schema(name: str, document: str = "canonical") -> dict[str, Any]:
    """A self-contained JSON Schema 2020-12 for component `name` of a normalized document.

    The component and everything it references sit under `$defs`; the root is a `$ref` to it.
    The result compiles with `jsonschema_rs.validator_for` and `jsonschema.Draft202012Validator`.
    """
    schemas = _cached_document(document.removesuffix(".yaml")).get("components", {}).get("schemas", {})
    if name not in schemas:
        raise KeyError(f"{document}: no component schema {name!r}; known: {', '.join(sorted(schemas))}")
    defs = {item: _rebase(schemas[item]) for item in schema_closure(schemas, [name])}
    return {"$schema": DIALECT, "$ref": f"#/$defs/{name}", "$defs": defs}
