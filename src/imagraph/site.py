"""A site folder: one deployment of imagraph, described by its ``site.toml``.

A site is a folder holding ``site.toml`` beside ``ontology/``, ``shapes/``, ``data/``,
``queries/`` and ``catalog/``, and optionally ``templates/`` and ``static/`` that override the
pages' defaults. ``site.toml`` says what the site publishes: its name, base IRI, title and
description in each language it offers, its publisher and licence, the vocabulary terms the
pages need and the sections of the landing page. Nothing about any one body is compiled into
imagraph: it all comes from here.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox

from . import stamps
from .errors import BadInputError

#: The name of a site's settings file.
SITE_FILE = "site.toml"

#: How a landing section shows its query's rows (each names the variables it reads).
SECTION_KINDS = {
    "list": ("item", "label"),  # the last rows (the most recent, by the query's order)
    "groups": ("group", "item", "label"),  # a list per ?group, headed by ?groupLabel or its name
    "tree": ("item", "label"),  # ?parent (optional) makes it a tree
}

#: Standard prefixes every site has (its own vocabulary's comes from ``[vocabulary]``).
STANDARD_PREFIXES: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
}


@dataclass(frozen=True)
class Section:
    """A section of the landing page: a stored query and how its rows are shown."""

    query: str
    show: str
    title: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Vocabulary:
    """What the pages need from the site's ontology, as full IRIs (empty: not used)."""

    prefix: str = ""
    namespace: str = ""
    #: the property giving a resource's or a statement's confidence level
    confidence: str = ""
    #: the property naming a link read backwards, from the resource it points to
    inverse_label: str = ""
    #: classes whose instances are events (schema.org ``Event`` in the pages' JSON-LD)
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """What the DCAT catalogue says of the site beyond its datasets (``[catalog]``)."""

    #: the catalogue's title, description and provenance statement, by language
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: when the data was first published (an xsd:date), unless ``period`` says
    issued: str = ""
    #: a stored query whose first row gives ``?start`` and ``?end`` (dates) of what the data covers
    period: str = ""
    #: EU data themes (codes of the data-theme table)
    themes: tuple[str, ...] = ("GOVE",)
    #: the place the data is about (a code of the EU country table)
    spatial: str = "DEU"
    #: DCAT-AP.de's political geocoding level (federal, state, administrativeDistrict, …)
    geocoding_level: str = ""
    #: how often the data changes (a code of the EU frequency table)
    frequency: str = "IRREG"


@dataclass(frozen=True)
class Void:
    """The VoID description's own parts: its root resource and examples (paths under the base)
    and the vocabularies the data uses (prefixes)."""

    root: str = ""
    examples: tuple[str, ...] = ()
    vocabularies: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteConfig:
    """A site's ``site.toml``, checked as it is read."""

    folder: Path
    #: the whole dataset's short name: ``dataset/{name}``, dump files ``{name}.ttl`` …
    name: str = "dataset"
    base_iri: str = ""
    #: languages offered, the first the default for a reader who states no preference
    languages: tuple[str, ...] = ("en",)
    title: Mapping[str, str] = field(default_factory=dict)
    description: Mapping[str, str] = field(default_factory=dict)
    publisher: Mapping[str, str] = field(default_factory=dict)
    licence: str = ""
    #: the licence's short name on pages ("CC BY 4.0")
    licence_name: str = ""
    attribution: str = ""
    catalog: Catalog = field(default_factory=Catalog)
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    void: Void = field(default_factory=Void)
    landing: tuple[Section, ...] = ()
    #: words of the pages a site adds or changes, by language and key
    words: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: Python modules that extend the instance (see :mod:`imagraph.extensions`)
    extensions: tuple[str, ...] = ()

    @property
    def prefixes(self) -> dict[str, str]:
        """The prefixes of queries and serialisations: the standard ones and the site's own."""
        own = {self.vocabulary.prefix: self.vocabulary.namespace} if self.vocabulary.prefix else {}
        return {**own, **STANDARD_PREFIXES}

    def text(self, texts: Mapping[str, str], lang: str) -> str:
        """A text in ``lang``, else in the site's first language, else any."""
        return texts.get(lang) or texts.get(self.languages[0]) or next(iter(texts.values()), "")

    @classmethod
    def load(cls, folder: Path) -> SiteConfig:
        """The site in ``folder``; a missing or malformed ``site.toml`` is an error naming the
        file and the key."""
        path = folder / SITE_FILE
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BadInputError(
                f"{folder}: no {SITE_FILE} here, so this is no site folder; "
                "make one with imagraph init DIR"
            ) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise BadInputError(f"{path}: {err}") from None
        return _Reader(path, doc).site(folder)


class _Reader:
    """Reads the values of a ``site.toml``, each error naming the file and the key."""

    def __init__(self, path: Path, doc: dict[str, Any]) -> None:
        self.path = path
        self.doc = doc

    def fail(self, key: str, want: str) -> BadInputError:
        return BadInputError(f"{self.path}: {key} must be {want}")

    def string(self, key: str, doc: dict[str, Any] | None = None, default: str = "") -> str:
        value = (self.doc if doc is None else doc).get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, str):
            raise self.fail(key, "a string")
        return value

    def texts(self, key: str, doc: dict[str, Any] | None = None) -> dict[str, str]:
        value = (self.doc if doc is None else doc).get(key.rsplit(".", 1)[-1], {})
        if isinstance(value, str):  # one text for every language
            return {lang: value for lang in self.languages}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self.fail(key, 'a text, or a table of texts by language (de = "…")')
        return dict(value)

    def strings(self, key: str, doc: dict[str, Any]) -> tuple[str, ...]:
        value = doc.get(key.rsplit(".", 1)[-1], [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "a list of strings")
        return tuple(value)

    def table(self, key: str) -> dict[str, Any]:
        value = self.doc.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "a table")
        return value

    def iri(self, key: str, value: str, prefixes: dict[str, str]) -> str:
        """A prefixed name or a full IRI, as a full IRI."""
        if not value or value.startswith(("http://", "https://", "urn:")):
            return value
        prefix, colon, local = value.partition(":")
        if not colon or prefix not in prefixes:
            raise self.fail(key, f"a full IRI or a name with a known prefix, not {value!r}")
        return prefixes[prefix] + local

    @property
    def languages(self) -> tuple[str, ...]:
        value = self.doc.get("languages", ["en"])
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.isascii() and v.isalpha() for v in value)
        ):
            raise self.fail("languages", 'a list of one or more language tags (["de", "en"])')
        return tuple(v.lower() for v in value)

    def site(self, folder: Path) -> SiteConfig:
        name = self.string("name", default="dataset")
        if not name or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name):
            raise self.fail("name", "letters, digits, - and _ (it names the dump files)")
        vocab = self.table("vocabulary")
        prefix = self.string("vocabulary.prefix", vocab)
        base_iri = self.string("base_iri")
        # a namespace may be written relative to the base (``ontology#``)
        namespace = self.string("vocabulary.namespace", vocab)
        if namespace:  # (urljoin drops an empty fragment: the # is kept apart)
            hash_ = "#" if namespace.endswith("#") else ""
            namespace = urljoin(base_iri, namespace.removesuffix("#")) + hash_
        if bool(prefix) != bool(namespace):
            raise self.fail("vocabulary", "given a prefix and a namespace together, or neither")
        prefixes = {**STANDARD_PREFIXES, **({prefix: namespace} if prefix else {})}
        vocabulary = Vocabulary(
            prefix=prefix,
            namespace=namespace,
            confidence=self.iri(
                "vocabulary.confidence", self.string("vocabulary.confidence", vocab), prefixes
            ),
            inverse_label=self.iri(
                "vocabulary.inverse_label", self.string("vocabulary.inverse_label", vocab), prefixes
            ),
            events=tuple(
                self.iri("vocabulary.events", e, prefixes)
                for e in self.strings("vocabulary.events", vocab)
            ),
        )
        landing = []
        sections = self.doc.get("landing", [])
        if not isinstance(sections, list):
            raise self.fail("landing", "a list of [[landing]] tables")
        for i, section in enumerate(sections, 1):
            key = f"landing #{i}"
            if not isinstance(section, dict):
                raise self.fail(key, "a table")
            show = self.string(f"{key}.show", section, "list")
            if show not in SECTION_KINDS:
                raise self.fail(f"{key}.show", f"one of {', '.join(SECTION_KINDS)}")
            query = self.string(f"{key}.query", section)
            if not query:
                raise self.fail(f"{key}.query", "the name of a stored query in queries/")
            landing.append(Section(query, show, self.texts(f"{key}.title", section)))
        catalog = self.table("catalog")
        texts: dict[str, dict[str, str]] = {
            k: self.texts(f"catalog.{k}", catalog)
            for k in ("title", "description", "provenance")
            if k in catalog
        }
        issued = self.string("catalog.issued", catalog)
        if issued and not _is_date(issued):
            raise self.fail("catalog.issued", f'a date ("2021-08-25"), not {issued!r}')
        words = self.table("words")
        if not all(
            isinstance(t, dict) and all(isinstance(v, str) for v in t.values())
            for t in words.values()
        ):
            raise self.fail("words", 'tables of texts by language ([words.de] title = "…")')
        publisher = self.table("publisher")
        void = self.table("void")
        vocabularies = self.strings("void.vocabularies", void)
        if unknown := [p for p in vocabularies if p not in prefixes]:
            raise self.fail("void.vocabularies", f"known prefixes, not {', '.join(unknown)}")
        return SiteConfig(
            folder=folder,
            name=name,
            base_iri=base_iri,
            languages=self.languages,
            extensions=self.strings("extensions", self.doc),
            title=self.texts("title"),
            description=self.texts("description"),
            publisher={k: self.string(f"publisher.{k}", publisher) for k in publisher},
            licence=self.string("licence"),
            licence_name=self.string("licence_name"),
            attribution=self.string("attribution"),
            catalog=Catalog(
                texts=texts,
                issued=issued,
                period=self.string("catalog.period", catalog),
                themes=self.strings("catalog.themes", catalog) or ("GOVE",),
                spatial=self.string("catalog.spatial", catalog, "DEU"),
                geocoding_level=self.string("catalog.geocoding_level", catalog),
                frequency=self.string("catalog.frequency", catalog, "IRREG"),
            ),
            vocabulary=vocabulary,
            void=Void(
                self.string("void.root", void),
                self.strings("void.examples", void),
                vocabularies,
            ),
            landing=tuple(landing),
            words=words,
        )


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


#: Each language's name in itself, for a language switch and the catalogue (another: its tag).
LANGUAGE_NAMES = {
    "bg": "Български", "cs": "Čeština", "da": "Dansk", "de": "Deutsch", "el": "Ελληνικά",
    "en": "English", "es": "Español", "et": "Eesti", "fi": "Suomi", "fr": "Français",
    "ga": "Gaeilge", "hr": "Hrvatski", "hu": "Magyar", "it": "Italiano", "lt": "Lietuvių",
    "lv": "Latviešu", "mt": "Malti", "nl": "Nederlands", "pl": "Polski", "pt": "Português",
    "ro": "Română", "sk": "Slovenčina", "sl": "Slovenščina", "sv": "Svenska", "dsb": "Dolnoserbski",
    "hsb": "Hornjoserbsce", "nds": "Plattdüütsch", "fy": "Frysk",
}  # fmt: skip


#: The example site ``imagraph init`` writes (package data), and the base its files use.
SKELETON = Path(__file__).parent / "skeleton"
SKELETON_BASE = "https://example.org/council/"


def init(folder: Path, base_iri: str | None = None) -> list[Path]:
    """Write a new site into ``folder`` (new, or empty): the example site, which serves and
    conforms as it is, minted under ``base_iri`` if given. Returns the files written."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BadInputError(f"{folder}: not an empty folder; imagraph init writes a new site")
    base = base_iri or SKELETON_BASE
    if not base.startswith(("http://", "https://")) or not base.endswith("/"):
        raise BadInputError(f"base IRI {base!r} must be an http(s) IRI ending in '/'")
    try:  # checked as an IRI, and written as Turtle writes it
        turtle_base = str(ox.NamedNode(base))
    except ValueError as err:
        raise BadInputError(f"base IRI {base!r} is not a valid IRI: {err}") from None
    written = []
    for source in sorted(SKELETON.rglob("*")):
        if not source.is_file():
            continue
        target = folder / source.relative_to(SKELETON)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        if source.suffix == ".ttl":
            text = text.replace(f"@base {ox.NamedNode(SKELETON_BASE)} .", f"@base {turtle_base} .")
        elif source.name == SITE_FILE:
            text = text.replace(
                f"base_iri = {json.dumps(SKELETON_BASE)}", f"base_iri = {json.dumps(base)}"
            )
        target.write_text(text, encoding="utf-8")
        written.append(target)
    SiteConfig.load(folder)  # what was written reads back
    # their content dates (what harvesters see), as imagraph stamp records them
    stamps.stamp(
        [p for p in written if p.suffix == ".ttl"], datetime.now(UTC).replace(microsecond=0)
    )
    return written
