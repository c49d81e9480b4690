"""The results contract: what a run produced, in the shape `results.json` documents."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_VERSION", "CheckResult", "ProviderResult", "RunResult", "write_json_atomic"]

SCHEMA_VERSION = "1"
STATUSES = ("pass", "fail", "skip", "error")


@dataclass(slots=True)
class CheckResult:
    """The verdict of one invariant on one scenario (over its repetitions)."""

    id: str
    severity: str
    group: str
    status: str  # pass | fail | skip | error
    scenario: str
    message: str = ""
    evidence: str | None = None  # path of the capture, relative to results.json
    violations: list[dict[str, Any]] = field(default_factory=list)
    tries: int = 0  # observations judged
    passed: int = 0  # of which passed
    expected_failure: str | None = None  # the profile documents this deviation (reason); not counted as must_failed
    reproducer: str | None = None  # a curl command replaying the request (key redacted), on failures

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckResult:
        """The inverse of `to_json` (results travel between pytest-xdist workers this way)."""
        reps = data.get("repetitions") or {}
        return cls(
            id=data["id"],
            severity=data["severity"],
            group=data.get("group", ""),
            status=data["status"],
            scenario=data["scenario"],
            message=data.get("message", ""),
            evidence=data.get("evidence"),
            violations=list(data.get("violations", [])),
            tries=reps.get("k", 0),
            passed=reps.get("passed", 0),
            expected_failure=data.get("expected_failure"),
            reproducer=data.get("reproducer"),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "severity": self.severity,
            "group": self.group,
            "status": self.status,
            "scenario": self.scenario,
            "message": self.message,
            "evidence": self.evidence,
        }
        if self.violations:
            out["violations"] = self.violations
        if self.expected_failure:
            out["expected_failure"] = self.expected_failure
        if self.reproducer:
            out["reproducer"] = self.reproducer
        if self.tries > 1:
            out["repetitions"] = {
                "k": self.tries,
                "passed": self.passed,
                "pass_at_k": self.passed > 0,
                "pass_hat_k": self.passed == self.tries,
            }
        return out


@dataclass(slots=True)
class ProviderResult:
    name: str
    base_url: str
    profile: str
    model: str
    checks: list[CheckResult] = field(default_factory=list)
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    unreachable: bool = False
    budget_exhausted: bool = False
    notes: list[str] = field(default_factory=list)
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> what was sent and where it is kept

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for c in self.checks:
            counts[c.status] += 1
        counts["must_failed"] = sum(
            1 for c in self.checks if c.status == "fail" and c.severity == "MUST" and not c.expected_failure
        )
        counts["expected_failures"] = sum(1 for c in self.checks if c.status == "fail" and c.expected_failure)
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "base_url": self.base_url,
            "profile": self.profile,
            "model": self.model,
            "unreachable": self.unreachable,
            "summary": self.summary(),
            "spend": {
                "requests": self.requests,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "budget_exhausted": self.budget_exhausted,
            },
            "notes": list(self.notes),
            "scenarios": dict(sorted(self.scenarios.items())),
            "checks": [c.to_json() for c in self.checks],
        }


@dataclass(slots=True)
class RunResult:
    tool_version: str
    started_at: str
    finished_at: str
    seed: int
    providers: list[ProviderResult]
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool_version": self.tool_version,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "seed": self.seed,
            "options": self.options,
            "providers": [p.to_json() for p in self.providers],
        }

    def exit_code(self) -> int:
        """0 every MUST passed; 1 a MUST failed; 3 a provider was unreachable."""
        if any(p.unreachable for p in self.providers):
            return 3
        if any(p.summary()["must_failed"] for p in self.providers):
            return 1
        return 0


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that readers see the old file or the new one, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
