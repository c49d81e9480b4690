"""Imports every invariant group module: importing this registers the whole catalogue."""

from . import (  # noqa: F401 - imported for registration
    consistency,
    errors,
    framing,
    headers,
    json_mode,
    limits,
    logprobs,
    ordering,
    reasoning,
    schema,
    sdk,
    termination,
    tools,
    usage,
)
