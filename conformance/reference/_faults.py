"""The fault catalogue: named, single deviations from the contract (research Part B).

A fault is data: hooks that transform one stage of answering (the error decision, the read
request, the generation, the stream's events, the non-stream body, the final wire reply). The
server runs the same pipeline with or without a fault, so each fault changes exactly one thing.
`catches` names the invariants that notice it (each verified to fail under the fault's scenarios on
some profile it applies to); `also` names invariants that may fail as a consequence of the same
deviation without being promised to (see `Fault`). A fault whose trigger is absent from a request
(e.g. a tool fault on a request without tools) leaves the answer untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..providers._profile import Profile
from . import _fault_hooks as hooks
from ._fault_model import Fault

__all__ = ["FAULTS"]


# -- the catalogue --------------------------------------------------------------------------------

# What a stream cut short (dropped, stalled past the idle bound, or cut by max_bytes) fails: no [DONE], no
# finish_reason, no usage chunk, and the stream no longer matches its non-stream peer.
_CUT = ("TERM-001", "TERM-003", "ORDER-006", "USAGE-001", "LIMIT-002", "LIMIT-004", "TOOL-004", "TOOL-006",
        "CONSIST-002", "CONSIST-005", "REASON-010")
# ...and what it may fail besides: the assembled message usually keeps the non-stream shape (CONSIST-001),
# the usage comparisons and the tool-argument schema are SHOULDs that follow from the missing tail.
_CUT_ALSO = ("CONSIST-001", "CONSIST-003", "CONSIST-004", "TOOL-005")


def _has(feature: str) -> Callable[[Profile], bool]:
    return lambda p: p.has(feature)


def _thinking_on(p: Profile) -> bool:
    return p.has("thinking") and p.thinking.on is not None


_usage_total_hooks = hooks.each_usage(hooks.wrong_total)
_cache_hooks = hooks.each_usage(hooks.cache_mismatch)
_elsewhere_hooks = hooks.each_usage(hooks.reasoning_elsewhere)

_CATALOGUE: tuple[Fault, ...] = (
    # framing and termination (B1-B10, B45-B48)
    Fault("no-done", "The stream ends without data: [DONE] (TGI, ik_llama.cpp; B1).",
          ("TERM-001",), "stream", on_events=hooks.no_done),
    Fault("data-after-done", "A chunk follows data: [DONE].",
          ("TERM-002",), "stream", on_events=hooks.data_after_done),
    Fault("quoted-done", 'The terminal marker is sent as the JSON string data: "[DONE]".',
          ("FRAME-003", "FRAME-001", "TERM-001", "SDK-001", "SDK-002"), "stream", on_events=hooks.quoted_done),
    Fault("keepalive-as-data", "A keep-alive is sent as a data event (data: : keep-alive) instead of a comment (B4).",
          ("FRAME-001", "SDK-001", "SDK-002"), "stream", on_events=hooks.insert_data(": keep-alive")),
    Fault("empty-data-event", "An empty data: event is sent as a keep-alive (B5).",
          ("FRAME-001", "SDK-001", "SDK-002"), "stream", on_events=hooks.insert_data("")),
    Fault("glued-events", "Two JSON chunks are glued into one event's data (llama.cpp #14268; B10).",
          ("FRAME-002", "FRAME-001", "SDK-001", "SDK-002"), "stream", on_events=hooks.glued),
    Fault("stream-content-type-plain", "A stream is served as text/plain (B47).",
          ("HEAD-001", "REASON-009"), "stream", on_reply=hooks.stream_header("text/plain; charset=utf-8")),
    Fault("stream-content-type-json", "A stream is served as application/json (B47).",
          ("HEAD-001", "REASON-009"), "stream", on_reply=hooks.stream_header("application/json")),
    Fault("content-length-stream", "A stream is buffered and sent with Content-Length instead of chunked.",
          ("HEAD-005",), "stream", on_reply=hooks.content_length),
    Fault("accept-forces-sse", "Accept: text/event-stream turns a request without stream into a stream (B48).",
          ("HEAD-003", "HEAD-002", "HEAD-004", "SDK-003"), "nonstream+accept_sse",
          also=("SCHEMA-013", "SCHEMA-014", "USAGE-009"), on_request=hooks.force_sse),
    Fault("cr-line-endings", "Stream lines end with a bare CR (valid SSE, but neither LF nor the documented style).",
          ("FRAME-006",), "stream", on_reply=hooks.stream_parts(hooks.cr_only)),
    Fault("data-without-space", "Data lines are written data:{...} with no space (B8).",
          ("FRAME-005",), "stream", on_reply=hooks.stream_parts(hooks.no_space)),
    Fault("event-type", "Every event carries event: delta (not a data-only stream).",
          ("FRAME-007",), "stream", on_reply=hooks.stream_parts(hooks.event_type)),
    Fault("id-blank-comment", "Events carry id: lines and a comment keep-alive is closed by a blank line "
          "(openai-python #2722; B6).",
          ("FRAME-004", "SDK-001", "SDK-002"), "stream", on_reply=hooks.stream_parts(hooks.ids_and_blank_comment)),
    Fault("invalid-utf8", "A comment line carries bytes that are not UTF-8.",
          ("FRAME-008", "SDK-001", "SDK-002"), "stream", on_reply=hooks.stream_parts(hooks.invalid_utf8)),
    Fault("truncate-mid-event", "The connection is dropped in the middle of an event, halfway through the "
          "stream (B3).",
          ("FRAME-009", *_CUT, "SDK-001", "SDK-002"), "stream", also=_CUT_ALSO,
          on_reply=hooks.stream_parts(hooks.truncate)),
    Fault("stall", "The stream goes silent halfway for FaultSettings.stall_s seconds (default 5, at most 30; "
          "DeepSeek-V3 #1608; B2). Detected when the capture's idle bound is shorter.",
          ("TERM-004", *_CUT, "SDK-001", "SDK-002"), "stream", also=_CUT_ALSO,
          on_reply=hooks.stream_parts(hooks.stall)),
    Fault("huge-event", "One event carries a data line of FaultSettings.huge_event_bytes (default 20 MiB). "
          "Detected when the capture's max_bytes bound is smaller (16 MiB by default).",
          ("TERM-004", "FRAME-009", *_CUT), "stream",
          also=(*_CUT_ALSO, "SDK-001", "SDK-002"),  # the SDK replay skips a capture cut by a bound
          on_events=hooks.huge_event),
    Fault("error-event-midstream", 'An in-band data: {"error": {...}} event appears mid-stream, then the stream '
          "goes on.",
          ("SCHEMA-010", "SDK-001", "SDK-002"), "stream", also=("SCHEMA-001", "ORDER-010"),
          on_events=hooks.error_event({"error": {"message": "upstream model error", "type": "server_error",
                                            "param": None, "code": "internal_error"}})),
    Fault("error-event-shapeless", 'A mid-stream error without the error key: {"object": "error", "message": ...} '
          "(older vLLM; B46).",
          ("ERROR-008", "SCHEMA-001", "SCHEMA-002", "SCHEMA-003", "SCHEMA-004", "SCHEMA-005", "SCHEMA-012",
           "USAGE-004", "SDK-002"), "stream", also=("ORDER-001", "ORDER-002", "ORDER-003", "ORDER-010"),
          on_events=hooks.error_event({"object": "error", "message": "upstream model error",
                                       "type": "InternalServerError", "code": 500})),
    # chunk shape and ordering (B11-B21)
    Fault("id-changes", "Every chunk has a different id (llama.cpp #5876; B11).",
          ("ORDER-001",), "stream", on_events=hooks.each_chunk(hooks.id_changes)),
    Fault("empty-id", "Chunks carry an empty id (TGI #1782; B12).",
          ("SCHEMA-003", "SCHEMA-001"), "stream", on_events=hooks.each_chunk(hooks.empty_id)),
    Fault("created-changes", "created differs from chunk to chunk.",
          ("ORDER-002",), "stream", on_events=hooks.each_chunk(hooks.created_changes)),
    Fault("created-milliseconds", "created is in milliseconds, not Unix seconds (stream and non-stream).",
          ("SCHEMA-004",), "any", on_events=hooks.each_chunk(hooks.created_ms_chunk), on_body=hooks.created_ms_body),
    Fault("model-changes", "Every other chunk names a different model.",
          ("ORDER-003",), "stream", on_events=hooks.each_chunk(hooks.model_changes)),
    Fault("wrong-object", 'Chunks say object "chat.completion" (TensorRT-Edge-LLM #93; B13).',
          ("SCHEMA-002", "SCHEMA-001", "SDK-002"), "stream", on_events=hooks.each_chunk(hooks.wrong_object)),
    Fault("no-role", "No delta carries role (agentgateway PR #3005; B14).",
          ("ORDER-004", "CONSIST-001", "SDK-002"), "stream", on_events=hooks.no_role),
    Fault("role-repeated", "role assistant is repeated on every delta where the profile does not document it "
          "(LiteLLM PR #9986; B15).",
          ("ORDER-005", "SDK-002"), "stream", applies=lambda p: not p.role_on_every_delta,
          on_events=hooks.role_everywhere),
    Fault("wrong-role", 'The first delta says role "model".',
          ("SCHEMA-007", "SCHEMA-001", "ORDER-004"), "stream", on_events=hooks.wrong_role),
    Fault("delta-null-on-finish", 'The finish chunk carries "delta": null (B16).',
          ("SCHEMA-005", "SCHEMA-001", "SDK-002"), "stream", on_events=hooks.delta_null),
    Fault("finish-key-omitted", "Content chunks omit the finish_reason key instead of sending null (B17).",
          ("SCHEMA-005", "SCHEMA-001"), "stream", on_events=hooks.finish_key_omitted),
    Fault("finish-missing", "No chunk carries a finish_reason.",
          ("TERM-003", "ORDER-006", "USAGE-003", "CONSIST-002", "LIMIT-002", "LIMIT-004", "TOOL-006"), "stream",
          on_events=hooks.finish_missing),
    Fault("finish-twice", "The last content chunk already carries the finish_reason, then the finish chunk "
          "repeats it (ChatMock PR #114; B20).",
          ("ORDER-006", "ORDER-007", "ORDER-008"), "stream", on_events=hooks.finish_twice),
    Fault("finish-invalid", 'finish_reason is "eos", which no profile allows (stream and non-stream).',
          ("SCHEMA-006", "LIMIT-002", "LIMIT-004", "TOOL-006"), "any", also=("SCHEMA-001", "SCHEMA-013", "SCHEMA-014"),
          on_events=hooks.finish_invalid_events, on_body=hooks.finish_invalid_body),
    Fault("empty-choices-mid-stream", "A chunk with choices: [] appears mid-stream (agent-framework #6417; B19).",
          ("ORDER-010",), "stream", on_events=hooks.empty_choices_mid),
    Fault("fingerprint-missing", "system_fingerprint is left out where the profile documents it.",
          ("SCHEMA-012",), "any", applies=lambda p: p.system_fingerprint,
          on_events=hooks.no_fingerprint, on_body=hooks.no_fingerprint_body),
    # usage (B22-B27)
    Fault("usage-with-choices", "With include_usage, usage rides on the finish chunk instead of a separate "
          "chunk with empty choices (B22, for a profile that documents the separate chunk).",
          ("USAGE-003",), "stream+include_usage", applies=lambda p: p.usage.placement == "separate_chunk",
          on_events=hooks.usage_with_choices),
    Fault("usage-missing", "include_usage is ignored: no chunk carries usage (vllm-swift #19; B24).",
          ("USAGE-001", "CONSIST-003", "CONSIST-004"), "stream+include_usage", on_events=hooks.usage_missing),
    Fault("usage-every-chunk", "Every chunk carries a running usage object (vLLM #7262; B23).",
          ("USAGE-001", "USAGE-003", "USAGE-005", "USAGE-007"), "stream", also=("USAGE-002", "USAGE-004"),
          on_events=hooks.usage_every_chunk),
    Fault("usage-unrequested", "A usage chunk is sent although include_usage was not requested (vLLM PR #36379; "
          "B25).",
          ("USAGE-005",), "stream+usage_not_requested", applies=lambda p: p.usage.when == "include_usage",
          on_request=hooks.usage_unrequested),
    Fault("usage-key-absent", 'With include_usage, the other chunks omit "usage" instead of sending null.',
          ("USAGE-004",), "stream+include_usage", applies=lambda p: p.usage.null_on_other_chunks,
          on_events=hooks.usage_key_absent),
    Fault("usage-wrong-total", "total_tokens is prompt_tokens + completion_tokens + 1 (B27).",
          ("USAGE-006",), "any", on_events=_usage_total_hooks[0], on_body=_usage_total_hooks[1]),
    Fault("cache-mismatch", "prompt_cache_hit_tokens + prompt_cache_miss_tokens exceeds prompt_tokens by one.",
          ("USAGE-008",), "any", applies=lambda p: p.usage.cache_fields,
          on_events=_cache_hooks[0], on_body=_cache_hooks[1]),
    Fault("reasoning-tokens-elsewhere", "Reasoning tokens are reported at the other usage path "
          "(top-level vs completion_tokens_details).",
          ("REASON-006",), "any+thinking_on",
          applies=lambda p: _thinking_on(p) and p.usage.reasoning_tokens is not None,
          on_events=_elsewhere_hooks[0], on_body=_elsewhere_hooks[1]),
    # thinking / reasoning (B28-B32)
    Fault("reasoning-when-disabled", "Thinking cannot be switched off: a request carrying the profile's off switch "
          "still gets reasoning "
          "(LiteLLM PR #27608; B30).",
          ("REASON-002",), "any+thinking_off", applies=lambda p: p.has("thinking") and p.thinking.off is not None,
          on_request=hooks.thinking_stays_on),
    Fault("thinking-ignored", "The thinking switch is dropped: no reasoning is ever produced (B30).",
          ("REASON-001",), "any+thinking_on", also=("REASON-006",), applies=_thinking_on,
          on_request=lambda req, ctx: replace(req, thinking=False)),
    Fault("think-in-content", "Reasoning is emitted inside content as <think>...</think> (llama.cpp #13867; B28).",
          ("REASON-003", "REASON-001", "REASON-006"), "any+thinking_on", applies=_thinking_on,
          on_generation=hooks.think_in_content),
    Fault("reasoning-after-content", "Reasoning deltas are streamed after the content deltas.",
          ("REASON-005",), "stream+thinking_on", applies=_thinking_on, on_events=hooks.reasoning_after_content),
    Fault("reasoning-wrong-field", "Reasoning arrives in the other field (reasoning vs reasoning_content; B29).",
          ("REASON-004", "REASON-001"), "any+thinking_on", applies=_thinking_on,
          on_events=hooks.rename_reasoning, on_body=hooks.rename_reasoning_body),
    # tools (B34-B40)
    Fault("tool-no-index", "Streamed tool-call deltas carry no index (openai-python #2806; B34).",
          ("TOOL-001", "TOOL-004", "TOOL-005", "TOOL-012", "SCHEMA-001", "SDK-002"), "stream+tools",
          also=("TOOL-002", "SDK-001"), applies=_has("tools"), on_events=hooks.tool_no_index),
    Fault("tool-args-invalid-json", "Tool-call arguments lose their closing brace: not valid JSON (B36).",
          ("TOOL-004", "TOOL-005"), "any+tools", applies=_has("tools"), on_generation=hooks.tool_args_invalid),
    Fault("tool-args-object", "function.arguments is a JSON object instead of a string (llama.cpp #20198; B35).",
          ("TOOL-003", "TOOL-004", "TOOL-005", "SCHEMA-001", "SCHEMA-013", "SDK-002", "SDK-003"), "any+tools",
          also=("SDK-001",), applies=_has("tools"), on_events=hooks.tool_args_object,
          on_body=hooks.tool_args_object_body),
    Fault("tool-finish-stop", 'A response with tool calls finishes with "stop" (vLLM PR #9209; B37).',
          ("TOOL-006",), "any+tools", applies=_has("tools"), on_generation=hooks.tool_finish_stop),
    Fault("tool-name-fragmented", "The tool name is split across two deltas instead of arriving whole on the "
          "first.",
          ("TOOL-002", "TOOL-005", "TOOL-010", "SDK-002"), "stream+tools", applies=_has("tools"),
          on_events=hooks.tool_name_fragmented),
    Fault("tool-empty-array", "Deltas without tool calls carry tool_calls: [] (vercel/ai #20203; B40).",
          ("TOOL-008",), "stream+tools", applies=_has("tools"), on_events=hooks.tool_empty_array),
    Fault("tool-markup-in-content", "The tool call leaks into content as raw DeepSeek markup, finishing with stop "
          "(vLLM PR #23454; B39).",
          ("TOOL-009", "TOOL-010"), "any+tools", applies=_has("tools"), on_generation=hooks.tool_markup),
    Fault("tool-duplicate-ids", "Parallel tool calls share one id.",
          ("TOOL-012",), "any+parallel_tools", applies=_has("tools"), on_generation=hooks.tool_duplicate_ids),
    Fault("tool-choice-none-ignored", 'tool_choice "none" is ignored: the tool is called anyway.',
          ("TOOL-010",), "any+tool_choice_none", applies=_has("tools"), on_request=hooks.tool_choice_none_ignored),
    Fault("tool-result-rejected", "A follow-up turn with a tool message is rejected with a 4xx.",
          ("TOOL-011", "HEAD-006"), "any+tool_result", applies=_has("tool_result"),
          on_request=hooks.tool_result_rejected),
    # JSON mode, limits, logprobs (B41-B44)
    Fault("json-fenced", "JSON mode content is wrapped in a ```json markdown fence (Venice; B41).",
          ("JSON-002", "JSON-001"), "any+json_mode", applies=_has("json_mode"),
          on_generation=hooks.wrap_content("```json\n", "\n```")),
    Fault("json-prose", "JSON mode content has prose before the object.",
          ("JSON-002", "JSON-001"), "any+json_mode", applies=_has("json_mode"),
          on_generation=hooks.wrap_content("Here is the JSON: ", "")),
    Fault("max-tokens-ignored", "max_tokens is ignored (ik_llama.cpp PR #2321; B43).",
          ("LIMIT-001", "LIMIT-002"), "any+max_tokens_cap", on_request=lambda req, ctx: replace(req, max_tokens=None)),
    Fault("length-reported-as-stop", 'Output cut by max_tokens finishes with "stop" instead of "length" (B43).',
          ("LIMIT-002",), "any+max_tokens_cap", on_generation=hooks.length_as_stop),
    Fault("stop-ignored", "Stop sequences are ignored.",
          ("LIMIT-003",), "any+stop", applies=_has("stop"), on_request=lambda req, ctx: replace(req, stop=())),
    Fault("logprobs-missing-in-stream", "Requested logprobs are null in streamed chunks (Modular MAX #5085; B44).",
          ("LOGPROB-001",), "stream+logprobs", applies=_has("logprobs"), on_events=hooks.logprobs_null_in_stream),
    Fault("logprob-positive", "logprob values are positive.",
          ("LOGPROB-002",), "any+logprobs", applies=_has("logprobs"), **hooks.each_entry(hooks.positive)),
    Fault("top-logprobs-unsorted", "top_logprobs are sorted ascending instead of descending.",
          ("LOGPROB-003",), "any+logprobs", applies=_has("logprobs"), **hooks.each_entry(hooks.unsorted)),
    Fault("logprob-bytes-wrong", "bytes hold the UTF-16 encoding of the token, not UTF-8.",
          ("LOGPROB-004",), "any+logprobs", applies=_has("logprobs"), **hooks.each_entry(hooks.wrong_bytes)),
    Fault("logprobs-unrequested", "logprobs are returned although not requested.",
          ("LOGPROB-005",), "any", applies=_has("logprobs"),
          on_request=lambda req, ctx: replace(req, logprobs_top=0) if req.logprobs_top is None else req),
    # errors and auth (B45, B46, E-xx). CASE-003/004/005 judge only schema-generated cases (run --cases), which
    # no catalogue scenario is, so they stay in `also` though they fire on generated negative cases.
    Fault("invalid-accepted", "Invalid requests are accepted and answered with 200.",
          ("ERROR-003", "ERROR-004", "ERROR-005", "ERROR-006", "ERROR-007", "REASON-007", "LOGPROB-006",
           "LOGPROB-007"), "error", also=("CASE-003",), on_error=hooks.accept_invalid),
    Fault("invalid-500", "Invalid requests are answered with 500.",
          ("ERROR-003", "ERROR-006", "ERROR-007", "REASON-007", "LOGPROB-006", "LOGPROB-007"), "error",
          also=("CASE-004",), on_error=hooks.invalid_500),
    Fault("error-envelope-wrong", 'Errors use {"object": "error", "message": ...} without the error key.',
          ("ERROR-004",), "error", also=("CASE-005",), on_error=hooks.bad_envelope),
    Fault("wrong-key-accepted", "A wrong API key is accepted.",
          ("ERROR-002", "ERROR-003", "ERROR-004", "ERROR-005"), "error+wrong_key", applies=lambda p: p.auth_required,
          on_error=hooks.accept_kind("wrong_key")),
    Fault("missing-key-accepted", "A request without an API key is accepted.",
          ("ERROR-001", "ERROR-003", "ERROR-004"), "error+missing_key",
          also=("ERROR-005",),  # only on a stream request; the missing-key scenario is non-stream
          applies=lambda p: p.auth_required, on_error=hooks.accept_kind("missing_key")),
    Fault("validation-error-200-stream", "An invalid stream request gets HTTP 200 and an in-band error event, "
          "no [DONE] (TGI #1896; B45).",
          ("ERROR-005", "ERROR-003", "ERROR-004", "ERROR-006"), "error+stream", also=("CASE-003",),
          on_error=hooks.error_in_200_stream),
    Fault("extra-field-500", "An unknown extra request field causes a 500.",
          ("ERROR-009", "HEAD-006"), "any+extra_field", on_request=hooks.extra_field_500),
)

FAULTS: dict[str, Fault] = {f.name: f for f in _CATALOGUE}
assert len(FAULTS) == len(_CATALOGUE), "fault names must be unique"
