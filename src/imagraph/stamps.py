"""The dates the bundled files' content last changed, kept beside them in ``stamps.json``.

A file's modification time says when it was written to this disk (a clone, a copy, a deploy),
not when its content changed: a fresh clone would date every dataset from the clone. So each
folder of bundled files holds a small manifest, ``stamps.json``: for each file, the SHA-256 of
its content and when that content last changed. ``imagraph stamp`` writes it: a file whose
content the manifest records keeps its date, a new or changed file is dated from the stamp.
A clone, a restart, another machine: the same content, the same dates.

A file the manifest does not record as it is (new, or changed since the last stamp) dates from
its modification time, the latest its content can have changed: a date that may be too late
(so a harvester asking what changed since a date is given it again) but never too early (a
change is never missed). Its name is logged with the command that stamps it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import BadInputError

MANIFEST = "stamps.json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dated:
    """When a file's content last changed, and whether its folder's manifest says so (else its
    modification time does)."""

    modified: datetime
    stamped: bool


def _read(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise BadInputError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        entries = json.loads(text)
        for name, entry in entries.items():
            _when(entry["modified"])
            if not isinstance(name, str) or not isinstance(entry["sha256"], str):
                raise TypeError(name)
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise BadInputError(
            f"{path}: not a manifest of content dates ({err}); write it anew with imagraph stamp"
        ) from None
    return dict(entries)


def _when(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return when.astimezone(UTC)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dated(paths: Iterable[Path]) -> dict[Path, Dated]:
    """When each file's content last changed (see the module's docstring); unstamped files are
    logged.

    :raises BadInputError: a manifest that cannot be read.
    """
    out = _dated(paths)
    for path, d in out.items():
        if not d.stamped:
            log.warning(
                "%s: its content is not in %s (new, or changed since): dated from the file's "
                "modification time; run imagraph stamp",
                path,
                MANIFEST,
            )
    return out


def _dated(paths: Iterable[Path]) -> dict[Path, Dated]:
    manifests: dict[Path, dict[str, dict[str, str]]] = {}
    out = {}
    for path in paths:
        if path.parent not in manifests:
            manifests[path.parent] = _read(path.parent)
        entry = manifests[path.parent].get(path.name)
        if entry is not None and entry["sha256"] == _sha256(path):
            out[path] = Dated(_when(entry["modified"]), True)
        else:
            out[path] = Dated(datetime.fromtimestamp(int(path.stat().st_mtime), UTC), False)
    return out


def stale(paths: Iterable[Path]) -> list[str]:
    """What the manifests beside ``paths`` do not record as it is: each file new or changed
    since it was stamped, and each entry of a file that is gone (empty: all stamped)."""
    paths = list(paths)
    problems = [
        f"{p}: new or changed since it was stamped"
        for p, d in _dated(paths).items()
        if not d.stamped
    ]
    for folder in sorted({p.parent for p in paths}):
        present = {p.name for p in paths if p.parent == folder}
        problems += [
            f"{folder / n}: stamped, but gone" for n in sorted(_read(folder)) if n not in present
        ]
    return problems


def stamp(paths: Iterable[Path], when: datetime) -> list[Path]:
    """Write the manifest of each folder of ``paths``: a file whose content it records keeps
    its date, a new or changed one gets ``when``; entries of files that are gone go. Each
    manifest is written under another name, then renamed into place. Returns the files dated
    ``when``."""
    by_folder: dict[Path, list[Path]] = {}
    for path in paths:
        by_folder.setdefault(path.parent, []).append(path)
    changed = []
    for folder, files in sorted(by_folder.items()):
        old = _read(folder)
        entries = {}
        for path in sorted(files):
            sha = _sha256(path)
            entry = old.get(path.name)
            if entry is None or entry["sha256"] != sha:
                entry = {"modified": when.astimezone(UTC).isoformat(), "sha256": sha}
                changed.append(path)
            entries[path.name] = entry
        if entries == old:
            continue
        part = folder / f".{MANIFEST}.part"
        part.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(part, folder / MANIFEST)
    return changed
