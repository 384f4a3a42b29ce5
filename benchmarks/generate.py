"""Synthetic argument maps for benchmarks, in several shapes.

    python benchmarks/generate.py SHAPE N [SEED] > map.crux

Shapes (``SHAPES``):

* ``tree``: near-tree (v0.1's shape). Goals at the top argued for by layers of reductions
  with fan-in 2-4, some alternative routes, some premises shared with a
  neighbouring sub-argument only (local reconvergence).
* ``wide``: wide sharing (issue 8). Claims in reading order; each non-leaf
  has 1-2 reductions of 2-4 premises drawn from the 2*sqrt(n) claims just
  below it; thresholds partial..great, leaves great..perfect, 20 goals at the
  top whose supports cover most of the map.
* ``hub``: ``wide`` plus one hub premise that every reduction uses.
* ``diamonds``: stacked diamonds: each level has two alternative routes that
  meet again below, so the number of paths doubles per level.
* ``goals200``: ``wide`` with 200 goals over the one shared support.
* ``chain``: one chain of reductions, n deep.
* ``cycles``: ``wide`` where one reduction in 50 also takes a premise from
  just above it (back edges, so the map has cycles).
* ``ring``: issue 14 #1: a single ring of n claims with one way in.
* ``orwide``: issue 14 #2: ``g`` reduces to n/3 claims each with two
  alternative one-premise routes (every pair is an order-2 cut set).

Maps are deterministic for a (shape, n, seed).
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Sequence

LEVELS = ["none", "partial", "good", "great", "near_perfect", "perfect"]


def _claims(names: list[str], assume: dict[str, str]) -> list[str]:
    out = []
    for name in names:
        attrs = [f'    source: "synthetic {name}"']
        if name in assume:
            attrs.append(f"    assume: {assume[name]}")
        out.append(f'claim {name}: "Claim {name}"\n' + "\n".join(attrs))
    return out


def _reduction(k: int, conclusion: str, premises: Sequence[tuple[str, str | None]]) -> str:
    parts = [p if th is None else f"{p} >= {th}" for p, th in premises]
    return (
        f"reduction red{k}: {conclusion} reduces to "
        + ", ".join(parts)
        + f'\n    because: "reason {k}"'
    )


def tree(n_claims: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    n_goals = max(1, n_claims // 1000)
    claims: list[str] = []
    reductions: list[str] = []
    objections: list[str] = []

    def new_claim() -> str:
        name = f"c{len(claims)}"
        claims.append(name)
        return name

    goals = [new_claim() for _ in range(n_goals)]
    frontier = list(goals)
    concluded: set[str] = set()
    rid = 0
    while frontier and len(claims) < n_claims:
        next_frontier: list[str] = []
        for conclusion in frontier:
            if len(claims) >= n_claims:
                break
            concluded.add(conclusion)
            routes = 2 if rng.random() < 0.3 else 1
            for _ in range(routes):
                premises: list[str] = []
                for _ in range(rng.randint(2, 4)):
                    if next_frontier and rng.random() < 0.2:
                        # Share a premise with a neighbouring sub-argument.
                        p = next_frontier[-rng.randint(1, min(4, len(next_frontier)))]
                    else:
                        p = new_claim()
                        next_frontier.append(p)
                    if p in premises:
                        continue
                    premises.append(p)
                parts = []
                for p in premises:
                    # (v0.1's generator also drew bare and near_perfect
                    # premises, which made its goals fail: nothing to analyse.)
                    th = rng.choice(["good", "great"])
                    parts.append(p if th is None else f"{p} >= {th}")
                rid += 1
                text = f"reduction r{rid}: {conclusion} reduces to " + ", ".join(parts)
                text += f'\n    because: "reason {rid}"'
                if rng.random() < 0.3:
                    text += f"\n    yields: {rng.choice(['great', 'near_perfect', 'perfect'])}"
                reductions.append(text)
        frontier = next_frontier
    assume = {
        c: rng.choices(["great", "near_perfect", "perfect"], [10, 30, 60])[0]
        for c in claims
        if c not in concluded
    }
    for i in range(max(1, len(claims) // 50)):
        target = rng.choice(claims)
        objections.append(
            f'objection o{i}: "objection {i}"\n    against: {target}\n'
            f"    caps: {rng.choice(LEVELS[2:5])}"
        )
        if rng.random() < 0.5:
            objections.append(f'objection o{i}_answer: "rebuttal {i}"\n    against: o{i}')
    goal_lines = [f"goal {g} >= good" for g in goals]
    return "\n\n".join([*_claims(claims, assume), *reductions, *goal_lines, *objections]) + "\n"


def _wide(n: int, seed: int, n_goals: int = 20, hub: bool = False, back_edges: int = 0) -> str:
    """Issue 8's shape; ``back_edges``: one reduction in that many also takes
    a premise from just above its conclusion (0: none)."""
    rng = random.Random(seed)
    names = [f"c{i}" for i in range(n)]
    window = max(2, int(2 * math.sqrt(n)))
    n_goals = min(n_goals, max(1, n // 3))
    # Leaves: the last window claims, and a quarter of the rest below the goals.
    leaf = [i >= n - window or (i >= n_goals and rng.random() < 0.25) for i in range(n)]
    reductions: list[str] = []
    k = 0
    for i in range(n):
        if leaf[i]:
            continue
        below = list(range(i + 1, min(n, i + 1 + window)))
        for _ in range(1 if rng.random() < 0.6 else 2):
            picks = rng.sample(below, min(len(below), rng.randint(2, 4)))
            prem = [(names[j], rng.choice(["partial", "good", "great"])) for j in picks]
            if hub:
                prem.append(("hub", "good"))
            k += 1
            if back_edges and k % back_edges == 0 and i > 0:
                j = rng.randint(max(0, i - window), i - 1)
                prem.append((names[j], rng.choice(["partial", "good"])))
            reductions.append(_reduction(k, names[i], prem))
    assume = {
        names[i]: rng.choice(["great", "near_perfect", "perfect"]) for i in range(n) if leaf[i]
    }
    claims = _claims(names, assume)
    if hub:
        claims += _claims(["hub"], {"hub": "great"})
    goals = [f"goal {names[i]} >= {rng.choice(['partial', 'good'])}" for i in range(n_goals)]
    return "\n\n".join([*claims, *reductions, *goals]) + "\n"


def wide(n: int, seed: int = 0) -> str:
    return _wide(n, seed)


def hub(n: int, seed: int = 0) -> str:
    return _wide(n - 1, seed, hub=True)


def goals200(n: int, seed: int = 0) -> str:
    return _wide(n, seed, n_goals=200)


def cycles(n: int, seed: int = 0) -> str:
    return _wide(n, seed, back_edges=50)


def diamonds(n: int, seed: int = 0) -> str:
    """d0 <- (l0 | r0) <- d1 <- (l1 | r1) <- ... : each ``d`` has two
    alternative routes, each side reduces to the next ``d`` and a leaf."""
    rng = random.Random(seed)
    levels = max(1, (n - 1) // 5)
    names: list[str] = []
    assume: dict[str, str] = {}
    reductions: list[str] = []
    k = 0
    for i in range(levels):
        d, left, right, a, b = f"d{i}", f"l{i}", f"r{i}", f"a{i}", f"b{i}"
        names += [d, left, right, a, b]
        assume[a] = rng.choice(["great", "perfect"])
        assume[b] = rng.choice(["great", "perfect"])
        for side in (left, right):
            k += 1
            reductions.append(_reduction(k, d, [(side, "good")]))
        nxt = f"d{i + 1}"
        k += 1
        reductions.append(_reduction(k, left, [(nxt, "good"), (a, "great")]))
        k += 1
        reductions.append(_reduction(k, right, [(nxt, "good"), (b, "great")]))
    names.append(f"d{levels}")
    assume[f"d{levels}"] = "perfect"
    return "\n\n".join([*_claims(names, assume), *reductions, "goal d0 >= good"]) + "\n"


def chain(n: int, seed: int = 0) -> str:
    names = [f"c{i}" for i in range(n)]
    reductions = [_reduction(i, names[i], [(names[i + 1], "good")]) for i in range(n - 1)]
    claims = _claims(names, {names[-1]: "great"})
    return "\n\n".join([*claims, *reductions, f"goal {names[0]} >= good"]) + "\n"


def ring(n: int, seed: int = 0) -> str:
    """Issue 14 #1: c0 <- c1 <- ... <- c{n-1} <- c0, and c{n-1} <- leaf."""
    names = [f"c{i}" for i in range(n)]
    reductions = [_reduction(i, names[i], [(names[i + 1], "good")]) for i in range(n - 1)]
    reductions.append(_reduction(n, names[-1], [(names[0], "good")]))
    reductions.append(_reduction(n + 1, names[-1], [("leaf", "good")]))
    claims = _claims([*names, "leaf"], {})
    return "\n\n".join([*claims, *reductions, f"goal {names[0]} >= good"]) + "\n"


def orwide(n: int, seed: int = 0) -> str:
    """Issue 14 #2: g <- y0, ..., y{m-1}; y{i} <- b{i}; y{i} <- c{i}."""
    m = max(1, (n - 1) // 3)
    names = ["g"]
    reductions = [_reduction(0, "g", [(f"y{i}", None) for i in range(m)])]
    for i in range(m):
        names += [f"y{i}", f"b{i}", f"c{i}"]
        reductions.append(_reduction(2 * i + 1, f"y{i}", [(f"b{i}", None)]))
        reductions.append(_reduction(2 * i + 2, f"y{i}", [(f"c{i}", None)]))
    return "\n\n".join([*_claims(names, {}), *reductions]) + "\n"


SHAPES: dict[str, Callable[[int, int], str]] = {
    "tree": tree,
    "wide": wide,
    "hub": hub,
    "diamonds": diamonds,
    "goals200": goals200,
    "chain": chain,
    "cycles": cycles,
    "ring": ring,
    "orwide": orwide,
}


def library(n: int, seed: int = 0, roots: int = 10) -> dict[str, str]:
    """Issue 8's shared library, as files: ``lib.crux`` (half the claims, the
    ``wide`` shape without goals) imported by ``roots`` files that each add
    claims of their own, reductions that lean on the library's upper third,
    and two goals. Each root is a map of its own over the whole library."""
    rng = random.Random(seed)
    half = n // 2
    lib = "\n".join(line for line in _wide(half, seed).split("\n") if not line.startswith("goal "))
    files = {"lib.crux": lib}
    per = max(3, (n - half) // roots)
    upper = [f"c{i}" for i in range(max(4, half // 3))]
    window = max(2, int(2 * math.sqrt(per)))
    for r in range(roots):
        names = [f"r{r}_{i}" for i in range(per)]
        reductions = []
        for i in range(per - 1):
            below = names[i + 1 : i + 1 + window]
            for j in range(rng.choice([1, 2])):
                prem = [(x, rng.choice(["partial", "good", "great"]))
                        for x in rng.sample(below, min(len(below), rng.randint(1, 2)))]  # fmt: skip
                prem += [
                    (x, rng.choice(["partial", "good"]))
                    for x in rng.sample(upper, rng.randint(1, 3))
                ]
                reductions.append(
                    f"reduction r{r}_red{i}_{j}: {names[i]} reduces to "
                    + ", ".join(f"{p} >= {th}" for p, th in prem)
                )
        claims = _claims(names, {names[-1]: "great"})
        goals = [f"goal {names[0]} >= good", f"goal {names[1]} >= partial"]
        files[f"root{r:02d}.crux"] = (
            'import "lib.crux"\n\n' + "\n\n".join([*claims, *reductions, *goals]) + "\n"
        )
    return files


def generate(n_claims: int, seed: int = 0, shape: str = "tree") -> str:
    return SHAPES[shape](n_claims, seed)


def main() -> None:
    args = sys.argv[1:]
    shape = args.pop(0) if args and not args[0].isdigit() else "tree"
    n = int(args[0]) if args else 1000
    seed = int(args[1]) if len(args) > 1 else 0
    sys.stdout.write(generate(n, seed, shape))


if __name__ == "__main__":
    main()
