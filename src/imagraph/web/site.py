"""Per-app state: the core, vocabulary labels, the JSON-LD context and caches keyed by version."""

from __future__ import annotations

import gzip
import hashlib
import io
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from .. import catalog, formats
from .. import queries as stored_queries
from ..core import Core
from ..namespaces import PREFIXES
from ..settings import Settings
from .rdfout import context_document

#: Dump files: name → (format, gzip?).
#: Dump files of the whole dataset: name → (format, gzip?).
DUMPS = {
    f"imanoeb.{fmt.extension}{'.gz' if gz else ''}": (fmt, gz)
    for fmt in (formats.TRIG, formats.NQUADS, formats.TURTLE, formats.NTRIPLES, formats.JSONLD)
    for gz in (False, True)
}
#: Formats of the dumps of a catalogue dataset that is part of the graph.
PART_FORMATS = (formats.TURTLE, formats.NTRIPLES, formats.JSONLD)


@dataclass(frozen=True)
class Dump:
    name: str
    media_type: str
    body: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.body)

    @property
    def fmt(self) -> formats.Format:
        name = self.name.removesuffix(".gz")
        return formats.guess(name)

    @property
    def gzip(self) -> bool:
        return self.name.endswith(".gz")


class Site:
    """What every request handler needs, built once per app."""

    def __init__(self, core: Core, settings: Settings, cache_size: int = 2048) -> None:
        self.core = core
        self.settings = settings
        self.labels = core.term_labels()
        self.context: dict[str, Any] = context_document(core.settings.ontology_path)
        self.queries = stored_queries.load(settings.queries_path)
        self.parts = {
            p.id: p for p in catalog.load_parts(settings.root / "catalog" / "datasets.toml")
        }
        self._cache: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._cache_size = cache_size
        self._dumps: dict[str, Dump] = {}
        self._dumps_version = ""

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
        value = self._cache.get(key)
        if value is not None:
            self._cache.move_to_end(key)
        return value

    def remember(self, key: tuple[object, ...], value: object) -> None:
        if self._cache_size <= 0:
            return
        self._cache[(self.version, *key)] = value
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def term_label(self, iri: str, lang: str) -> str | None:
        labels = self.labels.get(iri)
        if not labels:
            return None
        return labels.get(lang) or labels.get("en") or labels.get("") or next(iter(labels.values()))

    def dump_names(self, part_id: str = "imanoeb") -> list[str]:
        """The dump files of a catalogue dataset (the whole graph, or a part of it)."""
        part = self.parts.get(part_id)
        if part is None:
            return []
        if not part.graphs:
            return list(DUMPS)
        return [f"{part.id}.{fmt.extension}{gz}" for fmt in PART_FORMATS for gz in ("", ".gz")]

    def _dump_spec(self, name: str) -> tuple[formats.Format, bool, list[str] | None] | None:
        if name in DUMPS:
            return (*DUMPS[name], None)
        part_id = name.split(".", 1)[0]
        part = self.parts.get(part_id)
        if part is None or not part.graphs or name not in self.dump_names(part_id):
            return None
        fmt = formats.guess(name.removesuffix(".gz"))
        return fmt, name.endswith(".gz"), [self.settings.graph_iri(g) for g in part.graphs]

    def dump(self, name: str) -> Dump | None:
        """A dump file, made on first request for the current data version."""
        spec = self._dump_spec(name)
        if spec is None:
            return None
        if self._dumps_version != self.version:
            self._dumps, self._dumps_version = {}, self.version
        if name not in self._dumps:
            fmt, gz, graphs = spec
            out = io.BytesIO()
            if graphs is None:
                self.core.store.dump(out, fmt)
            else:
                triples = dict.fromkeys(self.core.store.triples(graphs))
                ox.serialize(triples, out, format=fmt.oxigraph, prefixes=PREFIXES)
            body = out.getvalue()
            if gz:
                body = gzip.compress(body, compresslevel=6, mtime=0)
            media = "application/gzip" if gz else fmt.media_type
            self._dumps[name] = Dump(name, media, body, hashlib.sha256(body).hexdigest())
        return self._dumps[name]
