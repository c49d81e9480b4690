"""Seeds 000 (apifox export, chainhub) and 001 (rendered page, kkiai): the same Ark-style reseller document."""

from __future__ import annotations

from typing import Any

from ._fixes import Fix, Relocation
from ._pointer import ABSENT, resolve
from ._sources import RawSource
from ._vendor_common import (
    REQUEST,
    RESPONSE,
    body_required_fix,
    error_fixes,
    header_parameter_fixes,
    max_tokens_bound_fixes,
    messages_min_items_fix,
    op,
    prop,
    relocations,
    request_dependencies,
    streaming_fix,
    version_fix,
)

__all__ = ["ark_fixes"]

_PATH = "/v1/chat/completions"


def _request_fixes(cite: str) -> list[Fix]:
    return [
        Fix(
            prop(REQUEST, "model") + "/minLength",
            1,
            "constraint",
            "An empty model id names no model; providers reject it (schemathesis-baseline 2.2: ST202 on model '').",
            cite="canonical",
            assumption=True,
        ),
        *max_tokens_bound_fixes(),
        messages_min_items_fix(),
        Fix(
            prop(REQUEST, "messages") + "/items/properties/role/enum",
            ["system", "user", "assistant"],
            "constraint",
            "role has no enum. The document's example uses system and user; it documents no tools, so no tool "
            "role (a tool message would also need tool_call_id, which it does not list).",
            cite=cite,
            assumption=True,
        ),
        Fix(
            prop(REQUEST, "temperature") + "/type",
            "number",
            "integer-number",
            "Typed integer, yet described as 'between 0 and 2' with examples 0.8 and 0.2; seed 001's example "
            "sends 1.0. An integer type rejects 0.7.",
            cite=cite,
        ),
        Fix(
            prop(REQUEST, "temperature") + "/minimum",
            0,
            "constraint",
            "The description says 'between 0 and 2'.",
            cite=cite,
        ),
        Fix(
            prop(REQUEST, "temperature") + "/maximum",
            2,
            "constraint",
            "The description says 'between 0 and 2'.",
            cite=cite,
        ),
        Fix(
            prop(REQUEST, "thinking", "type") + "/enum",
            ["enabled", "disabled", "auto"],
            "constraint",
            "The three values are listed only in the description ('enabled: ... disabled: ... auto: ...').",
            cite=cite,
        ),
        Fix(
            prop(REQUEST, "thinking") + "/required",
            ["type"],
            "constraint",
            "thinking without type switches nothing; the canonical contract requires type.",
            cite="canonical",
            assumption=True,
        ),
        Fix(
            REQUEST + "/allOf",
            request_dependencies(top_logprobs=False),
            "dependency",
            "stream_options' description: 'This parameter can only be set when the stream parameter is true.'",
            cite=cite,
        ),
    ]


def _response_fixes(raw: RawSource) -> list[Fix]:
    message = prop(RESPONSE, "choices") + "/items/properties/message"
    if (
        resolve(
            raw.document,
            op(
                _PATH,
                "responses",
                "200",
                "content",
                "application/json",
                "schema",
                "properties",
                "choices",
                "items",
                "properties",
                "message",
                "properties",
            ),
        )
        is ABSENT
    ):
        # seed 001's table gives message no fields; its response example has role and content
        return [
            Fix(
                message + "/properties",
                {"role": {"type": "string"}, "content": {"type": ["string", "null"]}},
                "underspecified",
                "The response table lists message as an object with no fields; the response example "
                "(L115-L135) shows role and content. content may be null (tool calls, reasoning-only output).",
                cite="seed-001 L123-L126 (response example message)",
            )
        ]
    return [
        Fix(
            message + "/properties/content/type",
            ["string", "null"],
            "dialect",
            "OpenAI-compatible responses carry content: null (tool calls, output cut during reasoning); a "
            "string-only type rejects them (schemathesis-baseline 2.4).",
            cite="openai-openapi ChatCompletionResponseMessage.content (nullable)",
        )
    ]


def ark_fixes(raw: RawSource, cite: str) -> tuple[list[Relocation], list[Fix]]:
    """Relocations and fixes for seed 000 or 001; `cite` names the seed ("seed-000" / "seed-001")."""
    parameters: list[dict[str, Any]] = resolve(raw.document, op(_PATH, "parameters"))
    fixes = [
        version_fix(),
        body_required_fix(_PATH, cite),
        *header_parameter_fixes(_PATH, parameters, cite),
        *_request_fixes(cite),
        *_response_fixes(raw),
        streaming_fix(
            _PATH,
            "The operation is titled '(streaming)', its example sends stream: true with stream_options, and "
            "stream is described as SSE ending with data: [DONE]; yet only application/json is declared. The "
            "chunk schema is the canonical one (the document has none).",
            assumption=True,
        ),
        *error_fixes(_PATH),
    ]
    return relocations(_PATH), fixes
