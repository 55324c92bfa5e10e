"""A second site, for another body, run with no code edited for it: the example `imagraph init`
writes (a town council: another base IRI, ontology and shapes, one language), with a template
and a style sheet of its own. Content negotiation, SPARQL, validation, writes, the catalogue
against DCAT-AP.de, dumps and pages in a browser work as they do for the bundled site."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT

from imagraph.cli import cli
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app

from .conftest import STANDARDS, fetch, start_server, stop_server

BASE = "https://daten.musterstadt.example/rat/"
EX = BASE + "ontology#"
MEETING = BASE + "meeting/2026-01-15"
TOKEN = "council-clerk-token-0123456789"
NOTICE = "Council meetings are open to the public."

#: The site's own landing page: imagraph's, with a notice above it (extends it by its name).
INDEX = (
    """{% extends "imagraph/index.html" %}
{% block main %}<p id="site-notice">"""
    + NOTICE
    + """</p>{{ super() }}{% endblock %}
"""
)
#: The site's own resource page: imagraph's, with the macros it offers used above it (show and
#: rows_table of resource.html, link of link.html).
RESOURCE = """{% extends "imagraph/resource.html" %}
{% block main %}<p id="site-types">{% for v in view.types %}{{ show(v) }};{% endfor %}</p>
<div id="site-rows">{{ rows_table(view.rows) }}</div>
<p id="site-link">{{ link(urls.href(view.iri), view.title, view.iri) }}</p>{{ super() }}{% endblock %}
"""
STYLE = "/* the council's own style sheet */ body { color: #123; }\n"

A_MEETING = f"""@prefix ex: <{EX}> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{BASE}meeting/2026-03-12> a ex:Meeting, schema:Event ;
    schema:name "Council meeting of 12 March 2026"@en ;
    schema:startDate "2026-03-12"^^xsd:date ;
    schema:organizer <{BASE}org/council> .
"""
NO_DATE = A_MEETING.replace('    schema:startDate "2026-03-12"^^xsd:date ;\n', "")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    folder = tmp_path_factory.mktemp("council") / "site"
    result = CliRunner().invoke(cli, ["init", str(folder), "--base-iri", BASE])
    assert result.exit_code == 0, result.output
    assert "imagraph --site" in result.output  # it says what to do next
    (folder / "templates").mkdir()
    (folder / "templates" / "index.html").write_text(INDEX, encoding="utf-8")
    (folder / "templates" / "resource.html").write_text(RESOURCE, encoding="utf-8")
    (folder / "static").mkdir()
    (folder / "static" / "style.css").write_text(STYLE, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def client(site, tmp_path_factory):
    settings = Settings(site=site, dump_dir=tmp_path_factory.mktemp("dumps"))
    app = create_app(Instance.open(settings))
    app.extensions["imagraph"].downloads.made(wait=60)
    return app.test_client()


def test_init_writes_a_site_that_conforms_and_refuses_a_folder_in_use(site, runner):
    result = runner.invoke(cli, ["--site", str(site), "check"])
    assert result.exit_code == 0, result.output
    assert "Conforms: no violations." in result.output
    assert "ex:Meeting" in result.output  # the site's prefix, not imagraph's
    again = runner.invoke(cli, ["init", str(site)])
    assert again.exit_code == 2 and "not an empty folder" in again.output


def test_resources_in_every_format_under_the_sites_base(client):
    for accept, fmt in (
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ):
        resp = client.get("/meeting/2026-01-15", headers={"Accept": accept})
        assert resp.status_code == 200 and resp.mimetype == accept
        data = resp.data
        if fmt == "json-ld":  # its context, from this server (rdflib would fetch it)
            doc = resp.get_json()
            context = client.get(doc["@context"].removeprefix("http://localhost")).get_json()
            data = json.dumps({**doc, "@context": context["@context"]}).encode()
        g = Graph().parse(data=data, format=fmt)
        assert (URIRef(MEETING), URIRef("https://schema.org/startDate"), None) in g, accept
        assert (URIRef(MEETING), None, URIRef(EX + "Meeting")) in g
    doc = client.get("/meeting/2026-01-15", headers={"Accept": "application/ld+json"}).get_json()
    context = client.get(doc["@context"].removeprefix("http://localhost")).get_json()
    assert context["@context"]["ex"] == EX  # made of the site's prefixes
    page = client.get("/meeting/2026-01-15", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Council meeting of 15 January 2026" in html
    assert '"@type": "Event"' in html  # the site's event class, for search engines
    assert client.get("/meeting/none", headers={"Accept": "text/turtle"}).status_code == 404


def test_sparql_has_the_sites_prefix(client):
    resp = client.get(
        "/sparql",
        query_string={"query": "SELECT ?m WHERE { ?m a ex:Meeting } ORDER BY ?m"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    rows = [b["m"]["value"] for b in resp.get_json()["results"]["bindings"]]
    assert rows == [BASE + "meeting/2026-01-15", BASE + "meeting/2026-02-12"]
    wrong = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?m a imo:Meeting }"})
    assert wrong.status_code == 400 and "imo: is not declared" in wrong.get_data(as_text=True)
    assert "ex:" in wrong.get_data(as_text=True)


def test_validation_with_the_sites_shapes(client):
    good = client.post(
        "/validate",
        data=A_MEETING,
        headers={"Content-Type": "text/turtle", "Accept": "application/json"},
    )
    assert good.status_code == 200 and good.get_json()["conforms"] is True, good.get_json()
    bad = client.post(
        "/validate",
        data=NO_DATE,
        headers={"Content-Type": "text/turtle", "Accept": "application/json"},
    )
    summary = bad.get_json()
    assert summary["conforms"] is False
    [node] = summary["focusNodes"]
    assert node["focusNode"] == BASE + "meeting/2026-03-12"
    assert any(r["path"] == "schema:startDate" for r in node["results"])
    assert any("one day" in r["message"] for r in node["results"])  # the site's own message


def test_the_landing_page_its_template_style_and_one_language(client):
    resp = client.get("/", headers={"Accept": "text/html", "Accept-Language": "de"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<html lang="en">' in html  # its only language, whatever the reader prefers
    assert 'id="site-notice"' in html and NOTICE in html  # its own template, extending ours
    assert "Council of Exampletown" in html and "IMA" not in html
    assert 'id="lang-' not in html  # no language switch for one language
    assert html.index('id="landing-meetings"') < html.index('id="landing-members"')
    assert "Alex Example" in html and "Council meeting of 12 February 2026" in html
    assert fetch(client, "/static/style.css").get_data(as_text=True) == STYLE
    assert fetch(client, "/static/query.js").status_code == 200  # imagraph's, not overridden
    assert fetch(client, "/static/../site.toml").status_code == 404


def test_a_resource_page_of_the_sites_template_extending_ours(client):
    html = client.get("/meeting/2026-01-15", headers={"Accept": "text/html"}).get_data(as_text=True)
    types = html[html.index('<p id="site-types">') : html.index("</p>", html.index("site-types"))]
    assert '<a href="http://localhost/ontology%23Meeting">' in types  # show(v), a link
    rows = html[html.index('<div id="site-rows">') : html.index("</div>", html.index("site-rows"))]
    assert '<table class="properties">' in rows and "<thead>" not in rows
    assert '<a href="https://schema.org/startDate" title="https://schema.org/startDate">' in rows
    assert '<li><span>2026-01-15</span> <small class="tag">xsd:date</small></li>' in rows
    assert (
        f'<p id="site-link"><a href="http://localhost/meeting/2026-01-15" title="{MEETING}">'
        "Council meeting of 15 January 2026</a></p>"
    ) in html
    assert html.count('<table class="properties">') == 2  # and imagraph's page below


def test_catalogue_and_dumps_are_the_sites(client):
    g = Graph().parse(data=client.get("/catalog", headers={"Accept": "text/turtle"}).data)
    catalog = URIRef(BASE + "catalog")
    titles = {str(t) for t in g.objects(catalog, URIRef("http://purl.org/dc/terms/title"))}
    assert titles == {"Catalogue of the Council of Exampletown data"}
    languages = set(g.objects(catalog, URIRef("http://purl.org/dc/terms/language")))
    assert languages == {URIRef("http://publications.europa.eu/resource/authority/language/ENG")}
    urls = {str(u) for u in g.objects(None, DCAT.downloadURL)}
    assert "http://localhost/dumps/council.ttl" in urls and not any("imanoeb" in u for u in urls)
    for dist in g.subjects(DCAT.downloadURL, None):
        url = str(g.value(dist, DCAT.downloadURL))
        body = fetch(client, url.removeprefix("http://localhost")).data
        size = int(g.value(dist, DCAT.byteSize))
        checksum = g.value(
            g.value(dist, URIRef("http://spdx.org/rdf/terms#checksum")),
            URIRef("http://spdx.org/rdf/terms#checksumValue"),
        )
        assert len(body) == size and hashlib.sha256(body).hexdigest() == str(checksum), url
    dump = fetch(client, "/dumps/council.nq")
    quads = list(ox.parse(dump.data, ox.RdfFormat.N_QUADS))
    assert any(q.subject == ox.NamedNode(MEETING) for q in quads)
    void = Graph().parse(
        data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data
    )
    roots = {str(o) for o in void.objects(None, URIRef("http://rdfs.org/ns/void#rootResource"))}
    assert roots == {BASE + "org/council"}


@pytest.mark.skipif(
    not STANDARDS.exists() and not os.environ.get("IMAGRAPH_REQUIRE_STANDARDS"),
    reason=f"the standards material is not at {STANDARDS}",
)
def test_the_catalogue_conforms_to_dcat_ap_de(site, tmp_path):
    from .test_catalog import PROFILES, VOCABULARIES, violations

    settings = Settings(
        site=site,
        dump_dir=tmp_path / "dumps",
        contact_email="rat@musterstadt.example",
        contributor_id="http://dcat-ap.de/def/contributors/bundesministeriumDesInnernUndHeimat",
    )
    app = create_app(Instance.open(settings))
    app.extensions["imagraph"].downloads.made(wait=60)
    catalog = Graph().parse(
        data=app.test_client().get("/catalog", headers={"Accept": "text/turtle"}).data
    )
    vocabularies = Graph()
    for v in VOCABULARIES:
        vocabularies.parse(STANDARDS / v)
    for profile in ("DCAT-AP.de 3.0", "DCAT-AP 3.0.1 (base, range, recommended, deprecated)"):
        unexplained, _ = violations(catalog, PROFILES[profile], vocabularies)
        assert unexplained == [], profile


@pytest.fixture(scope="module")
def server(site, tmp_path_factory):
    log = tmp_path_factory.mktemp("council-server") / "server.log"
    env = {
        "IMAGRAPH_WRITE_TOKENS": f"clerk:{TOKEN}",
        "IMAGRAPH_DUMP_DIR": str(tmp_path_factory.mktemp("council-dumps")),
    }
    # as `imagraph init` tells a publisher to serve it
    proc, url = start_server(log, env=env, workers=1, options=("--site", str(site)))
    try:
        yield url
    finally:
        stop_server(proc)


def test_imagraph_site_dir_serve_serves_that_site(server):
    """`imagraph --site DIR serve` serves DIR (it served the bundled site under DIR's base)."""
    home = requests.get(server, headers={"Accept": "text/html"}, timeout=30)
    assert "Council of Exampletown" in home.text
    dataset = requests.get(server + "dataset/council.ttl", timeout=30)
    assert dataset.status_code == 200, dataset.text


def test_writes_are_validated_against_the_sites_shapes(server):
    graph = BASE + "graph/data/spring"
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"}
    refused = requests.put(
        server + "graph-store", params={"graph": graph}, data=NO_DATE, headers=auth, timeout=60
    )
    assert refused.status_code == 422, refused.text
    written = requests.put(
        server + "graph-store", params={"graph": graph}, data=A_MEETING, headers=auth, timeout=60
    )
    assert written.status_code == 201, written.text
    page = requests.get(
        server + "meeting/2026-03-12", headers={"Accept": "text/turtle"}, timeout=30
    )
    g = Graph().parse(data=page.text, format="turtle")
    assert (URIRef(BASE + "meeting/2026-03-12"), URIRef("https://schema.org/startDate"), None) in g


def test_sparqlwrapper_reads_the_site(server):
    from SPARQLWrapper import JSON, SPARQLWrapper

    endpoint = SPARQLWrapper(server + "sparql")
    endpoint.setQuery("SELECT (COUNT(?m) AS ?n) WHERE { ?m a ex:Meeting }")
    endpoint.setReturnFormat(JSON)
    n = int(endpoint.query().convert()["results"]["bindings"][0]["n"]["value"])  # type: ignore[index]
    assert n >= 2


CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("IMAGRAPH_REQUIRE_BROWSER"),
    reason="Chromium and chromedriver are not installed",
)
def test_pages_in_a_browser(server, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", f"--user-data-dir={tmp_path}"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(
        service=Service(CHROMEDRIVER or "/usr/bin/chromedriver"), options=options
    )
    driver.set_page_load_timeout(30)
    try:
        driver.get(server)
        assert driver.find_element(By.ID, "site-notice").text == NOTICE
        driver.find_element(By.LINK_TEXT, "Council meeting of 15 January 2026").click()
        WebDriverWait(driver, 30).until(ec.url_to_be(server + "meeting/2026-01-15"))
        heading = driver.find_element(By.CSS_SELECTOR, "main h1").text
        assert heading == "Council meeting of 15 January 2026"
        # the query page opens with the landing page's first section, and runs it
        driver.get(server + "sparql")
        driver.find_element(By.ID, "run").click()
        count = WebDriverWait(driver, 30).until(
            ec.presence_of_element_located((By.ID, "row-count"))
        )  # the answer is a new page: wait for it
        assert int(count.text) >= 2
        assert "Council meeting of 12 February 2026" in driver.page_source
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
    finally:
        driver.quit()


def test_the_site_json_is_readable_by_tools(client):
    listing = client.get("/queries", headers={"Accept": "application/json"}).get_json()["queries"]
    assert {q["name"] for q in listing} == {"landing-meetings", "landing-members"}
    assert all(set(q["title"]) == {"en"} for q in listing)
    assert json.loads(client.get("/openapi.json").data)["openapi"].startswith("3.1")


def test_generate_says_it_makes_the_bundled_sites_model(site, runner, tmp_path):
    result = runner.invoke(cli, ["--site", str(site), "generate", "-o", str(tmp_path / "g.nt")])
    assert result.exit_code == 2 and "bundled site's model" in result.output
    assert not (tmp_path / "g.nt").exists()


def client_of_a_site_with(tmp_path, name: str, template: str):
    """A test client of a new site (``imagraph init``) with its own template ``name``."""
    from click.testing import CliRunner

    folder = tmp_path / "site"
    result = CliRunner().invoke(cli, ["init", str(folder), "--base-iri", BASE])
    assert result.exit_code == 0, result.output
    (folder / "templates").mkdir()
    (folder / "templates" / name).write_text(template, encoding="utf-8")
    return create_app(Instance.open(Settings(site=folder))).test_client()


def test_a_sites_link_macro_draws_every_link_of_a_resource_page(tmp_path):
    """A site that overrides link.html alone changes every link: a resource page's values,
    its property names, its sources (the page draws them all with that macro)."""
    client = client_of_a_site_with(
        tmp_path,
        "link.html",
        "{% macro link(href, text, title=none) -%}"
        '<a class="council" href="{{ href or "#" }}">{{ text }}</a>'
        "{%- endmacro %}\n",
    )
    page = client.get("/meeting/2026-01-15", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    table = html[html.index('<table class="properties">') : html.index("</table>")]
    assert '<a class="council" href="https://schema.org/startDate">' in table  # a property
    assert '<a class="council" href="http://localhost/org/council">' in table  # a value
    assert "<a href=" not in table  # no link drawn otherwise


def test_a_sites_header_is_on_every_page_for_each_server_root(tmp_path):
    """A site that overrides header.html (its name and menu: rendered once for each language and
    server root, then kept) has it on a resource page, the landing page and an error page, its
    links on each host its own."""
    client = client_of_a_site_with(
        tmp_path,
        "header.html",
        '<a class="council-brand" href="{{ urls.url(\'\') }}">{{ t("title") }} ({{ lang }})</a>\n',
    )
    html = {"Accept": "text/html"}
    for host in ("localhost", "council.example", "localhost"):
        for path, status in (("/meeting/2026-01-15", 200), ("/", 200), ("/nothing", 404)):
            page = client.get(path, headers=html, base_url=f"http://{host}/")
            assert page.status_code == status
            body = page.get_data(as_text=True)
            assert f'<a class="council-brand" href="http://{host}/">' in body, (host, path)
            assert body.count("council-brand") == 1 and 'class="brand"' not in body


def test_a_sites_header_that_reads_the_request_is_an_error_that_says_why(tmp_path, caplog):
    """A header is kept for every page of a language and server root: one that reads the
    request (here to mark the page shown) is an error on its first page, which says so, rather
    than one page's header shown on all of them."""
    client = client_of_a_site_with(
        tmp_path,
        "header.html",
        '<a class="brand" href="{{ urls.url(\'\') }}" data-here="{{ request.path }}">x</a>\n',
    )
    page = client.get("/meeting/2026-01-15", headers={"Accept": "text/html"})
    assert page.status_code == 500
    assert "Traceback" not in page.get_data(as_text=True)
    assert "header.html is rendered once for every page" in caplog.text
    assert "it cannot read request" in caplog.text
