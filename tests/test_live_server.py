"""`imagraph serve` for real: gunicorn in a subprocess, read by requests and by rdflib."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests
from rdflib import Graph, Literal, URIRef

from .conftest import ROOT

BASE = "https://w3id.org/imanoeb/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("server") / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "imagraph.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"the server did not start; see {log.name}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


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
