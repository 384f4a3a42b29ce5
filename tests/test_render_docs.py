"""The drawings in docs/maps/ show the maps in arguments/ as they are now.

Staleness is judged by the digest each SVG carries, so this holds whichever
Graphviz build drew them. To fix a failure: ``cruxmap render arguments -o docs/maps``.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARGUMENTS = ROOT / "arguments"
MAPS = ROOT / "docs" / "maps"
FIX = "run `cruxmap render arguments -o docs/maps` and commit docs/maps"

pytestmark = pytest.mark.skipif(
    not any(ARGUMENTS.glob("*.crux")), reason="no example maps in arguments/"
)


def test_every_map_has_a_current_drawing() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cruxmap", "render", "arguments", "-o", "docs/maps", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"{proc.stdout}{proc.stderr}\n{FIX}"


def test_no_drawing_without_a_map() -> None:
    maps = {p.relative_to(ARGUMENTS).with_suffix("") for p in ARGUMENTS.rglob("*.crux")}
    drawings = {p.relative_to(MAPS).with_suffix("") for p in MAPS.rglob("*.svg")}
    assert drawings <= maps, f"drawings of maps that no longer exist: {sorted(drawings - maps)}"


def test_drawings_are_well_formed_svg() -> None:
    for svg in MAPS.rglob("*.svg"):
        root = ET.parse(svg).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg", svg
