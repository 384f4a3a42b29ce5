"""Hostile input, round two (issue 14): one regression test per finding,
built from its reproducer, run through the CLI as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SECRET = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI-not-a-real-key"


def cli(cwd: Path, *args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "cruxmap", *args],
        cwd=cwd,
        capture_output=True,
        timeout=300,
        input=stdin,
        check=False,
    )
    return (
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'scratch'\n")
    return root


# --------------------------------------------------------------------------- 9: imports


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_import_of_a_non_crux_file_is_refused_unread(proj: Path, fmt: str) -> None:
    (proj / ".env").write_text(SECRET + "\n")
    (proj / "secret.txt").write_text(f'claim x: "{SECRET}"\n')  # even a valid map
    (proj / "a.crux").write_text('import ".env"\nimport "secret.txt"\nclaim a: "t"\n')
    code, out, err = cli(proj, "check", "a.crux", "--format", fmt)
    assert code == 2
    assert "wJalrXUtnFEMI" not in out + err
    if fmt == "json":  # each map lists its findings, and the run lists them once
        out = json.dumps(json.loads(out)["diagnostics"])
    assert out.count("only .crux files can be imported") == 2


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_crux_named_link_to_another_file_is_not_read(proj: Path) -> None:
    (proj / ".env").write_text(SECRET + "\n")
    (proj / "link.crux").symlink_to(".env")
    (proj / "a.crux").write_text('import "link.crux"\nclaim a: "t"\ngoal a >= good\n')
    for args in (
        ["check", "."],
        ["check", ".", "--format", "json"],
        ["check", ".", "--format", "sarif"],
        ["fmt", "."],
        ["fmt", "--diff", "."],
        ["render", ".", "--format", "dot", "-o", "out"],
    ):
        code, out, err = cli(proj, *args)
        assert code == 2, (args, out, err)
        assert "wJalrXUtnFEMI" not in out + err, args
        assert "not a .crux file" in out + err, args


def test_named_non_crux_file_is_never_excerpted(proj: Path) -> None:
    """A file named on the command line is read (the user asked), but its
    lines are not quoted back into the log."""
    (proj / "notes.txt").write_text("claim a: 'x'\n")
    code, out, _ = cli(proj, "check", "notes.txt")
    assert code == 2 and "CX001" in out
    assert " | " not in out  # no excerpt gutter
    code, out, _ = cli(proj, "check", "notes.txt", "--format", "json")
    assert all(d.get("excerpt") is None for d in json.loads(out)["diagnostics"])


# --------------------------------------------------------------------------- 6: node IDs


def test_distinct_ids_stay_distinct_nodes(proj: Path) -> None:
    """`safé` used to become `_e9_` in DOT and merge with `saf_e9_`."""
    (proj / "m.crux").write_text(
        "scale: none < some < good\n"
        'claim safé: "fails"\n    assume: none\n'
        'claim saf_e9_: "holds"\n    assume: good\n'
        "goal safé >= good\ngoal saf_e9_ >= good\n",
        encoding="utf-8",
    )
    _, out, _ = cli(proj, "check", "m.crux")
    failing = [ln for ln in out.splitlines() if " CX102 " in ln]
    assert len(failing) == 1 and "safé" in failing[0]
    code, dot, err = cli(proj, "render", "m.crux", "--format", "dot", "-o", "-")
    assert code == 0, err
    node_lines = [ln for ln in dot.splitlines() if ln.startswith('  "claim:') and " [" in ln]
    assert len({ln.split(" [")[0] for ln in node_lines}) == 2
    assert dot.count("GOAL ≥ good: HOLDS") == 1
    assert dot.count("GOAL ≥ good: \u00d7 FAILS") == 1
    element_ids = [ln.split('id="')[1].split('"')[0] for ln in node_lines]
    assert len(set(element_ids)) == 2


def test_node_ids_are_injective() -> None:
    from cruxmap.present.render import _elem_id, dot_id

    names = ["safé", "saf_e9_", "saf%C3%A9", "saf%25C3%25A9", "a#2", "a.2", "a/2", "a_2e_2"]
    assert len({dot_id(n) for n in names}) == len(names)
    assert len({_elem_id("", "claim", n) for n in names}) == len(names)
    assert len({_elem_id("m1/", "claim", n) for n in names}) == len(names)


# --------------------------------------------------------------------------- 15: credentials


def test_credentials_in_urls_appear_in_no_output(proj: Path) -> None:
    (proj / "m.crux").write_text(
        'claim a: "see https://alice:hunter2@example.org/a"\n'
        '    source: "https://alice:hunter2@example.org/paper"\n'
        '    note: "mirror: ftp://bob:hunter2@ftp.example.org/x"\n'
        'claim b: "b"\n    source: "git+ssh://tok_hunter2@example.org/repo.git"\n'
        "reduction r: a reduces to b >= good\n"
        '    source: "http://hunter2@example.org/r"\n'
        "goal a >= good\n"
        'objection o: "o"\n    against: r\n    source: "https://x:hunter2@example.org/o"\n'
    )
    code, dot, err = cli(proj, "render", "m.crux", "--format", "dot", "-o", "-")
    assert code == 0, err
    assert "hunter2" not in dot
    assert 'URL="https://example.org/paper"' in dot
    assert "example.org/repo.git" in dot
    code, page, err = cli(proj, "explore", "m.crux", "-o", "-")
    assert code == 0, err
    assert "hunter2" not in page and "example.org/paper" in page
    (proj / "bad.crux").write_text('claim c: "x" "https://u:hunter2@example.org/"\n')
    for fmt in ("text", "json", "github", "sarif"):
        code, out, err = cli(proj, "check", "bad.crux", "--format", fmt)
        assert code == 2
        assert "hunter2" not in out + err, fmt
        assert "example.org" in out, fmt


# --------------------------------------------------------------------------- SVG allow-list (issue 9 #6)

_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">%s</svg>'
)


@pytest.mark.parametrize(
    "body",
    [
        b'<a xlink:href="https://x.org/"><set attributeName="href" to="javascript:alert(1)"/></a>',
        b'<text x="1"><animate attributeName="href" values="javascript:alert(1)"/>t</text>',
        b"<style>text { fill: url(javascript:alert(1)) }</style>",
        b'<a xlink:href="javascript:alert(1)">x</a>',
        b'<a xlink:href=" JavaScript:alert(1)">x</a>',
        b'<a href="data:text/html,x">x</a>',
        b'<a xlink:href="#x">x</a>',
        b'<image xlink:href="https://x.org/track.png"/>',
        b'<g style="fill:red"/>',
        b'<g onclick="alert(1)"/>',
        b'<g id="x" class="y" transform="scale(1)" data-x="1"/>',
        b'<a xlink:href="https://x.org/" target="javascript:alert(1)">x</a>',
        b'<path d="M0 0" fill="url(javascript:alert(1))"/>',
        b'<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>',
        b'<h:p xmlns:h="http://www.w3.org/1999/xhtml">x</h:p>',
        b"<script>alert(1)</script>",
        b"<use xlink:href='https://x.org/#a'/>",
    ],
)
def test_svg_check_is_an_allow_list(body: bytes) -> None:
    from cruxmap.present import render

    with pytest.raises(render.RenderError):
        render.check_svg(_SVG % body)


def test_svg_check_accepts_what_graphviz_writes() -> None:
    from cruxmap.present import render

    render.check_svg(
        _SVG
        % (
            b'<g id="claim-a" class="node claim"><title>claim:a</title>'
            b'<a xlink:href="https://x.org/?a=1&amp;b=2" xlink:title="source: javascript:x"'
            b' target="_blank"><polygon fill="#fff" stroke="#000" points="0,0 1,1"/>'
            b'<text xml:space="preserve" text-anchor="start" x="1" y="2" font-family="Helvetica"'
            b' font-weight="bold" font-size="10.00">a</text></a>'
            b'<path fill="none" stroke="black" stroke-dasharray="5,2" d="M0,0C1,1"/>'
            b'<ellipse cx="1" cy="1" rx="1" ry="1" fill="none" stroke="red"/></g>'
        )
    )


# --------------------------------------------------------------------------- 8: pyproject.toml


def _config_case(proj: Path, tmp_path: Path, case: str) -> None:
    pyproject = proj / "pyproject.toml"
    pyproject.unlink()
    if case == "nested":
        pyproject.write_text("[tool.cruxmap]\nx = " + "[" * 1000 + "]" * 1000 + "\n")
    elif case == "huge":
        with open(pyproject, "wb") as fh:
            fh.write(b"[tool.cruxmap]\n")
            fh.truncate(3 * 1024**3)
    elif case == "outside":
        outside = tmp_path / "elsewhere"
        outside.mkdir()
        (outside / "pyproject.toml").write_text("[tool.cruxmap]\nkey_from_outside_xyz = 1\n")
        pyproject.symlink_to(outside / "pyproject.toml")
    elif case == "tool-not-a-table":
        pyproject.write_text("tool = 5\n")
    elif case == "not-utf8":
        pyproject.write_bytes(b"[tool.cruxmap]\nfail-on = '\xff'\n")


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks, sparse files, rlimits")
@pytest.mark.parametrize("case", ["nested", "huge", "outside", "tool-not-a-table", "not-utf8"])
def test_hostile_pyproject_is_a_clear_error(proj: Path, tmp_path: Path, case: str) -> None:
    _config_case(proj, tmp_path, case)
    (proj / "a.crux").write_text('claim a: "a"\n    assume: good\ngoal a >= good\n')
    for args in (["check", "a.crux"], ["check"], ["fmt"], ["render", "a.crux", "--format", "dot"]):
        proc = subprocess.run(
            [sys.executable, "-m", "cruxmap", *args],
            cwd=proj,
            capture_output=True,
            timeout=120,
            check=False,
            preexec_fn=_limit_memory,
        )
        out, err = proc.stdout.decode(), proc.stderr.decode()
        assert "Traceback" not in err and "MemoryError" not in err, (args, err)
        assert "key_from_outside_xyz" not in out + err
        if case == "tool-not-a-table":
            assert proc.returncode in (0, 1), (args, err)
        else:
            assert proc.returncode == 2, (args, out, err)
            assert "pyproject.toml" in err


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1500 * 1024**2, 1500 * 1024**2))


def test_config_named_with_option_is_trusted_through_a_symlink(proj: Path, tmp_path: Path) -> None:
    outside = tmp_path / "shared.toml"
    outside.write_text('[tool.cruxmap]\nfail-on = "error"\n')
    (proj / "a.crux").write_text('claim a: "a"\n')
    code, _, err = cli(proj, "check", "a.crux", "--config", str(outside))
    assert code == 0, err


# --------------------------------------------------------------------------- 10: names alike


def _bad_byte_name() -> str:
    return os.fsdecode(b"bad\xff.crux")


@pytest.mark.skipif(sys.platform != "linux", reason="undecodable file names")
def test_files_whose_names_display_alike_stay_apart(proj: Path) -> None:
    """`bad<0xFF>.crux` and a file literally named `bad\\xff.crux` used to
    share a display name, and so one suppression table."""
    (proj / _bad_byte_name()).write_text(
        'claim a: "a"  # cruxmap: ignore[CX202]\n    assume: good\ngoal a >= good\n'
    )
    (proj / "bad\\xff.crux").write_text('claim b: "b"\n    assume: good\ngoal b >= good\n')
    code, out, err = cli(proj, "check", ".", "--select", "CX202")
    assert code == 0, err  # CX202 is info
    lines = [ln for ln in out.splitlines() if "CX202" in ln]
    assert len(lines) == 1 and "claim `b`" in lines[0]
    assert lines[0].startswith("bad\\\\xff.crux:")


@pytest.mark.skipif(sys.platform != "linux", reason="undecodable file names")
def test_sarif_never_opens_a_file_by_its_display_name(
    proj: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cruxmap.commands import main
    from cruxmap.core import loader

    outside = tmp_path / "outside.crux"
    outside.write_text('claim zz: "outside"\n')
    (proj / _bad_byte_name()).write_text('claim a: "a"\n')
    (proj / "bad\\xff.crux").symlink_to(outside)
    opened: list[Path] = []
    real_read = loader.read_source

    def spy(path: Path, *args: int) -> bytes:
        opened.append(Path(path).resolve())
        return real_read(path, *args)

    monkeypatch.setattr(loader, "read_source", spy)
    monkeypatch.chdir(proj)
    assert main(["check", ".", "--format", "sarif"]) == 2
    assert outside.resolve() not in opened
    assert opened  # the spy saw the reads


# --------------------------------------------------------------------------- 13: fmt


UNFORMATTED = 'claim   a: "a"\n'


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and hard links")
def test_fmt_leaves_a_read_only_file_alone(proj: Path) -> None:
    target = proj / "ro.crux"
    target.write_text(UNFORMATTED)
    target.chmod(0o444)
    (proj / "ok.crux").write_text(UNFORMATTED)
    code, _, err = cli(proj, "fmt", ".")
    assert code == 2
    assert "ro.crux" in err and "read-only" in err
    assert target.read_text() == UNFORMATTED and (target.stat().st_mode & 0o777) == 0o444
    assert (proj / "ok.crux").read_text() != UNFORMATTED  # the others are formatted
    assert sorted(p.name for p in proj.iterdir()) == ["ok.crux", "pyproject.toml", "ro.crux"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and hard links")
def test_fmt_keeps_hard_links(proj: Path) -> None:
    target = proj / "a.crux"
    target.write_text(UNFORMATTED)
    os.link(target, proj / "twin.txt")
    code, _, err = cli(proj, "fmt", "a.crux")
    assert code == 2 and "hard links" in err
    assert target.stat().st_nlink == 2 and (proj / "twin.txt").samefile(target)
    assert target.read_text() == UNFORMATTED
    code, _, err = cli(proj, "fmt", "--check", "a.crux")  # checking reads, never writes
    assert code == 1, err
