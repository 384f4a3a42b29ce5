"""The files the server knows: open buffers over the disk, their indexes,
and which maps each file belongs to.

A map is found as ``cruxmap check`` finds it: every ``.crux`` file of the
project (the nearest ancestor holding ``pyproject.toml`` or ``.git``) is the
root of its own map, that file plus what it imports. A file therefore belongs
to its own map and to the map of every file that imports it, directly or
not; its diagnostics are those of all these maps, each reported once.

Only files inside a workspace folder (or open in the editor) are read, the
same containment as imports: the server never reads, and never writes, a
file elsewhere.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from cruxmap.loader import MAX_FILE_BYTES, project_root, read_source
from cruxmap.lsp import index
from cruxmap.lsp.index import FileIndex
from cruxmap.quickparse import decode

#: A workspace with more ``.crux`` files than this is indexed only as far
#: as the open files and their imports (a guard against opening ``/``).
MAX_PROJECT_FILES = 2000
_SKIP_DIRS = {"node_modules", "__pycache__", "venv", "site-packages"}


class OutsideRoot(Exception):
    """A path the server will not read: outside every workspace folder."""


class Project:
    def __init__(self) -> None:
        self.folders: list[Path] = []
        #: Open buffers: real path -> (text, version).
        self.open: dict[Path, tuple[str, int | None]] = {}
        self._indexes: dict[Path, FileIndex] = {}
        self._disk_keys: dict[Path, tuple[int, int]] = {}
        self._files: dict[Path, list[Path]] = {}
        self._lines: dict[Path, tuple[str, list[str]]] = {}
        self._lock = threading.RLock()
        #: Bumped whenever any text changes; caches below are keyed on it.
        self.generation = 0
        self._maps_cache: tuple[int, dict[Path, list[Path]]] = (-1, {})

    # -- containment ------------------------------------------------------

    def set_folders(self, folders: Iterable[str]) -> None:
        self.folders = [_real(Path(f)) for f in folders if f]

    def allowed(self, path: Path) -> bool:
        """Open in the editor, or inside a workspace folder (after symlinks)."""
        if path in self.open:
            return True
        real = _real(path)
        folders = self.folders or self._open_roots()
        return any(real == f or f in real.parents for f in folders)

    def _open_roots(self) -> list[Path]:
        """Without workspace folders (an editor in single-file mode), the
        project roots of the open files, as ``cruxmap check`` would use."""
        return list({_real(project_root(p)) for p in list(self.open)})

    # -- texts --------------------------------------------------------------

    def did_open(self, path: Path, text: str, version: int | None) -> None:
        with self._lock:
            self.open[path] = (text, version)
            root = project_root(path)
            files = self._files.get(root)
            if files is not None and path not in files:
                self._files.pop(root, None)
            self.generation += 1

    def did_change(self, path: Path, text: str, version: int | None) -> None:
        with self._lock:
            self.open[path] = (text, version)
            self.generation += 1

    def did_close(self, path: Path) -> None:
        with self._lock:
            self.open.pop(path, None)
            self._indexes.pop(path, None)
            self._lines.pop(path, None)
            self.generation += 1

    def files_changed(self) -> None:
        """Files were created, deleted or saved outside the editor."""
        with self._lock:
            self._files.clear()
            self._disk_keys.clear()
            self._indexes = {p: i for p, i in self._indexes.items() if p in self.open}
            self.generation += 1

    def overlay(self) -> dict[str | Path, str]:
        with self._lock:
            return {p: index.clean_text(t) for p, (t, _) in self.open.items()}

    def live_lines(self, path: Path) -> list[str] | None:
        """The lines of an open buffer as the client has it now (split once
        per version: hover and completion read them on every request)."""
        with self._lock:
            if path not in self.open:
                return None
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
        so that a parse on the analysis thread never stalls a request."""
        with self._lock:
            current = self.open.get(path)
            cached = self._indexes.get(path)
        if current is not None:
            text, version = current
            if cached is not None and cached.version == version:
                return cached
            built = index.build(path, text, version)
            with self._lock:
                if self.open.get(path, (None, None))[1] == version:
                    self._indexes[path] = built
            return built
        if not self.allowed(path):
            raise OutsideRoot(str(path))
        try:
            st = path.stat()
        except OSError:
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
        with self._lock:
            if path not in self.open:
                self._indexes[path] = built
                self._disk_keys[path] = key
        return built

    def latest(self, path: Path) -> FileIndex | None:
        """The most recent index of ``path``, even if a newer edit is not in
        it yet: hover and completion on a large file must not wait for a
        parse (they read the word under the cursor from the live text)."""
        with self._lock:
            cached = self._indexes.get(path)
        return cached if cached is not None else self.index(path)

    def fresh(self, path: Path) -> bool:
        with self._lock:
            if path not in self.open:
                return path in self._indexes
            cached = self._indexes.get(path)
            return cached is not None and cached.version == self.open[path][1]

    # -- maps ---------------------------------------------------------------

    def imports_of(self, idx: FileIndex) -> list[Path]:
        """Files ``idx`` imports that exist inside its project root."""
        root = _real(project_root(idx.path))
        out = []
        for target, _line, _col in idx.imports:
            if not target or "\x00" in target:
                continue
            real = _real(idx.path.parent / target)
            if (real == root or root in real.parents) and (real in self.open or real.is_file()):
                out.append(real)
        return out

    def closure(self, root_file: Path) -> list[Path]:
        """``root_file`` and every file it imports, transitively."""
        seen = [root_file]
        known = {root_file}
        i = 0
        while i < len(seen):
            try:
                idx = self.latest(seen[i])
            except OutsideRoot:
                idx = None
            i += 1
            if idx is None:
                continue
            for target in self.imports_of(idx):
                if target not in known:
                    known.add(target)
                    seen.append(target)
        return seen

    def project_files(self, path: Path) -> list[Path]:
        """The ``.crux`` files of ``path``'s project (plus the open ones)."""
        root = project_root(path)
        with self._lock:
            files = self._files.get(root)
        if files is None:
            files = []
            if self.allowed(root):
                for top in _check_paths(root):
                    files.extend(f for f in _walk(top) if f not in files)
            with self._lock:
                self._files[root] = files
        extra = [p for p in self.open if p not in files and project_root(p) == root]
        return files + extra

    def maps_containing(self, path: Path) -> list[Path]:
        """Roots of the maps ``path`` belongs to: itself first, then every
        project file whose imports reach it."""
        with self._lock:
            generation, cache = self._maps_cache
            if generation != self.generation:
                cache = {}
                self._maps_cache = (self.generation, cache)
        if path in cache:
            return cache[path]
        roots = [path]
        for candidate in self.project_files(path):
            if candidate != path and path in self.closure(candidate):
                roots.append(candidate)
        cache[path] = roots
        return roots

    def map_files(self, path: Path) -> list[Path]:
        """Every file sharing a namespace with ``path`` in some map."""
        out: dict[Path, None] = {}
        for root in self.maps_containing(path):
            for f in self.closure(root):
                out[f] = None
        return list(out)


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _check_paths(root: Path) -> list[Path]:
    """Where ``cruxmap check`` looks with no paths named: the ``paths`` of
    ``[tool.cruxmap]`` (relative to its ``pyproject.toml``), else the whole
    project. Test corpora elsewhere in a repository are not maps."""
    from cruxmap import config

    try:
        cfg = config.load(start=root)
    except config.ConfigError:
        return [root]
    if not cfg.paths or cfg.path is None:
        return [root]
    base = cfg.path.parent
    return [_real(base / p) for p in cfg.paths if (base / p).exists()] or [root]


def _walk(root: Path) -> list[Path]:
    if root.is_file():
        return [_real(root)] if root.name.endswith(".crux") else []
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(".crux"):
                found.append(_real(Path(dirpath) / name))
                if len(found) >= MAX_PROJECT_FILES:
                    return found
    return found
