"""The linked-data server over HTTP (Flask's test client runs the whole WSGI app)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest
from pyld import jsonld
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from imagraph import loading
from imagraph.core import Core
from imagraph.instance import Instance
from imagraph.namespaces import PREFIXES
from imagraph.settings import Settings
from imagraph.web import create_app
from imagraph.web.urls import Urls

from .conftest import ROOT, fetch

BASE = "https://w3id.org/imanoeb/"
MEETINGS = [
    "meeting/2022-08-constituent-session",
    "meeting/2024-06-annual-session",
    "meeting/2024-09-19-network",
    "meeting/2025-03-11-stakeholder",
    "meeting/2025-10-14-network",
]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.fixture(scope="module")
def app(core):
    return create_app(Instance(core))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("text/html", "text/html"),
        ("*/*", "text/html"),
        (None, "text/html"),
        (BROWSER, "text/html"),
        ("application/ld+json;q=0.9, text/turtle;q=0.5", "application/ld+json"),
        ("text/turtle;q=0.5, application/rdf+xml", "application/rdf+xml"),
        ("text/html;q=0.1, application/n-triples;q=0.2", "application/n-triples"),
        ("application/json", "application/ld+json"),
        ("text/*;q=0.5, text/turtle", "text/turtle"),
    ],
)
def test_negotiates(client, accept, expected):
    headers = {"Accept": accept} if accept else {}
    resp = client.get("/meeting/2025-03-11-stakeholder", headers=headers)
    assert resp.status_code == 200
    assert resp.mimetype == expected
    assert resp.headers["Content-Location"].endswith(
        "/meeting/2025-03-11-stakeholder."
        + {
            "text/turtle": "ttl",
            "application/ld+json": "jsonld",
            "application/n-triples": "nt",
            "application/rdf+xml": "rdf",
            "text/html": "html",
        }[expected]
    )
    assert {"Accept", "Accept-Language"} <= set(resp.vary)


@pytest.mark.parametrize("accept", ["image/png", "application/pdf, image/*", "text/csv"])
def test_nothing_acceptable_is_406_listing_the_offer(client, accept):
    resp = client.get("/org/bmi", headers={"Accept": accept})
    assert resp.status_code == 406
    assert "text/turtle" in resp.get_data(as_text=True)
    assert "application/ld+json" in resp.get_data(as_text=True)


def test_406_as_problem_json_lists_offered_types(client):
    resp = client.get("/org/bmi?format=pdf", headers={"Accept": "application/json"})
    assert resp.status_code == 406
    assert resp.mimetype == "application/problem+json"
    assert "text/turtle" in resp.get_json()["offered"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/org/bmi.ttl", "text/turtle"),
        ("/org/bmi.jsonld", "application/ld+json"),
        ("/org/bmi.nt", "application/n-triples"),
        ("/org/bmi.rdf", "application/rdf+xml"),
        ("/org/bmi.html", "text/html"),
        ("/org/bmi?format=ttl", "text/turtle"),
        ("/org/bmi?format=json-ld", "application/ld+json"),
    ],
)
def test_explicit_format_wins_over_accept(client, url, expected):
    resp = client.get(url, headers={"Accept": "application/rdf+xml;q=1, text/html;q=0.9"})
    assert resp.status_code == 200
    assert resp.mimetype == expected
    assert "Content-Location" not in resp.headers


def _jsonld_to_graph(body: bytes, client) -> tuple[Graph, list[str]]:
    fetched: list[str] = []
    context = client.get("/context/v1.jsonld").get_json()

    def loader(url, options=None):
        fetched.append(url)
        if url.endswith("/context/v1.jsonld"):
            return {
                "contentType": "application/ld+json",
                "contextUrl": None,
                "documentUrl": url,
                "document": context,
            }
        raise RuntimeError(f"unexpected fetch of {url}")

    nquads = jsonld.to_rdf(
        json.loads(body), {"format": "application/n-quads", "documentLoader": loader}
    )
    return Graph().parse(data=nquads, format="nt"), fetched


@pytest.mark.parametrize("path", MEETINGS)
def test_every_format_carries_the_same_triples(client, path):
    bodies = {ext: client.get(f"/{path}.{ext}").data for ext in ("ttl", "nt", "rdf", "jsonld")}
    by_rdflib = {
        "ttl": Graph().parse(data=bodies["ttl"], format="turtle"),
        "nt": Graph().parse(data=bodies["nt"], format="nt"),
        "rdf": Graph().parse(data=bodies["rdf"], format="xml"),
    }
    by_rdflib["jsonld"], fetched = _jsonld_to_graph(bodies["jsonld"], client)
    assert all(f.endswith("/context/v1.jsonld") for f in fetched) and fetched
    reference = by_rdflib["nt"]
    assert (URIRef(BASE + path), None, None) in reference
    for ext, g in by_rdflib.items():
        assert isomorphic(g, reference), ext
    # an independent parser (pyoxigraph) reads the same graphs
    for ext, fmt in (
        ("ttl", ox.RdfFormat.TURTLE),
        ("nt", ox.RdfFormat.N_TRIPLES),
        ("rdf", ox.RdfFormat.RDF_XML),
    ):
        assert isomorphic(loading.to_rdflib(ox.parse(bodies[ext], format=fmt)), reference), ext


def test_jsonld_is_compacted_with_short_keys_and_language_maps(client):
    resp = client.get("/meeting/2025-03-11-stakeholder", headers={"Accept": "application/ld+json"})
    doc = resp.get_json()
    assert doc["@context"] == "http://localhost/context/v1.jsonld"
    meeting = next(n for n in doc["@graph"] if n["id"] == BASE + "meeting/2025-03-11-stakeholder")
    assert meeting["name"]["de"].startswith("Auftakt mit Zivilgesellschaft")
    assert meeting["name"]["en"].startswith("Kick-off with civil society")
    assert meeting["startDate"] == {"type": "xsd:date", "@value": "2025-03-11"}
    assert "imo:StakeholderMeeting" in meeting["type"]
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in resp.headers["Link"]


def test_context_is_served_with_cors(client):
    resp = client.get("/context/v1.jsonld")
    assert resp.mimetype == "application/ld+json"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.get_json()["@context"]["name"]["@container"] == "@language"


def test_etag_and_last_modified_give_304(client):
    first = client.get("/org/bmi", headers={"Accept": "text/turtle"})
    etag = first.headers["ETag"]
    again = client.get("/org/bmi", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert "Accept" in again.vary
    since = client.get(
        "/org/bmi",
        headers={"Accept": "text/turtle", "If-Modified-Since": first.headers["Last-Modified"]},
    )
    assert since.status_code == 304
    other = client.get(
        "/org/bmi", headers={"Accept": "application/n-triples", "If-None-Match": etag}
    )
    assert other.status_code == 200 and other.headers["ETag"] != etag
    assert first.headers["Cache-Control"] == "public, max-age=300"


def test_etag_depends_on_language_for_html(client):
    de = client.get("/org/bmi", headers={"Accept-Language": "de"})
    en = client.get("/org/bmi", headers={"Accept-Language": "en"})
    assert de.headers["ETag"] != en.headers["ETag"]
    # the language may come from a cookie, which browsers do not key their caches on: a page is
    # revalidated every time, and a revalidation with the other language's ETag gets the page
    assert de.headers["Cache-Control"] == "no-cache"
    client.set_cookie("lang", "de")
    again = client.get("/org/bmi", headers={"If-None-Match": en.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] == de.headers["ETag"]


def test_head_has_the_headers_and_no_body(client):
    get = client.get("/org/bmi", headers={"Accept": "text/turtle"})
    head = client.head("/org/bmi", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.data == b""
    for h in ("Content-Type", "ETag", "Vary", "Link", "Content-Location"):
        assert head.headers[h] == get.headers[h]


def test_cors_and_preflight(client):
    assert client.get("/org/bmi").headers["Access-Control-Allow-Origin"] == "*"
    pre = client.options(
        "/org/bmi",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in pre.headers["Access-Control-Allow-Methods"]
    assert "Accept" in pre.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/", "text/html"),
        ("/org/bmi", "text/html"),
        ("/sparql?query=ASK%7B%7D", "text/html"),
        ("/validate", "text/html"),
        ("/no-such-page", "text/html"),
        ("/org/bmi", "text/turtle"),
        ("/sparql?query=ASK%7B%7D", "application/sparql-results+json"),
        ("/no-such-page", "application/json"),
        ("/static/style.css", "text/css"),
        ("/static/query.js", "*/*"),
    ],
)
def test_every_answer_carries_the_security_headers(client, path, accept):
    """A strict Content-Security-Policy (scripts and styles from this server, none inline),
    nosniff and a Referrer-Policy, on pages, data, errors and static files, cached or not."""
    for _ in range(2):  # the second answer may come from the response cache
        resp = fetch(client, path, headers={"Accept": accept})
        policy = dict(
            d.strip().split(" ", 1) for d in resp.headers["Content-Security-Policy"].split(";")
        )
        assert policy == {
            "default-src": "'none'",
            "script-src": "'self'",
            "style-src": "'self'",
            "img-src": "'self' data:",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
            "base-uri": "'none'",
        }
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize(
    "path",
    ["/", "/org/bmi", "/meeting/2025-10-14-network", "/ontology", "/shapes", "/sparql",
     "/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%205", "/validate",
     "/catalog", "/dumps", "/search?q=bund", "/no-such-page"],
)  # fmt: skip
def test_pages_hold_no_inline_script_or_style(client, path):
    """What the policy would block: a script without src (data blocks aside), a style element
    or attribute, an event handler attribute."""
    found = []

    class Inline(HTMLParser):
        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            data = a.get("type") in ("application/json", "application/ld+json")
            if (tag == "script" and not a.get("src") and not data) or tag == "style":
                found.append(tag)
            found.extend(f"{tag} {n}" for n in a if n == "style" or n.startswith("on"))

    Inline().feed(fetch(client, path, headers={"Accept": "text/html"}).get_data(as_text=True))
    assert found == []


@pytest.mark.parametrize(
    ("iri", "href"),
    [
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("urn:isbn:0451450523", None),
        ("http://example.org/x", "http://example.org/x"),
        ("HTTPS://example.org/x", "HTTPS://example.org/x"),
        ("mailto:team@example.org", "mailto:team@example.org"),
        (BASE + "org/bmi", "http://localhost/org/bmi"),
    ],
)
def test_only_http_https_and_mailto_iris_become_links(iri, href):
    assert Urls(BASE, "http://localhost/").href(iri) == href


def test_link_alternates_in_header_and_html_head(client):
    resp = client.get("/org/bmi", headers={"Accept": "text/html"})
    link = resp.headers["Link"]
    html = resp.get_data(as_text=True)
    for ext, media in (
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("nt", "application/n-triples"),
        ("rdf", "application/rdf+xml"),
    ):
        assert f'<http://localhost/org/bmi.{ext}>; rel="alternate"; type="{media}"' in link
        assert (
            f'<link rel="alternate" type="{media}" href="http://localhost/org/bmi.{ext}">' in html
        )


def test_links_follow_the_host_the_server_runs_on(client):
    resp = client.get("/org/bmi", headers={"Accept": "text/html", "Host": "data.example.net:8443"})
    html = resp.get_data(as_text=True)
    assert 'href="http://data.example.net:8443/org/ima-noeb"' in html
    assert resp.headers["Content-Location"] == "http://data.example.net:8443/org/bmi.html"
    # untrusted forwarding headers are ignored
    spoofed = client.get(
        "/org/bmi", headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    )
    assert "evil.example" not in spoofed.get_data(as_text=True)


def test_public_url_setting(core):
    settings = Settings(site=ROOT, public_url="https://data.example.org/imanoeb/")
    client = create_app(Instance(core, settings)).test_client()
    resp = client.get("/org/bmi", headers={"Accept": "text/turtle"})
    assert resp.headers["Content-Location"] == "https://data.example.org/imanoeb/org/bmi.ttl"
    assert "<https://data.example.org/imanoeb/org/bmi.nt>" in resp.headers["Link"]


def test_trusted_proxy_headers(core):
    settings = Settings(site=ROOT, trusted_proxies=1)
    client = create_app(Instance(core, settings)).test_client()
    resp = client.get(
        "/org/bmi",
        headers={
            "Accept": "text/turtle",
            "X-Forwarded-Host": "proxy.example",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Prefix": "/kg",
        },
    )
    assert resp.headers["Content-Location"] == "https://proxy.example/kg/org/bmi.ttl"


def test_a_proxys_prefix_is_made_a_url_path_in_every_link(core):
    """A prefix with what a URL may not hold as it is (a space, an umlaut) is
    percent-encoded in ``Content-Location`` and in each ``Link`` (the server sends both as it
    makes them)."""
    settings = Settings(site=ROOT, trusted_proxies=1)
    client = create_app(Instance(core, settings)).test_client()
    resp = client.get(
        "/org/bmi",
        headers={"Accept": "text/turtle", "X-Forwarded-Prefix": "/Wissens graph ä"},
    )
    assert resp.status_code == 200
    root = "http://localhost/Wissens%20graph%20%C3%A4/"
    assert resp.headers["Content-Location"] == root + "org/bmi.ttl"
    assert f'<{root}org/bmi.nt>; rel="alternate"' in resp.headers["Link"]


def test_another_base_iri_is_served_under_its_own_paths():
    settings = Settings(site=ROOT, base_iri="http://localhost/")
    client = create_app(Instance.open(settings)).test_client()
    resp = client.get("/meeting/2025-10-14-network.nt")
    g = Graph().parse(data=resp.data, format="nt")
    assert (URIRef("http://localhost/meeting/2025-10-14-network"), None, None) in g
    assert (URIRef(BASE + "meeting/2025-10-14-network"), None, None) not in g


@pytest.mark.parametrize(
    ("lang_header", "query", "expected", "absent"),
    [
        ("de", "", "Veranstalter", "organiser"),
        ("en", "", "organiser", "Veranstalter"),
        ("de", "?lang=en", "organiser", "Veranstalter"),
        ("fr", "", "organiser", "Veranstalter"),  # fallback
    ],
)
def test_html_in_the_readers_language(client, lang_header, query, expected, absent):
    html = client.get(
        "/meeting/2025-10-14-network" + query,
        headers={"Accept": "text/html", "Accept-Language": lang_header},
    ).get_data(as_text=True)
    assert f">{expected}</a>" in html
    assert f">{absent}</a>" not in html


def test_html_resource_page_content(client):
    html = client.get("/meeting/2024-09-19-network?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert (
        "<h1>Kick-off of the federal, state and municipal network, 19 September 2024</h1>" in html
    )
    # statement-level confidence next to the reported start, with its note
    assert "reported" in html and "Day and planned start from the invitation" in html
    # sources, incoming links, the language switch
    assert 'href="http://localhost/source/s6"' in html
    assert 'href="http://localhost/agenda-item/2024-09-19-1"' in html
    assert 'id="lang-de"' in html and "?lang=de" in html
    # embedded schema.org for search engines
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    doc = json.loads(html[start : html.index("</script>", start)])
    assert doc["@type"] == "Event" and doc["startDate"] == "2024-09-19T09:30:00+02:00"
    assert {
        "@id": BASE + "place/bmi-berlin",
        "name": "Federal Ministry of the Interior, Berlin",
        "@type": "Place",
    } in doc["location"]


def test_landing_page(client):
    html = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    order = [html.index(f'href="http://localhost/{m}"') for m in MEETINGS]
    assert order == sorted(order)
    assert "Bundesministerium" in html and "Landkreis" in html
    assert 'href="http://localhost/topic/ilo-standards"' in html
    assert 'href="http://localhost/dumps/imanoeb.trig"' in html


def test_ontology_and_shapes_documents(client):
    html = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'id="Meeting"' in html and 'id="confidence"' in html
    g = Graph().parse(data=client.get("/ontology.ttl").data, format="turtle")
    assert (URIRef(BASE + "ontology"), None, None) in g
    shapes = Graph().parse(
        data=client.get("/shapes", headers={"Accept": "text/turtle"}).data, format="turtle"
    )
    assert (URIRef(BASE + "shapes#Meeting-startDate"), None, None) in shapes


def test_the_shapes_page_names_an_inverse_path_as_a_reader_would(client, fresh):
    """A property shape whose path is a link read backwards (``[ sh:inversePath p ]``) is
    named as a resource's page names such a link, with the path as SPARQL writes it: never by
    its blank node's id, which changed from load to load and put the rows in a random order."""
    html = client.get("/shapes", headers={"Accept-Language": "en"}).get_data(as_text=True)
    row = re.search(r'<tr id="FormerName-owner">(.*?)</tr>', html, re.S)
    assert row, "the shapes page has no row for imsh:FormerName-owner"
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", row.group(1))).split())
    assert "Former name – former name of" in text
    assert "^imo:formerName · exactly 1" in text
    assert not re.search(r"\b[0-9a-f]{16,}\b|nodeID://", html)  # no blank node's id anywhere
    # the same page from the same data loaded again (other blank node ids)
    again = create_app(Instance(fresh())).test_client()
    assert again.get("/shapes", headers={"Accept-Language": "en"}).get_data(as_text=True) == html


def test_a_property_shape_of_several_paths_shows_them_all(fresh):
    """SHACL gives a property shape one ``sh:path``; a shapes graph that gives one two has each
    shown on the page, in the order of their text (not whichever the store listed last)."""
    core = fresh()
    shape = ox.NamedNode(BASE + "shapes#FormerName-owner")
    extra = ox.NamedNode(PREFIXES["schema"] + "alternateName")
    core.store.load(
        [
            ox.Quad(
                shape,
                ox.NamedNode(PREFIXES["sh"] + "path"),
                extra,
                ox.NamedNode(core.settings.graph_iri("shapes")),
            )
        ]
    )
    html = (
        create_app(Instance(core))
        .test_client()
        .get("/shapes", headers={"Accept-Language": "en"})
        .get_data(as_text=True)
    )
    row = re.search(r'<tr id="FormerName-owner">(.*?)</tr>', html, re.S)
    assert row, "the shapes page has no row for imsh:FormerName-owner"
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", row.group(1))).split())
    assert "^imo:formerName, schema:alternateName · exactly 1" in text


def test_dumps_list_and_files(client):
    listing = client.get("/dumps", headers={"Accept": "application/json"}).get_json()["dumps"]
    names = {d["name"] for d in listing}
    assert {"imanoeb.trig", "imanoeb.nq.gz", "imanoeb.ttl", "imanoeb.nt", "imanoeb.jsonld"} <= names
    for d in listing:
        path = d["url"].removeprefix("http://localhost")
        resp = fetch(client, path)
        assert resp.status_code == 200
        assert resp.mimetype == d["mediaType"]
        assert len(resp.data) == d["byteSize"] == int(resp.headers["Content-Length"])
        assert hashlib.sha256(resp.data).hexdigest() == d["sha256"]
        assert (
            resp.headers["Digest"]
            == "sha-256=" + base64.b64encode(hashlib.sha256(resp.data).digest()).decode()
        )
        assert (
            fetch(client, path, headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304
        )
        # a broken download resumes where it stopped
        part = fetch(client, path, headers={"Range": "bytes=10-19"})
        assert part.status_code == 206 and part.data == resp.data[10:20]
    nt = fetch(client, "/dumps/imanoeb.nt.gz").data
    assert len(Graph().parse(data=gzip.decompress(nt), format="nt")) > 4000


def test_void(client):
    g = Graph().parse(
        data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data,
        format="turtle",
    )
    void = "http://rdfs.org/ns/void#"
    dumps = set(g.objects(None, URIRef(void + "dataDump")))
    assert URIRef("http://localhost/dumps/imanoeb.trig") in dumps
    assert str(next(g.objects(None, URIRef(void + "uriSpace")))) == BASE
    assert int(next(g.objects(None, URIRef(void + "triples")))) > 4000


def test_robots_and_sitemap(client):
    assert "Sitemap: http://localhost/sitemap.xml" in client.get("/robots.txt").get_data(
        as_text=True
    )
    root = ET.fromstring(client.get("/sitemap.xml").data)
    locs = {e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert "http://localhost/meeting/2025-10-14-network" in locs
    assert len(locs) > 200


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("text/html", "text/html"),
        ("application/json", "application/problem+json"),
        ("application/ld+json", "application/problem+json"),
        ("text/turtle", "text/plain"),
    ],
)
def test_unknown_iri_is_404_in_the_clients_form(client, accept, mimetype):
    resp = client.get("/meeting/1999-01-01-nothing", headers={"Accept": accept})
    assert resp.status_code == 404
    assert resp.mimetype == mimetype
    assert "meeting/1999-01-01-nothing" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/../../etc/passwd", 404),
        ("/org/%2e%2e/%2e%2e/etc/passwd", 404),
        ("/a%20b%3Cc%3E", 404),
        ("/%ff%fe", 404),
        ("/" + "x" * 5000, 414),
        ("/org/bmi?format=" + "y" * 100, 406),
        ("/dumps/../../secret", 404),
        ("/dumps/nothing.trig", 404),
    ],
)
def test_odd_requests_get_a_4xx_not_a_500(client, url, status):
    resp = client.get(url)
    assert resp.status_code == status
    assert "Traceback" not in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "accept", ["text/turtle;q=abc", ";;;,,,", "x" * 3000, "text/turtle; q=0.5; q=0.6"]
)
def test_malformed_accept_headers_do_not_break(client, accept):
    assert client.get("/org/bmi", headers={"Accept": accept}).status_code in (200, 406)


def test_repeated_requests_get_the_same_answer_from_the_response_cache(core):
    """The second request of each kind is answered by the fast path (before Flask): it must be
    the same answer, and differ wherever the request differs."""
    client = create_app(Instance(core)).test_client()
    path = "/meeting/2025-10-14-network"
    for headers in (
        {"Accept": "text/turtle"},
        {"Accept": "application/ld+json"},
        {"Accept": "text/html", "Accept-Language": "de"},
        {"Accept": "text/html", "Accept-Language": "en"},
        {"Accept": "text/turtle", "Host": "other.example"},
    ):
        first, second = (client.get(path, headers=headers) for _ in range(2))
        assert second.status_code == first.status_code == 200
        assert second.data == first.data
        assert dict(second.headers) == dict(first.headers)
        assert second.headers["Access-Control-Allow-Origin"] == "*"
    de = client.get(path, headers={"Accept": "text/html", "Accept-Language": "de"}).data
    en = client.get(path, headers={"Accept": "text/html", "Accept-Language": "en"}).data
    assert de != en and b'lang="de"' in de and b'lang="en"' in en
    other = client.get(path, headers={"Accept": "text/turtle", "Host": "other.example"})
    here = client.get(path, headers={"Accept": "text/turtle"})
    assert other.headers["Content-Location"].startswith("http://other.example/")
    assert here.headers["Content-Location"].startswith("http://localhost/")
    # conditional requests are still answered 304, a HEAD has the headers and no body
    etag = here.headers["ETag"]
    assert (
        client.get(path, headers={"Accept": "text/turtle", "If-None-Match": etag}).status_code
        == 304
    )
    head = client.head(path, headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == etag


def test_a_page_with_more_links_than_it_shows_links_to_all_of_them(tmp_path):
    """A resource cited more often than a description holds: the page says so and links to the
    query that lists every link (here: 250 fictional citing resources, test data only)."""
    from urllib.parse import parse_qs, urlsplit

    from imagraph.store import MAX_INCOMING

    data = tmp_path / "data"
    data.mkdir()
    target = BASE + "org/bmi"
    g = Graph()
    g.add((URIRef(target), URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"), Literal("X")))
    for i in range(250):
        g.add((URIRef(f"{BASE}test/citing-{i}"), URIRef("http://purl.org/dc/terms/references"),
               URIRef(target)))  # fmt: skip
    g.serialize(data / "citing.ttl", format="turtle")
    core = Core.open(Settings(site=ROOT, data_dir=data))
    client = create_app(Instance(core)).test_client()
    html = client.get("/org/bmi", headers={"Accept": "text/html"}).text
    assert f"The first {MAX_INCOMING} links are shown here; there are more." in html
    href = re.search(r'<a href="([^"]+)">All links \(SPARQL\)</a>', html)
    assert href is not None
    url = urlsplit(unescape(href[1]))
    assert url.path == "/sparql"
    query = parse_qs(url.query)["query"][0]
    resp = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "application/json"}
    )
    rows = resp.get_json()["results"]["bindings"]
    assert len(rows) == 250
    # a resource with few links has no such note
    assert (
        "there are more" not in client.get("/test/citing-1", headers={"Accept": "text/html"}).text
    )


def _html_lang(resp) -> str:
    match = re.search(r'<html lang="(\w+)"', resp.get_data(as_text=True))
    assert match, resp.get_data(as_text=True)[:200]
    return match.group(1)


def test_the_chosen_language_is_kept_from_page_to_page(client):
    first = client.get("/?lang=de", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert first.status_code == 200 and _html_lang(first) == "de"
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("lang=de;") and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Cookie" in first.headers["Vary"]
    # the next click carries no ?lang= and an English browser: the page stays German
    for path in ("/", "/meeting/2025-10-14-network", "/sparql", "/validate", "/nothing-here"):
        resp = client.get(path, headers={"Accept": "text/html", "Accept-Language": "en"})
        assert _html_lang(resp) == "de", path
        assert "Cookie" in resp.headers["Vary"], path
    # switching back
    assert _html_lang(client.get("/?lang=en", headers={"Accept": "text/html"})) == "en"
    assert _html_lang(client.get("/", headers={"Accept": "text/html"})) == "en"


def test_the_response_cache_keeps_languages_apart(app):
    german, english = app.test_client(), app.test_client()
    german.set_cookie("lang", "de")
    for _ in range(2):  # the second round is answered from the cache
        assert _html_lang(german.get("/org/bmi", headers={"Accept": "text/html"})) == "de"
        assert _html_lang(english.get("/org/bmi", headers={"Accept": "text/html"})) == "en"


def test_the_404_page_has_the_menu_and_speaks_one_language(client):
    resp = client.get("/org/nobody", headers={"Accept": "text/html", "Accept-Language": "de"})
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert _html_lang(resp) == "de"
    assert 'aria-label="Hauptnavigation"' in html and 'id="lang-en"' in html
    assert '<h1 id="error-heading">Nicht gefunden <small>(404)</small></h1>' in html
    assert "Unter dieser Adresse gibt es nichts." in html
    # the specific message is English and marked so; nothing else on the page is
    assert re.search(r'<p id="error-detail" lang="en"><code>No resource [^<]+</code></p>', html)
    outside = re.sub(r'<p id="error-detail".*?</p>', "", html, flags=re.S)
    for english in ("Not Found", "Home</a>", "Skip to content", ">Main<"):
        assert english not in outside
    english_page = client.get("/org/nobody?lang=en", headers={"Accept": "text/html"})
    assert '<h1 id="error-heading">Not found <small>(404)</small></h1>' in english_page.text
    assert 'lang="en"><code>' not in english_page.text


def test_stored_queries_pick_labels_in_the_readers_language(app):
    reader = app.test_client()
    reader.set_cookie("lang", "de")
    for client, lang in ((reader, "de"), (app.test_client(), "en")):
        resp = client.get(
            "/queries/topics-per-meeting",
            headers={"Accept": "application/sparql-results+json"},
        )
        rows = resp.get_json()["results"]["bindings"]
        assert rows and {r["topicLabel"]["xml:lang"] for r in rows} == {lang}
        text = client.get("/queries/topics-per-meeting.rq").get_data(as_text=True)
        assert f'(LANG(?topicLabel) = "{lang}")' in text


DATA_PREDICATES = """
SELECT DISTINCT ?p WHERE {
  GRAPH ?g { ?s ?p ?o FILTER(isIRI(?o) || !$links) }
  FILTER(STRSTARTS(STR(?g), "https://w3id.org/imanoeb/graph/data/"))
}"""


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_predicate_has_a_label_and_every_link_one_read_backwards(app, lang):
    site = app.extensions["imagraph"]
    for links, inverse in ((False, False), (True, True)):
        rows = site.core.store.query(
            DATA_PREDICATES.replace("$links", "true" if links else "false")
        ).rows()
        missing = [
            r["p"].value
            for r in rows
            if not (site.inverse_labels if inverse else site.labels).exactly(r["p"].value, lang)
        ]
        assert missing == [], (inverse, lang)


def _rows(html: str) -> dict[str, list[str]]:
    """The property table of a resource page: each row's heading and its values' texts."""
    table = {}
    for head, cell in re.findall(
        r'<th scope="row"><a [^>]*>([^<]*)</a></th>\s*<td>(.*?)</td>', html, re.S
    ):
        table[unescape(head)] = [unescape(t) for t in re.findall(r"<a [^>]*>([^<]+)</a>", cell)]
    return table


def test_resource_pages_read_as_a_person_would(client):
    ministry = client.get("/org/bmi?lang=en", headers={"Accept": "text/html"}).text
    rows = _rows(ministry)
    # a link to the BMI from its units reads forwards from here
    assert "has sub-organisation" in rows and "sub-organisation of" not in rows
    assert any("Procurement Office" in v for v in rows["has sub-organisation"])
    # one row for the name, not one per vocabulary that states it
    names = [h for h in ("preferred label", "name") if h in rows or h in ministry]
    assert ministry.count(">preferred label</a>") + ministry.count(">name</a>") == 1, names
    # formats named for people
    assert re.search(r'type="text/turtle" title="text/turtle">Turtle</a>', ministry)
    german = client.get("/org/bmi?lang=de", headers={"Accept": "text/html"}).text
    assert "hat Unterorganisation" in _rows(german)
    meeting = client.get("/meeting/2025-10-14-network?lang=en", headers={"Accept": "text/html"})
    items = _rows(meeting.text)["agenda item"]
    in_order = client.application.extensions["imagraph"].core.store.query(
        "SELECT ?name WHERE { ?i schema:superEvent ?m ; schema:position ?pos ; schema:name ?name "
        "FILTER(?m = <https://w3id.org/imanoeb/meeting/2025-10-14-network> && LANG(?name) = 'en') "
        "} ORDER BY ?pos"
    )
    assert items == [r["name"].value for r in in_order.rows()]
    assert items[0] == "Interactive warm-up" and len(items) == 8
    assert items != sorted(items)  # the test would pass by chance with names in that order


def test_search_finds_resources_by_name_in_either_language(client):
    html = client.get("/search?q=BRAKE&lang=en", headers={"Accept": "text/html"}).text
    assert 'href="http://localhost/org/gemeinde/03461002"' in html
    assert re.search(r'<h2 id="found">\d+ resources whose name contains “BRAKE”', html)
    german = client.get("/search?q=Innenministerium&lang=de", headers={"Accept": "text/html"})
    assert "Ressourcen, deren Name „Innenministerium“ enthält" in german.text
    # a resource found by its German name is named in the reader's language (one ranking and
    # fallback for every label: imagraph.labels)
    english = client.get("/search?q=des Innern&lang=en", headers={"Accept": "text/html"}).text
    assert ">Federal Ministry of the Interior</a>" in english
    assert ">Bundesministerium des Innern</a>" not in english
    none = client.get("/search?q=xyzzy&lang=en", headers={"Accept": "text/html"}).text
    assert "No name contains “xyzzy”." in none
    for bad in ("/search?q=a&page=0", "/search?q=" + "a" * 201):
        assert client.get(bad, headers={"Accept": "text/html"}).status_code == 400
    # the landing page has the search box
    assert 'role="search"' in client.get("/", headers={"Accept": "text/html"}).text


def test_documents_of_hash_iris_are_addressed_with_the_hash_encoded(client):
    """An ontology term (…/ontology#abbreviation) is served at /ontology%23abbreviation; the
    documents named in Content-Location and Link must keep the # encoded, or a client reads a
    fragment and fetches the whole ontology."""
    resp = client.get("/ontology%23abbreviation", headers={"Accept": "text/turtle"})
    location = resp.headers["Content-Location"]
    assert location == "http://localhost/ontology%23abbreviation.ttl"
    assert "#" not in resp.headers["Link"]
    again = client.get(location.removeprefix("http://localhost"))
    assert again.status_code == 200 and again.mimetype == "text/turtle"
    assert isomorphic(
        Graph().parse(data=resp.data, format="turtle"),
        Graph().parse(data=again.data, format="turtle"),
    )


def test_the_answer_cache_of_a_worker_is_bounded_in_bytes(app, monkeypatch):
    from imagraph import cache as cache_module

    monkeypatch.setattr(cache_module, "CACHE_BYTES", 1000)
    cache = app.extensions["imagraph"].cache
    for i in range(10):
        cache.remember(("bench", i), b"x" * 200)
    kept = [i for i in range(10) if cache.lookup(("bench", i)) is not None]
    assert kept == [5, 6, 7, 8, 9]  # the least recently used went first, 1,000 bytes kept
    cache.remember(("bench", "huge"), b"x" * 600)  # more than a quarter: not kept at all
    assert cache.lookup(("bench", "huge")) is None


@pytest.fixture(scope="module")
def crowded():
    """An app (in memory) whose data holds 1,200 more resources named "Vielfalt …"."""
    core = Core.open(Settings(site=ROOT))
    base, name = core.settings.base_iri, ox.NamedNode("https://schema.org/name")
    core.store.replace_graph(
        core.settings.graph_iri("data/crowded"),
        (
            ox.Quad(
                ox.NamedNode(f"{base}org/crowd-{i:04d}"),
                name,
                ox.Literal(f"Vielfalt {i:04d}", language="de"),
            )
            for i in range(1200)
        ),
    )
    return create_app(Instance(core)).test_client()


def test_a_search_with_more_than_a_thousand_matches_shows_the_first_thousand(crowded):
    html = crowded.get("/search?q=vielfalt&lang=en", headers={"Accept": "text/html"}).text
    assert "1000 resources whose name contains “vielfalt”; showing 1–50." in html
    assert "The first 1,000 are shown; please search more precisely." in html
    last = crowded.get("/search?q=vielfalt&lang=en&page=20", headers={"Accept": "text/html"})
    assert "showing 951–1000" in last.text
    assert 'id="page-next"' not in last.text and 'id="page-previous"' in last.text
    assert "crowd-0999" in last.text and "crowd-1000" not in last.text
    # past the last page: 404 saying how many there are (not "no name contains")
    past = crowded.get("/search?q=vielfalt&lang=en&page=21", headers={"Accept": "text/html"})
    assert past.status_code == 404
    assert "page 21: the search for &#39;vielfalt&#39; has 20 page(s)" in past.text


def test_the_loop_answers_static_files_and_small_resources_itself_nothing_else(tmp_path):
    """The paths the server's loop answers without a thread (``web._quick``): a static file, a
    resource (in any format) whose description is small; not a resource with more triples of
    its own than QUICK_TRIPLES (its page would hold the loop, and every client of the worker,
    for as long as it takes), nor a query, nor anything else."""
    from imagraph.web import QUICK, QUICK_TRIPLES

    from .conftest import open_core

    core = open_core(tmp_path)
    if core.store.needs_network:
        pytest.skip("on a remote store every answer waits for it: each goes to a thread")
    base = core.settings.base_iri
    see = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
    core.store.load(
        ox.Quad(ox.NamedNode(base + "test/big"), see, ox.NamedNode(f"{base}test/o{i}"))
        for i in range(QUICK_TRIPLES + 1)
    )
    quick = create_app(Instance(core)).extensions[QUICK]
    assert quick("/org/bmi") and quick("/org/bmi.ttl") and quick("/org/bmi.html")
    assert quick("/static/style.css") and quick("/nothing/here")  # (a 404, at once)
    assert not quick("/test/big") and not quick("/test/big.jsonld")
    assert not quick("/sparql") and not quick("/healthz") and not quick("/catalog")
    # a path's route is kept, its size is not: a resource that grows goes to a thread
    assert quick("/test/o1") and quick("/test/o1")
    core.store.load(
        ox.Quad(ox.NamedNode(base + "test/o1"), see, ox.NamedNode(f"{base}test/p{i}"))
        for i in range(QUICK_TRIPLES + 1)
    )
    assert not quick("/test/o1") and not quick("/test/o1.ttl")
    assert not quick("/" + "x" * 300)  # longer than any resource's: a thread answers it


def test_the_loop_routes_a_path_once_in_a_bounded_table(core, monkeypatch):
    """What the router makes of a path is kept (a resource's size is not: see above), in a
    table of at most ROUTES_KEPT paths; a path past ROUTE_LENGTH is neither routed nor kept."""
    from werkzeug.routing import MapAdapter

    from imagraph import web
    from imagraph.web import direct

    if core.store.needs_network:
        pytest.skip("on a remote store the loop answers nothing itself")
    monkeypatch.setattr(direct, "ROUTES_KEPT", 2)
    quick = create_app(Instance(core)).extensions[web.QUICK]
    matched: list[str] = []
    match = MapAdapter.match

    def counted(self, path_info=None, *args, **kwargs):
        matched.append(path_info)
        return match(self, path_info, *args, **kwargs)

    monkeypatch.setattr(MapAdapter, "match", counted)
    assert quick("/org/bmi") and quick("/org/bmi") and quick("/static/style.css")
    assert matched == ["/org/bmi", "/static/style.css"]
    assert quick("/org/bmi")  # kept: two paths
    assert not quick("/sparql")  # a third: the table starts again
    assert quick("/org/bmi")
    assert matched == ["/org/bmi", "/static/style.css", "/sparql", "/org/bmi"]
    assert not quick("/" + "x" * (direct.ROUTE_LENGTH + 1))
    assert matched[-1] == "/org/bmi"  # not routed


def test_the_loop_takes_a_path_as_the_app_routes_it():
    """A request whose path the app routes otherwise (a trusted proxy's ``SCRIPT_NAME``, which
    gunicorn takes off it) has no path the loop could judge by: a thread answers it."""
    from imagraph.web.worker import _path

    head = b"GET /x/org/bmi%20b?format=ttl HTTP/1.1\r\nHost: a\r\n\r\n"
    assert _path(head) == "/x/org/bmi b"
    assert _path(head.replace(b"Host", b"SCRIPT_NAME: /x\r\nHost")) == ""
    assert _path(head.replace(b"Host", b"script_name: /x\r\nHost")) == ""
    assert _path(b"GET * HTTP/1.1\r\nHost: a\r\n\r\n") == ""


def test_under_a_script_name_the_loop_answers_nothing_itself(core, monkeypatch):
    """gunicorn takes the ``SCRIPT_NAME`` of its environment off every path before the app
    routes it: the loop, which sees the path as sent, judges none and a thread answers all."""
    from imagraph.web import QUICK

    if core.store.needs_network:
        pytest.skip("on a remote store the loop answers nothing itself anyway")
    assert create_app(Instance(core)).extensions[QUICK] is not None
    monkeypatch.setenv("SCRIPT_NAME", "/council")
    assert create_app(Instance(core)).extensions[QUICK] is None


def test_the_header_and_footer_of_pages_are_in_the_pages_language_and_host(client):
    """The site's header and footer (kept once made, for each language and server root) speak
    the page's language and link to the host asked, page after page."""
    for lang, host in (
        ("de", "localhost"),
        ("en", "localhost"),
        ("de", "a.example"),
        ("de", "localhost"),
    ):
        page = client.get(
            "/org/bmi",
            headers={"Accept": "text/html", "Accept-Language": lang},
            base_url=f"http://{host}/",
        )
        html = page.get_data(as_text=True)
        assert f'<html lang="{lang}">' in html
        header = html[html.index('<header class="site">') : html.index("</header>")]
        footer = html[html.index('<footer class="site">') : html.index("</footer>")]
        assert f'<a href="http://{host}/ontology">' in header
        assert ("Ontologie" if lang == "de" else "Ontology") in header
        assert f'<a href="http://{host}/.well-known/void">' in footer
        assert ("Lizenz" if lang == "de" else "Licence") in footer


def test_the_header_and_footer_are_kept_in_a_bounded_table(client, monkeypatch):
    """The parts every page shares are made once for each language and server root, in a
    table of at most FIXED_KEPT parts (the host is the client's to choose): past it, the
    table starts again."""
    from imagraph.web import pages

    monkeypatch.setattr(pages, "FIXED_KEPT", 2)
    made: list[str] = []
    seen = pages._seen

    def counted(name, *args):
        made.append(name)
        return seen(name, *args)

    monkeypatch.setattr(pages, "_seen", counted)

    def parts_made(host: str, path: str) -> list[str]:
        made.clear()
        page = client.get(path, headers={"Accept": "text/html"}, base_url=f"http://{host}/")
        assert page.status_code == 200 and f'href="http://{host}/ontology"' in page.text
        return list(made)

    both = ["header.html", "footer.html"]
    assert parts_made("a.example", "/org/bmi") == both
    assert parts_made("a.example", "/") == []  # kept, for another page too
    assert parts_made("b.example", "/org/bmi") == both  # the table full: made again
    assert parts_made("a.example", "/ontology") == both  # … and a's forgotten
