"""Where IRIs and URLs meet: request paths map to IRIs under the base; IRIs under the base map
back to URLs of this server (its public URL, or the host of the request)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import request

from ..settings import Settings


@dataclass(frozen=True)
class Urls:
    """IRI/URL mapping for one request."""

    base_iri: str
    root: str  # absolute URL of this server's root, ending in "/"

    @classmethod
    def for_request(cls, settings: Settings) -> Urls:
        root = settings.public_url or request.host_url
        script = request.script_root.strip("/")
        if not settings.public_url and script:
            root = root.rstrip("/") + "/" + script + "/"
        return cls(settings.base_iri, root)

    def iri(self, path: str) -> str:
        """The IRI a request path names."""
        return self.base_iri + path.lstrip("/")

    def local(self, iri: str) -> str | None:
        """The URL of this server that serves ``iri``, or None for IRIs outside the base."""
        if iri.startswith(self.base_iri):
            return self.root + quote(iri[len(self.base_iri) :], safe="/:@-._~!$&'()*+,;=")
        return None

    def href(self, iri: str) -> str:
        """Where a link to ``iri`` should point: here for our IRIs, else the IRI itself."""
        return self.local(iri) or iri

    def url(self, path: str) -> str:
        """An absolute URL of this server."""
        return self.root + path.lstrip("/")
