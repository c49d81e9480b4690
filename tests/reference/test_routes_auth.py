"""Routes, methods, auth, body limits and per-request profile/fault selection over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from conformance.reference import FAULTS, MAX_BODY_BYTES, ReferenceServer

from ._client import KEY, body_for, call


def _error(got_json: dict) -> dict:
    assert set(got_json) == {"error"}, got_json
    err = got_json["error"]
    assert isinstance(err["message"], str) and err["message"]
    assert {"message", "type", "param", "code"} <= set(err)
    return err


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/chat/completions"])
def test_both_chat_paths_answer(server: ReferenceServer, client: httpx.Client, path: str) -> None:
    got = call(client, server.base_url + path, body_for())
    assert got.status == 200
    assert got.headers["content-type"] == "application/json"
    body = got.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == "Hello there, how are you?"


@pytest.mark.parametrize("path", ["/v1/models", "/models"])
def test_models_lists_the_profile_models(server: ReferenceServer, client: httpx.Client, path: str) -> None:
    got = call(client, server.url_for(profile="ark") + path, method="GET")
    assert got.status == 200
    assert [m["id"] for m in got.json()["data"]] == ["deepseek-v3-1-250821"]


def test_unknown_route_is_a_json_404(server: ReferenceServer, client: httpx.Client) -> None:
    got = call(client, server.base_url + "/v1/completions", body_for())
    assert got.status == 404
    assert got.headers["content-type"] == "application/json"
    _error(got.json())


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/chat/completions"), ("POST", "/v1/models"),
                                              ("DELETE", "/chat/completions")])
def test_wrong_method_is_405_with_allow(server: ReferenceServer, client: httpx.Client, method: str, path: str) -> None:
    got = call(client, server.base_url + path, body_for() if method == "POST" else None, method=method)
    assert got.status == 405
    assert got.headers["allow"] in ("GET", "POST")
    _error(got.json())


def test_unknown_profile_or_fault_prefix_is_404(server: ReferenceServer, client: httpx.Client) -> None:
    assert call(client, server.url_for(profile="nope") + "/v1/chat/completions", body_for()).status == 404
    assert call(client, server.url_for(fault="nope") + "/v1/chat/completions", body_for()).status == 404


@pytest.mark.parametrize("stream", [False, True])
def test_missing_and_wrong_keys_get_401_json(server: ReferenceServer, stream: bool) -> None:
    with httpx.Client(timeout=10) as anon:
        missing = call(anon, server.base_url + "/v1/chat/completions", body_for(stream=stream))
        wrong = call(anon, server.base_url + "/v1/chat/completions", body_for(stream=stream),
                     headers={"Authorization": "Bearer sk-wrong"})
        right = call(anon, server.base_url + "/v1/chat/completions", body_for(),
                     headers={"Authorization": f"Bearer {KEY}"})
    for got in (missing, wrong):
        assert got.status == 401
        assert got.headers["content-type"] == "application/json"
        assert _error(got.json())["type"] == "authentication_error"
    assert right.status == 200


def test_profile_without_auth_needs_no_key(server: ReferenceServer) -> None:
    with httpx.Client(timeout=10) as anon:
        got = call(anon, server.url_for(profile="vllm") + "/v1/chat/completions", body_for("vllm"))
    assert got.status == 200


def test_body_too_large_is_413(server: ReferenceServer, client: httpx.Client) -> None:
    big = body_for(prompt="x" * (MAX_BODY_BYTES + 10))
    got = call(client, server.base_url + "/v1/chat/completions", big)
    assert got.status == 413
    _error(got.json())


def test_bad_json_is_400(server: ReferenceServer, client: httpx.Client) -> None:
    got = call(client, server.base_url + "/v1/chat/completions", raw=b'{"model": "deepseek-chat", "messages": [')
    assert got.status == 400
    assert _error(got.json())["code"] == "invalid_json"


def test_chunked_request_body_is_read(server: ReferenceServer, client: httpx.Client) -> None:
    payload = httpx.Request("POST", "/", json=body_for()).read()
    resp = client.post(server.base_url + "/v1/chat/completions", content=iter([payload[:10], payload[10:]]),
                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 200
    assert resp.json()["object"] == "chat.completion"


def test_headers_select_profile_and_fault(server: ReferenceServer, client: httpx.Client) -> None:
    got = call(client, server.base_url + "/chat/completions", body_for("deepseek-official", stream=True),
               headers={"X-Conformance-Profile": "deepseek-official", "X-Conformance-Fault": "no-done"})
    assert got.status == 200
    assert b"\r\n\r\n" in got.body  # deepseek-official frames with CRLF
    assert "[DONE]" not in got.data


def test_path_prefix_wins_over_header_and_none_disables(client: httpx.Client) -> None:
    with ReferenceServer(api_key=KEY, fault="no-done") as srv:
        faulty = call(client, srv.base_url + "/v1/chat/completions", body_for(stream=True))
        clean = call(client, srv.url_for(fault="none") + "/v1/chat/completions", body_for(stream=True),
                     headers={"X-Conformance-Fault": "no-done"})
    assert "[DONE]" not in faulty.data
    assert clean.data[-1] == "[DONE]"


def test_url_for_builds_prefixes(server: ReferenceServer) -> None:
    assert server.url_for() == server.base_url
    assert server.url_for(profile="ark", fault="no-done") == f"{server.base_url}/profile/ark/fault/no-done"


def test_constructor_rejects_unknown_names() -> None:
    with pytest.raises(ValueError):
        ReferenceServer(fault="no-such-fault")
    with pytest.raises(ValueError):
        ReferenceServer(profile="no-such-profile")
    assert "no-done" in FAULTS


def test_concurrent_requests(server: ReferenceServer) -> None:
    import concurrent.futures

    def one(i: int) -> int:
        with httpx.Client(timeout=10, headers={"Authorization": f"Bearer {KEY}"}) as c:
            return call(c, server.base_url + "/v1/chat/completions", body_for(stream=bool(i % 2))).status

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert list(pool.map(one, range(16))) == [200] * 16
