"""``/update``: SPARQL 1.1 Update over the protocol, on the data graphs, gated by the shapes.

Off unless write tokens are configured (405), always authenticated (see :mod:`.auth`).
``POST`` with ``application/sparql-update`` (UTF-8) or a form field ``update``. The answer: 200
with what changed (JSON: the change's IRI, also in ``Imagraph-Change``, and the triples of each
changed graph), 422 with the report if the result would not conform (nothing changes), 403 for
``LOAD``, ``SERVICE`` or a change outside the data graphs, 400 for a syntax error, 503 when the
update runs past the time limit. See :mod:`imagraph.updates`.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from werkzeug.exceptions import MethodNotAllowed

from .. import updates
from ..errors import BadInputError, UnsupportedFormatError
from . import auth, current_instance
from .body import read_body

bp = Blueprint("update", __name__)


def _read_update() -> str:
    ctype = request.mimetype
    if ctype == "application/sparql-update":
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise UnsupportedFormatError(f"the update must be UTF-8, not {charset}")
        try:
            text = read_body().decode("utf-8")
        except UnicodeDecodeError:
            raise BadInputError("the update is not valid UTF-8") from None
        if "update" in request.args:
            raise BadInputError("give the update either in the body or as a parameter, not both")
        args = request.args
        texts = [text]
    elif ctype == "application/x-www-form-urlencoded":
        args = request.form
        texts = args.getlist("update")
        if not texts:
            raise BadInputError("no update: send the form field 'update'")
    else:
        raise UnsupportedFormatError(
            f"unsupported request body {ctype or '(none)'}; send application/sparql-update "
            "or application/x-www-form-urlencoded"
        )
    if len(texts) > 1:
        raise BadInputError("more than one update parameter: send exactly one")
    if "using-graph-uri" in args or "using-named-graph-uri" in args:
        raise BadInputError(
            "using-graph-uri and using-named-graph-uri are not supported: write USING <…> "
            "(or GRAPH <…>) in the update"
        )
    return texts[0]


@bp.route("/update", methods=["GET", "HEAD", "POST"])
def update() -> Response:
    if request.method != "POST":  # not a resource of the data: say how to use it
        raise MethodNotAllowed(["POST"], "send a SPARQL Update with POST")
    site = current_instance()
    settings = site.settings
    agent = auth.require_writer(["POST"])
    text = _read_update()
    with site.writes.exclusive():
        outcome = updates.run(site.writes, text, agent=agent, timeout=settings.validate_timeout)
    doc = {"change": outcome.change, "graphs": outcome.graphs}
    resp = Response(json.dumps(doc, ensure_ascii=False), mimetype="application/json")
    if outcome.change:
        resp.headers["Imagraph-Change"] = outcome.change
    return resp
