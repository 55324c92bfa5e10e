"""What a confined child costs (see bench/README.md): one piece of trivial work in a child made by
``isolation.run`` (fork, confinement, answer through a pipe, wait), with a parent holding 0 and
then many open connections (a busy worker), beside the same child without the step that puts the
parent's sockets and pipes out of its reach (``isolation.drop_inherited``). All in one process.

Usage: python bench/bench_children.py [--connections 0 1000] [--repeat 200]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time
from pathlib import Path

from common import emit  # bench/common.py (scripts run from bench/)
from imagraph import isolation


def nothing() -> None:
    return None


def median_ms(repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        isolation.run(nothing, timeout=10, memory=0, what="the benchmark")
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, nargs="+", default=[0, 1000])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    drop = isolation.drop_inherited
    lines = [
        "| parent's open connections | child without the drop (reference), ms | "
        "child with the drop, ms | ratio |",
        "|---:|---:|---:|---:|",
    ]
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    try:
        for n in args.connections:
            while len(held) < 2 * n:  # both ends of each connection live in this process
                client = socket.create_connection(listener.getsockname())
                server, _ = listener.accept()
                held += [client, server]
            median_ms(10)  # warm up
            isolation.drop_inherited = lambda keep=(): None  # type: ignore[assignment]
            try:
                reference = median_ms(args.repeat)
            finally:
                isolation.drop_inherited = drop  # type: ignore[assignment]
            measured = median_ms(args.repeat)
            lines.append(
                f"| {n:,} | {reference:.2f} | {measured:.2f} | {measured / reference:.2f}x |"
            )
    finally:
        for sock in held:
            sock.close()
        listener.close()
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
