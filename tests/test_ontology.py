"""The ontology: documented in German and English, tied to standard terms, used consistently."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from imagraph.generate import IMO_TERMS, terms

from .conftest import ROOT, SITE_PREFIXES

IMO = terms(SITE_PREFIXES["imo"])
NS = str(IMO)


def own_terms(g: Graph) -> set[URIRef]:
    return {s for s in g.subjects() if isinstance(s, URIRef) and s.startswith(NS)}


def test_ontology_header(ontology_graph):
    onto = URIRef("https://w3id.org/imanoeb/ontology")
    assert (onto, RDF.type, OWL.Ontology) in ontology_graph
    for prop in (OWL.versionIRI, OWL.versionInfo, URIRef("http://purl.org/dc/terms/license")):
        assert ontology_graph.value(onto, prop) is not None, prop
    titles = {
        t.language for t in ontology_graph.objects(onto, URIRef("http://purl.org/dc/terms/title"))
    }
    assert titles == {"de", "en"}


def test_every_term_has_german_and_english_label_and_comment(ontology_graph):
    for term in own_terms(ontology_graph):
        for prop in (RDFS.label, RDFS.comment):
            langs = {v.language for v in ontology_graph.objects(term, prop)}
            assert {"de", "en"} <= langs, (term, prop)


def test_own_classes_and_properties_specialise_a_standard_term(ontology_graph):
    # properties that have no standard super-property are documented with one they relate to
    for cls in ontology_graph.subjects(RDF.type, OWL.Class):
        supers = list(ontology_graph.objects(cls, RDFS.subClassOf))
        assert supers, cls
        assert any(not s.startswith(NS) for s in supers) or all(
            any(not x.startswith(NS) for x in ontology_graph.objects(s, RDFS.subClassOf))
            for s in supers
        ), cls
    unanchored = {
        p
        for kind in (OWL.ObjectProperty, OWL.DatatypeProperty)
        for p in ontology_graph.subjects(RDF.type, kind)
        if ontology_graph.value(p, RDFS.subPropertyOf) is None
    }
    # these relate an own class to a value and have no standard super-property; each says so
    assert {str(p).removeprefix(NS) for p in unanchored} == {
        "onBehalfOf", "positionHeld", "datePrecision", "timesArePlanned", "registrationDeadline",
    }  # fmt: skip


def test_python_namespace_matches_the_ontology(ontology_graph):
    assert {str(t).removeprefix(NS) for t in own_terms(ontology_graph)} == set(IMO_TERMS)


def test_every_imo_term_used_in_data_and_shapes_is_defined(ontology_graph):
    defined = own_terms(ontology_graph)
    for folder in ("data", "shapes"):
        for path in (ROOT / folder).glob("*.ttl"):
            g = Graph().parse(path)
            used = {t for triple in g for t in triple if isinstance(t, URIRef) and t.startswith(NS)}
            assert used <= defined, (path.name, used - defined)


def test_confidence_levels_form_a_concept_scheme(ontology_graph):
    levels = set(ontology_graph.objects(IMO.confidenceLevels, SKOS.hasTopConcept))
    assert levels == {IMO.confirmed, IMO.reported, IMO.inferred}


def test_confidence_is_a_dqv_quality_annotation(ontology_graph):
    """W3C DQV: imo:confidence specialises dqv:hasQualityAnnotation, and each level is a quality
    annotation motivated by dqv:qualityAssessment whose bodies are its definition in de and en."""
    dqv, oa = "http://www.w3.org/ns/dqv#", "http://www.w3.org/ns/oa#"
    assert (IMO.confidence, RDFS.subPropertyOf, URIRef(dqv + "hasQualityAnnotation")) in (
        ontology_graph
    )
    assert (IMO.ConfidenceLevel, RDFS.subClassOf, URIRef(dqv + "QualityAnnotation")) in (
        ontology_graph
    )
    for level in (IMO.confirmed, IMO.reported, IMO.inferred):
        assert (level, RDF.type, URIRef(dqv + "QualityAnnotation")) in ontology_graph
        motivation = ontology_graph.value(level, URIRef(oa + "motivatedBy"))
        assert motivation == URIRef(dqv + "qualityAssessment")
        bodies = {
            ontology_graph.value(b, RDF.value)
            for b in ontology_graph.objects(level, URIRef(oa + "hasBody"))
        }
        assert bodies == set(ontology_graph.objects(level, SKOS.definition)), level
