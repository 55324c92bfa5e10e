"""The standard namespaces and prefixes imagraph knows; a site's own vocabulary comes from its
``site.toml`` (see :mod:`imagraph.site`)."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import (
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SH,
    SKOS,
    XSD,
)

SCHEMA = Namespace("https://schema.org/")

#: The standard prefixes every site offers to SPARQL queries and uses when serialising (a
#: site adds its own vocabulary's, see :attr:`imagraph.site.SiteConfig.prefixes`).
PREFIXES: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "org": str(ORG),
    "prov": str(PROV),
    "skos": str(SKOS),
    "schema": str(SCHEMA),
    "sh": str(SH),
}


def compact(iri: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """An IRI as a prefixed name where one of ``prefixes`` fits (``schema:name``), else as is."""
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


__all__ = [
    "DCTERMS", "FOAF", "ORG", "OWL", "PREFIXES", "PROV", "RDF", "RDFS", "SCHEMA", "SH", "SKOS",
    "XSD", "compact",
]  # fmt: skip
