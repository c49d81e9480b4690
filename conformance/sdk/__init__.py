"""Replay captured exchanges through the official openai SDK (the SDK-* invariants' evidence)."""

from ._replay import (
    SdkChoice,
    SdkReport,
    SdkRun,
    SdkToolCall,
    SdkUnavailable,
    replay_nonstream,
    replay_stream,
    sdk_available,
    sdk_version,
)

__all__ = [
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
