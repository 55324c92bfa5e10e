"""Plot query latency against graph size from ``bench_sparql.py --json`` figures (PNG).

Usage: python bench/plot.py results.json [more.json ...] -o bench/latency.png
(matplotlib: ``pip install -e '.[bench]'``)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

SERVERS = ("floor", "imagraph", "imagraph on virtuoso", "virtuoso", "rdflib-endpoint")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", type=Path, nargs="+")
    parser.add_argument("-o", "--out", type=Path, default=Path("latency.png"))
    args = parser.parse_args()
    records = [r for path in args.inputs for r in json.loads(path.read_text(encoding="utf-8"))]
    queries = list(dict.fromkeys(r["query"] for r in records))
    fig, axes = plt.subplots(2, (len(queries) + 1) // 2, figsize=(15, 8), sharex=True)
    for ax, query in zip(axes.flat, queries, strict=False):
        for server in SERVERS:
            points = sorted(
                (r["triples"], r[server])
                for r in records
                if r["query"] == query and r.get(server) is not None
            )
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, marker="o", label=server)
        ax.set_title(query)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("triples")
        ax.set_ylabel("ms (median)")
        ax.grid(True, which="both", alpha=0.3)
    axes.flat[0].legend(fontsize="small")
    fig.suptitle("SPARQL query mix: latency against graph size (bench/bench_sparql.py)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(args.out)


if __name__ == "__main__":
    main()
