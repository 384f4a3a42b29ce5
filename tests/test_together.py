"""Checking maps together gives each map exactly its result alone (issue 19 #1).

Roots that import one big library share its index and failure sets through
the run's :class:`cruxmap.core.session.Session`. That sharing must be invisible:
whatever else a run checks, in whatever order, with whatever options, each
map's JSON report (values, goals, margins, cut sets, findings) is byte for
byte its report checked alone in a fresh session.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import libroots  # tests/ is on pytest's pythonpath
import pytest

from cruxmap import api
from cruxmap.core import graph, robustness
from cruxmap.core.session import Session

# --------------------------------------------------------------------------- the reproducer


def _reproducer(tmp: Path) -> None:
    """The issue's three roots over a library of 212 claims: ``L0 reduces to
    Q >= great`` with ``Q`` at partial; r2 adds a route into ``L0`` (so the
    library is no closed prefix for r2), r3 puts a goal on ``L0``."""
    lines = ['claim Q: "q"', '    source: "s"', "    assume: partial"]
    lines += ['claim L0: "l0"', '    source: "s"', "L0 reduces to Q >= great", '    because: "b"']
    for i in range(1, 211):
        lines += [f'claim C{i}: "c{i}"', '    source: "s"']
        if i == 210:
            lines.append("    assume: good")
        else:
            lines += [f"C{i} reduces to C{i + 1} >= partial", '    because: "b"']
    (tmp / "lib.crux").write_text("\n".join(lines) + "\n")
    imp = 'import "lib.crux"\n'
    (tmp / "r1.crux").write_text(
        imp + 'claim x1: "x"\n    source: "s"\n    assume: good\n'
        'claim y1: "y"\n    source: "s"\ny1 reduces to x1, C1 >= partial\n    because: "b"\n'
        "goal y1 >= partial\n"
    )
    (tmp / "r2.crux").write_text(
        imp + 'claim x2: "x"\n    source: "s"\n    assume: perfect\n'
        'L0 reduces to x2\n    because: "b"\ngoal L0 >= good\n'
    )
    (tmp / "r3.crux").write_text(imp + "goal L0 >= good\n")
    (tmp / "pyproject.toml").write_text("[tool.cruxmap]\n")


def _cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "CRUXMAP_GRAPHVIZ": "graphviz-pure"}
    return subprocess.run(
        [sys.executable, "-m", "cruxmap", *args], cwd=tmp, capture_output=True, text=True,
        env=env, timeout=120,
    )  # fmt: skip


def _entry(report: str, root: str) -> dict[str, object]:
    """``root``'s entry of a JSON report, its findings written out."""
    doc = json.loads(report)
    (entry,) = [m for m in doc["maps"] if m["root"] == root]
    entry["diagnostics"] = [doc["diagnostics"][i] for i in entry["diagnostics"]]
    return entry


def test_the_reproducer_through_the_command_line(tmp_path: Path) -> None:
    _reproducer(tmp_path)
    alone = _cli(tmp_path, "check", "r3.crux")
    assert alone.returncode == 1, alone.stdout + alone.stderr
    assert "r3.crux:2:1: CX102" in alone.stdout
    mine = [ln for ln in alone.stdout.splitlines() if ln.startswith("r3.crux")]
    for args in (["r1.crux", "r2.crux", "r3.crux"], ["r2.crux", "r3.crux"], ["."]):
        together = _cli(tmp_path, "check", *args)
        assert together.returncode == 1, (args, together.stdout, together.stderr)
        assert "Traceback" not in together.stderr
        assert [ln for ln in together.stdout.splitlines() if ln.startswith("r3.crux")] == mine

    alone_json = _cli(tmp_path, "check", "--format", "json", "r3.crux")
    together_json = _cli(tmp_path, "check", "--format", "json", "r1.crux", "r2.crux", "r3.crux")
    assert together_json.returncode == alone_json.returncode == 1
    r3 = _entry(together_json.stdout, "r3.crux")
    assert r3 == _entry(alone_json.stdout, "r3.crux")
    assert r3["goals"]["L0"]["status"] == "fails"  # type: ignore[index]


def test_the_reproducer_drawn_together_and_alone(tmp_path: Path) -> None:
    _reproducer(tmp_path)
    alone = _cli(tmp_path, "render", "--format", "dot", "-o", "-", "r3.crux")
    assert alone.returncode == 0, alone.stderr
    (tmp_path / "out").mkdir()
    together = _cli(tmp_path, "render", "--format", "dot", "-o", "out", "r1.crux", "r2.crux", "r3.crux")  # fmt: skip
    assert together.returncode == 0, together.stderr
    assert (tmp_path / "out" / "r3.dot").read_text() == alone.stdout
    assert "FAILS" in alone.stdout


# --------------------------------------------------------------------------- randomized


def _options(rng: random.Random, proj: libroots.Project) -> api.Options:
    return api.Options(
        scenario=libroots.scenario(rng, proj),
        objections=rng.random() < 0.25,
        depth=rng.choice((1, 1, 2)),
        max_order=rng.choice((1, 2, 3, 3)),
    )


def _json(res: api.Result) -> str:
    """The map's report as ``check --format json`` writes it alone. (A map
    made of the same files as an earlier one of the run shares its result
    and reports only ``same_as``; its full report is that result's.)"""
    if res.same_as is not None:
        res = api.Result(res.map, res.options, res.internal, res.diagnostics)
    return json.dumps(res.to_json(), sort_keys=True)


def _alone(path: str, options: api.Options) -> str:
    """``check PATH`` on its own: a fresh run and session (which apply the
    scenario's part that names this map's claims, and the project's
    library rule, as ``check`` does)."""
    for res, _ in api.Run([path], options, session=Session()):
        if str(res.map.root) == path:
            return _json(res)
    raise AssertionError(f"{path}: no result checked alone")


def _differential(tmp: Path, seed: int) -> int:
    """One random project: its maps checked together in random order (one
    session, some twice), each against its report alone. Returns how many
    maps shared a library base (so the test can check sharing engaged)."""
    rng = random.Random(seed)
    proj = libroots.project(rng)
    for name, text in proj.files.items():
        (tmp / name).write_text(text)
    options = _options(rng, proj)
    paths = list(proj.roots)
    if rng.random() < 0.3:
        paths.append("lib.crux")  # `check .` checks the library as a map too
    rng.shuffle(paths)
    paths += rng.sample(paths, rng.randint(0, 2))  # and a map again, after others
    session = Session()
    together = [(str(res.map.root), _json(res)) for res, _ in api.Run(paths, options, session=session)]  # fmt: skip
    alone: dict[str, str] = {}
    for root, report in together:
        if root not in alone:
            alone[root] = _alone(root, options)
        assert report == alone[root], f"seed {seed}: {root} differs checked with {paths} {options}"
    return sum(1 for b in session.bases.values() if b.claim)


def test_maps_checked_together_each_get_their_result_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.cruxmap]\n")
    assert graph.SHARE_MIN <= 220  # (the libraries are big enough to be shared)
    shared = 0
    for seed in range(12):
        d = tmp_path / f"p{seed}"
        d.mkdir()
        monkeypatch.chdir(d)
        shared += _differential(d, seed)
    assert shared, "no project shared a library base: the test tests nothing"


@pytest.mark.parametrize("shape", ["diamonds", "hub"])
def test_the_cut_set_budget_runs_out_where_it_would_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    """With a small cut-set budget, roots sharing a base give the reports of
    the roots analysed whole: a root is charged the base work it reads, and
    a base never keeps a family the budget cut."""
    from test_shared_base import _project, _reports

    monkeypatch.setattr(graph, "SHARE_MIN", 10)
    monkeypatch.setattr(robustness, "CUT_SET_BUDGET_PER_CONDITION", 0)
    monkeypatch.chdir(tmp_path)
    cut = 0
    for budget, max_order in ((5, 2), (20, 3), (50, 3), (200, 3)):
        monkeypatch.setattr(robustness, "CUT_SET_BUDGET", budget)
        d = tmp_path / f"b{budget}"
        d.mkdir()
        roots = _project(d, shape, seed=budget + max_order)
        options = api.Options(max_order=max_order)
        session = Session()
        shared = _reports(roots, options, session)
        shared.update(_reports(roots[::-1], options, session))  # the base holds more now
        with monkeypatch.context() as m:
            m.setattr(robustness, "_base_for", lambda a: None)
            whole = _reports(roots, options)
        assert shared == whole, (shape, budget)
        cut += json.dumps(whole).count('"cut_sets_complete": false')
    assert cut, "the budget never ran out: the test tests nothing"


def test_a_stored_prefix_is_never_changed_by_a_later_map(tmp_path: Path) -> None:
    """r2 concludes a library claim: built on the stored prefix it is
    rejected, and the prefix must come out as it went in (the shallow copy
    of issue 19 appended r2's route to it)."""
    _reproducer(tmp_path)
    session = Session()
    r1 = api.load(tmp_path / "r1.crux")
    graph.build(r1.model, session)
    (prefix,) = session.prefixes.values()
    before = (list(prefix.routes_to), list(prefix.routes_from), list(prefix.routes))
    r2 = graph.build(api.load(tmp_path / "r2.crux").model, session)
    assert r2.shared == 0
    assert (list(prefix.routes_to), list(prefix.routes_from), list(prefix.routes)) == before
    r3 = graph.build(api.load(tmp_path / "r3.crux").model, session)
    alone = graph.build(api.load(tmp_path / "r3.crux").model)
    assert r3.routes_to == alone.routes_to and r3.routes == alone.routes


def test_no_module_keeps_analysis_state() -> None:
    """The caches live in a session: the modules that used to hold them have
    no module-level tables left."""
    from cruxmap.core import lint

    for mod, names in ((graph, ("_PREFIXES",)), (robustness, ("_BASES", "_SEEN")),
                       (lint, ("_BY_STATEMENT",))):  # fmt: skip
        for name in names:
            assert not hasattr(mod, name), f"{mod.__name__}.{name}"
