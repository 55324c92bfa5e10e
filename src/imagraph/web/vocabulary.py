"""The vocabulary pages' view model (``/ontology``, ``/shapes``): their terms for people, built
from the graph's triples (never HTML by hand; ``vocabulary.html`` draws them)."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef

from ..instance import Instance
from ..loading import to_rdflib, to_rdflib_term
from ..namespaces import PREFIXES, SH, compact
from ..validation import path_text
from . import page


def count_text(least: str | None, most: str | None, lang: str) -> str | None:
    """How many values a property shape asks for, in words."""
    de = lang == "de"
    if least and most and least == most:
        return f"genau {least}" if de else f"exactly {least}"
    parts = []
    if least and least != "0":
        parts.append(f"mindestens {least}" if de else f"at least {least}")
    if most:
        parts.append(f"höchstens {most}" if de else f"at most {most}")
    return ", ".join(parts) or None


def terms(site: Instance, triples: list[ox.Triple], lang: str) -> list[dict[str, Any]]:
    """The terms of a vocabulary's graph (``triples``) for a reader of ``lang``: each class,
    property and shape with its name, kinds and comment; a property shape also with its path
    and how many values it asks for."""
    label = page.Labeller(site, triples, lang)
    rdf_type = PREFIXES["rdf"] + "type"
    comment = PREFIXES["rdfs"] + "comment"
    message = PREFIXES["sh"] + "message"
    kinds: dict[str, list[str]] = {}
    notes: dict[str, dict[str, str]] = {}
    sh = PREFIXES["sh"]
    # a property shape, for people: the shape it belongs to, the property it is about, how many
    owner: dict[str, str] = {}
    facts: dict[str, dict[str, str]] = {}
    paths: dict[str, list[page.Term]] = {}  # one each, in a valid shapes graph
    for t in triples:
        if not isinstance(t.subject, ox.NamedNode):
            continue
        if t.predicate.value == sh + "property" and isinstance(t.object, ox.NamedNode):
            owner.setdefault(t.object.value, t.subject.value)
        elif t.predicate.value == sh + "path":
            paths.setdefault(t.subject.value, []).append(t.object)
        elif t.predicate.value in (sh + "minCount", sh + "maxCount"):
            fact = t.predicate.value[len(sh) :]
            facts.setdefault(t.subject.value, {})[fact] = page.term_text(t.object)
        if t.predicate.value == rdf_type:
            kind = page.term_text(t.object)
            kinds.setdefault(t.subject.value, []).append(site.term_label(kind, lang) or kind)
        elif t.predicate.value in (comment, message) and isinstance(t.object, ox.Literal):
            notes.setdefault(t.subject.value, {})[t.object.language or ""] = t.object.value
    path_of = PathNames(site, triples, label, lang)
    terms = []
    for iri, k in kinds.items():
        n = notes.get(iri, {})
        about = facts.get(iri, {})
        name = label(iri)
        # (several paths, which SHACL forbids, are all shown, in the order of their text)
        shown = sorted((path_of(p) for p in paths.get(iri, ())), key=lambda np: np[1])
        named = ", ".join(n for n, _ in shown) or None
        path = ", ".join(p for _, p in shown) or None
        if iri in owner and named:  # "Meeting – start" rather than "shapes#Meeting-startDate"
            name = f"{label(owner[iri])} – {named}"
        terms.append(
            {
                "iri": iri,
                "anchor": iri.rpartition("#")[2] or iri,
                "label": name,
                "kinds": sorted(set(k)),
                "comment": n.get(lang) or n.get("en") or n.get(""),
                "path": path,
                "count": count_text(about.get("minCount"), about.get("maxCount"), lang),
            }
        )
    return sorted(terms, key=lambda t: (t["kinds"], t["label"].lower(), t["iri"]))


class PathNames:
    """A property shape's path for people: its name (a property's label; a link read backwards
    named as on a resource's page, "has sub-organisation") and its SPARQL-like text
    (``^schema:subEvent``), never a blank node's id, which changes from load to load."""

    def __init__(self, site: Instance, triples: list[ox.Triple], label: page.Labeller, lang: str):
        self.site, self.triples, self.label, self.lang = site, triples, label, lang
        self.graph: Graph | None = None  # for a path that is not an IRI, in rdflib

    def __call__(self, path: page.Term) -> tuple[str, str]:
        site, lang = self.site, self.lang
        if isinstance(path, ox.NamedNode):
            text = compact(path.value, site.prefixes)
            return site.term_label(path.value, lang) or text, text
        if not isinstance(path, ox.BlankNode):  # not a path (the shapes' check says so)
            return page.term_text(path), page.term_text(path)
        if self.graph is None:
            # a path's own triples (a blank node's), less any triple term (not in a path)
            self.graph = to_rdflib(
                t
                for t in self.triples
                if isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.Triple)
            )
        node = to_rdflib_term(path)
        text = path_text(self.graph, node, site.prefixes) or ""
        inverse = list(self.graph.objects(node, SH.inversePath))
        if len(inverse) == 1 and isinstance(inverse[0], URIRef):
            p = str(inverse[0])
            return site.term_label(p, lang, inverse=True) or f"← {self.label(p)}", text
        return text, text
