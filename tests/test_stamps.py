"""Dates that mean something: ``Last-Modified`` and ``dct:modified`` are when the content last
changed (the ``stamps.json`` beside the bundled files, see :mod:`imagraph.stamps`), not when the
files were written to this disk: the same after a fresh clone, a restart or on another machine;
each catalogue dataset has the date of its own graphs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import DCAT, DCTERMS, RDF
from werkzeug.http import http_date

from imagraph import downloads as site_module
from imagraph import stamps
from imagraph.cli import cli
from imagraph.core import Core
from imagraph.errors import BadInputError
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app

from .conftest import ROOT, fetch
from .test_writes import AUTH, GOOD, TOKEN

BASE = "https://w3id.org/imanoeb/"
FOLDERS = ("ontology", "shapes", "data", "catalog", "queries")


@dataclass(frozen=True)
class Dates:
    last_modified: str  # of a resource page
    catalogue: datetime  # the catalogue's dct:modified
    datasets: dict[str, datetime]  # each dataset's dct:modified, by id


def dates_of(root: Path, **extra: object) -> Dates:
    """The dates an app over the bundled files in ``root`` gives."""
    core = Core.open(Settings(site=root, **extra))  # type: ignore[arg-type]
    client = create_app(Instance(core)).test_client()
    return dates_from(client)


def dates_from(client) -> Dates:
    last_modified = fetch(client, "/org/bmi").headers["Last-Modified"]
    body = client.get("/catalog", headers={"Accept": "text/turtle"}).data
    g = Graph().parse(data=body, format="turtle")
    catalogue = next(g.subjects(RDF.type, DCAT.Catalog))
    datasets = {
        str(d).removeprefix(BASE + "dataset/"): g.value(d, DCTERMS.modified).toPython()
        for d in g.subjects(RDF.type, DCAT.Dataset)
    }
    return Dates(last_modified, g.value(catalogue, DCTERMS.modified).toPython(), datasets)


def stamped(root: Path) -> dict[str, datetime]:
    """The content date of each bundled file in ``root`` by its path there, as its manifest
    says (in UTC, as the catalogue writes dates)."""
    out = {}
    for manifest in root.rglob(stamps.MANIFEST):
        for name, entry in json.loads(manifest.read_text()).items():
            when = datetime.fromisoformat(entry["modified"]).astimezone(UTC)
            out[str((manifest.parent / name).relative_to(root))] = when
    return out


def site_copy(tmp_path: Path) -> Path:
    """A copy of the bundled folders, stamped (whether the checkout is, another test says)."""
    root = tmp_path / "site"
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(ROOT / "site.toml", root / "site.toml")
    files = [p for paths in Core.bundled_files(Settings(site=root)).values() for p in paths]
    stamps.stamp(files, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    return root


@pytest.fixture(autouse=True)
def no_wait_for_dumps(monkeypatch):
    monkeypatch.setattr(site_module, "LIST_WAIT", 0.0)  # the catalogue's dates, not its sizes


def test_every_bundled_file_is_stamped_as_it_is():
    """The manifests cannot go stale unnoticed: a bundled file changed without ``imagraph
    stamp`` (or one stamped and gone) fails here, saying what to run."""
    files = [p for paths in Core.bundled_files(Settings(site=ROOT)).values() for p in paths]
    problems = stamps.stale(files)
    assert not problems, "run `imagraph stamp` and commit the stamps.json files:\n" + "\n".join(
        problems
    )


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout"
)
def test_two_clones_say_the_same_dates_whenever_they_were_made(tmp_path):
    """Two fresh clones, the files of one touched as a later deploy would: the same
    Last-Modified and dct:modified in both, the dates the manifests give (a fresh clone dated
    every dataset from the clone)."""
    started = datetime.now(UTC).replace(microsecond=0)
    for name in ("a", "b"):
        subprocess.run(["git", "clone", "-q", str(ROOT), str(tmp_path / name)], check=True)
    later = time.time() + 3600
    for path in (tmp_path / "b").rglob("*.ttl"):
        os.utime(path, (later, later))
    a, b = dates_of(tmp_path / "a"), dates_of(tmp_path / "b")
    assert a == b
    files = stamped(tmp_path / "a")
    newest = max(files.values())
    assert newest < started
    assert a.last_modified == http_date(newest)
    assert a.catalogue == a.datasets["imanoeb"] == newest
    assert a.datasets["meetings"] == files["data/meetings.ttl"]
    assert a.datasets["topics"] == files["data/topics.ttl"]
    assert a.datasets["stakeholders"] == max(
        files[f"data/{n}.ttl"] for n in ("committee", "organisations", "publishers")
    )


def test_a_date_changes_with_the_content_only(tmp_path, runner, caplog):
    """Touching a file changes no date; changing its content without stamping dates it from
    its modification time (logged, and ``imagraph stamp --check`` fails naming it); stamping
    dates it from the stamp, and only that file's dataset moves (``modified_since`` finds it
    alone)."""
    root = site_copy(tmp_path)
    env = {"IMAGRAPH_SITE": str(root)}
    first = dates_of(root)
    topics = root / "data" / "topics.ttl"
    later = time.time() + 3600
    for path in root.rglob("*.ttl"):
        os.utime(path, (later, later))
    assert dates_of(root) == first

    with topics.open("a", encoding="utf-8") as f:
        f.write("\n# another line: other content\n")
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    os.utime(topics, (when.timestamp(), when.timestamp()))
    changed = dates_of(root)
    assert changed.last_modified == http_date(when)
    assert changed.datasets["topics"] == changed.datasets["imanoeb"] == when
    assert changed.datasets["meetings"] == first.datasets["meetings"]
    assert "topics.ttl" in caplog.text and "run imagraph stamp" in caplog.text
    check = runner.invoke(cli, ["stamp", "--check"], env=env)
    assert check.exit_code == 1
    assert "topics.ttl: new or changed since it was stamped" in check.output
    assert "run imagraph stamp" in check.output

    before = datetime.now(UTC).replace(microsecond=0)
    result = runner.invoke(cli, ["stamp"], env=env)
    assert result.exit_code == 0, result.output
    assert "topics.ttl" in result.output and "1 of 10 files dated now" in result.output
    assert runner.invoke(cli, ["stamp", "--check"], env=env).exit_code == 0
    os.utime(topics, (later, later))
    now = dates_of(root)
    assert before <= now.datasets["topics"] <= datetime.now(UTC)
    assert {k: v for k, v in now.datasets.items() if k not in ("topics", "imanoeb")} == {
        k: v for k, v in first.datasets.items() if k not in ("topics", "imanoeb")
    }
    again = runner.invoke(cli, ["stamp"], env=env)
    assert "0 of 10 files dated now" in again.output
    assert dates_of(root) == now

    since = (now.datasets["topics"]).isoformat()
    client = create_app(Instance.open(Settings(site=root))).test_client()
    g = Graph().parse(
        data=client.get(
            "/catalog", query_string={"modified_since": since}, headers={"Accept": "text/turtle"}
        ).data,
        format="turtle",
    )
    found = {str(d).removeprefix(BASE + "dataset/") for d in g.subjects(RDF.type, DCAT.Dataset)}
    assert found == {"imanoeb", "topics"}


def test_a_write_dates_the_datasets_of_the_graph_it_wrote(tmp_path):
    """A write sets the time of the write: on every page, and on the catalogue datasets that
    hold the graph written (a merge into data/organisations moves 'stakeholders', not
    'meetings')."""
    core = Core.open(Settings(site=ROOT, write_tokens=f"alice:{TOKEN}"))
    client = create_app(Instance(core)).test_client()
    first = dates_from(client)
    time.sleep(1.1)
    before = datetime.now(UTC).replace(microsecond=0)
    resp = client.post(
        "/graph-store",
        query_string={"graph": BASE + "graph/data/organisations"},
        data=GOOD,
        content_type="text/turtle",
        headers=AUTH,
    )
    assert resp.status_code == 204, resp.text
    after = dates_from(client)
    assert after.datasets["stakeholders"] >= before
    assert after.datasets["imanoeb"] == after.catalogue == after.datasets["stakeholders"]
    assert after.last_modified == http_date(after.catalogue)
    assert after.datasets["meetings"] == first.datasets["meetings"]
    assert after.datasets["topics"] == first.datasets["topics"]


def test_a_manifest_that_is_not_one_is_an_error_naming_it_and_the_command(tmp_path):
    root = site_copy(tmp_path)
    (root / "data" / stamps.MANIFEST).write_text('{"topics.ttl": {"sha256": "x"}}')
    with pytest.raises(BadInputError, match=r"stamps\.json: not a manifest .*imagraph stamp"):
        Core.open(Settings(site=root))
