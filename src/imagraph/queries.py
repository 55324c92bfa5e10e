"""Stored queries: TOML files in ``queries/`` with a title and a description in German and
English and the SPARQL query: one ``query`` for both languages, or a ``[query]`` table with a
``de`` and an ``en`` text where the query picks labels in the reader's language. Each is listed
on the query page and runnable at its own URL."""

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
    #: the query text by language (the same text for both where it does not pick labels)
    query: dict[str, str]

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
        if isinstance(doc.get("query"), str):
            doc["query"] = {"de": doc["query"], "en": doc["query"]}
        langs = [
            k
            for k in ("title", "description", "query")
            if k in doc and not (isinstance(doc[k], dict) and {"de", "en"} <= set(doc[k]))
        ]
        if missing or langs:
            raise BadInputError(
                f"{path}: needs title and description in de and en, and a query (one text, or "
                "one in de and one in en)"
            )
        queries[path.stem] = StoredQuery(path.stem, doc["title"], doc["description"], doc["query"])
    return queries
