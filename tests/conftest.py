"""Shared fixtures: a core over the bundled files, the shapes and ontology graphs, a CLI runner."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
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


class Listener:
    """A TCP listener on the loopback that records whether anything connected to it."""

    def __init__(self) -> None:
        self.contacted: list[bool] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(1)
        self._sock.settimeout(1.5)
        self.port = int(self._sock.getsockname()[1])
        self._thread = threading.Thread(target=self._accept)

    def _accept(self) -> None:
        try:
            conn, _ = self._sock.accept()
            self.contacted.append(True)
            conn.close()
        except OSError:
            pass

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.join()
        self._sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    log_path: Path, env: dict[str, str] | None = None, workers: int = 2
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``imagraph serve`` on a free port and wait until it answers."""
    import os

    port = free_port()
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "imagraph.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    log.close()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return proc, url
        except requests.ConnectionError:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"the server did not start; see {log_path}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[str]:
    proc, url = start_server(tmp_path_factory.mktemp("server") / "server.log")
    try:
        yield url
    finally:
        stop_server(proc)
