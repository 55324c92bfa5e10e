"""Slots: how many queries, and how many validations, run at once, across every worker and thread,
and fairly between clients.

A slot is taken before the work starts (its child is forked) and given back when the answer is
complete. A request waits up to :data:`WAIT` seconds for a free slot, so that a burst queues
instead of failing, then gets ``503`` with ``Retry-After``. One client (its address, the one the
trusted proxies forwarded behind a proxy) holds at most ``per_client`` slots of a kind at once:
a client looping a heavy query leaves the other slots to everyone else; asking for more, it
waits (within the same :data:`WAIT`) for one of its own, then gets ``429``.

The slots of an instance are made with it (:class:`imagraph.instance.Shared`); ``imagraph serve``
makes them before the workers fork, so that the count is shared by the processes.
"""

from __future__ import annotations

import multiprocessing
import time
import zlib
from dataclasses import dataclass
from typing import Any

from .errors import BusyError, TooManyError
from .settings import Settings

#: Seconds a request waits for a free slot before it is answered 503.
WAIT = 2.0
#: Clients are counted in this many buckets (by a hash of their address): two clients that share
#: a bucket share its limit, which is rare and errs on the strict side.
BUCKETS = 4096

_NOUN = {"query": ("query", "queries"), "validation": ("validation", "validations")}


class Slots:
    """``n`` slots of one kind, at most ``per_client`` of them held by one client."""

    def __init__(self, kind: str, n: int, per_client: int) -> None:
        self.kind = kind
        self.n = n
        self.per_client = per_client
        self._free: Any = multiprocessing.BoundedSemaphore(n)
        self._held: Any = multiprocessing.Array("i", BUCKETS)

    def take(self, client: str) -> Slot:
        """A slot for ``client`` (its address); release it when done."""
        one, many = _NOUN[self.kind]
        bucket = zlib.crc32(client.encode("utf-8", "replace")) % BUCKETS
        deadline = time.monotonic() + WAIT
        while True:  # the client's own slots first: it may be finishing one (a closed stream)
            with self._held.get_lock():
                held = self._held[bucket]
                if held < self.per_client:
                    self._held[bucket] = held + 1
                    break
            if time.monotonic() >= deadline:
                raise TooManyError(
                    f"This client already has {held} {one if held == 1 else many} running, the "
                    "most one client may run at once; wait for one to finish."
                )
            time.sleep(0.05)
        left = max(0.0, deadline - time.monotonic())
        if not self._free.acquire(True, left):  # positional: threading and multiprocessing differ
            self._give_back(bucket)
            raise BusyError(f"Too many {many} are running; try again in a moment.")
        return Slot(self, bucket)

    def _give_back(self, bucket: int) -> None:
        with self._held.get_lock():
            self._held[bucket] = max(0, self._held[bucket] - 1)


@dataclass
class Slot:
    slots: Slots
    bucket: int
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.slots._free.release()
            self.slots._give_back(self.bucket)


def sizes(kind: str, settings: Settings) -> tuple[int, int]:
    """(slots, slots per client) of ``kind`` under ``settings``."""
    n = settings.query_slots if kind == "query" else settings.validation_slots
    n = max(1, n or (4 if kind == "query" else 2))
    return n, max(1, n // 2)
