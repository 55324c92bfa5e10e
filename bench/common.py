"""Helpers the benchmarks share."""

from __future__ import annotations

import socket
from pathlib import Path


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def emit(text: str, out: Path | None) -> None:
    """Print the results table, and write it to ``out`` when given."""
    print(text)
    if out:
        out.write_text(text + "\n", encoding="utf-8")
