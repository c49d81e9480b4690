"""Ctrl-C during a run stops sending, keeps what was judged and writes results.json (exit 130)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema

from conformance.reference import ReferenceServer, Timing
from conformance.report._compare import results_schema

KEY = "sk-interrupt-test"


def test_sigint_writes_partial_results_and_exits_130(tmp_path: Path) -> None:
    slow = Timing(ttft_s=0.05, token_gap_s=0.03)  # a full run would take well over a minute
    with ReferenceServer(api_key=KEY, timing=slow) as srv:
        out = tmp_path / "run"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "conformance.cli",
                "run",
                "--base-url",
                srv.url_for("canonical"),
                "--model",
                "deepseek-chat",
                "--api-key-env",
                "INTERRUPT_KEY",
                "--cases",
                "0",
                "--out",
                str(out),
            ],
            env={**os.environ, "INTERRUPT_KEY": KEY, "CI": "true"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3.0)  # let some scenarios finish
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr[-2000:]
    assert "interrupted" in stderr
    data = json.loads((out / "results.json").read_text())
    jsonschema.Draft202012Validator(results_schema()).validate(data)
    assert data["options"]["interrupted"] is True
    checks = data["providers"][0]["checks"]
    statuses = {c["status"] for c in checks}
    assert "pass" in statuses, "verdicts reached before the interrupt are kept"
    unsent = [c for c in checks if c["status"] == "error" and "run interrupted" in c["message"]]
    assert unsent, "scenarios never sent are errors, never passes"
    assert data["providers"][0]["spend"]["requests"] < 60
