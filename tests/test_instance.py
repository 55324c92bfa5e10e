"""Change listeners: every accepted write is announced to the instance's listeners with each
graph's triples before and after, who and when; what a listener records is stored in the write's
own transaction. And an instance owns its state: two in one process share nothing."""

from __future__ import annotations

import pyoxigraph as ox

from imagraph.changes import Change, ChangeLog, Listener
from imagraph.instance import Instance
from imagraph.web import create_app

from .conftest import open_core
from .test_writes import AUTH, BAD, GOOD, GRAPH, TOKEN, TOWN, _remote_store_reset_afterwards, put

__all__ = ["_remote_store_reset_afterwards"]  # the store under test is reset after each test

NOTED = ox.NamedNode("https://example.org/noted")


class Recorder(Listener):
    """Keeps each change it is told of, and records one triple per change in its own graph."""

    def __init__(self, graph: str = "", fail: bool = False) -> None:
        self.graph = graph
        self.recorded: list[Change] = []
        self.committed_changes: list[Change] = []
        self.fail = fail

    def record(self, change: Change) -> dict[str, list[ox.Triple]]:
        self.recorded.append(change)
        return {self.graph: [ox.Triple(ox.NamedNode(change.iri), NOTED, ox.Literal(change.agent))]}

    def committed(self, change: Change) -> None:
        self.committed_changes.append(change)
        if self.fail:
            raise RuntimeError("this listener fails on purpose")


def _writable() -> tuple[Instance, Recorder]:
    instance = Instance(open_core(write_tokens=f"alice:{TOKEN}"))
    recorder = Recorder(instance.settings.graph_iri("notes"))
    instance.writes.listeners.append(recorder)
    return instance, recorder


def test_the_change_log_is_the_first_listener(core):
    instance = Instance(core)
    assert isinstance(instance.writes.listeners[0], ChangeLog)


def test_a_listener_is_told_of_each_write_with_the_triples_before_and_after():
    instance, recorder = _writable()
    client = create_app(instance).test_client()
    assert put(client).status_code == 201
    (change,) = recorder.committed_changes
    assert recorder.recorded == [change]
    assert change.method == "PUT" and change.agent == "alice"
    before, after = change.graphs[GRAPH]
    assert before == []
    town = ox.NamedNode(TOWN)
    assert any(t.subject == town for t in after)
    assert change.version == instance.version
    assert change.time == instance.core.modified
    # what the listener recorded is in the store, beside the change log's record
    store = instance.core.store
    assert list(store.triples([recorder.graph])) == [
        ox.Triple(ox.NamedNode(change.iri), NOTED, ox.Literal("alice"))
    ]
    changes = instance.settings.graph_iri("changes")
    assert any(t.subject == ox.NamedNode(change.iri) for t in store.triples([changes]))
    # a second write: the graph's triples before are the first write's after
    instance.writes.apply("DELETE", GRAPH, None, agent="bob", timeout=60)
    second = recorder.committed_changes[-1]
    assert second.method == "DELETE" and second.agent == "bob"
    assert set(second.graphs[GRAPH][0]) == set(after)
    assert second.graphs[GRAPH][1] == []


def test_a_refused_or_empty_write_is_announced_to_no_one():
    instance, recorder = _writable()
    client = create_app(instance).test_client()
    assert put(client, BAD).status_code == 422
    assert put(client).status_code == 201
    assert put(client).status_code == 204  # the same triples again: no change
    assert len(recorder.recorded) == len(recorder.committed_changes) == 1


def test_a_failing_listener_does_not_undo_a_stored_write(caplog):
    instance = Instance(open_core(write_tokens=f"alice:{TOKEN}"))
    failing = Recorder(instance.settings.graph_iri("notes"), fail=True)
    instance.writes.listeners.append(failing)
    client = create_app(instance).test_client()
    assert put(client).status_code == 201
    assert instance.core.store.exists(TOWN)
    assert "this listener fails on purpose" in caplog.text


def test_two_instances_in_one_process_share_nothing(core):
    """Slots taken in one instance leave the other's free; tokens are each instance's own."""
    from imagraph.settings import Settings

    one = Instance(core, Settings(site=core.settings.site, query_slots=1))
    other = Instance(core, Settings(site=core.settings.site, query_slots=1))
    held = one.slots["query"].take("192.0.2.1")
    try:
        resp = (
            create_app(other)
            .test_client()
            .get(
                "/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "application/json"}
            )
        )
        assert resp.status_code == 200
    finally:
        held.release()
    writable = Instance(open_core(write_tokens=f"alice:{TOKEN}"))
    assert writable.writes.authenticate(TOKEN) == "alice"
    assert Instance(core).writes.authenticate(TOKEN) is None
    resp = create_app(Instance(core)).test_client().put(
        "/graph-store", query_string={"graph": GRAPH}, data=GOOD, content_type="text/turtle",
        headers=AUTH,
    )  # fmt: skip
    assert resp.status_code == 405


def test_a_server_decides_from_the_backend_not_the_store_setting(tmp_path):
    """What a server must know of a store before it opens one comes from its backend's row."""
    from imagraph.settings import Settings
    from imagraph.store import backend_for

    memory = backend_for(Settings(store="memory"))
    disk = backend_for(Settings(store=str(tmp_path / "store")))
    remote = backend_for(Settings(store="http://127.0.0.1:9/sparql"))
    assert (memory.persistent, memory.many_writers, memory.spawn_first) == (False, False, False)
    assert (disk.persistent, disk.many_writers, disk.spawn_first) == (True, False, True)
    assert (remote.persistent, remote.many_writers, remote.spawn_first) == (True, True, False)
    assert memory.place(Settings(store="memory")) is None
    assert disk.place(Settings(store=str(tmp_path / "store"))) == str(tmp_path / "store")


def test_listeners_are_told_once_the_write_lets_go_of_the_lock(core):
    """A slow listener holds up no other write: it is told after the change is stored and
    flushed and the write lock is free; listeners given to an instance come after the change
    log."""
    free: list[bool] = []

    class Probe(Listener):
        def committed(self, change: Change) -> None:
            got = instance.writes.lock.acquire(blocking=False)
            free.append(got)
            if got:
                instance.writes.lock.release()

    instance = Instance(open_core(write_tokens=f"alice:{TOKEN}"), listeners=[Probe()])
    assert isinstance(instance.writes.listeners[0], ChangeLog)
    assert put(create_app(instance).test_client()).status_code == 201
    assert free == [True]
