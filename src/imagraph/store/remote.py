"""A remote SPARQL 1.1 store (Virtuoso, Fuseki, GraphDB, QLever, Neptune …) behind :class:`Store`.

Only the standard protocols are used, with requests: the SPARQL 1.1 Protocol for queries, SPARQL
1.1 Update (``MOVE``) for the one atomic swap, and the Graph Store HTTP Protocol to read and write
whole graphs. Reading needs only the query endpoint; writing (loading the bundled files, accepted
writes) needs the graph store endpoint and, for swaps, the update endpoint.

- **Our graphs only.** A remote store may hold other data. Every query gets its dataset in the
  protocol (``default-graph-uri`` / ``named-graph-uri``): the union of imagraph's graphs (those
  under ``{base}graph/``, or under the prefixes in ``store_graphs``) unless the caller or the
  query names graphs, and graphs that are not imagraph's are dropped. So results are the same as
  on the embedded store, whatever the remote store's own default graph is.
- **Same checks, same messages.** A query is parsed by pyoxigraph first (on an empty store), so a
  syntax error reads as on the embedded store and the query's form picks what to ask for.
- **Terms, not strings.** The few queries of this module are constants; resource IRIs are put in
  as terms written by pyoxigraph in N-Triples syntax (valid SPARQL), so no value can change a
  query's structure.
- **Failures.** A store that cannot be reached, times out or says it is unavailable raises
  :class:`~imagraph.errors.StoreUnavailableError` (HTTP 503); the next request tries again, so
  the server recovers by itself when the store is back. A store that refuses or fails one
  request (its own limits, a query it does not support) raises
  :class:`~imagraph.errors.StoreError` (HTTP 502) with the store's message.
- Blank nodes of the remote store cannot be named in a later query (no standard way); their
  triples come with the resource that points to them (see :meth:`RemoteStore.describe`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

import pyoxigraph as ox
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from .. import formats, loading
from ..errors import (
    BadInputError,
    GraphNotServedError,
    ImagraphError,
    QuerySyntaxError,
    StoreError,
    StoreUnavailableError,
)
from ..formats import Format
from ..namespaces import PREFIXES
from ..settings import Settings
from . import (
    LINK_PROPERTIES,
    MAX_INCOMING,
    Bindings,
    QueryOutcome,
    bind,
    dataset_clause,
    swap_update,
)

#: Triples per request when loading into the remote store.
CHUNK = 50_000
#: Seconds the list of our graphs is kept (it is refreshed at once after our own writes, and
#: when the data version changes); for a read-only store without a registry, whose graphs can
#: only be found by a scan of all its quads, SCAN_TTL.
GRAPHS_TTL = 5.0
SCAN_TTL = 300.0

_EMPTY = ox.Store()  # parses queries (and tells their form) without touching any data
_JSON = formats.SPARQL_JSON.media_type
_XML = formats.SPARQL_XML.media_type
#: Results are asked for in XML first: Virtuoso writes JSON up to three times slower (1.6 s
#: against 0.5 s for 7.6 MB of results), and true in it as "1"; JSON where XML 1.0 cannot carry
#: a literal (U+0001 …).
_RESULTS = f"{_XML}, {_JSON};q=0.9"
_SR = "{http://www.w3.org/2005/sparql-results#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NT = formats.NTRIPLES


def _prologue(prefixes: dict[str, str]) -> str:
    """The PREFIX declarations of ``prefixes``, each IRI written as SPARQL writes one."""
    return "".join(f"PREFIX {p}: {ox.NamedNode(iri)}\n" for p, iri in prefixes.items())


_LABELS = " ".join(str(p) for p in LINK_PROPERTIES)

# The description of a resource ($this), as on the embedded store: its triples, the blank nodes
# it points to (two levels deep), the statements about it (rdf:subject) and their triples, the
# labels of what it links to, and up to MAX_INCOMING incoming links with their subjects' labels.
_DESCRIBE = f"""
CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{ $this ?p ?o BIND($this AS ?s) }}
  UNION {{ $this ?p1 ?s FILTER(isBlank(?s)) ?s ?p ?o }}
  UNION {{ $this ?p1 ?b FILTER(isBlank(?b)) ?b ?p2 ?s FILTER(isBlank(?s)) ?s ?p ?o }}
  UNION {{ ?s rdf:subject $this . ?s ?p ?o }}
  UNION {{ $this ?p1 ?s FILTER(isIRI(?s) && ?s != $this) VALUES ?p {{ {_LABELS} }} ?s ?p ?o }}
  UNION {{ ?st rdf:subject $this . ?st ?p1 ?s FILTER(isIRI(?s) && ?s != $this)
           VALUES ?p {{ {_LABELS} }} ?s ?p ?o }}
  UNION {{ {{ SELECT ?s ?p WHERE {{ ?s ?p $this FILTER(isIRI(?s) && ?p != rdf:subject) }}
             LIMIT {MAX_INCOMING} }} BIND($this AS ?o) }}
  UNION {{ {{ SELECT DISTINCT ?s WHERE {{ ?s ?p0 $this FILTER(isIRI(?s) && ?s != $this) }}
             LIMIT {MAX_INCOMING} }} VALUES ?p {{ {_LABELS} }} ?s ?p ?o }}
}}"""
_EXISTS = "ASK { $this ?p ?o }"
_ABOUT = "SELECT ?p ?o WHERE { $this ?p ?o }"
_POINTING = "SELECT ?s ?p WHERE { ?s ?p $this }"
_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
_SD = "http://www.w3.org/ns/sparql-service-description#"
_REGISTERED = (
    f"SELECT ?g WHERE {{ {{ ?g a <{_SD}NamedGraph> }} UNION {{ ?g a <{_SD}GraphCollection> }} }}"
)
_UNREGISTER = f"DELETE DATA {{ GRAPH $registry {{ $g a <{_SD}NamedGraph> ; <{_SD}name> $g }} }}"
_RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
_SD_NAMED_GRAPH = ox.NamedNode(_SD + "NamedGraph")
_SD_NAME = ox.NamedNode(_SD + "name")
_SD_COLLECTION = ox.NamedNode(_SD + "GraphCollection")
_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), $prefix)) }"


def _bnode(value: str) -> ox.BlankNode:
    try:
        return ox.BlankNode(value)
    except ValueError:  # e.g. Virtuoso's nodeID://b10003: a stable id of the same node
        return ox.BlankNode("r" + hashlib.blake2b(value.encode(), digest_size=12).hexdigest())


def _term(
    kind: str | None, value: str, lang: str | None, datatype: str | None
) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """One term of a SPARQL results document (also SPARQL 1.0 JSON's typed-literal)."""
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return _bnode(value)
    if kind in ("literal", "typed-literal"):
        if lang is not None:
            return ox.Literal(value, language=lang)
        if datatype is not None:
            return ox.Literal(value, datatype=ox.NamedNode(datatype))
        return ox.Literal(value)
    raise ValueError(f"unknown term type {kind!r} in a SPARQL result")


#: What a SELECT or ASK query answered: its variables, its solutions, its boolean (ASK).
Results = tuple[list[str], list[Bindings], bool | None]


def _json_results(data: bytes) -> Results:
    """The SPARQL 1.1 Query Results JSON format."""
    doc = json.loads(data)
    if "boolean" in doc:
        return [], [], bool(doc["boolean"])
    rows = [
        {
            name: _term(v.get("type"), v["value"], v.get("xml:lang"), v.get("datatype"))
            for name, v in binding.items()
        }
        for binding in doc["results"]["bindings"]
    ]
    return list(doc["head"]["vars"]), rows, None


def _xml_results(data: bytes) -> Results:
    """The SPARQL Query Results XML format (expat: no external entities, no entity bombs).

    A carriage return the store wrote as it is (Virtuoso does) is one of the data, which XML
    would read as a line break: it is read as ``&#13;``.
    """
    variables: list[str] = []
    rows: list[Bindings] = []
    boolean = None
    for _, element in ElementTree.iterparse(io.BytesIO(data.replace(b"\r", b"&#13;"))):
        tag = element.tag.removeprefix(_SR)
        if tag == "variable":
            variables.append(element.attrib["name"])
        elif tag == "boolean":
            boolean = (element.text or "").strip() == "true"
        elif tag == "result":
            rows.append(
                {
                    binding.attrib["name"]: _term(
                        term.tag.removeprefix(_SR),
                        term.text or "",
                        term.get(_XML_LANG),
                        term.get("datatype"),
                    )
                    for binding in element
                    for term in binding[:1]
                }
            )
            element.clear()
    return variables, rows, boolean


class RemoteStore:
    """imagraph's graphs in a SPARQL 1.1 store reached over HTTP."""

    #: Query runners of a remote store reach it over the network.
    needs_network = True
    #: A remote store keeps its data, and every worker of a server (every server) shares it.
    persistent = True
    shared = True

    def __init__(
        self,
        query_url: str,
        *,
        update_url: str | None = None,
        graph_store_url: str | None = None,
        auth: AuthBase | None = None,
        timeout: float = 60.0,
        graph_prefixes: tuple[str, ...] = ("",),
        prefixes: dict[str, str] | None = None,
    ) -> None:
        #: the prefixes predeclared for queries and used in serialisations (the site's)
        self.prefixes = prefixes or PREFIXES
        self._prologue = _prologue(self.prefixes)
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.graph_store_url = graph_store_url
        self.auth = auth
        self.timeout = timeout
        self.graph_prefixes = graph_prefixes
        self._session: requests.Session | None = None
        self._pid = -1
        self._graphs: tuple[float, list[str]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteStore:
        auth: AuthBase | None = None
        if settings.store_user:
            password = settings.store_password
            if settings.store_password_file is not None:
                password = settings.store_password_file.read_text(encoding="utf-8").strip()
            if settings.store_auth not in ("basic", "digest"):
                raise BadInputError(
                    f"store_auth must be basic or digest, not {settings.store_auth!r}"
                )
            kind = HTTPDigestAuth if settings.store_auth == "digest" else HTTPBasicAuth
            auth = kind(settings.store_user, password or "")
        return cls(
            settings.store,
            update_url=settings.store_update_url,
            graph_store_url=settings.store_graph_store_url,
            auth=auth,
            timeout=settings.store_timeout,
            graph_prefixes=settings.store_graph_prefixes,
            prefixes=settings.config.prefixes,
        )

    # -- HTTP ------------------------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        if self._session is None or self._pid != os.getpid():  # a forked child gets its own
            self._session = requests.Session()
            self._session.headers["User-Agent"] = "imagraph"
            self._pid = os.getpid()
        return self._session

    def _request(
        self, method: str, url: str, *, timeout: float | None = None, **kwargs: Any
    ) -> requests.Response:
        try:
            response = self.session.request(
                method, url, auth=self.auth, timeout=timeout or self.timeout, **kwargs
            )
        except requests.Timeout:
            raise StoreUnavailableError(
                f"the SPARQL store at {url} did not answer within {timeout or self.timeout:g} s"
            ) from None
        except requests.RequestException as err:
            raise StoreUnavailableError(
                f"the SPARQL store at {url} cannot be reached ({type(err).__name__})"
            ) from None
        if response.status_code in (429, 502, 503, 504):  # busy or going away: try later
            raise StoreUnavailableError(
                f"the SPARQL store at {url} is unavailable ({response.status_code}): "
                f"{_excerpt(response)}"
            )
        if response.status_code in (401, 403):
            raise StoreError(
                f"the SPARQL store at {url} refused imagraph's credentials "
                f"({response.status_code}); check store_user and store_password"
            )
        if response.status_code >= 500:  # e.g. a query over the store's own limits
            raise StoreError(
                f"the SPARQL store at {url} failed ({response.status_code}): {_excerpt(response)}"
            )
        return response

    def _needs(self, url: str | None, what: str) -> str:
        if url is None:
            raise StoreError(
                f"{what} needs the store's graph store endpoint (store_graph_store_url)"
            )
        return url

    # -- datasets --------------------------------------------------------------------------------

    def _ours(self, graphs: Iterable[str]) -> list[str]:
        kept = [g for g in graphs if g.startswith(self.graph_prefixes)]
        # no graph of ours: a graph IRI that never holds triples, for an empty dataset
        return kept or [self.graph_prefixes[0]]

    @property
    def registry(self) -> str:
        """The graph in which this store notes imagraph's graphs (Virtuoso and others can only
        list a store's graphs by scanning all its quads, which takes seconds at 10M)."""
        return self.graph_prefixes[0] + "registry"

    def graphs(self) -> list[str]:
        with self._lock:
            if self._graphs is not None and time.monotonic() < self._graphs[0]:
                return list(self._graphs[1])
        ttl = GRAPHS_TTL
        _, rows, _ = self._results(self._prologue + _REGISTERED, [self.registry], None)
        listed = {r["g"].value for r in rows if isinstance(r.get("g"), ox.NamedNode)}
        found = sorted(g for g in listed - {self.registry} if g.startswith(self.graph_prefixes))
        if self.registry not in listed:  # no registry (a store filled by other means): look once
            found = sorted(
                {
                    r["g"].value
                    for prefix in self.graph_prefixes
                    for r in self._select(bind(_GRAPHS, prefix=ox.Literal(prefix)), all_named=True)
                    if isinstance(r.get("g"), ox.NamedNode) and r["g"].value != self.registry
                }
            )
            if self.graph_store_url is not None:
                self._register(found)  # the registry starts (empty when nothing is ours yet)
            else:  # a store imagraph cannot write to: keep what the scan found for longer
                ttl = SCAN_TTL
        with self._lock:
            self._graphs = (time.monotonic() + ttl, found)
        return list(found)

    def _register(self, graphs: Iterable[str], *, remove: bool = False) -> None:
        """Note graphs in (or take them out of) the registry."""
        if remove:
            for graph in graphs:
                update = bind(
                    _UNREGISTER, registry=ox.NamedNode(self.registry), g=ox.NamedNode(graph)
                )
                response = self._request("POST", self.update_url, data={"update": update})
                if response.status_code not in (200, 204):
                    raise StoreError(f"the SPARQL store refused an update: {_excerpt(response)}")
            return
        registry = ox.NamedNode(self.registry)
        triples = [ox.Triple(registry, _RDF_TYPE, _SD_COLLECTION)] + [
            t
            for graph in graphs
            for t in (
                ox.Triple(ox.NamedNode(graph), _RDF_TYPE, _SD_NAMED_GRAPH),
                ox.Triple(ox.NamedNode(graph), _SD_NAME, ox.NamedNode(graph)),
            )
        ]
        if triples:
            self._send_graph("POST", self.registry, triples)

    def _known(self, graph: str) -> bool:
        with self._lock:
            return self._graphs is not None and graph in self._graphs[1]

    def forget(self) -> None:
        """Read the list of graphs anew next time (after a write)."""
        with self._lock:
            self._graphs = None

    # -- queries ---------------------------------------------------------------------------------

    def _post_query(
        self,
        sparql: str,
        accept: str,
        default: list[str] | None,
        named: list[str] | None,
        timeout: float | None = None,
    ) -> requests.Response:
        data: dict[str, object] = {"query": sparql}
        if default is not None:
            data["default-graph-uri"] = default
        if named is not None:
            data["named-graph-uri"] = named
        response = self._request(
            "POST", self.query_url, data=data, headers={"Accept": accept}, timeout=timeout
        )
        if response.status_code != 200:
            raise StoreError(
                f"the SPARQL store refused the query ({response.status_code}): {_excerpt(response)}"
            )
        return response

    def _results(self, sparql: str, default: list[str] | None, named: list[str] | None) -> Results:
        """The answer of a SELECT or ASK query, read from XML or JSON results."""
        response = self._post_query(sparql, _RESULTS, default, named)
        try:
            if response.headers.get("Content-Type", "").startswith(_JSON):
                return _json_results(response.content)
            try:
                return _xml_results(response.content)
            except ElementTree.ParseError:  # e.g. Virtuoso's &#1;, which XML 1.0 forbids
                return _json_results(self._post_query(sparql, _JSON, default, named).content)
        except (ValueError, KeyError, TypeError, SyntaxError) as err:
            raise StoreError(
                f"the SPARQL store answered a result that does not read: {err}"
            ) from None

    def _select(
        self, sparql: str, *, default: list[str] | None = None, named: list[str] | None = None,
        all_named: bool = False,
    ) -> list[Bindings]:  # fmt: skip
        """Run one of this module's SELECT queries (no dataset: our union)."""
        if all_named:  # GRAPH ?g over every graph of the store (to find ours)
            return self._results(self._prologue + sparql, None, None)[1]
        ours = self.graphs()
        return self._results(
            self._prologue + sparql,
            self._ours(ours if default is None else default),  # [] names no graph at all
            self._ours(ours if named is None else named),
        )[1]

    def _triples(self, response: requests.Response) -> list[ox.Triple]:
        fmt = formats.by_media_type(response.headers.get("Content-Type", _NT.media_type))
        try:
            return [q.triple for q in ox.parse(response.content, format=fmt.oxigraph)]
        except SyntaxError as err:
            raise StoreError(f"the SPARQL store answered RDF that does not parse: {err}") from None

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> QueryOutcome:
        outcome = self._query(sparql, default_graphs, named_graphs, base_iri)
        outcome.prefixes = self.prefixes
        return outcome

    def _query(
        self,
        sparql: str,
        default_graphs: list[str] | None,
        named_graphs: list[str] | None,
        base_iri: str | None,
    ) -> QueryOutcome:
        try:  # parsed here first: the same syntax errors as on the embedded store
            probe = _EMPTY.query(sparql, base_iri=base_iri, prefixes=self.prefixes)
        except SyntaxError as err:
            raise QuerySyntaxError.from_parser(sparql, err, self.prefixes) from None
        except ValueError as err:
            raise QuerySyntaxError(str(err)) from None
        if default_graphs is None and named_graphs is None:
            given = dataset_clause(sparql, self.prefixes)
            if given is not None:  # the query's FROM / FROM NAMED, as protocol parameters
                default_graphs, named_graphs = given
                # Some stores (Virtuoso) let the query's FROM win over the protocol's graphs:
                # a query naming other graphs of the store must not reach the store.
                foreign = [
                    g for g in (*given[0], *given[1]) if not g.startswith(self.graph_prefixes)
                ]
                if foreign and len(foreign) == len(given[0]) + len(given[1]):
                    return QueryOutcome(probe)  # graphs not served here are empty: as the probe
                if foreign:
                    raise GraphNotServedError(
                        f"the query names <{foreign[0]}>, which is not a graph of this server"
                    )
        ours = self.graphs()
        default = self._ours(ours if default_graphs is None else default_graphs)
        named = self._ours(ours if named_graphs is None else named_graphs)
        # BASE first: Virtuoso refuses it after PREFIX (the grammar allows either order)
        text = (f"BASE {ox.NamedNode(base_iri)}\n" if base_iri else "") + self._prologue + sparql
        if isinstance(probe, ox.QueryTriples):
            response = self._post_query(
                text, f"{_NT.media_type}, {formats.TURTLE.media_type};q=0.9", default, named
            )
            return QueryOutcome.of("graph", triples=self._triples(response))
        variables, rows, boolean = self._results(text, default, named)
        if isinstance(probe, ox.QueryBoolean):
            if boolean is None:
                raise StoreError("the SPARQL store answered an ASK query without a boolean")
            return QueryOutcome.of("ask", boolean=boolean)
        return QueryOutcome.of("select", variables=variables, rows=rows)

    def describe(self, iri: str) -> list[ox.Triple]:
        response = self._post_query(
            self._prologue + bind(_DESCRIBE, this=ox.NamedNode(iri)),
            _NT.media_type,
            self._ours(self.graphs()),
            None,
        )
        return list(dict.fromkeys(self._triples(response)))

    def small_description(self, iri: str, limit: int) -> bool:
        return False  # every description waits for the other server

    def exists(self, iri: str) -> bool:
        sparql = bind(_EXISTS, this=ox.NamedNode(iri))
        return bool(self._results(sparql, self._ours(self.graphs()), None)[2])

    def about(self, node: ox.NamedNode | ox.BlankNode, graphs: list[str]) -> list[ox.Triple]:
        if not isinstance(node, ox.NamedNode):
            return []  # the store's blank nodes cannot be named in a query
        rows = self._select(bind(_ABOUT, this=node), default=graphs)
        return [ox.Triple(node, r["p"], r["o"]) for r in rows]  # type: ignore[arg-type]

    def pointing_to(self, node: ox.NamedNode | ox.BlankNode, graphs: list[str]) -> list[ox.Triple]:
        if not isinstance(node, ox.NamedNode):
            return []
        rows = self._select(bind(_POINTING, this=node), default=graphs)
        return [ox.Triple(r["s"], r["p"], node) for r in rows]  # type: ignore[arg-type]

    def is_empty(self) -> bool:
        return not self.graphs()

    def count(self, graph: str | None = None) -> int:
        rows = self._select(_COUNT, named=[graph] if graph is not None else None)
        return int(rows[0]["n"].value) if rows else 0

    # -- whole graphs ----------------------------------------------------------------------------

    def _graph_triples(self, graph: str) -> list[ox.Triple]:
        url = self._needs(self.graph_store_url, "reading a whole graph")
        response = self._request(
            "GET", url, params={"graph": graph}, headers={"Accept": _NT.media_type}
        )
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise StoreError(f"the SPARQL store refused to read {graph}: {_excerpt(response)}")
        return self._triples(response)

    def triples(self, graphs: Iterable[str] | None = None) -> Iterator[ox.Triple]:
        for graph in self.graphs() if graphs is None else self._ours(graphs):
            yield from self._graph_triples(graph)

    def dump(self, out: IO[bytes], fmt: Format, graph: str | None = None) -> None:
        if graph is not None:
            ox.serialize(
                self._graph_triples(graph), out, format=fmt.oxigraph, prefixes=self.prefixes
            )
        elif fmt.is_dataset:
            quads = (
                ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g))
                for g in self.graphs()
                for t in self._graph_triples(g)
            )
            ox.serialize(quads, out, format=fmt.oxigraph, prefixes=self.prefixes)
        else:
            # one graph at a time, as the embedded store writes them (see OxigraphStore.dump)
            ox.serialize(self.triples(), out, format=fmt.oxigraph, prefixes=self.prefixes)

    def _send_graph(self, method: str, graph: str, triples: Iterable[ox.Triple]) -> None:
        url = self._needs(self.graph_store_url, "writing")
        batch: list[ox.Triple] = []

        def send(verb: str) -> None:
            body = ox.serialize(batch, format=_NT.oxigraph) or b""
            response = self._request(
                verb, url, params={"graph": graph}, data=body,
                headers={"Content-Type": _NT.media_type},
            )  # fmt: skip
            if response.status_code not in (200, 201, 204):
                raise StoreError(f"the SPARQL store refused to write {graph}: {_excerpt(response)}")

        for triple in triples:
            batch.append(triple)
            if len(batch) == CHUNK:
                send(method)
                method, batch = "POST", []  # the rest of a PUT is added
        if batch or method == "PUT":
            send(method)
        ours = graph != self.registry and graph.startswith(self.graph_prefixes)
        if ours and not self._known(graph):
            self._register([graph])
        self.forget()

    def load(self, quads: Iterable[ox.Quad]) -> int:
        by_graph: dict[str, list[ox.Triple]] = {}
        n = 0
        for q in quads:
            if not isinstance(q.graph_name, ox.NamedNode):
                raise BadInputError("a remote store takes quads in named graphs only")
            by_graph.setdefault(q.graph_name.value, []).append(q.triple)
            n += 1
        for graph, triples in by_graph.items():
            self._send_graph("POST", graph, triples)
        return n

    def load_rdf(self, data: bytes, fmt: Format, graph: str, *, source: str = "input") -> None:
        quads = loading.parse(data, fmt, source=source)  # the same safe parser, checked first
        self._send_graph("POST", graph, (q.triple for q in quads))

    def bulk_load_file(self, path: Path, fmt: Format, graph: str) -> None:
        """Stream a large file into ``graph``, parsed here, in chunks of :data:`CHUNK` triples."""
        with loading.reading(path) as stream:
            triples = (q.triple for q in ox.parse(stream, format=fmt.oxigraph))
            self._send_graph("POST", graph, triples)

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad]) -> int:
        triples = [q.triple for q in quads]
        if triples:
            self._send_graph("PUT", graph, triples)
        else:
            self.clear_graph(graph)
        return len(triples)

    def clear_graph(self, graph: str) -> None:
        url = self._needs(self.graph_store_url, "writing")
        response = self._request("DELETE", url, params={"graph": graph})
        if response.status_code not in (200, 204, 404):
            raise StoreError(f"the SPARQL store refused to remove {graph}: {_excerpt(response)}")
        if graph != self.registry and graph.startswith(self.graph_prefixes):
            self._register([graph], remove=True)
        self.forget()

    def swap_graphs(
        self,
        new: dict[str, list[ox.Triple]],
        staging: str,
        append: dict[str, list[ox.Triple]] | None = None,
    ) -> None:
        staged = [f"{staging}{i}" for i, triples in enumerate(new.values()) if triples]
        staged += [f"{staging}a{i}" for i in range(len(append or {}))]
        try:
            for i, triples in enumerate(new.values()):
                if triples:
                    self._send_graph("PUT", f"{staging}{i}", triples)
            for i, triples in enumerate((append or {}).values()):
                self._send_graph("PUT", f"{staging}a{i}", triples)
            # one SPARQL Update request moves every staged graph into place and adds the
            # appended
            update = swap_update(new, staging, append)
            response = self._request("POST", self.update_url, data={"update": update})
        except ImagraphError:
            self._drop(staged)
            raise
        self.forget()
        if response.status_code not in (200, 204):
            self._drop(staged)
            raise StoreError(f"the SPARQL store refused the update: {_excerpt(response)}")
        self._register([*(g for g, triples in new.items() if triples), *(append or {})])
        self._register([g for g, triples in new.items() if not triples], remove=True)

    def _drop(self, staged: list[str]) -> None:
        """Remove the staging graphs of a write that failed (as far as the store answers)."""
        for graph in staged:
            with contextlib.suppress(ImagraphError):
                self.clear_graph(graph)

    def flush(self) -> None:
        """Nothing to do: the remote store makes its own writes durable."""

    def optimize(self) -> None:
        """Nothing to do: the remote store organises its own indexes."""

    def for_child(self) -> RemoteStore:
        return self  # the session is made anew in a forked child (see :attr:`session`)


def _excerpt(response: requests.Response, limit: int = 300) -> str:
    text = " ".join(response.text.split())
    return text[:limit] + ("…" if len(text) > limit else "") or response.reason or "no message"
