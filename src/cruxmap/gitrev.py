"""The maps of a git revision, read from git objects into a private directory.

``cruxmap diff`` and ``check --new-only`` compare the working tree with an
earlier revision. The revision's ``.crux`` files (with every
``pyproject.toml`` and the symlinks, so that imports resolve and the project
root is found exactly as in a checkout) are written from the object database
into a fresh temporary directory; the working tree and the index are never
touched. Git runs with a fixed argument vector: user text is never an
option (a revision starting with ``-`` is refused, paths come after ``--``).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cruxmap.loader import MAX_FILE_BYTES, display_path

#: Branches tried, in order, as "the default branch" for the merge base.
DEFAULT_BRANCHES = (
    "refs/remotes/origin/HEAD",
    "refs/heads/main",
    "refs/heads/master",
    "refs/remotes/origin/main",
    "refs/remotes/origin/master",
)
#: Path components git itself refuses to check out; a crafted tree holding
#: them is skipped rather than written outside the directory.
_BAD_PARTS = {"", ".", ".."}


class GitError(Exception):
    """Git could not give what was asked (not a repository, unknown revision,
    shallow clone): a usage error, exit 2."""


@dataclass
class Repo:
    #: The work tree's top directory, absolute.
    top: Path
    #: The working directory relative to ``top`` ("" at the top).
    prefix: str

    def git(self, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
        """Run git in the repository; ``args`` is a fixed vector, never parsed
        by a shell. Optional locks are off so that nothing (not even a
        refreshed index) is written."""
        env = dict(os.environ)
        env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.top), *args],
                input=input,
                capture_output=True,
                env=env,
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (it is needed to read a revision)") from None
        if check and proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {detail[-1] if detail else proc.returncode}")
        return proc.stdout

    def ok(self, *args: str) -> bytes | None:
        """Output of a git command, or ``None`` when it exits non-zero."""
        try:
            return self.git(*args)
        except GitError:
            return None

    @property
    def shallow(self) -> bool:
        return (self.ok("rev-parse", "--is-shallow-repository") or b"").strip() == b"true"


def find_repo(start: Path | None = None) -> Repo:
    """The repository holding ``start`` (default: the working directory)."""
    start = (start or Path.cwd()).absolute()
    probe = Repo(start, "")
    out = probe.ok("rev-parse", "--show-toplevel", "--show-prefix")
    if out is None:
        raise GitError(
            "not inside a git repository: run it in one, or compare two files "
            "with `cruxmap diff OLD.crux NEW.crux`"
        )
    lines = out.decode("utf-8", "surrogateescape").split("\n")
    if not lines[0]:
        raise GitError("not inside a git work tree (a bare repository has no maps to compare)")
    return Repo(Path(lines[0]), lines[1] if len(lines) > 1 else "")


@dataclass(frozen=True)
class Revision:
    sha: str
    #: How the user would name it: "main (merge base 1a2b3c4)", "HEAD", "v1".
    label: str


def resolve(repo: Repo, rev: str | None) -> Revision:
    """The commit ``rev`` names, or the default: the merge base of HEAD with
    the default branch when there is one, else HEAD."""
    if rev is not None:
        if not rev or rev.startswith("-"):
            raise GitError(f"--against {rev!r}: a revision cannot be empty or start with `-`")
        out = repo.ok("rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}")
        if out is None:
            hint = (
                " (this is a shallow clone: fetch more history, e.g. `git fetch --unshallow`)"
                if repo.shallow
                else ""
            )
            raise GitError(f"--against {rev}: unknown revision{hint}")
        return Revision(out.decode().strip(), rev)
    head = repo.ok("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head is None:
        raise GitError("the repository has no commits yet: nothing to compare with")
    for ref in DEFAULT_BRANCHES:
        tip = repo.ok("rev-parse", "--verify", "--quiet", ref + "^{commit}")
        if tip is None:
            continue
        name = (repo.ok("rev-parse", "--abbrev-ref", ref) or ref.encode()).decode().strip()
        base = repo.ok("merge-base", "HEAD", tip.decode().strip())
        if base is None:
            if repo.shallow:
                raise GitError(
                    f"cannot find the merge base of HEAD and {name}: this is a shallow clone. "
                    "Fetch the history (`git fetch --unshallow`, or `fetch-depth: 0` with "
                    "actions/checkout), or name a revision with --against REV"
                )
            raise GitError(
                f"HEAD and {name} have no common history; name a revision with --against REV"
            )
        sha = base.decode().strip()
        return Revision(sha, f"{name} (merge base {sha[:7]})")
    return Revision(head.decode().strip(), "HEAD")


def renames(repo: Repo, sha: str) -> dict[str, str]:
    """``.crux`` files renamed between ``sha`` and the working tree, as
    {new path: old path} relative to the top (staged or committed renames;
    git sees a file moved but not yet added as deleted plus untracked)."""
    out = repo.git(
        "diff", "--no-relative", "--no-ext-diff", "--name-status", "-z", "-M", sha, "--", "*.crux"
    )
    fields = out.split(b"\0")
    found: dict[str, str] = {}
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i].decode("ascii", "replace")
        if status[:1] in ("R", "C"):
            old, new = (os.fsdecode(f) for f in fields[i + 1 : i + 3])
            if status[0] == "R" and new.endswith(".crux"):
                found[new] = old
            i += 3
        else:
            i += 2
    return found


_TREE_LINE = re.compile(rb"^(\d{6}) (\w+) ([0-9a-f]+) +(-|\d+)\t(.*)$", re.S)


@dataclass
class Snapshot:
    """A revision's maps written under ``root`` (mirroring the repository top)."""

    repo: Repo
    revision: Revision
    root: Path
    files: list[str] = field(default_factory=list)

    def local(self, path: str | Path) -> Path:
        """Where a path given on the command line (relative to the working
        directory) lies in the snapshot."""
        p = Path(path)
        absolute = p if p.is_absolute() else Path.cwd() / p
        try:
            rel = Path(os.path.normpath(absolute)).relative_to(os.path.normpath(self.repo.top))
        except ValueError:
            raise GitError(f"{path}: not inside the repository {self.repo.top}") from None
        return self.root / rel

    def rel(self, path: str | Path) -> str | None:
        """Repository-relative name of a snapshot path (``None`` if outside)."""
        try:
            return Path(os.path.normpath(Path(path).absolute())).relative_to(self.root).as_posix()
        except ValueError:
            return None

    def shown(self, rel: str) -> str:
        """How the working-tree file of that name is shown in diagnostics."""
        return display_path(self.repo.top / rel)

    def rewrite(self, text: str) -> str:
        """Text from the loader with snapshot paths shown as repository paths."""
        prefix = self.root.as_posix()
        if prefix not in text:
            return text

        def sub(m: re.Match[str]) -> str:
            rest = m.group(1) or ""
            return self.shown(rest.lstrip("/")) if rest.strip("/") else display_path(self.repo.top)

        return re.sub(re.escape(prefix) + r"(/[^\s:`\"'()]*)?", sub, text)


@contextmanager
def checkout(repo: Repo, revision: Revision) -> Iterator[Snapshot]:
    """The revision's ``.crux`` files, ``pyproject.toml`` files and symlinks
    in a private temporary directory, removed afterwards."""
    listing = repo.git("ls-tree", "-r", "-z", "-l", "--full-tree", revision.sha)
    tree: dict[str, tuple[str, bool, int]] = {}
    for entry in listing.split(b"\0"):
        m = _TREE_LINE.match(entry) if entry else None
        if m is None:
            continue
        mode, kind, obj, size, raw = m.groups()
        name = os.fsdecode(raw)
        parts = name.split("/")
        if kind != b"blob" or any(p in _BAD_PARTS or p.lower() == ".git" for p in parts):
            continue
        tree[name] = (obj.decode(), mode == b"120000", int(size))
    with tempfile.TemporaryDirectory(prefix="cruxmap-rev-") as tmp:
        root = Path(tmp).resolve() / "tree"
        root.mkdir()
        (root / ".git").mkdir()  # the top is a project root, as in a checkout
        snap = Snapshot(repo, revision, root)
        names = [
            n for n, (_, link, _) in tree.items()
            if link or n.endswith(".crux") or n.rsplit("/", 1)[-1] == "pyproject.toml"
        ]  # fmt: skip
        _write(repo, root, tree, names)
        # Imports name .crux files only (the loader refuses others), so these are all.
        snap.files = sorted(n for n in names if n.endswith(".crux") and os.path.lexists(root / n))
        yield snap


def _write(
    repo: Repo, root: Path, tree: dict[str, tuple[str, bool, int]], names: list[str]
) -> None:
    """Write ``names`` from the tree under ``root``."""
    contents = _blobs(repo, [tree[n][0] for n in names if tree[n][2] <= MAX_FILE_BYTES])
    for name in names:
        obj, link, size = tree[name]
        dest = root / name
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            if size > MAX_FILE_BYTES and not link:
                # Sparse: the loader refuses it by its size, as in a checkout.
                with open(dest, "wb") as fh:
                    fh.truncate(size)
            elif obj not in contents:
                continue  # not in this clone (a partial clone): as if absent
            elif link:
                os.symlink(os.fsdecode(contents[obj]), dest)
            else:
                dest.write_bytes(contents[obj])
        except OSError:
            continue  # a name this filesystem cannot hold: the map is "removed"


def _blobs(repo: Repo, objects: list[str]) -> dict[str, bytes]:
    """Blob contents by object name, in one ``git cat-file --batch`` call."""
    unique = list(dict.fromkeys(objects))
    if not unique:
        return {}
    out = repo.git("cat-file", "--batch", input=("\n".join(unique) + "\n").encode())
    found: dict[str, bytes] = {}
    pos = 0
    for obj in unique:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        found[obj] = out[pos : pos + size]
        pos += size + 1
    return found
