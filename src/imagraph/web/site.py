"""Per-app state: the core, vocabulary labels, the JSON-LD context and caches keyed by version."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import IO, Any

import pyoxigraph as ox

from .. import catalog, formats
from .. import queries as stored_queries
from ..core import Core
from ..dumps import DumpFile, Dumps, Spec, folder_of
from ..errors import BadInputError, DumpFailedError, DumpNotReadyError
from ..namespaces import compact
from ..settings import Settings
from ..site import SITE_FILE
from ..store import Store
from .rdfout import context_document

#: Formats of the dumps of the whole dataset (each plain and gzipped).
WHOLE_FORMATS = (formats.TRIG, formats.NQUADS, formats.TURTLE, formats.NTRIPLES, formats.JSONLD)
#: Seconds a request waits for a dump being made before it is told to come back (503).
DUMP_WAIT = 10.0
#: What the cache of a worker's site holds at most, in bytes of the answers it keeps.
CACHE_BYTES = 256 << 20
#: Seconds a listing of the dumps (the catalogue, /dumps) waits for dumps being made: it lists
#: them without size and checksum meanwhile, under another ETag, so it is fetched again later.
LIST_WAIT = 1.0
#: Formats of the dumps of a catalogue dataset that is part of the graph.
PART_FORMATS = (formats.TURTLE, formats.NTRIPLES, formats.JSONLD)


class Site:
    """What every request handler needs, built once per app."""

    def __init__(self, core: Core, settings: Settings, cache_size: int = 2048) -> None:
        self.core = core
        self.settings = settings
        self.labels = core.term_labels()
        self.inverse_labels = core.term_labels(inverse=True)
        #: What the query editor completes: the terms with a label, as prefixed names.
        self.completions = sorted(
            {
                name
                for iri in self.labels
                if ":" in (name := compact(iri, self.prefixes)) and "/" not in name
            }
        )
        self.context: dict[str, Any] = context_document(
            core.settings.ontology_path, core.settings.config.prefixes
        )
        #: Dump files of the whole dataset, named after the site: name → (format, gzip?).
        self.whole_dumps = {
            f"{settings.config.name}.{fmt.extension}{'.gz' if gz else ''}": (fmt, gz)
            for fmt in WHOLE_FORMATS
            for gz in (False, True)
        }
        self.queries = stored_queries.load(settings.queries_path, settings.config.languages)
        self.parts = {
            p.id: p
            for p in catalog.load_parts(
                settings.site / "catalog" / "datasets.toml", settings.config.languages
            )
        }
        config = settings.config
        named = [("catalog.period", config.catalog.period)] + [
            (f"landing #{i}", section.query) for i, section in enumerate(config.landing, 1)
        ]
        for key, name in named:
            if name and name not in self.queries:
                raise BadInputError(
                    f"{settings.site / SITE_FILE}: {key} names the stored query {name!r}, which "
                    f"is not in {settings.queries_path}"
                )
        self._cache: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._cache_size = cache_size
        self._costs: dict[tuple[object, ...], int] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.dumps = Dumps(folder_of(settings))
        #: Every dump file: name → how it is made (the catalogue's parts are fixed at start).
        self.dump_specs = self._dump_specs()
        self._all_made: tuple[str, dict[str, DumpFile]] = ("", {})

    def site_query(self, name: str) -> str | None:
        """The text of a stored query ``site.toml`` names (None for no name), in the site's
        first language."""
        return self.queries[name].text("query", self.languages[0]) if name else None

    @property
    def prefixes(self) -> dict[str, str]:
        """The site's prefixes: queries have them declared, serialisations use them."""
        return self.settings.config.prefixes

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the site offers, the first the default."""
        return self.settings.config.languages

    @property
    def version(self) -> str:
        return self.core.version

    def cached(self, key: tuple[object, ...], make: Any) -> Any:
        """A small LRU cache; keys include the data version, so new data misses it."""
        value = self.lookup(key)
        if value is None:
            value = make()
            self.remember(key, value)
        return value

    def lookup(self, key: tuple[object, ...]) -> Any:
        """What :meth:`remember` kept under ``key`` for this data version, or None."""
        if self._cache_size <= 0:
            return None
        key = (self.version, *key)
        with self._lock:  # the threads of a worker share it
            value = self._cache.get(key)
            if value is not None:
                self._cache.move_to_end(key)
        return value

    def remember(self, key: tuple[object, ...], value: object) -> None:
        """Keep ``value`` (about :func:`_cost` bytes): at most :attr:`_cache_size` values and
        :data:`CACHE_BYTES` bytes, the least recently used out first (a client asking for many
        large answers cannot make a worker hold them all)."""
        cost = _cost(value)
        if self._cache_size <= 0 or cost > CACHE_BYTES // 4:
            return
        full = (self.version, *key)
        with self._lock:
            self._bytes += cost - self._costs.pop(full, 0)
            self._cache[full] = value
            self._costs[full] = cost
            while len(self._cache) > self._cache_size or self._bytes > CACHE_BYTES:
                old, _ = self._cache.popitem(last=False)
                self._bytes -= self._costs.pop(old, 0)

    def term_label(self, iri: str, lang: str, inverse: bool = False) -> str | None:
        """A term's label in ``lang`` (else English, else any); with ``inverse``, the label of
        a link read from the resource it points to."""
        labels = (self.inverse_labels if inverse else self.labels).get(iri)
        if not labels:
            return None
        return (
            labels.get(lang)
            or labels.get(self.languages[0])
            or labels.get("en")
            or labels.get("")
            or next(iter(labels.values()))
        )

    def dump_names(self, part_id: str) -> list[str]:
        """The dump files of a catalogue dataset (the whole graph, or a part of it)."""
        part = self.parts.get(part_id)
        if part is None:
            return []
        if not part.graphs:
            return list(self.whole_dumps)
        return [f"{part.id}.{fmt.extension}{gz}" for fmt in PART_FORMATS for gz in ("", ".gz")]

    def _dump_spec(self, name: str) -> tuple[formats.Format, bool, list[str] | None] | None:
        if name in self.whole_dumps:
            return (*self.whole_dumps[name], None)
        part_id = name.split(".", 1)[0]
        part = self.parts.get(part_id)
        if part is None or not part.graphs or name not in self.dump_names(part_id):
            return None
        fmt = formats.guess(name.removesuffix(".gz"))
        return fmt, name.endswith(".gz"), [self.settings.graph_iri(g) for g in part.graphs]

    def _dump_specs(self) -> dict[str, Spec]:
        """Every dump file: of the whole dataset, and of each catalogue dataset that is a part."""
        specs: dict[str, Spec] = {}
        for part_id in self.parts:
            for name in self.dump_names(part_id):
                spec = self._dump_spec(name)
                assert spec is not None
                fmt, gz, graphs = spec

                def write(
                    out: IO[bytes], store: Store, fmt: formats.Format = fmt,
                    graphs: list[str] | None = graphs,
                ) -> None:  # fmt: skip
                    if graphs is None:
                        store.dump(out, fmt)
                    else:  # a part: a few graphs, without duplicates
                        triples = dict.fromkeys(store.triples(graphs))
                        ox.serialize(triples, out, format=fmt.oxigraph, prefixes=store.prefixes)

                specs[name] = (fmt, gz, write)
        return specs

    def dump(self, name: str) -> DumpFile | None:
        """A dump file (None: no such dump), made for the current data version by a child
        process; :class:`DumpNotReadyError` if it is still being made after a few seconds."""
        if name not in self.dump_specs:
            return None
        made = self._made(first=name)
        if name in made and not made[name].path.is_file():
            # removed by a server of the same store that has moved on to a newer version
            self._all_made = ("", {})
            made = self._made(first=name)
        if name not in made and (why := self.dumps.failure(self.version, name)) is not None:
            raise DumpFailedError(f"The dump {name} of this version of the data {why}")
        if name not in made:
            raise DumpNotReadyError(
                f"The dump {name} of this version of the data is being made; "
                "try again in a few seconds."
            )
        return made[name]

    def made_dumps(self, wait: float | None = None) -> dict[str, DumpFile]:
        """The dump files made for the current data version, waiting up to ``wait`` seconds
        (:data:`LIST_WAIT`) for the rest (see :mod:`imagraph.dumps`)."""
        return self._made(first=None, wait=LIST_WAIT if wait is None else wait)

    def start_dumps(self) -> None:
        """Have the current version's dumps made now, in a child, without waiting (a server
        calls this as it starts: the first harvester finds them made)."""
        self._made(first=None, wait=0.0)

    def _made(self, first: str | None, wait: float | None = None) -> dict[str, DumpFile]:
        wait = DUMP_WAIT if wait is None else wait
        version = self.version
        if self._all_made[0] == version:  # all made: nothing to look up on disk again
            return self._all_made[1]
        made = self.dumps.get(self.core.store, version, self.dump_specs, first, wait)
        if len(made) == self.dump_total(version):
            self._all_made = (version, made)
        return made

    def all_made(self) -> bool:
        """Whether every dump of this version that can be made is made (known without looking
        on disk once :meth:`made_dumps` has seen them all)."""
        return self._all_made[0] == self.version

    def dump_total(self, version: str | None = None) -> int:
        """How many dumps this version of the data has: every one, but those that cannot be
        made from it (see :meth:`Dumps.failure`)."""
        version = version or self.version
        return sum(self.dumps.failure(version, n) is None for n in self.dump_specs)


def _cost(value: object) -> int:
    """About how many bytes a cached value holds: its body, where it has one."""
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, tuple) and value and isinstance(value[0], bytes):
        return len(value[0])
    if isinstance(value, list):  # rows of a few short strings (search results, links)
        return 200 * len(value)
    body = getattr(value, "body", None)
    return len(body) if isinstance(body, bytes) else 0
