"""Errors the reference provider answers with, always in the OpenAI/DeepSeek envelope."""

from __future__ import annotations

from typing import Any

from ..providers._profile import Profile

__all__ = ["AUTH_KINDS", "VALIDATION_KINDS", "ApiError"]

# Request problems found by validation; the `invalid-accepted` / `invalid-500` faults act on these.
VALIDATION_KINDS = frozenset({
    "invalid_param", "empty_messages", "bad_role", "unknown_model", "unknown_thinking",
    "top_logprobs_without_logprobs", "top_logprobs_over_max", "stream_options_without_stream",
})
AUTH_KINDS = frozenset({"missing_key", "wrong_key"})

# kind -> (error.type, error.code) as DeepSeek and OpenAI spell them.
_TYPES: dict[str, tuple[str, str]] = {
    "missing_key": ("authentication_error", "invalid_api_key"),
    "wrong_key": ("authentication_error", "invalid_api_key"),
    "bad_json": ("invalid_request_error", "invalid_json"),
    "too_large": ("invalid_request_error", "request_too_large"),
    "not_found": ("invalid_request_error", "not_found"),
    "method_not_allowed": ("invalid_request_error", "method_not_allowed"),
    "unknown_model": ("invalid_request_error", "model_not_found"),
    "server_error": ("server_error", "internal_error"),
}


class ApiError(Exception):
    """A request the provider refuses: `kind` names the profile `statuses` entry that sets the status."""

    def __init__(self, kind: str, message: str, *, param: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.param = param
        self.status = status  # fixed status; None = from the profile

    def status_for(self, profile: Profile) -> int:
        """The HTTP status: fixed ones (404, 405, 413, 500) or the first the profile documents."""
        if self.status is not None:
            return self.status
        key = "auth" if self.kind in AUTH_KINDS else self.kind
        statuses = profile.status_for(key)
        if key == "auth" and not profile.statuses.get("auth"):
            return 401
        return statuses[0] if statuses else 400

    def envelope(self) -> dict[str, Any]:
        """{"error": {"message", "type", "param", "code"}}."""
        err_type, code = _TYPES.get(self.kind, ("invalid_request_error", self.kind))
        return {"error": {"message": self.message, "type": err_type, "param": self.param, "code": code}}
