"""Where `cruxmap render` writes, what it reads back, and in which format
(issue 13 item 3, issue 14 #5 and #7). Run through the CLI as users run it."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cruxmap.commands import main

GOOD = 'claim a: "a"\n    assume: good\nclaim b: "b"\nb reduces to a >= good\ngoal b >= good\n'
HAS_DOT = shutil.which("dot") is not None


def cli(cwd: Path, *args: str, limit_mb: int | None = None) -> tuple[int, str, str]:
    def limit() -> None:  # pragma: no cover - runs in the child
        import resource

        if limit_mb:
            size = limit_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    proc = subprocess.run(
        [sys.executable, "-m", "cruxmap", *args],
        cwd=cwd,
        capture_output=True,
        timeout=300,
        check=False,
        preexec_fn=limit if limit_mb and sys.platform != "win32" else None,
    )
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'scratch'\n")
    (root / "m.crux").write_text(GOOD)
    return root


# --------------------------------------------------------------------------- format from -o


@pytest.mark.parametrize(
    ("name", "magic"),
    [("y.png", b"\x89PNG"), ("y.dot", b"digraph"), ("y.svg", b"<?xml"), ("y.SVG", b"<?xml")],
)
def test_format_follows_the_output_extension(proj: Path, name: str, magic: bytes) -> None:
    code, _, err = cli(proj, "render", "m.crux", "-o", name)
    assert code == 0, err
    assert (proj / name).read_bytes().startswith(magic)


def test_explicit_format_agreeing_with_the_extension(proj: Path) -> None:
    code, _, err = cli(proj, "render", "m.crux", "--format", "dot", "-o", "y.dot")
    assert code == 0, err
    assert (proj / "y.dot").read_bytes().startswith(b"digraph")


def test_format_conflicting_with_the_extension_is_a_usage_error(proj: Path) -> None:
    code, _out, err = cli(proj, "render", "m.crux", "--format", "svg", "-o", "y.png")
    assert code == 2
    assert "--format svg" in err and ".png" in err
    assert not (proj / "y.png").exists()


def test_unknown_extension_and_directories_keep_svg(proj: Path) -> None:
    code, _, err = cli(proj, "render", "m.crux", "-o", "drawing.out")
    assert code == 0, err
    assert (proj / "drawing.out").read_bytes().startswith(b"<?xml")
    (proj / "maps.png").mkdir()  # a directory that happens to end in .png
    code, _, err = cli(proj, "render", "m.crux", "-o", "maps.png")
    assert code == 0, err
    assert (proj / "maps.png" / "m.svg").read_bytes().startswith(b"<?xml")


# --------------------------------------------------------------------------- unchanged drawings


def test_a_current_drawing_is_left_untouched(proj: Path) -> None:
    code, out, err = cli(proj, "render", "m.crux", "-o", "maps/")
    assert code == 0, err
    svg = proj / "maps" / "m.svg"
    # As if another Graphviz build had drawn it: other bytes, same digest.
    edited = svg.read_bytes().replace(b"</svg>", b"<!-- other build --></svg>")
    svg.write_bytes(edited)
    before = os.stat(svg)
    code, out, err = cli(proj, "render", "m.crux", "-o", "maps/")
    assert code == 0, err
    assert "up to date" in out
    assert svg.read_bytes() == edited
    assert os.stat(svg).st_mtime_ns == before.st_mtime_ns and os.stat(svg).st_ino == before.st_ino
    (proj / "m.crux").write_text(GOOD.replace("assume: good", "assume: partial"))
    code, out, err = cli(proj, "render", "m.crux", "-o", "maps/")
    assert code == 0 and "wrote" in out, err
    assert b"other build" not in svg.read_bytes()


def _repo_root() -> Path | None:
    here = Path(__file__).resolve().parent.parent
    return here if (here / ".git").exists() and (here / "arguments").is_dir() else None


@pytest.mark.skipif(_repo_root() is None or shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize("engine", ["graphviz-pure", *(["dot"] if HAS_DOT else [])])
def test_readme_quickstart_leaves_a_fresh_clone_clean(tmp_path: Path, engine: str) -> None:
    """README: `cruxmap render arguments/ -o docs/maps/` in a fresh clone."""
    root = _repo_root()
    assert root is not None
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, timeout=120)
    code, _, err = cli(clone, "render", "arguments/", "-o", "docs/maps/", "--graphviz", engine)
    assert code == 0, err
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout
    assert status == ""


# --------------------------------------------------------------------------- maps with errors


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('claim a: "a"\ngoal b >= good\n', 1),  # CX002: not analysed
        ('claim a: "a"\nclaim a: "again"\n', 1),  # CX003
        ("claim a 'x'\n", 2),  # CX001
        ('import "missing.crux"\nclaim a: "a"\n', 2),  # CX005
    ],
)
def test_a_map_that_cannot_be_analysed_is_not_drawn(proj: Path, text: str, code: int) -> None:
    (proj / "sub").mkdir()
    (proj / "sub" / "bad.crux").write_text(text)
    (proj / "sub" / "good.crux").write_text(GOOD)
    got, _out, err = cli(proj, "render", "sub", "--format", "dot")
    assert got == code, err
    assert "nothing was written" in err
    assert sorted(p.name for p in (proj / "sub").iterdir()) == ["bad.crux", "good.crux"]


def test_a_map_whose_goal_fails_is_drawn(proj: Path) -> None:
    """Errors found by the analysis (CX102, CX006) are what the drawing shows."""
    (proj / "f.crux").write_text(
        'claim a: "a"\n    assume: none\nclaim b: "b"\nb reduces to a >= good\ngoal b >= good\n'
    )
    _, out, _ = cli(proj, "check", "f.crux")
    assert "CX102" in out
    code, _, err = cli(proj, "render", "f.crux", "--format", "dot")
    assert code == 0, err
    assert "FAILS" in (proj / "f.dot").read_text()


# --------------------------------------------------------------------------- -o - without .buffer


@pytest.mark.parametrize(("fmt", "start"), [("dot", "digraph"), ("svg", "<?xml")])
def test_stdout_without_a_buffer_gets_text(
    proj: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, start: str
) -> None:
    monkeypatch.chdir(proj)
    sink = io.StringIO()
    monkeypatch.setattr(sys, "stdout", sink)
    with contextlib.redirect_stderr(io.StringIO()):
        code = main(["render", "m.crux", "--format", fmt, "-o", "-"])
    assert code == 0
    assert sink.getvalue().startswith(start)


def test_png_to_a_text_only_stdout_is_an_error(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(proj)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["render", "m.crux", "--format", "png", "-o", "-"])
    assert code == 2
    assert "PNG is binary" in err.getvalue()


# --------------------------------------------------------------------------- 5: outputs stay inside


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
@pytest.mark.parametrize("mode", [[], ["--fail-on-change"], ["--check"]])
def test_render_does_not_write_through_a_symlinked_directory(
    proj: Path, tmp_path: Path, mode: list[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.svg").write_text("<!-- theirs -->")
    (proj / "arguments" / "sub" / "deeper").mkdir(parents=True)
    (proj / "arguments" / "sub" / "evil.crux").write_text(GOOD)
    (proj / "arguments" / "sub" / "deeper" / "x.crux").write_text(GOOD)
    (proj / "docs" / "maps").mkdir(parents=True)
    (proj / "docs" / "maps" / "sub").symlink_to(outside)
    code, out, err = cli(proj, "render", "arguments/", "-o", "docs/maps/", "--format", "dot", *mode)
    assert code == 2, (out, err)
    assert "is a symlink" in err
    assert (outside / "evil.svg").read_text() == "<!-- theirs -->"
    assert sorted(p.name for p in outside.iterdir()) == ["evil.svg"]  # no mkdir through it


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_a_symlink_at_the_output_path_is_replaced_not_followed(proj: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.dot"
    outside.write_text("theirs")
    (proj / "m.dot").symlink_to(outside)
    code, _, err = cli(proj, "render", "m.crux", "--format", "dot", "--check")
    assert code == 1 and "stale" in (err + _), err  # never read through the link
    code, _, err = cli(proj, "render", "m.crux", "--format", "dot")
    assert code == 0, err
    assert outside.read_text() == "theirs"
    assert not (proj / "m.dot").is_symlink()


# --------------------------------------------------------------------------- 7: reading old drawings


@pytest.mark.skipif(sys.platform == "win32", reason="sparse files and rlimits")
@pytest.mark.parametrize("fmt", ["svg", "dot", "png"])
def test_a_huge_existing_drawing_is_not_read(proj: Path, fmt: str) -> None:
    target = proj / f"m.{fmt}"
    with open(target, "wb") as fh:  # 3 GB, sparse: instant to make
        fh.truncate(3 * 1024**3)
    for mode in ("--check", "--fail-on-change"):
        code, out, err = cli(proj, "render", "m.crux", "--format", fmt, mode, limit_mb=1500)
        assert code == 1, (mode, out, err)
        assert "Traceback" not in err and "MemoryError" not in err
    assert target.stat().st_size < 1024**2  # redrawn


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_existing_drawing_linked_to_a_device_is_not_read(proj: Path) -> None:
    (proj / "m.svg").symlink_to("/dev/zero")
    code, out, err = cli(proj, "render", "m.crux", "--check", limit_mb=1500)
    assert code == 1, (out, err)
    assert "stale" in out + err


# --------------------------------------------------------------------------- 14: Graphviz budget


def _tangle(n: int) -> str:
    from render_layout import tangle  # benchmarks/ is on pytest's pythonpath

    return tangle(n)


def test_big_maps_get_the_cheap_layout(proj: Path) -> None:
    from cruxmap.present import render

    (proj / "big.crux").write_text(_tangle(150))
    code, _out, err = cli(proj, "render", "big.crux", "m.crux", "--format", "dot", "-o", "out/")
    assert code == 0, err
    assert render.CHEAP_LAYOUT in (proj / "out" / "big.dot").read_text()
    assert render.CHEAP_LAYOUT not in (proj / "out" / "m.dot").read_text()
    for f in sorted(Path(__file__).resolve().parent.parent.glob("arguments/*.crux")):
        code, dot, err = cli(f.parent, "render", f.name, "--format", "dot", "-o", "-")
        assert code == 0 and render.CHEAP_LAYOUT not in dot, f


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as Graphviz")
def test_one_graphviz_budget_for_the_whole_command(
    proj: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each drawing fits the budget alone; together they do not."""
    from cruxmap.present import render

    for name in ("a", "b", "c", "d"):
        (proj / f"{name}.crux").write_text(GOOD)
    fake = proj / "slow-dot"
    fake.write_text(
        "#!/bin/sh\ncat >/dev/null\nsleep 0.8\n"
        "printf '<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>'\n"
    )
    fake.chmod(0o755)
    monkeypatch.chdir(proj)
    monkeypatch.setattr(render, "GRAPHVIZ_TIMEOUT_S", 2)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["render", "--graphviz", str(fake), "a.crux", "-o", "one.svg"])
    assert code == 0, err.getvalue()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["render", "--graphviz", str(fake), ".", "-o", "all/"])
    assert code == 2
    assert "did not finish within 2 s" in err.getvalue()
    assert not (proj / "all").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks, sparse files and rlimits")
def test_explore_does_not_read_an_existing_page_through_a_link(proj: Path, tmp_path: Path) -> None:
    huge = tmp_path / "huge.html"
    with open(huge, "wb") as fh:
        fh.truncate(3 * 1024**3)
    (proj / "m.html").symlink_to(huge)
    code, out, err = cli(proj, "explore", "m.crux", "--check", limit_mb=1500)
    assert code == 1, (out, err)
    assert "Traceback" not in err and "MemoryError" not in err
    assert "m.html: stale or missing" in out
