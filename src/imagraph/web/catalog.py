"""``/catalog`` and ``/dataset/{id}``: the DCAT catalogue for open-data portals, negotiated and
paged with Hydra once it grows past a page size (deterministic order, ``modified_since`` kept in
the paging links, absolute public URLs)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from .. import formats
from ..catalog import CATALOG_PREFIXES, CatalogBuilder, DumpInfo, Part
from ..dumps import DumpFile
from ..errors import BadInputError, NotFoundError
from . import current_instance, negotiation, page_number
from .pages import render_page
from .text import word
from .urls import Urls
from .views import pick, respond

bp = Blueprint("catalog", __name__)
HYDRA = "http://www.w3.org/ns/hydra/core#"


def _dumps(made: dict[str, DumpFile]) -> Any:
    """The distributions' dump files: size and checksum of those made (the others are being
    made, see :mod:`imagraph.dumps`; a catalogue without them is not kept, see :func:`_made`);
    a dump that cannot be made from this version of the data is not listed."""
    site = current_instance()

    def dumps(urls: Urls, part_id: str) -> list[DumpInfo]:
        out = []
        for name in site.downloads.names(part_id):
            if name not in made and site.downloads.dumps.failure(site.version, name) is not None:
                continue
            fmt = formats.guess(name.removesuffix(".gz"))
            d = made.get(name)
            out.append(
                DumpInfo(
                    urls.url(f"dumps/{name}"),
                    fmt,
                    name.endswith(".gz"),
                    d.size if d is not None else None,
                    d.sha256 if d is not None else None,
                )
            )
        return out

    return dumps


def _builder(made: dict[str, DumpFile], urls: Urls) -> CatalogBuilder:
    site = current_instance()
    listed = _dumps(made)
    return CatalogBuilder(
        site.core,
        site.settings,
        urls.url,
        lambda p: listed(urls, p),
        period_query=site.site_query(site.settings.config.catalog.period),
    )


def _made() -> tuple[dict[str, DumpFile], bool]:
    """The dump files made for this version, and whether they are all made: a catalogue without
    the sizes of some is kept by no one (see :func:`views.respond`), so the next request gets the
    sizes made meanwhile."""
    site = current_instance()
    made = site.downloads.made()
    return made, site.downloads.all_made()


def _serialize(triples: list[ox.Triple], rep: negotiation.Representation) -> bytes:
    assert rep.rdf is not None
    if rep.rdf is formats.JSONLD:
        # plain expanded JSON-LD: harvesters (ckanext-dcat) read it without any context
        return ox.serialize(triples, format=ox.RdfFormat.JSON_LD) or b""
    return ox.serialize(triples, format=rep.rdf.oxigraph, prefixes=CATALOG_PREFIXES) or b""


def _since() -> datetime | None:
    raw = request.args.get("modified_since")
    if raw is None:
        return None
    try:
        since = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadInputError(
            f"modified_since must be an ISO 8601 date or date-time, not {raw!r}"
        ) from None
    # compared with the datasets' dates (in UTC); a date-time without a zone is taken as UTC
    return since if since.tzinfo else since.replace(tzinfo=UTC)


@bp.get("/catalog")
@bp.get("/catalog.<ext>")
def catalog(ext: str | None = None) -> Response:
    site = current_instance()
    doc_path, rep, negotiated = pick("catalog" + (f".{ext}" if ext else ""))
    if doc_path != "catalog":
        raise NotFound()
    since, page = _since(), page_number()
    parts = [
        p for p in site.parts.values() if since is None or site.core.modified_of(p.graphs) >= since
    ]
    size = max(1, site.settings.catalog_page_size)
    last = max(1, -(-len(parts) // size))
    if page > last:
        raise NotFoundError(f"the catalogue has {last} page(s)")
    shown = tuple(parts[(page - 1) * size : page * size])

    made, complete = _made()

    def render(urls: Urls, lang: str) -> bytes:
        builder = _builder(made, urls)
        cat = builder.build_catalog(shown)
        for part in shown:
            builder.build_dataset(part)
        if len(parts) > size or since is not None:
            _hydra(builder, cat, urls, page, last, len(parts), since)
        if rep.is_html:
            return _html(builder, shown, urls, lang)
        return _serialize(builder.triples, rep)

    variant = f"page={page};since={request.args.get('modified_since', '')}"
    return respond(doc_path, rep, render, negotiated=negotiated, variant=variant, keep=complete)


def _page_url(urls: Urls, page: int, since: datetime | None) -> str:
    params: dict[str, str] = {"page": str(page)}
    if since is not None:
        params["modified_since"] = request.args["modified_since"]
    return urls.url("catalog") + "?" + urlencode(params)


def _hydra(
    builder: CatalogBuilder,
    cat: ox.NamedNode,
    urls: Urls,
    page: int,
    last: int,
    total: int,
    since: datetime | None,
) -> None:
    view = ox.NamedNode(_page_url(urls, page, since))
    builder.typed(view, HYDRA + "PartialCollectionView")
    builder.add(
        view,
        HYDRA + "totalItems",
        ox.Literal(str(total), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    )
    builder.add(view, HYDRA + "first", ox.NamedNode(_page_url(urls, 1, since)))
    builder.add(view, HYDRA + "last", ox.NamedNode(_page_url(urls, last, since)))
    if page < last:
        builder.add(view, HYDRA + "next", ox.NamedNode(_page_url(urls, page + 1, since)))
    if page > 1:
        builder.add(view, HYDRA + "previous", ox.NamedNode(_page_url(urls, page - 1, since)))
    builder.add(cat, HYDRA + "view", view)


@bp.get("/dataset/<ident>")
def dataset(ident: str) -> Response:
    site = current_instance()
    doc_path, rep, negotiated = pick(f"dataset/{ident}")
    part = site.parts.get(doc_path.removeprefix("dataset/"))
    if part is None:
        raise NotFoundError(f"No dataset {ident!r} in the catalogue.")

    made, complete = _made()

    def render(urls: Urls, lang: str) -> bytes:
        builder = _builder(made, urls)
        builder.build_dataset(part)
        if rep.is_html:
            return _html(builder, (part,), urls, lang)
        return _serialize(builder.triples, rep)

    return respond(doc_path, rep, render, negotiated=negotiated, keep=complete)


def _html(builder: CatalogBuilder, parts: tuple[Part, ...], urls: Urls, lang: str) -> bytes:
    site = current_instance()
    datasets: list[dict[str, Any]] = []
    for part in parts:
        dataset = builder.dataset_iri(part)
        iri = dataset.value
        dists = [
            t.object.value
            for t in builder.triples
            if t.subject == dataset
            and t.predicate.value.endswith("#distribution")
            and isinstance(t.object, ox.NamedNode)
        ]
        datasets.append(
            {
                "iri": iri,
                "href": urls.href(iri),
                "title": part.title[lang],
                "description": part.description[lang],
                "downloads": [
                    {
                        "href": d.rsplit("/distribution/", 1)[0] and _download(builder, d),
                        "name": d.rsplit("/", 1)[-1],
                    }
                    for d in dists
                ],
            }
        )
    schema_org = {
        "@context": "https://schema.org",
        "@type": "DataCatalog",
        "name": word(site.settings.config, "title", lang),
        "url": urls.url("catalog"),
        "dataset": [
            {
                "@type": "Dataset",
                "@id": d["iri"],
                "name": d["title"],
                "description": d["description"],
                "url": d["href"],
                "license": site.settings.licence,
                "isAccessibleForFree": True,
                "distribution": [
                    {"@type": "DataDownload", "contentUrl": x["href"]} for x in d["downloads"]
                ],
            }
            for d in datasets
        ],
    }
    return render_page(
        "catalog.html", urls, lang, switch="catalog", datasets=datasets, schema_org=schema_org
    )


def _download(builder: CatalogBuilder, dist: str) -> str:
    node = ox.NamedNode(dist)
    return next(
        t.object.value
        for t in builder.triples
        if t.subject == node
        and t.predicate.value.endswith("#downloadURL")
        and isinstance(t.object, ox.NamedNode)
    )
