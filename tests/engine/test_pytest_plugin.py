"""`pytest --pyargs conformance` in a child process: tests per check, JUnit, Allure, xdist, -k by id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.reference import ReferenceServer

KEY = "sk-plugin-test-key"


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(api_key=KEY) as srv:
        yield srv


def _pytest(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLUGIN_TEST_KEY": KEY}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance", "-p", "no:cacheprovider", "-q", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _junit(path: Path) -> list[ET.Element]:
    return list(ET.parse(path).getroot().iter("testcase"))


def test_plugin_runs_one_test_per_check_with_junit_allure_and_results(server: ReferenceServer, tmp_path: Path) -> None:
    proc = _pytest(
        [
            "--quick",
            "--conformance-cases",
            "0",
            "--base-url",
            server.url_for("canonical"),
            "--model",
            "deepseek-chat",
            "--api-key-env",
            "PLUGIN_TEST_KEY",
            "--junitxml",
            str(tmp_path / "junit.xml"),
            "--alluredir",
            str(tmp_path / "allure"),
            "--conformance-out",
            str(tmp_path / "out"),
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    cases = _junit(tmp_path / "junit.xml")
    assert len(cases) > 300
    assert any("USAGE-003:stream-usage:adhoc" in c.get("name", "") for c in cases)
    allure_files = list((tmp_path / "allure").glob("*-result.json"))
    assert len(allure_files) == len(cases)
    labels = json.loads(allure_files[0].read_text())["labels"]
    assert {lab["name"] for lab in labels} >= {"epic", "feature", "story", "severity"}
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    prov = results["providers"][0]
    assert prov["summary"]["pass"] > 100
    assert prov["spend"]["requests"] >= 10 and prov["spend"]["completion_tokens"] > 0


def test_plugin_fails_must_tests_on_a_fault_and_selects_by_id(server: ReferenceServer, tmp_path: Path) -> None:
    proc = _pytest(
        [
            "--quick",
            "--conformance-cases",
            "0",
            "--base-url",
            server.url_for("canonical", "no-done"),
            "--model",
            "deepseek-chat",
            "--api-key-env",
            "PLUGIN_TEST_KEY",
            "-k",
            "TERM-001",
            "--junitxml",
            str(tmp_path / "junit.xml"),
        ],
        tmp_path,
    )
    assert proc.returncode == 1
    cases = _junit(tmp_path / "junit.xml")
    assert cases and all("TERM-001" in c.get("name", "") for c in cases)
    failures = [c for c in cases if c.find("failure") is not None]
    assert failures
    text = failures[0].find("failure").get("message", "") + (failures[0].find("failure").text or "")
    assert "Expected:" in text and "Received:" in text


def test_plugin_under_xdist_gives_the_same_outcomes(server: ReferenceServer, tmp_path: Path) -> None:
    common = [
        "--quick",
        "--conformance-cases",
        "0",
        "--base-url",
        server.url_for("canonical", "usage-wrong-total"),
        "--model",
        "deepseek-chat",
        "--api-key-env",
        "PLUGIN_TEST_KEY",
        "-m",
        "usage",
    ]
    serial = _pytest([*common, "--junitxml", str(tmp_path / "serial.xml"), "--conformance-out", str(tmp_path / "s")],
                     tmp_path)
    parallel = _pytest([*common, "-n", "2", "--junitxml", str(tmp_path / "par.xml"),
                        "--conformance-out", str(tmp_path / "p")], tmp_path)
    assert serial.returncode == parallel.returncode == 1
    spend = [json.loads((tmp_path / d / "results.json").read_text())["providers"][0]["spend"] for d in ("s", "p")]
    # Workers share captures, so every scenario is sent once in all, whichever worker needs it first.
    assert spend[0] == spend[1] and spend[0]["requests"] > 0

    def outcomes(path: Path) -> dict[str, str]:
        out = {}
        for c in _junit(path):
            kind = "fail" if c.find("failure") is not None else "skip" if c.find("skipped") is not None else "pass"
            out[c.get("name", "")] = kind
        return out

    a, b = outcomes(tmp_path / "serial.xml"), outcomes(tmp_path / "par.xml")
    assert a == b and "fail" in a.values()
