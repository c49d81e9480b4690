"""The reference model's tokens: word-ish pieces, each one streamed delta, with stable logprobs."""

from __future__ import annotations

import hashlib
import re
from typing import Any

__all__ = ["logprob_entry", "tokenize"]

# A token is a word or one punctuation mark with the whitespace before it; trailing whitespace
# is a token of its own. Joining the tokens gives the text back exactly.
_TOKEN_RE = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")

# Alternatives offered in top_logprobs (distinct from the chosen token by construction).
_ALTERNATIVES = (" the", ",", ".", " a", " and", " to", " of", " in", " is", "!", " it", " that", " for",
                 " on", " with", " as", " at", " by", " be", " this", " or", " an")


def tokenize(text: str) -> list[str]:
    """Split text into the pieces the reference model emits; "".join(tokenize(t)) == t."""
    return _TOKEN_RE.findall(text)


def _unit(*parts: object) -> float:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _logprob(token: str, position: int) -> float:
    """A stable, plausible log-probability in (-2.5, -0.001]."""
    return -round(0.001 + 2.5 * _unit("lp", token, position) ** 2, 6)


def logprob_entry(token: str, position: int, top: int) -> dict[str, Any]:
    """One `ChatCompletionTokenLogprob`: the token, its logprob, bytes, and `top` alternatives sorted
    by descending logprob (the chosen token first, as OpenAI does)."""
    lp = _logprob(token, position)
    tops: list[dict[str, Any]] = []
    if top > 0:
        tops.append({"token": token, "logprob": lp, "bytes": list(token.encode("utf-8"))})
        step = 0
        for alt in _ALTERNATIVES:
            if len(tops) >= top:
                break
            if alt == token:
                continue
            step += 1
            alt_lp = round(lp - 0.25 * step - _unit("alt", alt, position) * 0.2, 6)
            tops.append({"token": alt, "logprob": alt_lp, "bytes": list(alt.encode("utf-8"))})
        tops.sort(key=lambda t: t["logprob"], reverse=True)
    return {"token": token, "logprob": lp, "bytes": list(token.encode("utf-8")), "top_logprobs": tops}
