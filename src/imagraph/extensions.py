"""Extensions: Python modules a site names in ``site.toml`` (``extensions = ["history"]``) that
add to an instance without editing imagraph, e.g. a change history (a change listener and its
pages), an event stream, search for citizens.

A module is found beside ``site.toml`` (``history.py``, or a package ``history/``), else among
the installed packages. It may define either or both of::

    def attach(instance):        # the core: add listeners (instance.writes.listeners) …
    def attach_app(app, instance):  # the web app: register blueprints, template globals …

``attach`` runs as the instance is made (the command line has it too); ``attach_app`` as its web
app is made, before imagraph's own routes, so that an extension's route for the same URL wins
(a site overrides a view); the templates an extension renders go in the site's ``templates/``.
Extensions are code the site's operator chose to run, like the settings.
"""

from __future__ import annotations

import hashlib
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
    ``folder`` if it is there, else installed. A module of the site's is imported under a name
    of its own (``imagraph_site_<hash>_<name>``): a site's ``json.py`` cannot take the place of
    the standard library's. What fails to import is an error naming the setting and the module."""
    modules = []
    for name in names:
        if not _NAME.fullmatch(name):
            raise BadInputError(f"{where}: {name!r} is not a Python module name")
        try:
            module = _import(folder, name)
        except Exception as err:  # any error of the site's code, reported as its setting's
            raise BadInputError(
                f"{where}: the extension {name!r} cannot be imported: {type(err).__name__}: {err}"
            ) from None
        module.__dict__.setdefault("__imagraph_extension__", name)
        modules.append(module)
    return modules


def _import(folder: Path, name: str) -> ModuleType:
    top, _, rest = name.partition(".")
    candidates = [folder / f"{top}.py", folder / top / "__init__.py"]
    own = next((p for p in candidates if p.is_file()), None)
    if own is None:
        return importlib.import_module(name)
    key = hashlib.sha256(str(own.resolve()).encode()).hexdigest()[:12]
    private = f"imagraph_site_{key}_{top}"
    module = sys.modules.get(private)
    if module is None:
        package = [str(own.parent)] if own.name == "__init__.py" else None
        spec = importlib.util.spec_from_file_location(
            private, own, submodule_search_locations=package
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[private] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[private]
            raise
    return importlib.import_module(f"{private}.{rest}") if rest else module


def attach(modules: list[ModuleType], hook: str, *args: object) -> None:
    """Call each module's ``hook`` (``attach``, ``attach_app``) that it has; an error in one is
    an error naming the module (never a traceback to a client: it happens as the instance or
    its app is made)."""
    for module in modules:
        function = getattr(module, hook, None)
        if function is None:
            continue
        try:
            function(*args)
        except Exception as err:
            name = getattr(module, "__imagraph_extension__", module.__name__)
            raise BadInputError(
                f"the extension {name!r} failed in {hook}(): {type(err).__name__}: {err}"
            ) from err
