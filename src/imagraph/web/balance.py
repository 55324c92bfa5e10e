"""Connections spread evenly over a server's workers.

A worker keeps a client's connection open between its requests (keep-alive), so the worker that
accepts a connection serves every request sent on it. The workers all wait on one listening
socket and the kernel wakes them together: whichever is quickest takes the connection, and a
client's four connections could all land on one worker while the other idles (measured: half
the requests per second, p50 twice as long; ``bench/README.md``). So each worker writes how many
connections it holds on a :class:`Board` in memory the workers share (made before they fork),
and a worker that holds more than its share leaves a new connection to the others, for a moment
(see :mod:`.worker`): connections stay spread within one of even.
"""

from __future__ import annotations

import multiprocessing
import os


class Board:
    """The connections each worker holds, by place: a worker takes a place as it starts and
    gives it up as it stops; the master frees the place of a worker that died (:meth:`forget`),
    and a worker that starts frees any whose process is gone."""

    def __init__(self, workers: int) -> None:
        places = 2 * workers + 4  # room for workers started while others stop
        self._pids = multiprocessing.Array("q", places, lock=False)
        self._counts = multiprocessing.Array("q", places, lock=False)
        self._lock = multiprocessing.Lock()  # for taking and giving up places

    def take(self, pid: int) -> int | None:
        """A place for the worker ``pid`` (None if none is free: it then takes any connection)."""
        with self._lock:
            found = None
            for place, holder in enumerate(self._pids):
                if holder and not _alive(holder):  # a worker killed before it could leave
                    self._pids[place] = holder = 0
                    self._counts[place] = 0
                if holder == 0 and found is None:
                    self._pids[place] = pid
                    self._counts[place] = 0
                    found = place
            return found

    def forget(self, pid: int) -> None:
        """The worker ``pid`` is gone (the master's word): its place, if it held one, is free."""
        with self._lock:
            for place, holder in enumerate(self._pids):
                if holder == pid:
                    self._pids[place] = 0
                    self._counts[place] = 0

    def leave(self, place: int) -> None:
        with self._lock:
            self._pids[place] = 0
            self._counts[place] = 0

    def count(self, place: int, connections: int) -> None:
        """The worker at ``place`` holds ``connections`` now."""
        self._counts[place] = connections

    def over_share(self, place: int) -> bool:
        """Whether the worker at ``place`` holds more connections than the workers' average
        (another worker holds fewer, and should take the next)."""
        workers = sum(1 for pid in self._pids if pid)
        own: int = self._counts[place]
        total: int = sum(self._counts)
        return own * workers > total


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user took the number
        return False
    return True
