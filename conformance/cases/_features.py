"""Scenario features of a generated case, derived from its body alone."""

from __future__ import annotations

from ._model import GeneratedCase

__all__ = ["case_features"]


def case_features(case: GeneratedCase) -> frozenset[str]:
    """Features the engine puts on the case's scenario, so the matching invariants judge it.

    Every case carries "generated" and its kind. A positive case also carries the stream-shape
    features its body implies (include_usage / usage_not_requested for a stream, stream_false /
    stream_omitted otherwise). Negative cases carry no body features: they expect a rejection, and
    their bodies are broken on purpose.
    """
    features = {"generated", case.kind}
    body = case.body
    if case.kind != "positive" or not isinstance(body, dict):
        return frozenset(features)
    if case.stream:
        options = body.get("stream_options")
        usage = isinstance(options, dict) and options.get("include_usage") is True
        features.add("include_usage" if usage else "usage_not_requested")
    elif body.get("stream") is False:
        features.add("stream_false")
    else:  # absent or null: the server's default (non-stream) applies
        features.add("stream_omitted")
    return frozenset(features)
