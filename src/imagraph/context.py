"""The site's JSON-LD context, published at ``/context/v1.jsonld`` and compacted with."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from pyld import jsonld

from .errors import ImagraphError
from .ldcompact import Compactor

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
