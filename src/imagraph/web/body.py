"""Reading a request body: one function for every route that takes one.

The body is read in pieces up to the app's limit (``MAX_CONTENT_LENGTH``), with or without a
``Content-Length`` (a chunked body too): past the limit it is ``413``; a body the server cannot
decode (a malformed chunk size, a cut connection) is ``400`` saying so. (``imagraph serve`` has
read the whole body, within its time for bodies, before a thread is given the request.)
"""

from __future__ import annotations

from flask import current_app, request

from ..errors import BadInputError, InputTooLargeError

PIECE = 1 << 16


def read_body() -> bytes:
    """The whole body of the current request, within the limit."""
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    stream = request.environ["wsgi.input"]
    known = request.content_length
    out = bytearray()
    try:
        while known is None or len(out) < known:
            # one byte past the limit at most: a body cut there by the server is still 413
            want = min(PIECE, (limit + 1 if known is None else known) - len(out))
            piece = stream.read(want)
            if not piece:
                break
            out += piece
            if len(out) > limit:
                raise _too_large(limit)
    except InputTooLargeError:
        raise
    except Exception as err:  # the server could not decode the body (gunicorn's parse errors)
        raise BadInputError(f"The request body cannot be read: {err}.") from None
    if known is not None and len(out) < known:
        raise BadInputError(
            f"The request body ended after {len(out)} of the {known} bytes its Content-Length "
            "announced."
        )
    return bytes(out)


def _too_large(limit: int) -> InputTooLargeError:
    return InputTooLargeError(f"The request body is larger than the limit of {limit} bytes.")
