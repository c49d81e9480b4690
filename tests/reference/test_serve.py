"""`serve()` runs in the foreground, announces its URL, answers, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx

SCRIPT = ("from conformance.reference import serve, Timing; "
          "serve(profile='deepseek-official', fault=None, port=0, api_key='sk-serve', timing=Timing())")


def test_serve_answers_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # blocks until the server announced itself (or died)
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        base = match.group(1)
        with httpx.Client(timeout=10, headers={"Authorization": "Bearer sk-serve"}) as client:
            resp = client.post(base + "/chat/completions", json={
                "model": "deepseek-chat", "messages": [{"role": "user", "content": "Say hello in five words."}]})
        assert resp.status_code == 200
        assert resp.json()["system_fingerprint"].startswith("fp_")
        started = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert time.perf_counter() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr is not None:
            proc.stderr.close()
