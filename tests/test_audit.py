"""The corrections of the 2026-12 fact audits (``shared/domain/facts-audit-2026-12.md`` and its
second pass, ``facts-audit-2026-12b.md``), each pinned on the bundled files as rdflib reads them
(independently of the store)."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from imagraph.validation import validate

from .conftest import SITE_PREFIXES, TESTS

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


ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"


def _labels(g, node, prop=RDFS.label) -> dict[str | None, str]:
    return {lit.language: str(lit) for lit in g.objects(node, URIRef(prop))}


def test_e2_the_bmds_names_the_six_ministries_and_two_press_sources(data_graph):
    bmds = u("org/bmds")
    comment = _labels(data_graph, bmds, RDFS.comment)["en"]
    assert "six ministries" in comment and "BMDV" in comment
    sources = set(data_graph.objects(bmds, URIRef(DCT + "source")))
    assert {u("source/s59"), u("source/s60")} <= sources
    urls = {str(data_graph.value(s, URIRef(SCHEMA + "url"))) for s in sources}
    assert any("behoerden-spiegel.de" in x for x in urls) and any(
        "tagesschau.de" in x for x in urls
    )


def test_e6_citations_say_what_they_support(data_graph):
    # second pass, E6(a): no ministry cites S28 for a name it does not state; the cabinet of
    # 6 May 2025 with its ministers' titles (S109) is cited, and the note says what it states
    source = URIRef(DCT + "source")
    for ministry in ("aa", "bmf", "bmas", "bmg", "bmvg"):
        node = u(f"org/{ministry}")
        sources = set(data_graph.objects(node, source))
        assert u("source/s109") in sources and u("source/s28") not in sources, ministry
        note = _labels(data_graph, node, SKOS + "editorialNote")
        assert "6 May 2025" in note["en"] and "not state" in note["en"] and "de" in note
        assert confidence(data_graph, node) == URIRef(IMO + "inferred")
    # the BMZ's name in May 2025 is stated by one secondary source
    bmz = u("org/bmz")
    assert set(data_graph.objects(bmz, source)) == {u("source/s110"), u("source/s41")}
    assert confidence(data_graph, bmz) == URIRef(IMO + "reported")
    declaration = u("instrument/verpflichtungserklaerung")
    issued = URIRef(DCT + "issued")
    assert data_graph.value(declaration, issued) == Literal("2013-08-07", datatype=XSD.date)
    statement = next(
        st
        for st in data_graph.subjects(RDF.subject, declaration)
        if data_graph.value(st, RDF.predicate) == issued
    )
    assert data_graph.value(statement, URIRef(DCT + "source")) == u("source/s37")
    assert data_graph.value(statement, URIRef(IMO + "confidence")) == URIRef(IMO + "reported")


def test_e7_types_and_conflations(data_graph):
    company, authority = URIRef(IMO + "Company"), URIRef(IMO + "FederalAuthority")
    assert (u("org/digitalservice"), RDF.type, company) in data_graph
    assert (u("org/digitalservice"), RDF.type, authority) not in data_graph
    assert (u("org/skew"), RDF.type, authority) not in data_graph
    assert (u("org/skew"), RDF.type, URIRef(ORG + "OrganizationalUnit")) in data_graph
    assert (
        "UEFA / EURO 2024 GmbH"
        not in _labels(data_graph, u("org/euro2024"), SKOS + "prefLabel").values()
    )
    assert not list(data_graph.triples((u("org/wikipedia-mirror"), None, None)))
    publishers = {
        data_graph.value(u(f"source/{s}"), URIRef(DCT + "publisher")) for s in ("s46", "s51", "s54")
    }
    assert len(publishers) == 3  # three sites, not one "mirror"


def test_e8_doods_belongs_to_the_lower_saxony_ministry(data_graph):
    ministry = data_graph.value(u("membership/doods-ni"), URIRef(ORG + "organization"))
    assert ministry == u("org/ni-mw")
    assert "Digitalisierung" in _labels(data_graph, ministry, SKOS + "prefLabel")["de"]
    assert (ministry, URIRef(ORG + "subOrganizationOf"), u("org/land/ni")) in data_graph


def test_m1_the_laender_carry_their_iso_codes_and_keys_are_typed_identifiers(data_graph):
    ident, pid, value = (URIRef(SCHEMA + p) for p in ("identifier", "propertyID", "value"))
    for land in ("bw", "by", "be", "hh", "ni", "nw", "rp"):
        codes = {
            str(data_graph.value(i, value))
            for i in data_graph.objects(u(f"org/land/{land}"), ident)
            if str(data_graph.value(i, pid)) == "ISO 3166-2"
        }
        assert codes == {f"DE-{land.upper()}"}
    keys = {"bw": "08", "by": "09", "be": "11", "hh": "02", "ni": "03", "nw": "05", "rp": "07"}
    for land, key in keys.items():
        found = [
            i
            for i in data_graph.objects(u(f"org/land/{land}"), ident)
            if str(data_graph.value(i, pid)) == "Länderschlüssel"
        ]
        assert [str(data_graph.value(i, value)) for i in found] == [key]
        (node,) = found
        assert (node, URIRef(IMO + "confidence"), URIRef(IMO + "reported")) in data_graph
        assert {u("source/s84"), u("source/s85")} <= set(
            data_graph.objects(node, URIRef(DCT + "source"))
        )
    district = {
        str(data_graph.value(i, value)) for i in data_graph.objects(u("org/kreis/09276"), ident)
    }
    assert district == {"09276"}


def test_m3_m4_m7_m9_missing_facts(data_graph):
    # E13 (second pass): the place is the Moabiter Werder, as the KNB writes it
    assert set(data_graph.objects(u("place/bmi-berlin"), URIRef(SCHEMA + "alternateName"))) == {
        Literal("Dienstsitz Moabiter Werder", lang="de")
    }
    assert u("source/s90") in set(data_graph.objects(u("place/bmi-berlin"), URIRef(DCT + "source")))
    comments = {str(c) for c in data_graph.objects(u("org/ima-noeb"), RDFS.comment)}
    assert any("once a year" in c for c in comments)
    for name, full in (
        (
            "bmuv",
            "Bundesministerium für Umwelt, Naturschutz, nukleare Sicherheit und Verbraucherschutz",
        ),
        ("bmfsfj", "Bundesministerium für Familie, Senioren, Frauen und Jugend"),
        ("bmwi", "Bundesministerium für Wirtschaft und Energie"),
        ("bmj", "Bundesministerium der Justiz"),  # second pass: M7 finished (S111)
    ):
        names = _labels(data_graph, u(f"former-name/{name}"), SCHEMA + "name")
        assert names["de"] == full and "en" in names
    also = set(data_graph.objects(u("meeting/2025-03-11-stakeholder"), URIRef(IMO + "alsoCalled")))
    assert Literal("forum", lang="en") in also


def test_the_decree_of_6_may_2025_is_one_change_event(data_graph):
    decree = u("event/organisational-decree-2025-05-06")
    assert (decree, RDF.type, URIRef(ORG + "ChangeEvent")) in data_graph
    before = set(data_graph.objects(decree, URIRef(ORG + "originalOrganization")))
    after = set(data_graph.objects(decree, URIRef(ORG + "resultingOrganization")))
    assert u("org/bmds") in after and u("org/bmds") not in before
    assert {
        u("org/bmftr"),
        u("org/bmbfsfj"),
        u("org/bmv"),
        u("org/bmwe"),
        u("org/bmukn"),
    } <= before & after
    assert (u("org/bmds"), URIRef(ORG + "resultedFrom"), decree) in data_graph
    assert (u("org/bmftr"), URIRef(ORG + "changedBy"), decree) in data_graph


def test_labels_in_german_and_english_where_pages_showed_iris(data_graph):
    kinds = [URIRef(ORG + "Membership"), URIRef(IMO + "Participation"), URIRef(SCHEMA + "Audience")]
    for kind in kinds:
        nodes = set(data_graph.subjects(RDF.type, kind))
        assert nodes
        for node in nodes:
            assert set(_labels(data_graph, node)) >= {"de", "en"}, node
    publishers = {
        data_graph.value(s, URIRef(DCT + "publisher"))
        for s in data_graph.subjects(RDF.type, URIRef("http://xmlns.com/foaf/0.1/Document"))
    }
    for publisher in publishers - {None}:
        assert set(_labels(data_graph, publisher, SKOS + "prefLabel")) >= {"de", "en"}, publisher
    for former in data_graph.subjects(RDF.type, URIRef(IMO + "FormerName")):
        assert set(_labels(data_graph, former, SCHEMA + "name")) >= {"de", "en"}, former


def test_m6_the_fobi_names_the_ministries_that_signed_for_their_land(data_graph):
    signer = URIRef("http://www.w3.org/ns/prov#wasAttributedTo")
    for land in ("by", "rp", "nw", "hh"):
        ministry = data_graph.value(u(f"membership/fobi-{land}"), signer)
        assert ministry is not None, land
        assert (ministry, URIRef(ORG + "subOrganizationOf"), u(f"org/land/{land}")) in data_graph
        assert data_graph.value(ministry, URIRef(DCT + "source")) == u("source/s24")


def test_m5_green_procurement_links_the_eforms_term_and_code_list(data_graph):
    see = {
        str(o) for o in data_graph.objects(u("topic/environmental-sustainability"), RDFS.seeAlso)
    }
    assert any(x.endswith("BT-774.html") for x in see)
    assert any(x.endswith("gpp-criteria.html") for x in see)
    # the SDG 12.7 IRI is unverified: a scope note, not a link
    iris = {str(t) for triple in data_graph for t in triple if isinstance(t, URIRef)}
    assert not any("metadata.un.org/sdg" in i for i in iris)


def confidence(graph, node):
    return graph.value(node, URIRef(IMO + "confidence"))


def reified(graph, subject, predicate):
    """The confidence of each statement made about (subject, predicate)."""
    return {
        graph.value(s, RDF.object): confidence(graph, s)
        for s in graph.subjects(RDF.subject, subject)
        if (s, RDF.predicate, predicate) in graph
    }


def test_n2_n24_richter_moved_to_the_bmds_confirmed_by_two_outlets(data_graph):
    ORG = "http://www.w3.org/ns/org#"
    move = u("membership/richter-bmds")
    assert data_graph.value(move, URIRef(ORG + "organization")) == u("org/bmds")
    assert data_graph.value(move, URIRef(ORG + "member")) == u("person/markus-richter")
    assert confidence(data_graph, move) == URIRef(IMO + "confirmed")
    assert set(data_graph.objects(move, URIRef(DCT + "source"))) == {
        u("source/s65"),
        u("source/s66"),
        u("source/s104"),
    }
    assert "netzpolitik.org" in str(data_graph.value(u("source/s104"), URIRef(SCHEMA + "url")))
    month = Literal("2025-05", datatype=XSD.gYearMonth)
    end = URIRef(SCHEMA + "endDate")
    assert data_graph.value(u("membership/richter-bmi"), end) == month
    assert reified(data_graph, u("membership/richter-bmi"), end) == {
        month: URIRef(IMO + "confirmed")
    }


def test_n7_the_bmi_department_renamed_and_a_third_state_secretary(data_graph):
    dept = u("org/bmi-abteilung-demokratie-gesellschaft")
    assert Literal("Abteilung Demokratie und Gesellschaft (BMI)", lang="de") in set(
        data_graph.objects(dept, URIRef(SCHEMA + "name"))
    )
    assert confidence(data_graph, dept) == URIRef(IMO + "reported")
    wueste = u("membership/wueste-bmi")
    assert data_graph.value(wueste, URIRef(SCHEMA + "startDate")) == Literal(
        "2025-09", datatype=XSD.gYearMonth
    )
    decree = " ".join(
        str(d)
        for d in data_graph.objects(
            u("event/organisational-decree-2025-05-06"), URIRef(DCT + "description")
        )
    )
    assert "sport and volunteering went from the BMI to the Federal Chancellery" in decree


def test_m2_n9_the_work4germany_partner_unit_and_team(data_graph):
    ORG = "http://www.w3.org/ns/org#"
    project = u("instrument/work4germany-nachhaltige-beschaffung")
    unit = u("org/abteilung-digitale-verwaltung")
    assert unit in set(data_graph.objects(project, URIRef(ORG + "linkedTo")))
    assert data_graph.value(unit, URIRef(ORG + "unitOf")) == u("org/bmds")
    team = {
        str(
            data_graph.value(data_graph.value(m, URIRef(ORG + "member")), URIRef(SCHEMA + "name"))
        ): (data_graph.value(m, URIRef(ORG + "role")))
        for m in data_graph.objects(project, URIRef(ORG + "hasMembership"))
    }
    assert team == {
        "Sandra Schicktanz": URIRef(IMO + "projectPartner"),
        "Anna-Careen Urban": URIRef(IMO + "fellow"),
        "Johanna Pfleger": URIRef(IMO + "teamMember"),
        "Adina Wurster": URIRef(IMO + "teamMember"),
    }


def test_n10_n11_the_circular_economy_context(data_graph):
    ag = u("org/nkws-ag-zirkulaere-beschaffung")
    assert u("source/s61") in set(data_graph.objects(ag, URIRef(DCT + "source")))
    conference = u("event/2025-10-07-nkws-conference")
    assert data_graph.value(conference, URIRef(SCHEMA + "startDate")) == Literal(
        "2025-10-07", datatype=XSD.date
    )
    organizer = URIRef(SCHEMA + "organizer")
    assert reified(data_graph, conference, organizer) == {u("org/bmukn"): URIRef(IMO + "inferred")}


def test_n12_to_n14_guideline_and_fair_trade(data_graph):
    guideline = u("instrument/hamburg-leitfaden")
    assert Literal("Nachhaltigkeitsleitfaden", lang="de") in set(
        data_graph.objects(guideline, URIRef(SCHEMA + "alternateName"))
    )
    assert data_graph.value(guideline, URIRef(DCT + "issued")) == Literal(
        "2024-11", datatype=XSD.gYearMonth
    )
    assert "340" in " ".join(data_graph.objects(guideline, URIRef(DCT + "description")))
    region = u("org/fairtraderegion-unterweser")
    description = " ".join(data_graph.objects(region, URIRef(DCT + "description")))
    assert "27 Nov 2025" in description and "Bremerhaven" in description
    assert data_graph.value(region, URIRef(SCHEMA + "foundingDate")) == Literal(
        "2017", datatype=XSD.gYear
    )
    regen = " ".join(data_graph.objects(u("org/kreis/09276"), RDFS.comment))
    assert "2019" in regen and "2021" in regen and "Rita Röhrl" in regen


def test_n15_m8_the_declaration_timeline(data_graph):
    modified = URIRef(DCT + "modified")
    declaration = u("instrument/verpflichtungserklaerung")
    assert reified(data_graph, declaration, modified) == {
        Literal("2014-12", datatype=XSD.gYearMonth): URIRef(IMO + "reported"),
        Literal("2019-05-07", datatype=XSD.date): URIRef(IMO + "reported"),
    }
    assert set(data_graph.objects(declaration, modified)) == set(
        reified(data_graph, declaration, modified)
    )


def test_n16_heads_of_the_knb_and_presidents_of_the_procurement_office(data_graph):
    ORG = "http://www.w3.org/ns/org#"
    heads = {
        str(
            data_graph.value(data_graph.value(m, URIRef(ORG + "member")), URIRef(SCHEMA + "name"))
        ): (confidence(data_graph, m))
        for m in data_graph.subjects(URIRef(ORG + "organization"), u("org/knb"))
        if data_graph.value(m, URIRef(ORG + "role")) == URIRef(IMO + "head")
    }
    assert heads == {
        "Sabine Poell": URIRef(IMO + "confirmed"),  # second pass, N23: the BeschA itself
        "Ilse Beneke": URIRef(IMO + "confirmed"),
    }
    presidents = {
        str(data_graph.value(data_graph.value(m, URIRef(ORG + "member")), URIRef(SCHEMA + "name")))
        for m in data_graph.subjects(URIRef(ORG + "organization"), u("org/bescha"))
        if data_graph.value(m, URIRef(ORG + "role")) == URIRef(IMO + "president")
    }
    assert presidents == {"Dr. Ruth Brand", "Dr. Alexander Eisvogel"}
    opened = reified(data_graph, u("org/knb"), URIRef(DCT + "available"))
    assert opened == {Literal("2012-01", datatype=XSD.gYearMonth): URIRef(IMO + "reported")}


def test_n1_n19_the_oecd_date_is_cited_and_the_rlp_project_ended(data_graph):
    founding = [
        s
        for s in data_graph.subjects(RDF.subject, u("org/ima-noeb"))
        if (s, RDF.predicate, URIRef(SCHEMA + "foundingDate")) in data_graph
    ]
    assert u("source/s86") in set(data_graph.objects(founding[0], URIRef(DCT + "source")))
    project = u("instrument/rlp-kauft-nachhaltig-ein")
    assert data_graph.value(project, URIRef(SCHEMA + "foundingDate")) == Literal(
        "2012", datatype=XSD.gYear
    )
    assert "10 Oct 2023" in " ".join(data_graph.objects(project, RDFS.comment))


# --- The second pass (facts-audit-2026-12b.md): E12-E20, the partial items, M10-M15, N22-N27 ---

ORG_NS = "http://www.w3.org/ns/org#"
PROV_NS = "http://www.w3.org/ns/prov#"
DAY = Literal("2025-05-06", datatype=XSD.date)


def sources(graph, node) -> set[URIRef]:
    return set(graph.objects(node, URIRef(DCT + "source")))


def reified_sources(graph, subject, predicate, obj) -> dict[URIRef, set[URIRef]]:
    """The confidence of each statement record of exactly this triple, with its sources."""
    return {
        confidence(graph, s): sources(graph, s)
        for s in graph.subjects(RDF.subject, subject)
        if (s, RDF.predicate, predicate) in graph and (s, RDF.object, obj) in graph
    }


def test_e12_e4_habeck_is_no_current_minister_of_the_bmwe(data_graph):
    habeck = u("membership/habeck-bmwe")
    end = URIRef(SCHEMA + "endDate")
    assert data_graph.value(habeck, end) == DAY
    assert reified_sources(data_graph, habeck, end, DAY) == {
        URIRef(IMO + "confirmed"): {u("source/s63"), u("source/s89")}
    }
    # a query for the ministers in office finds one per ministry
    ministers = {
        data_graph.value(m, URIRef(ORG_NS + "member"))
        for m in data_graph.subjects(URIRef(ORG_NS + "role"), URIRef(IMO + "minister"))
        if data_graph.value(m, URIRef(ORG_NS + "organization")) == u("org/bmwe")
        and data_graph.value(m, end) is None
    }
    assert ministers == {u("person/katherina-reiche")}
    assert "zfk.de" in str(data_graph.value(u("source/s89"), URIRef(SCHEMA + "url")))


def test_e14_n20_the_bmi_english_name_is_inferred_not_confirmed(data_graph):
    bmi = u("org/bmi")
    english = Literal("Federal Ministry of the Interior", lang="en")
    for prop in (URIRef(SKOS + "prefLabel"), URIRef(SCHEMA + "name")):
        levels = reified_sources(data_graph, bmi, prop, english)
        assert set(levels) == {URIRef(IMO + "inferred")}, prop
        assert u("source/s5") in levels[URIRef(IMO + "inferred")]
    german = Literal("Bundesministerium des Innern", lang="de")
    assert set(reified_sources(data_graph, bmi, URIRef(SCHEMA + "name"), german)) == {
        URIRef(IMO + "inferred")
    }


def test_e15_the_decree_has_no_invented_time_of_day(data_graph):
    decree = u("event/organisational-decree-2025-05-06")
    assert list(data_graph.objects(decree, URIRef(PROV_NS + "startedAtTime"))) == []
    assert data_graph.value(decree, URIRef(DCT + "date")) == DAY
    comment = _labels(data_graph, decree, RDFS.comment)
    assert "evening of Tuesday, 6 May 2025" in comment["en"] and "7 May 2025" in comment["en"]
    assert "Uhrzeit" in comment["de"]
    # no midnight stand-in anywhere in the data
    assert not [o for o in data_graph.objects() if str(o).endswith("T00:00:00+02:00")]


def test_e16_e2_the_finance_ministry_is_among_those_the_decree_changed(data_graph):
    decree = u("event/organisational-decree-2025-05-06")
    for prop in ("originalOrganization", "resultingOrganization"):
        assert (decree, URIRef(ORG_NS + prop), u("org/bmf")) in data_graph
    assert (u("org/bmf"), URIRef(ORG_NS + "changedBy"), decree) in data_graph
    assert "ITZBund" in _labels(data_graph, u("org/bmds"), RDFS.comment)["en"]
    assert u("source/s91") in sources(data_graph, decree)


def test_e17_the_appointments_of_6_may_cite_the_page_that_states_them(data_graph):
    for membership, prop in (
        ("faeser-bmi", "endDate"),
        ("dobrindt-bmi", "startDate"),
        ("reiche-bmwe", "startDate"),
    ):
        node = u(f"membership/{membership}")
        assert u("source/s63") in sources(data_graph, node)
        levels = reified_sources(data_graph, node, URIRef(SCHEMA + prop), DAY)
        assert (
            set(levels) == {URIRef(IMO + "confirmed")}
            and u("source/s63") in levels[URIRef(IMO + "confirmed")]
        ), membership


def test_e18_n21_identifiers_carry_confidence_and_sources_and_no_url(data_graph):
    values = set(data_graph.subjects(RDF.type, URIRef(SCHEMA + "PropertyValue")))
    assert len(values) == 18
    for node in values:
        assert confidence(data_graph, node) is not None, node
        assert sources(data_graph, node), node
        assert data_graph.value(node, URIRef(SCHEMA + "url")) is None, node
    p440 = URIRef("http://www.wikidata.org/prop/direct/P440")
    expected = {
        "org/kreis/03461#kreisschluessel": ("inferred", "s46"),
        "org/kreis/08425#kreisschluessel": ("confirmed", "s51"),
        "org/kreis/09276#kreisschluessel": ("confirmed", "s54"),
    }
    for path, (level, source) in expected.items():
        node = u(path)
        assert data_graph.value(node, URIRef(SCHEMA + "propertyID")) == p440
        assert confidence(data_graph, node) == URIRef(IMO + level)
        assert sources(data_graph, node) == {u(f"source/{source}")}
    ags = u("org/gemeinde/03461002#ags")
    assert confidence(data_graph, ags) == URIRef(IMO + "confirmed")
    assert sources(data_graph, ags) == {u("source/s46")}


def test_e19_one_source_record_per_page(data_graph):
    url = URIRef(SCHEMA + "url")
    pages: dict[str, list] = {}
    for doc, page in data_graph.subject_objects(url):
        pages.setdefault(str(page), []).append(doc)
    assert {p: d for p, d in pages.items() if len(d) > 1} == {}
    assert not list(data_graph.triples((u("source/s68"), None, None)))
    assert not list(data_graph.subjects(None, u("source/s68")))
    call = u("source/s61")
    assert str(data_graph.value(call, URIRef(DCT + "title"))) == (
        "Nationale Kreislaufwirtschaftsstrategie sucht Expertinnen und Experten"
    )
    assert data_graph.value(call, URIRef(DCT + "issued")) == Literal(
        "2025-04-07", datatype=XSD.date
    )
    for node in ("former-name/bmuv", "org/nkws-ag-zirkulaere-beschaffung"):
        assert call in sources(data_graph, u(node)), node


def test_e20_the_nkws_working_group_is_no_unit_of_the_ministry(data_graph):
    ag = u("org/nkws-ag-zirkulaere-beschaffung")
    assert list(data_graph.objects(ag, URIRef(ORG_NS + "unitOf"))) == []
    assert (ag, URIRef(ORG_NS + "linkedTo"), u("org/bmukn")) in data_graph
    types = set(data_graph.objects(ag, RDF.type))
    for kind in (SCHEMA + "GovernmentOrganization", ORG_NS + "OrganizationalUnit"):
        assert URIRef(kind) not in types
    assert u("source/s92") in sources(data_graph, ag)
    assert "VDI ZRE" in _labels(data_graph, ag, DCT + "description")["en"]


def test_m10_richter_from_may_2020_and_his_cio_post(data_graph):
    month = Literal("2020-05", datatype=XSD.gYearMonth)
    bmi = u("membership/richter-bmi")
    start = URIRef(SCHEMA + "startDate")
    assert data_graph.value(bmi, start) == month
    assert reified_sources(data_graph, bmi, start, month) == {
        URIRef(IMO + "confirmed"): {u("source/s93"), u("source/s94")}
    }
    cio = u("membership/richter-cio-bund")
    assert data_graph.value(cio, URIRef(ORG_NS + "organization")) == u("org/cio-bund")
    assert data_graph.value(cio, start) == month
    assert data_graph.value(cio, URIRef(SCHEMA + "endDate")) == Literal(
        "2025-05", datatype=XSD.gYearMonth
    )


def test_m11_kluttigs_term_is_reported_and_what_the_bmi_states_confirmed(data_graph):
    node = u("membership/kluttig-bmwk")
    assert data_graph.value(node, URIRef(SCHEMA + "startDate")) == Literal(
        "2024-11", datatype=XSD.gYearMonth
    )
    assert data_graph.value(node, URIRef(SCHEMA + "endDate")) is None
    assert confidence(data_graph, node) == URIRef(IMO + "reported")
    attested = URIRef(IMO + "attestedOn")
    assert reified(data_graph, node, attested) == {
        Literal("2025-03-11", datatype=XSD.date): URIRef(IMO + "confirmed"),
        Literal("2025-05", datatype=XSD.gYearMonth): URIRef(IMO + "reported"),
    }
    for prop, value in (("member", "person/bernhard-kluttig"), ("organization", "org/bmwe")):
        assert reified(data_graph, node, URIRef(ORG_NS + prop)) == {
            u(value): URIRef(IMO + "confirmed")
        }


def test_m12_the_knb_head_and_bescha_president_attested_on_12_may_2022(data_graph):
    day = Literal("2022-05-12", datatype=XSD.date)
    for membership in ("beneke-knb", "brand-bescha"):
        node = u(f"membership/{membership}")
        assert list(data_graph.objects(node, URIRef(IMO + "attestedOn"))) == [day]
        assert sources(data_graph, node) == {u("source/s81")}


def test_m13_brake_a_fairtrade_town_since_9_december_2015(data_graph):
    brake = u("org/gemeinde/03461002")
    award = Literal("Fairtrade town since 9 December 2015", lang="en")
    assert award in set(data_graph.objects(brake, URIRef(SCHEMA + "award")))
    levels = reified_sources(data_graph, brake, URIRef(SCHEMA + "award"), award)
    assert levels == {URIRef(IMO + "confirmed"): {u(f"source/s{n}") for n in (44, 98, 99)}}


def test_m14_skew_is_a_unit_of_engagement_global(data_graph):
    parent = u("org/engagement-global")
    assert (u("org/skew"), URIRef(ORG_NS + "unitOf"), parent) in data_graph
    assert (parent, URIRef(ORG_NS + "hasUnit"), u("org/skew")) in data_graph
    assert sources(data_graph, parent) == {u("source/s43")}
    assert confidence(data_graph, parent) == URIRef(IMO + "confirmed")


def test_m15_wuestes_remit(data_graph):
    node = u("membership/wueste-bmi")
    comment = _labels(data_graph, node, RDFS.comment)
    assert "Zentralabteilung" in comment["en"] and "8 September 2025" in comment["en"]
    assert sources(data_graph, node) == {u("source/s67"), u("source/s100")}
    assert confidence(data_graph, node) == URIRef(IMO + "reported")


def test_n22_the_nkws_conference_confirmed_by_the_ministrys_portal(data_graph):
    conference = u("event/2025-10-07-nkws-conference")
    assert confidence(data_graph, conference) == URIRef(IMO + "confirmed")
    assert sources(data_graph, conference) == {u("source/s69"), u("source/s101")}
    assert Literal(
        "Beschaffung zirkulär gestalten – Europäische Perspektiven für eine wirksame Umsetzung",
        lang="de",
    ) in set(data_graph.objects(conference, URIRef(SCHEMA + "alternateName")))
    # the organiser is still inferred, Berlin (one source) reported
    assert reified(data_graph, conference, URIRef(SCHEMA + "organizer")) == {
        u("org/bmukn"): URIRef(IMO + "inferred")
    }
    assert reified(data_graph, conference, URIRef(SCHEMA + "location")) == {
        u("place/berlin"): URIRef(IMO + "reported")
    }


def test_n23_poell_and_settekorn_named_by_the_procurement_office(data_graph):
    poell = u("membership/poell-knb")
    assert {u("source/s102"), u("source/s103")} <= sources(data_graph, poell)
    assert set(data_graph.objects(poell, URIRef(IMO + "attestedOn"))) == {
        Literal("2014-02-05", datatype=XSD.date),
        Literal("2014-05-08", datatype=XSD.date),
    }
    assert confidence(data_graph, u("person/sabine-poell")) == URIRef(IMO + "confirmed")
    settekorn = u("membership/settekorn-bescha")
    assert data_graph.value(settekorn, URIRef(ORG_NS + "organization")) == u("org/bescha")
    person = data_graph.value(settekorn, URIRef(ORG_NS + "member"))
    assert str(data_graph.value(person, URIRef(SCHEMA + "name"))) == "Dr. Birgit Settekorn"
    assert confidence(data_graph, settekorn) == URIRef(IMO + "confirmed")


def test_n25_the_knbs_own_news_of_the_fobi(data_graph):
    assert {u("source/s105"), u("source/s90")} <= sources(data_graph, u("instrument/fobi"))
    assert u("source/s90") in sources(data_graph, u("membership/fobi-ni"))
    assert data_graph.value(u("source/s105"), URIRef(DCT + "issued")) == Literal(
        "2023-05-24", datatype=XSD.date
    )


def test_n26_a_second_source_for_the_knbs_opening_which_stays_reported(data_graph):
    month = Literal("2012-01", datatype=XSD.gYearMonth)
    levels = reified_sources(data_graph, u("org/knb"), URIRef(DCT + "available"), month)
    assert levels == {URIRef(IMO + "reported"): {u("source/s83"), u("source/s106")}}


def test_n27_the_earlier_bund_laender_exchange_is_a_knb_event_not_a_meeting(data_graph):
    events = {
        "2017-03-23-knb-laendertreffen": ("2017-03-23", "reported"),
        "2020-03-04-knb-laendertreffen": ("2020-03-04", "confirmed"),
    }
    for name, (day, level) in events.items():
        node = u(f"event/{name}")
        assert (node, RDF.type, URIRef(SCHEMA + "Event")) in data_graph
        assert (node, RDF.type, URIRef(IMO + "Meeting")) not in data_graph
        assert data_graph.value(node, URIRef(SCHEMA + "startDate")) == Literal(
            day, datatype=XSD.date
        )
        assert u("org/knb") in set(data_graph.objects(node, URIRef(SCHEMA + "organizer")))
        assert data_graph.value(node, URIRef(SCHEMA + "location")) == u("place/bescha-bonn")
        assert confidence(data_graph, node) == URIRef(IMO + level)


@pytest.mark.parametrize(
    ("start", "end", "conforms"),
    [
        ("2020-05", "2025-05", True),  # Richter at the BMI (M10): a period in months
        ("2025-05", "2020-05", False),  # was waved through: rdflib does not order months
        ("2020-05", "2025-05-06", False),  # a month and a day cannot be compared
    ],
)
def test_m10_periods_in_months_are_checked(ontology_graph, shapes_graph, start, end, conforms):
    graph = Graph().parse(TESTS / "data" / "minimal.ttl")
    for triple in ontology_graph:
        graph.add(triple)
    chair = URIRef("https://example.org/t/chair")
    for prop, value in (("startDate", start), ("endDate", end)):
        kind = XSD.gYearMonth if len(value) == 7 else XSD.date
        graph.set((chair, URIRef(SCHEMA + prop), Literal(value, datatype=kind)))
    result = validate(graph, shapes_graph, SITE_PREFIXES)  # warnings are errors in this suite
    assert result.conforms is conforms
    shapes = {str(v.shape).rsplit("#", 1)[1] for v in result.results}
    assert shapes == (set() if conforms else {"Membership-period"})


# --- Review of the applied second audit: defects D1-D10 ---

CONFIRMED, REPORTED, INFERRED = (URIRef(IMO + x) for x in ("confirmed", "reported", "inferred"))


def _words(path) -> str:
    """A file's text with its whitespace, Markdown code marks and Turtle comment marks folded."""
    return " ".join(path.read_text(encoding="utf-8").replace("`", "").replace("#", "").split())


def test_d1_dqv_has_quality_annotation_is_a_sub_property_of_the_inverse_of_has_target():
    # DQV: SubObjectPropertyOf(dqv:hasQualityAnnotation ObjectInverseOf(oa:hasTarget))
    for path in (TESTS.parent / "docs" / "model.md", TESTS.parent / "ontology" / "imanoeb.ttl"):
        text = _words(path)
        assert "a sub-property of the inverse of oa:hasTarget" in text, path.name
        assert "as the inverse of oa:hasTarget" not in text, path.name


def test_d2_membership_dates_name_the_sources_that_state_them(data_graph):
    attested, start, end = (
        URIRef(IMO + "attestedOn"),
        URIRef(SCHEMA + "startDate"),
        URIRef(SCHEMA + "endDate"),
    )
    day, month = (
        (lambda v: Literal(v, datatype=XSD.date)),
        (lambda v: Literal(v, datatype=XSD.gYearMonth)),
    )
    expected = {
        # the Procurement Office (and the KNB) on Lower Saxony's accession, on his invitation
        ("richter-bmi", attested, day("2024-11-21")): {"s23", "s90"},
        # the BMI on the stakeholder meeting he opened
        ("richter-bmi", attested, day("2025-03-11")): {"s4", "s5"},
        ("richter-cio-bund", start, month("2020-05")): {"s93", "s94"},
        ("richter-cio-bund", end, month("2025-05")): {"s65", "s104"},
        ("poell-knb", attested, day("2014-02-05")): {"s103"},
        ("poell-knb", attested, day("2014-05-08")): {"s102"},
    }
    for (membership, prop, value), cited in expected.items():
        node = u(f"membership/{membership}")
        assert (node, prop, value) in data_graph, (membership, value)
        assert reified_sources(data_graph, node, prop, value) == {
            CONFIRMED: {u(f"source/{s}") for s in cited}
        }, (membership, value)
        assert {u(f"source/{s}") for s in cited} <= sources(data_graph, node), membership


def test_d3_the_finance_ministry_changed_by_the_decree_is_confirmed(data_graph):
    decree = u("event/organisational-decree-2025-05-06")
    levels = reified_sources(data_graph, u("org/bmf"), URIRef(ORG_NS + "changedBy"), decree)
    assert levels == {CONFIRMED: {u("source/s59"), u("source/s91")}}


def test_d4_sources_found_outside_the_audits_say_so(data_graph):
    note = URIRef(SKOS + "editorialNote")
    for key in ("s109", "s110", "s111"):
        notes = _labels(data_graph, u(f"source/{key}"), note)
        assert "outside the two fact audits" in notes["en"].lower(), key
        assert "außerhalb der beiden faktenprüfungen" in notes["de"].lower(), key
    s109 = _labels(data_graph, u("source/s109"), note)
    for wrong in (
        "für Digitalisierung und Staatsmodernisierung",
        "für Ernährung, Landwirtschaft und Heimat",
    ):
        assert wrong in s109["en"] and wrong in s109["de"], wrong
    # the English former name of the justice ministry is a working translation
    bmj = u("former-name/bmj")
    english = Literal("Federal Ministry of Justice", lang="en")
    levels = reified_sources(data_graph, bmj, URIRef(SCHEMA + "name"), english)
    assert set(levels) == {INFERRED} and levels[INFERRED]
    assert "Arbeitsübersetzung" in _labels(data_graph, bmj, RDFS.comment)["de"]
    assert "working translation" in _labels(data_graph, bmj, RDFS.comment)["en"]


def test_d5_no_claim_about_publishers_that_no_source_makes(data_graph):
    def text(node) -> str:
        return " ".join(
            str(o)
            for st in {node, *data_graph.subjects(RDF.subject, node)}
            for p in (RDFS.comment, URIRef(SKOS + "prefLabel"), URIRef(SCHEMA + "name"))
            for o in data_graph.objects(st, p)
        )

    assert "Osnabrück" not in text(u("org/hasepost"))
    assert "Handelsblatt" in text(u("org/hasepost"))  # what its article says it relays
    mittag = text(u("org/susanne-mittag"))
    for claim in ("constituency", "Wahlkreis", "Bundestag", "MdB"):
        assert claim not in mittag, claim
    brake = text(u("org/gemeinde/03461002"))
    for claim in ("member of the Bundestag", "Bundestagsabgeordnete", "local member"):
        assert claim not in brake, claim


def test_d6_the_procurement_offices_2014_articles_carry_their_days(data_graph):
    issued = URIRef(DCT + "issued")
    assert data_graph.value(u("source/s102"), issued) == Literal("2014-05-08", datatype=XSD.date)
    assert data_graph.value(u("source/s103"), issued) == Literal("2014-02-12", datatype=XSD.date)


def test_d7_names_made_from_the_inferred_bmi_name_are_inferred(data_graph):
    place = u("place/bmi-berlin")
    names = set(data_graph.objects(place, URIRef(SCHEMA + "name")))
    assert names
    for name in names:
        assert set(reified_sources(data_graph, place, URIRef(SCHEMA + "name"), name)) == {
            INFERRED
        }, name
    bescha = u("org/bescha")
    english = Literal("Procurement Office of the Federal Ministry of the Interior", lang="en")
    for prop in (URIRef(SKOS + "prefLabel"), URIRef(SCHEMA + "name")):
        assert (bescha, prop, english) in data_graph
        assert set(reified_sources(data_graph, bescha, prop, english)) == {INFERRED}, prop
    # the German name, "Beschaffungsamt des BMI", is the one the office's pages use
    german = Literal("Beschaffungsamt des BMI", lang="de")
    assert reified_sources(data_graph, bescha, URIRef(SCHEMA + "name"), german) == {}


def _sparql_block(marker: str) -> str:
    """The SPARQL example of docs/model.md that contains ``marker``."""
    text = (TESTS.parent / "docs" / "model.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```sparql")[1:]]
    (found,) = [b for b in blocks if marker in b]
    return found


def test_d10_heads_in_office_as_far_as_the_sources_tell(core, data_graph):
    """A membership known only from attestations has no end date; a later head of the same
    body bounds it, and the documented query for heads in office reads that bound."""
    query = _sparql_block("heads in office")
    rows = core.store.query(query).rows()
    found = {(r["organization"].value, r["person"].value) for r in rows}
    assert found == {
        (BASE + "org/bescha", BASE + "person/alexander-eisvogel"),
        (BASE + "org/knb", BASE + "person/ilse-beneke"),
    }
    # no end date was invented for those the sources attest only
    for membership in ("settekorn-bescha", "brand-bescha", "poell-knb"):
        assert data_graph.value(u(f"membership/{membership}"), URIRef(SCHEMA + "endDate")) is None
    settekorn = u("membership/settekorn-bescha")
    assert list(data_graph.objects(settekorn, URIRef(IMO + "attestedOn"))) == [
        Literal("2014-02-05", datatype=XSD.date)
    ]
