"""A whole run: several providers concurrently, one verdict each, `results.json` written atomically."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._version import __version__
from ..invariants import Expect, Invariant, Mode, registry
from ..providers._config import ProviderConfig
from ..providers._profile import Profile
from ..scenarios import SCENARIOS, RequestSpec, Scenario
from ._results import ProviderResult, RunResult, write_json_atomic
from ._session import ProviderSession

__all__ = [
    "RunOptions",
    "generated_scenarios",
    "load_all_invariants",
    "run_suite",
    "scenarios_for",
    "select_invariants",
]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Everything a run is parameterised by (the CLI flags and the pytest options map onto this)."""

    out_dir: Path | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    repeat: int = 3
    min_pass_rate: float = 1.0  # for stochastic invariants over the tries; 1.0 means pass^k
    seed: int = 0
    quick: bool = False
    cases: int = 6  # schema-generated cases per kind (positive, negative); 0 disables them
    budget_tokens: int | None = None  # overrides every provider's budget
    progress: Callable[[str, dict[str, Any]], None] | None = field(default=None, compare=False)
    stop: threading.Event | None = field(default=None, compare=False)  # set by Ctrl-C: send nothing more

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "only": list(self.only),
            "skip": list(self.skip),
            "repeat": self.repeat,
            "min_pass_rate": self.min_pass_rate,
            "quick": self.quick,
            "cases": self.cases,
            "budget_tokens": self.budget_tokens,
        }
        if self.cases:
            from ..cases import generator_info

            out["generator"] = generator_info()  # the seed reproduces cases only with these versions
        return out


def load_all_invariants() -> None:
    """Import every module that registers invariants (the single registration trigger)."""
    from .. import cases  # noqa: F401 - registers CASE-*
    from ..invariants import catalogue  # noqa: F401


def select_invariants(only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[Invariant]:
    load_all_invariants()
    return registry.select(only, skip)


def generated_scenarios(profile: Profile, *, seed: int, count: int) -> list[Scenario]:
    """Schema-generated request cases as scenarios (deterministic for a seed)."""
    if count <= 0:
        return []
    from ..cases import case_features, generate_cases

    out: list[Scenario] = []
    for case in generate_cases(profile, seed=seed, max_cases=count * 2):  # `count` per kind
        positive = case.kind == "positive"
        out.append(
            Scenario(
                id=f"case-{case.id}",
                description=case.description or f"schema-generated {case.kind} case",
                mode=Mode.STREAM if case.stream else Mode.NONSTREAM,
                features=case_features(case),
                build=_case_builder(case.body, case.payload(), case.headers),
                expect=Expect.SUCCESS if positive else Expect.ERROR,
                error_kind=None if positive else "invalid_param",
            )
        )
    return out


def _case_builder(body: Any, payload: bytes, headers: dict[str, str]) -> Callable[[Profile], RequestSpec]:
    """A generated case goes out byte for byte as its curl reproducer shows it."""

    def build(_profile: Profile) -> RequestSpec:
        return RequestSpec(body=body if isinstance(body, dict) else None, raw_body=payload, headers=dict(headers))

    return build


def scenarios_for(profile: Profile, options: RunOptions) -> list[Scenario]:
    chosen = [s for s in SCENARIOS if s.quick] if options.quick else list(SCENARIOS)
    count = min(options.cases, 2) if options.quick else options.cases
    return chosen + generated_scenarios(profile, seed=options.seed, count=count)


def run_provider(config: ProviderConfig, invariants: Sequence[Invariant], options: RunOptions) -> ProviderResult:
    if options.budget_tokens is not None:
        config = dataclasses.replace(config, budget_tokens=options.budget_tokens)
    profile = config.resolved_profile()
    with ProviderSession(
        config,
        invariants=invariants,
        scenarios=scenarios_for(profile, options),
        out_dir=options.out_dir,
        repeat=options.repeat,
        min_pass_rate=options.min_pass_rate,
        progress=options.progress,
        stop=options.stop,
    ) as session:
        return session.run()


def run_suite(providers: Sequence[ProviderConfig], options: RunOptions) -> RunResult:
    """Run every provider concurrently and write `results.json` (when `out_dir` is set)."""
    invariants = select_invariants(options.only, options.skip)
    started = _now()
    stop = options.stop if options.stop is not None else threading.Event()
    options = dataclasses.replace(options, stop=stop)
    interrupted = False
    with ThreadPoolExecutor(max_workers=max(1, len(providers))) as pool:
        futures = [pool.submit(run_provider, c, invariants, options) for c in providers]
        try:
            results = [f.result() for f in futures]
        except KeyboardInterrupt:
            # Stop sending; in-flight captures end within their bounds; keep everything judged so far.
            stop.set()
            interrupted = True
            results = [f.result() for f in futures]
    run = RunResult(
        tool_version=__version__,
        started_at=started,
        finished_at=_now(),
        seed=options.seed,
        providers=results,
        options={**options.public(), **({"interrupted": True} if interrupted else {})},
    )
    if interrupted:
        for prov in run.providers:
            prov.notes.append("run interrupted: scenarios not yet sent are reported as errors, never as passes")
    if options.out_dir is not None:
        write_json_atomic(options.out_dir / "results.json", run.to_json())
    return run


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
