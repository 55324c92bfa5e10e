"""Dereferencing benchmark (see bench/README.md).

For the bundled data and for generated data (1M triples by default) it measures, in one run and
side by side with the same number of gunicorn workers:

- the floor: ``bench/floor_app.py``, a minimal Flask app over the same engine (own triples as
  Turtle, nothing else);
- imagraph with its response cache off (every request describes and serialises anew);
- imagraph with its response cache on (the default);

under load from ``wrk`` (Debian package) cycling through resource paths with ``Accept:
text/turtle``: latency p50 and p99 and requests/s. It also times one dereference in-process (no
HTTP): imagraph's description + Turtle against the floor's own triples + Turtle.

With ``--on-disk`` the generated data is served from an on-disk store (``imagraph load``), by
imagraph and by the floor alike, as 10M triples are served (no in-process row then).

Usage: python bench/bench_deref.py [--scale 1000000] [--workers 2] [--seconds 10] [--on-disk]
       [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import requests

from common import emit, free_port  # bench/common.py (scripts run from bench/)
from imagraph.generate import SYNTHETIC_BASE, write_ntriples
from imagraph.settings import Settings
from imagraph.store.oxigraph import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LUA = """
paths = {}
counter = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter], {["Accept"] = "text/turtle"})
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


def load_test(
    cmd: list[str], env: dict[str, str], port: int, paths: Path, sample: str, seconds: int
) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(url + sample, proc)
        script = paths.with_suffix(".lua")
        script.write_text(LUA)
        subprocess.run(
            ["wrk", "-t1", "-c4", "-d2s", "-s", str(script), url, "--", str(paths)],
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                "-c4",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(script),
                url,
                "--",
                str(paths),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return parse_wrk(out)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


def run_dataset(
    name: str, data_dir: Path, base: str, args: argparse.Namespace, tmp: Path,
    store: Path | None = None,
) -> list[str]:  # fmt: skip
    files = sorted(p for p in data_dir.iterdir() if p.suffix in (".ttl", ".nt"))
    iris = subjects(files, base, every=1 if name == "bundled" else 50, limit=2000)
    paths = tmp / f"{name}-paths.txt"
    paths.write_text("\n".join("/" + i[len(base) :] for i in iris) + "\n")
    sample = iris[0][len(base) :]
    py = sys.executable
    results = {}
    port = free_port()
    results["floor: minimal Flask app, same engine"] = load_test(
        [
            py,
            "-m",
            "gunicorn",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.floor_app:app",
        ],
        {
            "IMAGRAPH_FLOOR_BASE": base,
            "PYTHONPATH": str(ROOT),
            **(
                {"IMAGRAPH_FLOOR_STORE": str(store)}
                if store
                else {"IMAGRAPH_FLOOR_DATA": os.pathsep.join(map(str, files))}
            ),
        },
        port,
        paths,
        sample,
        args.seconds,
    )
    for label, cache in (
        ("imagraph, response cache off", "0"),
        ("imagraph, response cache on (default)", "2048"),
    ):
        port = free_port()
        results[label] = load_test(
            [
                py,
                "-m",
                "imagraph.cli",
                "serve",
                "--base-iri",
                base,
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            {
                "IMAGRAPH_DATA_DIR": str(data_dir),
                "IMAGRAPH_CACHE_ENTRIES": cache,
                **({"IMAGRAPH_STORE": str(store)} if store else {}),
            },
            port,
            paths,
            sample,
            args.seconds,
        )
    floor = results["floor: minimal Flask app, same engine"]
    rows = []
    for label, r in results.items():
        rows.append(
            f"| {name} | {label} | {r['p50']:.2f} | {r['p99']:.2f} | {r['rps']:.0f} | "
            f"{r['p50'] / floor['p50']:.2f}x | {floor['rps'] / r['rps']:.2f}x | {int(r['errors'])} |"
        )
    if store is not None:  # 10M+ triples: not loaded into memory twice more
        return rows
    ours_us, floor_us = in_process(files, base, iris[:500])
    rows.append(
        f"| {name} | in-process, one dereference (describe + Turtle) vs floor: "
        f"{ours_us:.0f} µs vs {floor_us:.0f} µs | | | | {ours_us / floor_us:.2f}x | | |"
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--on-disk", action="store_true", help="serve the generated data from an on-disk store"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    rows = [
        f"Workers: {args.workers} gunicorn sync workers each; load: wrk, 1 thread, 4 connections, "
        f"{args.seconds} s after a 2 s warm-up, Accept: text/turtle, cycling through up to 2,000 resources.",
        "",
        "| data | server | p50 ms | p99 ms | requests/s | p50 / floor | floor rps / rps | non-2xx |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
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
