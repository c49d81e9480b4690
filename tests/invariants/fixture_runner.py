"""Data-driven fixture runner: every `tests/fixtures/streams/<ID>/cases.yaml` proves that invariant can pass and fail.

A case names a raw body file (`.sse` for streams, `.json` for non-stream bodies) and what the one
invariant must conclude about it. The runner rebuilds what the engine would hand the check: a
`ScenarioInfo` (the default basic request merged with the case's `request:`), an `Exchange` holding
the file's bytes as reads, and an `Observation` with the case's profile and optional peer.

Case keys (all optional except `file` and `expect`):

    file: pass-basic.sse       # body bytes exactly as a provider sends them
    expect: pass | fail | skip # pass: no violation; fail: >= 1 violation; skip: the check raises NotApplicable
    profile: canonical         # a shipped profile name
    mode: stream | nonstream   # default stream
    features: [include_usage]  # scenario features; include_usage adds stream_options, stream_omitted drops stream
    request: {max_tokens: 5}   # deep-merged into the default request (a null value deletes a key)
    error_kind: invalid_param  # makes it an error scenario (Expect.ERROR)
    status: 200                # default 200
    headers: {Content-Type: text/event-stream}   # default by mode; replaces the defaults when given
    reads: events | whole | lines   # how the body is split into reads (default events: one read per event)
    gaps_ms: [0, 5, 1500]      # delay before each read (the last value repeats); default 1 ms
    end: eof | idle_timeout ...   # the capture's EndReason (default eof)
    end_detail: "..."
    bounds: {idle_s: 1.0}      # capture Bounds overrides
    peer: other.json           # a peer observation, exposed as obs.peers[peer_name]
    peer_mode: nonstream       # default: the other mode
    peer_name: nonstream       # default: the peer's mode
    peer_request / peer_features / peer_status / peer_headers   # the peer's own scenario details
    match: "usage"             # for fail: some violation's rendered text contains this
    variants: true             # pass cases also run under the legal framing variants (stream bodies)
    exclude_variants: [crlf]   # variants this case must not run under
    loopback: true             # also served over real HTTP in the loopback test
    note: why the case matters

Pass cases of stream bodies also run under the legal variants in `VARIANTS`, minus the ones the
invariant itself judges (`VARIANT_EXCLUSIONS`, keyed by invariant id) and the case's own exclusions.
`tests/invariants/test_stream_fixtures.py` runs every case folder, whichever group it belongs to.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

import conformance.invariants as invariants_pkg
from conformance.capture import Bounds, EndReason, Exchange, Read, RecordedRequest
from conformance.invariants import (
    Expect,
    Invariant,
    Mode,
    NotApplicable,
    Observation,
    ScenarioInfo,
    Violation,
    registry,
)
from conformance.providers import deep_merge, load_profile

__all__ = [
    "EXTRA_FIELD",
    "FIXTURES_ROOT",
    "VARIANTS",
    "VARIANT_EXCLUSIONS",
    "CaseResult",
    "FixtureCase",
    "FixtureError",
    "apply_variant",
    "assert_case",
    "build_exchange",
    "build_observation",
    "case_exchange",
    "case_params",
    "default_request",
    "discover_cases",
    "ensure_registered",
    "load_cases",
    "reads_from",
    "run_case",
    "scenario_for",
    "variants_for",
]

FIXTURES_ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "streams"
FIXTURE_HOST = "http://fixture.invalid"
BASIC_PROMPT = "Say hello in five words."
_CASE_KEYS = {
    "file", "expect", "profile", "mode", "features", "request", "error_kind", "status", "headers", "reads",
    "gaps_ms", "end", "end_detail", "bounds", "peer", "peer_mode", "peer_name", "peer_request", "peer_features",
    "peer_status", "peer_headers", "match", "variants", "exclude_variants", "loopback", "note",
}
_EXPECTS = {"pass", "fail", "skip"}


class FixtureError(ValueError):
    """A malformed cases.yaml entry."""


@dataclass(frozen=True)
class FixtureCase:
    """One entry of a cases.yaml file."""

    invariant_id: str
    folder: Path
    file: str
    expect: str
    profile: str = "canonical"
    mode: Mode = Mode.STREAM
    features: frozenset[str] = frozenset()
    request: dict[str, Any] = field(default_factory=dict)
    error_kind: str | None = None
    status: int = 200
    headers: tuple[tuple[str, str], ...] | None = None
    reads: str = "events"
    gaps_ms: tuple[float, ...] = (1.0,)
    end: EndReason = EndReason.EOF
    end_detail: str = ""
    bounds: dict[str, Any] = field(default_factory=dict)
    peer: str | None = None
    peer_mode: Mode | None = None
    peer_name: str | None = None
    peer_request: dict[str, Any] = field(default_factory=dict)
    peer_features: frozenset[str] | None = None
    peer_status: int = 200
    peer_headers: tuple[tuple[str, str], ...] | None = None
    match: str | None = None
    variants: bool = True
    exclude_variants: frozenset[str] = frozenset()
    loopback: bool = True
    note: str = ""
    position: int = 0  # index of the case in its cases.yaml (keeps test ids unique)

    @property
    def path(self) -> Path:
        return self.folder / self.file

    @property
    def body(self) -> bytes:
        return self.path.read_bytes()

    @property
    def test_id(self) -> str:
        return f"{self.invariant_id}#{self.position}/{self.file}@{self.profile}"

    @property
    def is_stream_body(self) -> bool:
        """The body is meant to be read as an event stream (variants apply)."""
        return self.mode is Mode.STREAM and _media_type(self.effective_headers) == "text/event-stream"

    @property
    def effective_headers(self) -> tuple[tuple[str, str], ...]:
        if self.headers is not None:
            return self.headers
        ctype = "text/event-stream" if self.mode is Mode.STREAM and self.error_kind is None else "application/json"
        return (("Content-Type", ctype),)


def _media_type(headers: Iterable[tuple[str, str]]) -> str | None:
    for key, value in headers:
        if key.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return None


def _headers(raw: Any, where: str) -> tuple[tuple[str, str], ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise FixtureError(f"{where}: headers must be a mapping")
    return tuple((str(k), str(v)) for k, v in raw.items())


def _case_from_dict(inv_id: str, folder: Path, raw: Any, where: str, position: int = 0) -> FixtureCase:
    if not isinstance(raw, dict):
        raise FixtureError(f"{where}: each case is a mapping")
    unknown = set(raw) - _CASE_KEYS
    if unknown:
        raise FixtureError(f"{where}: unknown key(s) {sorted(unknown)}")
    if "file" not in raw or "expect" not in raw:
        raise FixtureError(f"{where}: a case needs `file` and `expect`")
    if raw["expect"] not in _EXPECTS:
        raise FixtureError(f"{where}: expect must be one of {sorted(_EXPECTS)}, got {raw['expect']!r}")
    if not (folder / raw["file"]).is_file():
        raise FixtureError(f"{where}: body file {raw['file']!r} does not exist in {folder}")
    if raw.get("peer") and not (folder / raw["peer"]).is_file():
        raise FixtureError(f"{where}: peer file {raw['peer']!r} does not exist in {folder}")
    mode = Mode(raw.get("mode", "stream"))
    gaps = raw.get("gaps_ms", [1.0])
    if not isinstance(gaps, list) or not gaps:
        raise FixtureError(f"{where}: gaps_ms must be a non-empty list of numbers")
    if raw.get("reads", "events") not in ("events", "whole", "lines"):
        raise FixtureError(f"{where}: reads must be events, whole or lines")
    peer_mode = Mode(raw["peer_mode"]) if "peer_mode" in raw else None
    peer_features = raw.get("peer_features")
    return FixtureCase(
        invariant_id=inv_id,
        folder=folder,
        file=str(raw["file"]),
        expect=str(raw["expect"]),
        profile=str(raw.get("profile", "canonical")),
        mode=mode,
        features=frozenset(raw.get("features") or ()),
        request=dict(raw.get("request") or {}),
        error_kind=raw.get("error_kind"),
        status=int(raw.get("status", 200)),
        headers=_headers(raw.get("headers"), where),
        reads=str(raw.get("reads", "events")),
        gaps_ms=tuple(float(g) for g in gaps),
        end=EndReason(raw.get("end", "eof")),
        end_detail=str(raw.get("end_detail", "")),
        bounds=dict(raw.get("bounds") or {}),
        peer=raw.get("peer"),
        peer_mode=peer_mode,
        peer_name=raw.get("peer_name"),
        peer_request=dict(raw.get("peer_request") or {}),
        peer_features=frozenset(peer_features) if peer_features is not None else None,
        peer_status=int(raw.get("peer_status", 200)),
        peer_headers=_headers(raw.get("peer_headers"), where),
        match=raw.get("match"),
        variants=bool(raw.get("variants", True)),
        exclude_variants=frozenset(raw.get("exclude_variants") or ()),
        loopback=bool(raw.get("loopback", True)),
        note=str(raw.get("note", "")),
        position=position,
    )


def load_cases(folder: Path) -> list[FixtureCase]:
    """The cases of one invariant folder (its name is the invariant id)."""
    path = folder / "cases.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(data, list) or not data:
        raise FixtureError(f"{path}: cases.yaml is a non-empty list of cases")
    return [_case_from_dict(folder.name, folder, raw, f"{path} case #{n}", n) for n, raw in enumerate(data)]


def discover_cases(root: Path = FIXTURES_ROOT, ids: Iterable[str] | None = None) -> list[FixtureCase]:
    """Every case under `root` (optionally only the given invariant ids), sorted by folder."""
    wanted = set(ids) if ids is not None else None
    cases: list[FixtureCase] = []
    for cases_file in sorted(root.glob("*/cases.yaml")):
        if wanted is None or cases_file.parent.name in wanted:
            cases.extend(load_cases(cases_file.parent))
    return cases


# Packages outside conformance.invariants that register invariants when imported.
_REGISTERING_PACKAGES = ("conformance.cases",)


@cache
def ensure_registered() -> tuple[str, ...]:
    """Import every module that registers invariants (each public module of `conformance.invariants`, plus
    `_REGISTERING_PACKAGES`), so every group is in the registry; returns the module names imported."""
    names = []
    for info in pkgutil.iter_modules(invariants_pkg.__path__):
        # `catalogue` only re-imports the group modules (and fails while a group is still being written).
        if not info.name.startswith("_") and info.name != "catalogue":
            names.append(f"{invariants_pkg.__name__}.{info.name}")
    names.extend(_REGISTERING_PACKAGES)
    for name in names:
        importlib.import_module(name)
    return tuple(names)


# -- building the observation ------------------------------------------------------------------------


def default_request(profile_name: str, mode: Mode, features: frozenset[str]) -> dict[str, Any]:
    """The basic request a scenario with these features sends."""
    profile = load_profile(profile_name)
    body: dict[str, Any] = {
        "model": profile.default_model,
        "messages": [{"role": "user", "content": BASIC_PROMPT}],
        "max_tokens": 64,
    }
    if mode is Mode.STREAM:
        body["stream"] = True
        if "include_usage" in features:
            body["stream_options"] = {"include_usage": True}
    elif "stream_omitted" not in features and "accept_sse" not in features:
        body["stream"] = False
    return body


def _split_reads(body: bytes, how: str) -> list[bytes]:
    if how == "whole" or not body:
        return [body] if body else []
    if how == "lines":
        parts = re.split(rb"(?<=\n)|(?<=\r)(?!\n)", body)
    else:  # events: cut after every blank line (LF LF, CRLF CRLF or CR CR)
        parts = re.split(rb"(?<=\n\n)|(?<=\r\n\r\n)|(?<=\r\r)(?!\n)", body)
    return [p for p in parts if p]


def reads_from(parts: Sequence[bytes], gaps_ms: Sequence[float]) -> tuple[Read, ...]:
    """Reads with the given gaps before each (the last gap repeats)."""
    t = 0
    out = []
    for n, part in enumerate(parts):
        gap = gaps_ms[n] if n < len(gaps_ms) else gaps_ms[-1]
        t += int(gap * 1_000_000)
        out.append(Read(t_ns=t, data=part))
    return tuple(out)


def build_exchange(
    *,
    request: dict[str, Any],
    features: frozenset[str],
    status: int,
    headers: Sequence[tuple[str, str]],
    reads: Sequence[Read],
    end: EndReason = EndReason.EOF,
    end_detail: str = "",
    bounds: Bounds | None = None,
    path: str = "/v1/chat/completions",
) -> Exchange:
    """An Exchange as the capture would record it for a request with these features."""
    accept = "text/event-stream" if "accept_sse" in features else "application/json"
    req_headers = (("Content-Type", "application/json"), ("Accept", accept), ("Authorization", "<redacted>"))
    recorded = RecordedRequest("POST", FIXTURE_HOST + path, req_headers, json.dumps(request).encode())
    t_end = (reads[-1].t_ns if reads else 0) + 1_000_000
    return Exchange(
        request=recorded,
        started_at="2025-09-01T00:00:00Z",
        status=status,
        headers=tuple(headers),
        http_version="HTTP/1.1",
        reads=tuple(reads),
        t_headers_ns=0,
        t_end_ns=t_end,
        end=end,
        end_detail=end_detail,
        bounds=bounds or Bounds(),
    )


def scenario_for(case: FixtureCase) -> ScenarioInfo:
    request = deep_merge(default_request(case.profile, case.mode, case.features), case.request)
    return ScenarioInfo(
        id=f"fixture:{case.invariant_id}/{case.file}",
        mode=case.mode,
        expect=Expect.ERROR if case.error_kind else Expect.SUCCESS,
        features=case.features,
        request=request,
        error_kind=case.error_kind,
    )


def case_exchange(case: FixtureCase, body: bytes | None = None, reads: Sequence[Read] | None = None) -> Exchange:
    """The Exchange for a case: its file (or a variant body) split into reads as the case says."""
    data = case.body if body is None else body
    if reads is None:
        reads = reads_from(_split_reads(data, case.reads), case.gaps_ms)
    scenario = scenario_for(case)
    profile = load_profile(case.profile)
    return build_exchange(
        request=scenario.request,
        features=case.features,
        status=case.status,
        headers=case.effective_headers,
        reads=reads,
        end=case.end,
        end_detail=case.end_detail,
        bounds=Bounds(**case.bounds) if case.bounds else None,
        path=profile.path,
    )


def _peer_observation(case: FixtureCase) -> Observation:
    assert case.peer is not None
    mode = case.peer_mode or (Mode.NONSTREAM if case.mode is Mode.STREAM else Mode.STREAM)
    features = case.peer_features if case.peer_features is not None else case.features
    peer_case = FixtureCase(
        invariant_id=case.invariant_id,
        folder=case.folder,
        file=case.peer,
        expect="pass",
        profile=case.profile,
        mode=mode,
        features=features,
        request=case.peer_request or case.request,
        status=case.peer_status,
        headers=case.peer_headers,
    )
    return build_observation(peer_case, with_peer=False)


def build_observation(
    case: FixtureCase,
    body: bytes | None = None,
    reads: Sequence[Read] | None = None,
    exchange: Exchange | None = None,
    *,
    with_peer: bool = True,
) -> Observation:
    """The Observation the engine would give the check for this case (optionally a variant body or a real capture)."""
    peers: dict[str, Observation] = {}
    if with_peer and case.peer:
        peer = _peer_observation(case)
        peers[case.peer_name or str(peer.scenario.mode)] = peer
    return Observation(
        scenario=scenario_for(case),
        exchange=exchange if exchange is not None else case_exchange(case, body, reads),
        profile=load_profile(case.profile),
        peers=peers,
    )


# -- legal variants ------------------------------------------------------------------------------------

_Line = tuple[bytes, bytes]  # (content, line ending); the ending is b"" for an unterminated last line
_LINE = re.compile(rb"([^\r\n]*)(\r\n|\n|\r|$)")
EXTRA_FIELD = "x_conformance_extra"


def _lines(body: bytes) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    while pos < len(body):
        m = _LINE.match(body, pos)
        assert m is not None
        out.append((m.group(1), m.group(2)))
        pos = m.end()
    return out


def _eol(lines: list[_Line]) -> bytes:
    return next((eol for _, eol in lines if eol), b"\n")


def _blocks(lines: list[_Line]) -> list[list[_Line]]:
    """Lines grouped into blocks; each block ends with its blank line (the last may lack one)."""
    blocks: list[list[_Line]] = [[]]
    for line in lines:
        blocks[-1].append(line)
        if not line[0] and line[1]:
            blocks.append([])
    return [b for b in blocks if b]


def _has_data(block: list[_Line]) -> bool:
    return any(text.startswith(b"data") and text[4:5] in (b":", b"") for text, _ in block)


def _join(blocks: Iterable[list[_Line]]) -> bytes:
    return b"".join(text + eol for block in blocks for text, eol in block)


def _variant_crlf(body: bytes) -> bytes:
    return b"".join(text + (b"\r\n" if eol else b"") for text, eol in _lines(body))


def _variant_no_space(body: bytes) -> bytes:
    return b"".join((b"data:" + text[6:] if text.startswith(b"data: ") else text) + eol for text, eol in _lines(body))


def _variant_keepalive(body: bytes) -> bytes:
    lines = _lines(body)
    eol = _eol(lines)
    out: list[list[_Line]] = []
    for block in _blocks(lines):
        if _has_data(block):
            out.append([(b": keep-alive", eol), (b"", eol)])
        out.append(block)
    return _join(out)


def _with_extra_field(text: bytes) -> bytes:
    prefix = b"data: " if text.startswith(b"data: ") else b"data:"
    try:
        value = json.loads(text[len(prefix):])
    except ValueError:
        return text
    if not isinstance(value, dict):
        return text
    value[EXTRA_FIELD] = {"note": "unknown fields are legal"}
    return prefix + json.dumps(value, ensure_ascii=False).encode()


def _variant_extra_field(body: bytes) -> bytes:
    lines = _lines(body)
    return b"".join((_with_extra_field(text) if text.startswith(b"data:") else text) + eol for text, eol in lines)


def _variant_event_message(body: bytes) -> bytes:
    lines = _lines(body)
    eol = _eol(lines)
    out = []
    for block in _blocks(lines):
        out.append([(b"event: message", eol), *block] if _has_data(block) else block)
    return _join(out)


def _variant_one_byte(body: bytes) -> bytes:
    return body  # same bytes; the reads differ (see apply_variant)


VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "crlf": _variant_crlf,
    "no_space": _variant_no_space,
    "keepalive": _variant_keepalive,
    "extra_field": _variant_extra_field,
    "one_byte_reads": _variant_one_byte,
    "event_message": _variant_event_message,
}


def _uses_ids(body: bytes) -> bool:
    return any(text == b"id" or text.startswith(b"id:") for text, _ in _lines(body))


# Variants an invariant judges itself, so they are not legal background for its pass cases.
# A value is a set of variant names, or a function of the case body giving that set.
VARIANT_EXCLUSIONS: dict[str, frozenset[str] | Callable[[bytes], frozenset[str]]] = {
    "FRAME-004": lambda body: frozenset({"keepalive"}) if _uses_ids(body) else frozenset(),
    "FRAME-005": frozenset({"no_space"}),
    "FRAME-006": frozenset({"crlf"}),
    "FRAME-007": frozenset({"event_message"}),
}


def variants_for(case: FixtureCase) -> list[str]:
    """Legal variants a pass case also runs under."""
    if case.expect != "pass" or not case.variants or not case.is_stream_body:
        return []
    excluded = VARIANT_EXCLUSIONS.get(case.invariant_id, frozenset())
    if callable(excluded):
        excluded = excluded(case.body)
    return [name for name in VARIANTS if name not in excluded and name not in case.exclude_variants]


def apply_variant(case: FixtureCase, variant: str | None) -> tuple[bytes, tuple[Read, ...] | None]:
    """The variant body and, for the 1-byte variant, its reads (None: split as the case says)."""
    body = case.body
    if variant is None:
        return body, None
    new_body = VARIANTS[variant](body)
    if variant == "one_byte_reads":
        return new_body, reads_from([new_body[i:i + 1] for i in range(len(new_body))], (0.001,))
    return new_body, None


# -- running -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseResult:
    """What the check concluded: its violations, or why it could not judge."""

    violations: tuple[Violation, ...]
    not_applicable: str | None = None

    def describe(self) -> str:
        if self.not_applicable is not None:
            return f"NotApplicable: {self.not_applicable}"
        if not self.violations:
            return "no violations"
        return "\n".join(f"- {v.render()}" for v in self.violations)


def _applies(inv: Invariant, obs: Observation) -> str | None:
    """Why the engine would never run this invariant on the case (None when it would)."""
    sc = obs.scenario
    if sc.mode not in inv.modes:
        return f"mode {sc.mode} not in {sorted(str(m) for m in inv.modes)}"
    if sc.expect is not inv.expect:
        return f"scenario expects {sc.expect}, invariant applies to {inv.expect}"
    missing = inv.requires - sc.features
    if missing:
        return f"scenario lacks required feature(s) {sorted(missing)}"
    if inv.profiles is not None and obs.profile.name not in inv.profiles:
        return f"profile {obs.profile.name} not in {sorted(inv.profiles)}"
    return None


def run_case(case: FixtureCase, variant: str | None = None, exchange: Exchange | None = None) -> CaseResult:
    """Run the case's invariant on the case (or a variant of it, or a real capture of it)."""
    ensure_registered()
    if case.invariant_id not in registry:
        raise FixtureError(f"{case.folder}: no registered invariant {case.invariant_id!r}")
    inv = registry[case.invariant_id]
    body, reads = apply_variant(case, variant)
    obs = build_observation(case, body, reads, exchange)
    why_not = _applies(inv, obs)
    if why_not is not None:
        raise FixtureError(f"{case.test_id}: the engine would never run {inv.id} here: {why_not}")
    try:
        return CaseResult(tuple(inv.check(obs)))
    except NotApplicable as exc:
        return CaseResult((), str(exc) or "NotApplicable")


def assert_case(case: FixtureCase, variant: str | None = None, exchange: Exchange | None = None) -> CaseResult:
    """Run the case and assert the verdict it declares."""
    result = run_case(case, variant, exchange)
    label = f"{case.test_id}" + (f" [variant {variant}]" if variant else "") + (f" ({case.note})" if case.note else "")
    if case.expect == "skip":
        assert result.not_applicable is not None, f"{label}: expected NotApplicable, got {result.describe()}"
        return result
    assert result.not_applicable is None, f"{label}: no verdict on a {case.expect} case: " + result.describe()
    if case.expect == "pass":
        assert not result.violations, f"{label}: expected no violations, got:\n{result.describe()}"
    else:
        assert result.violations, f"{label}: expected at least one violation, got none"
        if case.match is not None:
            texts = [v.render() for v in result.violations]
            assert any(case.match in t for t in texts), (
                f"{label}: no violation mentions {case.match!r}:\n{result.describe()}"
            )
    return result


def case_params(cases: Iterable[FixtureCase], with_variants: bool = True) -> list[tuple[FixtureCase, str | None]]:
    """(case, variant) pairs: each case once plus, for pass cases, each legal variant."""
    out: list[tuple[FixtureCase, str | None]] = []
    for case in cases:
        out.append((case, None))
        if with_variants:
            out.extend((case, v) for v in variants_for(case))
    return out
