"""Serialising triples for the web: every RDF format, JSON-LD compacted with our context."""

from __future__ import annotations

import functools
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
from .ldcompact import Compactor, Unsupported

CONTEXT_VERSION = "v1"
CONTEXT_PATH = f"context/{CONTEXT_VERSION}.jsonld"


class JsonLdContext(dict[str, Any]):
    """A JSON-LD context document that keeps what compaction with it needs, made once."""

    @functools.cached_property
    def compactor(self) -> Compactor | None:
        """The compactor of this context; None if it needs pyld (see :mod:`.ldcompact`)."""
        processor = jsonld.JsonLdProcessor()
        options = {"processingMode": "json-ld-1.1", "base": ""}
        try:
            active = processor.process_context(
                processor._get_initial_context(options), self["@context"], options
            )
        except Exception:  # pyld says what is wrong when it compacts with this context
            return None
        return Compactor.of(active)


def context_document(ontology_dir: Path, prefixes: dict[str, str]) -> JsonLdContext:
    """The published JSON-LD context: the site's ``ontology/context/v1.jsonld``, else one made
    of its prefixes (terms as prefixed names, ``id`` and ``type`` for ``@id`` and ``@type``)."""
    path = ontology_dir / "context" / f"{CONTEXT_VERSION}.jsonld"
    if not path.is_file():
        return JsonLdContext(
            {"@context": {"@version": 1.1, **prefixes, "id": "@id", "type": "@type"}}
        )
    try:
        with path.open(encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError) as err:
        raise ImagraphError(f"{path}: not a JSON-LD context ({err})") from None
    if not isinstance(document, dict) or not isinstance(document.get("@context"), dict):
        raise ImagraphError(f"{path}: not a JSON-LD context (no @context object)")
    return JsonLdContext(document)


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
    :class:`formats.NotRepresentableError` for triple terms in JSON-LD."""
    triples = list(triples)
    formats.check_carries(fmt, triples)
    if fmt.media_type == negotiation.JSONLD.media_type:
        document = compact(triples, context_url, context)
        return json.dumps(document, ensure_ascii=False).encode("utf-8")  # C encoder: no indent
    return ox.serialize(triples, format=fmt.oxigraph, prefixes=prefixes) or b""


def compact(triples: list[ox.Triple], context_url: str, context: dict[str, Any]) -> dict[str, Any]:
    """``triples`` as JSON-LD compacted with ``context`` (referenced by ``context_url``): by the
    context's own compactor, else by pyld."""
    if not isinstance(context, JsonLdContext):
        context = JsonLdContext(context)
    if context.compactor is not None:
        try:
            return context.compactor.compact(triples, context_url)
        except Unsupported:
            pass
    return compact_with_pyld(triples, context_url, context)


def compact_with_pyld(
    triples: list[ox.Triple], context_url: str, context: dict[str, Any]
) -> dict[str, Any]:
    """``triples`` as JSON-LD compacted by pyld, from their N-Quads."""
    nquads = (ox.serialize(triples, format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8")
    expanded = jsonld.from_rdf(nquads, {"format": "application/n-quads"})
    return jsonld.compact(
        expanded, context_url, {"documentLoader": local_loader(context_url, context)}
    )
