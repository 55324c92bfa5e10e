"""A resource's document answered without Flask's dispatch, and what a path routes to.

Flask's dispatch, hooks, signals and response object cost ~70 µs a request whatever the view does:
as much as describing and serialising a small resource. :class:`Direct` answers the plain case of
the most asked-for request, a ``GET`` or ``HEAD`` of a resource (no query string, no conditional
header), with the body and headers the view makes, by the same functions (:func:`.views.answer`,
:func:`.views.resource_render`). A page is rendered in Flask's request context, as the view renders
it (its templates see the same ``request``, ``url_for`` and ``g``; a site that keeps sessions is
answered by Flask, which saves them); RDF needs none. Everything else goes to Flask, which answers
it as it answers everything; so does what goes wrong on the way: an error of imagraph's (an unknown
resource, a store error) is handed to the view, which raises it (it is not met twice: a remote store
that timed out is not waited for again), and anything else is logged here and met anew by the view.
Errors are made in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import nullcontext
from typing import TYPE_CHECKING, NamedTuple

import pyoxigraph as ox
from flask import Flask
from werkzeug.routing import Map
from werkzeug.wsgi import get_path_info

from ..errors import ImagraphError
from ..instance import Instance
from . import fastpath, negotiation, views
from .negotiation import RESOURCE, Representation, chosen_type
from .urls import Urls

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

#: The paths whose route is kept (all of them forgotten at once past it): enough for the worker's
#: loop and the direct answer to route a request's path once between them, and for the paths
#: asked for again and again. A longer path than :data:`ROUTE_LENGTH` characters is not kept (no
#: resource's is). Measured (``tracemalloc``), the table full of such paths and their IRIs:
#: 0.76 MB of ASCII, 3.5 MB if every character took 4 bytes.
ROUTES_KEPT = 1024
ROUTE_LENGTH = 256


class Resource(NamedTuple):
    """A path that names a resource: its IRI and the representation the path's extension names
    (None: negotiated)."""

    iri: str
    rep: Representation | None


#: What a path routes to: a resource, ``True`` for a static file, ``False`` for anything else.
Route = Resource | bool


class Routes:
    """What the app's router makes of a path (``GET``), kept: it does not change while the app
    runs (7 µs of routing a request, 0.2 µs kept)."""

    def __init__(self, url_map: Map, base_iri: str) -> None:
        self._paths = url_map.bind("routes")  # only the path is matched
        self._base = base_iri
        self._kept: dict[str, Route] = {}

    def find(self, path: str) -> Route:
        """The route of ``path`` (decoded, without the query)."""
        found = self._kept.get(path)
        if found is None:
            if len(path) > ROUTE_LENGTH:
                return False
            if len(self._kept) >= ROUTES_KEPT:
                self._kept.clear()
            found = self._kept[path] = self._route(path)
        return found

    def _route(self, path: str) -> Route:
        try:
            endpoint, values = self._paths.match(path, method="GET")
        except Exception:  # no route (404, 405, a redirect), or whatever the router makes of it
            return False
        if endpoint == "static":
            return True
        if endpoint != "imagraph.resource":
            return False
        stem, rep = views.split_extension(values["path"])  # as the view finds the resource
        iri = self._base + stem  # (a path converter's value begins with no "/")
        try:
            ox.NamedNode(iri)
        except ValueError:  # the view's 404
            return False
        return Resource(iri, rep)


class Direct:
    """WSGI middleware, next to Flask: answers a resource's documents itself (see the
    module). ``app`` is what it stands in front of (Flask's ``wsgi_app``), ``flask`` the app
    whose request context a page is rendered in."""

    def __init__(
        self, app: WSGIApplication, flask: Flask, instance: Instance, routes: Routes
    ) -> None:
        self.app = app
        self.flask = flask
        self.instance = instance
        self.routes = routes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if (
            method not in ("GET", "HEAD")
            or environ.get("QUERY_STRING")  # ?format=, ?lang= …: the view reads them
            or any(h in environ for h in fastpath.CONDITIONAL)
        ):
            return self.app(environ, start_response)
        route = self.routes.find(get_path_info(environ))
        if not isinstance(route, Resource):
            return self.app(environ, start_response)
        rep = route.rep or chosen_type(environ.get("HTTP_ACCEPT", ""), RESOURCE)
        if rep is None:  # a 406: the view's
            return self.app(environ, start_response)
        site = self.instance
        urls = Urls.for_environ(site.settings, environ)
        if not urls.root.isascii():  # a public URL of other characters: Werkzeug makes the
            return self.app(environ, start_response)  # headers' URLs URIs
        doc_path = route.iri[len(site.settings.base_iri) :]  # the path without its extension
        answered = None
        try:
            site.writes.notice()  # a new data version first (another worker, server)
            with self.flask.request_context(environ) if rep.is_html else nullcontext():
                answered = views.answer(
                    site,
                    urls,
                    doc_path,
                    rep,
                    views.resource_render(site, route.iri, doc_path, rep),
                    negotiated=route.rep is None,
                    lang=negotiation.choose_language() if rep.is_html else "",
                    check=views.existing(site, route.iri),
                )
        except ImagraphError as err:  # no such resource, the store unavailable …: the view
            environ[views.DIRECT_FAILED] = err  # raises it, Flask says what it is
        except Exception as err:  # anything else: said here; the view tries again and says
            log.warning("a direct answer to %s failed (%r); Flask answers", route.iri, err)
        if answered is None:  # (out of the handlers: what the view meets is not chained to this)
            return self.app(environ, start_response)
        body, headers = answered
        environ[fastpath.MARK] = True  # the same request gets the same answer
        start_response(  # in the order of the view's answer
            "200 OK",
            [
                *headers.items(),
                ("Content-Type", views.content_type(rep)),
                ("Content-Length", str(len(body))),
            ],
        )
        return [b""] if method == "HEAD" else [body]
