"""The server's worker: gunicorn's threaded worker, whose event loop reads each request and writes
what a client does not take of its answer at once.

gunicorn's ``gthread`` worker hands a connection to a thread as soon as its first bytes arrive,
and the thread writes the whole answer on a blocking socket: a few clients sending a byte a
second, or asking for a large answer and never reading it, hold every thread. Here a thread
gets a connection only once its request is in, and lets it go as soon as the answer is made:

- a head (request line and headers) not complete within ``IMAGRAPH_HEADER_TIMEOUT`` seconds
  (default 10) is answered ``408`` and the connection closed; until then it costs a buffer, not
  a thread;
- a body of known length is read in the loop too, within ``IMAGRAPH_BODY_TIMEOUT`` seconds from
  the end of the head (default 30; a budget for the whole body, not per read): past it, ``408``;
  a ``Content-Length`` past the app's limit goes to a thread at once (the app answers ``413``
  before any of the body is read) and the connection is closed after the answer;
- a chunked body (or one sent after ``100 Continue``) is read by the thread, within the same
  budget in all, so a body that trickles holds a thread for that long at most;
- an answer is written without blocking: what the socket does not take at once is left to the
  loop, a file (a dump) always; a client that reads nothing of it for ``IMAGRAPH_SEND_TIMEOUT``
  seconds (default 60, like nginx's ``send_timeout``) has its connection reset;
- kept-alive connections go through the same reading for each new request, and a connection is
  closed (gracefully: the client's last bytes are read for a while) without the loop waiting.

The loop buffers at most :data:`MAX_BUFFERED` bytes of requests (beyond, bodies are read in the
threads) and :data:`MAX_UNSENT` bytes of answers (beyond, a thread writes its answer itself,
within the send timeout); the connections a worker holds (gunicorn's ``worker_connections``)
bound the rest.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import io
import json
import os
import selectors
import socket
import time
from collections.abc import Callable
from concurrent import futures
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple

from gunicorn import glogging, util
from gunicorn.workers import gthread

from .sending import Answer, Budget

#: Bytes of requests a worker reads in its event loop at most (beyond: in the threads).
MAX_BUFFERED = 64 << 20
#: Bytes of answers a worker holds for clients that have not read them (beyond: a thread waits).
MAX_UNSENT = 64 << 20
#: Seconds, and bytes, of what a client still sends that are read after its connection's last
#: answer before it is closed (gunicorn's graceful close).
LINGER = 2.0
LINGER_BYTES = 1 << 16
#: The head's end; gunicorn's parser rejects a head of bare line feeds.
_END = b"\r\n\r\n"


def _announced(head: bytes) -> tuple[int | None, bool]:
    """The body length the head announces (its ``Content-Length``; None for a chunked body, or
    headers the parser will reject anyway) and whether the client waits for the server's word
    before sending it (``Expect: 100-continue``). This only decides who reads the body and when
    a thread takes over; gunicorn's parser reads the request itself."""
    _, _, fields = head.partition(b"\r\n")
    try:
        headers = http.client.parse_headers(io.BytesIO(fields))
    except (http.client.HTTPException, ValueError):
        return None, False
    lengths = headers.get_all("Content-Length") or []
    if (
        len(lengths) != 1
        or not (lengths[0].strip().isascii() and lengths[0].strip().isdigit())
        or headers.get("Transfer-Encoding")
    ):
        return None, False
    return int(lengths[0]), bool(headers.get("Expect"))


class BodyTimeout(TimeoutError):
    """The client did not send the request within its time (answered ``408``)."""


class _Deadline:
    """The connection's socket as the request parser reads it: every read within the request's
    deadline. Writes (the answer) do not go through here."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock = sock
        self.timeout = timeout
        self.deadline: float | None = None

    def recv(self, size: int) -> bytes:
        if self.deadline is None:
            return self.sock.recv(size)
        late = BodyTimeout(f"the request was not received within {self.timeout:g} seconds")
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise late
        prior = self.sock.gettimeout()
        self.sock.settimeout(left if prior is None else min(prior, left))
        try:
            return self.sock.recv(size)
        except TimeoutError:
            raise late from None
        finally:
            self.sock.settimeout(prior)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class _Rest(NamedTuple):
    """A thread's answer whose end the loop is to write, and whether the connection is kept
    alive after it."""

    keep: bool


def _done(result: object) -> futures.Future[object]:
    future: futures.Future[object] = futures.Future()
    future.set_result(result)
    return future


class Worker(gthread.ThreadWorker):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = self.app.settings  # the server's (see server.py)
        self.header_timeout = settings.header_timeout
        self.body_timeout = settings.body_timeout
        self.send_timeout = settings.send_timeout
        self.max_body = settings.validate_max_bytes  # the app's MAX_CONTENT_LENGTH
        # connections the loop reads from or writes to, and what to do when their time is up
        self.watched: dict[Any, Callable[[Any], None]] = {}
        self.buffered = 0  # bytes of requests read here
        self.unsent = Budget(MAX_UNSENT)
        self.head_limit = (
            self.cfg.limit_request_line
            + self.cfg.limit_request_fields * (self.cfg.limit_request_field_size + 2)
            + 4
        )

    def accept(self, listener: Any) -> None:
        try:
            client, addr = listener.accept()
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = gthread.TConn(self.cfg, client, addr, listener.getsockname())
        if self.cfg.is_ssl:  # TLS: the handshake happens in the thread, as gunicorn does it
            self.enqueue_req(conn)
        else:
            self._read_head(conn)

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        """A kept-alive connection has a new request coming: read its head here first."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        if self.cfg.is_ssl:
            self.enqueue_req(conn)
        else:
            self._read_head(conn)

    def _watch(
        self, conn: Any, event: int, on_event: Callable[[Any], None], expire: Callable[[Any], None]
    ) -> None:
        conn.sock.setblocking(False)
        self.watched[conn] = expire
        self.poller.register(conn.sock, event, on_event)

    def _unwatch(self, conn: Any) -> bool:
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)
        return self.watched.pop(conn, None) is not None

    def _end(self, conn: Any) -> None:
        self._unwatch(conn)
        self.nr_conns -= 1
        conn.close()

    # -- reading requests

    def _read_head(self, conn: Any) -> None:
        conn.head = bytearray()
        conn.body_end = None  # once the head is in: where the body ends, if it says so
        conn.too_large = False
        conn.timeout = time.monotonic() + self.header_timeout
        self._watch(conn, selectors.EVENT_READ, partial(self._on_bytes, conn), self._too_slow)

    def _on_bytes(self, conn: Any, client: Any) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._stop_reading(conn)
            self.nr_conns -= 1
            conn.close()
            return
        seen = len(conn.head)
        conn.head += data
        self.buffered += len(data)
        if conn.body_end is None:
            end = conn.head.find(_END, max(0, seen - 3))
            if end < 0:
                if len(conn.head) > self.head_limit:  # the parser answers that with its 4xx
                    self._dispatch(conn)
                return
            length, waits = _announced(bytes(conn.head[: end + 4]))
            conn.too_large = length is not None and length > self.max_body
            if length is None or waits or conn.too_large:
                length = 0  # the thread reads the body, or the app answers 413 without it
            conn.body_end = end + 4 + length
            conn.timeout = time.monotonic() + self.body_timeout
        # a body of known length is read here too, within the limit of what a worker buffers;
        # a chunked one (or one the server must first answer "100 Continue") in the thread
        if len(conn.head) >= conn.body_end or self.buffered > MAX_BUFFERED:
            self._dispatch(conn)

    def _dispatch(self, conn: Any) -> None:
        """The request is in (or as much of it as is read here): to a thread."""
        self._stop_reading(conn)
        conn.data_ready = True
        self.enqueue_req(conn)

    def _stop_reading(self, conn: Any) -> None:
        if self._unwatch(conn):
            self.buffered -= len(conn.head)

    def _too_slow(self, conn: Any) -> None:
        """The head, or the body, did not come in time: ``408``."""
        self._stop_reading(conn)
        if conn.head:
            message = (
                f"The request head was not received within {self.header_timeout:g} seconds."
                if conn.body_end is None
                else f"The request body did not arrive in time: the request was not "
                f"received within {self.body_timeout:g} seconds."
            )
            with contextlib.suppress(OSError):  # what the socket takes (it does not block)
                util.write_error(conn.sock, 408, "Request Timeout", message)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Also what the loop waits for: requests, answers, closes whose time is up."""
        super().murder_pending()
        now = time.monotonic()
        for conn, expire in [(c, e) for c, e in self.watched.items() if c.timeout <= now]:
            expire(conn)

    # -- in the threads

    def handle(self, conn: Any) -> Any:
        head = getattr(conn, "head", None)
        if head is not None:
            conn.head = None
            conn.sock.setblocking(True)
            conn.init()
            if head:
                conn.parser.unreader.unread(bytes(head))
        parser = conn.parser
        if parser is not None and hasattr(parser, "unreader"):
            unreader = parser.unreader
            if not isinstance(unreader.sock, _Deadline):
                unreader.sock = _Deadline(unreader.sock, self.body_timeout)
            unreader.sock.deadline = time.monotonic() + self.body_timeout
        keep = super().handle(conn)
        answer = getattr(conn, "answer", None)
        if answer is not None and answer.parts:
            return _Rest(keep is True)  # the loop writes the rest
        conn.answer = None
        return keep

    def handle_request(self, req: Any, conn: Any) -> Any:
        if self.cfg.is_ssl:
            return super().handle_request(req, conn)
        if conn.too_large:  # the app answers 413 without reading the body, and that is the end
            req.must_close = True
            req._expected_100_continue = False  # no "100 Continue": the body is not wanted
        sock = conn.sock
        conn.answer = conn.sock = Answer(sock, self.unsent, self.send_timeout)
        try:
            return super().handle_request(req, conn)
        finally:
            conn.sock = sock

    # -- writing answers

    def finish_request(self, conn: Any, fs: Any) -> None:
        result = None if fs.cancelled() or fs.exception() is not None else fs.result()
        if isinstance(result, _Rest):
            conn.timeout = time.monotonic() + self.send_timeout
            on_event = partial(self._on_writable, conn, result.keep)
            self._watch(conn, selectors.EVENT_WRITE, on_event, self._reset)
        elif result is False:
            self._close_gracefully(conn)
        else:
            super().finish_request(conn, fs)

    def _on_writable(self, conn: Any, keep: bool, client: Any) -> None:
        try:
            sent = conn.answer.push()
        except OSError:  # the client went away
            conn.answer.drop()
            self._end(conn)
            return
        if sent:
            conn.timeout = time.monotonic() + self.send_timeout
        if not conn.answer.parts:
            self._unwatch(conn)
            conn.answer = None
            if keep:
                super().finish_request(conn, _done(True))  # kept alive as gunicorn does it
            else:
                self._close_gracefully(conn)

    def _reset(self, conn: Any) -> None:
        """The client read nothing of its answer for the send timeout."""
        self._unwatch(conn)
        self.log.info(
            "%s read nothing of its answer for %g s: connection reset",
            conn.client,
            self.send_timeout,
        )
        conn.answer.reset()
        self.nr_conns -= 1

    def _close_gracefully(self, conn: Any) -> None:
        """Close as gunicorn does (FIN, then what the client still sends read and dropped for a
        while, so that no reset cuts the answer's end), without the loop waiting for it."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.nr_conns -= 1
            conn.close()
            return
        conn.timeout = time.monotonic() + LINGER
        conn.drained = 0
        self._watch(conn, selectors.EVENT_READ, partial(self._on_linger, conn), self._end)

    def _on_linger(self, conn: Any, client: Any) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        conn.drained += len(data)
        if not data or conn.drained >= LINGER_BYTES:
            self._end(conn)


class AccessLog(glogging.Logger):  # type: ignore[misc]
    """gunicorn's logger, with one JSON object per line in the access log (what log collectors
    read without a pattern). The ``Authorization`` header and cookies are never logged."""

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
            self.access_log.info(json.dumps(record, ensure_ascii=False))
        except Exception:
            self.error("the access log could not be written", exc_info=True)
