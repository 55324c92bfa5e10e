"""The floor for dereferencing: the smallest Flask app over the same engine (pyoxigraph).

It answers ``GET /<path>`` with the resource's own triples and nothing else: no caching headers,
no labels or incoming links, in the format the ``Accept`` header names exactly (Turtle without
one), each the simplest way: pyoxigraph's serialiser (for JSON-LD its own, expanded, which has
no context to compact with), and for HTML a Jinja table of the triples. Run it with gunicorn:
``IMAGRAPH_FLOOR_DATA=file.nt IMAGRAPH_FLOOR_BASE=https://… gunicorn bench.floor_app:app``
(or ``IMAGRAPH_FLOOR_STORE=DIR`` for an on-disk store made by ``imagraph load``).
"""

from __future__ import annotations

import os

import pyoxigraph as ox
from flask import Flask, Response, abort, request

if "IMAGRAPH_FLOOR_STORE" in os.environ:  # an on-disk store, shared read-only by the workers
    store = ox.Store.read_only(os.environ["IMAGRAPH_FLOOR_STORE"])
else:
    store = ox.Store()
    for path in os.environ["IMAGRAPH_FLOOR_DATA"].split(os.pathsep):
        store.load(path=path, format=ox.RdfFormat.from_extension(path.rsplit(".", 1)[-1]))
BASE = os.environ["IMAGRAPH_FLOOR_BASE"]
FORMATS = {
    f.media_type: f
    for f in (
        ox.RdfFormat.TURTLE,
        ox.RdfFormat.N_TRIPLES,
        ox.RdfFormat.RDF_XML,
        ox.RdfFormat.JSON_LD,
    )
}
PAGE = """<!doctype html><title>{{ iri }}</title><h1>{{ iri }}</h1><table>
{% for t in triples %}<tr><td>{{ t.predicate.value }}</td><td>{{ t.object.value }}</td></tr>
{% endfor %}</table>"""

app = Flask(__name__)
TEMPLATE = app.jinja_env.from_string(PAGE)  # compiled once


@app.get("/<path:path>")
def resource(path: str) -> Response:
    node = ox.NamedNode(BASE + path)
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(node, None, None)
    ]
    if not triples:
        abort(404)
    accept = request.headers.get("Accept", "")
    if accept == "text/html":
        return Response(TEMPLATE.render(iri=node.value, triples=triples), mimetype="text/html")
    fmt = FORMATS.get(accept, ox.RdfFormat.TURTLE)
    return Response(ox.serialize(triples, format=fmt), mimetype=fmt.media_type)
