"""Load benchmark: resource pages under 32 clients while heavy queries run (see bench/README.md).

It starts ``imagraph serve`` on the bundled graph and runs two phases of the same length, side
by side in one run:

- **reference**: ``--clients`` clients (default 32) fetch resource pages (Turtle and HTML, in
  turn, every resource of the data), each ``--rate`` requests a second (default 10, as a person
  or a harvester does; 0: each as fast as it is answered, a closed loop that measures the queue
  it makes more than the server);
- **under heavy queries**: the same, while ``--heavy`` clients (default 2) loop a query that runs
  into the time limit, back to back, and ``--light`` clients (default 4) send small SPARQL
  queries at the same rate.

Every client has its own loopback address (127.0.0.x), as clients of a real server have theirs,
so the per-client slot limits apply to each as they would. Clients run in ``--procs`` processes
(threads in each), so that the client's own Python does not measure itself.

An error is any answer other than 200 to a resource page or a light query, a failed connection,
or a heavy query answered other than with its time limit (503) or the per-client limit (429).
It reports per phase: requests, errors, requests/s, resource latency p50/p99/max, and the
ratio of the p99 under heavy queries to the reference p99. It exits 1 when there were errors or
the resource p99 under heavy queries is above ``--max-p99`` milliseconds (0: no limit on it).

Usage: python bench/bench_load.py [--seconds 60] [--clients 32] [--heavy 2] [--light 4]
       [--workers 2] [--max-p99 50] [--out FILE]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from common import emit, free_port  # bench/common.py (scripts run from bench/)

ROOT = Path(__file__).resolve().parents[1]
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LIGHT = (
    "PREFIX imo: <https://w3id.org/imanoeb/ontology#> "
    "SELECT ?m ?d WHERE { ?m a imo:Meeting ; <https://schema.org/startDate> ?d } LIMIT 10"
)


class _From(HTTPAdapter):
    """Connections from one loopback address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(pool_connections=1, pool_maxsize=1)

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _session(address: str) -> requests.Session:
    s = requests.Session()
    s.mount("http://", _From(address))
    return s


def _client(
    kind: str, address: str, url: str, paths: list[str], stop: float, rate: float, out: list
) -> None:
    session = _session(address)
    i = sum(map(ord, address)) % max(1, len(paths))
    gap = 1 / rate if rate and kind != "heavy" else 0.0
    due = time.monotonic()
    while time.monotonic() < stop:
        if gap:  # a paced client: one request every `gap` seconds (not a closed loop)
            due += gap
            time.sleep(max(0.0, due - time.monotonic()))
        if kind == "resource":
            path = paths[i % len(paths)]
            accept = "text/turtle" if i % 2 else "text/html"
            req = (url + path, {"Accept": accept}, None)
        elif kind == "light":
            req = (url + "sparql", {"Accept": "application/sparql-results+json"}, {"query": LIGHT})
        else:
            req = (url + "sparql", {"Accept": "application/sparql-results+json"}, {"query": HEAVY})
        i += 1
        start = time.monotonic()
        try:
            resp = session.get(req[0], headers=req[1], params=req[2], timeout=30)
            status = resp.status_code
        except requests.RequestException:
            status = 0
        out.append((kind, status, time.monotonic() - start))


def _procs(
    spec: list[tuple[str, str]], url: str, paths: list[str], stop: float, rate: float, queue
) -> None:
    """One client process: a thread per (kind, address); its records go to ``queue``."""
    records: list = []
    threads = [
        threading.Thread(target=_client, args=(kind, address, url, paths, stop, rate, records))
        for kind, address in spec
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(records)


def phase(
    url: str, paths: list[str], seconds: float, clients: dict[str, int], procs: int, rate: float
):
    spec = []
    n = 0
    for kind, count in clients.items():
        for _ in range(count):
            n += 1
            spec.append((kind, f"127.0.{1 + n // 250}.{1 + n % 250}"))
    groups = [spec[i::procs] for i in range(procs)]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    stop = time.monotonic() + seconds
    started = [
        ctx.Process(target=_procs, args=(g, url, paths, stop, rate, queue)) for g in groups if g
    ]
    for p in started:
        p.start()
    records = [r for _ in started for r in queue.get()]
    for p in started:
        p.join()
    return records


def _errors(records) -> int:
    bad = 0
    for kind, status, _ in records:
        if kind == "heavy":
            bad += status not in (503, 429)
        else:
            bad += status != 200
    return bad


def _ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def summary(name: str, records, seconds: float) -> dict:
    lat = [s for kind, status, s in records if kind == "resource"]
    return {
        "name": name,
        "requests": len(records),
        "resources": len(lat),
        "errors": _errors(records),
        "rps": len(records) / seconds,
        "p50": _ms(lat, 0.50),
        "p99": _ms(lat, 0.99),
        "max": max(lat) * 1000 if lat else float("nan"),
        "heavy": sum(1 for k, _, _ in records if k == "heavy"),
        "light": sum(1 for k, _, _ in records if k == "light"),
        "light_p99": _ms([s for k, st, s in records if k == "light"], 0.99),
    }


def resource_paths(url: str) -> list[str]:
    query = "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s) && STRSTARTS(STR(?g), 'https://w3id.org/imanoeb/graph/data/')) }"
    resp = requests.get(
        url + "sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    base = "https://w3id.org/imanoeb/"
    return sorted(
        b["s"]["value"][len(base) :]
        for b in resp.json()["results"]["bindings"]
        if b["s"]["value"].startswith(base) and "#" not in b["s"]["value"]
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--heavy", type=int, default=2)
    ap.add_argument("--light", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--max-p99", type=float, default=50.0)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    port = free_port()
    env = {**os.environ, "IMAGRAPH_QUERY_TIMEOUT": os.environ.get("IMAGRAPH_QUERY_TIMEOUT", "10")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "imagraph.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "readyz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        paths = resource_paths(url)
        # warm the server's caches once, as a running server's are
        for path in paths:
            for accept in ("text/turtle", "text/html"):
                requests.get(url + path, headers={"Accept": accept}, timeout=30)
        ref = summary(
            "reference: resources only",
            phase(url, paths, args.seconds, {"resource": args.clients}, args.procs, args.rate),
            args.seconds,
        )
        load = summary(
            f"under {args.heavy} heavy + {args.light} light query clients",
            phase(
                url,
                paths,
                args.seconds,
                {"resource": args.clients, "heavy": args.heavy, "light": args.light},
                args.procs,
                args.rate,
            ),
            args.seconds,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    lines = [
        f"{len(paths)} resource paths, {args.clients} resource clients at {args.rate:g} req/s "
        f"each, {args.seconds:g} s per phase, {args.workers} workers; command: python "
        f"bench/bench_load.py --seconds {args.seconds:g} --clients {args.clients} "
        f"--rate {args.rate:g}",
        "",
        "| phase | requests | errors | req/s | resource p50 ms | resource p99 ms | max ms | p99 ratio | heavy | light (p99 ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in (ref, load):
        ratio = row["p99"] / ref["p99"] if ref["p99"] else float("nan")
        lines.append(
            f"| {row['name']} | {row['requests']} | {row['errors']} | {row['rps']:.0f} | "
            f"{row['p50']:.1f} | {row['p99']:.1f} | {row['max']:.1f} | {ratio:.2f}x | "
            f"{row['heavy']} | {row['light']} ({row['light_p99']:.1f}) |"
        )
    emit("\n".join(lines), args.out)
    errors = ref["errors"] + load["errors"]
    slow = args.max_p99 > 0 and load["p99"] > args.max_p99
    if errors:
        print(f"FAILED: {errors} errors", file=sys.stderr)
    if slow:
        print(f"FAILED: resource p99 above {args.max_p99:g} ms", file=sys.stderr)
    failed = bool(errors) or slow
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
