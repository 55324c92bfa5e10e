"""Validating in confined children within one time limit: the gate of every write and the engine
of every submission (:mod:`imagraph.submissions`).

Each step (parsing a submission, validating) runs in a child with no network, a memory limit
and what is left of the one time limit; the shapes and the ontology are read once in the parent
and shared with every child, which never touches the store.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from . import isolation, loading
from .core import Core
from .errors import ChildTimeoutError, ValidationTimeoutError
from .validation import ValidationResult, Where, report_summary, report_text


@dataclass(frozen=True)
class Checked:
    """The outcome of one validation, ready for every output: the standard report as Turtle,
    summaries and texts in German and English."""

    conforms: bool
    report_turtle: bytes
    summary: dict[str, dict[str, Any]]
    text: dict[str, str]
    triples: int
    #: whether the submission was validated together with the published data
    with_published: bool = False

    def report_graph(self) -> Graph:
        return Graph().parse(data=self.report_turtle, format="turtle")


def forked(
    work: Any, timeout: float, *, memory: int, what: str = "the validation", idle: bool = True
) -> Any:
    """Run ``work`` in a confined child (no network, a memory limit, killed at ``timeout``;
    ``idle``: below the server's workers in the CPU's favour) and return its picklable result."""
    return isolation.run(
        work,
        timeout=timeout,
        memory=memory,
        what=what,
        timeout_error=ValidationTimeoutError,
        idle=idle,
    )


#: Tells a person how far a long validation has got, a line at each step (the CLI prints them).
Progress = Callable[[str], None]


def silent(line: str) -> None:
    pass


@dataclass(frozen=True)
class Steps:
    """The steps of one validation: one time limit for them all, each in a confined child."""

    core: Core
    limit: float
    say: Progress = silent
    idle: bool = True
    start: float = dataclasses.field(default_factory=time.monotonic)

    def run(self, work: Any, what: str) -> Any:
        """``work`` in a child, within what is left of the limit. The message of a validation
        stopped at its limit names the whole limit (a step got only what was left of it)."""
        left = self.limit - (time.monotonic() - self.start)
        stopped = ValidationTimeoutError(
            f"the validation was stopped after its time limit of {self.limit:g} s (while {what})"
        )
        if left <= 0:
            raise stopped
        try:
            return forked(work, left, memory=self.core.settings.child_memory, idle=self.idle)
        except ChildTimeoutError:
            raise stopped from None

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.start:.1f} s"


def check(core: Core, data: Graph, *, timeout: float, focus: set[Any] | None = None) -> Checked:
    """Validate ``data`` (with the ontology) against the shapes in a confined child, within
    ``timeout`` seconds; with ``focus`` (pyoxigraph terms), only results about those nodes count.

    :raises ValidationTimeoutError: past ``timeout``, naming it.
    """
    return validate_in_steps(Steps(core, timeout), data, None, focus=focus)


def validate_in_steps(
    steps: Steps,
    data: Graph | list[ox.Triple],
    shapes: Graph | None,
    *,
    focus: set[Any] | None,
    where: Callable[[ValidationResult], Where] | None = None,
) -> Checked:
    """Validate ``data`` against ``shapes`` (None: the site's) in a child, as one of ``steps``;
    ``where`` tells the report where each focus node is written (a submission's lines)."""
    core = steps.core

    def work() -> Checked:
        graph = data if isinstance(data, Graph) else loading.to_rdflib(data)
        triples = len(graph)
        result = core.validate_graph(graph, shapes)
        if focus is not None:
            result = result.only(loading.to_rdflib_term(t) for t in focus)
        found = where(result) if where is not None else {}
        return Checked(
            result.conforms,
            result.report.serialize(format="turtle").encode("utf-8"),
            {lang: report_summary(result, lang, found) for lang in ("de", "en")},
            {lang: report_text(result, lang, found) for lang in ("de", "en")},
            triples,
        )

    # built once in the parent and shared with every child, which never touches the store
    core.shapes_graph()
    core.ontology_graph()
    steps.say(f"validating {len(data):,} triples against the shapes")
    result = steps.run(work, f"validating {len(data):,} triples")
    assert isinstance(result, Checked)
    steps.say(
        f"validated: {'conforms' if result.conforms else 'does not conform'} ({steps.elapsed()})"
    )
    return result
