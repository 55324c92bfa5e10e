"""Where IRIs and URLs meet: request paths map to IRIs under the base; IRIs under the base map
back to URLs of this server (its public URL, or the host of the request)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import request
from werkzeug.sansio.utils import get_host

from ..settings import Settings

#: The schemes an IRI outside the base is linked with; other IRIs are shown as text.
LINKED_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True)
class Urls:
    """IRI/URL mapping for one request."""

    base_iri: str
    root: str  # absolute URL of this server's root, ending in "/"

    @classmethod
    def for_request(cls, settings: Settings) -> Urls:
        return cls.for_environ(settings, request.environ)

    @classmethod
    def for_environ(cls, settings: Settings, env: Mapping[str, Any]) -> Urls:
        """The mapping for a request's WSGI environment."""
        return _made(
            settings.public_url,
            settings.base_iri,
            env.get("wsgi.url_scheme", "http"),
            env.get("HTTP_HOST"),
            env.get("SERVER_NAME"),
            env.get("SERVER_PORT"),
            env.get("SCRIPT_NAME", ""),
        )

    def iri(self, path: str) -> str:
        """The IRI a request path names."""
        return self.base_iri + path.lstrip("/")

    def local(self, iri: str) -> str | None:
        """The URL of this server that serves ``iri``, or None for IRIs outside the base."""
        if iri.startswith(self.base_iri):
            return self.document(iri[len(self.base_iri) :])
        return None

    def document(self, path: str) -> str:
        """The URL of a document path as the server decodes it (``ontology#term.ttl``): what
        a URL may not hold as it is (``#``, ``?``, spaces) percent-encoded."""
        return self.root + quote(path.lstrip("/"), safe="/:@-._~!$&'()*+,;=")

    def href(self, iri: str) -> str | None:
        """Where a link to ``iri`` should point: here for our IRIs, else the IRI itself if its
        scheme is one of :data:`LINKED_SCHEMES`; None for any other (shown as text: an IRI in
        the data is the data's to choose, and ``javascript:`` or ``data:`` would run as a link)."""
        local = self.local(iri)
        if local is not None:
            return local
        scheme, colon, _ = iri.partition(":")
        return iri if colon and scheme.lower() in LINKED_SCHEMES else None

    def url(self, path: str) -> str:
        """An absolute URL of this server."""
        return self.root + path.lstrip("/")


# bounded: the Host header is the client's to choose; a few hosts in practice
@functools.lru_cache(maxsize=256)
def _made(
    public_url: str | None,
    base_iri: str,
    scheme: str,
    host: str | None,
    server_name: str | None,
    server_port: str | None,
    script_name: str,
) -> Urls:
    """The mapping for a request with these parts (what its root URL depends on)."""
    if public_url:
        return Urls(base_iri, public_url)
    server = (server_name, int(server_port)) if server_name and server_port else None
    root = f"{scheme}://{get_host(scheme, host, server)}/"
    if script := script_name.strip("/"):  # (a prefix a proxy sends: made a URL's path)
        root += quote(script, safe="/:@-._~!$&'()*+,;=%") + "/"
    return Urls(base_iri, root)
