"""The floor for dereferencing: the smallest Flask app over the same engine (pyoxigraph).

It answers ``GET /<path>`` with the Turtle of the resource's own triples and nothing else: no
negotiation, no caching headers, no labels or incoming links. Run it with gunicorn:
``IMAGRAPH_FLOOR_DATA=file.nt IMAGRAPH_FLOOR_BASE=https://… gunicorn bench.floor_app:app``
(or ``IMAGRAPH_FLOOR_STORE=DIR`` for an on-disk store made by ``imagraph load``).
"""

from __future__ import annotations

import os

import pyoxigraph as ox
from flask import Flask, Response, abort

if "IMAGRAPH_FLOOR_STORE" in os.environ:  # an on-disk store, shared read-only by the workers
    store = ox.Store.read_only(os.environ["IMAGRAPH_FLOOR_STORE"])
else:
    store = ox.Store()
    for path in os.environ["IMAGRAPH_FLOOR_DATA"].split(os.pathsep):
        store.load(path=path, format=ox.RdfFormat.from_extension(path.rsplit(".", 1)[-1]))
BASE = os.environ["IMAGRAPH_FLOOR_BASE"]

app = Flask(__name__)


@app.get("/<path:path>")
def resource(path: str) -> Response:
    node = ox.NamedNode(BASE + path)
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(node, None, None)
    ]
    if not triples:
        abort(404)
    return Response(ox.serialize(triples, format=ox.RdfFormat.TURTLE), mimetype="text/turtle")
