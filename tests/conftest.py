"""Shared fixtures: a core over the bundled files, the shapes and ontology graphs, a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from imagraph.core import Core
from imagraph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(root=ROOT)


@pytest.fixture(scope="session")
def core(settings: Settings) -> Core:
    """The bundled graph in an in-memory store. Tests must not change it."""
    return Core.open(settings)


@pytest.fixture(scope="session")
def shapes_graph() -> Graph:
    return Graph().parse(ROOT / "shapes" / "imanoeb-shapes.ttl")


@pytest.fixture(scope="session")
def ontology_graph() -> Graph:
    return Graph().parse(ROOT / "ontology" / "imanoeb.ttl")


@pytest.fixture(scope="session")
def data_graph() -> Graph:
    """All bundled data files, parsed by rdflib (independently of the store)."""
    g = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        g.parse(path)
    return g


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
