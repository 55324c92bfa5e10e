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
    media_types: tuple[str, ...]  # the first is the one answers carry
    rdf: Format | None  # None for HTML

    @classmethod
    def of(cls, fmt: Format) -> Representation:
        return cls(fmt.extension, fmt.media_types, fmt)

    @property
    def media_type(self) -> str:
        return self.media_types[0]

    @property
    def is_html(self) -> bool:
        return self.rdf is None

    def named(self, key: str) -> bool:
        """Whether ``?format=key`` asks for it (a name, an extension or a media type)."""
        if self.rdf is None:
            return key == self.key or key in self.media_types
        return formats.find(key, (self.rdf,)) is not None


HTML = Representation("html", ("text/html",), None)
TURTLE = Representation.of(formats.TURTLE)
JSONLD = Representation.of(formats.JSONLD)
#: RDF only (no HTML): what a graph is offered as (a resource's description, a graph of the
#: Graph Store Protocol).
GRAPH_TYPES = tuple(Representation.of(f) for f in formats.rdf(formats.GRAPH))
#: What a resource is offered as, in order of preference when the client has none (HTML first
#: for browsers that send */*; explicit RDF media types always win over a wildcard).
RESOURCE = (HTML, *GRAPH_TYPES)
#: Every RDF format, datasets too (what a CONSTRUCT is answered in).
RDF = tuple(Representation.of(f) for f in formats.rdf())


def not_acceptable(offered: tuple[Representation, ...]) -> NotAcceptableError:
    """The 406 that lists what is offered."""
    return NotAcceptableError.offering(r.media_type for r in offered)


def by_key(key: str, offered: tuple[Representation, ...] = RESOURCE) -> Representation | None:
    """The representation among ``offered`` that ``?format=key`` asks for."""
    key = key.lower()
    return next((r for r in offered if r.named(key)), None)


def choose(offered: tuple[Representation, ...] = RESOURCE) -> Representation:
    """The representation the request asks for: ``?format=`` first, then the Accept header."""
    environ = request.environ  # (read once: each use of ``request`` costs a look-up)
    explicit = request.args.get("format") if environ.get("QUERY_STRING") else None
    if explicit:
        rep = by_key(explicit, offered)
        if rep is None:
            raise not_acceptable(offered)
        return rep
    chosen = chosen_type(environ.get("HTTP_ACCEPT", ""), offered)
    if chosen is None:
        raise not_acceptable(offered)
    return chosen


@functools.lru_cache(maxsize=512)  # clients send the same few Accept headers again and again
def chosen_type(header: str, offered: tuple[Representation, ...]) -> Representation | None:
    """What an ``Accept`` header chooses among ``offered`` (None: nothing)."""
    accept = parse_accept_header(header, MIMEAccept)
    if not accept:  # no Accept header: the first offered
        return offered[0]
    # each one's own media type first: a wildcard picks it (plain JSON clients get JSON-LD)
    candidates = [(r.media_type, r) for r in offered]
    candidates += [(m, r) for r in offered for m in r.media_types[1:]]
    media = accept.best_match([m for m, _ in candidates])
    if media is None:
        return None
    return next(r for m, r in candidates if m == media)


#: The cookie that keeps a reader's choice of language from page to page (set by ``?lang=``).
LANG_COOKIE = "lang"
LANG_COOKIE_AGE = 365 * 24 * 3600


def _languages() -> tuple[str, ...]:
    from . import current_instance

    return current_instance().settings.config.languages


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
    keeps that choice for the next pages (a cookie). (The header is read as text, once: a
    resource's answer comes with its ``Vary`` complete.)"""
    vary = resp.headers.get("Vary", "")
    html = resp.mimetype == "text/html"
    if not (html or "Accept-Language" in vary):
        return resp
    if "Cookie" not in vary or "Accept-Language" not in vary:
        resp.vary.update(("Accept-Language", "Cookie"))
    lang = request.args.get("lang") if html and request.query_string else None
    if lang in _languages() and request.cookies.get(LANG_COOKIE) != lang:
        resp.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=LANG_COOKIE_AGE,
            path=(request.script_root or "") + "/",
            samesite="Lax",
            secure=request.is_secure,
        )
    return resp
