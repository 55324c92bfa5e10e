"""Harvest a DCAT catalogue the way ckanext-dcat's harvester does, with its own RDF parser.

Run with the Python of an environment that has ckanext-dcat and CKAN's package installed (no
CKAN site, database or configuration): ``python ckan_harvest.py URL``. It fetches the URL, picks
the parser format from the response's Content-Type (as the harvester does), follows the Hydra
``next`` pages and prints the datasets, as CKAN dicts, in JSON. It imports nothing of imagraph.
"""

from __future__ import annotations

import json
import sys

import requests
from ckanext.dcat.processors import RDFParser


def harvest(url: str, limit: int = 50) -> dict[str, object]:
    pages = []
    datasets = []
    while url and len(pages) < limit:
        resp = requests.get(url, headers={"Accept": "application/ld+json"}, timeout=30)
        resp.raise_for_status()
        content_type = resp.headers["Content-Type"].split(";")[0].strip()
        parser = RDFParser()
        parser.parse(resp.content, _format=content_type)
        pages.append({"url": url, "content_type": content_type})
        for d in parser.datasets():
            extras = {e["key"]: e["value"] for e in d.get("extras", [])}
            datasets.append(
                {
                    "title": d.get("title"),
                    "uri": extras.get("uri") or d.get("uri"),
                    "identifier": extras.get("identifier") or d.get("identifier"),
                    "resources": [
                        {"url": r.get("url"), "format": r.get("format"), "size": r.get("size")}
                        for r in d.get("resources", [])
                    ],
                    "license_id": d.get("license_id"),
                    "tags": [t["name"] for t in d.get("tags", [])],
                }
            )
        url = parser.next_page()
    return {"pages": pages, "datasets": datasets}


if __name__ == "__main__":
    json.dump(harvest(sys.argv[1]), sys.stdout, ensure_ascii=False)
