"""Where the time of a request goes in the server's worker: gunicorn, the loop, Flask, imagraph.

``profile_requests.py`` calls the app in process; this one runs ``imagraph serve`` (one worker,
response cache off) with the worker's loop and its threads under cProfile, loads it with ``wrk``
(1 connection, one resource after another of the bundled data, in each ``Accept`` of
``--kinds``; ``select``: a SPARQL SELECT of each resource's triples) and sums the worker's time
by where it is spent, the time its loop waits for the next request (``epoll``) left out. The
loop answers a resource itself, so its profile holds all of it: reading the request, gunicorn's
parser and response, Flask, imagraph, the engine, the access log; a query goes to a thread,
which waits for the query runner (a forked child cProfile does not see).

Usage: python bench/profile_worker.py [--seconds 5] [--kinds ttl jsonld html select] [--top 10]
"""

from __future__ import annotations

import argparse
import pstats
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

from bench_deref import FORMATS, LUA, serving, subjects  # bench/ (scripts run from bench/)
from common import emit, free_port
from profile_requests import area

ROOT = Path(__file__).resolve().parents[1]
#: Run in the server's process: the worker's loop under cProfile, its statistics written to the
#: folder named by IMAGRAPH_PROFILE_DIR when the worker stops.
LAUNCHER = """
import cProfile, os, sys, threading
from imagraph.web import worker
run, handle = worker.Worker.run, worker.Worker.handle
threads, local = [], threading.local()
def profiled(self):
    profile = cProfile.Profile()
    profile.enable()
    try:
        run(self)
    finally:
        profile.disable()
        for i, p in enumerate([profile, *threads]):
            p.dump_stats(os.path.join(os.environ["IMAGRAPH_PROFILE_DIR"], f"{os.getpid()}-{i}.prof"))
def handled(self, conn):
    if threading.current_thread() is threading.main_thread():  # the loop's: profiled in run
        return handle(self, conn)
    if not hasattr(local, "profile"):
        local.profile = cProfile.Profile()
        threads.append(local.profile)
    local.profile.enable()
    try:
        return handle(self, conn)
    finally:
        local.profile.disable()
worker.Worker.run, worker.Worker.handle = profiled, handled
from imagraph.cli import cli
cli(sys.argv[1:])
"""


#: What a SPARQL SELECT asks of each resource (as ``profile_requests.py`` does).
SELECT = "SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} LIMIT 100"
ACCEPT = {**FORMATS, "select": "application/sparql-results+json"}


def where(func: tuple[str, int, str]) -> str:
    """The area a function's time is counted in (gunicorn's own, else as in-process)."""
    if "/gunicorn/" in func[0]:
        return "gunicorn (parser, response, loop)"
    if func[0] == "~" and "epoll" in func[2]:
        return "waiting"  # the loop, for the next request
    if func[0] == "~" and "'recv" in func[2]:
        return "built-ins"  # the loop reads what is there (its socket does not block)
    return area(func)


def profile(kind: str, seconds: int, paths: Path, tmp: Path) -> dict[str, float]:
    """Seconds of the worker's time by area, and the requests it answered (``requests``)."""
    folder = tmp / kind
    folder.mkdir()
    port = free_port()
    env = {"IMAGRAPH_CACHE_ENTRIES": "0", "IMAGRAPH_PROFILE_DIR": str(folder)}
    url = f"http://127.0.0.1:{port}/"
    serve = [sys.executable, "-c", LAUNCHER, "serve", "--workers", "1", "--port", str(port)]
    with serving(serve, env, url + "healthz"):  # the worker writes its profile as it stops
        script = tmp / "paths.lua"
        script.write_text(LUA)
        out = subprocess.run(
            ["wrk", "-t1", "-c1", f"-d{seconds}s", "-s", str(script), url,
             "--", str(paths), ACCEPT[kind]],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    stats = pstats.Stats(*map(str, folder.glob("*.prof"))).stats  # type: ignore[attr-defined]
    by_area: dict[str, float] = defaultdict(float)
    for func, (_, _, tottime, _, _) in stats.items():
        by_area[where(func)] += tottime
    by_area["requests"] = float(next(int(line.split()[0]) for line in out.splitlines()
                                     if "requests in" in line))  # fmt: skip
    return by_area


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument(
        "--kinds", nargs="+", choices=list(ACCEPT), default=["ttl", "jsonld", "html", "select"]
    )
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    base = "https://w3id.org/imanoeb/"
    files = sorted(p for p in (ROOT / "data").iterdir() if p.suffix in (".ttl", ".nt"))
    rows = [
        "The worker of `imagraph serve` (1 worker, response cache off) under cProfile, loaded by "
        f"wrk (1 connection, {args.seconds} s, every resource of the bundled data in turn); its "
        "time by where it is spent, waiting for requests left out (cProfile slows Python code "
        "more than built-ins: read the shares).",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        iris = subjects(files, base, every=1, limit=2000)
        for kind in args.kinds:
            paths = tmp / f"{kind}-paths.txt"
            if kind == "select":
                targets = ["/sparql?query=" + quote(SELECT.format(iri=i), safe="") for i in iris]
            else:
                targets = ["/" + i[len(base) :] for i in iris]
            paths.write_text("\n".join(targets) + "\n")
            by_area = profile(kind, args.seconds, paths, tmp)
            n = by_area.pop("requests")
            by_area.pop("waiting", None)
            busy = sum(by_area.values())
            rows += [
                f"**{ACCEPT[kind] if kind != 'select' else 'SPARQL SELECT'}**: {n:.0f} requests; {busy / n * 1e6:.0f} µs of the "
                "worker's time per request under cProfile",
                "",
                "| where | share | µs per request (profiled) |",
                "|---|---:|---:|",
            ]
            for name, seconds in sorted(by_area.items(), key=lambda kv: -kv[1])[: args.top]:
                rows.append(f"| {name} | {seconds / busy:.0%} | {seconds / n * 1e6:.0f} |")
            rows.append("")
    emit("\n".join(rows), args.out)


if __name__ == "__main__":
    main()
