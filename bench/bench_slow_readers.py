"""Slow readers: pages while clients that never read hold large answers (see bench/README.md).

It starts ``imagraph serve`` (``--workers``, default 2, with its default threads) on the bundled
graph and a synthetic one of ``--scale`` triples (default 50,000: a 10 MB N-Quads dump), and for
each number of stalled readers (``--readers``, default 0 40 200; 0 is the
reference), opens that many connections with a 2 KB receive buffer which each ask for a large
answer and never read it: half of them the N-Quads dump (sent from its file), half a SPARQL
answer of 5 MB in XML (made by the server), each larger than what the sockets buffer. Then one client asks for a
resource page ``--pages`` times, and the run reports the pages' latency (median, max, and the
median's ratio to the reference) and how many got no answer within 5 s. Then it waits for the
server to close the stalled connections (``--send-timeout``, given to the server as
``IMAGRAPH_SEND_TIMEOUT``) and reports when that happened, from their opening. Last, the time
a client that reads at once takes to download the dump.

Usage: python bench/bench_slow_readers.py [--readers 0 40 200] [--pages 20] [--workers 2]
       [--scale 50000] [--send-timeout 10] [--out FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import requests

from common import emit, free_port  # bench/common.py (scripts run from bench/)
from imagraph.generate import write_ntriples

ROOT = Path(__file__).resolve().parents[1]
PAGE = "/org/bmi"
DUMP = "/dumps/imanoeb.nq"
QUERY = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 10000"
#: What a stalled reader asks for, in turn.
TARGETS = (
    (DUMP, "*/*"),
    ("/sparql?query=" + quote(QUERY), "application/sparql-results+xml"),
)


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


def stalled_reader(port: int, target: str, accept: str) -> socket.socket:
    """A connection that asks for ``target`` and never reads the answer."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # before connecting: the window
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: bench\r\nAccept: {accept}\r\n\r\n".encode())
    return sock


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, nargs="+", default=[0, 40, 200])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=int, default=50_000)
    parser.add_argument("--send-timeout", type=float, default=10.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    lines = [
        f"Workers: {args.workers}; pages: {args.pages} requests for {PAGE} (text/html) one "
        f"after another; stalled readers ask in turn for {DUMP} and a SPARQL XML answer.",
        "",
        "| stalled readers | page p50 ms | page max ms | p50 / reference | no answer in 5 s "
        "| server closed the readers after s |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "data").mkdir()
        for path in (ROOT / "data").glob("*.ttl"):
            shutil.copy(path, folder / "data")
        write_ntriples(folder / "data" / "synthetic.nt", scale=args.scale)
        proc = start(port, args.workers, args.send_timeout, folder)
        try:
            sizes = [
                len(requests.get(url + t, headers={"Accept": a}, timeout=60).content)
                for t, a in TARGETS
            ]
            print(f"answer sizes: {sizes} bytes", file=sys.stderr)
            page_times(url, 5)  # warm up
            seconds, size = download_seconds(url)
            reference = None
            for n in args.readers:
                opened = time.monotonic()
                socks = [stalled_reader(port, *TARGETS[i % 2]) for i in range(n)]
                time.sleep(3)  # the server takes them all and fills their buffers
                times, failed = page_times(url, args.pages)
                p50 = statistics.median(times) * 1000 if times else float("nan")
                top = max(times) * 1000 if times else float("nan")
                if reference is None:
                    reference = p50
                closed = closed_after(socks, opened, args.send_timeout + 30) if n else None
                for sock in socks:
                    sock.close()
                shown = (
                    "-" if not n else "not within the wait" if closed is None else f"{closed:.1f}"
                )
                lines.append(
                    f"| {n} | {p50:.1f} | {top:.1f} | {p50 / reference:.2f}x | {failed} | {shown} |"
                )
                time.sleep(1)
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
