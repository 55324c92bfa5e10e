"""SPARQL query-mix benchmark (see bench/README.md).

On generated data (100k and 1M triples by default) it runs the same queries, side by side in one
run: in-process on pyoxigraph (the floor: the engine with nothing around it), over HTTP against
``imagraph serve`` (response cache off, so every request runs the query) and over HTTP against
rdflib-endpoint (the Python peer, rdflib's own store), which must be installed in its own
environment: ``python3 -m venv PEER && PEER/bin/pip install 'rdflib-endpoint[cli]' uvicorn``.

With ``--virtuoso`` it also starts a private Virtuoso (Debian's ``virtuoso-opensource``, started
by ``scripts/virtuoso.sh`` in a temporary folder), loads the same file into it through imagraph's
remote store (Graph Store Protocol, in chunks: that time is reported) and runs the same queries
against Virtuoso's own endpoint (the established server) and through imagraph on Virtuoso.

With ``--busy`` another process keeps a core busy (a Python busy loop) for the whole run, floor
included, and is stopped at the end.

Usage: python bench/bench_sparql.py --peer PEER/bin/rdflib-endpoint [--virtuoso]
       [--scales 100000 1000000] [--busy]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import requests

from common import emit, free_port  # bench/common.py (scripts run from bench/)
from imagraph.generate import SYNTHETIC_BASE, write_ntriples

ROOT = Path(__file__).resolve().parents[1]
G = SYNTHETIC_BASE
PROLOGUE = """PREFIX imo: <https://w3id.org/imanoeb/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
QUERIES = {
    "lookup": f"SELECT ?m ?start WHERE {{ ?m schema:organizer <{G}org/ministry/3> ; schema:startDate ?start }} ORDER BY ?start LIMIT 100",
    "join": "SELECT ?m ?name ?org ?place WHERE { ?m a imo:Meeting ; schema:name ?name ; schema:organizer ?o ; schema:location ?l . "
    "?o skos:prefLabel ?org . ?l schema:name ?place FILTER(LANG(?name) = 'en' && LANG(?org) = 'en') } LIMIT 1000",
    "regex": "SELECT ?m ?name WHERE { ?m a imo:Meeting ; schema:name ?name FILTER(REGEX(?name, '^Meeting 1[0-9][0-9]$')) }",
    "aggregate": "SELECT ?o (COUNT(?m) AS ?n) WHERE { ?m a imo:Meeting ; schema:organizer ?o } GROUP BY ?o ORDER BY DESC(?n) LIMIT 10",
    "topics": "SELECT ?t (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m schema:about ?t . ?t skos:broader ?parent } GROUP BY ?t ORDER BY DESC(?n) LIMIT 10",
    "construct": "CONSTRUCT { ?m ?p ?o } WHERE { ?m a imo:Meeting ; ?p ?o } LIMIT 2000",
}
ACCEPT = {"construct": "application/n-triples"}
#: Untimed runs of each query before the timed ones, everywhere (set by --warmup): a server that
#: runs for a while is warm (its query runner, a forked child, copies the pages it touches on
#: first use), and so is the floor's process.
WARMUP = 3
#: Every measurement, for ``--json`` (and ``bench/plot.py``).
RECORDS: list[dict[str, object]] = []


def wait(url: str, proc: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
        try:
            requests.post(url, data={"query": "ASK { }"}, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def over_http(
    url: str,
    name: str,
    repeat: int,
    timeout: float,
    extra: dict[str, str] | None = None,
    warmup: int | None = None,
) -> float | None:
    times = []
    skip = WARMUP if warmup is None else warmup
    for i in range(skip + repeat):
        start = time.perf_counter()
        try:
            resp = requests.post(
                url,
                data={"query": PROLOGUE + QUERIES[name], **(extra or {})},
                timeout=timeout,
                headers={"Accept": ACCEPT.get(name, "application/sparql-results+json")},
            )
        except requests.Timeout:
            return None
        resp.raise_for_status()
        if i >= skip:
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def floor(store: ox.Store, name: str, repeat: int) -> float:
    times = []
    for i in range(WARMUP + repeat):
        start = time.perf_counter()
        result = store.query(PROLOGUE + QUERIES[name])
        if isinstance(result, ox.QueryTriples):
            ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)
        else:
            result.serialize(format=ox.QueryResultsFormat.JSON)
        if i >= WARMUP:
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def run_scale(scale: int, args: argparse.Namespace, tmp: Path) -> list[str]:
    data = tmp / f"gen-{scale}"
    data.mkdir()
    path = data / "generated.nt"
    n = write_ntriples(path, scale=scale)
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    floors = {q: floor(store, q, args.repeat) for q in QUERIES}
    del store

    port = free_port()
    ours = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "imagraph.cli",
            "serve",
            "--base-iri",
            G,
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={
            **os.environ,
            "IMAGRAPH_DATA_DIR": str(data),
            "IMAGRAPH_CACHE_ENTRIES": "0",
            "IMAGRAPH_QUERY_TIMEOUT": "300",
        },
    )
    try:
        url = f"http://127.0.0.1:{port}/sparql"
        wait(url, ours, 600)
        imagraph = {q: over_http(url, q, args.repeat, 300) for q in QUERIES}
    finally:
        ours.terminate()
        ours.wait()

    virtuoso: dict[str, float | None] = dict.fromkeys(QUERIES)
    on_virtuoso: dict[str, float | None] = dict.fromkeys(QUERIES)
    if args.virtuoso:
        virtuoso, on_virtuoso, load_s = run_virtuoso(path, data, args, tmp / f"virtuoso-{scale}")
        print(
            f"{n:,} triples loaded into Virtuoso through imagraph in {load_s:.1f} s",
            file=sys.stderr,
        )

    peer: dict[str, float | None] = dict.fromkeys(QUERIES)
    if args.peer:
        port = free_port()
        proc = subprocess.Popen(
            [args.peer, "serve", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            wait(url, proc, 900)
            peer = {q: over_http(url, q, 1, args.peer_timeout, warmup=0) for q in QUERIES}
        finally:
            proc.terminate()
            proc.wait()

    RECORDS.extend(
        {"triples": n, "query": q, "floor": floors[q], "imagraph": imagraph[q],
         "rdflib-endpoint": peer[q], "virtuoso": virtuoso[q], "imagraph on virtuoso": on_virtuoso[q]}
        for q in QUERIES
    )  # fmt: skip
    rows = []
    for q in QUERIES:
        f, o, p, v, ov = floors[q], imagraph[q], peer[q], virtuoso[q], on_virtuoso[q]
        assert o is not None
        peer_cell = (
            f">{args.peer_timeout:.0f} s (stopped)"
            if args.peer and p is None
            else ("–" if p is None else f"{p:.1f}")
        )
        speedup = (
            f"≥{args.peer_timeout * 1000 / o:.0f}x"
            if args.peer and p is None
            else ("–" if p is None else f"{p / o:.0f}x")
        )
        rows.append(
            f"| {n:,} | {q} | {f:.2f} | {o:.2f} | {o / f:.2f}x | {o - f:.2f} | {peer_cell} | {speedup} "
            f"| {_ms(v)} | {_ratio(v, o)} | {_ms(ov)} |"
        )
    return rows


def overhead_summary(records: list[dict[str, object]]) -> list[str]:
    """The goal's measure: the median over the queries of (imagraph − HTTP) / floor, where HTTP
    is what the lookup costs over the floor (an index lookup: the round trip and the checks)."""
    out = []
    for n in dict.fromkeys(r["triples"] for r in records):
        rows = {r["query"]: r for r in records if r["triples"] == n}
        http = rows["lookup"]["imagraph"] - rows["lookup"]["floor"]  # type: ignore[operator]
        ratios = {
            q: (r["imagraph"] - http) / r["floor"]  # type: ignore[operator]
            for q, r in rows.items()
            if q != "lookup"
        }
        listed = ", ".join(f"{q} {v:.2f}x" for q, v in ratios.items())
        out.append(
            f"- {n:,} triples: HTTP (lookup − floor) {http:.2f} ms; (imagraph − HTTP) / floor: "
            f"{listed}; **median {statistics.median(ratios.values()):.2f}x**"
        )
    return out


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _ratio(value: float | None, ours: float) -> str:
    return "–" if value is None else f"{value / ours:.1f}x"


def run_virtuoso(
    path: Path, data: Path, args: argparse.Namespace, folder: Path
) -> tuple[dict[str, float | None], dict[str, float | None], float]:
    """Virtuoso with the same data: its own endpoint, and imagraph serving from it."""
    http_port, sql_port = free_port(), free_port()
    script = ROOT / "scripts" / "virtuoso.sh"
    subprocess.run([script, "start", folder, str(http_port), str(sql_port)], check=True)
    base = f"http://127.0.0.1:{http_port}"
    try:
        env = {
            "IMAGRAPH_STORE": f"{base}/sparql",
            "IMAGRAPH_STORE_UPDATE_URL": f"{base}/sparql-auth",
            "IMAGRAPH_STORE_GRAPH_STORE_URL": f"{base}/sparql-graph-crud-auth",
            "IMAGRAPH_STORE_USER": "dba",
            "IMAGRAPH_STORE_PASSWORD": "dba",
            "IMAGRAPH_STORE_AUTH": "digest",
        }
        # ontology, shapes and the generated file (the data folder), through imagraph
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "imagraph.cli", "--base-iri", G, "load"],
            cwd=ROOT,
            env={**os.environ, **env, "IMAGRAPH_DATA_DIR": str(data)},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        load_s = time.perf_counter() - start
        graph = f"{G}graph/data/generated"
        own = {
            q: over_http(f"{base}/sparql", q, args.repeat, 300, {"default-graph-uri": graph})
            for q in QUERIES
        }
        port = free_port()
        ours = subprocess.Popen(
            [sys.executable, "-m", "imagraph.cli", "--base-iri", G, "serve", "--port", str(port),
             "--workers", "1"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, **env, "IMAGRAPH_DATA_DIR": str(data), "IMAGRAPH_CACHE_ENTRIES": "0",
                 "IMAGRAPH_QUERY_TIMEOUT": "300"},
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}/sparql"
            wait(url, ours, 600)
            through = {q: over_http(url, q, args.repeat, 300) for q in QUERIES}
        finally:
            ours.terminate()
            ours.wait()
        return own, through, load_s
    finally:
        subprocess.run([script, "stop", folder], check=False)


def main() -> None:
    global WARMUP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peer", help="the rdflib-endpoint executable (in its own environment)")
    parser.add_argument("--peer-timeout", type=float, default=120.0)
    parser.add_argument("--warmup", type=int, default=WARMUP, help="untimed runs first")
    parser.add_argument(
        "--virtuoso", action="store_true", help="also Virtuoso (virtuoso-opensource installed)"
    )
    parser.add_argument(
        "--busy", action="store_true", help="another process keeps a core busy during the run"
    )
    parser.add_argument("--out", type=Path)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON (for plot.py)")
    args = parser.parse_args()
    WARMUP = args.warmup
    lines = [
        "| triples | query | floor ms (pyoxigraph in-process) | imagraph ms (HTTP) | imagraph / floor | "
        "imagraph − floor ms | rdflib-endpoint ms (HTTP) | rdflib-endpoint / imagraph | "
        "Virtuoso ms (HTTP) | Virtuoso / imagraph | imagraph on Virtuoso ms (HTTP) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for scale in args.scales:
                lines += run_scale(scale, args, Path(tmp))
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    lines += ["", *overhead_summary(RECORDS)]
    emit("\n".join(lines), args.out)
    if args.json:
        args.json.write_text(json.dumps(RECORDS, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
