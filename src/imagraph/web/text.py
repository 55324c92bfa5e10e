"""The words of the pages, in German and English (another language: English, unless the site's
``[words.LANG]`` gives them); a site's title and description come from its ``site.toml``."""

from ..site import LANGUAGE_NAMES, SiteConfig
from ..validation import REPORT_TEXT

__all__ = ["LANGUAGE_NAMES", "TEXT", "word"]

TEXT = {
    "data": {"de": "Daten", "en": "Data"},
    "dumps": {"de": "Downloads", "en": "Downloads"},
    "ontology": {"de": "Ontologie", "en": "Ontology"},
    "shapes": {"de": "SHACL-Shapes", "en": "SHACL shapes"},
    "void": {"de": "Datensatzbeschreibung (VoID)", "en": "Dataset description (VoID)"},
    "formats": {"de": "Formate", "en": "Formats"},
    "confidence": {"de": "Belastbarkeit", "en": "Confidence"},
    "sources": {"de": "Quellen", "en": "Sources"},
    "incoming": {"de": "Verweise auf diese Ressource", "en": "Links to this resource"},
    "someIncoming": {
        "de": "Hier stehen die ersten %d Verweise; es gibt mehr.",
        "en": "The first %d links are shown here; there are more.",
    },
    "allIncoming": {"de": "Alle Verweise (SPARQL)", "en": "All links (SPARQL)"},
    "beingMade": {
        "de": "wird für diese Version der Daten erstellt – bitte gleich noch einmal versuchen",
        "en": "being made for this version of the data – try again in a moment",
    },
    "type": {"de": "Typ", "en": "Type"},
    "property": {"de": "Eigenschaft", "en": "Property"},
    "value": {"de": "Wert", "en": "Value"},
    "language": {"de": "Sprache", "en": "Language"},
    "statement": {"de": "diese Aussage", "en": "this statement"},
    "name": {"de": "Datei", "en": "File"},
    "size": {"de": "Größe (Bytes)", "en": "Size (bytes)"},
    "checksum": {"de": "SHA-256", "en": "SHA-256"},
    "home": {"de": "Start", "en": "Home"},
    "skip": {"de": "Zum Inhalt", "en": "Skip to content"},
    "mainNav": {"de": "Hauptnavigation", "en": "Main"},
    "licence": {"de": "Lizenz", "en": "Licence"},
    "terms": {"de": "Begriffe", "en": "Terms"},
    "query": {"de": "Abfrage", "en": "Query"},
    "run": {"de": "Ausführen", "en": "Run"},
    "prefixes": {"de": "Vordefinierte Präfixe", "en": "Predeclared prefixes"},
    "stored": {"de": "Gespeicherte Abfragen", "en": "Stored queries"},
    "results": {"de": "Ergebnis", "en": "Results"},
    "rows": {"de": "Zeilen", "en": "rows"},
    "search": {"de": "Suche", "en": "Search"},
    "searchLabel": {"de": "Namen durchsuchen", "en": "Search the names"},
    "searchButton": {"de": "Suchen", "en": "Search"},
    "searchNone": {"de": "Kein Name enthält „{q}“.", "en": "No name contains “{q}”."},
    "searchFound": {
        "de": "{n} Ressourcen, deren Name „{q}“ enthält; hier {first}–{last}.",
        "en": "{n} resources whose name contains “{q}”; showing {first}–{last}.",
    },
    "searchCapped": {
        "de": "Gezeigt werden die ersten 1.000; bitte genauer suchen.",
        "en": "The first 1,000 are shown; please search more precisely.",
    },
    "allOf": {"de": "alle {n} →", "en": "all {n} →"},
    "recentOf": {
        "de": "die {shown} jüngsten von {n}",
        "en": "the {shown} most recent of {n}",
    },
    "showing": {"de": "hier {first}–{last}", "en": "showing {first}–{last}"},
    "pages": {"de": "Seiten", "en": "Pages"},
    "previous": {"de": "← vorige Seite", "en": "← previous page"},
    "next": {"de": "nächste Seite →", "en": "next page →"},
    "download": {"de": "Herunterladen", "en": "Download"},
    "truncated": {
        "de": "Das Ergebnis wurde nach {n} Zeilen abgeschnitten.",
        "en": "The result was cut after {n} rows.",
    },
    "error": {"de": "Fehler", "en": "Error"},
    "share": {
        "de": "Diese Seite teilen: Ihre Adresse enthält die Abfrage.",
        "en": "Share this page: its address holds the query.",
    },
    "endpoint": {"de": "Endpunkt für Programme", "en": "Endpoint for programs"},
    "sparql": {"de": "SPARQL-Abfrage", "en": "SPARQL query"},
    "catalog": {"de": "Datenkatalog (DCAT)", "en": "Data catalogue (DCAT)"},
    "validate": {"de": "Daten prüfen (SHACL)", "en": "Validate data (SHACL)"},
    "validateIntro": {
        "de": "Prüft RDF gegen die veröffentlichten Shapes, zusammen mit den veröffentlichten "
        "Daten: Ein neues Treffen darf veröffentlichte Organisationen, Themen und Quellen "
        "nennen, ohne sie erneut zu beschreiben. Die Daten werden nicht gespeichert.",
        "en": "Checks RDF against the published shapes, together with the published data: a new "
        "meeting may cite published organisations, topics and sources without describing them "
        "again. The data is not stored.",
    },
    "alone": {
        "de": "Allein prüfen, ohne die veröffentlichten Daten",
        "en": "Validate alone, without the published data",
    },
    "withPublished": {
        "de": "Geprüft zusammen mit den veröffentlichten Daten.",
        "en": "Validated together with the published data.",
    },
    "checkedAlone": {
        "de": "Allein geprüft, ohne die veröffentlichten Daten.",
        "en": "Validated alone, without the published data.",
    },
    "paste": {"de": "RDF einfügen", "en": "Paste RDF"},
    "syntax": {"de": "Syntax", "en": "Syntax"},
    "upload": {"de": "oder Datei hochladen", "en": "or upload a file"},
    "byUrl": {"de": "oder Adresse (URL)", "en": "or address (URL)"},
    "ownShapes": {"de": "Eigene Shapes (Turtle)", "en": "Own shapes (Turtle)"},
    "check": {"de": "Prüfen", "en": "Check"},
    "conforms": REPORT_TEXT["conforms"],
    "violations": REPORT_TEXT["fails"],
    "triples": {"de": "Tripel", "en": "triples"},
    "mediaType": {"de": "Medientyp", "en": "Media type"},
    "line": REPORT_TEXT["line"],
    "shape": {"de": "Shape", "en": "shape"},
}


def word(config: SiteConfig, key: str, lang: str) -> str:
    """A word of the pages in ``lang``: the site's own (``[words.LANG]``, its title and
    description), else imagraph's, else English."""
    own = config.words.get(lang, {})
    if key in own:
        return own[key]
    if key == "title":
        return config.text(config.title, lang)
    if key == "intro":
        return config.text(config.description, lang)
    texts = TEXT[key]
    return texts.get(lang) or texts["en"]
