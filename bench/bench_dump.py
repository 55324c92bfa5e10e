"""Dump benchmark (see bench/README.md): making every dump file, side by side with the floor.

For each format imagraph serves (N-Quads, TriG, N-Triples, Turtle, JSON-LD, each also gzipped) it
times imagraph's dump maker (:mod:`imagraph.dumps`: the store's dump streamed into a file, hashed
as it is written, gzip-compressed for ``.gz``) against the floor, pyoxigraph writing the same
format straight to a file (no hash, no gzip), in the same process and on the same store. Each
maker runs in a forked child, as in the server; its peak RSS is reported too.

Usage: python bench/bench_dump.py [--scale 1000000] [--store DIR] [--out FILE]
  --store DIR: an on-disk store made by ``imagraph load`` (e.g. 10M triples) instead of
  generated data loaded in memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from common import emit  # bench/common.py (scripts run from bench/)
from imagraph import formats
from imagraph.dumps import Dumps
from imagraph.generate import write_ntriples
from imagraph.store.oxigraph import OxigraphStore

FORMATS = (formats.NQUADS, formats.TRIG, formats.NTRIPLES, formats.TURTLE, formats.JSONLD)


def in_child(work) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Run ``work`` in a forked child: (seconds, the child's peak RSS in MB)."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            work()
        except BaseException as err:  # reported, the child never returns
            print(f"failed: {err}", file=sys.stderr)
            code = 1
        os._exit(code)
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise RuntimeError("a dump failed")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, help="an on-disk store (imagraph load)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.store is not None:
            store = OxigraphStore(args.store, read_only=True)
            what = f"on-disk store, {store.count():,} quads"
        else:
            data = tmp / "generated.nt"
            n = write_ntriples(data, scale=args.scale)
            store = OxigraphStore()
            store.bulk_load_file(data, formats.NTRIPLES, "https://example.org/graph/generated")
            what = f"generated {n:,} triples, in memory"
        raw = store._store  # the floor: pyoxigraph's own writer
        dumps = Dumps(tmp / "dumps")
        rows = [
            f"Data: {what}. Each dump made in a forked child (as in the server).",
            "",
            "| dump | floor s (pyoxigraph to a file) | imagraph s (stream, hash, gzip) | "
            "imagraph / floor | size MB | peak RSS of imagraph's child MB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for fmt in FORMATS:
            for gz in (False, True):
                name = f"dump.{fmt.extension}{'.gz' if gz else ''}"
                floor_path = tmp / f"floor.{fmt.extension}"

                def floor(fmt: formats.Format = fmt, path: Path = floor_path) -> None:
                    if fmt.is_dataset:
                        raw.dump(str(path), format=fmt.oxigraph)
                    else:  # a triple format: every graph's triples, as imagraph writes them
                        ox.serialize(
                            (ox.Triple(q.subject, q.predicate, q.object) for q in raw),
                            str(path),
                            format=fmt.oxigraph,
                        )

                floor_s, _ = in_child(floor)
                floor_path.unlink()
                spec = {name: (fmt, gz, lambda out, st, fmt=fmt: st.dump(out, fmt))}
                ours_s, rss = in_child(lambda spec=spec: dumps._write(store, "v", spec))
                made = dumps.ready("v", name)
                assert made is not None
                rows.append(
                    f"| {name} | {floor_s:.2f} | {ours_s:.2f} | {ours_s / floor_s:.2f}x | "
                    f"{made.size / 1e6:.1f} | {rss:.0f} |"
                )
                made.path.unlink()
                print(rows[-1], file=sys.stderr)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows += [
            "",
            f"The benchmark process itself (the store{' in memory' if args.store is None else ''}): peak RSS {own:.0f} MB.",
        ]
    emit("\n".join(rows), args.out)


if __name__ == "__main__":
    main()
