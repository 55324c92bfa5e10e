"""Dump files are made once per data version by a child process, kept as files, and sent from
them; while one is being made the answer is 503 with Retry-After, and the catalogue leaves its
size out (without a lasting ETag)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import time

import requests
from rdflib import RDF, Graph, URIRef
from werkzeug.http import http_date

from imagraph import downloads as site_module
from imagraph import dumps as dumps_module
from imagraph.core import Core
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app

from .conftest import ROOT, fetch, start_server, stop_server
from .test_writes import GOOD, GRAPH, TOKEN, TOWN

DCAT = "http://www.w3.org/ns/dcat#"
DCAT_BYTE_SIZE = URIRef(DCAT + "byteSize")
JSON = {"Accept": "application/json"}
TURTLE = {"Accept": "text/turtle"}
JSONLD = {"Accept": "application/ld+json"}


def app_with_dumps_in(tmp_path, **extra):
    core = Core.open(Settings(site=ROOT, dump_dir=tmp_path / "dumps", cache_entries=0, **extra))
    return core, create_app(Instance(core)).test_client()


def until_made(client, path: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while True:
        resp = fetch(client, path)
        if resp.status_code != 503 or time.monotonic() > deadline:
            return resp
        time.sleep(0.05)


def byte_sizes(resp) -> list:
    """The dcat:byteSize of a catalogue or dataset answer (Turtle or JSON-LD)."""
    fmt = "json-ld" if resp.mimetype == "application/ld+json" else "turtle"
    return list(Graph().parse(data=resp.data, format=fmt).objects(None, DCAT_BYTE_SIZE))


def catalogue_sizes(client) -> tuple[int, int, str | None]:
    """The catalogue's distributions, those with a size, and its ETag (none while incomplete)."""
    resp = client.get("/catalog", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=resp.data, format="turtle")
    dists = {str(u) for u in g.objects(None, URIRef(DCAT + "downloadURL"))}
    sized = {
        str(g.value(d, URIRef(DCAT + "downloadURL")))
        for d in g.subjects(URIRef(DCAT + "byteSize"), None)
    }
    return len(dists), len(sized & dists), resp.headers.get("ETag")


def test_a_dump_being_made_is_503_then_sent_from_its_file(tmp_path, monkeypatch):
    monkeypatch.setattr(site_module, "DUMP_WAIT", 0.0)  # no request waits for the child
    monkeypatch.setattr(site_module, "LIST_WAIT", 0.0)
    core, client = app_with_dumps_in(tmp_path)
    first = fetch(client, "/dumps/imanoeb.nt.gz")
    assert first.status_code == 503
    assert first.headers["Retry-After"] == "10"
    assert "being made" in first.text and "imanoeb.nt.gz" in first.text
    resp = until_made(client, "/dumps/imanoeb.nt.gz")
    assert resp.status_code == 200 and resp.mimetype == "application/gzip"
    g = Graph().parse(data=gzip.decompress(resp.data), format="nt")
    assert len(g) == core.store.count()  # imagraph's graphs share no triple
    # the file and its size and checksum, in the folder of this data version
    folder = tmp_path / "dumps" / core.version
    assert (folder / "imanoeb.nt.gz").read_bytes() == resp.data
    meta = json.loads((folder / "imanoeb.nt.gz.json").read_text())
    assert meta == {
        "mediaType": "application/gzip",
        "byteSize": len(resp.data),
        "sha256": hashlib.sha256(resp.data).hexdigest(),
    }
    # the child goes on with the other dumps; once all are made, nothing half-written is left
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        total, sized, _ = catalogue_sizes(client)
        if sized == total:
            break
        time.sleep(0.05)
    assert sized == total == len(list(folder.glob("*.json")))
    listing = client.get("/dumps", headers={"Accept": "application/json"}).get_json()["dumps"]
    assert all(d["byteSize"] == (folder / d["name"]).stat().st_size for d in listing)
    assert not list(folder.glob(".*.part"))


def test_the_catalogue_leaves_out_sizes_of_dumps_being_made(tmp_path, monkeypatch):
    monkeypatch.setattr(site_module, "DUMP_WAIT", 0.0)
    monkeypatch.setattr(site_module, "LIST_WAIT", 0.0)
    _, client = app_with_dumps_in(tmp_path)

    total, sized, partial_etag = catalogue_sizes(client)
    assert total > 0 and sized < total
    deadline = time.monotonic() + 30
    while sized < total and time.monotonic() < deadline:
        time.sleep(0.05)
        total, sized, etag = catalogue_sizes(client)
    assert sized == total
    assert partial_etag is None and etag is not None  # no one revalidates the partial one


def test_dumps_of_an_old_version_are_removed_after_a_write(tmp_path):
    core, client = app_with_dumps_in(tmp_path, write_tokens=f"alice:{TOKEN}")
    before = fetch(client, "/dumps/imanoeb.nq").data
    old = tmp_path / "dumps" / core.version
    assert (old / "imanoeb.nq").is_file()
    resp = client.put(
        "/graph-store", query_string={"graph": GRAPH}, data=GOOD,
        content_type="text/turtle", headers={"Authorization": f"Bearer {TOKEN}"},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    after = until_made(client, "/dumps/imanoeb.nq").data
    assert TOWN.encode() in after and TOWN.encode() not in before
    assert (tmp_path / "dumps" / core.version / "imanoeb.nq").read_bytes() == after
    deadline = time.monotonic() + 30
    while old.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not old.exists()


def test_each_part_dump_conforms_to_the_resource_shapes_on_its_own(tmp_path):
    """A downloaded part (meetings, stakeholders, topics, sources) conforms, with the ontology,
    to shapes/imanoeb-shapes.ttl alone: what each resource says about itself (meetings.nt gave
    203 violations when the shapes also required the sources it cites to be in it). The range
    shapes check the links between parts, on the whole graph, which conforms to both files."""
    from imagraph.validation import validate

    _, client = app_with_dumps_in(tmp_path)
    resource_shapes = Graph().parse(ROOT / "shapes" / "imanoeb-shapes.ttl")
    all_shapes = Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        all_shapes.parse(path)
    for part in ("meetings", "stakeholders", "topics", "sources"):
        resp = until_made(client, f"/dumps/{part}.nt")
        assert resp.status_code == 200, part
        data = Graph().parse(ROOT / "ontology" / "imanoeb.ttl")
        data.parse(data=resp.data, format="nt")
        result = validate(data, resource_shapes)
        assert result.conforms, (part, [(str(v.focus), str(v.shape)) for v in result.results][:5])
        # the links that leave the part are what the range shapes check
        alone = validate(
            Graph().parse(data=resp.data, format="nt")
            + Graph().parse(ROOT / "ontology" / "imanoeb.ttl"),
            all_shapes,
        )
        assert part == "topics" or not alone.conforms, part
    whole = until_made(client, "/dumps/imanoeb.nt")
    data = Graph().parse(ROOT / "ontology" / "imanoeb.ttl")
    data.parse(data=whole.data, format="nt")
    assert validate(data, all_shapes).conforms


SPDX = "http://spdx.org/rdf/terms#"


def complete_catalogue(get, seconds: float = 60) -> Graph:
    """The catalogue (``get(path, headers)``), asked for until every distribution has its size
    (the dumps are made), for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        g = Graph().parse(data=get("catalog", {"Accept": "text/turtle"}), format="turtle")
        dists = set(g.subjects(RDF.type, URIRef(DCAT + "Distribution")))
        if dists <= set(g.subjects(URIRef(DCAT + "byteSize"))) or time.monotonic() > deadline:
            return g
        time.sleep(0.1)


def downloads_matching(url: str) -> tuple[int, int]:
    """(distributions whose download hashes to the size and SHA-256 the server's catalogue
    advertises, distributions), once the server has made its dumps."""
    g = complete_catalogue(
        lambda path, headers: requests.get(url + path, headers=headers, timeout=30).content
    )
    dists = list(g.subjects(RDF.type, URIRef(DCAT + "Distribution")))
    matching = 0
    for dist in dists:
        size = g.value(dist, URIRef(DCAT + "byteSize"))
        checksum = g.value(g.value(dist, URIRef(SPDX + "checksum")), URIRef(SPDX + "checksumValue"))
        resp = requests.get(str(g.value(dist, URIRef(DCAT + "downloadURL"))), timeout=60)
        if (
            resp.status_code == 200
            and size is not None
            and len(resp.content) == int(size)
            and hashlib.sha256(resp.content).hexdigest() == str(checksum)
        ):
            matching += 1
    return matching, len(dists)


def test_two_servers_on_one_host_each_serve_the_dumps_their_catalogue_advertises(tmp_path):
    """Two in-memory servers with different data, both with the default dump folder: every
    download of each hashes to what its own catalogue says, before and after the other starts
    and makes its dumps (they shared one folder: the second removed the first's dumps, and
    none of the first's 34 downloads matched its catalogue any more)."""
    other = tmp_path / "data"
    shutil.copytree(ROOT / "data", other)
    (other / "topics.ttl").unlink()  # other data: another version, other dumps
    first, first_url = start_server(tmp_path / "first.log")
    try:
        before = downloads_matching(first_url)
        second, second_url = start_server(
            tmp_path / "second.log", {"IMAGRAPH_DATA_DIR": str(other)}
        )
        try:
            assert downloads_matching(second_url) == (34, 34)
            after = downloads_matching(first_url)
        finally:
            stop_server(second)
        assert before == after == (34, 34)
        assert downloads_matching(first_url) == (34, 34)  # and once the other has stopped
    finally:
        stop_server(first)


def test_a_catalogue_made_while_dumps_are_being_made_is_not_kept(tmp_path, monkeypatch):
    """With the caches on (the response cache in front of Flask, the rendered answers behind
    it), a catalogue asked for while the dumps are being made is answered without their sizes
    and kept nowhere: sent ``no-store``, without ETag or Last-Modified and never 304 (it was
    ``public, max-age=300`` with the whole one's Last-Modified, so a harvester revalidating it
    with If-Modified-Since got 304 and kept it); once they are made, the next answer has every
    size and checksum (a fresh server kept answering the first, incomplete one for the whole
    data version)."""
    monkeypatch.setattr(site_module, "DUMP_WAIT", 0.0)
    monkeypatch.setattr(site_module, "LIST_WAIT", 0.0)
    start = dumps_module.Dumps._start
    held = [True]  # the dumps are held back until the incomplete answers are checked
    monkeypatch.setattr(
        dumps_module.Dumps, "_start", lambda self, *a: None if held[0] else start(self, *a)
    )
    core = Core.open(Settings(site=ROOT, dump_dir=tmp_path / "dumps"))
    client = create_app(Instance(core)).test_client()
    since = {"If-Modified-Since": http_date(time.time() + 3600)}
    # each with its number of dcat:byteSize, once the dumps are made
    asked = [("/catalog", TURTLE, 34), ("/catalog", JSONLD, 34), ("/dataset/imanoeb", TURTLE, 10)]
    for _ in range(2):  # the second time from no cache either
        for path, accept, whole in asked:
            for headers in (accept, accept | since):
                resp = client.get(path, headers=headers)
                assert resp.status_code == 200, (path, headers)
                assert len(byte_sizes(resp)) < whole, path
                assert resp.headers["Cache-Control"] == "no-store", path
                assert "Last-Modified" not in resp.headers and "ETag" not in resp.headers
    held[0] = False
    g = complete_catalogue(lambda path, headers: client.get("/" + path, headers=headers).data)
    assert len(set(g.subjects(URIRef(DCAT + "byteSize")))) == 34
    for path, accept, whole in asked:
        for _ in range(3):  # the response cache answers repeats: each has every size, kept
            resp = client.get(path, headers=accept)
            assert len(byte_sizes(resp)) == whole, path
            assert resp.headers["Cache-Control"].startswith("public, max-age=")
        assert client.get(path, headers=accept | since).status_code == 304
        again = client.get(path, headers={**accept, "If-None-Match": resp.headers["ETag"]})
        assert again.status_code == 304


def test_a_dump_that_cannot_hold_the_data_says_so_and_the_others_are_made(tmp_path):
    """A store written by another writer may hold RDF 1.2 triple terms: the JSON-LD dumps cannot
    be made (404 saying why, not 503 for ever), every other dump is, and the catalogue lists
    those it has, whole."""
    import pyoxigraph as ox

    core, client = app_with_dumps_in(tmp_path)
    term = ox.Triple(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.NamedNode("urn:x:o"))
    graph = ox.NamedNode(core.settings.graph_iri("data/held"))
    core.store.load([ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:p"), term, graph)])
    core.set_version(core.next_version("held"), core.modified)
    resp = until_made(client, "/dumps/imanoeb.jsonld")
    assert resp.status_code == 404, resp.get_data(as_text=True)
    assert "cannot be made in JSON-LD" in resp.get_data(as_text=True)
    resp = until_made(client, "/dumps/imanoeb.nq")
    assert resp.status_code == 200
    assert any(isinstance(q.object, ox.Triple) for q in ox.parse(resp.data, ox.RdfFormat.N_QUADS))
    deadline = time.monotonic() + 60
    while (sizes := catalogue_sizes(client))[0] != sizes[1] and time.monotonic() < deadline:
        time.sleep(0.2)
    total, sized, _ = sizes
    specs = client.application.extensions["imagraph"].downloads.specs
    assert total == sized == len(specs) - 2  # all but the whole graph's JSON-LD, plain and gzip
    assert not any(
        u.endswith(("imanoeb.jsonld", "imanoeb.jsonld.gz")) for u in _download_urls(client)
    )
    listed = {d["name"] for d in client.get("/dumps", headers=JSON).get_json()["dumps"]}
    assert "imanoeb.nq" in listed and "imanoeb.jsonld" not in listed


def _download_urls(client) -> list[str]:
    g = Graph().parse(data=client.get("/catalog", headers={"Accept": "text/turtle"}).data)
    return [str(u) for u in g.objects(None, URIRef(DCAT + "downloadURL"))]
