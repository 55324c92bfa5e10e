"""SPARQL 1.1 Update at /update: authenticated, on the data graphs only, gated by the shapes."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef

from imagraph.instance import Instance
from imagraph.web import create_app

from .conftest import REMOTE, Listener, fetch, reset_remote
from .test_writes import AUTH, BASE, GOOD, TOKEN, TOWN, make

MEETING = BASE + "meeting/2025-10-14-network"
MEETINGS = BASE + "graph/data/meetings"
SCHEMA = "https://schema.org/"


@pytest.fixture(autouse=True)
def _remote_store_reset_afterwards(core):
    yield
    if REMOTE:
        reset_remote(core)


def _update(client, text: str, **headers: str):
    return client.post(
        "/update",
        data=text.encode(),
        content_type="application/sparql-update",
        headers={**AUTH, "Accept": "application/json", **headers},
    )


def test_updates_are_off_unless_configured_and_authenticated(core):
    off = create_app(Instance(core)).test_client()
    resp = off.post("/update", data={"update": "CLEAR ALL"})
    assert resp.status_code == 405 and "writes are off" in resp.get_data(as_text=True)
    _, client = make()
    none = client.post("/update", data={"update": "CLEAR ALL"})
    assert none.status_code == 401 and none.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.post(
        "/update", data={"update": "CLEAR ALL"}, headers={"Authorization": "Bearer " + "x" * 20}
    )
    assert wrong.status_code == 403
    get = client.get("/update")
    assert get.status_code == 405 and get.headers["Allow"] == "POST"


def test_a_conforming_update_changes_the_data_everywhere_and_is_recorded():
    core, client = make()
    version = core.version
    for _ in range(2):  # the page is in the response cache before the update
        before = client.get("/meeting/2025-10-14-network", headers={"Accept": "text/turtle"})
    assert b"keywords" not in before.data
    text = f"""
    DELETE {{ GRAPH <{MEETINGS}> {{ <{MEETING}> schema:keywords ?old }} }}
    INSERT {{ GRAPH <{MEETINGS}> {{ <{MEETING}> schema:keywords "Beschaffung"@de }} }}
    WHERE {{ OPTIONAL {{ <{MEETING}> schema:keywords ?old }} }}
    """
    resp = _update(client, "PREFIX schema: <https://schema.org/>\n" + text)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert list(body["graphs"]) == [MEETINGS] and body["change"].startswith(BASE + "change/")
    assert resp.headers["Imagraph-Change"] == body["change"]
    assert core.version != version
    page = client.get("/meeting/2025-10-14-network", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=page.get_data(as_text=True), format="turtle")
    assert (URIRef(MEETING), URIRef(SCHEMA + "keywords"), None) in g
    ask = client.get(
        "/sparql",
        query_string={"query": f'ASK {{ <{MEETING}> schema:keywords "Beschaffung"@de }}'},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert ask.get_json()["boolean"] is True
    change = ox.NamedNode(body["change"])
    record = [t for t in core.store.triples([BASE + "graph/changes"]) if t.subject == change]
    assert any(t.object == ox.NamedNode(MEETINGS) for t in record)
    # a second core on the same store (the server after a restart) sees it
    assert core.validate().conforms


def test_a_new_data_graph_by_insert_data():
    core, client = make()
    graph = BASE + "graph/data/submitted"
    resp = _update(client, f"INSERT DATA {{ GRAPH <{graph}> {{ {_ntriples(GOOD)} }} }}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert core.store.exists(TOWN)
    assert graph in core.store.graphs()


def _ntriples(turtle: str) -> str:
    quads = ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE)
    return ox.serialize(
        [ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES
    ).decode()


def test_an_update_that_breaks_the_shapes_is_422_and_changes_nothing():
    core, client = make()
    dump = fetch(client, "/dumps/imanoeb.nq").data
    version = core.version
    # every meeting needs a start date
    text = f"DELETE WHERE {{ GRAPH <{MEETINGS}> {{ <{MEETING}> <{SCHEMA}startDate> ?d }} }}"
    resp = _update(client, text)
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["conforms"] is False
    assert MEETING in {n["focusNode"] for n in body["focusNodes"]}
    assert fetch(client, "/dumps/imanoeb.nq").data == dump and core.version == version


def test_what_may_not_change_is_refused_with_403():
    core, client = make()
    before = core.store.count()
    shapes = _update(client, f"CLEAR GRAPH <{BASE}graph/shapes>")
    assert shapes.status_code == 403 and "only data graphs" in shapes.get_json()["detail"]
    default = _update(client, "INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }")
    assert default.status_code == 403 and "default graph" in default.get_json()["detail"]
    assert core.store.count() == before


def test_load_and_service_are_refused_without_any_connection():
    _, client = make()
    with Listener() as listener:
        url = f"http://127.0.0.1:{listener.port}/data.ttl"
        load = _update(client, f"LOAD <{url}> INTO GRAPH <{BASE}graph/data/x>")
        service = _update(
            client,
            f"INSERT {{ GRAPH <{BASE}graph/data/x> {{ ?s ?p ?o }} }} "
            f"WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}",
        )
    assert load.status_code == 403 and "LOAD is not allowed" in load.get_json()["detail"]
    assert service.status_code == 403 and "SERVICE" in service.get_json()["detail"]
    assert listener.contacted == []


def test_bad_requests_say_what_is_wrong():
    _, client = make()
    syntax = _update(client, "INSERT DATA { GRAPH <x:g> { <a:b> <a:c> }")
    assert syntax.status_code == 400 and "syntax error" in syntax.get_json()["detail"]
    media = client.post("/update", data=b"CLEAR ALL", content_type="text/plain", headers=AUTH)
    assert media.status_code == 415 and "application/sparql-update" in media.get_data(as_text=True)
    two = client.post("/update", data={"update": ["CLEAR ALL", "CLEAR ALL"]}, headers=AUTH)
    assert two.status_code == 400 and "exactly one" in two.get_data(as_text=True)
    using = client.post(
        "/update",
        data={"update": "CLEAR ALL", "using-graph-uri": MEETINGS},
        headers=AUTH,
    )
    assert using.status_code == 400 and "USING" in using.get_data(as_text=True)
    # an update that changes nothing is fine and records nothing
    _, client = make()
    none = _update(client, f"DELETE DATA {{ GRAPH <{MEETINGS}> {{ <a:x> <a:y> <a:z> }} }}")
    assert none.status_code == 200 and none.get_json() == {"change": None, "graphs": {}}


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { GRAPH <%s> { <urn:x:a> <urn:x:p> <<( <urn:x:s> <urn:x:p> <urn:x:o> )>> } }",
        "INSERT { GRAPH <%s> { <urn:x:a> <urn:x:p> ?t } } "
        "WHERE { BIND(<<( <urn:x:s> <urn:x:p> <urn:x:o> )>> AS ?t) }",
    ],
    ids=["data", "where"],
)
def test_an_update_with_a_triple_term_is_400_and_changes_nothing(text):
    """RDF 1.2 triple terms are refused as the Graph Store refuses them (it was a 500)."""
    core, client = make()
    before, version = core.store.count(), core.version
    resp = _update(client, text % (BASE + "graph/data/x"))
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert "triple terms" in resp.get_json()["detail"]
    assert core.store.count() == before and core.version == version


def test_the_query_endpoint_still_refuses_updates():
    _, client = make()
    resp = client.post("/sparql", data={"update": f"CLEAR GRAPH <{MEETINGS}>"}, headers=AUTH)
    assert resp.status_code == 400 and "read-only" in resp.get_data(as_text=True)


assert TOKEN


def test_writes_keep_the_shapes_and_the_ontology_read_for_validation():
    """A write changes data graphs only: the shapes and the ontology a write is validated with
    are read once, not again after every write (a warm write re-read both)."""
    from .test_writes import make, put

    core, client = make()
    assert put(client).status_code in (201, 204)
    shapes, ontology = core.shapes_graph(), core.ontology_graph()
    version = core.version
    assert put(
        client, GOOD.replace('Beispielgemeinde"@de,', 'Beispielgemeinde am See"@de,')
    ).status_code in (201, 204)
    assert core.version != version  # the data changed …
    assert core.shapes_graph() is shapes and core.ontology_graph() is ontology  # … they did not


def test_the_blank_nodes_of_two_updates_are_two():
    """Each update's new blank nodes are its own (children of a worker inherit one random state,
    and labelled two updates' [] alike: one blank node)."""
    core, client = make()
    graph = BASE + "graph/data/notes"
    text = f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> [ <urn:x:q> "1" ] }} }}'
    for _ in range(2):
        resp = _update(client, text)
        assert resp.status_code == 200, resp.get_data(as_text=True)
    objects = {t.object for t in core.store.triples([graph]) if t.predicate.value == "urn:x:p"}
    assert len(objects) == 2 and all(isinstance(o, ox.BlankNode) for o in objects)
