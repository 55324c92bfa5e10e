"""One error family, rendered in one place: each class's status, Retry-After, problem type and
exit code reach the client as they are; a refused write is a problem document, the SHACL report
(Turtle) or a page, as asked; a write's 201 and 204 carry no HTML content type."""

from __future__ import annotations

import http.server
import inspect
import json
import threading
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
import requests
from rdflib import Graph
from rdflib.namespace import RDF, SH

from imagraph import errors
from imagraph.cli import cli
from imagraph.errors import (
    BusyError,
    ImagraphError,
    StoreUnavailableError,
    TooManyError,
)

from .conftest import free_port
from .test_writes import AUTH, BAD, GOOD, GRAPH, TOWN, make

FAMILY = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, ImagraphError) and cls.__module__ == errors.__name__
]


def test_every_error_class_of_imagraph_is_defined_in_errors():
    """No other module defines an error class of its own (a second family)."""
    import importlib
    import pkgutil

    import imagraph

    defined_elsewhere = []
    for info in pkgutil.walk_packages(imagraph.__path__, "imagraph."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ != errors.__name__ and issubclass(
                cls, ImagraphError
            ):
                defined_elsewhere.append(f"{module.__name__}.{name}")
    assert defined_elsewhere == []
    assert len(FAMILY) > 25


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
def test_each_class_says_what_it_means_everywhere(cls):
    assert 400 <= cls.status < 600
    assert cls.exit_code in (1, 2, 3, 4)
    assert cls.retry_after is None or cls.retry_after > 0
    assert cls.title and cls.problem
    # a 5xx worth trying again is exit 3, a failed store 4, the client's fault 2 (or 1)
    if cls.status in (429, 503):
        assert cls.exit_code == 3
    elif cls.status == 502:
        assert cls.exit_code == 4
    elif cls.status != 500:
        assert cls.exit_code in (1, 2)


def test_problem_types_are_distinct_iris():
    types = [cls.problem for cls in FAMILY]
    assert len(set(types)) == len(types)
    assert StoreUnavailableError("x").type == "urn:imagraph:problem:store-unavailable"


def test_an_error_sent_from_a_child_keeps_what_it_carries():
    """Errors cross from the query runner and the confined children by pickling."""
    import pickle

    err = pickle.loads(pickle.dumps(TooManyError("slow down", retry_after=7)))
    assert (type(err), str(err), err.retry_after) == (TooManyError, "slow down", 7)
    syntax = pickle.loads(pickle.dumps(errors.RdfSyntaxError("bad", source="f.ttl", line=3)))
    assert str(syntax) == "f.ttl, line 3: bad" and syntax.line == 3


# -- the refused write, in every form ---------------------------------------------------------


def _refused(client, accept: str | None):
    return client.put(
        "/graph-store",
        query_string={"graph": GRAPH},
        data=BAD,
        content_type="text/turtle",
        headers={**AUTH, **({"Accept": accept} if accept else {})},
    )


@pytest.mark.parametrize("accept", ["application/problem+json", "application/json", None, "*/*"])
def test_a_refused_write_is_a_problem_document_with_the_reports_results(accept):
    _, client = make()
    resp = _refused(client, accept)
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    doc = json.loads(resp.data)
    assert doc["type"] == "urn:imagraph:problem:write-rejected"
    assert doc["status"] == 422 and "would not conform" in doc["detail"]
    assert doc["conforms"] is False and doc["violations"] >= 1
    assert [n["focusNode"] for n in doc["focusNodes"]] == [TOWN]
    assert "Retry-After" not in resp.headers
    assert resp.vary.as_set() >= {"accept"}


def test_a_refused_write_asked_as_turtle_is_the_shacl_report():
    _, client = make()
    resp = _refused(client, "text/turtle")
    assert resp.status_code == 422 and resp.mimetype == "text/turtle"
    report = Graph().parse(data=resp.data, format="turtle")
    [node] = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms).toPython() is False
    focus = {str(o) for o in report.objects(None, SH.focusNode)}
    assert TOWN in focus


def test_a_refused_write_for_a_browser_is_a_page_with_the_report():
    _, client = make()
    resp = _refused(client, "text/html,application/xhtml+xml,*/*;q=0.8")
    assert resp.status_code == 422 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert 'id="error-explanation"' in page and TOWN in page


def test_a_refused_update_is_rendered_by_the_same_renderer():
    _, client = make()
    update = f"DELETE WHERE {{ GRAPH ?g {{ <{TOWN}> ?p ?o }} }}"
    client.put(
        "/graph-store",
        query_string={"graph": GRAPH},
        data=GOOD,
        content_type="text/turtle",
        headers=AUTH,
    )
    # removing the municipality's English label breaks the shapes
    update = (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        f'DELETE DATA {{ GRAPH <{GRAPH}> {{ <{TOWN}> skos:prefLabel "Example municipality"@en }} }}'
    )
    for accept, mimetype in (
        ("application/json", "application/problem+json"),
        ("text/turtle", "text/turtle"),
    ):
        resp = client.post(
            "/update",
            data=update,
            content_type="application/sparql-update",
            headers={**AUTH, "Accept": accept},
        )
        assert resp.status_code == 422 and resp.mimetype == mimetype
    assert json.loads(
        client.post(
            "/update", data=update, content_type="application/sparql-update", headers=AUTH
        ).data
    )["type"].endswith(":write-rejected")


# -- what a write answers ---------------------------------------------------------------------


def test_201_and_204_of_a_write_carry_no_html():
    _, client = make()
    created = client.put(
        "/graph-store",
        query_string={"graph": GRAPH},
        data=GOOD,
        content_type="text/turtle",
        headers=AUTH,
    )
    assert created.status_code == 201
    assert "Content-Type" not in created.headers and created.data == b""
    assert unquote(created.headers["Location"]).endswith("/graph-store?graph=" + GRAPH)
    replaced = client.put(
        "/graph-store",
        query_string={"graph": GRAPH},
        data=GOOD,
        content_type="text/turtle",
        headers=AUTH,
    )
    removed = client.delete("/graph-store", query_string={"graph": GRAPH}, headers=AUTH)
    for resp in (replaced, removed):
        assert resp.status_code == 204
        assert "Content-Type" not in resp.headers and resp.data == b""


# -- statuses, types and Retry-After from the class -------------------------------------------


@pytest.fixture
def raising():
    """The app with a route that raises what ``?error=`` names (with ``?message=``)."""
    _, client = make()
    app = client.application

    def boom():
        from flask import request

        cls = getattr(errors, request.args["error"])
        raise cls(request.args.get("message", "it went wrong"))

    app.add_url_rule("/test-raise", "test_raise", boom)
    return client


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [
        ("BusyError", 503, "1"),
        ("TooManyError", 429, "1"),
        ("StoreUnavailableError", 503, "5"),
        ("DumpNotReadyError", 503, "10"),
        ("QueryTimeoutError", 503, None),
        ("StoreError", 502, None),
        ("RefusedError", 403, None),
        ("NotFoundError", 404, None),
        ("InputTooLargeError", 413, None),
    ],
)
def test_status_and_retry_after_come_from_the_class(raising, error, status, retry_after):
    resp = raising.get(
        "/test-raise", query_string={"error": error}, headers={"Accept": "application/json"}
    )
    assert resp.status_code == status
    assert resp.headers.get("Retry-After") == retry_after
    assert resp.mimetype == "application/problem+json"
    doc = resp.get_json()
    cls = getattr(errors, error)
    assert doc == {
        "type": "urn:imagraph:problem:" + cls.problem,
        "title": cls.title,
        "status": status,
        "detail": "it went wrong",
    }
    page = raising.get(
        "/test-raise", query_string={"error": error}, headers={"Accept": "text/html"}
    )
    assert page.status_code == status and page.mimetype == "text/html"
    assert page.headers.get("Retry-After") == retry_after
    plain = raising.get("/test-raise", query_string={"error": error})
    assert plain.mimetype == "text/plain" and "it went wrong" in plain.get_data(as_text=True)


def test_an_internal_error_keeps_its_message_to_the_log(raising):
    resp = raising.get(
        "/test-raise",
        query_string={"error": "ImagraphError", "message": "secret path /srv/x"},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 500 and "secret" not in resp.get_data(as_text=True)


def test_werkzeugs_own_errors_go_through_the_same_renderer(raising):
    routing = raising.get("/no/such/thing/at/all.xyz", headers={"Accept": "application/json"})
    assert routing.status_code == 404 and routing.mimetype == "application/problem+json"
    method = raising.delete("/sparql", headers={"Accept": "application/problem+json"})
    assert method.status_code == 405 and method.mimetype == "application/problem+json"
    assert method.get_json()["type"] == "about:blank" and "GET" in method.headers["Allow"]


def test_406_lists_what_is_offered_as_a_member(raising):
    resp = raising.get("/org/bmi?format=pdf", headers={"Accept": "application/json"})
    assert resp.status_code == 406
    doc = resp.get_json()
    assert doc["type"] == "urn:imagraph:problem:not-acceptable"
    assert "text/turtle" in doc["offered"]


def test_too_many_wrong_tokens_is_429_with_the_wait():
    _, client = make(write_auth_failures=3)
    wrong = {"Authorization": "Bearer " + "x" * 20, "Accept": "application/json"}
    answers = [
        client.delete("/graph-store", query_string={"graph": GRAPH}, headers=wrong)
        for _ in range(4)
    ]
    assert answers[0].status_code == 403
    assert answers[0].get_json()["type"] == "urn:imagraph:problem:refused"
    last = answers[-1]
    assert last.status_code == 429 and int(last.headers["Retry-After"]) > 1
    assert last.get_json()["type"] == "urn:imagraph:problem:too-many-requests"


# -- the command line's exit codes ------------------------------------------------------------


@pytest.fixture
def refusing_store() -> Iterator[str]:
    """A 'SPARQL store' that answers every request 400: the store refuses (exit 4)."""

    class Refuse(http.server.BaseHTTPRequestHandler):
        def _refuse(self) -> None:
            self.send_response(400)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"no")

        do_GET = do_POST = _refuse

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


def test_the_command_line_exits_with_the_classs_code(runner, tmp_path, refusing_store):
    bad = tmp_path / "bad.ttl"
    bad.write_text("<a> <b>", encoding="utf-8")
    syntax = runner.invoke(cli, ["validate", str(bad)])
    assert syntax.exit_code == 2 and "bad.ttl, line 1" in syntax.output
    missing = runner.invoke(cli, ["dump", "--graph", "data/nothing"])
    assert missing.exit_code == 2 and "no graph" in missing.output
    gone = runner.invoke(
        cli, ["--store", f"http://127.0.0.1:{free_port()}/sparql", "query", "ASK {}"]
    )
    assert gone.exit_code == 3 and "cannot be reached" in gone.output
    refused = runner.invoke(cli, ["--store", refusing_store, "query", "ASK {}"])
    assert refused.exit_code == 4, refused.output
    assert "Traceback" not in refused.output


def test_the_help_names_the_exit_codes(runner):
    shown = runner.invoke(cli, ["--help"]).output.splitlines()
    codes = [line.split()[0] for line in shown[shown.index("  Exit codes:") + 1 :]]
    assert [c for c in codes if c.isdigit()] == ["0", "1", "2", "3", "4"]


def test_busy_is_what_slots_raise():
    """The classes the slots are to raise: 503 and 429, each asking to come back in 1 s."""
    assert (BusyError.status, BusyError.retry_after) == (503, 1)
    assert (TooManyError.status, TooManyError.retry_after) == (429, 1)


def test_the_server_sends_a_writes_answers_as_the_app_makes_them(tmp_path):
    """On gunicorn, through imagraph's worker: no Content-Type on 201 and 204, the report as
    Turtle on 422."""
    from .conftest import start_server, stop_server

    env = {"IMAGRAPH_WRITE_TOKENS": f"alice:{AUTH['Authorization'].split()[1]}"}
    proc, url = start_server(tmp_path / "server.log", env, workers=1)
    try:
        put = {"params": {"graph": GRAPH}, "timeout": 60}
        ttl = {**AUTH, "Content-Type": "text/turtle"}
        created = requests.put(url + "graph-store", data=GOOD, headers=ttl, **put)
        replaced = requests.put(url + "graph-store", data=GOOD, headers=ttl, **put)
        assert (created.status_code, replaced.status_code) == (201, 204)
        for resp in (created, replaced):
            assert "Content-Type" not in resp.headers and resp.content == b""
        refused = requests.put(
            url + "graph-store", data=BAD, headers={**ttl, "Accept": "text/turtle"}, **put
        )
        assert refused.status_code == 422
        assert refused.headers["Content-Type"].startswith("text/turtle")
        report = Graph().parse(data=refused.text, format="turtle")
        assert (None, RDF.type, SH.ValidationReport) in report
    finally:
        stop_server(proc)
