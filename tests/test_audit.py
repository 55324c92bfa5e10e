"""The corrections of the 2026-12 fact audit (``shared/domain/facts-audit-2026-12.md``), each
pinned on the bundled files as rdflib reads them (independently of the store)."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

BASE = "https://w3id.org/imanoeb/"
IMO = "https://w3id.org/imanoeb/ontology#"
SCHEMA = "https://schema.org/"
DCT = "http://purl.org/dc/terms/"


def u(path: str) -> URIRef:
    return URIRef(BASE + path)


def test_e1_the_bmftr_is_the_renamed_bmbf_not_a_new_body(data_graph):
    bmftr = u("org/bmftr")
    assert list(data_graph.objects(bmftr, URIRef(SCHEMA + "foundingDate"))) == []
    former = u("former-name/bmbf")
    assert (bmftr, URIRef(IMO + "formerName"), former) in data_graph
    assert (
        former,
        URIRef(SCHEMA + "endDate"),
        Literal("2025-05-06", datatype=XSD.date),
    ) in data_graph
    names = set(data_graph.objects(former, URIRef(SCHEMA + "name")))
    assert Literal("Bundesministerium für Bildung und Forschung", lang="de") in names
    assert Literal("Federal Ministry of Education and Research", lang="en") in names


def test_e3_the_founding_date_is_the_constituent_session_and_the_disagreement_is_stated(data_graph):
    committee = u("org/ima-noeb")
    founding = URIRef(SCHEMA + "foundingDate")
    assert list(data_graph.objects(committee, founding)) == [
        Literal("2022-08", datatype=XSD.gYearMonth)
    ]
    statements = [
        s
        for s in data_graph.subjects(RDF.subject, committee)
        if (s, RDF.predicate, founding) in data_graph
    ]
    assert len(statements) == 1
    (statement,) = statements
    assert (statement, URIRef(IMO + "confidence"), URIRef(IMO + "reported")) in data_graph
    comment = " ".join(str(c) for c in data_graph.objects(statement, RDFS.comment))
    assert "25 August 2021" in comment and "June 2022" in comment


def test_e4_ministers_took_office_on_the_day_of_their_appointment(data_graph):
    day = Literal("2025-05-06", datatype=XSD.date)
    assert (u("membership/faeser-bmi"), URIRef(SCHEMA + "endDate"), day) in data_graph
    assert (u("membership/dobrindt-bmi"), URIRef(SCHEMA + "startDate"), day) in data_graph
    assert (u("membership/reiche-bmwe"), URIRef(SCHEMA + "startDate"), day) in data_graph


def test_e5_the_opening_speakers_of_14_october_2025_are_reported(data_graph):
    for who in ("bmi", "bmwe"):
        node = u(f"participation/2025-10-14-{who}")
        assert list(data_graph.objects(node, URIRef(IMO + "confidence"))) == [
            URIRef(IMO + "reported")
        ]


def test_e9_the_logo_sentence_is_a_comment_not_a_logo(data_graph):
    assert list(data_graph.objects(u("org/ima-noeb"), URIRef(SCHEMA + "logo"))) == []


def test_e10_the_bmi_item_of_7_july_2025_is_inferred(data_graph):
    item = u("document/bmi-2025-07-07-zweites-stakeholdertreffen")
    assert list(data_graph.objects(item, URIRef(IMO + "confidence"))) == [URIRef(IMO + "inferred")]


def test_e11_the_seed_article_has_its_real_title(data_graph):
    titles = [str(t) for t in data_graph.objects(u("source/s35"), URIRef(DCT + "title"))]
    assert titles == [
        "Second Stakeholder Meeting for the Digital Twin Initiative for Federal and Municipal "
        "Administration Announced"
    ]


def test_date_times_carry_their_time_zone(data_graph):
    times = [
        o for o in data_graph.objects() if isinstance(o, Literal) and o.datatype == XSD.dateTime
    ]
    assert times
    assert all(str(t).endswith("+02:00") for t in times), times
