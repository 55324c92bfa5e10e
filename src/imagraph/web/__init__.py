"""The web application: linked data for every IRI, dumps and discovery documents (Flask)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flask import (
    Flask,
    Response,
    current_app,
    request,
    request_finished,
    request_started,
    send_from_directory,
)
from flask.sessions import SecureCookieSessionInterface
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import safe_join

from .. import extensions
from ..errors import BadInputError, NotFoundError
from ..instance import Instance
from ..settings import Settings
from ..slots import Slot
from .fastpath import FastPath

if TYPE_CHECKING:
    from .direct import Routes


def create_app(instance: Instance | None = None) -> Flask:
    """The web application of an instance (default: the one the environment configures)."""
    instance = instance or Instance.open()
    settings = instance.settings
    app = Flask(__name__, static_folder=None)
    _theme(app, settings)
    # the largest body any request may send: a submission to /validate
    app.config["MAX_CONTENT_LENGTH"] = settings.validate_max_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["imagraph"] = instance
    from . import (
        auth,
        catalog,
        direct,
        errors,
        graphstore,
        health,
        negotiation,
        openapi,
        pages,
        sparql,
        update,
        validate,
        views,
    )

    # a site's extensions first: their routes win over imagraph's for the same URL
    extensions.attach(instance.extensions, "attach_app", app, instance)
    hooked = _hooked(app)  # what an extension runs for every request, imagraph's views too
    # every page draws its links with link.html's macro (the site's, if it has one): made once
    # (it sees the template globals of now: the extensions' too), not imported by each template
    # as it renders (~10 µs each time)
    app.jinja_env.globals["link"] = app.jinja_env.get_template("link.html").module.link  # type: ignore[attr-defined]
    app.jinja_env.globals["fixed"] = pages.Fixed(app.jinja_env)
    app.register_blueprint(health.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(graphstore.bp)
    app.register_blueprint(update.bp)
    app.register_blueprint(validate.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(views.bp)
    errors.init_app(app)
    auth.init_app(app, settings)
    app.after_request(negotiation.keep_language)

    @app.before_request
    def before() -> None:  # one hook: each costs Flask a little on every request
        errors.limit_url()
        if request.endpoint != "static":  # the style sheet and scripts depend on no data
            instance.writes.notice()  # a new data version, written by another worker or server

    # outermost first: forwarded headers, the response cache, the headers of every answer
    # (CORS, security), a resource's documents answered directly, Flask
    routes = direct.Routes(app.url_map, settings.base_iri)
    inner = app.wsgi_app if hooked else direct.Direct(app.wsgi_app, app, instance, routes)
    wsgi: FastPath | ProxyFix = FastPath(errors.EveryAnswer(inner, SECURITY_HEADERS), instance)
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        wsgi = ProxyFix(wsgi, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)
    app.wsgi_app = wsgi  # type: ignore[method-assign]  # Flask's documented way to add middleware
    app.extensions[QUICK] = None if hooked else _quick(instance, routes)
    return app


def _hooked(app: Flask) -> bool:
    """Whether a site's extension has something run for every request: a request hook (the
    app's or a blueprint's), a teardown of the app context, a middleware around Flask, a
    receiver of Flask's request signals, Flask's check of the Host (``TRUSTED_HOSTS``), or
    sessions (a secret key, or a session interface of its own: Flask saves a session, and
    refreshes a permanent one's cookie, after every request). Then every request goes through
    Flask, and through them."""
    kinds = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.url_value_preprocessors,
    )
    return (
        any(funcs for kind in kinds for funcs in kind.values())
        or bool(app.teardown_appcontext_funcs)
        or getattr(app.wsgi_app, "__func__", None) is not Flask.wsgi_app
        or any(any(True for _ in s.receivers_for(app)) for s in (request_started, request_finished))
        or app.config.get("TRUSTED_HOSTS") is not None
        or app.secret_key is not None
        or type(app.session_interface) is not SecureCookieSessionInterface
    )


#: Where an app keeps what says which paths it answers at once (see :func:`_quick`).
QUICK = "imagraph.quick"
#: The most triples of its own (and statements about it) a resource answered at once may have:
#: its description then takes a few milliseconds at most, as a page (the bundled data's largest
#: has 72 and 13; the incoming links a description holds are capped, ``store.MAX_INCOMING``).
QUICK_TRIPLES = 256


def _quick(instance: Instance, routes: Routes) -> Callable[[str], bool] | None:
    """Whether a GET of a path (decoded) is answered at once, without waiting on anything but
    the embedded store: a static file, or a resource whose description is small
    (:data:`QUICK_TRIPLES`; not a site's own view of the same path, nor anything that runs a
    query or waits for a child or another server). The server's worker answers such a request
    in its loop, without a thread (see :mod:`.worker`): while it does, it reads and writes for
    no other client. None on a remote store, where every answer waits for another server, and
    under a ``SCRIPT_NAME`` (gunicorn routes the path without it)."""
    if instance.core.store.needs_network or os.environ.get("SCRIPT_NAME"):
        return None
    store = instance.core.store

    def quick(path: str) -> bool:
        found = routes.find(path)
        if isinstance(found, bool):
            return found
        return store.small_description(found.iri, QUICK_TRIPLES)

    return quick


#: Sent with every answer (a cached one keeps them): a page runs scripts and styles from this
#: server only and none written into it (an injected ``<script>`` or ``onclick`` does not run),
#: loads nothing from elsewhere, posts its forms here only and is framed by no other site; no
#: answer is read as another type than it says; another site sees where a reader came from
#: but not the page (a query in its address).
SECURITY_HEADERS = {
    "Content-Security-Policy": "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def _theme(app: Flask, settings: Settings) -> None:
    """The pages' templates and static files: the site's own (its ``templates/`` and
    ``static/``) before imagraph's, file by file, so that a site overrides one template or one
    style sheet and keeps the rest."""
    ours = app.jinja_loader
    assert ours is not None
    # a site's template may extend the one it replaces as "imagraph/NAME" and change its blocks
    loaders: list[BaseLoader] = [ours, PrefixLoader({"imagraph": ours})]
    own = settings.site / "templates"
    if own.is_dir():
        loaders.insert(0, FileSystemLoader(own))
    app.jinja_loader = ChoiceLoader(loaders)
    folders = [
        f for f in (settings.site / "static", Path(__file__).parent / "static") if f.is_dir()
    ]

    def static(filename: str) -> Response:
        for folder in folders:
            if safe_join(str(folder), filename) and (folder / filename).is_file():
                return send_from_directory(folder, filename)
        raise NotFoundError(f"No static file {filename!r}.")

    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=static)


def current_instance() -> Instance:
    """The instance whose app handles the current request."""
    instance = current_app.extensions["imagraph"]
    assert isinstance(instance, Instance)
    return instance


def take_slot(kind: str) -> Slot:
    """A slot of ``kind`` (``query`` or ``validation``) for the current request's client
    (see :mod:`imagraph.slots`); release it when done."""
    return current_instance().slots[kind].take(request.remote_addr or "")


def page_number() -> int:
    """The page a request asks for (``page=``, from 1; ASCII digits only: ``int`` would read
    ``9¹`` too, and fail on it), else ``400``."""
    value = request.values.get("page", "1")
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise BadInputError(f"page={value!r}: the page is a whole number from 1")
    return int(value)
