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
    for ministry in ("aa", "bmf", "bmas", "bmg"):
        note = _labels(data_graph, u(f"org/{ministry}"), SKOS + "editorialNote")
        assert "do not state this ministry's name" in note["en"] and "de" in note
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
    assert Literal("Dienstsitz Moabit Werder", lang="de") in set(
        data_graph.objects(u("place/bmi-berlin"), URIRef(SCHEMA + "alternateName"))
    )
    comments = {str(c) for c in data_graph.objects(u("org/ima-noeb"), RDFS.comment)}
    assert any("once a year" in c for c in comments)
    for name, full in (
        (
            "bmuv",
            "Bundesministerium für Umwelt, Naturschutz, nukleare Sicherheit und Verbraucherschutz",
        ),
        ("bmfsfj", "Bundesministerium für Familie, Senioren, Frauen und Jugend"),
        ("bmwi", "Bundesministerium für Wirtschaft und Energie"),
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


def test_n2_richter_moved_to_the_bmds_reported(data_graph):
    ORG = "http://www.w3.org/ns/org#"
    move = u("membership/richter-bmds")
    assert data_graph.value(move, URIRef(ORG + "organization")) == u("org/bmds")
    assert data_graph.value(move, URIRef(ORG + "member")) == u("person/markus-richter")
    assert confidence(data_graph, move) == URIRef(IMO + "reported")
    assert set(data_graph.objects(move, URIRef(DCT + "source"))) == {
        u("source/s65"),
        u("source/s66"),
    }
    month = Literal("2025-05", datatype=XSD.gYearMonth)
    end = URIRef(SCHEMA + "endDate")
    assert data_graph.value(u("membership/richter-bmi"), end) == month
    assert reified(data_graph, u("membership/richter-bmi"), end) == {
        month: URIRef(IMO + "reported")
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
    assert data_graph.value(ag, URIRef("http://www.w3.org/ns/org#unitOf")) == u("org/bmukn")
    assert u("source/s68") in set(data_graph.objects(ag, URIRef(DCT + "source")))
    conference = u("event/2025-10-07-nkws-conference")
    assert data_graph.value(conference, URIRef(SCHEMA + "startDate")) == Literal(
        "2025-10-07", datatype=XSD.date
    )
    assert confidence(data_graph, conference) == URIRef(IMO + "reported")
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
        "Sabine Poell": URIRef(IMO + "reported"),
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
