"""Random projects of one shape: a big library and roots that import it
(issue 19 #1).

The library is past ``graph.SHARE_MIN`` claims, so that checking its roots
together shares its index and failure sets (``cruxmap.core.session``). Each root
imports it and then does some of: add claims and reductions of its own, add
a reduction *into* a library claim (the library is then no closed prefix for
that root), put goals on library claims, raise an objection against a library
claim, or nothing at all (a root that only imports). Used by
``tests/test_together.py`` (together vs alone) and ``tests/fuzz_campaign.py``
(the ``library-roots`` shape). Plain ``random``: no test dependency.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

LEVELS = ("none", "partial", "good", "great", "near_perfect", "perfect")
_THRESHOLDS = ("partial", "good", "great", "near_perfect")


@dataclass
class Project:
    #: File name -> text; ``lib.crux`` and ``r0.crux`` ... ``rN.crux``.
    files: dict[str, str]
    roots: list[str]
    #: Claims of the library and of each root (for scenarios).
    library: list[str]
    own: dict[str, list[str]] = field(default_factory=dict)


def _claim(rng: random.Random, name: str, assume: str | None) -> list[str]:
    out = [f'claim {name}: "claim {name}"']
    if rng.random() < 0.9:
        out.append(f'    source: "ref {name}"')  # (else CX202, a per-statement finding)
    if assume is not None:
        out.append(f"    assume: {assume}")
    return out


def _reduction(rng: random.Random, conclusion: str, premises: list[str]) -> list[str]:
    prem = ", ".join(
        f"{p} >= {rng.choice(_THRESHOLDS)}" if rng.random() < 0.8 else p for p in premises
    )
    out = [f"{conclusion} reduces to {prem}"]
    if rng.random() < 0.3:
        out.append(f"    yields: {rng.choice(LEVELS[2:])}")
    if rng.random() < 0.9:
        out.append('    because: "why"')  # (else CX203)
    return out


def library(rng: random.Random, n: int) -> tuple[str, list[str], list[str]]:
    """``n`` claims ``L0..``: a random DAG (premises have higher numbers),
    sometimes with a ring; (text, claims, concluded claims)."""
    names = [f"L{i}" for i in range(n)]
    leaves = set(range(n // 3 * 2, n))  # the last third are leaves
    lines: list[str] = []
    ring: list[int] = []
    if rng.random() < 0.4:  # a ring of concluded claims, with a way in
        start = rng.randrange(n // 2)
        ring = list(range(start, start + rng.randint(2, 5)))
    concluded = [i for i in range(n) if i not in leaves]
    for i in range(n):
        assume = None
        if i in leaves and rng.random() < 0.95:
            assume = rng.choice(LEVELS[1:])
        lines += _claim(rng, names[i], assume)
    for i in concluded:
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            k = rng.randint(1, 3)
            below = rng.sample(range(i + 1, n), min(k, n - i - 1))
            lines += _reduction(rng, names[i], [names[j] for j in below])
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        lines += _reduction(rng, names[a], [names[b]])
    return "\n".join(lines) + "\n", names, [names[i] for i in concluded]


def project(
    rng: random.Random, claims: tuple[int, int] = (220, 320), roots: tuple[int, int] = (6, 10)
) -> Project:
    """A library of ``claims`` claims and ``roots`` roots importing it."""
    text, lib, concluded = library(rng, rng.randint(*claims))
    leaves = [c for c in lib if c not in set(concluded)]
    files = {"lib.crux": text}
    proj = Project(files, [], lib)
    for r in range(rng.randint(*roots)):
        name = f"r{r}.crux"
        out = ['import "lib.crux"', ""]
        own: list[str] = []
        kinds = rng.sample(("add", "into", "goal", "objection"), rng.randint(0, 3))
        if "add" in kinds or "into" in kinds:
            own = [f"x{r}_{i}" for i in range(rng.randint(1, 6))]
            for i, c in enumerate(own):
                out += _claim(rng, c, rng.choice(LEVELS) if i == len(own) - 1 else None)
            for i, c in enumerate(own[:-1]):
                for _ in range(rng.choice((1, 2))):
                    pool = own[i + 1 :] + rng.sample(lib, 3)
                    out += _reduction(rng, c, rng.sample(pool, rng.randint(1, 2)))
        if "into" in kinds:  # a route into the library: it is no closed prefix here
            target = rng.choice(concluded)
            out += _reduction(rng, target, rng.sample(own, 1) + rng.sample(lib, rng.randint(0, 1)))
        if "add" in kinds:
            out.append(f"goal {own[0]} >= {rng.choice(_THRESHOLDS)}")
        if "goal" in kinds:
            for c in rng.sample(concluded, rng.randint(1, 3)):
                out.append(f"goal {c} >= {rng.choice(_THRESHOLDS)}")
        if "objection" in kinds:
            target = rng.choice(leaves + concluded)
            out += [f'objection o{r}: "against {target}"', f"    against: {target}"]
            if rng.random() < 0.5:
                out.append(f"    caps: {rng.choice(LEVELS[:3])}")
        files[name] = "\n".join(out) + "\n"
        proj.roots.append(name)
        proj.own[name] = own
    return proj


def scenario(rng: random.Random, proj: Project) -> dict[str, str]:
    """``--set`` overrides: none, library claims, a root's claims, or both."""
    out: dict[str, str] = {}
    pick = rng.random()
    if pick < 0.4:
        return out
    if pick < 0.8:
        for c in rng.sample(proj.library, rng.randint(1, 2)):
            out[c] = rng.choice(LEVELS)
    own = [c for cs in proj.own.values() for c in cs]
    if own and (pick >= 0.8 or rng.random() < 0.3):
        out[rng.choice(own)] = rng.choice(LEVELS)
    return out
