"""Untrusted text in output (issue 5): escaped in every format.

Claim text, IDs, sources, tags, notes, file names and command-line values are
written by whoever wrote the files. In text and GitHub output, control
characters (ANSI escapes, bells, bidi overrides, line separators) are made
visible, never interpreted, and a GitHub annotation cannot be split into a
second workflow command; JSON and SARIF stay well-formed data; DOT and SVG
carry user text only as escaped text (no markup, no script, no links but
http(s)).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from fuzz_campaign import RAW_CONTROL, Outcome, run_cli

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGALRM time bounds")
ESC = "\x1b"
SARIF_SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8")
)

# A valid map whose every piece of free text is hostile.
HOSTILE_MAP = (
    'claim a: "</text><script>alert(1)</script> <b>&amp;</b> {x|y} \\" ]; node [label=x"\n'
    f'    source: "javascript:alert(1) {ESC}[2J"\n'
    "    tags: évil, ǅz\n"
    f'    note: "bell \x07 nul \x00 csi \x9b31m bidi \u202e ls \u2028 end"\n'
    'claim b: "b"\n'
    '    source: "https://ex.org/?a=1&b=<2>\\"onload=\\"alert(1)"\n'
    "reduction r: a reduces to b >= good\n"
    '    because: "\\" ]; evil [shape=box]; \\" %0A::error::injected"\n'
    "goal a >= partial\n"
    'objection o: "<svg onload=alert(1)>"\n'
    "    against: a\n"
    '    source: "data:text/html,<script>alert(1)</script>"\n'
    'claim 名前: "unused, with a unicode ID"\n'
)

# Lines whose errors carry user text into messages and excerpts.
HOSTILE_ERRORS = (
    f'claim a{ESC}[31m: "x"\n'  # unexpected character, excerpt with ESC
    f'goal "{ESC}]0;pwned{ESC}\\\\" >= good\n'  # found `"..."`: a string in a message
    f'claim c: "bad escape \\{ESC} here"\n'  # unknown escape `\<ESC>`
    f"claim d: \"ok\"\n\u202eclaim e: 'x'\n"  # bidi override at a statement start
    "%0A::warning::injected\n"
)


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(*argv: str) -> Outcome:
    o = run_cli(list(argv), timeout=60)
    assert o.crash is None, o.crash
    assert o.status in (0, 1, 2)
    return o


def assert_inert(text: str) -> None:
    """No character that a terminal or a CI log would act on."""
    m = RAW_CONTROL.search(text)
    assert m is None, f"raw {m.group(0)!r} in: {text[max(0, m.start() - 60) : m.end() + 60]!r}"


def diagnostics_count(*args: str) -> int:
    o = cli("check", "--format", "json", *args)
    return len(json.loads(o.stdout)["diagnostics"])


@pytest.mark.parametrize("text", [HOSTILE_MAP, HOSTILE_ERRORS], ids=["map", "errors"])
def test_text_output_is_inert(proj: Path, text: str) -> None:
    (proj / "m.crux").write_text(text)
    o = cli("check", "--fail-on", "info", "m.crux")
    assert o.out().strip()
    assert_inert(o.out() + o.err())
    if text is HOSTILE_ERRORS:
        assert o.status == 2
        assert "\\x1b[31m" in o.out()  # the escape is shown, escaped
        assert "\\u202e" in o.out()


@pytest.mark.parametrize("text", [HOSTILE_MAP, HOSTILE_ERRORS], ids=["map", "errors"])
def test_github_annotations_cannot_be_split_or_injected(proj: Path, text: str) -> None:
    (proj / "m.crux").write_text(text)
    o = cli("check", "--format", "github", "m.crux")
    assert_inert(o.out())
    lines = o.out().rstrip("\n").split("\n")
    assert len(lines) == diagnostics_count("m.crux")
    for line in lines:
        assert re.match(
            r"::(error|warning|notice) file=m\.crux,line=\d+,col=\d+,title=CX\d{3}::", line
        )
        assert "%0A::" not in line  # the user's "%0A" arrives as "%250A"


def test_syntax_error_caret_points_at_the_character(proj: Path) -> None:
    """Escaping widens the excerpt; the caret stays under the culprit."""
    (proj / "m.crux").write_text(f'claim a: "{ESC}{ESC}\x07" }}\n')
    o = cli("check", "m.crux")
    excerpt, caret = (
        x for x in o.out().splitlines() if x.startswith("  1 |") or x.startswith("    |")
    )
    assert excerpt.index("}") == caret.index("^")


def test_json_is_data(proj: Path) -> None:
    (proj / "m.crux").write_text(HOSTILE_MAP)
    (proj / "e.crux").write_text(HOSTILE_ERRORS)
    o = cli("check", "--format", "json", "m.crux", "e.crux")
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", o.out())  # JSON escapes C0 and DEL? C0
    doc = json.loads(o.stdout)
    maps = {m["root"]: m for m in doc["maps"]}
    found = [doc["diagnostics"][i] for i in maps["e.crux"]["diagnostics"]]
    excerpts = [d.get("excerpt") for d in found]
    # Display text is escaped as the text output does (issue 14 #12): no raw
    # C0, C1, DEL or bidirectional controls even after JSON decoding.
    assert 'claim a\\x1b[31m: "x"' in excerpts
    assert "\\u202eclaim e: 'x'" in excerpts
    for d in found:
        for key in ("message", "excerpt", "suggestion"):
            assert not re.search(
                "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", d.get(key, "")
            )
    assert "名前" in maps["m.crux"]["claims"]


def test_sarif_is_valid_and_escaped(proj: Path) -> None:
    (proj / "m.crux").write_text(HOSTILE_MAP)
    (proj / "e.crux").write_text(HOSTILE_ERRORS)
    (proj / f"we ird%#?{ESC}.crux").write_text(HOSTILE_ERRORS)
    o = cli("check", "--format", "sarif", ".")
    log = json.loads(o.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert "we%20ird%25%23%3F%1B.crux" in uris  # the real name, percent-encoded
    assert all(re.fullmatch(r"[A-Za-z0-9._~/%:-]+", u) for u in uris), uris


def _svg_checks(svg: bytes) -> ET.Element:
    root = ET.fromstring(svg)
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        assert tag not in ("script", "foreignObject", "iframe", "embed", "object")
        for key, value in el.attrib.items():
            attr = key.rsplit("}", 1)[-1]
            assert not attr.lower().startswith("on"), (tag, attr)
            if attr == "href":
                assert value.startswith(("https://", "http://", "#")), value
    titles = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}title")}
    assert "evil" not in titles  # the `because` did not inject a node
    texts = "".join(root.itertext())
    assert "<script>alert(1)</script>" in texts  # shown as text, not markup
    assert_inert(texts.replace("\n", " "))
    return root


def test_dot_output_escapes_user_text(proj: Path) -> None:
    (proj / "m.crux").write_text(HOSTILE_MAP)
    o = cli("render", "--format", "dot", "-o", "-", "m.crux")
    assert o.status == 0, o.err()
    dot = o.out()
    assert_inert(dot.replace("\n", " "))
    urls = re.findall(r'(?:URL|href)="([^"]*)"', dot)
    assert urls and all(u.startswith(("https://", "http://")) for u in urls), urls
    exe = shutil.which("dot")
    if exe is None:
        pytest.skip("Graphviz `dot` is not installed: the DOT was not laid out")
    proc = subprocess.run([exe, "-Tsvg"], input=dot.encode(), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    _svg_checks(proc.stdout)


def test_svg_output_escapes_user_text(proj: Path) -> None:
    from cruxmap.present import render

    try:
        render.find_graphviz()
    except render.GraphvizNotFound:
        pytest.skip("no Graphviz to draw SVG with")
    (proj / "m.crux").write_text(HOSTILE_MAP)
    o = cli("render", "-o", "m.svg", "m.crux")
    assert o.status == 0, o.err()
    root = _svg_checks((proj / "m.svg").read_bytes())
    hrefs = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("href")]
    assert "https://ex.org/?a=1&b=%3C2%3E%22onload=%22alert(1)" in hrefs
    assert not any(h.startswith(("javascript:", "data:")) for h in hrefs)


NAMES = [f"a{ESC}[31mb.crux", "new\nline.crux", "tab\tbell\x07.crux", "bidi\u202egnp.crux"]


def test_file_names_are_escaped_everywhere(proj: Path) -> None:
    for name in NAMES:
        (proj / name).write_text('claim a: "A"\nclaim b: "B"\na reduces to b\n')
    (proj / f"bad{ESC}.crux").write_text('claim a "x"\n')
    for fmt in ("text", "github"):
        o = cli("check", "--format", fmt, ".")
        assert_inert(o.out() + o.err())
    o = cli("check", "--format", "github", ".")
    assert len(o.out().rstrip("\n").split("\n")) == diagnostics_count(".")
    for fmt in ("json", "sarif"):
        json.loads(cli("check", "--format", fmt, ".").stdout)
    for args in (["fmt", "--check", "."], ["fmt", "."], ["render", "--format", "dot", "."]):
        o = cli(*args)
        assert o.status in (1, 2)
        assert_inert(o.out() + o.err())
    o = cli("check", ".")
    assert "Not analysed (fix the errors first): bad\\x1b.crux" in o.out()


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--set", f"{ESC}[2J=good", "m.crux"],
        ["check", "--set", f"a={ESC}[2J", "m.crux"],
        ["check", "--set", f"{ESC}[2J", "m.crux"],
        ["check", f"no{ESC}[2Jfile.crux"],
        ["fmt", f"no{ESC}[2Jfile.crux"],
        ["render", f"no{ESC}[2Jfile.crux"],
        ["render", "--graphviz", f"no{ESC}[2Jdot", "m.crux"],
        ["render", "--format", "dot", "--set", f"{ESC}]0;x{ESC}\\=good", "m.crux"],
        ["check", f"--{ESC}[31m.crux"],  # a file name pre-commit passed, read as an option
        ["fmt", f"--x{ESC}[2J"],
        [f"{ESC}[2J"],
    ],
)
def test_usage_errors_are_escaped(proj: Path, argv: list[str]) -> None:
    (proj / "m.crux").write_text('claim a: "A"\nclaim b: "B"\na reduces to b\n')
    o = cli(*argv)
    assert o.status == 2
    assert o.err() or o.out()
    assert_inert(o.out() + o.err())


def test_config_errors_are_escaped(proj: Path) -> None:
    (proj / "pyproject.toml").write_text('[tool.cruxmap]\n"\\u001b[2Jbad" = 1\n', encoding="utf-8")
    (proj / "m.crux").write_text('claim a: "A"\n')
    for argv in (["check", "m.crux"], ["fmt", "--check"], ["render", "--format", "dot", "m.crux"]):
        o = cli(*argv)
        assert o.status == 2, argv
        assert "unknown key" in o.err()
        assert_inert(o.err())
