"""A generated request case: one body drawn from a provider's normalized document."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "GeneratedCase"]

KINDS = ("positive", "negative")


@dataclass(frozen=True)
class GeneratedCase:
    """One schema-generated request.

    A positive case is valid under the profile's document, the canonical request schema and the
    profile's limits, so a conforming provider accepts it. A negative case breaks at least one of
    them (`description` says how), so a conforming provider rejects it with a 4xx.
    """

    id: str  # stable within a (profile, seed, max_cases) triple: "pos-0003", "neg-0012"
    kind: str  # "positive" | "negative"
    body: Any  # the JSON value sent as the request body (a negative case may send any JSON value)
    headers: dict[str, str] = field(default_factory=dict)  # extra headers; the engine adds auth
    description: str = ""  # negative: what makes it invalid, e.g. "temperature: 5 (maximum 2)"
    stream: bool = False  # the body asks for a stream (`"stream": true`)

    def payload(self) -> bytes:
        """The exact bytes to send: compact UTF-8 JSON, the same text the curl reproducer shows."""
        return json.dumps(self.body, ensure_ascii=False, allow_nan=False).encode("utf-8")
