"""Cassettes: one captured exchange on disk, loaded back identically so verdicts recompute offline.

A cassette is one JSON document (`"cassette_version": 1`). Every read keeps its time (`t_ns`)
and its bytes (`data`, base64); the request body is base64 too, with a readable `body_text`
beside it when it is UTF-8. `body_text` is for humans only and ignored on load. Writes are
atomic (temporary file in the same folder, then `os.replace`), so a crash never leaves half a
cassette. `save_cassette(..., raw_body=True)` also writes the response body to `<name>.body`
for reading with a pager; the JSON alone is always sufficient.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ._model import Bounds, EndReason, Exchange, Read, RecordedRequest

__all__ = [
    "CASSETTE_VERSION",
    "CassetteError",
    "exchange_from_json",
    "exchange_to_json",
    "load_cassette",
    "save_cassette",
]

CASSETTE_VERSION = 1


class CassetteError(ValueError):
    """A cassette file is not a cassette this version can read."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _pairs(headers: tuple[tuple[str, str], ...]) -> list[list[str]]:
    # A list of pairs, not an object: order and repeated headers are evidence.
    return [[k, v] for k, v in headers]


def _unpairs(data: list[list[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in data)


def exchange_to_json(exchange: Exchange) -> dict[str, Any]:
    """The exchange as a JSON-ready dict (the `exchange` member of a cassette)."""
    req = exchange.request
    request: dict[str, Any] = {
        "method": req.method,
        "url": req.url,
        "headers": _pairs(req.headers),
        "body": _b64(req.body),
    }
    try:
        request["body_text"] = req.body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return {
        "request": request,
        "started_at": exchange.started_at,
        "status": exchange.status,
        "http_version": exchange.http_version,
        "headers": _pairs(exchange.headers),
        "t_headers_ns": exchange.t_headers_ns,
        "t_end_ns": exchange.t_end_ns,
        "end": exchange.end.value,
        "end_detail": exchange.end_detail,
        "bounds": exchange.bounds.to_json(),
        "reads": [{"t_ns": r.t_ns, "data": _b64(r.data)} for r in exchange.reads],
    }


def exchange_from_json(data: dict[str, Any]) -> Exchange:
    """Inverse of `exchange_to_json`."""
    req = data["request"]
    return Exchange(
        request=RecordedRequest(
            method=req["method"], url=req["url"], headers=_unpairs(req["headers"]), body=_unb64(req["body"])
        ),
        started_at=data["started_at"],
        status=data["status"],
        headers=_unpairs(data["headers"]),
        http_version=data["http_version"],
        reads=tuple(Read(int(r["t_ns"]), _unb64(r["data"])) for r in data["reads"]),
        t_headers_ns=data["t_headers_ns"],
        t_end_ns=int(data["t_end_ns"]),
        end=EndReason(data["end"]),
        end_detail=data["end_detail"],
        bounds=Bounds.from_json(data["bounds"]),
    )


def save_cassette(
    path: str | os.PathLike[str], exchange: Exchange, meta: dict[str, Any], *, raw_body: bool = False
) -> None:
    """Write `exchange` and JSON-serialisable `meta` to `path` atomically."""
    target = Path(path)
    document = {"cassette_version": CASSETTE_VERSION, "meta": meta, "exchange": exchange_to_json(exchange)}
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    _atomic_write(target, text.encode("utf-8"))
    if raw_body:
        _atomic_write(target.with_name(target.stem + ".body"), exchange.body)


def load_cassette(path: str | os.PathLike[str]) -> tuple[Exchange, dict[str, Any]]:
    """Read a cassette written by `save_cassette`; returns the exchange and its meta."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CassetteError(f"{path}: not a JSON cassette ({exc})") from exc
    if not isinstance(document, dict) or document.get("cassette_version") != CASSETTE_VERSION:
        version = document.get("cassette_version") if isinstance(document, dict) else None
        raise CassetteError(f"{path}: cassette_version {version!r} is not supported (expected {CASSETTE_VERSION})")
    try:
        exchange = exchange_from_json(document["exchange"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CassetteError(f"{path}: malformed cassette ({type(exc).__name__}: {exc})") from exc
    meta = document.get("meta", {})
    return exchange, meta if isinstance(meta, dict) else {}


def _atomic_write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
