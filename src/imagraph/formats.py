"""The one table of RDF formats: name, media types, file extensions and the pyoxigraph format."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

import pyoxigraph as ox

from .errors import NotRepresentableError, UnsupportedFormatError


@dataclass(frozen=True)
class Format:
    """An RDF serialisation imagraph reads and writes."""

    name: str
    media_type: str
    extensions: tuple[str, ...]
    oxigraph: ox.RdfFormat
    aliases: tuple[str, ...] = ()
    other_media_types: tuple[str, ...] = ()
    #: Written with its named graphs (TriG, N-Quads); the others carry the union of all graphs.
    is_dataset: bool = False
    #: Carries RDF 1.2 triple terms (``<<( … )>>``); pyoxigraph's JSON-LD does not.
    triple_terms: bool = True

    @property
    def extension(self) -> str:
        return self.extensions[0]

    @property
    def title(self) -> str:
        """The format's name for people (``Turtle``, ``RDF/XML``, ``JSON-LD``)."""
        return self.oxigraph.name


TURTLE = Format(
    "turtle", "text/turtle", ("ttl",), ox.RdfFormat.TURTLE, ("ttl",), ("application/x-turtle",)
)
NTRIPLES = Format(
    "ntriples", "application/n-triples", ("nt",), ox.RdfFormat.N_TRIPLES, ("nt", "n-triples")
)
JSONLD = Format(
    "json-ld",
    "application/ld+json",
    ("jsonld", "json"),
    ox.RdfFormat.JSON_LD,
    ("jsonld",),
    triple_terms=False,
)
RDFXML = Format(
    "rdf-xml", "application/rdf+xml", ("rdf", "owl", "xml"), ox.RdfFormat.RDF_XML, ("xml", "rdfxml")
)
TRIG = Format("trig", "application/trig", ("trig",), ox.RdfFormat.TRIG, is_dataset=True)
NQUADS = Format(
    "nquads",
    "application/n-quads",
    ("nq",),
    ox.RdfFormat.N_QUADS,
    ("nq", "n-quads"),
    is_dataset=True,
)

FORMATS: tuple[Format, ...] = (TURTLE, NTRIPLES, JSONLD, RDFXML, TRIG, NQUADS)

_BY_NAME = {key: f for f in FORMATS for key in (f.name, *f.aliases)}
_BY_MEDIA_TYPE = {m: f for f in FORMATS for m in (f.media_type, *f.other_media_types)}
_BY_EXTENSION = {ext: f for f in FORMATS for ext in f.extensions}


def not_representable(fmt: Format) -> NotRepresentableError:
    """The error of an answer with RDF 1.2 triple terms, which ``fmt`` cannot carry: it names
    (and offers) the formats that can."""
    carriers = [f for f in FORMATS if f.triple_terms]
    *others, last = (f.title for f in carriers)
    return NotRepresentableError(
        f"the answer holds RDF 1.2 triple terms (<<( … )>>), which {fmt.title} cannot carry: "
        f"ask for {', '.join(others)} or {last}",
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
    """The format called ``name`` (``turtle``, ``ttl``, ``json-ld``, ``nt`` …)."""
    try:
        return _BY_NAME[name.lower()]
    except KeyError:
        known = ", ".join(f.name for f in FORMATS)
        raise UnsupportedFormatError(f"unknown RDF format {name!r}; known: {known}") from None


def by_media_type(media_type: str) -> Format:
    """The format for a media type; parameters such as ``; charset=utf-8`` are ignored."""
    key = media_type.split(";", 1)[0].strip().lower()
    try:
        return _BY_MEDIA_TYPE[key]
    except KeyError:
        known = ", ".join(f.media_type for f in FORMATS)
        raise UnsupportedFormatError(
            f"unsupported media type {key!r}; supported: {known}"
        ) from None


def guess(path: str | PurePath) -> Format:
    """The format of a file, from its extension (``.gz`` is looked through)."""
    suffixes = [s.lstrip(".").lower() for s in PurePath(path).suffixes]
    if suffixes and suffixes[-1] == "gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in _BY_EXTENSION:
        return _BY_EXTENSION[suffixes[-1]]
    known = ", ".join(f".{ext}" for f in FORMATS for ext in f.extensions)
    raise UnsupportedFormatError(
        f"cannot tell the RDF format of {str(path)!r} from its name; use one of {known}"
    )
