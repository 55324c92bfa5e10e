"""Project-wide rules: the core does not need the web stack, and nothing names a local path."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_the_core_imports_no_web_stack():
    """Every core module (all but cli and web) imports without Flask, Werkzeug, click, Jinja2
    or gunicorn; the command line without Flask, Jinja2 or gunicorn."""
    code = (
        "import importlib, pkgutil, sys, imagraph\n"
        "core = [m.name for m in pkgutil.iter_modules(imagraph.__path__) if m.name not in "
        "('cli', 'web')]\n"
        "for name in core: importlib.import_module('imagraph.' + name)\n"
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
