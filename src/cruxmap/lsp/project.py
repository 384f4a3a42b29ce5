"""The files the server knows: open buffers over the disk, their indexes,
and which maps each file belongs to.

A map is found as ``cruxmap check`` finds it: every ``.crux`` file of the
project (the nearest ancestor holding ``pyproject.toml`` or ``.git``) is the
root of its own map, that file plus what it imports. A file therefore belongs
to its own map and to the map of every file that imports it, directly or
not; its diagnostics are those of all these maps, each reported once.

Only files inside a workspace folder (or open in the editor) are read, the
same containment as imports: the server never reads, and never writes, a
file elsewhere. What an import may read is decided by the loader's own rule
(:func:`cruxmap.core.loader.resolve_import_target`), and a file is read from disk
only if its real name ends in ``.crux``.

Which maps a file belongs to comes from the import graph: each indexed
file's edges and their reverse, replaced one file at a time when its index
is rebuilt. Requests on the event loop walk it as it stands (parsing what
is missing only until a deadline); the analysis thread indexes the whole
project first (:meth:`Project.scan`).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from cruxmap.api import CruxmapError
from cruxmap.core import diagnostics as dg
from cruxmap.core.diagnostics import Diagnostic
from cruxmap.core.loader import (
    MAX_FILE_BYTES,
    display_path,
    inside,
    is_crux_name,
    project_root,
    read_source,
    resolve_import_target,
)
from cruxmap.core.quickparse import decode
from cruxmap.lsp import index
from cruxmap.lsp.index import FileIndex, Refused

#: A workspace with more ``.crux`` files than this is indexed only as far
#: as the open files and their imports (a guard against opening ``/``).
MAX_PROJECT_FILES = 2000
_SKIP_DIRS = {"node_modules", "__pycache__", "venv", "site-packages"}


class OutsideRoot(CruxmapError):
    """A path the server will not read: outside every workspace folder."""


class TooLarge(Refused):
    """An open document over the CLI's size limit: never parsed or indexed."""

    def __init__(self, path: Path, size: int) -> None:
        super().__init__(
            f"{path.name} is too large ({size} bytes; the limit is {MAX_FILE_BYTES}): "
            "cruxmap does not parse it; split the map into files that import each other"
        )


class _Anything:
    """Every path "exists": the import graph keeps an edge to a file that
    is not there yet, so that it counts as soon as the file appears."""

    def __contains__(self, item: object) -> bool:
        return True


def oversize(text: str) -> int | None:
    """The UTF-8 size of ``text`` when it is over :data:`MAX_FILE_BYTES`
    (the CLI's limit for a file), else None."""
    if len(text) * 4 <= MAX_FILE_BYTES:  # at most 4 bytes a character
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    return size if size > MAX_FILE_BYTES else None


def too_large_diagnostic(path: Path, size: int) -> Diagnostic:
    """CX005, as ``cruxmap check`` reports a file over the limit."""
    return dg.make(
        "CX005",
        display_path(path),
        1,
        1,
        f"document is too large ({size} bytes; the limit is {MAX_FILE_BYTES}); not parsed",
        suggestion="split the map into files that import each other",
    )


class Project:
    def __init__(self) -> None:
        self.folders: list[Path] = []
        #: Open buffers: real path -> (text, version).
        self.open: dict[Path, tuple[str, int | None]] = {}
        #: Open buffers over the size limit, by size in bytes: kept as the
        #: client sent them, never parsed, indexed or analysed.
        self.too_large: dict[Path, int] = {}
        self._indexes: dict[Path, FileIndex] = {}
        self._disk_keys: dict[Path, tuple[int, int]] = {}
        self._files: dict[Path, list[Path]] = {}
        self._lines: dict[Path, tuple[str, list[str]]] = {}
        #: The import graph: what each indexed file imports (by the loader's
        #: rule) and, reversed, who imports each file. Only the edges of a
        #: file whose index is rebuilt change, so finding the maps a file
        #: belongs to never walks the whole project again.
        self._imports: dict[Path, tuple[Path, ...]] = {}
        self._importers: dict[Path, dict[Path, None]] = {}
        #: One Path object per file in the graph: a dict finds a key it was
        #: given by identity, without pathlib's (slow) equality.
        self._paths: dict[Path, Path] = {}
        #: allowed() of each real path, until the folders change.
        self._allowed: dict[Path, bool] = {}
        self._lock = threading.RLock()
        #: Bumped whenever any text changes (analyses started before are stale).
        self.generation = 0
        #: Set on shutdown: background work stops at its next check.
        self.closing = False

    # -- containment ------------------------------------------------------

    def set_folders(self, folders: Iterable[str]) -> None:
        self.folders = [_real(Path(f)) for f in folders if f and "\x00" not in f]
        self._allowed.clear()

    def allowed(self, path: Path) -> bool:
        """Open in the editor, or inside a workspace folder (after symlinks)."""
        if path in self.open:
            return True
        if self.folders and path in self._allowed:
            return self._allowed[path]
        real = _real(path)
        folders = self.folders or self._open_roots()
        ok = any(real == f or f in real.parents for f in folders)
        if self.folders:
            self._allowed[path] = ok
        return ok

    def _open_roots(self) -> list[Path]:
        """Without workspace folders (an editor in single-file mode), the
        project roots of the open files, as ``cruxmap check`` would use."""
        return list({_real(project_root(p)) for p in list(self.open)})

    # -- texts --------------------------------------------------------------

    def did_open(self, path: Path, text: str, version: int | None) -> None:
        root = project_root(path)
        with self._lock:
            self._set_text(path, text, version)
            files = self._files.get(root)
            if files is not None and path not in files:
                self._files.pop(root, None)

    def did_change(self, path: Path, text: str, version: int | None) -> None:
        with self._lock:
            self._set_text(path, text, version)

    def _set_text(self, path: Path, text: str, version: int | None) -> None:
        self.open[path] = (text, version)
        size = oversize(text)
        if size is None:
            self.too_large.pop(path, None)
        else:
            # Nothing is kept from an earlier, smaller version either.
            self.too_large[path] = size
            self._indexes.pop(path, None)
            self._lines.pop(path, None)
            self._drop_imports(path)
        self.generation += 1

    def did_close(self, path: Path) -> None:
        gone = not path.exists()
        with self._lock:
            self.open.pop(path, None)
            self.too_large.pop(path, None)
            self._indexes.pop(path, None)
            self._lines.pop(path, None)
            if gone:  # an unsaved buffer: nothing imports through it any more
                self._drop_imports(path)
            self.generation += 1

    def files_changed(self, changes: Iterable[tuple[Path, str]] | None = None) -> None:
        """Files were ``"created"``, ``"changed"`` or ``"deleted"`` outside
        the editor; ``None`` when anything may have (workspace folders
        changed). A changed file is read again when next needed, and only
        its own import edges are replaced then."""
        with self._lock:
            if changes is None:
                self._files.clear()
                self._disk_keys.clear()
                for p in [p for p in self._indexes if p not in self.open]:
                    del self._indexes[p]
                for p in [p for p in self._imports if p not in self.open]:
                    self._drop_imports(p)
            else:
                for path, kind in changes:
                    if kind != "changed":
                        self._files.clear()  # walked again, off the event loop
                    if path in self.open:
                        continue  # the buffer stands for the file
                    self._indexes.pop(path, None)
                    self._disk_keys.pop(path, None)
                    if kind == "deleted":
                        self._drop_imports(path)
            self.generation += 1

    def overlay(self) -> dict[str | Path, str]:
        """Open buffers for the loader; one over the size limit stands as an
        empty file (its CX005 is added by the analysis), never parsed."""
        with self._lock:
            return {
                p: "" if p in self.too_large else index.clean_text(t)
                for p, (t, _) in self.open.items()
            }

    def live_lines(self, path: Path) -> list[str] | None:
        """The lines of an open buffer as the client has it now (split once
        per version: hover and completion read them on every request)."""
        with self._lock:
            if path not in self.open:
                return None
            if path in self.too_large:
                raise TooLarge(path, self.too_large[path])
            text = self.open[path][0]
            cached = self._lines.get(path)
            if cached is not None and cached[0] is text:
                return cached[1]
            lines = index.clean_text(text).split("\n")
            self._lines[path] = (text, lines)
            return lines

    # -- indexes ------------------------------------------------------------

    def index(self, path: Path) -> FileIndex | None:
        """The index of the current text of ``path`` (building it if stale);
        ``None`` when it cannot be read. The lock is not held while parsing,
        so that a parse on the analysis thread never stalls a request.

        A file not open in the editor is read only if its real name ends in
        ``.crux`` (as for imports: a ``.env`` is never opened) and it is at
        most :data:`MAX_FILE_BYTES`; an open buffer over that raises
        :class:`TooLarge`."""
        with self._lock:
            current = self.open.get(path)
            cached = self._indexes.get(path)
            size = self.too_large.get(path)
        if current is not None:
            if size is not None:
                raise TooLarge(path, size)
            text, version = current
            if cached is not None and cached.version == version:
                return cached
            built = index.build(path, text, version)
            targets = self.imports_of(built)
            with self._lock:
                if self.open.get(path, (None, None))[1] == version and path not in self.too_large:
                    self._indexes[self.intern(path)] = built
                    self._set_imports(path, targets)
            return built
        if not self.allowed(path):
            raise OutsideRoot(str(path))
        if not is_crux_name(path.name):
            raise Refused(f"{path.name[:80]} is not a .crux file: cruxmap does not read it")
        try:
            st = path.stat()
        except (OSError, ValueError):
            return None
        key = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if cached is not None and self._disk_keys.get(path) == key:
                return cached
        if st.st_size > MAX_FILE_BYTES:
            return None
        try:
            data = read_source(path)
        except OSError:
            return None
        text_or_none, _problem = decode(data, str(path))
        if text_or_none is None:
            return None
        built = index.build(path, text_or_none, None)
        targets = self.imports_of(built)
        with self._lock:
            if path not in self.open:
                self._indexes[self.intern(path)] = built
                self._disk_keys[path] = key
                self._set_imports(path, targets)
        return built

    def cached(self, path: Path) -> FileIndex | None:
        """The last index built of ``path``, whatever its version; no I/O."""
        with self._lock:
            return self._indexes.get(path)

    def latest(self, path: Path) -> FileIndex | None:
        """The most recent index of ``path``, even if a newer edit is not in
        it yet: hover and completion on a large file must not wait for a
        parse (they read the word under the cursor from the live text)."""
        cached = self.cached(path)
        return cached if cached is not None else self.index(path)

    def fresh(self, path: Path) -> bool:
        with self._lock:
            if path not in self.open:
                return path in self._indexes
            cached = self._indexes.get(path)
            return cached is not None and cached.version == self.open[path][1]

    # -- the import graph -----------------------------------------------------

    def imports_of(self, idx: FileIndex) -> list[Path]:
        """The real paths ``idx`` imports, by the loader's one rule
        (:func:`cruxmap.core.loader.resolve_import_target`): ``.crux`` files
        inside its project root. A target that does not exist yet is kept
        (it has no index, so it adds nothing until it appears)."""
        root = project_root(idx.path)
        root_real = _real(root)
        out: dict[Path, None] = {}
        for target in dict.fromkeys(t for t, _line, _col in idx.imports):
            found = resolve_import_target(
                idx.path, target, root, root_real=root_real, present=_Anything()
            )
            if isinstance(found, Path):
                out[found] = None
        return list(out)

    def intern(self, path: Path) -> Path:
        """The one Path object the server uses for this file."""
        found = self._paths.get(path)
        if found is None:
            with self._lock:
                found = self._paths.setdefault(path, path)
        return found

    def _set_imports(self, path: Path, targets: list[Path]) -> None:
        """Replace the edges of ``path`` alone (lock held)."""
        path = self._paths.setdefault(path, path)
        new = tuple(self._paths.setdefault(t, t) for t in targets)
        old = self._imports.get(path, ())
        if old == new:
            return
        for t in set(old) - set(new):
            importers = self._importers.get(t)
            if importers is not None:
                importers.pop(path, None)
                if not importers:
                    del self._importers[t]
        for t in new:
            self._importers.setdefault(t, {})[path] = None
        self._imports[path] = new

    def _drop_imports(self, path: Path) -> None:
        self._set_imports(path, [])
        self._imports.pop(path, None)

    def importers(self, path: Path) -> list[Path]:
        """``path`` and every file whose imports reach it, nearest first
        (one pass over the reverse edges, whatever the size of the project)."""
        seen = {path: None}
        queue = deque([path])
        while queue:
            f = queue.popleft()
            with self._lock:
                found = tuple(self._importers.get(f, ()))
            for g in found:
                if g not in seen:
                    seen[g] = None
                    queue.append(g)
        return list(seen)

    def scan(self, path: Path) -> set[Path]:
        """Index every ``.crux`` file of ``path``'s project, so that the
        reverse edges are complete (analysis thread: the first time this
        parses the project; later it only checks each file's mtime)."""
        files = self.project_files(path)
        for f in files:
            if self.closing:
                break
            try:
                self.index(f)
            except (OutsideRoot, Refused):
                continue
        return set(files)

    # -- maps ---------------------------------------------------------------

    def project_files(self, path: Path) -> list[Path]:
        """The ``.crux`` files of ``path``'s project (plus the open ones)."""
        root = project_root(path)
        with self._lock:
            files = self._files.get(root)
        if files is None:
            files = []
            if self.allowed(root):
                seen: set[Path] = set()
                for top in _check_paths(root):
                    for f in map(self.intern, _walk(top, _real(root))):
                        if f not in seen:
                            seen.add(f)
                            files.append(f)
            with self._lock:
                self._files[root] = files
        known = set(files)
        extra = [p for p in list(self.open) if p not in known and project_root(p) == root]
        return files + extra

    def maps_containing(self, path: Path, complete: bool = True) -> list[Path]:
        """Roots of the maps ``path`` belongs to: itself first, then every
        project file whose imports reach it. ``complete`` (the analysis
        thread) indexes the whole project first; without it (a request),
        the graph is taken as it stands."""
        if complete:
            files: set[Path] | None = self.scan(path)
        else:
            with self._lock:
                walked = self._files.get(project_root(path))
            files = set(walked) | set(self.open) if walked is not None else None
        return [
            f for i, f in enumerate(self.importers(path)) if i == 0 or files is None or f in files
        ]

    def map_files(
        self, path: Path, deadline: float | None = None, root_only: bool = False
    ) -> list[Path]:
        """Every file sharing a namespace with ``path`` in some map: the
        files its maps' roots reach, ``path``'s own imports first (with
        ``root_only``, only those of ``path``'s own map). A file not indexed
        yet is parsed here only until ``deadline`` (a request: the rest
        waits for the analysis thread to index it)."""
        out: dict[Path, None] = {}
        queue: deque[Path] = deque()
        roots = [path] if root_only else self.maps_containing(path, complete=deadline is None)
        for root in roots:
            if root in out:
                continue
            out[root] = None
            queue.append(root)
            while queue:
                f = queue.popleft()
                with self._lock:
                    targets = self._imports.get(f)
                    known = f in self._indexes
                if not known and (deadline is None or time.monotonic() < deadline):
                    with contextlib.suppress(OutsideRoot, Refused):
                        self.latest(f)
                    with self._lock:
                        targets = self._imports.get(f)
                for t in targets or ():
                    if t not in out:
                        out[t] = None
                        queue.append(t)
        return list(out)

    def map_indexes(self, path: Path, deadline: float | None = None) -> list[FileIndex]:
        """The indexes of :meth:`map_files` that exist (no parsing past
        ``deadline``)."""
        out = []
        for f in self.map_files(path, deadline):
            idx = self.cached(f)
            if idx is None and f == path:
                try:
                    idx = self.latest(f)
                except (OutsideRoot, Refused):
                    idx = None
            if idx is not None:
                out.append(idx)
        return out


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path.absolute()


def _check_paths(root: Path) -> list[Path]:
    """Where ``cruxmap check`` looks with no paths named: the ``paths`` of
    ``[tool.cruxmap]`` (relative to its ``pyproject.toml``), else the whole
    project. Test corpora elsewhere in a repository are not maps."""
    from cruxmap.core import config

    try:
        cfg = config.load(start=root)
    except config.ConfigError:
        return [root]
    if not cfg.paths or cfg.path is None:
        return [root]
    base = cfg.path.parent
    return [_real(base / p) for p in cfg.paths if (base / p).exists()] or [root]


def _walk(top: Path, root_real: Path) -> list[Path]:
    """``.crux`` files under ``top``, as ``cruxmap check`` finds them: not
    a link to a file that is not ``.crux``, nor one leading out of the
    project (both are refused there, CX005)."""
    if top.is_file():
        real = _real(top)
        return [real] if _is_map(top, real, root_real) else []
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(".crux"):
                real = _real(Path(dirpath) / name)
                if _is_map(Path(dirpath) / name, real, root_real):
                    found.append(real)
                if len(found) >= MAX_PROJECT_FILES:
                    return found
    return found


def _is_map(path: Path, real: Path, root_real: Path) -> bool:
    return is_crux_name(path.name) and is_crux_name(real.name) and inside(real, root_real)
