"""Dereferencing benchmark (see bench/README.md).

For the bundled data and for generated data (1M triples by default) it measures, in one run and
side by side with the same number of gunicorn workers:

- the floor: ``bench/floor_app.py``, a minimal Flask app over the same engine (own triples in
  the format asked for, the simplest way, nothing else);
- imagraph with its response cache off (every request describes and serialises anew);
- with ``--baseline-src DIR``, the same from another source tree (a checkout of main: before);
- imagraph with its response cache on (the default; not with ``--no-cache-on``);

under load from ``wrk`` (Debian package) cycling through resource paths with the ``Accept``
header of each format of ``--formats`` (default: Turtle): latency p50 and p99 and requests/s.
All servers are up at once, and each round measures every format on every server in turn
(``--repeat`` rounds), so that ratios compare figures of the same minutes. It also times one
dereference in-process (no HTTP): imagraph's description + Turtle against the floor's own
triples + Turtle.

With ``--on-disk`` the generated data is served from an on-disk store (``imagraph load``), by
imagraph and by the floor alike, as 10M triples are served (no in-process row then).

Usage: python bench/bench_deref.py [--scale 1000000] [--workers 2] [--seconds 10] [--on-disk]
       [--formats ttl jsonld nt rdf html] [--repeat N] [--baseline-src DIR] [--out FILE]
       [--connections 32 --threads 16] [--paths 200]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import requests

from common import emit, free_port  # bench/common.py (scripts run from bench/)
from imagraph.generate import SYNTHETIC_BASE, write_ntriples
from imagraph.settings import Settings
from imagraph.store.oxigraph import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
#: The formats measured: the key a row names, and the Accept header wrk sends.
FORMATS = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
    "html": "text/html",
}
LUA = """
paths = {}
counter = 0
accept = "text/turtle"
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  accept = args[2]
end
request = function()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter], {["Accept"] = accept})
end
"""


def wait_until_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if requests.get(url, headers={"Accept": "text/turtle"}, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def parse_wrk(text: str) -> dict[str, float]:
    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if not (p50 and p99 and rps):
        raise RuntimeError(f"cannot read wrk output:\n{text}")
    return {
        "p50": ms(p50.group(1)),
        "p99": ms(p99.group(1)),
        "rps": float(rps.group(1)),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


@contextlib.contextmanager
def serving(cmd: list[str], env: dict[str, str], url: str) -> Iterator[subprocess.Popen[bytes]]:
    """A server started with ``cmd`` and ``env``, up (it answers ``url``) until the end (then
    stopped with ``SIGTERM``, as gunicorn's master stops its workers: gracefully)."""
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(url, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def load_test(
    url: str, paths: Path, accept: str, seconds: int, connections: int, warm: bool = True
) -> dict[str, float]:
    """wrk against ``url``, cycling through ``paths`` with ``Accept: accept`` (after a 2 s
    warm-up if ``warm``)."""
    script = paths.with_suffix(".lua")
    script.write_text(LUA)
    common = ["wrk", "-t1", f"-c{connections}", "-s", str(script), url]
    if warm:
        subprocess.run([*common, "-d2s", "--", str(paths), accept], check=True, capture_output=True)
    out = subprocess.run(
        [*common, f"-d{seconds}s", "--latency", "--", str(paths), accept],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return parse_wrk(out)


def in_process(
    data_files: list[Path], base: str, iris: list[str], rounds: int = 3
) -> tuple[float, float]:
    """Median microseconds for one dereference: (imagraph describe + Turtle, floor)."""
    store = OxigraphStore()
    raw = ox.Store()
    for f in data_files:
        fmt = ox.RdfFormat.from_extension(f.suffix.lstrip("."))
        store.load(
            ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode("http://g/"))
            for q in ox.parse(path=str(f), format=fmt)
        )
        raw.load(path=str(f), format=fmt)
    ours, floor = [], []
    for _ in range(rounds):
        for iri in iris:
            start = time.perf_counter()
            ox.serialize(store.describe(iri), format=ox.RdfFormat.TURTLE)
            mid = time.perf_counter()
            node = ox.NamedNode(iri)
            ox.serialize(
                [
                    ox.Triple(q.subject, q.predicate, q.object)
                    for q in raw.quads_for_pattern(node, None, None)
                ],
                format=ox.RdfFormat.TURTLE,
            )
            end = time.perf_counter()
            ours.append(mid - start)
            floor.append(end - mid)
    return statistics.median(ours) * 1e6, statistics.median(floor) * 1e6


def subjects(files: list[Path], base: str, every: int, limit: int) -> list[str]:
    seen: dict[str, None] = {}
    i = 0
    for f in files:
        for t in ox.parse(path=str(f), format=ox.RdfFormat.from_extension(f.suffix.lstrip("."))):
            if (
                t.predicate == RDF_TYPE
                and isinstance(t.subject, ox.NamedNode)
                and t.subject.value.startswith(base)
            ) and t.subject.value not in seen:
                if i % every == 0:
                    seen[t.subject.value] = None
                i += 1
                if len(seen) >= limit:
                    return list(seen)
    return list(seen)


def servers(
    args: argparse.Namespace, data_dir: Path, base: str, store: Path | None, files: list[Path]
) -> dict[str, tuple[list[str], dict[str, str]]]:
    """The servers compared, by label: their command and environment."""
    py = sys.executable
    floor_env = {
        "IMAGRAPH_FLOOR_BASE": base,
        "PYTHONPATH": str(ROOT),
        **(
            {"IMAGRAPH_FLOOR_STORE": str(store)}
            if store
            else {"IMAGRAPH_FLOOR_DATA": os.pathsep.join(map(str, files))}
        ),
    }
    gunicorn = [py, "-m", "gunicorn", "-w", str(args.workers), "--log-level", "warning"]
    threads = ["--threads", str(args.threads)] if args.threads else []
    found = {
        "floor: minimal Flask app, same engine": (
            [*gunicorn, *threads, "bench.floor_app:app"],
            floor_env,
        )
    }
    imagraph_env = {
        "IMAGRAPH_DATA_DIR": str(data_dir),
        **({"IMAGRAPH_STORE": str(store)} if store else {}),
    }
    serve = [py, "-m", "imagraph.cli", "serve", "--base-iri", base, "--workers", str(args.workers)]
    serve += threads
    found["imagraph, response cache off"] = (serve, {**imagraph_env, "IMAGRAPH_CACHE_ENTRIES": "0"})
    if args.baseline_src:
        found["imagraph from --baseline-src, response cache off"] = (
            serve,
            {**imagraph_env, "IMAGRAPH_CACHE_ENTRIES": "0", "PYTHONPATH": str(args.baseline_src)},
        )
    if args.cache_on:
        found["imagraph, response cache on (default)"] = (
            serve,
            {**imagraph_env, "IMAGRAPH_CACHE_ENTRIES": "2048"},
        )
    return found


def run_dataset(
    name: str, data_dir: Path, base: str, args: argparse.Namespace, tmp: Path,
    store: Path | None = None,
) -> list[str]:  # fmt: skip
    files = sorted(p for p in data_dir.iterdir() if p.suffix in (".ttl", ".nt"))
    iris = subjects(files, base, every=1 if name == "bundled" else 50, limit=args.paths)
    paths = tmp / f"{name}-paths.txt"
    paths.write_text("\n".join("/" + i[len(base) :] for i in iris) + "\n")
    sample = iris[0][len(base) :]
    results: dict[tuple[int, str, str], dict[str, float]] = {}
    with contextlib.ExitStack() as stack:
        urls = {}
        for label, (cmd, env) in servers(args, data_dir, base, store, files).items():
            port = free_port()
            if "gunicorn" in cmd:
                cmd = [*cmd, "-b", f"127.0.0.1:{port}"]
            else:
                cmd = [*cmd, "--port", str(port)]
            urls[label] = f"http://127.0.0.1:{port}/"
            stack.enter_context(serving(cmd, env, urls[label] + sample))
        # side by side: each format on every server in turn, the whole round repeated
        for round_ in range(args.repeat):
            for key in args.formats:
                for label, url in urls.items():
                    results[round_, key, label] = load_test(
                        url, paths, FORMATS[key], args.seconds, args.connections, round_ == 0
                    )
    floor_label = next(iter(urls))
    rows = []
    for (round_, key, label), r in results.items():
        floor = results[round_, key, floor_label]
        rows.append(
            f"| {name} | {round_ + 1} | {key} | {label} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['rps']:.0f} | {r['p50'] / floor['p50']:.2f}x | {floor['rps'] / r['rps']:.2f}x | "
            f"{int(r['errors'])} |"
        )
    if args.repeat > 1:  # the median of each round's ratio, and the range
        for key in args.formats:
            for label in urls:
                ratios = sorted(
                    results[r, key, label]["p50"] / results[r, key, floor_label]["p50"]
                    for r in range(args.repeat)
                )
                rps = sorted(
                    results[r, key, floor_label]["rps"] / results[r, key, label]["rps"]
                    for r in range(args.repeat)
                )
                p50 = statistics.median(results[r, key, label]["p50"] for r in range(args.repeat))
                rate = statistics.median(results[r, key, label]["rps"] for r in range(args.repeat))
                rows.append(
                    f"| {name} | median of {args.repeat} | {key} | {label} | {p50:.2f} | | "
                    f"{rate:.0f} | **{statistics.median(ratios):.2f}x** ({ratios[0]:.2f}–"
                    f"{ratios[-1]:.2f}) | {statistics.median(rps):.2f}x ({rps[0]:.2f}–{rps[-1]:.2f})"
                    " | |"
                )
    if store is not None or not args.in_process:  # 10M+ triples: not loaded twice more
        return rows
    ours_us, floor_us = in_process(files, base, iris[:500])
    rows.append(
        f"| {name} | | ttl | in-process, one dereference (describe + Turtle) vs floor: "
        f"{ours_us:.0f} µs vs {floor_us:.0f} µs | | | | {ours_us / floor_us:.2f}x | | |"
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--threads", type=int, help="threads per worker, the floor's and imagraph's alike"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds over formats and servers")
    parser.add_argument(
        "--paths",
        type=int,
        default=2000,
        help="resources cycled through (default 2,000; 200 for cached answers: all of them kept "
        "in the default response cache, in every format, after the first round's warm-up)",
    )
    parser.add_argument(
        "--formats", nargs="+", choices=list(FORMATS), default=["ttl"], help="default: ttl"
    )
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--on-disk", action="store_true", help="serve the generated data from an on-disk store"
    )
    parser.add_argument("--no-bundled", action="store_true", help="only the generated data")
    parser.add_argument(
        "--baseline-src", type=Path, help="also imagraph from this src folder (e.g. of main)"
    )
    parser.add_argument(
        "--no-cache-on", dest="cache_on", action="store_false", help="no cached imagraph row"
    )
    parser.add_argument(
        "--no-in-process", dest="in_process", action="store_false", help="no in-process row"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    rows = [
        f"Workers: {args.workers} gunicorn workers each"
        + (f" of {args.threads} threads" if args.threads else "")
        + "; load: wrk, 1 thread, "
        f"{args.connections} connections, {args.seconds} s (the first round after a 2 s warm-up), "
        f"cycling through up to {args.paths:,} resources; each round measures every format on "
        "every server in turn.",
        "",
        "| data | round | format | server | p50 ms | p99 ms | requests/s | p50 / floor "
        "| floor rps / rps | non-2xx |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if not args.no_bundled:
            rows += run_dataset(
                "bundled", ROOT / "data", Settings(site=ROOT).config.base_iri, args, tmp
            )
        gen_dir = tmp / "generated"
        gen_dir.mkdir()
        n = write_ntriples(gen_dir / "generated.nt", scale=args.scale)
        store = None
        if args.on_disk:  # the on-disk store, as 10M triples are served
            store = tmp / "store"
            subprocess.run(
                [sys.executable, "-m", "imagraph.cli", "--base-iri", SYNTHETIC_BASE,
                 "--store", str(store), "load", str(gen_dir / "generated.nt")],
                cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        label = f"generated {n:,}" + (" (on disk)" if store else "")
        rows += run_dataset(label, gen_dir, SYNTHETIC_BASE, args, tmp, store)
    emit("\n".join(rows), args.out)


if __name__ == "__main__":
    main()
