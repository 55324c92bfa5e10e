"""The core: the bundled graph (ontology, shapes, data) in a store, and what is done with it.

Each file is loaded into its own named graph: ``{base}graph/ontology``, ``{base}graph/shapes``
and ``{base}graph/data/{file stem}``.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from rdflib import Graph

from . import formats, loading, stamps
from .errors import NotFoundError
from .labels import Labels
from .namespaces import PREFIXES
from .settings import Settings
from .store import Store, bind, open_store
from .validation import ValidationResult, validate

T = TypeVar("T")

#: Seconds between checks of a remote store's data version (see :meth:`Core.refresh`).
VERSION_CHECK = 2.0


@dataclass(frozen=True)
class LoadReport:
    """What :meth:`Core.load_bundled` loaded: quads per named graph, and how long it took."""

    graphs: dict[str, int]
    seconds: float


def _turtle_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise NotFoundError(f"{folder}: no such folder")
    return sorted(p for p in folder.iterdir() if p.suffix in (".ttl", ".nt", ".trig", ".nq"))


def now() -> datetime:
    """The time of a change: UTC, whole seconds (HTTP dates have no more)."""
    return datetime.now(UTC).replace(microsecond=0)


TERM_LABELS = (
    "SELECT ?term ?p ?label WHERE { VALUES ?p { rdfs:label skos:prefLabel } ?term ?p ?label "
    "FILTER(isIRI(?term) && isLiteral(?label)) }"
)
#: The time of the last write to a graph, from the records of the changes (see :mod:`writes`).
LAST_WRITE = (
    "SELECT (MAX(?t) AS ?last) WHERE { VALUES ?g { $graph } "
    "?c prov:generated|prov:invalidated ?g ; prov:startedAtTime ?t }"
)
INVERSE_LABELS = (
    "SELECT ?term ?p ?label WHERE { VALUES ?p { $inverse } ?term ?p ?label "
    "FILTER(isIRI(?term) && isLiteral(?label)) }"
)


class Core:
    """The graph of one imagraph instance, with its settings and store."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._shapes: Graph | None = None
        self._ontology: Graph | None = None
        #: What was derived from the shapes graph (see :meth:`from_shapes`).
        self._derived: dict[Callable[[Graph], Any], Any] = {}
        #: A hash of everything loaded: it changes exactly when the data changes (ETags use it).
        self.version = "empty"
        #: When the data last changed (UTC, whole seconds): the Last-Modified of every page. The
        #: newest content date of the bundled files (see :mod:`imagraph.stamps`), or the time of
        #: the last write; kept in the store's meta graph with the version, so every worker,
        #: every restart and every clone of the same data says the same.
        self.modified = datetime.fromtimestamp(0, UTC)
        #: When each bundled graph's files last changed (by graph IRI), kept there too.
        self.loaded: dict[str, datetime] = {}
        self._checked = time.monotonic()
        self._counts: tuple[str, int, dict[str, int]] | None = None
        #: The count of this server's writes when this core last took its version (see
        #: :func:`writes.notice`).
        self.writes_seen = 0

    @classmethod
    def open(
        cls, settings: Settings | None = None, *, load: bool = True, read_only: bool = False
    ) -> Core:
        """A core on the configured store, with the bundled files loaded (unless ``load=False``).

        An on-disk store that already holds data is served as it is (with the writes made to it);
        ``read_only`` opens it for reading only, as the workers of a server share it.
        """
        settings = settings or Settings.from_env()
        core = cls(settings, open_store(settings, read_only=read_only))
        store = core.store
        if read_only or (
            store.persistent and (not load or core._stored_version() is not None)
        ):  # a store that keeps its data (on disk, remote) is served as it is, with its writes
            core._take_stored()
        elif load:
            core.load_bundled()
        return core

    def refresh(self, max_age: float = VERSION_CHECK) -> None:
        """Notice writes made by other processes to a remote store (``imagraph load``, another
        server): its stored version is read again, at most every ``max_age`` seconds; a new one
        starts caches, ETags and the store's list of graphs anew."""
        if not self.store.shared or time.monotonic() - self._checked < max_age:
            return
        self._checked = time.monotonic()
        stored = self._stored_version()
        if stored is not None and stored != self.version:
            self._take_stored()
            self._forget_graphs()
            self.store.forget()

    def counts(self) -> tuple[int, dict[str, int]]:
        """The quads of the store and the triples of each named graph, counted by the store once
        per data version (at 10M triples on disk, counting reads the whole store for seconds)."""
        if self._counts is None or self._counts[0] != self.version:
            version = self.version
            graphs = {g: self.store.count(g) for g in self.store.graphs()}
            self._counts = (version, self.store.count(), graphs)
        return self._counts[1], self._counts[2]

    def _meta(self) -> tuple[str, ox.NamedNode, ox.NamedNode]:
        graph = self.settings.graph_iri("meta")
        return graph, ox.NamedNode(graph), ox.NamedNode(PREFIXES["owl"] + "versionInfo")

    def _stored(self) -> dict[str, str]:
        """The meta graph's values: ``versionInfo`` and ``modified`` (if stored)."""
        graph, node, _ = self._meta()
        return {
            t.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: t.object.value
            for t in self.store.about(node, [graph])
            if isinstance(t.object, ox.Literal)
        }

    def _stored_loaded(self) -> dict[str, datetime]:
        """The meta graph's content date of each bundled graph (see :attr:`loaded`)."""
        graph, node, _ = self._meta()
        out = {}
        # a query, not the graph's triples: a remote store reads whole graphs only through a
        # Graph Store endpoint, which a read-only server may not have
        rows = self.store.query(
            bind("SELECT ?g ?d WHERE { ?g dct:modified ?d FILTER(?g != $meta) }", meta=node),
            default_graphs=[graph],
        ).rows()
        for row in rows:
            with contextlib.suppress(ValueError):
                out[row["g"].value] = datetime.fromisoformat(row["d"].value).astimezone(UTC)
        return out

    def _stored_version(self) -> str | None:
        return self._stored().get("versionInfo")

    def _take_stored(self) -> None:
        """Take the version and modification time the store holds."""
        stored = self._stored()
        self.version = stored.get("versionInfo") or self.version
        if "modified" in stored:
            with contextlib.suppress(ValueError):
                self.modified = datetime.fromisoformat(stored["modified"]).astimezone(UTC)
        self.loaded = self._stored_loaded()

    def _store_version(self) -> None:
        graph, triples = self.version_graph(self.version, self.modified)
        node = ox.NamedNode(graph)
        self.store.replace_graph(
            graph, [ox.Quad(t.subject, t.predicate, t.object, node) for t in triples]
        )

    # -- loading -------------------------------------------------------------------------------

    @staticmethod
    def bundled_files(s: Settings) -> dict[str, list[Path]]:
        """The files of each named graph (by short name: ``ontology``, ``shapes``, ``data/x``)."""
        files: dict[str, list[Path]] = {
            "ontology": _turtle_files(s.ontology_path),
            # labels of the standard terms the site uses (optional)
            "labels": _turtle_files(labels)
            if (labels := s.ontology_path / "labels").is_dir()
            else [],
            "shapes": _turtle_files(s.shapes_path),
        }
        for path in _turtle_files(s.data_path):
            files[f"data/{loading.file_graph_name(path)}"] = [path]
        return files

    def load_bundled(self) -> LoadReport:
        """(Re)load every bundled file into its named graph, re-minted under the base IRI."""
        start = time.perf_counter()
        digest = hashlib.sha256(self.settings.base_iri.encode())
        minted = self.settings.config.base_iri  # the base the site's files are written under
        remint = self.settings.base_iri != minted
        remap = loading.rebaser(minted, self.settings.base_iri)
        counts = {}
        files = self.bundled_files(self.settings)
        dated = stamps.dated(p for paths in files.values() for p in paths)
        self.loaded = {}
        for name, paths in files.items():
            graph = self.settings.graph_iri(name)
            self.store.clear_graph(graph)
            for path in paths:
                fmt = formats.guess(path)
                if remint:  # re-mint every IRI under the configured base
                    node = ox.NamedNode(graph)
                    self.store.load(
                        remap(
                            ox.Quad(q.subject, q.predicate, q.object, node)
                            for q in loading.parse_file(path, fmt)
                        )
                    )
                else:  # the store's own loader, straight into the graph, once the file is
                    # known to hold RDF 1.1 only (pages, JSON-LD, the shapes have no triple terms)
                    loading.check_file(path, fmt)
                    self.store.load_rdf(loading.read_bytes(path), fmt, graph, source=str(path))
                digest.update(name.encode() + b"\0" + path.read_bytes())
            if paths:
                self.loaded[graph] = max(dated[p].modified for p in paths)
            counts[name] = self.store.count(graph)
        self.version = digest.hexdigest()[:16]
        # the data changed when its files' content did: the same for every worker, every
        # restart and every clone
        self.modified = max(self.loaded.values(), default=datetime.fromtimestamp(0, UTC))
        self._forget_graphs()
        self._store_version()
        return LoadReport(counts, time.perf_counter() - start)

    def next_version(self, change: str) -> str:
        return hashlib.sha256((self.version + change).encode()).hexdigest()[:16]

    def set_version(self, version: str, modified: datetime) -> None:
        """Take a new version that is already stored (see :meth:`version_graph`). A write
        changes data graphs only: the shapes and the ontology read for validation are kept."""
        self.version = version
        self.modified = modified

    def version_graph(self, version: str, modified: datetime) -> tuple[str, list[ox.Triple]]:
        """The meta graph as it is with ``version`` and ``modified`` stored: (its IRI, its
        triples)."""
        graph, node, prop = self._meta()
        dct_modified = ox.NamedNode(PREFIXES["dct"] + "modified")

        def stamp(when: datetime) -> ox.Literal:
            return ox.Literal(when.isoformat(), datatype=ox.NamedNode(PREFIXES["xsd"] + "dateTime"))

        return graph, [
            ox.Triple(node, prop, ox.Literal(version)),
            ox.Triple(node, dct_modified, stamp(modified)),
            *(ox.Triple(ox.NamedNode(g), dct_modified, stamp(w)) for g, w in self.loaded.items()),
        ]

    def modified_of(self, names: tuple[str, ...]) -> datetime:
        """When the named graphs (short names or IRIs) last changed: their files' content
        dates, or the last write to one of them (recorded in ``{base}graph/changes``); when
        no date is known, or for no names (everything), :attr:`modified`."""
        if not names:
            return self.modified
        dates = []
        for name in names:
            iri = name if "://" in name else self.settings.graph_iri(name)
            dates.append(self.loaded.get(iri, self.modified))
            rows = self.store.query(
                bind(LAST_WRITE, graph=ox.NamedNode(iri)),
                default_graphs=[self.settings.graph_iri("changes")],
            ).rows()
            for row in rows:
                if "last" in row:
                    with contextlib.suppress(ValueError):
                        dates.append(datetime.fromisoformat(row["last"].value).astimezone(UTC))
        return max(dates)

    # -- graphs ----------------------------------------------------------------------------------

    def data_graph_iris(self) -> list[str]:
        prefix = self.settings.graph_iri("data/")
        return [g for g in self.store.graphs() if g.startswith(prefix)]

    def graph(self, names: list[str]) -> Graph:
        """An rdflib graph with the triples of the named graphs (short names or IRIs)."""
        iris = [n if "://" in n else self.settings.graph_iri(n) for n in names]
        return loading.to_rdflib(self.store.triples(iris))

    def shapes_graph(self) -> Graph:
        if self._shapes is None:
            self._shapes = self.graph(["shapes"])
        return self._shapes

    def from_shapes(self, make: Callable[[Graph], T]) -> T:
        """What ``make`` derives from the shapes graph, made once for each shapes graph."""
        if make not in self._derived:
            self._derived[make] = make(self.shapes_graph())
        return self._derived[make]  # type: ignore[no-any-return]

    def _forget_graphs(self) -> None:
        """The shapes and ontology are read again when next needed (they may have changed)."""
        self._shapes = None
        self._ontology = None
        self._derived = {}

    def ontology_graph(self) -> Graph:
        if self._ontology is None:
            self._ontology = self.graph(["ontology"])
        return self._ontology

    def bulk_load(self, files: list[Path]) -> dict[str, int]:
        """Load large files into an on-disk store, each into ``data/{stem}``, fast and without
        holding them in memory; the bundled ontology, shapes and data are loaded first if the
        store is new."""
        if self.store.is_empty():
            self.load_bundled()
        counts = {}
        when = now()
        for path in files:
            graph = self.settings.graph_iri(f"data/{loading.file_graph_name(path)}")
            self.store.clear_graph(graph)
            self.store.bulk_load_file(path, formats.guess(path), graph)
            counts[graph] = self.store.count(graph)
            self.loaded[graph] = when
        self.set_version(self.next_version("bulk load " + " ".join(sorted(counts))), when)
        self._store_version()
        self.store.flush()
        self.store.optimize()
        return counts

    def term_labels(self, inverse: bool = False) -> Labels:
        """Labels of vocabulary terms (ours and the standard ones we use); with ``inverse``,
        their labels read backwards (the site's ``inverse_label`` property; none where it has
        none)."""
        config = self.settings.config
        labels = Labels(config.languages)
        query = TERM_LABELS
        if inverse:
            if not (prop := config.vocabulary.inverse_label):
                return labels
            query = bind(INVERSE_LABELS, inverse=ox.NamedNode(prop))
        outcome = self.store.query(
            query,
            default_graphs=[self.settings.graph_iri("ontology"), self.settings.graph_iri("labels")],
        )
        for row in outcome.rows():
            label = row["label"]
            assert isinstance(label, ox.Literal)
            labels.add(row["term"].value, row["p"].value, label)
        return labels

    def validate(self) -> ValidationResult:
        """Validate the data (plus the ontology, for its roles and levels) against the shapes."""
        data = self.graph([*self.data_graph_iris(), "ontology"])
        return validate(data, self.shapes_graph(), self.settings.config.prefixes)

    def validate_graph(self, data: Graph, shapes: Graph | None = None) -> ValidationResult:
        """Validate other data (e.g. a submission) together with our ontology, which is added to
        ``data`` (validation works in place)."""
        for t in self.ontology_graph():
            data.add(t)
        shapes = shapes if shapes is not None else self.shapes_graph()
        return validate(data, shapes, self.settings.config.prefixes)

    # -- figures -----------------------------------------------------------------------------

    def counts_by_class(self) -> list[tuple[str, int]]:
        """Instances per class in the data graphs, most first."""
        outcome = self.store.query(
            "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } "
            "GROUP BY ?class ORDER BY DESC(?n) ?class",
            default_graphs=self.data_graph_iris(),
        )
        return [(r["class"].value, int(r["n"].value)) for r in outcome.rows()]

    def confidence_counts(self) -> dict[str, dict[str, int]]:
        """How many resources and how many single statements carry each confidence level (by
        the level's name), where the site has a confidence property."""
        counts: dict[str, dict[str, int]] = {"resources": {}, "statements": {}}
        confidence = self.settings.config.vocabulary.confidence
        if not confidence:
            return counts
        outcome = self.store.query(
            bind(
                "SELECT ?kind ?level (COUNT(*) AS ?n) WHERE { ?s $confidence ?level "
                "BIND(IF(EXISTS { ?s a rdf:Statement }, 'statements', 'resources') AS ?kind) } "
                "GROUP BY ?kind ?level",
                confidence=ox.NamedNode(confidence),
            ),
            default_graphs=self.data_graph_iris(),
        )
        for r in outcome.rows():
            level = r["level"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            counts[r["kind"].value][level] = int(r["n"].value)
        return counts
