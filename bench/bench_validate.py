"""Validation benchmark (see bench/README.md): submissions of several sizes, and a single-resource
write against a large graph, each beside a reference measured in the same run.

- submissions (generated files, as ``imagraph validate`` does them: parsed in a child, then
  validated in a child at the command's CPU priority): with the published data, and alone,
  against plain pySHACL on the same file (``pyshacl.validate`` of the file with our shapes and
  ontology, with imagraph's options: SHACL-AF on, no inference, in place);
- a write: ``Writes.apply`` (validation of what the write touches, atomic swap, PROV record)
  against the same swap without validation (``--graph 0`` leaves it out).

Usage: python bench/bench_validate.py [--sizes 10000 100000 200000] [--graph 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import Graph

from common import emit  # bench/common.py (scripts run from bench/)
from imagraph import formats, submissions, writes
from imagraph.core import Core
from imagraph.generate import SYNTHETIC_BASE, terms, write_ntriples
from imagraph.namespaces import PREFIXES
from imagraph.settings import Settings

S = SYNTHETIC_BASE

IMO = terms(Settings().config.vocabulary.namespace)


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


def plain_pyshacl(path: Path, core: Core) -> bool:
    """The file parsed by rdflib, with our ontology added (as imagraph adds it; pySHACL's own
    ``ont_graph`` mixing took over a minute for 10k triples), validated by pySHACL with the
    options imagraph uses."""
    data = Graph().parse(path, format="nt")
    data += core.ontology_graph()
    conforms, _, _ = pyshacl.validate(
        data,
        shacl_graph=core.shapes_graph(),
        advanced=True,
        inplace=True,
        allow_warnings=True,
    )
    return bool(conforms)


def timed(work: Callable[[], bool]) -> float:
    start = time.perf_counter()
    assert work(), "the generated data should conform"
    return time.perf_counter() - start


def submission_rows(core: Core, path: Path, n: int) -> list[str]:
    """One file, validated by plain pySHACL, by imagraph alone and with the published data."""
    sent = submissions.Submission(path.read_bytes(), formats.NTRIPLES, path.name)

    def imagraph(run: Callable[..., submissions.Checked]) -> Callable[[], bool]:
        return lambda: run(core, sent, timeout=3600, idle=False).conforms

    plain = timed(lambda: plain_pyshacl(path, core))
    alone = timed(imagraph(submissions.check))
    together = timed(imagraph(submissions.check_with_published))
    return [
        f"| plain pySHACL, {n:,} triples (reference) | {plain:.2f} | 1.00x |",
        f"| imagraph validate --alone, {n:,} triples | {alone:.2f} | {alone / plain:.2f}x |",
        f"| imagraph validate (with the published data), {n:,} triples | {together:.2f} "
        f"| {together / plain:.2f}x; {together / alone:.2f}x alone |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 200_000])
    parser.add_argument("--graph", type=int, default=1_000_000)
    parser.add_argument("--writes", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = ["| operation | seconds | ratio to reference |", "|---|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        core = Core.open(Settings.from_env())
        for size in args.sizes:
            path = tmp / f"sub-{size}.nt"
            rows += submission_rows(core, path, write_ntriples(path, scale=size))
        if not args.graph:
            emit("\n".join(rows), args.out)
            return
        data = tmp / "graph"
        data.mkdir()
        n = write_ntriples(data / "generated.nt", scale=args.graph)
        big = Core.open(Settings.from_env(data_dir=data, base_iri=S, validate_timeout=600))
        gated, plain = [], []
        writer = writes.Writes(big)
        for i in range(args.writes):
            graph_iri = big.settings.graph_iri(f"data/new-{i}")
            start = time.perf_counter()
            writer.apply("PUT", graph_iri, meeting(i), agent="bench", timeout=600)
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
