"""The write gate sees everything a write can affect: resources that link to what it removes,
objects that become targets (``sh:targetObjectsOf``), inverse paths and chains of
``skos:broader``. Each case is refused with 422 and leaves the data as it was."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from imagraph.affected import reach_of

from .conftest import REMOTE, reset_remote
from .test_writes import AUTH, BASE, GRAPH, make

ORGS = BASE + "graph/data/organisations"
TOPIC = BASE + "topic/"


@pytest.fixture(autouse=True)
def _remote_store_reset_afterwards(core):
    yield
    if REMOTE:
        reset_remote(core)


def _snapshot(core) -> set[ox.Quad]:
    return {
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g))
        for g in core.data_graph_iris()
        for t in core.store.triples([g])
    }


def _refused(core, resp, *focus: str) -> None:
    assert resp.status_code == 422, resp.get_data(as_text=True)[:500]
    report = resp.get_data(as_text=True)
    for node in focus:
        assert node in report, f"{node} not named in the report"


def _post(client, turtle: str, graph: str = GRAPH):
    return client.post(
        "/graph-store",
        query_string={"graph": graph},
        data=turtle,
        content_type="text/turtle",
        headers={**AUTH, "Accept": "text/turtle"},
    )


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_emptying_a_data_graph_is_refused_for_what_links_to_it(method):
    """An empty PUT or a DELETE of the organisations: the meetings name their organisers,
    which would no longer be organisations."""
    core, client = make()
    before = _snapshot(core)
    resp = client.open(
        "/graph-store",
        method=method,
        query_string={"graph": ORGS},
        data=b"" if method == "PUT" else None,
        content_type="text/turtle" if method == "PUT" else None,
        headers={**AUTH, "Accept": "text/turtle"},
    )
    _refused(core, resp, BASE + "meeting/")
    assert _snapshot(core) == before


def test_an_update_deleting_an_organisation_is_refused_for_its_referrers():
    core, client = make()
    before = _snapshot(core)
    resp = client.post(
        "/update",
        data=f"DELETE WHERE {{ GRAPH <{ORGS}> {{ <{BASE}org/bmi> ?p ?o }} }}".encode(),
        content_type="application/sparql-update",
        headers={**AUTH, "Accept": "text/turtle"},
    )
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    assert _snapshot(core) == before


def test_an_object_that_becomes_a_target_is_validated():
    """``dct:source`` makes its object a source document (sh:targetObjectsOf): one without a
    title, address or publisher is refused though the written subject is fine otherwise."""
    core, client = make()
    before = _snapshot(core)
    resp = _post(
        client,
        f"<{BASE}org/bmi> <http://purl.org/dc/terms/source> <{BASE}source/not-described> .",
    )
    _refused(core, resp, BASE + "source/not-described")
    assert _snapshot(core) == before


def test_an_inverse_path_is_validated_at_its_object():
    """A former name belongs to an organisation (an inverse path with sh:class): naming it as
    the former name of a topic is refused at the former name."""
    core, client = make()
    before = _snapshot(core)
    resp = _post(
        client,
        f"<{TOPIC}governance> <https://w3id.org/imanoeb/ontology#formerName> "
        f"<{BASE}former-name/bmi-heimat> .",
    )
    _refused(core, resp, BASE + "former-name/bmi-heimat")
    assert _snapshot(core) == before


def test_a_cycle_of_broader_topics_is_refused():
    core, client = make()
    before = _snapshot(core)
    resp = _post(
        client,
        f"""<{TOPIC}sustainable-public-procurement>
                <http://www.w3.org/2004/02/skos/core#broader> <{TOPIC}governance> .
            <{TOPIC}governance>
                <http://www.w3.org/2004/02/skos/core#narrower> <{TOPIC}sustainable-public-procurement> .""",
    )
    _refused(core, resp, TOPIC + "sustainable-public-procurement")
    assert _snapshot(core) == before


def test_what_the_shapes_read_beyond_a_node_is_found(core):
    reach = reach_of(core.shapes_graph())
    skos, ns = "http://www.w3.org/2004/02/skos/core#", "https://w3id.org/imanoeb/ontology#"
    assert reach.chain == {ox.NamedNode(skos + "broader")}
    assert {ox.NamedNode(skos + "broader"), ox.NamedNode(ns + "formerName")} <= reach.inverse
    # our shapes target sources by class since the range split; targetObjectsOf is still read
    assert reach.object_targets == frozenset()
    from rdflib import Graph

    other = Graph().parse(
        data="@prefix sh: <http://www.w3.org/ns/shacl#> . "
        "<urn:s> a sh:NodeShape ; sh:targetObjectsOf <http://purl.org/dc/terms/source> .",
        format="turtle",
    )
    assert reach_of(other).object_targets == {ox.NamedNode("http://purl.org/dc/terms/source")}
