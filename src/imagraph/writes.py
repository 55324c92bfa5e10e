"""Writes, gated by the shapes: a write is validated together with the data it touches and
applied only if the result conforms; otherwise nothing changes.

What a write can affect (see :func:`_affected`): the subjects it rewrites, the objects of the
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
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from . import loading
from .core import Core, now
from .errors import ImagraphError
from .namespaces import PREFIXES
from .settings import Settings
from .submissions import Checked, check

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


class WriteRejectedError(ImagraphError):
    """The write would leave data that does not conform: 422 with the report."""

    status = 422

    def __init__(self, checked: Checked) -> None:
        self.checked = checked
        n = checked.summary["en"]["violations"]
        super().__init__(
            f"the write was refused: the data would not conform to the shapes ({n} violations)"
        )


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
    change: str


Node = ox.NamedNode | ox.BlankNode


class _Candidate:
    """The data as it would be after a write, read around chosen nodes: the store's data
    graphs, with the graphs in ``new`` replaced by their new content. Each node is read once."""

    def __init__(self, core: Core, new: dict[str, list[ox.Triple]]) -> None:
        self.store = core.store
        self.others = [g for g in core.data_graph_iris() if g not in new]
        self.by_subject: dict[Node, list[ox.Triple]] = {}
        self.by_object: dict[Node, list[ox.Triple]] = {}
        for triples in new.values():
            for t in triples:
                self.by_subject.setdefault(t.subject, []).append(t)
                if isinstance(t.object, Node):
                    self.by_object.setdefault(t.object, []).append(t)
        self._own: dict[Node, list[ox.Triple]] = {}
        self._incoming: dict[Node, list[ox.Triple]] = {}

    def own(self, node: Node) -> list[ox.Triple]:
        if node not in self._own:
            self._own[node] = self.by_subject.get(node, []) + self.store.about(node, self.others)
        return self._own[node]

    def incoming(self, node: Node) -> list[ox.Triple]:
        if node not in self._incoming:
            self._incoming[node] = self.by_object.get(node, []) + self.store.pointing_to(
                node, self.others
            )
        return self._incoming[node]


@dataclass(frozen=True)
class Reach:
    """What the shapes read beyond a node's own triples, found once per shapes graph."""

    #: predicates followed any number of times (:func:`transitive_predicates`)
    chain: frozenset[ox.NamedNode]
    #: predicates read backwards (``sh:inversePath``)
    inverse: frozenset[ox.NamedNode]
    #: predicates whose objects are targets (``sh:targetObjectsOf``)
    object_targets: frozenset[ox.NamedNode]

    @property
    def from_objects(self) -> frozenset[ox.NamedNode]:
        """The predicates through which a triple changes what its object is checked for."""
        return self.chain | self.inverse | self.object_targets


#: The :class:`Reach` of each shapes graph (by its id: a core keeps its graph).
_REACH: dict[int, Reach] = {}


def reach_of(shapes: Graph) -> Reach:
    reach = _REACH.get(id(shapes))
    if reach is None:
        reach = _REACH[id(shapes)] = Reach(
            transitive_predicates(shapes),
            _iris(shapes, SH.inversePath),
            _iris(shapes, SH.targetObjectsOf),
        )
    return reach


def _iris(shapes: Graph, prop: URIRef) -> frozenset[ox.NamedNode]:
    """The IRIs that are values of ``prop`` in the shapes."""
    return frozenset(
        ox.NamedNode(str(v)) for v in shapes.objects(None, prop) if isinstance(v, URIRef)
    )


def transitive_predicates(shapes: Graph) -> frozenset[ox.NamedNode]:
    """The predicates the shapes follow any number of times (``sh:oneOrMorePath``,
    ``sh:zeroOrMorePath``, or ``p+`` / ``p*`` in a SPARQL target or constraint): a write that
    changes one such link can affect nodes a whole chain away."""
    from rdflib.paths import MulPath
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    found = set(_iris(shapes, SH.oneOrMorePath) | _iris(shapes, SH.zeroOrMorePath))
    prefixes = {
        str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace))
        for d in shapes.objects(None, SH.declare)
    }

    def walk(node: object) -> None:
        if isinstance(node, MulPath):
            if isinstance(node.path, URIRef):
                found.add(ox.NamedNode(str(node.path)))
            walk(node.path)
        elif isinstance(node, CompValue | dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple | set):
            for item in node:
                walk(item)
        elif hasattr(node, "args"):  # a sequence or alternative path
            walk(node.args)

    for select in shapes.objects(None, SH.select):
        try:
            walk(prepareQuery(str(select), initNs=prefixes).algebra)
        except Exception:  # a shape pySHACL will report on; no chain to follow from it
            continue
    return frozenset(found)


def _affected(
    core: Core, old: dict[str, list[ox.Triple]], new: dict[str, list[ox.Triple]]
) -> tuple[set[Node], Graph]:
    """What a write can affect, and the candidate data around it.

    Affected: the subjects of the written graphs before and after (their descriptions change);
    the objects of the triples that come or go through a predicate the shapes read from the
    object's side (they may start or stop being targets of ``sh:targetObjectsOf``, or be counted
    by inverse paths); the nodes that link to the
    subjects (their ``sh:class`` and ``sh:node`` checks see the change); and the chains along
    the shapes' transitive predicates from all of these. The graph holds every affected
    node's own and incoming triples and the own triples of everything they link with, so
    that each affected node is validated with what its shapes read; the results about the
    affected nodes decide.
    """
    candidate = _Candidate(core, new)
    changed: set[ox.Triple] = set()
    for graph in new:
        before, after = set(old[graph]), set(new[graph])
        changed |= before ^ after
    subjects: set[Node] = {t.subject for ts in (*old.values(), *new.values()) for t in ts}
    affected: set[Node] = set(subjects)
    for s in subjects:
        affected |= {t.subject for t in candidate.incoming(s)}
    whole = set(affected)  # the subjects and the resources that link to them
    reach = reach_of(core.shapes_graph())
    chain = reach.chain
    # a triple changes what its object is checked for only through a predicate the shapes read
    # from the object's side (a class or a confidence level named by a million resources is not
    # affected by one more); such an object is read with its own triples and its inverse-path
    # links only (a much-cited organisation is not read with everything that cites it)
    from_objects = reach.from_objects
    affected |= {
        t.object for t in changed if isinstance(t.object, Node) and t.predicate in from_objects
    }
    objects_only = affected - whole
    if chain:
        todo = list(affected)
        while todo:
            node = todo.pop()
            links = [t.object for t in candidate.own(node) if t.predicate in chain]
            links += [t.subject for t in candidate.incoming(node) if t.predicate in chain]
            for n in links:
                if isinstance(n, Node) and n not in affected:
                    affected.add(n)
                    todo.append(n)
    out: dict[ox.Triple, None] = {}
    neighbours: set[Node] = set()
    for node in affected:
        for t in candidate.own(node):
            out[t] = None
            if isinstance(t.object, Node):
                neighbours.add(t.object)
        for t in candidate.incoming(node):
            if node in objects_only and t.predicate not in reach.inverse:
                continue
            out[t] = None
            neighbours.add(t.subject)
    for node in neighbours - affected:
        for t in candidate.own(node):
            out[t] = None
    return affected, loading.to_rdflib(out)


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
    return WriteOutcome(created=not existed and method != "DELETE", triples=len(new), change=change)


def apply_changes(
    core: Core, new: dict[str, list[ox.Triple]], *, method: str, agent: str, timeout: float
) -> str:
    """Give data graphs new content (an empty list removes a graph) if the result conforms:
    validated together, applied in one atomic step, recorded, a new data version. Returns the
    IRI of the change."""
    store = core.store
    old = {graph: list(store.triples([graph])) for graph in new}
    new = {graph: list(dict.fromkeys(triples)) for graph, triples in new.items()}
    affected, candidate = _affected(core, old, new)
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
