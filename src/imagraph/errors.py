"""Errors of imagraph: one family, defined here, rendered in one place.

Each class says what it means to every interface: ``status`` (the HTTP status), ``retry_after``
(seconds a client is asked to wait, or None), ``exit_code`` (the command line's), and the
problem type of ``application/problem+json`` (``type``, an IRI, and ``title``). The web app
renders them all in :mod:`imagraph.web.errors`, the command line maps them to its exit codes in
:mod:`imagraph.cli`; nothing here knows either.

Exit codes: 0 success, 1 does not conform, 2 bad input, usage or settings, 3 stopped or
unavailable (try again, or raise the limit), 4 the store failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .checks import Checked

#: pyoxigraph's syntax errors: "error at LINE:COLUMN: what it expected"
_POSITION = re.compile(r"error at (\d+):(\d+): (.*)", re.S)
#: the prefixed name that ends where an undeclared prefix was found ("foo:bar")
_PREFIXED_NAME = re.compile(r"([A-Za-z][\w.-]*)?:[\w.-]*$")
#: The problem types' IRIs are this and the class's ``problem`` name.
PROBLEM = "urn:imagraph:problem:"

#: The command line's exit codes, by what went wrong.
EXIT_NOT_CONFORMING = 1
EXIT_BAD_INPUT = 2
EXIT_TRY_AGAIN = 3
EXIT_FAILED = 4


class ImagraphError(Exception):
    """Base of all errors imagraph reports to a user. ``status`` is the HTTP status it maps
    to, ``retry_after`` the seconds a client is asked to wait (None: no ``Retry-After``),
    ``exit_code`` the command line's, ``problem`` and ``title`` its problem type.

    Raised as it is, it is a setting or state the server cannot work with (write tokens of the
    wrong form, a port in use): 500 on the web, where the message is not shown, and exit 2 (what
    was asked or set cannot be done) on the command line."""

    status: ClassVar[int] = 500
    exit_code: ClassVar[int] = EXIT_BAD_INPUT
    problem: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"
    retry_after: int | None = None

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retry_after is not None:
            self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # raised in a child process and sent to its parent: rebuilt with all it carries
        return _restore, (type(self), self.__dict__)

    @property
    def type(self) -> str:
        """The IRI of the problem type (``type`` in ``application/problem+json``)."""
        return PROBLEM + self.problem

    def members(self, lang: str) -> dict[str, object]:
        """What a problem document says besides type, title, status and detail (in ``lang``
        where it is text)."""
        return {}

    def documents(self) -> dict[str, bytes]:
        """Other forms of this error, by media type (a refused write's SHACL report)."""
        return {}

    def explanation(self, lang: str) -> str | None:
        """A longer text for people, in ``lang`` (a refused write's report), or None."""
        return None


def _restore(cls: type[ImagraphError], state: dict[str, Any]) -> ImagraphError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


# -- 4xx: the input or the request is what is wrong (exit 2) ------------------------------------


class BadInputError(ImagraphError):
    """Input that cannot be used as given (a wrong option value, an empty query)."""

    status = 400
    exit_code = EXIT_BAD_INPUT
    problem = "bad-input"
    title = "Bad input"


class RdfSyntaxError(BadInputError):
    """RDF that does not parse; says where (source, line, column) and what the parser said."""

    problem = "rdf-syntax"
    title = "RDF that does not parse"

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

    problem = "sparql-syntax"
    title = "SPARQL that does not parse"

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


class FetchRefusedError(BadInputError):
    """A URL imagraph will not fetch, or a fetch that failed; says why."""

    problem = "fetch-refused"
    title = "URL not fetched"


class ChildCrashedError(BadInputError):
    """The input made the child that handled it crash (400: the input is the cause)."""

    problem = "input-crashed"
    title = "Input that cannot be handled"


class RefusedError(BadInputError):
    """A request imagraph will not carry out (403), whoever asks."""

    status = 403
    problem = "refused"
    title = "Refused"


class QueryRefusedError(RefusedError):
    """A query imagraph will not run (e.g. ``SERVICE`` to an endpoint not allowed)."""

    problem = "query-refused"
    title = "Query refused"


class UpdateRefusedError(RefusedError):
    """A write or update that would change what may not be changed (only data graphs may)."""

    problem = "write-refused"
    title = "Write refused"


class GraphNotServedError(RefusedError):
    """A query that names graphs of the remote store that are not imagraph's, beside its own."""

    problem = "graph-not-served"
    title = "Graph not served"


class NotFoundError(ImagraphError):
    """A resource, file or graph that does not exist."""

    status = 404
    exit_code = EXIT_BAD_INPUT
    problem = "not-found"
    title = "Not found"


class DumpFailedError(NotFoundError):
    """The dump cannot be made from this version of the data (JSON-LD of data that holds RDF
    1.2 triple terms, written by another writer of the store): 404 saying why."""

    problem = "dump-failed"
    title = "Dump not made"


class NotAcceptableError(ImagraphError):
    """None of the forms asked for is offered; ``offered`` lists the media types that are."""

    status = 406
    exit_code = EXIT_BAD_INPUT
    problem = "not-acceptable"
    title = "Not acceptable"

    def __init__(self, message: str, offered: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.offered = list(offered)

    @classmethod
    def offering(cls, offered: Iterable[str]) -> NotAcceptableError:
        """The 406 of content negotiation, naming the media types offered."""
        types = list(offered)
        return cls(
            "None of the media types in the Accept header is offered here. Offered: "
            + ", ".join(types),
            types,
        )

    def members(self, lang: str) -> dict[str, object]:
        return {"offered": self.offered} if self.offered else {}


class NotRepresentableError(NotAcceptableError):
    """An answer the format asked for cannot carry (RDF 1.2 triple terms in JSON-LD)."""

    problem = "not-representable"
    title = "Not representable in this format"


class InputTooLargeError(ImagraphError):
    """Input over a configured size limit."""

    status = 413
    exit_code = EXIT_BAD_INPUT
    problem = "too-large"
    title = "Too large"


class UnsupportedFormatError(ImagraphError):
    """A format or media type imagraph does not read or write."""

    status = 415
    exit_code = EXIT_BAD_INPUT
    problem = "unsupported-format"
    title = "Unsupported format"


class ShapesError(ImagraphError):
    """Shapes that pySHACL cannot use (not well-formed SHACL)."""

    status = 422
    exit_code = EXIT_BAD_INPUT
    problem = "unusable-shapes"
    title = "Shapes that cannot be used"


class WriteRejectedError(ImagraphError):
    """The write would leave data that does not conform: 422 with the report (``checked``),
    answered as a problem document with the report's results, or as the SHACL report."""

    status = 422
    exit_code = EXIT_NOT_CONFORMING
    problem = "write-rejected"
    title = "Write rejected: the data would not conform to the shapes"

    def __init__(self, checked: Checked) -> None:
        self.checked = checked
        n = checked.summary["en"]["violations"]
        super().__init__(
            f"the write was refused: the data would not conform to the shapes ({n} violations)"
        )

    def members(self, lang: str) -> dict[str, object]:
        summary = self.checked.summary
        return dict(summary.get(lang) or summary["en"])

    def documents(self) -> dict[str, bytes]:
        return {"text/turtle": self.checked.report_turtle}

    def explanation(self, lang: str) -> str | None:
        return self.checked.text.get(lang) or self.checked.text["en"]


class TooManyError(ImagraphError):
    """This client asks for more than one client may have at once, or sent too many wrong
    tokens lately (429); ``retry_after`` says when to try again."""

    status = 429
    exit_code = EXIT_TRY_AGAIN
    problem = "too-many-requests"
    title = "Too many requests from this client"
    retry_after = 1


# -- 5xx: the server or the store (exit 3: try again, 4: failed) ---------------------------------


class StoreError(ImagraphError):
    """The (remote) store refused a request or answered something that does not read."""

    status = 502
    exit_code = EXIT_FAILED
    problem = "store-error"
    title = "Store error"


class QueryEngineError(StoreError):
    """The engine could not answer a query it had accepted (e.g. a remote store's refusal)."""

    problem = "query-failed"
    title = "Query failed"


class UnavailableError(ImagraphError):
    """Work not done now: busy, stopped at a limit, or a part is unreachable (503)."""

    status = 503
    exit_code = EXIT_TRY_AGAIN
    problem = "unavailable"
    title = "Unavailable"


class BusyError(UnavailableError):
    """Every slot for this kind of work is taken; try again in a moment."""

    problem = "busy"
    title = "Busy"
    retry_after = 1


class StoreUnavailableError(UnavailableError):
    """The (remote) store cannot be reached, timed out or failed; worth trying again later."""

    problem = "store-unavailable"
    title = "Store unavailable"
    retry_after = 5


class DumpNotReadyError(UnavailableError):
    """The dump is being made: 503, come back later."""

    problem = "dump-not-ready"
    title = "Dump being made"
    retry_after = 10


class ChildLimitError(UnavailableError):
    """The work needed more memory than its child may have (503: try a smaller request)."""

    problem = "memory-limit"
    title = "Stopped at the memory limit"


class ChildTimeoutError(UnavailableError):
    """The work ran past its time limit and was stopped."""

    problem = "time-limit"
    title = "Stopped at the time limit"


class QueryTimeoutError(UnavailableError):
    """The query ran past the time limit and was stopped."""

    problem = "query-time-limit"
    title = "Query stopped at the time limit"


class ValidationTimeoutError(ChildTimeoutError):
    """A validation ran past its time limit (all its steps together) and was stopped."""

    problem = "validation-time-limit"
    title = "Validation stopped at the time limit"
