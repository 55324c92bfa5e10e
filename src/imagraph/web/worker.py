"""The server's worker: gunicorn's threaded worker, with every request head read in its event loop.

gunicorn's ``gthread`` worker hands a connection to a thread as soon as its first bytes arrive;
the thread then blocks until the request is in, so a few clients sending a byte a second hold
every thread. Here the worker's event loop reads the request itself, without blocking, and a
thread gets the connection only once it is in:

- a head (request line and headers) not complete within ``IMAGRAPH_HEADER_TIMEOUT`` seconds
  (default 10) is answered ``408`` and the connection closed; until then it costs a buffer, not
  a thread;
- a body of known length is read in the loop too, within ``IMAGRAPH_BODY_TIMEOUT`` seconds from
  the end of the head (default 30; a budget for the whole body, not per read): past it, ``408``;
- a chunked body (or one sent after ``100 Continue``) is read by the thread, within the same
  budget in all, so a body that trickles holds a thread for that long at most;
- kept-alive connections go through the same reading for each new request.

The loop buffers at most :data:`MAX_BUFFERED` bytes (beyond, bodies are read in the threads);
the connections a worker holds (gunicorn's ``worker_connections``) bound the rest.
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
from datetime import UTC, datetime
from functools import partial
from typing import Any

from gunicorn import glogging, util
from gunicorn.workers import gthread

#: Set by ``imagraph serve`` before the workers fork (see the module's docstring).
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
#: Bytes of requests a worker reads in its event loop at most (beyond: in the threads).
MAX_BUFFERED = 64 << 20
#: The head's end; gunicorn's parser rejects a head of bare line feeds.
_END = b"\r\n\r\n"


def _body_end(head: bytes) -> int:
    """Where the request whose head is ``head`` ends, if its headers say so: after its
    ``Content-Length`` bytes. Else where the head ends (the thread reads the rest): a chunked
    body, an ``Expect: 100-continue`` (the client waits for the server's word), or headers the
    parser will reject anyway. This only decides when a thread takes over; gunicorn's parser
    reads the request itself."""
    _, _, fields = head.partition(b"\r\n")
    try:
        headers = http.client.parse_headers(io.BytesIO(fields))
    except (http.client.HTTPException, ValueError):
        return len(head)
    lengths = headers.get_all("Content-Length") or []
    if (
        len(lengths) != 1
        or not (lengths[0].strip().isascii() and lengths[0].strip().isdigit())
        or headers.get("Transfer-Encoding")
        or headers.get("Expect")
    ):
        return len(head)
    return len(head) + int(lengths[0])


class BodyTimeout(TimeoutError):
    """The client did not send the request within its time (answered ``408``)."""


class _Deadline:
    """The connection's socket as the request parser reads it: every read within the request's
    deadline. Writes (the answer) do not go through here."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline: float | None = None

    def recv(self, size: int) -> bytes:
        if self.deadline is None:
            return self.sock.recv(size)
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise BodyTimeout(f"the request was not received within {BODY_TIMEOUT:g} seconds")
        prior = self.sock.gettimeout()
        self.sock.settimeout(left if prior is None else min(prior, left))
        try:
            return self.sock.recv(size)
        except TimeoutError:
            raise BodyTimeout(
                f"the request was not received within {BODY_TIMEOUT:g} seconds"
            ) from None
        finally:
            self.sock.settimeout(prior)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class Worker(gthread.ThreadWorker):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: list[Any] = []  # connections whose request is coming in
        self.buffered = 0  # bytes of them read here
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

    def _read_head(self, conn: Any) -> None:
        conn.head = bytearray()
        conn.body_end = None  # once the head is in: where the body ends, if it says so
        conn.timeout = time.monotonic() + HEADER_TIMEOUT
        conn.sock.setblocking(False)
        self.reading.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_bytes, conn))

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
            conn.body_end = _body_end(bytes(conn.head[: end + 4]))
            conn.timeout = time.monotonic() + BODY_TIMEOUT
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
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)
        with contextlib.suppress(ValueError):
            self.reading.remove(conn)
            self.buffered -= len(conn.head)

    def murder_pending(self) -> None:
        """Also close the connections whose head, or body, did not come in time: ``408``."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c in self.reading if c.timeout <= now]:
            self._stop_reading(conn)
            if conn.head:
                message = (
                    f"The request head was not received within {HEADER_TIMEOUT:g} seconds."
                    if conn.body_end is None
                    else f"The request body did not arrive in time: the request was not "
                    f"received within {BODY_TIMEOUT:g} seconds."
                )
                with contextlib.suppress(OSError):
                    conn.sock.setblocking(True)
                    conn.sock.settimeout(1.0)
                    util.write_error(conn.sock, 408, "Request Timeout", message)
            self.nr_conns -= 1
            conn.close()

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
                unreader.sock = _Deadline(unreader.sock)
            unreader.sock.deadline = time.monotonic() + BODY_TIMEOUT
        return super().handle(conn)


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
