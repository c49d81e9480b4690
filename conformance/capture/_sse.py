"""An incremental, tolerant SSE decoder that records how the stream was framed.

It follows the WHATWG event-stream interpretation rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
LF, CRLF and CR line endings, an optional single space after `field:`, multi-line `data`,
comment lines, `event:`/`id:`/`retry:`, a leading UTF-8 BOM, and events split across any read
boundary. Everything legal is accepted; every framing choice the provider made is kept as a
fact in `FramingFacts`, so invariants judge it and nothing is hidden.

Lines are split on bytes (CR and LF never occur inside a UTF-8 multi-byte sequence), which keeps
exact byte offsets for evidence. No JSON parsing happens here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ._model import Read

__all__ = ["DecodedStream", "FramingFacts", "SSEDecoder", "SSEEvent", "decode_reads"]

_BOM = b"\xef\xbb\xbf"
_MAX_SAMPLES = 8  # comment texts and unknown lines kept as examples in the facts


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event."""

    index: int  # position among dispatched events, from 0
    data: str  # data lines joined with "\n", as the WHATWG algorithm builds it
    event: str | None  # the `event:` type, None when the field was absent
    id: str  # the last event id at dispatch ("" when no `id:` was ever sent)
    retry: int | None  # the `retry:` value set inside this event's block, if any
    t_ns: int  # time of the read that delivered the event's dispatching blank line
    byte_start: int  # offset of the block's first byte in the body
    byte_end: int  # offset just past the dispatching blank line
    data_lines: int  # number of `data` lines that built `data`
    no_space_lines: int  # `data:` lines without the optional single space
    coalesced: bool  # completed by the same read as the previous event


@dataclass(frozen=True, slots=True)
class FramingFacts:
    """How the provider framed the stream. Legal variants are recorded, never rejected."""

    line_endings: dict[str, int] = field(default_factory=dict)  # {"LF": n, "CRLF": n, "CR": n}
    bom: bool = False
    comment_lines: int = 0
    comment_samples: tuple[str, ...] = ()
    fields_used: frozenset[str] = frozenset()  # data, event, id, retry and any unknown names
    unknown_field_samples: tuple[str, ...] = ()
    event_types: frozenset[str] = frozenset()  # values given with `event:`
    data_lines_without_space: int = 0
    multiline_data_events: int = 0
    coalesced_events: int = 0  # events completed by the same read as the previous one
    # A blank line reached with no data buffered while an `id:` had been seen: the openai SDK
    # dispatches an empty event there and raises JSONDecodeError (openai-python #2722).
    empty_blocks_after_id: int = 0
    comment_only_blocks: int = 0
    invalid_utf8_lines: int = 0  # lines that needed U+FFFD replacement
    # The body ended inside an event (no dispatching blank line): its data is discarded, as
    # WHATWG requires, and kept here as evidence.
    unterminated_tail: str | None = None
    reads: int = 0
    bytes: int = 0
    max_read_gap_ns: int = 0


@dataclass(frozen=True, slots=True)
class DecodedStream:
    """The dispatched events plus the framing facts of one response body."""

    events: tuple[SSEEvent, ...]
    facts: FramingFacts


class SSEDecoder:
    """Feed reads in order with `feed`, then call `finish` once at end of body."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._buf_offset = 0  # body offset of self._buf[0]
        self._pending_cr = False  # last line ended in CR; a following LF belongs to it
        self._pending_cr_event: int | None = None  # event dispatched by that CR, if any
        self._scanned = 0  # leading bytes of self._buf already searched for a line end
        self._started = False
        self._events: list[SSEEvent] = []
        # Current block (event being assembled).
        self._data: list[str] = []
        self._no_space = 0
        self._event_type: str | None = None
        self._retry: int | None = None
        self._block_start: int | None = None
        self._block_comment = False
        self._last_id = ""
        self._last_dispatch_read = -1
        self._read_no = -1
        self._t_ns = 0
        # Facts.
        self._endings = {"LF": 0, "CRLF": 0, "CR": 0}
        self._bom = False
        self._comments = 0
        self._comment_samples: list[str] = []
        self._fields: set[str] = set()
        self._unknown_samples: list[str] = []
        self._event_types: set[str] = set()
        self._no_space_total = 0
        self._multiline = 0
        self._coalesced = 0
        self._empty_after_id = 0
        self._comment_only = 0
        self._invalid_utf8 = 0
        self._bytes = 0
        self._last_t: int | None = None
        self._max_gap = 0

    @property
    def events(self) -> list[SSEEvent]:
        """Events dispatched so far (the list grows as reads are fed)."""
        return self._events

    def feed(self, data: bytes, t_ns: int) -> int:
        """Consume one read; returns how many events it completed."""
        self._read_no += 1
        self._t_ns = t_ns
        if self._last_t is not None:
            self._max_gap = max(self._max_gap, t_ns - self._last_t)
        self._last_t = t_ns
        self._bytes += len(data)
        before = len(self._events)
        buf = self._buf
        buf += data
        pos = 0
        if not self._started:
            if len(buf) < len(_BOM) and _BOM.startswith(bytes(buf)):
                return 0  # could still be a BOM; wait for more bytes
            self._started = True
            if buf.startswith(_BOM):
                self._bom = True
                pos = len(_BOM)
        if self._pending_cr and pos < len(buf):
            if buf[pos] == 0x0A:  # the LF of a CRLF split across reads
                self._endings["CR"] -= 1
                self._endings["CRLF"] += 1
                pos += 1
                if self._pending_cr_event is not None:
                    # The event ended at the CR; its bytes run through the LF, as when unsplit.
                    event = self._events[self._pending_cr_event]
                    self._events[self._pending_cr_event] = replace(event, byte_end=event.byte_end + 1)
            self._pending_cr = False
            self._pending_cr_event = None
        n = len(buf)
        find_lf = buf.find
        # Bytes kept from earlier reads hold no line end: skip rescanning them (a long line
        # arriving in many small reads would otherwise cost quadratic time).
        scan = max(pos, self._scanned)
        while pos < n:
            lf = find_lf(b"\n", scan)
            cr = find_lf(b"\r", scan, lf if lf >= 0 else n)
            if cr >= 0:
                end = cr
                if cr + 1 < n:
                    if buf[cr + 1] == 0x0A:
                        self._endings["CRLF"] += 1
                        nxt = cr + 2
                    else:
                        self._endings["CR"] += 1
                        nxt = cr + 1
                else:  # CR is the last byte so far: count it as CR, fix up if LF follows
                    self._endings["CR"] += 1
                    self._pending_cr = True
                    nxt = cr + 1
            elif lf >= 0:
                end = lf
                self._endings["LF"] += 1
                nxt = lf + 1
            else:
                break
            count = len(self._events)
            self._line(bytes(buf[pos:end]), self._buf_offset + pos, self._buf_offset + nxt)
            if self._pending_cr and len(self._events) > count:
                self._pending_cr_event = count
            pos = scan = nxt
        if pos:
            del buf[:pos]
            self._buf_offset += pos
        self._scanned = len(buf)
        return len(self._events) - before

    def finish(self) -> DecodedStream:
        """End of body: discard any unterminated event (keeping it as a fact) and return the result."""
        tail_parts = ["\n".join(self._data)] if self._data else []
        if self._buf:
            tail_parts.append(self._buf.decode("utf-8", "replace"))
        tail = "\n".join(tail_parts) if tail_parts else None
        facts = FramingFacts(
            line_endings={k: v for k, v in self._endings.items() if v},
            bom=self._bom,
            comment_lines=self._comments,
            comment_samples=tuple(self._comment_samples),
            fields_used=frozenset(self._fields),
            unknown_field_samples=tuple(self._unknown_samples),
            event_types=frozenset(self._event_types),
            data_lines_without_space=self._no_space_total,
            multiline_data_events=self._multiline,
            coalesced_events=self._coalesced,
            empty_blocks_after_id=self._empty_after_id,
            comment_only_blocks=self._comment_only,
            invalid_utf8_lines=self._invalid_utf8,
            unterminated_tail=tail,
            reads=self._read_no + 1,
            bytes=self._bytes,
            max_read_gap_ns=self._max_gap,
        )
        return DecodedStream(events=tuple(self._events), facts=facts)

    def _line(self, raw: bytes, start: int, end: int) -> None:
        if not raw:
            self._dispatch(end)
            return
        if self._block_start is None:
            self._block_start = start
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            self._invalid_utf8 += 1
            line = raw.decode("utf-8", "replace")
        if line[0] == ":":
            self._comments += 1
            self._block_comment = True
            if len(self._comment_samples) < _MAX_SAMPLES:
                self._comment_samples.append(line[:200])
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
            spaced = True
        else:
            spaced = not sep  # a bare field name has no colon to judge
        self._fields.add(name)
        if name == "data":
            self._data.append(value)
            if not spaced:
                self._no_space += 1
        elif name == "event":
            self._event_type = value
            self._event_types.add(value)
        elif name == "id":
            if "\x00" not in value:
                self._last_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        elif len(self._unknown_samples) < _MAX_SAMPLES:
            self._unknown_samples.append(line[:200])

    def _dispatch(self, end: int) -> None:
        if not self._data:
            # WHATWG: an empty data buffer dispatches nothing; the openai SDK, however, does
            # dispatch when a last event id is set, which breaks it on comment keep-alives.
            if self._last_id:
                self._empty_after_id += 1
            if self._block_comment:
                self._comment_only += 1
            self._reset_block()
            return
        coalesced = self._last_dispatch_read == self._read_no
        if coalesced:
            self._coalesced += 1
        self._last_dispatch_read = self._read_no
        if len(self._data) > 1:
            self._multiline += 1
        self._no_space_total += self._no_space
        start = self._block_start if self._block_start is not None else end
        self._events.append(
            SSEEvent(
                index=len(self._events),
                data="\n".join(self._data),
                event=self._event_type,
                id=self._last_id,
                retry=self._retry,
                t_ns=self._t_ns,
                byte_start=start,
                byte_end=end,
                data_lines=len(self._data),
                no_space_lines=self._no_space,
                coalesced=coalesced,
            )
        )
        self._reset_block()

    def _reset_block(self) -> None:
        self._data = []
        self._no_space = 0
        self._event_type = None
        self._retry = None
        self._block_start = None
        self._block_comment = False


def decode_reads(reads: Iterable[Read]) -> DecodedStream:
    """Decode a whole captured body, read by read."""
    decoder = SSEDecoder()
    for read in reads:
        decoder.feed(read.data, read.t_ns)
    return decoder.finish()
