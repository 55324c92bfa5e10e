"""Routes: resources by content negotiation, the landing page, vocabularies, dumps, discovery.

Dereferencing answers ``200`` directly (no ``303``): the IRI's response carries
``Content-Location`` naming the document that was served (``/meeting/x.ttl``), and
``Vary: Accept, Accept-Language``. Document URLs with an extension, and ``?format=``, always give
that format.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import unicodedata
from collections.abc import Callable
from typing import Any, BinaryIO
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, send_file
from werkzeug.exceptions import NotFound
from werkzeug.http import http_date
from werkzeug.wsgi import wrap_file

from .. import formats, sparql
from ..errors import BadInputError, NotFoundError
from ..instance import Instance
from ..labels import Labels
from ..namespaces import PREFIXES, compact
from ..site import Section
from ..store import bind
from . import current_instance, fastpath, negotiation, page, page_number, rdfout, vocabulary
from .negotiation import HTML, RESOURCE, Representation
from .pages import render_page
from .sparql import PAGE_ROWS, run_in_slot
from .urls import Urls

bp = Blueprint("imagraph", __name__)

_BY_EXTENSION = {r.key: r for r in RESOURCE}
JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"

#: Resources whose labels contain the words searched for (``$q``, in any case), the first 1,000
#: in the order of their names, each with all its labels (``?p``: the label property; the one
#: shown is ranked in Python, :mod:`imagraph.labels`) and its kinds.
SEARCH_QUERY = """
SELECT ?s ?p ?label ?kind WHERE {
  { SELECT ?s (MIN(LCASE(STR(?l))) AS ?order) WHERE {
      VALUES ?q { $q }
      ?s skos:prefLabel|schema:name|foaf:name|dct:title|rdfs:label ?l
      FILTER(isIRI(?s) && CONTAINS(LCASE(STR(?l)), LCASE(?q)))
    } GROUP BY ?s ORDER BY ?order LIMIT 1000 }
  VALUES ?p { skos:prefLabel schema:name foaf:name dct:title rdfs:label }
  ?s ?p ?label FILTER(isLiteral(?label))
  OPTIONAL { ?s a ?kind FILTER(STRSTARTS(STR(?kind), $ns)) }
}
"""
#: Items of a list on the landing page; a longer list links to all of it (paged).
LANDING_MAX = 25
#: Topics in the landing page's tree; with more, the tree shows two levels.
TREE_MAX = 200
#: Search results on one page.
SEARCH_PAGE = 50


def _urls() -> Urls:
    return Urls.for_request(current_instance().settings)


def _alternates(
    urls: Urls, doc_path: str, offered: tuple[Representation, ...]
) -> list[dict[str, str]]:
    doc = urls.document(doc_path)  # each one's URL: this with its extension (all URL-safe)
    return [
        {"href": f"{doc}.{r.key}", "type": r.media_type, "name": r.rdf.title if r.rdf else "HTML"}
        for r in offered
    ]


#: The date of the data, as ``Last-Modified`` says it (the same for every answer of a version).
_http_date = functools.lru_cache(maxsize=8)(http_date)


class _Made(Response):
    """An answer :func:`respond` made, its headers complete: sent as they are. (Werkzeug copies
    and goes through every answer's headers as it sends it, to make a ``Location`` absolute and
    a ``Content-Location`` a URI: ``respond`` makes both so, and the copy cost ~15 µs.)"""

    def get_wsgi_headers(self, environ: Any) -> Any:
        location = self.headers.get("Content-Location", "")
        if self.status_code != 200 or "Location" in self.headers or not location.isascii():
            return super().get_wsgi_headers(environ)  # changed since (an after-request hook)
        return self.headers


def respond(
    doc_path: str,
    rep: Representation,
    render: Callable[[Urls, str], bytes],
    *,
    negotiated: bool,
    offered: tuple[Representation, ...] = RESOURCE,
    urls: Urls | None = None,
    variant: str = "",
    check: Callable[[], None] | None = None,
    keep: bool = True,
) -> Response:
    """The one response builder: :func:`answer`'s body and headers, and conditional requests.
    ``keep=False``: an answer made from what is still incomplete (dumps being made) is kept
    nowhere: not in the cache of answers, not in the response cache in front, and, sent
    ``no-store`` without a validator (no ETag, no Last-Modified, never a 304), not by a
    harvester or a proxy either."""
    site = current_instance()
    urls = urls or _urls()
    lang = negotiation.choose_language() if rep.is_html else ""
    body, headers = answer(
        site, urls, doc_path, rep, render,
        negotiated=negotiated, offered=offered, lang=lang, variant=variant, check=check,
        keep=keep,
    )  # fmt: skip
    resp = _Made(body, headers=headers, content_type=content_type(rep))
    if not keep:
        return resp
    environ = request.environ
    if "HTTP_IF_NONE_MATCH" in environ and request.if_none_match.contains(
        headers["ETag"].strip('"')
    ):
        return Response(status=304, headers=headers)
    if "HTTP_IF_MODIFIED_SINCE" in environ and request.if_modified_since is not None:
        resp.make_conditional(request)  # changes resp itself
        return resp
    # the same request gets the same answer (fastpath)
    request.environ[fastpath.MARK] = True
    return resp


def content_type(rep: Representation) -> str:
    """The ``Content-Type`` of an answer in ``rep``."""
    return rep.media_type + ("; charset=utf-8" if rep.media_type.startswith("text/") else "")


def answer(
    site: Instance,
    urls: Urls,
    doc_path: str,
    rep: Representation,
    render: Callable[[Urls, str], bytes],
    *,
    negotiated: bool,
    offered: tuple[Representation, ...] = RESOURCE,
    lang: str = "",
    variant: str = "",
    check: Callable[[], None] | None = None,
    keep: bool = True,
) -> tuple[bytes, dict[str, str]]:
    """A document's body and headers (caching, negotiation, ``Link``), of Flask's request or
    not (:mod:`.direct`): cached together, keyed by the data version, the server root, the
    document, the format and (for HTML) the language ``lang``; not kept with ``keep=False``
    (then sent ``no-store``)."""
    key = (urls.root, doc_path, rep.key, lang, variant)

    def make() -> tuple[bytes, dict[str, str]]:
        if check is not None:  # e.g. that the resource exists (a cached answer says it does)
            check()
        doc = urls.document(doc_path)  # and each format's URL: this with its extension
        links = [f'<{doc}.{r.key}>; rel="alternate"; type="{r.media_type}"' for r in offered]
        if rep.rdf is formats.JSONLD:
            context_url = urls.url(rdfout.CONTEXT_PATH)
            links.append(
                f'<{context_url}>; rel="{JSONLD_CONTEXT_REL}"; type="{formats.JSONLD.media_type}"'
            )
        headers = {"Cache-Control": "no-store"}
        if keep:
            etag = hashlib.sha256(repr((site.version, *key)).encode()).hexdigest()[:32]
            headers = {
                "ETag": f'"{etag}"',
                "Last-Modified": _http_date(site.core.modified),
                # a page's language may come from the reader's cookie, which browsers do not key
                # their caches on: a page is revalidated (its ETag names the language) every time
                "Cache-Control": "no-cache"
                if rep.is_html
                else f"public, max-age={site.settings.cache_max_age}",
            }
        headers["Vary"] = "Accept, Accept-Language, Cookie"  # (the cookie: a chosen language)
        headers["Link"] = ", ".join(links)
        if negotiated:
            headers["Content-Location"] = f"{doc}.{rep.key}"
        return render(urls, lang or site.languages[0]), headers

    cached: tuple[bytes, dict[str, str]] = (
        site.cache.cached((*key, negotiated), make) if keep else make()
    )
    return cached


def rdf_of(site: Instance, triples: list[ox.Triple], rep: Representation, urls: Urls) -> bytes:
    """``triples`` in ``rep`` (an RDF format), JSON-LD with the site's context."""
    assert rep.rdf is not None
    return rdfout.serialize(
        triples,
        rep.rdf,
        context_url=urls.url(rdfout.CONTEXT_PATH),
        context=site.context,
        prefixes=site.prefixes,
    )


def split_extension(path: str) -> tuple[str, Representation | None]:
    stem, dot, ext = path.rpartition(".")
    if dot and ext in _BY_EXTENSION and "/" not in ext:
        return stem, _BY_EXTENSION[ext]
    return path, None


def pick(
    path: str, offered: tuple[Representation, ...] = RESOURCE
) -> tuple[str, Representation, bool]:
    """(document path without extension, representation, negotiated?) for a request path."""
    stem, rep = split_extension(path)
    if rep is not None and rep in offered:
        return stem, rep, False
    explicit = request.environ.get("QUERY_STRING") and request.args.get("format") is not None
    return path, negotiation.choose(offered), not explicit


def _page(
    template: str,
    urls: Urls,
    lang: str,
    doc_path: str,
    offered: tuple[Representation, ...],
    **context: Any,
) -> bytes:
    return render_page(
        template,
        urls,
        lang,
        switch=doc_path,
        alternates=_alternates(urls, doc_path, offered[1:]),
        **context,
    )


# -- resources ---------------------------------------------------------------------------------


#: Where the direct answer (:mod:`.direct`) leaves the error it met, for the view to raise: made
#: in one place, and not met twice (a remote store that timed out is not waited for again).
DIRECT_FAILED = "imagraph.direct.failed"


@bp.get("/<path:path>")
def resource(path: str) -> Response:
    failed = request.environ.pop(DIRECT_FAILED, None)
    if failed is not None:
        raise failed
    doc_path, rep, negotiated = pick(path)
    site = current_instance()
    urls = _urls()
    iri = urls.iri(doc_path)
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise NotFoundError(f"{iri} is not a valid IRI") from None
    render = resource_render(site, iri, doc_path, rep)
    return respond(
        doc_path, rep, render, negotiated=negotiated, urls=urls, check=existing(site, iri)
    )


def resource_render(
    site: Instance, iri: str, doc_path: str, rep: Representation
) -> Callable[[Urls, str], bytes]:
    """What makes the body of a resource's document: its description in ``rep`` (for
    :func:`answer`; a page only in a Flask request context, the view's or :mod:`.direct`'s)."""

    def render(urls: Urls, lang: str) -> bytes:
        triples = site.core.store.describe(iri)
        if rep.is_html:
            view = page.resource_page(site, iri, triples, urls, lang)
            return _page("resource.html", urls, lang, doc_path, RESOURCE, view=view)
        return rdf_of(site, triples, rep, urls)

    return render


def existing(site: Instance, iri: str) -> Callable[[], None]:
    """A check that ``iri`` is a resource of the data (:class:`NotFoundError` if not)."""

    def exists() -> None:
        if not site.core.store.exists(iri):
            raise NotFoundError(f"No resource {iri} in this dataset.")

    return exists


# -- landing page ----------------------------------------------------------------------------------


@bp.get("/")
def index() -> Response:
    """The landing page: the site's title and description, a search box, and the sections its
    ``site.toml`` lists (each a stored query, shown as a list, in groups or as a tree)."""
    rep = negotiation.choose((HTML,))
    site = current_instance()

    def render(urls: Urls, lang: str) -> bytes:
        sections = [_section(site, section, urls, lang) for section in site.settings.config.landing]
        return _page(
            "index.html", urls, lang, "", (HTML,), sections=sections, dumps=_dump_list(urls)
        )

    return respond("", rep, render, negotiated=False, offered=(HTML,))


def _section(site: Instance, section: Section, urls: Urls, lang: str) -> dict[str, Any]:
    """One section of the landing page: its rows, at most :data:`LANDING_MAX` items a list (a
    list shows its last ones: the most recent, in date order), each list linking to all of it
    (the stored query's table, at the page where the list begins)."""
    stored = site.queries[section.query]
    rows = list(site.core.store.query(stored.text("query", lang)).rows())
    everything = urls.url(f"queries/{stored.name}")
    out: dict[str, Any] = {
        "id": stored.name,
        "show": section.show,
        "title": site.settings.config.text(section.title, lang)
        if section.title
        else stored.text("title", lang),
        "all": everything,
        "total": len(rows),
    }

    def item(row: Any) -> dict[str, Any]:
        iri = row["item"].value
        label = row.get("label")
        date = row.get("date")
        return {
            "href": urls.href(iri),
            "label": label.value if label is not None else iri,
            "date": date.value if date is not None else None,
        }

    if section.show == "list":
        out["items"] = [item(r) for r in rows[-LANDING_MAX:]]
    elif section.show == "groups":
        groups: dict[str, dict[str, Any]] = {}
        for i, row in enumerate(rows):
            key = row["group"].value
            group = groups.get(key)
            if group is None:
                named = row.get("groupLabel")
                label = (
                    named.value
                    if named is not None
                    else site.term_label(key, lang) or compact(key, site.prefixes)
                )
                page = i // PAGE_ROWS + 1
                group = groups[key] = {
                    "label": label,
                    "members": [],
                    "total": 0,
                    "all": everything + (f"?page={page}" if page > 1 else ""),
                }
            group["total"] += 1
            if len(group["members"]) < LANDING_MAX:
                group["members"].append(item(row))
        out["groups"] = list(groups.values())
    else:
        out["tree"] = _tree(rows, urls)
    return out


def _tree(rows: list[Any], urls: Urls) -> list[dict[str, Any]]:
    """Rows of ``?item ?label`` and maybe ``?parent`` as a tree, each level by name; a large
    one (past :data:`TREE_MAX` nodes) shows its top two levels (every node has a page)."""
    nodes = {
        r["item"].value: {
            "href": urls.href(r["item"].value),
            "label": r["label"].value,
            "children": [],
        }
        for r in rows
    }
    roots = []
    for r in rows:
        parent = r.get("parent")
        node = nodes[r["item"].value]
        if parent is None or parent.value not in nodes:
            if node not in roots:
                roots.append(node)
        elif node not in nodes[parent.value]["children"]:
            nodes[parent.value]["children"].append(node)
    for n in nodes.values():
        n["children"].sort(key=lambda c: c["label"].lower())
    roots.sort(key=lambda c: c["label"].lower())
    if len(nodes) > TREE_MAX:
        for root in roots:
            for child in root["children"]:
                child["children"] = []
    return roots


@bp.get("/search")
def search() -> Response:
    """Resources whose names contain the words searched for, a page at a time (HTML)."""
    site = current_instance()
    negotiation.choose((HTML,))
    urls = _urls()
    lang = negotiation.choose_language()
    words = " ".join(request.args.get("q", "").split())
    if len(words) > 200:
        raise BadInputError("the search is longer than 200 characters")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cn", "Cs") for c in words):
        raise BadInputError(
            "the search holds control, private-use or unassigned characters: search for words"
        )
    number = page_number()
    results: list[dict[str, Any]] = []
    if words:
        # the kind shown is a class of the site's own vocabulary (any, where it has none)
        namespace = site.settings.config.vocabulary.namespace
        query = bind(SEARCH_QUERY, q=ox.Literal(words), ns=ox.Literal(namespace))
        found = site.cache.lookup(("search", words))
        if found is None:
            limits = sparql.Limits.from_settings(site.settings)
            outcome = run_in_slot(site, query, limits, urls.url("search"))
            labels = Labels(site.languages)
            kinds: dict[str, str | None] = {}
            for row in ox.parse_query_results(  # type: ignore[union-attr]
                outcome.body, format=ox.QueryResultsFormat.JSON
            ):
                iri, label, kind = row["s"].value, row["label"], row["kind"]
                labels.add(iri, row["p"].value, label)
                if kinds.get(iri) is None:
                    kinds[iri] = kind.value if kind is not None else None
            found = (labels, kinds)
            site.cache.remember(("search", words), found)
        labels, kinds = found
        results = sorted(
            (
                {
                    "href": urls.href(iri),
                    "label": labels.get(iri, lang) or iri,
                    "iri": iri,
                    "kind": site.term_label(kind, lang) or "" if kind else "",
                }
                for iri, kind in kinds.items()
            ),
            key=lambda r: (r["label"].lower(), r["iri"]),
        )
    first = (number - 1) * SEARCH_PAGE
    shown = results[first : first + SEARCH_PAGE]
    if number > 1 and not shown:
        pages = max(1, -(-len(results) // SEARCH_PAGE))
        raise NotFoundError(f"page {number}: the search for {words!r} has {pages} page(s)")

    def at(n: int) -> str:
        return urls.url("search") + "?" + urlencode({"q": words, "page": n})

    body = render_page(
        "search.html",
        urls,
        lang,
        switch={
            other: urls.url("search") + "?" + urlencode({"q": words, "lang": other})
            for other in site.languages
        },
        words=words,
        results=shown,
        total=len(results),
        first=first + 1,
        last=first + len(shown),
        previous=at(number - 1) if number > 1 else None,
        next=at(number + 1) if first + SEARCH_PAGE < len(results) else None,
    )
    resp = Response(body, content_type="text/html; charset=utf-8")
    resp.vary.add("Accept")
    return resp


def _dump_list(urls: Urls) -> list[dict[str, str]]:
    return [
        {"name": name, "href": urls.url(f"dumps/{name}")}
        for name in current_instance().downloads.whole
    ]


# -- vocabularies ------------------------------------------------------------------------------


def _graph_document(name: str, path: str) -> Response:
    doc_path, rep, negotiated = pick(path)
    if doc_path != name:
        raise NotFound()
    site = current_instance()
    graph = site.settings.graph_iri(name)
    triples = site.cache.cached(("graph", graph), lambda: list(site.core.store.triples([graph])))

    def render(urls: Urls, lang: str) -> bytes:
        if rep.is_html:
            return _page(
                "vocabulary.html",
                urls,
                lang,
                doc_path,
                RESOURCE,
                name=name,
                terms=vocabulary.terms(site, triples, lang),
            )
        return rdf_of(site, triples, rep, urls)

    return respond(doc_path, rep, render, negotiated=negotiated)


@bp.get("/ontology")
@bp.get("/ontology.<ext>")
def ontology(ext: str | None = None) -> Response:
    return _graph_document("ontology", "ontology" + (f".{ext}" if ext else ""))


@bp.get("/shapes")
@bp.get("/shapes.<ext>")
def shapes(ext: str | None = None) -> Response:
    return _graph_document("shapes", "shapes" + (f".{ext}" if ext else ""))


@bp.get(f"/{rdfout.CONTEXT_PATH}")
def context() -> Response:
    resp = Response(_json_bytes(current_instance().context), mimetype=formats.JSONLD.media_type)
    resp.cache_control.public = True
    resp.cache_control.max_age = 86400
    return resp


def _json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


# -- dumps and discovery ---------------------------------------------------------------------------


class _FileRange:
    """A file from an offset, for so many bytes: the server sends it from the file as it sends a
    whole one (gunicorn: ``sendfile`` from the file's position, for the answer's length), or
    reads it (werkzeug would read a range in pieces, a whole file up to its start)."""

    def __init__(self, file: BinaryIO, start: int, length: int) -> None:
        file.seek(start)
        self.file, self.left = file, length

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data

    def fileno(self) -> int:
        return self.file.fileno()

    def close(self) -> None:
        self.file.close()


@bp.get("/dumps/<name>")
def dump(name: str) -> Response:
    site = current_instance()
    d = site.downloads.get(name)
    if d is None:
        raise NotFoundError(f"No dump {name!r}; dumps: {', '.join(site.downloads.whole)}")
    # from its file, opened once: never in memory, with ranges (a broken download resumes) and
    # validators
    file = d.path.open("rb")
    size = os.fstat(file.fileno()).st_size
    resp = send_file(
        file,
        mimetype=d.media_type,
        etag=d.sha256,
        last_modified=site.core.modified,
        max_age=site.settings.cache_max_age,
    )
    resp.content_length = size
    resp.make_conditional(request.environ, accept_ranges=True, complete_length=size)
    if resp.status_code == 206 and resp.content_range is not None:
        part = _FileRange(file, resp.content_range.start or 0, resp.content_length or 0)
        resp.response = wrap_file(request.environ, part)  # type: ignore[arg-type]
    resp.cache_control.public = True
    resp.headers["Digest"] = "sha-256=" + base64.b64encode(bytes.fromhex(d.sha256)).decode()
    return resp


@bp.get("/dumps")
def dumps() -> Response:
    site = current_instance()
    urls = _urls()
    made = site.downloads.made()
    listing = [
        {"name": n, "url": urls.url(f"dumps/{n}"), "mediaType": d.media_type,
         "byteSize": d.size, "sha256": d.sha256}
        if (d := made.get(n)) is not None
        else {"name": n, "url": urls.url(f"dumps/{n}"), "beingMade": True}
        for n in site.downloads.whole
        # (none it cannot make)
        if n in made or site.downloads.dumps.failure(site.version, n) is None
    ]  # fmt: skip
    rep = negotiation.choose((HTML, negotiation.JSONLD))
    if rep.is_html:
        lang = negotiation.choose_language()
        body = _page("dumps.html", urls, lang, "dumps", (HTML,), dumps=listing)
        resp = Response(body, mimetype="text/html")
    else:
        resp = Response(_json_bytes({"dumps": listing}), mimetype="application/json")
    resp.vary.add("Accept")
    return resp


@bp.get("/.well-known/void")
@bp.get("/.well-known/void.<ext>")
def void(ext: str | None = None) -> Response:
    path = ".well-known/void" + (f".{ext}" if ext else "")
    offered = RESOURCE[1:]  # RDF only
    doc_path, rep, negotiated = pick(path, offered)
    if doc_path != ".well-known/void":
        raise NotFound()

    def render(urls: Urls, lang: str) -> bytes:
        return rdf_of(current_instance(), void_triples(urls), rep, urls)

    return respond(doc_path, rep, render, negotiated=negotiated, offered=offered)


def void_triples(urls: Urls) -> list[ox.Triple]:
    site = current_instance()
    void = "http://rdfs.org/ns/void#"
    dct = PREFIXES["dct"]
    ds = ox.NamedNode(urls.url(".well-known/void") + "#dataset")

    def t(p: str, o: ox.NamedNode | ox.Literal) -> ox.Triple:
        return ox.Triple(ds, ox.NamedNode(p), o)

    out = [
        t(PREFIXES["rdf"] + "type", ox.NamedNode(void + "Dataset")),
        *(
            t(dct + "title", ox.Literal(title, language=lang))
            for lang, title in site.settings.config.title.items()
        ),
        t(dct + "license", ox.NamedNode(site.settings.licence)),
        t(
            dct + "modified",
            ox.Literal(
                site.core.modified.isoformat(), datatype=ox.NamedNode(PREFIXES["xsd"] + "dateTime")
            ),
        ),
        t(void + "uriSpace", ox.Literal(site.settings.base_iri)),
        t(
            void + "triples",
            ox.Literal(
                str(site.core.counts()[0]), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer")
            ),
        ),
    ]
    void_config = site.settings.config.void
    if void_config.root:
        out.append(
            t(void + "rootResource", ox.NamedNode(site.settings.base_iri + void_config.root))
        )
    prefixes = site.settings.config.prefixes
    for prefix in void_config.vocabularies:
        out.append(t(void + "vocabulary", ox.NamedNode(prefixes[prefix])))
    for name in site.downloads.whole:
        out.append(t(void + "dataDump", ox.NamedNode(urls.url(f"dumps/{name}"))))
    for example in void_config.examples:
        out.append(t(void + "exampleResource", ox.NamedNode(site.settings.base_iri + example)))
    return out


@bp.get("/robots.txt")
def robots() -> Response:
    body = render_template("robots.txt", sitemap=_urls().url("sitemap.xml"))
    return Response(body, mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    site = current_instance()
    urls = _urls()

    def make() -> bytes:
        rows = site.core.store.query(
            "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) } ORDER BY ?s",
            default_graphs=site.core.data_graph_iris(),
        ).rows()
        locs = [urls.url("")]
        locs += [u for r in rows if (u := urls.local(r["s"].value))][:49_999]
        return render_template(
            "sitemap.xml", locs=locs, modified=site.core.modified.date().isoformat()
        ).encode()

    body = site.cache.cached(("sitemap", urls.root), make)
    return Response(body, mimetype="application/xml")
