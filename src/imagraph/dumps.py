"""Dump files: made once per data version, as files on disk, by a child process.

A dump of 10M triples is gigabytes, and making one takes longer than a request may: so a dump is
never held in memory, and never made by the request that asks for it. A child process (forked
from the worker, so that it reads the worker's store, in memory too) writes the dumps one after
the other, streamed into a file and hashed as they are written; a finished dump has its size and
SHA-256 beside it (``NAME.json``). Both are written under a temporary name and renamed into
place, the file first: a file is never rewritten in place, and a reader sees it only once its
size and checksum are there. The workers of a server share the folder: one child makes the
dumps of a version (a file lock), the others wait a few seconds for it, then answer that the
dump is being prepared (503 with ``Retry-After``). Dumps of other data versions are removed once
a version's dumps are made.

The folder is as shared as the data (:func:`folder_of`): the servers of one on-disk or remote
store share one, but the in-memory store is each server's own, and so are its dumps: two of
them may hold the same data version with other bytes (their blank nodes, their writes), and
shared dumps were then served with another server's sizes and checksums.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from . import formats, isolation
from .errors import ImagraphError
from .formats import Format
from .settings import Settings, _package_version
from .store import Store, backend_for

#: Seconds a child may take to make the dumps of one version (then it is stopped; the next
#: request for a missing dump starts another).
BUILD_LIMIT = 6 * 3600
_VERSION = re.compile(r"[0-9A-Za-z_-]{1,64}")
_RESET = (
    signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2,
    signal.SIGWINCH, signal.SIGCHLD, signal.SIGTTIN, signal.SIGTTOU,
)  # fmt: skip


@dataclass(frozen=True)
class DumpFile:
    name: str
    media_type: str
    path: Path
    size: int
    sha256: str

    @property
    def fmt(self) -> Format:
        return formats.guess(self.name.removesuffix(".gz"))

    @property
    def gzip(self) -> bool:
        return self.name.endswith(".gz")


#: What makes one dump: (its RDF format, gzip-compressed?, a writer of its content in that format
#: from a store).
Spec = tuple[Format, bool, Callable[[IO[bytes], Store], None]]


class _Hashing:
    """A write-only file that hashes and counts what is written through it."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        data = bytes(data)
        self.sha.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()


def folder_of(settings: Settings) -> Path | None:
    """The folder of the dumps: ``IMAGRAPH_DUMP_DIR``; else, for an on-disk or remote store, a
    folder in the system's temporary folder shared by every server of that store (their data is
    the same, version for version), keyed by the store, the base IRI, the graphs served and
    imagraph's release (another may write dumps differently); for the in-memory store, None:
    each server has a folder of its own (see :func:`own_folder`)."""
    if settings.dump_dir is not None:
        return settings.dump_dir
    store = backend_for(settings).place(settings)
    if store is None:
        return None
    key = repr((store, settings.base_iri, settings.store_graphs, _package_version()))
    key = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"imagraph-dumps-{os.getuid()}" / key


@contextlib.contextmanager
def own_folder(settings: Settings) -> Iterator[Settings]:
    """``settings`` with a dump folder for a server's workers to share: :func:`folder_of`, or a
    new private folder of this server, removed when it stops."""
    if folder_of(settings) is not None:
        yield settings
        return
    folder = Path(tempfile.mkdtemp(prefix="imagraph-dumps-"))
    try:
        yield replace(settings, dump_dir=folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _remove(folder: Path, owner: int) -> None:
    if os.getpid() == owner:  # never from a child that inherited the finalizer
        shutil.rmtree(folder, ignore_errors=True)


class Dumps:
    """The dump files of one store, in ``folder``/{data version}/ (None: a new private folder,
    removed when this object is)."""

    def __init__(self, folder: Path | None) -> None:
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="imagraph-dumps-"))
            weakref.finalize(self, _remove, folder, os.getpid())
        self.folder = folder

    def _dir(self, version: str) -> Path:
        if not _VERSION.fullmatch(version):
            raise ImagraphError(f"not a data version: {version!r}")
        return self.folder / version

    def ready(self, version: str, name: str) -> DumpFile | None:
        """The finished dump ``name`` of ``version``, or None."""
        folder = self._dir(version)
        try:
            meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        path = folder / name
        try:
            if path.stat().st_size != meta["byteSize"]:
                return None
        except OSError:
            return None
        return DumpFile(name, meta["mediaType"], path, meta["byteSize"], meta["sha256"])

    def failure(self, version: str, name: str) -> str | None:
        """Why the dump ``name`` of ``version`` could not be made, or None."""
        try:
            return (self._dir(version) / f"{name}.failed").read_text(encoding="utf-8")
        except OSError:
            return None

    def get(
        self, store: Store, version: str, specs: dict[str, Spec], first: str | None, wait: float
    ) -> dict[str, DumpFile]:
        """The finished dumps of ``specs`` (``first`` among them made first), waiting up to
        ``wait`` seconds for a child to make the missing ones (for ``first`` alone, where it is
        given); those still missing are left out (the child goes on making them), and so are
        those that cannot be made (:meth:`failure`)."""
        done = {n: d for n in specs if (d := self.ready(version, n)) is not None}
        missing = [n for n in specs if n not in done and self.failure(version, n) is None]
        if not missing:
            return done
        if first in missing:
            missing.remove(first)
            missing.insert(0, first)
        self._start(store, version, {n: specs[n] for n in missing})
        deadline = time.monotonic() + wait
        while missing and time.monotonic() < deadline:
            if first is not None and first not in missing:  # a download waits for its own
                break
            time.sleep(0.02)
            for n in list(missing):
                if (d := self.ready(version, n)) is not None:
                    done[n] = d
                    missing.remove(n)
                elif self.failure(version, n) is not None:
                    missing.remove(n)
        return done

    def _start(self, store: Store, version: str, specs: dict[str, Spec]) -> None:
        """Fork a child that makes the dumps (unless one is making this version's already).

        The lock is taken in the child, never in the worker: held by the worker even for a
        moment, a child the worker forks meanwhile in another thread (a query runner, which
        lives as long as the worker) would inherit it and hold it for good."""
        folder = self._dir(version)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        pid = os.fork()
        if pid == 0:  # the child forks the maker and ends, so that nobody has to wait for it
            code = 1
            try:
                lock = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # another process is making them
                    code = 0
                else:  # the maker holds the lock (inherited) until it ends
                    code = self._make(store, version, specs) if os.fork() == 0 else 0
            finally:
                isolation.end(code)
        os.waitpid(pid, 0)

    def _make(self, store: Store, version: str, specs: dict[str, Spec]) -> int:
        for sig in _RESET:  # the server's handlers are not this process's
            signal.signal(sig, signal.SIG_DFL)
        # confined like every child (the dumps need no network, unless the store is remote)
        isolation.confine(network=store.needs_network, memory=0)
        signal.alarm(BUILD_LIMIT)  # ends this process at the limit
        try:
            self._write(store.for_child(), version, specs)
        except Exception as err:  # reported in the server's log; the next request tries again
            if not self.folder.exists():  # removed with its server (or its app, in tests)
                return 0
            print(f"imagraph: making the dumps of {version} failed: {err}", file=sys.stderr)
            return 1
        return 0

    def _write(self, store: Store, version: str, specs: dict[str, Spec]) -> None:
        folder = self._dir(version)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name, (fmt, gz, write) in specs.items():
            if self.ready(version, name) is not None:
                continue
            part = folder / f".{name}.part"
            try:
                with part.open("wb") as raw:
                    hashing = _Hashing(raw)
                    if gz:
                        with gzip.GzipFile(
                            fileobj=hashing,
                            mode="wb",
                            compresslevel=6,
                            mtime=0,
                        ) as z:
                            write(z, store)  # type: ignore[arg-type]
                    else:
                        write(hashing, store)  # type: ignore[arg-type]
            except (ValueError, OSError) as err:
                if not self.folder.exists():
                    raise
                # this format cannot hold this data (JSON-LD and RDF 1.2 triple terms): said
                # to whoever asks for it, and the other dumps are made
                part.unlink(missing_ok=True)
                failed = folder / f".{name}.failed.part"
                failed.write_text(f"cannot be made in {fmt.title}: {err}", encoding="utf-8")
                os.replace(failed, folder / f"{name}.failed")
                print(f"imagraph: the dump {name} of {version}: {err}", file=sys.stderr)
                continue
            media = "application/gzip" if gz else fmt.media_type
            meta = {"mediaType": media, "byteSize": hashing.size, "sha256": hashing.sha.hexdigest()}
            os.replace(part, folder / name)
            sidecar = folder / f".{name}.json.part"
            sidecar.write_text(json.dumps(meta), encoding="utf-8")
            os.replace(sidecar, folder / f"{name}.json")
        # the dumps of other versions are out of date (a file being sent stays readable); those
        # still being made (a worker that has not seen the new version yet) are left alone
        for other in self.folder.iterdir():
            if other.is_dir() and other.name != version and not _locked(other / ".lock"):
                with contextlib.suppress(OSError):
                    shutil.rmtree(other)


def _locked(path: Path) -> bool:
    """Whether a process holds the lock file ``path`` (is making that version's dumps)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
