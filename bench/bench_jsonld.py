"""JSON-LD compaction alone: :meth:`imagraph.ldcompact.Compactor.compact` with the site's context
over the description (the store's ``describe``) of every named resource of the bundled data
and of up to ``--resources`` resources of generated data (``--scale``), descriptions made
beforehand: median microseconds per resource over ``--rounds`` rounds; then the compacted
documents' encoding, by the standard library's ``json`` (as until 2026-12-07) and by ``orjson``
(as answers are encoded since), which must give the same JSON.

With ``--baseline-src DIR`` (a source tree, e.g. ``git archive main | tar -x -C DIR``) the
compactor of ``DIR/src/imagraph/ldcompact.py`` is timed too, alternately with this one in every
round (the machine may be shared), and both must give the same documents.

    PYTHONPATH=src .venv/bin/python bench/bench_jsonld.py [--scale 2000] [--resources 2000]
        [--rounds 5] [--baseline-src DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pyoxigraph as ox
from pyld import jsonld

from imagraph import formats
from imagraph.context import context_document
from imagraph.core import Core
from imagraph.generate import write_ntriples
from imagraph.ldcompact import Compactor
from imagraph.settings import Settings
from imagraph.store.oxigraph import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
URL = "http://localhost/context/v1.jsonld"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def active_context(context: dict[str, Any]) -> dict[str, Any]:
    """The context as pyld processes it (as :class:`imagraph.context.JsonLdContext` does)."""
    processor = jsonld.JsonLdProcessor()
    options = {"processingMode": "json-ld-1.1", "base": ""}
    initial = processor._get_initial_context(options)
    active: dict[str, Any] = processor.process_context(initial, context["@context"], options)
    return active


def baseline_module(src: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ldcompact_baseline", src / "src" / "imagraph" / "ldcompact.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def descriptions(store: OxigraphStore, limit: int | None) -> list[list[ox.Triple]]:
    """The descriptions of the named resources that have a type, ``limit`` spread evenly."""
    named = sorted(
        {t.subject.value for t in store.triples() if t.predicate == RDF_TYPE}
        - {t.subject.value for t in store.triples() if isinstance(t.subject, ox.BlankNode)}
    )
    if limit is not None and len(named) > limit:
        named = named[:: len(named) // limit][:limit]
    return [store.describe(iri) for iri in named]


def run(
    name: str, data: list[list[ox.Triple]], compactors: dict[str, Any], rounds: int
) -> list[tuple[str, str, float]]:
    """Median µs per resource for each compactor; every compactor gives the same documents."""
    documents = {
        label: [json.dumps(c.compact(t, URL)) for t in data] for label, c in compactors.items()
    }
    first = next(iter(documents.values()))
    assert all(d == first for d in documents.values()), "the compactors disagree"
    times: dict[str, list[float]] = {label: [] for label in compactors}
    for _ in range(rounds):
        for label, compactor in compactors.items():
            compact = compactor.compact
            start = time.perf_counter()
            for triples in data:
                compact(triples, URL)
            times[label].append((time.perf_counter() - start) / len(data) * 1e6)
    return [(name, label, statistics.median(t)) for label, t in times.items()]


def encoding(
    name: str, data: list[list[ox.Triple]], compactor: Any, rounds: int
) -> list[tuple[str, str, float]]:
    """Median µs per resource of encoding its compacted document, by each encoder."""
    docs = [compactor.compact(t, URL) for t in data]
    encoders = {
        "json": lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8"),
        "orjson": orjson.dumps,
    }
    assert all(json.loads(encoders["json"](d)) == orjson.loads(orjson.dumps(d)) for d in docs)
    times: dict[str, list[float]] = {label: [] for label in encoders}
    for _ in range(rounds):
        for label, encode in encoders.items():
            start = time.perf_counter()
            for doc in docs:
                encode(doc)
            times[label].append((time.perf_counter() - start) / len(docs) * 1e6)
    return [(name, f"encoded by {label}", statistics.median(t)) for label, t in times.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline-src", type=Path)
    args = parser.parse_args()
    settings = Settings(site=ROOT)
    context = context_document(ROOT / "ontology", settings.config.prefixes)
    active = active_context(context)
    compactors: dict[str, Any] = {}
    if args.baseline_src:
        compactors["before"] = baseline_module(args.baseline_src).Compactor.of(active)
    compactors["this"] = Compactor.of(active)
    bundled = Core.open(settings).store
    assert isinstance(bundled, OxigraphStore)
    data = descriptions(bundled, None)
    rows = run("bundled", data, compactors, args.rounds)
    rows += encoding("bundled", data, compactors["this"], args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.nt"
        write_ntriples(path, scale=args.scale)
        generated = OxigraphStore()
        generated.bulk_load_file(path, formats.NTRIPLES, "http://example.org/g")
        data = descriptions(generated, args.resources)
        rows += run(f"generated {args.scale}", data, compactors, args.rounds)
        rows += encoding(f"generated {args.scale}", data, compactors["this"], args.rounds)
    before = {name: micros for name, label, micros in rows if label == "before"}
    for name, label, micros in rows:
        ratio = f"  {before[name] / micros:.2f}x faster" if label == "this" and before else ""
        print(f"{name:18} {label:17} {micros:8.1f} µs/resource{ratio}")


if __name__ == "__main__":
    main()
