"""Who may write: ``Authorization: Bearer <token>``, compared with the write tokens in constant
time, and a limit on wrong tokens per client, so that a token cannot be guessed at full speed.

The limit is kept per worker (on its app): with ``--workers N`` a client meets it at each worker
its connections reach, so up to N times ``IMAGRAPH_WRITE_AUTH_FAILURES`` wrong tokens in a
window. Only a remote store takes writes from several workers; otherwise a server is one worker.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections import OrderedDict, deque
from threading import Lock

from flask import Flask, current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import MethodNotAllowed, Unauthorized

from ..errors import RefusedError, TooManyError
from ..settings import Settings
from . import current_instance

#: Failed authentications go to the server's error log (gunicorn's, whose handlers its child
#: loggers reach), with its time and level; outside a server, where any other warning goes.
log = logging.getLogger("gunicorn.error").getChild(__name__)

#: Clients whose failures are remembered; past it the one that failed least recently is forgotten.
MAX_CLIENTS = 10_000


class FailureLimit:
    """Failed authentications per client: after ``limit`` of them within ``window`` seconds, the
    client is refused until the oldest is ``window`` seconds old (``limit`` 0: no limit)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = Lock()  # the worker's threads share it

    def wait(self, client: str, now: float) -> float:
        """Seconds ``client`` has to wait before its next try counts (0: none)."""
        with self._lock:
            times = self._failures.get(client)
            if self.limit <= 0 or times is None or len(times) < self.limit:
                return 0.0
            return max(0.0, times[0] + self.window - now)

    def fail(self, client: str, now: float) -> int:
        """Note a failure of ``client``; how many it made within the window."""
        with self._lock:
            times = self._failures.pop(client, None) or deque(maxlen=max(self.limit, 1))
            while times and times[0] <= now - self.window:
                times.popleft()
            times.append(now)
            self._failures[client] = times  # the most recent last
            if len(self._failures) > MAX_CLIENTS:
                self._failures.popitem(last=False)
            return len(times)


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["imagraph.auth"] = FailureLimit(
        settings.write_auth_failures, settings.write_auth_window
    )


def client_of(address: str | None) -> str:
    """What failures are counted by: the client's address, or for IPv6 its /64 network (one
    subscriber is given a whole /64, and may pick any address in it)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def require_writer(allowed: list[str]) -> str:
    """The name of the writer whose token the request carries.

    :raise 405: writes are off (``allowed``: the methods that remain).
    :raise 401: no ``Authorization`` header.
    :raise 429: too many wrong tokens from this client lately (with ``Retry-After``).
    :raise 403: a wrong token (logged with the client and the route, never the token).
    """
    writes = current_instance().writes
    if not writes.enabled:
        raise MethodNotAllowed(
            allowed, "writes are off on this server (no write tokens configured)"
        )
    header = request.headers.get("Authorization", "")
    if not header:
        raise Unauthorized(
            "send Authorization: Bearer <token> to write",
            www_authenticate=WWWAuthenticate("bearer", {"realm": "imagraph"}),
        )
    limit: FailureLimit = current_app.extensions["imagraph.auth"]
    client = client_of(request.remote_addr)
    now = time.monotonic()
    wait = limit.wait(client, now)
    if wait > 0:
        raise TooManyError(
            f"too many wrong tokens from {client}: try again in {math.ceil(wait)} s",
            retry_after=math.ceil(wait),
        )
    scheme, _, token = header.partition(" ")
    name = writes.authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if name is None:
        n = limit.fail(client, now)
        log.warning(
            "failed authentication from %s on %s %s: %d wrong token(s) in %g s, %d allowed",
            client, request.method, request.path, n, limit.window, limit.limit,
        )  # fmt: skip
        raise RefusedError("this token may not write")
    return name
