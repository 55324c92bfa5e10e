"""Confidence a researcher can ask about: what a query that reads only a resource's own label
shows, statement records that override it, and the DQV reading of the labels."""

from __future__ import annotations

from collections import defaultdict

from rdflib import URIRef
from rdflib.namespace import RDF

BASE = "https://w3id.org/imanoeb/"
IMO = BASE + "ontology#"
SCHEMA = "https://schema.org/"
CONFIDENCE = URIRef(IMO + "confidence")
RANK = {URIRef(IMO + "inferred"): 0, URIRef(IMO + "reported"): 1, URIRef(IMO + "confirmed"): 2}
DATES = {URIRef(SCHEMA + "startDate"), URIRef(SCHEMA + "endDate")}


def test_no_meeting_or_membership_is_labelled_more_certain_than_its_dates(data_graph):
    """A query that reads only the resource's own label never shows a date as more certain than
    it is: where a date is weaker, the resource takes its label and what is stronger says so in
    its own statement record."""
    dated = set(data_graph.subjects(RDF.type, URIRef(SCHEMA + "Event"))) | set(
        data_graph.subjects(RDF.type, URIRef("http://www.w3.org/ns/org#Membership"))
    )
    stronger = []
    for statement in data_graph.subjects(RDF.type, RDF.Statement):
        subject = data_graph.value(statement, RDF.subject)
        if subject in dated and data_graph.value(statement, RDF.predicate) in DATES:
            own = data_graph.value(subject, CONFIDENCE)
            if RANK[own] > RANK[data_graph.value(statement, CONFIDENCE)]:
                stronger.append(subject)
    assert stronger == []


def test_a_naive_query_shows_no_reported_day_as_confirmed(core):
    rows = core.store.query(
        "SELECT ?meeting ?start WHERE { ?meeting a imo:Meeting ; schema:startDate ?start ; "
        "imo:confidence imo:confirmed }"
    ).rows()
    found = {r["meeting"].value.removeprefix(BASE + "meeting/"): r["start"].value for r in rows}
    # 19 Sep 2024 and 14 Oct 2025: each day rests on one trade source
    assert found == {
        "2022-08-constituent-session": "2022-08",
        "2024-06-annual-session": "2024-06",
        "2025-03-11-stakeholder": "2025-03-11",
    }
    # what two sources give of 14 Oct 2025 is confirmed by its own statement record
    months = core.store.query(
        "SELECT ?month WHERE { ?st rdf:subject ?meeting ; rdf:predicate dct:date ; "
        "rdf:object ?month ; imo:confidence imo:confirmed . "
        "?meeting a imo:Meeting }"
    ).rows()
    assert {r["month"].value for r in months} == {"2024-09", "2025-10"}


def test_one_label_per_statement(data_graph):
    """No triple carries two statement records that disagree."""
    labels = defaultdict(set)
    for statement in data_graph.subjects(RDF.type, RDF.Statement):
        triple = tuple(data_graph.value(statement, p) for p in (RDF.subject, RDF.predicate))
        labels[(*triple, data_graph.value(statement, RDF.object))].add(
            data_graph.value(statement, CONFIDENCE)
        )
    assert {t: levels for t, levels in labels.items() if len(levels) > 1} == {}


DQV_ONLY = """
PREFIX dqv: <http://www.w3.org/ns/dqv#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
SELECT ?predicate ?body WHERE {
  ?has rdfs:subPropertyOf* dqv:hasQualityAnnotation .
  ?statement rdf:subject <https://w3id.org/imanoeb/meeting/2025-10-14-network> ;
             rdf:predicate ?predicate ; ?has ?annotation .
  ?annotation a dqv:QualityAnnotation ; oa:motivatedBy dqv:qualityAssessment ;
              oa:hasBody [ rdf:value ?body ] .
  FILTER (LANG(?body) = "en")
}"""


def test_a_dqv_client_reads_the_labels_as_quality_annotations(core):
    assert "imo:" not in DQV_ONLY and IMO not in DQV_ONLY
    bodies = {
        r["predicate"].value.rsplit("/", 1)[1]: r["body"].value
        for r in core.store.query(DQV_ONLY).rows()
    }
    assert bodies["startDate"] == "Stated by one secondary source (trade blog, press) only."
    assert bodies["date"].startswith("Stated by an official publisher")
