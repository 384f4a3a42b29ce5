"""The hooks in ``.pre-commit-hooks.yaml``, driven by the real pre-commit.

A snapshot of this working tree (committed into a scratch repository, since
pre-commit installs hooks from a commit) serves as the hook repository; a
second scratch repository with one clean and one brittle map uses it. The
hook environment is installed once per test session by pip from the package
index, so the hook tests are marked ``network`` (``pytest -m network``; CI
runs them).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HAVE_GIT = shutil.which("git") is not None
HAVE_PRE_COMMIT = importlib.util.find_spec("pre_commit") is not None

pytestmark = pytest.mark.skipif(
    not (HAVE_GIT and HAVE_PRE_COMMIT),
    reason="needs git and pre-commit (pip install pre-commit)",
)

CLEAN = """\
claim safe: "The system is safe"
    source: "https://example.org/safe"
claim a: "Route one works"
    source: "a"
claim b: "Route two works"
    source: "b"
safe reduces to a >= good
    because: "one route is enough"
safe reduces to b >= good
    because: "so is the other"
goal safe >= partial
"""

BRITTLE = """\
claim aligned: "AI is aligned"
    source: "essay"
claim interp: "Full interpretability"
    source: "essay"
aligned reduces to interp
    because: "seeing everything suffices"
goal aligned >= good
"""

GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **GIT_ENV})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree (tracked and new files, as git would see them), committed."""
    dest = tmp_path_factory.mktemp("hooks")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return dest, git(dest, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def user_repo(tmp_path: Path, hook_repo: tuple[Path, str]) -> Path:
    repo, rev = hook_repo
    proj = tmp_path / "research"
    proj.mkdir()
    git(proj, "init", "-q")
    (proj / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {repo.as_uri()}\n"
        f"    rev: {rev}\n"
        "    hooks:\n"
        "      - id: cruxmap-check\n"
        "      - id: cruxmap-fmt\n"
        "      - id: cruxmap-render\n",
        encoding="utf-8",
    )
    (proj / "clean.crux").write_text(CLEAN, encoding="utf-8")
    (proj / "brittle.crux").write_text(BRITTLE, encoding="utf-8")
    git(proj, "add", "-A")
    return proj


def pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("CRUXMAP_GRAPHVIZ", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo, capture_output=True, text=True, env=env, check=False, timeout=900,
    )  # fmt: skip


@pytest.mark.network
def test_hooks_pass_on_clean_maps_and_fail_on_brittle_or_stale(
    user_repo: Path, pre_commit_home: Path
) -> None:
    # The clean map alone: the check passes; its SVG is drawn, so the render
    # hook fails once (the drawing must be committed), then passes.
    first = pre_commit(user_repo, pre_commit_home, "run", "--files", "clean.crux")
    out = first.stdout + first.stderr
    assert first.returncode == 1, out
    assert "cruxmap check" in out and "redrew stale clean.svg" in out
    assert (user_repo / "clean.svg").read_bytes().startswith(b"<?xml")
    git(user_repo, "add", "clean.svg")
    again = pre_commit(user_repo, pre_commit_home, "run", "--files", "clean.crux")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("Passed") == 3

    # The brittle map: the check fails and names the brittle premise.
    bad = pre_commit(user_repo, pre_commit_home, "run", "cruxmap-check", "--files", "brittle.crux")
    assert bad.returncode == 1
    assert "brittle.crux:3:1: CX101 premise `interp` is brittle for goal `aligned`" in bad.stdout

    # Editing a map makes its committed drawing stale: the hook redraws it and fails.
    git(user_repo, "add", "-A")
    (user_repo / "clean.crux").write_text(CLEAN.replace("partial", "good"), encoding="utf-8")
    stale = pre_commit(user_repo, pre_commit_home, "run", "cruxmap-render", "--files", "clean.crux")
    assert stale.returncode == 1
    assert "redrew stale clean.svg" in stale.stdout
    assert pre_commit(user_repo, pre_commit_home, "run", "cruxmap-render",
                      "--files", "clean.crux").returncode == 0  # fmt: skip


def test_manifest_is_valid_and_offers_the_hooks() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    for hook in ("cruxmap-check", "cruxmap-fmt", "cruxmap-render"):
        assert f"- id: {hook}\n" in text


@pytest.mark.network
def test_fmt_hook_rewrites_a_messy_map_then_passes(user_repo: Path, pre_commit_home: Path) -> None:
    messy = CLEAN.replace("claim a:", "claim   a :").replace("    because:", "\tbecause:")
    (user_repo / "clean.crux").write_text(messy, encoding="utf-8")
    git(user_repo, "add", "-A")
    first = pre_commit(user_repo, pre_commit_home, "run", "cruxmap-fmt", "--files", "clean.crux")
    assert first.returncode == 1, first.stdout + first.stderr  # pre-commit: files were modified
    from cruxmap.core.formatting import format_text

    assert (user_repo / "clean.crux").read_text(encoding="utf-8") == format_text(CLEAN, "c.crux")
    git(user_repo, "add", "-A")
    again = pre_commit(user_repo, pre_commit_home, "run", "cruxmap-fmt", "--files", "clean.crux")
    assert again.returncode == 0, again.stdout + again.stderr


LIBRARY = """\
claim not_scheming: "The model is not scheming"
    source: "https://example.org/s"
    assume: great
"""

IMPORTER = """\
import "common/lib.crux"
claim deference_safe: "Deferring to the model is safe"
    source: "https://example.org/d"
deference_safe reduces to not_scheming >= good
    because: "a model that is not scheming can be deferred to"
goal deference_safe >= good
"""


@pytest.mark.network
def test_a_library_change_that_breaks_an_importer_blocks_the_commit(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    """Issue 19: pre-commit passes only the staged library; the hooks check
    and redraw the map importing it, and the commit is blocked."""
    repo, rev = hook_repo
    proj = tmp_path / "research"
    (proj / "maps" / "common").mkdir(parents=True)
    git(proj, "init", "-q")
    (proj / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo.as_uri()}\n    rev: {rev}\n    hooks:\n"
        "      - id: cruxmap-check\n      - id: cruxmap-render\n",
        encoding="utf-8",
    )
    lib = proj / "maps" / "common" / "lib.crux"
    lib.write_text(LIBRARY, encoding="utf-8")
    (proj / "maps" / "a.crux").write_text(IMPORTER, encoding="utf-8")
    git(proj, "add", "-A")
    first = pre_commit(proj, pre_commit_home, "run", "--all-files")  # draws maps/a.svg
    assert "redrew stale maps/a.svg" in first.stdout, first.stdout + first.stderr
    assert not (proj / "maps" / "common" / "lib.svg").exists()  # a library: no drawing
    git(proj, "add", "-A")
    assert pre_commit(proj, pre_commit_home, "install").returncode == 0
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(pre_commit_home),
           "PRE_COMMIT_COLOR": "never"}  # fmt: skip
    env.pop("CRUXMAP_GRAPHVIZ", None)

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "commit", "-q", "-m", message], cwd=proj, env=env,
                              capture_output=True, text=True, check=False, timeout=900)  # fmt: skip

    ok = commit("maps")
    assert ok.returncode == 0, ok.stdout + ok.stderr

    lib.write_text(LIBRARY.replace("assume: great", "assume: partial"), encoding="utf-8")
    git(proj, "add", "maps/common/lib.crux")  # only the library is staged
    blocked = commit("lower not_scheming")
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, out
    assert "also checked: maps/a.crux (imports maps/common/lib.crux)" in out
    assert "maps/a.crux:6:1: CX102 goal `deference_safe` needs good, reaches none" in out
    assert "redrew stale maps/a.svg" in out  # its drawing went stale too
    assert git(proj, "log", "--format=%s") == "maps"  # nothing was committed
