"""Shared fixtures for the specs tests: the repository root and the committed normalized documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.specs import DOCUMENT_NAMES

REPO = Path(__file__).resolve().parents[2]
NORMALIZED = REPO / "specs" / "normalized"


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((NORMALIZED / name).read_text("utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def documents() -> dict[str, dict[str, Any]]:
    """Every committed normalized OpenAPI document by name."""
    return {name: load(f"{name}.yaml") for name in DOCUMENT_NAMES}


@pytest.fixture(scope="session")
def fix_records() -> list[dict[str, Any]]:
    """The records of specs/normalized/FIXES.yaml."""
    records = load("FIXES.yaml")["fixes"]
    assert isinstance(records, list)
    return records
