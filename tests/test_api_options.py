"""``cruxmap.Options`` refuses meaningless values when it is made (issue 25 #7).

``Options(depth=0)``, ``depth=-5`` and ``max_order=0`` used to be accepted
and silently give depth-1 results; ``depth=1.5``, ``depth="2"``,
``max_order=None``, a scenario value of ``None`` or a scenario given as a
string raised a raw ``TypeError`` or ``AttributeError`` from deep in the
engine. Each now raises :class:`cruxmap.CruxmapError` naming the field.
"""

from __future__ import annotations

from typing import Any

import pytest

from cruxmap import api

MAP = """\
claim top: "T"
claim a: "A"
    assume: great
top reduces to a >= good
goal top >= good
"""


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"depth": 0}, "depth"),
        ({"depth": -5}, "depth"),
        ({"max_order": 0}, "max_order"),
        ({"depth": 1.5}, "depth"),
        ({"depth": "2"}, "depth"),
        ({"depth": True}, "depth"),
        ({"max_order": None}, "max_order"),
        ({"scenario": {"a": None}}, "scenario"),
        ({"scenario": {"a": 2}}, "scenario"),
        ({"scenario": "a=good"}, "scenario"),
        ({"scenario": None}, "scenario"),
        ({"objections": "no"}, "objections"),
        ({"select": "CX1"}, "select"),
        ({"ignore": (1,)}, "ignore"),
    ],
    ids=repr,
)
def test_meaningless_options_raise_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(api.CruxmapError, match=rf"^Options\.{field} must "):
        api.Options(**changes)
    with pytest.raises(api.CruxmapError, match=rf"^Options\.{field} must "):
        api.Options().replace(**changes)  # a copy is checked too


def test_valid_options_are_kept_and_still_analyse() -> None:
    opts = api.Options(depth=2, max_order=1, select=["CX1"], ignore=iter(["CX2"]))
    assert opts.select == ("CX1",) and opts.ignore == ("CX2",)  # tuples: key() stays hashable
    hash(opts.key())
    r = api.analyse(api.load_text(MAP, "m.crux"), opts.replace(scenario={"a": "good"}))
    assert r.goals["top"].status == "holds"
    assert r.claims["a"].value == "good"
