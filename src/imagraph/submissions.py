"""Validating submissions: RDF in any syntax we parse, from bytes, a file or a URL, against our
shapes (or, where allowed, the submitter's), with size and time limits. One code path for the
``/validate`` service and ``imagraph validate``."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
from rdflib import Graph, URIRef

from . import fetch, formats, loading
from .affected import affected
from .checks import Checked, Progress, Steps, silent, validate_in_steps
from .core import Core
from .errors import InputTooLargeError, UnsupportedFormatError
from .formats import Format
from .settings import Settings
from .validation import ValidationResult, Where

#: How an IRI is written in a document: <IRI> (Turtle, N-Triples), "IRI" (JSON-LD, RDF/XML) or
#: a prefixed name (prefix:local), each read as a whole token.
_WRITTEN = re.compile(
    r'<([^<>"\s]+)>|"([a-z][a-z0-9+.-]*:[^"\s]+)"|(?<![\w:-])([A-Za-z][\w.-]*:|:)([\w.-]*)'
)
#: An IRI with a scheme (absolute), and a base declaration just before an IRI (Turtle, SPARQL).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_BASE = re.compile(r"(?:@base|(?<![\w:.-])(?i:base))\s*$")
ACCEPT_RDF = ", ".join(f.media_type for f in formats.rdf())


def format_for(media_type: str | None, filename: str | None = None) -> Format:
    """The format of a submission: from its media type, else from its file name."""
    if media_type and media_type.split(";")[0].strip().lower() not in (
        "",
        "application/octet-stream",
        "text/plain",
        "application/gzip",  # a compressed file: its name tells the format (x.ttl.gz)
        "application/x-gzip",
    ):
        return formats.by_media_type(media_type)
    if filename:
        return formats.guess(filename)
    endings = formats.listed(f".{f.extension}" for f in formats.rdf())
    raise UnsupportedFormatError(
        "say which RDF syntax the submission is in (a media type such as "
        f"{formats.TURTLE.media_type}, or a file name ending in {endings})"
    )


@dataclass(frozen=True)
class Submission:
    """Submitted RDF, not yet parsed: it is parsed in the child that validates it, so that no
    input can crash, stall or fill the process that serves requests."""

    data: bytes
    fmt: Format
    source: str
    base_iri: str | None = None

    def quads(self, prefixes: dict[str, str] | None = None) -> list[Any]:
        return loading.parse(
            self.data, self.fmt, source=self.source, base_iri=self.base_iri, prefixes=prefixes
        )

    def lines(self, iris: Iterable[str], prefixes: dict[str, str]) -> dict[str, int]:
        """The line on which each IRI is first written in the submission: as ``<IRI>`` (a
        relative one resolved against the base: the submission's, then each ``@base`` or
        ``BASE`` as it comes), as ``"IRI"`` (JSON-LD, RDF/XML) or as a prefixed name of the
        document's ``prefixes``. A pointer for people, found in the text in one pass; IRIs
        written otherwise have none."""
        wanted = set(iris)
        text = self.data.decode("utf-8", errors="replace")
        found: dict[str, int] = {}
        line, at = 1, 0
        base = self.base_iri
        for match in _WRITTEN.finditer(text):
            full, quoted, prefix, local = match.groups()
            if full is not None and not _SCHEME.match(full):
                full = urljoin(base, full) if base else None
            if full is not None and _BASE.search(text, max(0, match.start() - 24), match.start()):
                base = full  # a base declaration names no resource
                continue
            iri = full or quoted
            if iri is None and prefix is not None and prefix.rstrip(":") in prefixes:
                iri = prefixes[prefix.rstrip(":")] + local
            if iri in wanted and iri not in found:
                line += text.count("\n", at, match.start())
                at = match.start()
                found[iri] = line
                if len(found) == len(wanted):
                    break
        return found


def parse_submission(data: bytes, fmt: Format, source: str, max_bytes: int) -> Submission:
    """A submission of ``data`` (gzip is decompressed), refused if larger than ``max_bytes``."""
    if len(data) > max_bytes:
        raise InputTooLargeError(f"{source} is larger than the limit of {max_bytes} bytes")
    return Submission(loading.gunzip(data, max_bytes, source), fmt, source)


def fetch_submission(url: str, s: Settings) -> tuple[bytes, Format]:
    got = fetch.fetch(
        url,
        max_bytes=s.validate_max_bytes,
        timeout=s.fetch_timeout,
        accept=ACCEPT_RDF,
        allow=fetch.networks(s.fetch_allow_networks),
    )
    return got.body, format_for(got.content_type, urlsplit(got.url).path)


Parts = Graph | Submission | Sequence[Submission]


def _parts(data: Submission | Sequence[Submission]) -> list[Submission]:
    return [data] if isinstance(data, Submission) else list(data)


def _graph(parts: Parts | None) -> Graph | None:
    """The parts (shapes) as one graph."""
    if parts is None or isinstance(parts, Graph):
        return parts
    graph = Graph()
    for part in _parts(parts):
        loading.to_rdflib(part.quads(), graph)
    return graph


def _where_of(
    parts: list[Submission], prefixes: list[dict[str, str]]
) -> Callable[[ValidationResult], Where]:
    """Where a result's focus nodes are written in the submission: for each that is an IRI, the
    part (where there are several) and the line where it is first written."""

    def where(result: ValidationResult) -> Where:
        iris = {str(v.focus) for v in result.results if isinstance(v.focus, URIRef)}
        found: Where = {}
        for part, declared in zip(parts, prefixes, strict=True):
            for iri, line in part.lines(iris - set(found), declared).items():
                found[iri] = (part.source if len(parts) > 1 else None, line)
        return found

    return where


def _read(steps: Steps, parts: list[Submission]) -> tuple[list[ox.Triple], list[dict[str, str]]]:
    """The triples of all parts (quads of any graph taken as triples), parsed in a child, and
    the prefixes each part declares. They come back as N-Triples, which pyoxigraph writes and
    reads several times faster than pickle copies its terms."""

    def work() -> tuple[bytes, list[dict[str, str]]]:
        triples, prefixes = [], []
        for part in parts:
            declared: dict[str, str] = {}
            triples += [q.triple for q in part.quads(declared)]
            prefixes.append(declared)
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", prefixes

    size = sum(len(p.data) for p in parts)
    names = parts[0].source if len(parts) == 1 else f"{len(parts)} files"
    steps.say(f"parsing {names} ({size:,} bytes)")
    body, prefixes = steps.run(work, "parsing the submission")
    triples = [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
    steps.say(f"parsed {len(triples):,} triples ({steps.elapsed()})")
    return triples, prefixes


def check_with_published(
    core: Core,
    data: Submission | Sequence[Submission],
    shapes: Parts | None = None,
    *,
    timeout: float,
    progress: Progress | None = None,
    idle: bool = True,
) -> Checked:
    """Validate a submission together with the published data, as if it were added to it:
    a new meeting may cite published organisations, topics and sources without describing them
    again. The submission is parsed in a confined child; what it can affect is found as for a
    write (:mod:`imagraph.affected`), and only results about those nodes count, so that the
    report speaks of the submission and of the published resources it would break. The
    parameters are those of :func:`check`."""
    steps = Steps(core, timeout, progress or silent, idle)
    parts = _parts(data)
    triples, prefixes = _read(steps, parts)
    steps.say("gathering what the submission can affect in the published data")
    graph = core.settings.graph_iri(f"submission/{uuid.uuid4()}")  # never a graph of the store
    nodes, candidate = affected(core, {graph: []}, {graph: triples})
    steps.say(
        f"gathered {len(nodes):,} resources to validate and {len(candidate):,} triples around "
        f"them ({steps.elapsed()})"
    )
    checked = validate_in_steps(
        steps, candidate, _graph(shapes), focus=nodes, where=_where_of(parts, prefixes)
    )
    return dataclasses.replace(checked, triples=len(triples), with_published=True)


def check(
    core: Core,
    data: Parts,
    shapes: Parts | None = None,
    *,
    timeout: float,
    focus: set[Any] | None = None,
    progress: Progress | None = None,
    idle: bool = True,
) -> Checked:
    """Validate ``data`` (with our ontology, not with the published data: see
    :func:`check_with_published`) against our shapes or ``shapes``, within ``timeout``
    seconds for all its steps, each in a confined child (submissions are parsed there). With
    ``focus`` (pyoxigraph terms), only results about those nodes count. The report names the
    line where each focus node is first written in a submission. ``progress`` is told of each
    step; ``idle`` False runs the children at this process's CPU priority (the command line).

    :raises ValidationTimeoutError: past ``timeout``, naming it.
    """
    steps = Steps(core, timeout, progress or silent, idle)
    if isinstance(data, Graph):
        return validate_in_steps(steps, data, _graph(shapes), focus=focus)
    parts = _parts(data)
    triples, prefixes = _read(steps, parts)
    return validate_in_steps(
        steps, triples, _graph(shapes), focus=focus, where=_where_of(parts, prefixes)
    )
