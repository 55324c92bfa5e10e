"""Project-wide rules: the core does not need the web stack, and nothing names a local path."""

from __future__ import annotations

import ast
import subprocess
import sys

from .conftest import ROOT


def test_the_core_imports_no_web_stack():
    """Every core module (all but cli and web) imports without Flask, Werkzeug, click, Jinja2
    or gunicorn; the command line without Flask, Jinja2 or gunicorn."""
    package = ROOT / "src" / "imagraph"
    core = sorted(
        ".".join(("imagraph", *p.relative_to(package).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for p in package.rglob("*.py")
        if p.relative_to(package).parts[0] not in ("cli.py", "web", "__main__.py")
    )
    assert "imagraph.store.remote" in core and "imagraph.instance" in core
    code = (
        "import importlib, sys\n"
        f"for name in {core!r}: importlib.import_module(name)\n"
        "web = ('flask', 'werkzeug', 'click', 'jinja2', 'gunicorn')\n"
        "bad = [m for m in web if m in sys.modules]\n"
        "import imagraph.cli\n"
        "bad += [m for m in ('flask', 'jinja2', 'gunicorn') if m in sys.modules]\n"
        "sys.exit(' '.join(bad) + ' imported' if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_no_tracked_file_names_a_local_path():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    parent = str(ROOT.parent)
    for name in tracked:
        path = ROOT / name
        if path.suffix in {".py", ".ttl", ".md", ".toml", ""} and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert parent + "/" not in text, name


def test_nothing_in_imagraph_names_the_bundled_site():
    """imagraph serves any site: nothing in its package names the IMA nöB, its base or its
    ontology; that comes from the site folder (site.toml, ontology/, queries/ …)."""
    package = ROOT / "src" / "imagraph"
    words = ("imanoeb", "ima nöb", "ima-nöb", "imo:", "nachhaltige öffentliche", "w3id.org")
    found = []
    for path in sorted(package.rglob("*")):
        if not path.is_file() or path.suffix not in {
            ".py",
            ".html",
            ".js",
            ".css",
            ".toml",
            ".ttl",
            ".txt",
            ".xml",
        }:
            continue
        if "vendor" in path.parts:
            continue
        text = path.read_text(encoding="utf-8").lower()
        found += [(str(path.relative_to(package)), w) for w in words if w in text]
    assert found == []


#: Calls whose value, bound to a module's name, is state to be filled or changed at run time.
_STATEFUL_CALLS = {"dict", "list", "set", "OrderedDict", "defaultdict", "deque", "Lock", "RLock"}


def test_no_module_holds_mutable_state():
    """A deployment's state belongs to its instance (:mod:`imagraph.instance`), not to modules:
    no ``global`` statement, and no module-level name bound to an empty container or a lock
    (tables of constants are fine; memoised pure functions are ``functools.lru_cache``)."""
    found = []
    for path in sorted((ROOT / "src" / "imagraph").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                found.append(f"{where}:{node.lineno}: global {', '.join(node.names)}")
        for node in tree.body:
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            empty = isinstance(value, (ast.Dict, ast.List, ast.Set)) and not (
                value.keys if isinstance(value, ast.Dict) else value.elts  # type: ignore[union-attr]
            )
            called = (
                isinstance(value, ast.Call)
                and (getattr(value.func, "id", None) or getattr(value.func, "attr", None))
                in _STATEFUL_CALLS
            )
            if empty or called:
                found.append(f"{where}:{node.lineno}: {ast.unparse(node).splitlines()[0]}")
    assert found == [], "\n".join(found)
