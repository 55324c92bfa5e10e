"""Validating submissions: RDF in any syntax we parse, from bytes, a file or a URL, against our
shapes (or, where allowed, the submitter's), with size and time limits. One code path for the
``/validate`` service and ``imagraph validate``."""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from rdflib import Graph

from . import fetch, formats, loading
from .core import Core
from .errors import ImagraphError, InputTooLargeError, UnsupportedFormatError
from .formats import Format
from .settings import Settings
from .validation import report_summary, report_text

ACCEPT_RDF = ", ".join(f.media_type for f in formats.FORMATS)


class ValidationTimeoutError(ImagraphError):
    status = 503


@dataclass(frozen=True)
class Checked:
    """The outcome of one validation, ready for every output: the standard report as Turtle,
    summaries and texts in German and English."""

    conforms: bool
    report_turtle: bytes
    summary: dict[str, dict[str, Any]]
    text: dict[str, str]
    triples: int

    def report_graph(self) -> Graph:
        return Graph().parse(data=self.report_turtle, format="turtle")


def format_for(media_type: str | None, filename: str | None = None) -> Format:
    """The format of a submission: from its media type, else from its file name."""
    if media_type and media_type.split(";")[0].strip() not in (
        "",
        "application/octet-stream",
        "text/plain",
    ):
        return formats.by_media_type(media_type)
    if filename:
        return formats.guess(filename)
    raise UnsupportedFormatError(
        "say which RDF syntax the submission is in (a media type such as text/turtle, or a "
        "file name ending in .ttl, .nt, .jsonld, .rdf, .trig or .nq)"
    )


def parse_submission(data: bytes, fmt: Format, source: str, max_bytes: int) -> Graph:
    if len(data) > max_bytes:
        raise InputTooLargeError(f"{source} is larger than the limit of {max_bytes} bytes")
    return loading.to_rdflib(loading.parse(data, fmt, source=source))


def fetch_submission(url: str, s: Settings) -> tuple[bytes, Format]:
    got = fetch.fetch(
        url, max_bytes=s.validate_max_bytes, timeout=s.fetch_timeout, accept=ACCEPT_RDF
    )
    return got.body, format_for(got.content_type, urlsplit(got.url).path)


def forked(work: Any, timeout: float) -> Any:
    """Run ``work`` in a forked child (killed at ``timeout``) and return its picklable result."""
    deadline = time.monotonic() + timeout
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, timeout + 0.5)
        os.close(read_fd)
        try:
            payload = pickle.dumps(("ok", work()))
        except ImagraphError as err:
            payload = pickle.dumps(("error", err))
        except Exception as err:  # reported to the parent, never lost
            payload = pickle.dumps(("error", ImagraphError(f"validation failed: {err}")))
        with os.fdopen(write_fd, "wb") as out:
            out.write(payload)
        os._exit(0)
    chunks = []
    try:
        os.close(write_fd)
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while True:
                ready, _, _ = select.select([pipe], [], [], max(deadline - time.monotonic(), 0))
                if not ready:
                    raise ValidationTimeoutError(
                        f"the validation was stopped after the time limit of {timeout:g} s"
                    )
                chunk = pipe.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    status, value = pickle.loads(b"".join(chunks))
    if status == "error":
        raise value
    return value


def check(
    core: Core,
    data: Graph,
    shapes: Graph | None = None,
    *,
    timeout: float,
    focus: set[Any] | None = None,
) -> Checked:
    """Validate ``data`` (with our ontology) against our shapes or ``shapes``, within ``timeout``
    seconds. With ``focus`` (pyoxigraph terms), only results about those nodes count."""
    triples = len(data)

    def work() -> Checked:
        result = core.validate_graph(data, shapes)
        if focus is not None:
            result = result.only(loading.to_rdflib_term(t) for t in focus)
        return Checked(
            result.conforms,
            result.report.serialize(format="turtle").encode("utf-8"),
            {lang: report_summary(result, lang) for lang in ("de", "en")},
            {lang: report_text(result, lang) for lang in ("de", "en")},
            triples,
        )

    # built once in the parent and shared with every child, which never touches the store
    core.shapes_graph()
    core.ontology_graph()
    result = forked(work, timeout)
    assert isinstance(result, Checked)
    return result
