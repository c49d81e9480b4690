"""Stable YAML: the same data always gives the same bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["dump_yaml", "load_yaml", "sort_mappings"]

# OpenAPI readers expect these first; every other mapping is sorted, since key order carries no meaning.
_TOP_ORDER = ("openapi", "info", "servers", "security", "tags", "paths", "components")


class _Dumper(yaml.SafeDumper):
    """A SafeDumper that never emits anchors/aliases (shared sub-trees are written out in full)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def sort_mappings(value: Any) -> Any:
    """A copy of `value` with every mapping's keys sorted (list order kept)."""
    if isinstance(value, dict):
        return {key: sort_mappings(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list):
        return [sort_mappings(item) for item in value]
    return value


def dump_yaml(data: Any, *, header: str = "", sort: bool = True) -> bytes:
    """Serialize `data` deterministically: sorted keys (OpenAPI top-level keys first), no wrapping, UTF-8.

    With `sort=False` the caller's key order is kept (the caller builds it deterministically).
    """
    ordered = sort_mappings(data) if sort else data
    if sort and isinstance(ordered, dict):
        first = [key for key in _TOP_ORDER if key in ordered]
        ordered = {**{key: ordered[key] for key in first}, **{k: v for k, v in ordered.items() if k not in first}}
    text = yaml.dump(
        ordered,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
    prefix = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return (prefix + text).encode("utf-8")


def load_yaml(path: Path) -> Any:
    """Load a YAML file with the safe loader."""
    with path.open("rb") as handle:
        return yaml.safe_load(handle)
