"""A response cache in front of Flask: a repeated request for a page or document is answered
from memory without passing through Flask, the routing and the response machinery.

Only what :func:`views.respond` marks as cacheable is kept: ``200`` answers to ``GET`` and
``HEAD`` of resources, pages and documents, whose content depends on nothing but the request
line and the headers in the key (the ones in ``Vary`` and those that make absolute links) and on
the data version, which is part of the key. Conditional requests (``If-None-Match``,
``If-Modified-Since``) and everything else go through Flask as usual.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..cache import VersionCache
from ..instance import Instance

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: The environ entries an answer may depend on: the request line, the negotiation headers (the
#: language cookie among them) and what makes the server's own absolute URLs (host, scheme,
#: prefix, forwarded headers).
KEY_ENTRIES = (
    "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "SCRIPT_NAME", "wsgi.url_scheme",
    "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE",
    "HTTP_COOKIE",
    "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)  # fmt: skip
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_RANGE")
MARK = "imagraph.cacheable"


class FastPath:
    """WSGI middleware: keeps up to ``size`` answers (settings' ``cache_entries``) of the
    current data version, least recently used out first."""

    def __init__(self, app: WSGIApplication, instance: Instance) -> None:
        self.app = app
        self.instance = instance
        self.size = instance.settings.cache_entries
        self._answers = VersionCache(lambda: instance.version, self.size)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if (
            self.size <= 0
            or method not in ("GET", "HEAD")
            or any(h in environ for h in CONDITIONAL)
            or environ.get("PATH_INFO", "").startswith("/static/")  # never kept, data-free
        ):
            return self.app(environ, start_response)
        try:
            self.instance.writes.notice()  # a new data version first (another worker, server)
        except Exception:  # let Flask report it
            return self.app(environ, start_response)
        version = self.instance.version
        key = tuple(environ.get(k) for k in KEY_ENTRIES)
        hit = self._answers.lookup(key)
        if hit is not None:
            body, status, headers = hit
            start_response(status, list(headers))
            return [b""] if method == "HEAD" else [body]
        captured: list[Any] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.app(environ, start)
        if not environ.get(MARK) or not captured or not captured[0].startswith("200"):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        # a HEAD answer has no body to keep; an answer made as the data changed is not kept
        if method == "GET" and self.instance.version == version:
            self._answers.remember(key, (body, captured[0], list(captured[1])))
        return [body]
