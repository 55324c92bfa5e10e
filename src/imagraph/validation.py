"""SHACL validation: the one wrapper around pySHACL, and its reports for people and programs."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyshacl
from pyshacl.errors import ReportableRuntimeError, ShapeLoadError
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from .errors import ShapesError
from .labels import LABEL_PROPERTIES, in_language
from .namespaces import PREFIXES, SH, compact

_LABELS = tuple(URIRef(p.value) for p in LABEL_PROPERTIES)


@dataclass(frozen=True)
class Violation:
    """One result of a validation report."""

    focus: Node
    path: str | None
    value: Node | None
    severity: str
    shape: Node | None
    messages: dict[str, str] = field(default_factory=dict)
    #: what to write instead of the value, where we can tell (:func:`hint_for`), by language
    hints: dict[str, str] = field(default_factory=dict)

    def message(self, lang: str) -> str:
        """The message in ``lang``, else in English, else any."""
        for key in (lang, "en", ""):
            if key in self.messages:
                return self.messages[key]
        return next(iter(self.messages.values()), "")

    def hint(self, lang: str) -> str | None:
        return self.hints.get(lang) or self.hints.get("en")


XSD_NS = PREFIXES["xsd"]
_DATE_TYPES = {
    URIRef(XSD_NS + "date"): "YYYY-MM-DD",
    URIRef(XSD_NS + "dateTime"): "YYYY-MM-DDThh:mm:ss+01:00",
    URIRef(XSD_NS + "gYearMonth"): "YYYY-MM",
    URIRef(XSD_NS + "gYear"): "YYYY",
}
#: dates as people write them in German and English texts: 12.03.2026, 12/03/2026, 03.2026
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
_MONTH_YEAR = re.compile(r"(\d{1,2})[./](\d{4})")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MONTH = re.compile(r"\d{4}-\d{2}")


def _typed(text: str, datatype: str) -> str:
    return f'"{text}"^^xsd:{datatype}'


def hint_for(value: Node | None) -> dict[str, str]:
    """What to write instead of a literal that is a date in another form, or a date that does
    not exist (``"2026-02-30"^^xsd:date``), in German and English; empty where we cannot tell."""
    if not isinstance(value, Literal):
        return {}
    text = str(value).strip()
    datatype = value.datatype
    pattern = _DATE_TYPES.get(datatype) if datatype else None
    if datatype and pattern and value.ill_typed:
        return {
            "de": f"„{text}“ ist kein gültiger Wert für xsd:{datatype.removeprefix(XSD_NS)}"
            f" (Form {pattern}; gibt es den Tag?).",
            "en": f"“{text}” is not a valid xsd:{datatype.removeprefix(XSD_NS)}"
            f" (form {pattern}; does that day exist?).",
        }
    if value.datatype not in (None, URIRef(XSD_NS + "string")):
        return {}
    day = _DAY_MONTH_YEAR.fullmatch(text)
    if day:
        d, m, y = (int(g) for g in day.groups())
        try:
            iso = datetime.date(y, m, d).isoformat()
        except ValueError:
            return {
                "de": f"„{text}“ ist kein Tag, den es gibt. Schreiben Sie Daten als Jahr-Monat-Tag"
                f", z. B. {_typed('2026-03-12', 'date')}.",
                "en": f"“{text}” is not a day that exists. Write dates as year-month-day, e.g. "
                f"{_typed('2026-03-12', 'date')}.",
            }
        return {
            "de": f"Schreiben Sie {_typed(iso, 'date')} (Jahr-Monat-Tag) statt „{text}“.",
            "en": f"Write {_typed(iso, 'date')} (year-month-day) instead of “{text}”.",
        }
    month = _MONTH_YEAR.fullmatch(text)
    if month and 1 <= int(month.group(1)) <= 12:
        iso = f"{month.group(2)}-{int(month.group(1)):02d}"
        return {
            "de": f"Schreiben Sie {_typed(iso, 'gYearMonth')} (Jahr-Monat) statt „{text}“.",
            "en": f"Write {_typed(iso, 'gYearMonth')} (year-month) instead of “{text}”.",
        }
    for regex, name in ((_ISO_DAY, "date"), (_ISO_MONTH, "gYearMonth")):
        if regex.fullmatch(text):
            return {
                "de": f"Geben Sie den Datentyp an: {_typed(text, name)}.",
                "en": f"Give the datatype: {_typed(text, name)}.",
            }
    return {}


@dataclass(frozen=True)
class ValidationResult:
    """The verdict, the standard report graph (``sh:ValidationReport``) and its results."""

    conforms: bool
    report: Graph
    results: tuple[Violation, ...]
    data: Graph

    def label(self, node: Node, lang: str) -> str | None:
        """A human-readable label of a node of the validated data, in ``lang`` if possible."""
        labels: dict[str, str] = {}
        for prop in _LABELS:  # the best-ranked property first
            for value in self.data.objects(node, prop):
                if isinstance(value, Literal):
                    labels.setdefault(value.language or "", str(value))
        return in_language(labels, lang)

    def only(self, focus: Iterable[Node]) -> ValidationResult:
        """The result restricted to results about ``focus`` (the report graph keeps them all)."""
        keep = set(focus)
        results = tuple(v for v in self.results if v.focus in keep)
        report = Graph()
        for t in self.report:
            report.add(t)
        for node in list(report.objects(None, SH.result)):
            if report.value(node, SH.focusNode) not in keep:
                _remove_tree(report, node)
        for r in report.subjects(SH.conforms, None):
            report.set((r, SH.conforms, Literal(not results)))
        return ValidationResult(not results, report, results, self.data)

    def by_focus(self) -> dict[Node, list[Violation]]:
        """Results grouped by focus node, in a stable order."""
        groups: dict[Node, list[Violation]] = {}
        for v in sorted(self.results, key=lambda v: (str(v.focus), v.path or "", str(v.shape))):
            groups.setdefault(v.focus, []).append(v)
        return groups


def _remove_tree(graph: Graph, node: Node) -> None:
    """Remove ``node``, its outgoing triples and the blank nodes only it points to."""
    for s, p, o in list(graph.triples((None, None, node))):
        graph.remove((s, p, o))
    for _, p, o in list(graph.triples((node, None, None))):
        graph.remove((node, p, o))
        if isinstance(o, BNode) and not list(graph.triples((None, None, o))):
            _remove_tree(graph, o)


def _term_text(node: Node | None, prefixes: dict[str, str] = PREFIXES) -> str:
    """A term for people: IRIs as prefixed names where a prefix fits, literals in Turtle form."""
    if node is None:
        return ""
    if isinstance(node, URIRef):
        text = compact(str(node), prefixes)
        return text if text != str(node) else node.n3()
    return node.n3() if isinstance(node, Literal) else str(node)


def path_text(report: Graph, path: Node | None, prefixes: dict[str, str] = PREFIXES) -> str | None:
    """A SHACL property path as SPARQL writes it (``^schema:subEvent``, ``skos:broader+``,
    ``^(a/b)``), with brackets where SPARQL's precedence needs them. A path that is none (an
    empty node, a cycle) is ``[]``: never a blank node's id, which changes from load to load."""
    if path is None:
        return None
    return _path(report, path, prefixes, frozenset())[0]


#: SPARQL's path operators, by precedence: an alternative, then a sequence, then ``^``, then
#: ``*``, ``+`` and ``?`` (bracketed where an operand binds less tightly than its operator).
_ALTERNATIVE, _SEQUENCE, _INVERSE, _ELEMENT = range(4)
_MODIFIERS = ((SH.oneOrMorePath, "+"), (SH.zeroOrMorePath, "*"), (SH.zeroOrOnePath, "?"))


def _path(
    report: Graph, path: Node, prefixes: dict[str, str], seen: frozenset[Node]
) -> tuple[str, int]:
    """(text, how tightly its outermost operator binds) of ``path``."""
    if isinstance(path, URIRef):
        return _term_text(path, prefixes), _ELEMENT
    if path in seen or not isinstance(path, BNode):
        return "[]", _ELEMENT
    seen = seen | {path}

    def operand(node: Node, least: int) -> str:
        text, kind = _path(report, node, prefixes, seen)
        return text if kind >= least else f"({text})"

    inverse = report.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + operand(inverse, _ELEMENT), _INVERSE
    for prop, suffix in _MODIFIERS:
        inner = report.value(path, prop)
        if inner is not None:
            return operand(inner, _ELEMENT) + suffix, _ELEMENT
    alternatives = report.value(path, SH.alternativePath)
    if alternatives is not None:
        items = _items(report, alternatives)
        return "|".join(operand(p, _SEQUENCE) for p in items) or "[]", _ALTERNATIVE
    if report.value(path, URIRef(PREFIXES["rdf"] + "first")) is not None:
        items = _items(report, path)
        return "/".join(operand(p, _INVERSE) for p in items) or "[]", _SEQUENCE
    return "[]", _ELEMENT


def _items(report: Graph, head: Node) -> list[Node]:
    """The members of the RDF list ``head``, none if it loops back on itself."""
    try:
        return list(Collection(report, head))
    except ValueError:  # a list that loops back on itself
        return []


def validate(data: Graph, shapes: Graph, prefixes: dict[str, str] = PREFIXES) -> ValidationResult:
    """Validate ``data`` (which should include the ontology) against ``shapes``; paths are
    written with ``prefixes`` (the site's).

    pySHACL runs with SHACL Advanced Features on (our shapes use SPARQL-based targets). The data
    graph is validated in place: callers pass a graph built for the purpose.
    """
    try:
        conforms, report, _text = pyshacl.validate(
            data, shacl_graph=shapes, advanced=True, inplace=True, allow_warnings=True
        )
    except (ShapeLoadError, ReportableRuntimeError) as err:
        raise ShapesError(f"the shapes cannot be used: {err.message}") from None
    results = []
    for r in report.objects(None, SH.result):
        messages = {}
        for m in report.objects(r, SH.resultMessage):
            if isinstance(m, Literal):
                messages[m.language or ""] = str(m)
        severity = report.value(r, SH.resultSeverity)
        results.append(
            Violation(
                focus=report.value(r, SH.focusNode),
                path=path_text(report, report.value(r, SH.resultPath), prefixes),
                value=report.value(r, SH.value),
                severity=_term_text(severity).removeprefix("sh:") if severity else "Violation",
                shape=report.value(r, SH.sourceShape),
                messages=messages,
                hints=hint_for(report.value(r, SH.value)),
            )
        )
    return ValidationResult(bool(conforms), report, tuple(results), data)


REPORT_TEXT = {
    "conforms": {"de": "Konform: keine Verstöße.", "en": "Conforms: no violations."},
    "fails": {
        "de": "Nicht konform: {n} Verstöße bei {f} Ressourcen.",
        "en": "Does not conform: {n} violations on {f} resources.",
    },
    "value": {"de": "Wert", "en": "value"},
    "line": {"de": "Zeile", "en": "line"},
    "shape": {"de": "Shape", "en": "shape"},
}


#: Where a focus node is first written in a submission: (the file, where there are several;
#: the line).
Where = dict[str, tuple[str | None, int]]


def _where_text(where: Where | None, focus: Node, lang: str) -> str:
    found = (where or {}).get(str(focus))
    if found is None:
        return ""
    source, line = found
    return f"  [{source + ', ' if source else ''}{REPORT_TEXT['line'][lang]} {line}]"


def _where_fields(where: Where | None, focus: Node) -> dict[str, object]:
    source, line = (where or {}).get(str(focus), (None, None))
    return {"line": line, "file": source}


def report_text(result: ValidationResult, lang: str = "en", where: Where | None = None) -> str:
    """A report for people: grouped by focus node (with the line where the submission writes
    it, from ``where``), with path, value and message in ``lang``."""
    if result.conforms:
        return REPORT_TEXT["conforms"][lang] + "\n"
    groups = result.by_focus()
    lines = [REPORT_TEXT["fails"][lang].format(n=len(result.results), f=len(groups)), ""]
    for focus, violations in groups.items():
        label = result.label(focus, lang)
        lines.append(
            f"{focus}" + (f"  ({label})" if label else "") + _where_text(where, focus, lang)
        )
        for v in violations:
            head = f"  [{v.severity}] {v.path or '(node)'}"
            if v.value is not None:
                head += f"  {REPORT_TEXT['value'][lang]}: {_term_text(v.value)}"
            lines.append(head)
            lines.append(f"    {v.message(lang)}")
            if v.hint(lang):
                lines.append(f"    → {v.hint(lang)}")
            if v.shape is not None and isinstance(v.shape, URIRef):
                lines.append(f"    {REPORT_TEXT['shape'][lang]}: {v.shape}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def report_summary(
    result: ValidationResult, lang: str = "en", where: Where | None = None
) -> dict[str, object]:
    """A compact JSON-ready summary: the verdict and the results grouped by focus node (with
    the line where the submission writes it, from ``where``)."""
    return {
        "conforms": result.conforms,
        "violations": len(result.results),
        "focusNodes": [
            {
                "focusNode": str(focus),
                "label": result.label(focus, lang),
                **_where_fields(where, focus),
                "results": [
                    {
                        "path": v.path,
                        "value": None if v.value is None else str(v.value),
                        "severity": v.severity,
                        "message": v.message(lang),
                        "hint": v.hint(lang),
                        "shape": None if isinstance(v.shape, BNode) else str(v.shape),
                    }
                    for v in violations
                ],
            }
            for focus, violations in result.by_focus().items()
        ],
    }
