"""Tool calls: streamed deltas a client can assemble, arguments that parse and validate, honest finish reasons."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema

from ._behaviour_helpers import (
    TOOL_MARKUP,
    accepted_problem,
    as_object,
    clip,
    content_text,
    is_int,
    iter_choice_deltas,
    judged_choices,
    nonstream_message,
    require_response,
)
from ._model import Mode, NotApplicable, Severity, Source, Violation
from ._observation import AssembledChoice, Observation, ToolCallAssembly
from ._registry import invariant

__all__: list[str] = []  # checks register themselves; nothing to import from here

_CHUNK_SCHEMA = Source("openai-openapi", "#/components/schemas/ChatCompletionMessageToolCallChunk (L31040)",
                       "index: required integer")
_SDK_INDEX = Source("openai-python", "src/openai/lib/streaming/_deltas.py L47 @656e3ca (accumulate_delta)",
                    "Expected list delta entry to have an `index` key")
_SDK_TYPES = Source("openai-python", "src/openai/types/chat/chat_completion_chunk.py L53 @656e3ca",
                    "ChoiceDeltaToolCall.index: int")
_ARGS_NOTE = Source("openai-openapi", "#/components/schemas/ChatCompletionMessageToolCall function.arguments",
                    "the model does not always generate valid JSON")
_SEED002_TOOLS = Source("seed-002", "responses.200 choices[].message.tool_calls[].function (name, arguments: string)")
_DS_FUNCTIONS = Source("deepseek-docs", "guides/function_calling")
_FINISH = Source("openai-openapi", "#/components/schemas/CreateChatCompletionResponse choices[].finish_reason",
                 "`tool_calls` if the model called a tool")
_TOOL_CHOICE = Source("openai-openapi", "#/components/schemas/ChatCompletionToolChoiceOption",
                      "`required` means the model must call one or more tools")


def _tool_entries(obs: Observation) -> Iterator[tuple[int, Any, Any]]:
    """(event index, choice index, entry) for every element of every `delta.tool_calls` array."""
    for event_index, index, delta in iter_choice_deltas(obs):
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            for entry in calls:
                yield event_index, index, entry


def _stream_with_tool_calls(obs: Observation) -> list[tuple[int, Any, Any]]:
    require_response(obs)
    entries = list(_tool_entries(obs))
    if not entries:
        raise NotApplicable("no tool-call delta in the stream")
    return entries


def _calls(acc: AssembledChoice) -> list[ToolCallAssembly]:
    return list(acc.tool_calls.values())


def _choices_with_calls(obs: Observation) -> dict[Any, AssembledChoice]:
    choices = {i: acc for i, acc in judged_choices(obs).items() if acc.tool_calls}
    if not choices:
        raise NotApplicable("the response carries no tool call")
    return choices


def _string_arguments(call: ToolCallAssembly) -> bool:
    """The call's arguments were strings throughout (TOOL-003 judges the others)."""
    return call.argument_types <= {"str"}


@invariant(
    id="TOOL-001",
    rule="Every streamed tool-call delta carries an integer index.",
    severity=Severity.MUST,
    group="tools",
    modes={Mode.STREAM},
    sources=[_CHUNK_SCHEMA, _SDK_INDEX, _SDK_TYPES],
)
def tool_delta_has_index(obs: Observation) -> Iterator[Violation]:
    """Clients assemble parallel calls by `index`; without it the openai SDK's `.stream()` raises and other
    clients merge two calls into one."""
    for event_index, choice, entry in _stream_with_tool_calls(obs):
        if not isinstance(entry, dict):
            yield Violation(expected=f"a tool-call object in choice {choice}", received=clip(entry),
                            event_index=event_index)
        elif "index" not in entry:
            yield Violation(expected=f"an integer `index` on the tool-call delta of choice {choice}",
                            received=f"no index key: {clip(entry)}", event_index=event_index)
        elif not is_int(entry["index"]):
            yield Violation(expected=f"an integer `index` on the tool-call delta of choice {choice}",
                            received=f"index {clip(entry['index'])}", event_index=event_index)


@invariant(
    id="TOOL-002",
    rule="The first delta of each tool call carries its id, type function and full name, and later deltas keep them.",
    severity=Severity.MUST,
    group="tools",
    modes={Mode.STREAM},
    sources=[_CHUNK_SCHEMA, Source("openai-python", "src/openai/lib/streaming/chat/_completions.py L449 @656e3ca")],
)
def tool_call_head_complete(obs: Observation) -> Iterator[Violation]:
    """The head of a call (id, type, name) arrives once, complete, in its first delta; a later delta that
    carries a different id or another name fragment changes the call under the client's feet."""
    heads: dict[tuple[Any, int], dict[str, Any]] = {}
    for event_index, choice, entry in _stream_with_tool_calls(obs):
        if not isinstance(entry, dict) or not is_int(entry.get("index")):
            continue  # TOOL-001 reports it
        fn = as_object(entry.get("function"))
        values = {"id": entry.get("id"), "type": entry.get("type"), "name": fn.get("name")}
        key = (choice, entry["index"])
        where = f"tool call {entry['index']} of choice {choice}"
        if key not in heads:
            heads[key] = values
            missing = [
                f"{name} {clip(values[name])}" for name, ok in (
                    ("id", isinstance(values["id"], str) and values["id"]),
                    ("type", values["type"] == "function"),
                    ("name", isinstance(values["name"], str) and values["name"]),
                ) if not ok
            ]
            if missing:
                yield Violation(expected=f"the first delta of {where} carries a non-empty id, type \"function\" "
                                         "and the function name", received=", ".join(missing),
                                event_index=event_index)
            continue
        first = heads[key]
        for name, value in values.items():
            if value in (None, "") or value == first[name]:
                continue
            if name == "name" and isinstance(value, str):
                received = f"a later delta sends name {value!r} after {first[name]!r} (the name was not sent whole)"
            else:
                received = f"a later delta changes {name} from {first[name]!r} to {value!r}"
            yield Violation(expected=f"{where} keeps the id, type and name of its first delta", received=received,
                            event_index=event_index)


@invariant(
    id="TOOL-003",
    rule="function.arguments is a string in every tool-call delta and every non-stream tool call.",
    severity=Severity.MUST,
    group="tools",
    sources=[_CHUNK_SCHEMA, _ARGS_NOTE, _SEED002_TOOLS],
)
def arguments_are_strings(obs: Observation) -> Iterator[Violation]:
    """`arguments` is JSON text, not a JSON object: clients concatenate fragments and call `json.loads`."""
    if obs.scenario.mode is Mode.STREAM:
        for event_index, choice, entry in _stream_with_tool_calls(obs):
            fn = entry.get("function") if isinstance(entry, dict) else None
            if isinstance(fn, dict) and "arguments" in fn and not isinstance(fn["arguments"], str):
                yield Violation(expected=f"function.arguments as a string in choice {choice}",
                                received=f"{type(fn['arguments']).__name__}: {clip(fn['arguments'])}",
                                event_index=event_index)
        return
    require_response(obs)
    found = False
    for choice in (obs.body_object or {}).get("choices") or []:
        msg = nonstream_message(choice)
        for call in (msg or {}).get("tool_calls") or []:
            found = True
            fn = call.get("function") if isinstance(call, dict) else None
            args = fn.get("arguments") if isinstance(fn, dict) else None
            if not isinstance(args, str):
                yield Violation(expected="message.tool_calls[].function.arguments as a string",
                                received=f"{type(args).__name__}: {clip(args)}")
    if not found:
        raise NotApplicable("the response carries no tool call")


@invariant(
    id="TOOL-004",
    rule="The assembled arguments of every tool call parse as a JSON object.",
    severity=Severity.MUST,
    group="tools",
    sources=[_ARGS_NOTE, _DS_FUNCTIONS],
)
def arguments_parse_as_object(obs: Observation) -> Iterator[Violation]:
    """Concatenated `arguments` fragments must form one JSON object (a choice cut by `length` is exempt)."""
    judged = 0
    for index, acc in _choices_with_calls(obs).items():
        if acc.finish_reason == "length":
            continue
        for call in _calls(acc):
            judged += 1
            if not _string_arguments(call):
                kinds = ", ".join(sorted(call.argument_types - {"str"}))
                yield Violation(expected=f"arguments of tool call {call.index} ({call.name}) in choice {index} are "
                                         "JSON text", received=f"arguments sent as {kinds} (json.loads fails on it)",
                                event_index=call.first_event if call.first_event >= 0 else None)
                continue
            try:
                value = json.loads(call.arguments)
            except ValueError as exc:
                yield Violation(expected=f"arguments of tool call {call.index} ({call.name}) in choice {index} "
                                         "parse as JSON", received=f"{clip(call.arguments)}: {exc}",
                                event_index=call.first_event if call.first_event >= 0 else None)
                continue
            if not isinstance(value, dict):
                yield Violation(expected=f"arguments of tool call {call.index} ({call.name}) are a JSON object",
                                received=f"{type(value).__name__}: {clip(call.arguments)}")
    if not judged:
        raise NotApplicable("no tool call outside a length-cut choice")


def _offered_tools(obs: Observation) -> dict[str, Any]:
    tools: dict[str, Any] = {}
    for tool in obs.request.get("tools") or []:
        fn = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            tools[fn["name"]] = fn.get("parameters")
    return tools


def _validators(tools: dict[str, Any]) -> dict[str, Any]:
    """A jsonschema validator per offered function whose `parameters` is a valid schema."""
    out: dict[str, Any] = {}
    for name, schema in tools.items():
        if not isinstance(schema, dict):
            continue
        validator_cls = jsonschema.validators.validator_for(schema)
        try:
            validator_cls.check_schema(schema)
        except jsonschema.SchemaError:
            continue  # the suite's own request is at fault, not the provider: leave the call unjudged
        out[name] = validator_cls(schema)
    return out


@invariant(
    id="TOOL-005",
    rule="The parsed arguments of every tool call validate against the offered tool's parameter schema.",
    severity=Severity.SHOULD,
    group="tools",
    requires={"tools"},
    stochastic=True,
    sources=[_ARGS_NOTE, Source("openai-openapi", "#/components/schemas/FunctionObject parameters"), _DS_FUNCTIONS],
)
def arguments_match_schema(obs: Observation) -> Iterator[Violation]:
    """Schema accuracy (K2-Vendor-Verifier's metric): a call counts as correct only when it names an offered
    function and its arguments are JSON text whose object satisfies that function's JSON Schema (validated
    with `jsonschema`); unparseable arguments are a schema failure too."""
    tools = _offered_tools(obs)
    if not tools:
        raise NotApplicable("the request offers no function tool")
    validators = _validators(tools)
    judged = 0
    for index, acc in _choices_with_calls(obs).items():
        if acc.finish_reason == "length":
            continue
        for call in _calls(acc):
            judged += 1
            where = f"tool call {call.index} of choice {index}"
            if not isinstance(call.name, str) or call.name not in tools:
                yield Violation(expected=f"{where} names an offered function ({', '.join(sorted(tools))})",
                                received=f"name {clip(call.name)}")
                continue
            if not _string_arguments(call):
                yield Violation(expected=f"arguments of {where} valid against {call.name}'s parameters",
                                received="arguments are not JSON text (see TOOL-003)")
                continue
            try:
                args = json.loads(call.arguments)
            except ValueError as exc:
                yield Violation(expected=f"arguments of {where} valid against {call.name}'s parameters",
                                received=f"{clip(call.arguments)} does not parse ({exc})")
                continue
            validator = validators.get(str(call.name))
            if validator is None:
                continue  # no usable schema: only the name and the JSON were judged
            if not isinstance(args, dict):
                yield Violation(expected=f"arguments of {where} are a JSON object", received=clip(call.arguments))
                continue
            errors = sorted(validator.iter_errors(args), key=lambda e: [str(p) for p in e.absolute_path])
            if errors:
                detail = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                                   for e in errors[:3])
                yield Violation(expected=f"arguments of {where} valid against {call.name}'s parameters",
                                received=f"{clip(call.arguments)}: {detail}")
    if not judged:
        raise NotApplicable("no complete tool call to validate")


@invariant(
    id="TOOL-006",
    rule="A choice that carries tool calls finishes with finish_reason tool_calls.",
    severity=Severity.MUST,
    group="tools",
    sources=[_FINISH, _DS_FUNCTIONS],
)
def tool_calls_finish_reason(obs: Observation) -> Iterator[Violation]:
    """Agents loop on `finish_reason == "tool_calls"`; reporting `stop` with a call present ends the turn and
    the call is never executed, and a stream that never finishes the choice leaves the agent hanging (a choice
    cut by `length` is exempt)."""
    for index, acc in _choices_with_calls(obs).items():
        if acc.finish_reason in ("tool_calls", "length"):
            continue
        names = ", ".join(str(c.name) for c in _calls(acc))
        got = "no finish_reason (the choice never finished)" if acc.finish_reason is None else \
            f"finish_reason {acc.finish_reason!r}"
        yield Violation(expected=f"finish_reason \"tool_calls\" for choice {index} with tool calls ({names})",
                        received=got)


@invariant(
    id="TOOL-007",
    rule="A choice finished with tool_calls carries at least one tool call with a non-empty name.",
    severity=Severity.MUST,
    group="tools",
    sources=[_FINISH],
)
def tool_calls_finish_has_calls(obs: Observation) -> Iterator[Violation]:
    """`finish_reason: tool_calls` with no usable call leaves the agent waiting for a call that never comes."""
    finished = {i: acc for i, acc in judged_choices(obs).items() if acc.finish_reason == "tool_calls"}
    if not finished:
        raise NotApplicable("no choice finished with tool_calls")
    for index, acc in finished.items():
        if not any(isinstance(c.name, str) and c.name for c in _calls(acc)):
            received = "no tool call" if not acc.tool_calls else f"{len(acc.tool_calls)} call(s) without a name"
            yield Violation(expected=f"choice {index} (finish_reason tool_calls) carries a named tool call",
                            received=received)


@invariant(
    id="TOOL-008",
    rule="No stream delta carries an empty tool_calls array.",
    severity=Severity.SHOULD,
    group="tools",
    modes={Mode.STREAM},
    sources=[_CHUNK_SCHEMA, Source("openai-openapi", "#/components/schemas/ChatCompletionStreamResponseDelta")],
)
def no_empty_tool_calls_array(obs: Observation) -> Iterator[Violation]:
    """`tool_calls: []` on deltas makes clients open and close empty tool blocks; omit the key instead."""
    require_response(obs)
    empty = [event_index for event_index, _, delta in iter_choice_deltas(obs) if delta.get("tool_calls") == []]
    if empty:
        yield Violation(expected="the tool_calls key omitted (or null) on deltas without a tool call",
                        received=f"{len(empty)} delta(s) carry \"tool_calls\": []", event_index=empty[0])


@invariant(
    id="TOOL-009",
    rule="Tool-call markup of the model's chat template never leaks into content.",
    severity=Severity.MUST,
    group="tools",
    sources=[_DS_FUNCTIONS, _CHUNK_SCHEMA],
)
def no_tool_markup_in_content(obs: Observation) -> Iterator[Violation]:
    """A server without the right tool parser for V3.1 streams `<｜tool▁calls▁begin｜>...` as text: no call is
    made and the user sees template tokens."""
    for index, acc in judged_choices(obs).items():
        content = content_text(acc)
        hits = [m for m in TOOL_MARKUP if m in content]
        if hits:
            pos = content.index(hits[0])
            yield Violation(expected=f"content of choice {index} without tool-call template tokens",
                            received=f"{hits[0]!r} at character {pos}: {clip(content[max(0, pos - 20):pos + 60])}")


@invariant(
    id="TOOL-010",
    rule="tool_choice none, required and a named function are honoured.",
    severity=Severity.MUST,
    group="tools",
    requires={"tools"},
    stochastic=True,
    sources=[_TOOL_CHOICE, _DS_FUNCTIONS],
)
def tool_choice_honoured(obs: Observation) -> Iterator[Violation]:
    """`none` forbids calls, `required` demands at least one, a named function demands calls to that function
    only (a choice cut by `length` before its call is exempt from demands)."""
    choice_param = obs.request.get("tool_choice")
    named = None
    if isinstance(choice_param, dict) and isinstance(choice_param.get("function"), dict):
        named = choice_param["function"].get("name")
    if choice_param not in ("none", "required") and not isinstance(named, str):
        raise NotApplicable(f"tool_choice {clip(choice_param)} makes no demand")
    for index, acc in judged_choices(obs).items():
        calls = _calls(acc)
        if choice_param == "none":
            if calls:
                yield Violation(expected=f"no tool call in choice {index} with tool_choice \"none\"",
                                received=f"{len(calls)} call(s): {', '.join(str(c.name) for c in calls)}")
            continue
        if not calls:
            if acc.finish_reason != "length":
                demand = "\"required\"" if named is None else f"naming {named!r}"
                yield Violation(expected=f"at least one tool call in choice {index} with tool_choice {demand}",
                                received=f"no tool call (finish_reason {acc.finish_reason!r}, content "
                                         f"{clip(acc.content)})")
            continue
        if named is not None:
            wrong = [str(c.name) for c in calls if c.name != named]
            if wrong:
                yield Violation(expected=f"only calls to {named!r} in choice {index}",
                                received=f"call(s) to {', '.join(wrong)}")


@invariant(
    id="TOOL-011",
    rule="A follow-up request carrying a tool result message is accepted and answered.",
    severity=Severity.MUST,
    group="tools",
    requires={"tool_result"},
    sources=[_DS_FUNCTIONS, Source("openai-openapi", "#/components/schemas/ChatCompletionRequestToolMessage")],
)
def tool_result_turn_answered(obs: Observation) -> Iterator[Violation]:
    """The second half of the function-calling loop: the assistant turn with `tool_calls` plus a `role: tool`
    message with its `tool_call_id` must be accepted and produce an answer (or another call)."""
    problem = accepted_problem(obs)
    if problem:
        yield Violation(expected="HTTP 200 with an answer to the tool result", received=problem)
        return
    for index, acc in obs.assembled.items():
        if acc.finish_reason is None:
            continue  # an unfinished choice is reported by the termination and schema groups
        if not content_text(acc).strip() and not acc.tool_calls:
            yield Violation(expected=f"choice {index} answers the tool result (content or a new tool call)",
                            received=f"empty content, no tool call (finish_reason {acc.finish_reason!r})")


@invariant(
    id="TOOL-012",
    rule="Parallel tool calls use distinct indices and distinct ids.",
    severity=Severity.SHOULD,
    group="tools",
    sources=[_CHUNK_SCHEMA, _SDK_INDEX],
)
def parallel_calls_distinct(obs: Observation) -> Iterator[Violation]:
    """Two calls that share an index are merged by every client; two calls that share an id cannot be
    answered separately (each tool message names one `tool_call_id`)."""
    if obs.scenario.mode is Mode.NONSTREAM:
        require_response(obs)
        found = False
        for choice in (obs.body_object or {}).get("choices") or []:
            ids: dict[str, int] = {}
            for call in (nonstream_message(choice) or {}).get("tool_calls") or []:
                found = True
                call_id = call.get("id") if isinstance(call, dict) else None
                if isinstance(call_id, str) and call_id:
                    ids[call_id] = ids.get(call_id, 0) + 1
            for call_id, count in ids.items():
                if count > 1:
                    yield Violation(expected="distinct tool call ids", received=f"id {call_id!r} used {count} times")
        if not found:
            raise NotApplicable("the response carries no tool call")
        return
    # A missing or non-integer index groups under its repr: calls without an index share one "index".
    ids_by_index: dict[tuple[Any, Any], list[tuple[str, int]]] = {}
    indices_by_id: dict[tuple[Any, str], set[Any]] = {}
    for event_index, choice, entry in _stream_with_tool_calls(obs):
        if not isinstance(entry, dict):
            continue
        index = entry["index"] if is_int(entry.get("index")) else repr(entry.get("index"))
        call_id = entry.get("id")
        if isinstance(call_id, str) and call_id:
            seen = ids_by_index.setdefault((choice, index), [])
            if call_id not in [i for i, _ in seen]:
                seen.append((call_id, event_index))
            indices_by_id.setdefault((choice, call_id), set()).add(index)
    for (choice, index), seen in ids_by_index.items():
        if len(seen) > 1:
            yield Violation(expected=f"one call per index in choice {choice}",
                            received=f"index {index} carries ids {', '.join(i for i, _ in seen)}",
                            event_index=seen[1][1])
    for (choice, call_id), indices in indices_by_id.items():
        if len(indices) > 1:
            yield Violation(expected=f"a distinct id per call in choice {choice}",
                            received=f"id {call_id!r} on indices {sorted(indices, key=str)}")
