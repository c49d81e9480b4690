"""A copy-paste curl command that replays a generated case, with the API key kept out of it."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

from ._model import GeneratedCase

__all__ = ["REDACTED", "curl_command", "curl_reproducer"]

REDACTED = "[REDACTED]"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Headers that carry credentials; a case never should, but a reproducer must not leak one if it does.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie"})


def curl_reproducer(case: GeneratedCase, url: str, api_key_env: str | None, *, auth: bool = True) -> str:
    """A shell command that sends exactly the case's request to `url` (see `curl_command`)."""
    return curl_command(url, case.payload(), case.headers, api_key_env, auth=auth)


def curl_command(url: str, payload: bytes, headers: Mapping[str, str], api_key_env: str | None, *,
                 auth: bool | str = True) -> str:
    """A shell command that sends exactly `payload` to `url`.

    The key appears as `$VAR` (expanded by the user's shell) when `api_key_env` names a variable,
    and as "[REDACTED]" otherwise; `auth=False` leaves the Authorization header out (a provider
    without keys, or a request sent without one), and a string is sent as the literal bearer token
    (a deliberately wrong key). The body is sent byte for byte: nothing is filtered or renamed, so
    `max_tokens` and every other field survive (schemathesis' own reproducers mangle `max_tokens`).
    """
    parts = ["curl -sS -N -X POST " + shlex.quote(url)]
    if isinstance(auth, str):
        parts.append("-H " + shlex.quote(f"Authorization: Bearer {auth}"))
    elif auth:
        if api_key_env and _ENV_NAME.match(api_key_env):
            # Double quotes so the user's shell expands the variable; the name itself is checked above.
            parts.append(f'-H "Authorization: Bearer ${api_key_env}"')
        else:
            parts.append("-H " + shlex.quote(f"Authorization: Bearer {REDACTED}"))
    parts.append("-H " + shlex.quote("Content-Type: application/json"))
    for name, value in headers.items():
        if name.lower() in {"authorization", "content-type"}:
            continue  # the two headers above are the ones sent
        shown = REDACTED if name.lower() in _SECRET_HEADERS else value
        parts.append("-H " + shlex.quote(f"{name}: {shown}"))
    parts.append("--data-binary " + shlex.quote(payload.decode("utf-8", "replace")))
    return " \\\n  ".join(parts)
