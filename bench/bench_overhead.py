"""Where imagraph's time over the floor goes, for one uncached resource (see bench/README.md).

In process, the same WSGI environments (every resource of the bundled data, median of
``--rounds``) go to: the floor app (``floor_app.py``); the floor app serving imagraph's
description of the resource (the triples imagraph sends: the labels of linked resources and the
incoming links too) through the same serialiser; and imagraph's app, response cache off. Over
HTTP at one connection (``wrk``, every resource in turn, rounds alternated, 1 worker each): the
floor under gunicorn's sync worker; imagraph's app under gunicorn's sync worker (``wsgi_app.py``:
without imagraph's worker and its access log); and ``imagraph serve``.

Usage: python bench/bench_overhead.py [--formats ttl nt] [--rounds 3] [--seconds 3] [--no-http]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Flask, Response, request

from bench_deref import FORMATS, load_test, serving, subjects  # bench/ (scripts run from bench/)
from common import emit, free_port
from imagraph.instance import Instance
from imagraph.settings import Settings
from imagraph.web import create_app

ROOT = Path(__file__).resolve().parents[1]


def described_floor(instance: Instance, floor: Any) -> Flask:
    """The floor app (module ``floor``), with imagraph's description of a resource instead of
    its own triples, in the floor's formats and with its serialisers (HTML: its table)."""
    app = Flask("described_floor")
    store, base = instance.core.store, instance.settings.base_iri

    @app.get("/<path:path>")
    def resource(path: str) -> Response:
        triples = store.describe(base + path)
        accept = request.headers.get("Accept", "")
        if accept == "text/html":
            page = floor.TEMPLATE.render(iri=base + path, triples=triples)
            return Response(page, mimetype="text/html")
        fmt = floor.FORMATS.get(accept, ox.RdfFormat.TURTLE)
        return Response(ox.serialize(triples, format=fmt), mimetype=fmt.media_type)

    return app


def environ(path: str, accept: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "localhost",
        "SERVER_PORT": "8080", "HTTP_HOST": "localhost:8080", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_ACCEPT": accept, "REMOTE_ADDR": "127.0.0.1", "wsgi.multithread": True,
        "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.version": (1, 0),
    }  # fmt: skip


def per_request(app: Any, paths: list[str], accept: str, rounds: int) -> float:
    """Median µs of one WSGI call (its body read), over ``rounds`` passes over ``paths``."""
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    def one_pass() -> float:
        start = time.perf_counter()
        for path in paths:
            b"".join(app(environ(path, accept), start_response))
        return (time.perf_counter() - start) / len(paths) * 1e6

    one_pass()  # warm
    taken = statistics.median(one_pass() for _ in range(rounds))
    if not all(s.startswith("200") for s in statuses):
        raise RuntimeError(f"not every answer was 200: {sorted(set(statuses))}")
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", nargs="+", choices=list(FORMATS), default=["ttl", "nt"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--no-http", dest="http", action="store_false")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    os.chdir(ROOT)  # the bundled site
    instance = Instance.open(Settings.from_env(cache_entries=0))
    base = instance.settings.base_iri
    files = sorted(p for p in (ROOT / "data").iterdir() if p.suffix in (".ttl", ".nt"))
    iris = subjects(files, base, every=1, limit=2000)
    paths = ["/" + i[len(base) :] for i in iris]
    os.environ["IMAGRAPH_FLOOR_BASE"] = base
    os.environ["IMAGRAPH_FLOOR_DATA"] = os.pathsep.join(map(str, files))
    import floor_app  # reads the two above

    apps = {
        "the floor app": floor_app.app,
        "the floor app serving imagraph's description": described_floor(instance, floor_app),
        "imagraph's app (response cache off)": create_app(instance),
    }
    rows = [
        f"{len(paths)} resources of the bundled data, uncached. In process: µs a WSGI call "
        f"(median of {args.rounds} passes).",
        "",
        "| format | " + " | ".join(apps) + " |",
        "|---|" + "---:|" * len(apps),
    ]
    for key in args.formats:
        taken = [per_request(app, paths, FORMATS[key], args.rounds) for app in apps.values()]
        cells = [f"{t:.0f} ({t / taken[0]:.2f}x)" for t in taken]
        rows.append(f"| {FORMATS[key]} | " + " | ".join(cells) + " |")
    if args.http:
        rows += ["", *http(args, base, paths)]
    emit("\n".join(rows), args.out)


def http(args: argparse.Namespace, base: str, paths: list[str]) -> list[str]:
    """p50 at one connection, each server in turn, rounds alternated."""
    py = sys.executable
    sync = [py, "-m", "gunicorn", "-w", "1", "--log-level", "warning"]
    servers = {
        "the floor (gunicorn sync)": (
            [*sync, "bench.floor_app:app"],
            {"IMAGRAPH_FLOOR_BASE": base, "IMAGRAPH_FLOOR_DATA": os.environ["IMAGRAPH_FLOOR_DATA"]},
        ),
        "imagraph's app under gunicorn sync": ([*sync, "bench.wsgi_app:app"], {}),
        "imagraph serve": ([py, "-m", "imagraph.cli", "serve", "--workers", "1"], {}),
    }
    p50: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        listed = Path(tmp) / "paths.txt"
        listed.write_text("\n".join(paths) + "\n")
        urls = {}
        for label, (cmd, env) in servers.items():
            port = free_port()
            bind = ["-b", f"127.0.0.1:{port}"] if "gunicorn" in cmd else ["--port", str(port)]
            urls[label] = f"http://127.0.0.1:{port}/"
            env = {**env, "IMAGRAPH_CACHE_ENTRIES": "0", "PYTHONPATH": os.pathsep.join(sys.path)}
            stack.enter_context(serving([*cmd, *bind], env, urls[label] + paths[0].lstrip("/")))
        for round_ in range(args.rounds):
            for key in args.formats:
                for label, url in urls.items():
                    got = load_test(url, listed, FORMATS[key], args.seconds, 1, round_ == 0)
                    if got["errors"]:
                        raise RuntimeError(f"{label}: {got['errors']:.0f} answers not 2xx")
                    p50.setdefault((key, label), []).append(got["p50"] * 1000)
    rows = [
        f"Over HTTP: p50 µs at one connection (wrk, {args.seconds} s, median of {args.rounds} "
        "rounds), ÷ the floor's.",
        "",
        "| format | " + " | ".join(servers) + " |",
        "|---|" + "---:|" * len(servers),
    ]
    for key in args.formats:
        taken = [statistics.median(p50[key, label]) for label in servers]
        cells = [f"{t:.0f} ({t / taken[0]:.2f}x)" for t in taken]
        rows.append(f"| {FORMATS[key]} | " + " | ".join(cells) + " |")
    return rows


if __name__ == "__main__":
    main()
