"""The pages a person opens first, on the bundled graph (the reference, 1.00x) and on a large
synthetic graph: the landing page's size and first render, a search, the catalogue's first
request once the server has started making the dumps. In process, through the Flask app (no
HTTP), on a new on-disk store per scale.

    .venv/bin/python bench/bench_pages.py --scale 200000 [--out results.md]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import emit
from imagraph.core import Core
from imagraph.generate import write_ntriples
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app

ROOT = Path(__file__).resolve().parents[1]
HTML = {"Accept": "text/html"}


def measure(store: Path, dumps: Path) -> dict[str, float]:
    settings = Settings(site=ROOT, store=str(store), dump_dir=dumps)
    core = Core.open(settings, read_only=True)
    app = create_app(Instance(core, settings))
    site = app.extensions["imagraph"]
    site.start_dumps()  # as a server does when it starts
    client = app.test_client()
    out: dict[str, float] = {"triples": core.store.count()}
    start = time.perf_counter()
    page = client.get("/?lang=en", headers=HTML)
    out["landing s"] = time.perf_counter() - start
    out["landing KB"] = len(page.data) / 1000
    start = time.perf_counter()
    client.get("/search?q=stadt&lang=en", headers=HTML)
    out["search s"] = time.perf_counter() - start
    start = time.perf_counter()
    client.get("/catalog?lang=en", headers=HTML)
    out["catalogue s"] = time.perf_counter() - start
    site.downloads.made(wait=300)  # let the child finish before its folder goes
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=200_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bundled = Core.open(Settings(site=ROOT, store=str(folder / "bundled")))
        bundled.store.flush()
        del bundled
        reference = measure(folder / "bundled", folder / "dumps-bundled")
        data = folder / "gen.nt"
        write_ntriples(data, scale=args.scale)
        big = Core.open(Settings(site=ROOT, store=str(folder / "big")), load=False)
        big.bulk_load([data])
        big.store.flush()
        del big
        large = measure(folder / "big", folder / "dumps-big")
    for key in ("landing KB", "landing s", "search s", "catalogue s"):
        ratio = large[key] / reference[key] if reference[key] else float("nan")
        rows.append(f"| {key} | {reference[key]:.3f} | {large[key]:.3f} | {ratio:.2f}x |")
    text = "\n".join(
        [
            f"| figure | bundled ({reference['triples']:,.0f} quads, 1.00x) | "
            f"synthetic ({large['triples']:,.0f} quads) | ratio |",
            "|---|---:|---:|---:|",
            *rows,
        ]
    )
    emit(text, args.out)


if __name__ == "__main__":
    main()
