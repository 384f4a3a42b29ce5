"""The analysis behind diagnostics, hovers and inlay hints, through the
library API (:mod:`cruxmap.api`), on the editor's unsaved buffers.

Each map is loaded from its root with the open buffers as an overlay and
analysed with the project's ``[tool.cruxmap]`` settings, as ``cruxmap check``
would. Each map's result is replaced whole (one assignment) when its
analysis finishes, so a request on the event loop always sees one
consistent result per map.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cruxmap.core.diagnostics import Diagnostic
from cruxmap.core.loader import project_root
from cruxmap.core.session import Session
from cruxmap.lsp.project import too_large_diagnostic

if TYPE_CHECKING:
    from cruxmap.api import Map, Options, Result
    from cruxmap.core.loader import Loader
    from cruxmap.lsp.project import Project

#: Seconds between partial publications of a long refresh.
PROGRESS_S = 1.0


@dataclass
class MapAnalysis:
    root: Path
    files: list[Path]
    result: Result | None
    diagnostics: dict[Path, list[Diagnostic]] = field(default_factory=dict)
    #: (real path, 1-based line) -> reduction ID, generated IDs included.
    reductions_at: dict[tuple[Path, int], str] = field(default_factory=dict)
    #: Set when the map could not be analysed at all (bad options, say).
    problem: str | None = None
    #: ``files`` as a set: "is this file in the map?" is asked of every map
    #: on every hover.
    file_set: frozenset[Path] = field(init=False)

    def __post_init__(self) -> None:
        self.file_set = frozenset(self.files)


def real_path(shown: str) -> Path:
    """The file a display path names (display paths are relative to the
    working directory when inside it, as the loader prints them)."""
    p = Path(shown)
    try:
        return (p if p.is_absolute() else Path.cwd() / p).resolve()
    except (OSError, RuntimeError):
        return p.absolute()


class Analyses:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.maps: dict[Path, MapAnalysis] = {}
        self._lock = threading.Lock()
        #: What the workspace's maps share (a common import's analysis), kept
        #: across edits: keyed by content, so an edited file is never taken
        #: for its old text (see :mod:`cruxmap.core.session`).
        self.session = Session()

    def options_for(self, root: Path) -> tuple[Options, str | None]:
        from cruxmap import api
        from cruxmap.core import config

        try:
            cfg = config.load(start=project_root(root))
        except config.ConfigError as exc:
            return api.Options(), f"[tool.cruxmap] ignored: {exc}"
        return api.Options.from_config(cfg), None

    def analyse(
        self,
        root: Path,
        overlay: Mapping[str | Path, str],
        loader: Loader | None = None,
        paths: dict[str, Path] | None = None,
        shared: dict[tuple[object, ...], MapAnalysis] | None = None,
    ) -> MapAnalysis:
        """Load and analyse the map of ``root``. ``loader`` shares parsed
        files, ``paths`` the real paths of shown ones, and ``shared`` the
        analyses of maps that analyse alike (:func:`_alike`), with the other
        maps of one refresh (an import ring of N files is N maps of N files:
        loaded N times, but analysed, and kept in memory, once)."""
        from cruxmap import api

        known = {} if paths is None else paths

        def real(shown: str) -> Path:
            found = known.get(shown)
            if found is None:
                found = known[shown] = real_path(shown)
            return found

        options, problem = self.options_for(root)
        m = api.load(root, overlay=overlay, loader=loader)
        result: Result | None = None
        files = [real(f) for f in m.files] or [root]
        # An open buffer over the size limit stood in as an empty file: the
        # map has a CX005 there, as in ``check``, and is not analysed.
        big = {f: self.project.too_large.get(f) for f in files}
        refused = [too_large_diagnostic(f, n) for f, n in big.items() if n is not None]
        key = _alike(m, options) if shared is not None and not refused else None
        earlier = shared.get(key) if shared is not None and key is not None else None
        if earlier is not None:
            out = MapAnalysis(
                root=root, files=files, result=earlier.result, problem=earlier.problem
            )
            out.diagnostics, out.reductions_at = earlier.diagnostics, earlier.reductions_at
            return out
        if refused:
            problem = refused[0].message
            diags = list(m.diagnostics) + refused
        else:
            try:
                result = api.analyse(m, options, session=self.session)
            except api.CruxmapError as exc:
                problem = "; ".join(d.message for d in exc.diagnostics) or str(exc)
                diags = list(m.diagnostics)
            else:
                diags = list(result.diagnostics)
                # Computed here, on the analysis thread, rather than by the
                # first hover: both are built lazily and cost a pass over the map.
                _ = result.claims, [g.premises for g in result.goals.values()], result.objections
        out = MapAnalysis(root=root, files=files, result=result, problem=problem)
        for d in diags:
            out.diagnostics.setdefault(real(d.path), []).append(d)
        for rid, red in m.model.reductions.items():
            out.reductions_at[(real(red.loc.path), red.loc.line)] = rid
        if shared is not None and key is not None:
            shared[key] = out
            shared[(out.file_set, options.key())] = out
        return out

    def refresh(
        self,
        changed: Iterable[Path],
        superseded: Callable[[], bool],
        progress: Callable[[dict[Path, list[Diagnostic]]], None] | None = None,
    ) -> dict[Path, list[Diagnostic]] | None:
        """Re-analyse every map a changed file belongs to, the changed
        files' own maps first; return the full diagnostics of every file
        those maps touch (before or after), or None when a newer edit made
        this run pointless. Each map's result replaces the old one as soon
        as it is done; ``progress`` gets the diagnostics so far after the
        first map and then every :data:`PROGRESS_S` (an import ring of N
        files is N maps of N files: the edited file's own findings should
        not wait for all of them)."""
        from cruxmap.core.loader import Loader

        roots: dict[Path, None] = {}
        for path in changed:
            for root in self.project.maps_containing(path):
                roots[root] = None
            with self._lock:
                for root, ma in self.maps.items():
                    if path in ma.file_set:
                        roots[root] = None
            if superseded():
                return None
        ordered = [p for p in changed if p in roots] + list(roots)
        overlay = self.project.overlay()
        touched: set[Path] = set()
        loader = Loader()  # each file parsed once for all the maps below
        paths: dict[str, Path] = {}
        shared: dict[tuple[object, ...], MapAnalysis] = {}
        reported: float | None = None  # when progress was last given
        for root in dict.fromkeys(ordered):
            if superseded():
                return None
            if not root.exists() and root not in overlay:
                ma = MapAnalysis(root=root, files=[], result=None)
            else:
                # A root whose files (by the import graph) are those of a map
                # analysed alike above needs no loading either.
                options = self.options_for(root)[0]
                earlier = shared.get(
                    (frozenset(self.project.map_files(root, root_only=True)), options.key())
                )
                if earlier is not None:
                    ma = MapAnalysis(root=root, files=earlier.files, result=earlier.result,
                                     problem=earlier.problem)  # fmt: skip
                    ma.diagnostics, ma.reductions_at = earlier.diagnostics, earlier.reductions_at
                else:
                    ma = self.analyse(root, overlay, loader, paths, shared)
            with self._lock:
                old = self.maps.get(root)
                if old is not None:
                    touched.update(old.files)
                touched.update(ma.files)
                if ma.files:
                    self.maps[root] = ma
                else:
                    self.maps.pop(root, None)
            if progress is not None and (
                reported is None or time.monotonic() - reported > PROGRESS_S
            ):
                with self._lock:
                    so_far = {p: self.diagnostics_for(p) for p in touched}
                progress(so_far)
                touched = set()
                reported = time.monotonic()
        with self._lock:
            return {p: self.diagnostics_for(p) for p in touched}

    def diagnostics_for(self, path: Path) -> list[Diagnostic]:
        """Every map's diagnostics located in ``path``, each reported once."""
        seen: set[tuple[object, ...]] = set()
        out: list[Diagnostic] = []
        for ma in self.maps.values():
            for d in ma.diagnostics.get(path, ()):
                key = (d.code, d.line, d.column, d.message)
                if key not in seen:
                    seen.add(key)
                    out.append(d)
        out.sort(key=lambda d: (d.line, d.column, d.code))
        return out

    def primary(self, path: Path) -> MapAnalysis | None:
        """The analysis to show for ``path``: of the analysed maps holding
        it, the one with the most files (the map that imports it, rather
        than the file alone), its own map on a tie."""
        best: MapAnalysis | None = None
        for ma in list(self.maps.values()):
            if path not in ma.file_set:
                continue
            if (
                best is None
                or len(ma.files) > len(best.files)
                or (len(ma.files) == len(best.files) and ma.root == path)
            ):
                best = ma
        return best


def _alike(m: Map, options: Options) -> tuple[object, ...] | None:
    """What makes maps analyse alike whatever their root and the order of
    their files: the same contributing files and options, when nothing in
    the result depends on the order or the root (no finding from loading,
    whose "first declared at" would; no generated reduction ID, numbered in
    reading order; no ignore comment, whose unused-suppression findings are
    judged in the root file). None when the map must be analysed itself."""
    if m.diagnostics or not m.key:
        return None
    if not all(r.explicit_id for r in m.model.reductions.values()):
        return None
    if any("cruxmap" in c.text for doc in m.documents.values() for c in doc.comments):
        return None
    return (frozenset(m.key), options.key())
