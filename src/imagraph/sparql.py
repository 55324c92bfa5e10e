"""Running SPARQL queries safely: one code path for the HTTP endpoint and ``imagraph query``.

- ``SERVICE`` is refused before execution (pyoxigraph would open the connection) unless its
  endpoint is on the configured allow-list; ``LOAD`` and other updates never parse as queries.
- Queries run in a query runner: a child process forked once from the process that holds the
  store, which runs one query at a time, at its worker's CPU priority until a query runs past
  :data:`HEAVY_AFTER` of CPU time (then below the workers, for good: a new runner would start
  cold, its store's caches empty, which cost heavy queries more than the wait). When a query
  passes its time limit the runner is killed (that really stops the work; pyoxigraph's Python
  API cannot cancel a query) and the next query forks a new one. The runner also arms a kernel
  timer per query, so it ends at the limit even if its parent is gone.
- Results stop at ``max_rows`` solutions or triples; :attr:`QueryResult.truncated` says so.
  With no cap (``max_rows`` 0) the runner writes the answer into the pipe as the engine yields it,
  and a large one reaches the client as a :class:`StreamedResult` while it is being written.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from pyparsing import ParseException
from rdflib.plugins.sparql.parser import Query as QueryGrammar
from rdflib.plugins.sparql.parserutils import CompValue

from . import formats, isolation
from .errors import (
    ImagraphError,
    QueryEngineError,
    QueryRefusedError,
    QuerySyntaxError,
    QueryTimeoutError,
)
from .formats import Format, ResultsFormat
from .settings import Settings
from .store import QueryOutcome, Store


@dataclass(frozen=True)
class Limits:
    timeout: float = 10.0  # seconds
    max_rows: int = 10_000
    service_allowlist: tuple[str, ...] = ()
    memory: int = 2 << 30  # bytes the query runner may grow by

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.query_timeout,
            settings.query_max_rows,
            tuple(settings.service_allowlist.split()),
            settings.child_memory,
        )


#: An answer without a cap is streamed once this much of it is written (smaller ones are whole).
STREAM_AFTER = 1 << 20
#: The runner sends a streamed answer to its parent in pieces of this size.
CHUNK = 1 << 16


@dataclass(frozen=True)
class QueryResult:
    kind: str  # "select", "ask" or "graph"
    body: bytes
    media_type: str
    truncated: bool = False
    rows: int = 0


class StreamedResult:
    """A large answer without a cap, read from the runner while it writes it (iterate it once,
    then close it; closing it early stops the runner). It stops at the time limit like any
    query: the client then gets a cut answer (its transfer does not end properly)."""

    truncated = False

    def __init__(self, runner: QueryRunner, head: QueryResult, first: list[bytes], deadline: float,
                 timeout: float) -> None:  # fmt: skip
        self.kind, self.media_type = head.kind, head.media_type
        self._runner, self._first, self._deadline, self._timeout = runner, first, deadline, timeout
        self._done = False
        self._on_close: list[Callable[[], None]] = []

    def on_close(self, action: Callable[[], None]) -> None:
        self._on_close.append(action)

    def __iter__(self) -> Iterator[bytes]:
        yield from self._first
        self._first = []
        try:
            while True:
                status, value = self._runner.receive(self._deadline, self._timeout)
                if status == "chunk":
                    yield value
                    continue
                self._done = True
                if status == "end":
                    return
                raise value
        finally:
            self.close()  # at the end, on an error, or when the client went away

    def close(self) -> None:
        if not self._done:  # the client went away, or the stream failed: stop the writer
            self._runner.stop()
            self._done = True
        actions, self._on_close = self._on_close, []
        for action in actions:
            action()


# -- SERVICE ---------------------------------------------------------------------------------------

_SERVICE_WORD = re.compile(r"SERVICE", re.IGNORECASE)
_FORMS = {"SelectQuery": "select", "AskQuery": "ask", "ConstructQuery": "construct",
          "DescribeQuery": "describe"}  # fmt: skip


def walk(node: object) -> Iterable[CompValue]:
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list | tuple) or hasattr(node, "asList"):
        for item in node:  # type: ignore[attr-defined]
            yield from walk(item)


def _views(text: str) -> list[str]:
    """The texts a SPARQL engine may read ``text`` as: as written, and with its ``\\u``/``\\U``
    escapes expanded first (the specification says so; pyoxigraph expands them only inside
    IRIs and strings, rdflib everywhere). A check must hold for every view, so that no escape
    can hide a clause from it."""
    expanded = _ESCAPE.sub(_expand, text)
    return [text] if expanded == text else [text, expanded]


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")


def _expand(m: re.Match[str]) -> str:
    code = int(m.group(1) or m.group(2), 16)
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group(0)


def parsed_nodes(
    text: str, word: re.Pattern[str], grammar: Any, refusal: str
) -> Iterable[CompValue]:
    """The nodes of ``text`` parsed with rdflib's ``grammar`` (``Query`` or ``UpdateUnit``) in
    every view of it (:func:`_views`), when ``word`` occurs in it (none otherwise: what is
    checked for cannot be there); text rdflib cannot read is refused with ``refusal``."""
    views = _views(text)
    if not any(word.search(view) for view in views):
        return []
    nodes: list[CompValue] = []
    for view in views:
        try:
            nodes.extend(walk(grammar.parse_string(view, parse_all=True)))
        except (ParseException, RecursionError, ValueError):
            raise QueryRefusedError(refusal) from None
    return nodes


def check_services(query: str, allowlist: Iterable[str] = ()) -> None:
    """Refuse ``SERVICE`` unless its endpoint is allowed; a variable endpoint is never allowed.

    A query without the word SERVICE (in any case, anywhere, even in an IRI, in any view) cannot
    contain a SERVICE clause and is not parsed here; others are parsed with rdflib in every view,
    and refused outright if rdflib cannot read one. This check gives the reason; what makes it
    hold on the embedded store is the query runner, which cannot open a network connection
    unless an allow-list is configured (:mod:`imagraph.isolation`).
    """
    allowed = set(allowlist)
    refusal = "SERVICE is not allowed on this endpoint (federated queries are off)"
    for node in parsed_nodes(query, _SERVICE_WORD, QueryGrammar, refusal):
        if node.name == "ServiceGraphPattern":
            endpoint = node.get("term")
            if not allowed:
                raise QueryRefusedError(
                    f"SERVICE <{endpoint}> refused: federated queries are off on this endpoint"
                )
            if str(endpoint) not in allowed:
                raise QueryRefusedError(f"SERVICE <{endpoint}> refused: not on the allow-list")


# -- serialising -----------------------------------------------------------------------------------


class _Pipe:
    """A write-only sink that sends what the serialiser writes to the parent in chunks."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        if self.size >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.parts:
            _send(self.fd, ("chunk", b"".join(self.parts)))
            self.parts, self.size = [], 0


def _run(store: Store, request: dict[str, Any], reply_fd: int) -> QueryResult | None:
    """Run one query (in the runner) and serialise its result. Without a cap (``max_rows`` 0)
    a result of solutions or triples is written into ``reply_fd`` as it comes (a ``head``
    message, ``chunk`` messages, then ``end``), and nothing is returned."""
    outcome = store.query(
        request["query"],
        default_graphs=request["default_graphs"],
        named_graphs=request["named_graphs"],
        base_iri=request["base_iri"],
    )
    # formats cross the pipe by name (pyoxigraph's formats do not pickle)
    results_format = formats.results_by_name(request["results_format"])
    graph_format = formats.by_name(request["graph_format"])
    max_rows: int = request["max_rows"]
    if outcome.kind == "ask":
        return QueryResult("ask", outcome.serialize(results_format), results_format.media_type)
    try:
        return _serialize(outcome, results_format, graph_format, max_rows, reply_fd)
    except OSError:  # pyoxigraph's JSON-LD serialiser met a triple term
        if outcome.kind != "graph" or graph_format.triple_terms:
            raise
        raise formats.not_representable(graph_format) from None


def _serialize(
    outcome: QueryOutcome,
    results_format: ResultsFormat,
    graph_format: Format,
    max_rows: int,
    reply_fd: int,
) -> QueryResult | None:
    """Solutions or triples in their format, whole or (``max_rows`` 0) into ``reply_fd``."""
    fmt = graph_format if outcome.kind == "graph" else results_format
    if max_rows == 0:
        _send(reply_fd, ("head", QueryResult(outcome.kind, b"", fmt.media_type)))
        sink = _Pipe(reply_fd)
        outcome.stream(fmt, sink)
        sink.flush()
        _send(reply_fd, ("end", None))
        return None
    body, truncated, n = outcome.capped(fmt, max_rows)
    return QueryResult(outcome.kind, body, fmt.media_type, truncated, n)


# -- the runner ------------------------------------------------------------------------------------


def _send(fd: int, obj: object) -> None:
    data = pickle.dumps(obj)
    view = memoryview(struct.pack("!Q", len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _recv_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks = []
    while n:
        if deadline is not None and not isolation.readable(fd, deadline - time.monotonic()):
            raise TimeoutError
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _recv(fd: int, deadline: float | None = None) -> Any:
    (size,) = struct.unpack("!Q", _recv_exact(fd, 8, deadline))
    return pickle.loads(_recv_exact(fd, size, deadline))


#: Seconds of CPU time of a query after which its runner is put below the workers in the CPU's
#: favour: a light query runs at full speed however busy the machine (its runner's start and a
#: wait for the CPU do not count), a heavy one cannot slow the pages.
HEAVY_AFTER = 0.1
#: How far below its worker a runner is put, in ``nice`` (at most to the lowest, 19): on a core
#: it has to share with a worker it gets a quarter, the worker three (an unprivileged process
#: cannot raise it again). Not lower: with another process keeping a core busy, the query mix
#: took 1.34-1.83x the engine's time at ``nice`` 19, 1.01-1.30x at 10 below, 1.02-1.22x at 5
#: below, with pages under heavy queries as quick at each (``bench/README.md``).
DEMOTED_BY = 5
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def demoted_nice(nice: int) -> int:
    """The ``nice`` of a runner at ``nice`` once it is put below its worker."""
    return min(19, nice + DEMOTED_BY)


def _cpu_seconds(pid: int | None) -> float:
    """The CPU time process ``pid`` has used (0 where it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    except (OSError, ValueError, IndexError):
        return 0.0


class QueryRunner:
    """A child process, forked from the process that holds ``store``, that runs queries."""

    def __init__(self, store: Store, *, network: bool = False, memory: int = 0) -> None:
        self.store = store
        #: whether the runner may open network connections (a remote store, or SERVICE allowed)
        self.network = network
        self.memory = memory
        self.pid: int | None = None
        self._to_child = self._from_child = -1
        self._version: object = None
        #: Put below the workers in the CPU's favour (a query ran past :data:`HEAVY_AFTER`): it
        #: stays there (it cannot be raised again) and goes on serving queries.
        self.demoted = False
        self._sent_at = self._cpu_at = 0.0

    def start(self, version: object = None) -> None:
        """Fork the runner (done by :meth:`run` when needed)."""
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the runner: serves requests until its parent closes the pipe
            code = 0
            try:
                # its own ends only: held here, the other runners' pipes (and this one's
                # parent ends) would never see their parent go (see isolation.drop_inherited)
                isolation.confine(
                    network=self.network,
                    memory=self.memory,
                    keep=(to_child_r, from_child_w),
                    idle=False,  # at the worker's priority until a query proves heavy
                )
                self.store = self.store.for_child()
                self._serve(to_child_r, from_child_w)
            except BaseException:  # the runner must never return into the app
                code = 1
            finally:
                isolation.end(code)
        os.close(to_child_r)
        os.close(from_child_w)
        self.pid, self._to_child, self._from_child, self._version = (
            pid,
            to_child_w,
            from_child_r,
            version,
        )

    def _serve(self, requests_fd: int, replies_fd: int) -> None:
        while True:
            try:
                request = _recv(requests_fd)
            except EOFError:
                return
            # the kernel ends this process at the limit, even if the parent is gone
            signal.setitimer(signal.ITIMER_REAL, request["timeout"] + 0.5)
            reply: tuple[str, object] | None
            try:
                result = _run(self.store, request, replies_fd)
                reply = ("ok", result) if result is not None else None
            except ImagraphError as err:
                reply = ("error", err)
            except MemoryError:
                reply = ("error", isolation.memory_error("the query", self.memory))
            except RecursionError:
                reply = ("error", QuerySyntaxError("the query is nested too deeply"))
            except PermissionError:
                # the engine tried to open a connection (SERVICE) and the runner may not
                reply = ("error", QueryRefusedError(
                    "the query tried to reach another endpoint (SERVICE): federated queries are "
                    "off on this endpoint"
                ))  # fmt: skip
            except Exception as err:  # reported to the parent, never lost
                reply = ("error", QueryEngineError(f"the query failed: {err}"))
            signal.setitimer(signal.ITIMER_REAL, 0)
            if reply is not None:
                _send(replies_fd, reply)

    def demote(self) -> None:
        """Put the runner below the workers in the CPU's favour, for good: :data:`DEMOTED_BY`
        below its own ``nice`` (its worker's). Not ``SCHED_IDLE``, which validation children
        have: measured with another process keeping a core busy, a ``SCHED_IDLE`` runner took
        2.2-2.4x the engine's time for heavy queries (``bench/README.md``)."""
        if self.pid is not None and not self.demoted:
            self.demoted = True
            with contextlib.suppress(OSError, AttributeError):
                own = os.getpriority(os.PRIO_PROCESS, self.pid)
                os.setpriority(os.PRIO_PROCESS, self.pid, demoted_nice(own))

    def stop(self, grace: float = 0.0) -> int | None:
        """Stop the runner; its wait status if it ended by itself (within ``grace`` seconds:
        a process's pipes close a moment before it can be waited for), else None."""
        if self.pid is None:
            return None
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        ended = isolation.reap(self.pid, grace)
        self.pid = None
        return ended

    def receive(self, deadline: float, timeout: float) -> tuple[str, Any]:
        """The runner's next message; at the deadline, or if it ends, it is stopped. A query
        still running :data:`HEAVY_AFTER` after it was sent (computing, or streaming a large
        answer) is heavy: its runner is demoted, pages and light queries go first from then."""
        while not self.demoted:
            # (a runner cannot have used more CPU time than has passed: a quick answer is
            # never looked into)
            ready = isolation.readable(self._from_child, min(0.05, deadline - time.monotonic()))
            if (
                time.monotonic() - self._sent_at >= HEAVY_AFTER
                and _cpu_seconds(self.pid) - self._cpu_at >= HEAVY_AFTER
            ):
                self.demote()
            if ready or time.monotonic() >= deadline:
                break
        try:
            return _recv(self._from_child, deadline)  # type: ignore[no-any-return]
        except TimeoutError:
            self.stop()
            raise QueryTimeoutError(
                f"the query was stopped after the time limit of {timeout:g} s"
            ) from None
        except (EOFError, OSError):
            status = self.stop(grace=1.0)
            if status is None:
                raise ImagraphError("the query runner ended unexpectedly") from None
            raise isolation.death_error("the query", status, self.memory, timeout) from None

    def run(
        self, request: dict[str, Any], timeout: float, version: object = None, stream: bool = False
    ) -> QueryResult | StreamedResult:
        """Run a request; a new runner is forked when none runs or the data version changed.

        An answer without a cap comes in chunks: past :data:`STREAM_AFTER` bytes it is returned
        as a :class:`StreamedResult` if ``stream`` is true, else gathered whole."""
        if self.pid is not None and self._version != version:
            self.stop()
        if self.pid is None:
            self.start(version)
        deadline = time.monotonic() + timeout
        try:
            _send(self._to_child, {**request, "timeout": timeout})
        except OSError:
            self.stop()
            raise ImagraphError("the query runner ended unexpectedly") from None
        self._sent_at, self._cpu_at = time.monotonic(), _cpu_seconds(self.pid)
        status, value = self.receive(deadline, timeout)
        if status == "head":
            head: QueryResult = value
            chunks: list[bytes] = []
            size = 0
            while True:
                status, value = self.receive(deadline, timeout)
                if status == "chunk":
                    chunks.append(value)
                    size += len(value)
                    if stream and size >= STREAM_AFTER:
                        return StreamedResult(self, head, chunks, deadline, timeout)
                elif status == "end":
                    return replace(head, body=b"".join(chunks))
                else:
                    break
        if status == "error":
            raise value
        assert isinstance(value, QueryResult)
        return value


class RunnerPool:
    """The query runners of one process for one store: a query takes one of them for itself
    (the threads of a worker run queries side by side), and gives it back when it ended well,
    for the next query; a runner that was stopped (a time limit, a stream cut short) is not
    kept. At most ``keep`` idle runners wait."""

    def __init__(self, store: Store, *, network: bool, memory: int, keep: int = 4) -> None:
        self.store, self.network, self.memory, self.keep = store, network, memory, keep
        self._idle: list[QueryRunner] = []
        self._lock = threading.Lock()

    @classmethod
    def for_store(cls, store: Store, limits: Limits) -> RunnerPool:
        """Runners for ``store`` under ``limits``: they may open network connections only to
        reach a remote store or an allowed SERVICE endpoint."""
        network = store.needs_network or bool(limits.service_allowlist)
        return cls(store, network=network, memory=limits.memory)

    def take(self) -> QueryRunner:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return QueryRunner(self.store, network=self.network, memory=self.memory)

    def give_back(self, runner: QueryRunner) -> None:
        with self._lock:
            if runner.pid is not None and len(self._idle) < self.keep:
                self._idle.append(runner)
                return
        runner.stop()

    def stop(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for runner in idle:
            runner.stop()


def execute(
    pool: RunnerPool,
    query: str,
    *,
    results_format: ResultsFormat = formats.SPARQL_JSON,
    graph_format: Format = formats.TURTLE,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
    base_iri: str | None = None,
    limits: Limits = Limits(),
    version: object = None,
    stream: bool = False,
) -> QueryResult | StreamedResult:
    """Check, run (in one of ``pool``'s runners, with a time limit) and serialise one query.
    ``limits`` are the query's (the pool's memory and network are its own). Without a cap
    (``limits.max_rows`` 0) a large answer is a :class:`StreamedResult` if ``stream`` is true."""
    if not query.strip():
        raise QuerySyntaxError("the query is empty")
    check_services(query, limits.service_allowlist)
    request = {
        "query": query, "results_format": results_format.name, "graph_format": graph_format.name,
        "default_graphs": default_graphs, "named_graphs": named_graphs, "base_iri": base_iri,
        "max_rows": limits.max_rows,
    }  # fmt: skip
    runner = pool.take()
    result: QueryResult | StreamedResult | None = None
    try:
        result = runner.run(request, limits.timeout, version, stream)
        return result
    finally:
        if isinstance(result, StreamedResult):  # the runner is the stream's until it is closed
            result.on_close(lambda: pool.give_back(runner))
        else:
            pool.give_back(runner)
