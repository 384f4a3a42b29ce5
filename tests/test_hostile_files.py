"""File system faults and containment (issue 5).

Faults: unreadable files, directories named like files, broken and looping
symlinks, FIFOs and devices, non-UTF-8 bytes, files deleted between discovery
and reading, unwritable output, a full disk, a Graphviz that hangs. Each gives
a clear message and the right exit status, never a traceback or a hang, and
never a partial output file or a changed input.

Containment: nothing reads outside the project root (the nearest ancestor
with pyproject.toml or .git) -- not an import by ``..``, by an absolute path
or through a symlink, not a symlinked file found in a directory, not a
``paths`` entry of the configuration -- and the refused file's contents never
appear in any output of any command.

Tests run as root in CI, where ``chmod 000`` does not stop reads; there the
unreadable cases make ``os.open`` fail instead.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fuzz_campaign import RAW_CONTROL, Outcome, run_cli

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file system semantics")

MAP = 'claim a: "A"\n    source: "s"\nclaim b: "B"\n    source: "s"\na reduces to b >= good\n    because: "w"\n'
UNFORMATTED = 'claim   a:"A"\n  source:  "s"\n'
ALL_FORMATS = ("text", "json", "github", "sarif")


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp/proj is the project (pyproject.toml) and the working directory;
    tmp/outside is outside it."""
    p = tmp_path / "proj"
    p.mkdir()
    (p / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "outside").mkdir()
    monkeypatch.chdir(p)
    return p


def cli(*argv: str, stdin: bytes = b"") -> Outcome:
    """Run in-process; no exception may escape, the output must be clean."""
    o = run_cli([str(a) for a in argv], stdin=stdin, timeout=30)
    assert o.crash is None, o.crash
    assert o.status in (0, 1, 2), o.status
    text = o.stdout.decode("utf-8") + o.stderr.decode("utf-8")
    assert "Traceback" not in text
    return o


def said(o: Outcome) -> str:
    return o.out() + o.err()


def files_in(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def fail_for(path: Path, exc: OSError, real_open: Callable[..., object]) -> Callable[..., object]:
    """An ``open`` that raises ``exc`` for ``path`` and works otherwise."""
    target = os.path.realpath(path)

    def fake_open(p: object, *args: object, **kw: object) -> object:
        if isinstance(p, str | os.PathLike) and os.path.realpath(p) == target:
            raise exc
        return real_open(p, *args, **kw)

    return fake_open


def run_sub(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """cruxmap as a child process with 2 GB of address space and 60 s: a
    regression that reads a device to the end fails the test, not the machine."""

    def limit() -> None:
        import resource

        with contextlib.suppress(ValueError, OSError):  # not enforceable on macOS
            resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    proc = subprocess.run(
        [sys.executable, "-m", "cruxmap", *args],
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
        preexec_fn=limit,
        env={**os.environ, **(env or {})},
    )
    both = (proc.stdout + proc.stderr).decode("utf-8")
    assert "Traceback" not in both, both[-2000:]
    return proc.returncode, both


# --------------------------------------------------------------------------- unreadable


def make_unreadable(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() != 0:
        path.chmod(0)
        return
    # root reads anything: make the read itself fail as it would for a user
    err = PermissionError(errno.EACCES, "Permission denied", str(path))
    monkeypatch.setattr(os, "open", fail_for(path, err, os.open))
    monkeypatch.setattr(io, "open", fail_for(path, err, io.open))


def test_unreadable_file(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = proj / "m.crux"
    path.write_text(UNFORMATTED)
    make_unreadable(path, monkeypatch)
    for fmt in ALL_FORMATS:
        o = cli("check", "--format", fmt, "m.crux")
        assert o.status == 2
        assert "permission denied" in said(o)
    o = cli("fmt", "m.crux")
    assert o.status == 2 and "m.crux" in o.err()
    o = cli("render", "--format", "dot", "m.crux")
    assert o.status == 2
    monkeypatch.undo()
    path.chmod(0o644)
    assert path.read_text() == UNFORMATTED
    assert files_in(proj) == ["m.crux", "pyproject.toml"]


def test_unreadable_import(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (proj / "m.crux").write_text('import "lib.crux"\n' + MAP)
    (proj / "lib.crux").write_text('claim c: "C"\n')
    make_unreadable(proj / "lib.crux", monkeypatch)
    o = cli("check", "--format", "json", "m.crux")
    assert o.status == 2
    (diag,) = [d for d in json.loads(o.stdout)["diagnostics"] if d["code"] == "CX005"]
    assert diag["path"] == "lib.crux" and "permission denied" in diag["message"]


def test_unlistable_directory(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A directory that cannot be listed is reported, not silently skipped."""
    (proj / "maps" / "locked").mkdir(parents=True)
    (proj / "maps" / "locked" / "x.crux").write_text(MAP)
    (proj / "maps" / "ok.crux").write_text(MAP)
    real_scandir = os.scandir

    def scandir(p: str | os.PathLike[str] = ".") -> object:
        if Path(p).name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied", str(p))
        return real_scandir(p)

    monkeypatch.setattr(os, "scandir", scandir)
    o = cli("check", "maps")
    assert o.status == 2
    assert "maps/locked:1:1: CX005 cannot list the directory: Permission denied" in o.out()
    assert "maps/ok.crux" in o.out()


# --------------------------------------------------------------------------- odd files


def test_directory_named_like_a_file(proj: Path) -> None:
    (proj / "x.crux").mkdir()
    o = cli("check", "x.crux")
    assert o.status == 0 and "No .crux files found" in o.out()
    o = cli("check", ".")
    assert o.status == 0
    (proj / "m.crux").write_text('import "x.crux"\n' + MAP)
    o = cli("check", "m.crux")
    assert o.status == 2 and 'CX005 import "x.crux" names a directory' in o.out()
    o = cli("render", "--format", "dot", "x.crux")
    assert o.status == 2 and "no .crux files under x.crux" in o.err()
    o = cli("fmt", "x.crux")
    assert o.status == 0


@pytest.mark.parametrize("where", ["named", "found"])
def test_broken_and_looping_symlinks(proj: Path, where: str) -> None:
    d = proj / "maps"
    d.mkdir()
    (d / "broken.crux").symlink_to("missing.crux")
    (d / "loop.crux").symlink_to("loop.crux")
    (d / "ok.crux").write_text(MAP)
    args = ["maps/broken.crux", "maps/loop.crux"] if where == "named" else ["maps"]
    for fmt in ALL_FORMATS:
        o = cli("check", "--format", fmt, *args)
        assert o.status == 2, said(o)
    o = cli("check", *args)
    assert "maps/broken.crux:1:1: CX005 file not found" in o.out()
    assert "maps/loop.crux:1:1: CX005 cannot resolve the path (symlink loop?)" in o.out()
    o = cli("fmt", "--check", *args)
    assert o.status == 2
    o = cli("render", "--format", "dot", *args)
    assert o.status == 2
    assert not list(d.glob("*.dot"))


def test_symlink_loop_as_import(proj: Path) -> None:
    (proj / "loop.crux").symlink_to("loop.crux")
    (proj / "m.crux").write_text('import "loop.crux"\nimport "nowhere.crux"\n' + MAP)
    o = cli("check", "m.crux")
    assert o.status == 2
    assert o.out().count("CX005") == 2


def test_fifo_is_refused_not_waited_on(proj: Path) -> None:
    os.mkfifo(proj / "pipe.crux")
    (proj / "m.crux").write_text('import "pipe.crux"\n' + MAP)
    for args in (["check", "pipe.crux"], ["check", "."], ["check", "m.crux"]):
        o = cli(*args)  # a blocking open would trip the 30 s alarm
        assert o.status == 2 and "not a regular file" in o.out(), args
    o = cli("check", "--format", "sarif", "pipe.crux")
    assert o.status == 2
    o = cli("fmt", "pipe.crux")
    assert o.status == 2 and "not a regular file" in o.err()
    o = cli("render", "--format", "dot", "pipe.crux")
    assert o.status == 2


def test_device_is_refused(proj: Path) -> None:
    """/dev/zero never ends: it must not be read until memory runs out."""
    for args in (["check"], ["check", "--format", "sarif"], ["fmt", "--check"]):
        code, said_ = run_sub(proj, *args, "/dev/zero")
        assert code == 2 and "not a regular file" in said_


def test_render_check_against_an_output_linked_to_a_device(proj: Path) -> None:
    (proj / "m.crux").write_text(MAP)
    (proj / "m.dot").symlink_to("/dev/zero")
    code, said_ = run_sub(proj, "render", "--format", "dot", "--check", "m.crux")
    assert code == 1 and "stale" in said_


def test_non_utf8_bytes_are_cx001_with_where(proj: Path) -> None:
    (proj / "m.crux").write_bytes(b'claim a: "A"\nclaim b: "caf\xe9"\n')
    o = cli("check", "--format", "json", "m.crux")
    assert o.status == 2
    (d,) = json.loads(o.stdout)["diagnostics"]
    assert (d["code"], d["path"], d["line"], d["column"]) == ("CX001", "m.crux", 2, 14)
    assert "0xe9" in d["message"] and "UTF-8" in d["message"]
    o = cli("fmt", "m.crux")
    assert o.status == 2
    assert (proj / "m.crux").read_bytes() == b'claim a: "A"\nclaim b: "caf\xe9"\n'


def test_file_deleted_between_discovery_and_read(
    proj: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cruxmap.core.loader

    (proj / "gone.crux").write_text(UNFORMATTED)
    (proj / "stays.crux").write_text(MAP)
    real_discover = cruxmap.core.loader.discover

    def discover_then_delete(paths: object) -> object:
        found = real_discover(paths)  # type: ignore[arg-type]
        (proj / "gone.crux").unlink(missing_ok=True)
        return found

    monkeypatch.setattr(cruxmap.core.loader, "discover", discover_then_delete)
    o = cli("check", ".")
    assert o.status == 2
    assert "gone.crux:1:1: CX005 file not found (it may have been deleted)" in o.out()
    assert "stays.crux" in o.out()
    (proj / "gone.crux").write_text(UNFORMATTED)
    o = cli("fmt", ".")
    assert o.status == 2 and "gone.crux" in o.err()
    assert files_in(proj) == ["pyproject.toml", "stays.crux"]


# --------------------------------------------------------------------------- writes


def test_render_into_an_unwritable_place(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (proj / "m.crux").write_text(MAP)
    (proj / "blocker").write_text("a file, not a directory")
    o = cli("render", "--format", "dot", "-o", "blocker/out.dot", "m.crux")
    assert o.status == 2 and "cannot write blocker/out.dot" in o.err()
    out = proj / "out"
    out.mkdir()
    if os.geteuid() != 0:
        out.chmod(0o555)
    else:
        import tempfile

        def no_write(*args: object, **kw: object) -> object:
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", no_write)
    o = cli("render", "--format", "dot", "-o", "out/m.dot", "m.crux")
    assert o.status == 2 and "cannot write out/m.dot: Permission denied" in o.err()
    out.chmod(0o755)
    assert files_in(out) == []


def _disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data is written, then flushing it to disk fails as on a full disk."""

    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)


def test_disk_full_during_fmt(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (proj / "m.crux").write_text(UNFORMATTED)
    _disk_full(monkeypatch)
    o = cli("fmt", "m.crux")
    assert o.status == 2
    assert "cannot write it: No space left on device; left unchanged" in o.err()
    assert (proj / "m.crux").read_text() == UNFORMATTED
    assert files_in(proj) == ["m.crux", "pyproject.toml"]  # no temporary file left


def test_disk_full_during_render(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (proj / "m.crux").write_text(MAP)
    (proj / "m.dot").write_text("old drawing")
    _disk_full(monkeypatch)
    o = cli("render", "--format", "dot", "m.crux")
    assert o.status == 2 and "No space left on device" in o.err()
    assert (proj / "m.dot").read_text() == "old drawing"
    assert files_in(proj) == ["m.crux", "m.dot", "pyproject.toml"]


def test_hanging_graphviz_is_stopped(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cruxmap.present import render

    (proj / "m.crux").write_text(MAP)
    fake = proj / "slow-dot"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setattr(render, "GRAPHVIZ_TIMEOUT_S", 1)
    o = cli("render", "--graphviz", str(fake), "-o", "m.svg", "m.crux")
    assert o.status == 2 and "did not finish within 1 s" in o.err()
    assert not (proj / "m.svg").exists()


def test_crashing_graphviz_message_is_clean(proj: Path) -> None:
    (proj / "m.crux").write_text(MAP)
    fake = proj / "bad-dot"
    fake.write_text("#!/bin/sh\nprintf 'boom \\033[2J\\n' >&2\nexit 3\n")
    fake.chmod(0o755)
    o = cli("render", "--graphviz", str(fake), "-o", "m.svg", "m.crux")
    assert o.status == 2 and "exit 3" in o.err()
    assert not RAW_CONTROL.search(o.err().rstrip("\n"))
    assert not (proj / "m.svg").exists()


# --------------------------------------------------------------------------- containment

SECRET = "TOPSECRET-7f3a9c"
# Valid and invalid lines, so that a parse (errors echo their line) or an
# analysis (claims are listed) of the file would show the secret.
SECRET_FILE = f'claim {SECRET.replace("-", "_")}: "{SECRET}"\n{SECRET} = 1\n{SECRET}\n'


def every_output(*paths: str) -> str:
    """Everything every command prints about ``paths``."""
    outs: list[str] = []
    for fmt in ALL_FORMATS:
        outs.append(said(cli("check", "--format", fmt, *paths)))
    for args in (["fmt", "--check"], ["fmt", "--diff"], ["render", "--format", "dot", "-o", "-"]):
        for p in paths:  # render -o - takes one map at a time
            outs.append(said(cli(*args, p)))
    return "\n".join(outs)


@pytest.fixture
def secret(proj: Path) -> Path:
    path = proj.parent / "outside" / "secret.crux"
    path.write_text(SECRET_FILE)
    return path


@pytest.mark.parametrize(
    "target",
    [
        "../outside/secret.crux",
        "sub/../../outside/secret.crux",
        "ABSOLUTE",
        "link.crux",
        "linkdir/secret.crux",
    ],
)
def test_import_cannot_leave_the_project(proj: Path, secret: Path, target: str) -> None:
    (proj / "link.crux").symlink_to(secret)
    (proj / "linkdir").symlink_to(secret.parent, target_is_directory=True)
    (proj / "sub").mkdir()
    target = str(secret) if target == "ABSOLUTE" else target
    (proj / "m.crux").write_text(f'import "{target}"\n' + MAP)
    o = cli("check", "m.crux")
    assert o.status == 2
    assert f'm.crux:1:8: CX005 import "{target}" resolves outside the project root' in o.out()
    assert SECRET not in every_output("m.crux")


def test_git_directory_marks_the_project_root(tmp_path: Path, monkeypatch) -> None:
    proj = tmp_path / "repo"
    (proj / ".git").mkdir(parents=True)
    (tmp_path / "secret.crux").write_text(SECRET_FILE)
    (proj / "m.crux").write_text('import "../secret.crux"\n' + MAP)
    monkeypatch.chdir(proj)
    assert SECRET not in every_output("m.crux")
    assert "resolves outside the project root" in said(cli("check", "m.crux"))


@pytest.mark.parametrize("how", ["found", "named"])
def test_symlinked_map_cannot_leave_the_project(proj: Path, secret: Path, how: str) -> None:
    """A symlink in the repository pointing out (at the CI's secrets, say)
    is neither checked, formatted nor drawn: its target is never read."""
    (proj / "maps").mkdir()
    (proj / "maps" / "evil.crux").symlink_to(secret)
    (proj / "maps" / "ok.crux").write_text(MAP)
    arg = "maps" if how == "found" else "maps/evil.crux"
    o = cli("check", arg)
    assert o.status == 2
    assert "maps/evil.crux:1:1: CX005 symlink resolves outside the project root" in o.out()
    assert SECRET not in every_output(arg)
    assert secret.read_text() == SECRET_FILE  # fmt did not write through the link


def test_symlink_inside_the_project_is_fine(proj: Path) -> None:
    (proj / "real.crux").write_text(MAP)
    (proj / "alias.crux").symlink_to("real.crux")
    (proj / "m.crux").write_text('import "alias.crux"\n')
    assert cli("check", "alias.crux").status == 0
    assert cli("check", "m.crux").status == 0


@pytest.mark.parametrize("entry", ["../outside", "/proc/self/environ", "../outside/secret.crux"])
def test_config_paths_cannot_leave_the_project(proj: Path, secret: Path, entry: str) -> None:
    """pyproject.toml belongs to the (untrusted) repository too."""
    (proj / "pyproject.toml").write_text(f'[tool.cruxmap]\npaths = ["{entry}"]\n')
    for args in (["check"], ["check", "--format", "json"], ["fmt", "--check"]):
        o = cli(*args)
        assert o.status == 2
        assert "is outside the project" in o.err()
        assert SECRET not in said(o)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="no /proc")
def test_environment_is_not_echoed(proj: Path) -> None:
    """The classic: a link to /proc/self/environ in the repository (the
    secret must be in the environment the process starts with)."""
    (proj / "env.crux").symlink_to("/proc/self/environ")
    env = {"CRUXMAP_TEST_TOKEN": SECRET}
    for fmt in ALL_FORMATS:
        for target in ("env.crux", "."):
            code, said_ = run_sub(proj, "check", "--format", fmt, target, env=env)
            assert code == 2 and SECRET not in said_
    for args in (["fmt", "--diff"], ["render", "--format", "dot", "-o", "-"]):
        code, said_ = run_sub(proj, *args, "env.crux", env=env)
        assert code == 2 and SECRET not in said_


def test_refused_files_are_not_reopened_by_sarif(proj: Path, secret: Path) -> None:
    """SARIF reads files to find the extent of a finding, but never one that
    was refused or could not be read (a FIFO would hang it)."""
    (proj / "evil.crux").symlink_to(secret)
    os.mkfifo(proj / "pipe.crux")
    o = cli("check", "--format", "sarif", "evil.crux", "pipe.crux")
    assert o.status == 2
    regions = [
        r["locations"][0]["physicalLocation"]["region"]
        for r in json.loads(o.stdout)["runs"][0]["results"]
    ]
    assert regions == [{"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 2}] * 2


def test_files_written_keep_out_of_links(proj: Path, secret: Path) -> None:
    """render replaces a symlink at its output path; it never writes through it."""
    (proj / "m.crux").write_text(MAP)
    (proj / "m.dot").symlink_to(secret)
    o = cli("render", "--format", "dot", "m.crux")
    assert o.status == 0
    assert secret.read_text() == SECRET_FILE
    assert not (proj / "m.dot").is_symlink()
    assert stat.S_ISREG((proj / "m.dot").lstat().st_mode)
