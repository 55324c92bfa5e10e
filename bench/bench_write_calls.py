"""The request walks (see bench/README.md): the Python function calls and the time of one warm
request of each kind through the app (cache off): a resource as Turtle (the reference), JSON-LD
and HTML, a SPARQL SELECT, and a Graph Store PUT of a small graph after a few writes have warmed
it. Children's own calls (the query runner, the parsing and validating children) are not counted
(they are other processes).

Usage: python bench/bench_write_calls.py [--repeat 20] [--out FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from common import emit  # bench/common.py (scripts run from bench/)
from imagraph.core import Core
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-0123456789abcdef"
BASE = "https://w3id.org/imanoeb/"
TOWN = BASE + "org/gemeinde/09276999"


def body(i: int) -> str:
    """A small graph about a fictional municipality (synthetic, not a fact), the i-th variant."""
    name = f"Beispielgemeinde {i}"
    return f"""@prefix imo: <https://w3id.org/imanoeb/ontology#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix dct: <http://purl.org/dc/terms/> .
<{TOWN}> a imo:Municipality, org:FormalOrganization, foaf:Organization ;
    skos:prefLabel "{name}"@de, "Example municipality"@en ;
    schema:name "{name}"@de, "Example municipality"@en ;
    imo:ags "09276999" ; imo:withinLand <{BASE}org/land/by> ;
    org:subOrganizationOf <{BASE}org/kreis/09276> ;
    imo:confidence imo:reported ; dct:source <{BASE}source/s54> .
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    core = Core.open(Settings(site=ROOT, write_tokens=f"bench:{TOKEN}", cache_entries=0))
    client = create_app(Instance(core)).test_client()
    counter = iter(range(1_000_000))

    def put() -> None:
        resp = client.put(
            "/graph-store",
            query_string={"graph": BASE + "graph/data/bench"},
            data=body(next(counter)),
            content_type="text/turtle",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert resp.status_code in (201, 204), resp.get_data(as_text=True)[:300]

    def get(accept: str) -> Callable[[], None]:
        def request() -> None:
            resp = client.get("/org/bmi", headers={"Accept": accept})
            assert resp.status_code == 200

        return request

    def select() -> None:
        resp = client.get(
            "/sparql",
            query_string={"query": "SELECT ?s WHERE { ?s a org:Organization } LIMIT 10"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert resp.status_code == 200

    rows = ["| request | calls (one, warm) | median ms | / GET |", "|---|---:|---:|---:|"]
    results = {}
    walks = (
        ("GET /org/bmi (Turtle)", get("text/turtle")),
        ("GET /org/bmi (JSON-LD)", get("application/ld+json")),
        ("GET /org/bmi (HTML)", get("text/html")),
        ("GET /sparql (SELECT, JSON)", select),
        ("PUT /graph-store", put),
    )
    for name, request in walks:
        for _ in range(3):
            request()
        profile = cProfile.Profile()
        profile.enable()
        request()
        profile.disable()
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            request()
            times.append(time.perf_counter() - start)
        results[name] = (pstats.Stats(profile).total_calls, statistics.median(times) * 1000)  # type: ignore[attr-defined]
    reference = results["GET /org/bmi (Turtle)"][1]
    for name, (calls, ms) in results.items():
        rows.append(f"| {name} | {calls:,} | {ms:.2f} | {ms / reference:.1f}x |")
    emit("\n".join(rows), args.out)


if __name__ == "__main__":
    main()
