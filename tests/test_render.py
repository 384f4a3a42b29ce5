"""``cruxmap render``: real SVG from both Graphviz programs, parsed as XML.

Every drawing is checked through what a reader gets (the SVG's text, links,
classes and styles), with the system ``dot`` and with the ``graphviz-pure``
fallback, so that escaping holds whichever one a user has.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from cruxmap.core.lint import check_map
from cruxmap.core.loader import Loader
from cruxmap.core.mapresult import MapResult
from cruxmap.core.options import Options
from cruxmap.present import render

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"

MAP = """\
claim alignment: "We can align advanced AI systems well enough to deploy them"
    source: "https://example.org/essay?a=1&b=2"
claim interp: "We can fully interpret what a frontier model computes"
    source: "Olah et al. 2020"
claim oversight: "Humans can oversee the interpreted model"
    assume: great
    source: "javascript:alert(1)"
claim evals: "Behavioural evaluations catch dangerous capabilities"
    assume: good
    source: "https://example.org/evals"

reduction r_interp: alignment reduces to interp >= great, oversight >= good
    yields: great
    because: "Understanding plus oversight suffices"
alignment reduces to evals >= great
    yields: partial
    because: "evals alone give some assurance"

goal alignment >= good

objection too_slow: "Interpretability will not be ready in time"
    against: interp
    caps: good
objection answer: "Progress is accelerating"
    against: too_slow
objection no_route: "Oversight does not scale"
    against: r_interp
"""


def _engine(name: str) -> list[str] | None:
    try:
        return render.find_graphviz(name)
    except render.GraphvizNotFound:
        return None


ENGINES = ["dot", "graphviz-pure"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each Graphviz program in turn, forced through $CRUXMAP_GRAPHVIZ."""
    name: str = request.param
    if _engine(name) is None:
        hint = "apt-get install graphviz" if name == "dot" else "pip install graphviz-pure"
        pytest.skip(f"{name} is not installed ({hint})")
    monkeypatch.setenv(render.ENGINE_ENV, name)
    return name


def parse(path: Path) -> ET.Element:
    return ET.fromstring(path.read_bytes())


def texts(root: ET.Element) -> str:
    return "\n".join(el.text or "" for el in root.iter(f"{SVG}text"))


def node(root: ET.Element, elem_id: str) -> ET.Element:
    for g in root.iter(f"{SVG}g"):
        if g.get("id") == elem_id:
            return g
    raise AssertionError(f"no element with id {elem_id}")


def classes(root: ET.Element, elem_id: str) -> set[str]:
    return set((node(root, elem_id).get("class") or "").split())


def analysed(path: Path, **overrides: str) -> MapResult:
    amap, diags = Loader().load_map(path)
    res = check_map(amap, diags, Options(scenario=overrides))
    assert res.analysed, [d.message for d in res.diagnostics]
    return res


# --------------------------------------------------------------------------- escaping


def test_html_text_escapes_markup_and_graphviz_substitutions() -> None:
    assert render.html_text("<b>&\"'") == "&lt;b&gt;&amp;&quot;&#39;"
    assert render.html_text("a\\Nb") == "a\\\\Nb"
    # Shown as \x07 and \u202e: the escape's own backslash is doubled for Graphviz.
    assert render.html_text("bell\x07 rtl\u202e") == "bell\\\\x07 rtl\\\\u202e"


def test_dot_string_quotes_for_tooltips() -> None:
    assert render.dot_string('say "hi"\\N\nnext') == '"say \\"hi\\"\\\\\\\\N\\nnext"'


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("https://example.org/a?x=1&y=2", "https://example.org/a?x=1&amp;y=2"),
        ("http://example.org/a b", None),  # a URL followed by words is a citation
        ("http://example.org/a%20b", "http://example.org/a%20b"),
        ("https://example.org/é", "https://example.org/%C3%A9"),
        ('https://example.org/"><script>', "https://example.org/%22%3E%3Cscript%3E"),
        ("HTTPS://example.org/", "HTTPS://example.org/"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("file:///etc/passwd", None),
        ("//example.org/x", None),
        ("https:///nohost", None),
        ("Olah et al. 2020", None),
        ("https://exa\nmple.org/", None),
        (None, None),
    ],
)
def test_safe_url(source: str | None, expected: str | None) -> None:
    assert render.safe_url(source) == expected


def test_wrap_keeps_paragraphs_and_cuts_long_text() -> None:
    assert render.wrap("one two three", 7) == ["one two", "three"]
    assert render.wrap("a\nb") == ["a", "b"]
    long = render.wrap("word " * 200)
    assert long[-1].endswith("…")
    assert all(len(line) <= render.WRAP for line in long)
    assert render.wrap("x" * 80, 30) == ["x" * 30, "x" * 30, "x" * 20]


# --------------------------------------------------------------------------- drawings


def test_svg_shows_statuses_levels_thresholds_and_legend(
    engine: str, write: Callable[..., Path], run: Callable[..., tuple[int, str, str]]
) -> None:
    path = write("map.crux", MAP)
    code, out, err = run("render", path)
    assert code == 0, err
    assert out.strip() == "wrote map.svg"
    root = parse(path.with_suffix(".svg"))
    text = texts(root)
    # Goal marked with its required level and status, in words too.
    assert {"claim", "goal", "holds"} <= classes(root, "claim-alignment")
    assert "GOAL ≥ good: HOLDS" in text
    # Baseline levels, thresholds on edges, yields on junctions.
    assert "perfect" in text and "great" in text
    assert "≥ great" in text and "≥ good" in text
    assert "yields great" in text and "yields partial" in text
    # A premise below its threshold: the route is blocked and the edge says why.
    assert "blocked" in classes(root, "route-alignment.2")
    assert "(is good)" in text
    # Margins on premises.
    assert "margin 2 for alignment (fails at good)" in text
    # Objections with their grounded status; the legend.
    assert "objection" in classes(root, "objection-too_slow")
    assert "out" in classes(root, "objection-too_slow")
    assert "in" in classes(root, "objection-answer")
    assert "defeated (out)" in text and "STANDS (in)" in text
    assert "Legend" in text
    assert "scale: none &lt; partial" not in text  # escaped once, not twice
    assert "scale: none < partial < good < great < near_perfect < perfect" in text


def test_brittle_premise_reads_in_greyscale(engine: str, write: Callable[..., Path]) -> None:
    """Brittle is said by colour, by a dashed border and by a word."""
    path = write(
        "b.crux",
        'claim g: "goal"\nclaim p: "premise"\n    assume: great\n'
        "g reduces to p >= great\ngoal g >= good\n",
    )
    svg = render.produce(
        render.to_dot(analysed(path), name="b.crux"), "svg", render.find_graphviz()
    )
    root = ET.fromstring(svg)
    assert "brittle" in classes(root, "claim-p")
    shape = next(iter(node(root, "claim-p").iter(f"{SVG}path")))
    assert shape.get("stroke-dasharray"), "the brittle premise's border is dashed"
    assert "▲ BRITTLE for g: margin 0 (fails at good)" in texts(root)
    assert "brittle" not in classes(root, "claim-g")


def test_failing_goal_and_scenario_changes(
    engine: str, write: Callable[..., Path], run: Callable[..., tuple[int, str, str]]
) -> None:
    path = write("map.crux", MAP)
    out_svg = path.parent / "scenario.svg"
    code, _, err = run("render", path, "--set", "oversight=partial", "-o", out_svg)
    assert code == 0, err
    root = parse(out_svg)
    text = texts(root)
    assert {"goal", "fails", "changed"} <= classes(root, "claim-alignment")
    assert f"{render.ICON_FAILS} FAILS" in text and "at baseline it held" in text
    assert "partial (was great)" in text
    assert "set to partial by the scenario" in text
    assert "changed" in classes(root, "claim-oversight")
    assert "changed" not in classes(root, "claim-evals")
    assert "scenario: oversight = partial" in text


def test_objections_scenario(
    engine: str, write: Callable[..., Path], run: Callable[..., tuple[int, str, str]]
) -> None:
    path = write("map.crux", MAP)
    code, _, err = run("render", path, "--objections", "-o", "obj.svg")
    assert code == 0, err
    root = parse(path.parent / "obj.svg")
    assert "refuted" in classes(root, "route-r_interp")
    assert "fails" in classes(root, "claim-alignment")
    assert "standing objections applied" in texts(root)


def test_links_only_for_http_sources(engine: str, write: Callable[..., Path]) -> None:
    path = write("map.crux", MAP)
    svg = render.produce(render.to_dot(analysed(path), name="m"), "svg", render.find_graphviz())
    root = ET.fromstring(svg)
    hrefs = [a.get(f"{XLINK}href") for a in root.iter(f"{SVG}a") if a.get(f"{XLINK}href")]
    assert "https://example.org/essay?a=1&b=2" in hrefs
    assert "https://example.org/evals" in hrefs
    assert not any("javascript" in h.lower() for h in hrefs)
    assert b"javascript:alert" not in svg.replace(b"source: javascript:alert(1)", b"")


HOSTILE = [
    "</text><script>alert(1)</script>",
    "]]><!-- --> <![CDATA[ x ]]>",
    "&bogus; &amp; &#x3c;script&#x3e; &lt;",
    "back\\slash \\N \\G \\L \\n \\\\ \\",
    'quote " \' ` <a href="javascript:alert(1)">x</a>',
    "control \x01\x07\x1b[31m red \u202e evil \ufffe",
    "<svg onload=alert(1)> <foreignObject/>",
    "{record|<port> field} \\l\\r",
    "] a bracket first (Graphviz 2.43 chokes on it unescaped)",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_text(engine: str, write: Callable[..., Path], text: str) -> None:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    path = write(
        "evil.crux",
        f'claim g: "{escaped}"\n    source: "{escaped}"\n    note: "{escaped}"\n'
        f'claim p: "{escaped}"\ng reduces to p\n'
        f'objection o: "{escaped}"\n    against: p\n',
    )
    res = analysed(path)
    svg = render.produce(render.to_dot(res, name=text), "svg", render.find_graphviz())
    root = ET.fromstring(svg)  # well-formed XML
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert not tags & {"script", "foreignObject", "iframe"}
    for el in root.iter():
        assert not any(k.rsplit("}", 1)[-1].lower().startswith("on") for k in el.attrib)
    # The tooltip carries the text exactly, as the reader typed it.
    claim = res.amap.claims["g"].text
    shown = render._visible(claim)
    titles = [a.get(f"{XLINK}title") or "" for a in root.iter(f"{SVG}a")]
    assert any(t.startswith(f"g: {shown}\n") for t in titles), titles


def test_xml_escapes_survive_a_browser_parser(engine: str, write: Callable[..., Path]) -> None:
    """The label text a reader sees equals the claim's text (short, unwrapped)."""
    text = "a<b & c>d \"q\" 'r' \\N &amp; done"
    path = write("t.crux", f'claim g: "{text.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"\n'
                 'claim p: "p"\ng reduces to p\n')  # fmt: skip
    root = ET.fromstring(
        render.produce(render.to_dot(analysed(path), name="t"), "svg", render.find_graphviz())
    )
    lines = [el.text or "" for el in node(root, "claim-g").iter(f"{SVG}text")]
    joined = " ".join(line.strip() for line in lines)
    assert text in joined, lines


# --------------------------------------------------------------------------- determinism


def test_same_input_same_bytes_from_any_directory(
    engine: str, write: Callable[..., Path], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write("sub/map.crux", MAP)
    first = render.produce(render.to_dot(analysed(path), name="map.crux"), "svg",
                           render.find_graphviz())  # fmt: skip
    monkeypatch.chdir(path.parent)
    again = render.produce(
        render.to_dot(analysed(Path("map.crux")), name="map.crux"), "svg", render.find_graphviz()
    )
    assert first == again
    assert b"Generated by graphviz" not in first
    assert re.search(rb"<!-- cruxmap-source sha256:[0-9a-f]{64} -->", first)


def test_cli_output_is_byte_identical_across_runs(
    engine: str, write: Callable[..., Path], run: Callable[..., tuple[int, str, str]]
) -> None:
    path = write("map.crux", MAP)
    assert run("render", path)[0] == 0
    first = path.with_suffix(".svg").read_bytes()
    assert run("render", path)[0] == 0
    assert path.with_suffix(".svg").read_bytes() == first


# --------------------------------------------------------------------------- files and modes


def test_check_and_fail_on_change(
    engine: str, write: Callable[..., Path], run: Callable[..., tuple[int, str, str]]
) -> None:
    path = write("map.crux", MAP)
    svg = path.with_suffix(".svg")
    code, out, _ = run("render", path, "--check")
    assert code == 1 and "map.svg: stale or missing" in out
    assert not svg.exists()
    code, out, _ = run("render", path, "--fail-on-change")
    assert code == 1 and "redrew stale map.svg" in out
    assert svg.exists()
    assert run("render", path, "--check")[0] == 0
    assert run("render", path, "--fail-on-change")[:2] == (0, "")
    # A comment changes nothing drawn; a new level does.
    path.write_text(MAP + "# a comment\n", encoding="utf-8")
    assert run("render", path, "--check")[0] == 0
    path.write_text(MAP.replace("assume: good", "assume: great"), encoding="utf-8")
    before = svg.read_bytes()
    assert run("render", path, "--check")[0] == 1
    assert svg.read_bytes() == before


def test_staleness_ignores_which_graphviz_drew_it(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Two machines with different Graphviz builds must not fight over a file."""
    if _engine("dot") is None or _engine("graphviz-pure") is None:
        pytest.skip("needs both the system dot and graphviz-pure")
    path = write("map.crux", MAP)
    monkeypatch.setenv(render.ENGINE_ENV, "dot")
    assert run("render", path)[0] == 0
    drawn_by_dot = path.with_suffix(".svg").read_bytes()
    monkeypatch.setenv(render.ENGINE_ENV, "graphviz-pure")
    assert run("render", path, "--check")[0] == 0
    assert run("render", path, "--fail-on-change")[0] == 0
    assert path.with_suffix(".svg").read_bytes() == drawn_by_dot


def test_failed_render_leaves_old_file_and_no_temp(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch, project: Path,
) -> None:  # fmt: skip
    path = write("map.crux", MAP)
    old = path.with_suffix(".svg")
    old.write_text("<svg>old</svg>", encoding="utf-8")
    broken = project / "broken-dot"
    broken.write_text("#!/bin/sh\necho 'Error: layout exploded' >&2\nexit 3\n")
    broken.chmod(0o755)
    code, _, err = run("render", path, "--graphviz", broken)
    assert code == 2 and "layout exploded" in err
    assert old.read_text(encoding="utf-8") == "<svg>old</svg>"
    assert sorted(p.name for p in project.iterdir()) == ["broken-dot", "map.crux", "map.svg",
                                                         "pyproject.toml"]  # fmt: skip


def test_write_atomic_failure_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.svg"
    target.write_bytes(b"old")
    target.chmod(0o644)

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(render.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        render.write_atomic(target, b"new", follow_symlinks=False)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.svg"]
    monkeypatch.undo()
    render.write_atomic(target, b"new", follow_symlinks=False)
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ('claim a: "x"\nclaim b "y"\n', 2, "CX001"),
        ('claim a: "x"\na reduces to missing\n', 1, "CX002"),
        ('import "nowhere.crux"\nclaim a: "x"\n', 2, "CX005"),
    ],
)
def test_map_with_errors_writes_nothing(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]], project: Path,
    text: str, code: int, message: str,
) -> None:  # fmt: skip
    good = write("good.crux", MAP)
    bad = write("bad.crux", text)
    rc, out, err = run("render", project)
    assert rc == code
    assert message in err and "nothing was written" in err
    assert out == ""
    assert not good.with_suffix(".svg").exists() and not bad.with_suffix(".svg").exists()


def test_directory_renders_each_map_next_to_it_or_into_a_directory(
    engine: str, write: Callable[..., Path], run: Callable[..., tuple[int, str, str]],
    project: Path,
) -> None:  # fmt: skip
    write("maps/a.crux", MAP)
    write("maps/deep/b.crux", 'claim x: "x"\nclaim y: "y"\nx reduces to y\n')
    code, _, err = run("render", project / "maps")
    assert code == 0, err
    assert (project / "maps/a.svg").exists() and (project / "maps/deep/b.svg").exists()
    code, _, err = run("render", "maps", "-o", "docs/out")
    assert code == 0, err
    assert sorted(p.relative_to(project / "docs/out").as_posix()
                  for p in (project / "docs/out").rglob("*.svg")) == ["a.svg", "deep/b.svg"]  # fmt: skip
    parse(project / "docs/out/deep/b.svg")


def test_combine_draws_one_map_with_a_frame_per_file(
    engine: str, write: Callable[..., Path], run: Callable[..., tuple[int, str, str]],
    project: Path,
) -> None:  # fmt: skip
    write("maps/a.crux", MAP)
    write("maps/b.crux", 'claim alignment: "same ID, other map"\nclaim y: "y"\n'
          'alignment reduces to y\n')  # fmt: skip
    write("maps/common.crux", 'claim shared: "imported"\n')
    write("maps/c.crux", 'import "common.crux"\nclaim top: "t"\ntop reduces to shared\n')
    code, _, err = run("render", "maps", "--combine")
    assert code == 0, err
    root = parse(project / "maps.svg")
    ids = {g.get("id") for g in root.iter(f"{SVG}g")}
    # Same claim ID in two maps: two nodes; the imported file is not drawn twice.
    assert {"m1.claim-alignment", "m2.claim-alignment"} <= ids
    assert sum(1 for i in ids if i and re.fullmatch(r"m\d+\.claim-shared", i)) == 1
    assert "combined map" in texts(root)


def test_stdout_and_formats(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    path = write("map.crux", MAP)
    # --format dot needs no Graphviz at all.
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(render, "_scripts_dirs", list)
    code, out, err = run("render", path, "--format", "dot", "-o", "-")
    assert code == 0, err
    assert out.startswith("digraph cruxmap {") and not path.with_suffix(".dot").exists()
    code, _, err = run("render", path)
    assert code == 2
    assert "pip install graphviz-pure" in err and "apt-get install graphviz" in err
    assert not path.with_suffix(".svg").exists()


def test_png_where_graphviz_can(engine: str, write: Callable[..., Path],
                                run: Callable[..., tuple[int, str, str]]) -> None:  # fmt: skip
    path = write("map.crux", MAP)
    code, _, err = run("render", path, "--format", "png")
    assert code == 0, err
    assert path.with_suffix(".png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere.crux"], "no such file"),
        (["a.crux", "b.crux", "-o", "-"], "-o - writes one drawing"),
        (["a.crux", "--set", "nope=good"], "no claim `nope`"),
        (["a.crux", "--set", "alignment=superb"], "unknown level"),
        (["a.crux", "-o", "a.crux"], "refusing to overwrite"),
        (["a.crux", "b.crux", "--combine"], "name the combined output"),
        (["a.crux", "-o", "-", "--check"], "-o - has none"),
    ],
)
def test_usage_errors(
    write: Callable[..., Path], run: Callable[..., tuple[int, str, str]],
    args: list[str], message: str,
) -> None:  # fmt: skip
    write("a.crux", MAP)
    write("b.crux", MAP)
    code, _, err = run("render", *args)
    assert code == 2 and message in err


# --------------------------------------------------------------------------- Graphviz


def test_pip_fallback_when_dot_is_not_on_path(
    write: Callable[..., Path], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PATH holding no ``dot``, the graphviz-pure binary installed in the
    same environment as cruxmap is found and used (the venv need not be active)."""
    if _engine("graphviz-pure") is None:
        pytest.skip("graphviz-pure is not installed (pip install graphviz-pure)")
    monkeypatch.delenv(render.ENGINE_ENV, raising=False)
    empty = project / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    found = render.find_graphviz()
    assert Path(found[0]).name.startswith("graphviz-pure")
    path = write("map.crux", MAP)
    env = {k: v for k, v in os.environ.items() if k != render.ENGINE_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "cruxmap", "render", str(path)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    svg = path.with_suffix(".svg").read_bytes()
    ET.fromstring(svg)
    assert b'xml:space="preserve"' in svg  # graphviz-pure's mark: it drew this


def test_system_dot_preferred_when_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("dot") is None:
        pytest.skip("the system Graphviz is not installed (apt-get install graphviz)")
    monkeypatch.delenv(render.ENGINE_ENV, raising=False)
    assert render.find_graphviz() == [shutil.which("dot")]


def test_unknown_engine_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(render.ENGINE_ENV, "/no/such/dot")
    with pytest.raises(render.GraphvizNotFound, match="/no/such/dot"):
        render.find_graphviz()


def test_check_svg_refuses_script_and_bad_links() -> None:
    ok = b'<svg xmlns="http://www.w3.org/2000/svg"><a href="https://x.org/">x</a></svg>'
    render.check_svg(ok)
    for bad in (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
        b'<a x:href="javascript:alert(1)">x</a></svg>',
        b"<svg><text>unclosed</svg>",
    ):
        with pytest.raises(render.RenderError):
            render.check_svg(bad)


# --------------------------------------------------------------------------- property


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> MapResult:
    root = tmp_path_factory.mktemp("prop")
    (root / "pyproject.toml").write_text("")
    path = root / "t.crux"
    path.write_text('claim g: "x"\n    note: "n"\nclaim p: "p"\ng reduces to p\n'
                    'objection o: "o"\n    against: p\n', encoding="utf-8")  # fmt: skip
    return analysed(path)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_any_text_round_trips_through_graphviz(template: MapResult, engine_name: str) -> None:
    """Whatever a claim says reaches the reader as exactly that text (control
    characters made visible), and never as markup."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    exe = _engine(engine_name)
    if exe is None:
        pytest.skip(f"{engine_name} is not installed")
    alphabet = st.sampled_from(list("\\\"'<>&;#/!-[]{}|%$ xNGLlnr\t\n\r\x00\x01\x1b\u202e\u00a0é→"))
    chunks = st.sampled_from(["&amp;", "&lt;", "&#60;", "]]>", "<!--", "\\N", "\\\\", "</text>"])
    texts_ = st.lists(st.one_of(alphabet, chunks), max_size=24).map("".join)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(texts_)
    def check(text: str) -> None:
        template.amap.claims["g"].text = text
        template.amap.objections["o"].text = text
        svg = render.produce(render.to_dot(template, name=text), "svg", exe)
        root = ET.fromstring(svg)
        # Graphviz writes the second of two spaces as a no-break space.
        titles = [(a.get(f"{XLINK}title") or "").replace("\xa0", " ") for a in root.iter(f"{SVG}a")]
        want = "g: " + render._visible(text).replace("\xa0", " ") + "\n"
        assert any(t.startswith(want) for t in titles), (want, titles)
        assert not {el.tag for el in root.iter()} & {f"{SVG}script", f"{SVG}foreignObject"}

    check()
