"""specs/sources: verbatim vendor documents, their provenance, and the derived prose captures."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import yaml

from conformance.specs._sources import SEEDS, load_raw

from .conftest import REPO

SOURCES = REPO / "specs" / "sources"


def _provenance() -> list[dict[str, Any]]:
    data = yaml.safe_load((SOURCES / "PROVENANCE.yaml").read_text("utf-8"))
    return list(data["documents"])


def test_provenance_lists_every_source_file_once() -> None:
    listed = [entry["file"] for entry in _provenance()]
    on_disk = sorted(path.name for path in SOURCES.glob("*.txt"))
    assert sorted(listed) == on_disk == sorted(seed.file for seed in SEEDS)


@pytest.mark.parametrize("entry", _provenance(), ids=lambda entry: entry["file"])
def test_provenance_sha256_matches_the_file(entry: dict[str, Any]) -> None:
    assert hashlib.sha256((SOURCES / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]


@pytest.mark.parametrize("entry", _provenance(), ids=lambda entry: entry["file"])
def test_provenance_records_vendor_tool_name_and_embedding(entry: dict[str, Any]) -> None:
    for key in ("vendor", "server", "path", "generator", "original_file_name", "embeds", "normalized"):
        assert isinstance(entry.get(key), str) and entry[key], key
    assert (REPO / entry["normalized"]).is_file()
    if entry.get("derived"):
        assert (SOURCES / entry["derived"]).is_file()


def test_provenance_names_004s_original_file() -> None:
    entry = next(e for e in _provenance() if e["file"].startswith("004_"))
    assert entry["original_file_name"] == "deepseek-chat-completion-api-openapi.yml"
    assert entry["original_file_name"] in (SOURCES / entry["file"]).read_text("utf-8")


def _schema_properties(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        for name, child in (node.get("properties") or {}).items():
            found.append((f"{path}.{name}", child))
        for key, child in node.items():
            found += _schema_properties(child, f"{path}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _schema_properties(child, f"{path}/{index}")
    return found


@pytest.mark.parametrize("seed", [s for s in SEEDS if s.derived], ids=lambda s: s.code)
def test_derived_fields_cite_existing_prose_lines(seed: Any) -> None:
    raw = load_raw(SOURCES, seed)
    prose = (SOURCES / seed.file).read_text("utf-8").splitlines()
    properties = _schema_properties(raw.document)
    assert len(properties) >= 6
    for where, schema in properties:
        annotation = schema.get("x-prose")
        assert isinstance(annotation, str) and annotation.startswith("L"), f"{where} has no x-prose line"
        first = int(annotation[1:].split(":")[0].split("-")[0])
        assert 1 <= first <= len(prose), where
        # the cited line names the field (prose tables glue name and type together, e.g. "temperatureinteger")
        field = where.rsplit(".", 1)[1]
        assert field in prose[first - 1], f"{where}: line {first} does not mention {field!r}"


@pytest.mark.parametrize("seed", [s for s in SEEDS if not s.derived], ids=lambda s: s.code)
def test_embedded_openapi_is_extracted_from_the_verbatim_file(seed: Any) -> None:
    raw = load_raw(SOURCES, seed)
    text = (SOURCES / seed.file).read_text("utf-8")
    assert raw.text in text
    assert text.splitlines()[raw.first_line - 1].startswith("openapi:")
    assert str(raw.document["openapi"]).startswith("3.")
