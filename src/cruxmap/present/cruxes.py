"""The premises ranked by how much the goals depend on them (``cruxmap cruxes``).

An ordinal-scale analogue of the importance measures of fault-tree analysis:
a premise that is *brittle* for a goal is one whose slightest weakening flips
the goal (Birnbaum's measure asks how often a component is critical); the
number of minimal cut sets a premise belongs to is the share of the goal's
failure modes it takes part in (Fussell-Vesely). docs/explain.md says what
each column means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cruxmap.core.mapresult import MapResult

#: Columns of the table, in order (documented in docs/explain.md).
COLUMNS = ("rank", "premise", "value", "brittle", "min margin", "spof", "cut sets", "goals")


@dataclass
class Crux:
    map: str
    premise: str
    value: str
    #: Goals for which the premise is brittle (margin 0).
    brittle_for: list[str] = field(default_factory=list)
    #: Goals that fail when the premise alone drops to bottom (finite margin).
    spof_for: list[str] = field(default_factory=list)
    #: Smallest margin over the goals it supports; ``None``: it never breaks a goal alone.
    min_margin: int | None = None
    #: Minimal cut sets (of every holding goal) it belongs to.
    cut_sets: int = 0
    #: Goals in whose cut sets it appears.
    cut_set_goals: list[str] = field(default_factory=list)
    #: Holding goals whose support holds it.
    supports: list[str] = field(default_factory=list)

    @property
    def matters(self) -> bool:
        return bool(self.brittle_for or self.spof_for or self.cut_sets)

    def key(self) -> tuple[Any, ...]:
        return (
            -len(self.brittle_for),
            self.min_margin if self.min_margin is not None else 1 << 30,
            -self.cut_sets,
            -len(self.spof_for),
            self.premise,
            self.map,
        )

    def goals(self) -> list[str]:
        """Goals the premise matters to, most exposed first."""
        out = list(self.brittle_for)
        out += [g for g in self.spof_for if g not in out]
        out += [g for g in self.cut_set_goals if g not in out]
        return out


def rank(results: list[MapResult], *, include_all: bool = False) -> tuple[list[Crux], list[str]]:
    """Rows for every premise of every holding goal, best-ranked first, and
    the failing goals left out (as ``root: goal``)."""
    rows: list[Crux] = []
    failing: list[str] = []
    for res in results:
        g = res.graph
        if not res.analysed or g is None:
            continue
        lv = g.levels
        by_claim: dict[int, Crux] = {}
        for goal in res.goals:
            c = g.index[goal.claim]
            gr = res.results[c]
            if not gr.holds:
                failing.append(f"{res.amap.root}: {goal.claim}")
                continue
            for p, pr in gr.premises.items():
                row = by_claim.get(p)
                if row is None:
                    row = by_claim[p] = Crux(res.amap.root, g.names[p], lv[res.values[p]])
                row.supports.append(goal.claim)
                if pr.margin is not None:
                    if pr.margin == 0:
                        row.brittle_for.append(goal.claim)
                    row.spof_for.append(goal.claim)
                    if row.min_margin is None or pr.margin < row.min_margin:
                        row.min_margin = pr.margin
            for s in gr.cut_sets:
                for p in s:
                    row = by_claim.get(p)
                    if row is None:
                        row = by_claim[p] = Crux(res.amap.root, g.names[p], lv[res.values[p]])
                    row.cut_sets += 1
                    if goal.claim not in row.cut_set_goals:
                        row.cut_set_goals.append(goal.claim)
        rows.extend(r for r in by_claim.values() if include_all or r.matters)
    rows.sort(key=Crux.key)
    return rows, failing


def _cells(i: int, r: Crux, with_map: bool) -> list[str]:
    cells = [
        str(i),
        r.premise,
        r.value,
        str(len(r.brittle_for)),
        "-" if r.min_margin is None else str(r.min_margin),
        str(len(r.spof_for)),
        str(r.cut_sets),
        ", ".join(r.goals()),
    ]
    if with_map:
        cells.insert(1, r.map)
    return cells


def table(rows: list[Crux], failing: list[str]) -> str:
    from cruxmap.present.output import clean

    with_map = len({r.map for r in rows}) > 1
    header = list(COLUMNS)
    if with_map:
        header.insert(1, "map")
    body = [[clean(c) for c in _cells(i, r, with_map)] for i, r in enumerate(rows, 1)]
    if not body:
        lines = [
            "No premise that any holding goal depends on (every goal holds with any one premise at bottom, and no cut set up to the order)."
        ]
    else:
        widths = [max(len(h), *(len(row[k]) for row in body)) for k, h in enumerate(header)]
        numeric = {"rank", "brittle", "min margin", "spof", "cut sets"}

        def fmt(row: list[str]) -> str:
            cells = [
                c.rjust(w) if header[k] in numeric else c.ljust(w)
                for k, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            return "  ".join(cells).rstrip()

        lines = [fmt(header), fmt(["-" * w for w in widths])]
        lines.extend(fmt(row) for row in body)
    if failing:
        lines.append(
            f"Left out, failing goals (see `cruxmap explain`): {', '.join(clean(f) for f in failing)}"
        )
    return "\n".join(lines)


def markdown(rows: list[Crux], failing: list[str]) -> str:
    from cruxmap.core.text import md_code, md_escape

    with_map = len({r.map for r in rows}) > 1
    header = list(COLUMNS)
    if with_map:
        header.insert(1, "map")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for i, r in enumerate(rows, 1):
        cells = _cells(i, r, with_map)
        shown = []
        for k, c in enumerate(cells):
            name = header[k]
            if name == "premise":
                shown.append(md_code(c))
            elif name == "goals":
                shown.append(", ".join(md_code(x) for x in r.goals()))
            elif name in ("map", "value"):
                shown.append(md_escape(c))
            else:
                shown.append(c)  # a number or "-"
        lines.append("| " + " | ".join(shown) + " |")
    if failing:
        lines.append("")
        lines.append(
            "Left out, failing goals (see `cruxmap explain`): "
            + ", ".join(md_escape(f) for f in failing)
        )
    return "\n".join(lines)


def to_json(rows: list[Crux], failing: list[str]) -> dict[str, Any]:
    return {
        "columns": list(COLUMNS),
        "cruxes": [
            {
                "rank": i,
                "map": r.map,
                "premise": r.premise,
                "value": r.value,
                "brittle": len(r.brittle_for),
                "brittle_for": r.brittle_for,
                "min_margin": r.min_margin,
                "spof": len(r.spof_for),
                "spof_for": r.spof_for,
                "cut_sets": r.cut_sets,
                "cut_set_goals": r.cut_set_goals,
                "supports": r.supports,
            }
            for i, r in enumerate(rows, 1)
        ],
        "failing_goals": failing,
    }
