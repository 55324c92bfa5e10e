"""Rendering pages on the base template: the context every page shares, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import render_template

from . import current_site
from .text import TEXT
from .urls import Urls


def render_page(
    template: str,
    urls: Urls,
    lang: str,
    *,
    switch: str | dict[str, str],
    alternates: Iterable[dict[str, str]] = (),
    **context: Any,
) -> bytes:
    """A page in ``lang``. ``switch`` is the path the language switch links to (with
    ``?lang=``), or the two links themselves where the page needs other parameters kept."""
    if isinstance(switch, str):
        switch = {other: f"{urls.url(switch)}?lang={other}" for other in ("de", "en")}
    html = render_template(
        template,
        lang=lang,
        urls=urls,
        site=current_site(),
        alternates=list(alternates),
        switch=switch,
        t=lambda key: TEXT[key][lang],
        **context,
    )
    return html.encode("utf-8")
