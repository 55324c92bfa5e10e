"""Stored queries: TOML files in ``queries/`` with a title and a description in each of the
site's languages and the SPARQL query: one ``query`` for all of them, or a ``[query]`` table with
a text per language where the query picks labels in the reader's language. Each is listed on the
query page and runnable at its own URL."""

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
        """The title, description or query in ``lang``, else in the site's first language."""
        values: dict[str, str] = getattr(self, field)
        return values.get(lang) or next(iter(values.values()))


def load(folder: Path, languages: tuple[str, ...]) -> dict[str, StoredQuery]:
    """Every ``*.toml`` in ``folder``, by file stem, each text in ``languages`` (the first
    first); a malformed file is an error naming it."""
    queries: dict[str, StoredQuery] = {}
    if not folder.is_dir():
        return queries
    for path in sorted(folder.glob("*.toml")):
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise BadInputError(f"{path}: {err}") from None
        if isinstance(doc.get("query"), str):
            doc["query"] = dict.fromkeys(languages, doc["query"])
        texts = {}
        for key in ("title", "description", "query"):
            value = doc.get(key)
            if not isinstance(value, dict) or not all(
                isinstance(value.get(lang), str) for lang in languages
            ):
                raise BadInputError(
                    f"{path}: needs a title and a description in each of the site's languages "
                    f"({', '.join(languages)}), and a query (one text, or one per language)"
                )
            texts[key] = {lang: value[lang] for lang in languages}
        queries[path.stem] = StoredQuery(path.stem, **texts)
    return queries
