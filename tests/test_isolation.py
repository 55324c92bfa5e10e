"""The confined children that run untrusted work, and the query slots, over real processes."""

from __future__ import annotations

import gzip
import json
import os
import socket
import stat
import threading
import time

import pytest

from imagraph import isolation
from imagraph import slots as core_slots
from imagraph.errors import (
    ChildCrashedError,
    ChildLimitError,
    ChildTimeoutError,
    ImagraphError,
)
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app

from .conftest import REMOTE, ROOT


def _allocate() -> int:
    return len(bytearray(512 << 20))


def test_a_child_past_its_memory_limit_is_503_and_the_parent_goes_on():
    with pytest.raises(ChildLimitError, match="memory limit of 64 MiB") as err:
        isolation.run(_allocate, timeout=20, memory=64 << 20, what="the test")
    assert err.value.status == 503
    assert isolation.run(lambda: 1 + 1, timeout=10, memory=64 << 20) == 2


def _held() -> dict[str, int]:
    """How many sockets and pipes this process holds, past the standard streams."""
    held = {"sockets": 0, "pipes": 0}
    for fd in map(int, os.listdir("/proc/self/fd")):
        try:
            mode = os.fstat(fd).st_mode
        except OSError:  # the folder's own descriptor, closed by now
            continue
        if fd > 2 and stat.S_ISSOCK(mode):
            held["sockets"] += 1
        elif fd > 2 and stat.S_ISFIFO(mode):
            held["pipes"] += 1
    return held


def test_a_child_holds_none_of_its_parents_sockets_or_pipes():
    """A listening socket, a connection and a pipe of the parent's are not in the child: it holds
    no socket, and one pipe, its own (for its answer)."""
    listener = socket.create_server(("127.0.0.1", 0))
    a, b = socket.socketpair()
    r, w = os.pipe()
    try:
        here = _held()
        assert here["sockets"] >= 3 and here["pipes"] >= 2
        assert isolation.run(_held, timeout=10, memory=0) == {"sockets": 0, "pipes": 1}
    finally:
        for sock in (listener, a, b):
            sock.close()
        os.close(r)
        os.close(w)


#: A query request as the query runner takes it.
ASK = {
    "query": "ASK {}", "default_graphs": None, "named_graphs": None, "base_iri": None,
    "results_format": "json", "graph_format": "nt", "max_rows": 10, "timeout": 10,
}  # fmt: skip


def test_what_the_parent_closes_ends_while_its_query_runner_lives(core):
    """The query runner, a child that lives as long as the process that forked it, keeps none of
    that process's connections and pipes open: one the parent closes ends for the other side at
    once (a browser's next request on a connection the server let go was never read; a child's
    answer would have waited for its time limit)."""
    from imagraph import sparql

    ours, theirs = socket.socketpair()
    r, w = os.pipe()
    runner = sparql.QueryRunner(core.store, network=REMOTE)
    runner.start()
    try:
        time.sleep(0.5)  # the runner is set up
        ours.close()
        os.close(w)
        theirs.settimeout(5)
        assert theirs.recv(1) == b""
        os.set_blocking(r, False)
        assert os.read(r, 1) == b""  # the end of the pipe (with a writer left: BlockingIOError)
        answer = runner.run(ASK, 10, runner._version)  # its own pipes it kept
        assert json.loads(answer.body)["boolean"] is True
    finally:
        runner.stop()
        theirs.close()
        os.close(r)


def test_children_answer_a_parent_holding_over_a_thousand_descriptors(core):
    """A worker with a thousand connections (gunicorn's worker_connections) has descriptors
    past 1,024, where ``select`` fails: a child's answer is still waited for (by ``poll``)."""
    import resource

    from imagraph import sparql

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1300
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"this machine allows {hard} open files")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    runner = sparql.QueryRunner(core.store, network=REMOTE)
    try:
        assert max(held) > 1024
        assert isolation.run(lambda: 1 + 1, timeout=10, memory=0) == 2
        runner.start()
        assert json.loads(runner.run(ASK, 10, runner._version).body)["boolean"] is True
    finally:
        runner.stop()
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _leave() -> None:
    raise SystemExit(0)


def test_a_child_never_returns_into_the_app():
    """A child whose work raises SystemExit ends there (os._exit): the parent alone goes on,
    with an error that says the work ended without an answer."""
    parent = os.getpid()
    with pytest.raises(ImagraphError, match="ended without an answer"):
        isolation.run(_leave, timeout=10, memory=0)
    assert os.getpid() == parent


def test_a_crash_is_400_and_a_child_past_its_time_503():
    import ctypes

    def crash() -> None:
        ctypes.string_at(0)  # reads address 0: SIGSEGV

    with pytest.raises(ChildCrashedError, match="SIGSEGV") as err:
        isolation.run(crash, timeout=10, memory=0, what="the test")
    assert err.value.status == 400
    start = time.monotonic()
    with pytest.raises(ChildTimeoutError, match=r"time limit of 0\.5 s"):
        isolation.run(lambda: time.sleep(30), timeout=0.5, memory=0, what="the test")
    assert time.monotonic() - start < 5


def test_validations_and_updates_run_under_the_memory_limit():
    """What validations and updates run in (``checks.forked``) has the limit too. (Through
    the app the figure depends on how much freed memory the worker's heap already holds, so the
    allocation here is one the heap cannot have: a new 512 MiB mapping.)"""
    from imagraph import checks

    with pytest.raises(ChildLimitError, match="memory limit of 64 MiB") as err:
        checks.forked(_allocate, 20, memory=64 << 20)
    assert err.value.status == 503


def test_a_gzip_upload_is_validated_as_the_file_it_holds(core):
    client = create_app(Instance(core)).test_client()
    data = gzip.compress(b"<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> <urn:d> .\n")
    import io

    resp = client.post(
        "/validate",
        data={"file": (io.BytesIO(data), "x.ttl.gz", "application/gzip")},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["triples"] == 2


@pytest.mark.skipif(REMOTE, reason="the remote store's query runner needs the network")
def test_the_embedded_query_runner_has_no_network(core):
    from imagraph import sparql

    assert sparql.RunnerPool.for_store(core.store, sparql.Limits()).network is False
    allowed = sparql.Limits(service_allowlist=("https://example.org/sparql",))
    assert sparql.RunnerPool.for_store(core.store, allowed).network is True
    assert Instance(core).runners.network is False


def test_a_query_waits_briefly_for_a_slot_then_503_and_the_page_too(core):
    """One slot, held by another client: a query waits slots.WAIT seconds, then 503 with
    Retry-After; the HTML query page is inside the slots too; a slot freed while a query waits
    lets it run."""
    settings = Settings(site=ROOT, query_slots=1)
    instance = Instance(core, settings)
    client = create_app(instance).test_client()
    held = instance.slots["query"].take("192.0.2.1")
    start = time.monotonic()
    resp = client.get(
        "/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "application/json"}
    )
    waited = time.monotonic() - start
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "1"
    assert "Too many queries" in resp.get_json()["detail"]
    assert core_slots.WAIT - 0.1 <= waited < core_slots.WAIT + 2
    page = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "text/html"})
    assert page.status_code == 503 and page.headers["Retry-After"] == "1"
    assert "Too many queries" in page.get_data(as_text=True)
    threading.Timer(0.5, held.release).start()
    resp = client.get(
        "/sparql",
        query_string={"query": "ASK { ?s ?p ?o }"},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 200
    assert resp.get_json()["boolean"] is True
    # the slot is free again (the query gave it back), else this waits and raises 503
    instance.slots["query"].take("192.0.2.1").release()


def test_one_client_cannot_hold_every_query_slot(core):
    """Four slots: one client holds at most two; its third query waits briefly for one of them,
    then 429, and another client's query runs meanwhile."""
    settings = Settings(site=ROOT, query_slots=4)
    instance = Instance(core, settings)
    app = create_app(instance)
    pool = instance.slots["query"]
    held = [pool.take("127.0.0.1"), pool.take("127.0.0.1")]
    try:
        start = time.monotonic()
        resp = app.test_client().get(
            "/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "application/json"}
        )
        assert resp.status_code == 429
        assert core_slots.WAIT - 0.1 <= time.monotonic() - start < core_slots.WAIT + 1
        assert resp.headers["Retry-After"] == "1"
        assert "already has 2 queries running" in resp.get_json()["detail"]
        other = app.test_client().get(
            "/sparql",
            query_string={"query": "ASK {}"},
            headers={"Accept": "application/json"},
            environ_base={"REMOTE_ADDR": "192.0.2.7"},
        )
        assert other.status_code == 200
    finally:
        for slot in held:
            slot.release()


def test_validations_have_slots_of_their_own(core):
    """With the one validation slot taken, a validation waits, then 503 saying so, while queries
    still run."""
    settings = Settings(site=ROOT, validation_slots=1)
    instance = Instance(core, settings)
    client = create_app(instance).test_client()
    held = instance.slots["validation"].take("192.0.2.1")
    try:
        resp = client.post(
            "/validate",
            data=b"<urn:a> <urn:b> <urn:c> .",
            headers={"Content-Type": "application/n-triples", "Accept": "application/json"},
        )
        assert resp.status_code == 503
        assert "Too many validations" in resp.get_json()["detail"]
        page = client.post(
            "/validate", data={"text": "<urn:a> <urn:b> <urn:c> ."}, headers={"Accept": "text/html"}
        )
        assert page.status_code == 503 and page.headers["Retry-After"] == "1"
        assert "Too many validations" in page.get_data(as_text=True)
        query = client.get(
            "/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "application/json"}
        )
        assert query.status_code == 200
    finally:
        held.release()
    resp = client.post(
        "/validate",
        data=b"<urn:a> <urn:b> <urn:c> .",
        headers={"Content-Type": "application/n-triples", "Accept": "application/json"},
    )
    assert resp.status_code == 200


def test_queries_from_threads_side_by_side_each_get_their_own_answer(core):
    """The threads of a worker run queries at once: each takes a runner of its own from the
    process's pool (one shared runner mixed their answers), and the runners are kept for the next
    queries."""
    from concurrent.futures import ThreadPoolExecutor

    from imagraph import sparql

    runners = sparql.RunnerPool.for_store(core.store, sparql.Limits())

    def ask(n: int) -> tuple[int, str]:
        result = sparql.execute(runners, f"SELECT ?n WHERE {{ BIND({n} AS ?n) }}")
        return n, result.body.decode()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(40)))
    for n, body in answers:
        assert f'"{n}"' in body, (n, body)
    kept = runners._idle
    assert 1 <= len(kept) <= 4
    assert all(r.pid is not None for r in kept)
    runners.stop()


def _nice(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="Linux scheduling policies")
@pytest.mark.skipif(REMOTE, reason="a remote store's runner waits on the network, not the CPU")
def test_a_light_query_runs_at_full_priority_and_a_heavy_one_below_the_pages(core):
    """A query runner starts at its worker's priority, so a light query is not slowed by a
    busy machine; a query past HEAVY_AFTER of CPU time is put DEMOTED_BY below it in nice
    (pages go first), and the runner stays there and is kept (a new one would start cold)."""
    from imagraph import sparql

    runners = sparql.RunnerPool.for_store(core.store, sparql.Limits(timeout=60))
    try:
        sparql.execute(runners, "ASK { ?s ?p ?o }")
        (light,) = runners._idle
        worker = _nice(0)
        if worker >= 19:
            pytest.skip("the tests run at the lowest priority already")
        demoted = sparql.demoted_nice(worker)
        assert demoted == min(19, worker + 5)
        assert _nice(light.pid) == worker
        assert os.sched_getscheduler(light.pid) == os.SCHED_OTHER
        seen = []

        def watch() -> None:
            time.sleep(sparql.HEAVY_AFTER + 0.3)
            seen.append(_nice(light.pid))

        watcher = threading.Thread(target=watch)
        watcher.start()
        heavy = (
            "SELECT (COUNT(*) AS ?n) WHERE { { SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } "
            "LIMIT 4000000 } }"
        )
        start = time.monotonic()
        result = sparql.execute(runners, heavy)
        took = time.monotonic() - start
        watcher.join()
        assert b"4000000" in result.body
        assert took > sparql.HEAVY_AFTER + 0.3, "the heavy query was not heavy enough to test"
        assert seen == [demoted]
        (kept,) = runners._idle
        assert kept.pid == light.pid and _nice(kept.pid) == demoted
        assert os.sched_getscheduler(kept.pid) == os.SCHED_OTHER  # not SCHED_IDLE: see demote
    finally:
        runners.stop()


@pytest.mark.skipif(not hasattr(os, "PRIO_PROCESS"), reason="POSIX priorities")
@pytest.mark.skipif(REMOTE, reason="a remote store's runner waits on the network, not the CPU")
def test_a_query_streaming_a_large_answer_is_heavy_too(core):
    """Without a cap an answer streams from the first rows on: a runner that keeps streaming
    past HEAVY_AFTER is put below the pages as well (it answered at once, and stayed at the
    worker's priority for the whole stream)."""
    from imagraph import sparql

    runners = sparql.RunnerPool.for_store(core.store, sparql.Limits(timeout=60, max_rows=0))
    try:
        result = sparql.execute(
            runners,
            "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
            limits=sparql.Limits(timeout=60, max_rows=0),
            stream=True,
        )
        assert isinstance(result, sparql.StreamedResult)
        pid = result._runner.pid
        assert _nice(pid) == _nice(0)  # it answered at once
        start, nice = time.monotonic(), None
        for _ in result:
            if time.monotonic() - start > sparql.HEAVY_AFTER + 0.3:
                nice = _nice(pid)
                break
        result.close()
        assert nice == sparql.demoted_nice(_nice(0))
    finally:
        runners.stop()
