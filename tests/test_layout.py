"""Project-wide rules: the core does not need the web stack, and nothing names a local path."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_core_imports_without_flask():
    code = (
        "import sys, imagraph.core, imagraph.cli, imagraph.validation, imagraph.generate; "
        "sys.exit('flask' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


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
