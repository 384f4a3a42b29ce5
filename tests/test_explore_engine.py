"""The explorer's JavaScript engine under Node, without a browser (issue 25 #6).

Names are ordered by code point, as Python orders them (``<`` on JavaScript
strings compares UTF-16 code units, which puts U+20000 before U+FA0E), and
``depth``/``maxOrder`` are used as given (``||`` turned 0 into 1 and 3).
The whole-map agreement on such names is in test_explore_browser.py.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cruxmap import api
from cruxmap.present import explore

ENGINE = Path(explore.__file__).parent / "web" / "engine.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="no `node` to run the engine with")


def node(body: str, data: Any) -> Any:
    """Run ``body`` after engine.js with ``data`` as ``input``; its ``output``."""
    script = (
        ENGINE.read_text("utf-8")
        + "\nconst input = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        + body
        + "\nprocess.stdout.write(JSON.stringify(output));\n"
    )
    assert NODE is not None
    proc = subprocess.run(
        [NODE, "-e", script],
        input=json.dumps(data).encode(),
        capture_output=True,
        timeout=60,
        check=True,
    )
    return json.loads(proc.stdout)


def test_names_sort_by_code_point_as_python_does() -> None:
    rng = random.Random(25)
    alphabet = ["a", "z", "\u00e9", "\ud7a3", "\ue000", "\ufa0e", "\uffff", "\U00010000",
                "\U00020000", "\U0010ffff"]  # fmt: skip
    words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) for _ in range(3000)]
    got = node("const output = input.slice().sort(CruxEngine.compareNames);", words)
    assert got == sorted(words)
    assert (
        node(
            "const output = CruxEngine.compareNames(input[0], input[1]);", ["\ufa0e", "\U00020000"]
        )
        == -1
    )


MAP = """\
claim top: "T"
claim \ufa0e: "A"
    assume: good
claim \U00020000: "B"
    assume: good
claim c: "C"
    assume: good
claim d: "D"
    assume: good
top reduces to \ufa0e >= good, \U00020000 >= good
top reduces to c >= good, d >= good
goal top >= good
"""


def engine_goal(model: dict[str, Any]) -> Any:
    return node("const output = CruxEngine.report(input, [], false).goals.top;", model)


def test_cut_sets_in_pythons_order_and_options_as_given() -> None:
    res = api.analyse(api.load_text(MAP, "m.crux"))
    want = [list(s) for s in res.goals["top"].cut_sets]
    assert want[:2] == [["c", "\ufa0e"], ["c", "\U00020000"]]  # code point order
    model = explore.model(res.internal)
    assert engine_goal(model)["cut_sets"] == want
    # Options pass through: maxOrder 0 and 1 list no pairs, depth 0 breaks
    # nothing; only a missing value takes the default.
    assert engine_goal({**model, "maxOrder": 0})["cut_sets"] == []
    assert engine_goal({**model, "maxOrder": 1})["cut_sets"] == []
    assert engine_goal({**model, "depth": 0})["cut_sets"] == []
    assert engine_goal({k: v for k, v in model.items() if k != "maxOrder"})["cut_sets"] == want
