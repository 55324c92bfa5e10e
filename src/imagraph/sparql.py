"""Running SPARQL queries safely: one code path for the HTTP endpoint and ``imagraph query``.

- ``SERVICE`` is refused before execution (pyoxigraph would open the connection) unless its
  endpoint is on the configured allow-list; ``LOAD`` and other updates never parse as queries.
- Each query runs in a forked child process, which is killed when the time limit is reached, so
  the limit really stops the work (pyoxigraph's Python API cannot cancel a query).
- Results stop at ``max_rows`` solutions or triples; :attr:`QueryResult.truncated` says so.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import select
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from . import formats
from .errors import BadInputError, ImagraphError, QuerySyntaxError
from .formats import Format
from .loading import to_rdflib_term
from .settings import Settings
from .store import Store

#: Results formats for SELECT and ASK: name → media type.
RESULTS_MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


RESULTS_OX = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


class QueryRefusedError(BadInputError):
    """A query imagraph will not run (e.g. ``SERVICE`` to an endpoint not allowed)."""

    status = 403


class QueryTimeoutError(ImagraphError):
    """The query ran past the time limit and was stopped."""

    status = 503


@dataclass(frozen=True)
class Limits:
    timeout: float = 10.0  # seconds
    max_rows: int = 10_000
    service_allowlist: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.query_timeout,
            settings.query_max_rows,
            tuple(settings.service_allowlist.split()),
        )


@dataclass(frozen=True)
class QueryResult:
    kind: str  # "select", "ask" or "graph"
    body: bytes
    media_type: str
    truncated: bool = False
    rows: int = 0


def _walk(node: object) -> Iterable[CompValue]:
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple) or hasattr(node, "asList"):
        for item in node:  # type: ignore[attr-defined]
            yield from _walk(item)


_SERVICE_WORD = re.compile(r"\bSERVICE\b", re.IGNORECASE)


_FORMS = {
    "SelectQuery": "select",
    "AskQuery": "ask",
    "ConstructQuery": "construct",
    "DescribeQuery": "describe",
}


def check_services(query: str, allowlist: Iterable[str] = ()) -> str | None:
    """Refuse ``SERVICE`` unless its endpoint is allowed; a variable endpoint is never allowed.

    Returns the query form (``select``, ``ask``, ``construct``, ``describe``) when rdflib's parser
    reads the query, else None (pyoxigraph then decides whether it parses at all).
    """
    allowed = set(allowlist)
    try:
        tree = parseQuery(query)
    except ParseException:
        # rdflib's parser cannot read it; refuse anything that could be a SERVICE clause
        if _SERVICE_WORD.search(query):
            raise QueryRefusedError(
                "SERVICE is not allowed on this endpoint (federated queries are off)"
            ) from None
        return None
    form = next(
        (_FORMS[n.name] for n in tree if isinstance(n, CompValue) and n.name in _FORMS), None
    )
    for node in _walk(tree):
        if node.name == "ServiceGraphPattern":
            endpoint = node.get("term")
            if not allowed:
                raise QueryRefusedError(
                    f"SERVICE <{endpoint}> refused: federated queries are off on this endpoint"
                )
            if str(endpoint) not in allowed:
                raise QueryRefusedError(f"SERVICE <{endpoint}> refused: not on the allow-list")
    return form


def run_in_child(work: Callable[[], object], timeout: float) -> object:
    """Run ``work`` in a forked child and return its (picklable) result; kill it at ``timeout``.

    Errors raised by ``work`` that are :class:`ImagraphError` are raised again here.
    """
    deadline = time.monotonic() + timeout
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        # The kernel ends the child at the limit even if the parent is gone (SIGALRM's default
        # action terminates the process, whatever the query engine is doing).
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, timeout + 0.5)
        os.close(read_fd)
        try:
            payload = pickle.dumps(("ok", work()))
        except ImagraphError as err:
            payload = pickle.dumps(("error", err))
        except BaseException as err:  # reported to the parent, never lost
            payload = pickle.dumps(("error", ImagraphError(f"query failed: {err}")))
        with os.fdopen(write_fd, "wb") as out:
            out.write(payload)
        os._exit(0)
    chunks = []
    try:
        os.close(write_fd)
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while True:
                remaining = deadline - time.monotonic()
                ready, _, _ = select.select([pipe], [], [], max(remaining, 0))
                if not ready:
                    raise QueryTimeoutError(
                        f"the query was stopped after the time limit of {timeout:g} s"
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


def _select_body(variables: list[str], rows: list[list[object]], fmt: str) -> bytes:
    """SELECT results in ``fmt``: written as JSON by rdflib, converted by pyoxigraph."""
    from rdflib.query import Result
    from rdflib.term import Variable

    result = Result("SELECT")
    result.vars = [Variable(v) for v in variables]
    result.bindings = [
        {Variable(v): t for v, t in zip(variables, row, strict=True) if t is not None}
        for row in rows
    ]
    body = result.serialize(format="json") or b""
    if fmt == "json":
        return body
    parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=RESULTS_OX[fmt]) or b""


def execute(
    store: Store,
    query: str,
    *,
    results_format: str = "json",
    graph_format: Format = formats.TURTLE,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
    base_iri: str | None = None,
    limits: Limits = Limits(),
) -> QueryResult:
    """Check, run (in a child, with a time limit) and serialise one query."""
    if not query.strip():
        raise QuerySyntaxError("the query is empty")
    check_services(query, limits.service_allowlist)

    def work() -> QueryResult:
        outcome = store.query(
            query, default_graphs=default_graphs, named_graphs=named_graphs, base_iri=base_iri
        )
        if outcome.kind == "ask":
            return QueryResult(
                "ask", outcome.serialize(results_format), RESULTS_MEDIA_TYPES[results_format]
            )
        if outcome.kind == "graph":
            triples = []
            for t in outcome.triples():
                if len(triples) == limits.max_rows:
                    return QueryResult(
                        "graph",
                        ox.serialize(triples, format=graph_format.oxigraph) or b"",
                        graph_format.media_type,
                        truncated=True,
                        rows=len(triples),
                    )
                triples.append(t)
            body = ox.serialize(triples, format=graph_format.oxigraph) or b""
            return QueryResult("graph", body, graph_format.media_type, rows=len(triples))
        rows: list[list[object]] = []
        truncated = False
        for solution in outcome.rows():
            if len(rows) == limits.max_rows:
                truncated = True
                break
            rows.append(
                [
                    None if solution.get(v) is None else to_rdflib_term(solution[v])
                    for v in outcome.variables
                ]
            )
        body = _select_body(outcome.variables, rows, results_format)
        return QueryResult(
            "select", body, RESULTS_MEDIA_TYPES[results_format], truncated, len(rows)
        )

    result = run_in_child(work, limits.timeout)
    assert isinstance(result, QueryResult)
    return result
