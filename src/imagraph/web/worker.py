"""The server's worker: gunicorn's threaded worker, whose event loop reads each request whole
and writes what a client does not take of its answer at once.

gunicorn's ``gthread`` worker hands a connection to a thread as soon as its first bytes arrive,
and the thread reads the request and writes the whole answer on a blocking socket: a few clients
sending a byte a second, or asking for large answers and never reading them, hold every thread.
Here a thread gets a request only once it is all in, never reads the socket, and lets the
connection go as soon as the answer is made:

- a GET or HEAD that comes whole in the first bytes read of it and cannot have a body (no
  ``Content-Length``, ``Transfer-Encoding`` or ``Expect``, see :func:`_bodiless_head`) goes to a
  thread at once: h11 would take 30-40 µs to say what a few byte searches say in 2-3; and if
  the app answers its path at once (a resource or a static file from the embedded store, see
  ``imagraph.web._quick``) and nothing came after it, the loop answers it itself: handing a
  request to a thread and its answer back to the loop costs more than such an answer
  (measured: 50-150 µs a request, ``bench/README.md``); an answer the client does not take at
  once is left to the loop as any other;
- the loop reads any other request with h11 (a sans-I/O HTTP/1.1 parser): its head within
  ``IMAGRAPH_HEADER_TIMEOUT`` seconds (default 10), then its body, of known length or chunked,
  within ``IMAGRAPH_BODY_TIMEOUT`` seconds from the end of the head (default 30; a budget for
  the whole body, not per read), sending ``100 Continue`` itself to a client that waits for it;
  past either time, ``408``. Then gunicorn's parser reads the same bytes in the thread;
- a body past the app's limit (announced by its ``Content-Length``, or as it comes) goes to a
  thread at once, and so does a request h11 cannot read: the app answers ``413``, or gunicorn's
  parser or the app says what is wrong, and the connection is closed after the answer (a head
  past all of gunicorn's limits is ``431`` from the loop: gunicorn's parser would read on);
- an answer is written without blocking: what the socket does not take at once waits in memory
  (``IMAGRAPH_SEND_MEMORY`` bytes per worker), past it in a temporary file
  (``IMAGRAPH_SEND_SPOOL`` bytes per worker), a dump in its own file always, and the loop
  sends it; a client that reads nothing of it for ``IMAGRAPH_SEND_TIMEOUT`` seconds (default
  60, like nginx's ``send_timeout``), or whose answer is past both budgets, has its connection
  reset;
- kept-alive connections go through the same reading for each new request, and a connection is
  closed (gracefully: the client's last bytes are read for a while) without the loop waiting;
- a worker that holds more connections than the workers' average (:mod:`.balance`) leaves a new
  one to the others: it stops watching the listening socket for :data:`HOLD_OFF` seconds, at
  most :data:`MAX_DECLINES` times in a row (then it takes the connection, should the others be
  slow to).

The loop holds at most :data:`MAX_BUFFERED` bytes of request bodies (past it, ``503``); the
connections a worker holds (gunicorn's ``worker_connections``) bound the heads. Every answer the
worker writes itself (``408``, gunicorn's ``400``, ``431`` …) carries the app's security headers.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import os
import selectors
import socket
import time
from collections.abc import Callable
from concurrent import futures
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import unquote

import h11
from gunicorn import glogging, http, util
from gunicorn.workers import gthread

from . import QUICK, SECURITY_HEADERS
from .balance import Board
from .sending import Answer, Budget, Overflow

#: Bytes of request bodies a worker's loop holds at most (past it: 503).
MAX_BUFFERED = 64 << 20
#: Seconds, and bytes, of what a client still sends that are read after its connection's last
#: answer before it is closed (gunicorn's graceful close).
LINGER = 2.0
LINGER_BYTES = 1 << 16
#: Seconds a worker over its share of connections leaves a new one to the others, and how many
#: times in a row.
HOLD_OFF = 0.002
MAX_DECLINES = 10
#: Seconds between two of the worker's signs of life to the master (gunicorn's loop gives one
#: at each turn, a file's time set: a system call a request); the master waits 30.
NOTIFY_EVERY = 1.0
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
#: The access log's lines (one encoder: ``json.dumps`` makes one a line for ``ensure_ascii``).
_JSON = json.JSONEncoder(ensure_ascii=False)
_SECURITY_LINES = tuple(f"{k}: {v}".encode("latin-1") for k, v in SECURITY_HEADERS.items())


class _Conn(gthread.TConn):  # type: ignore[misc]
    """A client's connection, and the request the loop is reading or has read on it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reading: _Reading | None = None
        self.request = b""  # the request as it came, for the thread
        self.whole = True  # False: as far as it was read (the connection closes after it)
        self.ahead = b""  # what the client sent after it: the next request
        self.answer: Answer | None = None
        self.drained = 0  # bytes read and dropped while it closes


class _Reading:
    """A request the loop is reading: its bytes as they come, and h11's reading of them."""

    def __init__(self, head_limit: int) -> None:
        self.head_limit = head_limit
        self.data = bytearray()
        self.head = False  # the head is in
        self.body = 0  # bytes of the body's content (a chunked one decoded)

    @functools.cached_property
    def parser(self) -> h11.Connection:
        """h11's reading (made when it is needed: not for a request that comes whole)."""
        return h11.Connection(h11.SERVER, max_incomplete_event_size=self.head_limit)


class _Secured:
    """A socket as the worker writes its own error answers to it (gunicorn's error page): with
    the app's security headers after the status line."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def sendall(self, data: bytes) -> None:
        status, _, rest = bytes(data).partition(b"\r\n")
        self.sock.sendall(b"\r\n".join((status, *_SECURITY_LINES, rest)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class _Settled:
    """gunicorn's settings as a worker reads them, each a plain attribute: gunicorn's ``Config``
    looks a setting up in its table each time it is read, some 30 times a request (15 µs of
    gunicorn's ~75 for a request and its answer). Anything else comes from gunicorn's: its
    methods, and its properties, which some settings' names are (``worker_class``,
    ``logger_class``, ``proc_name``, ``sendfile``, ``reuse_port``: gunicorn reads those
    otherwise). A setting set in the worker (by a hook) is set in both."""

    def __init__(self, cfg: Any) -> None:
        self._cfg = cfg
        self._own = {name for name in cfg.settings if not hasattr(type(cfg), name)}
        self.__dict__.update((name, cfg.settings[name].get()) for name in self._own)
        self.is_ssl = cfg.is_ssl

    def set(self, name: str, value: Any) -> None:
        self._cfg.set(name, value)
        if name in self._own:
            self.__dict__[name] = self._cfg.settings[name].get()
        self.is_ssl = self._cfg.is_ssl

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # its own, not yet made (a copy being made)
            raise AttributeError(name)
        return getattr(self._cfg, name)


class _Rest(NamedTuple):
    """A thread's answer whose end the loop is to write, and whether the connection is kept
    alive after it."""

    keep: bool


#: A request's end that keeps the connection alive, as gunicorn's loop takes it from a thread
#: (made once: a done Future is only read; ~2 µs a request to make).
_KEPT: futures.Future[object] = futures.Future()
_KEPT.set_result(True)


class Worker(gthread.ThreadWorker):  # type: ignore[misc]
    place: int | None = None  # on the board of connections (once the worker runs)
    cfg: Any  # gunicorn's settings (in the running worker: _Settled)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.board: Board | None = getattr(self.app, "board", None)  # the server's
        self._declined = 0  # new connections left to the others in a row
        self._resume = 0.0  # when it watches the listening socket again
        self._probing = False  # it does again: is a connection still waiting?
        self.quick: Callable[[str], bool] | None = None  # the app's (once it is loaded)
        self._notified = 0.0  # when the master last heard of the worker
        if self.cfg.is_ssl:
            raise RuntimeError("imagraph's worker reads requests itself: TLS goes in a proxy")
        settings = self.app.settings  # the server's (see server.py)
        self.header_timeout = settings.header_timeout
        self.body_timeout = settings.body_timeout
        self.send_timeout = settings.send_timeout
        self.max_body = settings.validate_max_bytes  # the app's MAX_CONTENT_LENGTH
        # connections the loop reads from or writes to, and what to do when their time is up
        self.watched: dict[Any, Callable[[Any], None]] = {}
        self.buffered = 0  # bytes of requests read here
        self.memory = Budget(settings.send_memory)
        self.disk = Budget(settings.send_spool)
        self.head_limit = (
            self.cfg.limit_request_line
            + self.cfg.limit_request_fields * (self.cfg.limit_request_field_size + 2)
            + 4
        )

    # -- connections, spread over the workers

    @property
    def nr_conns(self) -> int:
        """The connections the worker holds (gunicorn counts them), also on the board."""
        return self._conns

    @nr_conns.setter
    def nr_conns(self, connections: int) -> None:
        self._conns = connections
        if self.place is not None:
            assert self.board is not None
            self.board.count(self.place, connections)

    def notify(self) -> None:
        now = time.monotonic()
        if now - self._notified >= NOTIFY_EVERY:
            self._notified = now
            super().notify()

    def init_process(self) -> None:
        self.cfg = _Settled(self.cfg)
        if self.board is not None:
            self.place = self.board.take(os.getpid())
        super().init_process()  # runs the loop

    def run(self) -> None:
        self.quick = getattr(self.wsgi, "extensions", {}).get(QUICK)
        try:
            super().run()
        finally:
            if self.place is not None:
                assert self.board is not None
                self.board.leave(self.place)
                self.place = None

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        if self._resume:
            wait = self._resume - time.monotonic()
            if wait > 0:  # leaving new connections to the others (gunicorn's loop watches again)
                self.set_accept_enabled(False)
                timeout = min(timeout, wait)
            else:
                self._resume, self._probing = 0.0, True
        super().wait_for_and_dispatch_events(timeout)
        if self._probing:  # no connection waited: the others took it
            self._probing = False
            self._declined = 0

    def accept(self, listener: Any) -> None:
        self._probing = False
        if (
            self.place is not None
            and self._declined < MAX_DECLINES
            and self.board is not None
            and self.board.over_share(self.place)
        ):
            self._declined += 1
            self._resume = time.monotonic() + HOLD_OFF
            self.set_accept_enabled(False)
            return
        self._declined = 0
        try:
            client, addr = listener.accept()
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._read_request(_Conn(self.cfg, client, addr, listener.getsockname()), now=True)

    def on_client_socket_readable(self, conn: _Conn, client: Any) -> None:
        """A kept-alive connection has a new request coming: it is read at once (the poller
        goes on watching its socket, told what to do next: no system call)."""
        self.keepalived_conns.remove(conn)
        self._read_request(conn, now=True, polled=True)

    def _watch(
        self,
        conn: _Conn,
        event: int,
        on_event: Callable[[Any], None],
        expire: Callable[[Any], None],
        polled: bool = False,
    ) -> None:
        """Watch the connection for ``event`` (``polled``: the poller watches its socket for
        reading already, as gunicorn's loop does a kept-alive one, whose socket does not block)."""
        self.watched[conn] = expire
        if polled:
            self.poller.modify(conn.sock, event, on_event)
            return
        conn.sock.setblocking(False)
        self.poller.register(conn.sock, event, on_event)

    def _unwatch(self, conn: _Conn) -> bool:
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)
        return self.watched.pop(conn, None) is not None

    def _end(self, conn: _Conn) -> None:
        self._stop_reading(conn)
        self.nr_conns -= 1
        conn.close()

    # -- reading requests

    def _read_request(self, conn: _Conn, now: bool = False, polled: bool = False) -> None:
        """Read the connection's next request: what came with the last one, what the socket
        has ``now`` (readable, or new: its request may be in already), then as it comes."""
        conn.reading = _Reading(self.head_limit)
        conn.timeout = time.monotonic() + self.header_timeout
        on_bytes = partial(self._on_bytes, conn)
        self._watch(conn, selectors.EVENT_READ, on_bytes, self._too_slow, polled)
        if conn.ahead:  # it came with the last one
            ahead, conn.ahead = conn.ahead, b""
            self._received(conn, ahead)
        elif now:
            on_bytes(conn.sock)

    def _on_bytes(self, conn: _Conn, client: Any) -> None:
        data = _recv(conn.sock)
        if data is not None:
            self._received(conn, data)

    def _received(self, conn: _Conn, data: bytes) -> None:
        """Read ``data`` (``b""``: the client closed its side) into the request."""
        reading = conn.reading
        assert reading is not None
        first = not reading.data
        reading.data += data
        self.buffered += len(data)
        if first and (end := _bodiless_head(data, self.head_limit)):
            here = end == len(data) and self.quick is not None and self.quick(_path(data))
            self._dispatch(conn, whole=True, ahead=data[end:], here=here)
            return
        reading.parser.receive_data(data)
        try:
            while (event := reading.parser.next_event()) is not h11.NEED_DATA:
                if isinstance(event, h11.Request):
                    reading.head = True
                    conn.timeout = time.monotonic() + self.body_timeout
                    length = dict(event.headers).get(b"content-length")  # checked by h11
                    if length is not None and int(length) > self.max_body:
                        self._dispatch(conn, whole=False)  # 413 from the app, without the body
                        return
                    if reading.parser.they_are_waiting_for_100_continue:
                        with contextlib.suppress(OSError):  # nothing else is being sent
                            conn.sock.send(_CONTINUE)
                elif isinstance(event, h11.Data):
                    reading.body += len(event.data)
                    if reading.body > self.max_body:
                        self._dispatch(conn, whole=False)  # 413 from the app
                        return
                elif isinstance(event, h11.EndOfMessage):
                    self._dispatch(conn, whole=True, ahead=reading.parser.trailing_data[0])
                    return
                else:  # the client closed before it sent a request
                    self._end(conn)
                    return
        except h11.RemoteProtocolError as err:
            if not data:  # the client closed in the middle of its request
                self._end(conn)
            elif err.error_status_hint == 431 and not reading.head:  # gunicorn's would read on
                self._refuse(
                    conn, 431, "Request Header Fields Too Large",
                    f"The request head is longer than {self.head_limit} bytes.",
                )  # fmt: skip
            else:  # gunicorn's parser (or the app, for a body) says what is wrong
                self._dispatch(conn, whole=False)
            return
        if reading.head and self.buffered > MAX_BUFFERED:
            self._refuse(
                conn, 503, "Service Unavailable", "The server is receiving too many request "
                "bodies at once; send the request again in a moment.",
            )  # fmt: skip

    def _dispatch(self, conn: _Conn, whole: bool, ahead: bytes = b"", here: bool = False) -> None:
        """The request is in (or as much of it as is read here), ``ahead`` what came after it:
        to a thread, or ``here`` answered by the loop."""
        reading = conn.reading
        assert reading is not None
        self._stop_reading(conn)
        conn.request = bytes(reading.data[: len(reading.data) - len(ahead)])
        conn.ahead = bytes(ahead)
        conn.whole = whole
        if not here:
            self.enqueue_req(conn)
            return
        try:
            answered = self.handle(conn)
        except Exception:  # as in a thread: the connection is closed
            answered = None
        self._answered(conn, answered)

    def _stop_reading(self, conn: _Conn) -> None:
        """Stop watching the connection (and forget the request being read, if any)."""
        if self._unwatch(conn) and conn.reading is not None:
            self.buffered -= len(conn.reading.data)
        conn.reading = None

    def _too_slow(self, conn: _Conn) -> None:
        """The head, or the body, did not come in time: ``408``."""
        reading = conn.reading
        assert reading is not None
        if not reading.data:  # nothing came
            self._end(conn)
            return
        message = (
            f"The request body did not arrive in time: the request was not received within "
            f"{self.body_timeout:g} seconds."
            if reading.head
            else f"The request head was not received within {self.header_timeout:g} seconds."
        )
        self._refuse(conn, 408, "Request Timeout", message)

    def _refuse(self, conn: _Conn, status: int, reason: str, message: str) -> None:
        """Answer the request being read with an error, and close the connection."""
        self._stop_reading(conn)
        with contextlib.suppress(OSError):  # what the socket takes (it does not block)
            util.write_error(_Secured(conn.sock), status, reason, message)
        self._close_gracefully(conn)

    def murder_pending(self) -> None:
        """Also what the loop waits for: requests, answers, closes whose time is up."""
        super().murder_pending()
        now = time.monotonic()
        for conn, expire in [(c, e) for c, e in self.watched.items() if c.timeout <= now]:
            expire(conn)

    # -- in the threads

    def handle(self, conn: _Conn) -> Any:
        # gunicorn's parser reads the request as the loop read it, never the socket
        conn.parser = http.RequestParser(self.cfg, (conn.request,), conn.client)
        conn.request = b""
        conn.initialized = conn.data_ready = True
        keep = super().handle(conn)
        if keep is True and conn.parser.unreader.read():  # h11 read more into it than gunicorn:
            keep = False  # where the next request begins is unclear
        answer, conn.answer = conn.answer, None
        if answer is not None and answer.parts:
            conn.answer = answer
            return _Rest(keep is True)  # the loop writes the rest
        if answer is not None:
            answer.drop()
        return keep

    def handle_request(self, req: Any, conn: _Conn) -> Any:
        if not conn.whole:  # the app answers what was read of it, and that is the end
            req.must_close = True
        req._expected_100_continue = False  # the loop said "100 Continue", or the body is refused
        sock = conn.sock
        conn.answer = conn.sock = Answer(sock, self.memory, self.disk)
        try:
            return super().handle_request(req, conn)
        except Overflow:
            self.log.info(
                "%s reads nothing of its answer and the worker holds all it may for such clients "
                "(IMAGRAPH_SEND_MEMORY, IMAGRAPH_SEND_SPOOL): connection reset",
                conn.client,
            )
            raise
        finally:
            conn.sock = sock

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """gunicorn's answer to a request it cannot read (``400``, ``414``, ``431`` …), with the
        app's security headers."""
        super().handle_error(req, _Secured(client), addr, exc)

    # -- writing answers

    def finish_request(self, conn: _Conn, fs: Any) -> None:
        """A thread is done with the request."""
        self._answered(conn, None if fs.cancelled() or fs.exception() is not None else fs.result())

    def _answered(self, conn: _Conn, result: object) -> None:
        """After an answer: the loop writes what the client has not taken of it, or reads the
        next request (``True``: kept alive), or closes the connection."""
        if isinstance(result, _Rest):
            conn.timeout = time.monotonic() + self.send_timeout
            on_event = partial(self._on_writable, conn, result.keep)
            self._watch(conn, selectors.EVENT_WRITE, on_event, self._reset)
        elif result is True:
            self._next_request(conn)
        else:
            self._close_gracefully(conn)

    def _next_request(self, conn: _Conn) -> None:
        if conn.ahead:  # it came with the last one
            self._read_request(conn)
        else:
            super().finish_request(conn, _KEPT)  # kept alive as gunicorn does it

    def _on_writable(self, conn: _Conn, keep: bool, client: Any) -> None:
        answer = conn.answer
        assert answer is not None
        try:
            sent = answer.push()
        except OSError:  # the client went away
            answer.drop()
            self._end(conn)
            return
        if sent:
            conn.timeout = time.monotonic() + self.send_timeout
        if not answer.parts:
            self._unwatch(conn)
            answer.drop()
            conn.answer = None
            if keep:
                self._next_request(conn)
            else:
                self._close_gracefully(conn)

    def _reset(self, conn: _Conn) -> None:
        """The client read nothing of its answer for the send timeout."""
        self._unwatch(conn)
        self.log.info(
            "%s read nothing of its answer for %g s: connection reset",
            conn.client,
            self.send_timeout,
        )
        assert conn.answer is not None
        conn.answer.reset()
        conn.answer = None
        self.nr_conns -= 1

    def _close_gracefully(self, conn: _Conn) -> None:
        """Close as gunicorn does (FIN, then what the client still sends read and dropped for a
        while, so that no reset cuts the answer's end), without the loop waiting for it."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._end(conn)
            return
        conn.timeout = time.monotonic() + LINGER
        self._watch(conn, selectors.EVENT_READ, partial(self._on_linger, conn), self._end)

    def _on_linger(self, conn: _Conn, client: Any) -> None:
        data = _recv(conn.sock)
        if data is None:
            return
        conn.drained += len(data)
        if not data or conn.drained >= LINGER_BYTES:
            self._end(conn)


class AccessLog(glogging.Logger):  # type: ignore[misc]
    """gunicorn's logger, with one JSON object per line in the access log (what log collectors
    read without a pattern). The ``Authorization`` header and cookies are never logged.

    A line goes to gunicorn's own handler of the access log (standard output or a file) as
    ``logging`` would write it (under the handler's lock, flushed), without the record
    ``logging`` makes of each message and the frames it looks through for its caller: measured
    in a worker, 52 µs a request before, 33 after. With any other handler, filter,
    level or propagation (a ``logconfig``, syslog), through ``logging``."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "remote": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": int(status) if str(status).isdigit() else status,
            "bytes": getattr(resp, "sent", None),
            "ms": round(request_time.total_seconds() * 1000, 1),
            "agent": environ.get("HTTP_USER_AGENT"),
            "referer": environ.get("HTTP_REFERER"),
            "pid": os.getpid(),
        }
        try:
            line = _JSON.encode(record)
            log = self.access_log
            handler: Any = log.handlers[0] if len(log.handlers) == 1 else None
            if (
                type(handler) in (logging.StreamHandler, logging.FileHandler)
                and getattr(handler, "_gunicorn", False)  # with gunicorn's format: the message
                and not (log.filters or handler.filters or log.propagate)
                and log.isEnabledFor(logging.INFO)
                and handler.level <= logging.INFO
            ):
                with handler.lock:
                    handler.stream.write(line + "\n")
                    handler.flush()
            else:
                log.info(line)
        except Exception:
            self.error("the access log could not be written", exc_info=True)


def _bodiless_head(data: bytes, limit: int) -> int:
    """The length of the request at the start of ``data`` if it is a whole GET or HEAD that
    cannot have a body, else 0 (h11 reads it).

    Such a request is its head alone: an HTTP/1.1 request line, a ``Host`` header, lines ended
    by CRLF only, no ``Content-Length``, ``Transfer-Encoding`` or ``Expect`` anywhere in it (a
    header's value that holds one of these words sends the request to h11 too), at most
    ``limit`` bytes. Where it ends is then certain, for the loop and for gunicorn's parser
    alike; whatever else is wrong with it, gunicorn's parser says in the thread.
    """
    end = data.find(b"\r\n\r\n", 0, limit)
    if end < 0 or not data.startswith((b"GET ", b"HEAD ")):
        return 0
    head = data[: end + 4]
    if not head[: head.find(b"\r\n")].endswith(b" HTTP/1.1"):
        return 0
    lines = head.count(b"\r\n")
    if head.count(b"\r") != lines or head.count(b"\n") != lines:
        return 0
    lowered = head.lower()
    if b"\r\nhost:" not in lowered or any(
        word in lowered for word in (b"content-length", b"transfer-encoding", b"expect")
    ):
        return 0
    return end + 4


def _path(head: bytes) -> str:
    """The path of a request's target (percent-decoded, without the query), as the app routes
    it; "" for a target that is not a path, or when the app routes another (a ``SCRIPT_NAME``
    header from a trusted proxy: gunicorn takes it off the path)."""
    target = head[head.find(b" ") + 1 : head.find(b" HTTP/1.1\r\n")]
    if not target.startswith(b"/") or b"\r\nscript_name:" in head.lower():
        return ""
    return unquote(target.partition(b"?")[0].decode("latin-1"))


def _recv(sock: socket.socket) -> bytes | None:
    """What a non-blocking socket has: its bytes, ``b""`` if the client closed its side or the
    connection broke, None if nothing has come yet."""
    try:
        return sock.recv(65536)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""
