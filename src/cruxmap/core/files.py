"""Writing output files so that nothing is ever half written.

``cruxmap fmt`` rewrites users' argument files and ``cruxmap render``
replaces committed drawings; both go through :func:`write_atomic`, so a
crash, a full disk or an unwritable directory leaves the old file whole.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from cruxmap.core.errors import CruxmapOSError


def write_atomic(
    path: Path, data: bytes, *, follow_symlinks: bool, root: Path | None = None
) -> None:
    """Replace ``path`` in one step (a temporary file beside it, then a
    rename): a reader never sees half a file, a failed write leaves the old
    one and no partial file behind. Keeps the old file's mode, else the
    umask's. A read-only or hard-linked file is refused unchanged
    (:func:`refuse_rewrite`).

    ``root``: a directory the caller trusts as named (``render -o DIR``);
    the directories between it and ``path`` are made one level at a time,
    never through a symlink (:func:`make_dirs_below`). Without it, missing
    parents are made as named.

    ``follow_symlinks``: fmt rewrites the argument file a link points to (the
    link stays a link, and the loader has checked the target is inside the
    project); render replaces a link at its output path with a file, never
    writing through it to wherever it points.
    """
    target = Path(os.path.realpath(path)) if follow_symlinks else path
    refuse_rewrite(target)
    if root is not None:
        make_dirs_below(root, target)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(target, follow_symlinks=follow_symlinks).st_mode)
        if stat.S_ISLNK(os.lstat(target).st_mode):
            mode = 0o666 & ~_umask()
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def make_dirs_below(root: Path, target: Path) -> None:
    """Create ``root`` as named (links and all: the user named it), then each
    missing directory between it and ``target``'s parent, one level at a
    time, refusing any that is, or has become, a symlink or not a directory,
    so that nothing is written outside ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    try:
        rel = target.parent.relative_to(root)
    except ValueError:
        return
    here = root
    for part in rel.parts:
        if part in ("", "."):
            continue
        if part == "..":
            raise NotRewritable(errno.EPERM, f"{target} would leave {root}")
        here = here / part
        with contextlib.suppress(FileExistsError):
            os.mkdir(here)
        info = os.lstat(here)
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise NotRewritable(
                errno.ENOTDIR, f"{here} is a symlink or not a directory; not written through"
            )


def read_head(path: Path, limit: int) -> tuple[bytes, int] | None:
    """The first ``limit`` bytes of an existing output and its size, to tell
    whether it is current; ``None`` unless it is a regular file reached
    without a symlink (a committed link to a 3 GB file, a device or a file
    outside the project is never read: it is simply stale)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        if path.is_symlink():
            return None
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        try:
            return fh.read(limit), info.st_size
        except OSError:
            return None


class NotRewritable(CruxmapOSError):
    """A file cruxmap will not replace; ``strerror`` says why."""


def refuse_rewrite(target: Path) -> None:
    """Refuse to replace a file that is read-only (its owner made it so; a
    rename would silently override that, even for root) or that has other
    hard links (a rename would leave them holding the old text). Raises
    :class:`NotRewritable`; nothing has been written."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        return  # a symlink render replaces; anything else fails on its own
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o222 or not os.access(target, os.W_OK):
        raise NotRewritable(errno.EACCES, f"it is read-only (mode {mode:04o})")
    if info.st_nlink > 1:
        raise NotRewritable(
            errno.EMLINK,
            f"it has {info.st_nlink} hard links, which replacing it would break",
        )


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
