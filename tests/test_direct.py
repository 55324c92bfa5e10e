"""A resource's documents answered without Flask's dispatch (imagraph.web.direct): the same
answer as the view's, to the byte and the header, and everything else left to Flask."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from jinja2 import ChoiceLoader, DictLoader
from rdflib import Graph

from imagraph.instance import Instance
from imagraph.web import create_app, direct

from .conftest import REMOTE

ACCEPTS = (
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    "application/json",  # JSON-LD for a plain JSON client
    "text/turtle;q=0.5, application/n-triples",
    "*/*;q=0.1, application/rdf+xml;q=0.2",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",  # a browser's
    "*/*",
)
#: What chooses a page's language: nothing (the site's first), Accept-Language, the cookie that
#: keeps a reader's choice (before Accept-Language), a cookie of a language the site lacks.
LANGUAGES = (
    {},
    {"Accept-Language": "en-GB,en;q=0.8"},
    {"Accept-Language": "en", "Cookie": "lang=de"},
    {"Accept-Language": "fr", "Cookie": "lang=xx"},
)
SINCE = "Mon, 01 Jan 2024 00:00:00 GMT"
PROXIED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "data.example",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/council",
}
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@pytest.fixture(scope="module")
def app(core):
    """The app with its caches off: every answer made anew, by the direct answer or the view."""
    return create_app(Instance(core, dataclasses.replace(core.settings, cache_entries=0)))


@pytest.fixture(scope="module")
def paths(core, app):
    """The path of every 5th typed resource of the bundled data (~70) that the resource view
    answers (not ``/ontology``: a view of its own), as a URL has it."""
    router = app.url_map.bind("test")
    base = core.settings.base_iri
    found = sorted(
        {
            t.subject.value[len(base) :]
            for t in core.store.triples()
            if t.predicate == RDF_TYPE
            and isinstance(t.subject, ox.NamedNode)
            and t.subject.value.startswith(base)
        }
    )
    found = [p for p in found if router.match("/" + p)[0] == "imagraph.resource"]
    assert len(found) > 100
    return ["/" + quote(p, safe="/") for p in found[::5]]


class Views:
    """Counts the calls of the resource view (Flask's)."""

    def __init__(self, app):
        self.calls = 0
        self._view = app.view_functions["imagraph.resource"]
        app.view_functions["imagraph.resource"] = self

    def __call__(self, **kwargs):
        self.calls += 1
        return self._view(**kwargs)


@pytest.fixture
def views(app):
    counted = Views(app)
    yield counted
    app.view_functions["imagraph.resource"] = counted._view


def answer(app, method, path, headers, base_url=None):
    """(status, headers in their order, body) of the app's answer (a ``Cookie`` header sent as
    it is: the client keeps none)."""
    client = app.test_client(use_cookies=False)
    with client.open(path, method=method, headers=headers, base_url=base_url) as resp:
        return resp.status, resp.headers.to_wsgi_list(), resp.get_data()


def test_a_direct_answer_is_the_views_own(app, paths, views, monkeypatch):
    """Every resource sampled in 10 Accept headers (and no Accept header: a page), a quarter of
    them by each extension, pages in each way of choosing a language, GET and HEAD: status,
    every header in its order, and the body as the view makes them (the view not called), and
    the body the triples of the description."""
    asked = [(p, {"Accept": a}) for p in paths for a in ACCEPTS]
    asked += [(p, {}) for p in paths]
    asked += [(f"{p}.{ext}", {}) for p in paths[::4] for ext in ("ttl", "jsonld", "nt", "rdf")]
    asked += [(f"{p}.html", h) for p in paths[::4] for h in LANGUAGES]
    asked += [(p, {"Accept": "text/html", **h}) for p in paths[::4] for h in LANGUAGES]
    direct_answers = {
        (m, p, tuple(h.items())): answer(app, m, p, h) for p, h in asked for m in ("GET", "HEAD")
    }
    assert views.calls == 0  # all of them answered directly
    monkeypatch.setattr(direct.Direct, "__call__", lambda self, env, start: self.app(env, start))
    for (m, p, h), got in direct_answers.items():
        before = views.calls
        assert got == answer(app, m, p, dict(h)), (m, p, h)
        assert views.calls == before + 1, (m, p, h)
    status, listed, body = direct_answers[("GET", paths[0], (("Accept", "text/turtle"),))]
    headers = dict(listed)
    assert len(headers) == len(listed)  # no header twice
    assert status == "200 OK" and headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert headers["Content-Location"].endswith(paths[0] + ".ttl")
    assert headers["Access-Control-Allow-Origin"] == "*"  # the headers of every answer
    assert "ETag" in headers and "Last-Modified" in headers and "Vary" in headers
    iri = app.extensions["imagraph"].settings.base_iri + paths[0][1:]
    assert len(Graph().parse(data=body, format="turtle", publicID=iri)) > 0
    assert direct_answers[("HEAD", paths[0], (("Accept", "text/turtle"),))][2] == b""
    status, listed, body = direct_answers[("GET", paths[0], (("Accept", "text/html"),))]
    headers = dict(listed)
    assert status == "200 OK" and headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Location"].endswith(paths[0] + ".html")
    first = app.extensions["imagraph"].languages[0]
    assert f'<html lang="{first}">'.encode() in body and iri.encode() in body
    english = direct_answers[("GET", f"{paths[0]}.html", (("Accept-Language", "en-GB,en;q=0.8"),))]
    assert b'<html lang="en">' in english[2]
    chosen = (("Accept-Language", "en"), ("Cookie", "lang=de"))  # the cookie first
    assert b'<html lang="de">' in direct_answers[("GET", f"{paths[0]}.html", chosen)][2]


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/org/bmi?format=ttl", {}, "200 OK"),  # a query string: the view reads it
        ("/org/bmi", {"Accept": "text/turtle", "If-None-Match": '"x"'}, "200 OK"),
        ("/org/bmi", {"Accept": "text/turtle", "If-Modified-Since": SINCE}, "200 OK"),
        ("/org/bmi?lang=en", {}, "200 OK"),  # a language chosen (and kept in a cookie)
        ("/org/bmi", {"Accept": "text/html", "If-None-Match": '"x"'}, "200 OK"),
        ("/org/bmi", {"Accept": "image/png"}, "406 NOT ACCEPTABLE"),
        ("/nothing/here", {"Accept": "text/turtle"}, "404 NOT FOUND"),
        ("/nothing/here.ttl", {}, "404 NOT FOUND"),
    ],
)
def test_the_rest_goes_to_the_view(app, views, path, headers, status):
    """A query string, a conditional request, a 406, an unknown resource: the view answers (an
    error as every error is made: in one place)."""
    got, _, body = answer(app, "GET", path, headers)
    assert got == status
    assert views.calls == 1
    if status.startswith("404"):
        assert b"nothing/here" in body  # the view's message, naming the resource


def test_an_error_met_on_the_way_is_the_views_to_raise_not_to_meet_again(app, views, monkeypatch):
    """An unknown resource: the store is asked once whether it exists (by the direct answer),
    and the view raises what it found (a remote store that failed is not asked twice)."""
    store = app.extensions["imagraph"].core.store
    asked: list[str] = []
    exists = store.exists

    def counted(iri):
        asked.append(iri)
        return exists(iri)

    monkeypatch.setattr(store, "exists", counted)
    status, _, body = answer(app, "GET", "/nothing/there.ttl", {})
    assert status == "404 NOT FOUND" and b"nothing/there" in body
    assert asked == [app.extensions["imagraph"].settings.base_iri + "nothing/there"]
    assert views.calls == 1


def test_what_is_not_a_resource_goes_to_flask(app, views, monkeypatch):
    """A path of another view, a static file, a POST: never the resource view, never a
    document made for a resource."""
    made: list[str] = []
    answer_of = direct.views.answer

    def counted(site, urls, doc_path, *args, **kwargs):
        made.append(doc_path)
        return answer_of(site, urls, doc_path, *args, **kwargs)

    monkeypatch.setattr(direct.views, "answer", counted)
    assert answer(app, "GET", "/healthz", {"Accept": "text/turtle"})[0] == "200 OK"
    assert answer(app, "GET", "/static/style.css", {})[0] == "200 OK"
    status, _, _ = answer(app, "POST", "/org/bmi", {"Accept": "text/turtle"})
    assert status == "405 METHOD NOT ALLOWED"
    assert views.calls == 0 and made == []
    assert answer(app, "GET", "/org/bmi", {"Accept": "text/turtle"})[0] == "200 OK"
    assert made == ["org/bmi"] and views.calls == 0  # (what counts, counts)


def test_an_answer_the_view_refuses_is_refused_as_the_view_does(fresh):
    """A triple term has no JSON-LD: the direct answer gives up, and the view says why (as it
    does without the direct answer); Turtle carries it, directly."""
    if REMOTE:
        pytest.skip("the remote store under test keeps no triple terms")
    core = fresh()
    base = core.settings.base_iri
    said = ox.Triple(ox.NamedNode(base + "org/bmi"), RDF_TYPE, ox.NamedNode(base + "x"))
    says, graph = ox.NamedNode(base + "says"), ox.NamedNode(base + "g")
    core.store.load([ox.Quad(ox.NamedNode(base + "test/t"), says, said, graph)])
    app = create_app(Instance(core, dataclasses.replace(core.settings, cache_entries=0)))
    views = Views(app)
    status, _, body = answer(app, "GET", "/test/t", {"Accept": "application/ld+json"})
    assert status.startswith("4") and views.calls == 1
    assert b"triple term" in body.lower(), body
    status, _, body = answer(app, "GET", "/test/t", {"Accept": "text/turtle"})
    assert status == "200 OK" and views.calls == 1 and b"<<(" in body


def test_an_answer_with_other_characters_in_its_headers_is_the_views(core, monkeypatch):
    """A public URL of other characters than ASCII makes headers that Werkzeug turns into
    URIs (the host in IDNA): the view answers, and the resource is described once."""
    settings = dataclasses.replace(
        core.settings, cache_entries=0, public_url="https://bücher.example/"
    )
    app = create_app(Instance(core, settings))
    views = Views(app)
    described: list[str] = []
    describe = core.store.describe

    def counted(iri):
        described.append(iri)
        return describe(iri)

    monkeypatch.setattr(core.store, "describe", counted)
    status, headers, _ = answer(app, "GET", "/org/bmi", {"Accept": "text/turtle"})
    assert status == "200 OK" and views.calls == 1 and len(described) == 1
    assert dict(headers)["Content-Location"] == "https://xn--bcher-kva.example/org/bmi.ttl"


@pytest.mark.parametrize(
    ("overrides", "headers", "base_url", "location"),
    [
        ({"trusted_proxies": 1}, PROXIED, None, "https://data.example:8443/council/org/bmi.ttl"),
        ({}, {}, "http://localhost/council/", "http://localhost/council/org/bmi.ttl"),
        (
            {"public_url": "https://data.example/council/"},
            {},
            None,
            "https://data.example/council/org/bmi.ttl",
        ),
    ],
)
def test_behind_a_proxy_a_direct_answer_is_the_views_own(
    core, monkeypatch, overrides, headers, base_url, location
):
    """Forwarded headers (from a trusted proxy), a ``SCRIPT_NAME``, a public URL: the direct
    answer's URLs are the view's."""
    settings = dataclasses.replace(core.settings, cache_entries=0, **overrides)
    app = create_app(Instance(core, settings))
    views = Views(app)
    asked = {"Accept": "text/turtle", **headers}
    got = answer(app, "GET", "/org/bmi", asked, base_url)
    assert views.calls == 0 and dict(got[1])["Content-Location"] == location
    monkeypatch.setattr(direct.Direct, "__call__", lambda self, env, start: self.app(env, start))
    assert got == answer(app, "GET", "/org/bmi", asked, base_url)
    assert views.calls == 1


def test_a_direct_page_sees_the_request_as_the_views_page_does(core, monkeypatch):
    """A site's template that reads the request (its path, its route, a URL of another view,
    the session) renders the same page directly as in the view."""
    app = create_app(Instance(core, dataclasses.replace(core.settings, cache_entries=0)))
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "resource.html": "{% extends 'base.html' %}{% block main %}"
                    "<p id=seen>{{ request.endpoint }} {{ request.path }} "
                    "{{ request.view_args['path'] }} {{ url_for('imagraph.search', q='x') }} "
                    "{{ session.get('x', 'none') }} {{ g.get('x', 'none') }}</p>{% endblock %}"
                }
            ),
            app.jinja_env.loader,
        ]
    )
    views = Views(app)
    got = answer(app, "GET", "/org/bmi", {"Accept": "text/html"})
    assert views.calls == 0
    assert b"<p id=seen>imagraph.resource /org/bmi org/bmi /search?q=x none none</p>" in got[2]
    monkeypatch.setattr(direct.Direct, "__call__", lambda self, env, start: self.app(env, start))
    assert got == answer(app, "GET", "/org/bmi", {"Accept": "text/html"})
    assert views.calls == 1
