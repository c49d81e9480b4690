"""What an invariant is: data (id, rule, severity, sources, scope) plus one pure check function."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._observation import Observation

__all__ = ["Expect", "Invariant", "Mode", "NotApplicable", "Severity", "Source", "Violation"]


class Severity(enum.StrEnum):
    """MUST breaks the wire contract or the official SDK; SHOULD breaks common clients; INFO records."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    INFO = "INFO"


class Mode(enum.StrEnum):
    STREAM = "stream"
    NONSTREAM = "nonstream"


class Expect(enum.StrEnum):
    """What the scenario expects the provider to do with the request."""

    SUCCESS = "success"  # a documented-valid request: HTTP 200
    ERROR = "error"  # an invalid request: a 4xx with the error envelope


# Where a rule comes from. `doc` is one of the keys below; `locator` points inside it.
SOURCE_DOCS = {
    "seed-000": "specs/sources/000_0dc53068686a7804.txt (apifox export, Ark-style reseller)",
    "seed-001": "specs/sources/001_ef37b8672af16dd8.txt (rendered docs page, Ark-style reseller)",
    "seed-002": "specs/sources/002_960365534726db65.txt (apidog export of DeepSeek's API reference)",
    "seed-003": "specs/sources/003_73267c7326552723.txt (reseller docs site, budget_tokens)",
    "seed-004": "specs/sources/004_b6c382789f63e5df.txt (hand-written OpenAPI 3.1 file)",
    "canonical": "specs/normalized/canonical.yaml (the merged DeepSeek V3.1 contract)",
    "openai-openapi": "openai/openai-openapi openapi.yaml @f85dbe2",
    "openai-python": "openai/openai-python src/openai (the de-facto client)",
    "whatwg-sse": "https://html.spec.whatwg.org/multipage/server-sent-events.html",
    "deepseek-docs": "https://api-docs.deepseek.com (V3.1-era guides)",
    "rfc9110": "RFC 9110 HTTP Semantics",
}


@dataclass(frozen=True, slots=True)
class Source:
    """A citation: a document key from SOURCE_DOCS, a locator inside it, and an optional short quote."""

    doc: str
    locator: str
    quote: str | None = None

    def __str__(self) -> str:
        return f"{self.doc}: {self.locator}"


@dataclass(frozen=True, slots=True)
class Violation:
    """One finding: what the contract expects, what was received, and where."""

    expected: str
    received: str
    event_index: int | None = None  # index of the offending SSE event, when there is one

    def render(self) -> str:
        where = f" (event #{self.event_index})" if self.event_index is not None else ""
        return f"Expected: {self.expected}\nReceived: {self.received}{where}"


class NotApplicable(Exception):
    """Raised by a check when the observation cannot be judged by it (the result is `skip`)."""


CheckFn = Callable[["Observation"], Iterable[Violation]]


@dataclass(frozen=True, slots=True)
class Invariant:
    """A rule of the contract.

    It applies to an observation when the scenario's mode is in `modes`, its `expect` matches,
    every feature in `requires` is present, and the profile passes `profiles` (None = every
    profile). Profile-specific expectations live in the profile data, which the check reads.
    """

    id: str
    rule: str
    severity: Severity
    group: str
    sources: tuple[Source, ...]
    check: CheckFn
    requires: frozenset[str] = frozenset()
    modes: frozenset[Mode] = frozenset({Mode.STREAM, Mode.NONSTREAM})
    expect: Expect = Expect.SUCCESS
    profiles: frozenset[str] | None = None
    stochastic: bool = False  # judged over repetitions (pass@k / pass^k), model behaviour

    @property
    def doc(self) -> str:
        return (self.check.__doc__ or "").strip()
