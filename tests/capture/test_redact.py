"""Redaction replaces credentials in requests and masks secrets in bodies without moving bytes."""

from __future__ import annotations

import pytest

from conformance.capture import REDACTED, redact_headers, redact_text, redact_url
from conformance.capture._redact import credential_secrets, is_sensitive_header, mask_bytes, redact_bytes


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Authorization", "Bearer sk-abc", "Bearer ***REDACTED***"),
        ("authorization", "Basic dXNlcjpwYXNz", "Basic ***REDACTED***"),
        ("Authorization", "sk-bare", "***REDACTED***"),
        ("api-key", "sk-abc", "***REDACTED***"),
        ("X-Api-Key", "sk-abc", "***REDACTED***"),
        ("x-goog-api-key", "k", "***REDACTED***"),
        ("Cookie", "session=1", "***REDACTED***"),
        ("X-Client-Secret", "s", "***REDACTED***"),
    ],
)
def test_credential_headers_are_redacted(name: str, value: str, expected: str) -> None:
    assert redact_headers([(name, value)]) == ((name, expected),)


def test_ordinary_headers_keep_their_values_except_secrets() -> None:
    headers = [
        ("Content-Type", "application/json"),
        ("x-ratelimit-remaining-tokens", "999"),  # "tokens" is not a credential
        ("X-Org", "org-123 and sk-abc"),
    ]
    assert redact_headers(headers, ["sk-abc"]) == (
        ("Content-Type", "application/json"),
        ("x-ratelimit-remaining-tokens", "999"),
        ("X-Org", f"org-123 and {REDACTED}"),
    )
    assert not is_sensitive_header("x-ratelimit-remaining-tokens")


def test_text_redaction_replaces_every_occurrence_longest_first() -> None:
    text = "sk-abc sk-abcdef sk-abc"
    assert redact_text(text, ["sk-abc", "sk-abcdef", ""]) == f"{REDACTED} {REDACTED} {REDACTED}"
    assert redact_text("nothing", []) == "nothing"


def test_bytes_redaction_and_masking() -> None:
    data = "clé sk-ü1 end".encode()
    assert redact_bytes(data, ["sk-ü1"]) == f"clé {REDACTED} end".encode()
    masked = mask_bytes(data, ["sk-ü1"])
    assert len(masked) == len(data) and masked == "clé ".encode() + b"*" * 6 + b" end"


def test_url_redaction() -> None:
    url = "https://user:pw123@host/v1/chat?api_key=sk-q&key=k2&model=m&x=sk-abc"
    redacted = redact_url(url, ["sk-abc"])
    for secret in ("pw123", "sk-q", "k2", "sk-abc"):
        assert secret not in redacted
    assert "model=m" in redacted and redacted.startswith("https://user:")
    assert redact_url("http://h/p?model=m") == "http://h/p?model=m"


def test_credentials_are_harvested_from_sensitive_headers() -> None:
    headers = [("Authorization", "Bearer sk-1"), ("api-key", "sk-2"), ("Accept", "x"), ("Authorization", "")]
    assert credential_secrets(headers) == ("sk-1", "sk-2")
