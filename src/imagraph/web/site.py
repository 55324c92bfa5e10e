"""Per-app state: the core, vocabulary labels, the JSON-LD context and caches keyed by version."""

from __future__ import annotations

import gzip
import hashlib
import io
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .. import formats
from .. import queries as stored_queries
from ..core import Core
from ..settings import Settings
from .rdfout import context_document

#: Dump files: name → (format, gzip?).
DUMPS = {
    f"imanoeb.{fmt.extension}{'.gz' if gz else ''}": (fmt, gz)
    for fmt in (formats.TRIG, formats.NQUADS, formats.TURTLE, formats.NTRIPLES, formats.JSONLD)
    for gz in (False, True)
}


@dataclass(frozen=True)
class Dump:
    name: str
    media_type: str
    body: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.body)


class Site:
    """What every request handler needs, built once per app."""

    def __init__(self, core: Core, settings: Settings, cache_size: int = 2048) -> None:
        self.core = core
        self.settings = settings
        self.labels = core.term_labels()
        self.context: dict[str, Any] = context_document(core.settings.ontology_path)
        self.queries = stored_queries.load(settings.queries_path)
        self._cache: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._cache_size = cache_size
        self._dumps: dict[str, Dump] = {}
        self._dumps_version = ""

    @property
    def version(self) -> str:
        return self.core.version

    def cached(self, key: tuple[object, ...], make: Any) -> Any:
        """A small LRU cache; keys include the data version, so new data misses it."""
        if self._cache_size <= 0:
            return make()
        key = (self.version, *key)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        value = make()
        self._cache[key] = value
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return value

    def term_label(self, iri: str, lang: str) -> str | None:
        labels = self.labels.get(iri)
        if not labels:
            return None
        return labels.get(lang) or labels.get("en") or labels.get("") or next(iter(labels.values()))

    def dump(self, name: str) -> Dump | None:
        """A dump file, made on first request for the current data version."""
        if name not in DUMPS:
            return None
        if self._dumps_version != self.version:
            self._dumps, self._dumps_version = {}, self.version
        if name not in self._dumps:
            fmt, gz = DUMPS[name]
            out = io.BytesIO()
            self.core.store.dump(out, fmt)
            body = out.getvalue()
            if gz:
                body = gzip.compress(body, compresslevel=6, mtime=0)
            media = "application/gzip" if gz else fmt.media_type
            self._dumps[name] = Dump(name, media, body, hashlib.sha256(body).hexdigest())
        return self._dumps[name]
