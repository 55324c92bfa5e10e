"""A small cache of answers for one data version: a new version misses it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

#: What a cache holds at most, in bytes of the answers it keeps.
CACHE_BYTES = 256 << 20


class VersionCache:
    """At most ``size`` values and :data:`CACHE_BYTES` bytes, the least recently used out first
    (a client asking for many large answers cannot make a worker hold them all); keys include
    the data version ``version()`` gives, so new data misses it. The threads of a worker share
    it. ``size`` 0: nothing is kept."""

    def __init__(self, version: Callable[[], str], size: int = 2048) -> None:
        self._version = version
        self.size = size
        self._values: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._costs: dict[tuple[object, ...], int] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def cached(self, key: tuple[object, ...], make: Callable[[], Any]) -> Any:
        """The value kept under ``key``, else ``make()``, kept under the version it was made
        for (never an answer made as the data changed under a newer version)."""
        version = self._version()
        value = self.lookup(key, version)
        if value is None:
            value = make()
            self.remember(key, value, version)
        return value

    def lookup(self, key: tuple[object, ...], version: str | None = None) -> Any:
        """What :meth:`remember` kept under ``key`` for this data version (or ``version``),
        or None."""
        if self.size <= 0:
            return None
        key = (version or self._version(), *key)
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
        return value

    def remember(self, key: tuple[object, ...], value: object, version: str | None = None) -> None:
        """Keep ``value`` (about :func:`_cost` bytes; none over a quarter of the cache)."""
        if self.size <= 0:
            return
        cost = _cost(value)
        if cost > CACHE_BYTES // 4:
            return
        full = (version or self._version(), *key)
        with self._lock:
            self._bytes += cost - self._costs.pop(full, 0)
            self._values[full] = value
            self._costs[full] = cost
            while len(self._values) > self.size or self._bytes > CACHE_BYTES:
                old, _ = self._values.popitem(last=False)
                self._bytes -= self._costs.pop(old, 0)


def _cost(value: object) -> int:
    """About how many bytes a cached value holds: its body, where it has one; rows of a few
    short strings (search results, links) at 200 bytes each."""
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, tuple):
        return sum(_cost(v) for v in value)
    if isinstance(value, (list, dict)):
        return 200 * len(value)
    body = getattr(value, "body", None)
    return len(body) if isinstance(body, bytes) else 0
