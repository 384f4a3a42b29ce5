"""docs/api.ipynb, executed as a reader runs it (nbclient + ipykernel), and
its explorer output opened in Chromium the way Jupyter shows it: an iframe."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "api.ipynb"


@pytest.fixture(scope="module")
def executed() -> Any:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    return nb


def _outputs(nb: Any) -> list[dict[str, Any]]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def test_notebook_runs_and_shows_the_map_as_svg(executed: Any) -> None:
    outputs = _outputs(executed)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    svgs = [o["data"]["image/svg+xml"] for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert svgs, "no SVG output"
    ids = {el.get("id") for el in ET.fromstring(svgs[0].encode()).iter()}
    assert "claim-full_interp" in ids and "route-interp_reduction" in ids
    texts = [o["data"].get("text/plain", "") for o in outputs if "data" in o]
    assert "'aligned_as_argued': 'fails', 'aligned_repaired': 'holds'" in "".join(texts)


def test_result_displays_as_the_explorer(executed: Any) -> None:
    html = [o["data"]["text/html"] for o in _outputs(executed) if "text/html" in o.get("data", {})]
    assert len(html) == 1
    assert html[0].startswith('<iframe sandbox="allow-scripts" srcdoc="')
    assert "cruxmap-data" in html[0]


CHROMIUM = Path(os.environ.get("CRUXMAP_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM}: `apt-get install chromium`"
)
def test_explorer_output_works_inside_its_iframe(executed: Any, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    html = next(
        o["data"]["text/html"] for o in _outputs(executed) if "text/html" in o.get("data", {})
    )
    out = tmp_path / "cell.html"
    out.write_text("<!DOCTYPE html><title>cell</title>" + html, encoding="utf-8")
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(out.as_uri())
        frame = page.frame_locator("iframe")
        frame.locator("body[data-ready='1']").wait_for(timeout=15000)
        # Opened in the result's scenario: full_interp at great.
        assert (
            frame.locator("[data-goal=aligned_as_argued]").get_attribute("class")
            == "cx-goal cx-fails"
        )
        frame.locator("#reset").click()
        assert (
            frame.locator("[data-goal=aligned_as_argued]").get_attribute("class")
            == "cx-goal cx-holds"
        )
        browser.close()
    assert errors == []
