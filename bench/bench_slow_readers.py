"""Slow clients: pages while clients never read their answers, or trickle their bodies (see
bench/README.md).

It starts ``imagraph serve`` (``--workers``, default 2, with its default threads and budgets) on
the bundled graph and a synthetic one of ``--scale`` triples (default 50,000: a 10 MB N-Quads
dump). For each number of stalled readers (``--readers``, default 0 40 200; 0 is the reference)
it opens that many connections with a 2 KB receive buffer which each ask for a different SPARQL
answer of 7.7 MB in XML (one query with a different comment each) and never read it, waits until
every answer has begun (or its connection was reset), ``--wait`` seconds at most (default 30),
and then one client asks for a resource page ``--pages`` times: the run reports the pages' latency (median, max, and the median's ratio
to the reference), how many got no answer within 5 s, and when the server had closed every
reader (``--send-timeout``, given to the server as ``IMAGRAPH_SEND_TIMEOUT``), from their
opening. For each number of slow senders (``--senders``, default 20) it opens that many
connections that send ``POST /sparql`` and then their body a byte a second, half of them chunked
(a chunk of one byte each time), half after ``Expect: 100-continue``, and times the pages the
same way two seconds later. Last, the time a client that reads at once takes to download the
dump.

Usage: python bench/bench_slow_readers.py [--readers 0 40 200] [--senders 20] [--pages 20]
       [--wait 30] [--workers 2] [--scale 50000] [--send-timeout 10] [--out FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import requests

from common import emit, free_port  # bench/common.py (scripts run from bench/)
from imagraph.generate import write_ntriples

ROOT = Path(__file__).resolve().parents[1]
PAGE = "/org/bmi"
DUMP = "/dumps/imanoeb.nq"
#: 10,000 rows, 7.7 MB in XML; a comment after it makes each reader's answer its own.
QUERY = (
    "SELECT * WHERE { ?s ?p ?o . ?s ?p2 ?o2 BIND(CONCAT(STR(?s),STR(?p),STR(?o),STR(?s),STR(?p),"
    "STR(?o)) AS ?x) } LIMIT 10000"
)
XML = "application/sparql-results+xml"
SLOW_HEAD = "POST /sparql HTTP/1.1\r\nHost: bench\r\nContent-Type: application/sparql-query\r\n"


def start(port: int, workers: int, send_timeout: float, folder: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "IMAGRAPH_SEND_TIMEOUT": str(send_timeout),
        "IMAGRAPH_DATA_DIR": str(folder / "data"),
        "IMAGRAPH_DUMP_DIR": str(folder / "dumps"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "imagraph.cli", "serve", "--port", str(port),
         "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            listing = requests.get(url + "/dumps", headers={"Accept": "application/json"})
            if listing.ok and not any(d.get("beingMade") for d in listing.json()["dumps"]):
                return proc
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start (or did not make its dumps) in 120 s")


def stalled_reader(port: int, i: int) -> socket.socket:
    """A connection that asks for answer ``i`` and never reads it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # before connecting: the window
    sock.connect(("127.0.0.1", port))
    target = "/sparql?query=" + quote(f"{QUERY} #{i}")
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: bench\r\nAccept: {XML}\r\n\r\n".encode())
    return sock


def slow_sender(port: int, i: int, stop: threading.Event) -> socket.socket:
    """A connection that sends its body a byte a second until ``stop``: chunked if ``i`` is
    even, else after ``Expect: 100-continue``."""
    sock = socket.create_connection(("127.0.0.1", port))
    if i % 2:
        head, piece = "Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n", b"A"
    else:
        head, piece = "Transfer-Encoding: chunked\r\n\r\n", b"1\r\nA\r\n"
    sock.sendall((SLOW_HEAD + head).encode())

    def trickle() -> None:
        with contextlib.suppress(OSError):
            while not stop.wait(1):
                sock.send(piece)

    threading.Thread(target=trickle, daemon=True).start()
    return sock


def begun(socks: list[socket.socket], limit: float) -> str:
    """When every one of ``socks`` had bytes of its answer (or its reset) to read, in seconds,
    or how many had within ``limit`` seconds."""
    since = time.monotonic()
    while (ready := len(select.select(socks, [], [], 0)[0])) < len(socks):
        if time.monotonic() - since > limit:
            return f"{ready} of {len(socks)} in {limit:g}"
        time.sleep(0.1)
    return f"{time.monotonic() - since:.1f}"


def page_times(url: str, pages: int) -> tuple[list[float], int]:
    """Seconds each page request took; the number with no answer within 5 s."""
    times, failed = [], 0
    for _ in range(pages):
        begin = time.monotonic()
        try:
            resp = requests.get(url + PAGE, headers={"Accept": "text/html"}, timeout=5)
            resp.raise_for_status()
            times.append(time.monotonic() - begin)
        except requests.RequestException:
            failed += 1
    return times, failed


def closed_after(socks: list[socket.socket], since: float, limit: float) -> float | None:
    """Seconds from ``since`` until the server closed every one of ``socks`` (None: not within
    ``limit``), seen in the connections' TCP state (Linux), without reading from them."""
    open_ = list(socks)
    while open_ and time.monotonic() - since < limit:
        open_ = [s for s in open_ if s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == 1]
        time.sleep(0.2)
    return None if open_ else time.monotonic() - since


def download_seconds(url: str) -> tuple[float, int]:
    """The median of 10 downloads of the dump by a client that reads at once; its size."""
    times, size = [], 0
    for _ in range(10):
        begin = time.monotonic()
        size = len(requests.get(url + DUMP, timeout=60).content)
        times.append(time.monotonic() - begin)
    return statistics.median(times), size


def row(kind: str, n: int, times: list[float], failed: int, reference: float, *rest: str) -> str:
    p50 = statistics.median(times) * 1000 if times else float("nan")
    top = max(times) * 1000 if times else float("nan")
    return f"| {kind} | {n} | {p50:.1f} | {top:.1f} | {p50 / reference:.2f}x | {failed} | " + (
        " | ".join(rest) + " |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, nargs="+", default=[0, 40, 200])
    parser.add_argument("--senders", type=int, nargs="*", default=[20])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--wait", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=int, default=50_000)
    parser.add_argument("--send-timeout", type=float, default=10.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    lines = [
        f"Workers: {args.workers}; pages: {args.pages} requests for {PAGE} (text/html) one "
        "after another; each stalled reader asks for its own 7.7 MB SPARQL XML answer; slow "
        "senders send a body a byte a second (half chunked, half after 100-continue).",
        "",
        "| clients | n | page p50 ms | page max ms | p50 / reference | no answer in 5 s "
        "| answers begun after s | server closed them after s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "data").mkdir()
        for path in (ROOT / "data").glob("*.ttl"):
            shutil.copy(path, folder / "data")
        write_ntriples(folder / "data" / "synthetic.nt", scale=args.scale)
        proc = start(port, args.workers, args.send_timeout, folder)
        try:
            answer = requests.get(url + "/sparql?query=" + quote(QUERY), headers={"Accept": XML})
            print(f"answer size: {len(answer.content)} bytes", file=sys.stderr)
            page_times(url, 5)  # warm up
            seconds, size = download_seconds(url)
            reference = None
            for n in args.readers:
                opened = time.monotonic()
                socks = [stalled_reader(port, i) for i in range(n)]
                made = begun(socks, args.wait) if n else "-"
                times, failed = page_times(url, args.pages)
                if reference is None:
                    reference = statistics.median(times) * 1000
                closed = closed_after(socks, opened, args.send_timeout + 150) if n else None
                for sock in socks:
                    sock.close()
                shown = (
                    "-" if not n else "not within the wait" if closed is None else f"{closed:.1f}"
                )
                lines.append(row("stalled readers", n, times, failed, reference, made, shown))
                time.sleep(1)
            assert reference is not None
            for n in args.senders:
                stop = threading.Event()
                socks = [slow_sender(port, i, stop) for i in range(n)]
                time.sleep(2)
                times, failed = page_times(url, args.pages)
                stop.set()
                for sock in socks:
                    sock.close()
                lines.append(row("slow senders", n, times, failed, reference, "-", "-"))
        finally:
            proc.terminate()
            proc.wait(30)
    lines += [
        "",
        f"A client that reads at once downloads {DUMP} ({size:,} bytes) in {seconds:.3f} s "
        f"(median of 10).",
    ]
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
