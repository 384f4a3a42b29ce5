"""Which maps of a project import a file, and which files are libraries.

pre-commit passes only the changed files, so a hook that checked just those
would pass a change to a shared file of claims that breaks a map importing
it (issue 19). The reverse-import index answers "who imports this?" for a
whole project cheaply: each ``.crux`` file under the project root (as
:func:`cruxmap.core.loader.project_root` finds it) is read once and only its
import lines are looked at; each import is resolved with exactly the
loader's rule (:func:`cruxmap.core.loader.resolve_import_target`), so the index
never names a file the loader would not read.

A file imported by another file of the project and without goals of its own
is a *library*: it is linted, not analysed as a map (docs/language.md,
"Libraries"). ``[tool.cruxmap]`` ``roots`` and ``libraries`` (globs) override
the guess.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cruxmap.core.loader import (
    ImportRefusal,
    inside,
    is_crux_name,
    project_root,
    read_source,
    resolve_import_target,
)
from cruxmap.core.model import Document, Goal, Import
from cruxmap.core.quickparse import decode, parse_text

#: Directories never searched for importers: tool and package caches, where a
#: project's own maps do not live (hidden directories are skipped too, as
#: :func:`cruxmap.core.loader.discover` does).
SKIPPED_DIRS = frozenset(("node_modules", "__pycache__", "site-packages"))
#: Files indexed at most per project: a root found too high up (a home
#: directory under git) must not make every check walk the whole disk. Past
#: it the index is partial and says so (:attr:`ProjectIndex.truncated`).
MAX_INDEXED_FILES = 50_000
#: Directory entries looked at per project, for the same reason (a map
#: checked in a directory without ``.git`` or ``pyproject.toml`` has that
#: directory for its root, and it may be ``~/Downloads``).
MAX_WALKED_ENTRIES = 500_000

# A line that begins with the keyword `import` (an ID may not continue it):
# outside a triple-quoted string, every such line is an import statement.
_IMPORT_START = re.compile(r"^import(?![\w-])(?P<rest>[^\n]*)$", re.M)
# The plain form of its rest; anything else (an escape in the string, a
# syntax error) goes to the parser, so the index reads what the loader reads.
_PLAIN_REST = re.compile(r'[\t \f]*"(?P<s>[^"\\\n]*)"[\t \f]*(?:#[^\n]*)?')
_GOAL_START = re.compile(r"^goal(?![\w-])", re.M)


def scan(text: str, shown: str = "<index>") -> tuple[list[str], bool]:
    """The strings of a file's import statements, in order, and whether it
    declares a goal of its own.

    A scan of the lines that start with ``import`` or ``goal``: outside a
    triple-quoted string, every such line is that statement. A file holding
    a triple-quoted string (which may hide such a line) or an import line
    that is not plain is parsed in full instead (no such line at all: no
    import and no goal, whatever the strings hold)."""
    starts = list(_IMPORT_START.finditer(text)) if "import" in text else []
    goals = "goal" in text and _GOAL_START.search(text) is not None
    if not starts and not goals:
        return [], False
    found: list[str] = []
    exact = '"""' not in text
    for m in starts if exact else ():
        plain = _PLAIN_REST.fullmatch(m.group("rest"))
        if plain is None:
            exact = False
            break
        found.append(plain.group("s"))
    if exact:
        return found, goals
    doc, _ = parse_text(text, shown)
    return [st.target for st in doc.statements if isinstance(st, Import)], has_own_goals(doc)


def has_own_goals(doc: Document | None) -> bool:
    """True when the file itself declares a goal (its imports do not count)."""
    return doc is not None and any(isinstance(st, Goal) for st in doc.statements)


@dataclass
class ProjectIndex:
    """Every ``.crux`` file of one project and what it imports, both ways."""

    #: The project root as found, and resolved.
    root: Path
    root_real: Path
    #: Resolved file -> the resolved files its imports name (only imports
    #: the loader would follow).
    imports: dict[Path, list[Path]] = field(default_factory=dict)
    #: Resolved file -> the resolved files that import it directly.
    importers: dict[Path, list[Path]] = field(default_factory=dict)
    #: Resolved file -> the path it was found at (under :attr:`root`).
    found_at: dict[Path, Path] = field(default_factory=dict)
    #: Resolved files that declare a goal of their own.
    with_goals: set[Path] = field(default_factory=set)
    #: True when the walk stopped at :data:`MAX_INDEXED_FILES` or
    #: :data:`MAX_WALKED_ENTRIES`: importers may be missing.
    truncated: bool = False
    #: Resolved paths whose text an editor holds (they count as existing).
    overlay: frozenset[Path] = frozenset()
    #: Libraries by layout (:meth:`libraries`), computed once each.
    _libraries: dict[Layout | None, frozenset[Path]] = field(default_factory=dict)
    _targets: dict[tuple[Path, str], Path | ImportRefusal] = field(default_factory=dict)

    def add(self, real: Path, found_at: Path, targets: Iterable[str], goals: bool = False) -> None:
        """Record one file's imports (raw strings, resolved here)."""
        self.found_at.setdefault(real, found_at)
        if goals:
            self.with_goals.add(real)
        resolved: list[Path] = []
        for raw in targets:
            # The rule reads only the importer's directory and the string:
            # a thousand maps importing "common/lib.crux" resolve it once.
            key = (real.parent, raw)
            target = self._targets.get(key)
            if target is None:
                target = self._targets[key] = resolve_import_target(
                    real, raw, self.root, root_real=self.root_real, present=self.overlay
                )
            if not isinstance(target, ImportRefusal) and target not in resolved:
                resolved.append(target)
                self.importers.setdefault(target, []).append(real)
        self.imports[real] = resolved

    def imported_by_other(self, real: Path) -> bool:
        """True when another file of the project imports ``real``."""
        return any(f != real for f in self.importers.get(real, ()))

    def libraries(self, layout: Layout | None = None) -> frozenset[Path]:
        """The project's libraries (docs/language.md): files without goals of
        their own that a root imports, directly or through imports. Roots
        are the files with goals and the files nothing else imports (and
        what ``layout`` names); the files of an import cycle that no root
        reaches are all roots, as before libraries existed."""
        found = self._libraries.get(layout)
        if found is not None:
            return found
        forced = {f: layout.forced(self.found_at[f]) for f in self.imports} if layout else {}
        sources = [
            f
            for f in self.imports
            if f in self.with_goals or not self.imported_by_other(f) or forced.get(f)
        ]
        reached: set[Path] = set()
        stack = list(sources)
        while stack:
            f = stack.pop()
            for t in self.imports.get(f, ()):
                if t != f and t not in reached:  # (a file importing itself)
                    reached.add(t)
                    stack.append(t)
        out = frozenset(
            f
            for f in self.imports
            if forced.get(f) == "library"
            or (f in reached and f not in self.with_goals and forced.get(f) != "root")
        )
        self._libraries[layout] = out
        return out

    def dependents(self, changed: Iterable[Path]) -> dict[Path, list[Path]]:
        """Every file that imports one of ``changed`` (resolved paths),
        directly or through imports, with its chain: the file, the file it
        imports, ..., the changed file. Breadth first, so each chain is a
        shortest one; files in ``changed`` are not their own dependents."""
        start = list(dict.fromkeys(changed))
        chains: dict[Path, list[Path]] = {c: [c] for c in start}
        queue = list(start)
        out: dict[Path, list[Path]] = {}
        while queue:
            nxt: list[Path] = []
            for f in queue:
                for importer in sorted(self.importers.get(f, ())):
                    if importer in chains:
                        continue
                    chains[importer] = [importer, *chains[f]]
                    out[importer] = chains[importer]
                    nxt.append(importer)
            queue = nxt
        return out


def build_index(root: Path, overlay: Mapping[Path, str] | None = None) -> ProjectIndex:
    """Index every ``.crux`` file under ``root`` (a project root). Files that
    cannot be read or decoded, and links leading out of the project or to
    files that are not ``.crux`` files, are left out: the loader refuses to
    read them too. ``overlay``: text standing in for files on disk, by
    resolved path (an editor's unsaved buffers)."""
    try:
        root_real = root.resolve()
    except (OSError, RuntimeError):
        root_real = root.absolute()
    overlay = overlay or {}
    index = ProjectIndex(root=root, root_real=root_real, overlay=frozenset(overlay))
    count = walked = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        walked += len(dirnames) + len(filenames)
        if walked > MAX_WALKED_ENTRIES:
            index.truncated = True
            return index
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIPPED_DIRS)
        names = sorted(n for n in filenames if is_crux_name(n))
        if not names:
            continue
        # The walk follows no directory link, so a directory resolves once
        # and a file below it that is no link resolves with it.
        try:
            dir_real = Path(os.path.realpath(dirpath))
        except (OSError, ValueError):
            continue
        dir_inside = inside(dir_real, root_real)
        for name in names:
            count += 1
            if count > MAX_INDEXED_FILES:
                index.truncated = True
                return index
            path = Path(dirpath) / name
            if os.path.islink(path):
                try:
                    real = path.resolve()
                except (OSError, RuntimeError):
                    continue
                if not inside(real, root_real) or not is_crux_name(real.name):
                    continue
            elif dir_inside:
                real = dir_real / name
            else:
                continue
            text = overlay.get(real)
            if text is None:
                try:
                    data = read_source(real)
                except OSError:
                    continue
                text, problem = decode(data, name)
                if text is None or problem is not None:
                    continue
            targets, goals = scan(text, name)
            index.add(real, path, targets, goals)
    return index


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regular expression over ``/``-separated relative
    paths: ``*`` and ``?`` stay within one directory, ``**`` spans any
    number of them (``maps/**/common/*.crux``)."""
    out: list[str] = []
    i = 0
    pattern = pattern.replace("\\", "/").lstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


@dataclass(frozen=True)
class Layout:
    """``[tool.cruxmap]`` ``roots`` and ``libraries``: globs, relative to
    ``base`` (the directory of the ``pyproject.toml``), that settle a
    file's role where the guess is wrong. ``roots`` wins over ``libraries``."""

    roots: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    base: Path | None = None

    def forced(self, path: Path) -> str | None:
        """``"root"``, ``"library"``, or ``None`` (no glob names ``path``)."""
        if not self.roots and not self.libraries:
            return None
        base = (self.base or Path.cwd()).absolute()
        names: list[str] = []
        for candidate in (path.absolute(), _resolved(path)):
            try:
                rel = candidate.relative_to(base).as_posix()
            except ValueError:
                continue
            if rel not in names:
                names.append(rel)
        for role, globs in (("root", self.roots), ("library", self.libraries)):
            for g in globs:
                rx = glob_regex(g)
                if any(rx.fullmatch(n) for n in names):
                    return role
        return None


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


class Projects:
    """The index of each project root a run touches, built on first use and
    owned by the run (no state in module globals)."""

    def __init__(
        self, layout: Layout | None = None, overlay: Mapping[Path, str] | None = None
    ) -> None:
        self._by_root: dict[Path, ProjectIndex] = {}
        self._by_dir: dict[Path, ProjectIndex] = {}
        self._layout = layout
        self._overlay = overlay

    def index_for(self, path: Path) -> ProjectIndex:
        """The index of the project ``path`` belongs to."""
        here = path.absolute().parent
        found = self._by_dir.get(here)
        if found is None:
            root = project_root(path)
            key = _resolved(root)
            found = self._by_root.get(key)
            if found is None:
                found = self._by_root[key] = build_index(root, self._overlay)
            self._by_dir[here] = found
        return found

    def truncated(self) -> list[Path]:
        """Roots of the projects whose index stopped early (too many files)."""
        return [ix.root for ix in self._by_root.values() if ix.truncated]

    def dependents(self, files: Iterable[Path]) -> list[tuple[Path, list[Path]]]:
        """Files of the projects of ``files`` that import one of them,
        directly or through imports, and not among them: each with the path
        it was found at first and then its import chain: the files as found,
        ending at the file as given."""
        by_project: dict[Path, list[Path]] = {}
        indexes: dict[Path, ProjectIndex] = {}
        given: dict[Path, Path] = {}
        for f in files:
            real = _resolved(f)
            given.setdefault(real, f)
            index = self.index_for(f)
            indexes[index.root_real] = index
            by_project.setdefault(index.root_real, []).append(real)
        out: list[tuple[Path, list[Path]]] = []
        for key, changed in by_project.items():
            index = indexes[key]
            for dep, chain in index.dependents(changed).items():
                if dep not in given:
                    shown = [given.get(p) or index.found_at.get(p, p) for p in chain]
                    given[dep] = shown[0]
                    out.append((shown[0], shown))
        return out

    def is_library(self, path: Path) -> bool:
        """The rule of docs/language.md (:meth:`ProjectIndex.libraries`)."""
        index = self.index_for(path)
        real = _resolved(path)
        if real not in index.imports and self._layout is not None:
            return self._layout.forced(path) == "library"  # not indexed (an editor buffer)
        return real in index.libraries(self._layout)

    def importers_of(self, path: Path) -> list[Path]:
        """Every file of the project that imports ``path``, directly or
        through imports (resolved paths, as found in the project)."""
        index = self.index_for(path)
        return [index.found_at.get(d, d) for d in index.dependents([_resolved(path)])]
