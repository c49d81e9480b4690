"""The SSE decoder gives the same events and framing facts however the body is split into reads."""

from __future__ import annotations

import dataclasses
import random

import pytest

from conformance.capture import FramingFacts, Read, SSEDecoder, SSEEvent, decode_reads

# Recorded-style bodies covering every legal framing variant the decoder must tolerate.
STREAMS: dict[str, bytes] = {
    "lf": b'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n',
    "crlf": b'data: {"a":1}\r\n\r\ndata: {"b":2}\r\n\r\ndata: [DONE]\r\n\r\n',
    "cr": b'data: {"a":1}\r\rdata: {"b":2}\r\rdata: [DONE]\r\r',
    "mixed-endings": b"data: one\r\n\ndata: two\r\r\ndata: three\n\r\n",
    "bom": b'\xef\xbb\xbfdata: {"a":1}\n\ndata: [DONE]\n\n',
    "multiline": b"data: line one\ndata: line two\ndata:\ndata: line four\n\ndata: [DONE]\n\n",
    "comments": b": keep-alive\n\n: hello\ndata: x\n\n:\n\ndata: [DONE]\n\n",
    "fields": (
        b"event: message\nid: 7\nretry: 1500\ndata: first\n\n"
        b"event: ping\ndata: second\n\nid: 8\nretry: soon\ndata: third\n\n"
        b"weird: field\nnocolon\ndata: [DONE]\n\n"
    ),
    "no-space": b'data:{"a":1}\n\ndata:  two spaces\n\ndata:[DONE]\n\n',
    "empty-after-id": b"id: 1\ndata: x\n\n: keep-alive\n\n\ndata: y\n\n",
    "invalid-utf8": b"data: ok \xc3\xa9\n\ndata: bad \xff\xfe\n\n: \xc3\n\ndata: [DONE]\n\n",
    "unterminated": b"data: complete\n\ndata: cut in the mid",
    "unterminated-line": b"data: complete\n\ndata: whole line\n",
    "null-id": b"id: a\x00b\ndata: x\n\n",
    "utf8-multibyte": "data: 你好，世界 🌊\n\ndata: [DONE]\n\n".encode(),
    "bom-only-prefix": b"\xef\xbbdata: not a bom\n\n",
    "double-bom": b"\xef\xbb\xbf\xef\xbb\xbfdata: second bom is a field name byte\n\n",
    "crlf-trailing-cr": b"data: a\r\n\r\ndata: b\r",
}


def _decode(chunks: list[bytes]) -> tuple[list[SSEEvent], FramingFacts]:
    """Events and facts with the fields that legitimately depend on where reads fall zeroed."""
    result = decode_reads(Read(i, c) for i, c in enumerate(chunks))
    events = [dataclasses.replace(e, t_ns=0, coalesced=False) for e in result.events]
    return events, dataclasses.replace(result.facts, coalesced_events=0, reads=0, max_read_gap_ns=0)


def _splits(body: bytes) -> list[list[bytes]]:
    out = [[body[:i], body[i:]] for i in range(len(body) + 1)]  # every single split point
    out.append([body[i : i + 1] for i in range(len(body))])  # 1-byte reads
    rng = random.Random(len(body))  # deterministic multi-split samples
    for _ in range(30):
        cuts = sorted(rng.sample(range(len(body) + 1), k=min(4, len(body) + 1)))
        out.append([body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)])
    return out


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_every_split_decodes_identically(name: str) -> None:
    body = STREAMS[name]
    expected = _decode([body])
    for chunks in _splits(body):
        assert _decode(chunks) == expected, f"{name}: differs for reads {chunks!r}"
    assert expected[1].bytes == len(body)


def test_lf_stream_events_and_facts() -> None:
    events, facts = _decode([STREAMS["lf"]])
    assert [e.data for e in events] == ['{"a":1}', '{"b":2}', "[DONE]"]
    assert [(e.byte_start, e.byte_end) for e in events] == [(0, 15), (15, 30), (30, 44)]
    assert facts.line_endings == {"LF": 6}
    assert facts.fields_used == frozenset({"data"})
    assert facts.unterminated_tail is None and not facts.bom and facts.data_lines_without_space == 0


@pytest.mark.parametrize(("name", "style"), [("crlf", "CRLF"), ("cr", "CR")])
def test_line_ending_styles_are_counted(name: str, style: str) -> None:
    events, facts = _decode([STREAMS[name]])
    assert [e.data for e in events] == ['{"a":1}', '{"b":2}', "[DONE]"]
    assert facts.line_endings == {style: 6}
    assert events[-1].byte_end == len(STREAMS[name])


def test_mixed_line_endings_are_all_counted() -> None:
    events, facts = _decode([STREAMS["mixed-endings"]])
    assert [e.data for e in events] == ["one", "two", "three"]
    # one CRLF, blank LF, two CR, blank CRLF, three LF, blank CRLF
    assert facts.line_endings == {"CRLF": 3, "LF": 2, "CR": 1}


def test_bom_is_stripped_once_and_recorded() -> None:
    events, facts = _decode([STREAMS["bom"]])
    assert facts.bom and events[0].data == '{"a":1}' and events[0].byte_start == 3
    events, facts = _decode([STREAMS["double-bom"]])
    assert facts.bom and events == []  # the second BOM makes the field name unknown
    assert "\ufeffdata" in facts.fields_used
    events, facts = _decode([STREAMS["bom-only-prefix"]])
    assert not facts.bom and events == []


def test_multiline_data_joins_with_newlines() -> None:
    events, facts = _decode([STREAMS["multiline"]])
    assert events[0].data == "line one\nline two\n\nline four"
    assert events[0].data_lines == 4
    assert facts.multiline_data_events == 1
    assert facts.data_lines_without_space == 1  # the bare `data:` line


def test_comments_are_counted_and_dispatch_nothing() -> None:
    events, facts = _decode([STREAMS["comments"]])
    assert [e.data for e in events] == ["x", "[DONE]"]
    assert facts.comment_lines == 3
    assert facts.comment_samples == (": keep-alive", ": hello", ":")
    assert facts.comment_only_blocks == 2
    assert facts.empty_blocks_after_id == 0


def test_event_id_retry_and_unknown_fields() -> None:
    events, facts = _decode([STREAMS["fields"]])
    assert [(e.data, e.event, e.id, e.retry) for e in events] == [
        ("first", "message", "7", 1500),
        ("second", "ping", "7", None),
        ("third", None, "8", None),  # `retry: soon` is not a number and is ignored
        ("[DONE]", None, "8", None),
    ]
    assert facts.event_types == frozenset({"message", "ping"})
    assert facts.fields_used == frozenset({"event", "id", "retry", "data", "weird", "nocolon"})
    assert facts.unknown_field_samples == ("weird: field", "nocolon")


def test_data_without_space_is_counted_and_only_one_space_is_stripped() -> None:
    events, facts = _decode([STREAMS["no-space"]])
    assert [e.data for e in events] == ['{"a":1}', " two spaces", "[DONE]"]
    assert [e.no_space_lines for e in events] == [1, 0, 1]
    assert facts.data_lines_without_space == 2


def test_empty_blocks_after_id_are_counted() -> None:
    events, facts = _decode([STREAMS["empty-after-id"]])
    assert [e.data for e in events] == ["x", "y"]
    assert facts.empty_blocks_after_id == 2  # the comment block and the extra blank line
    assert facts.comment_only_blocks == 1
    _, facts_without_id = _decode([b": keep-alive\n\n\ndata: y\n\n"])
    assert facts_without_id.empty_blocks_after_id == 0


def test_null_in_id_is_ignored() -> None:
    events, _ = _decode([STREAMS["null-id"]])
    assert events[0].id == ""


def test_invalid_utf8_is_replaced_and_recorded() -> None:
    events, facts = _decode([STREAMS["invalid-utf8"]])
    assert events[0].data == "ok é"
    assert events[1].data == "bad \ufffd\ufffd"
    assert facts.invalid_utf8_lines == 2


def test_multibyte_characters_survive_any_split() -> None:
    events, facts = _decode([STREAMS["utf8-multibyte"]])
    assert events[0].data == "你好，世界 🌊"
    assert facts.invalid_utf8_lines == 0


def test_unterminated_tail_is_discarded_and_recorded() -> None:
    events, facts = _decode([STREAMS["unterminated"]])
    assert [e.data for e in events] == ["complete"]
    assert facts.unterminated_tail == "data: cut in the mid"
    events, facts = _decode([STREAMS["unterminated-line"]])
    assert [e.data for e in events] == ["complete"]
    assert facts.unterminated_tail == "whole line"
    events, facts = _decode([STREAMS["crlf-trailing-cr"]])
    assert [e.data for e in events] == ["a"]
    assert facts.unterminated_tail == "b"


def test_coalesced_events_and_times_follow_the_reads() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: 1\n\ndata: 2\n\ndata: 3", 100) == 2
    assert decoder.feed(b"\n", 250) == 0
    assert decoder.feed(b"\n", 900) == 1
    result = decoder.finish()
    assert [(e.t_ns, e.coalesced) for e in result.events] == [(100, False), (100, True), (900, False)]
    assert result.facts.coalesced_events == 1
    assert result.facts.reads == 3
    assert result.facts.max_read_gap_ns == 650


def test_event_split_across_reads_gets_the_time_of_its_last_byte() -> None:
    body = b'data: {"a":1}\r\n\r\n'
    for i in range(1, len(body)):
        result = decode_reads([Read(10, body[:i]), Read(20, body[i:])])
        (event,) = result.events
        # The blank line ends at its CR, so a split between the final CR and LF dispatches at read 1.
        assert event.t_ns == (10 if i == len(body) - 1 else 20), i
        assert event.byte_end == len(body)
