"""SHACL validation: the one wrapper around pySHACL, and its reports for people and programs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyshacl
from pyshacl.errors import ReportableRuntimeError, ShapeLoadError
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from .errors import ShapesError
from .namespaces import PREFIXES, SH, compact
from .store import LABEL_PROPERTIES

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

    def message(self, lang: str) -> str:
        """The message in ``lang``, else in English, else any."""
        for key in (lang, "en", ""):
            if key in self.messages:
                return self.messages[key]
        return next(iter(self.messages.values()), "")


@dataclass(frozen=True)
class ValidationResult:
    """The verdict, the standard report graph (``sh:ValidationReport``) and its results."""

    conforms: bool
    report: Graph
    results: tuple[Violation, ...]
    data: Graph

    def label(self, node: Node, lang: str) -> str | None:
        """A human-readable label of a node of the validated data, in ``lang`` if possible."""
        fallback = None
        for prop in _LABELS:
            for value in self.data.objects(node, prop):  # type: ignore[arg-type]
                if isinstance(value, Literal):
                    if value.language == lang:
                        return str(value)
                    fallback = fallback or str(value)
        return fallback

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
    for _, p, o in list(graph.triples((node, None, None))):  # type: ignore[arg-type]
        graph.remove((node, p, o))  # type: ignore[arg-type]
        if isinstance(o, BNode) and not list(graph.triples((None, None, o))):
            _remove_tree(graph, o)


def _term_text(node: Node | None) -> str:
    """A term for people: IRIs as prefixed names where a prefix fits, literals in Turtle form."""
    if node is None:
        return ""
    if isinstance(node, URIRef):
        text = compact(str(node))
        return text if text != str(node) else node.n3()
    return node.n3() if isinstance(node, Literal) else str(node)


def _path_text(report: Graph, path: Node | None) -> str | None:
    """A SHACL property path as SPARQL-like text (``^schema:subEvent``, ``skos:broader+``)."""
    if path is None:
        return None
    if isinstance(path, URIRef):
        return _term_text(path)
    inverse = report.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + (_path_text(report, inverse) or "")
    for prop, suffix in (
        (SH.oneOrMorePath, "+"),
        (SH.zeroOrMorePath, "*"),
        (SH.zeroOrOnePath, "?"),
    ):
        inner = report.value(path, prop)
        if inner is not None:
            return f"({_path_text(report, inner)}){suffix}"
    alternatives = report.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(_path_text(report, p) or "" for p in Collection(report, alternatives))
    if isinstance(path, BNode) and report.value(path, URIRef(PREFIXES["rdf"] + "first")):
        return "/".join(_path_text(report, p) or "" for p in Collection(report, path))
    return str(path)


def validate(data: Graph, shapes: Graph) -> ValidationResult:
    """Validate ``data`` (which should include the ontology) against ``shapes``.

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
                focus=report.value(r, SH.focusNode),  # type: ignore[arg-type]
                path=_path_text(report, report.value(r, SH.resultPath)),
                value=report.value(r, SH.value),
                severity=_term_text(severity).removeprefix("sh:") if severity else "Violation",
                shape=report.value(r, SH.sourceShape),
                messages=messages,
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
    "shape": {"de": "Shape", "en": "shape"},
}


def report_text(result: ValidationResult, lang: str = "en") -> str:
    """A report for people: grouped by focus node, with path, value and message in ``lang``."""
    if result.conforms:
        return REPORT_TEXT["conforms"][lang] + "\n"
    groups = result.by_focus()
    lines = [REPORT_TEXT["fails"][lang].format(n=len(result.results), f=len(groups)), ""]
    for focus, violations in groups.items():
        label = result.label(focus, lang)
        lines.append(f"{focus}" + (f"  ({label})" if label else ""))
        for v in violations:
            head = f"  [{v.severity}] {v.path or '(node)'}"
            if v.value is not None:
                head += f"  {REPORT_TEXT['value'][lang]}: {_term_text(v.value)}"
            lines.append(head)
            lines.append(f"    {v.message(lang)}")
            if v.shape is not None and isinstance(v.shape, URIRef):
                lines.append(f"    {REPORT_TEXT['shape'][lang]}: {v.shape}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def report_summary(result: ValidationResult, lang: str = "en") -> dict[str, object]:
    """A compact JSON-ready summary: the verdict and the results grouped by focus node."""
    return {
        "conforms": result.conforms,
        "violations": len(result.results),
        "focusNodes": [
            {
                "focusNode": str(focus),
                "label": result.label(focus, lang),
                "results": [
                    {
                        "path": v.path,
                        "value": None if v.value is None else str(v.value),
                        "severity": v.severity,
                        "message": v.message(lang),
                        "shape": None if isinstance(v.shape, BNode) else str(v.shape),
                    }
                    for v in violations
                ],
            }
            for focus, violations in result.by_focus().items()
        ],
    }
