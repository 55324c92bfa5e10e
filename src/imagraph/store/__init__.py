"""Stores: the protocol every store keeps, what they share, and the registry that picks one.

Callers see only :class:`Store`; the embedded store (:mod:`.oxigraph`, in memory or on disk) and
a remote SPARQL 1.1 store (:mod:`.remote`) fit behind the same methods and say what they can do
(:attr:`Store.needs_network`, :attr:`Store.persistent`, :attr:`Store.shared`). A new backend is
one module and one row of :data:`BACKENDS`. Terms crossing the interface are pyoxigraph terms
(``NamedNode``, ``Literal`` …).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import pyoxigraph as ox
from pyparsing import ParseException
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from ..formats import Format, ResultsFormat
from ..labels import LABEL_PROPERTIES
from ..namespaces import PREFIXES

if TYPE_CHECKING:
    from ..settings import Settings

#: What a description holds of each resource it links to: its labels, and its position where
#: it has one (so that a meeting's page lists its agenda items in order).
LINK_PROPERTIES = (*LABEL_PROPERTIES, ox.NamedNode(PREFIXES["schema"] + "position"))
#: Labels of linked resources kept per store (see :meth:`OxigraphStore._labels`).
LABEL_CACHE = 100_000
_RDF_SUBJECT = ox.NamedNode(PREFIXES["rdf"] + "subject")

Bindings = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]

#: At most this many incoming links are part of a resource's description.
MAX_INCOMING = 200


class Sink(Protocol):
    """Where a result is written. pyoxigraph's serialisers call only ``write``, though their
    stubs ask for a whole ``IO[bytes]`` (hence the ``type: ignore[arg-type]`` where a sink is
    given to them)."""

    def write(self, data: bytes, /) -> int: ...


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

    def _check(self, fmt: Format | ResultsFormat) -> None:
        if (self.kind == "graph") != isinstance(fmt, Format):
            raise TypeError(f"a {self.kind} result is not serialised in {fmt.title}")

    def serialize(self, fmt: Format | ResultsFormat) -> bytes:
        """Serialise: in a results format for SELECT and ASK, an RDF format for CONSTRUCT and
        DESCRIBE."""
        self._check(fmt)
        if isinstance(fmt, Format):
            return ox.serialize(self._triples, format=fmt.oxigraph, prefixes=self.prefixes) or b""
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
        return _from_json(body, fmt)

    def stream(self, fmt: Format | ResultsFormat, sink: Sink) -> None:
        """Write the whole result into ``sink`` as the engine yields it (a result made from
        parts, which a remote store answered whole, is written at once)."""
        self._check(fmt)
        if self._native is None or self.kind == "ask":
            sink.write(self.serialize(fmt))
        elif isinstance(self._native, ox.QuerySolutions):
            assert isinstance(fmt, ResultsFormat)
            self._native.serialize(sink, format=fmt.oxigraph)  # type: ignore[arg-type]
        else:
            assert isinstance(fmt, Format)
            ox.serialize(self._native, sink, format=fmt.oxigraph, prefixes=self.prefixes)  # type: ignore[arg-type]

    def capped(self, fmt: Format | ResultsFormat, max_rows: int) -> tuple[bytes, bool, int]:
        """Serialise at most ``max_rows`` solutions or triples: (body, truncated, how many).

        pyoxigraph's own serialiser writes them (TSV for solutions, N-Triples for triples: one
        line each) into a sink that stops it after ``max_rows`` lines; pyoxigraph then converts
        that to ``fmt``. A result made from parts is written from its terms instead.
        """
        self._check(fmt)
        if self._native is None:
            return self._capped_from_terms(fmt, max_rows)
        is_select = self.kind == "select"
        sink = _Lines(max_rows + 1 if is_select else max_rows)
        try:
            if isinstance(self._native, ox.QuerySolutions):
                self._native.serialize(sink, format=ox.QueryResultsFormat.TSV)  # type: ignore[arg-type]
            else:
                ox.serialize(self._native, sink, format=ox.RdfFormat.N_TRIPLES)  # type: ignore[arg-type]
        except Exception:
            if not sink.truncated:
                raise
        lines = b"".join(sink.parts)
        if isinstance(fmt, ResultsFormat):
            parsed = ox.parse_query_results(lines, format=ox.QueryResultsFormat.TSV)
            body = parsed.serialize(format=fmt.oxigraph) or b""
            return body, sink.truncated, max(sink.seen - 1, 0)
        if fmt.oxigraph != ox.RdfFormat.N_TRIPLES:
            triples = ox.parse(lines, format=ox.RdfFormat.N_TRIPLES)
            lines = ox.serialize(triples, format=fmt.oxigraph, prefixes=self.prefixes) or b""
        return lines, sink.truncated, sink.seen

    def _capped_from_terms(
        self, fmt: Format | ResultsFormat, max_rows: int
    ) -> tuple[bytes, bool, int]:
        if isinstance(fmt, Format):
            triples: list[ox.Triple] = []
            for t in self.triples():
                if len(triples) == max_rows:
                    return self._graph_body(triples, fmt), True, len(triples)
                triples.append(t)
            return self._graph_body(triples, fmt), False, len(triples)
        bindings: list[dict[str, dict[str, str]]] = []
        truncated = False
        for solution in self.rows():
            if len(bindings) == max_rows:
                truncated = True
                break
            bindings.append({v: json_term(t) for v, t in solution.items()})
        doc = {"head": {"vars": self.variables}, "results": {"bindings": bindings}}
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return _from_json(body, fmt), truncated, len(bindings)

    def _graph_body(self, triples: list[ox.Triple], fmt: Format) -> bytes:
        return ox.serialize(triples, format=fmt.oxigraph, prefixes=self.prefixes) or b""


def _from_json(body: bytes, fmt: ResultsFormat) -> bytes:
    """SPARQL JSON results in the results format ``fmt``."""
    if fmt.oxigraph == ox.QueryResultsFormat.JSON:
        return body
    parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=fmt.oxigraph) or b""


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
    """What imagraph needs from a store, and what it can do."""

    #: the prefixes predeclared for its queries and used in its serialisations (the site's)
    prefixes: dict[str, str]

    @property
    def needs_network(self) -> bool:
        """Whether its query runners need the network (a remote store): children keep it."""

    @property
    def persistent(self) -> bool:
        """Whether it keeps its data itself (on disk, remote): opened again, it is served as
        it is."""

    @property
    def shared(self) -> bool:
        """Whether a server's workers share it (remote, or on disk read-only) rather than each
        holding its own copy (in memory)."""

    def forget(self) -> None:
        """Drop what it remembers of the store's content (its list of graphs, labels): another
        process changed the data."""

    def bulk_load_file(self, path: Path, fmt: Format, graph: str) -> None:
        """Load a large file into ``graph`` without holding it in memory (building a store)."""

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

    def small_description(self, iri: str, limit: int) -> bool:
        """Whether :meth:`describe` of ``iri`` is certainly quick: at most ``limit`` triples of
        its own and ``limit`` statements about it, none of its values a blank node (whose own
        triples it describes, however many). False where that is not known at once (a remote
        store). A server answers such a resource without a thread (see ``web.worker``)."""

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


@dataclass(frozen=True)
class Backend:
    """A kind of store: the ``store`` settings it serves, how it opens one, and what a server
    must know of it before it opens one."""

    name: str
    serves: Callable[[str], bool]
    open: Callable[[Settings, bool], Store]
    #: Keeps its data across restarts: a server serves what it holds, with its writes.
    persistent: bool
    #: Several processes may open it for writing (a remote store): a server's workers all write.
    many_writers: bool
    #: Must first be opened in a fresh process, never in one that forks workers afterwards
    #: (RocksDB's background threads do not survive a fork).
    spawn_first: bool
    #: Where its data lives (one key for every server of the same data), None: in one process.
    place: Callable[[Settings], str | None]


def _remote(settings: Settings, read_only: bool) -> Store:
    from .remote import RemoteStore

    return RemoteStore.from_settings(settings)


def _embedded(settings: Settings, read_only: bool) -> Store:
    from .oxigraph import OxigraphStore

    return OxigraphStore.from_settings(settings, read_only=read_only)


#: The backends, the first that serves the ``store`` setting opens it.
BACKENDS = (
    Backend(
        "remote SPARQL 1.1 store", lambda s: s.startswith(("http://", "https://")), _remote,
        persistent=True, many_writers=True, spawn_first=False, place=lambda s: s.store,
    ),
    Backend(
        "embedded, in memory", lambda s: s == "memory", _embedded,
        persistent=False, many_writers=False, spawn_first=False, place=lambda s: None,
    ),
    Backend(
        "embedded, on disk in a folder", lambda s: True, _embedded,
        persistent=True, many_writers=False, spawn_first=True,
        place=lambda s: str(Path(s.store).resolve()),
    ),
)  # fmt: skip


def backend_for(settings: Settings) -> Backend:
    """The backend that serves the settings' ``store`` (``memory``, a folder, a URL)."""
    return next(b for b in BACKENDS if b.serves(settings.store))


def open_store(settings: Settings, *, read_only: bool = False) -> Store:
    """The store the settings name, opened by its backend; ``read_only`` for one that a
    server's workers share."""
    return backend_for(settings).open(settings, read_only)
