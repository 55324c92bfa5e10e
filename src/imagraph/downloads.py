"""The downloads of a site: the dump files it offers (the whole dataset in each format, and each
catalogue dataset that is a part of the graph) and each one made for the current data version
(see :mod:`imagraph.dumps` for how they are made and kept)."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

import pyoxigraph as ox

from . import formats
from .catalog import Part
from .core import Core
from .dumps import DumpFile, Dumps, Spec, folder_of
from .errors import DumpFailedError, DumpNotReadyError
from .store import Store

#: Formats of the dumps of the whole dataset (each plain and gzipped).
WHOLE_FORMATS = formats.dumps()
#: Formats of the dumps of a catalogue dataset that is part of the graph (its graphs' union).
PART_FORMATS = formats.dumps(formats.GRAPH)
#: Seconds a request waits for a dump being made before it is told to come back (503).
DUMP_WAIT = 10.0
#: Seconds a listing of the dumps (the catalogue, /dumps) waits for dumps being made: it lists
#: them without size and checksum meanwhile, under another ETag, so it is fetched again later.
LIST_WAIT = 1.0


class Downloads:
    """The dump files of one instance, by name."""

    def __init__(self, core: Core, parts: dict[str, Part]) -> None:
        self.core = core
        self.parts = parts
        settings = core.settings
        #: Dump files of the whole dataset, named after the site: name → (format, gzip?).
        self.whole = {
            f"{settings.config.name}.{fmt.extension}{'.gz' if gz else ''}": (fmt, gz)
            for fmt in WHOLE_FORMATS
            for gz in (False, True)
        }
        self.dumps = Dumps(folder_of(settings))
        #: Every dump file: name → how it is made (the catalogue's parts are fixed at start).
        self.specs = self._specs()
        self._all_made: tuple[str, dict[str, DumpFile]] = ("", {})

    def names(self, part_id: str) -> list[str]:
        """The dump files of a catalogue dataset (the whole graph, or a part of it)."""
        part = self.parts.get(part_id)
        if part is None:
            return []
        if not part.graphs:
            return list(self.whole)
        return [f"{part.id}.{fmt.extension}{gz}" for fmt in PART_FORMATS for gz in ("", ".gz")]

    def _specs(self) -> dict[str, Spec]:
        """Every dump file: of the whole dataset, and of each catalogue dataset that is a part."""
        specs: dict[str, Spec] = {}
        for name, (fmt, gz) in self.whole.items():
            specs[name] = (fmt, gz, _writer(fmt, None))
        for part in self.parts.values():
            if part.graphs:
                graphs = [self.core.settings.graph_iri(g) for g in part.graphs]
                for name in self.names(part.id):
                    fmt = formats.guess(name.removesuffix(".gz"))
                    specs[name] = (fmt, name.endswith(".gz"), _writer(fmt, graphs))
        return specs

    def get(self, name: str) -> DumpFile | None:
        """A dump file (None: no such dump), made for the current data version by a child
        process; :class:`DumpNotReadyError` if it is still being made after a few seconds."""
        if name not in self.specs:
            return None
        made = self._made(first=name)
        if name in made and not made[name].path.is_file():
            # removed by a server of the same store that has moved on to a newer version
            self._all_made = ("", {})
            made = self._made(first=name)
        version = self.core.version
        if name not in made and (why := self.dumps.failure(version, name)) is not None:
            raise DumpFailedError(f"The dump {name} of this version of the data {why}")
        if name not in made:
            raise DumpNotReadyError(
                f"The dump {name} of this version of the data is being made; "
                "try again in a few seconds."
            )
        return made[name]

    def made(self, wait: float | None = None) -> dict[str, DumpFile]:
        """The dump files made for the current data version, waiting up to ``wait`` seconds
        (:data:`LIST_WAIT`) for the rest."""
        return self._made(first=None, wait=LIST_WAIT if wait is None else wait)

    def start(self) -> None:
        """Have the current version's dumps made now, in a child, without waiting (a server
        calls this as it starts: the first harvester finds them made)."""
        self._made(first=None, wait=0.0)

    def _made(self, first: str | None, wait: float | None = None) -> dict[str, DumpFile]:
        wait = DUMP_WAIT if wait is None else wait
        version = self.core.version
        if self._all_made[0] == version:  # all made: nothing to look up on disk again
            return self._all_made[1]
        made = self.dumps.get(self.core.store, version, self.specs, first, wait)
        if len(made) == self.total(version):
            self._all_made = (version, made)
        return made

    def all_made(self) -> bool:
        """Whether every dump of this version that can be made is made (known without looking
        on disk once :meth:`made` has seen them all)."""
        return self._all_made[0] == self.core.version

    def total(self, version: str | None = None) -> int:
        """How many dumps this version of the data has: every one, but those that cannot be
        made from it (see :meth:`Dumps.failure`)."""
        version = version or self.core.version
        return sum(self.dumps.failure(version, n) is None for n in self.specs)


def _writer(fmt: formats.Format, graphs: list[str] | None) -> Callable[[IO[bytes], Store], None]:
    """How a dump in ``fmt`` is written: the whole dataset, or a few graphs without
    duplicates."""

    def write(out: IO[bytes], store: Store) -> None:
        if graphs is None:
            store.dump(out, fmt)
        else:
            triples = dict.fromkeys(store.triples(graphs))
            ox.serialize(triples, out, format=fmt.oxigraph, prefixes=store.prefixes)

    return write
