"""CPU cost of our SSE decoder against the openai SDK's decoder, on the same synthetic stream.

Run: .venv/bin/python benchmarks/bench_sse.py [--events 100000] [--repeat 5]

Both decoders get identical bytes in identical reads; no socket, no JSON parsing. Prints
events/s for each and the ratio ours/peer (above 1 = ours faster). Timings are machine facts and
are never asserted; the only checks are that both decoders found the same events.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

from openai import __version__ as openai_version
from openai._streaming import SSEDecoder as OpenAISSEDecoder

from conformance.capture import SSEDecoder


def make_stream(events: int, line_ending: bytes = b"\n") -> tuple[bytes, list[str]]:
    """A chat.completion.chunk stream of about 250-byte events, then a usage chunk and [DONE]."""
    payloads = []
    for i in range(events - 2):
        chunk = {
            "id": "chatcmpl-0123456789abcdef",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": "deepseek-chat",
            "system_fingerprint": "fp_0123456789",
            "choices": [
                {"index": 0, "delta": {"content": f"token{i % 1000} "}, "logprobs": None, "finish_reason": None}
            ],
            "usage": None,
        }
        payloads.append(json.dumps(chunk, separators=(",", ":")))
    payloads.append(
        '{"id":"chatcmpl-0123456789abcdef","object":"chat.completion.chunk","choices":[],'
        '"usage":{"prompt_tokens":10,"completion_tokens":99998,"total_tokens":100008}}'
    )
    payloads.append("[DONE]")
    nl = line_ending
    body = b"".join(b"data: " + p.encode() + nl + nl for p in payloads)
    return body, payloads


def split(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def split_per_event(body: bytes, sep: bytes) -> list[bytes]:
    parts = body.split(sep)
    return [p + sep for p in parts[:-1]]


def run_ours(reads: list[bytes]) -> list[str]:
    decoder = SSEDecoder()
    for t, data in enumerate(reads):
        decoder.feed(data, t)
    return [e.data for e in decoder.finish().events]


def run_peer(reads: list[bytes]) -> list[str]:
    return [sse.data for sse in OpenAISSEDecoder().iter_bytes(iter(reads))]


def best_times(reads: list[bytes], repeat: int) -> tuple[float, float, list[str], list[str]]:
    """Best time of each decoder, alternating runs so drift in machine load hits both alike."""
    ours_t: list[float] = []
    peer_t: list[float] = []
    got_ours: list[str] = []
    got_peer: list[str] = []
    for _ in range(repeat):
        t = time.perf_counter()
        got_ours = run_ours(reads)
        ours_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        got_peer = run_peer(reads)
        peer_t.append(time.perf_counter() - t)
    return min(ours_t), min(peer_t), got_ours, got_peer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()} ({platform.system()}), openai {openai_version}")
    print(f"{'reads':<22} {'events':>7} {'MB':>6} {'ours ev/s':>11} {'openai ev/s':>12} {'ours/openai':>11}")
    shapes: list[tuple[str, bytes, int | None]] = [  # read size None: one event per read
        ("16 KiB reads, LF", b"\n", 16 * 1024),
        ("one event per read, LF", b"\n", None),
        ("16 KiB reads, CRLF", b"\r\n", 16 * 1024),
        ("1 KiB reads, LF", b"\n", 1024),
    ]
    for label, ending, size in shapes:
        body, payloads = make_stream(args.events, ending)
        reads = split(body, size) if size else split_per_event(body, ending * 2)
        t_ours, t_peer, got_ours, got_peer = best_times(reads, args.repeat)
        if got_ours != payloads or got_peer != payloads:
            print(f"{label}: decoders disagree with the stream", file=sys.stderr)
            return 1
        n = len(payloads)
        print(
            f"{label:<22} {n:>7} {len(body) / 1e6:>6.1f} {n / t_ours:>11,.0f} {n / t_peer:>12,.0f} "
            f"{t_peer / t_ours:>10.2f}x"
        )
    print("ratio = openai time / our time (above 1: ours is faster). Best of", args.repeat, "runs each.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
