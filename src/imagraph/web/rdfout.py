"""Serialising triples for the web: every RDF format, JSON-LD compacted with our context."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import orjson
import pyoxigraph as ox
from pyld import jsonld

from .. import formats
from ..context import CONTEXT_PATH as CONTEXT_PATH
from ..context import JsonLdContext
from ..errors import ImagraphError
from ..formats import Format
from ..ldcompact import Unsupported


def local_loader(context_url: str, context: dict[str, Any]) -> Any:
    """A pyld document loader that knows our context and refuses every other URL."""

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url == context_url:
            return {
                "contentType": formats.JSONLD.media_type,
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
    """Triples in ``fmt``; JSON-LD is compacted with our context, referenced by URL (see
    :func:`jsonld_bytes`). :class:`~imagraph.errors.NotRepresentableError` for triple terms in
    JSON-LD."""
    triples = list(triples)
    if fmt is formats.JSONLD:
        return jsonld_bytes(triples, context_url, context)
    formats.check_carries(fmt, triples)
    return ox.serialize(triples, format=fmt.oxigraph, prefixes=prefixes) or b""


def jsonld_bytes(triples: list[ox.Triple], context_url: str, context: dict[str, Any]) -> bytes:
    """``triples`` as JSON-LD compacted with ``context`` (:func:`compact`), encoded: by orjson
    (~15x quicker than the standard library's encoder) what the context's compactor makes
    (strings, lists and objects alone), by ``json`` what pyld makes (whose ``rdf:JSON`` values
    may be numbers past 64 bits, which orjson refuses). Lists nested deeper than compaction and
    encoding recurse (a few hundred lists, each the first item of the one around it), or an
    ``rdf:JSON`` value that is no JSON (``NaN``: orjson would write ``null``, ``json`` an
    invalid document) are written flat instead, expanded, every list node a node of its own:
    the same triples, by pyoxigraph."""
    flat = ox.RdfFormat.JSON_LD
    try:
        document, plain = _compacted(triples, context_url, context)
    except RecursionError:
        return ox.serialize(triples, format=flat) or b""
    try:
        if plain:
            return orjson.dumps(document)
        return json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (RecursionError, TypeError, ValueError):  # orjson's 254 levels, NaN, a surrogate …
        return ox.serialize(triples, format=flat) or b""


def compact(triples: list[ox.Triple], context_url: str, context: dict[str, Any]) -> dict[str, Any]:
    """``triples`` as JSON-LD compacted with ``context`` (referenced by ``context_url``): by the
    context's own compactor, else by pyld. :class:`~imagraph.errors.NotRepresentableError` for
    triple terms."""
    return _compacted(triples, context_url, context)[0]


def _compacted(
    triples: list[ox.Triple], context_url: str, context: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """(:func:`compact`'s document, whether the context's compactor made it)."""
    if not isinstance(context, JsonLdContext):
        context = JsonLdContext(context)
    if context.compactor is not None:
        try:
            return context.compactor.compact(triples, context_url), True
        except Unsupported:  # what only pyld does, or a triple term (the compactor sees them all)
            pass
    formats.check_carries(formats.JSONLD, triples)
    return compact_with_pyld(triples, context_url, context), False


def compact_with_pyld(
    triples: list[ox.Triple], context_url: str, context: dict[str, Any]
) -> dict[str, Any]:
    """``triples`` as JSON-LD compacted by pyld, from their N-Quads."""
    nquads = (ox.serialize(triples, format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8")
    expanded = jsonld.from_rdf(nquads, {"format": "application/n-quads"})
    compacted: dict[str, Any] = jsonld.compact(
        expanded, context_url, {"documentLoader": local_loader(context_url, context)}
    )
    return compacted
