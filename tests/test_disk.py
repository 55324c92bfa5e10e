"""The on-disk store: bulk loading with `imagraph load`, and a server whose workers share it."""

from __future__ import annotations

import gzip

import requests
from rdflib import Graph, URIRef

from imagraph.cli import cli
from imagraph.core import Core
from imagraph.generate import SYNTHETIC_BASE, write_ntriples
from imagraph.instance import Instance
from imagraph.settings import Settings

from .conftest import ROOT, start_server, stop_server


def test_load_builds_a_store_with_the_bundled_graph_and_the_files(runner, tmp_path):
    data = tmp_path / "gen.nt"
    n = write_ntriples(data, scale=5000)
    store = tmp_path / "store"
    result = runner.invoke(cli, ["--store", str(store), "load", str(data)])
    assert result.exit_code == 0, result.output
    assert f"{n:10d}  https://w3id.org/imanoeb/graph/data/gen" in result.output
    core = Core.open(Settings(site=ROOT, store=str(store)), read_only=True)
    assert core.store.count("https://w3id.org/imanoeb/graph/data/gen") == n
    assert core.store.exists(
        "https://w3id.org/imanoeb/meeting/2025-10-14-network"
    )  # the bundled data
    assert core.validate().conforms
    # loading again replaces the file's graph instead of adding to it
    again = runner.invoke(cli, ["--store", str(store), "load", str(data)])
    assert again.exit_code == 0
    assert (
        Core.open(Settings(site=ROOT, store=str(store)), read_only=True).store.count(
            "https://w3id.org/imanoeb/graph/data/gen"
        )
        == n
    )


def test_load_needs_an_on_disk_store(runner, tmp_path):
    data = tmp_path / "gen.nt"
    write_ntriples(data, scale=1000)
    result = runner.invoke(cli, ["load", str(data)])
    assert result.exit_code == 2 and "give the store" in result.output


def test_read_only_open_of_a_missing_store_is_a_clear_error(tmp_path):
    import pytest

    from imagraph.errors import NotFoundError

    with pytest.raises(NotFoundError, match="create it with imagraph load"):
        Core.open(Settings(site=ROOT, store=str(tmp_path / "nothing")), read_only=True)


def test_workers_share_an_on_disk_store_read_only(runner, tmp_path):
    data = tmp_path / "gen.nt"
    write_ntriples(data, scale=20_000)
    store = tmp_path / "store"
    assert (
        runner.invoke(
            cli, ["--store", str(store), "--base-iri", SYNTHETIC_BASE, "load", str(data)]
        ).exit_code
        == 0
    )
    proc, url = start_server(
        tmp_path / "server.log",
        {"IMAGRAPH_STORE": str(store), "IMAGRAPH_BASE_IRI": SYNTHETIC_BASE},
        workers=2,
    )
    try:
        for i in range(6):  # spread over both workers
            resp = requests.get(url + f"meeting/{i}", headers={"Accept": "text/turtle"}, timeout=10)
            assert resp.status_code == 200
            assert (URIRef(f"{SYNTHETIC_BASE}meeting/{i}"), None, None) in Graph().parse(
                data=resp.text, format="turtle"
            )
        answer = requests.get(
            url + "sparql",
            params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?m a imo:Meeting }"},
            timeout=10,
        ).json()
        assert int(answer["results"]["bindings"][0]["n"]["value"]) > 50
    finally:
        stop_server(proc)


def test_load_reads_what_generate_writes_gzipped(runner, tmp_path):
    data = tmp_path / "gen.nt.gz"
    made = runner.invoke(cli, ["generate", "--scale", "1000", "-o", str(data)])
    assert made.exit_code == 0, made.output
    store = tmp_path / "store"
    result = runner.invoke(cli, ["--store", str(store), "load", str(data)])
    assert result.exit_code == 0, result.output
    expected = len(Graph().parse(data=gzip.decompress(data.read_bytes()), format="nt"))
    core = Core.open(Settings(site=ROOT, store=str(store)), read_only=True)
    assert core.store.count("https://w3id.org/imanoeb/graph/data/gen") == expected


def test_a_file_that_does_not_parse_changes_nothing_and_leaves_no_store(runner, tmp_path):
    bad = tmp_path / "bad.nt.gz"
    bad.write_bytes(gzip.compress(b"<https://e.org/s> <https://e.org/p> .\n"))
    not_gzip = tmp_path / "plain.nt.gz"
    not_gzip.write_bytes(b"<https://e.org/s> <https://e.org/p> <https://e.org/o> .\n")
    store = tmp_path / "new"
    for path, words in ((bad, f"{bad}, line 1, column "), (not_gzip, "not a valid gzip file")):
        result = runner.invoke(cli, ["--store", str(store), "load", str(path)])
        assert result.exit_code == 2 and words in result.output, result.output
        assert not store.exists()
    good = tmp_path / "gen.nt"
    n = write_ntriples(good, scale=1000)
    existing = tmp_path / "existing"
    assert runner.invoke(cli, ["--store", str(existing), "load", str(good)]).exit_code == 0
    bad_gen = tmp_path / "gen.nt.gz"  # the same graph name, data/gen
    bad_gen.write_bytes(gzip.compress(good.read_bytes() + b"<https://e.org/s> oops .\n"))
    result = runner.invoke(cli, ["--store", str(existing), "load", str(bad_gen)])
    assert result.exit_code == 2
    core = Core.open(Settings(site=ROOT, store=str(existing)), read_only=True)
    assert core.store.count("https://w3id.org/imanoeb/graph/data/gen") == n


def test_the_landing_page_and_search_stay_small_on_a_large_graph(runner, tmp_path):
    """At about 140k triples (a thousand meetings would make the page megabytes long): each list
    shows at most 25 items and links to all of them, paged; the search pages its results."""
    import re
    from html import unescape

    from imagraph.web import create_app

    data = tmp_path / "gen.nt"
    write_ntriples(data, scale=50_000)
    store = tmp_path / "store"
    assert runner.invoke(cli, ["--store", str(store), "load", str(data)]).exit_code == 0
    settings = Settings(site=ROOT, store=str(store))
    client = create_app(Instance(Core.open(settings, read_only=True), settings)).test_client()
    page = client.get("/?lang=en", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and len(page.data) < 100_000
    assert html.count('<li><time datetime="') == 25
    groups = re.findall(r"<summary>([^<]+) \((\d+)\)</summary>\s*<ul>(.*?)</ul>", html, re.S)
    big = [(name, int(n)) for name, n, items in groups if int(n) > 25]
    assert big and all(items.count("<li>") <= 25 for _, _, items in groups)
    assert "the 25 most recent of" in html
    # the link to all municipalities opens the section's stored query, whose table holds every
    # stakeholder, at the page where the municipalities begin
    name, total = next((name, n) for name, n in big if name == "municipality")
    link = unescape(
        re.search(
            rf"<summary>{name} \({total}\)</summary>.*?<a href=\"([^\"]+)\">all {total} →</a>",
            html,
            re.S,
        ).group(1)
    )
    assert "/queries/landing-stakeholders?page=" in link
    listing = client.get(link.removeprefix("http://localhost"), headers={"Accept": "text/html"})
    table = listing.get_data(as_text=True)
    everyone = sum(int(n) for _, n, _ in groups)
    assert f'<span id="row-count">{everyone}</span>' in table
    assert "ontology#Municipality" in table
    found = client.get("/search?q=a&lang=en", headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    listed = re.search(r'<ol class="found" start="1">(.*?)</ol>', found, re.S).group(1)
    assert listed.count("<li><a href=") == 50 and 'id="page-next"' in found
