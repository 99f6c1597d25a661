"""The wheel as `pip install .` builds it: no setuptools warning, and the map's label glyphs travel in it.

The build runs setuptools' own backend (PEP 517 ``build_wheel``, as pip calls it) on a copy of the
sources in a temporary folder, so the checkout gains no build/ folder; nothing is downloaded.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What the wheel is built from (pyproject.toml's packages and package data, and the README it reads).
SOURCES = ("pyproject.toml", "README.md", "geodata", "dashboard", "assets")
BUILD = "import sys\nfrom setuptools import build_meta\nprint(build_meta.build_wheel(sys.argv[1]))\n"


def test_the_wheel_builds_without_warnings_and_ships_the_glyphs(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    out = tmp_path / "dist"
    out.mkdir()
    built = subprocess.run(
        [sys.executable, "-c", BUILD, str(out)], cwd=source, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stderr
    # setuptools says "Package 'dashboard.assets.fonts' is absent from the `packages` configuration"
    # (a BuildBackendWarning) when a folder that looks like a package is not listed.
    warnings = [line for line in built.stderr.splitlines() if "Warning" in line]
    assert not warnings, "\n".join(warnings)
    with zipfile.ZipFile(out / built.stdout.split()[-1]) as wheel:
        names = set(wheel.namelist())
    glyphs = {p.relative_to(ROOT / "assets").as_posix() for p in (ROOT / "assets" / "fonts").rglob("*.pbf")}
    assert glyphs and {f"dashboard/assets/{g}" for g in glyphs} <= names
    assert {"dashboard/assets/fonts/OFL.txt", "dashboard/assets/fonts/README.md"} <= names  # the licence
    assert "dashboard/assets/unrest_map.js" in names and "geodata/data/municipality_names.csv" in names
    assert {
        "dashboard/vendor/plotly-map.min.js",
        "dashboard/vendor/README.md",
    } <= names  # plotly.js
