"""The maps of a git revision, read from git objects into a private directory.

``cruxmap diff`` and ``check --new-only`` compare the working tree with an
earlier revision. The revision's ``.crux`` files (with every
``pyproject.toml`` and the symlinks, so that imports resolve and the project
root is found exactly as in a checkout) are written from the object database
into a fresh temporary directory; the working tree and the index are never
touched. Git runs with a fixed argument vector: user text is never an
option (a revision starting with ``-`` is refused, paths come after ``--``).

The tree is untrusted (``git mktree`` writes what no checkout would): it is
checked whole before anything is written, and written without ever
following a symlink, so that it cannot place a file or a link outside the
snapshot; a tree that cannot be written as it says is refused (CX007).
"""

from __future__ import annotations

import errno
import os
import re
import stat
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from cruxmap.core import diagnostics as dg
from cruxmap.core.diagnostics import Diagnostic
from cruxmap.core.errors import CruxmapError
from cruxmap.core.loader import MAX_FILE_BYTES, display_path, printable_name

#: Branches tried, in order, as "the default branch" for the merge base.
DEFAULT_BRANCHES = (
    "refs/remotes/origin/HEAD",
    "refs/heads/main",
    "refs/heads/master",
    "refs/remotes/origin/main",
    "refs/remotes/origin/master",
)


class GitError(CruxmapError):
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
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.top), *args],
                input=input,
                capture_output=True,
                env=self.env(),
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (it is needed to read a revision)") from None
        if check and proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {detail[-1] if detail else proc.returncode}")
        return proc.stdout

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
        return env

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


_TREE_LINE = re.compile(rb"^(\d{6}) (\w+) ([0-9a-f]+) +(\S+)\t(.*)$", re.S)

#: What a snapshot holds at most; past it the revision is refused (CX007).
#: A name and a path below the snapshot directory stay within Linux's
#: NAME_MAX and PATH_MAX with room for the directory itself and for the
#: loader's ``pyproject.toml`` probes; a link target within PATH_MAX.
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 3800
MAX_TARGET_BYTES = 4095
MAX_DEPTH = 128
#: Links followed in one lookup, as the kernel (MAXSYMLINKS).
MAX_LINK_HOPS = 40
#: C0 controls (newline, NUL) and DEL: never in a name or target written.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
#: Code points HFS+ ignores in names: ``.g\u200cit`` is ``.git`` there (as git's verify_path).
_HFS_IGNORED = re.compile("[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]")
#: Where a link that would lead out of the snapshot points instead: a name
#: beside the snapshot's top, in the private directory, that never exists.
OUTSIDE = "outside-the-revision"
_CHUNK = 1 << 16
_FIX = "compare with another revision, or rewrite the tree (`cruxmap rules CX007` says what is refused)"
#: Directories are opened from the snapshot's top, each from the one above
#: it, never through a symlink; without ``dir_fd`` (Windows) each component
#: is checked with ``lstat`` instead (the directory is private to the run).
_DIR_FD = {os.open, os.mkdir, os.symlink} <= os.supports_dir_fd
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_CREATE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | _NOFOLLOW
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class _Entry(NamedTuple):
    #: As git spells it, decoded with ``surrogateescape``.
    path: str
    obj: str
    link: bool
    #: False for a submodule (a commit in the tree).
    blob: bool
    #: From ``ls-tree -l``; ``None`` when git could not tell.
    size: int | None


class TreeRefused(GitError):
    """The revision's tree cannot be written safely: a CX007 finding (exit 2)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic
        self.diagnostics = [diagnostic]
        d = diagnostic
        super().__init__(
            f"{d.path}:{d.line}:{d.column}: {d.code} {d.message} (help: {d.suggestion})"
        )


def _refuse(revision: Revision, path: str, why: str) -> TreeRefused:
    shown = printable_name(path)
    return TreeRefused(
        dg.make(
            "CX007",
            f"{revision.sha[:12]}:{shown}",
            1,
            1,
            f"{why}: the revision {revision.label} is not read",
            suggestion=_FIX,
        )
    )


def _fold(path: str) -> str:
    """One spelling per name as a case- and normalisation-insensitive file
    system (macOS, Windows) sees it."""
    if path.isascii():
        return path.lower()  # the same, faster: most of a large tree's names
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", path).casefold())


def _entries(listing: bytes) -> list[_Entry]:
    found: list[_Entry] = []
    for raw in listing.split(b"\0"):
        m = _TREE_LINE.match(raw) if raw else None
        if m is None:
            continue
        mode, kind, obj, size, name = m.groups()
        found.append(
            _Entry(
                os.fsdecode(name),
                obj.decode(),
                mode == b"120000",
                kind == b"blob",
                int(size) if size.isdigit() else None,
            )
        )
    return found


def _wanted(e: _Entry) -> bool:
    """The maps, every ``pyproject.toml`` and every symlink: what imports and
    the project root are found by."""
    base = e.path.rsplit("/", 1)[-1]
    return e.blob and (e.link or base.endswith(".crux") or base == "pyproject.toml")


def _name_problem(path: str) -> str | None:
    """Why the snapshot cannot hold ``path`` (``None``: it can)."""
    try:
        raw = path.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not valid UTF-8"
    if _CONTROL.search(path):
        return "its name holds a control character (a newline, say)"
    if len(raw) > MAX_PATH_BYTES:
        return f"its path is {len(raw)} bytes long (the limit is {MAX_PATH_BYTES})"
    parts = path.split("/")
    if len(parts) > MAX_DEPTH:
        return f"it lies {len(parts) - 1} directories deep (the limit is {MAX_DEPTH - 1})"
    for p in parts:
        if p in ("", ".", ".."):
            return f"its path has a `{p}` component" if p else "its path has an empty component"
        if len(p.encode("utf-8")) > MAX_NAME_BYTES:
            return f"a name in its path is over {MAX_NAME_BYTES} bytes long"
        if _HFS_IGNORED.sub("", p).casefold().rstrip(". ") in (".git", "git~1"):
            return f"its path has a `{p}` component (git's own directory)"
    return None


def _kind(e: _Entry) -> str:
    return "symlink" if e.link else "file" if e.blob else "submodule"


def _plan(entries: list[_Entry], revision: Revision) -> list[_Entry]:
    """The entries to write, after checking that each can be written where
    its path says and nowhere else: a hostile name, the same path twice
    (exactly, or in case or Unicode normalisation: one file on macOS), or a
    path under a symlink, file or submodule of the tree is refused."""
    wanted = [e for e in entries if _wanted(e)]
    for e in wanted:
        why = _name_problem(e.path)
        if why is not None:
            raise _refuse(revision, e.path, f"`{printable_name(e.path)}` cannot be written: {why}")
    by_fold: dict[str, list[_Entry]] = {}
    for e in entries:
        by_fold.setdefault(_fold(e.path), []).append(e)
    clear: set[str] = set()  # folded directories known to be no entry of the tree
    for e in wanted:
        f = _fold(e.path)
        other = next((o for o in by_fold[f] if o is not e), None)
        if other is not None:
            how = (
                "twice"
                if other.path == e.path
                else f"and as `{printable_name(other.path)}`, the same name on a case-insensitive file system"
            )
            raise _refuse(revision, e.path, f"the tree holds `{printable_name(e.path)}` {how}")
        cut = len(f)
        while (cut := f.rfind("/", 0, cut)) > 0:
            d = f[:cut]
            if d in clear:
                break
            hit = by_fold.get(d)
            if hit:
                raise _refuse(
                    revision,
                    e.path,
                    f"`{printable_name(e.path)}` lies under `{printable_name(hit[0].path)}`, "
                    f"a {_kind(hit[0])} of the same tree",
                )
            clear.add(d)
    return wanted


def _target_problem(raw: bytes) -> str | None:
    """Why a link target cannot be written (``None``: it can)."""
    if not raw:
        return "its target is empty"
    if b"\0" in raw:
        return "its target holds a NUL byte"
    if len(raw) > MAX_TARGET_BYTES:
        return f"its target is {len(raw)} bytes long (the limit is {MAX_TARGET_BYTES})"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "its target is not valid UTF-8"
    if _CONTROL.search(text):
        return "its target holds a control character (a newline, say)"
    return None


class _Links:
    """The tree's symlinks as a trie of folded names, to follow them as the
    kernel would (and as a case-insensitive file system would) without
    touching the disk."""

    def __init__(self, targets: dict[str, str]) -> None:
        self.top: dict[str, Any] = {}
        for path, target in targets.items():
            node = self.top
            for part in _fold(path).split("/"):
                node = node.setdefault(part, {})
            node[""] = target  # "" is never a name (refused above)

    def stays_inside(self, link: str, target: str) -> bool:
        """Whether ``link`` leads to a place inside the snapshot (existing or
        not) within :data:`MAX_LINK_HOPS` links."""
        parts = _fold(link).split("/")[:-1]
        # The directories walked so far; None below a name that holds no link.
        here: list[dict[str, Any] | None] = [self.top]
        for p in parts:
            node = here[-1]
            here.append(node.get(p) if node is not None else None)
        pending = list(reversed(target.split("/")))
        hops, steps = 1, 0
        while pending:
            steps += 1
            if target.startswith("/") or steps > 4 * MAX_TARGET_BYTES:
                return False
            c = pending.pop()
            if c in ("", "."):
                continue
            if c == "..":
                if len(here) == 1:
                    return False
                here.pop()
                continue
            node = here[-1]
            child = node.get(_fold(c)) if node is not None else None
            if child is not None and "" in child:
                hops += 1
                target = child[""]
                if hops > MAX_LINK_HOPS:
                    return False
                pending.extend(reversed(target.split("/")))
                continue
            here.append(child)
            if len(here) > MAX_DEPTH + 1:
                return False
        return True


class _CatFile:
    """``git cat-file --batch``, one object at a time: a blob is copied to
    its file in chunks and never held whole, and one over its limit is not
    read at all (the process is restarted instead)."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.proc: subprocess.Popen[bytes] | None = None

    def size(self, obj: str) -> int | None:
        """Ask for ``obj``: its size, or ``None`` if this clone lacks it; the
        content must then be read with :meth:`copy` (or the process closed)."""
        if self.proc is None:
            self.proc = subprocess.Popen(
                ["git", "-C", str(self.repo.top), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=self.repo.env(),
            )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(obj.encode("ascii") + b"\n")
            self.proc.stdin.flush()
            header = self.proc.stdout.readline(200).split()
        except OSError as exc:
            raise GitError(f"git cat-file failed: {exc.strerror or exc}") from None
        if len(header) == 2 and header[1] == b"missing":
            return None  # not in this clone (a partial clone): as if absent
        if len(header) != 3 or header[1] != b"blob" or not header[2].isdigit():
            raise GitError(f"git cat-file: unexpected answer for {obj}")
        return int(header[2])

    def copy(self, size: int, sink: Callable[[bytes], object]) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        left = size
        while left:
            chunk = self.proc.stdout.read(min(left, _CHUNK))
            if not chunk:
                raise GitError("git cat-file stopped before the end of an object")
            sink(chunk)
            left -= len(chunk)
        self.proc.stdout.read(1)  # the newline after each object

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    with suppress(OSError):
                        pipe.close()


def _targets(cat: _CatFile, wanted: list[_Entry], revision: Revision) -> dict[str, str]:
    """Each link's target, read and checked before anything is written."""
    found: dict[str, str] = {}
    for e in wanted:
        if not e.link:
            continue
        size = e.size if e.size is not None and e.size > MAX_TARGET_BYTES else cat.size(e.obj)
        if size is None:
            continue  # not in this clone: as if absent
        if size > MAX_TARGET_BYTES:
            cat.close()  # not read: the content is left unasked
            why = f"its target is {size} bytes long (the limit is {MAX_TARGET_BYTES})"
        else:
            raw = bytearray()
            cat.copy(size, raw.extend)
            why = _target_problem(bytes(raw)) or ""
            if not why:
                found[e.path] = raw.decode("utf-8")
                continue
        raise _refuse(
            revision, e.path, f"the symlink `{printable_name(e.path)}` cannot be written: {why}"
        )
    return found


class _Writer:
    """Creates the snapshot's directories, files and links, never through a
    symlink: each directory is created and opened from the one above it
    (``dir_fd``) without following links, each file is new (``O_EXCL``).
    Entries come in path order, so the open directories form one chain."""

    def __init__(self, root: Path) -> None:
        self.top: int | Path = os.open(root, _OPEN_DIR) if _DIR_FD else root
        self.chain: list[tuple[str, int | Path]] = []

    def directory(self, parts: list[str]) -> int | Path:
        keep = 0
        while keep < min(len(parts), len(self.chain)) and self.chain[keep][0] == parts[keep]:
            keep += 1
        while len(self.chain) > keep:
            self._release(self.chain.pop()[1])
        for name in parts[keep:]:
            here = self.chain[-1][1] if self.chain else self.top
            self.chain.append((name, self._enter(here, name)))
        return self.chain[-1][1] if self.chain else self.top

    @staticmethod
    def _enter(here: int | Path, name: str) -> int | Path:
        if isinstance(here, int):
            with suppress(FileExistsError):
                os.mkdir(name, 0o700, dir_fd=here)
            return os.open(name, _OPEN_DIR, dir_fd=here)  # a symlink: ELOOP
        path = here / name
        with suppress(FileExistsError):
            os.mkdir(path, 0o700)
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(path))
        return path

    @staticmethod
    def create(here: int | Path, name: str) -> int:
        if isinstance(here, int):
            return os.open(name, _CREATE, 0o600, dir_fd=here)
        return os.open(here / name, _CREATE, 0o600)

    @staticmethod
    def symlink(here: int | Path, name: str, target: str) -> None:
        if isinstance(here, int):
            os.symlink(target, name, dir_fd=here)
        else:
            os.symlink(target, here / name)

    @staticmethod
    def _release(handle: int | Path) -> None:
        if isinstance(handle, int):
            os.close(handle)

    def close(self) -> None:
        while self.chain:
            self._release(self.chain.pop()[1])
        self._release(self.top)


@contextmanager
def checkout(repo: Repo, revision: Revision) -> Iterator[Snapshot]:
    """The revision's ``.crux`` files, ``pyproject.toml`` files and symlinks
    in a private temporary directory, removed afterwards whatever happens
    (an error, a refusal, Ctrl-C). The tree is checked before anything is
    written (:func:`_plan`, :func:`_targets`); a link that would lead out of
    the snapshot leads to :data:`OUTSIDE` instead, so that the loader refuses
    it as it would in a checkout, and nothing can walk out through it."""
    entries = _entries(repo.git("ls-tree", "-r", "-z", "-l", "--full-tree", revision.sha))
    wanted = _plan(entries, revision)
    cat = _CatFile(repo)
    try:
        targets = _targets(cat, wanted, revision)
        with tempfile.TemporaryDirectory(prefix="cruxmap-rev-") as tmp:
            root = Path(tmp).resolve() / "tree"
            root.mkdir()
            (root / ".git").mkdir()  # the top is a project root, as in a checkout
            snap = Snapshot(repo, revision, root)
            written = _write(cat, root, wanted, targets, revision)
            cat.close()  # no git process lives while the maps are analysed
            # Imports name .crux files only (the loader refuses others), so these are all.
            snap.files = sorted(n for n in written if n.endswith(".crux"))
            yield snap
    finally:
        cat.close()


def _write(
    cat: _CatFile, root: Path, wanted: list[_Entry], targets: dict[str, str], revision: Revision
) -> list[str]:
    """Write the checked entries under ``root``; the paths written."""
    links = _Links(targets)
    written: list[str] = []
    writer = _Writer(root)
    try:
        for e in sorted(wanted, key=lambda e: e.path.split("/")):
            *dirs, name = e.path.split("/")
            try:
                if e.link:
                    if e.path not in targets:
                        continue  # not in this clone
                    target = targets[e.path]
                    if not links.stays_inside(e.path, target):
                        target = "../" * (len(dirs) + 1) + OUTSIDE
                    writer.symlink(writer.directory(dirs), name, target)
                elif not _write_file(cat, writer, dirs, name, e):
                    continue
            except OSError as exc:
                raise _refuse(
                    revision,
                    e.path,
                    f"`{printable_name(e.path)}` cannot be written in the snapshot "
                    f"({exc.strerror or exc})",
                ) from None
            written.append(e.path)
    finally:
        writer.close()
    return written


def _write_file(cat: _CatFile, writer: _Writer, dirs: list[str], name: str, e: _Entry) -> bool:
    """One regular file, its content copied in chunks. Over the size limit
    it is left unread and made sparse at its size, so the loader refuses it
    by its size as in a checkout. False when this clone lacks the blob."""
    size = e.size if e.size is not None and e.size > MAX_FILE_BYTES else cat.size(e.obj)
    if size is None:
        return False
    with open(writer.create(writer.directory(dirs), name), "wb") as fh:
        if size > MAX_FILE_BYTES:
            if e.size is None or e.size <= MAX_FILE_BYTES:
                cat.close()  # asked, but not to be read
            try:
                fh.truncate(size)
            except OSError:  # bigger than this file system allows: still too large
                fh.truncate(MAX_FILE_BYTES + 1)
        else:
            cat.copy(size, fh.write)
    return True
