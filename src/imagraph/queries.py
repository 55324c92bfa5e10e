"""Stored queries: TOML files in ``queries/`` with a title and a description in German and
English and the SPARQL query. Each is listed on the query page and runnable at its own URL."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import BadInputError


@dataclass(frozen=True)
class StoredQuery:
    name: str
    title: dict[str, str]
    description: dict[str, str]
    query: str

    def text(self, field: str, lang: str) -> str:
        values: dict[str, str] = getattr(self, field)
        return values.get(lang) or values["en"]


def load(folder: Path) -> dict[str, StoredQuery]:
    """Every ``*.toml`` in ``folder``, by file stem; a malformed file is an error naming it."""
    queries = {}
    if not folder.is_dir():
        return queries
    for path in sorted(folder.glob("*.toml")):
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise BadInputError(f"{path}: {err}") from None
        missing = [k for k in ("query", "title", "description") if k not in doc]
        langs = [k for k in ("title", "description") if k in doc and set(doc[k]) < {"de", "en"}]
        if missing or langs:
            raise BadInputError(
                f"{path}: needs query, title and description, the latter two in de and en"
            )
        queries[path.stem] = StoredQuery(path.stem, doc["title"], doc["description"], doc["query"])
    return queries
