"""Each editor feature, from indexes and analyses to protocol objects.

Kept apart from the pygls wiring (:mod:`cruxmap.lsp.server`) so that the
logic reads as plain functions of the text; every position crossing to or
from the client goes through :func:`to_client` / :func:`from_client` in the
negotiated encoding (UTF-16 unless the client offers another).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from cruxmap.core.diagnostics import IGNORE_COMMENT, Diagnostic, Severity
from cruxmap.core.loader import BLOCKING
from cruxmap.core.model import DEFAULT_SCALE, Claim, Goal, Import, Objection, Reduction, Scale
from cruxmap.core.quickparse import CHOICES
from cruxmap.lsp import index as ix
from cruxmap.lsp import markdown as md
from cruxmap.lsp.index import (
    CLAIM,
    LEVEL,
    OBJECTION,
    REDUCTION,
    TARGET,
    FileIndex,
    Occurrence,
    Refused,
)

if TYPE_CHECKING:
    from cruxmap.lsp.analysis import Analyses, MapAnalysis
    from cruxmap.lsp.project import Project

#: A completion list longer than this is cut to the names that start with
#: what was typed, and marked incomplete so the client asks again.
MAX_COMPLETIONS = 200
#: The command behind the "explain this goal" code action (run by the server).
EXPLAIN_COMMAND = "cruxmap.explainGoal"
#: Inlay hints are set off from the text by single guillemets.
OPEN, CLOSE = "\u2039", "\u203a"
_GENERATED = re.compile(r"[\w-]+#\d+")


# --------------------------------------------------------------------------- positions


def units(text: str, encoding: str) -> int:
    """Length of ``text`` in the client's code units."""
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def to_client(lines: list[str], line: int, col: int, encoding: str) -> lsp.Position:
    text = lines[line] if 0 <= line < len(lines) else ""
    return lsp.Position(line=line, character=units(text[:col], encoding))


def from_client(lines: list[str], pos: lsp.Position, encoding: str) -> tuple[int, int]:
    """(line, code-point column) of a client position, clamped to the text."""
    line = min(max(pos.line, 0), max(len(lines) - 1, 0))
    text = lines[line] if lines else ""
    if encoding == "utf-32":
        return line, min(max(pos.character, 0), len(text))
    count = 0
    for i, ch in enumerate(text):
        if count >= pos.character:
            return line, i
        count += units(ch, encoding)
    return line, len(text)


def span(lines: list[str], line: int, col: int, end: int, encoding: str) -> lsp.Range:
    return lsp.Range(
        start=to_client(lines, line, col, encoding), end=to_client(lines, line, end, encoding)
    )


def uri(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Features:
    def __init__(self, project: Project, analyses: Analyses) -> None:
        self.project = project
        self.analyses = analyses
        #: Until when the request being answered may parse files of the map
        #: that are not indexed yet (set per request by the server; None on
        #: the analysis thread, which indexes all of them).
        self.deadline: float | None = None
        #: The map's indexes, found once per request.
        self._memo: dict[Path, list[FileIndex]] = {}

    def begin(self, deadline: float | None) -> None:
        """A request starts (the event loop answers one at a time)."""
        self.deadline = deadline
        self._memo = {}

    # -- helpers --------------------------------------------------------------

    def _index(self, path: Path) -> FileIndex:
        idx = self.project.index(path)
        if idx is None:
            raise Refused(f"cannot read {path.name}")
        return idx

    def _map_indexes(self, path: Path) -> list[FileIndex]:
        found = self._memo.get(path)
        if found is None:
            found = self.project.map_indexes(path, self.deadline)
            if self.deadline is not None:
                self._memo[path] = found
        return found

    def levels(self, path: Path) -> list[str]:
        """The scale of the maps ``path`` belongs to (declared or default)."""
        for idx in self._map_indexes(path):
            if idx.scale is not None:
                return list(idx.scale.levels)
        return list(DEFAULT_SCALE)

    def _definition(
        self, path: Path, name: str, kind: str | None
    ) -> tuple[FileIndex, str, Occurrence] | None:
        for idx in self._map_indexes(path):
            found = idx.definitions.get(name)
            if found is not None and (kind in (None, TARGET) or found[0] == kind):
                return idx, found[0], found[1]
        return None

    # -- diagnostics ------------------------------------------------------------

    def to_lsp_diagnostics(
        self, path: Path, diags: list[Diagnostic], encoding: str
    ) -> list[lsp.Diagnostic]:
        try:
            idx = self.project.latest(path)
        except Exception:
            idx = None
        lines = idx.lines if idx is not None else []
        out = []
        for d in diags:
            line = max(d.line - 1, 0)
            col = max(d.column - 1, 0)
            end_line = getattr(d, "end_line", None)
            end_col = getattr(d, "end_column", None)
            if end_line and end_col:
                end_range = to_client(lines, end_line - 1, end_col - 1, encoding)
            else:
                end_range = to_client(lines, line, col + _token_length(lines, line, col), encoding)
            severity = {
                Severity.ERROR: lsp.DiagnosticSeverity.Error,
                Severity.WARNING: lsp.DiagnosticSeverity.Warning,
                Severity.INFO: lsp.DiagnosticSeverity.Information,
            }[Severity(d.severity)]
            message = d.message + (f"\nhelp: {d.suggestion}" if d.suggestion else "")
            data: dict[str, str] = {"code": d.code}
            # The finding's own fix (a misspelt name's likely spelling), over
            # the diagnostic's range: the code action offers it.
            fix = getattr(d, "fix", None)
            if fix is not None:
                data["replacement"] = fix.new_text
            out.append(
                lsp.Diagnostic(
                    range=lsp.Range(start=to_client(lines, line, col, encoding), end=end_range),
                    severity=severity,
                    code=d.code,
                    source="cruxmap",
                    message=message,
                    tags=[lsp.DiagnosticTag.Unnecessary] if d.code == "CX201" else None,
                    data=data,
                )
            )
        return out

    # -- outline, folding, tokens ------------------------------------------------------

    def symbols(self, path: Path, encoding: str) -> list[lsp.DocumentSymbol]:
        idx = self._index(path)
        lines = idx.lines
        out = []
        for sp in idx.spans:
            st = sp.statement
            head = to_client(lines, sp.start, 0, encoding)
            last = lines[sp.end] if sp.end < len(lines) else ""
            whole = lsp.Range(start=head, end=to_client(lines, sp.end, len(last), encoding))
            name_loc = st.loc
            detail = None
            kind = lsp.SymbolKind.Variable
            children: list[lsp.DocumentSymbol] | None = None
            if isinstance(st, Claim):
                name_loc = st.attr_locs.get("id", st.loc)
                detail = _one_line(st.text)
            elif isinstance(st, Reduction):
                kind = lsp.SymbolKind.Function
                name_loc = st.attr_locs.get("id", st.conclusion_loc)
                detail = "reduces to " + ", ".join(p.claim for p in st.premises)
            elif isinstance(st, Goal):
                kind = lsp.SymbolKind.Event
                name_loc = st.claim_loc
                detail = f"goal >= {st.required}"
            elif isinstance(st, Objection):
                kind = lsp.SymbolKind.Interface
                name_loc = st.attr_locs.get("id", st.loc)
                detail = (
                    f"against {st.against}: {_one_line(st.text)}"
                    if st.against
                    else _one_line(st.text)
                )
            elif isinstance(st, Scale):
                kind = lsp.SymbolKind.Enum
                children = []
                for level, loc in zip(st.levels, st.level_locs, strict=False):
                    # A level's symbol is its name: one range serves as both.
                    where = span(
                        lines, loc.line - 1, loc.column - 1, loc.column - 1 + len(level), encoding
                    )
                    children.append(
                        lsp.DocumentSymbol(
                            name=level,
                            kind=lsp.SymbolKind.EnumMember,
                            range=where,
                            selection_range=where,
                        )
                    )
            elif isinstance(st, Import):
                kind = lsp.SymbolKind.Module
            name_len = (
                len(sp.name)
                if isinstance(st, Claim | Objection | Goal)
                or (isinstance(st, Reduction) and st.explicit_id)
                else 0
            )
            sel = span(
                lines,
                name_loc.line - 1,
                name_loc.column - 1,
                name_loc.column - 1 + name_len,
                encoding,
            )
            if isinstance(st, Reduction) and not st.explicit_id:
                sel = span(
                    lines,
                    name_loc.line - 1,
                    name_loc.column - 1,
                    name_loc.column - 1 + len(st.conclusion),
                    encoding,
                )
            out.append(
                lsp.DocumentSymbol(
                    name=("goal " + sp.name) if sp.kind == "goal" else sp.name or sp.kind,
                    kind=kind,
                    range=whole,
                    selection_range=sel,
                    detail=detail,
                    children=children,
                )
            )
        return out

    def folding(self, path: Path) -> list[lsp.FoldingRange]:
        idx = self._index(path)
        out = [
            lsp.FoldingRange(start_line=sp.start, end_line=sp.end, kind=lsp.FoldingRangeKind.Region)
            for sp in idx.spans
            if sp.end > sp.start
        ]
        run: list[int] = []
        for c in idx.document.comments:
            if not c.own_line:
                continue
            if run and c.line - 1 == run[-1] + 1:
                run.append(c.line - 1)
                continue
            if len(run) > 1:
                out.append(
                    lsp.FoldingRange(
                        start_line=run[0], end_line=run[-1], kind=lsp.FoldingRangeKind.Comment
                    )
                )
            run = [c.line - 1]
        if len(run) > 1:
            out.append(
                lsp.FoldingRange(
                    start_line=run[0], end_line=run[-1], kind=lsp.FoldingRangeKind.Comment
                )
            )
        return out

    def semantic_tokens(self, path: Path, encoding: str, legend: list[str]) -> list[int]:
        idx = self._index(path)
        kinds = {
            name: kind
            for other in self._map_indexes(path)
            for name, (kind, _, _) in other.definitions.items()
        }
        type_of = {t: i for i, t in enumerate(legend)}
        by_kind = {
            CLAIM: "variable",
            REDUCTION: "function",
            OBJECTION: "event",
            LEVEL: "enumMember",
        }
        data: list[int] = []
        prev_line = prev_col = 0
        lines = idx.lines

        def emit(line: int, col: int, length: int, token: str, mods: int = 0) -> None:
            nonlocal prev_line, prev_col
            text = lines[line]
            start = units(text[:col], encoding)
            size = units(text[col : col + length], encoding)
            if size <= 0:
                return
            data.extend(
                [
                    line - prev_line,
                    start - prev_col if line == prev_line else start,
                    size,
                    type_of[token],
                    mods,
                ]
            )
            prev_line, prev_col = line, start

        text = idx.text
        line, line_start = 0, 0
        for m in ix.TOKEN.finditer(text):
            pos = m.start()
            while True:
                nl = text.find("\n", line_start, pos)
                if nl < 0:
                    break
                line += 1
                line_start = nl + 1
            col = pos - line_start
            group = m.lastgroup
            value = m.group()
            if group == "string":
                parts = value.split("\n")
                for k, part in enumerate(parts):
                    emit(line + k, col if k == 0 else 0, len(part), "string")
                if len(parts) > 1:
                    line += len(parts) - 1
                    line_start = m.end() - len(parts[-1])
                continue
            if group == "comment":
                emit(line, col, len(value), "comment")
            elif group == "op":
                emit(line, col, len(value), "operator")
            elif group == "ident":
                occ = idx.at(line, col)
                if occ is not None and occ.col == col:
                    kind = kinds.get(occ.name, CLAIM) if occ.kind == TARGET else occ.kind
                    emit(line, col, len(value), by_kind.get(kind, "variable"), 1 if occ.decl else 0)
                elif ix.is_keyword(value) and (col == 0 or value in ("reduces", "to", "and")):
                    emit(line, col, len(value), "keyword")
                elif (
                    col > 0
                    and not lines[line][:col].strip()
                    and lines[line][col + len(value) :].lstrip().startswith(":")
                ):
                    emit(line, col, len(value), "property")
        return data

    # -- names -------------------------------------------------------------------

    def _occurrence(
        self, path: Path, pos: lsp.Position, encoding: str
    ) -> tuple[FileIndex, Occurrence | None, int, int]:
        idx = self._index(path)
        line, col = from_client(idx.lines, pos, encoding)
        return idx, idx.at(line, col), line, col

    def _target(
        self, path: Path, occ: Occurrence
    ) -> tuple[str, tuple[FileIndex, str, Occurrence] | None]:
        """(kind, definition) of what an occurrence names."""
        if occ.kind == LEVEL:
            for idx in self._map_indexes(path):
                if idx.scale is not None:
                    for o in idx.occurrences:
                        if o.decl and o.kind == LEVEL and o.name == occ.name:
                            return LEVEL, (idx, LEVEL, o)
                    break
            return LEVEL, None
        found = self._definition(path, occ.name, occ.kind)
        if found is None:
            return (occ.kind if occ.kind != TARGET else CLAIM), None
        return found[1], found

    def definition(self, path: Path, pos: lsp.Position, encoding: str) -> list[lsp.Location]:
        _idx, occ, _line, _col = self._occurrence(path, pos, encoding)
        if occ is None:
            return []
        _kind, found = self._target(path, occ)
        if found is None:
            return []
        didx, _, o = found
        return [
            lsp.Location(uri=uri(didx.path), range=span(didx.lines, o.line, o.col, o.end, encoding))
        ]

    def _all_occurrences(self, path: Path, occ: Occurrence) -> list[tuple[FileIndex, Occurrence]]:
        kind, _found = self._target(path, occ)
        hits = []
        for idx in self._map_indexes(path):
            for o in idx.occurrences:
                if o.name == occ.name and (o.kind == kind if kind == LEVEL else o.matches(kind)):
                    hits.append((idx, o))
        return hits

    def references(
        self, path: Path, pos: lsp.Position, encoding: str, include_declaration: bool
    ) -> list[lsp.Location]:
        _idx, occ, _l, _c = self._occurrence(path, pos, encoding)
        if occ is None:
            return []
        return [
            lsp.Location(uri=uri(idx.path), range=span(idx.lines, o.line, o.col, o.end, encoding))
            for idx, o in self._all_occurrences(path, occ)
            if include_declaration or not o.decl
        ]

    def prepare_rename(
        self, path: Path, pos: lsp.Position, encoding: str
    ) -> lsp.PrepareRenameResult:
        idx, occ, line, col = self._occurrence(path, pos, encoding)
        text = idx.lines[line] if line < len(idx.lines) else ""
        for m in _GENERATED.finditer(text):
            if m.start() <= col <= m.end():
                raise Refused(
                    f"`{m.group()}` is a generated reduction ID: name the reduction (`reduction NAME: ...`) to refer to it"
                )
        if occ is None:
            word = ix.word_at(text, col)
            if word is not None and ix.is_keyword(word[0]):
                raise Refused(f"`{word[0]}` is a keyword of the language and cannot be renamed")
            raise Refused(
                "nothing to rename here: place the cursor on a claim, reduction, objection or level"
            )
        if occ.kind == LEVEL and self._target(path, occ)[1] is None:
            raise Refused(
                f"`{occ.name}` is a level of the default scale: declare a `scale:` to rename levels"
            )
        return lsp.PrepareRenamePlaceholder(
            range=span(idx.lines, occ.line, occ.col, occ.end, encoding), placeholder=occ.name
        )

    def rename(
        self, path: Path, pos: lsp.Position, new_name: str, encoding: str
    ) -> lsp.WorkspaceEdit:
        self.prepare_rename(path, pos, encoding)
        _idx, occ, _l, _c = self._occurrence(path, pos, encoding)
        assert occ is not None
        if not ix.IDENT.fullmatch(new_name) or ix.is_keyword(new_name):
            raise Refused(
                f"`{new_name[:80]}` is not a valid name: a letter or `_`, then letters, digits, `_` or `-`; not a keyword"
            )
        if new_name == occ.name:
            return lsp.WorkspaceEdit(changes={})
        kind, _found = self._target(path, occ)
        if kind == LEVEL:
            if new_name in self.levels(path):
                raise Refused(f"the scale already has a level `{new_name}`")
        elif self._definition(path, new_name, None) is not None:
            raise Refused(f"`{new_name}` is already declared in this map")
        changes: dict[str, list[lsp.TextEdit]] = {}
        for idx, o in self._all_occurrences(path, occ):
            changes.setdefault(uri(idx.path), []).append(
                lsp.TextEdit(
                    range=span(idx.lines, o.line, o.col, o.end, encoding), new_text=new_name
                )
            )
        return lsp.WorkspaceEdit(changes=changes)

    # -- completion --------------------------------------------------------------

    def completion(
        self, path: Path, lines: list[str], pos: lsp.Position, encoding: str
    ) -> lsp.CompletionList:
        line, col = from_client(lines, pos, encoding)
        text = lines[line] if line < len(lines) else ""
        prefix = text[:col]
        typed_m = re.search(r"[\w-]*$", prefix)
        typed = typed_m.group() if typed_m else ""
        want = _expected(prefix, lines, line)
        items: list[lsp.CompletionItem] = []
        if not want:
            return lsp.CompletionList(is_incomplete=False, items=[])
        if "level" in want:
            levels = self.levels(path)
            for i, level in enumerate(levels):
                items.append(
                    lsp.CompletionItem(
                        label=level,
                        kind=lsp.CompletionItemKind.EnumMember,
                        detail=f"level {i + 1} of {len(levels)}",
                        sort_text=f"{i:04d}",
                    )
                )
        if "keyword" in want:
            for word, snippet in _STATEMENT_KEYWORDS:
                items.append(
                    lsp.CompletionItem(
                        label=word, kind=lsp.CompletionItemKind.Keyword, detail=snippet
                    )
                )
        for key, values in CHOICES.items():
            if f"choice:{key}" in want:
                for i, value in enumerate(values):
                    items.append(
                        lsp.CompletionItem(
                            label=value,
                            kind=lsp.CompletionItemKind.EnumMember,
                            sort_text=f"{i:04d}",
                            detail=_CHOICE_HELP[key][value][0],
                            documentation=_CHOICE_HELP[key][value][1],
                        )
                    )
        if "reduces" in want:
            items.append(
                lsp.CompletionItem(label="reduces to", kind=lsp.CompletionItemKind.Keyword)
            )
        if "and" in want:
            items.append(lsp.CompletionItem(label="and", kind=lsp.CompletionItemKind.Keyword))
        if "attribute" in want:
            kind = ix.statement_kind_above(lines, line)
            for attr in ix.attributes_for(kind or ""):
                items.append(
                    lsp.CompletionItem(
                        label=attr,
                        kind=lsp.CompletionItemKind.Property,
                        insert_text=f"{attr}: ",
                        detail=f"{kind} attribute",
                    )
                )
        names = [k for k in (CLAIM, REDUCTION, OBJECTION) if k in want]
        incomplete = False
        if names:
            found = []
            lowered = typed.lower()
            for idx in self._map_indexes(path):
                for name, (kind, _o, st) in idx.definitions.items():
                    if kind in names and (not lowered or lowered in name.lower()):
                        found.append((name, kind, st))
            if len(found) > MAX_COMPLETIONS:
                found = [f for f in found if f[0].lower().startswith(lowered)][:MAX_COMPLETIONS]
                incomplete = True
            kinds = {
                CLAIM: lsp.CompletionItemKind.Variable,
                REDUCTION: lsp.CompletionItemKind.Function,
                OBJECTION: lsp.CompletionItemKind.Event,
            }
            for name, kind, st in found:
                detail = _one_line(st.text) if isinstance(st, Claim | Objection) else kind
                items.append(lsp.CompletionItem(label=name, kind=kinds[kind], detail=detail[:120]))
        return lsp.CompletionList(is_incomplete=incomplete, items=items)

    # -- hover -------------------------------------------------------------------

    def hover(
        self, path: Path, lines: list[str], pos: lsp.Position, encoding: str
    ) -> lsp.Hover | None:
        line, col = from_client(lines, pos, encoding)
        text = lines[line] if line < len(lines) else ""
        word = ix.word_at(text, col)
        if word is None:
            return None
        name, start = word
        rng = span(lines, line, start, start + len(name), encoding)
        analysis = self.analyses.primary(path)
        role = _role(text[:start])
        body: str | None = None
        choice = re.match(r"^[ \t]+([\w-]+)\s*:", text)
        if (
            choice
            and choice.group(1) in CHOICES
            and (start < choice.end() or name in CHOICES[choice.group(1)])
        ):
            body = self._hover_choice(path, line, choice.group(1), analysis)
        elif ix.is_keyword(name) and name in ("reduces", "to", "reduction"):
            body = self._hover_reduction(path, line, analysis)
        elif ix.is_keyword(name) and name == "goal":
            st = self._statement_at(path, line)
            if isinstance(st, Goal):
                body = self._hover_claim(path, st.claim, analysis)
        elif role == LEVEL:
            body = self._hover_level(path, name)
        else:
            found = self._definition(path, name, None)
            kind = found[1] if found is not None else None
            if kind == CLAIM or (
                kind is None
                and analysis is not None
                and analysis.result is not None
                and name in analysis.result.claims
            ):
                body = self._hover_claim(path, name, analysis)
                premise = self._premise_note(path, line, start, name, analysis)
                if premise:
                    body += "\n\n" + premise
            elif kind == REDUCTION:
                body = self._hover_reduction(path, None, analysis, rid=name)
            elif kind == OBJECTION:
                body = self._hover_objection(path, name, analysis)
            elif name in self.levels(path) and not ix.is_keyword(name):
                body = self._hover_level(path, name)
        if body is None:
            return None
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=body), range=rng
        )

    def _hover_choice(
        self, path: Path, line: int, key: str, analysis: MapAnalysis | None
    ) -> str | None:
        """What an ``expect:`` line means, and whether the goal is as expected."""
        st = self._statement_at(path, line)
        if key != "expect" or not isinstance(st, Goal):
            return None
        parts = [f"**expect** {md.code(st.expected)}: {_CHOICE_HELP[key][st.expected][1]}"]
        if analysis is not None and analysis.result is not None and analysis.result.analysed:
            goal = analysis.result.goals.get(st.claim)
            if goal is not None:
                parts.append(
                    f"goal {md.code(st.claim)} >= {md.code(goal.required)}: **{goal.verdict}** "
                    f"at {md.code(goal.value)} (with the standing objections: "
                    f"{goal.with_objections.status} at {md.code(goal.with_objections.level)})"
                )
        else:
            parts.append(self._status_line(analysis) or "")
        return "\n\n".join(p for p in parts if p)

    def _statement_at(self, path: Path, line: int) -> object | None:
        idx = self.project.latest(path)
        if idx is None:
            return None
        sp = idx.span_at(line)
        return sp.statement if sp is not None else None

    def _status_line(self, analysis: MapAnalysis | None) -> str | None:
        if analysis is None:
            return "_not analysed yet_"
        if analysis.result is None or not analysis.result.analysed:
            why = analysis.problem or "fix the errors in the map first"
            return f"_not analysed: {md.escape(why)}_"
        return None

    def _hover_claim(self, path: Path, name: str, analysis: MapAnalysis | None) -> str:
        found = self._definition(path, name, CLAIM)
        parts = [f"**claim** {md.code(name)}"]
        st: object | None = None
        if found is not None:
            didx = found[0]
            sp = didx.span_at(found[2].line)
            st = sp.statement if sp is not None else None
        if isinstance(st, Claim):
            parts[0] += f": {md.escape(st.text)}"
            if st.source:
                parts.append(f"source: {md.link_or_text(st.source)}")
            if st.assume:
                parts.append(f"assumed: {md.code(st.assume)}")
        else:
            parts.append("_not declared in this map_")
        status = self._status_line(analysis)
        if status is not None:
            parts.append(status)
            return "\n\n".join(parts)
        assert analysis is not None and analysis.result is not None
        res = analysis.result
        claim = res.claims.get(name)
        if claim is not None:
            value = f"value: {md.code(claim.value)}"
            if claim.baseline != claim.value:
                value += f" (baseline {md.code(claim.baseline)})"
            value += " (leaf)" if claim.leaf else ""
            parts.append(value)
        rows = []
        for gname, goal in res.goals.items():
            if gname == name:
                rows.append(f"- goal {md.code(gname)} >= {md.code(goal.required)}: **{goal.verdict}** at {md.code(goal.value)}"
                            + (f", uniform margin {_margin(goal.uniform_margin)}" if goal.holds else ""))  # fmt: skip
                continue
            premise = (goal.premises or {}).get(name)
            if premise is None:
                continue
            brk = md.code(premise.breaks_at) if premise.breaks_at else "never"
            rows.append(
                f"- goal {md.code(gname)} ({goal.status}): margin {_margin(premise.margin)}, breaks at {brk}"
                + (" — **brittle**" if premise.brittle else "")
            )
        if rows:
            parts.append("\n".join(rows))
        return "\n\n".join(parts)

    def _premise_note(
        self, path: Path, line: int, col: int, name: str, analysis: MapAnalysis | None
    ) -> str | None:
        st = self._statement_at(path, line)
        if (
            not isinstance(st, Reduction)
            or analysis is None
            or analysis.result is None
            or not analysis.result.analysed
        ):
            return None
        levels = analysis.result.scale
        for p in st.premises:
            if p.claim == name and p.loc.line - 1 == line and p.loc.column - 1 == col:
                need = p.threshold or levels[-1]
                have = (
                    analysis.result.claims[name].value if name in analysis.result.claims else None
                )
                if have is None or need not in levels:
                    return None
                met = levels.index(have) >= levels.index(need)
                return f"in this reduction: needs >= {md.code(need)}, has {md.code(have)}: " + (
                    "met" if met else "**not met**"
                )
        return None

    def _hover_reduction(
        self, path: Path, line: int | None, analysis: MapAnalysis | None, rid: str | None = None
    ) -> str | None:
        st: object | None = None
        if rid is not None:
            found = self._definition(path, rid, REDUCTION)
            if found is not None:
                sp = found[0].span_at(found[2].line)
                st = sp.statement if sp is not None else None
        elif line is not None:
            st = self._statement_at(path, line)
            if isinstance(st, Reduction) and analysis is not None:
                rid = analysis.reductions_at.get((path, st.loc.line)) or (
                    st.id if st.explicit_id else None
                )
        if not isinstance(st, Reduction):
            return None
        premises = ", ".join(
            f"{md.code(p.claim)}" + (f" >= {md.code(p.threshold)}" if p.threshold else "")
            for p in st.premises
        )
        title = f"**reduction** {md.code(rid)}" if rid else "**reduction**"
        parts = [f"{title}: {md.code(st.conclusion)} reduces to {premises}"]
        if st.because:
            parts.append(f"because: {md.escape(st.because)}")
        status = self._status_line(analysis)
        if status is not None:
            parts.append(status)
            return "\n\n".join(parts)
        assert analysis is not None and analysis.result is not None
        res = analysis.result
        levels = res.scale
        blocked = []
        for p in st.premises:
            need = p.threshold or levels[-1]
            have = res.claims[p.claim].value if p.claim in res.claims else None
            if have is None or need not in levels or have not in levels:
                continue
            if levels.index(have) < levels.index(need):
                blocked.append(f"{md.code(p.claim)} is {md.code(have)}, needs {md.code(need)}")
        yields = st.yields or levels[-1]
        if blocked:
            parts.append("**does not work**: " + "; ".join(blocked))
        else:
            parts.append(f"**works**: yields {md.code(yields)}")
        if rid and rid in res.objections:
            parts.append(f"objection status: {res.objections[rid]}")
        return "\n\n".join(parts)

    def _hover_objection(self, path: Path, name: str, analysis: MapAnalysis | None) -> str:
        found = self._definition(path, name, OBJECTION)
        st = None
        if found is not None:
            sp = found[0].span_at(found[2].line)
            st = sp.statement if sp is not None else None
        parts = [f"**objection** {md.code(name)}"]
        if isinstance(st, Objection):
            parts[0] += f": {md.escape(st.text)}"
            if st.against:
                parts.append(
                    f"against {md.code(st.against)}"
                    + (f", caps it at {md.code(st.caps)}" if st.caps else "")
                )
            if st.source:
                parts.append(f"source: {md.link_or_text(st.source)}")
        if analysis is not None and analysis.result is not None and analysis.result.analysed:
            status = analysis.result.objections.get(name)
            if status is not None:
                parts.append(f"status: **{status}**" + (" (stands)" if status == "in" else ""))
        return "\n\n".join(parts)

    def _hover_level(self, path: Path, name: str) -> str | None:
        levels = self.levels(path)
        if name not in levels:
            return f"unknown level {md.code(name)}; the scale is " + " < ".join(
                md.code(x) for x in levels
            )
        i = levels.index(name)
        where = (
            "bottom"
            if i == 0
            else "top"
            if i == len(levels) - 1
            else f"{ordinal(i + 1)} of {len(levels)}"
        )
        scale = " < ".join(f"**{md.code(x)}**" if x == name else md.code(x) for x in levels)
        return f"**level** {md.code(name)}: {where} on the scale\n\n{scale}"

    # -- inlay hints -------------------------------------------------------------

    def inlay_hints(self, path: Path, rng: lsp.Range, encoding: str) -> list[lsp.InlayHint]:
        analysis = self.analyses.primary(path)
        if analysis is None or analysis.result is None or not analysis.result.analysed:
            return []
        res = analysis.result
        idx = self.project.latest(path)
        if idx is None:
            return []
        first, last = rng.start.line, rng.end.line
        hints: list[lsp.InlayHint] = []

        def hint(line: int, col: int, label: str) -> None:
            hints.append(lsp.InlayHint(position=to_client(idx.lines, line, col, encoding), label=label,
                                       padding_left=True, kind=lsp.InlayHintKind.Type))  # fmt: skip

        for sp in idx.spans:
            if sp.end < first or sp.start > last:
                continue
            st = sp.statement
            if isinstance(st, Claim):
                c = res.claims.get(st.id)
                loc = st.attr_locs.get("id")
                if c is not None and loc is not None:
                    hint(loc.line - 1, loc.column - 1 + len(st.id), f"{OPEN}{c.value}{CLOSE}")
            elif isinstance(st, Reduction):
                for p in st.premises:
                    c = res.claims.get(p.claim)
                    if c is None:
                        continue
                    at = p.threshold_loc or p.loc
                    word = p.threshold if p.threshold_loc is not None and p.threshold else p.claim
                    hint(
                        at.line - 1,
                        at.column - 1 + len(word),
                        f"{OPEN}{c.value}{_premise_margin(res, p.claim)}{CLOSE}",
                    )
            elif isinstance(st, Goal):
                g = res.goals.get(st.claim)
                if g is not None:
                    loc = st.required_loc
                    hint(
                        loc.line - 1,
                        loc.column - 1 + len(st.required),
                        f"{OPEN}{g.verdict} at {g.value}{CLOSE}",
                    )
        return hints

    # -- code actions ------------------------------------------------------------

    def code_actions(
        self, path: Path, rng: lsp.Range, context: lsp.CodeActionContext, encoding: str
    ) -> list[lsp.CodeAction | lsp.Command]:
        idx = self._index(path)
        actions: list[lsp.CodeAction | lsp.Command] = []
        doc_uri = uri(path)
        for d in context.diagnostics:
            if d.source not in (None, "cruxmap"):
                continue
            data = d.data if isinstance(d.data, dict) else {}
            code = str(d.code) if d.code is not None else str(data.get("code", ""))
            replacement = data.get("replacement")
            if isinstance(replacement, str) and ix.IDENT.fullmatch(replacement):
                actions.append(lsp.CodeAction(
                    title=f"Change to `{replacement}`", kind=lsp.CodeActionKind.QuickFix, diagnostics=[d], is_preferred=True,
                    edit=lsp.WorkspaceEdit(changes={doc_uri: [lsp.TextEdit(range=d.range, new_text=replacement)]}),
                ))  # fmt: skip
            if code and code not in BLOCKING and re.fullmatch(r"CX\d{3}", code):
                edit = self._ignore_edit(idx, d.range.start.line, code, encoding)
                if edit is not None:
                    actions.append(lsp.CodeAction(
                        title=f"Ignore {code} on this statement (say why)", kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[d], edit=lsp.WorkspaceEdit(changes={doc_uri: edit}),
                    ))  # fmt: skip
        first, last = rng.start.line, rng.end.line
        for sp in idx.spans:
            if sp.end < first or sp.start > last:
                continue
            st = sp.statement
            if isinstance(st, Goal):
                # A bare Command (valid in a code action list): it runs on the server.
                title = f"Explain goal `{st.claim}`"
                actions.append(
                    lsp.Command(title=title, command=EXPLAIN_COMMAND, arguments=[doc_uri, st.claim])
                )
            if isinstance(st, Claim) and st.source is None:
                at = lsp.Position(line=sp.end + 1, character=0)
                if sp.end + 1 >= len(idx.lines):
                    at = to_client(idx.lines, sp.end, len(idx.lines[sp.end]), encoding)
                    new_text = '\n    source: ""'
                else:
                    new_text = '    source: ""\n'
                actions.append(lsp.CodeAction(
                    title=f"Add `source:` to `{st.id}`", kind=lsp.CodeActionKind.QuickFix,
                    edit=lsp.WorkspaceEdit(changes={doc_uri: [lsp.TextEdit(range=lsp.Range(start=at, end=at), new_text=new_text)]}),
                ))  # fmt: skip
        return actions

    def _ignore_edit(
        self, idx: FileIndex, line: int, code: str, encoding: str
    ) -> list[lsp.TextEdit] | None:
        sp = idx.span_at(line)
        if sp is None:
            return None
        last = idx.lines[sp.end]
        m = IGNORE_COMMENT.search(last)
        if m and m.group(1) is not None:  # a bare ignore gets a bracketed one after it
            codes = [c.strip() for c in m.group(1).split(",") if c.strip()]
            if code in codes:
                return None
            new = f"# cruxmap: ignore[{', '.join([*codes, code])}]"
            end_edit = lsp.TextEdit(
                range=span(idx.lines, sp.end, m.start(), len(last), encoding), new_text=new
            )
        else:
            at = to_client(idx.lines, sp.end, len(last), encoding)
            end_edit = lsp.TextEdit(
                range=lsp.Range(start=at, end=at), new_text=f"  # cruxmap: ignore[{code}]"
            )
        top = lsp.Position(line=sp.start, character=0)
        reason = lsp.TextEdit(
            range=lsp.Range(start=top, end=top), new_text=f"# {code} ignored here because REASON\n"
        )
        return [reason, end_edit]

    # -- explain -----------------------------------------------------------------

    def explain(self, path: Path, goal: str) -> str:
        """``cruxmap explain PATH GOAL`` on the last analysis of the map
        ``path`` belongs to, as plain text (with repairs of a failing goal
        and slack for brittle premises)."""
        from cruxmap.present import explain as ex

        analysis = self.analyses.primary(path)
        if analysis is None or analysis.result is None or not analysis.result.analysed:
            raise Refused("the map is not analysed (yet): fix its errors first")
        result = analysis.result
        if goal not in result.goals:
            raise Refused(f"no goal `{goal[:80]}` in this map")
        options = result.options
        explainer, explanations = result.explain([goal], repairs=True)
        lines = ex.render_text(explainer, explanations, style=ex.Style(False), depth=options.depth,
                               max_order=options.max_order, show_repairs=True)  # fmt: skip
        return "\n".join(lines)

    # -- formatting --------------------------------------------------------------

    def format(self, path: Path, encoding: str) -> tuple[list[lsp.TextEdit] | None, str | None]:
        from cruxmap.core import formatting

        raw = self.project.open[path][0] if path in self.project.open else None
        idx = self._index(path)
        original = raw if raw is not None else idx.text
        try:
            result = formatting.format_text(idx.text, str(path))
        except formatting.SyntaxProblem as exc:
            first = exc.diagnostics[0]
            return (
                None,
                f"cruxmap: not formatted, the file does not parse (line {first.line}: {first.message})",
            )
        except formatting.InternalError as exc:
            return None, f"cruxmap: not formatted ({exc}); please report this"
        if result == original:
            return [], None
        lines = original.split("\n")
        end = to_client(lines, len(lines) - 1, len(lines[-1]), encoding)
        return [
            lsp.TextEdit(
                range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=result
            )
        ], None


# --------------------------------------------------------------------------- small helpers

_STATEMENT_KEYWORDS = [
    ("claim", 'claim ID: "text"'),
    ("reduction", "reduction ID: CONCLUSION reduces to PREMISE >= LEVEL"),
    ("goal", "goal CLAIM >= LEVEL"),
    ("objection", 'objection ID: "text"'),
    ("scale", "scale: low < ... < high"),
    ("import", 'import "other.crux"'),
]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _margin(value: int | None) -> str:
    return "∞ (holds even at bottom)" if value is None else str(value)


def _premise_margin(res: object, claim: str) -> str:
    """``, margin N`` for a premise: its margin for the goal it serves, or
    the smallest one (with the goal named) when it serves several."""
    found = []
    for gname, goal in res.goals.items():  # type: ignore[attr-defined]
        p = (goal.premises or {}).get(claim)
        if p is not None:
            found.append((gname, p.margin))
    if not found:
        return ""
    margins = {m for _, m in found}
    if len(margins) == 1:
        m = found[0][1]
        return f", margin {'∞' if m is None else m}"
    gname, m = min(found, key=lambda f: (f[1] is None, f[1] or 0))
    return f", margin {'∞' if m is None else m} for {gname}"


#: Per choice attribute and value: (completion detail, what it means).
_CHOICE_HELP: dict[str, dict[str, tuple[str, str]]] = {
    "expect": {
        "holds": (
            "the goal is expected to hold (the default)",
            "the map argues for this goal: if it fails, the check fails (CX102). "
            "The same as writing no `expect:` line.",
        ),
        "fails": (
            "a critique: the goal is expected to fail",
            "the map records this argument to show that it fails (a critique). Its "
            "failure, in the scenario analysed or once the standing objections are "
            "applied, is information (CX107) and does not fail the check; if it holds "
            "in both, CX106 says the critique went stale.",
        ),
    },
}


def _role(before: str) -> str | None:
    """Whether the word after ``before`` (its line up to the word) is a level."""
    b = before.rstrip()
    if (
        b.endswith(">=")
        or re.search(r"^\s+(assume|yields|caps)\s*:$", b)
        or re.match(r"^scale\s*:", before)
    ):
        return LEVEL
    return None


def _expected(prefix: str, lines: list[str], line: int) -> set[str]:
    """What may be written at the end of ``prefix`` (a line up to the
    cursor): a set of ``claim``, ``reduction``, ``objection``, ``level``,
    ``keyword``, ``attribute``, ``reduces``, ``and``."""
    if "#" in prefix and not re.search(r'"', prefix):
        return set()
    if prefix.count('"') % 2 == 1:
        return set()
    attr = re.match(r"^[ \t]+([\w-]+)\s*:\s*(.*)$", prefix)
    if attr:
        key, value = attr.group(1), attr.group(2)
        if key in ("assume", "yields", "caps") and re.fullmatch(r"[\w-]*", value):
            return {"level"}
        if key == "against" and re.fullmatch(r"[\w-]*", value):
            return {CLAIM, REDUCTION, OBJECTION}
        if key in CHOICES and re.fullmatch(r"[\w-]*", value):
            return {f"choice:{key}"}
        return set()
    if re.match(r"^[ \t]+[\w-]*$", prefix):
        return {"attribute"}
    if re.search(r">=\s*[\w-]*$", prefix):
        return {"level"}
    if re.match(r"^scale\s*:", prefix):
        return set()
    if re.match(r"^goal\s+[\w-]*$", prefix):
        return {CLAIM}
    if re.match(r"^goal\s+[\w-]+\s+$", prefix):
        return set()
    if re.search(r"\breduces\s+to\s+[\w-]*$", prefix) or re.search(
        r"\breduces\s+to\b.*(?:,|\band)\s*[\w-]*$", prefix
    ):
        return {CLAIM}
    if re.search(r"\breduces\s+to\b.*[\w-]\s+$", prefix):
        return {"and"}
    if re.match(r"^reduction\s+[\w-]+\s*:\s*[\w-]*$", prefix):
        return {CLAIM}
    if re.match(r"^(?:reduction\s+[\w-]+\s*:\s*)?[\w-]+\s+[\w-]*$", prefix) and not re.match(
        r"^(claim|objection|import|goal|scale)\b", prefix
    ):
        first = re.match(r"^(?:reduction\s+[\w-]+\s*:\s*)?([\w-]+)", prefix)
        if first and not ix.is_keyword(first.group(1)):
            return {"reduces"}
        return set()
    if re.match(r"^[\w-]*$", prefix):
        return {"keyword", CLAIM}
    return set()


def _token_length(lines: list[str], line: int, col: int) -> int:
    """Length of the token at a diagnostic's position, for its range when
    the diagnostic carries no end (at least one character)."""
    if not 0 <= line < len(lines):
        return 1
    text = lines[line]
    m = ix.TOKEN.match(text, col)
    if m is not None and m.end() > col:
        return m.end() - col
    return 1 if col < len(text) else 0
