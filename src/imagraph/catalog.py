"""The DCAT catalogue, derived from the graph and the settings, never maintained by hand.

Datasets have stable IRIs under the persistent base (``{base}dataset/{id}``), so harvesters keep
their identity across hosts and harvests. Objects carry the explicit types the official DCAT-AP
and DCAT-AP.de shapes check (they do no inference). Each dataset is dated from its own graphs
(:meth:`Core.modified_of`: its files' content dates, or the last write to them); checksums follow
the data version.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import pyoxigraph as ox

from .core import Core
from .errors import BadInputError
from .formats import Format
from .namespaces import PREFIXES
from .settings import Settings
from .site import LANGUAGE_NAMES

DCAT = "http://www.w3.org/ns/dcat#"
DCT = PREFIXES["dct"]
DCATDE = "http://dcat-ap.de/def/dcatde/"
DCATAP = "http://data.europa.eu/r5r/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SPDX = "http://spdx.org/rdf/terms#"
FOAF = PREFIXES["foaf"]
SKOS = PREFIXES["skos"]
XSD = PREFIXES["xsd"]
RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"

CATALOG_PREFIXES = {
    **PREFIXES, "dcat": DCAT, "dcatde": DCATDE, "dcatap": DCATAP, "vcard": VCARD, "spdx": SPDX,
}  # fmt: skip

#: Language tags (BCP 47) and the codes of the EU language table (ISO 639-2/T).
EU_LANGUAGES = {
    "bg": "BUL", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG", "es": "SPA",
    "et": "EST", "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV", "hu": "HUN", "it": "ITA",
    "lt": "LIT", "lv": "LAV", "mt": "MLT", "nl": "NLD", "pl": "POL", "pt": "POR", "ro": "RON",
    "sk": "SLK", "sl": "SLV", "sv": "SWE", "dsb": "DSB", "hsb": "HSB", "nds": "NDS", "fy": "FRY",
}  # fmt: skip

#: The labels of the EU language table's terms in German and English (each also has its name
#: in itself, see :data:`web.text.LANGUAGE_NAMES`).
LANGUAGE_LABELS = {
    "DEU": {"de": "Deutsch", "en": "German"},
    "ENG": {"de": "Englisch", "en": "English"},
}

#: The titles of the services, in German and English (others: English), of the site's title.
SERVICE_TITLES = {
    "sparql": {"de": "SPARQL-Endpunkt: {title}", "en": "SPARQL endpoint: {title}"},
    "resources": {"de": "Linked-Data-Schnittstelle: {title}", "en": "Linked-data API: {title}"},
}


@dataclass(frozen=True)
class Part:
    """A dataset of the catalogue: an id, titles, descriptions and the named graphs it holds."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    graphs: tuple[str, ...]  # short names; empty: the whole knowledge graph
    keywords: tuple[tuple[str, str], ...]


def load_parts(path: Path, languages: tuple[str, ...]) -> tuple[Part, ...]:
    """The datasets of ``catalog/datasets.toml``, each with a title and a description in every
    one of ``languages``; a malformed file is an error naming it."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        parts = tuple(
            Part(
                d["id"],
                {lang: d["title"][lang] for lang in languages},
                {lang: d["description"][lang] for lang in languages},
                tuple(d["graphs"]),
                tuple((w, lang) for lang, words in d.get("keywords", {}).items() for w in words),
            )
            for d in doc["dataset"]
        )
    except KeyError as err:
        raise BadInputError(
            f"{path}: each dataset needs an id, graphs, and a title and a description in each of "
            f"the site's languages ({', '.join(languages)}); {err} is missing"
        ) from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, TypeError) as err:
        raise BadInputError(f"{path}: cannot read the catalogue's datasets ({err})") from None
    if not parts:
        raise BadInputError(f"{path}: no [[dataset]]: the first is the whole graph")
    return parts


@dataclass(frozen=True)
class DumpInfo:
    url: str
    fmt: Format
    gzip: bool
    size: int | None  # None while the dump is being made
    sha256: str | None


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(value: str, lang: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


def _day(term: object) -> str | None:
    """The day of a date or date-time literal (``2025-10-14``), or None."""
    value = term.value if isinstance(term, ox.Literal) else ""
    return value[:10] if len(value) >= 10 and value[4] == "-" and value[7] == "-" else None


def _typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=_n(XSD + datatype))


class CatalogBuilder:
    """Collects the catalogue's triples; one instance per answer."""

    def __init__(
        self,
        core: Core,
        settings: Settings,
        url: Callable[[str], str],
        dumps: Callable[[str], list[DumpInfo]],
        period_query: str | None = None,
    ) -> None:
        self.core = core
        self.settings = settings
        self.url = url
        self.dumps = dumps
        self.config = settings.config
        #: the stored query that gives the period the data covers (see :meth:`period`)
        self.period_query = period_query
        self.triples: list[ox.Triple] = []
        self._modified: dict[str, ox.Literal] = {}
        self._period: tuple[str, str | None] | None = None

    def add(
        self, s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.Literal | ox.BlankNode
    ) -> None:
        self.triples.append(ox.Triple(s, _n(p), o))

    def typed(self, s: ox.NamedNode, *types: str) -> ox.NamedNode:
        for t in types:
            self.add(s, RDF_TYPE.value, _n(t))
        return s

    def language(self, code: str) -> ox.NamedNode:
        """A term of the EU language table, described as DCAT-AP.de asks (in its scheme), so
        that a harvester without the table can check it."""
        term = self.typed(_n(EU + "language/" + code), DCT + "LinguisticSystem", SKOS + "Concept")
        self.add(term, SKOS + "inScheme", _n(EU + "language"))
        self.add(term, SKOS + "notation", _lit(code))
        own = {tag: LANGUAGE_NAMES[tag] for tag, c in EU_LANGUAGES.items() if c == code}
        for lang, label in {**own, **LANGUAGE_LABELS.get(code, {})}.items():
            self.add(term, SKOS + "prefLabel", _lit(label, lang))
        return term

    # -- IRIs ----------------------------------------------------------------------------------

    def catalog_iri(self) -> ox.NamedNode:
        return _n(self.settings.base_iri + "catalog")

    def dataset_iri(self, part: Part) -> ox.NamedNode:
        return _n(f"{self.settings.base_iri}dataset/{part.id}")

    def publisher(self) -> ox.NamedNode:
        iri = _n(self.settings.publisher_iri or self.url("") + "#publisher")
        if not any(t.subject == iri for t in self.triples):
            self.typed(iri, FOAF + "Agent", FOAF + "Organization")
            self.add(iri, FOAF + "name", _lit(self.settings.publisher_name))
        return iri

    def contact(self) -> ox.NamedNode:
        iri = _n(self.url("") + "#contact")
        if not any(t.subject == iri for t in self.triples):
            self.typed(iri, VCARD + "Kind", VCARD + "Organization")
            self.add(iri, VCARD + "fn", _lit(self.settings.publisher_name))
            if self.settings.contact_email:
                self.add(iri, VCARD + "hasEmail", _n("mailto:" + self.settings.contact_email))
            self.add(iri, VCARD + "hasURL", _n(self.settings.contact_url or self.url("")))
        return iri

    def spatial(self) -> ox.NamedNode:
        return self.typed(_n(EU + "country/" + self.config.catalog.spatial), DCT + "Location")

    def licence(self) -> ox.NamedNode:
        return self.typed(_n(self.settings.licence), DCT + "LicenseDocument")

    def concept(self, iri: str) -> ox.NamedNode:
        return self.typed(_n(iri), PREFIXES["skos"] + "Concept")

    def availability(self) -> ox.NamedNode:
        """How long the distributions and services stay available (dcatap:availability): stable,
        from the EU planned-availability list, with its labels (there is no offline copy of it
        to merge)."""
        skos = PREFIXES["skos"]
        stable = self.concept(EU + "planned-availability/STABLE")
        self.add(stable, skos + "inScheme", _n(EU + "planned-availability"))
        self.add(stable, skos + "prefLabel", _lit("stable", "en"))
        self.add(stable, skos + "prefLabel", _lit("stabil", "de"))
        return stable

    # -- the catalogue -------------------------------------------------------------------------

    def modified(self, part: Part | None = None) -> ox.Literal:
        """When the data last changed (``part``: its graphs, see :meth:`Core.modified_of`)."""
        key = part.id if part is not None else ""
        if key not in self._modified:
            when = self.core.modified_of(part.graphs if part is not None else ())
            # in UTC, with its zone (a date-time without one is any of 24 hours to a harvester)
            self._modified[key] = _typed(
                when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "dateTime"
            )
        return self._modified[key]

    def build_catalog(self, parts: tuple[Part, ...]) -> ox.NamedNode:
        c = self.typed(self.catalog_iri(), DCAT + "Catalog")
        for lang, text in self.texts("title").items():
            self.add(c, DCT + "title", _lit(text, lang))
        for lang, text in self.texts("description").items():
            self.add(c, DCT + "description", _lit(text, lang))
        self.add(c, DCT + "publisher", self.publisher())
        self.add(c, DCT + "issued", _typed(self.period()[0], "date"))
        self.add(c, DCT + "modified", self.modified())
        for lang in self.config.languages:
            if lang in EU_LANGUAGES:
                self.add(c, DCT + "language", self.language(EU_LANGUAGES[lang]))
        self.add(c, FOAF + "homepage", self.typed(_n(self.url("")), FOAF + "Document"))
        self.add(c, DCT + "license", self.licence())
        self.add(
            c,
            DCAT + "themeTaxonomy",
            self.typed(_n(EU + "data-theme"), PREFIXES["skos"] + "ConceptScheme"),
        )
        self.add(c, DCT + "spatial", self.spatial())
        for part in parts:
            self.add(c, DCAT + "dataset", self.dataset_iri(part))
        self.add(c, DCAT + "service", self.sparql_service())
        self.add(c, DCAT + "service", self.resource_service())
        return c

    def texts(self, key: str) -> dict[str, str]:
        """The catalogue's ``[catalog]`` text ``key`` of the site, by language (the site's title
        where it gives none)."""
        return dict(self.config.catalog.texts.get(key) or self.config.title)

    def period(self) -> tuple[str, str | None]:
        """When the data was first issued (the start of the period it covers) and the last day
        it covers (or None): the site's ``[catalog] period`` stored query's first row (``?start``
        and ``?end``, dates), else the site's ``issued`` date alone."""
        if self._period is None:
            start, end = self.config.catalog.issued or None, None
            if self.period_query is not None:
                rows = list(self.core.store.query(self.period_query).rows())
                if rows:
                    start = _day(rows[0].get("start")) or start
                    end = _day(rows[0].get("end"))
            if start is None:
                start = self.core.modified_of(()).date().isoformat()
            self._period = (start, end)
        return self._period

    def _service(
        self, name: str, title: dict[str, str], endpoint: str, description: str
    ) -> ox.NamedNode:
        s = _n(self.settings.base_iri + "service/" + name)
        if any(t.subject == s for t in self.triples):
            return s
        self.typed(s, DCAT + "DataService")
        for lang, text in title.items():
            self.add(s, DCT + "title", _lit(text, lang))
        self.add(s, DCAT + "endpointURL", _n(self.url(endpoint)))
        self.add(s, DCAT + "endpointDescription", _n(self.url(description)))
        self.add(s, DCT + "publisher", self.publisher())
        self.add(s, DCT + "license", self.licence())
        self.add(
            s, DCAT + "servesDataset", _n(f"{self.settings.base_iri}dataset/{self.config.name}")
        )
        self.add(s, DCATAP + "availability", self.availability())
        return s

    def _service_title(self, name: str) -> dict[str, str]:
        titles = SERVICE_TITLES[name]
        return {
            lang: (titles.get(lang) or titles["en"]).format(title=title)
            for lang, title in self.config.title.items()
        }

    def sparql_service(self) -> ox.NamedNode:
        """The SPARQL endpoint; its service description is at the same URL."""
        return self._service("sparql", self._service_title("sparql"), "sparql", "sparql")

    def resource_service(self) -> ox.NamedNode:
        """The linked-data API: every IRI under the base, negotiated (VoID describes it)."""
        return self._service("resources", self._service_title("resources"), "", ".well-known/void")

    def build_dataset(self, part: Part) -> ox.NamedNode:
        d = self.typed(self.dataset_iri(part), DCAT + "Dataset")
        self.add(d, DCT + "identifier", _lit(self.dataset_iri(part).value))
        for lang, text in part.title.items():
            self.add(d, DCT + "title", _lit(text, lang))
        for lang, text in part.description.items():
            self.add(d, DCT + "description", _lit(text, lang))
        for word, lang in part.keywords:
            self.add(d, DCAT + "keyword", _lit(word, lang))
        self.add(d, DCT + "publisher", self.publisher())
        self.add(d, DCAT + "contactPoint", self.contact())
        if self.settings.contributor_id:
            self.add(d, DCATDE + "contributorID", _n(self.settings.contributor_id))
        self.add(d, DCT + "issued", _typed(self.period()[0], "date"))
        self.add(d, DCT + "modified", self.modified(part))
        for theme in self.config.catalog.themes:
            self.add(d, DCAT + "theme", self.concept(EU + "data-theme/" + theme))
        self.add(d, DCT + "spatial", self.spatial())
        if level := self.config.catalog.geocoding_level:
            self.add(
                d,
                DCATDE + "politicalGeocodingLevelURI",
                _n(f"http://dcat-ap.de/def/politicalGeocoding/Level/{level}"),
            )
        period = _n(self.dataset_iri(part).value + "#period")
        self.typed(period, DCT + "PeriodOfTime")
        start, end = self.period()
        self.add(period, DCAT + "startDate", _typed(start, "date"))
        if end:
            self.add(period, DCAT + "endDate", _typed(end, "date"))
        self.add(d, DCT + "temporal", period)
        provenance = _n(self.dataset_iri(part).value + "#provenance")
        self.typed(provenance, DCT + "ProvenanceStatement")
        for lang, text in self.texts("provenance").items():
            self.add(provenance, PREFIXES["rdfs"] + "label", _lit(text, lang))
        self.add(d, DCT + "provenance", provenance)
        self.add(d, DCAT + "landingPage", self.typed(_n(self.url("")), FOAF + "Document"))
        self.add(
            d,
            DCT + "accrualPeriodicity",
            self.typed(_n(EU + "frequency/" + self.config.catalog.frequency), DCT + "Frequency"),
        )
        self.add(d, DCT + "license", self.licence())
        for dump in self.dumps(part.id):
            self.add(d, DCAT + "distribution", self.distribution(part, dump))
        return d

    def distribution(self, part: Part, dump: DumpInfo) -> ox.NamedNode:
        name = dump.url.rsplit("/", 1)[-1]
        dist = self.typed(
            _n(f"{self.dataset_iri(part).value}/distribution/{name}"), DCAT + "Distribution"
        )
        kind = (dump.fmt.file_type or dump.fmt.title).replace("_", " ").replace("RDF ", "")
        for lang, title in part.title.items():
            label = f"{title} ({kind}{', gzip' if dump.gzip else ''})"
            self.add(dist, DCT + "title", _lit(label, lang))
        self.add(dist, DCAT + "accessURL", _n(dump.url))
        self.add(dist, DCAT + "downloadURL", _n(dump.url))
        media = self.typed(_n(IANA + dump.fmt.media_type), DCT + "MediaType")
        self.add(dist, DCAT + "mediaType", media)
        if dump.fmt.file_type_iri is not None:
            file_type = self.typed(_n(dump.fmt.file_type_iri), DCT + "MediaTypeOrExtent")
            self.add(dist, DCT + "format", file_type)
        if dump.gzip:
            self.add(
                dist,
                DCAT + "compressFormat",
                self.typed(_n(IANA + "application/gzip"), DCT + "MediaType"),
            )
        if dump.size is not None and dump.sha256 is not None:
            self.add(dist, DCAT + "byteSize", _typed(str(dump.size), "nonNegativeInteger"))
            checksum = _n(dist.value + "#sha256")
            self.typed(checksum, SPDX + "Checksum")
            self.add(checksum, SPDX + "algorithm", _n(SPDX + "checksumAlgorithm_sha256"))
            self.add(checksum, SPDX + "checksumValue", _typed(dump.sha256, "hexBinary"))
            self.add(dist, SPDX + "checksum", checksum)
        self.add(dist, DCT + "license", self.licence())
        self.add(
            dist,
            DCATDE + "licenseAttributionByText",
            _lit(self.settings.attribution, self.config.languages[0]),
        )
        self.add(dist, DCT + "modified", self.modified(part))
        self.add(dist, DCATAP + "availability", self.availability())
        return dist
