"""Seed 003: a reseller's docs-site page (prose + curl), placeholder host api.example.com; thinking budget_tokens."""

from __future__ import annotations

from ._components import canonical_schemas, ref
from ._fixes import Fix, Relocation
from ._pointer import ABSENT
from ._vendor_common import (
    REQUEST,
    RESPONSE,
    body_required_fix,
    error_fixes,
    max_tokens_bound_fixes,
    messages_min_items_fix,
    op,
    prop,
    relocations,
    streaming_fix,
    version_fix,
)

__all__ = ["reseller_fixes"]

_PATH = "/v1/chat/completions"
_SEED = "seed-003"


def _request_fixes() -> list[Fix]:
    return [
        Fix(
            prop(REQUEST, "model") + "/minLength",
            1,
            "constraint",
            "An empty model id names no model.",
            cite="canonical",
            assumption=True,
        ),
        Fix(
            prop(REQUEST, "messages") + "/items",
            ref("ChatCompletionMessage"),
            "underspecified",
            "The page says only 'A list of messages comprising the conversation so far' (L44); its request example "
            "uses {role, content}. The canonical message shapes stand in.",
            cite="seed-003 L68; canonical",
            assumption=True,
        ),
        messages_min_items_fix(),
        Fix(
            prop(REQUEST, "thinking", "type") + "/enum",
            ["enabled", "disabled"],
            "constraint",
            "The Thinking Configuration table: 'type string enabled or disabled' (no auto).",
            cite="seed-003 L106",
        ),
        Fix(
            prop(REQUEST, "thinking", "budget_tokens") + "/minimum",
            128,
            "constraint",
            "The Thinking Configuration table: 'Maximum tokens for thinking (128-8192)'.",
            cite="seed-003 L107",
        ),
        Fix(
            prop(REQUEST, "thinking", "budget_tokens") + "/maximum",
            8192,
            "constraint",
            "The Thinking Configuration table: 'Maximum tokens for thinking (128-8192)'.",
            cite="seed-003 L107",
        ),
        Fix(
            prop(REQUEST, "thinking") + "/required",
            ["type"],
            "constraint",
            "thinking without type switches nothing (the curl sample's `thinking: {}` is a placeholder).",
            cite="canonical",
            assumption=True,
        ),
        Fix(
            prop(REQUEST, "temperature") + "/minimum",
            0,
            "constraint",
            "'Sampling temperature between 0 and 2.'",
            cite="seed-003 L51",
        ),
        Fix(
            prop(REQUEST, "temperature") + "/maximum",
            2,
            "constraint",
            "'Sampling temperature between 0 and 2.'",
            cite="seed-003 L51",
        ),
        *max_tokens_bound_fixes(),
        Fix(
            op(_PATH, "requestBody", "content", "application/json", "examples", "curl_placeholder"),
            ABSENT,
            "invalid-example",
            "The generated curl sample sends placeholders: model '<string>', messages [{}], thinking {}, "
            "temperature 123 (outside 0-2). It is not a valid request.",
            cite="seed-003 L9-L23",
        ),
    ]


def _response_fixes() -> list[Fix]:
    return [
        Fix(
            RESPONSE,
            canonical_schemas()["ChatCompletion"],
            "underspecified",
            "The page gives a response example and no response schema. The canonical schema stands in; it accepts "
            "the example (message.reasoning_content, usage.reasoning_tokens at the top level).",
            cite="seed-003 L79-L101; canonical",
            assumption=True,
        ),
        Fix(
            op(_PATH, "responses", "200", "content", "application/json", "schema"),
            ref("ChatCompletion"),
            "underspecified",
            "Points the 200 JSON response at the ChatCompletion component.",
            cite="seed-003 L77",
            assumption=True,
        ),
    ]


def reseller_fixes() -> tuple[list[Relocation], list[Fix]]:
    """Relocations and fixes for seed 003 (its derived/003.yaml)."""
    fixes = [
        version_fix(),
        body_required_fix(_PATH, _SEED),
        *_request_fixes(),
        *_response_fixes(),
        streaming_fix(
            _PATH,
            "stream is documented ('Whether to stream back partial progress', default false) and the curl sample "
            "sends stream: true, but no stream format is given; the OpenAI-compatible SSE stream is assumed.",
            assumption=True,
        ),
        *error_fixes(_PATH),
    ]
    return relocations(_PATH), fixes
