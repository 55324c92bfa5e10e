"""Shared fixtures: a core over the bundled files, the shapes and ontology graphs, a CLI runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from rdflib import Graph

from imagraph.core import Core
from imagraph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
#: The bundled site's prefixes (the standard ones and its own, imo:).
SITE_PREFIXES = Settings(site=ROOT).config.prefixes
TESTS = Path(__file__).resolve().parent
#: Official standards material (DCAT-AP shapes, the W3C SPARQL protocol tests), beside the
#: checkout; the tests that read it skip without it, and the run says so at its start and end.
STANDARDS = ROOT.parent / "shared" / "standards"

#: The store the suite runs on: ``memory`` (the default), ``disk`` (a new on-disk store), or the
#: query URL of a remote SPARQL 1.1 store, whose other settings come from ``IMAGRAPH_STORE_*``
#: variables (``.ci/run`` runs the suite on all three, the remote one being Virtuoso).
TEST_STORE = os.environ.get("IMAGRAPH_TEST_STORE", "memory")
REMOTE = TEST_STORE.startswith(("http://", "https://"))
DISK = TEST_STORE == "disk"

#: Marks a test that runs on the embedded store only, with the reason.
embedded_only = pytest.mark.skipif(REMOTE, reason="embedded store only")


def store_settings(tmp_path: Path | None = None, **overrides: object) -> Settings:
    """Settings on the store under test: memory; on disk, in ``tmp_path`` (memory without one);
    or the remote store."""
    if REMOTE:
        return Settings.from_env(site=ROOT, store=TEST_STORE, **overrides)
    if DISK and tmp_path is not None:
        return Settings(site=ROOT, store=str(tmp_path / "store"), **overrides)  # type: ignore[arg-type]
    return Settings(site=ROOT, **overrides)  # type: ignore[arg-type]


def reset_remote(core: Core) -> None:
    """A remote store back to the bundled graph alone (tests share one remote store)."""
    for graph in core.store.graphs():
        core.store.clear_graph(graph)
    core.load_bundled()


def open_core(tmp_path: Path | None = None, **overrides: object) -> Core:
    """A new core with the bundled graph on the store under test, for a test that changes it.
    On a remote store the graphs are reset first; reset them after the test with
    :func:`reset_remote` (the :func:`fresh` fixture does both)."""
    core = Core.open(store_settings(tmp_path, **overrides), load=not REMOTE)
    if REMOTE:
        reset_remote(core)
    return core


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Callable[..., Core]]:
    """Makes new cores on the store under test (see :func:`open_core`), reset afterwards."""
    made: list[Core] = []

    def make(**overrides: object) -> Core:
        folder = tmp_path / f"s{len(made)}"
        folder.mkdir()  # (an on-disk store is made in it)
        made.append(open_core(folder, **overrides))
        return made[-1]

    yield make
    if REMOTE and made:
        reset_remote(made[-1])


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return store_settings(tmp_path_factory.mktemp("store") if DISK else None)


@pytest.fixture(scope="session")
def core(settings: Settings) -> Core:
    """The bundled graph in the store under test. Tests must not change it."""
    if REMOTE:
        return open_core()
    if DISK:  # made, then shared read-only (as the workers of a server share it)
        made = Core.open(settings)
        made.store.flush()
        del made
        return Core.open(settings, read_only=True)
    return Core.open(settings)


def server_env(settings: Settings) -> dict[str, str]:
    """The environment that makes ``imagraph serve`` use the store under test."""
    return {"IMAGRAPH_STORE": settings.store} if settings.store != "memory" else {}


@pytest.fixture(scope="session")
def shapes_graph() -> Graph:
    g = Graph()  # every file of shapes/ (the resource shapes and the range shapes), as imagraph
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        g.parse(path)
    return g


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


def fetch(client, url: str, **kwargs: object):
    """A response of the Flask test client, read whole and closed (a dump is sent from its
    file, which a real server closes once sent)."""
    with client.get(url, **kwargs) as resp:
        resp.get_data()
        return resp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    log_path: Path,
    env: dict[str, str] | None = None,
    workers: int = 2,
    port: int | None = None,
    options: tuple[str, ...] = (),
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``imagraph [options] serve`` on a free port (or ``port``) and wait until it
    answers."""

    port = port or free_port()
    log = log_path.open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "imagraph.cli",
            *options,
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
        start_new_session=True,  # its own process group: a test can kill it whole (a crash)
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


def wait_for_dumps(url: str, seconds: float = 180) -> None:
    """Wait until the server has made the dumps it starts making as it starts: on a remote store
    that work loads the store for a while, and the tests that use this server wait for pages
    with time limits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        listing = requests.get(url + "dumps", headers={"Accept": "application/json"}, timeout=30)
        if not any(d.get("beingMade") for d in listing.json()["dumps"]):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the server at {url} did not make its dumps in {seconds} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory, core: Core) -> Iterator[str]:
    """``imagraph serve`` on the store under test (the session's on-disk or remote store)."""
    proc, url = start_server(
        tmp_path_factory.mktemp("server") / "server.log", server_env(core.settings)
    )
    try:
        wait_for_dumps(url)
        yield url
    finally:
        stop_server(proc)


def _standards_note() -> str | None:
    if STANDARDS.exists():
        return None
    return (
        f"standards material not found at {os.path.relpath(STANDARDS)}: the DCAT-AP/DCAT-AP.de "
        "catalogue tests and the W3C SPARQL protocol tests are skipped "
        "(IMAGRAPH_REQUIRE_STANDARDS=1 makes them fail instead)"
    )


def pytest_report_header(config):
    return _standards_note() or f"standards material: {os.path.relpath(STANDARDS)}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    note = _standards_note()
    if note:
        terminalreporter.write_line("NOTE: " + note, yellow=True, bold=True)
