"""What a check sees: one captured exchange, the scenario that produced it, and the profile.

Parsing is done once per observation and cached here, so checks stay small pure functions and
the hot capture path stays free of JSON work.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..capture._model import Exchange
from ..capture._sse import DecodedStream, decode_reads
from ..providers._profile import Profile
from ._model import Expect, Mode

__all__ = ["AssembledChoice", "Observation", "Payload", "ScenarioInfo", "ToolCallAssembly"]

DONE = "[DONE]"


@dataclass(frozen=True, slots=True)
class ScenarioInfo:
    """The part of a scenario a check may look at."""

    id: str
    mode: Mode
    expect: Expect
    features: frozenset[str]
    request: dict[str, Any]  # the JSON body that was sent
    error_kind: str | None = None  # for error scenarios: which profile status list applies


@dataclass(frozen=True, slots=True)
class Payload:
    """One SSE event's data, classified."""

    event_index: int
    kind: str  # "done" (exactly "[DONE]"), "json" (parsed), "invalid" (neither)
    value: Any = None  # the parsed JSON for kind == "json"
    error: str = ""  # why it did not parse


@dataclass(slots=True)
class ToolCallAssembly:
    """One streamed tool call put back together by its index."""

    index: Any
    id: str | None = None
    type: str | None = None
    name: str | None = None
    arguments: str = ""
    first_event: int = -1
    argument_types: set[str] = field(default_factory=set)  # Python type names of every arguments fragment


@dataclass(slots=True)
class AssembledChoice:
    """A choice assembled from stream deltas the way clients do it."""

    index: Any
    role: str | None = None
    content: str | None = None
    reasoning: dict[str, str] = field(default_factory=dict)  # field name -> text, for every reasoning field seen
    tool_calls: dict[Any, ToolCallAssembly] = field(default_factory=dict)
    finish_reason: str | None = None
    logprobs_content: list[Any] = field(default_factory=list)


REASONING_FIELDS = ("reasoning_content", "reasoning")


class Observation:
    """One exchange under judgement; derived views are computed on first use."""

    def __init__(
        self,
        *,
        scenario: ScenarioInfo,
        exchange: Exchange,
        profile: Profile,
        peers: Mapping[str, Observation] | None = None,
    ) -> None:
        self.scenario = scenario
        self.exchange = exchange
        self.profile = profile
        self.peers: Mapping[str, Observation] = peers or {}

    # -- request ---------------------------------------------------------------------------------

    @property
    def request(self) -> dict[str, Any]:
        return self.scenario.request

    @property
    def include_usage(self) -> bool:
        opts = self.request.get("stream_options")
        return isinstance(opts, dict) and opts.get("include_usage") is True

    # -- stream view -----------------------------------------------------------------------------

    @property
    def is_event_stream(self) -> bool:
        return self.exchange.media_type == "text/event-stream"

    @cached_property
    def decoded(self) -> DecodedStream:
        return decode_reads(self.exchange.reads)

    @cached_property
    def payloads(self) -> list[Payload]:
        out: list[Payload] = []
        for ev in self.decoded.events:
            if ev.data == DONE:
                out.append(Payload(ev.index, "done"))
                continue
            try:
                out.append(Payload(ev.index, "json", json.loads(ev.data)))
            except ValueError as exc:
                out.append(Payload(ev.index, "invalid", error=str(exc)))
        return out

    @cached_property
    def chunks(self) -> list[tuple[int, dict[str, Any]]]:
        """(event index, object) for every JSON-object event before the first [DONE]."""
        out: list[tuple[int, dict[str, Any]]] = []
        for p in self.payloads:
            if p.kind == "done":
                break
            if p.kind == "json" and isinstance(p.value, dict):
                out.append((p.event_index, p.value))
        return out

    @cached_property
    def content_chunks(self) -> list[tuple[int, dict[str, Any]]]:
        """Chunks that are not error objects (an `error` key marks an in-band error event)."""
        return [(i, c) for i, c in self.chunks if not c.get("error")]

    # -- non-stream view -------------------------------------------------------------------------

    @cached_property
    def body_json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return self.exchange.json()

    @cached_property
    def body_object(self) -> dict[str, Any] | None:
        """The body as a JSON object, or None when it is not one."""
        try:
            value = self.body_json
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    # -- assembled message -----------------------------------------------------------------------

    @cached_property
    def assembled(self) -> dict[Any, AssembledChoice]:
        """Choices by index: from stream deltas (stream mode) or from the body (non-stream)."""
        if self.scenario.mode is Mode.NONSTREAM:
            return self._from_body()
        choices: dict[Any, AssembledChoice] = {}
        for event_index, chunk in self.content_chunks:
            raw_choices = chunk.get("choices")
            for choice in raw_choices if isinstance(raw_choices, list) else []:
                if not isinstance(choice, dict):
                    continue
                key = choice.get("index")
                key = key if isinstance(key, int | str) else repr(key)
                acc = choices.setdefault(key, AssembledChoice(index=key))
                delta = choice.get("delta")
                if isinstance(delta, dict):
                    _merge_delta(acc, delta, event_index)
                if choice.get("finish_reason") is not None and acc.finish_reason is None:
                    acc.finish_reason = choice.get("finish_reason")
                lp = choice.get("logprobs")
                if isinstance(lp, dict) and isinstance(lp.get("content"), list):
                    acc.logprobs_content.extend(lp["content"])
        return choices

    def _from_body(self) -> dict[Any, AssembledChoice]:
        body = self.body_object
        choices: dict[Any, AssembledChoice] = {}
        if body is None:
            return choices
        raw_choices = body.get("choices")
        for choice in raw_choices if isinstance(raw_choices, list) else []:
            if not isinstance(choice, dict):
                continue
            key = choice.get("index")
            key = key if isinstance(key, int | str) else repr(key)
            acc = AssembledChoice(index=key, finish_reason=choice.get("finish_reason"))
            msg = choice.get("message")
            if isinstance(msg, dict):
                acc.role = msg.get("role")
                acc.content = msg.get("content")
                for name in REASONING_FIELDS:
                    if isinstance(msg.get(name), str):
                        acc.reasoning[name] = msg[name]
                calls = msg.get("tool_calls")
                for pos, call in enumerate(calls if isinstance(calls, list) else []):
                    if not isinstance(call, dict):
                        continue
                    raw_fn = call.get("function")
                    fn: dict[str, Any] = raw_fn if isinstance(raw_fn, dict) else {}
                    args = fn.get("arguments")
                    tc = ToolCallAssembly(index=pos, id=call.get("id"), type=call.get("type"), name=fn.get("name"),
                                          arguments=args if isinstance(args, str) else "", first_event=-1,
                                          argument_types={type(args).__name__})
                    acc.tool_calls[pos] = tc
            lp = choice.get("logprobs")
            if isinstance(lp, dict) and isinstance(lp.get("content"), list):
                acc.logprobs_content.extend(lp["content"])
            choices[key] = acc
        return choices

    @property
    def usage(self) -> dict[str, Any] | None:
        """The usage object that counts: the last non-null one in a stream, or the body's."""
        if self.scenario.mode is Mode.NONSTREAM:
            body = self.body_object
            u = body.get("usage") if body is not None else None
            return u if isinstance(u, dict) else None
        found = None
        for _, chunk in self.content_chunks:
            if isinstance(chunk.get("usage"), dict):
                found = chunk["usage"]
        return found

    def text(self, choice: int = 0) -> str:
        """Assembled content of one choice ("" when absent)."""
        acc = self.assembled.get(choice)
        return (acc.content or "") if acc else ""

    def reasoning_text(self, choice: int = 0) -> str:
        """Assembled reasoning of one choice, from the profile's field."""
        acc = self.assembled.get(choice)
        return acc.reasoning.get(self.profile.reasoning_field, "") if acc else ""


def _merge_delta(acc: AssembledChoice, delta: dict[str, Any], event_index: int) -> None:
    role = delta.get("role")
    if isinstance(role, str) and acc.role is None:
        acc.role = role
    content = delta.get("content")
    if isinstance(content, str):
        acc.content = (acc.content or "") + content
    for name in REASONING_FIELDS:
        value = delta.get(name)
        if isinstance(value, str):
            acc.reasoning[name] = acc.reasoning.get(name, "") + value
    calls = delta.get("tool_calls")
    for call in calls if isinstance(calls, list) else []:
        if not isinstance(call, dict):
            continue
        idx = call.get("index")
        key = idx if isinstance(idx, int) else repr(idx)
        tc = acc.tool_calls.get(key)
        if tc is None:
            tc = acc.tool_calls[key] = ToolCallAssembly(index=idx, first_event=event_index)
        if call.get("id") and tc.id is None:
            tc.id = call["id"]
        if call.get("type") and tc.type is None:
            tc.type = call["type"]
        fn = call.get("function")
        if isinstance(fn, dict):
            if fn.get("name") and tc.name is None:
                tc.name = fn["name"]
            if "arguments" in fn:
                args = fn["arguments"]
                tc.argument_types.add(type(args).__name__)
                if isinstance(args, str):
                    tc.arguments += args
