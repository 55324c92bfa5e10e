"""``/graph-store``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect identification).

Reading (GET, HEAD) is public. Writing (PUT replaces, POST merges, DELETE removes) is off unless
write tokens are configured, needs ``Authorization: Bearer <token>`` (see :mod:`.auth`), may
only touch data graphs (``{base}graph/data/…``) and is gated by the shapes: a write whose result
would not conform is answered 422 with the report, and nothing changes. A new graph is ``201``,
a changed (or removed) one ``204``, both without a body.
"""

from __future__ import annotations

import uuid
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, request

from .. import formats, isolation, loading
from ..errors import BadInputError, NotFoundError, UpdateRefusedError
from ..settings import Settings
from . import auth, current_instance, negotiation
from .body import read_body
from .negotiation import GRAPH_TYPES

bp = Blueprint("graphstore", __name__)


class Bodiless(Response):
    """An answer without a body, and so without a ``Content-Type`` (Flask's is text/html)."""

    default_mimetype = None


def _graph_iri() -> str:
    graph = request.args.get("graph")
    if graph is None or "default" in request.args:
        raise BadInputError(
            "name the graph with ?graph=IRI (the default graph is the read-only union)"
        )
    try:
        ox.NamedNode(graph)
    except ValueError:
        raise BadInputError(f"{graph!r} is not a valid IRI") from None
    return graph


@bp.route("/graph-store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    site = current_instance()
    settings = site.settings
    graph = _graph_iri()
    core = site.core
    if request.method in ("GET", "HEAD"):
        if graph not in core.store.graphs():
            raise NotFoundError(f"no graph {graph}")
        rep = negotiation.choose(GRAPH_TYPES)
        assert rep.rdf is not None
        triples = list(core.store.triples([graph]))
        formats.check_carries(rep.rdf, triples)  # a remote store's graph may hold triple terms
        body = ox.serialize(triples, format=rep.rdf.oxigraph, prefixes=core.store.prefixes) or b""
        resp = Response(body, content_type=rep.media_type)
        resp.vary.add("Accept")
        resp.set_etag(core.version + graph)
        resp.make_conditional(request)  # changes resp itself
        return resp
    agent = auth.require_writer(["GET", "HEAD"])
    prefix = settings.graph_iri("data/")
    if not graph.startswith(prefix):
        raise UpdateRefusedError(f"only data graphs ({prefix}…) can be written")
    data = None
    if request.method != "DELETE":  # a graph is removed by its name as stored, clean or not
        loading.data_graph_name(graph.removeprefix(prefix), f"graph={graph}")
        fmt = formats.by_media_type(request.mimetype or "")
        data = _parse_confined(read_body(), fmt, graph, settings)
    with site.writes.exclusive():
        if request.method == "DELETE" and graph not in core.store.graphs():
            raise NotFoundError(f"no graph {graph}")
        outcome = site.writes.apply(
            request.method, graph, data, agent=agent, timeout=settings.validate_timeout
        )
    resp = Bodiless(status=201 if outcome.created else 204)
    resp.headers["Location"] = request.url
    if outcome.change is not None:  # None: no triple changed, and nothing else did
        resp.headers["Imagraph-Change"] = outcome.change
    return resp


def _parse_confined(
    body: bytes, fmt: formats.Format, graph: str, settings: Settings
) -> list[ox.Triple]:
    """The triples of a write's body, parsed in a confined child (no network, a memory and a
    time limit), as validations parse submissions: a body that crashes or exhausts the parser
    is 400 or 503, and the worker is untouched."""

    def work() -> list[ox.Triple]:
        quads = loading.parse(body, fmt, source="the request body", base_iri=graph)
        return [q.triple for q in quads]

    triples = isolation.run(
        work,
        timeout=settings.validate_timeout,
        memory=settings.child_memory,
        what="reading the request body",
    )
    # the body's blank nodes are new ones; the child labelled them from the random state it
    # inherited, the same in every child of this worker (two bodies' [] were one blank node)
    fresh: dict[ox.BlankNode, ox.BlankNode] = {}

    def new(term: Any) -> Any:
        if not isinstance(term, ox.BlankNode):
            return term
        if term not in fresh:
            fresh[term] = ox.BlankNode(uuid.uuid4().hex)
        return fresh[term]

    return [ox.Triple(new(t.subject), t.predicate, new(t.object)) for t in triples]
