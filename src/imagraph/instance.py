"""One deployment of imagraph: a site served from a store, and all its state.

An :class:`Instance` owns what serving a site needs: its settings, its core (the store and the
data version), the query runners, the query and validation slots, the write state (tokens read
once, the lock, the listeners told of each change), the downloads, the catalogue's parts, the
stored queries, the vocabulary's labels and a cache of answers. Nothing of it lives in a module:
two instances in one process (two sites, or a test beside another) share nothing.

What the worker processes of one server share is made before they fork, as :class:`Shared`.
The web application is made from an instance (:func:`imagraph.web.create_app`).
"""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass
from typing import Any

from . import catalog, extensions, isolation
from . import queries as stored_queries
from .cache import VersionCache
from .changes import Listener
from .context import context_document
from .core import Core
from .downloads import Downloads
from .errors import BadInputError, ImagraphError
from .labels import Labels
from .namespaces import compact
from .settings import Settings
from .site import SITE_FILE
from .slots import Slots, sizes
from .sparql import Limits, RunnerPool
from .writes import Writes


@dataclass(frozen=True)
class Shared:
    """What the processes serving one instance share: the query and validation slots, the lock
    that makes writes one at a time, and the count of writes (None: one process)."""

    slots: dict[str, Slots]
    write_lock: Any
    write_count: Any = None

    @classmethod
    def make(cls, settings: Settings, *, processes: bool = False, writers: bool = False) -> Shared:
        """Made before a server forks its workers (``processes``), or for one process; with
        ``writers``, several of the processes write (and count their writes, so that each
        notices the others' at once)."""
        return cls(
            {kind: Slots(kind, *sizes(kind, settings)) for kind in ("query", "validation")},
            multiprocessing.Lock() if processes else threading.Lock(),
            multiprocessing.Value("Q", 0) if processes and writers else None,
        )


class Instance:
    """A site served from a store (see the module's text)."""

    def __init__(
        self,
        core: Core,
        settings: Settings | None = None,
        *,
        shared: Shared | None = None,
        listeners: list[Listener] | None = None,
    ) -> None:
        settings = settings or core.settings
        if core.settings.base_iri != settings.base_iri:
            raise ValueError("the core and the instance must use the same base IRI")
        self.core = core
        self.settings = settings
        config = settings.config
        shared = shared or Shared.make(settings)
        self.slots = shared.slots
        self.writes = Writes(
            core, lock=shared.write_lock, count=shared.write_count, listeners=listeners
        )
        self.limits = Limits.from_settings(settings)
        self._runners: RunnerPool | None = None
        self._confined: bool | None = None
        self.labels: Labels = core.term_labels()
        self.inverse_labels: Labels = core.term_labels(inverse=True)
        #: What the query editor completes: the terms with a label, as prefixed names.
        self.completions = sorted(
            {
                name
                for iri in self.labels
                if ":" in (name := compact(iri, config.prefixes)) and "/" not in name
            }
        )
        self.context: dict[str, Any] = context_document(settings.ontology_path, config.prefixes)
        self.queries = stored_queries.load(settings.queries_path, config.languages)
        self.parts = {
            p.id: p
            for p in catalog.load_parts(
                settings.site / "catalog" / "datasets.toml", config.languages
            )
        }
        self._check_named_queries()
        self.downloads = Downloads(core, self.parts)
        self.cache = VersionCache(lambda: core.version, settings.cache_entries)
        #: The site's extensions (see :mod:`imagraph.extensions`), attached last.
        self.extensions = extensions.load(
            settings.site, config.extensions, f"{settings.site / SITE_FILE}: extensions"
        )
        extensions.attach(self.extensions, "attach", self)

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        load: bool = True,
        read_only: bool = False,
        shared: Shared | None = None,
    ) -> Instance:
        """The instance of ``settings`` (default: from the environment) on its store, with the
        bundled files loaded into a new one (see :meth:`Core.open`)."""
        settings = settings or Settings.from_env()
        core = Core.open(settings, load=load, read_only=read_only)
        return cls(core, settings, shared=shared)

    def _check_named_queries(self) -> None:
        config = self.settings.config
        named = [("catalog.period", config.catalog.period)] + [
            (f"landing #{i}", section.query) for i, section in enumerate(config.landing, 1)
        ]
        for key, name in named:
            if name and name not in self.queries:
                raise BadInputError(
                    f"{self.settings.site / SITE_FILE}: {key} names the stored query {name!r}, "
                    f"which is not in {self.settings.queries_path}"
                )

    # -- what requests read --------------------------------------------------------------------

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

    @property
    def runners(self) -> RunnerPool:
        """The query runners of this process (forked when first needed; a worker forked from a
        process that had some makes its own)."""
        if self._runners is None:
            self._runners = RunnerPool.for_store(self.core.store, self.limits)
        return self._runners

    def site_query(self, name: str) -> str | None:
        """The text of a stored query ``site.toml`` names (None for no name), in the site's
        first language."""
        return self.queries[name].text("query", self.languages[0]) if name else None

    def term_label(self, iri: str, lang: str, inverse: bool = False) -> str | None:
        """A vocabulary term's label for a reader of ``lang``; with ``inverse``, the label of a
        link read from the resource it points to."""
        return (self.inverse_labels if inverse else self.labels).get(iri, lang)

    def confined(self) -> bool:
        """Whether a confined child is kept off the network here (a child tries, once)."""
        if self._confined is None:
            try:
                self._confined = isolation.probe()
            except ImagraphError:
                self._confined = False
        return self._confined

    def close(self) -> None:
        """Stop the query runners (the store closes with the instance)."""
        if self._runners is not None:
            self._runners.stop()
            self._runners = None
