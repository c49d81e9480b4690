"""Keep credentials out of evidence: captured requests, responses and cassettes carry no secret.

Two kinds of redaction:

- *Replacing* (`redact_text`, `redact_bytes`, `redact_headers`): a secret, or the credential in an
  Authorization/API-key header, becomes `***REDACTED***`. Used for the recorded request.
- *Masking* (`mask_bytes`): each byte of a secret becomes `*`, so lengths and offsets stay exact.
  Used for response bodies, whose byte offsets and read boundaries are evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "REDACTED",
    "credential_secrets",
    "is_sensitive_header",
    "mask_bytes",
    "redact_bytes",
    "redact_headers",
    "redact_text",
    "redact_url",
]

REDACTED = "***REDACTED***"

# Header and query-parameter names that carry credentials, whatever their value looks like.
_SENSITIVE_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "apikey",
        "api_key",
        "x-goog-api-key",
        "cookie",
        "set-cookie",
        "access_token",
        "key",
        "token",
    }
)
# Substrings that mark a credential name; not "token" alone, which would hit rate-limit headers.
_SENSITIVE_PARTS = ("api-key", "api_key", "apikey", "secret", "password", "access-token", "auth-token")


def is_sensitive_header(name: str) -> bool:
    """True for headers (or query parameters) whose value is a credential."""
    lname = name.lower()
    return lname in _SENSITIVE_NAMES or any(part in lname for part in _SENSITIVE_PARTS)


def _credential(value: str) -> str:
    """The secret part of a credential value: `Bearer sk-1` -> `sk-1`; a bare value is all secret."""
    _scheme, sep, rest = value.strip().partition(" ")
    return rest.strip() if sep and rest.strip() else value.strip()


def credential_secrets(headers: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """Secrets found in sensitive headers, so they are also scrubbed from the URL and body."""
    found = []
    for name, value in headers:
        if is_sensitive_header(name):
            secret = _credential(value)
            if secret:
                found.append(secret)
    return tuple(found)


def _ordered(secrets: Iterable[str]) -> list[str]:
    # Longest first, so a secret that contains another is replaced whole.
    return sorted({s for s in secrets if s}, key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of every non-empty secret with `***REDACTED***`."""
    for secret in _ordered(secrets):
        text = text.replace(secret, REDACTED)
    return text


def redact_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """`redact_text` for bytes: each secret's UTF-8 encoding is replaced."""
    for secret in _ordered(secrets):
        data = data.replace(secret.encode("utf-8"), REDACTED.encode("ascii"))
    return data


def mask_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """Overwrite each secret's bytes with `*`, keeping the length (and every offset) unchanged."""
    for secret in _ordered(secrets):
        raw = secret.encode("utf-8")
        data = data.replace(raw, b"*" * len(raw))
    return data


def redact_headers(headers: Iterable[tuple[str, str]], secrets: Sequence[str] = ()) -> tuple[tuple[str, str], ...]:
    """Redact credential headers (`Authorization: Bearer ***REDACTED***`) and any secret in any value."""
    out = []
    for name, value in headers:
        if is_sensitive_header(name):
            scheme, sep, rest = value.strip().partition(" ")
            value = f"{scheme} {REDACTED}" if sep and rest.strip() else REDACTED
        else:
            value = redact_text(value, secrets)
        out.append((name, value))
    return tuple(out)


def redact_url(url: str, secrets: Sequence[str] = ()) -> str:
    """Redact credential query parameters (`?api_key=...`) and any secret anywhere in the URL."""
    parts = urlsplit(url)
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(is_sensitive_header(k) for k, _ in pairs):
            query = urlencode([(k, REDACTED if is_sensitive_header(k) else v) for k, v in pairs], safe="*")
            url = urlunsplit(parts._replace(query=query))
    if parts.password:
        url = url.replace(f":{parts.password}@", f":{REDACTED}@", 1)
    return redact_text(url, secrets)
