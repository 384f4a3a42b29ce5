"""Writing output files so that nothing is ever half written.

``cruxmap fmt`` rewrites users' argument files and ``cruxmap render``
replaces committed drawings; both go through :func:`write_atomic`, so a
crash, a full disk or an unwritable directory leaves the old file whole.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, follow_symlinks: bool) -> None:
    """Replace ``path`` in one step (a temporary file beside it, then a
    rename): a reader never sees half a file, a failed write leaves the old
    one and no partial file behind. Keeps the old file's mode, else the
    umask's.

    ``follow_symlinks``: fmt rewrites the argument file a link points to (the
    link stays a link, and the loader has checked the target is inside the
    project); render replaces a link at its output path with a file, never
    writing through it to wherever it points.
    """
    target = Path(os.path.realpath(path)) if follow_symlinks else path
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


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
