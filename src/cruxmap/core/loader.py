"""Files -> :class:`~cruxmap.core.model.ArgumentMap`: discovery, imports, names.

A map is a root file plus everything it imports. Imports are resolved
relative to the importing file and must stay inside the project root, judged
on the real path after symlinks, so an argument file can never make cruxmap
read (or echo) a file outside the project. Each file is read and parsed once
per run however many maps import it.
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import errno
import os
import stat
from collections.abc import Container, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from cruxmap.core import diagnostics as dg
from cruxmap.core.diagnostics import Diagnostic
from cruxmap.core.errors import CruxmapOSError
from cruxmap.core.model import (
    DEFAULT_SCALE,
    ArgumentMap,
    Claim,
    Document,
    Goal,
    Import,
    Loc,
    Objection,
    Reduction,
    Scale,
    Statement,
)
from cruxmap.core.quickparse import decode, parse_text
from cruxmap.core.text import redact_credentials

#: Codes after which values would be meaningless, so analysis is skipped
#: (declared by each rule in :data:`cruxmap.core.diagnostics.RULES`).
BLOCKING = dg.BLOCKING
#: A 10,000-claim map with sources and warrants is about 1 MB. Parsing costs
#: up to ~500 bytes of memory per byte of dense input, so this bounds one
#: file at about 2 GB in the worst case (a bigger file fails fast, CX005).
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Only files with this suffix are imported; nothing else is ever echoed.
CRUX_SUFFIX = ".crux"


class FileTooLarge(CruxmapOSError):
    """A file over :data:`MAX_FILE_BYTES`; the message says how big."""


def read_source(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Opened non-blocking, so that a FIFO cannot hang the run; anything but a
    regular file is refused, and nothing is read past the limit, so that a
    device or a file growing under us cannot exhaust memory. Raises OSError.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags), "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a device, FIFO or socket)")
        data = fh.read(limit + 1) if info.st_size <= limit else b""
    if info.st_size > limit or len(data) > limit:
        size = max(info.st_size, len(data))
        raise FileTooLarge(f"file is too large ({size} bytes; the limit is {limit})")
    return data


def inside(real: Path, root_real: Path) -> bool:
    """True when the resolved path ``real`` is ``root_real`` or below it: the
    one containment test for imports, roots, config paths and outputs."""
    return real == root_real or root_real in real.parents


def escapes_project(path: Path) -> bool:
    """True when ``path`` (a file named or found in a directory) resolves,
    through symlinks, outside its project root: cruxmap reads only inside."""
    root = project_root(path)
    try:
        real, root_real = path.resolve(), root.resolve()
    except (OSError, RuntimeError):
        return False  # unresolvable: reading it fails with its own message
    return not inside(real, root_real)


def links_to_non_crux(path: Path) -> bool:
    """True when ``path`` is named ``*.crux`` but resolves to a file that is
    not (a link to a ``.env``, say): such a file is never read or echoed."""
    try:
        return is_crux_name(path.name) and not is_crux_name(path.resolve().name)
    except (OSError, RuntimeError):
        return False  # unresolvable: reading it fails with its own message


def project_root(start: Path) -> Path:
    """Nearest ancestor holding ``pyproject.toml`` or ``.git``."""
    start = start.absolute()
    here = start if start.is_dir() else start.parent
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").exists() or (candidate / ".git").exists():
            return candidate
    return here


def display_path(path: Path, base: Path | None = None) -> str:
    """Path as shown in diagnostics: relative to the working directory when
    inside it, so that editors and CI annotations can open it."""
    base = base or Path.cwd()
    try:
        shown = path.absolute().relative_to(base.absolute()).as_posix()
    except ValueError:
        shown = path.absolute().as_posix()
    return printable_name(shown)


def printable_name(name: str) -> str:
    """A file name that is not valid UTF-8 with its bad bytes as ``\\xNN``,
    so that every output (JSON, SARIF, a strict terminal) stays valid UTF-8.

    A literal backslash is doubled, so that distinct files never share a
    name: ``bad\\xff.crux`` (four characters spelled out) cannot pose as the
    file whose name has the byte 0xFF. Diagnostics and suppression tables are
    keyed by this name, so it must be as unique as the real path."""
    name = name.replace("\\", "\\\\")
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def discover(paths: Iterable[str]) -> tuple[list[Path], list[Diagnostic]]:
    """Files named, plus every ``.crux`` file under directories named."""
    found: list[Path] = []
    problems: list[Diagnostic] = []
    seen: set[Path] = set()

    def unlisted(exc: OSError) -> None:  # a directory under p that cannot be listed
        shown = display_path(Path(exc.filename)) if exc.filename else "."
        problems.append(dg.make("CX005", shown, 1, 1,
                                f"cannot list the directory: {exc.strerror or exc}",
                                suggestion="make it readable, or move the .crux files out"))  # fmt: skip

    for raw in paths:
        p = Path(raw)
        why = "no such file or directory"
        try:
            is_dir = p.is_dir()
            exists = is_dir or p.exists() or p.is_symlink()
        except OSError as exc:  # a name too long, say
            is_dir = exists = False
            why = f"cannot read it ({exc.strerror or exc})"
        if is_dir:
            for dirpath, dirnames, filenames in os.walk(p, onerror=unlisted, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.endswith(".crux"):
                        f = Path(dirpath) / name
                        if f not in seen:
                            seen.add(f)
                            found.append(f)
        elif exists:
            if p not in seen:
                seen.add(p)
                found.append(p)
        else:
            problems.append(
                dg.make(
                    "CX005",
                    display_path(p),
                    1,
                    1,
                    f"{why}: {printable_name(raw)}",
                    suggestion="check the path",
                )
            )
    return found, problems


def is_crux_name(name: str) -> bool:
    return name.endswith(CRUX_SUFFIX) and len(name) > len(CRUX_SUFFIX)


def _sanitize(diags: list[Diagnostic], real: Path) -> list[Diagnostic]:
    """Diagnostics fit for any output (text, JSON, SARIF): no credentials
    from URLs in messages and excerpts, and no excerpt at all from a file
    that is not a ``.crux`` file (one named on the command line), so that
    whatever it holds (a ``.env``, a key) is not echoed into logs."""
    crux = is_crux_name(real.name)
    out = []
    for d in diags:
        update: dict[str, object] = {}
        if not crux and d.excerpt is not None:
            update["excerpt"] = None
        elif d.excerpt is not None and "@" in d.excerpt:
            redacted = redact_credentials(d.excerpt)
            if redacted != d.excerpt:  # the caret keeps pointing at the same text
                update["excerpt"] = redacted
                update["column"] = len(redact_credentials(d.excerpt[: d.column - 1])) + 1
        for key in ("message", "suggestion"):
            value = getattr(d, key)
            if value is not None and "@" in value and redact_credentials(value) != value:
                update[key] = redact_credentials(value)
        if update:
            if "column" in update and d.end_line == d.line and d.end_column is not None:
                shift = int(update["column"]) - d.column  # type: ignore[call-overload]
                update["end_column"] = max(d.end_column + shift, int(update["column"]) + 1)  # type: ignore[call-overload]
            d = dataclasses.replace(d, **update)  # type: ignore[arg-type]
        out.append(d)
    return out


@dataclass(frozen=True, slots=True)
class ImportRefusal:
    """Why an import reads nothing: the CX005 message and its suggestion."""

    message: str
    suggestion: str


def resolve_import_target(
    importer: Path,
    target: str,
    root: Path,
    *,
    root_real: Path | None = None,
    present: Container[Path] = frozenset(),
) -> Path | ImportRefusal:
    """The real path that ``import "target"`` in the file ``importer`` (its
    real path) reads, or why it reads nothing.

    The one rule for what an import may read, used by ``check`` and by the
    language server alike: a target with no NUL, named ``*.crux``, that
    resolves (after symlinks) inside the project ``root`` to a file whose
    real name ends in ``.crux`` too, exists (or is in ``present``: unsaved
    buffers), and is not a directory. Nothing is opened; ``root_real`` saves
    resolving ``root`` again for every import.
    """
    if not target or "\x00" in target:
        return ImportRefusal("import path is empty or invalid", 'write `import "other.crux"`')
    not_crux = 'import a map file: `import "other.crux"`'
    if not is_crux_name(Path(target).name):
        return ImportRefusal(f'import "{target}": only .crux files can be imported; not read',
                             not_crux)  # fmt: skip
    try:
        real = (importer.parent / target).resolve()
        root_real = root_real or root.resolve()
    except (OSError, RuntimeError, ValueError):
        return ImportRefusal(f'cannot resolve import "{target}" (symlink loop?)', "fix the symlink")
    if not inside(real, root_real):
        return ImportRefusal(
            f'import "{target}" resolves outside the project root',
            f"imports must stay inside {display_path(root)}/; copy the file in, "
            "or widen the root: put a pyproject.toml or .git in a common parent directory "
            "of both files",
        )
    if not is_crux_name(real.name):  # a .crux symlink to some other file
        return ImportRefusal(f'import "{target}" is a link to a file that is not a .crux file; not read',
                             not_crux)  # fmt: skip
    if real in present:
        return real
    try:
        found, is_dir = real.exists(), real.is_dir()
    except OSError as exc:  # a name too long, say
        return ImportRefusal(
            f'cannot open import "{target}": {exc.strerror or exc}', "check the path"
        )
    if not found:
        return ImportRefusal(f'imported file "{target}" not found',
                             "check the path (it is relative to this file)")  # fmt: skip
    if is_dir:
        return ImportRefusal(f'import "{target}" names a directory', "import a .crux file")
    return real


@dataclass
class LoadedFile:
    document: Document | None
    diagnostics: list[Diagnostic]


@dataclass
class Loader:
    """Reads and parses files, once each, for all maps of one run.

    ``overlay`` maps resolved paths to text that stands in for what is on
    disk (an editor's unsaved buffers); imports still resolve, and are
    contained, exactly as for files on disk.
    """

    cache: dict[Path, LoadedFile] = field(default_factory=dict)
    overlay: dict[Path, str] = field(default_factory=dict)
    #: Merged maps by the files that contribute statements to them, so that
    #: many roots importing one big file merge it once (issue: 500 one-line
    #: roots sharing a 1,700-claim import).
    merged: dict[tuple[int, ...], tuple[ArgumentMap, list[Diagnostic]]] = field(
        default_factory=dict
    )
    #: Numbered copies of reductions without an ID, by (statement, number):
    #: every map that numbers a shared file's reduction alike shares the copy
    #: (and the lint findings about it, which lint keys by statement).
    renamed: dict[tuple[int, int], tuple[Reduction, Reduction]] = field(default_factory=dict)
    _by_shown: dict[str, Document] = field(default_factory=dict)
    _imports: dict[int, tuple[Document, list[int]]] = field(default_factory=dict)

    def read(self, real: Path, shown: str) -> LoadedFile:
        if real in self.cache:
            return self.cache[real]
        result = self._read_uncached(real, shown)
        self.cache[real] = result
        if result.document is not None:
            self._by_shown[result.document.path] = result.document
        return result

    def import_positions(self, doc: Document) -> list[int]:
        """Indices of a document's import statements (computed once per file)."""
        found = self._imports.get(id(doc))
        if found is None or found[0] is not doc:
            positions = [i for i, st in enumerate(doc.statements) if isinstance(st, Import)]
            found = self._imports[id(doc)] = (doc, positions)
        return found[1]

    def document(self, shown: str) -> Document | None:
        """The parsed file that diagnostics name ``shown``."""
        return self._by_shown.get(shown)

    def contributing_key(self, documents: Iterable[Document]) -> tuple[int, ...]:
        """Identity of what a map is made of: its parsed files that contribute
        more than imports, in load order. Two maps with the same key have the
        same claims, reductions and goals, so they can share one merge and
        one analysis."""
        return tuple(
            id(doc) for doc in documents if len(self.import_positions(doc)) < len(doc.statements)
        )

    def _read_uncached(self, real: Path, shown: str) -> LoadedFile:
        def fail(message: str, suggestion: str) -> LoadedFile:
            return LoadedFile(None, [dg.make("CX005", shown, 1, 1, message, suggestion=suggestion)])

        if real in self.overlay:
            doc, diags = parse_text(self.overlay[real], shown)
            return LoadedFile(doc, diags)
        try:
            if real.is_dir():
                return fail("is a directory, not a .crux file", "name a file")
            data = read_source(real)
        except FileTooLarge as exc:
            return fail(str(exc), "split the map into files that import each other")
        except FileNotFoundError:
            return fail("file not found (it may have been deleted)", "check the path")
        except PermissionError:
            return fail("permission denied while reading the file", "make the file readable")
        except OSError as exc:
            return fail(f"cannot read the file: {exc.strerror or exc}", "check the file")
        text, problem = decode(data, shown)
        if problem is not None:
            return LoadedFile(None, _sanitize([problem], real))
        assert text is not None
        doc, diags = parse_text(text, shown)
        return LoadedFile(doc, _sanitize(diags, real))

    def load_map(self, root_file: Path) -> tuple[ArgumentMap, list[Diagnostic]]:
        return _MapBuilder(self, root_file).build()


class _MapBuilder:
    def __init__(self, loader: Loader, root_file: Path) -> None:
        self.loader = loader
        self.root_file = root_file
        self.project = project_root(root_file)
        try:
            self.project_real = self.project.resolve()
        except OSError:
            self.project_real = self.project.absolute()
        self.diagnostics: list[Diagnostic] = []
        self.documents: list[Document] = []
        self.loaded: set[Path] = set()
        self._ordered: list[Statement] = []

    # -- files ----------------------------------------------------------

    def build(self) -> tuple[ArgumentMap, list[Diagnostic]]:
        shown = display_path(self.root_file)
        amap = ArgumentMap(root=shown)
        try:
            real = self.root_file.resolve()
        except (OSError, RuntimeError):
            self.diagnostics.append(
                dg.make("CX005", shown, 1, 1, "cannot resolve the path (symlink loop?)",
                        suggestion="fix or remove the broken symlink")
            )  # fmt: skip
            return amap, self.diagnostics
        if not inside(real, self.project_real):
            # A symlink found in a directory (or named) must not lead out.
            self.diagnostics.append(
                dg.make("CX005", shown, 1, 1, "symlink resolves outside the project root; not read",
                        suggestion=f"name the file it points to, or keep it inside {display_path(self.project)}/")
            )  # fmt: skip
            return amap, self.diagnostics
        if links_to_non_crux(self.root_file):
            # Found in a directory as x.crux, but a link to a .env or a key.
            self.diagnostics.append(
                dg.make("CX005", shown, 1, 1, "a link to a file that is not a .crux file; not read",
                        suggestion="name the file itself if it really is a map")
            )  # fmt: skip
            return amap, self.diagnostics
        self._load(real, shown)
        files = [d.path for d in self.documents]
        key = self.loader.contributing_key(self.documents)
        shareable = key and not self.diagnostics
        if shareable and key in self.loader.merged:
            first, diags = self.loader.merged[key]
            amap = copy.copy(first)
            amap.root, amap.files = shown, files
            return amap, list(diags)
        amap.files = files
        self._merge(amap)
        if shareable:
            self.loader.merged[key] = (amap, list(self.diagnostics))
        return amap, self.diagnostics

    def _load(self, real: Path, shown: str) -> None:
        """Load files depth-first, each import expanded where it stands, so
        that the statements come out in reading order (which numbers the
        generated ``CONCLUSION#N`` IDs). Iterative: import chains may be long.
        """
        stack: list[list[object]] = []

        def open_file(path: Path, name: str) -> None:
            loaded = self.loader.read(path, name)
            self.diagnostics.extend(loaded.diagnostics)
            if loaded.document is not None:
                self.documents.append(loaded.document)
                stack.append([loaded.document, 0, path])

        self.loaded.add(real)
        open_file(real, shown)
        while stack:
            frame = stack[-1]
            doc, i, path = frame
            assert isinstance(doc, Document) and isinstance(i, int) and isinstance(path, Path)
            # Jump to the next import: the statements before it go over in
            # one slice (a big file imported by many roots is walked at C speed).
            imports = self.loader.import_positions(doc)
            k = bisect.bisect_left(imports, i)
            if k == len(imports):
                self._ordered.extend(doc.statements[i:])
                stack.pop()
                continue
            j = imports[k]
            self._ordered.extend(doc.statements[i : j + 1])
            frame[1] = j + 1
            st = doc.statements[j]
            assert isinstance(st, Import)
            target = self._resolve_import(st, path)
            if target is not None and target not in self.loaded:
                self.loaded.add(target)
                open_file(target, display_path(target))

    def _resolve_import(self, st: Import, importer: Path) -> Path | None:
        found = resolve_import_target(importer, st.target, self.project,
                                      root_real=self.project_real, present=self.loader.overlay)  # fmt: skip
        if isinstance(found, ImportRefusal):
            loc = st.attr_locs.get("target", st.loc)
            self.diagnostics.append(dg.make("CX005", loc.path, loc.line, loc.column,
                                            found.message, suggestion=found.suggestion))  # fmt: skip
            return None
        return found

    # -- namespace ------------------------------------------------------

    def _merge(self, amap: ArgumentMap) -> None:
        scale: Scale | None = None
        names: dict[str, Loc] = {}
        counters: dict[str, int] = {}
        goals_seen: dict[str, Goal] = {}
        statements = self._ordered
        renamed = self.loader.renamed

        def duplicate(name: str, loc: Loc, first: Loc) -> None:
            self.diagnostics.append(
                dg.at("CX003", loc, suggestion="rename one of them",
                      id=name, first=f"{first.path}:{first.line}:{first.column}")
            )  # fmt: skip

        def declare(name: str, loc: Loc) -> bool:
            if name in names:
                duplicate(name, loc, names[name])
                return False
            names[name] = loc
            return True

        for st in statements:
            if isinstance(st, Scale):
                scale = self._check_scale(st, scale)
            elif isinstance(st, Claim):
                if declare(st.id, st.attr_locs.get("id", st.loc)):
                    amap.claims[st.id] = st
            elif isinstance(st, Reduction):
                n = counters.get(st.conclusion, 0) + 1
                counters[st.conclusion] = n
                if not st.explicit_id:
                    # A copy: the parsed file is shared with other maps, where
                    # the same reduction may get another number.
                    hit = renamed.get((id(st), n))
                    if hit is None or hit[0] is not st:
                        hit = (st, replace(st, id=f"{st.conclusion}#{n}"))
                        renamed[(id(st), n)] = hit
                    st = hit[1]
                    amap.reductions[st.id] = st
                elif declare(st.id, st.attr_locs.get("id", st.loc)):
                    amap.reductions[st.id] = st
            elif isinstance(st, Objection):
                if declare(st.id, st.attr_locs.get("id", st.loc)):
                    amap.objections[st.id] = st
            elif isinstance(st, Goal):
                if st.claim in goals_seen:
                    first = goals_seen[st.claim].loc
                    self.diagnostics.append(
                        dg.at("CX003", st.loc, form="goal", suggestion="keep one goal per claim",
                              claim=st.claim, first=f"{first.path}:{first.line}")
                    )  # fmt: skip
                else:
                    goals_seen[st.claim] = st
                    amap.goals.append(st)
        if scale is not None:
            amap.scale = list(scale.levels)
            amap.scale_declared = True
        else:
            amap.scale = list(DEFAULT_SCALE)
        # Names are checked only once every file parses: a statement lost to
        # a syntax error would otherwise show up again as undefined names.
        if not any(d.code == "CX001" for d in self.diagnostics):
            self._check_names(amap)

    def _check_scale(self, st: Scale, current: Scale | None) -> Scale | None:
        loc = st.loc
        if len(st.levels) < 2:
            self.diagnostics.append(
                dg.at("CX004", loc, form="too-few", suggestion="scale: low < high")
            )  # fmt: skip
            return current
        seen: set[str] = set()
        for level, lloc in zip(st.levels, st.level_locs, strict=False):
            if level in seen:
                self.diagnostics.append(
                    dg.at("CX004", lloc, form="repeated", level=level,
                          suggestion="each level once, lowest first")
                )  # fmt: skip
                return current
            seen.add(level)
        if current is None:
            return st
        if current.levels != st.levels:
            first = current.loc
            self.diagnostics.append(
                dg.at(
                    "CX004", loc, form="second-scale",
                    first=f"{first.path}:{first.line}", levels=" < ".join(current.levels),
                    suggestion="a map has one scale: remove this one or make them identical",
                )
            )  # fmt: skip
        return current

    def _check_names(self, amap: ArgumentMap) -> None:
        levels = set(amap.scale)
        claims = set(amap.claims)
        everything = claims | set(amap.reductions) | set(amap.objections)
        concluded = {r.conclusion for r in amap.reductions.values()}

        # ``what`` names the place, ``what.format(subject)``: built only for a
        # name that does not resolve (a big map has tens of thousands of
        # references, and nearly all of them resolve).
        def level(name: str | None, loc: Loc | None, what: str, subject: str = "") -> None:
            if name is None or name in levels or loc is None:
                return
            guess = dg.did_you_mean(name, levels)
            hint = f"did you mean `{guess}`?" if guess else "levels: " + " < ".join(amap.scale)
            self.diagnostics.append(
                dg.at("CX004", loc, level=name, context=what.format(subject), suggestion=hint,
                      fix=guess)
            )  # fmt: skip

        def claim(name: str, loc: Loc, what: str, subject: str = "") -> None:
            if name in claims:
                return
            guess = dg.did_you_mean(name, claims)
            hint = f"did you mean `{guess}`?" if guess else f'declare it: `claim {name}: "..."`'
            self.diagnostics.append(
                dg.at("CX002", loc, name=name, context=what.format(subject), suggestion=hint,
                      fix=guess)
            )  # fmt: skip

        for c in amap.claims.values():
            level(c.assume, c.attr_locs.get("assume"), "the `assume` of `{}`", c.id)
            if c.assume is not None and c.id in concluded:
                loc = c.attr_locs.get("assume", c.loc)
                self.diagnostics.append(
                    dg.at("CX006", loc, claim=c.id,
                          suggestion="remove the `assume`, or the reduction")
                )  # fmt: skip
        for r in amap.reductions.values():
            claim(r.conclusion, r.conclusion_loc, "reduction `{}`", r.id)
            level(r.yields, r.attr_locs.get("yields"), "the `yields` of `{}`", r.id)
            for p in r.premises:
                claim(p.claim, p.loc, "reduction `{}`", r.id)
                level(p.threshold, p.threshold_loc, "a threshold of `{}`", r.id)
        for g in amap.goals:
            claim(g.claim, g.claim_loc, "a goal")
            level(g.required, g.required_loc, "the goal on `{}`", g.claim)
        for o in amap.objections.values():
            if o.against is None:
                self.diagnostics.append(
                    dg.at("CX001", o.loc, form="no-against", objection=o.id,
                          suggestion="add an indented line `against: CLAIM_OR_REDUCTION`")
                )  # fmt: skip
                continue
            loc = o.attr_locs.get("against", o.loc)
            if o.against not in everything:
                guess = dg.did_you_mean(o.against, everything)
                self.diagnostics.append(
                    dg.at(
                        "CX002", loc, form="target", target=o.against, objection=o.id,
                        suggestion=f"did you mean `{guess}`?" if guess
                        else "name a claim, a reduction or an objection", fix=guess,
                    )
                )  # fmt: skip
            level(o.caps, o.attr_locs.get("caps"), "the `caps` of `{}`", o.id)
            if o.caps is not None and o.against in everything and o.against not in claims:
                cloc = o.attr_locs.get("caps", o.loc)
                self.diagnostics.append(
                    dg.at(
                        "CX006", cloc, form="caps", objection=o.id, target=o.against,
                        suggestion="remove `caps`: an objection against a reduction removes it",
                    )
                )  # fmt: skip
