"""``cruxmap explore`` without a browser: files written, refusals, the page's
safety properties that can be read off its bytes (CSP hashes, escaped JSON).
What the page does is tested in Chromium (test_explore_browser.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

MAP = """claim goal_c: "The goal"
    source: "https://example.org/g"
claim leaf: "A </script><script>alert(1)</script> premise & <b>more</b>"
    source: "javascript:alert(2)"
    assume: great
goal_c reduces to leaf >= good
    because: "\u2028 line separator"
goal goal_c >= partial
"""


def _page(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_writes_a_page_next_to_the_map(write: Callable[..., Path], run: Callable) -> None:
    src = write("m.crux", MAP)
    code, out, err = run("explore", src)
    assert (code, err) == (0, "")
    assert "wrote m.html" in out
    html = _page(src.with_suffix(".html"))
    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" not in html.split('id="cruxmap-data">')[0]  # the drawing is data, parsed as XML


def test_csp_allows_only_the_page_own_script_and_style(
    write: Callable[..., Path], run: Callable
) -> None:
    src = write("m.crux", MAP)
    assert run("explore", src, "-o", "page.html")[0] == 0
    html = _page(src.with_name("page.html"))
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert csp, "no CSP meta tag"
    policy = dict(
        ([*part.split(" ", 1), ""])[:2] for part in (p.strip() for p in csp.group(1).split(";"))
    )
    assert policy["default-src"] == "'none'"
    assert "unsafe" not in csp.group(1) and "http" not in csp.group(1)
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(scripts) == 1 and len(styles) == 1

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert policy["script-src"] == digest(scripts[0])
    assert policy["style-src"] == digest(styles[0])
    markup = re.sub(r"<script.*?</script>|<style>.*?</style>", "", html, flags=re.S)
    assert not re.search(r"<[^>]*\son\w+\s*=", markup)  # no inline handler attributes
    assert "eval(" not in scripts[0] and "new Function" not in scripts[0]
    assert "innerHTML" not in scripts[0] and "insertAdjacentHTML" not in scripts[0]


def test_map_text_is_json_that_cannot_close_its_block(
    write: Callable[..., Path], run: Callable
) -> None:
    src = write("m.crux", MAP)
    assert run("explore", src)[0] == 0
    html = _page(src.with_suffix(".html"))
    block = re.search(
        r'<script type="application/json" id="cruxmap-data">(.*?)</script>', html, re.S
    )
    assert block
    raw = block.group(1)
    assert "<" not in raw and ">" not in raw and "&" not in raw and "\u2028" not in raw
    data = json.loads(raw)
    leaf = next(c for c in data["claims"] if c["id"] == "leaf")
    assert leaf["text"] == "A </script><script>alert(1)</script> premise & <b>more</b>"
    assert leaf["url"] is False  # a javascript: source is never a link
    assert "alert(1)" not in html.replace(raw, "")  # nowhere else, not even escaped


def test_directory_gives_one_page_per_map_and_check_finds_stale_ones(
    write: Callable[..., Path], run: Callable, project: Path
) -> None:
    write("maps/a.crux", MAP)
    write("maps/sub/b.crux", MAP.replace("great", "good"))
    code, out, _ = run("explore", "maps", "-o", "site")
    assert code == 0
    assert (project / "site/a.html").is_file() and (project / "site/sub/b.html").is_file()
    assert run("explore", "maps", "-o", "site", "--check") == (0, "", "")
    write("maps/a.crux", MAP.replace("great", "perfect"))
    code, out, _ = run("explore", "maps", "-o", "site", "--check")
    assert code == 1
    assert "site/a.html: stale or missing" in out and "b.html" not in out
    before = (project / "site/a.html").read_bytes()
    assert run("explore", "maps", "-o", "site", "--check")[0] == 1
    assert (project / "site/a.html").read_bytes() == before  # --check writes nothing


def test_map_with_errors_writes_nothing(write: Callable[..., Path], run: Callable) -> None:
    src = write("bad.crux", MAP + "goal nosuch >= good\n")
    code, _out, err = run("explore", src)
    assert code == 1
    assert "CX002" in err and "nothing was written" in err
    assert not src.with_suffix(".html").exists()


def test_stdout_and_usage_errors(write: Callable[..., Path], run: Callable) -> None:
    src = write("m.crux", MAP)
    code, out, _ = run("explore", src, "-o", "-")
    assert code == 0 and out.startswith("<!DOCTYPE html>")
    assert run("explore", "missing.crux")[0] == 2
    code, _, err = run("explore", src, "--set", "leaf=grat")
    assert code == 2 and "did you mean `great`" in err
    code, _, err = run("explore", src, "-o", "-", "--check")
    assert code == 2


def test_initial_scenario_is_data_not_a_drawing(write: Callable[..., Path], run: Callable) -> None:
    src = write("m.crux", MAP)
    assert run("explore", src, "--set", "leaf=partial", "-o", "s.html")[0] == 0
    assert run("explore", src, "-o", "b.html")[0] == 0
    data = [
        json.loads(
            re.search(r'id="cruxmap-data">(.*?)</script>', _page(src.with_name(n)), re.S).group(1)
        )
        for n in ("s.html", "b.html")
    ]
    assert data[0]["initial"]["set"] == {"leaf": "partial"}
    assert data[0]["svg"] == data[1]["svg"]  # the page applies the scenario itself


def test_never_writes_through_a_symlink_below_the_output_directory(
    write: Callable[..., Path], run: Callable, project: Path, tmp_path_factory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    write("maps/sub/b.crux", MAP)
    (project / "site").mkdir()
    (project / "site" / "sub").symlink_to(outside, target_is_directory=True)
    code, _, err = run("explore", "maps", "-o", "site")
    assert code == 2 and "not written through" in err
    assert list(outside.iterdir()) == []
