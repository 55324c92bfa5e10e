"""One place renders every error, imagraph's family (:mod:`imagraph.errors`) and Werkzeug's own
(routing's 404 and 405, the 413 of ``MAX_CONTENT_LENGTH``): an HTML page for browsers,
``application/problem+json`` (RFC 9457) for JSON clients, the error's own documents where it has
some (a refused write's SHACL report as Turtle), plain text otherwise; ``Retry-After`` from the
error. A client never sees a traceback. CORS headers go on everything."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
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

from ..errors import ImagraphError
from . import current_instance
from .negotiation import choose_language
from .pages import render_page
from .urls import Urls

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 4096
PROBLEM_JSON = "application/problem+json"
#: What an error is answered in, the first for a client that names none of them (none: plain).
_FORMS = ("text/html", PROBLEM_JSON, "application/json", "text/plain")
#: What an error with documents of its own is answered in: for programs first (a write's).
_DOCUMENT_FORMS = (PROBLEM_JSON, "application/json", "text/html", "text/plain")
_JSON_TYPES = ("application/json", "application/ld+json", PROBLEM_JSON)


@dataclass
class Problem:
    """An error as it is answered (the members of RFC 9457, and what goes beside them)."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    members: dict[str, object] = field(default_factory=dict)
    #: other forms by media type (a refused write's SHACL report as Turtle)
    documents: dict[str, bytes] = field(default_factory=dict)
    headers: list[tuple[str, str]] = field(default_factory=list)
    #: a longer text for people (a refused write's report), on the page and in plain text
    explanation: str | None = None


def render(problem: Problem) -> Response:
    """The answer for ``problem`` in the form the client asks for."""
    accept = request.accept_mimetypes
    forms = _DOCUMENT_FORMS if problem.documents else _FORMS
    offered = (*forms, *problem.documents)
    best = accept.best_match(offered, default=forms[0] if problem.documents else "text/plain")
    if best in problem.documents:
        resp = Response(problem.documents[best], status=problem.status, mimetype=best)
    elif best not in ("text/html", "text/plain") or _wants_json():
        # a client asking for any JSON flavour (JSON-LD included) gets problem+json
        doc = {
            "type": problem.type,
            "title": problem.title,
            "status": problem.status,
            "detail": problem.detail,
            **problem.members,
        }
        body = json.dumps(doc, ensure_ascii=False)
        resp = Response(body, status=problem.status, mimetype=PROBLEM_JSON)
    elif best == "text/html":
        page = _page(problem.status, problem.title, problem.detail, problem.explanation)
        resp = Response(page, status=problem.status, mimetype="text/html")
        resp.vary.add("Accept-Language")
    else:
        text = f"{problem.status} {problem.title}: {problem.detail}\n"
        if problem.explanation:
            text += "\n" + problem.explanation
        resp = Response(text, status=problem.status, mimetype="text/plain")
    for key, value in problem.headers:
        resp.headers[key] = value
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
    422: (("Nicht angenommen", "Not accepted"),
          ("Die Anfrage ist verständlich, kann so aber nicht ausgeführt werden.",
           "The request is understood, but cannot be carried out as it is.")),
    429: (("Zu viele Anfragen", "Too many requests"),
          ("Bitte warten Sie einen Moment und versuchen Sie es erneut.",
           "Please wait a moment and try again.")),
    500: (("Interner Fehler", "Internal error"),
          ("Der Server konnte diese Anfrage nicht beantworten.",
           "The server could not answer this request.")),
    502: (("Fehler des Speichers", "Store error"),
          ("Der Datenspeicher hinter diesem Dienst hat mit einem Fehler geantwortet.",
           "The data store behind this service answered with an error.")),
    503: (("Gerade nicht verfügbar", "Unavailable"),
          ("Der Dienst ist gerade ausgelastet oder nicht erreichbar. Bitte versuchen Sie es "
           "gleich noch einmal.",
           "The service is busy or unreachable just now. Please try again shortly.")),
}  # fmt: skip


def _page(status: int, title: str, detail: str, explanation: str | None = None) -> str | bytes:
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
        urls = Urls.for_request(current_instance().settings)
        here = (request.script_root or "") + request.path
        return render_page(
            "error.html",
            urls,
            lang,
            switch={other: f"{here}?lang={other}" for other in current_instance().languages},
            status=status,
            heading=heading,
            meaning=meaning,
            detail=detail,
            explanation=explanation,
        )
    except Exception:  # the plain page, should the site's template itself be what failed
        log.exception("the error page could not be rendered")
        return render_template(
            "error-plain.html", status=status, heading=heading, detail=detail, lang=lang
        )


def _wants_json() -> bool:
    accept = request.accept_mimetypes
    best_html = accept["text/html"]
    return any(accept[m] > best_html for m in _JSON_TYPES)


def handle_http(err: HTTPException) -> Response:
    """Werkzeug's own errors (and those views raise): their status, name and description."""
    if isinstance(err, RequestEntityTooLarge):
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        err = RequestEntityTooLarge(f"The request body is larger than the limit of {limit} bytes.")
    headers = [
        (key, value)
        for key, value in err.get_headers()
        if key.lower() not in ("content-type", "content-length")
    ]
    status = err.code or 500
    return render(Problem(status, err.name, err.description or err.name, headers=headers))


def handle_imagraph(err: ImagraphError) -> Response:
    """An error of imagraph's family: all it says comes from its class (and the instance)."""
    if err.status == 500:
        log.error("imagraph error: %s", err)
        hidden = "The server could not answer this request."  # (the message is for the log)
        return render(Problem(500, err.title, hidden, err.type))
    lang = choose_language()
    problem = Problem(
        err.status,
        err.title,
        str(err),
        err.type,
        err.members(lang),
        err.documents(),
        explanation=err.explanation(lang),
    )
    if err.retry_after is not None:
        problem.headers.append(("Retry-After", str(err.retry_after)))
    return render(problem)


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


class EveryAnswer:
    """WSGI middleware: the headers every answer carries: CORS (the preflight ones on
    ``OPTIONS``) and ``security`` (see :data:`imagraph.web.SECURITY_HEADERS`).

    Added where the status line is sent, so that no answer (errors included) goes without them,
    at no cost per request beyond a few list items; a header the answer has already is kept."""

    def __init__(self, app: Any, security: dict[str, str]) -> None:
        self.app = app
        self._every = [*_CORS, *security.items()]
        self._preflight = [*self._every, *_PREFLIGHT]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        extra = self._preflight if environ.get("REQUEST_METHOD") == "OPTIONS" else self._every

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            names = {name.lower() for name, _ in headers}
            headers.extend(h for h in extra if h[0].lower() not in names)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(ImagraphError, handle_imagraph)
    app.register_error_handler(Exception, handle_unexpected)
