"""Re-judge a previous run from its captures alone: no network, same verdict functions."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._version import __version__
from ..capture._cassette import load_cassette
from ..engine._results import CheckResult, ProviderResult, RunResult
from ..engine._run import select_invariants
from ..engine._session import _aggregate, _judge_one, _safe, apply_expectation, observation_from_cassette
from ..invariants import Observation
from ..providers import load_profile
from ..scenarios import SCENARIOS
from ._compare import load_results

__all__ = ["replay_run"]


def replay_run(run_dir: Path) -> RunResult:
    """Rebuild every observation from `run_dir/captures` and judge the current catalogue on it."""
    original = load_results(run_dir / "results.json")
    invariants = select_invariants()
    peers = {s.id: s.peer for s in SCENARIOS if s.peer}
    providers: list[ProviderResult] = []
    for prov in original["providers"]:
        profile = load_profile(prov["profile"])
        cap_dir = run_dir / "captures" / _safe(prov["name"])
        observed: dict[str, list[tuple[Observation, str]]] = defaultdict(list)
        for path in sorted(cap_dir.glob("*.json")):
            exchange, meta = load_cassette(path)
            obs = observation_from_cassette(exchange, meta, profile)
            observed[obs.scenario.id].append((obs, path.relative_to(run_dir).as_posix()))
        for sid, peer_id in peers.items():
            for i, (obs, _) in enumerate(observed.get(sid, [])):
                others = observed.get(peer_id, [])
                if others:
                    other = others[min(i, len(others) - 1)][0]
                    obs.peers = {str(other.scenario.mode): other}
        result = ProviderResult(
            name=prov["name"],
            base_url=prov["base_url"],
            profile=prov["profile"],
            model=prov["model"],
            requests=prov["spend"]["requests"],
            prompt_tokens=prov["spend"]["prompt_tokens"],
            completion_tokens=prov["spend"]["completion_tokens"],
            notes=[f"replayed offline from {run_dir}"],
        )
        for sid, items in observed.items():
            info = items[0][0].scenario
            for inv in invariants:
                if not (
                    info.mode in inv.modes
                    and info.expect is inv.expect
                    and inv.requires <= info.features
                    and (inv.profiles is None or profile.name in inv.profiles)
                ):
                    continue
                check = CheckResult(id=inv.id, severity=str(inv.severity), group=inv.group, status="skip", scenario=sid)
                outcomes: list[Any] = [(*_judge_one(inv, obs), ev) for obs, ev in items]
                result.checks.append(apply_expectation(_aggregate(check, inv, outcomes), profile))
        providers.append(result)
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return RunResult(
        tool_version=__version__,
        started_at=original["started_at"],
        finished_at=now,
        seed=original["seed"],
        providers=providers,
        options={"replayed_from": str(run_dir)},
    )

