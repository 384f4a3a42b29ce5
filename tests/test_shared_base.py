"""Roots that import one library and add their own claims share the library's
analysis (``robustness._Base``, issue 8's library shape). Sharing must not
change a single result: each root's report equals its report analysed alone,
whatever the order the roots come in."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest

from cruxmap import api
from cruxmap.core import graph, robustness
from cruxmap.core.loader import Loader
from cruxmap.core.session import Session

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)


def _project(tmp: Path, shape: str, seed: int) -> list[Path]:
    """A library of one shape (its goals dropped) and four roots that import it
    and add claims, reductions and goals of their own, some on library claims."""
    rng = random.Random(seed)
    lib = "\n".join(
        line
        for line in generate.SHAPES[shape](60, seed).split("\n")
        if not line.startswith("goal ")
    )
    (tmp / "pyproject.toml").write_text("[tool.cruxmap]\n")
    (tmp / "lib.crux").write_text(lib + "\n")
    names = [line.split()[1].rstrip(":") for line in lib.split("\n") if line.startswith("claim ")]
    levels = ["partial", "good", "great"]
    roots = []
    for p in range(4):
        out = ['import "lib.crux"', ""]
        own = [f"p{p}_{i}" for i in range(8)]
        out += [f'claim {c}: "own {c}"' for c in own]
        for i, c in enumerate(own[:-2]):
            below = own[i + 1 :] + rng.sample(names, 3)
            for _ in range(rng.choice([1, 2])):
                prem = rng.sample(below, rng.randint(1, 3))
                out.append(
                    f"{c} reduces to " + ", ".join(f"{q} >= {rng.choice(levels)}" for q in prem)
                )
        out.append(f"goal {own[0]} >= good")
        out.append(f"goal {rng.choice(names)} >= partial")
        path = tmp / f"part{p}.crux"
        path.write_text("\n".join(out) + "\n")
        roots.append(path)
    return roots


def _reports(
    roots: list[Path], options: api.Options, session: Session | None = None
) -> dict[str, object]:
    run = api.Run(roots, options, session=session)
    return {str(res.map.root): res.to_json() for res, _ in run}


@pytest.mark.parametrize("shape", ["wide", "cycles", "hub", "diamonds"])
@pytest.mark.parametrize("options", [api.Options(max_order=2), api.Options(max_order=3, depth=2)])
def test_sharing_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str, options: api.Options
) -> None:
    monkeypatch.setattr(graph, "SHARE_MIN", 10)
    session = Session()
    roots = _project(tmp_path, shape, seed=len(shape))
    shared = _reports(roots, options, session)
    assert session.bases, "the roots did not share the library"
    for base in session.bases.values():
        # Each root took its own conditions back out: the base holds only its own.
        assert len(base.claim) == len(base.cond_of) == len(base.levels) == len(base.routes)
        # It keeps only the families a root computed whole (none cut by a budget).
        assert base.multi is not None
        assert set(base.multi) == set(base.work) | set(base.group_of)
        assert all(x < len(base.claim) for x in base.multi)
        assert all(c < base.a.g.shared for c in base.claim)
    # The base already holds their conditions.
    again = _reports(list(reversed(roots)), options, session)
    with monkeypatch.context() as m:
        m.setattr(robustness, "_base_for", lambda a: None)
        alone = _reports(roots, options)
    assert shared == alone
    assert again == alone


def test_a_base_that_outgrows_its_bound_is_given_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A base keeps every set it computes; past ``BASE_MAX_BITS`` the roots
    are analysed whole (a deep chain would otherwise keep quadratic memory)."""
    monkeypatch.setattr(graph, "SHARE_MIN", 10)
    monkeypatch.setattr(robustness, "BASE_MAX_BITS", 2_000)
    session = Session()
    roots = _project(tmp_path, "wide", seed=7)
    options = api.Options(max_order=2)
    bounded = _reports(roots, options, session)
    assert not session.bases
    assert True in session.seen.values()  # tried, and refused from then on
    with monkeypatch.context() as m:
        m.setattr(robustness, "_base_for", lambda a: None)
        alone = _reports(roots, options)
    assert bounded == alone


def test_a_map_that_only_imports_does_not_keep_a_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A map split into files (a root of imports only) checked alone keeps
    nothing: its sets are freed as the analysis goes, as without sharing."""
    monkeypatch.setattr(graph, "SHARE_MIN", 10)
    session = Session()
    _project(tmp_path, "wide", seed=8)
    (tmp_path / "whole.crux").write_text('import "lib.crux"\n')
    _reports([tmp_path / "whole.crux"], api.Options(max_order=2), session)
    assert not session.bases
    assert not session.prefixes


def test_a_root_that_changes_the_library_is_analysed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A root that concludes a library claim changes its value: no shared prefix."""
    monkeypatch.setattr(graph, "SHARE_MIN", 10)
    roots = _project(tmp_path, "wide", seed=3)
    text = roots[0].read_text() + "c59 reduces to p0_7\n"
    roots[0].write_text(text)
    m = api.load(roots[0])
    assert graph.build(m.model).shared == 0
    m = api.load(roots[1])
    assert graph.build(m.model).shared == 60


@pytest.mark.parametrize("shape", ["wide", "cycles"])
def test_an_index_built_on_a_shared_prefix_equals_one_built_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    monkeypatch.setattr(graph, "SHARE_MIN", 10)
    roots = _project(tmp_path, shape, seed=5)
    loader = Loader()  # one loader: the roots share the library's parsed statements
    maps = [api.load(r, loader=loader).model for r in roots]
    session = Session()
    first = graph.build(maps[0], session)
    assert session.prefixes
    for m in maps[1:]:
        (entry,) = session.prefixes.values()
        reused = graph.build(m, session)
        assert reused.shared_key is entry.shared_key  # started from the stored prefix
        whole = graph.build(m)
        for f in ("names", "index", "levels", "routes", "routes_to", "routes_from", "assume",
                  "components", "cyclic", "position", "shared", "shared_routes", "shared_key"):  # fmt: skip
            assert getattr(reused, f) == getattr(whole, f), f
    assert first.shared == 60
