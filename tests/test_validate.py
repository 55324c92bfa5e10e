"""The validation service over HTTP: every syntax, every error status, and the safety rules."""

from __future__ import annotations

import re
import threading
from html import unescape

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH

from imagraph import fetch
from imagraph.errors import FetchRefusedError
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.validation import path_text
from imagraph.web import create_app

from .conftest import ROOT, TESTS, Listener

MINIMAL = (TESTS / "data" / "minimal.ttl").read_text(encoding="utf-8")
BROKEN = """@prefix imo: <https://w3id.org/imanoeb/ontology#> .
@prefix schema: <https://schema.org/> .
<https://example.org/m> a imo:Meeting, imo:NetworkMeeting, schema:Event ; schema:name "Treffen"@de .
"""
SYNTAXES = [
    ("text/turtle", "turtle"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"),
    ("application/trig", "trig"),
    ("application/n-quads", "nquads"),
]


@pytest.fixture(scope="module")
def app(core):
    return create_app(Instance(core))


@pytest.fixture
def client(app):
    """A client of its own per test: a page asked for with ?lang= keeps the language in a
    cookie, as a browser would."""
    return app.test_client()


def _as(text: str, fmt: str) -> bytes:
    if fmt == "nquads":  # quads in a named graph, written by pyoxigraph
        g = ox.NamedNode("https://example.org/g")
        quads = [
            ox.Quad(t.subject, t.predicate, t.object, g)
            for t in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE)
        ]
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    return Graph().parse(data=text, format="turtle").serialize(format=fmt, encoding="utf-8")


@pytest.mark.parametrize(("media", "fmt"), SYNTAXES)
def test_conformant_and_nonconformant_in_every_syntax(client, media, fmt):
    ok = client.post(
        "/validate",
        data=_as(MINIMAL, fmt),
        content_type=media,
        headers={"Accept": "application/json"},
    )
    assert ok.status_code == 200 and ok.get_json()["conforms"] is True
    bad = client.post(
        "/validate",
        data=_as(BROKEN, fmt),
        content_type=media,
        headers={"Accept": "application/json"},
    )
    summary = bad.get_json()
    assert bad.status_code == 200 and summary["conforms"] is False
    [node] = summary["focusNodes"]
    assert node["focusNode"] == "https://example.org/m"
    messages = {r["message"] for r in node["results"]}
    assert "A meeting needs exactly one English name (schema:name with @en)." in messages


def test_reports_in_german_and_as_standard_rdf(client):
    de = client.post(
        "/validate",
        data=BROKEN,
        content_type="text/turtle",
        headers={"Accept": "application/json", "Accept-Language": "de"},
    ).get_json()
    assert "Ein Treffen braucht genau einen englischen Namen (schema:name mit @en)." in {
        r["message"] for r in de["focusNodes"][0]["results"]
    }
    for accept, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        resp = client.post(
            "/validate", data=BROKEN, content_type="text/turtle", headers={"Accept": accept}
        )
        assert resp.mimetype == accept
        report = Graph().parse(data=resp.data, format=fmt)
        assert (None, SH.conforms, Literal(False)) in report


def test_form_with_pasted_text_and_upload(client):
    pasted = client.post(
        "/validate",
        data={"text": BROKEN, "format": "text/turtle"},
        headers={"Accept": "application/json"},
    )
    assert pasted.get_json()["conforms"] is False
    import io

    uploaded = client.post(
        "/validate",
        data={"file": (io.BytesIO(MINIMAL.encode()), "minimal.ttl")},
        headers={"Accept": "application/json"},
        content_type="multipart/form-data",
    )
    assert uploaded.get_json()["conforms"] is True


@pytest.mark.parametrize(
    ("body", "media", "status", "text"),
    [
        (
            b'@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b "x\n',
            "text/turtle",
            400,
            "the request body, line 3, column 11",
        ),
        (b'{"@id": "http://e/a", ', "application/ld+json", 400, "the request body"),
        (
            b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>",
            "application/rdf+xml",
            400,
            "XML is not well-formed",
        ),
        (b"%PDF-1.4", "application/pdf", 415, "unsupported media type 'application/pdf'"),
        (b"", "text/turtle", 200, "conforms"),
    ],
)
def test_bad_input_gets_a_clear_4xx(client, body, media, status, text):
    resp = client.post(
        "/validate", data=body, content_type=media, headers={"Accept": "application/json"}
    )
    assert resp.status_code == status
    assert text in resp.get_data(as_text=True)
    assert "Traceback" not in resp.get_data(as_text=True)


def test_too_large_is_413(core):
    client = create_app(Instance(core, Settings(site=ROOT, validate_max_bytes=1000))).test_client()
    resp = client.post(
        "/validate",
        data=MINIMAL,
        content_type="text/turtle",
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["detail"] == "The request body is larger than the limit of 1000 bytes."


def test_validation_time_limit(core):
    client = create_app(Instance(core, Settings(site=ROOT, validate_timeout=0.001))).test_client()
    resp = client.post(
        "/validate",
        data=MINIMAL,
        content_type="text/turtle",
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 503
    # issue 22, item 10: the whole limit (not what was left of it for the last step), and how
    # it is set
    assert resp.get_json()["detail"] == (
        "the validation was stopped after its time limit of 0.001 s (while parsing the "
        "submission); the server's operator sets the limit with IMAGRAPH_VALIDATE_TIMEOUT"
    )


def test_remote_jsonld_context_is_never_fetched(client):
    with Listener() as listener:
        body = f'{{"@context": "http://127.0.0.1:{listener.port}/context.jsonld", "@id": "https://example.org/x", "name": "x"}}'
        resp = client.post(
            "/validate",
            data=body,
            content_type="application/ld+json",
            headers={"Accept": "application/json"},
        )
    assert resp.status_code == 400
    assert "remote contexts" in resp.get_data(as_text=True)
    assert listener.contacted == []


def test_xml_external_entity_is_not_resolved(client, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://e/">'
        '<rdf:Description rdf:about="http://e/a"><ex:p>&x;</ex:p></rdf:Description></rdf:RDF>'
    )
    resp = client.post(
        "/validate",
        data=body,
        content_type="application/rdf+xml",
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 400
    assert "TOP-SECRET-VALUE" not in resp.get_data(as_text=True)
    report = client.post(
        "/validate",
        data=body,
        content_type="application/rdf+xml",
        headers={"Accept": "text/turtle"},
    )
    assert "TOP-SECRET-VALUE" not in report.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/data.ttl",
        "http://localhost:{port}/data.ttl",
        "http://[::1]:{port}/data.ttl",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/data.ttl",
        "http://192.168.1.1/data.ttl",
        "http://0.0.0.0:{port}/data.ttl",
        "file:///etc/passwd",
        "ftp://127.0.0.1/data.ttl",
        "http://user:secret@127.0.0.1/data.ttl",
    ],
)
def test_url_submissions_to_internal_addresses_are_refused(client, url):
    with Listener() as listener:
        target = url.format(port=listener.port)
        by_get = client.get(
            "/validate", query_string={"url": target}, headers={"Accept": "application/json"}
        )
        by_form = client.post(
            "/validate", data={"url": target}, headers={"Accept": "application/json"}
        )
    for resp in (by_get, by_form):
        assert resp.status_code == 400
        assert "fetch" in resp.get_data(as_text=True)
    assert listener.contacted == []


class _Once:
    """A loopback HTTP server (on ``host``) that answers each request with ``handler``."""

    def __init__(self, handler, host: str = "127.0.0.1", requests: int = 1) -> None:
        from http.server import BaseHTTPRequestHandler, HTTPServer

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                handler(self)

            def log_message(self, *args):
                pass

        self.server = HTTPServer((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=lambda: [self.server.handle_request() for _ in range(requests)]
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(5)
        self.server.server_close()


def test_redirect_to_an_internal_address_is_refused():
    """A first hop on an allowed network that redirects inward: each hop is checked again."""

    def redirect(h):
        h.send_response(302)
        h.send_header("Location", "http://10.0.0.1/internal.ttl")
        h.send_header("Content-Length", "0")
        h.end_headers()

    allow = fetch.networks("127.0.0.1/32")
    with _Once(redirect) as server, pytest.raises(FetchRefusedError, match=r"10\.0\.0\.1"):
        fetch.fetch(
            f"http://127.0.0.1:{server.port}/start.ttl",
            max_bytes=1000,
            timeout=5,
            accept="text/turtle",
            allow=allow,
        )


def test_a_fetch_connects_to_the_address_it_checked_with_connection_close():
    """The address checked is the address connected to, also when the server closes the
    connection after its answer (the old second check read a private attribute that is None
    then): an allowed loopback address is fetched, another loopback address is refused."""
    body = MINIMAL.encode()

    def answer(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/turtle")
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(body)

    with _Once(answer, host="127.0.0.2") as server:
        got = fetch.fetch(
            f"http://127.0.0.2:{server.port}/x.ttl",
            max_bytes=10_000,
            timeout=5,
            accept="text/turtle",
            allow=fetch.networks("127.0.0.2/32"),
        )
    assert got.body == body
    assert got.content_type == "text/turtle"
    with Listener() as listener, pytest.raises(FetchRefusedError, match=r"127\.0\.0\.1|::1"):
        fetch.fetch(
            f"http://localhost:{listener.port}/x.ttl",
            max_bytes=10_000,
            timeout=5,
            accept="text/turtle",
            allow=fetch.networks("127.0.0.2/32"),
        )
    assert listener.contacted == []


def test_no_proxy_from_the_environment_is_used(monkeypatch):
    """A proxy would connect to an address nobody checked: the environment's is ignored."""
    with Listener() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
        with pytest.raises(FetchRefusedError):
            fetch.fetch("http://10.1.2.3/x.ttl", max_bytes=10, timeout=2, accept="text/turtle")
    assert proxy.contacted == []


def test_own_shapes_are_off_by_default_and_work_when_allowed(core, client):
    shapes = (
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<https://example.org/S> a sh:NodeShape ; sh:targetNode <https://example.org/t/person> ;\n"
        '  sh:property [ sh:path <https://example.org/missing> ; sh:minCount 1 ; sh:message "needs it"@en ] .\n'
    )
    refused = client.post(
        "/validate",
        data={"text": MINIMAL, "shapes": shapes},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 403
    allowed = create_app(
        Instance(core, Settings(site=ROOT, validate_user_shapes=True))
    ).test_client()
    resp = allowed.post(
        "/validate",
        data={"text": MINIMAL, "shapes": shapes},
        headers={"Accept": "application/json"},
    )
    assert resp.get_json()["conforms"] is False
    assert resp.get_json()["focusNodes"][0]["results"][0]["message"] == "needs it"


def test_html_page_groups_results_and_links_shapes(client):
    resp = client.post(
        "/validate?lang=de",
        data={"text": BROKEN, "format": "text/turtle"},
        headers={"Accept": "text/html"},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="violations">Nicht konform' in html
    assert 'href="http://localhost/shapes#Meeting-nameEn"' in html
    assert "Ein Treffen braucht genau einen englischen Namen" in html
    error = client.post(
        "/validate",
        data={"text": "<a> <b> ", "format": "text/turtle"},
        headers={"Accept": "text/html"},
    )
    assert error.status_code == 400 and 'id="error-message"' in error.get_data(as_text=True)


NEW_MEETING = (TESTS / "data" / "new-meeting.ttl").read_bytes()
BMI = "https://w3id.org/imanoeb/org/bmi"
#: a second German name for a published organisation (the shapes allow one per language)
SECOND_NAME = (
    f'<{BMI}> <http://www.w3.org/2004/02/skos/core#prefLabel> "Zweites Innenministerium"@de .\n'
).encode()


def _json(client, body, media="text/turtle", query=""):
    r = client.post(
        "/validate" + query, data=body, content_type=media, headers={"Accept": "application/json"}
    )
    assert r.status_code == 200, r.text
    return r.get_json()


def test_a_submission_is_validated_together_with_the_published_data(client):
    together = _json(client, NEW_MEETING)
    assert together["conforms"] is True and together["withPublishedData"] is True
    assert together["triples"] == len(Graph().parse(data=NEW_MEETING, format="turtle"))
    alone = _json(client, NEW_MEETING, query="?alone=true")
    assert alone["conforms"] is False and alone["withPublishedData"] is False
    paths = {r["path"] for n in alone["focusNodes"] for r in n["results"]}
    assert "dct:source" in paths  # S7 is not described in the submission alone


def test_a_submission_that_breaks_a_published_resource_is_reported(client):
    together = _json(client, SECOND_NAME, media="application/n-triples")
    assert together["conforms"] is False
    assert [n["focusNode"] for n in together["focusNodes"]] == [BMI]
    messages = {r["message"] for r in together["focusNodes"][0]["results"]}
    assert "An organisation needs a name (skos:prefLabel), at most one per language." in messages
    assert _json(client, SECOND_NAME, media="application/n-triples", query="?alone=true")[
        "conforms"
    ]


def test_the_form_validates_with_the_published_data_unless_alone_is_ticked(client):
    text = NEW_MEETING.decode()
    page = client.post(
        "/validate?lang=en",
        data={"text": text, "format": "text/turtle"},
        headers={"Accept": "text/html"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="conforms"' in html and "Validated together with the published data." in html
    page = client.post(
        "/validate?lang=de",
        data={"text": text, "format": "text/turtle", "alone": "true"},
        headers={"Accept": "text/html"},
    )
    html = page.get_data(as_text=True)
    assert 'id="violations"' in html and "Allein geprüft" in html
    assert 'name="alone" value="true" checked' in html


@pytest.mark.parametrize(
    ("start", "hint"),
    [
        ('"12.03.2026"', 'Write "2026-03-12"^^xsd:date (year-month-day) instead of “12.03.2026”.'),
        ('"03.2026"', 'Write "2026-03"^^xsd:gYearMonth (year-month) instead of “03.2026”.'),
        ('"2026-03-12"', 'Give the datatype: "2026-03-12"^^xsd:date.'),
        (
            '"2026-02-30"^^xsd:date',
            "“2026-02-30” is not a valid xsd:date (form YYYY-MM-DD; does that day exist?).",
        ),
        ('"30.02.2026"', "“30.02.2026” is not a day that exists."),
    ],
)
def test_a_date_in_another_form_gets_one_result_saying_what_to_write(client, start, hint):
    body = NEW_MEETING.replace(b'"2026-03-12"^^xsd:date', start.encode())
    summary = _json(client, body)
    [node] = summary["focusNodes"]
    [result] = node["results"]  # one result, not one per shape that reads the date
    assert result["path"] == "schema:startDate"
    assert result["hint"].startswith(hint)
    html = client.post(
        "/validate?lang=en",
        data={"text": body.decode(), "format": "text/turtle"},
        headers={"Accept": "text/html"},
    ).get_data(as_text=True)
    assert "→ " + hint in unescape(html)


def test_german_hint(client):
    body = NEW_MEETING.replace(b'"2026-03-12"^^xsd:date', b'"12.03.2026"')
    summary = client.post(
        "/validate",
        data=body,
        content_type="text/turtle",
        headers={"Accept": "application/json", "Accept-Language": "de"},
    ).get_json()
    [result] = summary["focusNodes"][0]["results"]
    assert (
        result["hint"]
        == 'Schreiben Sie "2026-03-12"^^xsd:date (Jahr-Monat-Tag) statt „12.03.2026“.'
    )


def test_reports_name_the_line_where_a_resource_is_written(client):
    body = (
        b"@prefix ex: <https://example.org/> .\n"
        b"@prefix imo: <https://w3id.org/imanoeb/ontology#> .\n\n"
        b"ex:first a imo:Meeting .\n\n\n"
        b"<https://example.org/second> a imo:Meeting .\n"
    )
    lines = {n["focusNode"]: n["line"] for n in _json(client, body)["focusNodes"]}
    assert lines == {"https://example.org/first": 4, "https://example.org/second": 7}
    # N-Triples and JSON-LD write IRIs in full
    nt = Graph().parse(data=body, format="turtle").serialize(format="nt", encoding="utf-8")
    found = _json(client, nt, media="application/n-triples")["focusNodes"]
    text_lines = nt.decode().splitlines()
    for node in found:
        assert node["focusNode"] in text_lines[node["line"] - 1]
    page = client.post(
        "/validate?lang=de",
        data={"text": body.decode(), "format": "text/turtle"},
        headers={"Accept": "text/html"},
    ).get_data(as_text=True)
    assert '<span class="line">Zeile 4</span>' in page


def test_a_relative_iri_has_its_line_resolved_against_the_base(client):
    """Relative IRIs are found through the bases declared as they come (``@base`` and ``BASE``,
    one after the other); an object IRI after a predicate ending in "base" is no declaration."""
    body = (
        b"@prefix imo: <https://w3id.org/imanoeb/ontology#> .\n"
        b"@prefix ex: <https://example.org/> .\n"
        b"@base <https://example.org/a/> .\n"
        b"<first> a imo:Meeting ; ex:database <third> .\n"
        b"BASE <https://example.org/b/>\n\n"
        b"<second> a imo:Meeting .\n"
        b"<https://example.org/a/third> a imo:Meeting .\n"
    )
    lines = {n["focusNode"]: n.get("line") for n in _json(client, body)["focusNodes"]}
    assert lines == {
        "https://example.org/a/first": 4,
        "https://example.org/b/second": 7,
        "https://example.org/a/third": 4,  # first written as the object on line 4
    }


def test_the_shapes_page_names_each_rule_for_people(client):
    page = client.get("/shapes?lang=en", headers={"Accept": "text/html"}).get_data(as_text=True)
    row = re.search(r'<tr id="Meeting-startDate">(.*?)</tr>', page, re.S).group(1)
    assert ">Meeting – start</a>" in row
    assert "<td>rule for a statement</td>" in row
    assert "<code>schema:startDate</code> · exactly 1" in row


PATHS = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
ex:inverse-of-sequence sh:path [ sh:inversePath ( skos:broader skos:related ) ] .
ex:inverse-of-alternative sh:path [ sh:inversePath [ sh:alternativePath ( skos:broader skos:related ) ] ] .
ex:sequence-of-alternative sh:path ( [ sh:alternativePath ( skos:broader skos:related ) ] skos:note ) .
ex:zero-or-more sh:path [ sh:zeroOrMorePath skos:broader ] .
ex:zero-or-more-of-inverse sh:path [ sh:zeroOrMorePath [ sh:inversePath skos:broader ] ] .
ex:inverse-of-zero-or-more sh:path [ sh:inversePath [ sh:zeroOrMorePath skos:broader ] ] .
ex:sequence-of-inverse sh:path ( [ sh:inversePath skos:broader ] skos:note ) .
ex:one-or-more-of-sequence sh:path [ sh:oneOrMorePath ( skos:broader skos:note ) ] .
ex:inverse-of-inverse sh:path [ sh:inversePath [ sh:inversePath skos:broader ] ] .
ex:empty sh:path [ ] .
ex:cycle sh:path _:c . _:c sh:inversePath _:c .
ex:looping-list sh:path _:l . _:l rdf:first skos:note ; rdf:rest _:l .
ex:list-of-itself sh:path _:m . _:m rdf:first _:m ; rdf:rest rdf:nil .
"""


@pytest.mark.parametrize(
    ("shape", "text"),
    [
        ("inverse-of-sequence", "^(skos:broader/skos:related)"),
        ("inverse-of-alternative", "^(skos:broader|skos:related)"),
        ("sequence-of-alternative", "(skos:broader|skos:related)/skos:note"),
        ("zero-or-more", "skos:broader*"),
        ("zero-or-more-of-inverse", "(^skos:broader)*"),
        ("inverse-of-zero-or-more", "^skos:broader*"),
        ("sequence-of-inverse", "^skos:broader/skos:note"),
        ("one-or-more-of-sequence", "(skos:broader/skos:note)+"),
        ("inverse-of-inverse", "^(^skos:broader)"),
        ("empty", "[]"),
        ("cycle", "^[]"),
        ("looping-list", "[]"),
        ("list-of-itself", "[]"),
    ],
)
def test_a_path_is_written_as_sparql_reads_it(shape, text):
    """SHACL paths as SPARQL writes them, bracketed where its precedence needs it (``^a/b`` is
    ``(^a)/b``); a node that is no path, or a cycle, is ``[]``, never a blank node's id."""
    graph = Graph().parse(data=PATHS, format="turtle")
    path = graph.value(URIRef("http://example.org/" + shape), SH.path)
    assert path_text(graph, path) == text
