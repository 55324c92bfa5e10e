"""Content negotiation: one table of what a page can be served as, chosen with Werkzeug."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import Response, request
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.http import parse_accept_header

from .. import formats
from ..errors import NotAcceptableError
from ..formats import Format


@dataclass(frozen=True)
class Representation:
    """A way to serve a resource: an RDF format, or HTML."""

    key: str  # the file extension that selects it
    media_type: str
    rdf: Format | None  # None for HTML

    @property
    def is_html(self) -> bool:
        return self.rdf is None


HTML = Representation("html", "text/html", None)
TURTLE = Representation("ttl", "text/turtle", formats.TURTLE)
JSONLD = Representation("jsonld", "application/ld+json", formats.JSONLD)
NTRIPLES = Representation("nt", "application/n-triples", formats.NTRIPLES)
RDFXML = Representation("rdf", "application/rdf+xml", formats.RDFXML)
TRIG = Representation("trig", "application/trig", formats.TRIG)
NQUADS = Representation("nq", "application/n-quads", formats.NQUADS)

#: What a resource is offered as, in order of preference when the client has none (HTML first
#: for browsers that send */*; explicit RDF media types always win over a wildcard).
RESOURCE = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML)
BY_KEY = {r.key: r for r in (*RESOURCE, TRIG, NQUADS)}
#: RDF only (no HTML): what a graph of the Graph Store Protocol is offered as.
GRAPH_TYPES = (TURTLE, JSONLD, NTRIPLES, RDFXML)
ALIASES = {
    "json": JSONLD,
    "json-ld": JSONLD,
    "turtle": TURTLE,
    "n3": TURTLE,  # Turtle is N3 (SPARQLWrapper's N3 asks for it)
    "xml": RDFXML,
    "rdf+xml": RDFXML,
    "n-triples": NTRIPLES,
    # and the media types (SPARQLWrapper sends format=application/rdf+xml too)
    **{r.media_type: r for r in (*RESOURCE, TRIG, NQUADS)},
}


def not_acceptable(offered: tuple[Representation, ...]) -> NotAcceptableError:
    """The 406 that lists what is offered."""
    return NotAcceptableError.offering(r.media_type for r in offered)


def by_key(key: str, offered: tuple[Representation, ...] = RESOURCE) -> Representation | None:
    rep = BY_KEY.get(key.lower()) or ALIASES.get(key.lower())
    return rep if rep in offered else None


def choose(offered: tuple[Representation, ...] = RESOURCE) -> Representation:
    """The representation the request asks for: ``?format=`` first, then the Accept header."""
    explicit = request.args.get("format") if request.query_string else None
    if explicit:
        rep = by_key(explicit, offered)
        if rep is None:
            raise not_acceptable(offered)
        return rep
    chosen = _choose(request.headers.get("Accept", ""), offered)
    if chosen is None:
        raise not_acceptable(offered)
    return chosen


@functools.lru_cache(maxsize=512)  # clients send the same few Accept headers again and again
def _choose(header: str, offered: tuple[Representation, ...]) -> Representation | None:
    accept = parse_accept_header(header, MIMEAccept)
    if not accept:  # no Accept header: the first offered
        return offered[0]
    candidates = [(r.media_type, r) for r in offered]
    if JSONLD in offered:  # plain JSON clients get JSON-LD
        candidates.append(("application/json", JSONLD))
    media = accept.best_match([m for m, _ in candidates])
    if media is None:
        return None
    return next(r for m, r in candidates if m == media)


#: The cookie that keeps a reader's choice of language from page to page (set by ``?lang=``).
LANG_COOKIE = "lang"
LANG_COOKIE_AGE = 365 * 24 * 3600


def _languages() -> tuple[str, ...]:
    from . import current_site

    return current_site().settings.config.languages


def chosen_language() -> str | None:
    """The language the request chose itself: ``?lang=``, else the cookie (one the site
    offers)."""
    languages = _languages()
    lang = request.args.get("lang") if request.query_string else None
    if lang in languages:
        return lang
    lang = request.cookies.get(LANG_COOKIE) if "HTTP_COOKIE" in request.environ else None
    return lang if lang in languages else None


def choose_language() -> str:
    """``?lang=`` first, then the reader's earlier choice (a cookie), then Accept-Language,
    among the site's languages (the first of them by default)."""
    lang = chosen_language()
    if lang is not None:
        return lang
    return _best_language(request.headers.get("Accept-Language", ""), _languages())


@functools.lru_cache(maxsize=512)
def _best_language(header: str, languages: tuple[str, ...]) -> str:
    accept = parse_accept_header(header, LanguageAccept)
    return accept.best_match(languages, default=languages[0]) or languages[0]


def keep_language(resp: Response) -> Response:
    """After a request: an answer that speaks a language (every page, and what negotiated one)
    depends on Accept-Language and the cookie (``Vary``), and a page asked for with ``?lang=``
    keeps that choice for the next pages (a cookie)."""
    if resp.mimetype == "text/html" or "Accept-Language" in resp.vary:
        resp.vary.add("Accept-Language")
        resp.vary.add("Cookie")
        lang = request.args.get("lang") if request.query_string else None
        if (
            lang in _languages()
            and resp.mimetype == "text/html"
            and request.cookies.get(LANG_COOKIE) != lang
        ):
            resp.set_cookie(
                LANG_COOKIE,
                lang,
                max_age=LANG_COOKIE_AGE,
                path=(request.script_root or "") + "/",
                samesite="Lax",
                secure=request.is_secure,
            )
    return resp
