"""``cruxmap fmt`` on the command line: modes, exit codes, and safe writes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cruxmap import commands
from cruxmap.core import formatting

UGLY = b'goal a>=good\nclaim a:"A"\n  source:"s"\n'
PRETTY = b'goal a >= good\n\nclaim a: "A"\n    source: "s"\n'


def fmt(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "cruxmap", "fmt", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "ugly.crux").write_bytes(UGLY)
    (tmp_path / "pretty.crux").write_bytes(PRETTY)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nested.crux").write_bytes(UGLY)
    (tmp_path / "sub" / "notes.txt").write_bytes(UGLY)
    return tmp_path


def _old_mtime(path: Path) -> int:
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    return path.stat().st_mtime_ns


def test_check_names_files_and_writes_nothing(files: Path) -> None:
    mtime = _old_mtime(files / "ugly.crux")
    r = fmt("--check", ".", cwd=files)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "would reformat ugly.crux" in err and "would reformat sub/nested.crux" in err
    assert "pretty.crux" not in err and "notes.txt" not in err
    assert r.stdout == b""
    assert (files / "ugly.crux").read_bytes() == UGLY
    assert (files / "ugly.crux").stat().st_mtime_ns == mtime
    assert fmt("--check", "pretty.crux", cwd=files).returncode == 0


def test_diff_prints_unified_diff(files: Path) -> None:
    r = fmt("--diff", "ugly.crux", "pretty.crux", cwd=files)
    assert r.returncode == 1
    out = r.stdout.decode()
    assert out.startswith("--- a/ugly.crux\n+++ b/ugly.crux\n@@")
    assert "-goal a>=good\n" in out and "+goal a >= good\n" in out and "pretty.crux" not in out
    assert (files / "ugly.crux").read_bytes() == UGLY
    assert fmt("--diff", "pretty.crux", cwd=files).stdout == b""


def test_write_mode_rewrites_changed_files_only(files: Path) -> None:
    os.chmod(files / "ugly.crux", 0o640)
    mtime = _old_mtime(files / "pretty.crux")
    r = fmt(".", cwd=files)
    assert r.returncode == 0, r.stderr
    assert (files / "ugly.crux").read_bytes() == PRETTY
    assert (files / "sub" / "nested.crux").read_bytes() == PRETTY
    assert (files / "sub" / "notes.txt").read_bytes() == UGLY  # not a .crux file
    assert stat.S_IMODE((files / "ugly.crux").stat().st_mode) == 0o640
    assert (files / "pretty.crux").stat().st_mtime_ns == mtime
    assert "2 files reformatted, 1 file left unchanged" in r.stderr.decode()
    assert sorted(p.name for p in files.iterdir()) == ["pretty.crux", "sub", "ugly.crux"]


def test_stdin_to_stdout(tmp_path: Path) -> None:
    r = fmt("-", cwd=tmp_path, stdin=b"\xef\xbb\xbf" + UGLY.replace(b"\n", b"\r\n"))
    assert r.returncode == 0
    assert r.stdout == PRETTY
    r = fmt("--check", "-", cwd=tmp_path, stdin=UGLY)
    assert (r.returncode, r.stdout) == (1, b"")
    assert fmt("--check", "-", cwd=tmp_path, stdin=PRETTY).returncode == 0


def test_syntax_error_leaves_file_untouched(tmp_path: Path) -> None:
    bad = b'claim a: "A"\n  source "s"\ngoal a>=good\n'
    (tmp_path / "bad.crux").write_bytes(bad)
    (tmp_path / "ok.crux").write_bytes(UGLY)
    r = fmt(".", cwd=tmp_path)
    assert r.returncode == 2
    err = r.stderr.decode()
    assert "bad.crux:2:" in err and " CX001 " in err
    assert (tmp_path / "bad.crux").read_bytes() == bad
    assert (tmp_path / "ok.crux").read_bytes() == PRETTY  # the other files are still done
    r = fmt("-", cwd=tmp_path, stdin=bad)
    assert (r.returncode, r.stdout) == (2, b"")


def test_missing_path_and_bad_encoding(tmp_path: Path) -> None:
    assert fmt("nope.crux", cwd=tmp_path).returncode == 2
    (tmp_path / "latin1.crux").write_bytes(b'claim a: "caf\xe9"\n')
    r = fmt("latin1.crux", cwd=tmp_path)
    assert r.returncode == 2 and b"CX001" in r.stderr


# --------------------------------------------------------------------------- in process


def test_failed_write_keeps_original_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "ugly.crux"
    target.write_bytes(UGLY)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    assert commands.main(["fmt", str(target)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert target.read_bytes() == UGLY
    assert os.listdir(tmp_path) == ["ugly.crux"]


def test_internal_error_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """If the output would mean something else, the safety check refuses."""
    target = tmp_path / "ugly.crux"
    target.write_bytes(UGLY)
    real_head = formatting._head
    monkeypatch.setattr(formatting, "_head", lambda s: real_head(s).replace(">= good", ">= great"))
    assert commands.main(["fmt", str(target)]) == 2
    err = capsys.readouterr().err
    assert "INTERNAL ERROR" in err and "report" in err
    assert target.read_bytes() == UGLY


def test_symlink_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.crux"
    real.write_bytes(UGLY)
    link = tmp_path / "link.crux"
    link.symlink_to(real)
    assert commands.main(["fmt", str(link)]) == 0
    assert link.is_symlink() and real.read_bytes() == PRETTY
