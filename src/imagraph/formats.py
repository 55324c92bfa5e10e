"""The one table of formats: RDF graphs, RDF datasets and SPARQL results.

Each row says everything imagraph needs to know of a format: its names, media types and file
extensions, how pyoxigraph reads and writes it, what it can carry, and where it is offered.
Content negotiation, the SPARQL endpoint and its service description, the OpenAPI description,
the dumps, the catalogue's distributions and the command line's help are all made from this
table, in its order (the first of a kind is preferred where a client has no preference). A new
format is a new row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Generic, TypeVar

import pyoxigraph as ox

from .errors import NotRepresentableError, UnsupportedFormatError

#: The kinds of format: RDF triples (a graph, or the union of a dataset's graphs), RDF quads
#: (a dataset with its named graphs), and the results of a SELECT or ASK query.
GRAPH, DATASET, RESULTS = "graph", "dataset", "results"
RDF = (GRAPH, DATASET)
#: Where the W3C names formats (the service description's ``sd:resultFormat``).
W3C_FORMATS = "http://www.w3.org/ns/formats/"
#: Where the EU names file types (the catalogue's ``dct:format``).
EU_FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"

Ox = TypeVar("Ox", ox.RdfFormat, ox.QueryResultsFormat)


@dataclass(frozen=True)
class Row(Generic[Ox]):
    """What every format says of itself: a row of the table."""

    #: The format's name (``turtle``, ``json``): the command line and ``?format=`` take it, an
    #: alias or an extension.
    name: str
    #: The media type answers carry.
    media_type: str
    #: File extensions, the first the one imagraph writes and the one a URL ends with to ask
    #: for the format (``/ontology.ttl``, ``?format=ttl``).
    extensions: tuple[str, ...]
    #: pyoxigraph's format, which reads and writes it.
    oxigraph: Ox
    #: Its local name in :data:`W3C_FORMATS`.
    w3c: str
    aliases: tuple[str, ...] = ()
    #: Media types also understood for it (in Accept, Content-Type and ``?format=``).
    other_media_types: tuple[str, ...] = ()

    @property
    def extension(self) -> str:
        return self.extensions[0]

    @property
    def title(self) -> str:
        """The format's name for people (``Turtle``, ``RDF/XML``, ``SPARQL Results in JSON``)."""
        return self.oxigraph.name

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.other_media_types)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.extensions)

    @property
    def w3c_iri(self) -> str:
        return W3C_FORMATS + self.w3c


@dataclass(frozen=True)
class Format(Row[ox.RdfFormat]):
    """An RDF format: of a graph (triples), or of a dataset (quads, with named graphs)."""

    kind: str = GRAPH
    #: Carries RDF 1.2 triple terms (``<<( … )>>``); pyoxigraph's JSON-LD does not.
    triple_terms: bool = True
    #: Its local name in :data:`EU_FILE_TYPES` (None: the EU names none).
    file_type: str | None = None
    #: The data is dumped in it (each dump plain and gzipped).
    dump: bool = False

    #: The query forms it answers.
    answers = ("construct", "describe")

    @property
    def is_dataset(self) -> bool:
        """Written with its named graphs (TriG, N-Quads); the other RDF formats carry the union
        of all graphs."""
        return self.kind == DATASET

    @property
    def file_type_iri(self) -> str | None:
        return EU_FILE_TYPES + self.file_type if self.file_type else None


@dataclass(frozen=True)
class ResultsFormat(Row[ox.QueryResultsFormat]):
    """A format of the results of SELECT and ASK queries."""

    kind: str = RESULTS
    #: The query forms it answers.
    answers = ("select", "ask")


# fmt: off
TURTLE = Format("turtle", "text/turtle", ("ttl",), ox.RdfFormat.TURTLE, "Turtle",
                aliases=("n3",),  # Turtle is N3 (SPARQLWrapper's N3 asks for it)
                other_media_types=("application/x-turtle",), file_type="RDF_TURTLE", dump=True)
JSONLD = Format("json-ld", "application/ld+json", ("jsonld", "json"), ox.RdfFormat.JSON_LD,
                "JSON-LD", other_media_types=("application/json",), triple_terms=False,
                file_type="JSON_LD", dump=True)
NTRIPLES = Format("ntriples", "application/n-triples", ("nt",), ox.RdfFormat.N_TRIPLES,
                  "N-Triples", aliases=("n-triples",), file_type="RDF_N_TRIPLES", dump=True)
RDFXML = Format("rdf-xml", "application/rdf+xml", ("rdf", "owl", "xml"), ox.RdfFormat.RDF_XML,
                "RDF_XML", aliases=("rdfxml", "rdf+xml"), file_type="RDF_XML")
TRIG = Format("trig", "application/trig", ("trig",), ox.RdfFormat.TRIG, "TriG", kind=DATASET,
              file_type="RDF_TRIG", dump=True)
NQUADS = Format("nquads", "application/n-quads", ("nq",), ox.RdfFormat.N_QUADS, "N-Quads",
                kind=DATASET, aliases=("n-quads",), file_type="RDF_N_QUADS", dump=True)
SPARQL_JSON = ResultsFormat("json", "application/sparql-results+json", ("json", "srj"),
                            ox.QueryResultsFormat.JSON, "SPARQL_Results_JSON",
                            other_media_types=("application/json",))
SPARQL_XML = ResultsFormat("xml", "application/sparql-results+xml", ("xml", "srx"),
                           ox.QueryResultsFormat.XML, "SPARQL_Results_XML",
                           other_media_types=("application/xml",))
SPARQL_CSV = ResultsFormat("csv", "text/csv", ("csv",), ox.QueryResultsFormat.CSV,
                           "SPARQL_Results_CSV")
SPARQL_TSV = ResultsFormat("tsv", "text/tab-separated-values", ("tsv",),
                           ox.QueryResultsFormat.TSV, "SPARQL_Results_TSV")
# fmt: on

#: The table, in order of preference within each kind.
FORMATS: tuple[Format | ResultsFormat, ...] = (
    TURTLE, JSONLD, NTRIPLES, RDFXML, TRIG, NQUADS,
    SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV,
)  # fmt: skip

R = TypeVar("R", bound="Row[Any]")


def rdf(*kinds: str) -> tuple[Format, ...]:
    """The RDF formats (of ``kinds``, :data:`GRAPH` or :data:`DATASET`; by default both), in the
    table's order."""
    return tuple(f for f in FORMATS if isinstance(f, Format) and f.kind in (kinds or RDF))


def results() -> tuple[ResultsFormat, ...]:
    """The formats of SELECT and ASK results, in the table's order."""
    return tuple(f for f in FORMATS if isinstance(f, ResultsFormat))


def dumps(*kinds: str) -> tuple[Format, ...]:
    """The formats the data is dumped in (of ``kinds``, every RDF kind by default), datasets
    first: they keep the named graphs."""
    dumped = (f for f in rdf(*kinds) if f.dump)
    return tuple(sorted(dumped, key=lambda f: not f.is_dataset))


def find(key: str, among: Iterable[R]) -> R | None:
    """The format ``key`` asks for among ``among``: a name, an alias, an extension or a media
    type (its parameters ignored), in any case; None if none."""
    key = key.split(";", 1)[0].strip().lower()
    return next((f for f in among if key in f.names or key in f.media_types), None)


def listed(items: Iterable[str], last: str = "or") -> str:
    """``a, b or c``."""
    *others, final = items
    return f"{', '.join(others)} {last} {final}" if others else final


def not_representable(fmt: Format) -> NotRepresentableError:
    """The error of an answer with RDF 1.2 triple terms, which ``fmt`` cannot carry: it names
    (and offers) the formats that can."""
    carriers = [f for f in rdf() if f.triple_terms]
    return NotRepresentableError(
        f"the answer holds RDF 1.2 triple terms (<<( … )>>), which {fmt.title} cannot carry: "
        f"ask for {listed(f.title for f in carriers)}",
        [f.media_type for f in carriers],
    )


def check_carries(fmt: Format, triples: Iterable[ox.Triple]) -> None:
    """Raise :class:`NotRepresentableError` if ``triples`` hold a triple term ``fmt`` cannot
    carry."""
    if not fmt.triple_terms and any(
        isinstance(t.object, ox.Triple) or isinstance(t.subject, ox.Triple) for t in triples
    ):
        raise not_representable(fmt)


def by_name(name: str) -> Format:
    """The RDF format called ``name`` (``turtle``, ``ttl``, ``json-ld``, ``nt`` …)."""
    return _named(name, rdf(), "RDF")


def results_by_name(name: str) -> ResultsFormat:
    """The results format called ``name`` (``json``, ``xml``, ``csv``, ``tsv`` …)."""
    return _named(name, results(), "results")


def _named(name: str, among: tuple[R, ...], what: str) -> R:
    fmt = next((f for f in among if name.lower() in f.names), None)
    if fmt is None:
        known = ", ".join(f.name for f in among)
        raise UnsupportedFormatError(f"unknown {what} format {name!r}; known: {known}")
    return fmt


def by_media_type(media_type: str) -> Format:
    """The RDF format for a media type; parameters such as ``; charset=utf-8`` are ignored."""
    key = media_type.split(";", 1)[0].strip().lower()
    fmt = next((f for f in rdf() if key in f.media_types), None)
    if fmt is None:
        known = ", ".join(f.media_type for f in rdf())
        raise UnsupportedFormatError(f"unsupported media type {key!r}; supported: {known}")
    return fmt


def guess(path: str | PurePath) -> Format:
    """The RDF format of a file, from its extension (``.gz`` is looked through)."""
    suffixes = [s.lstrip(".").lower() for s in PurePath(path).suffixes]
    if suffixes and suffixes[-1] == "gz":
        suffixes.pop()
    fmt = next((f for f in rdf() if suffixes and suffixes[-1] in f.extensions), None)
    if fmt is None:
        known = ", ".join(f".{ext}" for f in rdf() for ext in f.extensions)
        raise UnsupportedFormatError(
            f"cannot tell the RDF format of {str(path)!r} from its name; use one of {known}"
        )
    return fmt
