"""`imagraph serve` for real: gunicorn in a subprocess, read by requests and by rdflib."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import http.client
import json
import re
import select
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from rdflib import Graph, Literal, URIRef

from imagraph.generate import write_ntriples

from .conftest import ROOT, server_env, start_server, stop_server, wait_for_dumps

BASE = "https://w3id.org/imanoeb/"


def test_gunicorn_serves_the_linked_data(server):
    resp = requests.get(server + "org/bmi", headers={"Accept": "text/turtle"}, timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Server"].startswith("gunicorn")
    assert resp.headers["Content-Location"] == server + "org/bmi.ttl"
    g = Graph().parse(data=resp.text, format="turtle")
    assert (
        URIRef(BASE + "org/bmi"),
        URIRef("http://www.w3.org/2004/02/skos/core#altLabel"),
        Literal("BMI"),
    ) in g


def test_rdflib_parses_an_iri_of_the_server(server):
    g = Graph()
    g.parse(server + "meeting/2025-10-14-network")
    assert (
        URIRef(BASE + "meeting/2025-10-14-network"),
        URIRef("https://schema.org/startDate"),
        None,
    ) in g


def test_browser_gets_html_and_unknown_is_404(server):
    html = requests.get(
        server + "meeting/2025-10-14-network", headers={"Accept": "text/html"}, timeout=10
    )
    assert html.headers["Content-Type"] == "text/html; charset=utf-8"
    missing = requests.get(
        server + "nothing/here", headers={"Accept": "application/json"}, timeout=10
    )
    assert missing.status_code == 404
    assert missing.json()["status"] == 404


def test_gunicorn_sends_dumps_made_by_a_child_of_a_worker(server):
    """The dump files are made by a process forked from a gunicorn worker, then sent from the
    file: the whole of it, a range of it, and the same bytes as the listing's checksum says."""
    listing = requests.get(server + "dumps", headers={"Accept": "application/json"}, timeout=30)
    dumps = {d["name"]: d for d in listing.json()["dumps"]}
    turtle = dumps["imanoeb.ttl"]
    assert "beingMade" not in turtle  # the bundled graph's dumps take about a second
    resp = requests.get(server + "dumps/imanoeb.ttl", timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/turtle")
    assert int(resp.headers["Content-Length"]) == turtle["byteSize"] == len(resp.content)
    assert hashlib.sha256(resp.content).hexdigest() == turtle["sha256"]
    assert len(Graph().parse(data=resp.content, format="turtle")) > 4000
    part = requests.get(server + "dumps/imanoeb.ttl", headers={"Range": "bytes=0-99"}, timeout=30)
    assert part.status_code == 206 and part.content == resp.content[:100]


def _raw(server: str, request: bytes) -> tuple[int, bytes]:
    """Send ``request`` as it is and read the answer (status, body)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(server)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        # the server may answer (413) and close before it has read it all
        with contextlib.suppress(OSError):
            sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_a_chunked_body_is_read_within_the_limit_and_a_malformed_one_is_400(server):
    """Chunked bodies have no Content-Length: the limit still holds (413, not a silent cut or
    a 400), and a chunk size that is not hexadecimal is 400 saying so (it was a 500)."""
    head = (
        b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\n"
        b"Accept: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    status, body = _raw(server, head + b"zz\r\nabc\r\n0\r\n\r\n")
    assert status == 400
    assert b"cannot be read" in body
    piece = b"#" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(11 * 16))
    status, body = _raw(server, head + chunks + b"0\r\n\r\n")
    assert status == 413
    assert b"limit" in body
    ok = b"<urn:a> <urn:b> <urn:c> .\n"
    status, body = _raw(server, head + b"%x\r\n%s\r\n0\r\n\r\n" % (len(ok), ok))
    assert status == 200
    assert b'"triples": 1' in body


def test_a_connection_the_server_lets_go_is_closed_though_a_child_was_forked_meanwhile(
    tmp_path, core
):
    """A worker forks its query runner while a client's connection is kept alive and while it
    answers the query's own: when the worker lets each go (its keep-alive time, 5 s), the client
    sees the connection end. (The runner held them open: a browser sent its next request into
    one and waited for an answer that never came.)"""
    proc, url = start_server(tmp_path / "server.log", server_env(core.settings), workers=1)
    parts = urlsplit(url)
    idle, asking = (
        http.client.HTTPConnection(parts.hostname, parts.port, timeout=20) for _ in range(2)
    )
    try:
        idle.request("GET", "/org/bmi", headers={"Accept": "text/turtle"})
        resp = idle.getresponse()
        assert resp.status == 200 and resp.getheader("Connection") != "close"
        resp.read()
        # the worker's first query: its runner is forked now, `idle` kept alive meanwhile
        asking.request(
            "GET", "/sparql?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"}
        )
        resp = asking.getresponse()
        assert resp.status == 200
        assert json.loads(resp.read())["boolean"] is True
        for conn in (idle, asking):
            assert conn.sock is not None
            conn.sock.settimeout(15)
            assert conn.sock.recv(1) == b""  # the end of the connection, not silence
    finally:
        idle.close()
        asking.close()
        stop_server(proc)


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory, core) -> Iterator[str]:
    """A server with few threads and short times for heads and bodies."""
    env = {
        **server_env(core.settings),
        "IMAGRAPH_THREADS": "4",
        "IMAGRAPH_HEADER_TIMEOUT": "3",
        "IMAGRAPH_BODY_TIMEOUT": "3",
    }
    proc, url = start_server(tmp_path_factory.mktemp("tight") / "server.log", env, workers=1)
    try:
        yield url
    finally:
        stop_server(proc)


def _slow(server: str, data: bytes, stop: threading.Event) -> socket.socket:
    """A connection that sends ``data`` a byte at a time, twice a second, until ``stop``."""
    parts = urlsplit(server)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=20)

    def trickle() -> None:
        with contextlib.suppress(OSError):
            for byte in data:
                if stop.wait(0.5):
                    return
                sock.send(bytes([byte]))

    threading.Thread(target=trickle, daemon=True).start()
    return sock


def test_slow_clients_hold_no_thread_and_get_408(tight_server):
    """Forty clients sending their headers a byte at a time (ten times the worker's four
    threads) and four trickling their bodies: pages are still answered at once; a head not
    complete within the time is answered 408, and so is a body."""
    stop = threading.Event()
    heads = [
        _slow(tight_server, b"GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n", stop)
        for _ in range(40)
    ]
    body_head = (
        b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\n"
        b"Accept: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    bodies = []
    for _ in range(4):
        parts = urlsplit(tight_server)
        sock = socket.create_connection((parts.hostname, parts.port), timeout=20)
        sock.sendall(body_head + b"<urn:a>")  # then nothing: the body trickles, or stops
        bodies.append(sock)
    try:
        time.sleep(0.5)
        _pages_stay_quick(tight_server)
        for sock in bodies:
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            assert b"did not arrive in time" in answer
        answer = heads[0].recv(65536)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"not received within 3 seconds" in answer
    finally:
        stop.set()
        for sock in heads + bodies:
            sock.close()
    assert requests.get(tight_server + "org/bmi", timeout=5).status_code == 200


def _pages_stay_quick(server: str) -> None:
    """Ten pages, each answered within a second (while the test's clients misbehave)."""
    for _ in range(10):
        start = time.monotonic()
        resp = requests.get(server + "org/bmi", headers={"Accept": "text/turtle"}, timeout=5)
        assert resp.status_code == 200
        assert time.monotonic() - start < 1.0


def _read_all(sock: socket.socket) -> bytes:
    answer = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_slow_bodies_chunked_or_after_100_continue_hold_no_thread_and_get_408(tight_server):
    """Twenty clients trickling a body, a byte every half second: ten chunked (a chunk of one
    byte each time), ten that wait for ``100 Continue`` first. The worker's loop reads them (the
    threads read such bodies, each for the whole body timeout: every page failed), says ``100
    Continue`` itself, and answers 408 after the body timeout; pages are answered at once
    meanwhile. A chunked body, and one sent after ``100 Continue``, that come whole are
    answered."""
    parts = urlsplit(tight_server)
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Accept: application/sparql-results+json\r\n"
    )
    stop = threading.Event()
    chunked, waiting = [], []
    try:
        for i in range(20):
            sock = socket.create_connection((parts.hostname, parts.port), timeout=20)
            if i % 2:
                sock.sendall(head + b"Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
                waiting.append(sock)
                piece = b"A"
            else:
                sock.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
                chunked.append(sock)
                piece = b"1\r\nA\r\n"

            def trickle(sock: socket.socket = sock, piece: bytes = piece) -> None:
                with contextlib.suppress(OSError):
                    while not stop.wait(0.5):
                        sock.send(piece)

            threading.Thread(target=trickle, daemon=True).start()
        time.sleep(0.5)
        _pages_stay_quick(tight_server)
        for sock in chunked + waiting:
            answer = _read_all(sock)
            if sock in waiting:
                assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), answer[:200]
                answer = answer.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            assert b"did not arrive in time" in answer
    finally:
        stop.set()
        for sock in chunked + waiting:
            sock.close()
    query = b"ASK {}"
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            head
            + b"Content-Length: %d\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
            % len(query)
        )
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(query)
        status, _, body = _read_all(sock).partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 200") and json.loads(body)["boolean"] is True
    chunks = b"".join(b"1\r\n%s\r\n" % bytes([c]) for c in query) + b"0\r\n\r\n"
    status, body = _raw(
        tight_server, head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks
    )
    assert status == 200 and json.loads(body)["boolean"] is True


def _headers(answer: bytes) -> tuple[int, dict[str, str]]:
    """The status and headers of a raw answer."""
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in head[1:])
    return int(head[0].split()[1]), fields


def test_the_workers_own_error_answers_carry_the_security_headers(tight_server):
    """What the worker answers itself, before the app sees a request (a request line that is not
    one: 400; a header field past 8190 bytes: 431; a head past all the header limits: 431; a
    head, or a body, that never ends: 408), carries the app's Content-Security-Policy,
    X-Content-Type-Options and Referrer-Policy, as every answer of the app does."""
    from imagraph.web import SECURITY_HEADERS

    parts = urlsplit(tight_server)
    requests_ = {
        400: b"garbage\r\n\r\n",
        431: b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n",
        -431: b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Many: aaaaaaaaaaaaaa\r\n" * 60000 + b"\r\n",
        408: b"GET / HTTP/1.1\r\nHost: x\r\n",
        -408: b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n<urn:a>",
    }
    socks = {}
    for key, request in requests_.items():
        socks[key] = sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        with contextlib.suppress(OSError):  # the server may answer before it has read it all
            sock.sendall(request)
    for key, sock in socks.items():
        with sock:
            status, fields = _headers(_read_all(sock))
        assert status == abs(key)
        for name, value in SECURITY_HEADERS.items():
            assert fields.get(name) == value, (key, name, fields)


def test_a_content_length_past_the_limit_is_413_at_once(tight_server):
    """A body announced past the limit (10 MiB) is refused at once, before any of it is read,
    and the connection closed: it waited for the body and was 408 after the body timeout."""
    parts = urlsplit(tight_server)
    for expect in (b"", b"Expect: 100-continue\r\n"):
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            begin = time.monotonic()
            sock.sendall(
                b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\n"
                b"Accept: application/json\r\nContent-Length: 1000000000\r\n" + expect + b"\r\n"
            )
            answer = b""
            while chunk := sock.recv(65536):  # to the end: the server closes the connection
                answer += chunk
            took = time.monotonic() - begin
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), answer[:300]
        assert b"Connection: close" in head
        assert "limit of 10485760 bytes" in json.loads(body)["detail"]
        assert took < 1.0


@pytest.mark.parametrize(
    ("head", "taken"),
    [
        (b"GET /org/bmi HTTP/1.1\r\nHost: x\r\nAccept: text/turtle\r\n\r\n", True),
        (b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n", True),
        (b"GET / HTTP/1.1\r\nHost: x\r\n", False),  # not whole
        (b"POST / HTTP/1.1\r\nHost: x\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\nHost: x\r\n\r\n", False),
        (b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", False),  # no Host
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n", False),
        (b"GET / HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n", False),
        (b"GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", False),
        (b"GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", False),  # a bare LF
        (b"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", False),  # a bare CR
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 900_000 + b"\r\n\r\n", False),
    ],
)
def test_only_a_whole_bodiless_get_skips_the_loops_reading(head, taken):
    """The worker's loop hands a GET or HEAD to a thread without h11 only when where it ends is
    certain: whole, CRLF lines only, a Host, nothing that announces a body, within the limit."""
    from imagraph.web.worker import _bodiless_head

    after = b"GET /next HTTP/1.1\r\n"
    assert _bodiless_head(head + after, 823_000) == (len(head) if taken else 0)


def test_requests_sent_together_are_each_answered_and_a_body_is_never_a_request(tight_server):
    """Bodiless requests pipelined in one packet are answered one by one on the kept-alive
    connection; a GET that announces a body has it read as its body (the request inside it is
    not answered); a GET whose head is malformed is gunicorn's 400, and the connection ends."""
    get = b"GET /org/bmi HTTP/1.1\r\nHost: x\r\nAccept: text/turtle\r\n"
    inner = b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
    with_body = get + b"Content-Length: %d\r\n\r\n" % len(inner) + inner
    parts = urlsplit(tight_server)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            get + b"\r\n" + get.replace(b"GET", b"HEAD", 1) + b"\r\n" + with_body
            + get + b"Connection: close\r\n\r\n"
        )  # fmt: skip
        answers = _read_all(sock)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answers)
    assert statuses == [b"200"] * 4, answers[:2000]
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(get + b"Bad Header: y\r\n\r\n" + get + b"\r\n")
        answers = _read_all(sock)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answers)
    assert statuses == [b"400"], answers[:2000]


def test_clients_that_never_close_do_not_stall_the_server(tight_server):
    """Clients that ask for ``Connection: close`` and then neither read nor close: the server
    closes each without waiting for it (gunicorn's graceful close waited up to 2 s for each in
    the worker's loop, and every other client with it)."""
    parts = urlsplit(tight_server)
    silent = []
    try:
        for _ in range(8):
            sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
            sock.sendall(b"GET /org/bmi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            silent.append(sock)
        time.sleep(0.5)
        for _ in range(5):
            begin = time.monotonic()
            resp = requests.get(tight_server + "org/bmi", timeout=10)
            assert resp.status_code == 200
            assert time.monotonic() - begin < 1.0
    finally:
        for sock in silent:
            sock.close()


QUERY_5MB = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 10000"
XML = "application/sparql-results+xml"


@pytest.fixture(scope="module")
def big_server(tmp_path_factory) -> Iterator[tuple[str, dict[str, Any]]]:
    """One worker of 4 threads, a send timeout of 3 s, 4 MiB of memory and 64 MiB of disk for
    answers its clients have not read, on the bundled data and 50,000 synthetic triples: its
    N-Quads dump (10 MB) and a SPARQL answer in XML (5 MB) are more than the sockets buffer.
    Also its catalogue of dumps."""
    folder = tmp_path_factory.mktemp("big")
    (folder / "data").mkdir()
    for path in (ROOT / "data").glob("*.ttl"):
        shutil.copy(path, folder / "data")
    write_ntriples(folder / "data" / "synthetic.nt", scale=50_000)
    env = {
        "IMAGRAPH_STORE": "memory",
        "IMAGRAPH_DATA_DIR": str(folder / "data"),
        "IMAGRAPH_DUMP_DIR": str(folder / "dumps"),
        "IMAGRAPH_THREADS": "4",
        "IMAGRAPH_SEND_TIMEOUT": "3",
        "IMAGRAPH_SEND_MEMORY": str(4 << 20),
        "IMAGRAPH_SEND_SPOOL": str(64 << 20),
    }
    proc, url = start_server(folder / "server.log", env, workers=1)
    try:
        wait_for_dumps(url)
        listing = requests.get(url + "dumps", headers={"Accept": "application/json"}, timeout=30)
        yield url, {d["name"]: d for d in listing.json()["dumps"]}
    finally:
        stop_server(proc)


def _small_window(url: str) -> socket.socket:
    """A connection with a 2 KB receive buffer (the window its server may fill)."""
    parts = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # before connecting
    sock.settimeout(20)
    sock.connect((parts.hostname, parts.port))
    return sock


def _stalled(url: str, target: str, accept: str = "*/*") -> socket.socket:
    """A connection with a small window that asks for ``target`` and reads nothing."""
    sock = _small_window(url)
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\n\r\n".encode())
    return sock


def _established(sock: socket.socket) -> bool:
    """The connection is open at both ends (Linux's TCP state, read without reading data)."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == 1


@pytest.mark.parametrize("readers", [40, 200])
def test_stalled_readers_hold_no_thread_and_are_reset_after_the_send_timeout(big_server, readers):
    """Clients that ask for a 10 MB dump or a 5 MB SPARQL answer and never read it, ten and
    fifty times the worker's four threads: pages are answered at once meanwhile (each thread
    wrote its answer on a blocking socket, and every page waited until they closed), and each
    of them is reset once it has read nothing for the send timeout (3 s), or at once when what
    the worker keeps for such clients is full."""
    url, _ = big_server
    sparql = "/sparql?query=" + quote(QUERY_5MB)
    requests.get(url + sparql[1:], headers={"Accept": XML}, timeout=30)  # the answer is kept
    socks = [
        _stalled(url, *(("/dumps/imanoeb.nq",) if i % 2 else (sparql, XML))) for i in range(readers)
    ]
    try:
        time.sleep(1)
        _pages_stay_quick(url)
        deadline = time.monotonic() + 3 + 5
        while any(_established(s) for s in socks) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [s for s in socks if _established(s)]
    finally:
        for sock in socks:
            sock.close()


#: A SPARQL answer of 7.4 MB in XML on the bundled data; a comment after it makes each one a
#: different answer.
QUERY_7MB = (
    "SELECT * WHERE { ?s ?p ?o . ?s ?p2 ?o2 BIND(CONCAT(STR(?s), STR(?p), STR(?o), STR(?s), "
    "STR(?p), STR(?o)) AS ?x) } LIMIT 10000"
)


@pytest.fixture(scope="module")
def spool_server(tmp_path_factory, core) -> Iterator[tuple[str, Path]]:
    """One worker of 4 threads on the bundled data, with 4 MiB of memory and 64 MiB of disk for
    answers its clients have not read, and a send timeout of 120 s; also its log. The test is
    one client and may run forty queries at once (it may run half of the query slots: more, and
    a slow store's answers left the rest 429 after the two seconds they wait for a slot)."""
    log = tmp_path_factory.mktemp("spool") / "server.log"
    env = {
        **server_env(core.settings),
        "IMAGRAPH_THREADS": "4",
        "IMAGRAPH_QUERY_SLOTS": "80",
        "IMAGRAPH_SEND_TIMEOUT": "120",
        "IMAGRAPH_SEND_MEMORY": str(4 << 20),
        "IMAGRAPH_SEND_SPOOL": str(64 << 20),
    }
    proc, url = start_server(log, env, workers=1)
    try:
        yield url, log
    finally:
        stop_server(proc)


def test_stalled_readers_of_different_answers_cost_disk_then_their_connection(spool_server):
    """Forty clients that each ask for a different 7.4 MB SPARQL answer and never read it (300
    MB in all, where one answer for many clients is held once): what the sockets do not take is
    kept in memory (4 MiB), then on disk (64 MiB), and past both the client's connection is
    reset at once. Every answer is made at once and pages are answered meanwhile (past 64 MiB
    each thread waited for its client, up to the send timeout: pages failed, and answers waited,
    for that long); the readers on disk are still connected."""
    url, log = spool_server
    # the answers take what the store takes to make them (a remote one, ten times what the
    # embedded one takes): no longer than made one after another (waiting for readers, the
    # threads took the send timeout for every four of them)
    begin = time.monotonic()
    requests.get(url + "sparql?query=" + quote(QUERY_7MB), headers={"Accept": XML}, timeout=60)
    budget = max(20, 40 * (time.monotonic() - begin))
    socks = [_stalled(url, "/sparql?query=" + quote(f"{QUERY_7MB} #{i}"), XML) for i in range(40)]
    try:
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            begun = select.select(socks, [], [], 0)[0]  # its answer came, or its reset
            if len(begun) == len(socks):
                break
            time.sleep(0.2)
        assert len(begun) == len(socks)
        _pages_stay_quick(url)
        kept = sum(_established(s) for s in socks)
    finally:
        for sock in socks:
            sock.close()
    assert 1 <= kept <= 20, kept  # about 64 MiB of them, on disk
    assert log.read_text().count("the worker holds all it may for such clients") >= 40 - kept


def test_an_answer_a_client_reads_late_is_whole_and_the_connection_kept_alive(big_server):
    """A client that waits 2 s (less than the send timeout) before it reads: the dump, a range
    of it and a SPARQL answer (kept on disk: it is past the memory budget), each finished by the
    worker's loop, come whole on one kept-alive connection (the dump hashes to what the
    catalogue says)."""
    url, dumps = big_server
    sparql = "/sparql?query=" + quote(QUERY_5MB)
    expected = requests.get(url + sparql[1:], headers={"Accept": XML}, timeout=30).content
    assert len(expected) > 5_000_000
    conn = http.client.HTTPConnection("x")
    conn.sock = sock = _small_window(url)
    try:
        conn.request("GET", "/dumps/imanoeb.nq")
        time.sleep(2)
        resp = conn.getresponse()
        whole = resp.read()
        assert resp.status == 200
        assert hashlib.sha256(whole).hexdigest() == dumps["imanoeb.nq"]["sha256"]
        conn.request("GET", "/dumps/imanoeb.nq", headers={"Range": "bytes=1000000-"})
        time.sleep(2)
        resp = conn.getresponse()
        assert resp.status == 206 and resp.read() == whole[1000000:]
        conn.request("GET", sparql, headers={"Accept": XML})
        time.sleep(2)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == expected
        assert conn.sock is sock  # one connection for the three
    finally:
        conn.close()


def test_each_server_has_its_own_control_socket_and_json_access_logs(tmp_path, core):
    """Two servers at once: each has a control socket of its own in a private folder (gunicorn's
    default, ~/.gunicorn/gunicorn.ctl, would be one for both), which gunicornc can talk to; the
    access log is one JSON object per request, without the Authorization header."""
    import os
    import subprocess
    import sys

    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {**server_env(core.settings), "HOME": str(home), "TMPDIR": str(tmp)}
    env.pop("XDG_RUNTIME_DIR", None)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    servers = [start_server(log, env, workers=1) for log in logs]
    try:
        # the master opens its control socket beside serving (in a thread): it may come last
        deadline = time.monotonic() + 20
        while len(sockets := sorted(tmp.glob("imagraph-serve-*/gunicorn.ctl"))) < 2:
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert len(sockets) == 2
        assert not (home / ".gunicorn").exists()
        for sock in sockets:
            assert oct(sock.stat().st_mode & 0o777) == "0o600"
            gunicornc = os.path.join(os.path.dirname(sys.executable), "gunicornc")
            shown = subprocess.run(
                [gunicornc, "-s", str(sock), "-c", "show workers", "-j"],
                capture_output=True,
                text=True,
                timeout=20,
            )
            assert shown.returncode == 0, shown.stderr
            assert json.loads(shown.stdout)
        url = servers[0][1]
        requests.get(
            url + "org/bmi?lang=de", headers={"Authorization": "Bearer secret-token"}, timeout=10
        )
    finally:
        for proc, _ in servers:
            stop_server(proc)
    assert not list(tmp.glob("imagraph-serve-*"))  # removed when the servers stopped
    records = [
        json.loads(line) for line in logs[0].read_text().splitlines() if line.startswith("{")
    ]
    hit = [r for r in records if r["path"] == "/org/bmi"]
    assert hit and hit[0]["status"] == 200 and hit[0]["query"] == "lang=de"
    assert hit[0]["method"] == "GET" and hit[0]["ms"] >= 0 and hit[0]["bytes"] > 0
    assert "secret-token" not in logs[0].read_text()


def test_the_access_log_goes_through_logging_when_it_is_configured_otherwise(capsys):
    """gunicorn's own handler gets each line directly (the message alone, flushed); once the
    access logger has a filter (or another handler, or a level), each line goes through
    ``logging`` and the filter sees it, and drops it if it says so."""
    import logging
    from datetime import timedelta

    from gunicorn.config import Config

    from imagraph.web.worker import AccessLog

    cfg = Config()
    cfg.set("accesslog", "-")
    log = AccessLog(cfg)

    class Sent:
        status = "200 OK"
        sent = 12

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/org/bmi", "REMOTE_ADDR": "127.0.0.1"}
    log.access(Sent, None, environ, timedelta(milliseconds=2))
    line = capsys.readouterr().out
    assert json.loads(line)["path"] == "/org/bmi" and line.endswith("}\n")
    seen = []

    def only_errors(record: logging.LogRecord) -> bool:
        seen.append(record.getMessage())
        return False

    log.access_log.addFilter(only_errors)
    try:
        log.access(Sent, None, {**environ, "PATH_INFO": "/org/bmwe"}, timedelta(milliseconds=2))
    finally:
        log.access_log.removeFilter(only_errors)
    assert json.loads(seen[0])["path"] == "/org/bmwe"
    assert capsys.readouterr().out == ""  # the filter dropped it


def test_kept_alive_connections_spread_evenly_over_the_workers(tmp_path, core):
    """Twelve connections opened one after another and kept open (as a harvester or a load
    tester keeps them) are served six by each of two workers: the worker that holds more leaves
    a new connection to the other (without it, whichever worker woke first took it, and a
    client's connections could all land on one while the other idled)."""
    log = tmp_path / "server.log"
    proc, url = start_server(log, server_env(core.settings), workers=2)
    parts = urlsplit(url)
    conns = []
    try:
        for i in range(12):
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
            conn.request("GET", f"/healthz?connection={i}")
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200
            conns.append(conn)
        for i, conn in enumerate(conns):  # each still open, on the worker that took it
            conn.request("GET", f"/healthz?connection={i}&again")
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200
            assert answer.getheader("Connection", "").lower() != "close"
    finally:
        for conn in conns:
            conn.close()
        stop_server(proc)
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    worker_of: dict[str, set[int]] = {}
    for r in records:
        if r["path"] == "/healthz" and (r["query"] or "").startswith("connection="):
            worker_of.setdefault(r["query"].split("&")[0], set()).add(r["pid"])
    assert len(worker_of) == 12
    assert all(len(pids) == 1 for pids in worker_of.values())  # kept alive on one worker
    per_worker: dict[int, int] = {}
    for pids in worker_of.values():
        (pid,) = pids
        per_worker[pid] = per_worker.get(pid, 0) + 1
    assert sorted(per_worker.values()) == [6, 6]


def test_the_board_says_which_worker_holds_more_than_its_share():
    import os
    import subprocess
    import sys

    from imagraph.web.balance import Board

    board = Board(2)
    a, b = board.take(os.getpid()), board.take(os.getppid())
    assert a is not None and b is not None and a != b
    board.count(a, 2)
    board.count(b, 1)
    assert board.over_share(a) and not board.over_share(b)
    board.count(b, 2)
    assert not board.over_share(a) and not board.over_share(b)
    board.leave(b)  # a worker that stops gives up its place: one worker, never over its share
    assert not board.over_share(a)
    # the place of a worker that died is taken by the next
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    c = board.take(ended.pid)
    assert c is not None and board.take(os.getpid()) == c
    # a worker killed with connections (it could not leave): its place is freed when the next
    # one starts, wherever that one's place is, or when the master says so
    board = Board(2)
    killed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    first = board.take(os.getppid())
    dead, alive = board.take(killed.pid), board.take(os.getppid())
    assert first is not None and dead is not None and alive is not None
    killed.kill()
    killed.wait()
    board.leave(first)  # a free place before the dead one's (as after a reload)
    board.count(dead, 3)
    board.count(alive, 1)
    assert not board.over_share(alive)  # the dead worker's three count
    board.take(os.getpid())
    assert board.over_share(alive)  # one against the new worker's none, not the dead one's three
    board = Board(2)
    gone = board.take(os.getppid())  # alive: only the master's word frees its place
    assert gone is not None
    board.forget(os.getppid())
    assert board.take(os.getpid()) == gone


def test_the_loop_answers_resources_itself_while_every_thread_waits(tmp_path, core):
    """A worker's one thread waits for a slow query: a resource (Turtle, a page) and a style
    sheet are still answered at once, by the worker's loop without a thread; what the app does
    not answer at once (``/healthz`` here) waits for the thread."""
    if core.store.needs_network:
        pytest.skip("on a remote store every answer waits for it: each goes to a thread")
    env = {
        **server_env(core.settings),
        "IMAGRAPH_THREADS": "1",
        "IMAGRAPH_QUERY_TIMEOUT": "3",
    }
    proc, url = start_server(tmp_path / "server.log", env, workers=1)
    try:
        outcome: dict[str, Any] = {}

        def slow() -> None:
            query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
            resp = requests.get(url + "sparql", params={"query": query}, timeout=30)
            outcome["status"] = resp.status_code

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.5)  # the query holds the thread
        quick = []
        for path, accept in (
            ("org/bmi", "text/turtle"),
            ("org/bmi", "text/html"),
            ("static/style.css", "text/css"),
        ):
            start = time.monotonic()
            answer = requests.get(url + path, headers={"Accept": accept}, timeout=10)
            quick.append((answer.status_code, time.monotonic() - start))
        start = time.monotonic()
        health = requests.get(url + "healthz", timeout=10)
        waited = time.monotonic() - start
        thread.join()
    finally:
        stop_server(proc)
    assert outcome["status"] == 503  # the query ran to its time limit in the thread
    assert all(status == 200 for status, _ in quick)
    assert all(seconds < 1.0 for _, seconds in quick), quick
    assert health.status_code == 200 and waited > 1.0  # after the query, in the thread


def test_a_worker_reads_gunicorns_settings_as_gunicorn_does():
    """The worker reads gunicorn's settings as plain attributes (``_Settled``): every one the
    same as gunicorn's ``Config`` says, its properties and methods too, and gunicorn's parser
    enforces them as with the ``Config``."""
    from gunicorn.config import Config
    from gunicorn.http import RequestParser
    from gunicorn.http.errors import LimitRequestLine

    from imagraph.web.worker import _Settled

    cfg = Config()
    cfg.set("limit_request_line", 100)
    cfg.set("forwarded_allow_ips", "10.0.0.0/8")
    settled = _Settled(cfg)
    for name in cfg.settings:
        assert getattr(settled, name) == getattr(cfg, name), name
    assert settled.limit_request_line == 100 and not settled.is_ssl
    assert settled.forwarded_allow_networks() == cfg.forwarded_allow_networks()
    assert settled.worker_class is cfg.worker_class  # a setting gunicorn reads as a property
    settled.set("limit_request_line", 50)  # as a hook in the worker may
    assert settled.limit_request_line == cfg.limit_request_line == 50
    settled.set("limit_request_line", 100)
    assert copy.copy(settled).limit_request_line == 100
    long_line = b"GET /" + b"x" * 200 + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    with pytest.raises(LimitRequestLine):
        next(RequestParser(settled, (long_line,), ("127.0.0.1", 1)))
    ok = next(RequestParser(settled, (b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n",), ("127.0.0.1", 1)))
    assert ok.path == "/a"
