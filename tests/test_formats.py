"""The table of formats (``imagraph.formats``) is the one place a format is named: every row is
offered by content negotiation, the SPARQL endpoint and its service description, the OpenAPI
description, the dumps and the catalogue, and named in the command line's help, as its kind
says; and rows added to the table (``tests/more_formats.py``) are, with no other code edited."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from imagraph import formats
from imagraph.core import Core
from imagraph.settings import Settings

from .conftest import ROOT, embedded_only, fetch

SD = "http://www.w3.org/ns/sparql-service-description#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
IANA = "https://www.iana.org/assignments/media-types/"
SELECT = "SELECT ?m WHERE { ?m a imo:Meeting } LIMIT 3"
CONSTRUCT = "CONSTRUCT { ?m a imo:Meeting } WHERE { ?m a imo:Meeting } LIMIT 3"
#: The data set's name in its dump files' names.
NAME = Settings(site=ROOT).config.name


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from imagraph.instance import Instance
    from imagraph.web import create_app

    settings = Settings(site=ROOT, dump_dir=tmp_path_factory.mktemp("dumps"), cache_entries=0)
    return create_app(Instance(Core.open(settings))).test_client()


@pytest.fixture(scope="module")
def openapi(client):
    return client.get("/openapi.json").get_json()


def _triples(resp) -> list[ox.Triple]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    quads = ox.parse(resp.data, format=ox.RdfFormat.N_TRIPLES)
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


def _objects(triples: list[ox.Triple], predicate: str) -> set[str]:
    return {t.object.value for t in triples if t.predicate.value == predicate}


def _help(command: str) -> str:
    from imagraph.cli import cli

    result = CliRunner().invoke(
        cli, [command, "--help"], terminal_width=1000, max_content_width=1000
    )
    assert result.exit_code == 0, result.output
    return result.output


def _answers(resp, fmt: formats.Format) -> None:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == fmt.media_type


@pytest.mark.parametrize("fmt", formats.FORMATS, ids=lambda f: f.name)
def test_every_row_is_offered_everywhere(client, openapi, fmt):
    paths = openapi["paths"]
    sparql = client.get("/sparql", headers={"Accept": formats.NTRIPLES.media_type})
    assert fmt.w3c_iri in _objects(_triples(sparql), SD + "resultFormat")
    assert fmt.media_type in paths["/sparql"]["get"]["responses"]["200"]["content"]
    # the query forms it answers, asked for by name and by media type; the others refuse it
    query = SELECT if "select" in fmt.answers else CONSTRUCT
    other = CONSTRUCT if "select" in fmt.answers else SELECT
    accept = {"Accept": fmt.media_type}
    _answers(client.get("/sparql", query_string={"query": query, "format": fmt.extension}), fmt)
    _answers(client.get("/sparql", query_string={"query": query}, headers=accept), fmt)
    refused = client.get("/sparql", query_string={"query": other}, headers=accept)
    assert refused.status_code == 406, refused.get_data(as_text=True)[:300]
    assert fmt.name in _help("query")

    if not isinstance(fmt, formats.Format):  # results: no more
        return
    assert fmt.media_type in paths["/graph-store"]["put"]["requestBody"]["content"]
    assert fmt.name in _help("dump") and fmt.name in _help("validate")
    if fmt.kind == formats.GRAPH:  # a resource, a graph of the Graph Store
        _answers(client.get(f"/ontology.{fmt.extension}"), fmt)
        _answers(client.get("/ontology", query_string={"format": fmt.name}), fmt)
        _answers(client.get("/ontology", headers=accept), fmt)
        graph = {"graph": Settings(site=ROOT).graph_iri("data/topics")}
        _answers(client.get("/graph-store", query_string=graph, headers=accept), fmt)
        resource = paths["/{path}"]["get"]
        assert fmt.media_type in resource["responses"]["200"]["content"]
        by_format = next(p for p in resource["parameters"] if p["name"] == "format")
        assert fmt.extension in by_format["schema"]["enum"]
    if fmt.dump:
        name = f"{NAME}.{fmt.extension}"
        listed = client.get("/dumps", headers={"Accept": "application/json"}).get_json()
        assert {name, f"{name}.gz"} <= {d["name"] for d in listed["dumps"]}
        assert fmt.media_type in paths["/dumps/{name}"]["get"]["responses"]["200"]["content"]
        nt = {"Accept": formats.NTRIPLES.media_type}
        catalogue = _triples(client.get("/catalog", headers=nt))
        assert IANA + fmt.media_type in _objects(catalogue, DCAT + "mediaType")
        assert fmt.file_type_iri in _objects(catalogue, DCT + "format")
        deadline = time.monotonic() + 60
        while (dump := fetch(client, f"/dumps/{name}")).status_code == 503:
            assert time.monotonic() < deadline, "the dump was not made in a minute"
            time.sleep(0.1)
        _answers(dump, fmt)
        assert any(ox.parse(dump.data, format=fmt.oxigraph))  # written, and reads back


@embedded_only
def test_rows_added_to_the_table_are_offered_everywhere():
    """A new format is one row: with two rows added before imagraph is imported (an RDF format
    and a results format, see ``tests/more_formats.py``), every check above holds for them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.more_formats", "-p", "no:randomly",
         "-p", "no:cacheprovider", "-q", "-rA", "-k", "every_row", __file__],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    for name in ("n-triples-x", "tsv-x"):
        assert f"PASSED tests/test_formats.py::test_every_row_is_offered_everywhere[{name}]" in out
