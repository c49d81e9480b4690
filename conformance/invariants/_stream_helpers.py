"""Small pure helpers shared by the stream-structure checks (framing, schema, ordering, usage, termination, headers).

Everything here reads the cached views of an `Observation`; nothing re-parses the body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TypeGuard

from ._model import NotApplicable
from ._observation import Observation

__all__ = [
    "DONE",
    "choice_key",
    "choices_of",
    "describe",
    "first_and_count",
    "is_int",
    "require_event_stream",
    "require_json_object_body",
    "usage_chunks",
]

DONE = "[DONE]"
_MAX_SHOWN = 120  # characters of a received value shown in a violation


def describe(value: Any, limit: int = _MAX_SHOWN) -> str:
    """A short JSON rendering of a received value for a violation message."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_int(value: Any) -> TypeGuard[int]:
    """A JSON integer (Python bools are ints, JSON booleans are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def require_event_stream(obs: Observation) -> None:
    """Stop a stream-structure check when there is no event stream to judge (HEAD-001/HEAD-006 report why)."""
    status = obs.exchange.status
    if status != 200:
        raise NotApplicable(f"HTTP {status}, not a 200 event stream (HEAD-006 reports the status)")
    if not obs.is_event_stream:
        raise NotApplicable(
            f"Content-Type {obs.exchange.header('content-type')!r} is not text/event-stream (HEAD-001 reports it)"
        )


def require_json_object_body(obs: Observation) -> dict[str, Any]:
    """The 200 body as a JSON object, or NotApplicable (HEAD-004/HEAD-006 report why not)."""
    status = obs.exchange.status
    if status != 200:
        raise NotApplicable(f"HTTP {status}, not a 200 response (HEAD-006 reports the status)")
    body = obs.body_object
    if body is None:
        raise NotApplicable("the body is not one JSON object (HEAD-004 reports it)")
    return body


def choices_of(chunk: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(position, choice) for every object choice; anything else is skipped (SCHEMA-005 reports it)."""
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        return
    for pos, choice in enumerate(choices):
        if isinstance(choice, dict):
            yield pos, choice


def choice_key(choice: dict[str, Any]) -> Any:
    """A hashable key for a choice's index, whatever type the provider sent."""
    idx = choice.get("index")
    return idx if isinstance(idx, int | str) else repr(idx)


def usage_chunks(obs: Observation) -> list[tuple[int, dict[str, Any]]]:
    """Content chunks whose `usage` is present and not null, in stream order."""
    return [(i, c) for i, c in obs.content_chunks if c.get("usage") is not None]


def first_and_count(found: list[tuple[int, str]], total: int, what: str) -> tuple[str, int]:
    """Summarise repeated findings as one message: the first one, plus how many chunks share the fault."""
    event_index, text = found[0]
    if len(found) == 1:
        return text, event_index
    return f"{text} ({len(found)} of {total} {what} affected)", event_index
