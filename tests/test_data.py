"""The bundled data: true to the fact sheet, queryable with standard vocabularies, and checked."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import ORG, RDF, SKOS, XSD

from imagraph import loading
from imagraph.store import bind

from .conftest import ROOT

BASE = "https://w3id.org/imanoeb/"
IMO = BASE + "ontology#"

# Only schema.org, W3C ORG, FOAF, SKOS, DCMI Terms and PROV terms: no imo: term anywhere.
STANDARD_MEETINGS_QUERY = """
PREFIX schema: <https://schema.org/>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?meeting ?start ?nameDe ?nameEn ?organizerName ?sourceUrl WHERE {
  ?meeting a schema:Event ;
           schema:startDate ?start ;
           schema:name ?nameDe, ?nameEn ;
           schema:organizer ?organizer ;
           dct:source ?source .
  FILTER (LANG(?nameDe) = "de" && LANG(?nameEn) = "en")
  ?organizer skos:altLabel "BMI" ; skos:prefLabel ?organizerName .
  FILTER (LANG(?organizerName) = "de")
  ?source schema:url ?sourceUrl .
  FILTER NOT EXISTS { ?meeting schema:superEvent ?whole }  # top-level events, not agenda items
  FILTER (STR(?start) IN ("2024-09-19T09:30:00+02:00", "2025-03-11", "2025-10-14"))
}
"""


def test_bundled_data_conforms_to_the_shapes(core):
    result = core.validate()
    assert result.conforms, [(str(v.focus), v.path, v.message("en")) for v in result.results]


def test_standard_vocabularies_find_the_three_meetings_with_names_bmi_and_sources(core):
    assert IMO not in STANDARD_MEETINGS_QUERY and "imo:" not in STANDARD_MEETINGS_QUERY
    rows = list(core.store.query(STANDARD_MEETINGS_QUERY).rows())
    meetings = {r["meeting"].value: r for r in rows}
    assert set(meetings) == {
        BASE + "meeting/2024-09-19-network",
        BASE + "meeting/2025-03-11-stakeholder",
        BASE + "meeting/2025-10-14-network",
    }
    for r in rows:
        assert r["organizerName"].value == "Bundesministerium des Innern"
        assert r["nameDe"].language == "de" and r["nameEn"].language == "en"
        assert r["sourceUrl"].value.startswith("https://")
    sources = {
        r["sourceUrl"].value for r in rows if r["meeting"].value.endswith("03-11-stakeholder")
    }
    assert (
        "https://bmi.bund.de/SharedDocs/kurzmeldungen/DE/2025/03/nachhaltige-beschaffung.html"
        in sources
    )


def test_a_client_listing_events_finds_date_place_and_organiser_of_every_one(core):
    """Every schema:Event (agenda items too, which take them from their meeting) has a start
    date, a place with a name and an organiser with a name, read with schema.org alone."""
    query = """
    PREFIX schema: <https://schema.org/>
    SELECT ?event (COUNT(DISTINCT ?start) AS ?starts) (COUNT(DISTINCT ?place) AS ?places)
           (COUNT(DISTINCT ?organizer) AS ?organizers) WHERE {
      ?event a schema:Event .
      OPTIONAL { ?event schema:startDate ?start }
      OPTIONAL { ?event schema:location ?place . ?place schema:name ?placeName }
      OPTIONAL { ?event schema:organizer ?organizer . ?organizer schema:name ?organizerName }
    } GROUP BY ?event"""
    rows = list(core.store.query(query).rows())
    # 5 meetings, 14 agenda items, the NKWS conference of 7 Oct 2025, the KNB's Bund–Länder
    # exchanges of 2017 and 2020
    assert len(rows) == 22
    for r in rows:
        assert int(r["starts"].value) >= 1, r["event"]
        assert int(r["places"].value) == 1, r["event"]
        assert int(r["organizers"].value) >= 1, r["event"]
    items = """
    PREFIX schema: <https://schema.org/>
    SELECT ?item WHERE {
      ?item schema:superEvent ?meeting .
      ?meeting schema:location ?place . FILTER NOT EXISTS { ?item schema:location ?place }
    }"""
    assert list(core.store.query(items).rows()) == []


# A statement's own label (rdf:Statement) wins over its resource's label.
CONFIRMED_ONLY = """
SELECT ?o WHERE {
  $s $p ?o .
  OPTIONAL { ?st a rdf:Statement ; rdf:subject $s ; rdf:predicate $p ; rdf:object ?o ;
                 imo:confidence ?statementLevel }
  OPTIONAL { $s imo:confidence ?resourceLevel }
  FILTER (COALESCE(?statementLevel, ?resourceLevel) = imo:confirmed)
}
"""


@pytest.mark.parametrize(
    ("meeting", "prop", "value", "confirmed"),
    [
        # 11 Mar 2025: the day is confirmed by the BMI
        ("2025-03-11-stakeholder", "https://schema.org/startDate", "2025-03-11", True),
        # 19 Sep 2024: day and planned times reported by one trade blog; the month is confirmed
        ("2024-09-19-network", "https://schema.org/startDate", "2024-09-19T09:30:00+02:00", False),
        ("2024-09-19-network", "http://purl.org/dc/terms/date", "2024-09", True),
        # 14 Oct 2025: the day comes from one source, the month from two
        ("2025-10-14-network", "https://schema.org/startDate", "2025-10-14", False),
        ("2025-10-14-network", "http://purl.org/dc/terms/date", "2025-10", True),
        # BMI as organiser is inferred; the IMA nöB as organiser is confirmed
        ("2025-10-14-network", "https://schema.org/organizer", BASE + "org/bmi", False),
        ("2025-10-14-network", "https://schema.org/organizer", BASE + "org/ima-noeb", True),
    ],
)
def test_confirmed_only_query(core, meeting, prop, value, confirmed):
    outcome = core.store.query(
        bind(CONFIRMED_ONLY, s=ox.NamedNode(BASE + "meeting/" + meeting), p=ox.NamedNode(prop))
    )
    values = {r["o"].value for r in outcome.rows()}
    assert (value in values) is confirmed


def test_no_digital_twin_claim_anywhere(data_graph):
    """The false "digital twin" story is stated nowhere. It appears only as the real title of
    the seed article (S35, fact audit E11), which the data calls false in its editorial note,
    and in that note."""
    pattern = re.compile(r"digital(er)?[\s-]*(twin|zwilling)|zwilling", re.IGNORECASE)
    seed = URIRef(BASE + "source/s35")
    offending = [
        (s, p, o)
        for s, p, o in data_graph
        if isinstance(o, Literal) and pattern.search(o) and s != seed
    ]
    assert offending == []
    notes = [str(n) for n in data_graph.objects(seed, SKOS.editorialNote)]
    assert any("false" in n and "not a" in n for n in notes)
    assert any("falsch" in n for n in notes)


def test_the_7_july_2025_item_is_an_announcement_not_a_meeting(data_graph):
    schema = "https://schema.org/"
    item = URIRef(BASE + "document/bmi-2025-07-07-zweites-stakeholdertreffen")
    assert (
        item,
        URIRef("http://purl.org/dc/terms/issued"),
        Literal("2025-07-07T11:16:00+02:00", datatype=XSD.dateTime),
    ) in data_graph
    assert (item, RDF.type, URIRef(schema + "Event")) not in data_graph
    starts = [
        o
        for o in data_graph.objects(None, URIRef(schema + "startDate"))
        if str(o).startswith("2025-07-07")
    ]
    assert starts == []
    # the link to the 14 Oct 2025 meeting is asserted and marked as inferred
    about = URIRef(schema + "about")
    meeting = URIRef(BASE + "meeting/2025-10-14-network")
    assert (item, about, meeting) in data_graph
    levels = {
        data_graph.value(st, URIRef(IMO + "confidence"))
        for st in data_graph.subjects(RDF.subject, item)
        if (st, RDF.predicate, about) in data_graph and (st, RDF.object, meeting) in data_graph
    }
    assert levels == {URIRef(IMO + "inferred")}


def test_dates_keep_their_precision(data_graph):
    start = URIRef("https://schema.org/startDate")
    constituent = data_graph.value(URIRef(BASE + "meeting/2022-08-constituent-session"), start)
    assert constituent == Literal("2022-08", datatype=XSD.gYearMonth)
    annual = data_graph.value(URIRef(BASE + "meeting/2024-06-annual-session"), start)
    assert annual.datatype == XSD.gYearMonth


def test_unverified_facts_are_left_out(data_graph):
    iris = {str(t) for triple in data_graph for t in triple if isinstance(t, URIRef)}
    # no QID was verified (a property's page, P440 for district keys, is documentation)
    assert not any(re.search(r"wikidata\.org/(wiki|entity)/Q\d", i) for i in iris)
    ags = URIRef(IMO + "ags")
    # Stuttgart's key stands only in copies of Wikipedia: given, and marked as reported
    stuttgart = URIRef(BASE + "org/gemeinde/stuttgart")
    assert data_graph.value(stuttgart, ags) == Literal("08111000")
    [statement] = [s for s in data_graph.subjects(RDF.subject, stuttgart)]
    assert data_graph.value(statement, RDF.predicate) == ags
    assert data_graph.value(statement, URIRef(IMO + "confidence")) == URIRef(IMO + "reported")
    assert data_graph.value(URIRef(BASE + "org/gemeinde/dornstadt"), ags) is None
    assert data_graph.value(URIRef(BASE + "org/gemeinde/03461002"), ags) == Literal("03461002")
    # the sub-working groups exist, but their names are unpublished: exactly one resource for them
    committee = URIRef(BASE + "org/ima-noeb")
    wg = [
        g
        for g in data_graph.subjects(RDF.type, URIRef(IMO + "WorkingGroup"))
        if (g, ORG.unitOf, committee) in data_graph
    ]
    assert wg == [URIRef(BASE + "org/ima-noeb-uag")]


def test_all_sixteen_ministries_with_2025_names_are_voting_members(core):
    rows = list(
        core.store.query(
            "SELECT ?m ?abbr WHERE { ?m a imo:FederalMinistry ; imo:abbreviation ?abbr . "
            "?ms org:member ?m ; org:organization ?c ; org:role imo:votingMember . "
            "?c imo:abbreviation 'IMA nöB' }"
        ).rows()
    )
    assert {r["abbr"].value for r in rows} == {
        "AA", "BMI", "BMF", "BMWE", "BMFTR", "BMJV", "BMBFSFJ", "BMAS", "BMDS", "BMVg",
        "BMLEH", "BMUKN", "BMG", "BMV", "BMWSB", "BMZ",
    }  # fmt: skip


def test_economics_ministry_keeps_its_earlier_names_with_the_date_of_change(core):
    rows = list(
        core.store.query(
            "SELECT ?abbr ?end WHERE { ?m imo:abbreviation 'BMWE' ; imo:formerName ?f . "
            "?f imo:abbreviation ?abbr . OPTIONAL { ?f schema:endDate ?end } }"
        ).rows()
    )
    assert {(r["abbr"].value, r.get("end") and r["end"].value) for r in rows} == {
        ("BMWK", "2025-05-06"),
        ("BMWi", None),
    }


def test_every_data_file_parses_the_same_in_rdflib_and_pyoxigraph():
    for path in [*sorted((ROOT / "data").glob("*.ttl")), ROOT / "ontology" / "imanoeb.ttl"]:
        by_rdflib = Graph().parse(path)
        by_oxigraph = loading.to_rdflib(loading.parse_file(path))
        assert isomorphic(by_rdflib, by_oxigraph), path


def test_every_source_is_a_document_with_an_https_or_http_url(data_graph):
    dct_source = URIRef("http://purl.org/dc/terms/source")
    url = URIRef("https://schema.org/url")
    sources = set(data_graph.objects(None, dct_source))
    assert len(sources) >= 50
    for s in sources:
        urls = list(data_graph.objects(s, url))
        assert urls and all(str(u).startswith(("http://", "https://")) for u in urls), s
