"""Validation benchmark (see bench/README.md): submissions of several sizes, and a single-resource
write against a large graph, each beside a reference measured in the same run.

- submissions: parse + validate (in a forked child, as the service does) against the time to
  build the rdflib graph pySHACL needs;
- a write: ``writes.apply`` (validation of what the write touches, atomic swap, PROV record)
  against the same swap without validation.

Usage: python bench/bench_validate.py [--sizes 1000 10000 100000] [--graph 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from common import emit  # bench/common.py (scripts run from bench/)
from imagraph import formats, loading, submissions, writes
from imagraph.core import Core
from imagraph.generate import SYNTHETIC_BASE, write_ntriples
from imagraph.namespaces import IMO, PREFIXES
from imagraph.settings import Settings

S = SYNTHETIC_BASE


def meeting(i: int) -> list[ox.Triple]:
    """A new, conformant meeting that links to resources of the generated graph."""
    m = ox.NamedNode(f"{S}meeting/new-{i}")

    def n(prefix: str, local: str) -> ox.NamedNode:
        return ox.NamedNode(PREFIXES[prefix] + local)

    def t(p: ox.NamedNode, o: ox.NamedNode | ox.Literal) -> ox.Triple:
        return ox.Triple(m, p, o)

    rdf_type = n("rdf", "type")
    return [
        t(rdf_type, ox.NamedNode(str(IMO.NetworkMeeting))), t(rdf_type, ox.NamedNode(str(IMO.Meeting))),
        t(rdf_type, n("schema", "Event")), t(rdf_type, n("prov", "Activity")),
        t(n("schema", "name"), ox.Literal(f"Neues Treffen {i}", language="de")),
        t(n("schema", "name"), ox.Literal(f"New meeting {i}", language="en")),
        t(n("schema", "startDate"), ox.Literal("2026-11-26", datatype=n("xsd", "date"))),
        t(ox.NamedNode(str(IMO.datePrecision)), ox.NamedNode(str(IMO.dayPrecision))),
        t(n("schema", "organizer"), ox.NamedNode(f"{S}org/ministry/{i % 16}")),
        t(n("schema", "location"), ox.NamedNode(f"{S}place/{i % 50}")),
        t(n("schema", "audience"), ox.NamedNode(f"{S}audience/{i % 10}")),
        t(n("schema", "about"), ox.NamedNode(f"{S}topic/{i % 20}")),
        t(ox.NamedNode(str(IMO.confidence)), ox.NamedNode(str(IMO.confirmed))),
        t(n("dct", "source"), ox.NamedNode(f"{S}source/{i % 20}")),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--graph", type=int, default=1_000_000)
    parser.add_argument("--writes", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = ["| operation | seconds | ratio to reference |", "|---|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        core = Core.open(Settings.from_env(validate_timeout=600))
        for size in args.sizes:
            path = tmp / f"sub-{size}.nt"
            n = write_ntriples(path, scale=size)
            start = time.perf_counter()
            graph = loading.to_rdflib(loading.parse_file(path))
            build = time.perf_counter() - start
            start = time.perf_counter()
            checked = submissions.check(core, graph, timeout=600)
            took = time.perf_counter() - start
            assert checked.conforms
            rows.append(
                f"| parse {n:,} submitted triples into an rdflib graph (reference) | {build:.3f} | 1.00x |"
            )
            rows.append(
                f"| validate a submission of {n:,} triples | {took:.3f} | {took / build:.2f}x |"
            )
            # as the service does it: parsed in the child, alone or with the published data
            sent = submissions.Submission(path.read_bytes(), formats.NTRIPLES, path.name)
            start = time.perf_counter()
            assert submissions.check(core, sent, timeout=600).conforms
            alone = time.perf_counter() - start
            start = time.perf_counter()
            assert submissions.check_with_published(core, sent, timeout=600).conforms
            together = time.perf_counter() - start
            rows.append(f"| /validate alone, {n:,} triples (reference) | {alone:.3f} | 1.00x |")
            rows.append(
                f"| /validate with the published data, {n:,} triples | {together:.3f} | "
                f"{together / alone:.2f}x |"
            )
        data = tmp / "graph"
        data.mkdir()
        n = write_ntriples(data / "generated.nt", scale=args.graph)
        big = Core.open(Settings.from_env(data_dir=data, base_iri=S, validate_timeout=600))
        gated, plain = [], []
        for i in range(args.writes):
            graph_iri = big.settings.graph_iri(f"data/new-{i}")
            start = time.perf_counter()
            writes.apply(big, "PUT", graph_iri, meeting(i), agent="bench", timeout=600)
            gated.append(time.perf_counter() - start)
            start = time.perf_counter()
            big.store.swap_graphs(
                {graph_iri + "-plain": list(meeting(i))}, staging=graph_iri + "-staging"
            )
            plain.append(time.perf_counter() - start)
        g, p = statistics.median(gated), statistics.median(plain)
        rows.append(
            f"| single-resource write without validation, graph of {n:,} triples (reference) | {p:.4f} | 1.00x |"
        )
        rows.append(
            f"| single-resource write, validated (what it touches), graph of {n:,} triples | {g:.3f} | {g / p:.0f}x |"
        )
    emit("\n".join(rows), args.out)


if __name__ == "__main__":
    main()
