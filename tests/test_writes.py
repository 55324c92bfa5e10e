"""SHACL-gated writes through the Graph Store Protocol: authenticated, atomic, durable, recorded."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time

import pyoxigraph as ox
import pytest
import requests
from jinja2 import ChoiceLoader, DictLoader
from rdflib import Graph, URIRef
from werkzeug.http import http_date

from imagraph import stamps
from imagraph.core import Core
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app

from .conftest import (
    REMOTE,
    ROOT,
    embedded_only,
    fetch,
    open_core,
    reset_remote,
    start_server,
    stop_server,
)

TOKEN = "0123456789abcdef-alice"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "https://w3id.org/imanoeb/"
GRAPH = BASE + "graph/data/submitted"
PREFIXES_SKOS = "http://www.w3.org/2004/02/skos/core#"
# Synthetic test data (not a fact): a fictional municipality under the base.
TOWN = BASE + "org/gemeinde/09276999"
GOOD = f"""@prefix imo: <https://w3id.org/imanoeb/ontology#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix dct: <http://purl.org/dc/terms/> .
<{TOWN}> a imo:Municipality, org:FormalOrganization, foaf:Organization ;
    skos:prefLabel "Beispielgemeinde"@de, "Example municipality"@en ;
    schema:name "Beispielgemeinde"@de, "Example municipality"@en ;
    imo:ags "09276999" ; imo:withinLand <{BASE}org/land/by> ; org:subOrganizationOf <{BASE}org/kreis/09276> ;
    imo:confidence imo:reported ; dct:source <{BASE}source/s54> .
"""
BAD = GOOD.replace(
    ', "Example municipality"@en ;\n    schema:name "Beispielgemeinde"@de, "Example municipality"@en',
    ' ;\n    schema:name "Beispielgemeinde"@de',
)


def put(client, body: str = GOOD):
    """PUT ``body`` (Turtle) into the test graph as alice."""
    return client.put(
        "/graph-store",
        query_string={"graph": GRAPH},
        data=body,
        content_type="text/turtle",
        headers=AUTH,
    )


def make(tmp_path=None, **extra) -> tuple[Core, object]:
    """A writable core and its app: on a new on-disk store in ``tmp_path``, else on the store
    under test (a remote one is reset to the bundled graph, before and after each test)."""
    if tmp_path is not None:
        settings = Settings(
            site=ROOT, write_tokens=f"alice:{TOKEN}", store=str(tmp_path / "store"), **extra
        )
        core = Core.open(settings)
    else:
        core = open_core(write_tokens=f"alice:{TOKEN}", **extra)
    return core, create_app(Instance(core)).test_client()


@pytest.fixture(autouse=True)
def _remote_store_reset_afterwards(core):
    yield
    if REMOTE:
        reset_remote(core)


def test_writes_are_off_unless_configured(core):
    client = create_app(Instance(core)).test_client()
    resp = put(client)
    assert resp.status_code == 405
    assert "writes are off" in resp.get_data(as_text=True)


def test_no_token_is_401_and_a_wrong_token_403():
    core, client = make()
    before = core.store.count()
    none = client.put(
        "/graph-store", query_string={"graph": GRAPH}, data=GOOD, content_type="text/turtle"
    )
    assert none.status_code == 401
    assert none.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert "Authorization: Bearer" in none.get_data(as_text=True)
    wrong = client.put(
        "/graph-store",
        query_string={"graph": GRAPH},
        data=GOOD,
        content_type="text/turtle",
        headers={"Authorization": "Bearer not-the-token-at-all"},
    )
    assert wrong.status_code == 403
    assert "may not write" in wrong.get_data(as_text=True)
    assert core.store.count() == before


def test_a_pages_fixed_parts_are_made_anew_after_a_write():
    """The site's header, rendered once for each language, server root and data version and then
    kept (imagraph.web.pages.Fixed), is rendered anew when a write makes a new version."""
    core, client = make()
    app = client.application
    fixed = DictLoader({"header.html": "<p id=version>{{ site.version }}</p>"})
    app.jinja_env.loader = ChoiceLoader([fixed, app.jinja_env.loader])

    def page() -> str:
        return client.get("/org/bmi", headers={"Accept": "text/html"}).get_data(as_text=True)

    before = core.version
    assert f"<p id=version>{before}</p>" in page()
    assert put(client).status_code == 201
    assert core.version != before
    assert f"<p id=version>{core.version}</p>" in page()


def test_only_data_graphs_can_be_written():
    _, client = make()
    resp = client.put(
        "/graph-store",
        query_string={"graph": BASE + "graph/shapes"},
        data=GOOD,
        content_type="text/turtle",
        headers=AUTH,
    )
    assert resp.status_code == 403 and "only data graphs" in resp.get_data(as_text=True)


def test_rejected_write_is_422_and_changes_nothing():
    _, client = make()
    dump_before = fetch(client, "/dumps/imanoeb.nq").data
    resp = client.put(
        "/graph-store",
        query_string={"graph": GRAPH},
        data=BAD,
        content_type="text/turtle",
        headers={**AUTH, "Accept": "application/json"},
    )
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["conforms"] is False
    [node] = body["focusNodes"]
    assert node["focusNode"] == TOWN
    assert (
        "Ministries, authorities, Länder, districts, municipalities and the committee need an English name (skos:prefLabel with @en)."
        in {r["message"] for r in node["results"]}
    )
    assert fetch(client, "/dumps/imanoeb.nq").data == dump_before  # byte for byte
    report = client.put(
        "/graph-store",
        query_string={"graph": GRAPH},
        data=BAD,
        content_type="text/turtle",
        headers={**AUTH, "Accept": "text/turtle"},
    )
    assert report.status_code == 422 and b"ValidationReport" in report.data


def test_bad_bodies_are_400_and_415():
    _, client = make()
    syntax = client.put(
        "/graph-store",
        query_string={"graph": GRAPH},
        data="<a> <b>",
        content_type="text/turtle",
        headers=AUTH,
    )
    assert syntax.status_code == 400 and "the request body, line 1" in syntax.get_data(as_text=True)
    media = client.put(
        "/graph-store",
        query_string={"graph": GRAPH},
        data="x",
        content_type="application/pdf",
        headers=AUTH,
    )
    assert media.status_code == 415


def test_accepted_write_is_visible_at_once_everywhere_and_recorded():
    _, client = make()
    page_etag = client.get("/org/land/by", headers={"Accept": "text/turtle"}).headers["ETag"]
    resp = put(client)
    assert resp.status_code == 201
    # the resource, SPARQL, the dumps and the graph store all see it
    g = Graph().parse(
        data=client.get("/org/gemeinde/09276999", headers={"Accept": "text/turtle"}).data,
        format="turtle",
    )
    assert (URIRef(TOWN), URIRef("https://w3id.org/imanoeb/ontology#ags"), None) in g
    rows = client.get(
        "/sparql", query_string={"query": f"ASK {{ <{TOWN}> a imo:Municipality }}"}
    ).get_json()
    assert rows["boolean"] is True
    assert TOWN.encode() in fetch(client, "/dumps/imanoeb.nt").data
    assert (
        len(
            Graph().parse(
                data=client.get(
                    "/graph-store", query_string={"graph": GRAPH}, headers={"Accept": "text/turtle"}
                ).data,
                format="turtle",
            )
        )
        > 10
    )
    # the data version changed, so do the ETags
    assert (
        client.get("/org/land/by", headers={"Accept": "text/turtle"}).headers["ETag"] != page_etag
    )
    # who, when, what
    who = client.get(
        "/sparql",
        query_string={
            "query": "SELECT ?name ?when WHERE { GRAPH ?g { ?c a prov:Activity ; prov:wasAssociatedWith [ foaf:name ?name ] ; prov:startedAtTime ?when ; prov:generated ?graph } }"
        },
    ).get_json()
    assert [b["name"]["value"] for b in who["results"]["bindings"]] == ["alice"]
    # merge, then delete
    assert (
        client.post(
            "/graph-store",
            query_string={"graph": GRAPH},
            data=GOOD,
            content_type="text/turtle",
            headers=AUTH,
        ).status_code
        == 204
    )
    assert (
        client.delete("/graph-store", query_string={"graph": GRAPH}, headers=AUTH).status_code
        == 204
    )
    assert (
        client.get("/org/gemeinde/09276999", headers={"Accept": "text/turtle"}).status_code == 404
    )
    assert (
        client.delete("/graph-store", query_string={"graph": GRAPH}, headers=AUTH).status_code
        == 404
    )


def test_accepted_write_survives_a_restart(tmp_path):
    core, client = make(tmp_path)
    assert put(client).status_code == 201
    version = core.version
    core.store.flush()
    del core, client
    gc.collect()  # the app holds its store through its WSGI middleware (a cycle)
    again = Core.open(Settings(site=ROOT, store=str(tmp_path / "store")))
    assert again.version == version
    assert again.store.exists(TOWN)
    assert again.validate().conforms
    assert any(
        t.object == ox.Literal("alice") for t in again.store.triples([BASE + "graph/changes"])
    )


def test_tokens_must_be_long_enough():
    from imagraph import writes
    from imagraph.errors import ImagraphError

    with pytest.raises(ImagraphError, match="16 or more characters"):
        writes.tokens(Settings(site=ROOT, write_tokens="bob:short"))


def put_live(url: str, body: bytes, graph: str = GRAPH, content_type: str = "text/turtle"):
    """PUT ``body`` into ``graph`` on a live server as alice."""
    return requests.put(
        url + "graph-store",
        params={"graph": graph},
        data=body,
        headers={**AUTH, "Content-Type": content_type, "Accept": "application/json"},
        timeout=60,
    )


@embedded_only
def test_accepted_write_survives_a_crash(tmp_path):
    """The server is killed (SIGKILL, master and worker) right after it accepted a write."""
    store = tmp_path / "store"
    env = {"IMAGRAPH_STORE": str(store), "IMAGRAPH_WRITE_TOKENS": f"alice:{TOKEN}"}
    log = tmp_path / "server.log"
    proc, url = start_server(log, env, workers=1)
    try:
        resp = put_live(url, GOOD.encode())
        assert resp.status_code == 201, resp.text
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # no shutdown, no flush
        proc.wait()
    proc, url = start_server(log, {"IMAGRAPH_STORE": str(store)}, workers=1)
    try:
        page = requests.get(
            url + "org/gemeinde/09276999", headers={"Accept": "text/turtle"}, timeout=10
        )
        assert page.status_code == 200
        g = Graph().parse(data=page.text, format="turtle")
        assert (URIRef(TOWN), URIRef("http://www.w3.org/ns/org#subOrganizationOf"), None) in g
    finally:
        stop_server(proc)


def _town(i: int) -> tuple[str, str]:
    """(IRI, Turtle) of the i-th fictional municipality (synthetic test data, not a fact)."""
    iri = f"{BASE}org/gemeinde/092769{i:02d}"
    body = (
        GOOD.replace(TOWN, iri)
        .replace('"09276999"', f'"092769{i:02d}"')
        .replace("Beispielgemeinde", f"Beispielgemeinde {i}")
        .replace("Example municipality", f"Example municipality {i}")
    )
    return iri, body


@embedded_only
def test_writes_survive_a_sigkill_in_the_middle_of_them(tmp_path):
    """Writes one after another, and the server killed (SIGKILL, master and worker) while one is
    in flight: after a restart every accepted write is there whole, the one in flight is there
    whole or not at all, the data version and Last-Modified are the stored ones, and the data
    still conforms."""
    store = tmp_path / "store"
    env = {"IMAGRAPH_STORE": str(store), "IMAGRAPH_WRITE_TOKENS": f"alice:{TOKEN}"}
    log = tmp_path / "server.log"
    proc, url = start_server(log, env, workers=1)
    accepted: list[int] = []
    started: list[int] = []
    stop = threading.Event()

    def writer() -> None:
        for i in range(100):
            if stop.is_set():
                return
            started.append(i)
            try:
                resp = put_live(url, _town(i)[1].encode(), graph=f"{GRAPH}-{i}")
            except requests.ConnectionError:
                return
            assert resp.status_code == 201, resp.text
            accepted.append(i)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(accepted) < 5 and thread.is_alive():
            time.sleep(0.01)
        time.sleep(0.05)  # into the next write
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # no shutdown, no flush
        proc.wait()
        stop.set()
        thread.join()
    assert len(accepted) >= 5
    proc, url = start_server(log, {"IMAGRAPH_STORE": str(store)}, workers=1)
    try:
        modified = requests.get(url + "org/bmi", timeout=10).headers["Last-Modified"]
    finally:
        stop_server(proc)
    core = Core.open(Settings(site=ROOT, store=str(store)))
    try:
        for i in started:
            body = _town(i)[1]
            expected = {
                (t.subject, t.predicate, t.object) for t in ox.parse(body, ox.RdfFormat.TURTLE)
            }
            found = {
                (t.subject, t.predicate, t.object) for t in core.store.triples([f"{GRAPH}-{i}"])
            }
            if i in accepted:
                assert found == expected, f"accepted write {i} is not there whole"
            else:
                assert found in (set(), expected), f"write {i} in flight is there in part"
        assert core.validate().conforms
        assert http_date(core.modified) == modified
        assert core._stored_version() == core.version
    finally:
        del core
        gc.collect()


def test_data_record_and_version_are_written_together():
    """One transaction holds the new data, its PROV record and the new data version."""
    core, client = make()
    resp = put(client)
    assert resp.status_code == 201
    change = ox.NamedNode(resp.headers["Imagraph-Change"])
    assert core._stored_version() == core.version  # the version in the store is the new one
    record = [t for t in core.store.triples([BASE + "graph/changes"]) if t.subject == change]
    assert {t.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for t in record} >= {
        "type",
        "wasAssociatedWith",
        "startedAtTime",
        "generated",
        "description",
    }
    # nothing staged is left behind
    assert not [g for g in core.store.graphs() if "#staging" in g]


def test_counts_in_void_and_the_service_description_follow_a_write():
    """Counts are kept per data version (counting reads the whole store): a write renews them."""
    _, client = make()
    void = "http://rdfs.org/ns/void#"
    sd = "http://www.w3.org/ns/sparql-service-description#"

    def counts() -> tuple[int, int, dict[str, int]]:
        g = Graph().parse(
            data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data,
            format="turtle",
        )
        dataset = URIRef("http://localhost/.well-known/void#dataset")
        total = int(g.value(dataset, URIRef(void + "triples")))
        g = Graph().parse(
            data=client.get("/sparql", headers={"Accept": "text/turtle"}).data, format="turtle"
        )
        default = next(g.objects(None, URIRef(sd + "defaultGraph")))
        per_graph = {
            str(g.value(named, URIRef(sd + "name"))): int(
                g.value(g.value(named, URIRef(sd + "graph")), URIRef(void + "triples"))
            )
            for named in g.subjects(URIRef(sd + "name"), None)
        }
        return total, int(g.value(default, URIRef(void + "triples"))), per_graph

    def counted(graph: str | None) -> int:
        where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "GRAPH ?g { ?s ?p ?o }"
        resp = client.get(
            "/sparql",
            query_string={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"},
            headers={"Accept": "application/sparql-results+json"},
        )
        return int(resp.get_json()["results"]["bindings"][0]["n"]["value"])

    total, default, per_graph = counts()
    assert total == default == counted(None) == sum(per_graph.values())
    assert GRAPH not in per_graph
    for graph in (BASE + "graph/data/meetings", BASE + "graph/ontology"):
        assert per_graph[graph] == counted(graph)
    resp = put(client)
    assert resp.status_code == 201, resp.text
    after_total, after_default, after_graphs = counts()
    assert after_graphs[GRAPH] == len(Graph().parse(data=GOOD, format="turtle")) == counted(GRAPH)
    # the write also adds its record (the changes graph) and a new version (meta graph)
    assert after_total == after_default == counted(None) > total + after_graphs[GRAPH]


@pytest.mark.parametrize("store", ["memory", "disk"])
def test_writes_with_several_workers_need_a_shared_store(runner, tmp_path, store):
    """The embedded stores cannot take writes from several processes: a clear refusal, before
    anything starts."""
    from imagraph.cli import cli

    env = {"IMAGRAPH_WRITE_TOKENS": f"alice:{TOKEN}"}
    if store == "disk":
        env["IMAGRAPH_STORE"] = str(tmp_path / "store")
    result = runner.invoke(cli, ["serve", "--workers", "2"], env=env)
    assert result.exit_code == 2
    assert "--workers 1" in result.output
    expected = "own copy of the data" if store == "memory" else "serve a remote store"
    assert expected in result.output
    assert not (tmp_path / "store").exists()  # refused before the store was made


@pytest.mark.skipif(not REMOTE, reason="several writing workers need the remote store")
def test_several_workers_write_one_at_a_time_and_see_each_others_writes(tmp_path, core):
    """Three workers on the remote store take six merges (POST) into one graph at once: none is
    lost, and every worker answers with each write as soon as it was accepted."""
    env = {"IMAGRAPH_STORE": core.settings.store, "IMAGRAPH_WRITE_TOKENS": f"alice:{TOKEN}"}
    proc, url = start_server(tmp_path / "server.log", env, workers=3)
    towns = [f"0927699{i}" for i in range(6)]
    try:
        outcome: dict[str, int] = {}

        def post(ags: str) -> None:
            resp = requests.post(
                url + "graph-store",
                params={"graph": GRAPH},
                data=GOOD.replace("09276999", ags).encode(),
                headers={**AUTH, "Content-Type": "text/turtle"},
                timeout=120,
            )
            outcome[ags] = resp.status_code
            if resp.status_code in (201, 204):  # seen by every worker at once
                for _ in range(6):
                    page = requests.get(
                        url + f"org/gemeinde/{ags}", headers={"Accept": "text/turtle"}, timeout=30
                    )
                    outcome[ags + " seen"] = min(outcome.get(ags + " seen", 200), page.status_code)

        threads = [threading.Thread(target=post, args=(ags,)) for ags in towns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcome[a] for a in towns).count(201) == 1, outcome  # the first creates
        assert all(outcome[a] in (201, 204) for a in towns), outcome
        assert all(outcome[a + " seen"] == 200 for a in towns), outcome
        resp = requests.get(
            url + "graph-store", params={"graph": GRAPH}, headers={"Accept": "text/turtle"},
            timeout=30,
        )  # fmt: skip
        g = Graph().parse(data=resp.text, format="turtle")
        assert {str(s) for s in g.subjects()} == {BASE + f"org/gemeinde/{a}" for a in towns}
    finally:
        stop_server(proc)


def test_labels_of_linking_resources_follow_a_write():
    """Labels of linked resources are cached by the store: a write must renew them."""
    _, client = make()
    land = "/org/land/by"

    def labels_on_land_page() -> set[str]:
        g = Graph().parse(
            data=client.get(land, headers={"Accept": "text/turtle"}).data, format="turtle"
        )
        return {str(o) for o in g.objects(URIRef(TOWN), URIRef(PREFIXES_SKOS + "prefLabel"))}

    assert labels_on_land_page() == set()
    for label in ("Beispielgemeinde", "Beispielort"):
        body = GOOD.replace("Beispielgemeinde", label)
        resp = put(client, body)
        assert resp.status_code in (201, 204), resp.text
        assert labels_on_land_page() == {label, "Example municipality"}


@embedded_only
def test_last_modified_comes_from_the_data_not_the_process(tmp_path):
    """Last-Modified is the newest content date of the bundled files (see test_stamps.py) for
    every app that loads them (every worker, every restart); a write moves it on, and a restart
    on the same store keeps it."""
    files = [p for paths in Core.bundled_files(Settings(site=ROOT)).values() for p in paths]
    newest = max(d.modified for d in stamps.dated(files).values())
    seen = set()
    for _ in range(2):
        core = Core.open(Settings(site=ROOT))
        seen.add(
            fetch(create_app(Instance(core)).test_client(), "/org/bmi").headers["Last-Modified"]
        )
    assert seen == {http_date(newest)}
    core, client = make(tmp_path)
    before = fetch(client, "/org/bmi").headers["Last-Modified"]
    assert before == http_date(newest)
    time.sleep(1.1)
    assert put(client).status_code == 201
    after = fetch(client, "/org/bmi").headers["Last-Modified"]
    assert after != before
    del core, client
    gc.collect()
    core = Core.open(Settings(site=ROOT, store=str(tmp_path / "store")))
    assert http_date(core.modified) == after
    del core
    gc.collect()


def test_a_write_body_is_parsed_in_a_confined_child(tmp_path):
    """The body of a write is parsed in a child with the children's memory limit, as a
    submission to /validate is: past it, 503 saying so, nothing written, and the server goes
    on (a valid write right after is accepted). On a live server: a fresh worker, whose children
    cannot grow into memory its earlier work freed."""
    env = {
        "IMAGRAPH_STORE": "memory",
        "IMAGRAPH_WRITE_TOKENS": f"alice:{TOKEN}",
        "IMAGRAPH_CHILD_MEMORY": str(16 << 20),
    }
    proc, url = start_server(tmp_path / "server.log", env, workers=1)
    try:
        lines = b"".join(
            b'<urn:x:%d> <http://www.w3.org/2000/01/rdf-schema#label> "%s" .\n' % (i, b"x" * 40)
            for i in range(100_000)
        )
        resp = put_live(url, lines, content_type="application/n-triples")
        assert resp.status_code == 503, resp.text[:300]
        assert "reading the request body" in resp.json()["detail"]
        assert "memory" in resp.json()["detail"]
        missing = requests.get(url + "graph-store", params={"graph": GRAPH}, timeout=10)
        assert missing.status_code == 404
        resp = put_live(url, GOOD.encode())
        assert resp.status_code == 201, resp.text
    finally:
        stop_server(proc)


#: Names under ``{base}graph/data/`` that are no data graph's name (issue 22, item 5): by RFC
#: 3986 the first two are the shapes and ontology graphs to a client that normalises IRIs.
UNCLEAN = ["../shapes", "%2e%2e/ontology", "", "x#frag", "x?y=1", "%00", "a//b", "a/", "./a",
           "a/../b", "%41", "x" * 201]  # fmt: skip
DATA = BASE + "graph/data/"


@pytest.mark.parametrize("name", UNCLEAN, ids=lambda n: n[:12] or "empty")
def test_a_data_graph_is_named_with_clean_path_segments(name):
    """One rule for the Graph Store and updates: 400 naming it, and nothing written."""
    core, client = make()
    graphs, version = set(core.store.graphs()), core.version
    for method in ("PUT", "POST"):
        resp = client.open(
            "/graph-store",
            method=method,
            query_string={"graph": DATA + name},
            data=GOOD,
            content_type="text/turtle",
            headers=AUTH,
        )
        assert resp.status_code == 400, (method, resp.get_data(as_text=True))
        assert "is not a data graph name" in resp.get_data(as_text=True)
        assert "no empty, '.' or '..' segment" in resp.get_data(as_text=True)
    update = client.post(
        "/update",
        data=f"INSERT DATA {{ GRAPH <{DATA + name}> {{ <urn:x:a> <urn:x:b> 1 }} }}".encode(),
        content_type="application/sparql-update",
        headers={**AUTH, "Accept": "application/json"},
    )
    assert update.status_code == 400, update.get_data(as_text=True)
    assert "is not a data graph name" in update.get_json()["detail"]
    assert set(core.store.graphs()) == graphs and core.version == version


def test_clean_names_are_written_and_unclean_ones_stored_earlier_can_be_removed():
    core, client = make()
    nested = DATA + "2025/town-09276999_v1.2~a"
    resp = client.put(
        "/graph-store",
        query_string={"graph": nested},
        data=GOOD,
        content_type="text/turtle",
        headers=AUTH,
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert core.store.exists(TOWN) and nested in core.store.graphs()
    # graphs an earlier version let in are removed by their names as stored
    for name, how in (("../shapes", "DELETE"), ("x#frag", "DROP")):
        triples = [ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"), ox.Literal("c"),
                           ox.NamedNode(DATA + name))]  # fmt: skip
        core.store.load(triples)
        if how == "DELETE":
            resp = client.delete("/graph-store", query_string={"graph": DATA + name}, headers=AUTH)
            assert resp.status_code == 204, resp.get_data(as_text=True)
        else:
            resp = client.post(
                "/update",
                data=f"DROP GRAPH <{DATA + name}>".encode(),
                content_type="application/sparql-update",
                headers=AUTH,
            )
            assert resp.status_code == 200, resp.get_data(as_text=True)
        assert DATA + name not in core.store.graphs()


@pytest.mark.parametrize("file_name", ["a b.nt", "\u00e9.nt", "%2e%2e.nt", "x" * 201 + ".nt"])
def test_loaded_files_name_clean_data_graphs(runner, tmp_path, file_name):
    """``imagraph load`` and the bundled data name graphs from file names by the same rule."""
    from imagraph.cli import cli
    from imagraph.errors import BadInputError

    path = tmp_path / file_name
    path.write_bytes(b"<https://e.org/s> <https://e.org/p> <https://e.org/o> .\n")
    store = tmp_path / "store"
    result = runner.invoke(cli, ["--store", str(store), "load", str(path)])
    assert result.exit_code == 2 and "is not a data graph name" in result.output, result.output
    assert not store.exists()
    bundled = tmp_path / "data"
    bundled.mkdir()
    path.rename(bundled / file_name.replace(".nt", ".ttl"))
    with pytest.raises(BadInputError, match="is not a data graph name"):
        Core.open(Settings(site=ROOT, data_dir=bundled))


def test_a_loaded_file_with_a_triple_term_is_refused(runner, tmp_path):
    """RDF 1.2 triple terms stay out of the store by every way in (issue 22, item 6)."""
    from imagraph.cli import cli

    path = tmp_path / "terms.nt"
    path.write_bytes(b"<urn:x:a> <urn:x:p> <<( <urn:x:s> <urn:x:p> <urn:x:o> )>> .\n")
    store = tmp_path / "store"
    result = runner.invoke(cli, ["--store", str(store), "load", str(path)])
    assert result.exit_code == 2 and "triple terms" in result.output, result.output
    assert not store.exists()


def test_a_bundled_file_with_a_triple_term_is_refused(tmp_path):
    """Bundled files are checked as loaded files are: a triple term stops the core opening,
    naming the file (the store's own loader took it)."""
    from imagraph.errors import BadInputError

    data = tmp_path / "data"
    data.mkdir()
    (data / "terms.ttl").write_bytes(
        b"<urn:x:a> <urn:x:p> <<( <urn:x:s> <urn:x:p> <urn:x:o> )>> .\n"
    )
    with pytest.raises(BadInputError, match=r"terms\.ttl.*triple terms"):
        Core.open(Settings(site=ROOT, data_dir=data))


def test_a_write_that_changes_no_triple_changes_nothing():
    """The same PUT again, a POST of triples already there, and the same INSERT DATA through
    /update change no triple: 204 (200 with ``"change": null`` from /update) without a change,
    and the data version, Last-Modified, the ETags, the catalogue's dct:modified and the record
    of changes stay as they were (the same PUT gave a new change and moved every date)."""
    core, client = make()
    first = put(client)
    assert first.status_code == 201 and first.headers["Imagraph-Change"]

    def state() -> tuple:
        graph = client.get("/graph-store", query_string={"graph": GRAPH}, headers=AUTH)
        dataset = Graph().parse(
            data=client.get("/dataset/imanoeb", headers={"Accept": "text/turtle"}).data,
            format="turtle",
        )
        changes = client.get(
            "/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?c a prov:Activity }"}
        ).get_json()["results"]["bindings"][0]["n"]["value"]
        page = fetch(client, "/org/gemeinde/09276999")
        return (
            core.version,
            graph.headers.get("ETag"),
            page.headers.get("ETag"),
            page.headers.get("Last-Modified"),
            sorted(dataset.objects(None, URIRef("http://purl.org/dc/terms/modified"))),
            changes,
        )

    before = state()
    time.sleep(1.1)  # a date moved on would show in seconds
    again = put(client)
    assert again.status_code == 204, again.text
    assert "Imagraph-Change" not in again.headers
    merge = client.post(
        "/graph-store", query_string={"graph": GRAPH}, data=GOOD.split(" ;\n")[0] + " .",
        content_type="text/turtle", headers=AUTH,
    )  # fmt: skip
    assert merge.status_code == 204, merge.text
    assert "Imagraph-Change" not in merge.headers
    insert = client.post(
        "/update",
        data=f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{TOWN}> <{BASE}ontology#ags> "09276999" }} }}',
        content_type="application/sparql-update",
        headers=AUTH,
    )
    assert insert.status_code == 200 and insert.get_json()["change"] is None
    assert state() == before
    removed = client.delete("/graph-store", query_string={"graph": GRAPH}, headers=AUTH)
    assert removed.status_code == 204 and removed.headers["Imagraph-Change"]
    assert all(a != b for a, b in zip(state(), before, strict=True))  # each one would show


def test_the_blank_nodes_of_two_writes_are_two():
    """Each body's blank nodes are new ones: two POSTs of ``[ … ]`` give two blank nodes (the
    bodies are parsed in forked children that labelled them alike, and the second merged into
    the first's), and the same PUT with one again is a change."""
    core, client = make()
    assert put(client).status_code == 201
    for value in ("a", "b"):
        body = f'<{TOWN}> <urn:x:p> [ <urn:x:q> "{value}" ] .'
        resp = client.post(
            "/graph-store", query_string={"graph": GRAPH}, data=body,
            content_type="text/turtle", headers=AUTH,
        )  # fmt: skip
        assert resp.status_code == 204 and resp.headers["Imagraph-Change"], resp.text
    triples = list(core.store.triples([GRAPH]))
    nodes = {t.object for t in triples if t.predicate == ox.NamedNode("urn:x:p")}
    assert len(nodes) == 2
    assert {t.subject for t in triples if t.predicate == ox.NamedNode("urn:x:q")} == nodes
    body = GOOD + '<urn:x:s> <urn:x:p> [ <urn:x:q> "c" ] .\n'
    assert put(client, body).status_code == 204
    again = put(client, body)
    assert again.status_code == 204 and again.headers["Imagraph-Change"]
