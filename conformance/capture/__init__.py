"""Capture: the request sent and every byte received, with per-read timestamps."""

from ._model import Bounds, EndReason, Exchange, Read, RecordedRequest
from ._sse import DecodedStream, FramingFacts, SSEDecoder, SSEEvent, decode_reads

__all__ = [
    "Bounds",
    "DecodedStream",
    "EndReason",
    "Exchange",
    "FramingFacts",
    "Read",
    "RecordedRequest",
    "SSEDecoder",
    "SSEEvent",
    "decode_reads",
]
