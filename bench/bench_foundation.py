"""Load and validation benchmark for the foundation (see bench/README.md).

For each scale it generates synthetic data, then measures in the same process, side by side:

- load into the embedded store as imagraph does it (into a named graph; and re-minting every IRI
  under another base) against pyoxigraph's own file load (the floor) and rdflib's parser (naive);
- SHACL validation with pySHACL against the time to build the rdflib graph it needs (reference);
- validation of the bundled data (pySHACL time only).

Usage: python bench/bench_foundation.py [--scales 100000 1000000] [--repeat 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox
import rdflib

from common import emit  # bench/common.py (scripts run from bench/)
from imagraph import formats, loading
from imagraph.core import Core
from imagraph.generate import write_ntriples
from imagraph.settings import Settings
from imagraph.store.oxigraph import OxigraphStore
from imagraph.validation import validate


def best(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds (the least disturbed one)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_scale(scale: int, repeat: int, core: Core, tmp: Path) -> list[tuple[str, float, str]]:
    path = tmp / f"gen-{scale}.nt"
    n = write_ntriples(path, scale=scale)
    rows: list[tuple[str, float, str]] = []

    floor = best(lambda: ox.Store().load(path=str(path), format=ox.RdfFormat.N_TRIPLES), repeat)

    def native() -> None:
        OxigraphStore().load_rdf(loading.read_bytes(path), formats.NTRIPLES, "http://g/")

    remap = loading.rebaser(Settings().config.base_iri, "http://localhost:8080/")

    def reminted() -> None:
        node = ox.NamedNode("http://g/")
        OxigraphStore().load(
            remap(ox.Quad(q.subject, q.predicate, q.object, node) for q in loading.parse_file(path))
        )

    load = best(native, repeat)
    remint = best(reminted, repeat)
    naive = best(lambda: rdflib.Graph().parse(path, format="nt"), 1)
    rows.append(
        (f"load {n:,} triples: pyoxigraph Store.load from the file (floor)", floor, "1.00x")
    )
    rows.append((f"load {n:,} triples: imagraph into a named graph", load, f"{load / floor:.2f}x"))
    rows.append(
        (
            f"load {n:,} triples: imagraph re-minting under another base",
            remint,
            f"{remint / floor:.2f}x",
        )
    )
    rows.append((f"load {n:,} triples: rdflib Graph.parse (naive)", naive, f"{naive / floor:.2f}x"))

    build_start = time.perf_counter()
    graph = loading.to_rdflib(loading.parse_file(path))
    for t in core.graph(["ontology"]):
        graph.add(t)
    build = time.perf_counter() - build_start
    shapes = core.shapes_graph()
    start = time.perf_counter()
    result = validate(graph, shapes)
    took = time.perf_counter() - start
    assert result.conforms, "generated data must conform"
    rows.append((f"rdflib graph for pySHACL, {n:,} triples (reference)", build, "1.00x"))
    rows.append((f"pySHACL validation, {n:,} triples", took, f"{took / build:.2f}x"))
    path.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the table as Markdown to this file")
    args = parser.parse_args()

    core = Core.open(Settings.from_env())
    bundled = core.graph([*core.data_graph_iris(), "ontology"])
    n_bundled = len(bundled)
    copies = [rdflib.Graph() for _ in range(args.repeat)]
    for c in copies:
        for t in bundled:
            c.add(t)
    times = []
    for c in copies:
        start = time.perf_counter()
        assert validate(c, core.shapes_graph()).conforms
        times.append(time.perf_counter() - start)
    rows = [
        (
            f"pySHACL validation of the bundled data ({n_bundled:,} triples), median",
            statistics.median(times),
            "",
        )
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            rows += bench_scale(scale, args.repeat, core, Path(tmp))

    header = (
        f"Machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}; "
        f"pyoxigraph {version('pyoxigraph')}, rdflib {version('rdflib')}, "
        f"pyshacl {version('pyshacl')}"
    )
    lines = [header, "", "| operation | seconds | ratio to reference |", "|---|---:|---:|"]
    lines += [f"| {name} | {secs:.3f} | {ratio} |" for name, secs, ratio in rows]
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
