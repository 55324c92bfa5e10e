"""Rendering pages on the base template: the context every page shares, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import render_template
from jinja2 import Environment, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from ..instance import Instance
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
        alternates=list(alternates),
        switch=switch,
        **shared(site, urls, lang),
        **context,
    )
    return html.encode("utf-8")


def shared(site: Instance, urls: Urls, lang: str) -> dict[str, Any]:
    """What every page and every fixed part sees: ``lang``, ``urls``, ``site``, ``t`` (a word of
    the pages in ``lang``, :func:`.text.word`) and ``language_names``."""
    config = site.settings.config
    return {
        "lang": lang,
        "urls": urls,
        "site": site,
        "t": lambda key: word(config, key, lang),
        "language_names": LANGUAGE_NAMES,
    }


#: What a fixed part cannot read: the request's (it would be kept with one request's content).
UNSEEN = ("request", "session", "g", "url_for", "get_flashed_messages")
#: The fixed parts kept (all forgotten at once past it): a few per language and server root.
FIXED_KEPT = 64


class Fixed:
    """``fixed(name)`` in a template: the part of every page that depends on the language and
    the server's root alone (the site's header and menu, its footer's links), rendered from
    template ``name`` once for each (and data version), then kept: ~30 µs of a page. A fixed
    part sees ``lang``, ``urls``, ``site``, ``t`` (the site's words in ``lang``),
    ``language_names`` and the template globals, not the page; reading what is the request's
    (:data:`UNSEEN`) is an error at once, rather than a part kept with one request's content. A
    site that overrides one keeps what depends on the page or the request in its
    ``base.html``."""

    def __init__(self, env: Environment) -> None:
        self._env = env
        self._kept: dict[tuple[str, str, str, str], Markup] = {}

    @pass_context
    def __call__(self, context: Context, name: str) -> Markup:
        site = context["site"]
        urls = context["urls"]
        lang = context.get("lang") or site.languages[0]
        key = (name, lang, urls.root, site.version)
        part = self._kept.get(key)
        if part is None:
            part = Markup(self._env.get_template(name).render(_seen(name, site, urls, lang)))
            if len(self._kept) >= FIXED_KEPT:
                self._kept.clear()
            self._kept[key] = part
        return part


def _seen(name: str, site: Instance, urls: Urls, lang: str) -> dict[str, Any]:
    """What the fixed part ``name`` sees (see :class:`Fixed`)."""
    hint = (
        f"{name} is rendered once for every page of a language and server root (imagraph's "
        "pages.Fixed): it cannot read {}; a URL of this server is urls.url(path)"
    )
    return {
        **shared(site, urls, lang),
        **{n: StrictUndefined(hint.format(n), name=n) for n in UNSEEN},
    }
