"""imagraph's app as a WSGI module, for a WSGI server of one's own (``bench_overhead.py`` runs it
under gunicorn's sync worker: the app without imagraph's worker and its access log).

``gunicorn bench.wsgi_app:app`` from the site's folder; the settings come from the environment
as for ``imagraph serve`` (``IMAGRAPH_CACHE_ENTRIES=0``: the response cache off).
"""

from __future__ import annotations

from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app

app = create_app(Instance.open(Settings.from_env()))
