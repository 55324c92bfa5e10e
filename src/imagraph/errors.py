"""Errors of imagraph. Each carries the HTTP status it maps to, so one handler renders them all."""

from __future__ import annotations


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
