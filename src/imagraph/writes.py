"""Writes, gated by the shapes: a write is validated together with the data it touches and
applied only if the result conforms; otherwise nothing changes. A write that changes no triple
changes nothing: no validation, no record, no new data version or date.

What a write can affect (see :mod:`imagraph.affected`): the subjects it rewrites, the objects of the
triples that come or go, the resources that link to the subjects, and chains along the shapes'
transitive predicates. Their candidate state (the write applied), what they link with, and the
ontology are validated together; results about the affected nodes decide. Accepted writes are
applied atomically, recorded with who, when and what (PROV) in the graph ``{base}graph/changes``,
and change the data version.
"""

from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyoxigraph as ox

from .affected import affected as find_affected
from .core import Core, now
from .errors import ImagraphError, WriteRejectedError
from .namespaces import PREFIXES
from .settings import Settings
from .submissions import check

XSD = PREFIXES["xsd"]
PROV = PREFIXES["prov"]


#: Held by a write from reading what it changes to storing it, so that a merge never loses a
#: concurrent write. A server with several workers shares one across them (:func:`share`).
LOCK: Any = threading.Lock()
#: How many writes the workers of this server made (shared by :func:`share`; None: one process).
WRITES: Any = None


def share() -> None:
    """Called by the server before it starts its workers: one lock and one count of writes for
    all of them (inherited through the fork)."""
    global LOCK, WRITES
    LOCK = multiprocessing.Lock()
    WRITES = multiprocessing.Value("Q", 0)


def notice(core: Core) -> None:
    """Take a new data version: one another worker of this server wrote, at once; one other
    servers wrote to a remote store, within :data:`core.VERSION_CHECK` seconds."""
    if WRITES is not None:
        seen = WRITES.value
        if seen != core.writes_seen:
            core.refresh(max_age=0)
            core.writes_seen = seen
            return
    core.refresh()


@contextmanager
def exclusive(core: Core) -> Iterator[None]:
    """One write at a time across the workers, each on the data as the last one left it."""
    with LOCK:
        notice(core)
        yield
        if WRITES is not None:
            with WRITES.get_lock():
                WRITES.value += 1
                core.writes_seen = WRITES.value


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


def authenticate(settings: Settings, presented: str | None) -> str | None:
    """The name for ``presented`` (compared in constant time), or None if it matches no token."""
    found = None
    for token, name in tokens(settings).items():
        if presented is not None and hmac.compare_digest(token.encode(), presented.encode()):
            found = name
    return found


@dataclass(frozen=True)
class WriteOutcome:
    created: bool
    triples: int
    change: str | None  # the IRI of the recorded change (None: no triple changed)


def apply(
    core: Core, method: str, graph: str, data: list[ox.Triple] | None, *, agent: str, timeout: float
) -> WriteOutcome:
    """PUT (replace), POST (merge) or DELETE one named graph, if the result conforms."""
    old = list(core.store.triples([graph]))
    existed = bool(old) or graph in core.store.graphs()
    if method == "PUT":
        new = list(dict.fromkeys(data or []))
    elif method == "POST":
        new = list(dict.fromkeys([*old, *(data or [])]))
    else:
        new = []
    change = apply_changes(core, {graph: new}, method=method, agent=agent, timeout=timeout)
    created = change is not None and not existed and method != "DELETE"
    return WriteOutcome(created=created, triples=len(new), change=change)


def apply_changes(
    core: Core, new: dict[str, list[ox.Triple]], *, method: str, agent: str, timeout: float
) -> str | None:
    """Give data graphs new content (an empty list removes a graph) if the result conforms:
    validated together, applied in one atomic step, recorded, a new data version. Returns the
    IRI of the change, or None if no graph gets other triples than it has (then nothing
    happens: a blank node of ``new`` is a new one, so content with blank nodes is a change)."""
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
    change = f"{core.settings.base_iri}change/{uuid.uuid4()}"
    version, modified = core.next_version(change), now()
    counts = {g: (len(old[g]), len(new[g])) for g in new}
    record = _record(core, change, method, counts, agent, modified)
    meta, stored = core.version_graph(version, modified)
    # the new data, its record and the new data version: one transaction
    store.swap_graphs(
        {**new, meta: stored},
        staging=f"{change}#staging",
        append={core.settings.graph_iri("changes"): record},
    )
    core.set_version(version, modified)
    return change


def _record(
    core: Core,
    change: str,
    method: str,
    counts: dict[str, tuple[int, int]],
    agent: str,
    when: datetime,
) -> list[ox.Triple]:
    """The PROV record of a change: who, when, what (for the graph ``{base}graph/changes``)."""
    c = ox.NamedNode(change)
    who = ox.NamedNode(
        f"{core.settings.base_iri}agent/{hashlib.sha256(agent.encode()).hexdigest()[:16]}"
    )
    stamp = ox.Literal(when.isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))

    def q(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> ox.Triple:
        return ox.Triple(s, ox.NamedNode(p), o)

    record = [
        q(c, PREFIXES["rdf"] + "type", ox.NamedNode(PROV + "Activity")),
        q(c, PROV + "wasAssociatedWith", who),
        q(who, PREFIXES["rdf"] + "type", ox.NamedNode(PROV + "Agent")),
        q(who, PREFIXES["foaf"] + "name", ox.Literal(agent)),
        q(c, PROV + "startedAtTime", stamp),
    ]
    for graph, (before, after) in counts.items():
        record += [
            q(c, PROV + ("generated" if after else "invalidated"), ox.NamedNode(graph)),
            q(c, PREFIXES["dct"] + "description",
              ox.Literal(f"{method} {graph}: {before} triples before, {after} after")),
        ]  # fmt: skip
    return record
