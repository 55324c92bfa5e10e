"""What a thing is called: one ranking of label properties and one language fallback, for pages,
validation reports and vocabulary terms alike."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import pyoxigraph as ox

from .namespaces import PREFIXES

#: Properties whose values name a resource, the preferred first.
LABEL_PROPERTIES = tuple(
    ox.NamedNode(PREFIXES[p] + local)
    for p, local in (
        ("skos", "prefLabel"),
        ("schema", "name"),
        ("foaf", "name"),
        ("dct", "title"),
        ("rdfs", "label"),
    )
)
_RANK = {p.value: rank for rank, p in enumerate(LABEL_PROPERTIES)}


def label_rank(predicate: str) -> int:
    """Where a property ranks among the label properties (0 the best; others after them)."""
    return _RANK.get(predicate, len(_RANK))


def is_label_property(predicate: str) -> bool:
    return predicate in _RANK


def in_language(
    labels: Mapping[str, str], lang: str, languages: tuple[str, ...] = ()
) -> str | None:
    """The label (by language tag, ``""`` for none) to show a reader of ``lang``: in ``lang``,
    else the site's first language, else English, else one without a language, else any."""
    if not labels:
        return None
    for key in (lang, *languages[:1], "en", ""):
        if key in labels:
            return labels[key]
    return next(iter(labels.values()))


class Labels:
    """The labels of some resources, by IRI and language: of each language, the value of the
    best-ranked label property (:data:`LABEL_PROPERTIES`; others rank after them)."""

    def __init__(self, languages: tuple[str, ...] = ()) -> None:
        self.languages = languages
        #: IRI → language → label, and the rank of the property each was given by
        self._labels: dict[str, dict[str, str]] = {}
        self._ranks: dict[str, dict[str, int]] = {}

    def add(self, subject: str, predicate: str, label: ox.Literal) -> None:
        self._keep(subject, label_rank(predicate), label)

    def _keep(self, subject: str, rank: int, label: ox.Literal) -> None:
        ranks = self._ranks.setdefault(subject, {})
        key = label.language or ""
        if rank < ranks.get(key, len(_RANK) + 1):
            ranks[key] = rank
            self._labels.setdefault(subject, {})[key] = label.value

    def add_triples(self, triples: Iterable[ox.Triple]) -> Labels:
        """Add the labels among ``triples`` (those of a label property)."""
        for t in triples:
            rank = _RANK.get(t.predicate.value)
            if rank is not None and isinstance(t.object, ox.Literal):
                # pyoxigraph's stubs let a subject be a triple term, which RDF 1.2 does not
                self._keep(t.subject.value, rank, t.object)  # type: ignore[union-attr]
        return self

    def __contains__(self, iri: str) -> bool:
        return iri in self._labels

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def exactly(self, iri: str, lang: str) -> str | None:
        """The label of ``iri`` in ``lang`` itself, or None (no fallback)."""
        return self._labels.get(iri, {}).get(lang)

    def get(self, iri: str, lang: str) -> str | None:
        """The label of ``iri`` for a reader of ``lang`` (see :func:`in_language`)."""
        return in_language(self._labels.get(iri, {}), lang, self.languages)
