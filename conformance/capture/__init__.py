"""Capture: the request sent and every byte received, with per-read timestamps."""

from ._capture import capture
from ._cassette import CASSETTE_VERSION, CassetteError, load_cassette, save_cassette
from ._model import Bounds, EndReason, Exchange, Read, RecordedRequest
from ._redact import REDACTED, redact_headers, redact_text, redact_url
from ._sse import DecodedStream, FramingFacts, SSEDecoder, SSEEvent, decode_reads

__all__ = [
    "CASSETTE_VERSION",
    "REDACTED",
    "Bounds",
    "CassetteError",
    "DecodedStream",
    "EndReason",
    "Exchange",
    "FramingFacts",
    "Read",
    "RecordedRequest",
    "SSEDecoder",
    "SSEEvent",
    "capture",
    "decode_reads",
    "load_cassette",
    "redact_headers",
    "redact_text",
    "redact_url",
    "save_cassette",
]
