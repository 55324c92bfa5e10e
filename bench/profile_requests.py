"""Where the time of a request goes, per kind: Turtle, JSON-LD, HTML, a SPARQL SELECT.

Each kind is asked of the app in process (Flask's test client, the response cache off) for
``--requests`` distinct resources (a SELECT: the triples of each resource): first timed without
a profiler (median), then under cProfile, whose time is summed by where it is spent: a library
(pyld, Flask, Werkzeug, Jinja …), an imagraph module, pyoxigraph (the engine and its
serialisers), or waiting for the query runner (a SELECT runs in a forked child, which cProfile
does not see). The worker's loop and gunicorn are not in it: see ``profile_worker.py``.

Usage: python bench/profile_requests.py [--requests 300] [--scale N] [--top 8] [--out FILE]
(``--scale``: generated data of N triples in memory instead of the bundled data.)
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from werkzeug.test import EnvironBuilder

from common import emit  # bench/common.py (scripts run from bench/)

ROOT = Path(__file__).resolve().parents[1]
KINDS = {
    "Turtle": "text/turtle",
    "JSON-LD": "application/ld+json",
    "HTML": "text/html",
    "SPARQL SELECT": "application/sparql-results+json",
}
#: Where a function's time is counted, by a piece of its file name (the first that fits).
AREAS = (
    ("/pyld/", "pyld"),
    ("/imagraph/ldcompact", "imagraph ldcompact.py (JSON-LD)"),
    ("/flask/", "Flask"),
    ("/werkzeug/", "Werkzeug"),
    ("/jinja2/", "Jinja"),
    ("/markupsafe/", "Jinja"),
    ("/rdflib/", "rdflib"),
    ("/json/", "json (stdlib)"),
)


def area(func: tuple[str, int, str]) -> str:
    """Where the time of ``func`` (a cProfile key) is counted."""
    filename, _, name = func
    if filename == "~":  # a built-in
        if "pyoxigraph" in name:
            return "pyoxigraph (engine, serialisers)"
        if any(w in name for w in ("of 'select.", "posix.read", "posix.waitpid", "'recv")):
            return "waiting (query runner, pipes)"
        return "built-ins"
    for piece, label in AREAS:
        if piece in filename:
            return label
    if "/imagraph/" in filename:
        return "imagraph " + filename.split("/imagraph/", 1)[1]
    return "other Python"


def resources(site, base: str, limit: int) -> list[str]:
    """Paths of up to ``limit`` resources of the data (subjects with a type, under ``base``)."""
    found: dict[str, None] = {}
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for t in site.core.store.triples():
        if t.predicate == rdf_type and isinstance(t.subject, ox.NamedNode):
            iri = t.subject.value
            if iri.startswith(base):
                found[iri] = None
                if len(found) >= limit:
                    break
    return list(found)


def environ(kind: str, iri: str, base: str) -> dict[str, Any]:
    """The WSGI environment of a request of ``kind`` about ``iri``."""
    headers = {"Accept": KINDS[kind]}
    if kind == "SPARQL SELECT":
        query = f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} LIMIT 100"
        builder = EnvironBuilder("/sparql", query_string={"query": query}, headers=headers)
    else:
        builder = EnvironBuilder("/" + iri[len(base) :], headers=headers)
    return builder.get_environ()


def call(app: Any, environ: dict[str, Any]) -> str:
    """The app's answer to ``environ``, read whole, as a server would: its status."""
    answer: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: answer.append(status))
    for _ in body:
        pass
    if hasattr(body, "close"):
        body.close()
    return answer[0]


def where(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    return name if filename == "~" else f"{Path(filename).name}:{line} {name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--scale", type=int, help="generated data of this many triples")
    parser.add_argument("--top", type=int, default=8, help="areas shown per kind")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    os.environ["IMAGRAPH_CACHE_ENTRIES"] = "0"
    os.environ.setdefault("IMAGRAPH_SITE", str(ROOT))  # also for a src tree outside it
    tmp = tempfile.TemporaryDirectory()
    if args.scale:
        from imagraph.generate import SYNTHETIC_BASE, write_ntriples

        write_ntriples(Path(tmp.name) / "generated.nt", scale=args.scale)
        os.environ.update(IMAGRAPH_DATA_DIR=tmp.name, IMAGRAPH_BASE_IRI=SYNTHETIC_BASE)
    from imagraph.settings import Settings
    from imagraph.web import create_app

    settings = Settings.from_env()
    try:  # an instance holds the store since 2026-12-07; a source tree of before, the settings
        from imagraph.instance import Instance

        app = create_app(Instance.open(settings))
    except ImportError:
        app = create_app(settings)  # type: ignore[arg-type]
    site = app.extensions["imagraph"]
    base = settings.base_iri
    iris = resources(site, base, args.requests)
    rows = [
        f"{len(iris)} resources of {'generated' if args.scale else 'the bundled'} data, "
        "response cache off, the app called as a WSGI server calls it; time per request "
        "(median, no profiler), then cProfile's time by where it is spent (cProfile slows "
        "Python code more than built-ins: read the shares, not the sum).",
        "",
    ]
    for kind in KINDS:
        for iri in iris[:20]:  # warm: templates, the query runner, the compactor
            status = call(app, environ(kind, iri, base))
            assert status.startswith("200"), (kind, iri, status)
        times = []
        for env in [environ(kind, iri, base) for iri in iris]:
            start = time.perf_counter()
            call(app, env)
            times.append(time.perf_counter() - start)
        environs = [environ(kind, iri, base) for iri in iris]
        profile = cProfile.Profile()
        profile.enable()
        for env in environs:
            call(app, env)
        profile.disable()
        stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
        by_area: dict[str, float] = defaultdict(float)
        for func, (_, _, tottime, _, _) in stats.items():
            by_area[area(func)] += tottime
        total = sum(by_area.values())
        rows += [
            f"**{kind}**: {statistics.median(times) * 1e3:.2f} ms per request (median); "
            f"under cProfile {total / len(iris) * 1e3:.2f} ms",
            "",
            "| where | share | ms per request (profiled) |",
            "|---|---:|---:|",
        ]
        for name, seconds in sorted(by_area.items(), key=lambda kv: -kv[1])[: args.top]:
            rows.append(f"| {name} | {seconds / total:.0%} | {seconds / len(iris) * 1e3:.3f} |")
        heaviest = sorted(stats.items(), key=lambda kv: -kv[1][2])[:6]
        rows += [
            "",
            "Heaviest functions (own time): "
            + "; ".join(f"`{where(f)}` {v[2] / total:.0%}" for f, v in heaviest),
            "",
        ]
    emit("\n".join(rows), args.out)
    tmp.cleanup()


if __name__ == "__main__":
    main()
