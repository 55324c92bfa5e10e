"""View models for HTML pages, built from a resource's description (never HTML by hand)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox

from ..instance import Instance
from ..labels import Labels, is_label_property, label_rank
from ..namespaces import PREFIXES, SCHEMA, compact
from ..store import MAX_INCOMING, bind
from .urls import Urls

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
RDF_STATEMENT = ox.NamedNode(PREFIXES["rdf"] + "Statement")
RDF_SUBJECT = ox.NamedNode(PREFIXES["rdf"] + "subject")
RDF_PREDICATE = ox.NamedNode(PREFIXES["rdf"] + "predicate")
RDF_OBJECT = ox.NamedNode(PREFIXES["rdf"] + "object")
DCT_SOURCE = ox.NamedNode(PREFIXES["dct"] + "source")
RDFS_COMMENT = ox.NamedNode(PREFIXES["rdfs"] + "comment")
POSITION = ox.NamedNode(PREFIXES["schema"] + "position")

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass
class Value:
    text: str
    href: str | None = None
    iri: str | None = None  # the resource a link value names
    lang: str | None = None
    datatype: str | None = None
    confidence: str | None = None  # a statement-level label, if any
    note: str | None = None
    sources: list[tuple[str, str | None]] = field(default_factory=list)  # (label, href)
    parts: list[tuple[str, str]] = field(default_factory=list)  # a blank node's (property, value)


@dataclass
class Row:
    iri: str  # the property
    label: str
    href: str | None  # where the property's name links to
    values: list[Value]


@dataclass
class ResourcePage:
    iri: str
    title: str
    types: list[Value]
    confidence: str | None
    rows: list[Row]
    incoming: list[Row]
    #: The query page listing every link to the resource, when the description holds as many
    #: as it may (:data:`store.MAX_INCOMING`): there may be more.
    all_incoming: str | None
    shown_incoming: int
    sources: list[Value]
    schema_org: dict[str, Any] | None


class Labeller:
    """Labels for IRIs: from the description itself, else from the vocabularies, else compact."""

    def __init__(self, site: Instance, triples: Iterable[ox.Triple], lang: str) -> None:
        self.site = site
        self.lang = lang
        self.found = Labels(site.languages).add_triples(triples)

    def __call__(self, iri: str) -> str:
        label = self.found.get(iri, self.lang) or self.site.term_label(iri, self.lang)
        if label:
            return label
        base = self.site.settings.base_iri
        return iri[len(base) :] if iri.startswith(base) else compact(iri, self.site.prefixes)


#: Every link to a resource (the query behind "all links" on a page that shows the first ones).
ALL_INCOMING = (
    "SELECT ?link ?property WHERE { VALUES ?this { $this } ?link ?property ?this "
    "FILTER(isIRI(?link)) } ORDER BY ?property ?link"
)


def confidence_label(site: Instance, term: Term | None, lang: str) -> str | None:
    if isinstance(term, ox.NamedNode):
        return site.term_label(term.value, lang)
    return None


def resource_page(
    site: Instance, iri: str, triples: list[ox.Triple], urls: Urls, lang: str
) -> ResourcePage:
    node = ox.NamedNode(iri)
    label = Labeller(site, triples, lang)
    vocabulary = site.settings.config.vocabulary
    # the site's confidence property, if it has one (a property no triple has, if not)
    confidence = vocabulary.confidence or "urn:imagraph:no-confidence"
    # one pass over the description (each term read from a triple is a new object)
    by_subject: dict[Term, list[ox.Triple]] = {}
    linking: list[ox.Triple] = []  # links to the resource from others
    positions: dict[str, int] = {}  # the order of linked resources that have one (agenda items)
    for t in triples:
        subject, o = t.subject, t.object
        by_subject.setdefault(subject, []).append(t)
        if o == node:
            if isinstance(subject, ox.NamedNode) and subject != node:
                linking.append(t)
        elif (
            isinstance(o, ox.Literal)
            and t.predicate == POSITION
            and o.value.lstrip("-").isascii()
            and o.value.lstrip("-").isdigit()
        ):
            # pyoxigraph's stubs let a subject be a triple term, which RDF 1.2 does not
            positions[subject.value] = int(o.value)  # type: ignore[union-attr]

    # statements about this resource that carry their own confidence
    qualified: dict[tuple[str, Term], Value] = {}
    for s, ts in by_subject.items():
        if not isinstance(s, ox.BlankNode) or not any(
            t.predicate == RDF_TYPE and t.object == RDF_STATEMENT for t in ts
        ):
            continue
        props = {t.predicate.value: t.object for t in ts}
        if props.get(RDF_SUBJECT.value) != node:
            continue
        predicate, obj = props.get(RDF_PREDICATE.value), props.get(RDF_OBJECT.value)
        if not isinstance(predicate, ox.NamedNode) or obj is None:
            continue
        comment = [term_text(t.object) for t in ts if t.predicate == RDFS_COMMENT]
        cited = [_source(t.object, label, urls) for t in ts if t.predicate == DCT_SOURCE]
        qualified[(predicate.value, obj)] = Value(
            "",
            confidence=confidence_label(site, props.get(confidence), lang),
            note=comment[0] if comment else None,
            sources=cited,
        )

    def value(term: Term, predicate: str | None = None) -> Value:
        if isinstance(term, ox.NamedNode):
            v = Value(label(term.value), href=urls.href(term.value), iri=term.value)
        elif isinstance(term, ox.BlankNode):
            parts = [
                (label(t.predicate.value), _plain(t.object, label))
                for t in by_subject.get(term, [])
            ]
            v = Value("", parts=parts)
        elif isinstance(term, ox.Triple):  # RDF 1.2, from a store written by others: as text
            v = Value(triple_text(term))
        else:
            datatype = term.datatype.value if not term.language else None
            v = Value(
                term.value,
                lang=term.language or None,
                datatype=compact(datatype, site.prefixes)
                if datatype and not datatype.endswith("#string")
                else None,
            )
        if predicate is not None and (predicate, term) in qualified:
            q = qualified[(predicate, term)]
            v.confidence, v.note, v.sources = q.confidence, q.note, q.sources
        return v

    rows: dict[str, Row] = {}
    types: list[Value] = []
    sources: list[Value] = []
    resource_confidence = None
    for t in by_subject.get(node, []):
        p = t.predicate.value
        if p == RDF_TYPE.value:
            types.append(value(t.object))
        elif p == confidence:
            resource_confidence = confidence_label(site, t.object, lang)
        elif p == DCT_SOURCE.value:
            sources.append(value(t.object, p))
        else:
            if p not in rows:
                rows[p] = Row(p, label(p), urls.href(p), [])
            rows[p].values.append(value(t.object, p))
    incoming: dict[str, Row] = {}
    for t in linking:
        p = t.predicate.value
        if p not in incoming:
            # a link read backwards is named as such: "has sub-organisation" on the parent
            name = site.term_label(p, lang, inverse=True) or f"← {label(p)}"
            incoming[p] = Row(p, name, urls.href(p), [])
        incoming[p].values.append(value(t.subject))
    all_incoming = None
    if len(linking) >= MAX_INCOMING:
        query = bind(ALL_INCOMING, this=node)
        all_incoming = urls.url("sparql") + "?" + urlencode({"query": query})
    # linked resources in their own order where they have one, else by name
    last = len(positions) + 1_000_000
    for r in (*rows.values(), *incoming.values()):
        r.values.sort(
            key=lambda v: (
                v.lang not in (lang, None),
                positions.get(v.iri or "", last),
                v.text.lower(),
            )
        )
    return ResourcePage(
        iri=iri,
        title=label(iri),
        types=_distinct(sorted(types, key=lambda v: v.text.lower())),
        confidence=resource_confidence,
        rows=sorted(_without_repeated_names(rows), key=lambda r: r.label.lower()),
        incoming=sorted(incoming.values(), key=lambda r: r.label.lower()),
        all_incoming=all_incoming,
        shown_incoming=len(linking),
        sources=sorted(sources, key=lambda v: v.text.lower()),
        schema_org=schema_org(iri, by_subject.get(node, []), label, urls, vocabulary.events),
    )


def _distinct(values: list[Value]) -> list[Value]:
    """Values with the same text once (foaf:Organization and schema:Organization are both
    "organisation" to a reader)."""
    seen: set[str] = set()
    out = []
    for v in values:
        if v.text not in seen:
            seen.add(v.text)
            out.append(v)
    return out


def _without_repeated_names(rows: dict[str, Row]) -> list[Row]:
    """The rows, less a name row that repeats an earlier one word for word (schema:name beside
    skos:prefLabel, foaf:name beside schema:name): the data states both for different clients,
    a reader needs one."""
    seen: list[set[tuple[str, str | None]]] = []
    out = []
    for p, row in sorted(rows.items(), key=lambda item: label_rank(item[0])):
        if is_label_property(p):
            names = {(v.text, v.lang) for v in row.values}
            if names in seen:
                continue
            seen.append(names)
        out.append(row)
    return out


def _plain(term: Term, label: Labeller) -> str:
    return label(term.value) if isinstance(term, ox.NamedNode) else term_text(term)


def _source(term: Term, label: Labeller, urls: Urls) -> tuple[str, str | None]:
    """A statement's source: its label and where it links to (a triple term as text)."""
    if isinstance(term, ox.Triple):
        return triple_text(term), None
    return label(term.value), urls.href(term.value)


def term_text(term: Term) -> str:
    """A term's value, or a triple term as it is written."""
    return triple_text(term) if isinstance(term, ox.Triple) else term.value


def triple_text(term: ox.Triple) -> str:
    """An RDF 1.2 triple term as it is written (``<<( s p o )>>``), for showing as text."""
    return f"<<( {term} )>>"


_SCHEMA_TYPES = {
    PREFIXES["schema"] + "Event": "Event",
    PREFIXES["foaf"] + "Organization": "Organization", PREFIXES["foaf"] + "Person": "Person",
    PREFIXES["skos"] + "Concept": "DefinedTerm", PREFIXES["foaf"] + "Document": "WebPage",
    PREFIXES["schema"] + "Place": "Place",
}  # fmt: skip


def schema_org(
    iri: str, own: list[ox.Triple], label: Labeller, urls: Urls, events: tuple[str, ...] = ()
) -> dict[str, Any] | None:
    """Plain schema.org JSON-LD for search engines (an Event for instances of the site's event
    classes)."""
    types = [
        t.object.value
        for t in own
        if t.predicate == RDF_TYPE and not isinstance(t.object, ox.Triple)
    ]
    kinds = {**dict.fromkeys(events, "Event"), **_SCHEMA_TYPES}
    kind = next((kinds[t] for t in types if t in kinds), None)
    if kind is None:
        return None
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": kind,
        "@id": iri,
        "url": urls.href(iri),
        "name": label(iri),
    }
    s = str(SCHEMA)
    for t in own:
        p = t.predicate.value
        if (
            kind == "Event"
            and p in (s + "startDate", s + "endDate")
            and isinstance(t.object, ox.Literal)
        ):
            doc[p.removeprefix(s)] = t.object.value
        elif (
            kind == "Event"
            and p in (s + "location", s + "organizer", s + "about")
            and isinstance(t.object, ox.NamedNode)
        ):
            entry = {"@id": t.object.value, "name": label(t.object.value)}
            if p == s + "location":
                entry["@type"] = "Place"
            doc.setdefault(p.removeprefix(s), []).append(entry)
        elif p == s + "eventAttendanceMode" and isinstance(t.object, ox.NamedNode):
            doc["eventAttendanceMode"] = t.object.value
    return doc
