"""Changes and those who listen to them.

Every accepted write is announced as a :class:`Change` (each graph's triples before and after,
who, when, the method) to the listeners of the instance, twice: :meth:`Listener.record` while
the write is being made, whose triples are stored in the same transaction as the data (a record
never exists without its change, nor a change without its record), and :meth:`Listener.committed`
once it is stored. The change log (:class:`ChangeLog`) is the first listener; a history, an event
stream or a search index attaches the same way, without editing the write path::

    instance.writes.listeners.append(MyListener())
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import pyoxigraph as ox

from .namespaces import PREFIXES

log = logging.getLogger(__name__)

RDF, XSD, PROV = PREFIXES["rdf"], PREFIXES["xsd"], PREFIXES["prov"]


@dataclass(frozen=True)
class Change:
    """One accepted write."""

    #: Its IRI (``{base}change/{uuid}``).
    iri: str
    #: ``PUT``, ``POST``, ``DELETE`` (Graph Store) or ``UPDATE`` (SPARQL Update).
    method: str
    #: The name recorded for the writer's token.
    agent: str
    #: When it was made (UTC, whole seconds): the data's new modification time.
    time: datetime
    #: Each graph it changed: (its triples before, its triples after); after empty: removed.
    graphs: Mapping[str, tuple[list[ox.Triple], list[ox.Triple]]]
    #: The data version it made.
    version: str


class Listener:
    """Told of every change; both methods do nothing unless a listener overrides them."""

    def record(self, change: Change) -> Mapping[str, list[ox.Triple]]:
        """Triples to add to named graphs in the change's own transaction (by graph IRI)."""
        return {}

    def committed(self, change: Change) -> None:
        """Called once the change is stored (an error is logged and does not undo it)."""


def announce(listeners: list[Listener], change: Change) -> None:
    """Tell each listener that ``change`` is stored."""
    for listener in listeners:
        try:
            listener.committed(change)
        except Exception:  # a listener's failure never fails a write that is stored
            log.exception("listener %r failed on %s", listener, change.iri)


class ChangeLog(Listener):
    """The PROV record of each change (who, when, what) in the graph ``{base}graph/changes``:
    content dates are read from it (``Last-Modified`` of a graph written to)."""

    def __init__(self, base_iri: str, graph: str) -> None:
        self.base_iri = base_iri
        self.graph = graph

    def record(self, change: Change) -> Mapping[str, list[ox.Triple]]:
        c = ox.NamedNode(change.iri)
        agent = hashlib.sha256(change.agent.encode()).hexdigest()[:16]
        who = ox.NamedNode(f"{self.base_iri}agent/{agent}")
        stamp = ox.Literal(change.time.isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))

        def q(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> ox.Triple:
            return ox.Triple(s, ox.NamedNode(p), o)

        triples = [
            q(c, RDF + "type", ox.NamedNode(PROV + "Activity")),
            q(c, PROV + "wasAssociatedWith", who),
            q(who, RDF + "type", ox.NamedNode(PROV + "Agent")),
            q(who, PREFIXES["foaf"] + "name", ox.Literal(change.agent)),
            q(c, PROV + "startedAtTime", stamp),
        ]
        for graph, (before, after) in change.graphs.items():
            text = f"{change.method} {graph}: {len(before)} triples before, {len(after)} after"
            triples += [
                q(c, PROV + ("generated" if after else "invalidated"), ox.NamedNode(graph)),
                q(c, PREFIXES["dct"] + "description", ox.Literal(text)),
            ]
        return {self.graph: triples}
