"""Validating submissions: RDF in any syntax we parse, from bytes, a file or a URL, against our
shapes (or, where allowed, the submitter's), with size and time limits. One code path for the
``/validate`` service and ``imagraph validate``."""

from __future__ import annotations

import dataclasses
import re
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
from rdflib import Graph, URIRef

from . import fetch, formats, isolation, loading
from .affected import affected
from .core import Core
from .errors import InputTooLargeError, UnsupportedFormatError, ValidationTimeoutError
from .formats import Format
from .settings import Settings
from .validation import Where, report_summary, report_text

#: How an IRI is written in a document: <IRI> (Turtle, N-Triples), "IRI" (JSON-LD, RDF/XML) or
#: a prefixed name (prefix:local), each read as a whole token.
_WRITTEN = re.compile(
    r'<([^<>"\s]+)>|"([a-z][a-z0-9+.-]*:[^"\s]+)"|(?<![\w:-])([A-Za-z][\w.-]*:|:)([\w.-]*)'
)
#: An IRI with a scheme (absolute), and a base declaration just before an IRI (Turtle, SPARQL).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_BASE = re.compile(r"(?:@base|(?<![\w:.-])(?i:base))\s*$")
ACCEPT_RDF = ", ".join(f.media_type for f in formats.FORMATS)


@dataclass(frozen=True)
class Checked:
    """The outcome of one validation, ready for every output: the standard report as Turtle,
    summaries and texts in German and English."""

    conforms: bool
    report_turtle: bytes
    summary: dict[str, dict[str, Any]]
    text: dict[str, str]
    triples: int
    #: whether the submission was validated together with the published data
    with_published: bool = False

    def report_graph(self) -> Graph:
        return Graph().parse(data=self.report_turtle, format="turtle")


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
    raise UnsupportedFormatError(
        "say which RDF syntax the submission is in (a media type such as text/turtle, or a "
        "file name ending in .ttl, .nt, .jsonld, .rdf, .trig or .nq)"
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


def forked(
    work: Any, timeout: float, *, memory: int, what: str = "the validation", idle: bool = True
) -> Any:
    """Run ``work`` in a confined child (no network, a memory limit, killed at ``timeout``;
    ``idle``: below the server's workers in the CPU's favour) and return its picklable result."""
    return isolation.run(
        work,
        timeout=timeout,
        memory=memory,
        what=what,
        timeout_error=ValidationTimeoutError,
        idle=idle,
    )


#: Tells a person how far a long validation has got, a line at each step (the CLI prints them).
Progress = Callable[[str], None]


def _silent(line: str) -> None:
    pass


@dataclass(frozen=True)
class _Steps:
    """The steps of one validation: one time limit for them all, each in a confined child."""

    core: Core
    limit: float
    say: Progress
    idle: bool
    start: float = dataclasses.field(default_factory=time.monotonic)

    def run(self, work: Any, what: str) -> Any:
        """``work`` in a child, within what is left of the limit. The message of a validation
        stopped at its limit names the whole limit (a step got only what was left of it)."""
        left = self.limit - (time.monotonic() - self.start)
        stopped = ValidationTimeoutError(
            f"the validation was stopped after its time limit of {self.limit:g} s (while {what})"
        )
        if left <= 0:
            raise stopped
        try:
            return forked(work, left, memory=self.core.settings.child_memory, idle=self.idle)
        except isolation.ChildTimeoutError:
            raise stopped from None

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.start:.1f} s"


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


def _where(parts: Parts, prefixes: list[dict[str, str]], result: Any) -> Where:
    """For each focus node that is an IRI: the part (where there are several) and the line
    where it is first written."""
    if isinstance(parts, Graph):
        return {}
    parts = _parts(parts)
    iris = {str(v.focus) for v in result.results if isinstance(v.focus, URIRef)}
    where: Where = {}
    for part, declared in zip(parts, prefixes, strict=True):
        for iri, line in part.lines(iris - set(where), declared).items():
            where[iri] = (part.source if len(parts) > 1 else None, line)
    return where


def _read(steps: _Steps, parts: list[Submission]) -> tuple[list[ox.Triple], list[dict[str, str]]]:
    """The triples of all parts (quads of any graph taken as triples), parsed in a child, and
    the prefixes each part declares. They come back as N-Triples, which pyoxigraph writes and
    reads several times faster than pickle copies its terms."""

    def work() -> tuple[bytes, list[dict[str, str]]]:
        triples, prefixes = [], []
        for part in parts:
            declared: dict[str, str] = {}
            triples += [ox.Triple(q.subject, q.predicate, q.object) for q in part.quads(declared)]
            prefixes.append(declared)
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), prefixes

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
    steps = _Steps(core, timeout, progress or _silent, idle)
    parts = _parts(data)
    triples, prefixes = _read(steps, parts)
    steps.say("gathering what the submission can affect in the published data")
    graph = core.settings.graph_iri(f"submission/{uuid.uuid4()}")  # never a graph of the store
    nodes, candidate = affected(core, {graph: []}, {graph: triples})
    steps.say(
        f"gathered {len(nodes):,} resources to validate and {len(candidate):,} triples around "
        f"them ({steps.elapsed()})"
    )
    checked = _validate(steps, candidate, shapes, focus=nodes, written=(parts, prefixes))
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
    steps = _Steps(core, timeout, progress or _silent, idle)
    if isinstance(data, Graph):
        return _validate(steps, data, shapes, focus=focus)
    parts = _parts(data)
    triples, prefixes = _read(steps, parts)
    return _validate(steps, triples, shapes, focus=focus, written=(parts, prefixes))


def _validate(
    steps: _Steps,
    data: Graph | list[ox.Triple],
    shapes: Parts | None,
    *,
    focus: set[Any] | None,
    written: tuple[Parts, list[dict[str, str]]] | None = None,
) -> Checked:
    """Validate ``data`` in a child; ``written``: the submission it comes from, with the
    prefixes each part declares (for the lines in the report)."""
    core = steps.core

    def work() -> Checked:
        graph = data if isinstance(data, Graph) else loading.to_rdflib(data)
        triples = len(graph)
        result = core.validate_graph(graph, _graph(shapes))
        if focus is not None:
            result = result.only(loading.to_rdflib_term(t) for t in focus)
        where = _where(*(written or (graph, [])), result)
        return Checked(
            result.conforms,
            result.report.serialize(format="turtle").encode("utf-8"),
            {lang: report_summary(result, lang, where) for lang in ("de", "en")},
            {lang: report_text(result, lang, where) for lang in ("de", "en")},
            triples,
        )

    # built once in the parent and shared with every child, which never touches the store
    core.shapes_graph()
    core.ontology_graph()
    steps.say(f"validating {len(data):,} triples against the shapes")
    result = steps.run(work, f"validating {len(data):,} triples")
    assert isinstance(result, Checked)
    steps.say(
        f"validated: {'conforms' if result.conforms else 'does not conform'} ({steps.elapsed()})"
    )
    return result
