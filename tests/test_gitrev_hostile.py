"""Hostile git trees for ``diff --against`` and ``check --new-only`` (issue
25 #1, #2): trees built with ``git mktree`` that no checkout would write
(a symlink and a directory of one name, case-folded twins, NUL and newline
in link targets, ``..`` and ``.git`` names, huge blobs). Each is run through
the real command in a subprocess with ``TMPDIR`` pointed at a directory the
test watches: exit 2 with a CX007 finding and no traceback, nothing written
at a symlink's target, no snapshot left behind."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import pytest

from cruxmap.commands import main
from cruxmap.core import gitrev
from cruxmap.core.diagnostics import RULES

MAP = b'claim c: "C"\n    source: "s"\n    assume: good\ngoal c >= good\n'
EVIL = b'claim evil: "written outside"\n'
LINK, FILE, DIR = "120000", "100644", "040000"


def _env(home: Path, tmpdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "NO_COLOR"))}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", TMPDIR=str(tmpdir),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")  # fmt: skip
    return env


class Repo:
    """A repository whose commits are made from raw trees."""

    def __init__(self, root: Path) -> None:
        self.path = root / "repo"
        self.tmp = root / "tmp"  # TMPDIR of every run: must stay empty
        self.target = root / "target"  # where the hostile links point
        for d in (self.path, self.tmp, self.target, root / "home"):
            d.mkdir()
        (self.target / "evil.crux").write_bytes(b"KEEP\n")
        self.env = _env(root / "home", self.tmp)
        self.git("init", "-q")
        (self.path / "m.crux").write_bytes(MAP)
        self.git("add", "m.crux")
        self.git("commit", "-qm", "init")

    def git(self, *args: str, input: bytes | None = None) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, env=self.env, input=input,
                              capture_output=True, check=False)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.decode().strip()

    def blob(self, data: bytes) -> str:
        return self.git("hash-object", "-w", "--stdin", input=data)

    def tree(self, *entries: tuple[str, str, bytes | str]) -> str:
        """``git mktree -z`` of (mode, object, name) entries, in this order."""
        kind = {LINK: "blob", FILE: "blob", DIR: "tree", "160000": "commit"}
        raw = b"".join(
            f"{mode} {kind[mode]} {obj}\t".encode() + (n if isinstance(n, bytes) else n.encode())
            + b"\0"
            for mode, obj, n in entries
        )  # fmt: skip
        return self.git("mktree", "-z", input=raw)

    def commit(self, tree: str, ref: str = "evil") -> None:
        self.git("update-ref", f"refs/heads/{ref}", self.git("commit-tree", "-m", ref, tree))

    def cruxmap(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cruxmap", *args], cwd=self.path,
                              env=self.env, capture_output=True, text=True, encoding="utf-8",
                              errors="replace", timeout=120)  # fmt: skip

    def assert_untouched(self) -> None:
        assert sorted(p.name for p in self.target.iterdir()) == ["evil.crux"]
        assert (self.target / "evil.crux").read_bytes() == b"KEEP\n"
        assert list(self.tmp.iterdir()) == [], "a snapshot was left behind"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def _sub(r: Repo, *extra: tuple[str, str, bytes | str]) -> str:
    """A directory holding a map, a pyproject.toml and a symlink of its own."""
    return r.tree((FILE, r.blob(EVIL), "evil.crux"), (FILE, r.blob(b"[x]\n"), "pyproject.toml"),
                  (LINK, r.blob(b"/etc/passwd"), "planted.crux"), *extra)  # fmt: skip


def _link(r: Repo, target: bytes | str) -> str:
    return r.blob(target if isinstance(target, bytes) else target.encode())


def _one(r: Repo, name: bytes | str, mode: str = FILE, data: bytes = MAP) -> str:
    return r.tree((mode, r.blob(data), name))


NFC = unicodedata.normalize("NFC", "caf\u00e9.crux")
NFD = unicodedata.normalize("NFD", NFC)

#: name -> (builder of the hostile tree, what the finding says)
CASES = {
    # A symlink and a directory of the same name (the reproducer).
    "link-then-dir": (lambda r: r.tree((LINK, _link(r, str(r.target)), "sub"), (DIR, _sub(r), "sub")),
                      "lies under `sub`, a symlink"),
    "dir-then-link": (lambda r: r.tree((DIR, _sub(r), "sub"), (LINK, _link(r, str(r.target)), "sub")),
                      "lies under `sub`, a symlink"),
    # Case-folded: one name on macOS and Windows.
    "case-folded-link": (lambda r: r.tree((LINK, _link(r, str(r.target)), "SUB"), (DIR, _sub(r), "sub")),
                         "lies under `SUB`, a symlink"),
    "relative-link-dir": (lambda r: r.tree((LINK, _link(r, "../../target"), "sub"), (DIR, _sub(r), "sub")),
                          "a symlink"),
    "file-prefix": (lambda r: r.tree((FILE, r.blob(MAP), "x.crux"), (DIR, _sub(r), "x.crux")),
                    "lies under `x.crux`, a file"),
    "submodule-prefix": (lambda r: r.tree(("160000", r.git("rev-parse", "HEAD"), "mod"), (DIR, _sub(r), "mod")),
                         "a submodule"),
    "exact-duplicate": (lambda r: r.tree((FILE, r.blob(MAP), "a.crux"), (FILE, r.blob(EVIL), "a.crux")),
                        "holds `a.crux` twice"),
    "case-duplicate": (lambda r: r.tree((FILE, r.blob(MAP), "A.crux"), (FILE, r.blob(EVIL), "a.crux")),
                       "case-insensitive"),
    "normalisation-duplicate": (lambda r: r.tree((FILE, r.blob(MAP), NFC), (FILE, r.blob(EVIL), NFD)),
                                "case-insensitive"),
    "nul-target": (lambda r: _one(r, "n.crux", LINK, b"a\0b"), "NUL"),
    "newline-target": (lambda r: _one(r, "n.crux", LINK, b"m.crux\n::error::x"), "control character"),
    "empty-target": (lambda r: _one(r, "n.crux", LINK, b""), "target is empty"),
    "non-utf8-target": (lambda r: _one(r, "n.crux", LINK, b"\xff.crux"), "not valid UTF-8"),
    "long-target": (lambda r: _one(r, "n.crux", LINK, b"a/" * 3000), "bytes long"),
    "huge-target": (lambda r: _one(r, "n.crux", LINK, b"x" * (5 << 20)), "bytes long"),
    "newline-name": (lambda r: _one(r, "a\nb.crux"), "control character"),
    "non-utf8-name": (lambda r: _one(r, b"\xff.crux"), "not valid UTF-8"),
    "long-name": (lambda r: _one(r, "a" * 300 + ".crux"), "over 255 bytes"),
    "dotdot-dir": (lambda r: r.tree((DIR, _sub(r), "..")), "`..` component"),
    "dot-dir": (lambda r: r.tree((DIR, _sub(r), ".")), "`.` component"),
    "dotgit-dir": (lambda r: r.tree((DIR, _sub(r), ".GIT")), "`.GIT` component"),
    "dotgit-hfs": (lambda r: r.tree((DIR, _sub(r), ".g\u200cit")), "git's own directory"),
    "deep": (lambda r: _deep(r, 130), "directories deep"),
}  # fmt: skip


def _deep(r: Repo, depth: int) -> str:
    tree = _one(r, "x.crux")
    for _ in range(depth):
        tree = r.tree((DIR, tree, "d"))
    return tree


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_tree_is_refused_with_cx007(repo: Repo, case: str) -> None:
    build, says = CASES[case]
    repo.commit(build(repo))
    for argv in (["diff", "--against", "evil"], ["check", "--new-only", "--against", "evil"]):
        proc = repo.cruxmap(*argv)
        assert proc.returncode == 2, (argv, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout
        assert proc.stdout == ""
        [line] = proc.stderr.splitlines()
        assert re.match(r"cruxmap: error: [0-9a-f]{12}:\S.*:1:1: CX007 ", line), line
        assert says in line and "the revision evil is not read" in line, line
        repo.assert_untouched()


def test_the_old_snapshot_writer_is_gone(repo: Repo) -> None:
    """The reproducer of issue 25 #1, end to end: the files under ``sub/``
    never reach the directory ``sub`` links to, and a later run against a
    sound revision still works (nothing was left to collide with)."""
    repo.commit(CASES["link-then-dir"][0](repo))
    assert repo.cruxmap("diff", "--against", "evil").returncode == 2
    repo.assert_untouched()
    # Refused before any output begins: no half JSON report on stdout.
    for fmt in ("json", "sarif"):
        proc = repo.cruxmap("check", "--new-only", "--against", "evil", "--format", fmt)
        assert (proc.returncode, proc.stdout) == (2, ""), proc.stdout
        assert "CX007" in proc.stderr
    proc = repo.cruxmap("diff", "--format", "json", "--against", "HEAD")
    assert proc.returncode == 0, proc.stderr
    repo.assert_untouched()


def test_links_out_of_the_snapshot_lead_nowhere(repo: Repo) -> None:
    """Absolute links, ``..`` out of the tree, and links through links that
    climb out (``y -> .``, ``w -> y/..``) are written as links to a name
    that never exists: the loader refuses the map as outside the project,
    and nothing outside is read or listed."""
    (repo.tmp.parent / "secret.crux").write_text('claim leaked: "SECRET"\n')
    tree = repo.tree(
        (FILE, repo.blob(MAP), "m.crux"),
        (LINK, _link(repo, str(repo.tmp.parent / "secret.crux")), "abs.crux"),
        (LINK, _link(repo, "../../secret.crux"), "up.crux"),
        (LINK, _link(repo, "."), "y"),
        (LINK, _link(repo, "y/../../secret.crux"), "climb.crux"),
        (LINK, _link(repo, "y/y/y/m.crux"), "inside.crux"),
    )
    repo.commit(tree)
    proc = repo.cruxmap("diff", "--format", "json", "--against", "evil")
    assert proc.returncode in (0, 1), proc.stderr
    assert "SECRET" not in proc.stdout and "leaked" not in proc.stdout
    old = {
        m["path"]: m["changes"][0]["old"] for m in json.loads(proc.stdout)["maps"] if m["changes"]
    }
    for name in ("abs.crux", "up.crux", "climb.crux"):
        [error] = old[name]["errors"]
        assert error["message"] == "symlink resolves outside the project root; not read"
    assert old["inside.crux"]["analysed"] and old["inside.crux"]["goals"] == {"c": "holds"}
    repo.assert_untouched()


def test_huge_blob_is_not_read(repo: Repo) -> None:
    """A map over 4 MiB at the revision is refused by its size as in a
    checkout (CX005 at the revision), without being read: the snapshot's
    copy is sparse, and the run stays small."""
    big = MAP + b"#" * (6 << 20)
    repo.commit(repo.tree((FILE, repo.blob(big), "m.crux")))
    proc = repo.cruxmap("diff", "--format", "json", "--against", "evil")
    assert proc.returncode == 0, proc.stderr
    assert "too large (6291" in proc.stdout
    repo.assert_untouched()


def test_links_between_maps_still_work(repo: Repo) -> None:
    """A sound tree with links inside it is written as a checkout would be."""
    shared = repo.tree((FILE, repo.blob(MAP), "x.crux"))
    tree = repo.tree(
        (FILE, repo.blob(MAP), "m.crux"),
        (LINK, _link(repo, "m.crux"), "alias.crux"),
        (DIR, shared, "lib"),
        (LINK, _link(repo, "lib"), "shared"),
        (FILE, repo.blob(b'import "shared/x.crux"\n'), "uses.crux"),
        # Case variants of a directory are one directory on macOS: allowed.
        (DIR, repo.tree((FILE, repo.blob(MAP), "a.crux")), "Docs"),
        (DIR, repo.tree((FILE, repo.blob(MAP), "b.crux")), "docs"),
    )
    repo.commit(tree)
    proc = repo.cruxmap("diff", "--format", "json", "--against", "evil")
    assert proc.returncode == 0, proc.stderr
    assert "CX005" not in proc.stdout
    repo.assert_untouched()


def test_ctrl_c_while_writing_leaves_nothing(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Interrupted half-way through writing, the snapshot is removed and
    the git process is gone."""
    files = [(FILE, repo.blob(MAP + bytes([65 + i])), f"m{i}.crux") for i in range(5)]
    repo.commit(repo.tree(*files))
    real = gitrev._write_file
    seen: list[gitrev._CatFile] = []

    def interrupted(cat: gitrev._CatFile, *args: object) -> bool:
        seen.append(cat)
        if len(seen) == 3:
            raise KeyboardInterrupt
        return real(cat, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(gitrev, "_write_file", interrupted)
    monkeypatch.setattr(tempfile, "tempdir", str(repo.tmp))
    for name, value in repo.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(repo.path)
    assert main(["diff", "--against", "evil"]) == 130
    assert list(repo.tmp.iterdir()) == []
    assert seen and seen[0].proc is None


def test_writer_never_follows_a_planted_link(tmp_path: Path) -> None:
    """Defence in depth, below the tree checks: a directory component that
    is a symlink is refused by the writer itself (with ``dir_fd`` and
    without), and a file is never opened through a link."""
    outside = tmp_path / "outside"
    outside.mkdir()
    for with_dir_fd in (True, False):
        root = tmp_path / f"root{with_dir_fd}"
        root.mkdir()
        (root / "sub").symlink_to(outside)
        (root / "f.crux").symlink_to(outside / "f.crux")
        old = gitrev._DIR_FD
        gitrev._DIR_FD = with_dir_fd and old
        try:
            writer = gitrev._Writer(root)
            try:
                with pytest.raises(OSError):
                    writer.directory(["sub"])
                with pytest.raises(OSError):
                    writer.create(writer.directory([]), "f.crux")
            finally:
                writer.close()
        finally:
            gitrev._DIR_FD = old
    assert list(outside.iterdir()) == []


def test_diff_works_without_dir_fd(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``lstat`` fallback (platforms without ``dir_fd``) writes the same."""
    repo.commit(
        repo.tree((FILE, repo.blob(MAP), "m.crux"), (LINK, _link(repo, "m.crux"), "l.crux"))
    )
    monkeypatch.setattr(gitrev, "_DIR_FD", False)
    monkeypatch.setattr(tempfile, "tempdir", str(repo.tmp))
    for name, value in repo.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(repo.path)
    with gitrev.checkout(gitrev.find_repo(), gitrev.resolve(gitrev.find_repo(), "evil")) as snap:
        assert snap.files == ["l.crux", "m.crux"]
        assert (snap.root / "l.crux").read_bytes() == MAP
    assert list(repo.tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("link", "target", "inside"),
    [
        ("a.crux", "b.crux", True),
        ("d/a.crux", "../b.crux", True),
        ("a.crux", "../b.crux", False),
        ("a.crux", "/etc/passwd", False),
        ("w", "y/..", False),  # y -> . : the kernel climbs out of the top
        ("w", "y/y/y/x", True),
        ("w", "Y/../..", False),  # Y is y on a case-insensitive file system
        ("loop", "loop2", False),  # loop2 -> loop: past 40 links
    ],
)
def test_links_are_followed_as_the_kernel_would(link: str, target: str, inside: bool) -> None:
    links = gitrev._Links({"y": ".", "loop2": "loop", "loop": "loop2", link: target})
    assert links.stays_inside(link, target) is inside


def test_cx007_help_example_triggers_it(repo: Repo) -> None:
    """The example in `cruxmap rules CX007` is a real session."""
    help_text = RULES["CX007"].help
    block = help_text.split("Example:\n\n", 1)[1].split("\n\n", 1)[0]
    commands = [line[6:] for line in block.splitlines() if line.startswith("    $ ")]
    shown = next(line.strip() for line in block.splitlines() if "CX007" in line)
    script = f'cruxmap() {{ "{sys.executable}" -m cruxmap "$@"; }}\n' + "\n".join(commands)
    proc = subprocess.run(["bash", "-c", script], cwd=repo.path, env=repo.env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    expected = re.escape(shown.split(" (help:")[0]).replace("3f1c2a9b7d4e", "[0-9a-f]{12}")
    assert re.match(expected, proc.stderr), proc.stderr
    repo.assert_untouched()


def test_blobs_are_streamed_and_huge_ones_never_read(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blobs come from git in chunks of at most 64 KiB; a blob over the
    4 MiB limit is never asked for, and its file in the snapshot is sparse."""
    huge, big = MAP + b"#" * (6 << 20), MAP + b"#" * (3 << 20)
    repo.commit(repo.tree((FILE, repo.blob(huge), "huge.crux"), (FILE, repo.blob(big), "big.crux")))
    chunks: list[int] = []
    real_copy = gitrev._CatFile.copy

    def copy(self: gitrev._CatFile, size: int, sink: object) -> None:
        assert size <= gitrev.MAX_FILE_BYTES
        real_copy(self, size, lambda b: (chunks.append(len(b)), sink(b)))  # type: ignore[operator]

    monkeypatch.setattr(gitrev._CatFile, "copy", copy)
    monkeypatch.setattr(tempfile, "tempdir", str(repo.tmp))
    for name, value in repo.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(repo.path)
    found = gitrev.find_repo()
    with gitrev.checkout(found, gitrev.resolve(found, "evil")) as snap:
        assert (snap.root / "big.crux").read_bytes() == big
        info = (snap.root / "huge.crux").stat()
        assert info.st_size == len(huge) and info.st_blocks * 512 < (1 << 20)
    assert sum(chunks) == len(big) and max(chunks) <= 1 << 16
    assert list(repo.tmp.iterdir()) == []


@pytest.mark.parametrize("name", ["a" * 300, "a/" * 3000])
def test_a_path_too_long_to_look_at_is_a_usage_error(repo: Repo, name: str) -> None:
    """A path the system refuses to look up (ENAMETOOLONG), at the revision
    or in the working tree: exit 2 naming it as given, no traceback, no
    snapshot path in the message."""
    for argv in (["diff", "--against", "HEAD", name], ["check", "--new-only", "--against", "HEAD", name],
                 ["diff", name, "m.crux"]):  # fmt: skip
        proc = repo.cruxmap(*argv)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and "cruxmap-rev-" not in proc.stderr
        assert proc.stderr.startswith(f"cruxmap: error: {name[:50]}")
    repo.assert_untouched()
