"""The `conformance` command end to end, in-process, against real loopback servers."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from conformance.cli import main
from conformance.reference import ReferenceServer
from conformance.report._compare import results_schema

SECRET = "sk-cli-test-secret-4242"


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(api_key=SECRET) as srv:
        yield srv


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CLI_TEST_KEY", SECRET)
    return "CLI_TEST_KEY"


def _results(out: Path) -> dict:
    data = json.loads((out / "results.json").read_text())
    jsonschema.Draft202012Validator(results_schema()).validate(data)
    return data


def _no_secret_under(path: Path) -> None:
    for f in path.rglob("*"):
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes(), f"the API key leaked into {f}"


def test_clean_adhoc_run_exits_0_and_writes_valid_results(
    server: ReferenceServer, key_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "run",
            "--quick",
            "--base-url",
            server.url_for("canonical"),
            "--model",
            "deepseek-chat",
            "--api-key-env",
            key_env,
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    data = _results(tmp_path)
    prov = data["providers"][0]
    assert prov["summary"]["must_failed"] == 0 and prov["summary"]["pass"] > 100
    assert prov["spend"]["requests"] > 5 and prov["spend"]["completion_tokens"] > 0
    for check in prov["checks"]:
        if check["evidence"]:
            assert (tmp_path / check["evidence"]).is_file()
    _no_secret_under(tmp_path)
    assert SECRET not in capsys.readouterr().out


def test_a_fault_makes_the_run_exit_1_with_evidence_and_a_reproducer(
    server: ReferenceServer, key_env: str, tmp_path: Path
) -> None:
    code = main(
        [
            "run",
            "--quick",
            "--cases",
            "0",
            "--base-url",
            server.url_for("canonical", "no-done"),
            "--model",
            "deepseek-chat",
            "--api-key-env",
            key_env,
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 1
    checks = _results(tmp_path)["providers"][0]["checks"]
    failed = [c for c in checks if c["id"] == "TERM-001" and c["status"] == "fail"]
    assert failed, "TERM-001 must catch a stream without [DONE]"
    assert failed[0]["violations"] and failed[0]["evidence"]
    assert f"${key_env}" in failed[0]["reproducer"] and '"max_tokens": 32' in failed[0]["reproducer"]
    _no_secret_under(tmp_path)


def test_unreachable_provider_exits_3_and_reports_errors_not_passes(key_env: str, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the run: nothing listens there
    code = main(
        [
            "run",
            "--quick",
            "--cases",
            "0",
            "--base-url",
            f"http://127.0.0.1:{port}",
            "--model",
            "m",
            "--api-key-env",
            key_env,
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 3
    prov = _results(tmp_path)["providers"][0]
    assert prov["unreachable"] is True
    assert prov["summary"]["pass"] == 0 and prov["summary"]["error"] > 0


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["run", "--only", "NOPE-001"], "unknown invariant id or group"),
        (["run", "--base-url", "http://127.0.0.1:1"], "--base-url needs --model"),
        (["run", "--provider", "x", "--providers-file", "/nonexistent/providers.yaml"], "cannot read providers file"),
        (["run", "--repeat", "0"], "--repeat must be >= 1"),
        (["show", "NOPE-001"], "no invariant"),
        (["list", "--group", "nope"], "unknown group"),
        (["serve", "--fault", "nope"], "unknown fault"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and "\n" not in err


def test_bad_providers_file_names_field_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text("providers:\n  - name: a\n    base_url: http://x\n    profile: nope\n")
    assert main(["run", "--all", "--providers-file", str(path)]) == 2
    assert f"{path}:4: providers[0].profile: unknown profile 'nope'" in capsys.readouterr().err


def test_two_providers_from_a_file_run_side_by_side(server: ReferenceServer, key_env: str, tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(
        f"- name: ref-canonical\n  base_url: {server.url_for('canonical')}\n  api_key_env: {key_env}\n"
        f"- name: ref-official\n  base_url: {server.url_for('deepseek-official')}\n  api_key_env: {key_env}\n"
        f"  profile: deepseek-official\n"
    )
    out = tmp_path / "run"
    assert main(["run", "--all", "--quick", "--cases", "0", "--providers-file", str(path), "--out", str(out)]) == 0
    names = [p["name"] for p in _results(out)["providers"]]
    assert names == ["ref-canonical", "ref-official"]


def test_budget_stops_sending_and_says_so(server: ReferenceServer, key_env: str, tmp_path: Path) -> None:
    code = main(
        [
            "run",
            "--base-url",
            server.url_for("canonical"),
            "--model",
            "deepseek-chat",
            "--api-key-env",
            key_env,
            "--budget-tokens",
            "60",
            "--out",
            str(tmp_path),
        ]
    )
    prov = _results(tmp_path)["providers"][0]
    assert prov["spend"]["budget_exhausted"] is True
    assert prov["spend"]["requests"] < 20
    assert any("token budget" in n for n in prov["notes"])
    assert any(c["status"] == "skip" and "token budget" in c["message"] for c in prov["checks"])
    assert code == 0


def test_replay_recomputes_the_same_verdicts_offline(server: ReferenceServer, key_env: str, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    main(
        [
            "run",
            "--quick",
            "--cases",
            "0",
            "--base-url",
            server.url_for("canonical", "usage-wrong-total"),
            "--model",
            "deepseek-chat",
            "--api-key-env",
            key_env,
            "--out",
            str(run_dir),
        ]
    )
    original = {(c["id"], c["scenario"]): c["status"] for c in _results(run_dir)["providers"][0]["checks"]}
    replay_dir = tmp_path / "replay"
    assert main(["replay", str(run_dir), "--out", str(replay_dir)]) == 1
    replayed = {(c["id"], c["scenario"]): c["status"] for c in _results(replay_dir)["providers"][0]["checks"]}
    assert replayed == original
    assert original[("USAGE-006", "stream-usage")] == "fail"


def test_compare_merges_runs_into_one_table(
    server: ReferenceServer, key_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    main(
        [
            "run",
            "--quick",
            "--cases",
            "0",
            "--base-url",
            server.url_for("canonical"),
            "--model",
            "deepseek-chat",
            "--api-key-env",
            key_env,
            "--out",
            str(a),
        ]
    )
    main(
        [
            "run",
            "--quick",
            "--cases",
            "0",
            "--base-url",
            server.url_for("canonical", "id-changes"),
            "--model",
            "deepseek-chat",
            "--api-key-env",
            key_env,
            "--out",
            str(b),
        ]
    )
    capsys.readouterr()
    assert main(["compare", str(a / "results.json"), str(b / "results.json"), "--out", str(tmp_path / "c.json")]) == 0
    table = capsys.readouterr().out
    assert "| ORDER-001 |" in table and "FAIL" in table
    merged = json.loads((tmp_path / "c.json").read_text())
    assert len(merged["providers"]) == 2


def test_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--format", "json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert len(items) >= 100
    assert {"id", "rule", "severity", "group", "sources"} <= set(items[0])
    assert main(["show", "USAGE-003"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("USAGE-003") and "Sources:" in out


def test_scenarios_name_the_invariants_they_feed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "--profile", "ark", "--format", "json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert "USAGE-001" in rows["stream-usage"]["feeds"] and "USAGE-001" not in rows["stream-basic"]["feeds"]
    assert rows["stream-tools"]["skipped"]  # ark documents no tools
    assert "CONSIST-001" in rows["stream-length"]["feeds"] and "CONSIST-001" not in rows["stream-basic"]["feeds"]

