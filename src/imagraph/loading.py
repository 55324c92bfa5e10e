"""Reading RDF safely, in one place.

Every input (bundled files, files on the command line, later HTTP bodies) is parsed by pyoxigraph:
it never fetches a remote JSON-LD ``@context`` and never resolves XML external entities. Its errors
become one :class:`RdfSyntaxError` that names the source, line and column.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from . import formats
from .errors import BadInputError, InputTooLargeError, NotFoundError, RdfSyntaxError
from .formats import Format

#: Paths under the canonical base that belong to the shared vocabulary and never move.
_VOCABULARY_PATHS = ("ontology", "shapes")

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.DefaultGraph


def syntax_error(err: SyntaxError, source: str) -> RdfSyntaxError:
    message = str(err.msg if hasattr(err, "msg") else err)
    # pyoxigraph puts the position into the message ("Parser error between line 3 column 11 …")
    # and into lineno/offset; keep the parser's own words after the position prefix.
    if message.startswith("Parser error") and ": " in message:
        message = message.split(": ", 1)[1]
    return RdfSyntaxError(message, source=source, line=err.lineno, column=err.offset)


def open_file(path: Path) -> BinaryIO:
    """A file to read as a stream, gunzipped as it is read when it ends in ``.gz``."""
    try:
        return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")  # type: ignore[return-value]
    except FileNotFoundError:
        raise NotFoundError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NotFoundError(f"{path}: is a folder, not a file") from None


@contextmanager
def reading(path: Path) -> Iterator[BinaryIO]:
    """A file opened with :func:`open_file`, whose syntax and gzip errors say where they are."""
    with open_file(path) as stream:
        try:
            yield stream
        except SyntaxError as err:
            raise syntax_error(err, str(path)) from None
        except (gzip.BadGzipFile, EOFError, zlib.error) as err:
            raise RdfSyntaxError(f"not a valid gzip file ({err})", source=str(path)) from None


def check_file(path: Path, fmt: Format) -> int:
    """Parse a whole file as a stream, keeping nothing, and count its triples, before anything
    is written with it: a syntax error is raised saying where, a triple term or a name that
    gives no data graph (:func:`file_graph_name`) saying so."""
    file_graph_name(path)
    with reading(path) as stream:
        return refuse_triple_terms(ox.parse(stream, format=fmt.oxigraph), str(path))


def read_bytes(path: Path) -> bytes:
    """A file's bytes, gunzipped when it ends in ``.gz`` (errors as :func:`reading` says)."""
    with reading(path) as stream:
        return stream.read()


def check_xml_well_formed(data: bytes, source: str) -> None:
    """Reject XML that is not well-formed (pyoxigraph accepts a truncated document as empty).

    Expat never resolves external entities or parameter entities here.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except ValueError as err:  # e.g. a declared encoding expat does not read (UTF-7)
        raise RdfSyntaxError(
            f"the XML cannot be read ({err}): write it in UTF-8", source=source, line=1
        ) from None
    except expat.ExpatError as err:
        raise RdfSyntaxError(
            f"XML is not well-formed: {expat.ErrorString(err.code)}",
            source=source,
            line=err.lineno,
            column=err.offset + 1,
        ) from None


#: JSON-LD documents may nest objects and arrays this deep (pyoxigraph's parser recurses on
#: objects: a document nested thousands deep would overflow its stack).
MAX_JSON_DEPTH = 100


def check_json_depth(data: bytes, source: str) -> None:
    """Refuse JSON nested deeper than :data:`MAX_JSON_DEPTH`. Python's own JSON parser reads it
    first (it stops at its recursion limit instead of crashing): a second reading of the
    document, about 35 ms per MiB here, paid so that no document can crash the RDF parser."""
    try:
        doc = json.loads(data)
    except RecursionError:
        raise RdfSyntaxError(
            f"the JSON-LD document is nested more than {MAX_JSON_DEPTH} levels deep", source=source
        ) from None
    except ValueError as err:  # not JSON (or not UTF-8): the RDF parser says where
        if isinstance(err, json.JSONDecodeError):
            raise RdfSyntaxError(
                err.msg, source=source, line=err.lineno, column=err.colno
            ) from None
        raise RdfSyntaxError(f"not UTF-8 JSON ({err})", source=source) from None
    level = [doc]
    for _ in range(MAX_JSON_DEPTH + 1):
        level = [
            v
            for node in level
            if isinstance(node, dict | list)
            for v in (node.values() if isinstance(node, dict) else node)
        ]
        if not level:
            return
    raise RdfSyntaxError(
        f"the JSON-LD document is nested more than {MAX_JSON_DEPTH} levels deep", source=source
    )


def gunzip(data: bytes, max_bytes: int, source: str) -> bytes:
    """``data`` decompressed, if it is gzip (by its magic number), up to ``max_bytes``."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    out = bytearray()
    stream = zlib.decompressobj(wbits=31)
    try:
        out += stream.decompress(data, max_bytes + 1)
        while stream.unconsumed_tail and len(out) <= max_bytes:
            out += stream.decompress(stream.unconsumed_tail, max_bytes + 1 - len(out))
    except zlib.error as err:
        raise RdfSyntaxError(f"not a valid gzip file ({err})", source=source) from None
    if len(out) > max_bytes:
        raise InputTooLargeError(
            f"{source} is larger than the limit of {max_bytes} bytes once decompressed"
        )
    if not stream.eof:
        raise RdfSyntaxError("the gzip data is cut short", source=source)
    return bytes(out)


def parse(
    data: bytes,
    fmt: Format,
    *,
    source: str = "input",
    base_iri: str | None = None,
    prefixes: dict[str, str] | None = None,
) -> list[ox.Quad]:
    """Parse ``data`` completely, or raise :class:`RdfSyntaxError` saying where it failed; the
    prefixes the document declares go into ``prefixes`` where one is given.

    Only RDF 1.1 terms are accepted: an RDF 1.2 triple term (``<<( … )>>``) or a reifying
    triple (``<< … >>``) is an error that says so."""
    if fmt.oxigraph == ox.RdfFormat.RDF_XML:
        check_xml_well_formed(data, source)
    elif fmt.oxigraph == ox.RdfFormat.JSON_LD:
        check_json_depth(data, source)
    try:
        parser = ox.parse(data, format=fmt.oxigraph, base_iri=base_iri)
        quads = [
            q if isinstance(q, ox.Quad) else ox.Quad(q.subject, q.predicate, q.object)
            for q in parser
        ]
        if prefixes is not None and fmt.oxigraph in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
            prefixes.update(parser.prefixes)
    except SyntaxError as err:
        raise syntax_error(err, source) from None
    except ValueError as err:  # e.g. an invalid base IRI or an encoding problem
        raise RdfSyntaxError(str(err), source=source) from None
    refuse_triple_terms(quads, source)
    return quads


def refuse_triple_terms(triples: Iterable[ox.Quad | ox.Triple], source: str) -> int:
    """How many ``triples`` there are; :class:`RdfSyntaxError` at the first RDF 1.2 triple
    term: imagraph keeps RDF 1.1 (JSON-LD, the shapes and the pages have no triple terms)."""
    n = 0
    term = ox.Triple  # compared by type: a bulk load's check reads millions of triples
    for t in triples:
        n += 1
        if type(t.object) is term or type(t.subject) is term:
            raise RdfSyntaxError(
                "RDF 1.2 triple terms (<<( … )>> or << … >>) are not accepted: state the "
                f"triple itself, or describe it with rdf:Statement (found one about {t.subject})",
                source=source,
            )
    return n


#: The longest name a data graph may have after ``{base}graph/data/``.
MAX_DATA_GRAPH_NAME = 200
#: What may follow ``{base}graph/data/`` (:func:`data_graph_name`), for messages.
DATA_GRAPH_RULE = (
    "what follows graph/data/ in a data graph's IRI is one or more path segments separated by "
    "'/', each of ASCII letters, digits, '-', '.', '_' and '~' (no empty, '.' or '..' segment, "
    f"no %-escape, query or fragment), at most {MAX_DATA_GRAPH_NAME} characters"
)
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")


def data_graph_name(name: str, source: str) -> str:
    """``name`` if it may follow ``{base}graph/data/`` in a data graph's IRI, else
    :class:`BadInputError` naming ``source`` (the IRI or file it came from) and the rule.

    The one rule for every data graph written (Graph Store, updates, loaded files): an IRI a
    client normalises (RFC 3986: dot segments, %-escapes of unreserved characters) is the IRI
    stored, so ``…/data/../shapes`` cannot be the shapes graph to one reader and a data graph
    to another."""
    if len(name) <= MAX_DATA_GRAPH_NAME and all(
        _SEGMENT.fullmatch(s) and s not in (".", "..") for s in name.split("/")
    ):
        return name
    raise BadInputError(f"{source}: {name!r} is not a data graph name: {DATA_GRAPH_RULE}")


def file_graph_name(path: Path) -> str:
    """The name of the data graph a file is loaded into: its name without ``.gz`` and its
    format's extension (``meetings.ttl``, ``gen.nt.gz``: ``meetings``, ``gen``), checked by
    :func:`data_graph_name`."""
    return data_graph_name(Path(path.name.removesuffix(".gz")).stem, str(path))


def parse_file(path: Path, fmt: Format | None = None) -> list[ox.Quad]:
    """Parse a file, its format guessed from its name unless given."""
    fmt = fmt or formats.guess(path)
    return parse(read_bytes(path), fmt, source=str(path), base_iri=path.resolve().as_uri())


def rebaser(source: str, target: str) -> Callable[[Iterable[ox.Quad]], Iterator[ox.Quad]]:
    """A function that re-mints IRIs under the base ``source`` (a site's files') onto ``target``.

    The site's vocabulary under the base (``…/ontology``, ``…/shapes``) keeps its IRIs. With the
    same base, quads pass through untouched. The quads come from :func:`parse`, which refuses
    triple terms: one would pass through as it is.
    """
    if target == source:
        return iter
    keep = tuple(source + p for p in _VOCABULARY_PATHS)

    def iri(n: ox.NamedNode) -> ox.NamedNode:
        v = n.value
        if v.startswith(source) and not v.startswith(keep):
            return ox.NamedNode(target + v[len(source) :])
        return n

    def remap(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
        for q in quads:
            s, o, g = q.subject, q.object, q.graph_name
            yield ox.Quad(
                iri(s) if isinstance(s, ox.NamedNode) else s,
                iri(q.predicate),
                iri(o) if isinstance(o, ox.NamedNode) else o,
                iri(g) if isinstance(g, ox.NamedNode) else g,
            )

    return remap


def to_rdflib_term(t: Term) -> Node:
    """A pyoxigraph term as the rdflib term with the same meaning."""
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return Literal(t.value, lang=t.language)
        if t.datatype.value == _XSD_STRING:  # a simple literal (RDF 1.1): rdflib keeps it plain
            return Literal(t.value)
        return Literal(t.value, datatype=URIRef(t.datatype.value))
    raise TypeError(f"cannot convert {t!r} to an rdflib term")


def to_rdflib(quads: Iterable[ox.Quad | ox.Triple], graph: Graph | None = None) -> Graph:
    """Add the triples of ``quads`` (graph names dropped) to an rdflib graph, for pySHACL."""
    graph = graph if graph is not None else Graph()
    add = graph.add
    for q in quads:
        add((to_rdflib_term(q.subject), to_rdflib_term(q.predicate), to_rdflib_term(q.object)))  # type: ignore[arg-type]
    return graph
