"""Every shape: a conformant example (the minimal graph) and a non-conformant one.

Each case applies one SPARQL Update to a copy of ``tests/data/minimal.ttl`` and asserts the exact
focus node, path and German and English messages of the result the shape under test reports.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from imagraph.validation import ValidationResult, validate

from .conftest import SITE_PREFIXES, TESTS

IMSH = "https://w3id.org/imanoeb/shapes#"
EX = "https://example.org/t/"
PROLOGUE = """
PREFIX imo: <https://w3id.org/imanoeb/ontology#>
PREFIX ex: <https://example.org/t/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""

# (shape, SPARQL Update breaking it, focus node, path as reported, or None for node-level)
CASES = [
    ("SourcedResource-source", "DELETE DATA { ex:person dct:source ex:src }", "person", "dct:source"),
    ("SourcedResource-confidence", "INSERT DATA { ex:person imo:confidence imo:reported }", "person", "imo:confidence"),
    ("SourceDocument-url", "DELETE DATA { ex:src schema:url <https://example.org/page> }", "src", "schema:url"),
    ("SourceDocument-title", 'DELETE DATA { ex:src dct:title "Quelle"@de }', "src", "dct:title"),
    ("SourceDocument-publisher", "INSERT DATA { ex:src dct:publisher ex:land }", "src", "dct:publisher"),
    ("SourceDocument-language", 'DELETE { ex:src dct:language ?l } INSERT { ex:src dct:language "de" } WHERE { ex:src dct:language ?l }', "src", "dct:language"),
    ("SourceDocument-issued", 'DELETE { ex:src dct:issued ?d } INSERT { ex:src dct:issued "12.03.2025" } WHERE { ex:src dct:issued ?d }', "src", "dct:issued"),
    ("Organization-prefLabel", 'DELETE DATA { ex:publisher skos:prefLabel "Verlag" ; schema:name "Verlag" }', "publisher", "skos:prefLabel"),
    ("Organization-name", 'DELETE DATA { ex:publisher schema:name "Verlag" }', "publisher", "schema:name"),
    ("Organization-standardType", "DELETE DATA { ex:publisher a org:FormalOrganization }", "publisher", "rdf:type"),
    ("BilingualOrganization-de", 'DELETE DATA { ex:land skos:prefLabel "Land"@de ; schema:name "Land"@de }', "land", "skos:prefLabel"),
    ("BilingualOrganization-en", 'DELETE DATA { ex:land skos:prefLabel "Land"@en ; schema:name "Land"@en }', "land", "skos:prefLabel"),
    ("Municipality-ags", 'DELETE DATA { ex:town imo:ags "03461002" } ; INSERT DATA { ex:town imo:ags "0346100X" }', "town", "imo:ags"),
    ("Municipality-land", "DELETE DATA { ex:town imo:withinLand ex:land }", "town", "imo:withinLand"),
    ("District-key", 'DELETE DATA { ex:district imo:districtKey "03461" . ex:town org:subOrganizationOf ex:district } ; INSERT DATA { ex:district imo:districtKey "03461000" }', "district", "imo:districtKey"),
    ("District-land", "DELETE DATA { ex:district imo:withinLand ex:land }", "district", "imo:withinLand"),
    ("MunicipalityKeyInDistrict-ags", 'DELETE DATA { ex:town imo:ags "03461002" } ; INSERT DATA { ex:town imo:ags "03462002" }', "town", "imo:ags"),
    ("Committee-foundingDate", 'DELETE DATA { ex:committee schema:foundingDate "2021-08-25"^^xsd:date }', "committee", "schema:foundingDate"),
    ("Committee-chair", "DELETE DATA { ex:chair org:role imo:chair } ; INSERT DATA { ex:chair org:role imo:votingMember }", "committee", "org:hasMembership"),
    ("Person-name", 'DELETE DATA { ex:person foaf:name "Erika Muster" ; schema:name "Erika Muster" }', "person", "foaf:name"),
    ("Person-schemaName", 'DELETE DATA { ex:person schema:name "Erika Muster" } ; INSERT DATA { ex:person schema:name "E. Muster" }', "person", "schema:name"),
    ("Membership-member", "DELETE DATA { ex:chair org:member ex:ministry }", "chair", "org:member"),
    ("Membership-organization-range", "DELETE DATA { ex:chair org:organization ex:committee } ; INSERT DATA { ex:chair org:organization ex:topic }", "chair", "org:organization"),
    ("Membership-role-range", "DELETE DATA { ex:chair org:role imo:chair } ; INSERT DATA { ex:chair org:role imo:confirmed . ex:committee org:hasMembership [ org:role imo:chair ] }", "chair", "org:role"),
    ("Membership-period", 'DELETE DATA { ex:chair schema:endDate "2025-05-06"^^xsd:date } ; INSERT DATA { ex:chair schema:endDate "2020-01-01"^^xsd:date }', "chair", "schema:startDate"),
    ("Meeting-nameDe", 'DELETE DATA { ex:meeting schema:name "Treffen"@de }', "meeting", "schema:name"),
    ("Meeting-nameEn", 'INSERT DATA { ex:meeting schema:name "Another meeting"@en }', "meeting", "schema:name"),
    ("Meeting-startDate", 'DELETE DATA { ex:meeting schema:startDate "2024-09-19T09:30:00"^^xsd:dateTime } ; INSERT DATA { ex:meeting schema:startDate "19.09.2024" }', "meeting", "schema:startDate"),
    ("Meeting-endDate", 'INSERT DATA { ex:meeting schema:endDate "2024-09-19T17:00:00"^^xsd:dateTime }', "meeting", "schema:endDate"),
    ("Meeting-endAfterStart", 'DELETE DATA { ex:meeting schema:endDate "2024-09-19T16:30:00"^^xsd:dateTime } ; INSERT DATA { ex:meeting schema:endDate "2024-09-18T16:30:00"^^xsd:dateTime }', "meeting", "schema:startDate"),
    ("Meeting-precision", "DELETE DATA { ex:meeting imo:datePrecision imo:dayPrecision }", "meeting", "imo:datePrecision"),
    ("Meeting-organizer", "DELETE DATA { ex:meeting schema:organizer ex:committee }", "meeting", "schema:organizer"),
    ("Meeting-location-range", "DELETE DATA { ex:meeting schema:location ex:place } ; INSERT DATA { ex:meeting schema:location ex:audience }", "meeting", "schema:location"),
    ("Meeting-attendanceMode", "DELETE DATA { ex:meeting schema:eventAttendanceMode schema:OfflineEventAttendanceMode } ; INSERT DATA { ex:meeting schema:eventAttendanceMode schema:Hybrid }", "meeting", "schema:eventAttendanceMode"),
    ("Meeting-audience-range", "DELETE DATA { ex:meeting schema:audience ex:audience } ; INSERT DATA { ex:meeting schema:audience ex:place }", "meeting", "schema:audience"),
    ("Meeting-about-range", "DELETE DATA { ex:meeting schema:about ex:topic } ; INSERT DATA { ex:meeting schema:about ex:instrument }", "meeting", "schema:about"),
    ("Meeting-subEvent-range", "INSERT DATA { ex:meeting schema:subEvent ex:place }", "meeting", "schema:subEvent"),
    ("Meeting-standardType", "DELETE DATA { ex:meeting a schema:Event }", "meeting", "rdf:type"),
    ("MeetingKind", "INSERT DATA { ex:meeting a imo:CommitteeSession }", "meeting", None),
    ("MeetingDateMatchesPrecision", "DELETE DATA { ex:meeting imo:datePrecision imo:dayPrecision } ; INSERT DATA { ex:meeting imo:datePrecision imo:monthPrecision }", "meeting", None),
    ("AgendaItem-nameDe", 'DELETE DATA { ex:item schema:name "Punkt"@de }', "item", "schema:name"),
    ("AgendaItem-nameEn", 'DELETE DATA { ex:item schema:name "Item"@en }', "item", "schema:name"),
    ("AgendaItem-superEvent", "INSERT DATA { ex:item schema:superEvent ex:meeting2 . ex:meeting2 schema:subEvent ex:item }", "item", "schema:superEvent"),
    ("AgendaItem-listedByMeeting", "DELETE DATA { ex:meeting schema:subEvent ex:item }", "item", "^schema:subEvent"),
    ("AgendaItem-position", "DELETE DATA { ex:item schema:position 1 } ; INSERT DATA { ex:item schema:position 0 }", "item", "schema:position"),
    ("AgendaItem-startDate", 'DELETE DATA { ex:item schema:startDate "2024-09-19"^^xsd:date }', "item", "schema:startDate"),
    ("AgendaItem-location", "DELETE DATA { ex:item schema:location ex:place }", "item", "schema:location"),
    ("AgendaItem-organizer", "DELETE DATA { ex:item schema:organizer ex:committee }", "item", "schema:organizer"),
    ("AgendaItem-about", "DELETE DATA { ex:item schema:about ex:child }", "item", "schema:about"),
    ("Participation-agent", "DELETE DATA { ex:participation prov:agent ex:person }", "participation", "prov:agent"),
    ("Participation-role-range", "DELETE DATA { ex:participation prov:hadRole imo:openingSpeaker } ; INSERT DATA { ex:participation prov:hadRole imo:confirmed }", "participation", "prov:hadRole"),
    ("Participation-meeting", "DELETE DATA { ex:meeting prov:qualifiedAssociation ex:participation }", "participation", "^prov:qualifiedAssociation"),
    ("ParticipationDirectLink-agent", "DELETE DATA { ex:meeting prov:wasAssociatedWith ex:person }", "participation", "prov:agent"),
    ("Announcement-issued", 'DELETE { ex:announcement dct:issued ?d } INSERT { ex:announcement dct:issued "Juli 2025" } WHERE { ex:announcement dct:issued ?d }', "announcement", "dct:issued"),
    ("Announcement-title", 'DELETE DATA { ex:announcement dct:title "Ankündigung"@de }', "announcement", "dct:title"),
    ("Announcement-publisher", "DELETE DATA { ex:announcement dct:publisher ex:ministry }", "announcement", "dct:publisher"),
    ("Announcement-about-range", "DELETE DATA { ex:announcement schema:about ex:meeting } ; INSERT DATA { ex:announcement schema:about ex:topic }", "announcement", "schema:about"),
    ("Place-name", 'DELETE DATA { ex:place schema:name "Konferenzzentrum"@de }', "place", "schema:name"),
    ("Audience-typeDe", 'DELETE DATA { ex:audience schema:audienceType "Verwaltung"@de }', "audience", "schema:audienceType"),
    ("Audience-typeEn", 'DELETE DATA { ex:audience schema:audienceType "administration"@en }', "audience", "schema:audienceType"),
    ("FormerName-name", 'DELETE DATA { ex:oldname schema:name "Altes Ministerium"@de }', "oldname", "schema:name"),
    ("FormerName-endDate", 'DELETE DATA { ex:oldname schema:endDate "2025-05-06"^^xsd:date } ; INSERT DATA { ex:oldname schema:endDate "2025-05"^^xsd:gYearMonth }', "oldname", "schema:endDate"),
    ("FormerName-owner", "DELETE DATA { ex:ministry imo:formerName ex:oldname }", "oldname", "^imo:formerName"),
    ("Instrument-nameDe", 'DELETE DATA { ex:instrument schema:name "Programm"@de }', "instrument", "schema:name"),
    ("Instrument-nameEn", 'DELETE DATA { ex:instrument schema:name "Programme"@en }', "instrument", "schema:name"),
    ("Topic-prefLabelDe", 'DELETE DATA { ex:child skos:prefLabel "Unterthema"@de }', "child", "skos:prefLabel"),
    ("Topic-prefLabelEn", 'DELETE DATA { ex:child skos:prefLabel "Subtopic"@en }', "child", "skos:prefLabel"),
    ("Topic-prefLabelUnique", 'INSERT DATA { ex:child skos:prefLabel "Noch ein Name"@de }', "child", "skos:prefLabel"),
    ("Topic-definitionDe", 'DELETE DATA { ex:child skos:definition "Ein Unterthema."@de }', "child", "skos:definition"),
    ("Topic-definitionEn", 'DELETE DATA { ex:child skos:definition "A subtopic."@en }', "child", "skos:definition"),
    ("Topic-inScheme", "DELETE DATA { ex:child skos:inScheme ex:scheme }", "child", "skos:inScheme"),
    ("Topic-notation", 'DELETE DATA { ex:child skos:notation "T01" } ; INSERT DATA { ex:child skos:notation "X1" }', "child", "skos:notation"),
    ("Topic-narrowerMirrorsBroader", "DELETE DATA { ex:topic skos:narrower ex:child }", "topic", "^skos:broader"),
    ("Topic-standardType", "DELETE DATA { ex:child a skos:Concept }", "child", "rdf:type"),
    ("TopicNoCycle-broader", "INSERT DATA { ex:topic skos:broader ex:child . ex:child skos:narrower ex:topic }", "topic", "skos:broader"),
    ("TopConcept", "DELETE DATA { ex:topic skos:topConceptOf ex:scheme }", "topic", None),
    ("ConceptScheme-labelDe", 'DELETE DATA { ex:scheme skos:prefLabel "Themen"@de }', "scheme", "skos:prefLabel"),
    ("ConceptScheme-labelEn", 'DELETE DATA { ex:scheme skos:prefLabel "Topics"@en }', "scheme", "skos:prefLabel"),
    ("ConceptScheme-top", "DELETE DATA { ex:scheme skos:hasTopConcept ex:topic }", "scheme", "skos:hasTopConcept"),
    ("Statement-subject", "INSERT DATA { ex:statement rdf:subject ex:item }", "statement", "rdf:subject"),
    ("Statement-predicate", 'DELETE DATA { ex:statement rdf:predicate schema:startDate } ; INSERT DATA { ex:statement rdf:predicate "startDate" }', "statement", "rdf:predicate"),
    ("Statement-object", 'DELETE DATA { ex:statement rdf:object "2024-09-19T09:30:00"^^xsd:dateTime }', "statement", "rdf:object"),
    ("Statement-confidence", "DELETE DATA { ex:statement imo:confidence imo:reported }", "statement", "imo:confidence"),
    ("Statement-source", "DELETE DATA { ex:statement dct:source ex:src }", "statement", "dct:source"),
    ("StatementAsserted-predicate", 'DELETE DATA { ex:statement rdf:object "2024-09-19T09:30:00"^^xsd:dateTime } ; INSERT DATA { ex:statement rdf:object "2024-09-20T09:30:00"^^xsd:dateTime }', "statement", "rdf:predicate"),
    ("Membership-organization", "DELETE DATA { ex:chair org:organization ex:committee }", "chair", "org:organization"),
    ("Membership-role", "DELETE DATA { ex:chair org:role imo:chair }", "chair", "org:role"),
    ("Meeting-location", "INSERT DATA { ex:meeting schema:location ex:place2 . ex:place2 a schema:Place }", "meeting", "schema:location"),
    ("Meeting-about", "DELETE DATA { ex:meeting schema:about ex:topic }", "meeting", "schema:about"),
    ("Participation-role", "DELETE DATA { ex:participation prov:hadRole imo:openingSpeaker }", "participation", "prov:hadRole"),
    ("Announcement-about", "DELETE DATA { ex:announcement schema:about ex:meeting }", "announcement", "schema:about"),
    # the range shapes (imanoeb-range.ttl): a link to a resource that is not what it must be
    ("SourcedResource-source-range", "DELETE { ex:person dct:source ex:src } INSERT { ex:person dct:source ex:undescribed } WHERE {}", "person", "dct:source"),
    ("SourceDocument-publisher-range", "DELETE { ex:src dct:publisher ex:publisher } INSERT { ex:src dct:publisher ex:undescribed } WHERE {}", "src", "dct:publisher"),
    ("Municipality-land-range", "DELETE { ex:town imo:withinLand ex:land } INSERT { ex:town imo:withinLand ex:undescribed } WHERE {}", "town", "imo:withinLand"),
    ("District-land-range", "DELETE { ex:district imo:withinLand ex:land } INSERT { ex:district imo:withinLand ex:undescribed } WHERE {}", "district", "imo:withinLand"),
    ("Membership-member-range", "DELETE { ex:chair org:member ex:ministry } INSERT { ex:chair org:member ex:undescribed } WHERE {}", "chair", "org:member"),
    ("Meeting-organizer-range", "DELETE { ex:meeting schema:organizer ex:committee } INSERT { ex:meeting schema:organizer ex:undescribed } WHERE {}", "meeting", "schema:organizer"),
    ("AgendaItem-superEvent-range", "INSERT DATA { ex:item schema:superEvent ex:undescribed }", "item", "schema:superEvent"),
    ("Participation-agent-range", "DELETE { ex:participation prov:agent ex:person } INSERT { ex:participation prov:agent ex:undescribed } WHERE {}", "participation", "prov:agent"),
    ("Participation-meeting-range", "DELETE { ex:meeting prov:qualifiedAssociation ex:participation } INSERT { ex:undescribed prov:qualifiedAssociation ex:participation } WHERE {}", "participation", "^prov:qualifiedAssociation"),
    ("Announcement-publisher-range", "DELETE { ex:announcement dct:publisher ex:ministry } INSERT { ex:announcement dct:publisher ex:undescribed } WHERE {}", "announcement", "dct:publisher"),
    ("FormerName-owner-range", "DELETE { ex:ministry imo:formerName ex:oldname } INSERT { ex:undescribed imo:formerName ex:oldname } WHERE {}", "oldname", "^imo:formerName"),
    ("Topic-inScheme-range", "DELETE { ex:child skos:inScheme ex:scheme } INSERT { ex:child skos:inScheme ex:undescribed } WHERE {}", "child", "skos:inScheme"),
    ("Statement-source-range", "DELETE { ex:statement dct:source ex:src } INSERT { ex:statement dct:source ex:undescribed } WHERE {}", "statement", "dct:source"),
]  # fmt: skip


# Cases whose mutation necessarily breaks a second shape on the same focus node.
ALSO_TRIGGERS = {
    "Meeting-startDate",  # the day precision then has no date: MeetingDateMatchesPrecision
    "Meeting-precision",  # MeetingDateMatchesPrecision
    "MeetingDateMatchesPrecision",
    "AgendaItem-superEvent",  # the second meeting is not typed, and lists it: listedByMeeting
    "Statement-subject",  # the second subject lacks the triple: StatementAsserted
    "Statement-predicate",  # a literal predicate matches no triple: StatementAsserted
    "Statement-object",  # no object: StatementAsserted has nothing to match either
    "Person-name",
    "AgendaItem-superEvent-range",  # an undescribed meeting lists no item: listedByMeeting
    "Participation-agent-range",  # the meeting's direct link names another agent
    "Participation-meeting-range",  # no meeting links the participation directly
    "Membership-role",  # the committee then has no chair: Committee-chair (on the committee)
}


@pytest.fixture(scope="module")
def minimal(ontology_graph: Graph) -> Graph:
    g = Graph().parse(TESTS / "data" / "minimal.ttl")
    for t in ontology_graph:
        g.add(t)
    return g


def run(graph: Graph, shapes: Graph) -> ValidationResult:
    copy = Graph()
    for t in graph:
        copy.add(t)
    return validate(copy, shapes, SITE_PREFIXES)


def constraint_shapes(shapes: Graph) -> set[str]:
    """Shapes that carry a constraint themselves: property shapes and node shapes with a
    node-level constraint (sh:or, sh:xone, …)."""
    found = {str(s) for s in shapes.subjects(RDF.type, SH.PropertyShape) if isinstance(s, URIRef)}
    for s in shapes.subjects(RDF.type, SH.NodeShape):
        if any(shapes.value(s, p) is not None for p in (SH["or"], SH.xone, SH["and"], SH["not"])):
            found.add(str(s))
    return found


def test_minimal_graph_conforms_and_is_a_target_of_every_shape(minimal, shapes_graph):
    result = run(minimal, shapes_graph)
    assert result.conforms, [v.message("en") for v in result.results]
    # every class or objects-of target matches at least one node, so the positive case is real
    for shape in shapes_graph.subjects(RDF.type, SH.NodeShape):
        targets = list(shapes_graph.objects(shape, SH.targetClass))
        if not targets:
            continue
        assert any(next(minimal.subjects(RDF.type, cls), None) is not None for cls in targets), (
            f"{shape} targets nothing in the minimal graph"
        )


def test_every_constraint_shape_has_a_failing_case(shapes_graph):
    covered = {IMSH + name for name, *_ in CASES}
    assert constraint_shapes(shapes_graph) - covered == set()
    assert covered - constraint_shapes(shapes_graph) == set()


def test_every_constraint_shape_has_a_german_and_an_english_message(shapes_graph):
    for shape in constraint_shapes(shapes_graph):
        langs = {m.language for m in shapes_graph.objects(URIRef(shape), SH.message)}
        assert {"de", "en"} <= langs, shape


@pytest.mark.parametrize(("shape", "update", "focus", "path"), CASES, ids=[c[0] for c in CASES])
def test_shape_reports_the_violation(minimal, shapes_graph, shape, update, focus, path):
    graph = Graph()
    for t in minimal:
        graph.add(t)
    graph.update(PROLOGUE + update)
    result = validate(graph, shapes_graph, SITE_PREFIXES)
    assert not result.conforms
    shape_iri = URIRef(IMSH + shape)
    mine = [v for v in result.results if v.shape == shape_iri and v.focus == URIRef(EX + focus)]
    assert all(v.shape == shape_iri for v in result.results if v.focus == URIRef(EX + focus)) or (
        shape in ALSO_TRIGGERS
    ), f"{shape}: other shapes fired on ex:{focus} too"
    others = sorted({str(v.shape) for v in result.results})
    # one result per failing constraint component of the shape (e.g. sh:nodeKind and sh:pattern)
    assert mine, f"expected a result of {shape} on ex:{focus}; got shapes {others}"
    for violation in mine:
        assert violation.path == path
        assert violation.severity == "Violation"
        for lang in ("de", "en"):
            expected = [
                m for m in shapes_graph.objects(shape_iri, SH.message) if m.language == lang
            ]
            assert isinstance(expected[0], Literal)
            assert violation.messages[lang] == str(expected[0])
