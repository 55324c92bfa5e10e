"""Where a request's time goes in the server's worker, in microseconds, without a profiler.

``profile_worker.py`` shows shares under cProfile, which slows Python code three times and
built-ins hardly at all. This one runs ``imagraph serve`` (one worker, response cache off) with
a clock around each stage the worker goes through for a request (the loop's reading, gunicorn's
parser and WSGI environment, the app, gunicorn's writing of the answer, the access log, the
loop's bookkeeping after it), loads it with ``wrk`` (1 connection, every resource of the bundled
data in turn) and reports each stage's mean wall time a request, beside the worker's CPU time a
request (from ``/proc``) and requests/s. The clocks cost ~1 µs a stage. Stages nest: "the loop,
a request in all" holds the others when the loop answers the request itself (every resource of
the bundled data: see ``imagraph.web._quick``); "the app" holds gunicorn's ``start_response``.
A stage's mean counts every request since the worker started (the 2 s warm-up's too, and the
health checks that saw it up); the CPU time, the measured seconds alone.

Usage: python bench/time_worker.py [--seconds 5] [--kinds ttl jsonld html] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_deref import FORMATS, LUA, serving, subjects  # bench/ (scripts run from bench/)
from common import emit, free_port

ROOT = Path(__file__).resolve().parents[1]
#: Run in the server's process: a clock around each stage; the sums written to the folder named
#: by IMAGRAPH_TIMES_DIR when the worker stops.
LAUNCHER = """
import os, sys, time
from gunicorn.http import parser, wsgi
from gunicorn.workers import gthread
from imagraph.web import worker
sums = {}
def clock(owner, name, label):
    f = getattr(owner, name)
    acc = sums.setdefault(label, [0.0, 0])
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return f(*args, **kwargs)
        finally:
            acc[0] += time.perf_counter() - start
            acc[1] += 1
    setattr(owner, name, timed)
    return timed
STAGES = [
    (worker.Worker, "_received", "the loop, a request in all"),
    (worker, "_bodiless_head", "the loop: is the request whole and bodiless?"),
    (parser.Parser, "__next__", "gunicorn: parsing the request"),
    (wsgi, "create", "gunicorn: the WSGI environment"),
    (wsgi.Response, "start_response", "gunicorn: start_response (the headers checked)"),
    (wsgi.Response, "write", "gunicorn: writing the answer (headers, body, sockets)"),
    (worker.AccessLog, "access", "the access log"),
    (worker.Worker, "_answered", "the loop: after the answer (kept alive)"),
]
for owner, name, label in STAGES:
    clock(owner, name, label)
run = worker.Worker.run
def timed_run(self):
    app = self.wsgi
    self.wsgi = clock(type("App", (), {"call": staticmethod(app)}), "call", "the app (Flask, imagraph)")
    self.wsgi.extensions = dict(app.extensions)
    quick = app.extensions.get(worker.QUICK)
    if quick is not None:
        holder = type("Quick", (), {"call": staticmethod(quick)})
        self.wsgi.extensions[worker.QUICK] = clock(holder, "call", "the loop: does it answer it itself?")
    try:
        run(self)
    finally:
        with open(os.path.join(os.environ["IMAGRAPH_TIMES_DIR"], f"{os.getpid()}.tsv"), "w") as out:
            for label, (seconds, calls) in sums.items():
                out.write(f"{label}\\t{seconds}\\t{calls}\\n")
worker.Worker.run = timed_run
from imagraph.cli import cli
cli(sys.argv[1:])
"""


def cpu_seconds(pid: int) -> float:
    """User and system time of process ``pid`` (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(kind: str, seconds: int, paths: Path, tmp: Path) -> tuple[dict[str, float], str]:
    """µs a request by stage (and the worker's CPU), and a line of wrk's figures."""
    folder = tmp / kind
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.tsv"):
        old.unlink()
    port = free_port()
    env = {"IMAGRAPH_CACHE_ENTRIES": "0", "IMAGRAPH_TIMES_DIR": str(folder)}
    url = f"http://127.0.0.1:{port}/"
    serve = [sys.executable, "-c", LAUNCHER, "serve", "--workers", "1", "--port", str(port)]
    with serving(serve, env, url + "healthz") as server:  # the worker writes its sums as it stops
        children = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=True
        ).stdout.split()
        if len(children) != 1:  # gunicorn's master has its one worker (no other child) here
            raise RuntimeError(f"the server has {len(children)} children, not one worker")
        worker = int(children[0])
        script = tmp / "paths.lua"
        script.write_text(LUA)
        wrk = ["wrk", "-t1", "-c1", "-s", str(script), url]
        warm = [*wrk, "-d2s", "--", str(paths), FORMATS[kind]]  # templates, caches
        subprocess.run(warm, check=True, capture_output=True)
        before = cpu_seconds(worker)
        out = subprocess.run(
            [*wrk, f"-d{seconds}s", "--latency", "--", str(paths), FORMATS[kind]],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        cpu = cpu_seconds(worker) - before
    lines = out.splitlines()
    n = next(int(line.split()[0]) for line in lines if "requests in" in line)
    p50 = next(line.split()[1] for line in lines if line.strip().startswith("50%"))
    times: dict[str, float] = {}
    total = 0
    for tsv in folder.glob("*.tsv"):
        for row in tsv.read_text().splitlines():
            label, secs, calls = row.split("\t")
            if label == "the loop, a request in all":
                total += int(calls)
            times[label] = times.get(label, 0.0) + float(secs)
    requests_seen = max(total, 1)  # the warm-up's too: the sums cover the worker's whole life
    by_stage = {label: secs / requests_seen * 1e6 for label, secs in times.items()}
    by_stage["the worker's CPU time (/proc)"] = cpu / n * 1e6
    return by_stage, f"{n / seconds:,.0f} requests/s, p50 {p50}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--kinds", nargs="+", choices=list(FORMATS), default=["ttl", "jsonld"])
    parser.add_argument("--rounds", type=int, default=1, help="each figure the median of these")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    base = "https://w3id.org/imanoeb/"
    files = sorted(p for p in (ROOT / "data").iterdir() if p.suffix in (".ttl", ".nt"))
    iris = subjects(files, base, every=1, limit=2000)
    rows = [
        "`imagraph serve`, 1 worker, response cache off, wrk 1 connection over every resource "
        f"of the bundled data ({len(iris)}), {args.seconds} s; µs a request (wall time in each "
        "stage, nested stages inside the ones that hold them), median of "
        f"{args.rounds} round(s).",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = tmp / "paths.txt"
        paths.write_text("\n".join("/" + i[len(base) :] for i in iris) + "\n")
        for kind in args.kinds:
            rounds = [measure(kind, args.seconds, paths, tmp) for _ in range(args.rounds)]
            labels = list(rounds[0][0])
            rows += [
                f"**{FORMATS[kind]}**: " + "; ".join(line for _, line in rounds),
                "",
                "| stage | µs a request |",
                "|---|---:|",
            ]
            for label in labels:
                values = sorted(r[0].get(label, 0.0) for r in rounds)
                rows.append(f"| {label} | {values[len(values) // 2]:.0f} |")
            rows.append("")
    emit("\n".join(rows), args.out)


if __name__ == "__main__":
    main()
