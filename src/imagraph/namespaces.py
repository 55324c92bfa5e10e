"""Namespaces and prefixes used across imagraph.

The ontology's own terms are a closed namespace checked against ``ontology/`` by a test, so a typo
in code raises instead of minting a new IRI.
"""

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
    ClosedNamespace,
)

#: The persistent base under which the data is minted (the ``base_iri`` setting defaults to it).
CANONICAL_BASE = "https://w3id.org/imanoeb/"

SCHEMA = Namespace("https://schema.org/")

IMO_TERMS = (
    # classes
    "InterministerialCommittee", "WorkingGroup", "FederalMinistry", "FederalAuthority", "Land",
    "Municipality", "District", "Association", "InternationalOrganization", "Company",
    "Instrument", "FormerName", "Role", "Participation", "Meeting", "CommitteeSession",
    "StakeholderMeeting", "NetworkMeeting", "AgendaItem", "Announcement", "ConfidenceLevel",
    "Topic",
    # properties
    "formerName", "abbreviation", "ags", "districtKey", "withinLand", "onBehalfOf",
    "positionHeld", "attestedOn", "datePrecision", "timesArePlanned", "registrationDeadline",
    "alsoCalled", "confidence", "policyBasis",
    # individuals and schemes
    "confidenceLevels", "confirmed", "reported", "inferred", "datePrecisionLevels", "inverseLabel",
    "dayPrecision", "monthPrecision", "roles", "chair", "votingMember", "observer",
    "advisoryMember", "office", "openingSpeaker", "presenter", "panelTopic", "member",
    "stateSecretary", "minister", "head", "president", "projectPartner", "fellow", "teamMember",
)  # fmt: skip

IMO = ClosedNamespace(CANONICAL_BASE + "ontology#", IMO_TERMS)

#: Prefixes offered to SPARQL queries and used when serialising.
PREFIXES: dict[str, str] = {
    "imo": str(IMO),
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


def compact(iri: str) -> str:
    """An IRI as a prefixed name where one of our prefixes fits (``schema:name``), else as is."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


__all__ = [
    "CANONICAL_BASE", "DCTERMS", "FOAF", "IMO", "ORG", "OWL", "PREFIXES", "PROV", "RDF", "RDFS",
    "SCHEMA", "SH", "SKOS", "XSD", "compact",
]  # fmt: skip
