"""Serialising triples for the web: every RDF format, JSON-LD compacted with our context."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from .. import formats
from ..errors import ImagraphError
from ..formats import Format
from ..namespaces import PREFIXES
from . import negotiation

CONTEXT_VERSION = "v1"
CONTEXT_PATH = f"context/{CONTEXT_VERSION}.jsonld"


@lru_cache(maxsize=4)
def context_document(ontology_dir: Path) -> dict[str, Any]:
    """The published JSON-LD context (``ontology/context/v1.jsonld``)."""
    with (ontology_dir / "context" / f"{CONTEXT_VERSION}.jsonld").open(encoding="utf-8") as f:
        return json.load(f)  # type: ignore[no-any-return]


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
    triples: Iterable[ox.Triple], fmt: Format, *, context_url: str, context: dict[str, Any]
) -> bytes:
    """Triples in ``fmt``; JSON-LD is compacted with our context, referenced by URL.
    :class:`formats.NotRepresentableError` for triple terms in JSON-LD."""
    triples = list(triples)
    formats.check_carries(fmt, triples)
    if fmt.media_type == negotiation.JSONLD.media_type:
        nquads = (ox.serialize(triples, format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8")
        expanded = jsonld.from_rdf(nquads, {"format": "application/n-quads"})
        compacted = jsonld.compact(
            expanded, context_url, {"documentLoader": local_loader(context_url, context)}
        )
        return json.dumps(compacted, ensure_ascii=False, indent=1).encode("utf-8")
    return ox.serialize(triples, format=fmt.oxigraph, prefixes=PREFIXES) or b""
