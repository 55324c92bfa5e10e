"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: the store answers and the
children that run untrusted work can be confined), for load balancers and orchestrators."""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response

from ..errors import ImagraphError
from . import current_instance

bp = Blueprint("health", __name__)


def _json(doc: dict[str, object], status: int) -> Response:
    resp = Response(json.dumps(doc), status=status, content_type="application/json")
    resp.cache_control.no_store = True
    return resp


@bp.route("/healthz")
def healthz() -> Response:
    return _json({"status": "ok"}, 200)


@bp.route("/readyz")
def readyz() -> Response:
    site = current_instance()
    checks: dict[str, object] = {}
    ready = True
    start = time.monotonic()
    try:
        site.core.store.is_empty()
        checks["store"] = "ok"
    except ImagraphError as err:
        checks["store"] = str(err)
        ready = False
    checks["store_ms"] = round((time.monotonic() - start) * 1000, 1)
    # without seccomp the SERVICE/LOAD checks still hold; the defence in depth is missing
    checks["children_without_network"] = site.confined()
    checks["data_version"] = site.version
    return _json({"status": "ready" if ready else "not ready", **checks}, 200 if ready else 503)
