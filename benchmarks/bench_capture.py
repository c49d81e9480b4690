"""Per-chunk cost of capture() against a bare httpx iter_raw() loop, over real loopback HTTP.

Run: .venv/bin/python benchmarks/bench_capture.py [--events 20000] [--paced-events 2000] [--repeat 5]

A server in a separate process (so it does not share our GIL) streams chat.completion.chunk
events as chunked text/event-stream. Two shapes:

- bulk: every event written at once; reads come back as large blocks (throughput);
- paced: one event every ~0.3 ms, so nearly every event arrives in its own read (an LLM stream).

For each, the peer is the least a client can do: `client.stream(...)` + `iter_raw()`, stamping
each read with `perf_counter_ns()` and keeping it. Ours is `capture()` with its bounds, watchdog,
incremental event counting and redaction. Client CPU time (`time.process_time`, this process
only) is compared per `iter_raw()` item (one per HTTP chunk here), so the server's pacing and
sleeps do not count. Timings are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import socket
import statistics
import time
from collections.abc import Callable

import httpx

from conformance.capture import Bounds, EndReason, capture

BOUNDS = Bounds(connect_s=5, ttfb_s=30, idle_s=30, total_s=120, max_bytes=1 << 30, max_events=10_000_000)


def _events(n: int) -> list[bytes]:
    out = []
    for i in range(n - 1):
        chunk = {
            "id": "chatcmpl-0123456789abcdef",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": "deepseek-chat",
            "choices": [{"index": 0, "delta": {"content": f"token{i % 1000} "}, "finish_reason": None}],
        }
        out.append(b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n")
    out.append(b"data: [DONE]\n\n")
    return out


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _serve(listener: socket.socket, events: int, paced_events: int, pace_s: float) -> None:
    """Child process: answer each request on `/bulk` or `/paced`, keep-alive, until killed."""
    bulk = b"".join(_chunk(e) for e in _events(events)) + b"0\r\n\r\n"
    paced = [_chunk(e) for e in _events(paced_events)]
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    break
                buf += data
            if b"\r\n\r\n" not in buf:
                conn.close()
                break
            request_head, _, buf = buf.partition(b"\r\n\r\n")
            length = 0
            for line in request_head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(buf) < length:
                buf += conn.recv(65536)
            buf = buf[length:]
            conn.sendall(head)
            if request_head.split(b" ")[1].startswith(b"/bulk"):
                conn.sendall(bulk)
            else:
                deadline = time.perf_counter()
                for piece in paced:
                    deadline += pace_s
                    while (now := time.perf_counter()) < deadline:
                        time.sleep(max(0.0, deadline - now - 0.0001))
                    conn.sendall(piece)
                conn.sendall(b"0\r\n\r\n")


def peer(client: httpx.Client, url: str) -> tuple[int, int]:
    """A bare iter_raw() loop that keeps each read with its time: the floor for any recorder."""
    reads = []
    t0 = time.perf_counter_ns()
    with client.stream("POST", url, content=b"{}", headers={"Accept-Encoding": "identity"}) as resp:
        for data in resp.iter_raw():
            reads.append((time.perf_counter_ns() - t0, data))
    return len(reads), sum(len(d) for _, d in reads)


def ours(client: httpx.Client, url: str) -> tuple[int, int]:
    exchange = capture(
        client,
        method="POST",
        url=url,
        headers={"Authorization": "Bearer sk-bench-secret"},
        body=b"{}",
        bounds=BOUNDS,
    )
    if exchange.end is not EndReason.EOF:
        raise RuntimeError(f"capture ended {exchange.end}: {exchange.end_detail}")
    return len(exchange.reads), len(exchange.body)


def measure(
    fn: Callable[[httpx.Client, str], tuple[int, int]], client: httpx.Client, url: str
) -> tuple[float, float, int, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    reads, size = fn(client, url)
    return time.perf_counter() - wall, time.process_time() - cpu, reads, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events in the bulk stream")
    parser.add_argument("--paced-events", type=int, default=2_000, help="events in the paced stream")
    parser.add_argument("--pace-ms", type=float, default=0.3, help="gap between paced events")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    ctx = multiprocessing.get_context("fork")
    server = ctx.Process(
        target=_serve, args=(listener, args.events, args.paced_events, args.pace_ms / 1000), daemon=True
    )
    server.start()
    listener.close()  # the child owns it now
    print(f"python {platform.python_version()}, httpx {httpx.__version__}, {multiprocessing.cpu_count()} CPUs")
    try:
        with httpx.Client(timeout=60) as client:
            for shape in ("bulk", "paced"):
                url = f"http://127.0.0.1:{port}/{shape}"
                peer(client, url), ours(client, url)  # warm the connection and caches
                rows: dict[str, list[tuple[float, float, int, int]]] = {"peer": [], "ours": []}
                for _ in range(args.repeat):  # alternate so load drift hits both alike
                    rows["peer"].append(measure(peer, client, url))
                    rows["ours"].append(measure(ours, client, url))
                report(shape, rows)
    finally:
        server.kill()
        server.join(5)
    print("chunk = one item from iter_raw() (one per HTTP chunk, even when one recv holds many).")
    print("cpu/chunk = client CPU (process_time) per chunk, median of runs; overhead = ours - peer.")
    return 0


def report(shape: str, rows: dict[str, list[tuple[float, float, int, int]]]) -> None:
    def med(name: str, i: int) -> float:
        return statistics.median(r[i] for r in rows[name])

    reads_p, reads_o = med("peer", 2), med("ours", 2)
    size = rows["ours"][0][3]
    cpu_p, cpu_o = med("peer", 1) / reads_p * 1e6, med("ours", 1) / reads_o * 1e6
    wall_p, wall_o = med("peer", 0), med("ours", 0)
    print(
        f"{shape:<6} {size / 1e6:5.1f} MB | chunks peer {reads_p:>6.0f} ours {reads_o:>6.0f} | "
        f"wall peer {wall_p * 1e3:7.1f} ms ours {wall_o * 1e3:7.1f} ms ({wall_o / wall_p:4.2f}x) | "
        f"cpu/chunk peer {cpu_p:6.1f} µs ours {cpu_o:6.1f} µs | overhead {cpu_o - cpu_p:+6.1f} µs/chunk "
        f"({cpu_o / cpu_p:4.2f}x)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
