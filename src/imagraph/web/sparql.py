"""``/sparql``: the SPARQL 1.1 Protocol, read-only. Parsing HTTP here; running in ``sparql.py``."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.datastructures import MIMEAccept, MultiDict
from werkzeug.http import parse_accept_header

from .. import formats, sparql
from ..errors import (
    BadInputError,
    ImagraphError,
    NotAcceptableError,
    NotFoundError,
    UnsupportedFormatError,
)
from ..formats import ResultsFormat
from ..instance import Instance
from ..namespaces import PREFIXES
from ..queries import StoredQuery
from ..settings import Settings
from . import current_instance, negotiation, page_number, take_slot
from .body import read_body
from .negotiation import HTML, TURTLE, Representation
from .page import triple_text
from .pages import render_page
from .urls import Urls

#: Rows the query page shows when the endpoint has no cap.
PAGE_MAX_ROWS = 10_000
#: Rows of a result table on one page of the query page (the rest on the next pages).
PAGE_ROWS = 100
#: A query whose form data is longer than this is sent by POST (query.js): an address has
#: room for about 4,000 characters, and a long query would be refused as too long.
LONG_QUERY = 1500

bp = Blueprint("sparql", __name__)

READ_ONLY = "SPARQL Update is not accepted here: this endpoint is read-only"

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"

#: What SELECT and ASK are answered in.
RESULT_FORMATS = formats.results()
#: What CONSTRUCT and DESCRIBE are answered in.
GRAPH_REPS = negotiation.RDF
#: What the service description is offered as (HTML last: */* gets RDF).
SD_REPS = (*negotiation.GRAPH_TYPES, HTML)


def _read_request() -> tuple[str | None, list[str], list[str]]:
    """(query, default-graph-uri values, named-graph-uri values) as the protocol allows them."""
    if request.method == "POST":
        ctype = request.mimetype
        if ctype == "application/x-www-form-urlencoded":
            form = request.form
            queries = form.getlist("query")
            if "update" in form:
                raise BadInputError(
                    "SPARQL Update is not accepted here: this endpoint is read-only"
                )
            args: MultiDict[str, str] = form
        elif ctype == "application/sparql-query":
            charset = request.mimetype_params.get("charset", "utf-8").lower()
            if charset not in ("utf-8", "utf8"):
                raise UnsupportedFormatError(f"the query must be UTF-8, not {charset}")
            try:
                queries = [read_body().decode("utf-8")]
            except UnicodeDecodeError:
                raise BadInputError("the query is not valid UTF-8") from None
            args = request.args
            if "query" in args:
                raise BadInputError("give the query either in the body or as a parameter, not both")
        elif ctype == "application/sparql-update":
            raise BadInputError(READ_ONLY)
        else:
            raise UnsupportedFormatError(
                f"unsupported request body {ctype or '(none)'}; send application/sparql-query "
                "or application/x-www-form-urlencoded"
            )
    else:
        args = request.args
        queries = args.getlist("query")
        if "update" in args:
            raise BadInputError(READ_ONLY)
    if len(queries) > 1:
        raise BadInputError("more than one query parameter: send exactly one query")
    graphs = {name: args.getlist(name) for name in ("default-graph-uri", "named-graph-uri")}
    for name, values in graphs.items():
        for value in values:
            try:
                ox.NamedNode(value)
            except ValueError:
                raise BadInputError(f"{name}={value!r} is not an absolute IRI") from None
    return (queries[0] if queries else None), graphs["default-graph-uri"], graphs["named-graph-uri"]


def _format_values() -> list[str]:
    """The values of ``format=``, in the address or else the form. A client may send several
    meaning one format (SPARQLWrapper: ``format=rdf+xml&format=application/rdf+xml``)."""
    return request.args.getlist("format") or request.form.getlist("format")


#: Every media type SELECT and ASK can be answered in (each format's own first).
RESULT_MEDIA_TYPES = [f.media_type for f in RESULT_FORMATS] + [
    m for f in RESULT_FORMATS for m in f.other_media_types
]
#: Every media type CONSTRUCT and DESCRIBE can be answered in (each format's own first).
GRAPH_MEDIA_TYPES = [r.media_type for r in GRAPH_REPS] + [
    m for r in GRAPH_REPS for m in r.media_types[1:]
]
RESULT_KEYS = formats.listed(f.extension for f in RESULT_FORMATS)
GRAPH_KEYS = formats.listed(r.key for r in GRAPH_REPS)


def _negotiate() -> tuple[ResultsFormat | None, Representation | None]:
    """What to answer in for each query form, before the form is known: (results format for
    SELECT/ASK, RDF representation for CONSTRUCT/DESCRIBE); None where nothing fits. The first
    ``format=`` value known for each (a name or a media type) wins over Accept."""
    explicit = _format_values()
    if explicit:
        found = (formats.find(v, RESULT_FORMATS) for v in explicit)
        results = next((f for f in found if f is not None), None)
        reps = (negotiation.by_key(v, GRAPH_REPS) for v in explicit)
        rep = next((r for r in reps if r is not None), None)
        if results is None and rep is None:
            raise NotAcceptableError(
                f"unknown format {', '.join(explicit)!r}: use {RESULT_KEYS} for SELECT and ASK, "
                f"or {GRAPH_KEYS} for CONSTRUCT and DESCRIBE (or their media types)"
            )
        return results, rep
    results, rep = _by_accept(request.environ.get("HTTP_ACCEPT", ""))
    if results is None and rep is None:
        raise _not_acceptable()
    return results, rep


@functools.lru_cache(maxsize=512)  # clients send the same few Accept headers again and again
def _by_accept(header: str) -> tuple[ResultsFormat | None, Representation | None]:
    """What an Accept header asks for, for each query form (Werkzeug's matching of a header
    against the results formats' 14 media types cost ~30 µs a query)."""
    accept = parse_accept_header(header, MIMEAccept)
    if not accept:  # no Accept header: each form's first
        return RESULT_FORMATS[0], GRAPH_REPS[0]
    media = accept.best_match(RESULT_MEDIA_TYPES)
    graph_media = accept.best_match(GRAPH_MEDIA_TYPES)
    rep = next((r for r in GRAPH_REPS if graph_media in r.media_types), None)
    return (formats.find(media, RESULT_FORMATS) if media else None), rep


def _not_acceptable(kind: str | None = None) -> NotAcceptableError:
    """406 listing what is offered: for the query's form (``select``, ``ask``, ``graph``) once
    it is known, else for every form."""
    results = [f.media_type for f in RESULT_FORMATS]
    graphs = [r.media_type for r in GRAPH_REPS]
    explicit = _format_values()
    asked = f"format={','.join(explicit)}" if explicit else "the Accept header"
    if kind == "graph":
        return NotAcceptableError(
            f"this CONSTRUCT or DESCRIBE query answers with RDF, which {asked} does not ask for: "
            f"use format={GRAPH_KEYS}, or Accept: " + ", ".join(graphs),
            graphs,
        )
    if kind is not None:
        return NotAcceptableError(
            f"this {kind.upper()} query answers with SPARQL results, which {asked} does not ask "
            f"for: use format={RESULT_KEYS}, or Accept: " + ", ".join(results),
            results,
        )
    return NotAcceptableError(
        "None of the media types in the Accept header is offered. Offered: "
        + ", ".join(results + graphs),
        results + graphs,
    )


def _wants_html() -> bool:
    explicit = _format_values()
    return "html" in explicit or (not explicit and _prefers_html())


def _prefers_html() -> bool:
    accept = request.accept_mimetypes
    return (
        accept["text/html"] > max(accept[m] for m in RESULT_MEDIA_TYPES)
        and accept["text/html"] > accept[TURTLE.media_type]
    )


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    site = current_instance()
    query, default_graphs, named_graphs = _read_request()
    urls = Urls.for_request(site.settings)
    if query is None:
        if _prefers_html():
            return query_page(urls, query="")
        return service_description(urls)
    return answer(query, default_graphs, named_graphs, urls)


def answer(
    query: str,
    default_graphs: list[str],
    named_graphs: list[str],
    urls: Urls,
    stored: StoredQuery | None = None,
) -> Response:
    """Run a query and answer in the negotiated format (the query page for browsers)."""
    site = current_instance()
    s = site.settings
    limits = sparql.Limits.from_settings(s)
    if _wants_html():
        return query_page(urls, query=query, stored=stored, run=True)
    results_format, rep = _negotiate()
    graph_format = rep.rdf if rep is not None and rep.rdf is not None else formats.TURTLE
    dataset: dict[str, list[str] | None] = {
        "default_graphs": default_graphs or ([] if named_graphs else None),
        "named_graphs": named_graphs or None,
    }
    key = (
        "sparql",
        query,
        results_format.name if results_format else None,
        graph_format.name,
        tuple(default_graphs),
        tuple(named_graphs),
    )
    etag = hashlib.sha256(repr((site.version, *key)).encode()).hexdigest()[:32]
    if request.method == "GET" and request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"', "Vary": "Accept"})

    def run() -> sparql.QueryResult | sparql.StreamedResult:
        slot = take_slot("query")
        result = None
        try:
            result = sparql.execute(
                site.runners,
                query,
                results_format=results_format or RESULT_FORMATS[0],
                graph_format=graph_format,
                limits=limits,
                base_iri=urls.url("sparql"),
                version=site.version,
                stream=True,
                **dataset,
            )
            return result
        finally:
            if isinstance(result, sparql.StreamedResult):
                result.on_close(slot.release)  # the slot is held while the answer streams
            else:
                slot.release()

    # whole answers are kept (keyed by query, format and data version); streamed ones are not
    result = site.cache.lookup(key)
    if result is None:
        result = run()
        if isinstance(result, sparql.QueryResult):
            site.cache.remember(key, result)
    if (result.kind == "graph" and rep is None) or (
        result.kind != "graph" and results_format is None
    ):
        raise _not_acceptable(result.kind)
    content_type = result.media_type + (
        "; charset=utf-8"
        if result.media_type.startswith("text/") or "json" in result.media_type
        else ""
    )
    if isinstance(result, sparql.StreamedResult):
        resp = Response(result, content_type=content_type)  # closed by the server when done
    else:
        resp = Response(result.body, content_type=content_type)
    resp.vary.add("Accept")
    if result.truncated:
        resp.headers["Imagraph-Result-Truncated"] = f"true; max-rows={s.query_max_rows}"
    if request.method == "GET":
        resp.set_etag(etag)
        resp.cache_control.public = True
        resp.cache_control.max_age = s.cache_max_age
    return resp


def service_description(urls: Urls) -> Response:
    rep = negotiation.choose(SD_REPS)
    if rep.rdf is None:
        raise NotAcceptableError(
            f"the query page for browsers is not available yet; ask for RDF ({TURTLE.media_type})"
        )
    endpoint_url = urls.url("sparql")
    triples = service_triples(endpoint_url)
    body = (
        ox.serialize(
            triples, format=rep.rdf.oxigraph, prefixes={**current_instance().prefixes, "sd": SD}
        )
        or b""
    )
    resp = Response(
        body,
        content_type=rep.media_type
        + ("; charset=utf-8" if rep.media_type.startswith("text/") else ""),
    )
    resp.vary.add("Accept")
    return resp


def service_triples(endpoint_url: str) -> list[ox.Triple]:
    site = current_instance()
    service = ox.NamedNode(endpoint_url + "#service")
    dataset = ox.BlankNode("dataset")
    default_graph = ox.BlankNode("default")
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")

    def sd(local: str) -> ox.NamedNode:
        return ox.NamedNode(SD + local)

    def count(n: int) -> ox.Literal:
        return ox.Literal(str(n), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer"))

    # every graph's triples, counted once per data version; the default graph (their union)
    # is given the sum: a triple in two graphs counts twice (imagraph's graphs share none), as
    # counting distinct triples would hold all of them in memory (1.9 GB and 20 s at 10M)
    quads, graphs = site.core.counts()
    out = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint_url)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, rdf_type, sd("Graph")),
        ox.Triple(
            default_graph,
            ox.NamedNode(VOID + "triples"),
            count(quads),
        ),
    ]
    answered: list[formats.Row[Any]] = [*RESULT_FORMATS, *(r.rdf for r in GRAPH_REPS if r.rdf)]
    for fmt in answered:
        out.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(fmt.w3c_iri)))
    for i, (graph, n) in enumerate(graphs.items()):
        named = ox.BlankNode(f"named{i}")
        inner = ox.BlankNode(f"graph{i}")
        out += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, rdf_type, sd("NamedGraph")),
            ox.Triple(named, sd("name"), ox.NamedNode(graph)),
            ox.Triple(named, sd("graph"), inner),
            ox.Triple(inner, rdf_type, sd("Graph")),
            ox.Triple(inner, ox.NamedNode(VOID + "triples"), count(n)),
        ]
    return out


def _page_limits(settings: Settings) -> sparql.Limits:
    """The endpoint's limits, with a cap even where the endpoint has none (a page shows a
    table, not a download)."""
    limits = sparql.Limits.from_settings(settings)
    return replace(limits, max_rows=limits.max_rows or PAGE_MAX_ROWS)


def run_in_slot(
    site: Instance, query: str, limits: sparql.Limits, base_iri: str
) -> sparql.QueryResult:
    """The whole answer (SPARQL JSON, or the graph) a page shows, the query run in a query slot
    like any other."""
    slot = take_slot("query")
    try:
        result = sparql.execute(
            site.runners,
            query,
            results_format=formats.SPARQL_JSON,
            limits=limits,
            base_iri=base_iri,
            version=site.version,
        )
    finally:
        slot.release()
    assert isinstance(result, sparql.QueryResult)  # not streamed: whole, within the limits
    return result


def query_page(
    urls: Urls, query: str, stored: StoredQuery | None = None, run: bool = False
) -> Response:
    """The query page: editor, prefixes, stored queries, and the results as a table."""
    site = current_instance()
    lang = negotiation.choose_language()
    status, error, table, graph_text, truncated = 200, None, None, None, False
    retry_after: int | None = None
    kinds: tuple[str, ...] = ()  # the formats offered for download
    page = page_number()
    if run:
        try:
            # one run serves every page of the table (kept until the data changes)
            result = site.cache.lookup(("query-page", query))
            if result is None:
                result = run_in_slot(site, query, _page_limits(site.settings), urls.url("sparql"))
                site.cache.remember(("query-page", query), result)
            truncated = result.truncated
            if result.kind == "graph":
                graph_text = result.body.decode("utf-8")
                kinds = _carriers(result)
            else:
                table = _table(result.body, urls, page)
                kinds = tuple(f.extension for f in RESULT_FORMATS)
        except ImagraphError as err:
            status, error, retry_after = err.status, str(err), err.retry_after
    downloads = [{"label": f, "href": _with_format(urls, query, stored, f)} for f in kinds]
    body = render_page(
        "query.html",
        urls,
        lang,
        switch={o: _with_lang(urls, query, stored, o) for o in current_instance().languages},
        query=query or _first_query(site, lang),
        stored=stored,
        queries=list(site.queries.values()),
        prefixes=site.prefixes,
        table=table,
        graph_text=graph_text,
        error=error,
        truncated=truncated,
        max_rows=site.settings.query_max_rows,
        downloads=downloads,
        pages=_pages(urls, query, stored, table),
        long_query=LONG_QUERY,
        completions=site.completions,
    )
    resp = Response(body, status=status, content_type="text/html; charset=utf-8")
    resp.vary.add("Accept")
    if retry_after is not None:  # the page says what went wrong; the header says when to retry
        resp.headers["Retry-After"] = str(retry_after)
    return resp


def _carriers(result: sparql.QueryResult) -> tuple[str, ...]:
    """The download formats of a graph result: those that carry it (no JSON-LD for one with
    an RDF 1.2 triple term: that link was 406)."""
    offered = negotiation.GRAPH_TYPES
    quads = ox.parse(result.body, format=formats.by_media_type(result.media_type).oxigraph)
    if any(isinstance(q.subject, ox.Triple) or isinstance(q.object, ox.Triple) for q in quads):
        offered = tuple(r for r in offered if r.rdf is not None and r.rdf.triple_terms)
    return tuple(r.key for r in offered)


def _table(body: bytes, urls: Urls, page: int = 1) -> dict[str, Any]:
    """The results as a table: all variables, the rows of ``page`` (:data:`PAGE_ROWS` a page)
    and how many there are in all."""
    parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    if isinstance(parsed, ox.QueryBoolean):
        return {"boolean": bool(parsed)}
    variables = [v.value for v in parsed.variables]
    rows = []
    first, last = (page - 1) * PAGE_ROWS, page * PAGE_ROWS
    total = 0
    for solution in parsed:
        total += 1
        if not first < total <= last:
            continue
        row: list[dict[str, str | None]] = []
        for v in variables:
            term = solution[v]
            if term is None:
                row.append({"text": ""})
            elif isinstance(term, ox.NamedNode):
                row.append({"text": term.value, "href": urls.href(term.value)})
            elif isinstance(term, ox.Literal):
                row.append({"text": term.value, "lang": term.language or None})
            elif isinstance(term, ox.Triple):  # an RDF 1.2 triple term, as SPARQL writes it
                row.append({"text": triple_text(term)})
            else:
                row.append({"text": f"_:{term.value}"})
        rows.append(row)
    pages = max(1, -(-total // PAGE_ROWS))
    if page > pages:
        raise NotFoundError(f"page {page}: the results have {pages} page(s) of {PAGE_ROWS} rows")
    return {
        "variables": variables,
        "rows": rows,
        "total": total,
        "page": page,
        "first": first + 1 if rows else 0,
        "last": first + len(rows),
        "pages": pages,
    }


def _pages(
    urls: Urls, query: str, stored: StoredQuery | None, table: dict[str, Any] | None
) -> dict[str, Any]:
    """Where the previous and next pages of a table are: links for a query in the address,
    forms that send it again for a query that came by POST."""
    if not table or "rows" not in table:
        return {}
    page, count = table["page"], table["pages"]
    neighbours = {"previous": page - 1 if page > 1 else None}
    neighbours["next"] = page + 1 if page < count else None
    out: dict[str, Any] = {"post": request.method == "POST", "query": query}
    for name, n in neighbours.items():
        if n is None:
            continue
        if stored is not None:
            out[name] = {"page": n, "href": urls.url(f"queries/{stored.name}") + f"?page={n}"}
        else:
            href = urls.url("sparql") + "?" + urlencode({"query": query, "page": n})
            out[name] = {"page": n, "href": href}
    return out


def _with_format(urls: Urls, query: str, stored: StoredQuery | None, fmt: str) -> str:
    if stored is not None:
        return urls.url(f"queries/{stored.name}") + "?" + urlencode({"format": fmt})
    return urls.url("sparql") + "?" + urlencode({"query": query, "format": fmt})


def _with_lang(urls: Urls, query: str, stored: StoredQuery | None, lang: str) -> str:
    if stored is not None:
        return urls.url(f"queries/{stored.name}") + "?" + urlencode({"lang": lang})
    params = {"query": query, "lang": lang} if query else {"lang": lang}
    return urls.url("sparql") + "?" + urlencode(params)


@bp.get("/queries")
def stored_list() -> Response:
    site = current_instance()
    urls = Urls.for_request(site.settings)
    items = [
        {
            "name": q.name,
            "title": q.title,
            "description": q.description,
            "url": urls.url(f"queries/{q.name}"),
            "query": urls.url(f"queries/{q.name}.rq"),
        }
        for q in site.queries.values()
    ]
    if _prefers_html():
        return query_page(urls, query="")
    return Response(
        json.dumps({"queries": items}, ensure_ascii=False, indent=1),
        content_type="application/json",
    )


@bp.get("/queries/<name>.rq")
def stored_text(name: str) -> Response:
    stored = current_instance().queries.get(name)
    if stored is None:
        raise NotFoundError(f"No stored query {name!r}.")
    resp = Response(
        stored.text("query", negotiation.choose_language()),
        content_type="application/sparql-query; charset=utf-8",
    )
    resp.vary.add("Accept-Language")
    return resp


@bp.get("/queries/<name>")
def stored_run(name: str) -> Response:
    site = current_instance()
    stored = site.queries.get(name)
    if stored is None:
        raise NotFoundError(f"No stored query {name!r}; see /queries.")
    urls = Urls.for_request(site.settings)
    return answer(stored.text("query", negotiation.choose_language()), [], [], urls, stored=stored)


#: The query the page opens with where the site's landing page has no section.
DEFAULT_QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10"


def _first_query(site: Instance, lang: str) -> str:
    """The query the page opens with: the landing page's first section (in ``lang``)."""
    landing = site.settings.config.landing
    return site.queries[landing[0].query].text("query", lang).strip() if landing else DEFAULT_QUERY
