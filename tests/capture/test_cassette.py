"""Cassettes round-trip an Exchange exactly, are versioned, and are written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.capture import (
    CASSETTE_VERSION,
    Bounds,
    CassetteError,
    EndReason,
    Exchange,
    Read,
    RecordedRequest,
    load_cassette,
    save_cassette,
)


def _exchange(**changes: object) -> Exchange:
    base: dict[str, object] = {
        "request": RecordedRequest(
            method="POST",
            url="http://127.0.0.1:9/v1/chat/completions",
            headers=(("Authorization", "Bearer ***REDACTED***"), ("X-Dup", "1"), ("X-Dup", "2")),
            body='{"messages": [{"role": "user", "content": "héllo 🌊"}]}'.encode(),
        ),
        "started_at": "2025-01-01T00:00:00.000001Z",
        "status": 200,
        "headers": (("Content-Type", "text/event-stream"), ("Set-Cookie", "a"), ("set-cookie", "b")),
        "http_version": "HTTP/1.1",
        "reads": (Read(1_000, b"data: {}\r\n"), Read(2_500, b"\r\n\xff\xfe\x00binary"), Read(2_500, b"")),
        "t_headers_ns": 900,
        "t_end_ns": 3_000,
        "end": EndReason.TRANSPORT_ERROR,
        "end_detail": "RemoteProtocolError: peer closed connection",
        "bounds": Bounds(connect_s=1.5, ttfb_s=2, idle_s=0.25, total_s=9, max_bytes=77, max_events=3),
    }
    base.update(changes)
    return Exchange(**base)  # type: ignore[arg-type]


CASES = {
    "stream": _exchange(),
    "unreachable": _exchange(
        status=None, headers=(), http_version="", reads=(), t_headers_ns=None, end=EndReason.CONNECT_ERROR
    ),
    "binary-request": _exchange(request=RecordedRequest("GET", "http://x/", (), b"\x80\x81")),
    "empty-request": _exchange(request=RecordedRequest("GET", "http://x/", (), b"")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_is_identical(tmp_path: Path, name: str) -> None:
    exchange = CASES[name]
    meta = {"scenario": name, "profile": "canonical", "nested": {"list": [1, 2.5, None, "ü"]}}
    path = tmp_path / f"{name}.json"
    save_cassette(path, exchange, meta)
    loaded, loaded_meta = load_cassette(path)
    assert loaded == exchange
    assert loaded_meta == meta
    assert loaded.body == exchange.body


@pytest.mark.parametrize("end", list(EndReason))
def test_every_end_reason_round_trips(tmp_path: Path, end: EndReason) -> None:
    exchange = _exchange(end=end)
    save_cassette(tmp_path / "c.json", exchange, {})
    assert load_cassette(tmp_path / "c.json")[0].end is end


def test_document_layout(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    save_cassette(path, CASES["stream"], {"k": "v"})
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["cassette_version"] == CASSETTE_VERSION == 1
    assert doc["meta"] == {"k": "v"}
    ex = doc["exchange"]
    assert ex["reads"][0] == {"t_ns": 1000, "data": "ZGF0YToge30NCg=="}  # base64 of b"data: {}\r\n"
    assert ex["request"]["body_text"].startswith('{"messages"')
    assert ex["bounds"]["idle_s"] == 0.25 and ex["end"] == "transport_error"
    assert ex["headers"][1:] == [["Set-Cookie", "a"], ["set-cookie", "b"]]  # order and repeats kept
    save_cassette(path, CASES["binary-request"], {})
    assert "body_text" not in json.loads(path.read_text(encoding="utf-8"))["exchange"]["request"]


def test_body_text_is_for_humans_only(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    save_cassette(path, CASES["stream"], {})
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["exchange"]["request"]["body_text"] = "edited by hand"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert load_cassette(path)[0] == CASES["stream"]


def test_raw_body_file_is_optional_and_exact(tmp_path: Path) -> None:
    save_cassette(tmp_path / "a.json", CASES["stream"], {})
    assert not (tmp_path / "a.body").exists()
    save_cassette(tmp_path / "b.json", CASES["stream"], {}, raw_body=True)
    assert (tmp_path / "b.body").read_bytes() == CASES["stream"].body


def test_save_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "c.json"
    save_cassette(path, CASES["stream"], {"n": 1})
    save_cassette(path, CASES["unreachable"], {"n": 2})
    assert load_cassette(path) == (CASES["unreachable"], {"n": 2})
    with pytest.raises(TypeError):
        save_cassette(path, CASES["stream"], {"not json": object()})
    assert load_cassette(path) == (CASES["unreachable"], {"n": 2})  # the failed save changed nothing
    assert sorted(p.name for p in path.parent.iterdir()) == ["c.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a JSON cassette"),
        ("[]", "cassette_version None"),
        ('{"cassette_version": 2, "exchange": {}}', "cassette_version 2"),
        ('{"cassette_version": 1, "exchange": {}}', "malformed"),
        ('{"cassette_version": 1, "exchange": {"request": 1}}', "malformed"),
    ],
)
def test_unreadable_cassettes_raise_cassette_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CassetteError, match=message):
        load_cassette(path)


def test_corrupt_base64_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    save_cassette(path, CASES["stream"], {})
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["exchange"]["reads"][0]["data"] = "not base64!"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CassetteError, match="malformed"):
        load_cassette(path)
