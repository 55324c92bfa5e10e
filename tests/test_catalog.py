"""The DCAT catalogue: validated against the official shapes, and harvested like ckanext-dcat."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH, SKOS

from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app

from .conftest import ROOT, STANDARDS, fetch

S = STANDARDS
VOCABULARIES = [
    "eu-vocabularies/data-theme-skos.rdf",
    "eu-vocabularies/filetypes-skos.rdf",
    "eu-vocabularies/frequencies-skos-ap-act.rdf",
    "eu-vocabularies/ADMS_SKOS_v1.00.rdf",
    "dcat-ap-de/govdata-validator/vocabularies/dcat-ap-de-contributors.rdf",
    "dcat-ap-de/govdata-validator/vocabularies/dcat-ap-de-licenses-open.rdf",
]
PROFILES = {
    "DCAT-AP 3.0.1 (base, range, recommended, deprecated)": [
        "dcat-ap/3.0.1/shacl-split/shapes.ttl", "dcat-ap/3.0.1/shacl-split/range.ttl",
        "dcat-ap/3.0.1/shacl-split/shapes_recommended.ttl", "dcat-ap/3.0.1/shacl-split/deprecateduris.ttl",
    ],
    "DCAT-AP 3.0.1 controlled vocabularies": ["dcat-ap/3.0.1/shacl-split/mdr-vocabularies.shape.ttl"],
    "DCAT-AP.de 3.0": [
        "dcat-ap/3.0.0/shacl/dcat-ap-SHACL.ttl", "dcat-ap-de/3.0/shacl/dcat-ap-SHACL-DE.ttl",
        "dcat-ap-de/3.0/shacl/dcat-ap-de-deprecated.ttl", "dcat-ap-de/3.0/shacl/dcat-ap-spec-german-additions.ttl",
        "dcat-ap-de/3.0/shacl/dcat-ap-de-controlledvocabularies.ttl",
    ],
    "DCAT-AP.de 2.0 with the Konventionen": [
        "dcat-ap-de/2.0/shacl/dcat-ap_2.1.1_shacl_shapes.ttl", "dcat-ap-de/2.0/shacl/dcat-ap-spec-german-messages.ttl",
        "dcat-ap-de/2.0/shacl/dcat-ap-spec-german-additions.ttl", "dcat-ap-de/2.0/shacl/dcat-ap-de-deprecated.ttl",
        "dcat-ap-de/2.0/shacl/dcat-ap-konventionen.ttl",
    ],
}  # fmt: skip

# Violations that are expected offline, each with its reason (see shared/standards/README.md).
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
EXPLAINED = [
    (
        lambda focus, path, value: (
            str(path) == "http://spdx.org/rdf/terms#algorithm"
            or str(focus) == "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
        ),
        "the SPDX/dcat-ap.de hash-algorithm list has no offline copy (README: 'Not here')",
    ),
    (
        lambda focus, path, value: str(path) == str(DCAT.byteSize),
        "DCAT-AP.de 2.0 types dcat:byteSize as xsd:decimal; DCAT-AP 3.0.x and DCAT-AP.de 3.0 require xsd:nonNegativeInteger, which we follow",
    ),
]

# CI sets IMAGRAPH_REQUIRE_STANDARDS: there the material must be present and these tests cannot skip.
pytestmark = pytest.mark.skipif(
    not S.exists() and not os.environ.get("IMAGRAPH_REQUIRE_STANDARDS"),
    reason=f"the standards material is not at {STANDARDS}",
)

AVAILABILITY = URIRef("http://data.europa.eu/r5r/availability")
STABLE = URIRef("http://publications.europa.eu/resource/authority/planned-availability/STABLE")

SETTINGS = dict(
    contributor_id="http://dcat-ap.de/def/contributors/bundesministeriumDesInnernUndHeimat",
    contact_email="IMAnoeb@bmi.bund.de",
)


@pytest.fixture(scope="module")
def client(core):
    app = create_app(Instance(core, Settings(site=ROOT, **SETTINGS)))
    # the catalogue gives sizes and checksums of the dumps once they are made (a server starts
    # making them as it starts; a listing waits only briefly): these tests read them made
    made = app.extensions["imagraph"].downloads.made(wait=120)
    assert len(made) == len(app.extensions["imagraph"].downloads.specs)
    return app.test_client()


@pytest.fixture(scope="module")
def vocabularies() -> Graph:
    g = Graph()
    for v in VOCABULARIES:
        g.parse(S / v)
    return g


def violations(
    catalog: Graph, shapes_files: Iterable[str], vocabularies: Graph
) -> tuple[list[tuple], list[str]]:
    shapes = Graph()
    for f in shapes_files:
        shapes.parse(S / f)
    data = Graph()
    for t in catalog:
        data.add(t)
    for t in vocabularies:
        data.add(t)
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, allow_warnings=True)
    vocab_nodes = set(vocabularies.subjects())
    unexplained, reasons = [], set()
    for r in report.objects(None, SH.result):  # top-level results only (not sh:detail)
        if report.value(r, SH.resultSeverity) != SH.Violation:
            continue
        focus, path, value = (
            report.value(r, SH.focusNode),
            report.value(r, SH.resultPath),
            report.value(r, SH.value),
        )
        if focus in vocab_nodes and not str(focus).startswith(EU_LANGUAGE):
            continue  # the SEMIC shapes also check the vocabularies merged in (README quirk 4)
        reason = next((why for match, why in EXPLAINED if match(focus, path, value)), None)
        if reason is None:
            unexplained.append((str(focus), str(path), str(report.value(r, SH.resultMessage))))
        else:
            reasons.add(reason)
    return unexplained, sorted(reasons)


@pytest.mark.parametrize("profile", list(PROFILES))
def test_catalogue_has_no_unexplained_violations(client, vocabularies, profile):
    body = client.get("/catalog", headers={"Accept": "text/turtle"}).data
    catalog = Graph().parse(data=body, format="turtle")
    unexplained, _ = violations(catalog, PROFILES[profile], vocabularies)
    assert unexplained == []


def test_dcat_ap_de_3_finds_no_violation_with_only_the_vocabularies_as_data(client, vocabularies):
    """Against DCAT-AP.de 3.0, nothing needs explaining: the language terms say which scheme they
    are in (skos:inScheme the EU language table), as its controlled-vocabulary shapes ask."""
    body = client.get("/catalog", headers={"Accept": "text/turtle"}).data
    catalog = Graph().parse(data=body, format="turtle")
    unexplained, reasons = violations(catalog, PROFILES["DCAT-AP.de 3.0"], vocabularies)
    assert unexplained == [] and reasons == []
    table = URIRef(EU_LANGUAGE.rstrip("/"))
    languages = set(catalog.objects(None, DCTERMS.language))
    assert languages == {URIRef(EU_LANGUAGE + "DEU"), URIRef(EU_LANGUAGE + "ENG")}
    for term in languages:
        assert (term, SKOS.inScheme, table) in catalog
        assert {lit.language for lit in catalog.objects(term, SKOS.prefLabel)} == {"de", "en"}


def test_catalogue_content(client):
    resp = client.get("/catalog", headers={"Accept": "application/rdf+xml"})
    assert resp.mimetype == "application/rdf+xml"
    g = Graph().parse(data=resp.data, format="xml")
    datasets = set(g.subjects(RDF.type, DCAT.Dataset))
    base = "https://w3id.org/imanoeb/dataset/"
    assert {str(d) for d in datasets} == {
        base + x for x in ("imanoeb", "meetings", "stakeholders", "topics", "sources")
    }
    for d in datasets:
        assert {t.language for t in g.objects(d, DCTERMS.title)} == {"de", "en"}
        assert g.value(d, DCTERMS.identifier) is not None
        assert len(list(g.objects(d, DCTERMS.publisher))) == 1
        assert (
            d,
            URIRef("http://dcat-ap.de/def/dcatde/contributorID"),
            URIRef(SETTINGS["contributor_id"]),
        ) in g
        for dist in g.objects(d, DCAT.distribution):
            url = g.value(dist, DCAT.downloadURL)
            assert str(url).startswith("http://localhost/dumps/")
            dump = fetch(client, str(url).removeprefix("http://localhost")).data
            assert int(g.value(dist, DCAT.byteSize)) == len(dump)
            checksum = g.value(dist, URIRef("http://spdx.org/rdf/terms#checksum"))
            value = g.value(checksum, URIRef("http://spdx.org/rdf/terms#checksumValue"))
            assert str(value) == hashlib.sha256(dump).hexdigest()
            assert g.value(dist, AVAILABILITY) == STABLE
    service = next(g.subjects(RDF.type, DCAT.DataService))
    assert g.value(service, DCAT.endpointURL) == URIRef("http://localhost/sparql")
    assert g.value(service, AVAILABILITY) == STABLE
    assert {str(label) for label in g.objects(STABLE, SKOS.prefLabel)} == {"stable", "stabil"}


def test_every_format_matches_its_content_type(client):
    for accept, fmt in (
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
    ):
        resp = client.get("/catalog", headers={"Accept": accept})
        assert resp.mimetype == accept
        assert len(Graph().parse(data=resp.data, format=fmt)) > 100


def harvest(client, url: str) -> list[str]:
    """Walk the catalogue as ckanext-dcat does: fetch, pick the parser from the Content-Type,
    collect the datasets, follow hydra:next."""
    parsers = {
        "text/turtle": "turtle",
        "application/rdf+xml": "xml",
        "application/ld+json": "json-ld",
        "application/n-triples": "nt",
    }
    seen, visited = [], set()
    while url:
        assert url not in visited, "paging loops"
        visited.add(url)
        resp = client.get(
            url.removeprefix("http://localhost"),
            headers={"Accept": "application/rdf+xml, text/turtle;q=0.9"},
        )
        assert resp.status_code == 200
        g = Graph().parse(data=resp.data, format=parsers[resp.mimetype])
        seen += sorted(str(d) for d in g.subjects(RDF.type, DCAT.Dataset))
        view = next(
            g.subjects(RDF.type, URIRef("http://www.w3.org/ns/hydra/core#PartialCollectionView")),
            None,
        )
        nxt = (
            g.value(view, URIRef("http://www.w3.org/ns/hydra/core#next"))
            if view is not None
            else None
        )
        url = str(nxt) if nxt is not None else None
    return seen


def test_paged_harvest_sees_every_dataset_once_with_stable_identifiers(core):
    client = create_app(
        Instance(core, Settings(site=ROOT, catalog_page_size=2, **SETTINGS))
    ).test_client()
    first = harvest(client, "http://localhost/catalog")
    assert len(first) == len(set(first)) == 5
    second = harvest(client, "http://localhost/catalog")
    assert second == first
    g = Graph().parse(
        data=client.get("/catalog?page=2", headers={"Accept": "text/turtle"}).data, format="turtle"
    )
    hydra = "http://www.w3.org/ns/hydra/core#"
    view = next(g.subjects(RDF.type, URIRef(hydra + "PartialCollectionView")))
    assert int(g.value(view, URIRef(hydra + "totalItems"))) == 5
    assert str(g.value(view, URIRef(hydra + "first"))) == "http://localhost/catalog?page=1"
    assert str(g.value(view, URIRef(hydra + "last"))) == "http://localhost/catalog?page=3"
    assert str(g.value(view, URIRef(hydra + "previous"))) == "http://localhost/catalog?page=1"


def test_modified_since_filters_and_is_kept_in_paging_links(core):
    client = create_app(
        Instance(core, Settings(site=ROOT, catalog_page_size=2, **SETTINGS))
    ).test_client()
    g = Graph().parse(
        data=client.get(
            "/catalog?modified_since=2000-01-01", headers={"Accept": "text/turtle"}
        ).data,
        format="turtle",
    )
    nxt = next(g.objects(None, URIRef("http://www.w3.org/ns/hydra/core#next")))
    assert str(nxt) == "http://localhost/catalog?page=2&modified_since=2000-01-01"
    future = Graph().parse(
        data=client.get(
            "/catalog?modified_since=2999-01-01", headers={"Accept": "text/turtle"}
        ).data,
        format="turtle",
    )
    assert not list(future.subjects(RDF.type, DCAT.Dataset))
    assert client.get("/catalog?modified_since=yesterday").status_code == 400
    assert client.get("/catalog?page=0").status_code == 400


def test_modified_dates_are_in_utc_and_modified_since_compares_them(client):
    """dct:modified is a UTC date-time with its zone (it had none: any of 24 hours), and
    ?modified_since= compares with it whatever zone it is given in (none: UTC)."""

    def datasets(query: str = "") -> dict[str, str]:
        """Each dataset's dct:modified as written (rdflib would rewrite it)."""
        resp = client.get("/catalog" + query, headers={"Accept": "text/turtle"})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        triples = list(ox.parse(resp.data, format=ox.RdfFormat.TURTLE))
        found = {t.subject for t in triples if t.object == ox.NamedNode(str(DCAT.Dataset))}
        return {
            t.subject.value: t.object.value
            for t in triples
            if t.subject in found and t.predicate == ox.NamedNode(str(DCTERMS.modified))
        }

    dates = datasets()
    assert len(dates) == 5
    for value in dates.values():
        assert datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    newest = max(datetime.fromisoformat(v) for v in dates.values())
    newest_ones = {d for d, v in dates.items() if datetime.fromisoformat(v) == newest}
    berlin = timezone(timedelta(hours=2))
    for since in (newest, newest.astimezone(berlin)):
        for given in (since.isoformat(), since.isoformat().replace("+00:00", "Z")):
            assert set(datasets("?" + urlencode({"modified_since": given}))) == newest_ones, given
        later = (since + timedelta(seconds=1)).isoformat()
        assert datasets("?" + urlencode({"modified_since": later})) == {}, later
    naive = newest.astimezone(UTC).replace(tzinfo=None).isoformat()  # taken as UTC
    assert set(datasets("?" + urlencode({"modified_since": naive}))) == newest_ones


def test_dataset_pages_and_schema_org(client):
    g = Graph().parse(
        data=client.get("/dataset/topics", headers={"Accept": "text/turtle"}).data, format="turtle"
    )
    assert (URIRef("https://w3id.org/imanoeb/dataset/topics"), RDF.type, DCAT.Dataset) in g
    html = client.get("/catalog", headers={"Accept": "text/html"}).get_data(as_text=True)
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    doc = json.loads(html[start : html.index("</script>", start)])
    assert doc["@type"] == "DataCatalog" and len(doc["dataset"]) == 5
    assert all(d["@type"] == "Dataset" and d["distribution"] for d in doc["dataset"])
    assert client.get("/dataset/nothing").status_code == 404


def test_catalogue_follows_the_data_version(core):
    """Checksums and modified dates are derived: another base IRI changes the dumps and so the catalogue."""
    a = (
        create_app(Instance(core, Settings(site=ROOT, **SETTINGS)))
        .test_client()
        .get("/catalog", headers={"Accept": "text/turtle"})
        .data
    )
    other = (
        create_app(Instance.open(Settings(site=ROOT, base_iri="http://localhost/", **SETTINGS)))
        .test_client()
        .get("/catalog", headers={"Accept": "text/turtle"})
        .data
    )
    spdx = URIRef("http://spdx.org/rdf/terms#checksumValue")
    sums_a = set(Graph().parse(data=a, format="turtle").objects(None, spdx))
    sums_b = set(Graph().parse(data=other, format="turtle").objects(None, spdx))
    assert sums_a and sums_b and not (sums_a & sums_b)


def test_explained_exceptions_are_listed_with_reasons(client, vocabularies):
    body = client.get("/catalog", headers={"Accept": "text/turtle"}).data
    catalog = Graph().parse(data=body, format="turtle")
    _, reasons = violations(catalog, PROFILES["DCAT-AP.de 2.0 with the Konventionen"], vocabularies)
    # the hash-algorithm list and byteSize's datatype in 2.0; the language terms need no reason
    # since they say their scheme
    assert len(reasons) == 2
    assert Path(S / "README.md").exists()


def test_govdata_quality_dashboard_finds_nothing_but_its_counts(client, vocabularies):
    """The MQA rules fire two "count" results per distribution by design (README); nothing else."""
    catalog = Graph().parse(
        data=client.get("/catalog", headers={"Accept": "text/turtle"}).data, format="turtle"
    )
    data = Graph()
    for t in (*catalog, *vocabularies):
        data.add(t)
    shapes = Graph().parse(S / "dcat-ap-de/govdata-validator/mqa-dashboard/db-shapes.ttl")
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, allow_warnings=True)
    severities = [
        str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]
        for r in report.objects(None, SH.result)
    ]
    distributions = len(set(catalog.subjects(RDF.type, DCAT.Distribution)))
    assert sorted(set(severities)) == ["count_Distributions", "count_Distributions_Licenses"]
    assert severities.count("count_Distributions") == distributions
    assert severities.count("count_Distributions_Licenses") == distributions
