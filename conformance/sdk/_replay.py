"""Replay a captured exchange through the official `openai` Python package.

The SDK talks to an in-memory HTTP transport that answers with the recorded status, headers and body
bytes (split exactly as they were read), so the verdict is the SDK's own parsing of what the provider
sent, not a model of it. A capture that ended with a timeout or a transport error replays that ending
as the matching HTTP exception after the last recorded byte. Everything is in memory and bounded: the
body is finite, the client never retries and its timeout is short.

The SDK is optional: `sdk_available()` says whether it can be imported, and the replay functions raise
`SdkUnavailable` when it cannot.
"""

from __future__ import annotations

import importlib
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..capture._model import EndReason, Exchange

__all__ = [
    "REASONING_FIELDS",
    "SdkChoice",
    "SdkReport",
    "SdkRun",
    "SdkToolCall",
    "SdkUnavailable",
    "replay_nonstream",
    "replay_stream",
    "sdk_available",
    "sdk_version",
]

REASONING_FIELDS = ("reasoning_content", "reasoning")
REPLAY_BASE_URL = "http://replay.invalid/v1"
_TIMEOUT_S = 10.0
# Hop-by-hop and body-encoding headers describe the original connection, not the recorded bytes (the
# capture stores the decoded body), so replaying them would make the client decode or count again.
_DROPPED_HEADERS = frozenset({"content-length", "transfer-encoding", "content-encoding", "connection", "keep-alive"})
_TIMEOUT_ENDS = frozenset({EndReason.TTFB_TIMEOUT, EndReason.IDLE_TIMEOUT, EndReason.TOTAL_TIMEOUT})
# warnings.catch_warnings swaps process-wide state; replays from concurrent engine workers take turns.
_REPLAY_LOCK = threading.Lock()


class SdkUnavailable(ImportError):
    """The openai package (or its HTTP library) cannot be imported."""


@dataclass(frozen=True, slots=True)
class SdkToolCall:
    """One tool call as the SDK assembled it (position = its index in the SDK's list)."""

    index: int
    id: Any = None
    type: Any = None
    name: Any = None
    arguments: Any = None


@dataclass(frozen=True, slots=True)
class SdkChoice:
    """One choice as the SDK (or a consumer of its chunk objects) ends up with it."""

    index: Any
    role: Any = None
    content: Any = None
    reasoning: dict[str, Any] = field(default_factory=dict)  # reasoning field name -> value, when present
    tool_calls: tuple[SdkToolCall, ...] = ()
    finish_reason: Any = None


@dataclass(frozen=True, slots=True)
class SdkRun:
    """What one SDK entry point did with the bytes: what it raised, how many chunks it yielded, what it built."""

    api: str  # the entry point, e.g. "chat.completions.stream()"
    error_type: str | None = None
    error_message: str | None = None
    chunks: int = 0  # chunks yielded (stream) before the end or the exception
    choices: tuple[SdkChoice, ...] = ()
    usage: dict[str, Any] | None = None
    result_type: str | None = None  # non-stream: the type create() returned
    notes: tuple[str, ...] = ()  # shape problems seen in the result (e.g. choices that is not a list)

    @property
    def raised(self) -> bool:
        return self.error_type is not None

    def describe_error(self) -> str:
        return f"{self.error_type}: {self.error_message}" if self.raised else "no exception"

    def choice(self, index: Any) -> SdkChoice | None:
        return next((c for c in self.choices if c.index == index), None)


@dataclass(frozen=True, slots=True)
class SdkReport:
    """The replay of one exchange: the base API and, for streams, the `.stream()` helper."""

    sdk_version: str
    stream: bool
    raw: SdkRun
    helper: SdkRun | None = None  # None for non-stream replays, or when the SDK has no stream helper
    warnings: tuple[str, ...] = ()  # warnings the SDK (or pydantic under it) emitted during the replay


# -- the SDK, loaded lazily ------------------------------------------------------------------------------


def _modules() -> tuple[ModuleType, ModuleType]:
    """The openai module and the HTTP library its client is built on (httpx2 for openai 3.x, httpx before)."""
    try:
        openai = importlib.import_module("openai")
        base_client = importlib.import_module("openai._base_client")
    except ImportError as exc:
        raise SdkUnavailable("openai package not installed") from exc
    # The client only accepts an http_client of its own library, so ask the SDK which one it imported.
    for name in ("httpx2", "httpx"):
        http = getattr(base_client, name, None)
        if isinstance(http, ModuleType):
            return openai, http
    raise SdkUnavailable("the openai package's HTTP library (httpx2 or httpx) was not found")


def sdk_available() -> bool:
    """Whether the openai package can be imported."""
    try:
        _modules()
    except SdkUnavailable:
        return False
    return True


def sdk_version() -> str:
    """The installed openai package version ("" when it is not installed)."""
    try:
        openai, _ = _modules()
    except SdkUnavailable:
        return ""
    return str(getattr(openai, "__version__", "unknown"))


# -- the transport that serves the recorded bytes ----------------------------------------------------------


def _body(exchange: Exchange, request: Any, http: ModuleType) -> Iterator[bytes]:
    for read in exchange.reads:
        if read.data:
            yield read.data
    if exchange.end is EndReason.EOF:
        return
    detail = f"recorded capture ended with {exchange.end.value}: {exchange.end_detail}".strip()
    if exchange.end in _TIMEOUT_ENDS:
        raise http.ReadTimeout(detail, request=request)
    if exchange.end is EndReason.TRANSPORT_ERROR:
        raise http.RemoteProtocolError(detail, request=request)
    raise http.ReadError(detail, request=request)


def _client(exchange: Exchange) -> tuple[Any, Any]:
    """(openai client, http client) whose transport answers every request with the recorded response."""
    if exchange.status is None:
        raise ValueError("the exchange has no response to replay")
    openai, http = _modules()
    headers = [(k, v) for k, v in exchange.headers if k.lower() not in _DROPPED_HEADERS]
    status = exchange.status

    def handler(request: Any) -> Any:
        return http.Response(status, headers=headers, content=_body(exchange, request, http), request=request)

    http_client = http.Client(transport=http.MockTransport(handler), timeout=_TIMEOUT_S)
    client = openai.OpenAI(base_url=REPLAY_BASE_URL, api_key="replay", http_client=http_client, max_retries=0,
                           timeout=_TIMEOUT_S)
    return client, http_client


def _call_args(request: Any) -> dict[str, Any]:
    """The create()/stream() arguments that influence how the SDK parses the answer (the transport ignores the rest)."""
    req = request if isinstance(request, dict) else {}
    args: dict[str, Any] = {
        "model": req["model"] if isinstance(req.get("model"), str) else "replay",
        "messages": req["messages"] if isinstance(req.get("messages"), list) else [{"role": "user", "content": ""}],
    }
    tools = req.get("tools")
    if isinstance(tools, list) and tools and all(isinstance(t, dict) for t in tools):
        args["tools"] = tools
    if isinstance(req.get("response_format"), dict):
        args["response_format"] = req["response_format"]
    return args


# -- turning SDK objects back into plain data ----------------------------------------------------------------


def _as_dict(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict(warnings=False)
    if hasattr(obj, "model_dump"):
        return obj.model_dump(warnings=False)
    return obj


def _key(value: Any) -> Any:
    """A delta index usable as a dict key (wrong-typed indices stay distinct by their repr)."""
    return value if isinstance(value, int | str) and not isinstance(value, bool) else repr(value)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _tool_call(position: int, raw: Any) -> SdkToolCall:
    call = _obj(raw)
    fn = _obj(call.get("function"))
    return SdkToolCall(index=position, id=call.get("id"), type=call.get("type"), name=fn.get("name"),
                       arguments=fn.get("arguments"))


def _choices_of(completion: dict[str, Any], notes: list[str]) -> tuple[SdkChoice, ...]:
    raw_choices = completion.get("choices")
    if not isinstance(raw_choices, list):
        notes.append(f"choices is {type(raw_choices).__name__}, not a list")
        return ()
    out = []
    for position, raw in enumerate(raw_choices):
        if not isinstance(raw, dict):
            notes.append(f"choices[{position}] is {type(raw).__name__}, not an object")
            continue
        msg = _obj(raw.get("message"))
        calls = msg.get("tool_calls")
        if calls is not None and not isinstance(calls, list):
            notes.append(f"choices[{position}].message.tool_calls is {type(calls).__name__}")
        out.append(SdkChoice(
            index=raw.get("index", position),
            role=msg.get("role"),
            content=msg.get("content"),
            reasoning={name: msg[name] for name in REASONING_FIELDS if name in msg},
            tool_calls=tuple(_tool_call(i, c) for i, c in enumerate(calls)) if isinstance(calls, list) else (),
            finish_reason=raw.get("finish_reason"),
        ))
    return tuple(out)


class _ChunkAccumulator:
    """What a consumer of `create(stream=True)` assembles from the SDK's chunk objects, the obvious way."""

    def __init__(self) -> None:
        self.choices: dict[Any, dict[str, Any]] = {}
        self.usage: dict[str, Any] | None = None

    def add(self, chunk: dict[str, Any]) -> None:
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for raw in chunk.get("choices") or []:
            if not isinstance(raw, dict):
                continue
            acc = self.choices.setdefault(_key(raw.get("index")), {"reasoning": {}, "calls": {}})
            delta = _obj(raw.get("delta"))
            if isinstance(delta.get("role"), str):
                acc.setdefault("role", delta["role"])
            if isinstance(delta.get("content"), str):
                acc["content"] = acc.get("content", "") + delta["content"]
            for name in REASONING_FIELDS:
                if isinstance(delta.get(name), str):
                    acc["reasoning"][name] = acc["reasoning"].get(name, "") + delta[name]
            for call in delta.get("tool_calls") or []:
                if isinstance(call, dict):
                    self._add_call(acc["calls"], call)
            if raw.get("finish_reason") is not None:
                acc.setdefault("finish_reason", raw["finish_reason"])

    @staticmethod
    def _add_call(calls: dict[Any, dict[str, Any]], call: dict[str, Any]) -> None:
        slot = calls.setdefault(_key(call.get("index")), {"arguments": ""})
        fn = _obj(call.get("function"))
        for key, value in (("id", call.get("id")), ("type", call.get("type")), ("name", fn.get("name"))):
            if value:
                slot.setdefault(key, value)
        if isinstance(fn.get("arguments"), str):
            slot["arguments"] += fn["arguments"]

    def result(self) -> tuple[SdkChoice, ...]:
        out = []
        for index, acc in self.choices.items():
            calls = tuple(
                SdkToolCall(index=i, id=c.get("id"), type=c.get("type"), name=c.get("name"), arguments=c["arguments"])
                for i, (_, c) in enumerate(sorted(acc["calls"].items(), key=_index_order))
            )
            out.append(SdkChoice(index=index, role=acc.get("role"), content=acc.get("content"),
                                 reasoning=dict(acc["reasoning"]), tool_calls=calls,
                                 finish_reason=acc.get("finish_reason")))
        return tuple(out)


def _index_order(item: tuple[Any, Any]) -> tuple[int, int, str]:
    key = item[0]
    return (0, key, "") if isinstance(key, int) and not isinstance(key, bool) else (1, 0, repr(key))


def _error_fields(exc: BaseException) -> dict[str, Any]:
    message = str(exc)
    cause = exc.__cause__
    if cause is not None:  # e.g. APIConnectionError wraps the transport error that says what happened
        message += f" (caused by {type(cause).__name__}: {cause})"
    return {"error_type": type(exc).__name__, "error_message": message[:500]}


def _warning_texts(caught: list[warnings.WarningMessage]) -> tuple[str, ...]:
    texts: list[str] = []
    for w in caught:
        lines = str(w.message).strip().splitlines()
        text = f"{w.category.__name__}: {' '.join(line.strip() for line in lines[:3])}"[:300] if lines else ""
        if text and text not in texts:
            texts.append(text)
    return tuple(texts)


# -- the replays -------------------------------------------------------------------------------------------------


def _run_create_stream(client: Any, args: dict[str, Any]) -> SdkRun:
    acc = _ChunkAccumulator()
    chunks = 0
    fields: dict[str, Any] = {}
    notes: list[str] = []
    try:
        stream = client.chat.completions.create(stream=True, **args)
        try:
            for chunk in stream:
                chunks += 1
                data = _as_dict(chunk)
                if isinstance(data, dict):
                    acc.add(data)
                else:  # the SDK does not validate: a JSON string event comes out as a bare str
                    notes.append(f"chunk {chunks} is a {type(chunk).__name__} ({str(chunk)[:40]!r}), "
                                 "not a ChatCompletionChunk")
        finally:
            stream.close()
    except Exception as exc:  # the verdict is which exception the SDK raised, whatever it is
        fields = _error_fields(exc)
    return SdkRun(api="chat.completions.create(stream=True)", chunks=chunks, choices=acc.result(), usage=acc.usage,
                  notes=tuple(notes), **fields)


def _run_stream_helper(client: Any, args: dict[str, Any]) -> SdkRun | None:
    completions = client.chat.completions
    if not hasattr(completions, "stream"):
        return None
    chunks = 0
    fields: dict[str, Any] = {}
    completion: Any = None
    try:
        with completions.stream(**args) as stream:
            try:
                for event in stream:
                    if getattr(event, "type", None) == "chunk":
                        chunks += 1
                completion = stream.get_final_completion()
            except Exception as exc:  # keep the partial snapshot as evidence of what the helper had built
                fields = _error_fields(exc)
                try:
                    completion = stream.current_completion_snapshot
                except Exception:  # no snapshot before the first chunk
                    completion = None
    except Exception as exc:
        fields = fields or _error_fields(exc)
    notes: list[str] = []
    data = _as_dict(completion) if completion is not None else {}
    choices = _choices_of(data, notes) if data else ()
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
    return SdkRun(api="chat.completions.stream()", chunks=chunks, choices=choices, usage=usage, notes=tuple(notes),
                  **fields)


def replay_stream(exchange: Exchange, request: Any) -> SdkReport:
    """Replay a streamed exchange through `create(stream=True)` and through the `.stream()` helper."""
    openai, _ = _modules()
    args = _call_args(request)
    with _REPLAY_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client, http_client = _client(exchange)
        try:
            raw = _run_create_stream(client, args)
            helper = _run_stream_helper(client, args)
        finally:
            http_client.close()
    return SdkReport(sdk_version=str(getattr(openai, "__version__", "unknown")), stream=True, raw=raw, helper=helper,
                     warnings=_warning_texts(caught))


def replay_nonstream(exchange: Exchange, request: Any) -> SdkReport:
    """Replay a non-stream exchange through `create()` (stream omitted)."""
    openai, _ = _modules()
    args = _call_args(request)
    fields: dict[str, Any] = {}
    notes: list[str] = []
    choices: tuple[SdkChoice, ...] = ()
    usage = None
    result_type = None
    with _REPLAY_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client, http_client = _client(exchange)
        try:
            result = client.chat.completions.create(**args)
            result_type = type(result).__name__
            if hasattr(result, "choices"):
                data = _as_dict(result)
                choices = _choices_of(data, notes)
                usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
        except Exception as exc:  # the verdict is which exception the SDK raised, whatever it is
            fields = _error_fields(exc)
        finally:
            http_client.close()
    run = SdkRun(api="chat.completions.create()", choices=choices, usage=usage, result_type=result_type,
                 notes=tuple(notes), **fields)
    return SdkReport(sdk_version=str(getattr(openai, "__version__", "unknown")), stream=False, raw=run,
                     warnings=_warning_texts(caught))
