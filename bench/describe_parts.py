"""Where a resource's description spends its time on an on-disk store, against the floor's read.

For generated data served from an on-disk store (as ``bench_deref.py --on-disk`` serves it), it
times in process, for the resources that benchmark cycles through: the floor's read (the
resource's own triples, ``bench/floor_app.py``) and imagraph's description
(``OxigraphStore.describe``), and each read the description makes: its own triples, the
statements about it (``rdf:subject``), its incoming links (at most ``store.MAX_INCOMING``), and
those links read by SPARQL, counted (the index alone) and their subjects alone: what reading
the terms' text costs beside finding them.
A first pass warms the label cache and the page cache, as ``bench_deref.py``'s warm-up does;
then ``--rounds`` passes are timed (median and mean µs). The generated file and its store are
made in a temporary folder, or reused with ``--keep DIR`` (10M triples take ~2 minutes).

Usage: python bench/describe_parts.py [--scale 10000000] [--rounds 2] [--keep DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from bench_deref import ROOT, subjects  # bench/ (scripts run from bench/)
from common import emit
from imagraph.generate import SYNTHETIC_BASE, write_ntriples
from imagraph.store import MAX_INCOMING
from imagraph.store.oxigraph import OxigraphStore

RDF_SUBJECT = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#subject")
#: The incoming links read by SPARQL, ?o given: counted, or their subjects alone (an answer's
#: terms are decoded from the store's dictionary only as they are read out).
#: (LIMIT: store.MAX_INCOMING, checked in measure.)
OBJECT = ox.Variable("o")
COUNTED = (
    "SELECT ?o (COUNT(*) AS ?n) WHERE { { SELECT * WHERE { ?s ?p ?o } LIMIT 200 } } GROUP BY ?o"
)
SUBJECTS = "SELECT ?s ?o WHERE { ?s ?p ?o } LIMIT 200"
UNION: dict[str, Any] = {"use_default_graph_as_union": True}


def made(folder: Path, scale: int) -> tuple[Path, Path]:
    """The generated file and its on-disk store in ``folder`` (made if not there yet)."""
    data, store = folder / "generated.nt", folder / "store"
    if not data.exists():
        write_ntriples(data, scale=scale)
    if not (store / "CURRENT").exists():
        subprocess.run(
            [sys.executable, "-m", "imagraph.cli", "--base-iri", SYNTHETIC_BASE,
             "--store", str(store), "load", str(data)],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return data, store


def measure(data: Path, store_dir: Path, rounds: int) -> list[str]:
    assert MAX_INCOMING == 200, "describe_parts.py: COUNTED and SUBJECTS read 200 links"
    iris = subjects([data], SYNTHETIC_BASE, every=50, limit=2000)
    store = OxigraphStore(store_dir, read_only=True)
    raw = store._store  # the engine itself, as the floor reads it

    def own(iri: str) -> Any:
        return list(raw.quads_for_pattern(ox.NamedNode(iri), None, None, None))

    def statements(iri: str) -> Any:
        return list(raw.quads_for_pattern(None, RDF_SUBJECT, ox.NamedNode(iri), None))

    def incoming(iri: str) -> Any:
        found = raw.quads_for_pattern(None, None, ox.NamedNode(iri), None)
        return [q for _, q in zip(range(MAX_INCOMING), found, strict=False)]

    def counted(iri: str) -> Any:  # the index read, no term decoded (a count is one number)
        found = raw.query(COUNTED, substitutions={OBJECT: ox.NamedNode(iri)}, **UNION)
        rows = list(found)  # type: ignore[arg-type]  # (none: no link, no group)
        return [None] * (int(rows[0]["n"].value) if rows else 0)

    def their_subjects(iri: str) -> Any:  # the subjects' IRIs alone decoded
        return list(raw.query(SUBJECTS, substitutions={OBJECT: ox.NamedNode(iri)}, **UNION))

    reads: dict[str, Callable[[str], Any]] = {
        "the floor: the resource's own triples": lambda iri: [
            q.triple for q in raw.quads_for_pattern(ox.NamedNode(iri), None, None)
        ],
        "imagraph: the description": store.describe,
        "… its own triples": own,
        "… the statements about it": statements,
        "… its incoming links": incoming,
        "… … the same links counted (the index alone, no term decoded)": counted,
        "… … their subjects alone decoded": their_subjects,
    }
    for iri in iris:  # the warm-up
        store.describe(iri)
    rows = [
        f"{len(iris)} resources; median (mean) µs of {rounds} timed passes after one to warm up.",
        "",
        "| read | median µs | mean µs | quads or triples (mean) |",
        "|---|---:|---:|---:|",
    ]
    for name, read in reads.items():
        times = []
        for _ in range(rounds):
            for iri in iris:
                start = time.perf_counter()
                read(iri)
                times.append(time.perf_counter() - start)
        size = statistics.mean(len(read(iri)) for iri in iris)
        rows.append(
            f"| {name} | {statistics.median(times) * 1e6:.0f} | "
            f"{statistics.mean(times) * 1e6:.0f} | {size:.0f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="make (or reuse) the data and store here")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        emit("\n".join(measure(*made(args.keep, args.scale), args.rounds)), args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        emit("\n".join(measure(*made(Path(tmp), args.scale), args.rounds)), args.out)


if __name__ == "__main__":
    main()
