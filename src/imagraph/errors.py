"""Errors of imagraph. Each carries the HTTP status it maps to, so one handler renders them all."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: pyoxigraph's syntax errors: "error at LINE:COLUMN: what it expected"
_POSITION = re.compile(r"error at (\d+):(\d+): (.*)", re.S)
#: the prefixed name that ends where an undeclared prefix was found ("foo:bar")
_PREFIXED_NAME = re.compile(r"([A-Za-z][\w.-]*)?:[\w.-]*$")


class ImagraphError(Exception):
    """Base of all errors imagraph reports to a user; ``status`` is the HTTP status it maps to."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadInputError(ImagraphError):
    """Input that cannot be used as given (a wrong option value, an empty query)."""

    status = 400


class RdfSyntaxError(BadInputError):
    """RDF that does not parse; says where (source, line, column) and what the parser said."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.column = column
        self.parser_message = message
        where = source or "input"
        if line is not None:
            where += f", line {line}"
            if column is not None:
                where += f", column {column}"
        super().__init__(f"{where}: {message}")


class QuerySyntaxError(BadInputError):
    """A SPARQL query that does not parse."""

    @classmethod
    def from_parser(
        cls, text: str, err: SyntaxError, prefixes: Iterable[str] = ()
    ) -> QuerySyntaxError:
        """The parser's error for people: where it is (line, column, the line with a mark),
        an undeclared prefix named as such (with the ``prefixes`` declared for the query), and
        no page-long list of expected characters."""
        message = str(err)
        found = _POSITION.match(message)
        if found is None:
            return cls(f"SPARQL syntax error: {message}")
        line, column, rest = int(found.group(1)), int(found.group(2)), found.group(3)
        lines = text.splitlines()
        source = lines[line - 1] if 0 < line <= len(lines) else ""
        where = f"SPARQL syntax error at line {line}, column {column}"
        if "Prefix not found" in rest:
            name = _PREFIXED_NAME.search(source[: max(column - 1, 0)])
            prefix = (name.group(1) or "") if name else ""
            if name:
                where = f"SPARQL syntax error at line {line}, column {name.start() + 1}"
            return cls(
                f"{where}: the prefix {prefix}: is not declared. Declare it with "
                f"PREFIX {prefix}: <…>, or use one of those declared for you: "
                + ", ".join(f"{p}:" for p in prefixes)
            )
        expected = " ".join(rest.split())
        if len(expected) > 160:
            expected = expected[:157].rsplit(",", 1)[0] + ", …"
        mark = " " * (max(column - 1, 0)) + "^"
        return cls(f"{where}: {expected}\n  {source}\n  {mark}")


class UnsupportedFormatError(ImagraphError):
    """A format or media type imagraph does not read or write."""

    status = 415


class NotFoundError(ImagraphError):
    """A resource, file or graph that does not exist."""

    status = 404


class InputTooLargeError(ImagraphError):
    """Input over a configured size limit."""

    status = 413


class ShapesError(ImagraphError):
    """Shapes that pySHACL cannot use (not well-formed SHACL)."""

    status = 422


class StoreUnavailableError(ImagraphError):
    """The (remote) store cannot be reached, timed out or failed; worth trying again later."""

    status = 503


class StoreError(ImagraphError):
    """The (remote) store refused a request or answered something that does not read."""

    status = 502


class TooManyError(ImagraphError):
    """One client asks for more at once than one client may have (429, try again shortly)."""

    status = 429
    retry_after: int | None = 1


class BusyError(ImagraphError):
    """Every slot of a kind of work is taken (503, try again shortly)."""

    status = 503
    retry_after: int | None = 1
