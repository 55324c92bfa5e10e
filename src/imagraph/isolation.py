"""Untrusted work in a child process: one mechanism for every query, update, validation and dump.

A child is forked from the process that holds the store and *confined* before it touches any
input (:func:`confine`):

- **no network**: a seccomp filter makes ``socket()`` fail for IPv4 and IPv6 (Linux on x86-64 and
  AArch64), so no code in the child, imagraph's or a library's, can open a connection, whatever
  a query, an update or a document asks for (``SERVICE``, ``LOAD``, a remote ``@context``).
  Children that must reach a remote store are made with ``network=True``;
- **a memory limit**: the child's address space may grow by ``memory`` bytes at most
  (``RLIMIT_AS``, counted from what it inherited), so one request cannot take the machine's
  memory;
- **a time limit**: a kernel timer ends it at its deadline even if its parent is gone;
- **the lowest CPU priority** (``SCHED_IDLE``): the workers that answer pages come first (but
  for work a person waits for at the command line, which no page competes with, and query
  runners, put 5 below their worker in ``nice`` by it once a query proves heavy: see
  :mod:`imagraph.sparql`);
- **nothing of its parent's to hold open**: the sockets it got from its parent (the server's
  listening sockets, its clients' connections, connections to a remote store) and the pipes of
  its parent's other children are put out of its reach at once (:func:`drop_inherited`), so
  that a connection or a pipe its parent closes is closed;
- it **always ends with** ``os._exit``: whatever happens in it, it never returns into the app.

:func:`run` does one piece of work in such a child and returns its result or raises the error it
raised; a child that ran out of memory, crashed or passed its deadline becomes an
:class:`ImagraphError` with the right status and a message saying what happened.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import os
import pickle
import platform
import resource
import select
import signal
import stat
import struct
import sys
import time
from collections.abc import Callable, Collection, Iterable
from typing import NoReturn, TypeVar

from .errors import ChildCrashedError, ChildLimitError, ChildTimeoutError, ImagraphError

T = TypeVar("T")


# -- seccomp: no IPv4 or IPv6 sockets -------------------------------------------------------------

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_EACCES = 13
_AF_INET, _AF_INET6 = 2, 10
#: machine → (the seccomp audit architecture, the number of the socket system call)
_ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}


class _Filter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    ]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Filter))]


def _deny_network() -> bool:
    """Install the filter in this process (and every thread and child it makes later).
    False where the kernel or the machine does not allow it."""
    arch = _ARCHES.get(platform.machine())
    if arch is None or not sys.platform.startswith("linux"):
        return False
    audit_arch, socket_nr = arch
    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_RET|K
    program = [
        (ld, 0, 0, 4),  # seccomp_data.arch
        (jeq, 0, 5, audit_arch),  # another architecture: allow
        (ld, 0, 0, 0),  # seccomp_data.nr
        (jeq, 0, 3, socket_nr),  # not socket(): allow
        (ld, 0, 0, 16),  # seccomp_data.args[0] (low half): the address family
        (jeq, 2, 0, _AF_INET),
        (jeq, 1, 0, _AF_INET6),
        (ret, 0, 0, _RET_ALLOW),
        (ret, 0, 0, _RET_ERRNO | _EACCES),
    ]
    filters = (_Filter * len(program))(*(_Filter(*i) for i in program))
    prog = _Program(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return bool(libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0)


def _address_space() -> int:
    """This process's address space now, in bytes (0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def drop_inherited(keep: Collection[int] = ()) -> None:
    """Replace every socket and pipe this (child) process inherited, past the standard streams
    and but for ``keep`` (its own pipes), by ``/dev/null``.

    A forked child holds a copy of each socket and pipe its parent had open, and a connection or
    a pipe stays open while any process holds it. A query runner lives as long as its worker: it
    kept open every connection the worker let go after it was forked, so the client saw no end,
    sent its next request into it, and nobody ever read it (a browser waited for a script until
    it gave up); and a child forked while another child's pipe was open in the worker would have
    kept that pipe from ending, its answer waiting until the time limit. The number of each stays
    taken by ``/dev/null`` rather than being freed: a socket object of the parent's, closed later
    in the child, closes that stand-in and never a file the child opened since."""
    fds = _descriptors()
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in fds:
            if fd <= 2 or fd == null or fd in keep:
                continue
            with contextlib.suppress(OSError):
                mode = os.fstat(fd).st_mode
                if stat.S_ISSOCK(mode) or stat.S_ISFIFO(mode):
                    os.dup2(null, fd, inheritable=False)
    finally:
        os.close(null)


def _descriptors() -> Iterable[int]:
    """The numbers this process's open descriptors may have: below the size of its table of
    descriptors on Linux (read in one line; listing ``/proc/self/fd`` costs three times as much
    with a thousand connections open), else those ``/dev/fd`` lists."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"FDSize:"):
                    return range(int(line.split()[1]))
    except (OSError, ValueError, IndexError):
        pass
    try:
        return [int(name) for name in os.listdir("/dev/fd")]
    except (OSError, ValueError):
        return ()


def confine(
    *,
    network: bool,
    memory: int,
    timeout: float | None = None,
    keep: Collection[int] = (),
    idle: bool = True,
) -> None:
    """Confine this (child) process: see the module's text. ``memory`` 0: no memory limit;
    ``keep``: the pipes of its own it goes on using; ``idle`` False: at its parent's CPU
    priority (work a person waits for at a command line, where no page is to be kept quick)."""
    drop_inherited(keep)
    faulthandler.disable()  # a crash on hostile input is reported to the parent, not dumped
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    if timeout is not None:
        signal.setitimer(signal.ITIMER_REAL, timeout + 0.5)
    # below the workers in the CPU's favour: pages stay quick while heavy queries run
    if idle:
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    if memory > 0:
        size = _address_space()
        if size:
            limit = size + memory
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if not network:
        _deny_network()


def probe() -> bool:
    """Whether a confined child can be kept off the network on this machine (a child tries)."""
    return bool(run(_probe, timeout=10, memory=0, network=False))


def _probe() -> bool:
    import socket

    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except OSError:
        return True
    return False


def reap(pid: int, grace: float = 0.0) -> int | None:
    """Wait for child ``pid``: its wait status if it ends by itself within ``grace`` seconds,
    else it is killed (and None returned)."""
    deadline = time.monotonic() + grace
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            if time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    return None


def end(code: int = 0) -> NoReturn:
    """End a child at once: no cleanup of the parent's state, no return into the app."""
    os._exit(code)


# -- one piece of work in a child ------------------------------------------------------------------


def readable(fd: int, timeout: float) -> bool:
    """Whether ``fd`` has something to read (or its end) within ``timeout`` seconds. ``poll``,
    not ``select``: a worker with a thousand connections has descriptors past ``select``'s
    1,024."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(timeout, 0.0) * 1000))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def run(
    work: Callable[[], T],
    *,
    timeout: float,
    memory: int,
    network: bool = False,
    what: str = "the work",
    timeout_error: type[ImagraphError] = ChildTimeoutError,
    idle: bool = True,
) -> T:
    """Run ``work`` in a confined child and return its (picklable) result; its
    :class:`ImagraphError` is raised here. ``what`` names the work in messages; ``idle``: see
    :func:`confine`."""
    deadline = time.monotonic() + timeout
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_fd)
            confine(network=network, memory=memory, timeout=timeout, keep=(write_fd,), idle=idle)
            try:
                payload = pickle.dumps(("ok", work()))
            except ImagraphError as err:
                payload = pickle.dumps(("error", err))
            except MemoryError:
                payload = pickle.dumps(("memory", None))
            except RecursionError:
                payload = pickle.dumps(("nested", None))
            except Exception as err:  # reported to the parent, never lost
                payload = pickle.dumps(("error", ImagraphError(f"{what} failed: {err}")))
            _write_all(write_fd, struct.pack("!Q", len(payload)) + payload)
        except BaseException:
            code = 1
        finally:
            end(code)
    os.close(write_fd)
    data = bytearray()
    timed_out = False
    try:
        while True:
            if not readable(read_fd, deadline - time.monotonic()):
                timed_out = True
                break
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(read_fd)
        status = reap(pid, 0.0 if timed_out else 1.0)
    if timed_out:
        raise timeout_error(f"{what} was stopped after the time limit of {timeout:g} s")
    if len(data) >= 8 and len(data) - 8 == struct.unpack("!Q", bytes(data[:8]))[0]:
        kind, value = pickle.loads(bytes(data[8:]))
        if kind == "ok":
            return value  # type: ignore[no-any-return]
        if kind == "error":
            raise value
        if kind == "nested":
            raise ChildCrashedError(f"{what} failed: the input is nested too deeply")
        raise memory_error(what, memory)
    if status is None:
        raise ImagraphError(f"{what} ended without an answer")
    raise death_error(what, status, memory, timeout)


def memory_error(what: str, memory: int) -> ChildLimitError:
    return ChildLimitError(
        f"{what} was stopped: it needed more than the memory limit of {memory >> 20} MiB"
    )


def death_error(what: str, status: int, memory: int, timeout: float) -> ImagraphError:
    """The error for a child that ended with ``status`` (from ``waitpid``) without an answer."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGALRM:
            return ChildTimeoutError(f"{what} was stopped after the time limit of {timeout:g} s")
        if sig in (signal.SIGABRT, signal.SIGBUS) and memory:
            # a native library that cannot allocate aborts
            return memory_error(what, memory)
        if sig == signal.SIGKILL:
            return ChildLimitError(f"{what} was stopped by the system (out of memory?)")
        name = signal.Signals(sig).name
        return ChildCrashedError(
            f"{what} ended the process that handled it ({name}): the input is probably nested "
            "too deeply or too large; nothing was changed"
        )
    return ImagraphError(f"{what} ended without an answer (exit code {os.WEXITSTATUS(status)})")
