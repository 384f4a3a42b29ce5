"""Synthetic argument maps for benchmarks.

Shape: a few goals at the top, each argued for by layers of reductions with
fan-in 2-4, some claims with an alternative route, some premises shared with
a neighbouring sub-argument (local reconvergence, as in real maps), leaves at
the bottom, and objections with rebuttals on a few claims.

    python benchmarks/generate.py 1000 > map.crux
"""

from __future__ import annotations

import random
import sys

LEVELS = ["none", "partial", "good", "great", "near_perfect", "perfect"]


def generate(n_claims: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    n_goals = max(1, n_claims // 1000)
    claims: list[str] = []
    lines: list[str] = []
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
                premises = []
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
                    th = rng.choices([None, "good", "great", "near_perfect"], [1, 55, 40, 4])[0]
                    parts.append(p if th is None else f"{p} >= {th}")
                rid += 1
                text = f"reduction r{rid}: {conclusion} reduces to " + ", ".join(parts)
                text += f'\n    because: "reason {rid}"'
                if rng.random() < 0.3:
                    text += f"\n    yields: {rng.choice(['great', 'near_perfect', 'perfect'])}"
                reductions.append(text)
        frontier = next_frontier
    for name in claims:
        attrs = [f'    source: "synthetic {name}"']
        if name not in concluded:
            attrs.append(
                f"    assume: {rng.choices(['great', 'near_perfect', 'perfect'], [10, 30, 60])[0]}"
            )
        lines.append(f'claim {name}: "Claim {name} of the synthetic argument"\n' + "\n".join(attrs))
    for i in range(max(1, len(claims) // 50)):
        target = rng.choice(claims)
        objections.append(
            f'objection o{i}: "objection {i}"\n    against: {target}\n    caps: {rng.choice(LEVELS[2:5])}'
        )
        if rng.random() < 0.5:
            objections.append(f'objection o{i}_answer: "rebuttal {i}"\n    against: o{i}')
    goal_lines = [f"goal {g} >= good" for g in goals]
    return "\n\n".join([*lines, *reductions, *goal_lines, *objections]) + "\n"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    sys.stdout.write(generate(n, seed))


if __name__ == "__main__":
    main()
