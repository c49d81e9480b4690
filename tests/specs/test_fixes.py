"""FIXES.yaml and CHOICES.yaml: every recorded fix is applied, every citation resolves."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from conformance.specs._pointer import ABSENT, resolve
from conformance.specs._sources import SEEDS, load_raw

from .conftest import REPO, load

SOURCES = REPO / "specs" / "sources"
RAW = {seed.document: load_raw(SOURCES, seed) for seed in SEEDS}
RAW_BY_SEED = {f"seed-{seed.code}": RAW[seed.document] for seed in SEEDS}


def _records() -> list[dict[str, Any]]:
    return list(yaml.safe_load((REPO / "specs" / "normalized" / "FIXES.yaml").read_text("utf-8"))["fixes"])


@pytest.mark.parametrize("record", _records(), ids=lambda record: record["id"])
def test_fix_is_applied(record: dict[str, Any], documents: dict[str, dict[str, Any]]) -> None:
    """The output pointer holds `after` and the source pointer holds `before` (or neither, as the kind says)."""
    name = record["document"].removesuffix(".yaml")
    output = resolve(documents[name], record["pointer"])
    source = resolve(RAW[name].document, record["source_pointer"])
    kind = record["kind"]
    if kind == "remove":
        assert "after" not in record and output is ABSENT
    else:
        assert output == record["after"]
    if kind == "add":
        assert "before" not in record and source is ABSENT
    else:
        assert source == record["before"]
    if kind == "move":
        assert resolve(documents[name], record["source_pointer"]) is ABSENT
    assert record.get("before") != record.get("after")


@pytest.mark.parametrize("record", _records(), ids=lambda record: record["id"])
def test_fix_cites_a_source_line_and_explains_itself(record: dict[str, Any]) -> None:
    file, line = record["source"].rsplit(":", 1)
    path = REPO / file
    assert path.is_file()
    assert 1 <= int(line) <= len(path.read_text("utf-8").splitlines())
    assert isinstance(record["reason"], str) and len(record["reason"]) > 20
    assert isinstance(record["assumption"], bool)


def test_fix_ids_are_unique_and_counts_match_the_summary() -> None:
    data = load("FIXES.yaml")
    ids = [record["id"] for record in data["fixes"]]
    assert len(ids) == len(set(ids))
    for document, summary in data["documents"].items():
        mine = [record for record in data["fixes"] if record["document"] == document]
        assert summary["fixes"] == len(mine)
        assert summary["assumptions"] == sum(record["assumption"] for record in mine)


def _find(records: list[dict[str, Any]], document: str, pointer_end: str, category: str) -> dict[str, Any]:
    found = [
        r
        for r in records
        if r["document"] == document and r["pointer"].endswith(pointer_end) and r["category"] == category
    ]
    assert len(found) == 1, (document, pointer_end, category)
    return found[0]


def test_the_known_export_defects_are_all_recorded(fix_records: list[dict[str, Any]]) -> None:
    schema = "/components/schemas/ChatCompletionRequest/properties"
    # type 'null'
    assert _find(fix_records, "deepseek.yaml", f"{schema}/tools", "null-type")["before"] == {"type": "null"}
    # oneOf of empty objects
    assert "oneOf" in _find(fix_records, "deepseek.yaml", f"{schema}/messages/items", "empty-oneof")["before"]
    assert "oneOf" in _find(fix_records, "deepseek.yaml", f"{schema}/tool_choice", "empty-oneof")["before"]
    # integer temperature / top_p / frequency_penalty / logprob
    assert _find(fix_records, "chainhub.yaml", f"{schema}/temperature/type", "integer-number")["after"] == "number"
    assert _find(fix_records, "kkiai.yaml", f"{schema}/temperature/type", "integer-number")["before"] == "integer"
    assert _find(fix_records, "deepseek.yaml", f"{schema}/top_p/type", "integer-number")["before"] == "integer"
    assert _find(fix_records, "deepseek.yaml", f"{schema}/frequency_penalty/type", "integer-number")["after"] == [
        "number",
        "null",
    ]
    assert (
        _find(fix_records, "deepseek.yaml", "/content/items/properties/logprob/type", "integer-number")["after"]
        == "number"
    )
    # nullable in 3.1
    nullable = [r for r in fix_records if r["document"] == "api-evangelist.yaml" and r["pointer"].endswith("/nullable")]
    assert len(nullable) >= 10 and all(r["kind"] == "remove" and r["before"] is True for r in nullable)
    # x-200:Streaming
    moved = _find(fix_records, "deepseek.yaml", "/responses/200/content/text~1event-stream", "pseudo-status")
    assert moved["kind"] == "move" and moved["source_pointer"].endswith("/responses/x-200:Streaming")
    # security scheme type bearer
    assert _find(fix_records, "deepseek.yaml", "/securitySchemes/bearer/type", "security")["before"] == "bearer"
    # Accept / Content-Type / Authorization header parameters
    headers = [r for r in fix_records if r["document"] == "chainhub.yaml" and r["category"] == "header-parameter"]
    assert sorted(r["before"]["name"] for r in headers) == ["Accept", "Authorization", "Content-Type"]
    # messages without minItems
    for name in ("chainhub", "kkiai", "deepseek", "example-reseller", "api-evangelist"):
        assert _find(fix_records, f"{name}.yaml", f"{schema}/messages/minItems", "constraint")["after"] == 1
    # invalid request examples
    assert (
        _find(fix_records, "example-reseller.yaml", "/examples/curl_placeholder", "invalid-example")["kind"] == "remove"
    )


def test_every_vendor_document_got_a_stream_and_errors(fix_records: list[dict[str, Any]]) -> None:
    for name in ("chainhub", "kkiai", "deepseek", "example-reseller", "api-evangelist"):
        mine = [r for r in fix_records if r["document"] == f"{name}.yaml"]
        assert any(r["pointer"].endswith("text~1event-stream") for r in mine)
        assert len([r for r in mine if r["category"] == "error-responses"]) == 7


def _choices() -> list[dict[str, Any]]:
    return list(load("CHOICES.yaml")["choices"])


@pytest.mark.parametrize("choice", _choices(), ids=lambda choice: choice["id"])
def test_choice_points_into_canonical_and_cites_sources(choice: dict[str, Any], documents: dict[str, Any]) -> None:
    assert resolve(documents["canonical"], choice["pointer"]) is not ABSENT
    assert choice["reason"] and choice["sources"]
    for cite in choice["sources"]:
        raw = RAW_BY_SEED.get(cite["doc"])
        if raw is not None and cite["locator"].startswith("/"):
            assert resolve(raw.document, cite["locator"]) is not ABSENT, cite
        if raw is not None:
            assert cite["where"].startswith(f"specs/sources/{raw.seed.file}:") or cite["where"].startswith(
                f"specs/sources/{raw.file}:"
            )


def test_choices_cover_the_disputed_fields() -> None:
    ids = {choice["id"] for choice in _choices()}
    assert {"path", "model", "temperature", "top_p", "max_tokens", "thinking", "messages", "stop", "tools"} <= ids
    assert {"reasoning-field", "reasoning-tokens", "response-required", "errors", "auth"} <= ids


def test_fields_left_open_are_held_to_canonical(fix_records: list[dict[str, Any]]) -> None:
    """Each canonical field a vendor leaves open is one recorded, assumed addition under patternProperties."""
    held = [r for r in fix_records if r["category"] == "canonical-undeclared"]
    for record in held:
        assert record["kind"] == "add" and record["assumption"] is True
        assert "/patternProperties/^" in record["pointer"] and record["cite"].startswith("canonical.yaml#")
    by_document: dict[str, set[str]] = {}
    for record in held:
        field = record["pointer"].removeprefix("/components/schemas/ChatCompletionRequest")
        by_document.setdefault(record["document"], set()).add(field.replace("/patternProperties/", " "))
    messages = {f"/properties/messages/items ^{key}$" for key in ("name", "tool_calls", "tool_call_id")}
    assert by_document["deepseek.yaml"] == {" ^thinking$"}
    assert by_document["api-evangelist.yaml"] == {" ^thinking$", *messages}
    assert {" ^top_p$", " ^tools$", "/properties/thinking ^budget_tokens$", *messages} <= by_document["chainhub.yaml"]
    assert {" ^stream_options$", " ^top_logprobs$"} <= by_document["example-reseller.yaml"]
    rules = {
        (r["document"], r["pointer"].rsplit("/", 1)[1]) for r in fix_records if "/dependentSchemas/" in r["pointer"]
    }
    assert rules == {
        ("chainhub.yaml", "top_logprobs"),
        ("kkiai.yaml", "top_logprobs"),
        ("example-reseller.yaml", "stream_options"),
        ("example-reseller.yaml", "top_logprobs"),
    }
