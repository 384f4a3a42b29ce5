"""The map as a graph: claims are nodes, each premise -> conclusion an edge.

Analysis loops run over integers, so :class:`ClaimGraph` numbers the claims
and levels once. networkx supplies the structural questions (cycles,
strongly connected components, post-dominators), asked once per map.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from cruxmap.model import ArgumentMap, Goal


@dataclass(frozen=True, slots=True)
class Route:
    """A reduction in index form."""

    index: int
    id: str
    conclusion: int
    #: (premise claim index, threshold level index)
    premises: tuple[tuple[int, int], ...]
    yields: int


@dataclass
class ClaimGraph:
    names: list[str]
    index: dict[str, int]
    levels: list[str]
    routes: list[Route]
    #: Routes concluding each claim, and routes each claim is a premise of.
    routes_to: list[list[int]]
    routes_from: list[list[int]]
    #: ``assume`` of each claim (top when unset); only used for leaves.
    assume: list[int]
    digraph: nx.DiGraph
    #: Strongly connected components in topological order (premises first).
    components: list[list[int]] = field(default_factory=list)
    #: True for components that form a cycle (more than one claim, or a
    #: claim that is its own premise).
    cyclic: list[bool] = field(default_factory=list)
    #: Topological position of each claim's component.
    position: list[int] = field(default_factory=list)

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    def is_leaf(self, c: int) -> bool:
        return not self.routes_to[c]

    @property
    def premises(self) -> set[int]:
        """Claims that are the premise of at least one reduction."""
        return {c for c, rs in enumerate(self.routes_from) if rs}

    def ancestors(self, c: int) -> set[int]:
        """Claims with a path of reductions to ``c`` (``c`` itself excluded)."""
        seen: set[int] = set()
        stack = [c]
        while stack:
            n = stack.pop()
            for r in self.routes_to[n]:
                for p, _ in self.routes[r].premises:
                    if p not in seen:
                        seen.add(p)
                        stack.append(p)
        seen.discard(c)
        return seen

    def in_cycle(self, c: int) -> bool:
        return self.cyclic[self.position[c]]


def build(amap: ArgumentMap) -> ClaimGraph:
    """Index a map whose names all resolve (the loader checked them)."""
    names = list(amap.claims)
    index = {n: i for i, n in enumerate(names)}
    levels = list(amap.scale)
    lv = {n: i for i, n in enumerate(levels)}
    top = len(levels) - 1
    routes: list[Route] = []
    routes_to: list[list[int]] = [[] for _ in names]
    routes_from: list[list[int]] = [[] for _ in names]
    dg = nx.DiGraph()
    dg.add_nodes_from(range(len(names)))
    for red in amap.reductions.values():
        if red.conclusion not in index or any(p.claim not in index for p in red.premises):
            continue
        k = len(routes)
        c = index[red.conclusion]
        prem = tuple(
            (index[p.claim], lv.get(p.threshold, top) if p.threshold else top) for p in red.premises
        )
        routes.append(Route(k, red.id, c, prem, lv.get(red.yields, top) if red.yields else top))
        routes_to[c].append(k)
        for p, _ in prem:
            if k not in routes_from[p]:
                routes_from[p].append(k)
            dg.add_edge(p, c)
    assume = [lv.get(amap.claims[n].assume or "", top) for n in names]
    g = ClaimGraph(names, index, levels, routes, routes_to, routes_from, assume, dg)
    _order(g)
    return g


def _order(g: ClaimGraph) -> None:
    comps = list(nx.strongly_connected_components(g.digraph))
    cond = nx.condensation(g.digraph, scc=comps)
    mapping = cond.graph["mapping"]
    order = list(nx.lexicographical_topological_sort(cond, key=lambda n: min(comps[n])))
    position = [0] * len(g.names)
    for pos, comp_id in enumerate(order):
        for c in comps[comp_id]:
            position[c] = pos
    g.components = [sorted(comps[cid]) for cid in order]
    g.cyclic = [len(m) > 1 or g.digraph.has_edge(m[0], m[0]) for m in g.components]
    g.position = position
    del mapping


def goals(amap: ArgumentMap) -> list[Goal]:
    """Declared goals, or the SPEC's default ones when a map declares none.

    Default: every concluded claim that is the premise of no reduction, with
    the level just above bottom.
    """
    if amap.goals:
        return list(amap.goals)
    concluded: list[str] = []
    used_as_premise: set[str] = set()
    for r in amap.reductions.values():
        if r.conclusion not in concluded:
            concluded.append(r.conclusion)
        used_as_premise.update(p.claim for p in r.premises)
    result = []
    for name in concluded:
        if name in used_as_premise or name not in amap.claims:
            continue
        claim = amap.claims[name]
        result.append(
            Goal(
                loc=claim.loc,
                end_line=claim.end_line,
                claim=name,
                required=amap.scale[1],
                claim_loc=claim.attr_locs.get("id", claim.loc),
                required_loc=claim.loc,
                implicit=True,
            )
        )
    return result


def find_cycle(g: ClaimGraph, component: list[int]) -> list[int]:
    """One cycle through a cyclic component, as claim indices."""
    sub = g.digraph.subgraph(component)
    edges = nx.find_cycle(sub, source=component[0])
    return [u for u, _ in edges]
