"""The library: load a map, analyse it with one options object, read results by name.

Every front end (the command line, the language server, the explorer,
notebooks) stands on these few calls, so that a map means the same thing
wherever it is looked at::

    >>> import cruxmap
    >>> m = cruxmap.load_text('''
    ... claim a: "A"
    ...     assume: great
    ... claim b: "B"
    ... b reduces to a >= good
    ... goal b >= good
    ... ''')
    >>> r = cruxmap.analyse(m)
    >>> r.goals["b"].status, r.goals["b"].premises["a"].margin
    ('holds', 1)

Levels are names (``"good"``), never indices. Nothing here exits the process
or prints; problems with the input come back as diagnostics, and misuse
(a scenario naming a claim the map lacks) raises :class:`CruxmapError`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cruxmap.core.diagnostics import BLOCKING, INPUT_ERRORS, Diagnostic, Severity, did_you_mean
from cruxmap.core.errors import CruxmapError
from cruxmap.core.options import Options
from cruxmap.core.session import Session

if TYPE_CHECKING:
    from cruxmap.core.dependents import Layout
    from cruxmap.core.explanation import Explainer, GoalExplanation
    from cruxmap.core.graph import ClaimGraph
    from cruxmap.core.loader import Loader
    from cruxmap.core.mapresult import MapResult
    from cruxmap.core.model import ArgumentMap, Document
    from cruxmap.core.robustness import GoalAnalysis as EngineGoal
    from cruxmap.core.robustness import PremiseAnalysis as EnginePremise

__all__ = [
    "ClaimResult",
    "CruxmapError",
    "GoalResult",
    "Map",
    "Options",
    "PremiseResult",
    "Result",
    "Run",
    "Session",
    "WithObjections",
    "analyse",
    "check",
    "load",
    "load_text",
]


def blocking(code: str) -> bool:
    """True for codes after which a map's values would be meaningless."""
    return code in BLOCKING


def unreadable(code: str) -> bool:
    """True for codes that mean the input could not be read or parsed (exit 2)."""
    return code in INPUT_ERRORS


# --------------------------------------------------------------------------- maps


@dataclass(slots=True)
class Map:
    """A root file and everything it imports, loaded but not analysed."""

    path: Path
    model: ArgumentMap
    #: Problems found while reading, parsing and resolving names.
    diagnostics: list[Diagnostic]
    #: Parsed files by the path diagnostics show (for suppressions, editors).
    documents: dict[str, Document]
    #: Files that contribute statements, by resolved path (shared-analysis key).
    key: tuple[object, ...] = ()

    @property
    def root(self) -> str:
        return self.model.root

    @property
    def files(self) -> list[str]:
        return list(self.model.files)

    @property
    def scale(self) -> list[str]:
        return list(self.model.scale)

    @property
    def ok(self) -> bool:
        """True when nothing stops the analysis (no syntax, name or import error)."""
        return not any(blocking(d.code) for d in self.diagnostics)

    def _repr_svg_(self) -> str | None:  # pragma: no cover - notebook display
        try:
            return analyse(self)._repr_svg_()
        except Exception:  # a notebook display must never raise
            return None


def _loader(overlay: Mapping[str | Path, str] | None, loader: Loader | None) -> Loader:
    from cruxmap.core.loader import Loader

    ld = loader or Loader()
    for p, text in (overlay or {}).items():
        ld.overlay[Path(p).resolve()] = text
    return ld


def load(
    path: str | Path,
    *,
    overlay: Mapping[str | Path, str] | None = None,
    loader: Loader | None = None,
) -> Map:
    """Load the map rooted at ``path``.

    ``overlay`` gives text that stands in for files on disk (unsaved editor
    buffers), by path. Imports must stay inside the project root, as for
    ``cruxmap check``. Problems are diagnostics on the map, not exceptions.
    Pass one ``loader`` to several calls to parse shared imports once.
    """
    ld = _loader(overlay, loader)
    root = Path(path)
    amap, diags = ld.load_map(root)
    documents = {}
    for shown in amap.files:
        doc = ld.document(shown)
        if doc is not None:
            documents[shown] = doc
    return Map(root, amap, diags, documents, ld.contributing_key(documents.values()))


def load_text(
    text: str,
    path: str | Path = "untitled.crux",
    *,
    overlay: Mapping[str | Path, str] | None = None,
) -> Map:
    """Load a map from ``text``, as if it were the file at ``path`` (which is
    what diagnostics name and what imports are resolved against)."""
    merged: dict[str | Path, str] = dict(overlay or {})
    merged[Path(path)] = text
    return load(path, overlay=merged)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ClaimResult:
    #: Level in the analysed scenario.
    value: str
    #: Level with no scenario and no objections applied.
    baseline: str
    #: No reduction concludes it.
    leaf: bool


@dataclass(frozen=True, slots=True)
class PremiseResult:
    #: The premise's level in the analysed scenario.
    value: str
    #: Steps it can drop with the goal still holding; ``None``: holds at bottom.
    margin: int | None
    #: Highest level at which the goal fails; ``None``: none.
    breaks_at: str | None

    @property
    def brittle(self) -> bool:
        return self.margin == 0


@dataclass(frozen=True, slots=True)
class WithObjections:
    level: str
    status: str


@dataclass(frozen=True, slots=True)
class GoalResult:
    claim: str
    required: str
    #: Level reached in the analysed scenario.
    value: str
    #: Level reached with no scenario and no objections applied.
    baseline: str
    implicit: bool
    with_objections: WithObjections
    #: For a holding goal: each premise in its support, by name (else ``None``).
    premises: Mapping[str, PremiseResult] | None = None
    cut_sets: list[tuple[str, ...]] | None = None
    cut_sets_complete: bool | None = None
    uniform_margin: int | None = None
    holds: bool = False
    #: What the map expects: ``"holds"`` (the default) or ``"fails"`` (a
    #: critique's goal, ``expect: fails``).
    expected: str = "holds"

    @property
    def status(self) -> str:
        return "holds" if self.holds else "fails"

    @property
    def as_expected(self) -> bool:
        """The outcome is what the map expects (a goal expected to fail: it
        fails here or with the standing objections); false blocks a check."""
        from cruxmap.core.model import as_expected

        return as_expected(self.expected, self.holds, self.with_objections.status == "holds")

    @property
    def verdict(self) -> str:
        """The outcome in words, expectation included (``fails as expected``)."""
        from cruxmap.core.model import verdict

        return verdict(self.expected, self.holds, self.with_objections.status == "holds")


class Result:
    """One map analysed under one :class:`Options`; results keyed by name.

    The name-keyed views are built on first use, so a caller that only
    wants diagnostics (``cruxmap check`` in text) pays nothing for them.
    """

    def __init__(
        self,
        map: Map,
        options: Options,
        internal: MapResult,
        diagnostics: list[Diagnostic],
        same_as: str | None = None,
        library: bool = False,
    ) -> None:
        self.map = map
        self.options = options
        #: The engine's index-keyed result (graph, values, per-goal analysis).
        self.internal = internal
        #: Findings with ``select``/``ignore`` and ignore comments applied, sorted.
        self.diagnostics = diagnostics
        #: Root of an earlier map in the same run whose analysis this one shares
        #: (same files, same options), set by :func:`check`.
        self.same_as = same_as
        #: A library (docs/language.md): linted, not analysed as a map of its
        #: own (no goals, no values), by :class:`Run`.
        self.library = library
        self._claims: dict[str, ClaimResult] | None = None
        self._goals: dict[str, GoalResult] | None = None

    def __repr__(self) -> str:
        return f"<cruxmap.Result {self.map.root!r}: {len(self.goals)} goals, {len(self.diagnostics)} diagnostics>"

    @property
    def analysed(self) -> bool:
        return self.internal.analysed

    @property
    def scale(self) -> list[str]:
        return list(self.map.model.scale)

    @property
    def scenario(self) -> dict[str, str]:
        """The part of ``options.scenario`` that applies to this map."""
        return self.options.for_map(self.map.model)

    @property
    def claims(self) -> dict[str, ClaimResult]:
        if self._claims is None:
            res, g = self.internal, self.internal.graph
            self._claims = {}
            if g is not None and res.analysed:
                lv = g.levels
                self._claims = {
                    name: ClaimResult(lv[res.values[i]], lv[res.base_values[i]], g.is_leaf(i))
                    for i, name in enumerate(g.names)
                }
        return self._claims

    @property
    def goals(self) -> dict[str, GoalResult]:
        if self._goals is None:
            self._goals = _goal_results(self.internal)
        return self._goals

    @property
    def objections(self) -> dict[str, str]:
        """Grounded status of each objection: ``in``, ``out`` or ``undecided``."""
        return {oid: st.value for oid, st in self.internal.statuses.items()}

    @property
    def standing(self) -> list[str]:
        return list(self.internal.standing)

    @property
    def goal_count(self) -> int:
        """How many goals the map has, without building :attr:`goals` (the
        JSON summary counts them for every map)."""
        return len(self.internal.goals)

    @property
    def report_size(self) -> int:
        """Entries of this map's JSON report: claims, and each holding goal's
        support (0 when not analysed or written ``same_as`` another); lets
        the writer size its output without building the name-keyed views."""
        res = self.internal
        if self.same_as is not None or not res.analysed:
            return 0
        return len(res.amap.claims) + sum(gr.support_size() for gr in res.results.values())

    def explain(
        self, goals: Iterable[str] = (), *, repairs: bool = False
    ) -> tuple[Explainer, list[GoalExplanation]]:
        """The derivation of the named goals (all when none is named), with
        repairs and slack when asked, up to ``options.max_order``: what the
        explain presenters render. Unknown names are the caller's to reject
        (they are not keys of :attr:`goals`)."""
        from cruxmap.core.explanation import explain_goals

        return explain_goals(
            self.internal, goals, repairs=repairs, max_order=self.options.max_order
        )

    @property
    def scenario_warnings(self) -> list[str]:
        """A sentence for each ``--set`` that changes nothing here (the claim
        already has that value without it), for front ends to print."""
        from cruxmap.core.explanation import scenario_warnings

        return scenario_warnings(self.internal)

    def to_json(self) -> dict[str, Any]:
        """This map alone as a JSON report (``docs/report.schema.json``): what
        ``cruxmap check --format json`` writes for it."""
        from cruxmap.present.jsonreport import report_json

        return report_json(self)

    def _repr_svg_(self) -> str | None:  # pragma: no cover - notebook display
        try:
            from cruxmap.present import render

            if not self.analysed:
                return None
            dot = render.to_dot(self.internal, name=Path(self.map.root).name, options=self.options)
            return render.produce(dot, "svg", render.find_graphviz()).decode("utf-8")
        except Exception:  # a notebook display must never raise
            return None

    def _repr_html_(self) -> str | None:  # pragma: no cover - tests/test_notebook.py
        """The explorer of ``cruxmap explore`` in a sandboxed iframe, opened in
        this result's scenario (imported only when a notebook asks)."""
        try:
            from cruxmap.present.explore import notebook_html

            return notebook_html(self)
        except Exception:  # a notebook display must never raise
            return None


class _Premises(Mapping[str, PremiseResult]):
    """A goal's premises by name, sorted, built on first use: a map with 200
    goals over one 10,000-claim support has two million of them."""

    __slots__ = ("_d", "_g", "_gr")

    def __init__(self, gr: EngineGoal, g: ClaimGraph) -> None:
        self._gr, self._g = gr, g
        self._d: dict[str, PremiseResult] | None = None

    def _dict(self) -> dict[str, PremiseResult]:
        if self._d is None:
            lv, names = self._g.levels, self._g.names
            made: dict[EnginePremise, PremiseResult] = {}

            def convert(pr: EnginePremise) -> PremiseResult:
                hit = made.get(pr)
                if hit is None:
                    b = pr.breaks_at
                    hit = PremiseResult(
                        lv[pr.baseline], pr.margin, lv[b] if b is not None else None
                    )
                    made[pr] = hit
                return hit

            items = sorted(self._gr.premises.items(), key=lambda kv: names[kv[0]])
            self._d = {names[p]: convert(pr) for p, pr in items}
            self._gr = None  # type: ignore[assignment]
        return self._d

    def __getitem__(self, name: str) -> PremiseResult:
        return self._dict()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._dict())

    def __repr__(self) -> str:
        return repr(self._dict())


def _goal_results(res: MapResult) -> dict[str, GoalResult]:
    g = res.graph
    if g is None or not res.analysed:
        return {}
    lv = g.levels
    out: dict[str, GoalResult] = {}
    for goal in res.goals:
        c = g.index[goal.claim]
        gr = res.results[c]
        wo = res.objection_values[c]
        common: dict[str, Any] = dict(
            claim=goal.claim,
            required=lv[gr.required],
            value=lv[gr.baseline],
            baseline=lv[res.base_values[c]],
            implicit=goal.implicit,
            with_objections=WithObjections(lv[wo], "holds" if wo >= gr.required else "fails"),
            holds=gr.holds,
            expected=goal.expected,
        )
        if gr.holds:
            out[goal.claim] = GoalResult(
                **common,
                premises=_Premises(gr, g),
                cut_sets=[tuple(g.names[i] for i in s) for s in gr.cut_sets],
                cut_sets_complete=gr.cut_sets_complete,
                uniform_margin=gr.uniform_margin,
            )
        else:
            out[goal.claim] = GoalResult(**common)
    return out


# --------------------------------------------------------------------------- analysis


class _HasNames(Protocol):
    @property
    def claims(self) -> Mapping[str, object]: ...
    @property
    def scale(self) -> list[str]: ...


def validate_scenario(options: Options, maps: Iterable[_HasNames]) -> None:
    """Raise :class:`CruxmapError` when the scenario names a claim no map has,
    or a level a map's scale lacks (with the nearest name)."""
    amaps = list(maps)
    for claim, level in options.scenario.items():
        having = [m for m in amaps if claim in m.claims]
        if not having and amaps:
            names = set().union(*(m.claims for m in amaps))
            guess = did_you_mean(claim, names)
            hint = f" (did you mean `{guess}`?)" if guess else ""
            raise CruxmapError(
                f"--set {claim}={level}: no claim `{claim}` in the checked maps{hint}"
            )
        for m in having:
            if level not in m.scale:
                guess = did_you_mean(level, set(m.scale))
                hint = f"did you mean `{guess}`?" if guess else "levels: " + " < ".join(m.scale)
                raise CruxmapError(f"--set {claim}={level}: unknown level `{level}` ({hint})")


def _rules_to_run(options: Options, m: Map) -> Callable[[str], bool] | None:
    """Which rules :func:`cruxmap.core.lint.check_map` runs (``None``: all): the
    selected ones, unless CX204 may judge an ignore comment (a bare ignore
    is judged against every finding on its statement, selected or not)."""
    from cruxmap.core import lint

    selected = lint.selection(list(options.select) or None, list(options.ignore))
    if selected("CX204") and any(doc.comments for doc in m.documents.values()):
        return None
    return selected


def analyse(m: Map, options: Options | None = None, *, session: Session | None = None) -> Result:
    """Analyse a loaded map: values, goals, robustness and every finding.

    A map with syntax, name or import errors is not analysed
    (``Result.analysed`` is false) and its diagnostics say why. Pass one
    ``session`` to several calls to share the work on a common import; the
    result is the same without it.
    """
    from cruxmap.core import lint

    options = options or Options()
    validate_scenario(options, [m.model] if m.ok else [])
    internal = lint.check_map(m.model, m.diagnostics, options, session, _rules_to_run(options, m))
    kept = lint.apply_filters(
        internal.diagnostics, m.documents, list(options.select) or None, list(options.ignore),
        # Unused suppressions are judged at the baseline they were written for.
        root=m.root, analysed=internal.analysed and not options.for_map(m.model) and not options.objections,
    )  # fmt: skip
    kept.sort(key=lambda d: d.sort_key)
    return Result(m, options, internal, kept)


# --------------------------------------------------------------------------- runs


#: Results kept for sharing with later roots made of the same files.
SHARED_RESULTS = 16


class _Names:
    """What :func:`validate_scenario` reads of a map, without holding the map."""

    __slots__ = ("claims", "scale")

    def __init__(self, amap: ArgumentMap) -> None:
        self.claims = dict.fromkeys(amap.claims)  # names only, for did-you-mean
        self.scale = list(amap.scale)


class Run:
    """``cruxmap check`` over many roots: discovery, one shared loader, results
    streamed map by map, each diagnostic reported once however many maps
    share it, and the counts for a summary.

    Iterate it for :class:`Result` objects; ``fresh`` of each is what no
    earlier map of the run reported. The run owns a :class:`Session` (or uses
    the one given): each map's result is what it would be checked alone.
    """

    def __init__(
        self,
        paths: Iterable[str | Path],
        options: Options | None = None,
        *,
        session: Session | None = None,
        dependents: bool = True,
        layout: Layout | None = None,
    ) -> None:
        from cruxmap.core.dependents import Projects
        from cruxmap.core.loader import Loader, discover

        self.options = options or Options()
        #: What the maps of this run share (library prefixes, failure sets).
        self.session = session if session is not None else Session()
        self.files, self.problems = discover(str(p) for p in paths)
        self.loader = Loader()
        #: ``[tool.cruxmap]`` roots and libraries (globs).
        self.layout = layout
        #: The reverse-import index of each project the run touches.
        self.projects = Projects(layout)
        #: Files added because they import a file named (``dependents``):
        #: each with its import chain as shown, ending at the file named.
        self.added: dict[Path, list[str]] = {}
        if dependents and self.files:
            self._add_dependents()
        #: Roots of the libraries linted (not counted as maps).
        self.libraries: list[str] = []
        #: Each diagnostic reported so far, by identity (its sort key: code,
        #: place and message), and its position in :attr:`reported`.
        self._seen: dict[tuple[object, ...], int] = {}
        #: Recent results by what their maps are made of (bounded: memory stays
        #: flat however many roots a run has).
        self._shared: OrderedDict[tuple[object, ...], Result] = OrderedDict()
        self._claims: set[tuple[str, str]] = set()
        self._files: set[str] = set()
        self.maps = 0
        self.goals = 0
        self.skipped: list[str] = []
        #: Every diagnostic reported so far, in order (for the exit status).
        self.reported: list[Diagnostic] = []
        #: Results whose analysis an earlier map of the run already did.
        self.shared = 0

    def _add_dependents(self) -> None:
        """Append every map of the projects that imports a file of the run,
        directly or through imports (issue 19: pre-commit passes only the
        changed files, and a changed library can break its importers)."""
        from cruxmap.core.loader import display_path

        for found, chain in self.projects.dependents(self.files):
            self.files.append(found)
            self.added[found] = [display_path(p) for p in chain]

    def is_library(self, f: Path) -> bool:
        """Whether the file ``f`` is linted as a library, not analysed as a
        map (:meth:`cruxmap.core.dependents.ProjectIndex.libraries`)."""
        return self.projects.is_library(f)

    def _library(self, m: Map) -> Result:
        """A library's result: linted on its own, CX201 judged against what
        the project's maps importing it use."""
        from cruxmap.core import lint

        used: set[str] = set()
        if m.ok:
            for importer in self.projects.importers_of(m.path):
                used |= lint.used_claims(self.load(importer).model)
        internal = lint.check_library(
            m.model, m.diagnostics, used, self.session, _rules_to_run(self.options, m)
        )
        kept = lint.apply_filters(internal.diagnostics, m.documents, list(self.options.select) or None,
                                  list(self.options.ignore), root=m.root, analysed=False)  # fmt: skip
        kept.sort(key=lambda d: d.sort_key)
        return Result(m, self.options, internal, kept, library=True)

    def _library_files(self, m: Map) -> set[str]:
        """The files of a map, other than its root, that are libraries: their
        unused claims are theirs to report (CX201), not each importer's."""
        out: set[str] = set()
        for shown in m.documents:
            if shown != m.root and self.is_library(Path(shown)):
                out.add(shown)
        return out

    def validate(self) -> None:
        """Check the scenario against every map before analysing any (loads all)."""
        if not self.options.scenario:
            return
        seen: list[_HasNames] = []
        for f in self.files:
            m = self.load(f)
            if m.ok:
                # Keep only what validation reads: the claims named and the scale.
                seen.append(_Names(m.model))
        validate_scenario(self.options, seen)

    def load(self, f: Path) -> Map:
        return load(f, loader=self.loader)

    def __iter__(self) -> Iterator[tuple[Result, list[Diagnostic]]]:
        """Each map's result and the diagnostics it is first to report; the
        discovery problems come with the first map (or alone, with no map)."""
        pending = list(self.problems)
        if not self.files:
            if pending:
                self.reported.extend(pending)
            return
        for f in self.files:
            m = self.load(f)
            key = (m.key, self.options.key()) if m.key and m.ok else None
            earlier = self._shared.get(key) if key is not None else None
            if self.is_library(f):
                res = self._library(m)
            elif earlier is not None:
                # Same files, same options: the same findings and values.
                self._shared.move_to_end(key)  # type: ignore[arg-type]
                res = Result(m, self.options, earlier.internal, earlier.diagnostics,
                             same_as=earlier.same_as or earlier.map.root)  # fmt: skip
                self.shared += 1
            else:
                # Each map takes the part of the scenario that names its claims
                # (validate() already checked every claim exists in some map).
                local = self.options
                if local.scenario and m.ok:
                    local = local.replace(scenario=local.for_map(m.model))
                res = analyse(m, local, session=self.session)
                libraries = self._library_files(m)
                if libraries:
                    res.diagnostics = [d for d in res.diagnostics
                                       if d.code != "CX201" or d.path not in libraries]  # fmt: skip
                if key is not None:
                    self._shared[key] = res
                    if len(self._shared) > SHARED_RESULTS:
                        self._shared.popitem(last=False)
            # A shared result's findings were all reported with the first map.
            candidates = pending if res.same_as is not None else pending + res.diagnostics
            fresh: list[Diagnostic] = []
            for d in sorted(candidates, key=lambda d: d.sort_key):
                if d.sort_key not in self._seen:
                    self._seen[d.sort_key] = len(self.reported) + len(fresh)
                    fresh.append(d)
            pending = []
            self.reported.extend(fresh)
            self._count(res)
            yield res, fresh

    def retract(self, fresh: list[Diagnostic], kept: list[Diagnostic]) -> None:
        """Report only ``kept`` of the last map's ``fresh`` findings (the
        tail of :attr:`reported`), as ``check --new-only`` does."""
        del self.reported[len(self.reported) - len(fresh) :]
        for d in fresh:
            del self._seen[d.sort_key]
        for d in kept:
            self._seen[d.sort_key] = len(self.reported)
            self.reported.append(d)

    def positions(self, res: Result) -> list[int]:
        """Where each of a streamed map's findings is in :attr:`reported`."""
        seen = self._seen
        return [seen[d.sort_key] for d in res.diagnostics]

    def _count(self, res: Result) -> None:
        amap = res.map.model
        self._files.update(amap.files)
        if res.library:
            self.libraries.append(res.map.root)
            for c in amap.claims.values():
                self._claims.add((c.loc.path, c.id))
            return
        self.maps += 1
        if res.same_as is None:  # a shared map's claims are counted already
            for c in amap.claims.values():
                self._claims.add((c.loc.path, c.id))
        if res.analysed:
            self.goals += len(res.internal.goals)
        else:
            from cruxmap.core.graph import goals as goals_of

            self.goals += len(goals_of(amap))
            self.skipped.append(res.map.root)

    @property
    def file_count(self) -> int:
        return len(self._files)

    @property
    def claim_count(self) -> int:
        return len(self._claims)

    def exit_status(self, fail_on: str = "warning") -> int:
        """0 nothing at or above ``fail_on``, 1 findings, 2 unreadable input."""
        fail_rank = Severity(fail_on).rank
        status = 0
        for d in self.reported:
            if unreadable(d.code):
                return 2
            if d.severity.rank >= fail_rank:
                status = 1
        return status


def check(
    paths: Iterable[str | Path],
    options: Options | None = None,
    *,
    session: Session | None = None,
    dependents: bool = True,
    layout: Layout | None = None,
) -> Iterator[Result]:
    """Analyse every map under ``paths`` (files, or directories searched for
    ``.crux`` files), streaming one :class:`Result` per file: with
    ``dependents``, also the maps of the project that import one of them
    (``Run.added``); a library's result has ``library`` set and is not
    analysed (docs/language.md)."""
    run = Run(paths, options, session=session, dependents=dependents, layout=layout)
    run.validate()
    for res, _ in run:
        yield res
