"""``/openapi.json``: the HTTP interface described in OpenAPI 3.1, for clients and their tools.

Kept true by tests: every route of the app is described here and nothing else
(``tests/test_openapi.py``), and schemathesis sends what the description allows to a live server
and checks the answers against it (no 5xx, only the statuses, media types and JSON shapes the
description names).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response

from .. import formats
from ..settings import Settings, _package_version
from . import current_instance, negotiation
from .sparql import GRAPH_KEYS, GRAPH_REPS, RESULT_FORMATS, RESULT_KEYS
from .urls import Urls
from .validate import OUTPUTS as REPORT_TYPES

bp = Blueprint("openapi", __name__)

RESOURCE_TYPES = tuple(r.media_type for r in negotiation.RESOURCE)
GRAPH_TYPES = tuple(r.media_type for r in negotiation.GRAPH_TYPES)
#: What a CONSTRUCT is answered in: the graph formats and the dataset formats.
RDF_TYPES = tuple(r.media_type for r in GRAPH_REPS)
RESULT_TYPES = tuple(f.media_type for f in RESULT_FORMATS)
DUMP_TYPES = (*(f.media_type for f in formats.dumps()), "application/gzip")
#: What an error is answered in (by the client's Accept).
ERROR_TYPES = ("application/problem+json", "text/html", "text/plain")
BINARY = {"type": "string"}
JSON_OBJECT = {"type": "object"}

PROBLEM = {
    "type": "object",
    "required": ["title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "offered": {"type": "array", "items": {"type": "string"}},
    },
}

#: Statuses an answer may have besides the success ones, and what they mean here.
ERRORS = {
    "400": "The request is malformed; the message says what and where.",
    "401": "A write without a valid token.",
    "403": "Refused: writes are off, or the query asks the server to fetch (SERVICE, LOAD).",
    "404": "Nothing here.",
    "405": "The method is not allowed here (writes: off on this server, no tokens configured).",
    "406": "None of the accepted media types is offered; the answer lists those that are.",
    "408": "The request did not arrive within the server's time.",
    "409": "A write conflicts with the data's current version.",
    "413": "The body is larger than the limit.",
    "414": "The URL is longer than 4096 characters.",
    "415": "The body's media type is not accepted here.",
    "416": "The range is outside the file.",
    "422": "The write would leave data that does not conform to the shapes: a problem document "
    "with the report's results, or the SHACL report (text/turtle).",
    "429": "This client already runs as many queries or validations as one client may, or "
    "(writes) sent too many wrong tokens lately; Retry-After says when to try again.",
    "502": "The remote store answered with an error.",
    "503": "Busy (no free slot), past a time or memory limit, or the store is unavailable.",
}


def _content(types: tuple[str, ...], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {t: {"schema": _schema(t, schema)} for t in types}


def _schema(media_type: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    if media_type == formats.JSONLD.media_type:  # compacted (an object) or expanded (an array)
        return {"type": ["object", "array"]}
    if "json" in media_type:
        return schema or JSON_OBJECT
    return BINARY


def _responses(ok: dict[str, Any], *errors: str) -> dict[str, Any]:
    out = dict(ok)
    for status in errors:
        content = {
            "application/problem+json": {"schema": PROBLEM},
            "text/html": {"schema": BINARY},
            "text/plain": {"schema": BINARY},
        }
        if status == "422":  # a refused write: its SHACL report, when asked for
            content[formats.TURTLE.media_type] = {"schema": BINARY}
        out[status] = {"description": ERRORS[status], "content": content}
    return out


def _ok(description: str, types: tuple[str, ...], schema: dict[str, Any] | None = None) -> Any:
    return {"200": {"description": description, "content": _content(types, schema)}}


def _query(name: str, description: str, schema: dict[str, Any] | None = None, **extra: Any) -> Any:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": schema or {"type": "string"},
        **extra,
    }


ALONE = _query(
    "alone",
    "`true`: validate the submission alone. By default it is validated together with the "
    "published data (it may cite published resources without describing them again).",
    {"type": "string", "enum": ["true", "false"]},
)


def _path(name: str, description: str, example: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
        "example": example,
    }


#: The page's language: one the site offers (its languages are filled in by :func:`document`).
LANG = _query("lang", "The language of the page.", {"type": "string"})
FORMAT = _query(
    "format",
    "The representation, overriding Accept.",
    {"type": "string", "enum": [r.key for r in negotiation.RESOURCE]},
)
EXT = _path(
    "ext",
    "The representation by file extension: "
    + ", ".join(r.key for r in negotiation.GRAPH_TYPES)
    + " (html too).",
    negotiation.GRAPH_TYPES[0].key,
)
GET_ERRORS = ("400", "404", "406", "414", "503")
SPARQL_PARAMS = [
    _query("query", "The SPARQL 1.1 query (without it: the service description)."),
    _query(
        "default-graph-uri",
        "An IRI of a graph to query as the default graph (repeatable).",
        {"type": "array", "items": {"type": "string", "format": "iri"}},
        style="form",
        explode=True,
    ),
    _query(
        "named-graph-uri",
        "An IRI of a graph to query as a named graph (repeatable).",
        {"type": "array", "items": {"type": "string", "format": "iri"}},
        style="form",
        explode=True,
    ),
    _query(
        "format",
        f"The answer's format, overriding Accept: {RESULT_KEYS} (results), {GRAPH_KEYS} "
        "(graphs), or html (the query page).",
    ),
    _query(
        "page",
        "The query page's page of the result table (HTML, 100 rows a page, from 1); a page past "
        "the last is 404.",
        {"type": "integer", "minimum": 1},
    ),
    LANG,
]
RDF_CONTENT = {t: {"schema": BINARY} for t in RDF_TYPES}
RDF_BODY = {"required": True, "content": RDF_CONTENT}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
WRITE_ERRORS = ("400", "401", "403", "405", "409", "413", "415", "422", "429", "503")


def _resource(summary: str, *params: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": [LANG, FORMAT, *params],
            "responses": _responses(
                {
                    **_ok("The resource, as negotiated.", RESOURCE_TYPES),
                    "303": {"description": "See the document that describes this IRI."},
                    "304": {"description": "Not modified (ETag, Last-Modified)."},
                },
                *GET_ERRORS,
            ),
        }
    }


def _document(summary: str, types: tuple[str, ...], *params: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": list(params),
            "responses": _responses(
                {
                    **_ok(summary, types),
                    "304": {"description": "Not modified."},
                },
                *GET_ERRORS,
            ),
        }
    }


def _write(summary: str, done: str, write: dict[str, Any]) -> dict[str, Any]:
    """A Graph Store write with an RDF body: 201 for a new graph, 204 for an existing one."""
    return {
        "summary": summary,
        **write,
        "requestBody": RDF_BODY,
        "responses": _responses(
            {"201": {"description": "Created."}, "204": {"description": done}}, *WRITE_ERRORS
        ),
    }


def document(urls: Urls, settings: Settings) -> dict[str, Any]:
    """The OpenAPI description of this server (its URL from the request)."""
    sparql_ok = _ok(
        "The results (SELECT, ASK), the graph (CONSTRUCT, DESCRIBE), the service description "
        "(no query) or the query page (HTML).",
        (*RESULT_TYPES, *RDF_TYPES, "text/html"),
        JSON_OBJECT,
    )
    sparql_errors = ("400", "403", "404", "406", "413", "414", "415", "429", "502", "503")
    graph_param = _query(
        "graph",
        "The IRI of the graph.",
        {"type": "string", "format": "iri"},
        example=settings.graph_iri("data/meetings"),
    )
    default_param = _query("default", "The default graph (no value).", allowEmptyValue=True)
    write = {
        "security": BEARER,
        "parameters": [graph_param],
    }
    paths: dict[str, Any] = {
        "/": _resource("The landing page: what the graph holds and how to use it."),
        "/{path}": _resource(
            "A resource of the data (an organisation, a meeting, a topic, a source…), or the "
            "document describing it ({path}.ttl and the other extensions).",
            _path("path", "The IRI's path, e.g. org/bmi (it may contain '/').", "org/bmi"),
        ),
        "/ontology": _resource("The ontology."),
        "/ontology.{ext}": _resource("The ontology, by file extension.", EXT),
        "/shapes": _resource("The SHACL shapes submissions and writes are checked against."),
        "/shapes.{ext}": _resource("The shapes, by file extension.", EXT),
        "/.well-known/void": _resource("The VoID description of the dataset."),
        "/.well-known/void.{ext}": _resource("The VoID description, by file extension.", EXT),
        "/catalog": _resource(
            "The DCAT catalogue (DCAT-AP.de), paged with Hydra.",
            _query("page", "The page (from 1).", {"type": "integer", "minimum": 1}),
            _query(
                "modified_since",
                "Only datasets modified since this ISO 8601 date or date-time.",
                {"type": "string"},
            ),
        ),
        "/catalog.{ext}": _resource("The catalogue, by file extension.", EXT),
        "/dataset/{ident}": _resource(
            "A dataset of the catalogue.", _path("ident", "The dataset's identifier.", "meetings")
        ),
        "/context/v1.jsonld": _document(
            "The JSON-LD context of the JSON-LD documents.", (formats.JSONLD.media_type,)
        ),
        "/dumps": _document(
            "The downloadable dumps: name, size, checksum, whether being made.",
            ("application/json", "text/html"),
            LANG,
        ),
        "/dumps/{name}": {
            "get": {
                "summary": "A dump file (ranges supported).",
                "parameters": [
                    _path(
                        "name",
                        f"The file's name, e.g. {settings.config.name}.nt.gz.",
                        f"{settings.config.name}.nt.gz",
                    )
                ],
                "responses": _responses(
                    {
                        "200": {
                            "description": "The file.",
                            "content": _content(DUMP_TYPES),
                        },
                        "206": {"description": "The range asked for."},
                        "304": {"description": "Not modified."},
                    },
                    *GET_ERRORS,
                    "416",
                ),
            }
        },
        "/queries": _document("The stored queries.", ("text/html", "application/json"), LANG),
        "/queries/{name}": _document(
            "A stored query, run (its results, negotiated like /sparql).",
            (*RESULT_TYPES, "text/html"),
            _path("name", "The stored query's name.", "confirmed-facts-only"),
            LANG,
        ),
        "/queries/{name}.rq": _document(
            "A stored query's text.",
            ("application/sparql-query",),
            _path("name", "The stored query's name.", "confirmed-facts-only"),
        ),
        "/sparql": {
            "get": {
                "summary": "SPARQL 1.1 query (read-only), or the service description.",
                "parameters": SPARQL_PARAMS,
                "responses": _responses(sparql_ok, *sparql_errors),
            },
            "post": {
                "summary": "SPARQL 1.1 query in the body (for long queries).",
                "parameters": SPARQL_PARAMS[1:],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/sparql-query": {"schema": BINARY},
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["query"],
                                "properties": {"query": {"type": "string"}},
                            }
                        },
                    },
                },
                "responses": _responses(sparql_ok, *sparql_errors),
            },
        },
        "/update": {
            "get": {
                "summary": "Updates are POSTed: 405 saying so.",
                "responses": _responses({}, "405"),
            },
            "post": {
                "summary": "SPARQL 1.1 Update, gated by the shapes (writes must be configured).",
                "security": BEARER,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/sparql-update": {"schema": BINARY},
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["update"],
                                "properties": {"update": {"type": "string"}},
                            }
                        },
                    },
                },
                "responses": _responses(
                    _ok(
                        "Applied: the change's IRI (null: nothing changed) and the triples of "
                        "each changed graph.",
                        ("application/json",),
                        JSON_OBJECT,
                    ),
                    *WRITE_ERRORS,
                ),
            },
        },
        "/graph-store": {
            "get": {
                "summary": "SPARQL 1.1 Graph Store Protocol: a graph.",
                "parameters": [graph_param, default_param],
                "responses": _responses(_ok("The graph.", GRAPH_TYPES), *GET_ERRORS),
            },
            "put": _write("Replace a data graph (gated by the shapes).", "Replaced.", write),
            "post": _write("Add triples to a data graph (gated by the shapes).", "Added.", write),
            "delete": {
                "summary": "Remove a data graph (gated by the shapes).",
                **write,
                "responses": _responses({"204": {"description": "Removed."}}, *WRITE_ERRORS, "404"),
            },
        },
        "/validate": {
            "get": {
                "summary": "The validation form, or a validation of the RDF at `url`.",
                "parameters": [
                    _query("url", "An http(s) URL of RDF to fetch and validate."),
                    ALONE,
                    _query(
                        "output",
                        "The report's form, overriding Accept.",
                        {"type": "string", "enum": ["json", "html", "turtle", "json-ld"]},
                    ),
                    LANG,
                ],
                "responses": _responses(
                    _ok(
                        "The report (conforming or not), or the form.",
                        tuple(REPORT_TYPES),
                        JSON_OBJECT,
                    ),
                    "400",
                    "403",
                    "406",
                    "413",
                    "414",
                    "415",
                    "429",
                    "503",
                ),
            },
            "post": {
                "summary": "Validate RDF (a body, or a form's text, file or url).",
                "parameters": [LANG, ALONE],
                "requestBody": {
                    "required": True,
                    "content": {
                        **RDF_CONTENT,
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "text": {"type": "string"},
                                    "format": {"type": "string"},
                                    "alone": {"type": "string"},
                                    "file": {"type": "string", "format": "binary"},
                                    "url": {"type": "string"},
                                },
                            }
                        },
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "text": {"type": "string"},
                                    "format": {"type": "string"},
                                    "alone": {"type": "string"},
                                    "url": {"type": "string"},
                                },
                            }
                        },
                    },
                },
                "responses": _responses(
                    _ok(
                        "The report (conforming or not).",
                        tuple(REPORT_TYPES),
                        JSON_OBJECT,
                    ),
                    "400",
                    "403",
                    "406",
                    "408",
                    "413",
                    "415",
                    "429",
                    "503",
                ),
            },
        },
        "/healthz": _document("The process answers.", ("application/json",)),
        "/readyz": {
            "get": {
                "summary": "The server can serve: the store answers, children are confined.",
                "responses": {
                    **_ok("Ready.", ("application/json",), JSON_OBJECT),
                    "503": {
                        "description": "Not ready.",
                        "content": _content(("application/json",), JSON_OBJECT),
                    },
                },
            }
        },
        "/openapi.json": _document("This description.", ("application/json",)),
        "/search": _document(
            "Resources whose names contain the words searched for, 50 a page (HTML).",
            ("text/html",),
            _query("q", "The words to look for in the names (at most 200 characters)."),
            _query("page", "The page of results, from 1.", {"type": "integer", "minimum": 1}),
            LANG,
        ),
        "/robots.txt": _document("Rules for crawlers.", ("text/plain",)),
        "/sitemap.xml": _document("The sitemap of the resource pages.", ("application/xml",)),
        "/static/{filename}": _document(
            "The pages' style sheet, scripts and images.",
            ("text/css", "text/javascript", "image/svg+xml", "application/octet-stream"),
            _path("filename", "The file's name.", "style.css"),
        ),
    }
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "imagraph: " + settings.config.text(settings.config.title, "en"),
            "version": _package_version(),
            "description": (
                "Linked data (content negotiation), SPARQL 1.1 query, update and graph store, "
                "validation against the published shapes, a DCAT catalogue and dumps."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": urls.url("")}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A write token (IMAGRAPH_WRITE_TOKENS).",
                }
            }
        },
    }
    with_languages: dict[str, Any] = _with_languages(doc, list(settings.config.languages))
    return with_languages


def _with_languages(doc: Any, languages: list[str]) -> Any:
    """``doc`` (a copy) with the site's languages as the values ``lang`` may take."""
    if isinstance(doc, list):
        return [_with_languages(x, languages) for x in doc]
    if not isinstance(doc, dict):
        return doc
    out = {k: _with_languages(v, languages) for k, v in doc.items()}
    if out.get("name") == "lang" and out.get("in") == "query":
        out["schema"] = {**out["schema"], "enum": languages}
    return out


@bp.route("/openapi.json")
def openapi() -> Response:
    site = current_instance()
    doc = document(Urls.for_request(site.settings), site.settings)
    resp = Response(json.dumps(doc, ensure_ascii=False, indent=1), content_type="application/json")
    resp.cache_control.public = True
    resp.cache_control.max_age = site.settings.cache_max_age
    return resp
