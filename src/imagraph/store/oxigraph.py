"""The embedded store: pyoxigraph, in memory or on disk (RocksDB)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from .. import loading
from ..errors import BadInputError, NotFoundError, QuerySyntaxError
from ..formats import Format
from ..namespaces import PREFIXES
from ..settings import Settings
from . import (
    _RDF_SUBJECT,
    LABEL_CACHE,
    LINK_PROPERTIES,
    MAX_INCOMING,
    QueryOutcome,
    dataset_clause,
    swap_update,
)


class OxigraphStore:
    """The embedded store: in memory by default, on disk (RocksDB) when given a folder."""

    #: Query runners of the embedded store never open a network connection.
    needs_network = False

    @classmethod
    def from_settings(cls, settings: Settings, *, read_only: bool = False) -> OxigraphStore:
        """In memory (``memory``), or the on-disk store in the folder the settings name; a
        server's workers open an on-disk store ``read_only`` and share it."""
        path = None if settings.store == "memory" else Path(settings.store)
        if read_only and path is None:
            raise BadInputError("only an on-disk store can be opened read-only")
        if read_only and path is not None and not (path / "CURRENT").exists():
            raise NotFoundError(f"{path}: no store here; create it with imagraph load")
        return cls(path, read_only=read_only, prefixes=settings.config.prefixes)

    @property
    def persistent(self) -> bool:
        """On disk, it keeps its data (and the writes made to it) across restarts."""
        return self.path is not None

    @property
    def shared(self) -> bool:
        """On disk and read-only, a server's workers share it; in memory each has its own."""
        return self.path is not None and self.read_only

    def forget(self) -> None:
        self._label_cache.clear()
        self._small.clear()

    def __init__(
        self,
        path: Path | None = None,
        *,
        read_only: bool = False,
        prefixes: dict[str, str] | None = None,
    ) -> None:
        #: the prefixes predeclared for queries and used in serialisations (the site's)
        self.prefixes = prefixes or PREFIXES
        if path is None:
            self._store = ox.Store()
        elif read_only:
            self._store = ox.Store.read_only(str(path))
        else:
            self._store = ox.Store(str(path))
        self.path = path
        self.read_only = read_only
        self._label_cache: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = {}
        self._small: dict[tuple[str, int], bool] = {}  # small_description's words

    def load(self, quads: Iterable[ox.Quad]) -> int:
        batch = list(quads)
        self.forget()
        self._store.extend(batch)
        return len(batch)

    def bulk_load(self, quads: Iterable[ox.Quad]) -> None:
        """Load a large amount of data fast (not transactional)."""
        self.forget()
        self._store.bulk_extend(quads)

    def load_rdf(self, data: bytes, fmt: Format, graph: str, *, source: str = "input") -> None:
        """Parse with pyoxigraph's own loader (the same safe parser as :mod:`loading`: no remote
        contexts, no external entities), transactionally, straight into ``graph``."""
        if fmt.oxigraph == ox.RdfFormat.RDF_XML:
            loading.check_xml_well_formed(data, source)
        self.forget()
        try:
            self._store.load(data, format=fmt.oxigraph, to_graph=ox.NamedNode(graph))
        except SyntaxError as err:
            raise loading.syntax_error(err, source) from None

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad]) -> int:
        self.clear_graph(graph)
        return self.load(quads)

    def clear_graph(self, graph: str) -> None:
        self.forget()
        node = ox.NamedNode(graph)
        if self._store.contains_named_graph(node):
            self._store.remove_graph(node)

    def swap_graphs(
        self,
        new: dict[str, list[ox.Triple]],
        staging: str,
        append: dict[str, list[ox.Triple]] | None = None,
    ) -> None:
        self.forget()
        staged = [(f"{staging}{i}", triples) for i, triples in enumerate(new.values())]
        staged += [(f"{staging}a{i}", triples) for i, triples in enumerate((append or {}).values())]
        for name, triples in staged:
            stage = ox.NamedNode(name)
            self._store.extend(ox.Quad(t.subject, t.predicate, t.object, stage) for t in triples)
        # One SPARQL Update request (one transaction, also on disk) moves every staged graph
        # into place, drops the graphs that become empty and adds the appended triples.
        self._store.update(swap_update(new, staging, append))

    def about(self, node: ox.NamedNode | ox.BlankNode, graphs: list[str]) -> list[ox.Triple]:
        return [
            q.triple
            for g in graphs
            for q in self._store.quads_for_pattern(node, None, None, ox.NamedNode(g))
        ]

    def pointing_to(self, node: ox.NamedNode | ox.BlankNode, graphs: list[str]) -> list[ox.Triple]:
        return [
            q.triple
            for g in graphs
            for q in self._store.quads_for_pattern(None, None, node, ox.NamedNode(g))
        ]

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> QueryOutcome:
        dataset: dict[str, object] = {}
        if default_graphs is not None:
            dataset["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        elif named_graphs is not None or dataset_clause(sparql, self.prefixes) is None:
            # no dataset in the protocol nor in the query: the union of all graphs
            dataset["use_default_graph_as_union"] = True
        if named_graphs is not None:
            dataset["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            result = self._store.query(
                sparql,
                base_iri=base_iri,
                prefixes=self.prefixes,
                **dataset,  # type: ignore[arg-type]
            )
        except SyntaxError as err:
            raise QuerySyntaxError.from_parser(sparql, err, self.prefixes) from None
        except ValueError as err:  # e.g. an invalid IRI in default-graph-uri
            raise QuerySyntaxError(str(err)) from None
        outcome = QueryOutcome(result)
        outcome.prefixes = self.prefixes
        return outcome

    def describe(self, iri: str) -> list[ox.Triple]:
        """The description of one resource, in every graph, without duplicates.

        It is: the resource's own triples (and those of blank nodes it points to, recursively);
        the statements about it that carry their own confidence (``rdf:Statement`` nodes whose
        ``rdf:subject`` it is) with their triples; the labels of every resource it links to; and
        up to :data:`MAX_INCOMING` incoming links with the labels of their subjects.
        """
        node = ox.NamedNode(iri)
        out: dict[ox.Triple, None] = {}
        store = self._store

        def add_closure(subject: ox.NamedNode | ox.BlankNode) -> list[ox.NamedNode]:
            linked = []
            stack = [subject]
            seen = {subject}
            while stack:
                s = stack.pop()
                for q in store.quads_for_pattern(s, None, None, None):
                    out[q.triple] = None
                    o = q.object
                    if isinstance(o, ox.BlankNode) and o not in seen:
                        seen.add(o)
                        stack.append(o)
                    elif isinstance(o, ox.NamedNode):
                        linked.append(o)
            return linked

        linked = add_closure(node)
        for q in store.quads_for_pattern(None, _RDF_SUBJECT, node, None):
            # pyoxigraph's stubs let a subject be a triple term, which RDF 1.2 does not
            linked += add_closure(q.subject)  # type: ignore[arg-type]
        incoming = 0
        for q in store.quads_for_pattern(None, None, node, None):
            if q.predicate == _RDF_SUBJECT or isinstance(q.subject, ox.BlankNode):
                continue
            triple = q.triple
            if triple not in out:
                out[triple] = None
                linked.append(q.subject)  # type: ignore[arg-type]  # not blank: named (stubs)
                incoming += 1
                if incoming >= MAX_INCOMING:
                    break
        for other in dict.fromkeys(linked):
            if other != node:
                for t in self._labels(other):
                    out[t] = None
        return list(out)

    def _labels(self, node: ox.NamedNode | ox.BlankNode) -> list[ox.Triple]:
        """The label triples of ``node``: one lookup per label property, kept in a bounded cache
        (a description links to dozens of resources, the same ones again and again; on disk a
        lookup on uncached blocks is a RocksDB seek of 10-100 µs). Every write through this store
        forgets them; the data of a store opened read-only never changes."""
        cached = self._label_cache.get(node)
        if cached is None:
            cached = [
                q.triple
                for prop in LINK_PROPERTIES
                for q in self._store.quads_for_pattern(node, prop, None, None)
            ]
            if len(self._label_cache) >= LABEL_CACHE:
                self._label_cache.pop(next(iter(self._label_cache)))
            self._label_cache[node] = cached
        return cached

    def small_description(self, iri: str, limit: int) -> bool:
        """(Kept, as labels are, until a write: ~0.3 µs a triple of its own to find out; not for
        an IRI the store says nothing about, two lookups, so that the paths of unknown
        resources a client makes up fill nothing.)"""
        small = self._small.get((iri, limit))
        if small is None:
            small = self._is_small(iri, limit)
            if small is None:
                return True
            self._small[iri, limit] = small
            if len(self._small) > LABEL_CACHE:
                self._small.pop(next(iter(self._small)))
        return small

    def _is_small(self, iri: str, limit: int) -> bool | None:
        """Whether the description of ``iri`` is small; None if the store says nothing of it."""
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            return False
        store = self._store
        n = -1
        for n, q in enumerate(store.quads_for_pattern(node, None, None, None)):
            if n >= limit or isinstance(q.object, ox.BlankNode):
                return False
        about = store.quads_for_pattern(None, _RDF_SUBJECT, node, None)
        first = next(about, None)
        if first is None:
            return None if n < 0 else True
        about = itertools.chain((first,), about)
        return next(itertools.islice(about, limit, None), None) is None

    def exists(self, iri: str) -> bool:
        return (
            next(self._store.quads_for_pattern(ox.NamedNode(iri), None, None, None), None)
            is not None
        )

    def triples(self, graphs: Iterable[str] | None = None) -> Iterator[ox.Triple]:
        if graphs is None:
            for q in self._store:
                yield q.triple
            return
        for g in graphs:
            for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(g)):
                yield q.triple

    def dump(self, out: IO[bytes], fmt: Format, graph: str | None = None) -> None:
        if fmt.is_dataset and graph is None:
            self._store.dump(out, format=fmt.oxigraph, prefixes=self.prefixes)
            return
        if graph is not None:
            self._store.dump(
                out, format=fmt.oxigraph, from_graph=ox.NamedNode(graph), prefixes=self.prefixes
            )
            return
        # A triple format for the whole dataset: every graph's triples, streamed (a set of 10M
        # triples would take gigabytes); a triple stated in two graphs is written twice, which
        # changes nothing once parsed (imagraph's graphs share none).
        ox.serialize(self.triples(), out, format=fmt.oxigraph, prefixes=self.prefixes)

    def is_empty(self) -> bool:
        return next(iter(self._store), None) is None

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            return len(self._store)
        # counted by the engine, not by iterating in Python (10M quads take seconds otherwise)
        result = self._store.query(
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph=[ox.NamedNode(graph)]
        )
        return int(next(iter(result))["n"].value)  # type: ignore[arg-type]

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def flush(self) -> None:
        if self.path is not None and not self.read_only:
            self._store.flush()

    def optimize(self) -> None:
        """Compact an on-disk store after a bulk load. A bulk load adds its sorted files side by
        side, so every lookup has to look into each of them; compacted, one lookup reads one
        file per level (labels of 200 linked resources at 10M triples: 30 ms before, 7 ms after;
        the compaction of 10M takes about 17 s)."""
        if self.path is not None and not self.read_only:
            self._store.optimize()

    def for_child(self) -> OxigraphStore:
        if self.path is None:
            return self
        return OxigraphStore(self.path, read_only=True, prefixes=self.prefixes)

    def bulk_load_file(self, path: Path, fmt: Format, graph: str) -> None:
        """Load a large file straight into ``graph`` without holding it in memory (not
        transactional: meant for building a store, before it is served)."""
        self.forget()
        with loading.reading(path) as stream:
            self._store.bulk_load(stream, format=fmt.oxigraph, to_graph=ox.NamedNode(graph))
