"""One provider under test: plan the checks, capture each scenario once, judge every invariant.

This is the single engine behind both the CLI and the pytest plugin. Planning needs no network;
observations are captured lazily per scenario (and cached), so a pytest worker only sends the
requests its own tests need. Every request passes the pacing, retry and budget gate here.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ..capture import Exchange
from ..capture._capture import capture
from ..capture._cassette import load_cassette, save_cassette
from ..cases import RateLimiter, curl_command, retry_after_seconds
from ..invariants import Expect, Invariant, NotApplicable, Observation, ScenarioInfo, Violation
from ..providers._config import ProviderConfig
from ..providers._profile import Profile
from ..scenarios import Scenario
from ._results import CheckResult, ProviderResult

__all__ = ["WRONG_KEY", "PlannedCheck", "ProviderSession"]

WRONG_KEY = "sk-conformance-wrong-key-0000"
_RETRY_STATUSES = (429, 503)
_MAX_RETRY_WAIT_S = 30.0


@dataclass(frozen=True, slots=True)
class PlannedCheck:
    """An invariant that applies to a scenario for this provider's profile."""

    invariant: Invariant
    scenario: Scenario
    skip_reason: str | None = None


@dataclass(slots=True)
class _Observed:
    observations: list[Observation]
    evidence: list[str | None]
    skipped: str | None = None  # the scenario was not sent (budget reached, ...)
    reproducer: str | None = None


class ProviderSession:
    """Runs the suite against one provider."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        invariants: Sequence[Invariant],
        scenarios: Sequence[Scenario],
        out_dir: Path | None = None,
        repeat: int = 1,
        min_pass_rate: float = 1.0,
        shared_dir: Path | None = None,
        api_key: str | None = None,
        progress: Callable[[str, dict[str, Any]], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.config = config
        self.profile: Profile = config.resolved_profile()
        self.invariants = list(invariants)
        self.scenarios = {s.id: s for s in scenarios}
        self.out_dir = out_dir
        self.repeat = max(1, repeat)
        self.min_pass_rate = min_pass_rate
        # Processes that run the same provider (pytest-xdist workers) share observations here, so each
        # scenario is sent once whichever worker needs it first.
        self.shared_dir = shared_dir
        self._api_key = api_key if api_key is not None else config.api_key()
        self._secrets = tuple(s for s in (self._api_key, WRONG_KEY) if s)
        self._progress = progress
        self._stop = stop if stop is not None else threading.Event()  # set: send nothing more (Ctrl-C)
        self._cache: dict[str, _Observed] = {}
        self._locks: dict[str, threading.Lock] = {sid: threading.Lock() for sid in self.scenarios}
        self._spend_lock = threading.Lock()
        self._limiter = RateLimiter(config.rate_limit) if config.rate_limit else None
        self._client = httpx.Client(
            limits=httpx.Limits(max_connections=max(2, config.concurrency * 2)),
            follow_redirects=False,
            trust_env=False,
        )
        self.result = ProviderResult(
            name=config.name,
            base_url=config.base_url,
            profile=self.profile.name,
            model=self.profile.default_model,
        )

    def retarget(self, base_url: str, api_key: str | None) -> None:
        """Point the session at another base URL and key before anything was sent (the plugin's lazy reference)."""
        self.config = dataclasses.replace(self.config, base_url=base_url)
        self.result.base_url = base_url
        self._api_key = api_key
        self._secrets = tuple(s for s in (api_key, WRONG_KEY) if s)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ProviderSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- planning (no network) -------------------------------------------------------------------

    def plan(self) -> list[PlannedCheck]:
        """Every (invariant, scenario) pair that applies to this provider's profile."""
        planned: list[PlannedCheck] = []
        for sc in self.scenarios.values():
            reason = sc.skip_reason(self.profile)
            for inv in self.invariants:
                if sc.feeds(inv, self.profile):
                    planned.append(PlannedCheck(inv, sc, reason))
        return planned

    # -- observing -------------------------------------------------------------------------------

    def observe(self, scenario_id: str) -> _Observed:
        """Capture a scenario (and its peer) once; later calls return the cached observations."""
        with self._locks[scenario_id]:
            cached = self._cache.get(scenario_id)
            if cached is not None:
                return cached
            sc = self.scenarios[scenario_id]
            observed = self._observe_shared(sc) if self.shared_dir is not None else self._capture_scenario(sc)
            if sc.peer and sc.peer in self.scenarios and observed.observations:
                peer = self.observe(sc.peer)
                for i, obs in enumerate(observed.observations):
                    if peer.observations:
                        other = peer.observations[min(i, len(peer.observations) - 1)]
                        obs.peers = {str(other.scenario.mode): other}
            self._cache[scenario_id] = observed
            return observed

    def _observed(self, planned: PlannedCheck) -> bool:
        """Whether the scenario was already captured (its verdict needs no request)."""
        with self._locks[planned.scenario.id]:
            return planned.scenario.id in self._cache

    def _observe_shared(self, sc: Scenario) -> _Observed:
        """Capture a scenario once across processes: the first takes the lock and sends, the rest load."""
        assert self.shared_dir is not None
        self.shared_dir.mkdir(parents=True, exist_ok=True)
        stem = self.shared_dir / f"{_safe(self.config.name)}--{_safe(sc.id)}"
        with open(f"{stem}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
            index = Path(f"{stem}.json")
            if index.exists():
                return self._load_shared(index)
            observed = self._capture_scenario(sc)
            cassettes = []
            for k, obs in enumerate(observed.observations):
                path = Path(f"{stem}.try{k + 1}.cassette.json")
                save_cassette(path, obs.exchange, _cassette_meta(self.config, self.profile, obs.scenario))
                cassettes.append(path.name)
            index.write_text(
                json.dumps(
                    {
                        "cassettes": cassettes,
                        "evidence": observed.evidence,
                        "skipped": observed.skipped,
                        "reproducer": observed.reproducer,
                    }
                )
            )
            return observed

    def _load_shared(self, index: Path) -> _Observed:
        data = json.loads(index.read_text())
        observations = []
        for name in data["cassettes"]:
            exchange, meta = load_cassette(index.parent / name)
            observations.append(observation_from_cassette(exchange, meta, self.profile))
            if exchange.end.unreachable:
                self.result.unreachable = True
        return _Observed(observations, data["evidence"], skipped=data["skipped"], reproducer=data["reproducer"])

    def _capture_scenario(self, sc: Scenario) -> _Observed:
        spec = sc.build(self.profile)
        info = ScenarioInfo(
            id=sc.id,
            mode=sc.mode,
            expect=sc.expect_for(self.profile),
            features=sc.features,
            request=spec.body if isinstance(spec.body, dict) else {},
            error_kind=sc.error_kind,
        )
        tries = self.repeat if sc.repeatable else 1
        observations: list[Observation] = []
        evidence: list[str | None] = []
        auth: bool | str = (
            WRONG_KEY
            if spec.auth == "wrong"
            else (spec.auth == "valid" and (self.profile.auth_required or bool(self._api_key)))
        )
        reproducer = curl_command(
            self.config.base_url + self.profile.path,
            spec.payload(),
            {**self.config.headers, **spec.headers},
            self.config.api_key_env,
            auth=auth,
        )
        skipped: str | None = None
        for k in range(tries):
            if self._budget_reached():
                skipped = f"token budget of {self.config.budget_tokens} reached; not sent"
                break
            headers = {"Content-Type": "application/json", **self.config.headers, **spec.headers}
            if spec.auth == "valid" and self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
            elif spec.auth == "wrong":
                headers["Authorization"] = f"Bearer {WRONG_KEY}"
            exchange = self._send(headers, spec.payload())
            obs = Observation(scenario=info, exchange=exchange, profile=self.profile)
            self._account(obs)
            observations.append(obs)
            evidence.append(self._save(sc.id if tries == 1 else f"{sc.id}.try{k + 1}", exchange, info))
            if exchange.end.unreachable:
                self.result.unreachable = True
                break
        with self._spend_lock:
            self.result.scenarios[sc.id] = {
                "description": sc.description,
                "mode": str(sc.mode),
                "expect": str(info.expect),
                "features": sorted(sc.features),
                "request": spec.body if spec.body is not None else spec.payload().decode("utf-8", "replace"),
                "captures": [e for e in evidence if e],
                "skipped": skipped if not observations else None,
            }
        if skipped and not observations:
            return _Observed(observations, evidence, reproducer=reproducer, skipped=skipped)
        return _Observed(observations, evidence, reproducer=reproducer)

    def _send(self, headers: dict[str, str], body: bytes) -> Exchange:
        url = self.config.base_url + self.profile.path
        attempt = 0
        while True:
            if self._limiter is not None:
                self._limiter.acquire()
            exchange = capture(
                self._client,
                method="POST",
                url=url,
                headers=headers,
                body=body,
                bounds=self.config.bounds,
                secrets=self._secrets,
            )
            if exchange.status not in _RETRY_STATUSES or attempt >= self.config.max_retries:
                return exchange
            wait = retry_after_seconds(exchange.headers)
            attempt += 1
            if self._limiter is not None and wait:
                self._limiter.hold(min(wait, _MAX_RETRY_WAIT_S))  # every worker of this provider pauses
            with self._spend_lock:
                self.result.requests += 1
                self.result.notes.append(f"HTTP {exchange.status}; retry {attempt} after {wait or 1.0:.1f}s")
            time.sleep(min(wait if wait is not None else 1.0, _MAX_RETRY_WAIT_S))

    def _account(self, obs: Observation) -> None:
        try:
            usage = obs.usage
        except ValueError:
            usage = None
        with self._spend_lock:
            self.result.requests += 1
            if isinstance(usage, dict):
                for key in ("prompt_tokens", "completion_tokens"):
                    value = usage.get(key)
                    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                        setattr(self.result, key, getattr(self.result, key) + value)

    def _budget_reached(self) -> bool:
        budget = self.config.budget_tokens
        if budget is None:
            return False
        with self._spend_lock:
            spent = self.result.prompt_tokens + self.result.completion_tokens
            if spent >= budget and not self.result.budget_exhausted:
                self.result.budget_exhausted = True
                self.result.notes.append(f"token budget {budget} reached after {spent} tokens; later requests skipped")
            return spent >= budget

    def _save(self, name: str, exchange: Exchange, info: ScenarioInfo) -> str | None:
        if self.out_dir is None:
            return None
        rel = Path("captures") / _safe(self.config.name) / f"{_safe(name)}.json"
        save_cassette(self.out_dir / rel, exchange, _cassette_meta(self.config, self.profile, info))
        return rel.as_posix()

    # -- judging ---------------------------------------------------------------------------------

    def judge(self, planned: PlannedCheck) -> CheckResult:
        inv, sc = planned.invariant, planned.scenario
        result = CheckResult(id=inv.id, severity=str(inv.severity), group=inv.group, status="skip", scenario=sc.id)
        if planned.skip_reason:
            result.message = planned.skip_reason
            return result
        observed = self.observe(sc.id)
        if observed.skipped:
            result.message = observed.skipped
            return result
        outcomes: list[tuple[str, list[Violation], str, str | None]] = []
        for obs, evidence in zip(observed.observations, observed.evidence, strict=True):
            outcomes.append((*_judge_one(inv, obs), evidence))
        verdict = apply_expectation(_aggregate(result, inv, outcomes, self.min_pass_rate), self.profile)
        if verdict.status in ("fail", "error"):
            verdict.reproducer = observed.reproducer
        return verdict

    def run(self, planned: Iterable[PlannedCheck] | None = None) -> ProviderResult:
        """Observe every planned scenario (concurrently, bounded) and judge its checks as it lands."""
        from concurrent.futures import ThreadPoolExecutor

        plan = list(self.plan() if planned is None else planned)
        by_scenario: dict[str, list[int]] = {}
        for pos, p in enumerate(plan):
            by_scenario.setdefault(p.scenario.id, []).append(pos)
        verdicts: list[CheckResult | None] = [None] * len(plan)
        lock = threading.Lock()
        done = [0, 0]  # checks judged, MUST failures so far

        def work(scenario_id: str) -> None:
            for pos in by_scenario[scenario_id]:
                p = plan[pos]
                unsent = "provider unreachable" if self.result.unreachable else "run interrupted"
                if (self.result.unreachable or self._stop.is_set()) and not p.skip_reason and not self._observed(p):
                    verdict = CheckResult(
                        id=p.invariant.id,
                        severity=str(p.invariant.severity),
                        group=p.invariant.group,
                        status="error",
                        scenario=p.scenario.id,
                        message=f"{unsent}; no verdict",
                    )
                else:
                    verdict = self.judge(p)
                with lock:
                    verdicts[pos] = verdict
                    done[0] += 1
                    done[1] += verdict.status == "fail" and verdict.severity == "MUST"
            if self._progress:
                with lock:
                    self._progress(
                        self.config.name,
                        {
                            "checks_done": done[0],
                            "checks_total": len(plan),
                            "must_failed": done[1],
                            "tokens": self.result.prompt_tokens + self.result.completion_tokens,
                            "requests": self.result.requests,
                            "scenario": scenario_id,
                        },
                    )

        order = list(by_scenario)
        if order:
            work(order[0])  # the first request alone tells whether the provider is reachable at all
            with ThreadPoolExecutor(max_workers=self.config.concurrency) as pool:
                list(pool.map(work, order[1:]))
        self.result.checks = [v for v in verdicts if v is not None]
        return self.result


def _judge_one(inv: Invariant, obs: Observation) -> tuple[str, list[Violation], str]:
    ex = obs.exchange
    if ex.status is None:
        return "error", [], f"no response ({ex.end}: {ex.end_detail})"
    try:
        violations = list(inv.check(obs))
    except NotApplicable as exc:
        return "skip", [], str(exc) or "not applicable"
    except Exception as exc:  # a harness bug must not lose the other results
        return "error", [], f"check raised {type(exc).__name__}: {exc}"
    return ("fail" if violations else "pass"), violations, ""


def _aggregate(
    result: CheckResult,
    inv: Invariant,
    outcomes: list[tuple[str, list[Violation], str, str | None]],
    min_pass_rate: float = 1.0,
) -> CheckResult:
    """One verdict over the tries. A stochastic (model-behaviour) invariant passes when its pass rate
    reaches `min_pass_rate` (1.0, the default, is pass^k); any other invariant fails on any failed try."""
    judged = [o for o in outcomes if o[0] in ("pass", "fail")]
    result.tries = len(judged)
    result.passed = sum(1 for o in judged if o[0] == "pass")
    failing = next((o for o in outcomes if o[0] == "fail"), None)
    erroring = next((o for o in outcomes if o[0] == "error"), None)
    first = failing or erroring or (outcomes[0] if outcomes else None)
    result.evidence = first[3] if first else None
    if not outcomes:
        result.message = "no observation"
        return result
    tolerated = (
        failing is not None and inv.stochastic and min_pass_rate < 1.0 and result.passed >= min_pass_rate * result.tries
    )
    if failing is not None and not tolerated:
        result.status = "fail"
        vs = failing[1]
        result.violations = [
            {"expected": v.expected, "received": v.received, "event_index": v.event_index} for v in vs[:20]
        ]
        head = vs[0].render().replace("\n", "; ")
        more = f" (+{len(vs) - 1} more)" if len(vs) > 1 else ""
        rate = f" [passed {result.passed}/{result.tries}]" if inv.stochastic or result.tries > 1 else ""
        result.message = f"{head}{more}{rate}"
    elif judged:
        result.status = "pass"
        result.message = f"passed {result.passed}/{result.tries}" if result.tries > 1 else ""
        if tolerated and failing is not None:
            result.message += (
                f" (pass rate meets --min-pass-rate {min_pass_rate:g}; a failed try: "
                f"{failing[1][0].render().replace(chr(10), '; ')})"
            )
    elif erroring is not None:
        result.status = "error"
        result.message = erroring[2]
    else:
        result.status = "skip"
        result.message = outcomes[0][2]
    return result


def apply_expectation(result: CheckResult, profile: Profile) -> CheckResult:
    """Mark a failure the profile documents (WPT-style expectation data) as expected, with its reason."""
    expectation = profile.expectations.get(result.id)
    if result.status == "fail" and expectation and expectation.get("status") == "fail":
        result.expected_failure = f"profile {profile.name}: {expectation.get('reason', 'documented deviation')}"
    return result


def _cassette_meta(config: ProviderConfig, profile: Profile, info: ScenarioInfo) -> dict[str, Any]:
    """What a cassette needs besides the bytes to be judged again offline (`observation_from_cassette`)."""
    return {
        "provider": config.public(),
        "profile": profile.name,
        "scenario": {
            "id": info.id,
            "mode": str(info.mode),
            "expect": str(info.expect),
            "features": sorted(info.features),
            "request": info.request,
            "error_kind": info.error_kind,
        },
    }


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def observation_from_cassette(exchange: Exchange, meta: dict[str, Any], profile: Profile) -> Observation:
    """Rebuild an observation from a saved capture (offline replay)."""
    from ..invariants import Mode

    sc = meta["scenario"]
    info = ScenarioInfo(
        id=sc["id"],
        mode=Mode(sc["mode"]),
        expect=Expect(sc["expect"]),
        features=frozenset(sc["features"]),
        request=sc["request"],
        error_kind=sc.get("error_kind"),
    )
    return Observation(scenario=info, exchange=exchange, profile=profile)
