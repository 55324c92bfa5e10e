"""Where IRIs and URLs meet: request paths map to IRIs under the base; IRIs under the base map
back to URLs of this server (its public URL, or the host of the request)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import request

from ..settings import Settings

#: Mappings already made, by what a request's root URL depends on (the same few hosts).
_MADE: dict[tuple[object, ...], Urls] = {}
_MADE_MAX = 256
#: The schemes an IRI outside the base is linked with; other IRIs are shown as text.
LINKED_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True)
class Urls:
    """IRI/URL mapping for one request."""

    base_iri: str
    root: str  # absolute URL of this server's root, ending in "/"

    @classmethod
    def for_request(cls, settings: Settings) -> Urls:
        env = request.environ
        key = (
            settings.public_url,
            settings.base_iri,
            env.get("wsgi.url_scheme"),
            env.get("HTTP_HOST"),
            env.get("SERVER_NAME"),
            env.get("SERVER_PORT"),
            env.get("SCRIPT_NAME"),
        )
        found = _MADE.get(key)
        if found is None:
            root = settings.public_url or request.host_url
            script = request.script_root.strip("/")
            if not settings.public_url and script:
                root = root.rstrip("/") + "/" + script + "/"
            found = cls(settings.base_iri, root)
            if len(_MADE) < _MADE_MAX:  # bounded: the Host header is the client's to choose
                _MADE[key] = found
        return found

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
