"""The reference "model": from a request to the pieces it emits, with stop and max_tokens applied.

Every emitted piece is one token: a reasoning delta, a content delta, a tool-call header or an
argument fragment. Usage counts exactly these pieces, so a client can check the arithmetic.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

from ._answers import answer_text, cities_in, json_answer, reasoning_text
from ._requests import ChatRequest, message_text
from ._tokens import tokenize

__all__ = ["Generation", "ToolCall", "generate", "instance_for"]

_PLACE_WORDS = ("location", "city", "place", "where", "town", "region", "query", "destination")


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call: a header delta (id, type, name) then its argument fragments."""

    index: int
    id: str
    name: str
    fragments: tuple[str, ...]

    @property
    def arguments(self) -> str:
        return "".join(self.fragments)


@dataclass(frozen=True, slots=True)
class Generation:
    """Everything one answer emits, before it is framed for the wire."""

    reasoning: tuple[str, ...]
    content: tuple[str, ...] | None  # None: the message has no content (tool calls, or cut during reasoning)
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    prompt_tokens: int
    logprobs_top: int | None  # None: logprobs not requested
    extra: dict[str, Any] = field(default_factory=dict)  # room for faults to leave notes for later stages

    @property
    def reasoning_tokens(self) -> int:
        return len(self.reasoning)

    @property
    def completion_tokens(self) -> int:
        tools = sum(1 + len(c.fragments) for c in self.tool_calls)
        return len(self.reasoning) + len(self.content or ()) + tools

    @property
    def text(self) -> str | None:
        return None if self.content is None else "".join(self.content)


def instance_for(schema: Any, hint: str | None, name: str = "", depth: int = 0) -> Any:
    """A minimal value that validates against a JSON schema: required properties only, the place
    name from the prompt where a property obviously wants one."""
    if not isinstance(schema, dict) or depth > 8:
        return {} if depth == 0 else "example"
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return instance_for(schema[key][0], hint, name, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        return {key: instance_for(props.get(key, {}), hint, key, depth + 1) for key in required}
    if kind == "array":
        count = schema.get("minItems")
        count = count if isinstance(count, int) and not isinstance(count, bool) else 0
        return [instance_for(schema.get("items", {}), hint, name, depth + 1) for _ in range(min(count, 8))]
    if kind in ("integer", "number"):
        low: Any = schema.get("minimum", 0)
        if "exclusiveMinimum" in schema and isinstance(schema["exclusiveMinimum"], int | float):
            low = schema["exclusiveMinimum"] + 1
        low = low if isinstance(low, int | float) and not isinstance(low, bool) else 0
        return math.ceil(low) if kind == "integer" else low
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    text = hint if hint and any(w in name.lower() for w in _PLACE_WORDS) else "example"
    min_len = schema.get("minLength")
    if isinstance(min_len, int) and len(text) < min_len:
        text += "x" * (min_len - len(text))
    return text


def _tool_calls(req: ChatRequest) -> tuple[ToolCall, ...]:
    if not req.tools or req.tool_choice == "none":
        return ()
    fn = req.tools[0]
    if req.tool_choice == "named":
        fn = next((t for t in req.tools if t.get("name") == req.tool_name), fn)
    cities = cities_in(req.prompt)
    targets: list[str | None] = list(cities if req.parallel_tool_calls else cities[:1]) or [None]
    calls = []
    for index, city in enumerate(targets):
        try:
            args = instance_for(fn.get("parameters", {"type": "object"}), city)
        except Exception:
            args = {}
        if not isinstance(args, dict):
            args = {}
        call_id = "call_" + hashlib.sha256(f"{req.digest}:{index}".encode()).hexdigest()[:24]
        calls.append(ToolCall(index, call_id, str(fn["name"]), tuple(tokenize(json.dumps(args, ensure_ascii=False)))))
    return tuple(calls)


def _apply_stop(tokens: list[str], stops: tuple[str, ...]) -> tuple[list[str], bool]:
    """Cut the tokens before the earliest stop sequence; (tokens, whether a stop matched)."""
    text = "".join(tokens)
    hits = [pos for pos in (text.find(s) for s in stops) if pos >= 0]
    if not hits:
        return tokens, False
    cut, out, seen = min(hits), [], 0
    for token in tokens:
        if seen + len(token) <= cut:
            out.append(token)
        elif seen < cut:
            out.append(token[: cut - seen])  # the part of the token before the stop text
        seen += len(token)
    return out, True


def _apply_max_tokens(gen: Generation, limit: int | None) -> Generation:
    if limit is None or gen.completion_tokens <= limit:
        return gen
    budget = limit
    reasoning = gen.reasoning[:budget]
    budget -= len(reasoning)
    content = gen.content
    if content is not None:
        content = content[:budget] if budget > 0 else None
    calls: list[ToolCall] = []
    for call in gen.tool_calls:
        if budget <= 0:
            break
        calls.append(replace(call, fragments=call.fragments[: budget - 1]))
        budget -= 1 + len(calls[-1].fragments)
    return replace(gen, reasoning=reasoning, content=content, tool_calls=tuple(calls), finish_reason="length")


def prompt_tokens(req: ChatRequest) -> int:
    """Deterministic prompt size: message texts and tool-call arguments, plus per-message overhead."""
    total = 2
    for msg in req.messages:
        total += 4 + len(tokenize(message_text(msg)))
        for call in msg.get("tool_calls") or []:
            if isinstance(call, dict):
                total += len(tokenize(json.dumps(call, sort_keys=True)))
    if req.tools:
        total += len(tokenize(json.dumps(list(req.tools), sort_keys=True)))
    return total


def generate(req: ChatRequest) -> Generation:
    """The answer to a request: reasoning (when thinking is on), then tool calls or content."""
    tool_result = req.last_role == "tool"
    reasoning = tokenize(reasoning_text(req.prompt, tool_result=tool_result)) if req.thinking else []
    if req.reasoning_budget is not None:
        reasoning = reasoning[: req.reasoning_budget]
    calls = () if tool_result else _tool_calls(req)
    content: tuple[str, ...] | None = None
    finish = "tool_calls" if calls else "stop"
    if not calls:
        tool_content = message_text(req.messages[-1]) if tool_result else None
        text = answer_text(req.prompt, last_tool_content=tool_content)
        if req.json_mode:
            text = json_answer(req.prompt, text)
        tokens, _ = _apply_stop(tokenize(text), req.stop)
        content = tuple(tokens)
    gen = Generation(reasoning=tuple(reasoning), content=content, tool_calls=calls, finish_reason=finish,
                     prompt_tokens=prompt_tokens(req), logprobs_top=req.logprobs_top)
    return _apply_max_tokens(gen, req.max_tokens)
