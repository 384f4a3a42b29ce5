"""One set of unsafe characters, one escaper per target (issue 25 #10, #8).

The escapers used to disagree: only the JSON/SARIF one escaped U+061C,
U+200E and U+200F, so those bidi marks reached terminals, drawings and
Markdown. Every output now goes through ``cruxmap.core.text``; these tests run
each output on a map whose file names, claim texts, sources, notes and
reasons hold every character of the one set, and find none raw. The
Markdown escaper also keeps GitHub from linking issue references (``#1``,
``owner/repo#3``, ``GH-2``) and from rendering math (``$...$``).
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import sys
from pathlib import Path

import cmarkgfm
import pytest
import pytest_lsp
from fuzz_campaign import Outcome, run_cli
from lsp_helpers import SERVER, doc, find, make_project, open_doc, start, wait_diagnostics
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from cruxmap.core import text
from cruxmap.lsp import markdown as lsp_md
from cruxmap.present import diff

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names")

SURROGATES = range(0xD800, 0xE000)
#: Every unsafe character a .crux string can hold (CR and LF cannot be
#: written raw in one; ``\n`` is written as an escape below).
IN_STRING = "".join(sorted(c for c in text.UNSAFE if ord(c) not in SURROGATES and c not in "\r\n"))
#: A file name with ESC, a bidi override, the Arabic letter mark, NEL, CR,
#: LF, tab, LRM and RLM and an undecodable byte (a lone surrogate once decoded).
NAME = os.fsdecode("m\x1b\u202e\u061c\x85\r\n\t\u200e\u200f".encode() + b"\xff" + b".crux")


def crux(level: str = "great", word: str = "T") -> str:
    u = IN_STRING
    return (
        f'claim top: "{word}{u}\\nNLMARK"\n    source: "https://ex.org/{u}"\n    note: "N{u}"\n'
        f'claim a: "A{u}"\n    source: "S{u}"\n    assume: {level}\n'
        f'claim b: "B{u}"\n    assume: good\n'
        f'reduction r: top reduces to a >= good, b >= good\n    because: "R{u}\\nNLMARK"\n'
        f'objection o: "O{u}"\n    against: b\n'
        "goal top >= good\n"
    )


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / NAME).write_text(crux(), encoding="utf-8")
    (tmp_path / ("old" + NAME)).write_text(crux("good", "X"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assert_no_raw(shown: str, where: str) -> None:
    """No unsafe character but the output's own line breaks, and no user
    line break starting a line of its own."""
    raw = sorted({f"U+{ord(c):04X}" for c in shown if c in text.UNSAFE and c != "\n"})
    assert not raw, f"{where}: raw {raw}"
    assert not [x for x in shown.splitlines() if x.lstrip().startswith("NLMARK")], where


RUNS = [
    *(["check", "--fail-on", "info", "--format", f, NAME] for f in ("text", "json", "sarif", "github")),
    ["render", "--format", "dot", "-o", "-", NAME],
    ["render", "--format", "svg", "-o", "out.svg", NAME],
    *(["explain", "--format", f, NAME] for f in ("text", "markdown", "json")),
    *(["explain", "--repairs", "--format", f, "old" + NAME] for f in ("text", "markdown")),
    *(["diff", "--format", f, "old" + NAME, NAME] for f in ("text", "markdown", "json")),
    *(["cruxes", "--format", f, NAME, "old" + NAME] for f in ("table", "markdown", "json")),
]  # fmt: skip


@pytest.mark.parametrize(
    "argv", RUNS, ids=lambda a: "-".join(x if NAME not in x else "NAME" for x in a)
)
def test_no_unsafe_character_reaches_any_output(proj: Path, argv: list[str]) -> None:
    if argv[0] == "render" and "svg" in argv:
        from cruxmap.present import render

        try:
            render.find_graphviz()
        except render.GraphvizNotFound:
            pytest.skip("no Graphviz to draw SVG with")
    o: Outcome = run_cli(argv, timeout=60)
    assert o.crash is None, o.crash  # the streams are strict UTF-8: no lone surrogate either
    assert o.status in (0, 1), o.err()
    shown = o.out() + o.err()
    if "out.svg" in argv:
        shown += (proj / "out.svg").read_text("utf-8")
    assert len(shown) > 200, shown  # the run did show the map
    if "json" in argv or "sarif" in argv:
        json.loads(o.stdout)  # still JSON: only characters inside strings were escaped
    assert_no_raw(shown, " ".join(argv[:4]))


def test_the_set_is_the_union_of_the_old_escapers() -> None:
    old = (
        # diagnostics._UNSAFE, output._CONTROL, render._UNSAFE before issue 25
        "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]",
        r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]",
        "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]",
    )
    union = {chr(c) for c in range(0x10000) if any(re.match(p, chr(c)) for p in old)}
    assert union | {"\t", "\n"} == set(text.UNSAFE)


def test_every_escaper_escapes_every_character() -> None:
    for ch in sorted(text.UNSAFE):
        s = f"a{ch}b"
        assert ch not in text.clean(s)
        assert ch not in text.md_escape(s) and ch not in text.md_code(s)
        assert ch not in lsp_md.escape(s) and ch not in lsp_md.code(s)
        assert ch not in lsp_md.link_or_text(s)
        assert ch not in lsp_md.link_or_text("https://x.org/" + s)  # not a link either
        assert ch not in text.json_text(json.dumps(s, ensure_ascii=False))
        if ch not in "\t\n":
            assert ch not in text.escape(s)
        if ch != "\n":
            assert ch not in text.label(s)
        shown = text.clean(s)
        assert shown == "a b" if ch == "\t" else shown == f"a{text.escape_char(ch)}b"


def test_hover_links_lose_credentials_like_their_text() -> None:
    shown = lsp_md.link_or_text("https://user:hunter2@example.org/a")
    assert "hunter2" not in shown and "(https://example.org/a)" in shown


def test_json_text_decodes_to_the_same_data() -> None:
    # Lone surrogates only (a high one just before a low one would decode as
    # one astral character, as with ensure_ascii=True).
    data = {"t": "x" + IN_STRING + "\r\n\ud800x\udcff" + "é名", "n": [1, 2]}
    out = text.json_text(json.dumps(data, ensure_ascii=False, indent="\t"))
    assert json.loads(out) == data
    assert not set(out) & (text.UNSAFE - set("\t\n"))  # indentation and line ends only
    assert "\\u202e" in out and "\\u0085" in out


def test_one_use_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """diff's copy ignored TERM=dumb and explain's let a closed stream's error
    through: one ``use_colour`` now, and no module keeps a copy of its own."""
    import cruxmap

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert text.use_colour(Tty())
    assert not text.use_colour(io.StringIO())
    monkeypatch.setenv("TERM", "dumb")
    assert not text.use_colour(Tty())
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not text.use_colour(Tty())
    closed = io.StringIO()
    closed.close()  # isatty() raises: explain's copy let that through
    monkeypatch.delenv("NO_COLOR")
    assert not text.use_colour(closed)
    src = Path(cruxmap.__file__).parent
    copies = [p for p in src.rglob("*.py") if "def use_colour" in p.read_text(encoding="utf-8")]
    assert [p.relative_to(src).as_posix() for p in copies] == ["core/text.py"]


# --------------------------------------------------------------------------- GitHub references

REFERENCES = "see #1, owner/repo#3, GH-2, gh-7 and @octocat; $x^2$ and $$y$$ and $`z`$"
#: What GitHub would link in the rendered text (mentions, issue and
#: cross-repository references, GH- references).
LINKED = re.compile(r"(?i)(?<![\w])#\d|[\w.-]+/[\w.-]+#\d|\bgh-\d|@\w")


def rendered_text(markdown: str) -> str:
    """The text GitHub's reference filters see: cmark-gfm's HTML, untagged,
    entities decoded."""
    body = cmarkgfm.github_flavored_markdown_to_html(markdown)
    return html.unescape(re.sub(r"<[^>]*>", "", body))


def assert_inert_on_github(markdown: str) -> None:
    seen = rendered_text(markdown)
    assert not LINKED.search(seen), seen
    # Math is found by GitHub's Markdown parser, which reads "\$" as a dollar.
    assert not re.search(r"(?<!\\)(?:\\\\)*\$", markdown), markdown


def test_md_escape_neutralises_references_and_math() -> None:
    for escape in (text.md_escape, lsp_md.escape, diff.md_escape):
        out = escape(REFERENCES)
        assert_inert_on_github(out)
        # The text reads the same, apart from the zero-width spaces.
        assert rendered_text(out).strip().replace(text.ZWSP, "") == REFERENCES
    assert text.md_escape("#1") == "\\#\u200b1" and text.md_escape("GH-2") == "GH\\-\u200b2"
    assert text.md_escape("$1 and $2") == "\\$1 and \\$2"


def test_diff_and_explain_markdown_make_no_github_references(proj: Path) -> None:
    (proj / "old.crux").write_text(crux("good").replace('"T', '"Was'), encoding="utf-8")
    (proj / "new.crux").write_text(crux("great").replace('"T', f'"{REFERENCES}'), encoding="utf-8")
    (proj / "fails.crux").write_text(crux("partial").replace('"T', f'"{REFERENCES}'), "utf-8")
    for argv in (
        ["diff", "--format", "markdown", "old.crux", "new.crux"],
        ["explain", "--format", "markdown", "new.crux"],
        ["explain", "--format", "markdown", "--repairs", "fails.crux"],
        ["cruxes", "--format", "markdown", "new.crux"],
    ):
        o = run_cli(argv, timeout=60)
        assert o.crash is None and o.status in (0, 1), o.err()
        if argv[0] != "cruxes":
            assert "octocat" in o.out(), argv  # the payload was shown
        assert_inert_on_github(o.out())


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_hover_is_escaped_and_makes_no_references(
    client: LanguageClient, tmp_path: Path
) -> None:
    source = crux().replace('"T', f'"{REFERENCES}')
    root = make_project(tmp_path / "p", {"m.crux": source})
    await start(client, root)
    uri = open_doc(client, root / "m.crux")
    await wait_diagnostics(client, uri, lambda ds: True)
    for needle in ("top", "a:", "b:"):
        h = await client.text_document_hover_async(
            lsp.HoverParams(text_document=doc(uri), position=find(source, needle))
        )
        assert h is not None and isinstance(h.contents, lsp.MarkupContent)
        value = h.contents.value
        assert_no_raw(value, f"hover on {needle}")
        assert_inert_on_github(value)
        assert "\\\\u202e" in value  # shown, escaped (and its backslash escaped)
