"""The remote store: imagraph on a SPARQL 1.1 store it reaches over HTTP.

Everywhere, the remote store is a second imagraph server (its ``/sparql`` endpoint is a SPARQL
1.1 store). When the suite runs on Virtuoso (``IMAGRAPH_TEST_STORE``), the rest of the suite
covers the remote store too, and the last tests here check what only a writable store shows.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from imagraph import loading
from imagraph.cli import cli
from imagraph.core import Core
from imagraph.errors import StoreError, StoreUnavailableError
from imagraph.generate import write_ntriples
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.store.remote import GraphNotServedError, RemoteStore
from imagraph.web import create_app

from .conftest import (
    REMOTE,
    ROOT,
    TEST_STORE,
    free_port,
    reset_remote,
    start_server,
    stop_server,
)

BASE = "https://w3id.org/imanoeb/"
MEETING = BASE + "meeting/2025-10-14-network"


@pytest.fixture
def upstream(tmp_path):
    """An imagraph server to use as the remote store; ``restart`` brings it back on its port."""
    port = free_port()
    log = tmp_path / "upstream.log"
    state = {"proc": start_server(log, port=port, workers=1)[0]}

    class Upstream:
        url = f"http://127.0.0.1:{port}/sparql"

        def stop(self) -> None:
            stop_server(state["proc"])

        def restart(self) -> None:
            state["proc"] = start_server(log, port=port, workers=1)[0]

    yield Upstream()
    stop_server(state["proc"])


def test_a_remote_store_serves_the_same_description(upstream, core):
    remote = Core.open(Settings(site=ROOT, store=upstream.url), read_only=True)
    assert remote.version == core.version  # read from the store's own meta graph
    assert remote.store.graphs() == core.store.graphs()
    # the same triples (blank nodes are the remote store's own)
    assert isomorphic(
        loading.to_rdflib(remote.store.describe(MEETING)),
        loading.to_rdflib(core.store.describe(MEETING)),
    )
    client = create_app(Instance(remote)).test_client()
    resp = client.get("/meeting/2025-10-14-network", headers={"Accept": "text/turtle"})
    assert resp.status_code == 200
    g = Graph().parse(data=resp.get_data(as_text=True), format="turtle")
    assert (URIRef(MEETING), URIRef("https://schema.org/organizer"), URIRef(BASE + "org/bmi")) in g


def test_a_store_that_goes_away_gives_503_and_recovery_when_it_is_back(upstream):
    remote = Core.open(Settings(site=ROOT, store=upstream.url), read_only=True)
    client = create_app(Instance(remote)).test_client()
    path = "/meeting/2025-10-14-network"
    assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 200
    upstream.stop()
    gone = client.get(path, headers={"Accept": "application/json"})
    assert gone.status_code == 503
    assert gone.headers["Retry-After"] == "5"
    problem = gone.get_json()
    assert problem["status"] == 503 and "cannot be reached" in problem["detail"]
    assert upstream.url in problem["detail"]
    query = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert query.status_code == 503
    upstream.restart()
    again = client.get(path, headers={"Accept": "text/turtle"})
    assert again.status_code == 200 and MEETING.rsplit("/", 1)[1] in again.get_data(as_text=True)


def test_unreachable_store_at_start_is_a_clear_error():
    port = free_port()  # nothing listens there
    with pytest.raises(StoreUnavailableError, match=f"127.0.0.1:{port}/sparql cannot be reached"):
        Core.open(Settings(site=ROOT, store=f"http://127.0.0.1:{port}/sparql"))


def test_writing_needs_the_graph_store_endpoint(upstream):
    store = RemoteStore(upstream.url, graph_prefixes=(BASE + "graph/",))
    with pytest.raises(StoreError, match="store_graph_store_url"):
        store.clear_graph(BASE + "graph/data/meetings")


def test_the_remote_store_reads_only_its_graphs(upstream):
    # a store that holds other graphs too: only those under the prefix are served
    store = RemoteStore(upstream.url, graph_prefixes=(BASE + "graph/data/",))
    assert store.graphs() and all(g.startswith(BASE + "graph/data/") for g in store.graphs())
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s a sh:NodeShape }"  # shapes are in graph/shapes
    assert next(store.query(q).rows())["n"].value == "0"
    named = f"SELECT ?s FROM <{BASE}graph/shapes> WHERE {{ ?s a sh:NodeShape }}"
    assert list(store.query(named).rows()) == []
    # a list of graphs is a list of graphs: an empty one holds nothing (not "all of ours")
    meeting = ox.NamedNode(MEETING)
    assert store.about(meeting, [BASE + "graph/data/meetings"])
    assert store.about(meeting, []) == [] and store.pointing_to(meeting, []) == []


virtuoso = pytest.mark.skipif(not REMOTE, reason="needs the writable remote store (Virtuoso)")


@virtuoso
def test_wrong_credentials_are_a_clear_error(core):
    settings = Settings.from_env(site=ROOT, store=TEST_STORE, store_password="wrong")
    with pytest.raises(StoreError, match="refused imagraph's credentials"):
        Core.open(settings, load=False).store.clear_graph(BASE + "graph/data/nothing")


@virtuoso
def test_other_graphs_of_the_store_stay_invisible(core):
    other = "https://example.org/not-imagraph/graph"
    store = core.store
    store._send_graph(  # type: ignore[attr-defined]
        "PUT", other, [ox.Triple(ox.NamedNode(MEETING), ox.NamedNode(BASE + "x"), ox.Literal("y"))]
    )
    try:
        assert other not in store.graphs()
        assert not any(t.predicate.value == BASE + "x" for t in store.describe(MEETING))
        q = f"SELECT ?o FROM <{other}> WHERE {{ ?s ?p ?o }}"
        assert list(store.query(q).rows()) == []
        mixed = f"SELECT ?o FROM <{other}> FROM <{BASE}graph/data/meetings> WHERE {{ ?s ?p ?o }}"
        with pytest.raises(GraphNotServedError, match="not a graph of this server"):
            store.query(mixed)
        # the store itself has it
        r = requests.post(
            TEST_STORE,
            data={"query": f"ASK {{ GRAPH <{other}> {{ ?s ?p ?o }} }}"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=10,
        )
        assert r.json()["boolean"] is True
    finally:
        store.clear_graph(other)


@virtuoso
def test_results_carry_literals_as_written(core):
    """SELECT results are read from the store's XML (Virtuoso writes JSON up to three times
    slower), and carry what XML reads otherwise or cannot carry: a carriage return (XML reads
    a line break), U+0001 (XML 1.0 has none: read from JSON then); and true is true (Virtuoso's
    JSON wrote "1")."""
    graph = core.settings.graph_iri("data/literals")
    p = ox.NamedNode(BASE + "x/p")
    written = {
        BASE + "x/a": {ox.Literal("a\r\nb\rc"), ox.Literal(True), ox.Literal("  x\t")},
        BASE + "x/b": {ox.Literal("x\u0001y")},
    }
    store = core.store
    store.load(
        ox.Quad(ox.NamedNode(s), p, o, ox.NamedNode(graph)) for s, os in written.items() for o in os
    )
    try:
        for s, literals in written.items():
            rows = store.query(f"SELECT ?o WHERE {{ <{s}> <{p.value}> ?o }}").rows()
            assert {row["o"] for row in rows} == literals
    finally:
        store.clear_graph(graph)


@virtuoso
def test_a_new_core_on_the_store_keeps_its_data_and_version(core):
    again = Core.open(Settings.from_env(site=ROOT, store=TEST_STORE))
    assert again.version == core.version
    assert again.store.count() == core.store.count()


@virtuoso
def test_imagraph_load_fills_the_remote_store(runner, tmp_path, core):
    data = tmp_path / "gen.nt"
    write_ntriples(data, scale=1000)
    expected = sum(1 for line in data.read_text().splitlines() if line.strip())
    try:
        result = runner.invoke(cli, ["--store", TEST_STORE, "load", str(data)])
        assert result.exit_code == 0, result.output
        assert core.store.count(core.settings.graph_iri("data/gen")) == expected
        # the session's core notices the new version (and the new graph) on its next check
        before = core.version
        core.refresh(max_age=0)
        assert core.version != before
        assert core.settings.graph_iri("data/gen") in core.store.graphs()
        # without files, the bundled files are loaded anew; the loaded graph stays
        again = runner.invoke(cli, ["--store", TEST_STORE, "load"])
        assert again.exit_code == 0 and "data/meetings" in again.output
        assert core.store.count(core.settings.graph_iri("data/gen")) == expected
    finally:
        reset_remote(core)


@virtuoso
def test_graphs_are_listed_from_the_registry(core):
    store = core.store
    store.forget()
    graphs = store.graphs()
    assert store.registry not in graphs and core.settings.graph_iri("data/meetings") in graphs
    sd = "http://www.w3.org/ns/sparql-service-description#"
    r = requests.post(
        TEST_STORE,
        data={
            "query": f"SELECT ?g WHERE {{ GRAPH <{store.registry}> {{ ?g a <{sd}NamedGraph> }} }}"
        },
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    assert sorted(b["g"]["value"] for b in r.json()["results"]["bindings"]) == graphs
