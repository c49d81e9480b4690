"""Every invariant's fixtures prove it can pass and can fail, offline and over real loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conformance.capture import Bounds, EndReason, capture, decode_reads
from tests.invariants.fixture_runner import (
    EXTRA_FIELD,
    VARIANTS,
    FixtureCase,
    apply_variant,
    assert_case,
    case_params,
    discover_cases,
    ensure_registered,
    reads_from,
    scenario_for,
)
from tests.support.scripted_server import Script, ScriptedServer

ensure_registered()
CASES = discover_cases()
PARAMS = case_params(CASES)


def _param_id(param: tuple[FixtureCase, str | None]) -> str:
    case, variant = param
    return case.test_id + (f"~{variant}" if variant else "")


@pytest.mark.parametrize("param", PARAMS, ids=[_param_id(p) for p in PARAMS])
def test_fixture_case(param: tuple[FixtureCase, str | None]) -> None:
    case, variant = param
    assert_case(case, variant)


# -- the variants themselves are legal re-framings -----------------------------------------------------

SAMPLE = (
    b'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant",'
    b'"content":""},"finish_reason":null}]}\n\n'
    b'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},'
    b'"finish_reason":null}]}\n\n'
    b"data: [DONE]\n\n"
)


def _payloads(body: bytes, reads: Any = None) -> list[Any]:
    stream = decode_reads(reads if reads is not None else reads_from([body], (0.0,)))
    out = []
    for ev in stream.events:
        if ev.data == "[DONE]":
            out.append("[DONE]")
            continue
        value = json.loads(ev.data)
        value.pop(EXTRA_FIELD, None)
        out.append(value)
    return out


def _sample_case(tmp_path: Any) -> FixtureCase:
    (tmp_path / "x.sse").write_bytes(SAMPLE)
    return FixtureCase(invariant_id="FRAME-001", folder=tmp_path, file="x.sse", expect="pass")


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variant_keeps_the_events(variant: str, tmp_path: Any) -> None:
    """Each variant decodes to the same payloads (the extra field aside) and really changes the framing."""
    case = _sample_case(tmp_path)
    body, reads = apply_variant(case, variant)
    assert _payloads(body, reads) == _payloads(SAMPLE)
    facts = decode_reads(reads if reads is not None else reads_from([body], (0.0,))).facts
    changed = {
        "crlf": facts.line_endings.get("CRLF", 0) > 0 and "LF" not in facts.line_endings,
        "no_space": facts.data_lines_without_space == 3,
        "keepalive": facts.comment_lines == 3,
        "extra_field": body.count(EXTRA_FIELD.encode()) == 2,
        "one_byte_reads": reads is not None and len(reads) == len(SAMPLE),
        "event_message": facts.event_types == frozenset({"message"}),
    }
    assert changed[variant], f"variant {variant} did not change the framing: {facts}"


def test_every_discovered_case_has_a_test() -> None:
    assert CASES, "no fixture cases discovered under tests/fixtures/streams"
    assert sum(1 for _, v in PARAMS if v is None) == len(CASES)


# -- real loopback HTTP ---------------------------------------------------------------------------------


def _loopback_cases() -> list[FixtureCase]:
    # Timing-, bound- and cut-dependent cases are synthetic: the server cannot reproduce them faithfully.
    return [
        c for c in CASES
        if c.loopback and c.end is EndReason.EOF and not c.bounds and c.expect != "skip" and c.peer is None
    ]


LOOPBACK = _loopback_cases()


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    # One client (building one costs tens of ms), a fresh connection per request: a reused loopback
    # connection stalls on delayed ACKs.
    with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0)) as c:
        yield c


@pytest.mark.parametrize("case", LOOPBACK, ids=[c.test_id for c in LOOPBACK])
def test_fixture_over_loopback(case: FixtureCase, scripted: ScriptedServer, client: httpx.Client) -> None:
    """Serve the case's bytes over 127.0.0.1, capture them with the real capture function, judge the capture."""
    body = case.body
    headers = [(k, v) for k, v in case.effective_headers if k.lower() != "content-length"]
    length_delimited = any(k.lower() == "content-length" for k, _ in case.effective_headers)
    parts = body.split(b"\n\n")
    writes = [(0.0, p + (b"\n\n" if i < len(parts) - 1 else b"")) for i, p in enumerate(parts)]
    url = scripted.add(Script(case.status, headers, writes=writes, framing="length" if length_delimited else "chunked"))
    request = scenario_for(case).request
    exchange = capture(
        client,
        method="POST",
        url=url + "/v1/chat/completions",
        headers={"Content-Type": "application/json",
                 "Accept": "text/event-stream" if "accept_sse" in case.features else "application/json"},
        body=json.dumps(request).encode(),
        bounds=Bounds(connect_s=5, ttfb_s=5, idle_s=5, total_s=10),
    )
    assert exchange.end is EndReason.EOF, f"capture ended with {exchange.end}: {exchange.end_detail}"
    assert exchange.body == body and exchange.status == case.status
    assert_case(case, None, exchange)
