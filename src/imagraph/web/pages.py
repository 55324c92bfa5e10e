"""Rendering pages on the base template: the context every page shares, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import render_template

from . import current_instance
from .text import LANGUAGE_NAMES, word
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
    ``?lang=``), or the links themselves (by language) where the page needs other parameters
    kept."""
    site = current_instance()
    config = site.settings.config
    if isinstance(switch, str):
        switch = {other: f"{urls.url(switch)}?lang={other}" for other in config.languages}
    html = render_template(
        template,
        lang=lang,
        urls=urls,
        site=site,
        alternates=list(alternates),
        switch=switch,
        language_names=LANGUAGE_NAMES,
        t=lambda key: word(config, key, lang),
        **context,
    )
    return html.encode("utf-8")
