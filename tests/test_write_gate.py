"""The write gate sees everything a write can affect: resources that link to what it removes,
objects that become targets (``sh:targetObjectsOf``), inverse paths and chains of
``skos:broader``. Each case is refused with 422 and leaves the data as it was. Before it, the
door: wrong tokens are logged and limited per client."""

from __future__ import annotations

import logging
import re

import pyoxigraph as ox
import pytest
import requests

from imagraph.affected import reach_of
from imagraph.web import auth
from imagraph.web.auth import FailureLimit, client_of

from .conftest import REMOTE, reset_remote, start_server, stop_server
from .test_writes import AUTH, BASE, GOOD, GRAPH, TOKEN, TOWN, make

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


def test_guessed_tokens_are_limited_per_client_and_logged_without_them(caplog):
    """Five wrong tokens from one client, then 429 with Retry-After for it (its right token
    too); another client writes with its token; each failure is logged without the token."""
    core, client = make(write_auth_failures=5)
    guesser, writer = {"REMOTE_ADDR": "192.0.2.7"}, {"REMOTE_ADDR": "198.51.100.9"}
    guesses = [f"guess-{i:04d}-{TOKEN}" for i in range(12)]
    caplog.set_level(logging.WARNING, logger=auth.log.name)
    answers = [
        client.put(
            "/graph-store",
            query_string={"graph": GRAPH},
            data=GOOD,
            content_type="text/turtle",
            headers={"Authorization": f"Bearer {guess}"},
            environ_base=guesser,
        )
        for guess in guesses
    ]
    assert [a.status_code for a in answers] == [403] * 5 + [429] * 7
    assert 59 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert "too many wrong tokens from 192.0.2.7" in answers[-1].get_data(as_text=True)
    right = {"Authorization": f"Bearer {TOKEN}"}
    refused = client.put(
        "/graph-store", query_string={"graph": GRAPH}, data=GOOD, content_type="text/turtle",
        headers=right, environ_base=guesser,
    )  # fmt: skip
    assert refused.status_code == 429
    written = client.put(
        "/graph-store", query_string={"graph": GRAPH}, data=GOOD, content_type="text/turtle",
        headers=AUTH, environ_base=writer,
    )  # fmt: skip
    assert written.status_code == 201, written.get_data(as_text=True)[:500]
    assert ox.NamedNode(TOWN) in {t.subject for t in core.store.triples([GRAPH])}
    lines = [r.getMessage() for r in caplog.records if r.name == auth.log.name]
    assert len(lines) == 5
    assert all("192.0.2.7" in line and "PUT /graph-store" in line for line in lines)
    assert lines[-1].startswith("failed authentication from 192.0.2.7")
    assert not any(TOKEN in line or "guess-" in line for line in lines)


def test_a_failed_authentication_is_logged_with_the_time_and_level_of_the_servers_lines(tmp_path):
    """A live server logs a wrong token as gunicorn logs its own lines (its time, pid and level):
    it was the bare message, without either."""
    log = tmp_path / "server.log"
    proc, url = start_server(log, {"IMAGRAPH_WRITE_TOKENS": f"alice:{TOKEN}"}, workers=1)
    try:
        resp = requests.put(
            url + "graph-store", params={"graph": GRAPH}, data=GOOD.encode(), timeout=30,
            headers={"Content-Type": "text/turtle", "Authorization": "Bearer not-the-token-x"},
        )  # fmt: skip
        assert resp.status_code == 403
    finally:
        stop_server(proc)
    lines = log.read_text(encoding="utf-8").splitlines()
    stamp = r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[(\w+)\] "
    failed = [line for line in lines if "failed authentication" in line]
    assert len(failed) == 1, lines
    assert re.match(stamp + "failed authentication from 127.0.0.1 on PUT /graph-store", failed[0])
    assert re.match(stamp, failed[0])[1] == "WARNING"
    assert any(re.match(stamp + "Booting worker", line) for line in lines)  # gunicorn's own
    assert "not-the-token" not in log.read_text(encoding="utf-8")


def test_the_failure_limit_forgets_failures_older_than_its_window():
    limit = FailureLimit(3, 60.0)
    for now in (0.0, 10.0, 20.0):
        assert limit.wait("a", now) == 0.0
        limit.fail("a", now)
    assert limit.wait("a", 20.0) == 40.0  # until the first is a minute old
    assert limit.wait("b", 20.0) == 0.0
    assert limit.wait("a", 60.0) == 0.0
    assert limit.fail("a", 61.0) == 3  # the first has gone: 10, 20, 61
    assert FailureLimit(0, 60.0).wait("a", 0.0) == 0.0  # 0: no limit


@pytest.mark.parametrize(
    ("address", "client"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        (None, "unknown"),
    ],
)
def test_failures_are_counted_per_address_and_per_ipv6_network(address, client):
    assert client_of(address) == client
