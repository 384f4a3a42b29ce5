"""Rules and the diagnostic record.

Codes are a public contract (CI configs and ignore comments name them), so
each rule is declared once here as a unit: code, name, severity, the message
templates its findings are built from, which template arguments name the IDs
a finding is about, long help with an example (``cruxmap rules CODE``),
whether it stops the analysis, and the exit status class it maps to. Every
other module (loader, lint, SARIF, the CLI, docs/language.md) derives from
this table. A code never changes meaning.

Positions are 1-based lines and 1-based columns counted in Unicode code
points (Python ``str`` indices + 1); ``end_line``/``end_column`` point just
past the last character of the range (exclusive), as SARIF regions do.

Plain slotted dataclasses, no validation: a large map produces tens of
thousands of findings, and every field is built here from typed values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from string import Formatter
from typing import TYPE_CHECKING, Any

from cruxmap.core.text import escape

if TYPE_CHECKING:
    from cruxmap.core.model import Loc


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


#: Exit status classes (ruff's convention): 1 findings, 2 input that could
#: not be read or parsed.
EXIT_FINDINGS = 1
EXIT_INPUT = 2


@dataclass(frozen=True, slots=True)
class Rule:
    """One diagnostic code and everything said about it."""

    code: str
    #: Symbolic name, as ruff's rule names (``brittle-premise``).
    name: str
    severity: Severity
    #: One sentence: SARIF's short description and the rules list.
    description: str
    #: Message templates by form (``""`` is the main one), with named
    #: arguments in ``{braces}`` (``str.format`` syntax).
    messages: Mapping[str, str]
    #: Long help with an example: what ``cruxmap rules CODE`` prints.
    help: str
    #: Template arguments that say what a finding is about (the IDs of
    #: claims, goals, objections, reductions; an unknown name and where it
    #: was used), in order. SARIF fingerprints and editors key on them rather
    #: than on the message text, so rewording a message or a changed level
    #: does not re-key an alert.
    subject: tuple[str, ...] = ()
    #: A map with this error is not analysed, and it cannot be suppressed.
    blocking: bool = False
    #: Exit status when the finding is reported at or above ``fail-on``.
    exit_class: int = EXIT_FINDINGS

    @property
    def message(self) -> str:
        """The main message template."""
        return self.messages[""]

    def arguments(self, form: str = "") -> list[str]:
        """Names a message form takes, in order."""
        return [n for _, n, _, _ in Formatter().parse(self.messages[form]) if n]


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

_RULE_LIST = [
    Rule(
        "CX001", "syntax-error", _E,
        "Syntax error: the message says what was expected, and shows the line with a caret.",
        {
            "": "{detail}",
            "no-against": "objection `{objection}` has no `against:` target",
        },
        """\
The text is not a .crux file as the language defines it: a statement that
does not start in column 1, an unterminated string, an unknown attribute, a
character an identifier may not hold (invisible or default-ignorable ones
such as U+3164 or U+200B), a Unicode line separator, or an objection without
`against:`. The message says what was expected and what was found, and the
line is shown with a caret. Parsing resumes at the next statement, so one
typo does not hide the rest of the file.

Example:

    claim alignment "AI systems do what we intend"    # CX001: expected `:`

Fix:

    claim alignment: "AI systems do what we intend"
""",
        subject=("objection",), blocking=True, exit_class=EXIT_INPUT,
    ),
    Rule(
        "CX002", "undefined-name", _E,
        "Reference to an undefined claim, reduction or objection (the nearest name suggested).",
        {
            "": "undefined claim `{name}` in {context}",
            "target": "undefined target `{target}` of objection `{objection}`",
        },
        """\
A reduction, goal or objection names an ID that no file of the map declares.
The suggestion names the nearest existing ID. All files of a map (the root
and everything it imports) share one namespace.

Example:

    claim alignment: "AI systems do what we intend"
    claim interp: "interpretability succeeds"
    alignment reduces to interpretation    # CX002: undefined claim `interpretation`

Fix: declare the claim, or correct the name (`interp`).
""",
        subject=("name", "context", "target", "objection"), blocking=True,
    ),
    Rule(
        "CX003", "duplicate-id", _E,
        "The same ID is declared twice (both places named), or a second goal on one claim.",
        {
            "": "duplicate ID `{id}` (first declared at {first})",
            "goal": "second goal for `{claim}` (first at {first})",
        },
        """\
Claims, reductions and objections share one namespace per map, so an ID may
be declared once across all files; a claim may also carry only one goal.
Both places are named.

Example:

    claim safety: "the system is safe"
    claim safety: "the system is secure"    # CX003: duplicate ID `safety`

Fix: rename one of them (and its uses), or merge the two claims.
""",
        subject=("id", "claim"), blocking=True,
    ),
    Rule(
        "CX004", "unknown-level", _E,
        "Unknown level (the nearest suggested), a second, different scale, or a malformed scale.",
        {
            "": "unknown level `{level}` in {context}",
            "too-few": "a scale needs at least two levels",
            "repeated": "level `{level}` appears twice in the scale",
            "second-scale": "a second, different scale (the first is at {first}: {levels})",
        },
        """\
A level (in `>=`, `yields`, `assume`, `caps` or a goal) that is not on the
map's scale, or a malformed scale: fewer than two levels, a level twice, or
a second scale that differs from the first. The suggestion names the
nearest level.

Example:

    scale: low < medium < high
    claim alignment: "AI systems do what we intend"
    goal alignment >= hihg    # CX004: unknown level `hihg`

Fix: use a level of the scale (`high`), or extend the scale.
""",
        subject=("level", "context"), blocking=True,
    ),
    Rule(
        "CX005", "bad-import", _E,
        "Import missing, unreadable, or outside the project root; also an unreadable file named on the command line.",
        {"": "{detail}"},
        """\
An imported file (or a file named on the command line) is missing, cannot be
read, is not valid to read (a directory, a device, larger than the size
limit), or resolves, after symlinks, outside the project root (the nearest
ancestor holding pyproject.toml or .git). Nothing outside the root is read.

Example:

    import "../../etc/shared.crux"    # CX005: resolves outside the project root

Fix: copy the file into the project, correct the path, or widen the root
(a `pyproject.toml` or `.git` in a common parent directory of both files).
""",
        blocking=True, exit_class=EXIT_INPUT,
    ),
    Rule(
        "CX006", "misplaced-attribute", _E,
        "`assume` on a concluded claim, or `caps` on an objection whose target is not a claim.",
        {
            "": "`assume` on `{claim}`, which a reduction concludes: its value comes from the reduction",
            "caps": "`caps` on objection `{objection}`, whose target `{target}` is not a claim",
        },
        """\
An attribute that cannot mean anything where it is written: `assume` sets
the level of a leaf claim, so on a claim some reduction concludes it would
be ignored; `caps` limits a claim, so on an objection against a reduction
(which the objection removes) or against another objection it has no
target.

Example:

    claim alignment: "aligned"
        assume: great             # CX006: a reduction concludes `alignment`
    claim interp: "interpretability succeeds"
    alignment reduces to interp

Fix: remove the attribute, or the reduction.
""",
        subject=("claim", "objection", "target"),
    ),
    Rule(
        "CX007", "unsafe-revision-tree", _E,
        "A git revision's tree that `diff --against` or `check --new-only` cannot write safely; nothing of it is read.",
        {"": "{detail}"},
        """\
`cruxmap diff` and `check --new-only` write a revision's .crux files, its
pyproject.toml files and its symlinks into a private temporary directory.
A tree made with `git mktree` (which a fetch does not check) can say what
no checkout would, so before anything is written the tree is refused when:

- a path to write lies under a symlink, a file or a submodule of the tree
  (`sub` a symlink to another directory, and `sub/evil.crux` beside it),
  also when the two differ only in case or Unicode normalisation (`SUB`
  and `sub/`: one name on macOS and Windows);
- the same path is there twice, or in two spellings a case-insensitive
  file system would merge (`A.crux` and `a.crux`);
- a name or a symlink target holds a NUL byte, a newline or another
  control character, is not valid UTF-8, is empty, is too long (a name
  over 255 bytes, a path over 3,800, a target over 4,095) or too deep
  (128 directories), or a path has a `.`, `..`, empty or `.git`
  component.

The finding is named `REVISION:PATH` (the revision's short commit) and the
command exits 2 without comparing anything; the snapshot is removed and
nothing is written anywhere else. A symlink that leads outside the
revision is not refused: it is written as a link leading nowhere, so the
map behind it is "outside the project root" (CX005), as in a checkout.

Example:

    $ map=$(printf 'claim c: "C"\\n' | git hash-object -w --stdin)
    $ dir=$(printf '100644 blob %s\\tevil.crux\\n' "$map" | git mktree)
    $ link=$(printf /tmp | git hash-object -w --stdin)
    $ top=$(printf '120000 blob %s\\tsub\\n040000 tree %s\\tsub\\n' "$link" "$dir" | git mktree)
    $ git update-ref refs/heads/evil "$(git commit-tree -m evil "$top")"
    $ cruxmap diff --against evil
    cruxmap: error: 3f1c2a9b7d4e:sub/evil.crux:1:1: CX007 `sub/evil.crux` lies under `sub`, a symlink of the same tree: the revision evil is not read (help: ...)

Fix: compare with another revision, or rewrite the tree (`git fsck`
reports most of these faults).
""",
        blocking=True, exit_class=EXIT_INPUT,
    ),
    Rule(
        "CX101", "brittle-premise", _W,
        "A premise is brittle for a goal (margin 0): weakening it one step makes the goal fail.",
        {
            "": "premise `{premise}` is brittle for goal `{goal}`: "
            "at {level} the goal holds, at {breaks_at} it fails",
            "goals": "premise `{premise}` is brittle for {count} goals ({named}): "
            "at {level} they hold, at {breaks_at} they fail",
        },
        """\
The goal holds, but only just: if this premise were achieved one level less
well than the argument assumes, the goal would fail (margin 0). This is the
"robust to scaling down" question: an argument that needs every premise
perfect is brittle. Reported once per premise, at its `claim`, naming every
goal of the map it is brittle for: the message names the first three (in
reading order) and counts the rest ("and 197 more"); JSON lists them all
in `goals`, SARIF in `properties.goals`. A map of 200 goals over one shared
support gets one finding per brittle premise, not 200.

Example:

    claim alignment: "aligned"
    claim interp: "interpretability succeeds"
    alignment reduces to interp >= perfect
    goal alignment >= good    # CX101 on `interp`: at perfect the goal holds,
                              # at near_perfect it fails

Fix: ask less of the premise (a lower `>=` threshold), or add a route to the
goal that does not need it. Keep it on purpose with
`# cruxmap: ignore[CX101]` and a comment saying why.
""",
        # The premise alone: the goals it concerns come and go with edits
        # elsewhere, and are carried in ``Diagnostic.goals``.
        subject=("premise",),
    ),
    Rule(
        "CX102", "goal-fails", _E, "A goal fails at baseline; reported at the goal.",
        {"": "goal `{goal}` needs {required}, reaches {reached}: {why}"},
        """\
With every leaf at its assumed level (and any `--set` scenario applied), the
goal's claim does not reach the level the goal requires. Reported at the
goal; the message says which route is blocked by which premise (`cruxmap
explain` shows the whole derivation, `--repairs` the smallest fixes).

Example:

    claim alignment: "aligned"
    claim interp: "interpretability succeeds"
        assume: partial
    alignment reduces to interp >= great
    goal alignment >= good    # CX102: goal `alignment` needs good, reaches none:
                              # `alignment#1` needs `interp` >= great, has partial

Fix: strengthen a premise, lower a threshold, or add an alternative route.
""",
        subject=("goal",),
    ),
    Rule(
        "CX103", "circular-reduction", _W,
        "Reductions form a cycle (named); reported at a reduction of the cycle.",
        {"": "circular reduction: {cycle}"},
        """\
Claims reduce to each other in a circle. A cycle cannot lift itself: its
claims reach only what some route from outside the cycle gives them.
Reported at the first reduction (in reading order) of the cycle.

Example:

    claim a: "one"
    claim b: "two"
    a reduces to b
    b reduces to a    # CX103: circular reduction: a -> b -> a

Fix: give one claim of the cycle a route from outside it, or remove a
reduction.
""",
        subject=("cycle",),
    ),
    Rule(
        "CX104", "goal-fails-with-objections", _W,
        "A goal that holds fails once the standing objections are applied (they are named).",
        {
            "": "goal `{goal}` needs {required}, reaches {level} once the standing objections "
            "are applied: {why}; standing: {objections}",
        },
        """\
The goal holds at baseline, but in the objections scenario (every objection
that stands, i.e. is not answered by a rebuttal, caps its claim or removes
its reduction) it fails. The message says which route is blocked then, and
names the standing objections that touch the goal's support with what each
does (caps a claim, removes a reduction).

Example:

    claim alignment: "aligned"
    claim interp: "interpretability succeeds"
    alignment reduces to interp >= good
    goal alignment >= good
    objection opaque: "features are not the model's concepts"
        against: interp
        caps: partial          # CX104: goal `alignment` needs good, reaches none once
                               # the standing objections are applied: ...

Fix: answer the objection (an `objection` whose `against:` names it), or
repair the argument so the goal survives it.
""",
        subject=("goal",),
    ),
    Rule(
        "CX105", "single-point-of-failure", _I,
        "Single points of failure with slack: the goal fails when any one of these premises alone drops to the bottom level; one finding per goal, at the goal.",
        {
            "": "goal `{goal}` has single points of failure: {premises}",
        },
        """\
Not brittle (each premise named can weaken by its slack without harm), but
every route to the goal goes through it: if it alone drops far enough, the
goal fails, whatever the other premises do. One finding per goal, at the
goal, naming each such premise with its slack and the level it fails at.

Example:

    claim alignment: "aligned"
    claim interp: "interpretability succeeds"
    alignment reduces to interp >= good
    goal alignment >= good    # CX105: goal `alignment` has single points of
                              # failure: `interp` (slack 3 steps, fails at partial)

Fix: add a route to the goal that does not go through the premise.
""",
        subject=("goal",),
    ),
    Rule(
        "CX106", "expected-failure-holds", _E,
        "A goal marked `expect: fails` holds, at baseline and with the standing objections: the critique went stale.",
        {"": "goal `{goal}` is expected to fail but holds at {reached} (needs {required}): the critique went stale"},
        """\
A critique map records an argument in order to show that it fails, and says
so with `expect: fails` under the goal. The goal now holds, at baseline and
with every standing objection applied, so the map no longer shows what it
says it shows: a premise was strengthened, an objection was answered, or a
threshold was lowered. Reported at the goal.

Example:

    claim alignment: "aligned"
    claim interp: "interpretability succeeds"
        assume: great
    alignment reduces to interp >= good
    goal alignment >= good    # CX106: expected to fail, but holds at perfect
        expect: fails

Fix: restore the weakness the critique is about, or, if the argument now
holds, delete the `expect: fails` line.
""",
        subject=("goal",),
    ),
    Rule(
        "CX107", "goal-fails-as-expected", _I,
        "A goal marked `expect: fails` fails, as expected (at baseline, or with the standing objections).",
        {
            "": "goal `{goal}` fails, as expected: needs {required}, reaches {reached}: {why}",
            "objections": "goal `{goal}` fails once the standing objections are applied, as "
            "expected: needs {required}, reaches {level}: {why}; standing: {objections}",
        },
        """\
The goal fails, and the map says it should (`expect: fails`): a critique map
records an argument to show where it breaks. The failure is reported for
information instead of as CX102 (at baseline) or CX104 (once the standing
objections are applied), and it does not make the check fail. If the goal
ever holds in both, CX106 says the critique went stale.

Example:

    claim alignment: "aligned"
    claim interp: "interpretability succeeds"
        assume: partial
    alignment reduces to interp >= great
    goal alignment >= good    # CX107: goal `alignment` fails, as expected
        expect: fails

Fix: nothing to fix; this is what the map is for.
""",
        subject=("goal",),
    ),
    Rule(
        "CX201", "unused-claim", _I,
        "Claim declared but never used (in no reduction, goal or objection).",
        {"": "claim `{claim}` is declared but never used"},
        """\
The claim appears in no reduction, goal or objection, so it takes no part in
the argument.

Example:

    claim aside: "an interesting but unused point"    # CX201

Fix: use it in a reduction or goal, or remove it.
""",
        subject=("claim",),
    ),
    Rule(
        "CX202", "claim-without-source", _I, "Claim without `source`.",
        {"": "claim `{claim}` has no `source`"},
        """\
A claim says nothing about where it comes from. A source (a URL or a
citation) lets a reader check the premise the argument leans on.

Example:

    claim interp: "interpretability succeeds"    # CX202

Fix:

    claim interp: "interpretability succeeds"
        source: "https://example.org/paper"
""",
        subject=("claim",),
    ),
    Rule(
        "CX203", "reduction-without-because", _I, "Reduction without `because`.",
        {"": "reduction `{reduction}` has no `because`"},
        """\
A reduction does not say why its premises suffice for its conclusion (the
warrant). The warrant is where an argument is usually weakest.

Example:

    claim alignment: "aligned"
    claim interp: "interpretability succeeds"
    alignment reduces to interp    # CX203

Fix:

    alignment reduces to interp
        because: "a model we can read, we can correct"
""",
        subject=("reduction",),
    ),
    Rule(
        "CX204", "unused-suppression", _I,
        "An inline `# cruxmap: ignore[...]` names no such code, or suppresses nothing on its statement.",
        {
            "": "`# cruxmap: ignore[{ignored}]` suppresses nothing on this statement",
            "unknown": "`# cruxmap: ignore[{ignored}]` names no such code",
            "bare": "`# cruxmap: ignore` suppresses nothing on this statement",
        },
        """Like ruff's RUF100: a suppression that names a code cruxmap does not have (a
typo keeps the finding it meant to silence), or one that no longer silences
anything (the argument changed, the finding went away) is dead weight that
hides the next real finding. Unused suppressions are looked for in the root
file of each map checked, and only for codes that ran (not deselected with
`select`/`ignore`) in a map that could be analysed. A suppression in a file
that other maps import may serve those maps: check them as roots too.

Example:

    claim interp: "interpretability succeeds"  # cruxmap: ignore[CX110]

Fix: correct the code, or delete the comment (`# cruxmap: ignore[CX204]` on
the statement keeps it on purpose).
""",
        subject=("ignored",),
    ),
    Rule(
        "CX205", "leaf-without-assume", _I,
        "A leaf (a claim no reduction concludes) has no `assume`, so it is taken at the top level.",
        {"": "leaf `{claim}` has no `assume`: taken as {top}"},
        """A claim that no reduction concludes is worth its `assume`, and without one
it is taken at the top of the scale: the argument silently grants it
perfectly. Say how far it is achieved, so that the analysis of scaling down
starts from a level someone chose. Reported for leaves that a reduction uses
as a premise or a goal names.

Example:

    claim alignment: "aligned"
    claim interp: "interpretability succeeds"    # CX205: taken as perfect
    alignment reduces to interp >= good

Fix:

    claim interp: "interpretability succeeds"
        assume: great
""",
        subject=("claim",),
    ),
    Rule(
        "CX206", "mixed-script-identifier", _W,
        "An identifier mixes scripts in a way that can spoof another name.",
        {"": "identifier `{name}` mixes scripts ({scripts}): it can look like another name"},
        """\
An identifier that mixes letters of different scripts, such as Latin and
Cyrillic (`s\u0430fety` with a Cyrillic `\u0430`), can look exactly like another
identifier while being a different name: a reader sees one claim where
there are two. Identifiers follow UAX #31 (NFKC-normalised; invisible and
default-ignorable characters are a syntax error, CX001); this warning is
the mixed-script check Rust and Python tooling do for the rest.

Example:

    claim safety: "the system is safe"
    claim s\u0430fety: "the system is secure"    # CX206: Latin; Cyrillic U+0430

Fix: write the identifier in one script.
""",
        subject=("name",),
    ),
]  # fmt: skip

RULES: dict[str, Rule] = {r.code: r for r in _RULE_LIST}
#: Codes after which values would be meaningless, so analysis is skipped.
BLOCKING: frozenset[str] = frozenset(c for c, r in RULES.items() if r.blocking)
#: Codes that mean the input could not be read or parsed (exit status 2).
INPUT_ERRORS: frozenset[str] = frozenset(c for c, r in RULES.items() if r.exit_class == EXIT_INPUT)


#: An ignore comment (``# cruxmap: ignore`` or ``# cruxmap: ignore[CODE,...]``)
#: at the end of a line: the one pattern lint and the language server read.
IGNORE_COMMENT = re.compile(r"#\s*cruxmap:\s*ignore(?:\[([^\]]*)\])?\s*$")


@dataclass(frozen=True, slots=True)
class Replacement:
    """A fix a finding carries: put ``new_text`` in place of the range
    (1-based, code points, end exclusive, as :class:`Diagnostic`), so an
    editor offers it without reading the help text. Not in the JSON or
    SARIF reports."""

    path: str
    line: int
    column: int
    end_line: int | None
    end_column: int | None
    new_text: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, located at a range of a file.

    ``line``/``column`` start the range; ``end_line``/``end_column`` end it
    (exclusive; ``None`` when only the start is known, such as a file that
    could not be read). Columns count code points from 1.
    """

    code: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    suggestion: str | None = None
    #: Source line shown under a syntax error, with a caret at ``column``.
    excerpt: str | None = None
    end_line: int | None = None
    end_column: int | None = None
    #: Which of the rule's message forms (``""`` the main one).
    form: str = ""
    #: The template arguments, in the template's order.
    args: tuple[tuple[str, str], ...] = ()
    #: The IDs the finding is about (claims, goals, objections...).
    subject: tuple[str, ...] = field(default=())
    #: Every goal a finding reported once for many goals concerns (CX101),
    #: in reading order; its message names only the first few.
    goals: tuple[str, ...] = ()
    #: The fix, when the finding has one (a misspelt name's likely spelling).
    fix: Replacement | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str, str, tuple[str, ...]]:
        """Order and identity: two maps of a run that share a file report a
        finding there once when it says the same thing, down to goals its
        message only counts."""
        return (self.path, self.line, self.column, self.code, self.message, self.goals)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def arguments(self) -> dict[str, str]:
        return dict(self.args)

    def to_json(self) -> dict[str, Any]:
        """The diagnostic as the JSON report writes it: optional keys only
        when set, display text made safe with :func:`escape`."""
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
        }
        if self.end_line is not None:
            out["end_line"] = self.end_line
            out["end_column"] = self.end_column
        out["message"] = escape(self.message)
        if self.suggestion is not None:
            out["suggestion"] = escape(self.suggestion)
        if self.excerpt is not None:
            out["excerpt"] = escape(self.excerpt)
        if self.subject:
            out["subject"] = list(self.subject)
        if self.goals:
            out["goals"] = list(self.goals)
        return out


def make(
    code: str,
    path: str,
    line: int,
    column: int,
    message: str | None = None,
    *,
    suggestion: str | None = None,
    excerpt: str | None = None,
    end_line: int | None = None,
    end_column: int | None = None,
    form: str = "",
    subject: tuple[str, ...] | None = None,
    goals: tuple[str, ...] = (),
    **args: object,
) -> Diagnostic:
    """Build a diagnostic from its rule: the severity the code declares, the
    message from the rule's template ``form`` filled with ``args``.

    ``message`` given instead of ``args`` is the rule's ``{detail}`` (the
    syntax and file errors, whose text says what was found). ``subject``
    defaults to the arguments the rule lists as IDs; ``goals``: every goal
    the finding concerns, when it is reported once for several.
    """
    rule = RULES[code]
    if message is not None:
        if not args and "detail" in rule.arguments(form):
            args = {"detail": message}
    else:
        message = rule.messages[form].format(**args)
    pairs = tuple((k, str(v)) for k, v in args.items())
    if subject is None:
        subject = tuple(str(args[k]) for k in rule.subject if k in args)
    line, column = max(1, line), max(1, column)
    if end_line is not None and end_column is not None:
        if (end_line, end_column) <= (line, column):
            end_line, end_column = line, column + 1
    else:
        end_line = end_column = None
    return Diagnostic(
        code, rule.severity, path, line, column, message, suggestion, excerpt,
        end_line, end_column, form, pairs, subject, goals,
    )  # fmt: skip


def at(
    code: str,
    loc: Loc,
    message: str | None = None,
    *,
    suggestion: str | None = None,
    excerpt: str | None = None,
    form: str = "",
    subject: tuple[str, ...] | None = None,
    goals: tuple[str, ...] = (),
    fix: str | None = None,
    **args: object,
) -> Diagnostic:
    """:func:`make` at a model position, its range included; ``fix``: the
    text that replaces what the finding points at (its range), if any."""
    d = make(
        code, loc.path, loc.line, loc.column, message,
        suggestion=suggestion, excerpt=excerpt,
        end_line=loc.end_line or None, end_column=loc.end_column or None,
        form=form, subject=subject, goals=goals, **args,
    )  # fmt: skip
    if fix is None:
        return d
    rep = Replacement(d.path, d.line, d.column, d.end_line, d.end_column, fix)
    return replace(d, fix=rep)


def rules_table() -> str:
    """The rules as the Markdown table in docs/language.md (a test keeps the
    two identical)."""
    rows = [
        "| code | name | severity | stops analysis | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in RULES.values():
        stops = "yes" if r.blocking else "no"
        rows.append(f"| {r.code} | `{r.name}` | {r.severity.value} | {stops} | {r.description} |")
    return "\n".join(rows) + "\n"


def find_rule(key: str) -> Rule:
    """A rule by code (any case) or by name; ValueError saying what exists."""
    wanted = key.strip()
    if wanted.upper() in RULES:
        return RULES[wanted.upper()]
    for rule in RULES.values():
        if rule.name == wanted.lower():
            return rule
    guess = did_you_mean(wanted.upper(), set(RULES)) or did_you_mean(
        wanted.lower(), {r.name for r in RULES.values()}
    )
    hint = f" (did you mean {guess}?)" if guess else " (`cruxmap rules` lists them)"
    shown = wanted.encode("ascii", "backslashreplace").decode("ascii")
    raise ValueError(f"unknown rule {shown!r}{hint}")


def explain(rule: Rule) -> str:
    """The long form of a rule, as ``cruxmap rules CODE`` prints it."""
    if rule.blocking:
        stops = "yes: a map with this error is not analysed, and it cannot be suppressed"
    else:
        stops = (
            f"no; suppress it on a statement with `# cruxmap: ignore[{rule.code}]`, "
            f'or project-wide with `ignore = ["{rule.code}"]` under [tool.cruxmap]'
        )
    exit_text = {
        EXIT_INPUT: "2 (the input could not be read or parsed)",
        EXIT_FINDINGS: "1 when at or above `fail-on`",
    }[rule.exit_class]
    forms = "\n".join(f"    {t}" for t in rule.messages.values())
    return (
        f"{rule.code} {rule.name} ({rule.severity.value})\n\n{rule.description}\n\n"
        f"{rule.help.rstrip()}\n\nMessage:\n{forms}\n"
        f"Stops the analysis: {stops}.\nExit status: {exit_text}.\n"
    )


def did_you_mean(name: str, candidates: list[str] | set[str]) -> str | None:
    """The closest existing name, for CX002/CX004 suggestions."""
    import difflib

    best = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    if best:
        return best[0]
    lowered = {c.lower(): c for c in candidates}
    return lowered.get(name.lower())
