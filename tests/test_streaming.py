"""Answers without a cap (IMAGRAPH_QUERY_MAX_ROWS=0) are streamed: written while the engine
yields them, in chunks, and still stopped at the time limit; a client that goes away stops them."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
import requests
from rdflib import Graph
from rdflib.query import Result

from imagraph.cli import cli
from imagraph.core import Core
from imagraph.errors import BadInputError
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.sparql import STREAM_AFTER
from imagraph.web import create_app

from .conftest import ROOT, start_server, stop_server

# Every triple of the union five times: about 24,000 solutions, several MB in every format.
MANY = "SELECT ?s ?p ?o ?i WHERE { ?s ?p ?o VALUES ?i { 1 2 3 4 5 } }"
# A new blank node per solution: 2 x 3 x (the triples of the union) triples.
MANY_TRIPLES = "CONSTRUCT { [] <urn:x:p> ?o ; <urn:x:i> ?i } WHERE { ?s ?p ?o VALUES ?i { 1 2 3 } }"
# Every pair of triples: 22 million solutions, more than any time limit here lets through.
ENDLESS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def uncapped():
    """An app (in memory) whose endpoint has no cap, and the number of triples of its union."""
    core = Core.open(Settings(site=ROOT, query_max_rows=0))
    client = create_app(Instance(core)).test_client()
    resp = client.get(
        "/sparql", query_string={"query": COUNT}, headers={"Accept": "application/json"}
    )
    return client, int(resp.get_json()["results"]["bindings"][0]["n"]["value"])


def test_a_large_answer_is_streamed_whole(uncapped):
    client, triples = uncapped
    resp = client.get(
        "/sparql",
        query_string={"query": MANY},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert resp.status_code == 200
    assert "Content-Length" not in resp.headers  # an iterator: the length is not known ahead
    assert "Imagraph-Result-Truncated" not in resp.headers
    body = resp.get_data()
    resp.close()
    assert len(body) > STREAM_AFTER
    doc = json.loads(body)
    assert len(doc["results"]["bindings"]) == 5 * triples
    assert {b["i"]["value"] for b in doc["results"]["bindings"]} == {"1", "2", "3", "4", "5"}


def test_a_large_graph_is_streamed_whole(uncapped):
    client, triples = uncapped
    resp = client.post(
        "/sparql", data={"query": MANY_TRIPLES}, headers={"Accept": "application/n-triples"}
    )
    assert resp.status_code == 200 and "Content-Length" not in resp.headers
    assert resp.headers["Content-Type"].startswith("application/n-triples")
    g = Graph().parse(data=resp.get_data(), format="nt")
    resp.close()
    assert len(g) == 2 * 3 * triples


def test_a_small_answer_without_cap_is_whole_and_cached(uncapped):
    client, _ = uncapped
    query = "SELECT ?m WHERE { ?m a <https://w3id.org/imanoeb/ontology#Meeting> }"
    first = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
    assert first.status_code == 200
    assert int(first.headers["Content-Length"]) == len(first.data)
    rows = list(csv.DictReader(io.StringIO(first.text)))
    assert len(rows) == 5
    again = client.get(
        "/sparql",
        query_string={"query": query},
        headers={"Accept": "text/csv", "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304


def test_the_query_page_keeps_a_cap_without_the_endpoints(uncapped):
    client, _ = uncapped
    resp = client.get("/sparql", query_string={"query": MANY}, headers={"Accept": "text/html"})
    assert resp.status_code == 200 and int(resp.headers["Content-Length"]) == len(resp.data)
    assert "10000" in resp.text.replace(",", "").replace(".", "").replace("\u202f", "")


def test_a_negative_cap_is_refused():
    with pytest.raises(BadInputError, match="IMAGRAPH_QUERY_MAX_ROWS must be 0"):
        Settings(site=ROOT, query_max_rows=-1)


def test_the_command_streams_without_cap(runner, monkeypatch, uncapped):
    _, triples = uncapped
    monkeypatch.setenv("IMAGRAPH_QUERY_MAX_ROWS", "0")
    result = runner.invoke(cli, ["query", "--format", "tsv", MANY])
    assert result.exit_code == 0, result.output
    parsed = Result.parse(io.StringIO(result.stdout), format="tsv")
    assert len(list(parsed)) == 5 * triples


def test_streaming_over_http_the_limit_and_a_client_that_goes_away(tmp_path, uncapped):
    _, triples = uncapped
    env = {
        "IMAGRAPH_QUERY_MAX_ROWS": "0",
        "IMAGRAPH_QUERY_TIMEOUT": "3",
        "IMAGRAPH_QUERY_SLOTS": "1",
        "IMAGRAPH_CACHE_ENTRIES": "0",
    }
    proc, url = start_server(tmp_path / "server.log", env, workers=2)
    try:
        # a large answer: chunked, read by independent parsers
        resp = requests.get(
            url + "sparql",
            params={"query": MANY},
            headers={"Accept": "application/sparql-results+xml"},
            timeout=30,
        )
        assert resp.status_code == 200
        assert resp.headers.get("Transfer-Encoding") == "chunked"
        assert "Content-Length" not in resp.headers
        assert len(list(Result.parse(io.BytesIO(resp.content), format="xml"))) == 5 * triples
        resp = requests.get(
            url + "sparql", params={"query": MANY}, headers={"Accept": "text/csv"}, timeout=30
        )
        assert len(list(csv.DictReader(io.StringIO(resp.text)))) == 5 * triples

        # an answer that would run for ever is cut at the time limit: the transfer breaks, so
        # the client cannot take a cut answer for a whole one
        start = time.monotonic()
        resp = requests.get(url + "sparql", params={"query": ENDLESS}, stream=True, timeout=30)
        assert resp.status_code == 200
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            for _ in resp.iter_content(1 << 20):
                pass
        resp.close()
        assert 2.5 < time.monotonic() - start < 15

        # a client that reads a little and goes away frees the one query slot long before the
        # time limit (nothing waits for the writer to finish)
        for _ in range(2):
            resp = requests.get(url + "sparql", params={"query": ENDLESS}, stream=True, timeout=30)
            assert resp.status_code == 200
            assert len(next(resp.iter_content(1 << 16))) > 0
            resp.close()
            start = time.monotonic()
            while True:
                again = requests.get(
                    url + "sparql", params={"query": COUNT}, headers={"Accept": "text/csv"},
                    timeout=30,
                )  # fmt: skip
                if again.status_code != 503 or time.monotonic() - start > 10:
                    break
                time.sleep(0.1)
            assert again.status_code == 200, again.text
            assert time.monotonic() - start < 2.5
            assert int(again.text.splitlines()[1]) == triples
    finally:
        stop_server(proc)
