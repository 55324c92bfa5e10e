"""ckanext-dcat's own RDF parser harvests the catalogue over HTTP, as a CKAN harvester does.

The parser runs in its own environment (``.ckan/``, made by ``make ckan-env`` from
``tests/peers/ckan-requirements.txt``: ckanext-dcat and CKAN's package, no CKAN site), in a
separate process that reads the live server. CI sets ``IMAGRAPH_REQUIRE_CKAN``, so there a
missing environment fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from .conftest import ROOT, TESTS, start_server, stop_server

CKAN_PYTHON = ROOT / ".ckan" / "bin" / "python"
pytestmark = pytest.mark.skipif(
    not CKAN_PYTHON.exists() and not os.environ.get("IMAGRAPH_REQUIRE_CKAN"),
    reason="no ckanext-dcat environment (make ckan-env)",
)


def _harvest(url: str) -> dict:
    out = subprocess.run(
        [str(CKAN_PYTHON), str(TESTS / "peers" / "ckan_harvest.py"), url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def test_ckanext_dcat_harvests_every_dataset_once_with_stable_identifiers(tmp_path):
    env = {
        "IMAGRAPH_CATALOG_PAGE_SIZE": "2",
        "IMAGRAPH_CONTACT_EMAIL": "IMAnoeb@bmi.bund.de",
        "IMAGRAPH_CONTRIBUTOR_ID": (
            "http://dcat-ap.de/def/contributors/bundesministeriumDesInnernUndHeimat"
        ),
    }
    proc, url = start_server(tmp_path / "server.log", env, workers=1)
    try:
        first = _harvest(url + "catalog")
        second = _harvest(url + "catalog")
    finally:
        stop_server(proc)
    # three pages of two, each parsed with the parser its Content-Type names
    assert len(first["pages"]) == 3
    assert {p["content_type"] for p in first["pages"]} == {"application/ld+json"}
    ids = [d["identifier"] for d in first["datasets"]]
    assert len(ids) == len(set(ids)) == 5
    assert all(i.startswith("https://w3id.org/imanoeb/dataset/") for i in ids)
    assert ids == [d["identifier"] for d in second["datasets"]]  # stable across harvests
    for d in first["datasets"]:
        assert d["title"] and d["uri"] == d["identifier"]
        assert d["resources"], d["title"]
        downloads = [r["url"] for r in d["resources"] if r["url"]]
        assert downloads and all(u.startswith(("http://", "https://")) for u in downloads)
    whole = next(d for d in first["datasets"] if d["identifier"].endswith("/imanoeb"))
    assert any(r["url"] == url + "dumps/imanoeb.ttl" for r in whole["resources"])
