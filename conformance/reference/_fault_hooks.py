"""The transformations faults apply: small functions over requests, generations, events, bodies
and wire replies. Each changes one thing and leaves a request without its trigger untouched."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from ._errors import VALIDATION_KINDS, ApiError
from ._fault_model import BodyHook, Context, ErrorHook, EventsHook, GenerationHook, ReplyHook
from ._generate import Generation
from ._render import (
    SSE_TYPE,
    Event,
    Part,
    Reply,
    encode,
    json_reply,
    other_reasoning_field,
    set_dotted,
    usage_object,
)
from ._requests import KNOWN_FIELDS, ChatRequest, matches_patch

__all__ = [
    "accept_invalid",
    "accept_kind",
    "bad_envelope",
    "cache_mismatch",
    "content_length",
    "cr_only",
    "created_changes",
    "created_ms_body",
    "created_ms_chunk",
    "data_after_done",
    "delta_null",
    "each_chunk",
    "each_entry",
    "each_usage",
    "empty_choices_mid",
    "empty_id",
    "error_event",
    "error_in_200_stream",
    "event_type",
    "extra_field_500",
    "finish_invalid_body",
    "finish_invalid_events",
    "finish_key_omitted",
    "finish_missing",
    "finish_twice",
    "force_sse",
    "glued",
    "huge_event",
    "id_changes",
    "ids_and_blank_comment",
    "insert_data",
    "invalid_500",
    "invalid_utf8",
    "length_as_stop",
    "logprobs_null_in_stream",
    "model_changes",
    "no_done",
    "no_fingerprint",
    "no_fingerprint_body",
    "no_role",
    "no_space",
    "positive",
    "quoted_done",
    "reasoning_after_content",
    "reasoning_elsewhere",
    "rename_reasoning",
    "rename_reasoning_body",
    "role_everywhere",
    "stall",
    "stream_header",
    "stream_parts",
    "think_in_content",
    "thinking_stays_on",
    "tool_args_invalid",
    "tool_args_object",
    "tool_args_object_body",
    "tool_choice_none_ignored",
    "tool_duplicate_ids",
    "tool_empty_array",
    "tool_finish_stop",
    "tool_markup",
    "tool_name_fragmented",
    "tool_no_index",
    "tool_result_rejected",
    "truncate",
    "unsorted",
    "usage_every_chunk",
    "usage_key_absent",
    "usage_missing",
    "usage_unrequested",
    "usage_with_choices",
    "wrap_content",
    "wrong_bytes",
    "wrong_object",
    "wrong_role",
    "wrong_total",
]

# -- helpers over events and bodies -------------------------------------------------------------


def _chunk_events(events: list[Event], *tags: str) -> list[Event]:
    return [e for e in events if e.kind == "chunk" and (not tags or e.tag in tags)]


def _choice(event: Event) -> dict[str, Any] | None:
    choices = event.data.get("choices") if isinstance(event.data, dict) else None
    return choices[0] if choices and isinstance(choices[0], dict) else None


def _delta(event: Event) -> dict[str, Any] | None:
    choice = _choice(event)
    delta = choice.get("delta") if choice else None
    return delta if isinstance(delta, dict) else None


def _tool_items(events: list[Event]) -> Iterator[tuple[Event, dict[str, Any]]]:
    for event in _chunk_events(events, "token"):
        delta = _delta(event)
        for item in (delta or {}).get("tool_calls") or []:
            yield event, item


def _insert_after_first_chunk(events: list[Event], new: Event) -> list[Event]:
    first = next((i for i, e in enumerate(events) if e.kind == "chunk"), 0)
    return [*events[:first + 1], new, *events[first + 1:]]


def _sibling(event: Event, choices: list[dict[str, Any]]) -> Event:
    """A new chunk with the same envelope (id, created, model; usage null) as `event`."""
    data = {k: copy.deepcopy(v) for k, v in event.data.items()}
    data["choices"] = choices
    if data.get("usage") is not None:
        data["usage"] = None
    return Event("chunk", data, tag="extra")


def _usages(events: list[Event]) -> Iterator[dict[str, Any]]:
    for event in _chunk_events(events):
        if isinstance(event.data.get("usage"), dict):
            yield event.data["usage"]


def _body_usage(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(body.get("usage"), dict):
        yield body["usage"]


def _body_choice(body: dict[str, Any]) -> dict[str, Any]:
    choices = body.get("choices") or [{}]
    return choices[0] if isinstance(choices[0], dict) else {}


def _stream_entries(events: list[Event]) -> Iterator[dict[str, Any]]:
    for event in _chunk_events(events):
        lp = (_choice(event) or {}).get("logprobs")
        if isinstance(lp, dict):
            yield from lp.get("content") or []


def _body_entries(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    lp = _body_choice(body).get("logprobs")
    if isinstance(lp, dict):
        yield from lp.get("content") or []


def _middle(events: list[Event]) -> int:
    """Index (in `events`) of the middle token chunk."""
    tokens = [i for i, e in enumerate(events) if e.kind == "chunk" and e.tag == "token"]
    return tokens[len(tokens) // 2] if tokens else 0


def _pop_dotted(target: dict[str, Any], dotted: str) -> Any:
    parts = dotted.split(".")
    node: Any = target
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    value = node.pop(parts[-1], None) if isinstance(node, dict) else None
    if len(parts) > 1 and isinstance(target.get(parts[0]), dict) and not target[parts[0]]:
        del target[parts[0]]
    return value


def each_chunk(fn: Callable[[int, dict[str, Any]], None]) -> EventsHook:
    """An events hook applying `fn(position, chunk)` to every chunk."""
    def hook(events: list[Event], ctx: Context) -> list[Event]:
        for i, event in enumerate(_chunk_events(events)):
            fn(i, event.data)
        return events
    return hook


def each_usage(fn: Callable[[dict[str, Any], Context], None]) -> tuple[EventsHook, BodyHook]:
    """Events and body hooks applying `fn` to every usage object."""
    def on_events(events: list[Event], ctx: Context) -> list[Event]:
        for usage in _usages(events):
            fn(usage, ctx)
        return events

    def on_body(body: dict[str, Any], ctx: Context) -> dict[str, Any]:
        for usage in _body_usage(body):
            fn(usage, ctx)
        return body
    return on_events, on_body


def each_entry(fn: Callable[[dict[str, Any]], None], *, stream: bool = True,
                body: bool = True) -> dict[str, Any]:
    """on_events / on_body hooks applying `fn` to every logprob entry."""
    hooks: dict[str, Any] = {}
    if stream:
        def on_events(events: list[Event], ctx: Context) -> list[Event]:
            for entry in _stream_entries(events):
                fn(entry)
            return events
        hooks["on_events"] = on_events
    if body:
        def on_body(b: dict[str, Any], ctx: Context) -> dict[str, Any]:
            for entry in _body_entries(b):
                fn(entry)
            return b
        hooks["on_body"] = on_body
    return hooks


def stream_parts(fn: Callable[[list[Part], Reply, Context], list[Part]]) -> ReplyHook:
    """A reply hook rewriting the parts of event-stream replies only."""
    def hook(reply: Reply, ctx: Context) -> Reply:
        if reply.stream:
            reply.parts = fn(reply.parts, reply, ctx)
        return reply
    return hook


def stream_header(value: str) -> ReplyHook:
    def hook(reply: Reply, ctx: Context) -> Reply:
        if reply.stream:
            reply.set_header("Content-Type", value)
        return reply
    return hook


# -- framing and termination --------------------------------------------------------------------


def no_done(events: list[Event], ctx: Context) -> list[Event]:
    return [e for e in events if e.kind != "done"]


def data_after_done(events: list[Event], ctx: Context) -> list[Event]:
    last = _chunk_events(events, "token")[-1]
    return [*events, Event("chunk", copy.deepcopy(last.data), tag="extra")]


def quoted_done(events: list[Event], ctx: Context) -> list[Event]:
    return [Event("data", '"[DONE]"') if e.kind == "done" else e for e in events]


def insert_data(text: str) -> EventsHook:
    def hook(events: list[Event], ctx: Context) -> list[Event]:
        return _insert_after_first_chunk(events, Event("data", text))
    return hook


def glued(events: list[Event], ctx: Context) -> list[Event]:
    first = _chunk_events(events)[0]
    extra = _sibling(first, [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": None}])
    text = json.dumps(extra.data)
    return _insert_after_first_chunk(events, Event("data", text + text))


def content_length(reply: Reply, ctx: Context) -> Reply:
    if reply.stream:
        reply.framing = "length"
    return reply


def cr_only(parts: list[Part], reply: Reply, ctx: Context) -> list[Part]:
    reply.keepalive = reply.keepalive.replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    return [Part(p.data.replace(b"\r\n", b"\r").replace(b"\n", b"\r"), p.delay_s, p.keepalive) for p in parts]


_DATA_SPACE = re.compile(rb"(^|[\r\n])data: ")


def no_space(parts: list[Part], reply: Reply, ctx: Context) -> list[Part]:
    return [Part(_DATA_SPACE.sub(rb"\1data:", p.data), p.delay_s, p.keepalive) for p in parts]


def event_type(parts: list[Part], reply: Reply, ctx: Context) -> list[Part]:
    return [Part(b"event: delta" + ctx.eol + p.data if p.data.startswith(b"data:") else p.data, p.delay_s,
                 p.keepalive) for p in parts]


def ids_and_blank_comment(parts: list[Part], reply: Reply, ctx: Context) -> list[Part]:
    out: list[Part] = []
    for n, part in enumerate(parts):
        out.append(Part(b"id: %d" % n + ctx.eol + part.data, part.delay_s, part.keepalive))
        if n == 1:
            out.append(Part(b": keep-alive" + ctx.eol + ctx.eol))
    return out


def invalid_utf8(parts: list[Part], reply: Reply, ctx: Context) -> list[Part]:
    return [*parts[:1], Part(b": \xff\xfe keep-alive \xe4\xbd" + ctx.eol + ctx.eol), *parts[1:]]


def truncate(parts: list[Part], reply: Reply, ctx: Context) -> list[Part]:
    cut = len(parts) // 2
    reply.abort = True
    victim = parts[cut]
    return [*parts[:cut], Part(victim.data[: max(1, len(victim.data) // 2)], victim.delay_s, victim.keepalive)]


def stall(parts: list[Part], reply: Reply, ctx: Context) -> list[Part]:
    cut = len(parts) // 2
    victim = parts[cut]
    parts[cut] = Part(victim.data, victim.delay_s + ctx.settings.stall_s, keepalive=False)
    return parts


def huge_event(events: list[Event], ctx: Context) -> list[Event]:
    first = _chunk_events(events)[0]
    extra = _sibling(first, [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": None}])
    extra.data["x_padding"] = "PAD"
    head, tail = json.dumps(extra.data).split('"PAD"')
    size = max(ctx.settings.huge_event_bytes - len(head) - len(tail) - 10, 0)
    raw = b"data: " + head.encode() + b'"' + b"x" * size + b'"' + tail.encode() + ctx.eol + ctx.eol
    return _insert_after_first_chunk(events, Event("raw", raw))


def error_event(payload: dict[str, Any]) -> EventsHook:
    def hook(events: list[Event], ctx: Context) -> list[Event]:
        at = _middle(events)
        return [*events[:at], Event("chunk", copy.deepcopy(payload), tag="extra"), *events[at:]]
    return hook


# -- chunk shape ---------------------------------------------------------------------------------


def id_changes(i: int, chunk: dict[str, Any]) -> None:
    if i:
        chunk["id"] = f"{chunk['id']}-{i}"


def empty_id(i: int, chunk: dict[str, Any]) -> None:
    chunk["id"] = ""


def created_changes(i: int, chunk: dict[str, Any]) -> None:
    chunk["created"] += i


def created_ms_chunk(i: int, chunk: dict[str, Any]) -> None:
    chunk["created"] *= 1000


def created_ms_body(body: dict[str, Any], ctx: Context) -> dict[str, Any]:
    body["created"] *= 1000
    return body


def model_changes(i: int, chunk: dict[str, Any]) -> None:
    if i % 2:
        chunk["model"] = f"{chunk['model']}-0905"


def wrong_object(i: int, chunk: dict[str, Any]) -> None:
    chunk["object"] = "chat.completion"


def no_role(events: list[Event], ctx: Context) -> list[Event]:
    for event in _chunk_events(events):
        (_delta(event) or {}).pop("role", None)
    return events


def role_everywhere(events: list[Event], ctx: Context) -> list[Event]:
    for event in _chunk_events(events, "token", "finish"):
        delta = _delta(event)
        if delta is not None:
            delta["role"] = "assistant"
    return events


def wrong_role(events: list[Event], ctx: Context) -> list[Event]:
    delta = _delta(_chunk_events(events)[0])
    if delta is not None:
        delta["role"] = "model"
    return events


def _finish_choice(events: list[Event]) -> dict[str, Any]:
    choice = _choice(_chunk_events(events, "finish")[0])
    assert choice is not None
    return choice


def delta_null(events: list[Event], ctx: Context) -> list[Event]:
    _finish_choice(events)["delta"] = None
    return events


def finish_key_omitted(events: list[Event], ctx: Context) -> list[Event]:
    for event in _chunk_events(events, "token"):
        (_choice(event) or {}).pop("finish_reason", None)
    return events


def finish_missing(events: list[Event], ctx: Context) -> list[Event]:
    _finish_choice(events)["finish_reason"] = None
    return events


def finish_twice(events: list[Event], ctx: Context) -> list[Event]:
    last = _choice(_chunk_events(events, "token")[-1])
    if last is not None:
        last["finish_reason"] = _finish_choice(events)["finish_reason"]
    return events


def finish_invalid_events(events: list[Event], ctx: Context) -> list[Event]:
    _finish_choice(events)["finish_reason"] = "eos"
    return events


def finish_invalid_body(body: dict[str, Any], ctx: Context) -> dict[str, Any]:
    _body_choice(body)["finish_reason"] = "eos"
    return body


def empty_choices_mid(events: list[Event], ctx: Context) -> list[Event]:
    return _insert_after_first_chunk(events, _sibling(_chunk_events(events)[0], []))


def no_fingerprint(events: list[Event], ctx: Context) -> list[Event]:
    for event in _chunk_events(events):
        event.data.pop("system_fingerprint", None)
    return events


def no_fingerprint_body(body: dict[str, Any], ctx: Context) -> dict[str, Any]:
    body.pop("system_fingerprint", None)
    return body


# -- usage ---------------------------------------------------------------------------------------


def usage_with_choices(events: list[Event], ctx: Context) -> list[Event]:
    separate = [e for e in _chunk_events(events, "usage") if e.data.get("choices") == []]
    if not separate:
        return events
    finish = _chunk_events(events, "finish")[0]
    finish.data["usage"] = separate[0].data["usage"]
    return [e for e in events if e is not separate[0]]


def usage_missing(events: list[Event], ctx: Context) -> list[Event]:
    if ctx.request is None or not ctx.request.include_usage:
        return events
    out = [e for e in events if not (e.kind == "chunk" and e.tag == "usage")]
    for event in _chunk_events(out):
        if isinstance(event.data.get("usage"), dict):
            event.data["usage"] = None
    return out


def usage_every_chunk(events: list[Event], ctx: Context) -> list[Event]:
    gen = ctx.generation
    if gen is None:
        return events
    path = ctx.profile.usage.reasoning_tokens
    done_tokens = done_reasoning = 0
    for event in _chunk_events(events, "token", "finish", "extra"):
        if event.tag == "token":
            done_tokens += 1
            done_reasoning += event.channel == "reasoning"
        if isinstance(event.data.get("usage"), dict):
            continue  # the real usage stays where the profile puts it
        partial = usage_object(gen, ctx.profile)
        partial["completion_tokens"] = done_tokens
        partial["total_tokens"] = partial["prompt_tokens"] + done_tokens
        if path:
            set_dotted(partial, path, done_reasoning)
        event.data["usage"] = partial
    return events


def usage_unrequested(req: ChatRequest, ctx: Context) -> ChatRequest:
    if req.stream and not req.include_usage and ctx.profile.usage.when == "include_usage":
        return replace(req, include_usage=True)
    return req


def usage_key_absent(events: list[Event], ctx: Context) -> list[Event]:
    for event in _chunk_events(events):
        if "usage" in event.data and event.data["usage"] is None:
            del event.data["usage"]
    return events


def wrong_total(usage: dict[str, Any], ctx: Context) -> None:
    usage["total_tokens"] += 1


def cache_mismatch(usage: dict[str, Any], ctx: Context) -> None:
    if "prompt_cache_hit_tokens" in usage:
        usage["prompt_cache_hit_tokens"] += 1


def reasoning_elsewhere(usage: dict[str, Any], ctx: Context) -> None:
    path = ctx.profile.usage.reasoning_tokens
    if not path:
        return
    other = "reasoning_tokens" if path != "reasoning_tokens" else "completion_tokens_details.reasoning_tokens"
    set_dotted(usage, other, _pop_dotted(usage, path))


# -- reasoning -----------------------------------------------------------------------------------


def think_in_content(gen: Generation, ctx: Context) -> Generation:
    if not gen.reasoning:
        return gen
    thought = list(gen.reasoning)
    thought[0] = "<think>" + thought[0]
    thought[-1] = thought[-1] + "</think>"
    return replace(gen, reasoning=(), content=tuple(thought) + (gen.content or ()))


def thinking_stays_on(req: ChatRequest, ctx: Context) -> ChatRequest:
    off = ctx.profile.thinking.off
    return replace(req, thinking=True) if off and matches_patch(req.body, off) else req


def reasoning_after_content(events: list[Event], ctx: Context) -> list[Event]:
    tokens = [i for i, e in enumerate(events) if e.kind == "chunk" and e.tag == "token"]
    ordered = [events[i] for i in tokens]
    reasoning = [e for e in ordered if e.channel == "reasoning"]
    content = [e for e in ordered if e.channel == "content"]
    if not reasoning or not content:
        return events
    rest = [e for e in ordered if e.channel not in ("reasoning", "content")]
    moved = content + reasoning + rest
    first_old, first_new = _delta(ordered[0]), _delta(moved[0])
    if first_old is not None and first_new is not None and not ctx.profile.role_on_every_delta:
        role = first_old.pop("role", None)
        if role is not None:
            moved[0].data["choices"][0]["delta"] = {"role": role, **first_new}
    out = list(events)
    for slot, event in zip(tokens, moved, strict=True):
        out[slot] = event
    return out


def rename_reasoning(events: list[Event], ctx: Context) -> list[Event]:
    name = ctx.profile.reasoning_field
    for event in _chunk_events(events):
        delta = _delta(event)
        if delta is not None and name in delta:
            delta[other_reasoning_field(name)] = delta.pop(name)
    return events


def rename_reasoning_body(body: dict[str, Any], ctx: Context) -> dict[str, Any]:
    name = ctx.profile.reasoning_field
    message = _body_choice(body).get("message") or {}
    if name in message:
        message[other_reasoning_field(name)] = message.pop(name)
    return body


# -- tools ---------------------------------------------------------------------------------------


def tool_no_index(events: list[Event], ctx: Context) -> list[Event]:
    for _, item in _tool_items(events):
        item.pop("index", None)
    return events


def tool_args_invalid(gen: Generation, ctx: Context) -> Generation:
    calls = tuple(replace(c, fragments=c.fragments[:-1]) if len(c.fragments) > 1 else c for c in gen.tool_calls)
    return replace(gen, tool_calls=calls)


def tool_args_object(events: list[Event], ctx: Context) -> list[Event]:
    gen = ctx.generation
    if gen is None or not gen.tool_calls:
        return events
    args = {c.index: c.arguments for c in gen.tool_calls}
    drop: list[Event] = []
    for event, item in _tool_items(events):
        if "id" in item:
            item["function"]["arguments"] = json.loads(args[item["index"]])
        else:
            drop.append(event)
    return [e for e in events if not any(e is d for d in drop)]


def tool_args_object_body(body: dict[str, Any], ctx: Context) -> dict[str, Any]:
    for call in (_body_choice(body).get("message") or {}).get("tool_calls") or []:
        call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    return body


def tool_finish_stop(gen: Generation, ctx: Context) -> Generation:
    return replace(gen, finish_reason="stop") if gen.finish_reason == "tool_calls" else gen


def tool_name_fragmented(events: list[Event], ctx: Context) -> list[Event]:
    out: list[Event] = []
    for event in events:
        out.append(event)
        if event.kind != "chunk" or event.tag != "token":
            continue
        for item in (_delta(event) or {}).get("tool_calls") or []:
            if "id" not in item:
                continue
            name = item["function"]["name"]
            half = max(1, len(name) // 2)
            item["function"]["name"] = name[:half]
            delta: dict[str, Any] = {"tool_calls": [{"index": item["index"], "function": {"name": name[half:]}}]}
            if ctx.profile.role_on_every_delta:
                delta = {"role": "assistant", **delta}
            out.append(_sibling(event, [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]))
    return out


def tool_empty_array(events: list[Event], ctx: Context) -> list[Event]:
    if ctx.request is None or not ctx.request.tools:
        return events
    for event in _chunk_events(events, "token", "finish"):
        delta = _delta(event)
        if delta is not None and "tool_calls" not in delta:
            delta["tool_calls"] = []
    return events


def tool_markup(gen: Generation, ctx: Context) -> Generation:
    if not gen.tool_calls:
        return gen
    tokens = ["<｜tool▁calls▁begin｜>"]
    for call in gen.tool_calls:
        tokens += ["<｜tool▁call▁begin｜>", call.name, "<｜tool▁sep｜>", *call.fragments, "<｜tool▁call▁end｜>"]
    tokens.append("<｜tool▁calls▁end｜>")
    return replace(gen, tool_calls=(), content=tuple(tokens), finish_reason="stop")


def tool_duplicate_ids(gen: Generation, ctx: Context) -> Generation:
    if len(gen.tool_calls) < 2:
        return gen
    first = gen.tool_calls[0].id
    return replace(gen, tool_calls=tuple(replace(c, id=first) for c in gen.tool_calls))


def tool_choice_none_ignored(req: ChatRequest, ctx: Context) -> ChatRequest:
    return replace(req, tool_choice="auto") if req.tools and req.tool_choice == "none" else req


def tool_result_rejected(req: ChatRequest, ctx: Context) -> ChatRequest:
    if req.last_role == "tool":
        raise ApiError("invalid_param", "messages with role tool are not supported", param="messages")
    return req


# -- JSON mode, limits, logprobs -----------------------------------------------------------------


def wrap_content(before: str, after: str) -> GenerationHook:
    def hook(gen: Generation, ctx: Context) -> Generation:
        if ctx.request is None or not ctx.request.json_mode or not gen.content:
            return gen
        tokens = list(gen.content)
        tokens[0] = before + tokens[0]
        tokens[-1] = tokens[-1] + after
        return replace(gen, content=tuple(tokens))
    return hook


def length_as_stop(gen: Generation, ctx: Context) -> Generation:
    return replace(gen, finish_reason="stop") if gen.finish_reason == "length" else gen


def logprobs_null_in_stream(events: list[Event], ctx: Context) -> list[Event]:
    for event in _chunk_events(events):
        choice = _choice(event)
        if choice is not None and choice.get("logprobs") is not None:
            choice["logprobs"] = None
    return events


def positive(entry: dict[str, Any]) -> None:
    entry["logprob"] = round(abs(entry["logprob"]) + 0.5, 6)


def unsorted(entry: dict[str, Any]) -> None:
    if len(entry.get("top_logprobs") or []) > 1:
        entry["top_logprobs"].reverse()


def wrong_bytes(entry: dict[str, Any]) -> None:
    entry["bytes"] = list(entry["token"].encode("utf-16-le"))


# -- errors and auth ------------------------------------------------------------------------------


def accept_invalid(err: ApiError, ctx: Context) -> ApiError | Reply | None:
    return None if err.kind in VALIDATION_KINDS else err


def invalid_500(err: ApiError, ctx: Context) -> ApiError | Reply | None:
    if err.kind in VALIDATION_KINDS:
        return ApiError("server_error", "Internal Server Error", status=500)
    return err


def bad_envelope(err: ApiError, ctx: Context) -> ApiError | Reply | None:
    status = err.status_for(ctx.profile)
    return json_reply(status, {"object": "error", "message": err.message, "type": "BadRequestError",
                               "param": err.param, "code": status})


def accept_kind(kind: str) -> ErrorHook:
    def hook(err: ApiError, ctx: Context) -> ApiError | Reply | None:
        return None if err.kind == kind else err
    return hook


def error_in_200_stream(err: ApiError, ctx: Context) -> ApiError | Reply | None:
    if err.kind not in VALIDATION_KINDS or not ctx.wants_stream:
        return err
    event = Event("chunk", err.envelope())
    return Reply(200, [("Content-Type", SSE_TYPE)], [Part(encode(event, ctx.eol))], framing="chunked", stream=True)


def extra_field_500(req: ChatRequest, ctx: Context) -> ChatRequest:
    unknown = sorted(set(req.body) - KNOWN_FIELDS)
    if unknown:
        raise ApiError("server_error", f"unexpected field {unknown[0]}", status=500)
    return req


def force_sse(req: ChatRequest, ctx: Context) -> ChatRequest:
    accept = ctx.headers.get("accept", "")
    if not req.stream and "text/event-stream" in accept and req.body.get("stream") is None:
        return replace(req, stream=True)
    return req
