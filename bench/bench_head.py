"""What the worker's loop spends on a request head: h11's reading against the check that a GET
or HEAD came whole and without a body (``worker._bodiless_head``), side by side in one process.

Usage: python bench/bench_head.py [--repeat 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import h11

from imagraph.web.worker import _bodiless_head

#: What a browser or ``requests`` sends for a page, as the loop receives it.
HEAD = (
    b"GET /org/bmi HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: python-requests/2.32.3\r\n"
    b"Accept-Encoding: gzip, deflate\r\nAccept: application/ld+json\r\nConnection: keep-alive\r\n"
    b"\r\n"
)
LIMIT = 823_000  # gunicorn's default limits: request line, 100 fields of 8190 bytes


def by_h11() -> None:
    """The loop's reading before: a new h11 connection, the head, the end of the message."""
    parser = h11.Connection(h11.SERVER, max_incomplete_event_size=LIMIT)
    parser.receive_data(HEAD)
    while (event := parser.next_event()) is not h11.NEED_DATA:
        if isinstance(event, h11.Request):
            dict(event.headers).get(b"content-length")
            _ = parser.they_are_waiting_for_100_continue
        elif isinstance(event, h11.EndOfMessage):
            _ = parser.trailing_data
            return


def by_check() -> None:
    assert _bodiless_head(HEAD, LIMIT) == len(HEAD)


def median_us(func: Callable[[], None], repeat: int) -> float:
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            func()
        rounds.append((time.perf_counter() - start) / repeat)
    return statistics.median(rounds) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20000)
    args = parser.parse_args()
    reference = median_us(by_h11, args.repeat)
    check = median_us(by_check, args.repeat)
    print("| reading of a GET head | µs (median of 5 rounds) | ratio |")
    print("|---|---:|---:|")
    print(f"| h11 (before; still for every other request) | {reference:.1f} | 1.00x |")
    print(f"| whole-bodiless check (after) | {check:.1f} | {check / reference:.2f}x |")


if __name__ == "__main__":
    main()
