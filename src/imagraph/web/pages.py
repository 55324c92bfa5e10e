"""Rendering pages on the base template: the context every page shares, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import render_template
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

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


#: What a fixed part may depend on, taken from the page that shows it.
FIXED_CONTEXT = ("lang", "urls", "site", "t", "language_names")
#: The fixed parts kept (all forgotten at once past it): a few per language and server root.
FIXED_KEPT = 64


class Fixed:
    """``fixed(name)`` in a template: the part of every page that depends on the language and
    the server's root alone (the site's header and menu, its footer's links), rendered from
    template ``name`` once for each (and data version), then kept: ~50 µs of a page. A fixed
    part sees :data:`FIXED_CONTEXT`, not the page nor the request; a site that overrides one
    keeps what depends on them in its ``base.html``."""

    def __init__(self, env: Environment) -> None:
        self._env = env
        self._kept: dict[tuple[str, str, str, object], Markup] = {}

    @pass_context
    def __call__(self, context: Context, name: str) -> Markup:
        shared = {k: context[k] for k in FIXED_CONTEXT}
        key = (name, shared["lang"], shared["urls"].root, shared["site"].version)
        part = self._kept.get(key)
        if part is None:
            part = Markup(self._env.get_template(name).render(shared))
            if len(self._kept) >= FIXED_KEPT:
                self._kept.clear()
            self._kept[key] = part
        return part
