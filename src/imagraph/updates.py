"""SPARQL 1.1 Update, gated by the shapes, on the data graphs.

An update never runs on the store itself. It runs on a scratch copy (in memory, in a forked child
stopped at the time limit): imagraph's named graphs, and the union of the data with the ontology
and labels as the default graph, so that a ``WHERE`` without ``GRAPH`` sees what a query sees.
The graphs whose content it changed are then put through :func:`writes.apply_changes`:
validated together with what they touch, applied in one atomic step if the result conforms,
recorded (PROV) and given a new data version. Only data graphs (``{base}graph/data/…``) may
change; an update that changes the default graph is refused (name the graph with ``GRAPH`` or
``WITH``). ``LOAD`` and ``SERVICE`` are refused before anything runs: the server never fetches
a URL a user chose.

The copy costs time in proportion to the data (see ``bench/bench_validate.py``): for
large graphs, the Graph Store Protocol writes one graph without it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from rdflib.plugins.sparql.parser import UpdateUnit

from . import loading
from .checks import forked
from .errors import BadInputError, QueryRefusedError, QuerySyntaxError, UpdateRefusedError
from .sparql import parsed_nodes
from .writes import Writes

_FETCHING_WORD = re.compile(r"LOAD|SERVICE", re.IGNORECASE)


@dataclass(frozen=True)
class UpdateOutcome:
    change: str | None  # the IRI of the recorded change (None: nothing changed)
    graphs: dict[str, int]  # changed graph → triples after the update


def check_update(update: str) -> None:
    """Refuse ``LOAD`` and ``SERVICE`` (the server would fetch a URL a user chose). An update
    without either word is not parsed here; others are parsed with rdflib and refused outright
    if rdflib cannot read them."""
    refusal = "LOAD and SERVICE are not allowed in updates (the server fetches nothing)"
    for node in parsed_nodes(update, _FETCHING_WORD, UpdateUnit, refusal):
        if node.name == "Load":
            raise QueryRefusedError("LOAD is not allowed: the server fetches nothing")
        if node.name == "ServiceGraphPattern":
            raise QueryRefusedError("SERVICE is not allowed in updates")


def _run_on_copy(
    scratch: ox.Store, update: str, base_iri: str | None, graphs: list[str]
) -> tuple[bool, dict[str, bytes]]:
    """In the child: run the update on the copy; report whether the default graph changed and
    the new content (N-Triples) of every named graph that changed."""
    default = ox.DefaultGraph()

    def content(graph: ox.NamedNode | ox.DefaultGraph) -> set[ox.Triple]:
        return {q.triple for q in scratch.quads_for_pattern(None, None, None, graph)}

    before = {g: content(ox.NamedNode(g)) for g in graphs}
    before_default = content(default)
    known = {
        term
        for q in scratch.quads_for_pattern(None, None, None, None)
        for term in (q.subject, q.object)
        if isinstance(term, ox.BlankNode)
    }
    try:
        scratch.update(update, base_iri=base_iri)
    except SyntaxError as err:
        raise QuerySyntaxError.from_parser(update, err) from None
    except PermissionError:  # the engine tried to fetch (LOAD, SERVICE): the child may not
        raise QueryRefusedError(
            "the update tried to fetch from the network (LOAD or SERVICE): the server fetches "
            "nothing"
        ) from None
    except (OSError, RuntimeError, ValueError) as err:  # e.g. CLEAR of a graph that is not there
        raise BadInputError(f"the update failed: {err}") from None
    # the update's new blank nodes were labelled from the random state this child inherited,
    # the same in every child of a worker: two updates' [] would be one blank node. They get
    # labels of their own (from the system's randomness, not the inherited state).
    fresh: dict[ox.BlankNode, ox.BlankNode] = {}

    def own(term: Any) -> Any:
        if not isinstance(term, ox.BlankNode) or term in known:
            return term
        if term not in fresh:
            fresh[term] = ox.BlankNode(uuid.uuid4().hex)
        return fresh[term]

    changed: dict[str, bytes] = {}
    names = {g.value for g in scratch.named_graphs() if isinstance(g, ox.NamedNode)} | set(graphs)
    for name in sorted(names):
        after = content(ox.NamedNode(name))
        if after != before.get(name, set()):
            relabelled = (ox.Triple(own(t.subject), t.predicate, own(t.object)) for t in after)
            changed[name] = ox.serialize(relabelled, format=ox.RdfFormat.N_TRIPLES) or b""
    return content(default) != before_default, changed


def run(writes: Writes, update: str, *, agent: str, timeout: float) -> UpdateOutcome:
    """Run one SPARQL Update request on the data graphs, gated by the shapes, as one write."""
    if not update.strip():
        raise QuerySyntaxError("the update is empty")
    check_update(update)
    core = writes.core
    settings = core.settings
    data_graphs = core.data_graph_iris()
    graphs = core.store.graphs()
    scratch = ox.Store()
    scratch.bulk_extend(
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g))
        for g in graphs
        for t in core.store.triples([g])
    )
    context = [settings.graph_iri("ontology"), settings.graph_iri("labels"), *data_graphs]
    scratch.bulk_extend(
        ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
        for t in core.store.triples(context)
    )
    default_changed, changed = forked(
        lambda: _run_on_copy(scratch, update, settings.base_iri, graphs),
        timeout,
        memory=settings.child_memory,
        what="the update",
    )
    if default_changed:
        raise UpdateRefusedError(
            "the update changes the default graph, which is the read-only union of the data: "
            "name the graph to change with GRAPH <…> or WITH <…>"
        )
    prefix = settings.graph_iri("data/")
    for graph, body in changed.items():
        if not graph.startswith(prefix):
            raise UpdateRefusedError(f"<{graph}> may not be changed: only data graphs ({prefix}…)")
        if body:  # a graph is removed by its name as stored, clean or not
            loading.data_graph_name(graph.removeprefix(prefix), f"the update's graph <{graph}>")
    if not changed:
        return UpdateOutcome(None, {})
    new = {
        graph: [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
        for graph, body in changed.items()
    }
    for graph, triples in new.items():
        loading.refuse_triple_terms(triples, f"the update of <{graph}>")
    change = writes.apply_changes(new, method="UPDATE", agent=agent, timeout=timeout)
    return UpdateOutcome(change, {g: len(ts) for g, ts in new.items()})
