"""Serialising triples for the web: every RDF format, JSON-LD compacted with our context."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from .. import formats
from ..errors import ImagraphError
from ..formats import Format
from . import negotiation

CONTEXT_VERSION = "v1"
CONTEXT_PATH = f"context/{CONTEXT_VERSION}.jsonld"


def context_document(ontology_dir: Path, prefixes: dict[str, str]) -> dict[str, Any]:
    """The published JSON-LD context: the site's ``ontology/context/v1.jsonld``, else one made
    of its prefixes (terms as prefixed names, ``id`` and ``type`` for ``@id`` and ``@type``)."""
    path = ontology_dir / "context" / f"{CONTEXT_VERSION}.jsonld"
    if not path.is_file():
        return {"@context": {"@version": 1.1, **prefixes, "id": "@id", "type": "@type"}}
    try:
        with path.open(encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError) as err:
        raise ImagraphError(f"{path}: not a JSON-LD context ({err})") from None
    if not isinstance(document, dict) or not isinstance(document.get("@context"), dict):
        raise ImagraphError(f"{path}: not a JSON-LD context (no @context object)")
    return document


def local_loader(context_url: str, context: dict[str, Any]) -> Any:
    """A pyld document loader that knows our context and refuses every other URL."""

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url == context_url:
            return {
                "contentType": "application/ld+json",
                "contextUrl": None,
                "documentUrl": url,
                "document": context,
            }
        raise ImagraphError(f"remote JSON-LD context {url!r} is not fetched")

    return load


def serialize(
    triples: Iterable[ox.Triple],
    fmt: Format,
    *,
    context_url: str,
    context: dict[str, Any],
    prefixes: dict[str, str],
) -> bytes:
    """Triples in ``fmt``; JSON-LD is compacted with our context, referenced by URL.
    :class:`~imagraph.errors.NotRepresentableError` for triple terms in JSON-LD."""
    triples = list(triples)
    formats.check_carries(fmt, triples)
    if fmt.media_type == negotiation.JSONLD.media_type:
        nquads = (ox.serialize(triples, format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8")
        expanded = jsonld.from_rdf(nquads, {"format": "application/n-quads"})
        compacted = jsonld.compact(
            expanded, context_url, {"documentLoader": local_loader(context_url, context)}
        )
        return json.dumps(compacted, ensure_ascii=False, indent=1).encode("utf-8")
    return ox.serialize(triples, format=fmt.oxigraph, prefixes=prefixes) or b""
