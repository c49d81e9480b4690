"""Timing controls and fault parameters: known delays, so latency measurement can be checked."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["MAX_EVENT_BYTES", "MAX_STALL_S", "FaultSettings", "Timing"]

MAX_STALL_S = 30.0  # a stall never outlives this, whatever was asked
MAX_EVENT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Timing:
    """Delays the reference provider inserts while it answers.

    `ttft_s` passes before the first token, `token_gap_s` between tokens, plus a seeded uniform
    jitter in [0, `jitter_s`] on every delay. With `keepalive_every_s`, `: keep-alive` comments
    (streams) or blank lines (non-stream, as DeepSeek documents) fill every wait that long.
    """

    ttft_s: float = 0.0
    token_gap_s: float = 0.0
    jitter_s: float = 0.0
    keepalive_every_s: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("ttft_s", "token_gap_s", "jitter_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"Timing.{name} must be >= 0")
        if self.keepalive_every_s is not None and self.keepalive_every_s <= 0:
            raise ValueError("Timing.keepalive_every_s must be > 0 or None")

    def rng(self) -> random.Random:
        """A fresh generator per response: the same request sees the same jitter."""
        return random.Random(self.seed)

    def jittered(self, base: float, rng: random.Random) -> float:
        return base + (rng.uniform(0.0, self.jitter_s) if self.jitter_s else 0.0)


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """Parameters of the faults that need one (bounded, so a fault never hangs a test run).

    `stall_s` is how long the `stall` fault goes silent mid-stream (at most 30 s, and interrupted
    when the server stops); `huge_event_bytes` is the size of the `huge-event` data line. Per
    request, the headers `X-Conformance-Stall-S` and `X-Conformance-Event-Bytes` override them.
    """

    stall_s: float = 5.0
    huge_event_bytes: int = 20 * 1024 * 1024

    def bounded(self) -> FaultSettings:
        return FaultSettings(stall_s=min(max(self.stall_s, 0.0), MAX_STALL_S),
                             huge_event_bytes=min(max(self.huge_event_bytes, 1024), MAX_EVENT_BYTES))
