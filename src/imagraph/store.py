"""The store interface and its embedded implementation (pyoxigraph, in memory or on disk).

Callers see only :class:`Store`; an on-disk or a remote SPARQL 1.1 store fits behind the same
methods. Terms crossing the interface are pyoxigraph terms (``NamedNode``, ``Literal`` …).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Protocol

import pyoxigraph as ox
from pyparsing import ParseException
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from . import loading
from .errors import QuerySyntaxError
from .formats import Format
from .namespaces import PREFIXES

#: Properties whose values name a resource; their values are added for linked resources.
LABEL_PROPERTIES = tuple(
    ox.NamedNode(PREFIXES[p] + local)
    for p, local in (
        ("skos", "prefLabel"),
        ("schema", "name"),
        ("foaf", "name"),
        ("dct", "title"),
        ("rdfs", "label"),
    )
)
#: What a description holds of each resource it links to: its labels, and its position where
#: it has one (so that a meeting's page lists its agenda items in order).
LINK_PROPERTIES = (*LABEL_PROPERTIES, ox.NamedNode(PREFIXES["schema"] + "position"))
#: Labels of linked resources kept per store (see :meth:`OxigraphStore._labels`).
LABEL_CACHE = 100_000
_RDF_SUBJECT = ox.NamedNode(PREFIXES["rdf"] + "subject")

Bindings = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]

#: At most this many incoming links are part of a resource's description.
MAX_INCOMING = 200

RESULTS_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


class QueryOutcome:
    """What a SPARQL query returned: solutions (SELECT), a boolean (ASK) or triples.

    Made from pyoxigraph's result objects (the embedded store) or from the parts a remote store
    answered (:meth:`of`). Solutions and triples can be read once.
    """

    #: the prefixes triples are serialised with (the site's, set by the store that answered)
    prefixes: dict[str, str] = PREFIXES

    def __init__(self, result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> None:
        self._native: ox.QuerySolutions | ox.QueryTriples | None = None
        self._boolean: bool | None = None
        self._rows: Iterable[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]] = ()
        self._triples: Iterable[ox.Triple] = ()
        self.variables: list[str] = []
        if isinstance(result, ox.QueryBoolean):
            self.kind = "ask"
            self._boolean = bool(result)
        elif isinstance(result, ox.QuerySolutions):
            self.kind = "select"
            self._native = result
            self.variables = [v.value for v in result.variables]
            names = self.variables
            self._rows = (
                {v: solution[v] for v in names if solution[v] is not None} for solution in result
            )
        else:
            self.kind = "graph"
            self._triples = result
            self._native = result

    @classmethod
    def of(
        cls,
        kind: str,
        *,
        variables: list[str] | None = None,
        rows: Iterable[Bindings] = (),
        triples: Iterable[ox.Triple] = (),
        boolean: bool | None = None,
    ) -> QueryOutcome:
        """An outcome from its parts: ``kind`` is ``select``, ``ask`` or ``graph``."""
        outcome = cls.__new__(cls)
        outcome._native = None
        outcome.kind = kind
        outcome.variables = list(variables or [])
        outcome._rows, outcome._triples, outcome._boolean = rows, triples, boolean
        return outcome

    @property
    def boolean(self) -> bool:
        if self.kind != "ask" or self._boolean is None:
            raise TypeError(f"a {self.kind} result has no boolean")
        return self._boolean

    def rows(self) -> Iterator[Bindings]:
        """The solutions of a SELECT query, each as a dict of its bound variables."""
        if self.kind != "select":
            raise TypeError(f"a {self.kind} result has no solutions")
        yield from self._rows

    def triples(self) -> Iterator[ox.Triple]:
        """The triples of a CONSTRUCT or DESCRIBE query."""
        if self.kind != "graph":
            raise TypeError(f"a {self.kind} result has no triples")
        yield from self._triples

    def serialize(self, fmt: str | Format) -> bytes:
        """Serialise: a results format (``json``, ``xml``, ``csv``, ``tsv``) for SELECT and ASK,
        an RDF :class:`Format` for CONSTRUCT and DESCRIBE."""
        if self.kind == "graph":
            if not isinstance(fmt, Format):
                raise TypeError("triples are serialised in an RDF format")
            return ox.serialize(self._triples, format=fmt.oxigraph, prefixes=self.prefixes) or b""
        if isinstance(fmt, Format):
            raise TypeError(f"a {self.kind} result is serialised in a results format")
        if self.kind == "ask":
            doc: dict[str, object] = {"head": {}, "boolean": self.boolean}
        else:
            doc = {
                "head": {"vars": self.variables},
                "results": {
                    "bindings": [{v: json_term(t) for v, t in r.items()} for r in self.rows()]
                },
            }
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if fmt == "json":
            return body
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        return parsed.serialize(format=RESULTS_FORMATS[fmt]) or b""

    def stream(self, fmt: str | Format, sink: IO[bytes]) -> None:
        """Write the whole result into ``sink`` as the engine yields it (a result made from
        parts, which a remote store answered whole, is written at once)."""
        if self._native is None or self.kind == "ask":
            sink.write(self.serialize(fmt))
        elif isinstance(self._native, ox.QuerySolutions):
            self._native.serialize(sink, format=RESULTS_FORMATS[fmt])  # type: ignore[index]
        else:
            assert isinstance(fmt, Format)
            ox.serialize(self._native, sink, format=fmt.oxigraph, prefixes=self.prefixes)

    def capped(self, fmt: str | Format, max_rows: int) -> tuple[bytes, bool, int]:
        """Serialise at most ``max_rows`` solutions or triples: (body, truncated, how many).

        pyoxigraph's own serialiser writes them (TSV for solutions, N-Triples for triples: one
        line each) into a sink that stops it after ``max_rows`` lines; pyoxigraph then converts
        that to ``fmt``. A result made from parts is written from its terms instead.
        """
        if self._native is None:
            return self._capped_from_terms(fmt, max_rows)
        is_select = self.kind == "select"
        sink = _Lines(max_rows + 1 if is_select else max_rows)
        line_format = ox.QueryResultsFormat.TSV if is_select else ox.RdfFormat.N_TRIPLES
        try:
            if isinstance(self._native, ox.QuerySolutions):
                self._native.serialize(sink, format=line_format)
            else:
                ox.serialize(self._native, sink, format=line_format)
        except Exception:
            if not sink.truncated:
                raise
        lines = b"".join(sink.parts)
        if is_select:
            parsed = ox.parse_query_results(lines, format=ox.QueryResultsFormat.TSV)
            body = parsed.serialize(format=RESULTS_FORMATS[fmt]) or b""  # type: ignore[index]
            return body, sink.truncated, max(sink.seen - 1, 0)
        assert isinstance(fmt, Format)
        if fmt.oxigraph != ox.RdfFormat.N_TRIPLES:
            triples = ox.parse(lines, format=ox.RdfFormat.N_TRIPLES)
            lines = ox.serialize(triples, format=fmt.oxigraph, prefixes=self.prefixes) or b""
        return lines, sink.truncated, sink.seen

    def _capped_from_terms(self, fmt: str | Format, max_rows: int) -> tuple[bytes, bool, int]:
        if self.kind == "graph":
            triples = []
            for t in self.triples():
                if len(triples) == max_rows:
                    return self._graph_body(triples, fmt), True, len(triples)
                triples.append(t)
            return self._graph_body(triples, fmt), False, len(triples)
        bindings = []
        truncated = False
        for solution in self.rows():
            if len(bindings) == max_rows:
                truncated = True
                break
            bindings.append({v: json_term(t) for v, t in solution.items()})
        doc = {"head": {"vars": self.variables}, "results": {"bindings": bindings}}
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if fmt != "json":
            parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            body = parsed.serialize(format=RESULTS_FORMATS[fmt]) or b""  # type: ignore[index]
        return body, truncated, len(bindings)

    def _graph_body(self, triples: list[ox.Triple], fmt: str | Format) -> bytes:
        assert isinstance(fmt, Format)
        return ox.serialize(triples, format=fmt.oxigraph, prefixes=self.prefixes) or b""


class _Enough(Exception):
    """Raised into pyoxigraph's serialiser by :class:`_Lines` to stop it."""


class _Lines:
    """A write-only sink that keeps the first ``keep`` lines and stops the writer (by raising)
    as soon as anything follows them."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.parts: list[bytes] = []
        self.seen = 0
        self.truncated = False

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        if self.seen >= self.keep:
            if chunk:
                self.truncated = True
                raise _Enough
            return 0
        n = chunk.count(b"\n")
        if self.seen + n < self.keep:
            self.parts.append(chunk)
            self.seen += n
            return len(chunk)
        end = -1
        for _ in range(self.keep - self.seen):
            end = chunk.index(b"\n", end + 1)
        self.parts.append(chunk[: end + 1])
        self.seen = self.keep
        if end + 1 < len(chunk):
            self.truncated = True
            raise _Enough
        return len(chunk)

    def flush(self) -> None:
        pass


_XSD_STRING = PREFIXES["xsd"] + "string"


def json_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict[str, str]:
    """One term in the SPARQL 1.1 Query Results JSON format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


_FROM_WORD = re.compile(r"\bFROM\b", re.IGNORECASE)


def dataset_clause(
    query: str, prefixes: dict[str, str] = PREFIXES
) -> tuple[list[str], list[str]] | None:
    """The graphs a query names with ``FROM`` and ``FROM NAMED`` (``None``: it names none), which
    the default dataset must not override. Parsed with rdflib only when the word FROM occurs."""
    if not _FROM_WORD.search(query):
        return None
    return _dataset_clause(query, tuple(prefixes.items()))


@functools.lru_cache(maxsize=256)
def _dataset_clause(
    query: str, prefixes: tuple[tuple[str, str], ...]
) -> tuple[list[str], list[str]] | None:
    try:
        tree = parseQuery(query)
    except ParseException:
        return None
    prologue = translatePrologue(tree[0], None, initNs=dict(prefixes))
    default: list[str] = []
    named: list[str] = []
    for part in tree[1:]:
        if isinstance(part, CompValue) and "datasetClause" in part:
            for clause in part["datasetClause"]:
                key = "default" if "default" in clause else "named"
                iri = str(prologue.absolutize(clause[key]))
                (default if key == "default" else named).append(iri)
    if not default and not named:
        return None
    return default, named


_PLACEHOLDER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def bind(template: str, **terms: ox.NamedNode | ox.Literal) -> str:
    """A query from one of imagraph's constant templates, its ``$name`` placeholders replaced by
    terms in pyoxigraph's N-Triples form (valid SPARQL, so no value can change the query's
    structure). Bind a variable with ``VALUES ?name { $name }`` at the start of the pattern:
    the same on every store. Other ``$`` variables are left as they are."""
    return _PLACEHOLDER.sub(lambda m: str(terms[m[1]]) if m[1] in terms else m[0], template)


_MOVE = "MOVE SILENT GRAPH $from TO GRAPH $to"
_DROP = "DROP SILENT GRAPH $graph"
_ADD = "ADD SILENT GRAPH $from TO GRAPH $to"


def swap_update(
    new: dict[str, list[ox.Triple]], staging: str, append: dict[str, list[ox.Triple]] | None = None
) -> str:
    """The SPARQL Update that, in one request, puts staged graphs (``staging`` + number) in
    place and adds the staged ``append`` graphs (``staging`` + ``a`` + number) to theirs."""
    ops = [
        bind(_MOVE, **{"from": ox.NamedNode(f"{staging}{i}"), "to": ox.NamedNode(graph)})
        if triples
        else bind(_DROP, graph=ox.NamedNode(graph))
        for i, (graph, triples) in enumerate(new.items())
    ]
    for i, graph in enumerate(append or {}):
        stage = ox.NamedNode(f"{staging}a{i}")
        ops += [bind(_ADD, **{"from": stage, "to": ox.NamedNode(graph)}), bind(_DROP, graph=stage)]
    return " ;\n".join(ops)


class Store(Protocol):
    """What imagraph needs from a store."""

    #: the prefixes predeclared for its queries and used in its serialisations (the site's)
    prefixes: dict[str, str]

    def load(self, quads: Iterable[ox.Quad]) -> int:
        """Add quads; returns how many were given."""

    def load_rdf(self, data: bytes, fmt: Format, graph: str, *, source: str = "input") -> None:
        """Parse ``data`` (a triple format) into the named graph ``graph``, all or nothing."""

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad]) -> int:
        """Replace the content of one named graph."""

    def clear_graph(self, graph: str) -> None:
        """Remove one named graph and its triples."""

    def swap_graphs(
        self,
        new: dict[str, list[ox.Triple]],
        staging: str,
        append: dict[str, list[ox.Triple]] | None = None,
    ) -> None:
        """Replace several named graphs (an empty list removes the graph) and add ``append``'s
        triples to theirs, all in one atomic step; each is staged under ``staging`` first."""

    def about(self, node: ox.NamedNode | ox.BlankNode, graphs: list[str]) -> list[ox.Triple]:
        """The triples with ``node`` as subject in ``graphs``."""

    def flush(self) -> None:
        """Make what was written durable (a no-op for stores that are not on disk)."""

    def optimize(self) -> None:
        """Reorganise the store for reading after a bulk load (a no-op where there is nothing
        to do)."""

    def for_child(self) -> Store:
        """The store a forked child process should use: itself in memory; a fresh read-only
        handle for an on-disk store (RocksDB's threads do not survive a fork)."""

    def pointing_to(self, node: ox.NamedNode | ox.BlankNode, graphs: list[str]) -> list[ox.Triple]:
        """The triples with ``node`` as object in ``graphs``."""

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> QueryOutcome:
        """Run a SPARQL query over the union of all graphs (or of ``default_graphs``, or the
        graphs the query names with FROM); ``named_graphs`` restricts GRAPH. Put terms into a
        query with :func:`bind`."""

    def describe(self, iri: str) -> list[ox.Triple]:
        """A resource's description (see :meth:`OxigraphStore.describe`)."""

    def exists(self, iri: str) -> bool:
        """True if ``iri`` is the subject of at least one triple."""

    def triples(self, graphs: Iterable[str] | None = None) -> Iterator[ox.Triple]:
        """The triples of the given named graphs (all graphs when ``None``)."""

    def dump(self, out: IO[bytes], fmt: Format, graph: str | None = None) -> None:
        """Write the dataset (or one graph) in ``fmt``."""

    def count(self, graph: str | None = None) -> int:
        """Number of quads in the store, or in one graph."""

    def is_empty(self) -> bool:
        """Whether the store holds no quad at all (without counting them)."""

    def graphs(self) -> list[str]:
        """The IRIs of the named graphs."""


class OxigraphStore:
    """The embedded store: in memory by default, on disk (RocksDB) when given a folder."""

    #: Query runners of the embedded store never open a network connection.
    needs_network = False

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

    def load(self, quads: Iterable[ox.Quad]) -> int:
        batch = list(quads)
        self._label_cache.clear()
        self._store.extend(batch)
        return len(batch)

    def bulk_load(self, quads: Iterable[ox.Quad]) -> None:
        """Load a large amount of data fast (not transactional)."""
        self._label_cache.clear()
        self._store.bulk_extend(quads)

    def load_rdf(self, data: bytes, fmt: Format, graph: str, *, source: str = "input") -> None:
        """Parse with pyoxigraph's own loader (the same safe parser as :mod:`loading`: no remote
        contexts, no external entities), transactionally, straight into ``graph``."""
        if fmt.oxigraph == ox.RdfFormat.RDF_XML:
            loading.check_xml_well_formed(data, source)
        self._label_cache.clear()
        try:
            self._store.load(data, format=fmt.oxigraph, to_graph=ox.NamedNode(graph))
        except SyntaxError as err:
            raise loading.syntax_error(err, source) from None

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad]) -> int:
        self.clear_graph(graph)
        return self.load(quads)

    def clear_graph(self, graph: str) -> None:
        self._label_cache.clear()
        node = ox.NamedNode(graph)
        if self._store.contains_named_graph(node):
            self._store.remove_graph(node)

    def swap_graphs(
        self,
        new: dict[str, list[ox.Triple]],
        staging: str,
        append: dict[str, list[ox.Triple]] | None = None,
    ) -> None:
        self._label_cache.clear()
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
            ox.Triple(q.subject, q.predicate, q.object)
            for g in graphs
            for q in self._store.quads_for_pattern(node, None, None, ox.NamedNode(g))
        ]

    def pointing_to(self, node: ox.NamedNode | ox.BlankNode, graphs: list[str]) -> list[ox.Triple]:
        return [
            ox.Triple(q.subject, q.predicate, q.object)
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
                    out[ox.Triple(q.subject, q.predicate, q.object)] = None
                    o = q.object
                    if isinstance(o, ox.BlankNode) and o not in seen:
                        seen.add(o)
                        stack.append(o)
                    elif isinstance(o, ox.NamedNode):
                        linked.append(o)
            return linked

        linked = add_closure(node)
        for q in store.quads_for_pattern(None, _RDF_SUBJECT, node, None):
            linked += add_closure(q.subject)
        incoming = 0
        for q in store.quads_for_pattern(None, None, node, None):
            if q.predicate == _RDF_SUBJECT or isinstance(q.subject, ox.BlankNode):
                continue
            triple = ox.Triple(q.subject, q.predicate, q.object)
            if triple not in out:
                out[triple] = None
                linked.append(q.subject)  # type: ignore[arg-type]
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
                ox.Triple(q.subject, q.predicate, q.object)
                for prop in LINK_PROPERTIES
                for q in self._store.quads_for_pattern(node, prop, None, None)
            ]
            if len(self._label_cache) >= LABEL_CACHE:
                self._label_cache.pop(next(iter(self._label_cache)))
            self._label_cache[node] = cached
        return cached

    def exists(self, iri: str) -> bool:
        return (
            next(self._store.quads_for_pattern(ox.NamedNode(iri), None, None, None), None)
            is not None
        )

    def triples(self, graphs: Iterable[str] | None = None) -> Iterator[ox.Triple]:
        if graphs is None:
            for q in self._store:
                yield ox.Triple(q.subject, q.predicate, q.object)
            return
        for g in graphs:
            for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(g)):
                yield ox.Triple(q.subject, q.predicate, q.object)

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
        return int(next(iter(result))["n"].value)  # type: ignore[arg-type, index]

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
        self._label_cache.clear()
        with loading.reading(path) as stream:
            self._store.bulk_load(stream, format=fmt.oxigraph, to_graph=ox.NamedNode(graph))
