"""What a change to the data can affect, for the shapes: the nodes whose validation results may
change, and the data around them that their shapes read. The write gate validates a write with
it, and the validation service a submission together with the published data.

Affected (see :func:`affected`): the subjects of the changed graphs before and after, the objects
of the triples that come or go through a predicate the shapes read from the object's side, the
resources that link to the subjects, and chains along the shapes' transitive predicates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from . import loading
from .core import Core

#: A subject, or an object that can be one. pyoxigraph's stubs let a subject be a triple term,
#: which RDF 1.2 does not: where a subject is taken as a Node, ``type: ignore`` says so.
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
                self.by_subject.setdefault(t.subject, []).append(t)  # type: ignore[arg-type]
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


def reach_of(shapes: Graph) -> Reach:
    """What the shapes make a change reach (a core keeps it: :meth:`Core.from_shapes`)."""
    return Reach(
        transitive_predicates(shapes),
        _iris(shapes, SH.inversePath),
        _iris(shapes, SH.targetObjectsOf),
    )


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


def affected(
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
    subjects: set[Node] = {t.subject for ts in (*old.values(), *new.values()) for t in ts}  # type: ignore[misc]
    affected: set[Node] = set(subjects)
    for s in subjects:
        affected |= {t.subject for t in candidate.incoming(s)}  # type: ignore[misc]
    whole = set(affected)  # the subjects and the resources that link to them
    reach = core.from_shapes(reach_of)
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
            neighbours.add(t.subject)  # type: ignore[arg-type]
    for node in neighbours - affected:
        for t in candidate.own(node):
            out[t] = None
    return affected, loading.to_rdflib(out)
