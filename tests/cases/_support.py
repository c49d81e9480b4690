"""Generated cases shared by the test modules of this folder (generation costs ~2 s per profile)."""

from __future__ import annotations

from conformance.cases import GeneratedCase, generate_cases
from conformance.providers import load_profile

SEED = 20250901
MAX_CASES = 30
MAX_TOKENS = 8

_CACHE: dict[str, tuple[list[GeneratedCase], float]] = {}


def shared_cases(name: str) -> tuple[list[GeneratedCase], float]:
    """The cases of one profile at the shared seed, and the seconds generating them took."""
    if name not in _CACHE:
        import time

        started = time.perf_counter()
        cases = generate_cases(load_profile(name), seed=SEED, max_cases=MAX_CASES, max_tokens=MAX_TOKENS)
        _CACHE[name] = (cases, time.perf_counter() - started)
    return _CACHE[name]
