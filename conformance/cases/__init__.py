"""Schema-generated request cases: positive and negative bodies drawn from a profile's normalized
document with schemathesis, deterministic for a seed and bounded in number and cost.

The engine calls `generate_cases`, sends each case's `payload()` with its own capture, builds the
scenario from `case_features` (expect success for positive cases, an `invalid_param` error for
negative ones) and judges it with CASE-001..005 (registered when this package is imported) plus the
stream and schema invariants. `curl_reproducer` is the evidence attached to a failure, and
`RateLimiter` / `retry_after_seconds` pace a paid endpoint.
"""

from . import _checks  # noqa: F401 - imported for registration of CASE-001..005
from ._curl import REDACTED, curl_command, curl_reproducer
from ._document import generation_document, provider_document
from ._features import case_features
from ._generate import generate_cases, generator_info, repair_positive
from ._model import KINDS, GeneratedCase
from ._pacing import RateLimiter, retry_after_seconds
from ._validity import request_problems

__all__ = [
    "KINDS",
    "REDACTED",
    "GeneratedCase",
    "RateLimiter",
    "case_features",
    "curl_command",
    "curl_reproducer",
    "generate_cases",
    "generation_document",
    "generator_info",
    "provider_document",
    "repair_positive",
    "request_problems",
    "retry_after_seconds",
]
