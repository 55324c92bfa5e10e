"""One place renders every error: HTML for browsers, ``application/problem+json`` for JSON
clients, plain text otherwise. A client never sees a traceback. CORS headers go on everything."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from gunicorn.http.errors import NoMoreData
from gunicorn.http.errors import ParseException as BodyParseError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    RequestURITooLarge,
)
from werkzeug.http import HTTP_STATUS_CODES

from ..dumps import DumpNotReadyError
from ..errors import ImagraphError, StoreUnavailableError
from . import current_site
from .negotiation import NotAcceptableError, choose_language
from .pages import render_page
from .urls import Urls

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 4096
#: Seconds a client is asked to wait when the store is unavailable (503).
RETRY_AFTER = 5
_ERROR_TYPES = ("text/html", "application/problem+json", "application/json", "text/plain")


def _render(
    status: int, title: str, detail: str, extra: dict[str, object] | None = None
) -> Response:
    best = request.accept_mimetypes.best_match(_ERROR_TYPES, default="text/plain")
    # a client asking for any JSON flavour (JSON-LD included) gets problem+json
    if best not in ("text/html", "text/plain") or _wants_json():
        doc = {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            **(extra or {}),
        }
        resp = Response(
            json.dumps(doc, ensure_ascii=False), status=status, mimetype="application/problem+json"
        )
    elif best == "text/html":
        resp = Response(_page(status, title, detail), status=status, mimetype="text/html")
        resp.vary.add("Accept-Language")
    else:
        resp = Response(f"{status} {title}: {detail}\n", status=status, mimetype="text/plain")
    resp.vary.add("Accept")
    return resp


#: What each status means, for people, in the page's language (the heading and a first line);
#: the specific message, in English, follows it.
STATUS_TEXT = {
    400: (("Ungültige Anfrage", "Bad request"),
          ("Die Anfrage kann so nicht beantwortet werden.",
           "The request cannot be answered as it is.")),
    403: (("Nicht erlaubt", "Forbidden"),
          ("Das ist hier nicht erlaubt.", "This is not allowed here.")),
    404: (("Nicht gefunden", "Not found"),
          ("Unter dieser Adresse gibt es nichts. Die Startseite führt zu allem, was hier "
           "veröffentlicht ist.",
           "There is nothing at this address. The home page leads to everything published "
           "here.")),
    405: (("Methode nicht erlaubt", "Method not allowed"),
          ("Diese Adresse nimmt diese Art von Anfrage nicht an.",
           "This address does not take this kind of request.")),
    406: (("Kein passendes Format", "Not acceptable"),
          ("Keines der angefragten Formate wird hier angeboten.",
           "None of the formats asked for is offered here.")),
    408: (("Zeit abgelaufen", "Request timeout"),
          ("Die Anfrage kam nicht rechtzeitig an.", "The request did not arrive in time.")),
    413: (("Zu groß", "Too large"),
          ("Die Daten sind größer als erlaubt.", "The data is larger than allowed.")),
    414: (("Adresse zu lang", "URL too long"),
          ("Die Adresse ist zu lang. Lange Abfragen lassen sich mit POST senden.",
           "The address is too long. Long queries can be sent with POST.")),
    415: (("Format nicht unterstützt", "Unsupported format"),
          ("Die Daten sind in einem Format, das hier nicht gelesen wird.",
           "The data is in a format not read here.")),
    429: (("Zu viele Anfragen", "Too many requests"),
          ("Bitte warten Sie einen Moment und versuchen Sie es erneut.",
           "Please wait a moment and try again.")),
    500: (("Interner Fehler", "Internal error"),
          ("Der Server konnte diese Anfrage nicht beantworten.",
           "The server could not answer this request.")),
    503: (("Gerade nicht verfügbar", "Unavailable"),
          ("Der Dienst ist gerade ausgelastet oder nicht erreichbar. Bitte versuchen Sie es "
           "gleich noch einmal.",
           "The service is busy or unreachable just now. Please try again shortly.")),
}  # fmt: skip


def _page(status: int, title: str, detail: str) -> str | bytes:
    """The error page on the site's own template (menu, language switch), in one language: the
    heading and what the status means in the reader's language; the specific message follows,
    marked as English where the page is German."""
    lang = choose_language()
    known = STATUS_TEXT.get(status)
    heading = known[0][lang != "de"] if known else title  # (English for every other language)
    meaning = known[1][lang != "de"] if known else None
    if meaning and detail.rstrip(".") == meaning.rstrip("."):
        detail = ""
    try:
        urls = Urls.for_request(current_site().settings)
        here = (request.script_root or "") + request.path
        return render_page(
            "error.html",
            urls,
            lang,
            switch={other: f"{here}?lang={other}" for other in current_site().languages},
            status=status,
            heading=heading,
            meaning=meaning,
            detail=detail,
        )
    except Exception:  # the plain page, should the site's template itself be what failed
        log.exception("the error page could not be rendered")
        return render_template(
            "error-plain.html", status=status, heading=heading, detail=detail, lang=lang
        )


def _wants_json() -> bool:
    accept = request.accept_mimetypes
    best_html = accept["text/html"]
    return any(
        accept[m] > best_html
        for m in ("application/json", "application/ld+json", "application/problem+json")
    )


def handle_http(err: HTTPException) -> Response:
    status = err.code or 500
    extra: dict[str, object] = {}
    if isinstance(err, RequestEntityTooLarge):
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        err = RequestEntityTooLarge(f"The request body is larger than the limit of {limit} bytes.")
    if isinstance(err, NotAcceptableError):
        extra["offered"] = err.offered
    resp = _render(status, err.name, err.description or err.name, extra)
    for key, value in err.get_headers():
        if key.lower() not in ("content-type", "content-length"):
            resp.headers[key] = value
    return resp


def handle_imagraph(err: ImagraphError) -> Response:
    if err.status == 500:
        log.error("imagraph error: %s", err)
        return _render(500, "Internal Server Error", "The server could not answer this request.")
    resp = _render(err.status, _reason(err.status), str(err))
    if isinstance(err, StoreUnavailableError):
        resp.headers["Retry-After"] = str(RETRY_AFTER)
    elif isinstance(err, DumpNotReadyError) or getattr(err, "retry_after", None):
        resp.headers["Retry-After"] = str(err.retry_after)  # type: ignore[attr-defined]
    return resp


def _reason(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, "Error")


def handle_unexpected(err: Exception) -> Response:
    if isinstance(err, HTTPException):
        return handle_http(err)
    if isinstance(err, (BodyParseError, NoMoreData)):  # a form body the server cannot decode
        return handle_http(BadRequest(f"The request body cannot be read: {err}."))
    log.exception("unexpected error on %s", request.path)
    return handle_http(InternalServerError("The server could not answer this request."))


def limit_url() -> None:
    env = request.environ
    if len(env.get("PATH_INFO", "")) + len(env.get("QUERY_STRING", "")) > MAX_URL_LENGTH:
        raise RequestURITooLarge(f"The URL is longer than {MAX_URL_LENGTH} characters.")


_CORS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Link, Content-Location, Last-Modified, Vary"),
]
_PREFLIGHT = [
    ("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"),
    ("Access-Control-Allow-Headers",
     "Accept, Accept-Language, If-None-Match, If-Modified-Since, Content-Type"),
    ("Access-Control-Max-Age", "86400"),
]  # fmt: skip


class Cors:
    """WSGI middleware: CORS headers on every answer, the preflight ones on ``OPTIONS``.

    Added where the status line is sent, so that no answer (errors included) goes without them,
    at no cost per request beyond two list items."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        extra = _CORS + _PREFLIGHT if environ.get("REQUEST_METHOD") == "OPTIONS" else _CORS

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            names = {name.lower() for name, _ in headers}
            headers.extend(h for h in extra if h[0].lower() not in names)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(ImagraphError, handle_imagraph)
    app.register_error_handler(Exception, handle_unexpected)
