"""``/openapi.json`` describes the app's routes, all of them and only them, and a live server
answers what schemathesis derives from it within what it says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import schemathesis

from imagraph.instance import Instance
from imagraph.web import create_app

from .conftest import ROOT


@pytest.fixture(scope="module")
def app(core):
    return create_app(Instance(core))


def _routes(app) -> dict[str, set[str]]:
    """Each route of the app as an OpenAPI path, with its methods (lowercase)."""
    out: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        methods = {m.lower() for m in rule.methods} - {"head", "options"}
        out.setdefault(path, set()).update(methods)
    return out


def test_the_description_names_every_route_and_only_those(app):
    resp = app.test_client().get("/openapi.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"] == [{"url": "http://localhost/"}]
    described = {path: set(ops) for path, ops in doc["paths"].items()}
    assert described == _routes(app)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"], (path, method)
            statuses = set(op["responses"])
            # a success, or only 405 (GET /update says to POST)
            assert any(s.startswith("2") for s in statuses) or statuses == {"405"}, (path, method)
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{([a-z_]+)}", path)), (path, method)


def test_every_error_status_the_description_names_has_a_problem_schema(app):
    doc = app.test_client().get("/openapi.json").get_json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, answer in op["responses"].items():
                if status.startswith(("4", "5")) and path != "/readyz":
                    schema = answer["content"]["application/problem+json"]["schema"]
                    assert set(schema["required"]) == {"title", "status", "detail"}, (
                        path,
                        method,
                        status,
                    )


def test_validates_as_openapi_3_1(app):
    """The description is valid OpenAPI 3.1 (by schemathesis' own loader and its spec checks)."""
    doc = app.test_client().get("/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(doc)
    operations = list(schema.get_all_operations())
    assert len(operations) == sum(len(ops) for ops in doc["paths"].values())
    assert all(op.ok() for op in operations), [op.err() for op in operations if not op.ok()]


@pytest.mark.slow
def test_schemathesis_finds_nothing_against_the_live_server(server, tmp_path):
    """schemathesis derives requests from the description (bodies, parameters, wrong media
    types, sequences of calls) and checks every answer: no 5xx, only documented statuses and
    media types, JSON that fits its schema. Bounded: a few examples per operation. (Its checks
    that every schema-valid request succeeds do not apply to linked data: a valid path of no
    resource is 404, an unknown ``lang`` falls back to Accept-Language.)"""
    st = shutil.which("st", path=os.path.dirname(sys.executable)) or shutil.which(
        "schemathesis", path=os.path.dirname(sys.executable)
    )
    assert st is not None, "schemathesis' command is missing: install the test extras"
    run = subprocess.run(
        [
            st,
            "run",
            server + "openapi.json",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            "--max-examples",
            os.environ.get("IMAGRAPH_SCHEMATHESIS_EXAMPLES", "15"),
            "--request-timeout",
            "30",
            "--no-color",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
