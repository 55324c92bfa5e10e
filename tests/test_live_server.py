"""`imagraph serve` for real: gunicorn in a subprocess, read by requests and by rdflib."""

from __future__ import annotations

import requests
from rdflib import Graph, Literal, URIRef

BASE = "https://w3id.org/imanoeb/"


def test_gunicorn_serves_the_linked_data(server):
    resp = requests.get(server + "org/bmi", headers={"Accept": "text/turtle"}, timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Server"].startswith("gunicorn")
    assert resp.headers["Content-Location"] == server + "org/bmi.ttl"
    g = Graph().parse(data=resp.text, format="turtle")
    assert (
        URIRef(BASE + "org/bmi"),
        URIRef("http://www.w3.org/2004/02/skos/core#altLabel"),
        Literal("BMI"),
    ) in g


def test_rdflib_parses_an_iri_of_the_server(server):
    g = Graph()
    g.parse(server + "meeting/2025-10-14-network")
    assert (
        URIRef(BASE + "meeting/2025-10-14-network"),
        URIRef("https://schema.org/startDate"),
        None,
    ) in g


def test_browser_gets_html_and_unknown_is_404(server):
    html = requests.get(
        server + "meeting/2025-10-14-network", headers={"Accept": "text/html"}, timeout=10
    )
    assert html.headers["Content-Type"] == "text/html; charset=utf-8"
    missing = requests.get(
        server + "nothing/here", headers={"Accept": "application/json"}, timeout=10
    )
    assert missing.status_code == 404
    assert missing.json()["status"] == 404
