"""``cruxmap render --goal G`` and ``--focus CLAIM --radius N``: drawing part of a map."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

# Two goals sharing `shared`; a chain a <- b <- c <- d <- e for the focus radius.
MAP = """claim g1: "Goal one"
claim g2: "Goal two"
claim shared: "Shared premise"
    assume: great
claim only1: "Only for g1"
claim only2: "Only for g2"
claim a: "a"
claim b: "b"
claim c: "c"
claim d: "d"
claim e: "e"
reduction r1: g1 reduces to shared >= good, only1
reduction r2: g2 reduces to shared >= good, only2
reduction ra: a reduces to b
reduction rb: b reduces to c
reduction rc: c reduces to d
reduction rd: d reduces to e
objection o1: "Against only2"
    against: only2
    caps: good
objection o2: "Rebuts o1"
    against: o1
goal g1 >= good
goal g2 >= good
goal a >= partial
"""


def _claims(dot: str) -> set[str]:
    return set(re.findall(r'^  "claim:([^"]+)" \[', dot, re.M))


def _routes(dot: str) -> set[str]:
    return set(re.findall(r'^  "route:([^"]+)" \[', dot, re.M))


def _objections(dot: str) -> set[str]:
    return set(re.findall(r'^  "objection:([^"]+)" \[', dot, re.M))


def _dot(run: Callable, src: Path, *args: str) -> str:
    code, out, err = run("render", src, "--format", "dot", "-o", "-", *args)
    assert code == 0, err
    return out


def test_goal_draws_only_its_support(write: Callable[..., Path], run: Callable) -> None:
    src = write("m.crux", MAP)
    dot = _dot(run, src, "--goal", "g1")
    assert _claims(dot) == {"g1", "shared", "only1"}
    assert _routes(dot) == {"r1"}
    assert _objections(dot) == set()
    assert "support of g1 (7 of 10 claims not drawn)" in dot
    both = _dot(run, src, "--goal", "g1", "--goal", "g2")
    assert _claims(both) == {"g1", "g2", "shared", "only1", "only2"}
    assert _routes(both) == {"r1", "r2"}
    assert _objections(both) == {"o1", "o2"}  # a rebuttal follows what it defends
    # Values are the whole map's: the drawing is a window, not a new map.
    full = _dot(run, src)
    line = next(x for x in full.splitlines() if x.startswith('  "claim:shared" ['))
    assert line in both.splitlines()


def test_focus_draws_a_neighbourhood(write: Callable[..., Path], run: Callable) -> None:
    src = write("m.crux", MAP)
    one = _dot(run, src, "--focus", "c", "--radius", "1")
    assert _claims(one) == {"b", "c", "d"}
    assert _routes(one) == {"rb", "rc"}
    # b's own route (from c) is drawn; d's route (from e) is not, and d says so.
    assert "1 reduction to it not drawn" in one
    assert "within 1 reduction of c" in one
    two = _dot(run, src, "--focus", "c", "--radius", "2")
    assert _claims(two) == {"a", "b", "c", "d", "e"}
    assert _claims(_dot(run, src, "--focus", "c", "--radius", "0")) == {"c"}
    # Both at once: the support of a within the neighbourhood of c.
    assert _claims(_dot(run, src, "--goal", "a", "--focus", "e", "--radius", "1")) == {"d", "e"}


def test_bad_part_requests(write: Callable[..., Path], run: Callable, project: Path) -> None:
    src = write("m.crux", MAP)
    code, _, err = run("render", src, "--format", "dot", "-o", "-", "--goal", "shared")
    assert code == 2 and "`shared` is not a goal" in err and "goals are g1, g2, a" in err
    code, _, err = run("render", src, "--format", "dot", "-o", "-", "--goal", "g3")
    assert code == 2 and "`g3` is not a goal" in err
    code, _, err = run("render", src, "--format", "dot", "-o", "-", "--focus", "cc")
    assert code == 2 and "no claim `cc`" in err
    code, _, err = run("render", project, "--format", "dot", "--focus", "c")
    assert code == 2 and "name one .crux file" in err
    code, _, err = run("render", src, "--format", "dot", "--focus", "c", "--radius", "-1")
    assert code == 2
    assert not list(project.glob("*.dot"))
