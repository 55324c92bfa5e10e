"""A corpus of hostile inputs, each with its exact status, a message that says what is wrong,
and the data unchanged afterwards. Run against the app over its WSGI interface with writes
switched on (so that the write routes are reached, not refused for lack of a token)."""

from __future__ import annotations

import gzip
import json
import time
from html.parser import HTMLParser

import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.compare import isomorphic

from imagraph.instance import Instance
from imagraph.web import create_app

from .conftest import REMOTE, Listener, open_core, reset_remote

TOKEN = "0123456789abcdef-mallory"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "https://w3id.org/imanoeb/"
GRAPH = BASE + "graph/data/submitted"
DATA = BASE + "graph/data/"
TERM = "<<( <urn:a> <urn:b> <urn:c> )>>"
JSON = {"Accept": "application/json"}
TTL = {"Content-Type": "text/turtle", **JSON}


def deep_json(n: int) -> bytes:
    return b'{"urn:p":' * n + b"1" + b"}" * n


def deep_list(n: int) -> bytes:
    return b'{"@id":"urn:a","urn:p":' + b"[" * n + b"1" + b"]" * n + b"}"


RDFXML_UTF7 = (
    b'<?xml version="1.0" encoding="UTF-7"?>'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns:e="urn:e#"><rdf:Description rdf:about="urn:a"><e:p>&x;</e:p>'
    b"</rdf:Description></rdf:RDF>"
)
BILLION_LAUGHS = (  # ten to the ninth "a"s
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(8))
    + b']><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="urn:e#">'
    b'<rdf:Description rdf:about="urn:a"><e:p>&i;</e:p></rdf:Description></rdf:RDF>'
)
TRIPLE_TERM = b"<urn:a> <urn:p> <<( <urn:s> <urn:p> <urn:o> )>> ."
REIFIED = b"<< <urn:s> <urn:p> <urn:o> >> <urn:p> <urn:o> ."
NESTED_BRACES = "SELECT * WHERE " + "{" * 3000 + "}" * 3000
SCRIPT = "javascript:alert(document.cookie)"
HTML = {"Accept": "text/html"}
LIMIT = "larger than the limit of 10485760 bytes"  # the body limit, named in its 413


def _service_escape(port: int) -> str:
    return (
        'SELECT * WHERE { BIND("\\u0022" AS ?x) '
        f"SERVICE <http://127.0.0.1:{port}/sparql> "
        '{ ?s ?p ?o } } # """ AS ?y) }'
    )


#: (id, method, path, query string, headers, body, status, words the message must contain)
CASES: list[tuple[str, str, str, dict, dict, bytes | str | None, int, str]] = [
    # -- /validate: syntax, depth, encodings, sizes
    ("ttl-syntax", "POST", "/validate", {}, TTL, b"<urn:a> <urn:b> .", 400, "line 1"),
    (
        "ttl-unterminated-string",
        "POST",
        "/validate",
        {},
        TTL,
        b'<urn:a> <urn:b> "x .',
        400,
        "line 1",
    ),
    ("ttl-bad-iri", "POST", "/validate", {}, TTL, b"<a b> <urn:b> <urn:c> .", 400, "line 1"),
    ("ttl-undeclared-prefix", "POST", "/validate", {}, TTL, b"x:a x:b x:c .", 400, "x"),
    ("ttl-not-utf8", "POST", "/validate", {}, TTL, b'<urn:a> <urn:b> "\xff\xfe" .', 400, "UTF-8"),
    ("ttl-triple-term", "POST", "/validate", {}, TTL, TRIPLE_TERM, 400, "triple terms"),
    ("ttl-reifying-triple", "POST", "/validate", {}, TTL, REIFIED, 400, "triple terms"),
    (
        "ttl-deep-blank-nodes",
        "POST",
        "/validate",
        {},
        TTL,
        b"<urn:a> <urn:p> " + b"[ <urn:p> " * 3000 + b"1" + b" ]" * 3000 + b" .",
        200,
        "conforms",
    ),
    (
        "nt-literal-subject",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/n-triples", **JSON},
        b'"x" <urn:b> <urn:c> .',
        400,
        "line 1",
    ),
    (
        "nt-relative-iri",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/n-triples", **JSON},
        b"<a> <urn:b> <urn:c> .",
        400,
        "line 1",
    ),
    (
        "jsonld-deep-objects",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/ld+json", **JSON},
        deep_json(4500),
        400,
        "nested more than",
    ),
    (
        "jsonld-deep-lists",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/ld+json", **JSON},
        deep_list(100_000),
        400,
        "nested more than",
    ),
    (
        "jsonld-not-json",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/ld+json", **JSON},
        b'{"@id": ',
        400,
        "line 1",
    ),
    (
        "jsonld-remote-context",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/ld+json", **JSON},
        b'{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "urn:a", "p": 1}',
        400,
        "context",
    ),
    (
        "rdfxml-utf7",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/rdf+xml", **JSON},
        RDFXML_UTF7,
        400,
        "UTF-8",
    ),
    (
        "rdfxml-xxe",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/rdf+xml", **JSON},
        XXE,
        400,
        "",
    ),
    (
        "rdfxml-billion-laughs",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/rdf+xml", **JSON},
        BILLION_LAUGHS,
        400,
        "amplification",
    ),
    (
        "rdfxml-not-well-formed",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/rdf+xml", **JSON},
        b"<rdf:RDF",
        400,
        "well-formed",
    ),
    (
        "trig-syntax",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/trig", **JSON},
        b"<urn:g> { <urn:a> <urn:b> ",
        400,
        "line 1",
    ),
    (
        "nquads-syntax",
        "POST",
        "/validate",
        {},
        {"Content-Type": "application/n-quads", **JSON},
        b"<urn:a> <urn:b> <urn:c> <urn:g> <urn:x> .",
        400,
        "line 1",
    ),
    (
        "unknown-media-type",
        "POST",
        "/validate",
        {},
        {"Content-Type": "text/x-unknown", **JSON},
        b"x",
        415,
        "supported",
    ),
    ("no-content-type", "POST", "/validate", {}, JSON, b"<urn:a> <urn:b> <urn:c> .", 415, ""),
    ("too-large", "POST", "/validate", {}, TTL, b"#" * (10 * 1024 * 1024 + 1), 413, LIMIT),
    (
        "gzip-bomb",
        "POST",
        "/validate",
        {},
        TTL,
        gzip.compress(b"<urn:a> <urn:b> " + b'"x",' * 3_000_000 + b'"x" .'),
        413,
        "decompressed",
    ),
    (
        "gzip-cut",
        "POST",
        "/validate",
        {},
        TTL,
        gzip.compress(b"<urn:a> <urn:b> <urn:c> .")[:-12],
        400,
        "gzip",
    ),
    ("form-empty", "POST", "/validate", {}, JSON, {"text": "  "}, 400, "nothing to validate"),
    (
        "form-url-file-scheme",
        "POST",
        "/validate",
        {},
        JSON,
        {"url": "file:///etc/passwd"},
        400,
        "http",
    ),
    (
        "form-url-loopback",
        "GET",
        "/validate",
        {"url": "http://127.0.0.1:9/x.ttl"},
        JSON,
        None,
        400,
        "not a public address",
    ),
    (
        "form-url-metadata",
        "GET",
        "/validate",
        {"url": "http://169.254.169.254/latest"},
        JSON,
        None,
        400,
        "not a public address",
    ),
    (
        "form-url-private",
        "GET",
        "/validate",
        {"url": "http://10.0.0.1/x.ttl"},
        JSON,
        None,
        400,
        "not a public address",
    ),
    (
        "form-url-ipv6-loopback",
        "GET",
        "/validate",
        {"url": "http://[::1]:9/x.ttl"},
        JSON,
        None,
        400,
        "not a public address",
    ),
    (
        "form-url-credentials",
        "GET",
        "/validate",
        {"url": "http://u:p@example.org/x.ttl"},
        JSON,
        None,
        400,
        "credentials",
    ),
    (
        "form-url-bad-port",
        "GET",
        "/validate",
        {"url": "http://example.org:99999/x.ttl"},
        JSON,
        None,
        400,
        "port",
    ),
    (
        "user-shapes-off",
        "POST",
        "/validate",
        {},
        JSON,
        {"text": "<urn:a> <urn:b> <urn:c> .", "shapes": "<urn:s> a <urn:t> ."},
        403,
        "own shapes",
    ),
    (
        "validate-not-acceptable",
        "POST",
        "/validate",
        {},
        {"Content-Type": "text/turtle", "Accept": "image/png"},
        b"<urn:a> <urn:b> <urn:c> .",
        406,
        "",
    ),
    # -- page numbers: Unicode digits that Python's isdigit() takes and int() does not
    ("catalog-page-superscript", "GET", "/catalog", {"page": "9\u00b9"}, JSON, None, 400, "page"),
    (
        "query-page-superscript",
        "GET",
        "/sparql",
        {"query": "ASK {}", "page": "\u00b2", "format": "html"},
        JSON,
        None,
        400,
        "page",
    ),
    (
        "search-page-superscript",
        "GET",
        "/search",
        {"q": "a", "page": "\u00b2"},
        {"Accept": "text/html"},
        None,
        400,
        "page",
    ),
    (
        "search-control-characters",
        "GET",
        "/search",
        {"q": "g\U000f3087\x0b"},
        {"Accept": "text/html"},
        None,
        400,
        "control",
    ),
    # -- /sparql
    ("sparql-syntax", "GET", "/sparql", {"query": "SELEC * WHERE {}"}, JSON, None, 400, "syntax"),
    ("sparql-empty", "GET", "/sparql", {"query": "   "}, JSON, None, 400, "empty"),
    (
        "sparql-two-queries",
        "GET",
        "/sparql",
        {"query": ["ASK {}", "ASK {}"]},
        JSON,
        None,
        400,
        "more than one",
    ),
    (
        "sparql-update-param",
        "GET",
        "/sparql",
        {"update": "CLEAR ALL"},
        JSON,
        None,
        400,
        "read-only",
    ),
    (
        "sparql-update-body",
        "POST",
        "/sparql",
        {},
        {"Content-Type": "application/sparql-update", **JSON},
        b"CLEAR ALL",
        400,
        "read-only",
    ),
    (
        "sparql-insert-as-query",
        "GET",
        "/sparql",
        {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"},
        JSON,
        None,
        400,
        "",
    ),
    (
        "sparql-service",
        "GET",
        "/sparql",
        {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }"},
        JSON,
        None,
        403,
        "SERVICE",
    ),
    (
        "sparql-service-variable",
        "GET",
        "/sparql",
        {"query": "SELECT * WHERE { SERVICE ?e { ?s ?p ?o } }"},
        JSON,
        None,
        403,
        "SERVICE",
    ),
    (
        "sparql-service-lowercase",
        "GET",
        "/sparql",
        {"query": "select * where { service <http://127.0.0.1:9/s> { ?s ?p ?o } }"},
        JSON,
        None,
        403,
        "SERVICE",
    ),
    (
        "sparql-service-escaped-keyword",
        "GET",
        "/sparql",
        {"query": "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }"},
        JSON,
        None,
        403,
        "",
    ),
    (
        "sparql-bad-escape",
        "GET",
        "/sparql",
        {"query": 'SELECT * WHERE { ?s ?p "\\uD800" }'},
        JSON,
        None,
        400,
        "",
    ),
    (
        "sparql-default-graph-not-iri",
        "GET",
        "/sparql",
        {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "not an iri"},
        JSON,
        None,
        400,
        "not an absolute IRI",
    ),
    (
        "sparql-named-graph-not-iri",
        "GET",
        "/sparql",
        {"query": "SELECT * WHERE { ?s ?p ?o }", "named-graph-uri": "rel/ative"},
        JSON,
        None,
        400,
        "not an absolute IRI",
    ),
    (
        "sparql-nested-braces",
        "POST",
        "/sparql",
        {},
        {"Content-Type": "application/sparql-query", **JSON},
        NESTED_BRACES,
        400,
        "",
    ),
    (
        "sparql-wrong-body-type",
        "POST",
        "/sparql",
        {},
        {"Content-Type": "text/plain", **JSON},
        b"ASK {}",
        415,
        "unsupported",
    ),
    (
        "sparql-not-utf8",
        "POST",
        "/sparql",
        {},
        {"Content-Type": "application/sparql-query", **JSON},
        b"ASK { \xff }",
        400,
        "UTF-8",
    ),
    (
        "sparql-latin1-charset",
        "POST",
        "/sparql",
        {},
        {"Content-Type": "application/sparql-query; charset=latin-1", **JSON},
        b"ASK {}",
        415,
        "UTF-8",
    ),
    (
        "sparql-body-and-param",
        "POST",
        "/sparql",
        {"query": "ASK {}"},
        {"Content-Type": "application/sparql-query", **JSON},
        b"ASK {}",
        400,
        "not both",
    ),
    (
        "sparql-not-acceptable",
        "GET",
        "/sparql",
        {"query": "ASK {}"},
        {"Accept": "image/png"},
        None,
        406,
        "",
    ),
    ("sparql-long-url", "GET", "/sparql", {"query": "ASK {} #" + "x" * 5000}, JSON, None, 414, ""),
    # -- /update (writes on)
    (
        "update-load",
        "POST",
        "/update",
        {},
        {"Content-Type": "application/sparql-update", **AUTH, **JSON},
        b"LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <" + GRAPH.encode() + b">",
        403,
        "LOAD",
    ),
    (
        "update-load-escaped",
        "POST",
        "/update",
        {},
        {"Content-Type": "application/sparql-update", **AUTH, **JSON},
        b"\\u004cOAD <http://127.0.0.1:9/x.ttl>",
        403,
        "",
    ),
    (
        "update-service",
        "POST",
        "/update",
        {},
        {"Content-Type": "application/sparql-update", **AUTH, **JSON},
        b"INSERT { GRAPH <"
        + GRAPH.encode()
        + b"> { ?s ?p ?o } } WHERE { SERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }",
        403,
        "SERVICE",
    ),
    (
        "update-syntax",
        "POST",
        "/update",
        {},
        {"Content-Type": "application/sparql-update", **AUTH, **JSON},
        b"INSERT DATA { <urn:a> }",
        400,
        "syntax",
    ),
    (
        "update-shapes-graph",
        "POST",
        "/update",
        {},
        {"Content-Type": "application/sparql-update", **AUTH, **JSON},
        f"INSERT DATA {{ GRAPH <{BASE}graph/shapes> {{ <urn:a> <urn:b> <urn:c> }} }}".encode(),
        403,
        "may not be changed",
    ),
    (
        "update-default-graph",
        "POST",
        "/update",
        {},
        {"Content-Type": "application/sparql-update", **AUTH, **JSON},
        b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        403,
        "default graph",
    ),
    (
        "update-no-token",
        "POST",
        "/update",
        {},
        {"Content-Type": "application/sparql-update", **JSON},
        b"CLEAR ALL",
        401,
        "Bearer",
    ),
    (
        "update-wrong-token",
        "POST",
        "/update",
        {},
        {
            "Content-Type": "application/sparql-update",
            "Authorization": "Bearer not-the-right-token-at-all",
            **JSON,
        },
        b"CLEAR ALL",
        403,
        "",
    ),
    # -- /graph-store (writes on)
    (
        "gsp-triple-term",
        "PUT",
        "/graph-store",
        {"graph": GRAPH},
        {**TTL, **AUTH},
        TRIPLE_TERM,
        400,
        "triple terms",
    ),
    (
        "gsp-deep-jsonld",
        "PUT",
        "/graph-store",
        {"graph": GRAPH},
        {"Content-Type": "application/ld+json", **AUTH, **JSON},
        deep_json(4500),
        400,
        "nested more than",
    ),
    (
        "gsp-syntax",
        "PUT",
        "/graph-store",
        {"graph": GRAPH},
        {**TTL, **AUTH},
        b"<urn:a> <urn:b> .",
        400,
        "line 1",
    ),
    (
        "gsp-shapes-graph",
        "PUT",
        "/graph-store",
        {"graph": BASE + "graph/shapes"},
        {**TTL, **AUTH},
        b"<urn:a> <urn:b> <urn:c> .",
        403,
        "",
    ),
    (
        "gsp-graph-not-iri",
        "PUT",
        "/graph-store",
        {"graph": "not an iri"},
        {**TTL, **AUTH},
        b"",
        400,
        "",
    ),
    # data graph names (issue 22.5): RFC 3986 makes the first two the shapes and ontology graphs
    *[
        (
            f"gsp-graph-{case}",
            "PUT",
            "/graph-store",
            {"graph": DATA + name},
            {**TTL, **AUTH},
            b"<urn:a> <urn:b> <urn:c> .",
            400,
            "not a data graph name",
        )
        for case, name in (
            ("dot-segments", "../shapes"),
            ("encoded-dots", "%2e%2e/ontology"),
            ("empty-name", ""),
            ("fragment", "x#frag"),
            ("query", "x?y=1"),
            ("nul", "%00"),
        )
    ],
    (
        "update-graph-dot-segments",
        "POST",
        "/update",
        {},
        {"Content-Type": "application/sparql-update", **AUTH, **JSON},
        f"INSERT DATA {{ GRAPH <{DATA}../shapes> {{ <urn:a> <urn:b> <urn:c> }} }}",
        400,
        "not a data graph name",
    ),
    (
        "update-with-encoded-dots",
        "POST",
        "/update",
        {},
        {"Content-Type": "application/sparql-update", **AUTH, **JSON},
        f"WITH <{DATA}%2e%2e/ontology> INSERT {{ <urn:a> <urn:b> <urn:c> }} WHERE {{}}",
        400,
        "not a data graph name",
    ),
    # RDF 1.2 triple terms (issue 22.6): shown where the format can carry them, else 400/406
    (
        "update-triple-term",
        "POST",
        "/update",
        {},
        {"Content-Type": "application/sparql-update", **AUTH, **JSON},
        f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {TRIPLE_TERM.decode()} }} }}",
        400,
        "triple terms",
    ),
    (
        "sparql-triple-term-page",
        "GET",
        "/sparql",
        {"query": f"SELECT ?t WHERE {{ BIND({TERM} AS ?t) }}"},
        {"Accept": "text/html"},
        None,
        # a remote store answers the query: Virtuoso (SPARQL 1.1) refuses it, 502 with its message
        502 if REMOTE else 200,
        "refused the query"
        if REMOTE
        else "&lt;&lt;( &lt;urn:a&gt; &lt;urn:b&gt; &lt;urn:c&gt; )&gt;&gt;",
    ),
    (
        "sparql-triple-term-jsonld",
        "GET",
        "/sparql",
        {
            "query": f"CONSTRUCT {{ <urn:s> <urn:p> ?t }} WHERE {{ BIND({TERM} AS ?t) }}",
            "format": "jsonld",
        },
        JSON,
        None,
        502 if REMOTE else 406,
        "refused the query" if REMOTE else "JSON-LD cannot carry",
    ),
    # format= as SPARQLWrapper sends it (issue 22.7): the query form decides what makes sense
    (
        "sparql-select-as-rdfxml",
        "GET",
        "/sparql",
        {
            "query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
            "format": ["rdf+xml", "application/rdf+xml"],
        },
        JSON,
        None,
        406,
        "answers with SPARQL results",
    ),
    (
        "sparql-construct-as-rdfxml",
        "GET",
        "/sparql",
        {
            "query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1",
            "format": ["rdf+xml", "application/rdf+xml"],
        },
        {"Accept": "application/rdf+xml"},
        None,
        200,
        "<rdf:RDF",
    ),
    (
        "sparql-construct-as-tsv",
        "GET",
        "/sparql",
        {
            "query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1",
            "format": ["tsv", "text/tab-separated-values"],
        },
        JSON,
        None,
        406,
        "answers with RDF",
    ),
    (
        "sparql-unknown-format",
        "GET",
        "/sparql",
        {"query": "ASK {}", "format": "exe"},
        JSON,
        None,
        406,
        "unknown format",
    ),
    (
        "gsp-empty-organisations",
        "PUT",
        "/graph-store",
        {"graph": BASE + "graph/data/organisations"},
        {**TTL, **AUTH},
        b"",
        422,
        "would not conform",
    ),
    (
        "gsp-delete-organisations",
        "DELETE",
        "/graph-store",
        {"graph": BASE + "graph/data/organisations"},
        {**AUTH, **JSON},
        None,
        422,
        "would not conform",
    ),
    (
        "gsp-too-large",
        "PUT",
        "/graph-store",
        {"graph": GRAPH},
        {**TTL, **AUTH},
        b"#" * (10 * 1024 * 1024 + 1),
        413,
        LIMIT,
    ),
    (
        "update-too-large",
        "POST",
        "/update",
        {},
        {"Content-Type": "application/sparql-update", **AUTH, **JSON},
        b"#" * (10 * 1024 * 1024 + 1),
        413,
        LIMIT,
    ),
    (
        "gsp-no-token",
        "PUT",
        "/graph-store",
        {"graph": GRAPH},
        TTL,
        b"<urn:a> <urn:b> <urn:c> .",
        401,
        "",
    ),
    (
        "gsp-wrong-token",
        "PUT",
        "/graph-store",
        {"graph": GRAPH},
        {**TTL, "Authorization": "Bearer not-the-right-token-at-all"},
        b"<urn:a> <urn:b> <urn:c> .",
        403,
        "may not write",
    ),
    (
        "gsp-basic-auth",
        "PUT",
        "/graph-store",
        {"graph": GRAPH},
        {**TTL, "Authorization": f"Basic {TOKEN}"},
        b"<urn:a> <urn:b> <urn:c> .",
        403,
        "may not write",
    ),
    # -- IRIs that would run as links: shown as text
    (
        "sparql-javascript-iri",
        "GET",
        "/sparql",
        {"query": f'SELECT ?x WHERE {{ BIND(IRI("{SCRIPT}") AS ?x) }}'},
        HTML,
        None,
        200,
        SCRIPT,
    ),
    (
        "validate-javascript-iri",
        "POST",
        "/validate",
        {},
        {"Content-Type": "text/turtle", **HTML},
        f"<{SCRIPT}> a <https://w3id.org/imanoeb/ontology#Meeting> .",
        200,
        SCRIPT,
    ),
    # -- resources and paths
    ("unknown-resource", "GET", "/meeting/does-not-exist", {}, JSON, None, 404, ""),
    ("path-traversal", "GET", "/dumps/..%2f..%2fetc%2fpasswd", {}, JSON, None, 404, ""),
    ("bad-format-param", "GET", "/org/bmi", {"format": "exe"}, JSON, None, 406, ""),
]


@pytest.fixture(scope="module")
def client_and_core():
    core = open_core(write_tokens=f"mallory:{TOKEN}")
    yield create_app(Instance(core)).test_client(), core
    if REMOTE:
        reset_remote(core)


def _snapshot(core) -> tuple[str, int]:
    return core.version, core.store.count()


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 60
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "body", "status", "words"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_hostile_input(client_and_core, method, path, query, headers, body, status, words):
    client, core = client_and_core
    before = _snapshot(core)
    kwargs: dict = {"query_string": query, "headers": headers}
    if isinstance(body, dict):
        kwargs["data"] = body
    elif body is not None:
        kwargs["data"] = body.encode() if isinstance(body, str) else body
    resp = client.open(path, method=method, **kwargs)
    text = resp.get_data(as_text=True)
    assert resp.status_code == status, text[:500]
    assert "Traceback" not in text
    if words:
        assert words.lower() in text.lower(), text[:500]
    assert not _script_links(text)
    if resp.mimetype == "application/problem+json":
        assert json.loads(text)["status"] == status
    assert _snapshot(core) == before  # the data is as it was


@pytest.mark.parametrize(
    ("method", "path", "query", "content_type"),
    [
        ("POST", "/validate", {}, "text/turtle"),
        ("PUT", "/graph-store", {"graph": GRAPH}, "text/turtle"),
        ("POST", "/update", {}, "application/sparql-update"),
    ],
)
def test_a_content_length_past_the_limit_is_413_at_once(
    client_and_core, method, path, query, content_type
):
    """A Content-Length past the body limit is refused before any of the body is read (on a
    live server it was 408 after the 30 s the server waits for a body)."""
    client, core = client_and_core
    before = _snapshot(core)
    started = time.monotonic()
    resp = client.open(
        path, method=method, query_string=query, data=b"#",
        headers={"Content-Type": content_type, **AUTH, **JSON},
        environ_overrides={"CONTENT_LENGTH": str(10 * 1024 * 1024 + 1)},  # one byte of it sent
    )  # fmt: skip
    assert resp.status_code == 413, resp.get_data(as_text=True)
    assert LIMIT in resp.get_json()["detail"]
    assert time.monotonic() - started < 1
    assert _snapshot(core) == before


def _script_links(html: str) -> list[str]:
    """The links, sources and form targets of a page with a scheme other than http(s) and
    mailto (a relative one leads here; entities are decoded; the icon is ``data:,``)."""
    found = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if name not in ("href", "src", "action", "formaction") or not value:
                    continue
                scheme, colon, _ = value.partition(":")
                safe = scheme.strip().lower() in ("http", "https", "mailto")
                if colon and not safe and (tag, value) != ("link", "data:,"):
                    found.append(value)

    Links().feed(html)
    return found


def test_a_javascript_iri_written_through_the_graph_store_is_text_on_every_page(
    client_and_core,
):
    """Written as a subject, a predicate and an object: the resource page, the search and the
    query page show it as text, and link nowhere it could run."""
    client, _ = client_and_core
    graph = BASE + "graph/data/hostile-links"
    thing = BASE + "hostile/thing"
    body = (
        f'<{thing}> <http://www.w3.org/2000/01/rdf-schema#label> "hostile thing" ; '
        f'<http://www.w3.org/2000/01/rdf-schema#seeAlso> <{SCRIPT}> ; <{SCRIPT}> "v" . '
        f'<{SCRIPT}> <http://www.w3.org/2000/01/rdf-schema#label> "hostile script" .'
    )
    put = client.put("/graph-store", query_string={"graph": graph}, data=body, headers=TTL | AUTH)
    assert put.status_code == 201, put.get_data(as_text=True)[:500]
    try:
        for path, query, shown in (
            ("/hostile/thing", {}, SCRIPT),
            ("/search", {"q": "hostile"}, "hostile script"),
            ("/sparql", {"query": f"SELECT * WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"}, SCRIPT),
        ):
            resp = client.get(path, query_string=query, headers=HTML)
            text = resp.get_data(as_text=True)
            assert resp.status_code == 200, (path, text[:500])
            assert shown in text, path
            assert _script_links(text) == [], path
    finally:
        gone = client.delete("/graph-store", query_string={"graph": graph}, headers=AUTH)
        assert gone.status_code == 204


RDF_JSON = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON>"


@pytest.mark.skipif(REMOTE, reason="a remote store's description holds two blank levels")
@pytest.mark.parametrize(
    ("name", "value", "compacted"),
    [
        ("list-10", "( " * 10 + '"a"' + " )" * 10, True),
        ("list-200", "( " * 200 + '"a"' + " )" * 200, True),  # past orjson's 254 levels
        ("list-500", "( " * 500 + '"a"' + " )" * 500, False),  # past pyld's recursion
        ("json-past-64-bits", f'"123456789012345678901234567890"^^{RDF_JSON}', True),
        ("json-nested", f'"{"[" * 300}1{"]" * 300}"^^{RDF_JSON}', True),
        ("json-nan", f'"NaN"^^{RDF_JSON}', False),  # no JSON: orjson wrote null
    ],
)
def test_what_compaction_or_encoding_cannot_take_is_json_ld_all_the_same(
    client_and_core, name, value, compacted
):
    """A value of lists in lists, or an ``rdf:JSON`` literal that only the standard library's
    encoder writes, or none does, written through the graph store: its resource's JSON-LD holds
    the same triples as its Turtle, compacted with the context where it can be, else written
    flat, expanded (a 500 before)."""
    client, _ = client_and_core
    graph = BASE + f"graph/data/hostile-{name}"
    thing = f"{BASE}hostile/{name}"
    put = client.put(
        "/graph-store", query_string={"graph": graph}, data=f"<{thing}> <urn:x:p> {value} .",
        headers=TTL | AUTH,
    )  # fmt: skip
    assert put.status_code == 201, put.get_data(as_text=True)[:500]
    try:
        path = "/" + thing.removeprefix(BASE)
        got = client.get(path, headers={"Accept": "application/ld+json"})
        assert got.status_code == 200, got.get_data(as_text=True)[:500]
        doc = json.loads(got.data)  # (strict: no NaN)
        assert ("@context" in doc) is compacted
        if compacted:  # the context given inline (a reader would fetch it)
            doc["@context"] = client.get("/context/v1.jsonld").get_json()["@context"]
        turtle = client.get(path, headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200
        ttl = Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
        if compacted and name.startswith("json-"):  # (rdflib's reader rewrites such numbers)
            written = json.loads(str(ttl.value(URIRef(thing), URIRef("urn:x:p"))))
            value = doc["urn:x:p"]
            assert value["@value"] == written and "@json" in value.values(), str(value)[:300]
            return
        ld = Graph().parse(data=json.dumps(doc), format="json-ld")
        assert len(ld) == len(ttl) and isomorphic(ld, ttl)
        if name.startswith("list-"):
            assert len(list(ld.objects(None, RDF.first))) == int(name.removeprefix("list-"))
    finally:
        gone = client.delete("/graph-store", query_string={"graph": graph}, headers=AUTH)
        assert gone.status_code == 204


def test_guessing_tokens_is_refused_after_a_few_tries(client_and_core):
    """A burst of wrong tokens from one client: 403 for the first ten, then 429 with
    Retry-After, the right token included; another client's token still counts."""
    client, _ = client_and_core
    guesser = {"REMOTE_ADDR": "203.0.113.66"}
    statuses = []
    for i in range(30):
        resp = client.put(
            "/graph-store",
            query_string={"graph": GRAPH},
            data=b"",
            headers={**TTL, "Authorization": f"Bearer guess-{i:04d}-0123456789"},
            environ_base=guesser,
        )
        statuses.append(resp.status_code)
    assert statuses == [403] * 10 + [429] * 20
    assert 0 < int(resp.headers["Retry-After"]) <= 60
    assert "too many wrong tokens" in resp.get_data(as_text=True)
    right = client.delete(
        "/graph-store", query_string={"graph": GRAPH}, headers=AUTH, environ_base=guesser
    )
    assert right.status_code == 429
    other = client.delete("/graph-store", query_string={"graph": GRAPH}, headers={**AUTH, **JSON})
    assert other.status_code == 404  # past the token: there is no such graph


def test_the_service_escape_contacts_nothing(client_and_core):
    """The escape that hid SERVICE from rdflib's reading: refused, and nothing contacted."""
    client, _ = client_and_core
    with Listener() as listener:
        resp = client.get(
            "/sparql", query_string={"query": _service_escape(listener.port)}, headers=JSON
        )
    assert resp.status_code == 403, resp.get_data(as_text=True)
    assert listener.contacted == []


@pytest.mark.skipif(REMOTE, reason="the remote store's query runner needs the network")
def test_the_query_runner_cannot_open_a_connection_even_unchecked(core):
    """Defence in depth: with the SERVICE check out of the way, the embedded store's runner
    still cannot connect anywhere; the engine's attempt is a 403."""
    from imagraph import sparql
    from imagraph.errors import QueryRefusedError

    with Listener() as listener:
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/s> {{ ?s ?p ?o }} }}"
        runner = sparql.RunnerPool.for_store(core.store, sparql.Limits()).take()
        request = {
            "query": query, "results_format": "json", "graph_format": "turtle",
            "default_graphs": None, "named_graphs": None, "base_iri": None, "max_rows": 10,
        }  # fmt: skip
        with pytest.raises(QueryRefusedError, match="SERVICE"):
            runner.run(request, 5)
    assert listener.contacted == []


def test_health_and_readiness(client_and_core):
    client, core = client_and_core
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    doc = ready.get_json()
    assert doc["status"] == "ready" and doc["store"] == "ok"
    assert doc["data_version"] == core.version
    assert doc["children_without_network"] is True
    assert "no-store" in ready.headers["Cache-Control"]
