"""The SPARQL endpoint: the W3C protocol tests that apply to a read-only endpoint, real clients,
results parsed by real parsers, and the safety limits."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import threading
import time
import urllib.error
import warnings
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
import SPARQLWrapper as sw
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

from imagraph.core import Core
from imagraph.errors import QueryTimeoutError, StoreError
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app

from .conftest import (
    REMOTE,
    ROOT,
    STANDARDS,
    Listener,
    embedded_only,
    open_core,
    start_server,
    stop_server,
)

W3C = STANDARDS / "w3c-sparql11-tests" / "protocol"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
HT = "http://www.w3.org/2011/http#"
HTS = "http://www.w3.org/2011/http-statusCodes#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
CNT = "http://www.w3.org/2011/content#"
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
RESULTS_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}

# CI sets IMAGRAPH_REQUIRE_STANDARDS: there the material must be present and these tests cannot skip.
pytestmark = pytest.mark.skipif(
    not W3C.exists() and not os.environ.get("IMAGRAPH_REQUIRE_STANDARDS"),
    reason=f"the W3C test material is not at {W3C}",
)


def manifest() -> Graph:
    return Graph().parse(W3C / "manifest.ttl", format="turtle")


def protocol_cases() -> list[tuple[str, URIRef]]:
    if not W3C.exists():
        return []
    g = manifest()
    cases = []
    for test in g.subjects(RDF.type, URIRef(MF + "ProtocolTest")):
        name = str(test).rsplit("#", 1)[-1]
        cases.append((name, test))
    return sorted(cases)


@pytest.fixture(scope="module")
def protocol_client():
    """An app whose store also holds the W3C test graphs under their kasei.us names."""
    # on a remote store, the test graphs are imagraph's too (store_graphs)
    core = (
        open_core(store_graphs="https://w3id.org/imanoeb/graph/ http://kasei.us/")
        if REMOTE
        else Core.open(Settings(site=ROOT))
    )
    g = manifest()
    names = []
    for data in g.objects(None, URIRef(UT + "graphData")):
        path = W3C / Path(str(g.value(data, URIRef(UT + "graph")))).name
        names.append(str(g.value(data, RDFS_LABEL)))
        core.store.replace_graph(
            names[-1],
            (
                ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(names[-1]))
                for q in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)
            ),
        )
    yield create_app(Instance(core)).test_client(), core
    if REMOTE:  # the remote store is shared: the graphs go, and out of its registry
        for name in names:
            core.store.clear_graph(name)


def _list(g: Graph, node):
    while node is not None and node != RDF.nil:
        yield g.value(node, RDF.first)
        node = g.value(node, RDF.rest)


@pytest.mark.parametrize(("name", "test"), protocol_cases(), ids=[c[0] for c in protocol_cases()])
def test_w3c_protocol(protocol_client, name, test):
    client, core = protocol_client
    g = manifest()
    before = core.store.count()
    action = g.value(test, URIRef(MF + "action"))
    for req in _list(g, g.value(action, URIRef(HT + "requests"))):
        method = str(g.value(req, URIRef(HT + "methodName")))
        path = str(g.value(req, URIRef(HT + "absolutePath"))).replace("/sparql/", "/sparql", 1)
        headers = {
            str(g.value(h, URIRef(HT + "fieldName"))): str(g.value(h, URIRef(HT + "fieldValue")))
            for h in _list(g, g.value(req, URIRef(HT + "headers")))
        }
        body_node = g.value(req, URIRef(HT + "body"))
        body = None
        if body_node is not None:
            text = str(g.value(body_node, URIRef(CNT + "chars")))
            encoding = "utf-16" if "utf-16" in headers.get("Content-Type", "").lower() else "utf-8"
            body = text.encode(encoding)
        resp = client.open(path, method=method, headers=headers, data=body)
        expected = g.value(req, URIRef(HT + "resp"))
        statuses = {
            str(s).removeprefix(HTS) for s in g.objects(expected, URIRef(MF + "expectedStatus"))
        }
        klass = f"StatusCode{resp.status_code // 100}xx"
        sends_update = (
            "update=" in path
            or b"update=" in (body or b"")
            or "sparql-update" in headers.get("Content-Type", "")
        )
        if name.startswith(("update", "bad_update")):
            # a read-only endpoint refuses every update with a 4xx and changes nothing; the queries
            # these tests send afterwards expect the update's effect, so they are not checked
            if sends_update:
                assert resp.status_code // 100 == 4, (name, resp.status_code)
                assert "Traceback" not in resp.get_data(as_text=True)
            continue
        assert klass in statuses, (name, resp.status_code, resp.get_data(as_text=True)[:300])
        fmt = g.value(expected, URIRef(MF + "expectedFormat"))
        media = resp.mimetype
        if fmt is not None and str(fmt) in ("boolean", "tabular"):
            parsed = ox.parse_query_results(resp.data, format=RESULTS_FORMATS[media])
            if str(fmt) == "boolean":
                assert isinstance(parsed, ox.QueryBoolean)
                expected_bool = g.value(expected, URIRef(MF + "expectedBoolean"))
                if expected_bool is not None:
                    assert bool(parsed) == expected_bool.toPython()
            else:
                assert isinstance(parsed, ox.QuerySolutions)
        elif fmt is not None and str(fmt) == "RDF":
            Graph().parse(data=resp.data, format=RDF_FORMATS[media])
    assert core.store.count() == before


@pytest.fixture(scope="module")
def client(core):
    return create_app(Instance(core)).test_client()


SELECT = "SELECT ?m ?start WHERE { ?m a imo:Meeting ; schema:startDate ?start } ORDER BY ?start"


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("text/csv", ox.QueryResultsFormat.CSV),
        ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
        ("*/*", ox.QueryResultsFormat.JSON),
        ("application/json", ox.QueryResultsFormat.JSON),
    ],
)
def test_select_results_in_every_format(client, accept, fmt):
    resp = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": accept})
    assert resp.status_code == 200
    if fmt == ox.QueryResultsFormat.CSV:  # lossy by design: read it as CSV
        table = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
        assert table[0] == ["m", "start"] and len(table) == 6
        assert table[1][0] == "https://w3id.org/imanoeb/meeting/2022-08-constituent-session"
        return
    rows = list(ox.parse_query_results(resp.data, format=fmt))
    assert len(rows) == 5
    assert rows[0]["m"] == ox.NamedNode(
        "https://w3id.org/imanoeb/meeting/2022-08-constituent-session"
    )


@pytest.mark.parametrize(("accept", "fmt"), list(RDF_FORMATS.items()))
def test_construct_in_every_rdf_format(client, accept, fmt):
    q = "CONSTRUCT { ?m a schema:Event ; schema:name ?n } WHERE { ?m a imo:Meeting ; schema:name ?n }"
    resp = client.post("/sparql", data={"query": q}, headers={"Accept": accept})
    assert resp.status_code == 200 and resp.mimetype == accept
    if fmt == "json-ld":
        g = Graph().parse(data=resp.data, format="json-ld")
    else:
        g = Graph().parse(data=resp.data, format=fmt)
    assert len(set(g.subjects(RDF.type, URIRef("https://schema.org/Event")))) == 5


def test_describe(client):
    resp = client.get(
        "/sparql",
        query_string={"query": "DESCRIBE <https://w3id.org/imanoeb/org/bmi>"},
        headers={"Accept": "text/turtle"},
    )
    g = Graph().parse(data=resp.data, format="turtle")
    assert (URIRef("https://w3id.org/imanoeb/org/bmi"), None, None) in g


@pytest.mark.parametrize(
    ("request_kwargs", "status", "text"),
    [
        (
            {"method": "GET", "query_string": {"query": "SELECT ?x WHERE { ?x"}},
            400,
            "SPARQL syntax error at line 1, column 21: expected one of",
        ),
        (
            {"method": "GET", "query_string": [("query", "ASK {}"), ("query", "ASK {}")]},
            400,
            "more than one query",
        ),
        (
            {"method": "POST", "data": "ASK {}", "content_type": "text/plain"},
            415,
            "unsupported request body",
        ),
        ({"method": "POST", "data": "ASK {}"}, 415, "unsupported request body"),
        (
            {
                "method": "GET",
                "query_string": {"query": "ASK {}"},
                "headers": {"Accept": "image/png"},
            },
            406,
            "Offered",
        ),
        (
            {
                "method": "GET",
                "query_string": {"query": "INSERT DATA { <http://a> <http://b> <http://c> }"},
            },
            400,
            "SPARQL syntax error",
        ),
        ({"method": "POST", "data": {"update": "DROP ALL"}}, 400, "read-only"),
        (
            {"method": "POST", "data": "DROP ALL", "content_type": "application/sparql-update"},
            400,
            "read-only",
        ),
        (
            {"method": "GET", "query_string": {"query": "LOAD <http://127.0.0.1:9/x>"}},
            400,
            "SPARQL syntax error",
        ),
        ({"method": "GET", "query_string": {"query": "  "}}, 400, "the query is empty"),
        ({"method": "PUT", "data": "ASK {}"}, 405, "Method Not Allowed"),
    ],
)
def test_protocol_errors(client, core, request_kwargs, status, text):
    before = core.store.count()
    resp = client.open("/sparql", **request_kwargs)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert text in resp.get_data(as_text=True)
    assert core.store.count() == before


def test_service_is_refused_without_contacting_the_endpoint(client):
    with Listener() as listener:
        port = listener.port
        for q in (
            f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE SILENT <http://127.0.0.1:{port}/> {{ ?s ?q ?r }} }} }}",
            f"SELECT * WHERE {{ BIND(<http://127.0.0.1:{port}/> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        ):
            resp = client.get("/sparql", query_string={"query": q})
            assert resp.status_code == 403
            assert "refused" in resp.get_data(as_text=True)
    assert listener.contacted == []


def test_get_is_cacheable(client):
    first = client.get("/sparql", query_string={"query": SELECT})
    again = client.get(
        "/sparql", query_string={"query": SELECT}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert first.headers["Vary"] == "Accept"
    assert "max-age" in first.headers["Cache-Control"]


def test_result_cap_is_signalled(core):
    settings = Settings(site=ROOT, query_max_rows=3)
    client = create_app(Instance(core, settings)).test_client()
    resp = client.get("/sparql", query_string={"query": SELECT})
    assert resp.headers["Imagraph-Result-Truncated"] == "true; max-rows=3"
    assert len(resp.get_json()["results"]["bindings"]) == 3


def test_service_description(client):
    for accept, fmt in (
        ("text/turtle", "turtle"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "nt"),
    ):
        resp = client.get("/sparql", headers={"Accept": accept})
        assert resp.status_code == 200
        g = Graph().parse(data=resp.data, format=fmt)
        sd = "http://www.w3.org/ns/sparql-service-description#"
        service = next(g.subjects(RDF.type, URIRef(sd + "Service")))
        assert (service, URIRef(sd + "endpoint"), URIRef("http://localhost/sparql")) in g
        assert (service, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in g
        assert (
            service,
            URIRef(sd + "resultFormat"),
            URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON"),
        ) in g
        names = set(g.objects(None, URIRef(sd + "name")))
        assert URIRef("https://w3id.org/imanoeb/graph/data/meetings") in names


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html, application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+json, text/html;q=0.5", "application/sparql-results+json"),
        ("application/sparql-results+xml, text/html", "application/sparql-results+xml"),
        # a client that prefers the page gets it
        ("text/html, application/sparql-results+xml;q=0.9", "text/html"),
    ],
)
def test_html_beside_a_results_type_answers_the_results(client, accept, expected):
    """A client that lists text/html beside a results type at the same preference gets the
    results (it was 406): a browser's Accept names no results type."""
    resp = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": accept})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == expected
    if expected.endswith("json"):
        assert resp.get_json()["boolean"] is True


def test_real_clients_against_the_live_server(server):
    endpoint = server + "sparql"
    wrapper = SPARQLWrapper(endpoint)
    wrapper.setQuery(
        "PREFIX imo: <https://w3id.org/imanoeb/ontology#> SELECT ?m WHERE { ?m a imo:Meeting }"
    )
    wrapper.setReturnFormat(JSON)
    bindings = wrapper.query().convert()["results"]["bindings"]
    assert len(bindings) == 5
    wrapper.setQuery(
        "PREFIX imo: <https://w3id.org/imanoeb/ontology#> CONSTRUCT { ?m a imo:Meeting } WHERE { ?m a imo:Meeting }"
    )
    wrapper.setReturnFormat(TURTLE)
    g = Graph().parse(data=wrapper.query().convert(), format="turtle")
    assert len(g) == 5
    # SPARQLWrapper's default for CONSTRUCT: XML, sent as format=xml (it was 406): RDF/XML
    wrapper.setReturnFormat(XML)
    answer = wrapper.query()
    assert answer.response.headers["Content-Type"].startswith("application/rdf+xml")
    g = answer.convert()  # SPARQLWrapper parses the RDF/XML with rdflib
    assert isinstance(g, Graph) and len(g) == 5
    store = Graph(store=SPARQLStore(endpoint, returnFormat="json"))
    rows = list(
        store.query(
            "SELECT ?n WHERE { <https://w3id.org/imanoeb/org/bmi> <http://www.w3.org/2004/02/skos/core#altLabel> ?n }"
        )
    )
    assert [r[0] for r in rows] == [Literal("BMI")]


IMO = "PREFIX imo: <https://w3id.org/imanoeb/ontology#> "
BMI = URIRef("https://w3id.org/imanoeb/org/bmi")
SW_QUERIES = {
    "SELECT": IMO + "SELECT ?m WHERE { ?m a imo:Meeting }",
    "ASK": IMO + "ASK { ?m a imo:Meeting }",
    "CONSTRUCT": IMO + "CONSTRUCT { ?m a imo:Meeting } WHERE { ?m a imo:Meeting }",
    "DESCRIBE": f"DESCRIBE <{BMI}>",
}
#: What each return format of SPARQLWrapper answers with, for results and for graphs.
SW_RESULTS = {sw.JSON, sw.XML, sw.CSV, sw.TSV}
SW_GRAPHS = {sw.JSON, sw.XML, sw.TURTLE, sw.N3, sw.RDF, sw.RDFXML, sw.JSONLD}


def _sw_parsed(form: str, answer: sw.QueryResult) -> object:
    """What SPARQLWrapper converted, parsed on: a set of IRIs, a boolean or a graph."""
    converted = answer.convert()
    if form in ("CONSTRUCT", "DESCRIBE"):
        if isinstance(converted, bytes):  # Turtle and N3 come as text
            return Graph().parse(data=converted, format="turtle")
        assert isinstance(converted, Graph)
        return converted
    if isinstance(converted, dict):  # JSON
        body = json.dumps(converted).encode()
        fmt = ox.QueryResultsFormat.JSON
    elif isinstance(converted, bytes):  # CSV or TSV
        csv_text = answer.requestedFormat == sw.CSV
        if csv_text and form == "SELECT":
            return {row[0] for row in list(csv.reader(io.StringIO(converted.decode())))[1:]}
        body, fmt = converted, ox.QueryResultsFormat.TSV  # "true" reads the same in both
    else:  # XML, as a DOM document
        body, fmt = converted.toxml().encode(), ox.QueryResultsFormat.XML
    parsed = ox.parse_query_results(body, format=fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    return {row["m"].value for row in parsed}


@pytest.mark.parametrize("method", [sw.GET, sw.POST])
@pytest.mark.parametrize("form", list(SW_QUERIES))
@pytest.mark.parametrize(
    "fmt", [sw.JSON, sw.XML, sw.CSV, sw.TSV, sw.TURTLE, sw.N3, sw.RDF, sw.RDFXML, sw.JSONLD]
)
def test_sparqlwrapper_in_every_return_format(server, client, method, form, fmt):
    """SPARQLWrapper 2.0.0 with each of its return formats (it sends them as format=, output=
    and results=, some twice: format=rdf+xml&format=application/rdf+xml; RDFXML was 406): a
    result parsed as it should be, or 406 saying what the query form answers with."""
    wrapper = SPARQLWrapper(server + "sparql")
    wrapper.setQuery(SW_QUERIES[form])
    wrapper.setReturnFormat(fmt)
    wrapper.setMethod(method)
    is_graph = form in ("CONSTRUCT", "DESCRIBE")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if fmt not in (SW_GRAPHS if is_graph else SW_RESULTS):
            with pytest.raises(urllib.error.HTTPError) as refused:
                wrapper.query()
            assert refused.value.code == 406
            words = "answers with RDF" if is_graph else "answers with SPARQL results"
            assert words in refused.value.read().decode()
            return
        parsed = _sw_parsed(form, wrapper.query())
    # SPARQLWrapper warns when the answer is not in the format it asked for
    assert not [w for w in caught if "has been returned" in str(w.message)]
    answer = client.get("/sparql", query_string={"query": SW_QUERIES["SELECT"]})
    rows = ox.parse_query_results(answer.data, format=ox.QueryResultsFormat.JSON)
    meetings = {row["m"].value for row in rows}  # type: ignore[union-attr]
    assert len(meetings) == 5
    if form == "SELECT":
        assert parsed == meetings
    elif form == "ASK":
        assert parsed is True
    elif form == "CONSTRUCT":
        assert isinstance(parsed, Graph) and {str(s) for s in parsed.subjects()} == meetings
    else:
        assert isinstance(parsed, Graph) and (BMI, SKOS.altLabel, Literal("BMI")) in parsed


def test_slow_query_is_stopped_while_pages_are_served(tmp_path):
    env = {"IMAGRAPH_QUERY_TIMEOUT": "3", "IMAGRAPH_QUERY_SLOTS": "2"}
    proc, url = start_server(tmp_path / "server.log", env, workers=2)
    try:
        outcome = {}

        def slow():
            start = time.monotonic()
            resp = requests.get(
                url + "sparql",
                params={
                    "query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
                },
                timeout=30,
            )
            outcome["status"], outcome["seconds"], outcome["text"] = (
                resp.status_code,
                time.monotonic() - start,
                resp.text,
            )

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.5)
        start = time.monotonic()
        page = requests.get(url + "org/bmi", headers={"Accept": "text/turtle"}, timeout=10)
        page_seconds = time.monotonic() - start
        # a second heavy query of the same client (one slot each of the two) waits briefly for
        # its first, then is told to wait for it
        start = time.monotonic()
        busy = requests.get(
            url + "sparql",
            params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"},
            timeout=10,
        )
        busy_seconds = time.monotonic() - start
        thread.join()
        assert page.status_code == 200 and page_seconds < 1.0
        assert busy.status_code == 429 and busy.headers.get("Retry-After") == "1"
        assert busy_seconds < 3.5
        assert outcome["status"] == 503
        assert "time limit of 3 s" in outcome["text"]
        assert 2.5 < outcome["seconds"] < 8
    finally:
        stop_server(proc)


def test_the_query_runner_ends_at_the_limit_even_if_its_parent_dies(tmp_path):
    """The runner arms a kernel timer per query: a worker that dies mid-query leaves no runaway."""
    import os
    import signal
    import subprocess
    import sys

    script = tmp_path / "orphan.py"
    script.write_text(
        "import sys\n"
        "from imagraph import sparql\n"
        "from imagraph.core import Core\n"
        "core = Core.open()\n"
        "pool = sparql.RunnerPool.for_store(core.store, sparql.Limits())\n"
        "runner = pool.take()\n"
        "runner.start()\n"
        "pool.give_back(runner)  # the query below takes it\n"
        "with open(sys.argv[1], 'w') as f:\n"
        "    f.write(str(runner.pid))\n"
        "sparql.execute(pool, 'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }',\n"
        "               limits=sparql.Limits(timeout=2))\n"
    )
    pid_file = tmp_path / "runner.pid"
    parent = subprocess.Popen([sys.executable, str(script), str(pid_file)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        runner = int(pid_file.read_text())
        time.sleep(0.5)  # the query is running now
    finally:
        parent.send_signal(signal.SIGKILL)  # the parent dies without cleaning up
        parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(runner, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.kill(runner, signal.SIGKILL)
        raise AssertionError("the orphaned query runner was still running after its time limit")


def test_the_runner_survives_a_timeout_and_serves_the_next_query(core):
    from imagraph import sparql

    # a remote store may refuse it first, by its own limits (Virtuoso estimates its cost)
    expected = (QueryTimeoutError, StoreError) if REMOTE else QueryTimeoutError
    runners = sparql.RunnerPool.for_store(core.store, sparql.Limits())
    with pytest.raises(expected):
        sparql.execute(
            runners,
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
            limits=sparql.Limits(timeout=1),
        )
    result = sparql.execute(runners, "ASK { ?s a imo:Meeting }")
    assert result.body == b'{"head":{},"boolean":true}'
    runners.stop()


def test_query_page_for_browsers(client):
    page = client.get("/sparql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '<textarea id="query" name="query"' in html
    assert "PREFIX imo: &lt;https://w3id.org/imanoeb/ontology#&gt;" in html
    assert 'href="http://localhost/queries/meetings-in-date-order"' in html
    # a machine without a preference still gets the service description
    assert client.get("/sparql", headers={"Accept": "*/*"}).mimetype == "text/turtle"


def test_query_page_shows_results_with_links_and_downloads(client):
    html = client.get(
        "/sparql", query_string={"query": SELECT}, headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    assert '<span id="row-count">5</span>' in html
    assert 'href="http://localhost/meeting/2025-10-14-network"' in html
    assert "format=csv" in html and "format=ttl" not in html


def test_query_page_shows_errors_with_the_right_status(client):
    resp = client.get(
        "/sparql", query_string={"query": "SELECT ?x WHERE { ?x"}, headers={"Accept": "text/html"}
    )
    assert resp.status_code == 400
    assert 'id="error-message">SPARQL syntax error' in resp.get_data(as_text=True)


def test_stored_queries(client):
    listing = client.get("/queries", headers={"Accept": "application/json"}).get_json()["queries"]
    names = {q["name"] for q in listing}
    assert names == {
        "meetings-in-date-order",
        "stakeholders-per-kind",
        "topics-per-meeting",
        "confirmed-facts-only",
        "reported-or-inferred",
        "municipalities-by-land",
        # named by site.toml: the landing page's sections and the catalogue's period
        "landing-meetings",
        "landing-stakeholders",
        "landing-topics",
        "catalog-period",
    }
    for q in listing:
        assert set(q["title"]) == {"de", "en"} and set(q["description"]) == {"de", "en"}
        for accept, fmt in (
            ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
            ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
        ):
            resp = client.get(f"/queries/{q['name']}", headers={"Accept": accept})
            assert resp.status_code == 200
            assert len(list(ox.parse_query_results(resp.data, format=fmt))) > 0
        text = client.get(f"/queries/{q['name']}.rq")
        assert text.mimetype == "application/sparql-query" and "SELECT" in text.get_data(
            as_text=True
        )
    rows = list(
        ox.parse_query_results(
            client.get("/queries/meetings-in-date-order").data, format=ox.QueryResultsFormat.JSON
        )
    )
    assert [r["start"].value for r in rows] == [
        "2022-08",
        "2024-06",
        "2024-09-19T09:30:00+02:00",
        "2025-03-11",
        "2025-10-14",
    ]
    assert client.get("/queries/nothing").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "SELECT * WHERE { ?s foo:bar ?o }",
            "SPARQL syntax error at line 1, column 21: the prefix foo: is not declared. Declare "
            "it with PREFIX foo: <…>, or use one of those declared for you: imo:, rdf:",
        ),
        (
            "SELECT * WHERE {\n  ?s ?p ?o\n  FILTER(\n}",
            "SPARQL syntax error at line 4, column 2: expected one of ",
        ),
    ],
)
def test_syntax_errors_say_where_and_what_in_a_few_words(client, query, message):
    resp = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "application/json"}
    )
    detail = resp.get_json()["detail"]
    assert resp.status_code == 400 and detail.startswith(message)
    assert len(detail) < 400  # not a page of expected characters
    if "expected" in message:
        assert detail.endswith("\n  }\n   ^")  # the line, marked where the parser stopped


def _page_html(client, method="GET", **params):
    if method == "GET":
        resp = client.get("/sparql", query_string=params, headers={"Accept": "text/html"})
    else:
        resp = client.post("/sparql", data=params, headers={"Accept": "text/html"})
    assert resp.status_code == 200, resp.text[:500]
    return resp.get_data(as_text=True)


def test_the_query_page_shows_a_large_result_a_page_at_a_time(client):
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isIRI(?s)) } ORDER BY ?s ?p ?o LIMIT 250"
    first = _page_html(client, query=query, lang="en")
    assert '<span id="row-count">250</span> rows; showing 1–100' in first
    assert first.count("<tr><td>") == 100
    assert 'id="page-next" rel="next"' in first and 'id="page-previous"' not in first
    last = _page_html(client, query=query, lang="en", page="3")
    assert "showing 201–250" in last and last.count("<tr><td>") == 50
    assert 'id="page-previous"' in last and 'id="page-next"' not in last
    # the rows of page 3 are the last 50 of the whole answer
    whole = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
    last_subject = whole.get_data(as_text=True).strip().splitlines()[-1].split(",")[0]
    assert f">{last_subject}</a>" in last
    # a large SELECT * is no longer one enormous page
    everything = _page_html(client, query="SELECT * WHERE { ?s ?p ?o }")
    assert len(everything.encode()) < 200_000
    bad = client.get(
        "/sparql", query_string={"query": query, "page": "0"}, headers={"Accept": "text/html"}
    )
    assert bad.status_code == 400
    # a page past the last is not an empty table under the full count: 404, saying how many
    past = client.get(
        "/sparql",
        query_string={"query": query, "page": "4", "lang": "en"},
        headers={"Accept": "text/html"},
    )
    assert past.status_code == 404
    assert "page 4: the results have 3 page(s) of 100 rows" in past.text
    assert 'id="query"' in past.text  # the query is still there, in its box


def test_a_long_query_is_sent_by_post_and_keeps_its_pages(client):
    padding = "# " + "a comment that makes the query long " * 150 + "\n"
    query = padding + "SELECT ?s WHERE { ?s a ?c } ORDER BY ?s LIMIT 150"
    assert len(query) > 4000
    html = _page_html(client, "POST", query=query, lang="en")
    assert '<span id="row-count">150</span>' in html
    # the next page is a form that sends the query again
    assert re.search(
        r'<form method="post" action="[^"]*/sparql"><input type="hidden" name="query"', html
    )
    second = _page_html(client, "POST", query=query, page="2", lang="en")
    assert "showing 101–150" in second
    # the form switches to POST for such a query (query.js), with the limit the page names
    assert 'data-long="1500"' in html
    with client.get("/static/query.js") as script:
        assert "form.dataset.long" in script.get_data(as_text=True)


# -- RDF 1.2 triple terms (issue 22, item 6): shown where the format can carry them, else 406 --

TERM = ox.Triple(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"), ox.NamedNode("urn:x:c"))
TERM_TEXT = "<<( <urn:x:a> <urn:x:b> <urn:x:c> )>>"
TERM_SELECT = f"SELECT ?t WHERE {{ BIND({TERM_TEXT} AS ?t) }}"
TERM_CONSTRUCT = f"CONSTRUCT {{ <urn:x:s> <urn:x:p> ?t }} WHERE {{ BIND({TERM_TEXT} AS ?t) }}"
CARRIERS = {"ttl": "turtle", "nt": "n-triples", "rdf": "rdf-xml", "trig": "trig", "nq": "n-quads"}
CONSTRUCT_PLAIN = "CONSTRUCT { <urn:x:s> <urn:x:p> <urn:x:o> } WHERE {}"
NO_JSONLD = "which JSON-LD cannot carry: ask for Turtle, N-Triples, RDF/XML, TriG or N-Quads"


def refused_by_the_store(resp) -> bool:
    """On a remote store the query goes to the store, and Virtuoso (SPARQL 1.1, no triple terms)
    refuses it: a 502 with the store's message (README, Stores), never a 500."""
    if not REMOTE:
        return False
    assert resp.status_code == 502, resp.get_data(as_text=True)[:300]
    assert "the SPARQL store refused the query (400)" in resp.get_data(as_text=True)
    return True


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv", "csv"])
def test_a_triple_term_in_results(client, fmt):
    resp = client.get("/sparql", query_string={"query": TERM_SELECT, "format": fmt})
    if refused_by_the_store(resp):
        return
    assert resp.status_code == 200, resp.get_data(as_text=True)
    if fmt == "csv":  # CSV writes terms as plain text
        assert list(csv.reader(io.StringIO(resp.get_data(as_text=True))))[1:] == [
            ["urn:x:a urn:x:b urn:x:c"]
        ]
        return
    results_format = {"json": "JSON", "xml": "XML", "tsv": "TSV"}[fmt]
    rows = list(ox.parse_query_results(resp.data, getattr(ox.QueryResultsFormat, results_format)))
    assert [row["t"] for row in rows] == [TERM]  # type: ignore[index]


@pytest.mark.parametrize("query", [TERM_SELECT, TERM_CONSTRUCT], ids=["select", "construct"])
def test_the_query_page_shows_a_triple_term(client, query):
    """The page showed a SELECT's triple term as a 500 (its table had no row for one)."""
    from html import unescape

    resp = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/html"})
    if refused_by_the_store(resp):
        return
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert TERM_TEXT in unescape(resp.get_data(as_text=True))


@pytest.mark.parametrize("fmt", [*CARRIERS, "jsonld"])
def test_a_constructed_triple_term_in_every_rdf_format(client, fmt):
    resp = client.get("/sparql", query_string={"query": TERM_CONSTRUCT, "format": fmt})
    if refused_by_the_store(resp):
        return
    if fmt == "jsonld":  # was a 502 (an upstream that does not exist)
        assert resp.status_code == 406 and NO_JSONLD in resp.get_data(as_text=True)
        return
    assert resp.status_code == 200, resp.get_data(as_text=True)
    rdf_format = getattr(ox.RdfFormat, CARRIERS[fmt].upper().replace("-", "_"))
    quads = list(ox.parse(resp.data, format=rdf_format))
    assert [(q.subject, q.object) for q in quads] == [(ox.NamedNode("urn:x:s"), TERM)]


@pytest.mark.parametrize(
    ("query", "offered"),
    [(TERM_CONSTRUCT, ["ttl", "nt", "rdf"]), (CONSTRUCT_PLAIN, ["ttl", "jsonld", "nt", "rdf"])],
    ids=["with-a-triple-term", "without"],
)
def test_the_query_page_offers_downloads_that_carry_the_result(client, query, offered):
    """The page of a CONSTRUCT with a triple term offered a JSON-LD download, which was 406."""
    from html import unescape

    page = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/html"})
    if query == TERM_CONSTRUCT and refused_by_the_store(page):
        return
    assert page.status_code == 200
    links = {
        m[1]: unescape(m[0])
        for m in re.findall(r'<a href="([^"]*[?&;]format=[^"]*)">(\w+)</a>', page.text)
    }
    assert list(links) == offered
    for href in links.values():
        resp = client.get(href.removeprefix("http://localhost"))
        assert resp.status_code == 200, (href, resp.text)


def test_stored_queries_with_a_triple_term(tmp_path, core):
    """Stored queries are answered as /sparql answers: shown, or 406 saying why."""
    queries = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", queries)  # (with those site.toml names)
    for name, query in (("term", TERM_SELECT), ("graph", TERM_CONSTRUCT)):
        (queries / f"{name}.toml").write_text(
            f"query = '''{query}'''\n[title]\nde = 'x'\nen = 'x'\n"
            "[description]\nde = 'x'\nen = 'x'\n",
            encoding="utf-8",
        )
    settings = replace(core.settings, queries_dir=queries)
    client = create_app(Instance(core, settings)).test_client()
    page = client.get("/queries/term", headers={"Accept": "text/html"})
    if refused_by_the_store(page):
        assert refused_by_the_store(client.get("/queries/term"))
        assert refused_by_the_store(
            client.get("/queries/graph", headers={"Accept": "application/ld+json"})
        )
        return
    assert page.status_code == 200 and "&lt;&lt;( &lt;urn:x:a&gt;" in page.get_data(as_text=True)
    rows = ox.parse_query_results(client.get("/queries/term").data, ox.QueryResultsFormat.JSON)
    assert [row["t"] for row in rows] == [TERM]  # type: ignore[union-attr]
    jsonld = client.get("/queries/graph", headers={"Accept": "application/ld+json"})
    assert jsonld.status_code == 406 and NO_JSONLD in jsonld.get_data(as_text=True)


@embedded_only
def test_triple_terms_a_store_already_holds(fresh):
    """A store may hold triple terms imagraph did not write (another writer of a remote store):
    DESCRIBE, the Graph Store and resource documents carry them where the format can, else 406
    saying so (they were 500 and 502)."""
    core = fresh()
    bmi, graph = ox.NamedNode(str(BMI)), "https://w3id.org/imanoeb/graph/data/held"
    core.store.load([ox.Quad(bmi, ox.NamedNode("urn:x:p"), TERM, ox.NamedNode(graph))])
    client = create_app(Instance(core)).test_client()
    answers = {
        "describe": lambda fmt: client.get(
            "/sparql", query_string={"query": f"DESCRIBE <{BMI}>", "format": fmt}
        ),
        "graph-store": lambda fmt: client.get(
            "/graph-store", query_string={"graph": graph, "format": fmt}
        ),
        "document": lambda fmt: client.get("/org/bmi", query_string={"format": fmt}),
    }
    for where, get in answers.items():
        for fmt in ("ttl", "nt", "rdf", "jsonld"):
            resp = get(fmt)
            if fmt == "jsonld":
                assert resp.status_code == 406, (where, resp.get_data(as_text=True)[:300])
                assert NO_JSONLD in resp.get_data(as_text=True)
                continue
            assert resp.status_code == 200, (where, fmt, resp.get_data(as_text=True)[:300])
            rdf_format = getattr(ox.RdfFormat, CARRIERS[fmt].upper().replace("-", "_"))
            triples = {(q.subject, q.predicate, q.object) for q in ox.parse(resp.data, rdf_format)}
            assert (bmi, ox.NamedNode("urn:x:p"), TERM) in triples, where


@embedded_only
def test_a_resource_page_shows_a_triple_term_the_store_holds_as_text(fresh):
    """The HTML page of a resource with a triple term (another writer's) shows it as written,
    as text (it was 500)."""
    core = fresh()
    bmi, graph = ox.NamedNode(str(BMI)), "https://w3id.org/imanoeb/graph/data/held"
    core.store.load([ox.Quad(bmi, ox.NamedNode("urn:x:p"), TERM, ox.NamedNode(graph))])
    client = create_app(Instance(core)).test_client()
    resp = client.get("/org/bmi", headers={"Accept": "text/html"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    page = resp.get_data(as_text=True)
    assert "&lt;&lt;( &lt;urn:x:a&gt; &lt;urn:x:b&gt;" in page
    assert 'href="urn:x:a"' not in page


@embedded_only
@pytest.mark.parametrize("where", ["type", "comment", "source"])
def test_a_triple_term_as_a_type_or_a_statements_comment_or_source_is_shown_as_text(fresh, where):
    """A triple term (another writer's) as a resource's type, or as the comment or the source
    of a statement about it (shown with its confidence), is shown as text on its page (each
    was a 500)."""
    core = fresh()
    graph = ox.NamedNode("https://w3id.org/imanoeb/graph/data/held")
    rdf, imo = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "https://w3id.org/imanoeb/ontology#"
    bmi, p, statement = ox.NamedNode(str(BMI)), ox.NamedNode("urn:x:p"), ox.BlankNode()
    said = {
        "type": [(bmi, ox.NamedNode(rdf + "type"), TERM)],
        "comment": [(statement, ox.NamedNode(str(RDFS.comment)), TERM)],
        "source": [(statement, ox.NamedNode("http://purl.org/dc/terms/source"), TERM)],
    }[where]
    triples = [
        (bmi, p, ox.Literal("x")),
        (statement, ox.NamedNode(rdf + "type"), ox.NamedNode(rdf + "Statement")),
        (statement, ox.NamedNode(rdf + "subject"), bmi),
        (statement, ox.NamedNode(rdf + "predicate"), p),
        (statement, ox.NamedNode(rdf + "object"), ox.Literal("x")),
        (statement, ox.NamedNode(imo + "confidence"), ox.NamedNode(imo + "reported")),
        *said,
    ]
    core.store.load([ox.Quad(s, p_, o, graph) for s, p_, o in triples])
    client = create_app(Instance(core)).test_client()
    resp = client.get("/org/bmi", headers={"Accept": "text/html"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert "&lt;&lt;( &lt;urn:x:a&gt; &lt;urn:x:b&gt;" in resp.get_data(as_text=True)


@embedded_only
def test_the_shapes_page_shows_a_triple_term_the_shapes_graph_holds_as_text(fresh):
    """A triple term (another writer's) as a type in the shapes graph is shown as text on the
    shapes page (it was a 500)."""
    core = fresh()
    graph = ox.NamedNode(core.settings.graph_iri("shapes"))
    rdf_type = ox.NamedNode(str(RDF.type))
    core.store.load([ox.Quad(ox.NamedNode("urn:x:shape"), rdf_type, TERM, graph)])
    client = create_app(Instance(core)).test_client()
    resp = client.get("/shapes", headers={"Accept": "text/html"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert "&lt;&lt;( &lt;urn:x:a&gt; &lt;urn:x:b&gt;" in resp.get_data(as_text=True)
