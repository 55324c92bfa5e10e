"""The site's JSON-LD context, published at ``/context/v1.jsonld`` and compacted with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import ImagraphError

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
