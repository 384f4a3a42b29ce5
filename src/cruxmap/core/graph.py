"""The map as a graph: claims are nodes, each premise -> conclusion an edge.

Analysis loops run over integers, so :class:`ClaimGraph` numbers the claims
and levels once. networkx answers the structural questions about cycles
(strongly connected components, a cycle to name); it is imported only when a
map has one, which keeps a pre-commit run on an ordinary map fast.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING

from cruxmap.core.model import ArgumentMap, Claim, Goal, Reduction
from cruxmap.core.session import PREFIXES_MAX, Session

if TYPE_CHECKING:
    import networkx as nx


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
    #: Routes concluding each claim, and routes each claim is a premise of
    #: (tuples: a shared prefix's are shared by every map built on it).
    routes_to: list[tuple[int, ...]]
    routes_from: list[tuple[int, ...]]
    #: ``assume`` of each claim (top when unset); only used for leaves.
    assume: list[int]
    #: Strongly connected components in topological order (premises first).
    components: list[list[int]] = field(default_factory=list)
    #: True for components that form a cycle (more than one claim, or a
    #: claim that is its own premise).
    cyclic: list[bool] = field(default_factory=list)
    #: Topological position of each claim's component.
    position: list[int] = field(default_factory=list)
    #: Claims ``0 .. shared - 1`` (and routes ``0 .. shared_routes - 1``) come
    #: from imported files and are closed: none of their routes reads a later
    #: claim and no later route concludes one of them, so their values and
    #: failure sets are the same in every map that imports them this way, and
    #: they are ordered first. 0 when the map has no such prefix (or a small
    #: one: below ``SHARE_MIN`` claims sharing does not pay).
    shared: int = 0
    shared_routes: int = 0
    #: What that prefix is made of (see ``_prefix_key``): maps with equal keys
    #: index, order and value the prefix alike.
    shared_key: PrefixKey | None = None
    _digraph: nx.DiGraph | None = None  # built on first use

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    def is_leaf(self, c: int) -> bool:
        return not self.routes_to[c]

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

    @property
    def digraph(self) -> nx.DiGraph:
        """premise -> conclusion edges, for the structural questions."""
        import networkx as nx

        if self._digraph is None:
            dg = nx.DiGraph()
            dg.add_nodes_from(range(len(self.names)))
            dg.add_edges_from((p, r.conclusion) for r in self.routes for p, _ in r.premises)
            self._digraph = dg
        return self._digraph


def build(amap: ArgumentMap, session: Session | None = None) -> ClaimGraph:
    """Index a map whose names all resolve (the loader checked them).

    A map that begins with a big import shares the import's part of the
    index with the other maps of ``session`` that begin with it (see
    ``ClaimGraph.shared``): only its own statements are indexed. Without a
    session nothing is shared; the graph is the same either way.
    """
    levels = list(amap.scale)
    claims = list(amap.claims.values())
    reductions = list(amap.reductions.values())
    b, k = _imported_prefix(amap.root, claims, reductions)
    key = _prefix_key(levels, claims, reductions, b, k) if b else None
    stored = session.prefixes if session is not None else None
    base = stored.get(key) if stored is not None and key is not None else None
    if base is not None:
        assert stored is not None and key is not None
        stored.move_to_end(key)
        g = _index(amap, levels, claims, reductions, base)
        if _rest_closed(g, b, k, len(reductions)):  # (the prefix was checked when stored)
            g.shared, g.shared_routes, g.shared_key = b, k, base.shared_key
            _order(g, base)
            return g
    g = _index(amap, levels, claims, reductions, None)
    if b and _prefix_closed(g, b, k) and _rest_closed(g, b, k, len(reductions)):
        g.shared, g.shared_routes, g.shared_key = b, k, key
    _order(g)
    if stored is not None and key is not None and g.shared and g.shared < len(g.names):
        # (a root that only imports shares nothing)
        stored[key] = _prefix_of(g)
        while len(stored) > PREFIXES_MAX:
            stored.popitem(last=False)
    return g


def _prefix_key(
    levels: list[str], claims: list[Claim], reductions: list[Reduction], b: int, k: int
) -> PrefixKey:
    """Everything the index of the first ``b`` claims and ``k`` reductions is
    built from: their IDs, assumptions, premises and thresholds, and the
    scale. Keyed by content, a prefix can never be taken for another (an
    ``id()`` can be reused once its statement is gone)."""
    return PrefixKey(
        (
            tuple(levels),
            tuple([(c.id, c.assume) for c in claims[:b]]),
            tuple(
                [(r.id, r.conclusion, r.yields, *map(_PREMISE, r.premises)) for r in reductions[:k]]
            ),
        )
    )


_PREMISE = attrgetter("claim", "threshold")


class PrefixKey:
    """A prefix's content (see ``_prefix_key``), hashed once: it is looked up
    several times per map, and a tuple rehashes all of its parts each time."""

    __slots__ = ("_hash", "parts")

    def __init__(self, parts: tuple[object, ...]) -> None:
        self.parts = parts
        self._hash = hash(parts)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, PrefixKey) and self._hash == other._hash and self.parts == other.parts
        )


def _index(
    amap: ArgumentMap,
    levels: list[str],
    claims: list[Claim],
    reductions: list[Reduction],
    base: ClaimGraph | None,
) -> ClaimGraph:
    """The index lists, from scratch or on top of a shared prefix ``base``.

    ``base`` is never changed: its lists are copied, and its adjacency
    tuples are shared until this map adds to one (copy on write), which
    for ``routes_to`` means the map concludes a prefix claim and cannot
    share it after all.
    """
    lv = {n: i for i, n in enumerate(levels)}
    top = len(levels) - 1
    routes_to: list[list[int] | tuple[int, ...]]
    routes_from: list[list[int] | tuple[int, ...]]
    if base is None:
        b = k = 0
        names: list[str] = []
        index: dict[str, int] = {}
        routes: list[Route] = []
        routes_to, routes_from = [], []
        assume: list[int] = []
    else:
        b, k = base.shared, base.shared_routes
        names, index, routes = list(base.names), dict(base.index), list(base.routes)
        routes_to, routes_from = list(base.routes_to), list(base.routes_from)
        assume = list(base.assume)
    for claim in claims[b:]:
        index[claim.id] = len(names)
        names.append(claim.id)
        routes_to.append([])
        routes_from.append([])
        assume.append(lv.get(claim.assume or "", top))
    for red in reductions[k:]:
        if red.conclusion not in index or any(p.claim not in index for p in red.premises):
            continue
        n = len(routes)
        c = index[red.conclusion]
        prem = tuple(
            (index[p.claim], lv.get(p.threshold, top) if p.threshold else top) for p in red.premises
        )
        routes.append(Route(n, red.id, c, prem, lv.get(red.yields, top) if red.yields else top))
        to_c = routes_to[c]
        if type(to_c) is tuple:
            to_c = routes_to[c] = list(to_c)
        to_c.append(n)  # type: ignore[union-attr]
        for p, _ in prem:
            # Routes come in increasing n, so a repeat can only be this one's
            # (a premise named twice); a membership test would be quadratic
            # in a hub premise's routes (issue 8's hub shape).
            from_p = routes_from[p]
            if not from_p or from_p[-1] != n:
                if type(from_p) is tuple:
                    from_p = routes_from[p] = list(from_p)
                from_p.append(n)  # type: ignore[union-attr]
    return ClaimGraph(
        names, index, levels, routes, _frozen(routes_to), _frozen(routes_from), assume
    )


def _frozen(lists: list[list[int] | tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Each adjacency list as a tuple (a tuple is returned as it is)."""
    return list(map(tuple, lists))


#: Smallest imported prefix worth ordering first and sharing between maps.
SHARE_MIN = 200


def _imported_prefix(
    root: str, claims: list[Claim], reductions: list[Reduction]
) -> tuple[int, int]:
    """How many claims and reductions at the start of the map come from
    imported files (0, 0 below ``SHARE_MIN`` claims).

    Imports are expanded where they stand, so a root that begins with its
    imports has their claims and reductions first, in the same order in
    every map that imports them.
    """
    b = 0
    while b < len(claims) and claims[b].loc.path != root:
        b += 1
    if b < SHARE_MIN:
        return 0, 0
    k = 0
    while k < len(reductions) and reductions[k].loc.path != root:
        k += 1
    return b, k


def _prefix_closed(g: ClaimGraph, b: int, k: int) -> bool:
    """Do the prefix's routes read and conclude prefix claims only?"""
    return not any(r.conclusion >= b or any(p >= b for p, _ in r.premises) for r in g.routes[:k])


def _rest_closed(g: ClaimGraph, b: int, k: int, n_reductions: int) -> bool:
    """Does no later route conclude a prefix claim (see ``ClaimGraph.shared``)?"""
    if len(g.routes) != n_reductions:
        return False  # a reduction was left out (unresolved name): no simple prefix
    return all(r.conclusion >= b for r in g.routes[k:])


def _prefix_of(g: ClaimGraph) -> ClaimGraph:
    """The shared prefix of ``g`` as a graph of its own (what a later map
    starts from)."""
    b, k = g.shared, g.shared_routes
    names = g.names[:b]
    comps = 0
    while comps < len(g.components) and g.components[comps][0] < b:
        comps += 1
    p = ClaimGraph(
        names,
        {n: i for i, n in enumerate(names)},
        list(g.levels),
        g.routes[:k],
        g.routes_to[:b],
        [x[: bisect.bisect_left(x, k)] for x in g.routes_from[:b]],
        g.assume[:b],
        [list(c) for c in g.components[:comps]],
        g.cyclic[:comps],
    )
    p.shared, p.shared_routes, p.shared_key = b, k, g.shared_key
    return p


def _order(g: ClaimGraph, base: ClaimGraph | None = None) -> None:
    """Components in topological order, premises first: the shared prefix's
    own order first (so that it is the same in every map sharing it; taken
    from ``base`` when given), then the rest."""
    n = len(g.names)
    if g.shared:
        if base is not None:
            comps, cyclic = list(base.components), list(base.cyclic)
        else:
            comps, cyclic = _order_part(g, range(g.shared), range(g.shared_routes))
        more, more_cyclic = _order_part(
            g, range(g.shared, n), range(g.shared_routes, len(g.routes))
        )
        comps += more
        cyclic += more_cyclic
    else:
        comps, cyclic = _order_part(g, range(n), range(len(g.routes)))
    g.components, g.cyclic = comps, cyclic
    position = [0] * n
    for pos, comp in enumerate(comps):
        for c in comp:
            position[c] = pos
    g.position = position


def _order_part(g: ClaimGraph, claims: range, routes: range) -> tuple[list[list[int]], list[bool]]:
    """Components of the claims ``claims`` (read through ``routes``; premises
    outside ``claims`` are already placed) in topological order.

    Kahn's algorithm over the index lists orders the acyclic part (nearly
    always all of it) in linear time; only when claims are left over, i.e.
    there is a cycle, does networkx condense the strongly connected
    components.
    """
    lo = claims.start
    n = len(claims)
    indegree = [0] * n
    succ: list[list[int]] = [[] for _ in range(n)]
    for k in routes:
        r = g.routes[k]
        for p in {p for p, _ in r.premises}:
            if p >= lo:
                succ[p - lo].append(r.conclusion)
                indegree[r.conclusion - lo] += 1
    ready = [c for c in claims if indegree[c - lo] == 0]
    ready.reverse()
    order: list[int] = []
    while ready:
        c = ready.pop()
        order.append(c)
        for s in succ[c - lo]:
            indegree[s - lo] -= 1
            if indegree[s - lo] == 0:
                ready.append(s)
    if len(order) == n:
        return [[c] for c in order], [False] * n
    import networkx as nx

    sub = g.digraph.subgraph(claims) if n != len(g.names) else g.digraph
    comps = list(nx.strongly_connected_components(sub))
    cond = nx.condensation(sub, scc=comps)
    ordered = list(nx.lexicographical_topological_sort(cond, key=lambda m: min(comps[m])))
    components = [sorted(comps[cid]) for cid in ordered]
    return components, [len(m) > 1 or sub.has_edge(m[0], m[0]) for m in components]


def goals(amap: ArgumentMap) -> list[Goal]:
    """Declared goals, or the SPEC's default ones when a map declares none.

    Default: every concluded claim that is the premise of no reduction, with
    the level just above bottom.
    """
    if amap.goals:
        return list(amap.goals)
    concluded: dict[str, None] = {}  # (ordered, and a quick membership test)
    used_as_premise: set[str] = set()
    for r in amap.reductions.values():
        concluded[r.conclusion] = None
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
    import networkx as nx

    sub = g.digraph.subgraph(component)
    edges = nx.find_cycle(sub, source=component[0])
    return [u for u, _ in edges]
