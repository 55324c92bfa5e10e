"""Answers written without blocking: what a client does not take at once is kept for the
worker's event loop to send (see :mod:`.worker`), in memory within one budget, past it in a
temporary file within another; past both, the client's connection is reset. A client that does
not read costs memory, then disk, never a thread, and only that client loses its answer."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import struct
import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from typing import IO, Any


class Budget:
    """Bytes a worker holds for clients that have not read them, against a limit. An object held
    by several answers (a cached page or query answer sent to many clients) counts once: that is
    the memory it takes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._held: dict[int, list[Any]] = {}  # id -> [object, answers holding it]
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        """Count ``size`` bytes if the total stays within the limit; else False."""
        with self._lock:
            if self.total + size > self.limit:
                return False
            self.total += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.total -= size

    def hold(self, data: bytes) -> bool:
        """Count ``data`` as held (nothing more if it is held already); False past the limit."""
        with self._lock:
            entry = self._held.get(id(data))
            if entry is None:
                if self.total + len(data) > self.limit:
                    return False
                entry = self._held[id(data)] = [data, 0]
                self.total += len(data)
            entry[1] += 1
            return True

    def release(self, data: bytes) -> None:
        with self._lock:
            entry = self._held[id(data)]
            entry[1] -= 1
            if not entry[1]:
                del self._held[id(data)]
                self.total -= len(data)


class Overflow(BrokenPipeError):
    """The answer is past what the worker holds, in memory and on disk, for clients that do not
    read: its connection is reset."""


@dataclass
class FilePart:
    """Bytes of a file still to send, from a descriptor of its own (the app closes a dump file
    as soon as the thread is done)."""

    fd: int
    offset: int
    count: int


class Answer:
    """The connection's socket as a thread writes an answer to it, never blocking: what the
    socket does not take at once is queued for the worker's loop, in memory (counted in the
    ``memory`` budget) or, past it, in a temporary file of the answer's own (the ``disk``
    budget), and sent from the file by the kernel (``sendfile``) as a dump file always is. Past
    both budgets the connection is reset and :class:`Overflow` raised."""

    def __init__(self, sock: socket.socket, memory: Budget, disk: Budget) -> None:
        self.sock = sock
        self.memory = memory
        self.disk = disk
        self.parts: deque[memoryview | FilePart] = deque()
        self.spool: IO[bytes] | None = None  # removed from its folder as it is made
        self.spooled = 0  # its size, counted in the disk budget
        self._tail: FilePart | None = None  # the part sent from its end
        sock.setblocking(False)

    def sendall(self, data: bytes) -> None:
        view = memoryview(data if isinstance(data, bytes) else bytes(data))  # it may be reused
        self.push()
        if not self.parts:
            with contextlib.suppress(BlockingIOError, InterruptedError):
                view = view[self.sock.send(view) :]
        if not view:
            return
        if self.memory.hold(view.obj):  # type: ignore[arg-type]
            self.parts.append(view)
        elif self.disk.take(len(view)):
            self._spool(view)
        else:
            self.reset()
            raise Overflow(
                errno.EPIPE,
                "the client reads nothing and the worker holds all it may of such answers",
            )

    def _spool(self, view: memoryview) -> None:
        """Write ``view`` at the end of the answer's temporary file, to be sent from there."""
        try:
            if self.spool is None:
                self.spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by drop())
            self.spool.write(view)
            self.spool.flush()
        except OSError as err:  # a full disk: as past the budget
            self.disk.give(len(view))
            self.reset()
            raise Overflow(errno.EPIPE, f"the answer cannot be kept on disk: {err}") from None
        tail = self._tail
        if tail is not None and self.parts and self.parts[-1] is tail:  # queued from there on
            tail.count += len(view)
        else:
            self._tail = FilePart(os.dup(self.spool.fileno()), self.spooled, len(view))
            self.parts.append(self._tail)
        self.spooled += len(view)

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
                        self.memory.release(part.obj)  # type: ignore[arg-type]
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
        """Forget what is left to write, and the temporary file."""
        while self.parts:
            part = self.parts.popleft()
            if isinstance(part, memoryview):
                self.memory.release(part.obj)  # type: ignore[arg-type]
            else:
                os.close(part.fd)
        if self.spool is not None:
            self.spool.close()
            self.spool = None
            self.disk.give(self.spooled)

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
