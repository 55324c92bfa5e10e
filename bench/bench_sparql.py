"""SPARQL query-mix benchmark (see bench/README.md).

On generated data (100k and 1M triples by default) it runs the same queries, side by side in one
run: in-process on pyoxigraph (the floor: the engine with nothing around it), over HTTP against
``imagraph serve`` (response cache off, so every request runs the query) and over HTTP against
rdflib-endpoint (the Python peer, rdflib's own store), which must be installed in its own
environment: ``python3 -m venv PEER && PEER/bin/pip install 'rdflib-endpoint[cli]' uvicorn``.

Usage: python bench/bench_sparql.py --peer PEER/bin/rdflib-endpoint [--scales 100000 1000000]
"""

from __future__ import annotations

import argparse
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


def over_http(url: str, name: str, repeat: int, timeout: float) -> float | None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            resp = requests.post(
                url,
                data={"query": PROLOGUE + QUERIES[name]},
                timeout=timeout,
                headers={"Accept": ACCEPT.get(name, "application/sparql-results+json")},
            )
        except requests.Timeout:
            return None
        resp.raise_for_status()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def floor(store: ox.Store, name: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = store.query(PROLOGUE + QUERIES[name])
        if isinstance(result, ox.QueryTriples):
            ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)
        else:
            result.serialize(format=ox.QueryResultsFormat.JSON)
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
            peer = {q: over_http(url, q, 1, args.peer_timeout) for q in QUERIES}
        finally:
            proc.terminate()
            proc.wait()

    rows = []
    for q in QUERIES:
        f, o, p = floors[q], imagraph[q], peer[q]
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
            f"| {n:,} | {q} | {f:.2f} | {o:.2f} | {o / f:.2f}x | {o - f:.2f} | {peer_cell} | {speedup} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peer", help="the rdflib-endpoint executable (in its own environment)")
    parser.add_argument("--peer-timeout", type=float, default=120.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    lines = [
        "| triples | query | floor ms (pyoxigraph in-process) | imagraph ms (HTTP) | imagraph / floor | "
        "imagraph − floor ms | rdflib-endpoint ms (HTTP) | rdflib-endpoint / imagraph |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            lines += run_scale(scale, args, Path(tmp))
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
