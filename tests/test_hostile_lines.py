"""CI log injection (issue 14 #4): no user text starts an output line.

GitHub Actions runs any log line that starts with ``::`` as a workflow
command (``::error``, ``::add-mask::``, ``::stop-commands::``). User text
with a line break -- in an import path, a string token quoted in a syntax
error, a file name, a value in ``pyproject.toml``, a command-line argument --
must therefore never reach stdout or stderr as the start of a line. Each
case runs the real CLI in a subprocess, as CI does, in every format.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

INJECT = "::error file=evil,line=1::PWNED"
#: The one shape of line cruxmap itself starts with ``::``: its own annotations.
OWN_ANNOTATION = re.compile(r"::(error|warning|notice) file=[^\n]*,title=CX\d{3}::CX\d{3} ")
FORMATS = ("text", "github", "json", "sarif")


def cli(cwd: Path, *args: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "cruxmap", *args],
        cwd=cwd,
        capture_output=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    return (
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def assert_no_injected_line(*texts: str) -> None:
    for text in texts:
        # Every character Python, .NET or a terminal may treat as a line break.
        for line in re.split(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", text):
            if line.lstrip().startswith("::"):
                assert OWN_ANNOTATION.match(line), f"injected workflow command: {line!r}"
        assert "PWNED" not in text or "\n::error file=evil" not in text


def check_all_formats(cwd: Path, *paths: str) -> None:
    for fmt in FORMATS:
        code, out, err = cli(cwd, "check", *paths, "--format", fmt)
        assert code in (0, 1, 2), err
        assert "Traceback" not in err
        assert_no_injected_line(out, err)


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n")
    return tmp_path


def test_import_path_with_newline(proj: Path) -> None:
    (proj / "a.crux").write_text(f'import "x\\n{INJECT}"\nclaim a: "t"\ngoal a >= good\n')
    check_all_formats(proj, "a.crux")
    code, out, _ = cli(proj, "check", "a.crux")
    assert code == 2 and "CX005" in out and "\\x0a::error" in out


def test_triple_quoted_token_in_syntax_error(proj: Path) -> None:
    (proj / "b.crux").write_text(f'claim b: """x\n{INJECT}\n""" """y\n{INJECT}"""\n')
    check_all_formats(proj, "b.crux")
    _, _, err = cli(proj, "render", "b.crux", "--format", "dot", "-o", "-")
    assert_no_injected_line(err)


@pytest.mark.skipif(sys.platform == "win32", reason="newlines in file names")
def test_file_name_with_newline(proj: Path) -> None:
    name = f"c\n{INJECT}.crux"
    (proj / name).write_text('claim c: "t"\ngoal c >= good\n')
    check_all_formats(proj, ".")
    check_all_formats(proj, name)
    for args in (
        ["fmt", "."],
        ["fmt", "--check", "."],
        ["fmt", "--diff", "."],
        ["render", ".", "--format", "dot"],
        ["render", ".", "--format", "dot", "--check"],
    ):
        (proj / name).write_text('claim   c: "t"\ngoal c >= good\n')  # needs formatting
        _, out, err = cli(proj, *args)
        assert "Traceback" not in err, args
        assert_no_injected_line(out, err)


@pytest.mark.parametrize(
    "table",
    [
        f'ignore = ["X\\n{INJECT}"]',
        f'select = ["X\\n{INJECT}"]',
        f'"unknown\\n{INJECT}" = 1',
        f'paths = ["../\\n{INJECT}"]',
        f'fail-on = "x\\n{INJECT}"',
        f'format = "x\\n{INJECT}"',
        'depth = "deep"',
    ],
)
def test_config_values_with_newline(proj: Path, table: str) -> None:
    (proj / "pyproject.toml").write_text(f"[project]\nname = 'x'\n[tool.cruxmap]\n{table}\n")
    (proj / "a.crux").write_text('claim a: "t"\ngoal a >= good\n')
    for args in (["check", "a.crux"], ["check"], ["fmt"], ["render", "a.crux"]):
        code, out, err = cli(proj, *args)
        assert code == 2, (args, out, err)  # fmt reads the config only without paths
        assert "Traceback" not in err
        assert_no_injected_line(out, err)


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--format", f"x\n{INJECT}"],
        ["check", f"--bogus\n{INJECT}"],
        ["check", "--depth", f"1\n{INJECT}"],
        ["check", "--select", f"X\n{INJECT}"],
        ["check", "--set", f"a\n{INJECT}"],
        ["check", "--set", f"a=b\n{INJECT}"],
        ["check", f"missing\n{INJECT}.crux"],
        ["render", f"missing\n{INJECT}.crux"],
        ["render", "a.crux", "--format", f"x\n{INJECT}"],
        ["render", "a.crux", "--set", f"zz\n{INJECT}=good"],
        [f"chek\n{INJECT}"],
        ["fmt", f"missing\n{INJECT}.crux"],
    ],
)
def test_command_line_values_with_newline(proj: Path, args: list[str]) -> None:
    (proj / "a.crux").write_text('claim a: "t"\ngoal a >= good\n')
    code, out, err = cli(proj, *args)
    assert code == 2, (args, out, err)
    assert "Traceback" not in err
    assert_no_injected_line(out, err)
