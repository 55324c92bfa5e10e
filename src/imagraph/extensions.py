"""Extensions: Python modules a site names in ``site.toml`` (``extensions = ["history"]``) that
add to an instance without editing imagraph, e.g. a change history (a change listener and its
pages), an event stream, search for citizens.

A module is found beside ``site.toml`` (``history.py``, or a package ``history/``), else among
the installed packages. It may define either or both of::

    def attach(instance):        # the core: add listeners (instance.writes.listeners) …
    def attach_app(app, instance):  # the web app: register blueprints, template globals …

``attach`` runs as the instance is made (the command line has it too); ``attach_app`` as its web
app is made, before imagraph's own routes, so that an extension's route for the same URL wins
(a site overrides a view), and its templates (its ``templates/``) override imagraph's as the
site's do. Extensions are code the site's operator chose to run, like the settings.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from .errors import BadInputError

_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def load(folder: Path, names: tuple[str, ...], where: str) -> list[ModuleType]:
    """The modules ``names`` (``where``: the setting that names them, for errors), each from
    ``folder`` if it is there, else installed."""
    modules = []
    for name in names:
        if not _NAME.fullmatch(name):
            raise BadInputError(f"{where}: {name!r} is not a Python module name")
        modules.append(_import(folder, name, where))
    return modules


def _import(folder: Path, name: str, where: str) -> ModuleType:
    top = name.split(".")[0]
    candidates = [folder / f"{top}.py", folder / top / "__init__.py"]
    own = next((p for p in candidates if p.is_file()), None)
    try:
        if own is None:
            return importlib.import_module(name)
        loaded = sys.modules.get(top)
        if loaded is None or Path(getattr(loaded, "__file__", "") or "") != own:
            spec = importlib.util.spec_from_file_location(
                top,
                own,
                submodule_search_locations=[str(own.parent)] if own.stem == "__init__" else None,
            )
            assert spec is not None and spec.loader is not None
            loaded = importlib.util.module_from_spec(spec)
            sys.modules[top] = loaded
            try:
                spec.loader.exec_module(loaded)
            except BaseException:
                del sys.modules[top]
                raise
        return importlib.import_module(name) if "." in name else loaded
    except ImportError as err:
        raise BadInputError(f"{where}: the extension {name!r} cannot be imported: {err}") from None
