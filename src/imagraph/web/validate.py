"""``/validate``: the validation service (HTTP API and web form on the same URL).

Input: an RDF body (by ``Content-Type``), a form with pasted ``text`` (and its ``format``), an
uploaded ``file``, or a ``url`` fetched under strict rules. Output, negotiated: the standard SHACL
report (Turtle, JSON-LD), a compact JSON summary, or an HTML page grouping the results by focus
node in the reader's language. Non-conformance is a result (200), not an error.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from .. import formats, submissions
from ..checks import Checked
from ..errors import (
    BadInputError,
    ImagraphError,
    NotAcceptableError,
    RefusedError,
    ValidationTimeoutError,
)
from . import current_instance, negotiation, take_slot
from .body import read_body
from .pages import render_page
from .urls import Urls

bp = Blueprint("validate", __name__)

OUTPUTS = {
    "application/json": "json",
    "text/html": "html",
    formats.TURTLE.media_type: "turtle",
    formats.JSONLD.media_type: "json-ld",
}
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

#: A submission: its data, the user's own shapes (if any) and a description of its source.
Input = tuple[submissions.Submission, submissions.Submission | None, str]


def _output() -> str:
    explicit = request.args.get("output")
    if explicit is not None and explicit in OUTPUTS.values():
        return explicit
    if not request.accept_mimetypes:
        return "json"
    best = request.accept_mimetypes.best_match(list(OUTPUTS))
    if best is None:
        raise NotAcceptableError.offering(OUTPUTS)
    return OUTPUTS[best]


def _submission() -> Input | None:
    """(data, user shapes, description of the source), or None for a request with no input."""
    site = current_instance()
    settings = site.settings
    max_bytes = settings.validate_max_bytes
    shapes = None
    if request.method == "GET":
        url = request.args.get("url")
        if not url:
            return None
        data, fmt = submissions.fetch_submission(url, settings)
        return submissions.parse_submission(data, fmt, url, max_bytes), None, url
    if request.mimetype in FORM_TYPES:
        form, files = request.form, request.files
        if form.get("shapes"):
            if not settings.validate_user_shapes:
                raise RefusedError(
                    "own shapes are not accepted here (IMAGRAPH_VALIDATE_USER_SHAPES is off)"
                )
            shapes_fmt = submissions.format_for(
                form.get("shapes_format") or formats.TURTLE.media_type
            )
            shapes = submissions.parse_submission(
                form["shapes"].encode("utf-8"), shapes_fmt, "shapes", max_bytes
            )
        upload = files.get("file")
        if upload is not None and upload.filename:
            fmt = submissions.format_for(form.get("format") or upload.mimetype, upload.filename)
            data = upload.read(max_bytes + 1)
            return (
                submissions.parse_submission(data, fmt, upload.filename, max_bytes),
                shapes,
                upload.filename,
            )
        if form.get("url"):
            url = form["url"]
            data, fmt = submissions.fetch_submission(url, settings)
            return submissions.parse_submission(data, fmt, url, max_bytes), shapes, url
        if form.get("text", "").strip():
            fmt = submissions.format_for(form.get("format") or formats.TURTLE.media_type)
            text = form["text"].encode("utf-8")
            return (
                submissions.parse_submission(text, fmt, "the pasted text", max_bytes),
                shapes,
                "text",
            )
        if request.method == "POST":
            raise BadInputError(
                "nothing to validate: paste RDF into 'text', upload a 'file' or give a 'url'"
            )
        return None
    fmt = formats.by_media_type(request.mimetype or "")
    body = read_body()
    return submissions.parse_submission(body, fmt, "the request body", max_bytes), None, "body"


def _alone() -> bool:
    """Whether the submission is to be validated alone, without the published data (``alone``:
    a query parameter, or a form field)."""
    values = request.form if request.mimetype in FORM_TYPES else request.args
    value = values.get("alone") or request.args.get("alone") or ""
    return value.lower() in ("1", "true", "on", "yes")


def _check(submission: Input) -> Checked:
    """Validate a submission in one of the validation slots (503 or 429 when none is free):
    together with the published data, unless it is to be validated alone."""
    site = current_instance()
    run = submissions.check if _alone() else submissions.check_with_published
    slot = take_slot("validation")
    try:
        return run(site.core, *submission[:2], timeout=site.settings.validate_timeout)
    except ValidationTimeoutError as err:
        raise ValidationTimeoutError(
            f"{err}; the server's operator sets the limit with IMAGRAPH_VALIDATE_TIMEOUT"
        ) from None
    finally:
        slot.release()


@bp.route("/validate", methods=["GET", "POST"])
def validate() -> Response:
    site = current_instance()
    output = _output()
    lang = negotiation.choose_language()
    urls = Urls.for_request(site.settings)
    if output == "html":
        try:
            submission = _submission()
            checked = _check(submission) if submission else None
            return _page(urls, lang, checked, None, 200)
        except ImagraphError as err:
            return _page(urls, lang, None, str(err), err.status, err.retry_after)
    submission = _submission()
    if submission is None:
        raise BadInputError(
            "nothing to validate: send RDF in the body, or a form with 'text', 'file' or 'url'"
        )
    checked = _check(submission)
    if output == "json":
        doc = {
            **checked.summary[lang],
            "triples": checked.triples,
            "withPublishedData": checked.with_published,
        }
        resp = Response(
            json.dumps(doc, ensure_ascii=False, indent=1), content_type="application/json"
        )
    elif output == "turtle":
        resp = Response(
            checked.report_turtle, content_type=formats.TURTLE.media_type + "; charset=utf-8"
        )
    else:
        body = checked.report_graph().serialize(format="json-ld")
        resp = Response(body, content_type=formats.JSONLD.media_type)
    resp.vary.add("Accept")
    resp.vary.add("Accept-Language")
    return resp


def _shape_href(urls: Urls, shape: str | None) -> str | None:
    """Where the shapes page documents ``shape``: one of the site's own (under its files'
    base, ``shapes#``), else nowhere."""
    shapes = current_instance().settings.config.base_iri + "shapes#"
    if not shape or not shape.startswith(shapes):
        return None
    return urls.url("shapes") + "#" + shape[len(shapes) :]


def _page(
    urls: Urls,
    lang: str,
    checked: Checked | None,
    error: str | None,
    status: int,
    retry_after: int | None = None,
) -> Response:
    site = current_instance()
    summary: dict[str, Any] | None = checked.summary[lang] if checked else None
    if summary:
        for node in summary["focusNodes"]:
            node["href"] = urls.href(node["focusNode"])
            for r in node["results"]:
                r["shapeHref"] = _shape_href(urls, r["shape"])
    body = render_page(
        "validate.html",
        urls,
        lang,
        switch="validate",
        summary=summary,
        error=error,
        formats=formats.rdf(),
        text=request.form.get("text", "") if request.method == "POST" else "",
        checked=checked,
        user_shapes=site.settings.validate_user_shapes,
        prefixes=site.prefixes,
        alone=request.method == "POST" and _alone(),
    )
    resp = Response(body, status=status, content_type="text/html; charset=utf-8")
    resp.vary.add("Accept")
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    return resp
