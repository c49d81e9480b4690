"""Deterministic, bounded case generation with schemathesis' strategies and a seeded Hypothesis run.

Schemathesis draws bodies (positive: valid under the narrowed document; negative: one or more
mutations of it, with a description of each) and this module decides what is kept: a positive
body after repairing the cross-field rules, when it is documented-valid; a negative body when it
really is invalid under the canonical schema and the profile's limits. Determinism comes from
Hypothesis' `@seed` with no example database, no shrinking and no explicit examples, so the same
seed gives the same bodies on every run and machine; nothing reads the wall clock.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..providers._profile import Profile
from ._document import FIELD_ORDER, JSON_MESSAGES, WEATHER_MESSAGES, generation_document
from ._model import KINDS, GeneratedCase
from ._validity import document_problems, request_problems

__all__ = ["generate_cases", "generator_info", "repair_positive"]

_ROUNDS = 6  # seeded Hypothesis runs per kind before giving up on filling the pool
_POOL_FACTOR = 3  # candidates drawn per case kept
_PREFIX = {"positive": "pos", "negative": "neg"}
_INDEX = re.compile(r"[.]\d+")  # array indices in a problem's path: messages.2.role -> messages.*.role
_lock = threading.Lock()  # Hypothesis runs one @given at a time per thread; serialise ours to be safe


def generator_info() -> dict[str, str]:
    """The versions that decide which bodies a seed yields; record them next to the seed in results.

    The same seed gives the same cases for the same versions of these packages and of the profile's
    document; a schemathesis or Hypothesis upgrade may change the draws.
    """
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("schemathesis", "hypothesis"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover - both are dependencies
            out[package] = "unknown"
    return out


def _derived_seed(seed: int, kind: str, round_no: int) -> int:
    # A stable hash, not Python's hash(): identical on every process and PYTHONHASHSEED.
    digest = hashlib.sha256(f"{seed}:{kind}:{round_no}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _split(total: int, kinds: Sequence[str]) -> dict[str, int]:
    """`total` cases shared out between the kinds; the first kinds get the remainder."""
    base, extra = divmod(total, len(kinds))
    return {kind: base + (1 if i < extra else 0) for i, kind in enumerate(kinds)}


def _carries(body: Any, patch: dict[str, Any]) -> bool:
    """Every leaf of `patch` is in `body` (extra keys such as a thinking budget do not matter)."""
    if not isinstance(body, dict):
        return False
    return all(_carries(body.get(k), v) if isinstance(v, dict) else k in body and body[k] == v
               for k, v in patch.items())


def _thinking_on(body: dict[str, Any], profile: Profile) -> bool:
    """The body switches thinking on (or to auto, which may think)."""
    control = profile.thinking
    return any(patch and _carries(body, patch) for patch in (control.on, control.auto))


_INTEGER_FIELDS = ("max_tokens", "top_logprobs", "seed", "n")


def _integral_floats_to_ints(body: dict[str, Any], profile: Profile, keep: frozenset[str]) -> None:
    """561.0 -> 561 in integer fields. JSON Schema counts 561.0 as an integer, and Hypothesis draws it,
    but typed servers (serde, strict pydantic) reject it, and the documents mean a plain integer."""
    paths: list[tuple[str, ...]] = [(name,) for name in _INTEGER_FIELDS]
    if profile.thinking.budget_field:
        paths.append(tuple(profile.thinking.budget_field.split(".")))
    for path in paths:
        if path[0] in keep:
            continue
        node: Any = body
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            value = node.get(path[-1])
            if isinstance(value, float) and value.is_integer():
                if node is not body:  # never mutate a nested dict the caller still holds
                    node = dict(node)
                    body[path[0]] = node
                node[path[-1]] = int(value)


def repair_positive(body: dict[str, Any], profile: Profile, max_tokens: int,
                    keep: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Apply the rules between fields that a schema draw does not respect; fields in `keep` stay as drawn.

    - the model is the profile's chat model and max_tokens is clamped into [1, max_tokens];
    - thinking on or auto drops logprobs and tools (V3.1 thinking mode documents neither);
    - top_logprobs turns logprobs on; stream_options needs stream true; a budget needs thinking
      enabled; tool_choice needs tools;
    - tools get the weather prompt and json_object the JSON prompts, so the request makes sense.
    """
    out = dict(body)

    def drop(*names: str) -> None:
        for name in names:
            if name not in keep:
                out.pop(name, None)

    if "model" not in keep:
        out["model"] = profile.default_model
    _integral_floats_to_ints(out, profile, keep)
    tokens = out.get("max_tokens")
    if "max_tokens" not in keep and (not isinstance(tokens, int) or isinstance(tokens, bool)
                                     or not 1 <= tokens <= max_tokens):
        out["max_tokens"] = max_tokens if not isinstance(tokens, int) or isinstance(tokens, bool) else (
            min(max(tokens, 1), max_tokens))
    if _thinking_on(out, profile):
        drop("logprobs", "top_logprobs", "tools", "tool_choice")
    if out.get("top_logprobs") is not None and out.get("logprobs") is not True and "logprobs" not in keep:
        out["logprobs"] = True
    if out.get("stream") is not True:
        drop("stream_options")
    thinking = out.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") != "enabled" and "thinking" not in keep:
        out["thinking"] = {k: v for k, v in thinking.items() if k == "type"}
    if not out.get("tools"):
        drop("tool_choice")
    if "messages" not in keep:
        response_format = out.get("response_format")
        if isinstance(response_format, dict) and response_format.get("type") == "json_object":
            out["messages"] = [dict(m) for m in JSON_MESSAGES]
        elif out.get("tools"):
            out["messages"] = [dict(m) for m in WEATHER_MESSAGES]
    return out


def _json_text(value: Any) -> str | None:
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None


_OPERATIONS: dict[tuple[Any, ...], Any] = {}


def _operation(profile: Profile, max_tokens: int) -> Any:
    """The schemathesis operation for the narrowed document (cached: loading costs ~0.2 s)."""
    key = (profile.spec, profile.path, profile.default_model, max_tokens, tuple(sorted(profile.features)),
           tuple(sorted(profile.limits.items())), repr(profile.thinking))
    if key not in _OPERATIONS:
        import schemathesis
        from schemathesis.config import SchemathesisConfig

        # An explicit config: never pick up a schemathesis.toml from the working directory.
        schema = schemathesis.openapi.from_dict(generation_document(profile, max_tokens), config=SchemathesisConfig())
        schema.config.generation.update(allow_x00=False, codec="utf-8", with_security_parameters=False,
                                        database="none")
        _OPERATIONS[key] = schema[profile.path]["POST"]
    return _OPERATIONS[key]


def _mutated_roots(case: Any) -> frozenset[str] | None:
    """Top-level body fields a negative case mutated; None when it mutated the body as a whole."""
    data = case.meta.phase.data if case.meta is not None else None
    roots: set[str] = set()
    for mutation in getattr(data, "mutations", ()) or ():
        path = list(mutation.path or [])
        if not path:
            return None
        roots.add(str(path[0]))
    return frozenset(roots)


def _only_body_negated(case: Any) -> bool:
    from schemathesis.core.parameters import ParameterLocation

    meta = case.meta
    if meta is None:
        return False
    negated = {loc for loc, info in meta.components.items() if info.mode.is_negative}
    return negated == {ParameterLocation.BODY}


def _accept(case: Any, kind: str, profile: Profile, max_tokens: int) -> tuple[Any, str] | None:
    """The body to keep and its description, or None to drop the drawn case."""
    body = case.body
    if isinstance(body, bytes | bytearray) or _json_text(body) is None:
        return None  # raw bytes: malformed JSON has its own scenario (bad_json)
    if kind == "positive":
        if not isinstance(body, dict):
            return None
        fixed = repair_positive(body, profile, max_tokens)
        valid = not request_problems(fixed, profile) and not document_problems(fixed, profile)
        return (fixed, "") if valid else None
    if not _only_body_negated(case):
        return None  # header, query or path mutations are not about the request body
    roots = _mutated_roots(case)
    if isinstance(body, dict) and roots is not None:
        body = repair_positive(body, profile, max_tokens, keep=roots)
    problems = request_problems(body, profile)
    if not problems:
        return None  # the mutation is still documented-valid (e.g. another model id, a longer max_tokens)
    return body, "; ".join(problems[:3]) + (f"; +{len(problems) - 3} more" if len(problems) > 3 else "")


@contextmanager
def _without_local_constants() -> Iterator[None]:
    """Keep Hypothesis from mixing string and number literals of the loaded local modules into draws.

    Hypothesis (>= 6.131) draws, now and then, constants harvested from every imported module that
    is not in site-packages, i.e. from this project. Which of its modules are imported differs
    between `conformance run`, the pytest plugin and a test run, and every edit to a literal would
    shift the draws; either breaks "same seed, same cases". Hypothesis has no switch for it, so the
    harvest is replaced by an empty pool for the duration of our run and its cache is cleared on
    both sides (it is a cache, so clearing it is harmless to other Hypothesis users).
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without the feature
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)
    constants_cls = getattr(providers, "Constants", None)
    if original is None or cache is None or constants_cls is None:  # pragma: no cover - layout changed
        yield
        return
    empty = constants_cls()
    providers._get_local_constants = lambda: empty
    cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.clear()


def _run(operation: Any, kind: str, seed: int, examples: int, take: Callable[[Any], None]) -> None:
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as fixed_seed
    from schemathesis import GenerationMode
    from schemathesis.generation.feedback import NO_FEEDBACK

    mode = GenerationMode.POSITIVE if kind == "positive" else GenerationMode.NEGATIVE
    strategy = operation.as_strategy(mode, feedback=NO_FEEDBACK)

    @settings(max_examples=examples, database=None, deadline=None, derandomize=False, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, report_multiple_bugs=False,
              print_blob=False)
    @fixed_seed(seed)
    @given(strategy)
    def draw(case: Any) -> None:
        take(case)

    with _without_local_constants():
        draw()


def generate_cases(profile: Profile, *, seed: int, max_cases: int, max_tokens: int = 8,
                   kinds: Sequence[str] = KINDS) -> list[GeneratedCase]:
    """Up to `max_cases` request cases for `profile`, the same ones for the same arguments.

    The cases are shared out between `kinds` (positive first). Positive bodies are valid under the
    canonical request schema, the profile's limits and the cross-field rules, with `max_tokens` in
    [1, max_tokens]; negative bodies are invalid, each with a description of why. Fewer cases come
    back only when the document cannot produce that many distinct ones.
    """
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be a non-empty selection of {KINDS}, got {list(kinds)}")
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    if max_cases <= 0:
        return []
    kinds = list(dict.fromkeys(kinds))
    quotas = _split(max_cases, kinds)
    cases: list[GeneratedCase] = []
    with _lock:
        operation = _operation(profile, max_tokens)
        for kind in kinds:
            cases += _generate_kind(operation, profile, kind, seed, quotas[kind], max_tokens)
    return cases


def _signature(description: str) -> str:
    """What a negative case breaks, without the values: "temperature (maximum 2); model (type string)"."""
    parts = []
    for line in description.split("; "):
        where, _, rest = line.partition(": ")
        reason = rest.rsplit(" (", 1)[-1] if " (" in rest else rest
        parts.append(f"{_INDEX.sub('.*', where)} ({reason}")
    return "; ".join(sorted(parts))


def _ordered(body: Any) -> Any:
    """The body with the usual fields first (model, messages, max_tokens, ...), for readable reports."""
    if not isinstance(body, dict):
        return body
    rank = {name: i for i, name in enumerate(FIELD_ORDER)}
    return {k: body[k] for k in sorted(body, key=lambda k: (rank.get(k, len(rank)), k))}


def _traits(body: Any, description: str) -> frozenset[str]:
    """What a case exercises, for picking a varied few: the fields it sets and the forms of their values
    (positive), or the kinds of breakage (negative)."""
    if description:
        signature = _signature(description)
        return frozenset([*signature.split("; "), "combination:" + signature])
    traits: set[str] = set()
    for key, value in body.items():
        if key in {"model", "max_tokens"}:
            continue
        if key == "messages":
            traits.add(f"messages:{len(value)}:{value[0].get('role')}")
        elif value is None:
            traits.add(f"{key}=null")
        elif isinstance(value, bool) or (isinstance(value, str) and key == "tool_choice"):
            traits.add(f"{key}={value}")
        elif isinstance(value, dict):
            traits.add(key)
            traits.update(f"{key}.{k}={v}" if isinstance(v, str | bool) else f"{key}.{k}" for k, v in value.items())
        else:
            traits.add(f"{key}:{type(value).__name__}")
    return frozenset(traits)


def _select(pool: list[tuple[Any, str]], quota: int) -> list[tuple[Any, str]]:
    """Up to `quota` cases: greedily the one adding the most not-yet-covered traits (earliest on ties),
    then the rest in draw order. The first cases are the most informative, which matters when a
    budget stops a run early."""
    traits = [_traits(body, description) for body, description in pool]
    covered: set[str] = set()
    chosen: list[int] = []
    remaining = list(range(len(pool)))
    while remaining and len(chosen) < quota:
        best = max(remaining, key=lambda i: (len(traits[i] - covered), -i))
        if not traits[best] - covered:
            break
        chosen.append(best)
        covered |= traits[best]
        remaining.remove(best)
    chosen += remaining[: quota - len(chosen)]
    return [pool[i] for i in chosen]


def _generate_kind(operation: Any, profile: Profile, kind: str, seed: int, quota: int,
                   max_tokens: int) -> list[GeneratedCase]:
    # Draw a pool a few times larger than the quota, then pick a varied subset of it.
    target = max(10, _POOL_FACTOR * quota)
    pool: dict[str, tuple[Any, str]] = {}  # canonical JSON -> (body, description), in draw order

    def take(case: Any) -> None:
        if len(pool) >= target:
            return
        accepted = _accept(case, kind, profile, max_tokens)
        if accepted is not None:
            text = _json_text(accepted[0])
            if text is not None and text not in pool:
                pool[text] = accepted

    for round_no in range(_ROUNDS):
        if len(pool) >= target:
            break
        _run(operation, kind, _derived_seed(seed, kind, round_no), max(10, 2 * (target - len(pool))), take)
    out = []
    for number, (body, description) in enumerate(_select(list(pool.values()), quota), start=1):
        stream = isinstance(body, dict) and body.get("stream") is True
        out.append(GeneratedCase(id=f"{_PREFIX[kind]}-{number:04d}", kind=kind, body=_ordered(body), headers={},
                                 description=description, stream=stream))
    return out
