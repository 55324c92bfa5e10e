"""``imagraph serve``: the app on gunicorn, a production WSGI server with worker processes.

Each worker builds its own app and store after the fork (the embedded store is per process); the
master loads the data once first, so that bad data fails before any worker starts.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import multiprocessing
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from gunicorn.app.base import BaseApplication

from .. import dumps, writes
from ..core import Core
from ..errors import ImagraphError
from ..instance import Instance, Shared
from ..settings import Settings
from ..store import backend_for
from .balance import Board


class Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, shared: Shared, options: dict[str, Any]) -> None:
        self.settings = settings
        self.shared = shared
        self.options = options
        # the connections each worker holds, so that they spread evenly (see balance.py)
        self.board = Board(options["workers"])
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        board = self.board
        # a worker killed (out of memory, past its timeout) cannot give up its place itself
        self.cfg.set("child_exit", lambda arbiter, worker: board.forget(worker.pid))

    def load(self) -> Any:
        from . import create_app

        settings = self.settings
        # a store in memory: each worker loads its own; one on disk or remote: with writes, the
        # one worker (or each, on a remote store) opens it for writing, else all read only
        backend = backend_for(settings)
        read_only = backend.persistent and not writes.tokens(settings)
        instance = Instance.open(settings, read_only=read_only, shared=self.shared)
        # the dumps are made as the server starts (one child for all workers), not when the
        # first harvester asks for the catalogue
        instance.downloads.start()
        return create_app(instance)


def _open_and_close(settings: Settings, errors: Any) -> None:
    try:
        Instance(Core.open(settings)).core.store.flush()
    except ImagraphError as err:
        errors.put(str(err))
    except Exception as err:  # reported to the master, never lost
        errors.put(f"the store could not be opened: {err}")


def prepare(settings: Settings) -> None:
    """Open the store once (loading the bundled files into a new store) and the site's instance
    on it (its stored queries, catalogue, extensions), and close them again: what the workers
    could not start with fails here, once, with its message.

    An on-disk store is opened in a fresh process, never in the master: RocksDB's background
    threads belong to the process that first opens a store and do not survive the fork that
    makes a worker, whose writes would then wait for them forever.
    """
    if not backend_for(settings).spawn_first:
        instance = Instance(Core.open(settings))
        del instance
        gc.collect()
        return
    context = multiprocessing.get_context("spawn")
    errors = context.Queue()
    child = context.Process(target=_open_and_close, args=(settings, errors))
    child.start()
    child.join()
    if not errors.empty():
        raise ImagraphError(errors.get())
    if child.exitcode != 0:
        raise ImagraphError(f"the store could not be opened (exit code {child.exitcode})")


def free_port(host: str, port: int, wait: float = 3.0) -> None:
    """Fail with a hint, before anything starts, if the address cannot be listened on (a port
    in use is tried for ``wait`` seconds, as gunicorn would, while a stopped server lets go)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            with socket.create_server((host, port)):
                return
        except OSError as err:
            if err.errno == errno.EADDRINUSE and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            _cannot_listen(host, port, err)


def _cannot_listen(host: str, port: int, err: OSError) -> NoReturn:
    if err.errno == errno.EADDRINUSE:
        raise ImagraphError(
            f"port {port} on {host} is in use (another server?): choose another with --port N "
            f"(make run PORT=N)"
        ) from None
    if err.errno == errno.EACCES:
        raise ImagraphError(
            f"port {port} on {host} needs privileges: choose one above 1023 with --port N"
        ) from None
    raise ImagraphError(f"cannot listen on {host} port {port}: {err.strerror}") from None


def run(settings: Settings, host: str, port: int, workers: int) -> None:
    backend = backend_for(settings)
    writers = bool(writes.tokens(settings)) and workers > 1
    if writers and not backend.many_writers:
        if not backend.persistent:
            raise ImagraphError(
                "writes to the in-memory store need a single worker (--workers 1): each worker "
                "holds its own copy of the data"
            )
        raise ImagraphError(
            "writes to an on-disk store need a single worker (--workers 1): RocksDB lets one "
            "process open it for writing, and pyoxigraph leaves readers beside a writer "
            "undefined; for several workers with writes, serve a remote store (--store URL)"
        )
    # fail fast, before any worker starts, on data that does not load; an on-disk store is
    # created (with the bundled files) if it does not exist yet
    prepare(settings)
    # the slots, the write lock and the count of writes the workers share (made before they
    # fork): on a remote store, one lock makes the workers' writes one at a time
    shared = Shared.make(settings, processes=True, writers=writers)
    # the workers share the dump folder; an in-memory store's is this server's own
    with control_socket(settings) as ctl, dumps.own_folder(settings) as settings:
        Server(settings, shared, options(settings, host, port, workers, ctl)).run()


def options(
    settings: Settings, host: str, port: int, workers: int, ctl: Path | None
) -> dict[str, Any]:
    """gunicorn's settings for ``imagraph serve``."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        # threads serve pages while others wait for a query's or a validation's child; the
        # worker's event loop reads request heads (see worker.py)
        "worker_class": "imagraph.web.worker.Worker",
        "threads": settings.threads,
        "http_protocols": "h1",
        # the event loop reports to the master whatever the threads do: only a stuck loop
        # gets the worker restarted
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        "logger_class": "imagraph.web.worker.AccessLog",
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "forwarded_allow_ips": "*" if settings.trusted_proxies else "127.0.0.1",
        **(
            {"control_socket": str(ctl), "control_socket_mode": 0o600}
            if ctl is not None
            else {"control_socket_disable": True}
        ),
    }


@contextlib.contextmanager
def control_socket(settings: Settings) -> Iterator[Path | None]:
    """The path of this server's control socket (gunicorn's ``gunicornc`` talks to it): the one
    set with ``IMAGRAPH_CONTROL_SOCKET``, else one in a new private folder of this server, removed
    when it stops (so that two servers never share one); ``off``: none."""
    if settings.control_socket == "off":
        yield None
        return
    if settings.control_socket:
        yield Path(settings.control_socket)
        return
    folder = Path(tempfile.mkdtemp(prefix="imagraph-serve-"))
    try:
        yield folder / "gunicorn.ctl"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
