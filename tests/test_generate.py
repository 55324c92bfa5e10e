"""The synthetic generator: German-scale, deterministic, and conforming to the shapes."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from imagraph import loading
from imagraph.generate import SYNTHETIC_BASE, Generator, terms, write_ntriples

from .conftest import SITE_PREFIXES

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

IMO = terms(SITE_PREFIXES["imo"])


def class_counts(scale: int) -> tuple[Counter[str], int]:
    gen = Generator(scale, namespace=str(IMO))
    counts: Counter[str] = Counter()
    for t in gen.triples():
        if t.predicate == RDF_TYPE:
            counts[t.object.value] += 1
    return counts, gen.count


def test_full_german_administrative_layer_from_400k():
    counts, n = class_counts(400_000)
    assert 400_000 <= n < 401_000
    assert counts[str(IMO.Land)] == 16
    assert counts[str(IMO.District)] == 400
    assert counts[str(IMO.Municipality)] == 10_800
    assert counts[str(IMO.Meeting)] > 500


def test_smaller_scales_shrink_the_layer_proportionally():
    counts, n = class_counts(100_000)
    assert 100_000 <= n < 101_000
    assert counts[str(IMO.Municipality)] == 2_700
    assert counts[str(IMO.Land)] == 16


@pytest.mark.slow
def test_generated_100k_conforms_to_the_shapes(core, tmp_path):
    path = tmp_path / "g.nt"
    n = write_ntriples(path, scale=100_000)
    graph = loading.to_rdflib(loading.parse_file(path))
    assert len(graph) == n
    assert all(str(s).startswith(SYNTHETIC_BASE) for s in graph.subjects())
    result = core.validate_graph(graph)
    assert result.conforms, [(str(v.focus), v.path) for v in result.results[:5]]
