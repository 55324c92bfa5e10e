"""Writes, gated by the shapes: a write is validated together with the data it touches and
applied only if the result conforms; otherwise nothing changes. A write that changes no triple
changes nothing: no validation, no record, no new data version or date.

What a write can affect (see :mod:`imagraph.affected`): the subjects it rewrites, the objects of the
triples that come or go, the resources that link to the subjects, and chains along the shapes'
transitive predicates. Their candidate state (the write applied), what they link with, and the
ontology are validated together; results about the affected nodes decide. Accepted writes are
applied atomically with what the instance's listeners record of them (the change log: who,
when and what, PROV, in the graph ``{base}graph/changes``; see :mod:`imagraph.changes`), change
the data version, and are announced to the listeners.
"""

from __future__ import annotations

import hmac
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from .affected import affected as find_affected
from .changes import Change, ChangeLog, Listener, announce
from .checks import check
from .core import Core, now
from .errors import ImagraphError, WriteRejectedError
from .settings import Settings


def tokens(settings: Settings) -> dict[str, str]:
    """Configured write tokens: token → the name recorded with each write."""
    pairs = settings.write_tokens.split()
    if settings.write_tokens_file is not None:
        pairs += settings.write_tokens_file.read_text(encoding="utf-8").split()
    out = {}
    for pair in pairs:
        name, sep, token = pair.partition(":")
        if not sep or not name or len(token) < 16:
            raise ImagraphError(
                "write tokens are name:token pairs with tokens of 16 or more characters"
            )
        out[token] = name
    return out


@dataclass(frozen=True)
class WriteOutcome:
    created: bool
    triples: int
    change: str | None  # the IRI of the recorded change (None: no triple changed)


class Writes:
    """The writes of one instance: who may write (its tokens, read once), one write at a time
    (``lock``: across a server's workers, see :class:`imagraph.instance.Shared`), the count of
    writes the workers made (``count``: a shared integer, None in a single process), and the
    listeners told of each change (the change log first), once it is stored and flushed."""

    def __init__(
        self,
        core: Core,
        *,
        lock: Any = None,
        count: Any = None,
        listeners: list[Listener] | None = None,
    ) -> None:
        self.core = core
        settings = core.settings
        self.tokens = tokens(settings)
        self.lock = lock if lock is not None else threading.Lock()
        self.count = count
        #: The changes a thread stored while it holds :meth:`exclusive` (``stored``),
        #: announced once it lets go.
        self._held = threading.local()
        #: Told of each change: the change log first, then ``listeners``.
        self.listeners: list[Listener] = [
            ChangeLog(settings.base_iri, settings.graph_iri("changes")),
            *(listeners or ()),
        ]

    @property
    def enabled(self) -> bool:
        """Whether anyone may write (write tokens are configured)."""
        return bool(self.tokens)

    def authenticate(self, presented: str | None) -> str | None:
        """The name for ``presented`` (compared in constant time with every token), or None."""
        found = None
        for token, name in self.tokens.items():
            if presented is not None and hmac.compare_digest(token.encode(), presented.encode()):
                found = name
        return found

    def notice(self) -> None:
        """Take a new data version: one another worker of this server wrote, at once; one other
        servers wrote to a remote store, within :data:`core.VERSION_CHECK` seconds."""
        core = self.core
        if self.count is not None:
            seen = self.count.value
            if seen != core.writes_seen:
                core.refresh(max_age=0)
                core.writes_seen = seen
                return
        core.refresh()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One write at a time across the workers, each on the data as the last one left it;
        what it stored is flushed (durable before the answer), and the listeners are told of
        its changes once the lock is let go (a slow listener holds up no other write)."""
        stored: list[Change] = []
        with self.lock:
            self.notice()
            self._held.stored = stored
            try:
                yield
                if stored:
                    self.core.store.flush()
            finally:
                self._held.stored = None
            if self.count is not None:
                with self.count.get_lock():
                    self.count.value += 1
                    self.core.writes_seen = self.count.value
        for change in stored:
            announce(self.listeners, change)

    def apply(
        self, method: str, graph: str, data: list[ox.Triple] | None, *, agent: str, timeout: float
    ) -> WriteOutcome:
        """PUT (replace), POST (merge) or DELETE one named graph, if the result conforms."""
        store = self.core.store
        old = list(store.triples([graph]))
        existed = bool(old) or graph in store.graphs()
        if method == "PUT":
            new = list(dict.fromkeys(data or []))
        elif method == "POST":
            new = list(dict.fromkeys([*old, *(data or [])]))
        else:
            new = []
        change = self.apply_changes({graph: new}, method=method, agent=agent, timeout=timeout)
        created = change is not None and not existed and method != "DELETE"
        return WriteOutcome(created=created, triples=len(new), change=change)

    def apply_changes(
        self, new: dict[str, list[ox.Triple]], *, method: str, agent: str, timeout: float
    ) -> str | None:
        """Give data graphs new content (an empty list removes a graph) if the result
        conforms: validated together, applied in one atomic step with what the listeners record,
        a new data version, then announced. Returns the IRI of the change, or None if no graph
        gets other triples than it has (then nothing happens: a blank node of ``new`` is a new
        one, so content with blank nodes is a change)."""
        core = self.core
        store = core.store
        old = {graph: list(store.triples([graph])) for graph in new}
        new = {
            graph: unique
            for graph, triples in new.items()
            if set(unique := list(dict.fromkeys(triples))) != set(old[graph])
        }
        if not new:
            return None
        old = {graph: old[graph] for graph in new}
        affected, candidate = find_affected(core, old, new)
        checked = check(core, candidate, timeout=timeout, focus=affected)
        if not checked.conforms:
            raise WriteRejectedError(checked)
        iri = f"{core.settings.base_iri}change/{uuid.uuid4()}"
        change = Change(
            iri=iri,
            method=method,
            agent=agent,
            time=now(),
            graphs={g: (old[g], new[g]) for g in new},
            version=core.next_version(iri),
        )
        append: dict[str, list[ox.Triple]] = {}
        for listener in self.listeners:
            for graph, triples in listener.record(change).items():
                append.setdefault(graph, []).extend(triples)
        meta, stored = core.version_graph(change.version, change.time)
        # the new data, the records and the new data version: one transaction
        store.swap_graphs({**new, meta: stored}, staging=f"{iri}#staging", append=append)
        core.set_version(change.version, change.time)
        held: list[Change] | None = getattr(self._held, "stored", None)
        if held is not None:  # told once the write is let go (see exclusive)
            held.append(change)
        else:
            announce(self.listeners, change)
        return iri
