"""Answers written without blocking: what a client does not take at once is kept for the
worker's event loop to write (see :mod:`.worker`), within a budget of memory."""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import struct
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any


class Budget:
    """What a worker holds of answers its clients have not read, in bytes, against a limit. An
    object held by several answers (a cached page or query answer sent to many clients) counts
    once: that is the memory it takes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._held: dict[int, list[Any]] = {}  # id -> [object, answers holding it]
        self._lock = threading.Lock()

    def hold(self, data: bytes) -> bool:
        """Count ``data`` as held; False if the total is then past the limit (it is counted all
        the same: the caller waits until it is written)."""
        with self._lock:
            entry = self._held.setdefault(id(data), [data, 0])
            if not entry[1]:
                self.total += len(data)
            entry[1] += 1
            return self.total <= self.limit

    def release(self, data: bytes) -> None:
        with self._lock:
            entry = self._held[id(data)]
            entry[1] -= 1
            if not entry[1]:
                del self._held[id(data)]
                self.total -= len(data)


@dataclass
class FilePart:
    """Bytes of a file still to send, from a descriptor of its own (the app closes the file as
    soon as the thread is done)."""

    fd: int
    offset: int
    count: int


class Answer:
    """The connection's socket as a thread writes an answer to it, never blocking: what the
    socket does not take at once is queued for the worker's loop (counted in its budget), and
    a file is always left to the loop, sent by the kernel (``sendfile``). Past the budget, the
    thread waits until its answer is out, as long as the client reads something every
    ``timeout`` seconds; else the connection is reset."""

    def __init__(self, sock: socket.socket, budget: Budget, timeout: float) -> None:
        self.sock = sock
        self.budget = budget
        self.timeout = timeout
        self.parts: deque[memoryview | FilePart] = deque()

    def sendall(self, data: bytes) -> None:
        if not isinstance(data, bytes):
            data = bytes(data)  # the caller may reuse its buffer
        within = self.budget.hold(data)
        self.parts.append(memoryview(data))
        prior = self.sock.gettimeout()
        self.sock.setblocking(False)
        try:
            self.push()
            while self.parts and not within:
                if not writable(self.sock, self.timeout):
                    self.reset()
                    raise BrokenPipeError(
                        errno.EPIPE, f"the client read nothing for {self.timeout:g} seconds"
                    )
                self.push()
        finally:
            with contextlib.suppress(OSError):
                self.sock.settimeout(prior)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        if count is None:
            count = os.fstat(file.fileno()).st_size - offset
        if count > 0:
            self.parts.append(FilePart(os.dup(file.fileno()), offset, count))
        return count

    def push(self) -> int:
        """Write what the (non-blocking) socket takes now; the bytes written. Raises the
        socket's error if the client went away."""
        sent = 0
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while self.parts:
                part = self.parts[0]
                if isinstance(part, memoryview):
                    n = self.sock.send(part)
                    self.parts[0] = part[n:]
                    if n == len(part):
                        self.parts.popleft()
                        self.budget.release(part.obj)  # type: ignore[arg-type]
                else:
                    n = os.sendfile(self.sock.fileno(), part.fd, part.offset, part.count)
                    if not n:
                        raise OSError(errno.EIO, "the file ended before its announced length")
                    part.offset, part.count = part.offset + n, part.count - n
                    if not part.count:
                        self.parts.popleft()
                        os.close(part.fd)
                sent += n
        return sent

    def drop(self) -> None:
        """Forget what is left to write."""
        while self.parts:
            part = self.parts.popleft()
            if isinstance(part, memoryview):
                self.budget.release(part.obj)  # type: ignore[arg-type]
            else:
                os.close(part.fd)

    def reset(self) -> None:
        """Drop the answer and the connection: a reset, not a close that would still send
        what the socket holds to a client that does not read it."""
        self.drop()
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.drop()
        self.sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


def writable(sock: socket.socket, timeout: float) -> bool:
    poller = select.poll()  # not select: past 1,024 descriptors it fails
    poller.register(sock, select.POLLOUT)
    return bool(poller.poll(timeout * 1000))
