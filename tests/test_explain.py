"""``cruxmap explain`` and ``cruxmap cruxes`` as a user runs them (subprocess).

The trees below are worked by hand from the maps: each value follows from
the lines under it, and the margins and cut sets from the definitions.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARGUMENTS = ROOT / "arguments"


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "cruxmap", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


INTERP = """\
claim alignment: "The AI is aligned"
    source: "seed 000"
claim interpretability: "We can see and understand everything the AI thinks"
    source: "seed 000"
    assume: great

alignment reduces to interpretability
    because: "we would catch every problem before it manifests"

goal alignment >= good
"""

SHARED = """\
claim a: "A"
    assume: great
claim b: "B"
    assume: good
claim m: "M"
claim top: "T"
m reduces to a >= good
top reduces to m >= good, a >= great
top reduces to b >= good
    yields: good
goal top >= good
"""

CYCLE = """\
claim x: "X"
    assume: good
claim p: "P"
claim q: "Q"
p reduces to x >= good
p reduces to q >= good
q reduces to p >= good
goal q >= good
"""


def test_failing_goal_tree(tmp_path):
    write(tmp_path, "interp.crux", INTERP)
    proc = run("explain", "interp.crux", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "interp.crux\n"
        "\n"
        "goal alignment >= good: FAILS at none\n"
        '  "The AI is aligned"\n'
        "alignment: none\n"
        "└── ✗ alignment#1 would give perfect; blocked by `interpretability`\n"
        "    └── interpretability: great, needs >= perfect (bare) ✗ short by 2 steps"
        " ◀ blocks · assumed great\n"
        "Why: `alignment#1` needs `interpretability` >= perfect (a bare `reduces to`),"
        " has great.\n"
    )
    assert "\x1b[" not in proc.stdout  # piped: no colour


def test_holding_goal_tree_shares_and_cuts(tmp_path):
    write(tmp_path, "shared.crux", SHARED)
    proc = run("explain", "shared.crux", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[2:] == [
        "goal top >= good: holds at perfect",
        '  "T"',
        "top: perfect",
        "├── ✓ top#1 gives perfect (carries)",
        "│   ├── m: perfect, needs >= good ✓ · holds at none",
        "│   │   └── ✓ m#1 gives perfect (carries)",
        "│   │       └── a: great, needs >= good ✓ · holds at none · assumed great",
        "│   └── a: great, needs >= great ✓ · holds at none · assumed great",
        "└── ✓ top#2 gives good",
        "    └── b: good, needs >= good ✓ · holds at none · assumed good",
        "Weakest links: none; the goal holds with any one premise at none",
        "Cut sets (each member 1 step down at once, up to 3): {a, b}",
        "Uniform margin: 0 (every leaf 1 step down at once: fails)",
    ]


def test_cycle_is_referred_back(tmp_path):
    write(tmp_path, "cycle.crux", CYCLE)
    proc = run("explain", "cycle.crux", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "q: perfect" in lines
    assert "            └── q: perfect, needs >= good ✓ (derivation above)" in lines
    assert sum(line.count("q#1") for line in lines) == 1  # q's routes shown once


def test_shared_subderivations_do_not_blow_up(tmp_path):
    """A ladder where every claim has two routes through the claim below:
    2^40 paths, but each claim is expanded once."""
    n = 40
    lines = ['claim c0: "base"\n    assume: great']
    for i in range(1, n + 1):
        lines.append(f'claim c{i}: "step {i}"')
        lines.append(f"c{i} reduces to c{i - 1} >= good")
        lines.append(f"c{i} reduces to c{i - 1} >= partial\n    yields: good")
    lines.append(f"goal c{n} >= good")
    write(tmp_path, "ladder.crux", "\n".join(lines) + "\n")
    proc = run("explain", "ladder.crux", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert len(out) < 6 * n
    assert sum("(derivation above)" in line for line in out) == n - 1


def test_scenario_is_said_and_useless_set_warned(tmp_path):
    write(tmp_path, "interp.crux", INTERP)
    proc = run("explain", "interp.crux", "--set", "interpretability=perfect", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Scenario: --set interpretability=perfect" in proc.stdout
    assert "goal alignment >= good: holds at perfect (baseline none)" in proc.stdout
    assert "set to perfect by --set (assumed great)" in proc.stdout
    assert proc.stderr == ""
    same = run("explain", "interp.crux", "--set", "interpretability=great", cwd=tmp_path)
    assert "warning: --set interpretability=great changes nothing" in same.stderr


def test_set_on_a_concluded_claim_overrides_it(tmp_path):
    write(tmp_path, "interp.crux", INTERP)
    proc = run("explain", "interp.crux", "--set", "alignment=good", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "goal alignment >= good: holds at good (baseline none)" in proc.stdout
    assert "alignment: good · set to good by --set (routes give none)" in proc.stdout


def test_repairs(tmp_path):
    write(tmp_path, "interp.crux", INTERP)
    proc = run("explain", "interp.crux", "--repairs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith(
        "Repairs (raise up to 3 leaf assumptions; smallest first):\n"
        "  1. interpretability great -> perfect (2 steps)\n"
        "Or ask less of one premise (a lower threshold on one route):\n"
        "  `alignment#1` asks `interpretability` >= perfect; >= great (what it has) would do\n"
    )
    data = json.loads(run("explain", "interp.crux", "--repairs", "--format", "json",
                          cwd=tmp_path).stdout)  # fmt: skip
    (goal,) = data["goals"]
    assert goal["threshold_repairs"] == {
        "complete": True,
        "repairs": [
            {
                "route": "alignment#1",
                "premise": "interpretability",
                "from": "perfect",
                "to": "great",
            }
        ],
    }
    assert goal["repairs"] == {
        "complete": True,
        "max_order": 3,
        "repairs": [
            {
                "raise": {"interpretability": "perfect"},
                "from": {"interpretability": "great"},
                "leaves": 1,
                "steps": 2,
            }
        ],
    }


def test_repairs_none_when_an_objection_caps_every_route(tmp_path):
    text = INTERP + (
        'objection nope: "it cannot be done"\n    against: interpretability\n    caps: good\n'
    )
    write(tmp_path, "interp.crux", text)
    proc = run("explain", "interp.crux", "--objections", "--repairs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Scenario: --objections (nope)" in proc.stdout
    assert "capped at good by objection `nope`" in proc.stdout
    assert "Repairs (raise up to 3 leaf assumptions; smallest first):\n  none up to order 3\n" in (
        proc.stdout
    )
    # Asking less of the capped premise is the way out.
    assert proc.stdout.endswith(
        "  `alignment#1` asks `interpretability` >= perfect; >= good (what it has) would do\n"
    )


def test_json_is_flat_and_names_each_premise(tmp_path):
    write(tmp_path, "shared.crux", SHARED)
    proc = run("explain", "shared.crux", "--format", "json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert set(data["claims"]) == {"top", "m", "a", "b"}
    (goal,) = data["goals"]
    assert goal["status"] == "holds" and goal["cut_sets"] == [["a", "b"]]
    assert goal["uniform_margin"] == 0
    route = data["claims"]["top"]["routes"][0]
    assert route["id"] == "top#1" and route["carries"] is True
    assert route["premises"][1] == {
        "claim": "a", "threshold": "great", "bare": False, "value": "great", "met": True,
    }  # fmt: skip


def test_markdown_escapes_map_text(tmp_path):
    hostile = INTERP.replace('"The AI is aligned"', r'"a | b `c` <script>x</script> *d*"')
    write(tmp_path, "interp.crux", hostile)
    proc = run("explain", "interp.crux", "--format", "markdown", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    quote = next(line for line in proc.stdout.splitlines() if line.startswith("> "))
    assert "<script>" not in proc.stdout
    assert quote == r"> a \| b \`c\` &lt;script&gt;x&lt;/script&gt; \*d\*"
    assert "### Goal `alignment` >= `good`: **fails** at `none`" in proc.stdout
    repairs = run("explain", "interp.crux", "--format", "markdown", "--repairs", cwd=tmp_path)
    # Repairs as list items, never 4-space indented (a code block in Markdown).
    # "1." escaped as "1\." (a backslash before a digit is not an escape: it would show).
    assert (
        "- 1\\. interpretability great \\-&gt; perfect \\(2 steps\\)" in repairs.stdout.splitlines()
    )
    assert not any(
        line.startswith("    ") and "- " not in line for line in repairs.stdout.splitlines()
    )


def test_colour_only_on_a_terminal(tmp_path):
    write(tmp_path, "interp.crux", INTERP)

    def on_tty(env: dict[str, str]) -> bytes:
        main, child = pty.openpty()
        full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        full_env.update(env)
        proc = subprocess.Popen(
            [sys.executable, "-m", "cruxmap", "explain", "interp.crux"],
            stdout=child, stderr=subprocess.DEVNULL, cwd=tmp_path, env=full_env,
        )  # fmt: skip
        os.close(child)
        chunks = []
        while True:
            try:
                data = os.read(main, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
        os.close(main)
        return b"".join(chunks)

    assert b"\x1b[" in on_tty({"TERM": "xterm"})
    assert b"\x1b[" not in on_tty({"TERM": "xterm", "NO_COLOR": "1"})


def test_unknown_goal_is_a_usage_error(tmp_path):
    write(tmp_path, "interp.crux", INTERP)
    proc = run("explain", "interp.crux", "alignmnet", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no goal `alignmnet`" in proc.stderr and "did you mean `alignment`?" in proc.stderr
    proc = run("explain", "interp.crux", "interpretability", cwd=tmp_path)
    assert proc.returncode == 2 and "is a claim but not a goal" in proc.stderr


def test_broken_map_is_not_explained(tmp_path):
    write(tmp_path, "bad.crux", 'claim a "no colon"\n')
    proc = run("explain", "bad.crux", cwd=tmp_path)
    assert proc.returncode == 2
    assert "CX001" in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize("path", sorted(ARGUMENTS.glob("*.crux")), ids=lambda p: p.name)
def test_every_argument_map_is_explained(path):
    """Every goal gets a tree whose lines a reader can check: each claim line
    states its value, each premise its threshold, each leaf its source."""
    proc = run("explain", str(path), "--repairs")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(run("explain", str(path), "--format", "json").stdout)
    for goal in data["goals"]:
        assert f"goal {goal['claim']} >= {goal['required']}: " in proc.stdout
        # Each value can be recomputed from the claims table.
        for name, claim in data["claims"].items():
            if claim["leaf"] or "set" in claim:
                continue
            best = max((r["yields"] for r in claim["routes"] if r["works"]),
                       key=data["scale"].index, default=data["scale"][0])  # fmt: skip
            assert claim["value"] == best, name


def test_cruxes_table(tmp_path):
    write(tmp_path, "shared.crux", SHARED)
    proc = run("cruxes", "shared.crux", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "rank  premise  value  brittle  min margin  spof  cut sets  goals",
        "----  -------  -----  -------  ----------  ----  --------  -----",
        "   1  a        great        0           -     0         1  top",
        "   2  b        good         0           -     0         1  top",
    ]


def test_cruxes_rank_brittle_first_and_leave_failing_goals_out():
    proc = run("cruxes", str(ARGUMENTS / "interpretability.crux"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    rows = data["cruxes"]
    assert [r["premise"] for r in rows[:2]] == ["catch_every_problem", "full_interp"]
    assert rows[0]["brittle_for"] == ["aligned_as_argued"] and rows[0]["min_margin"] == 0
    proc = run("cruxes", str(ARGUMENTS / "interpretability.crux"),
               "--set", "full_interp=great")  # fmt: skip
    assert "Left out, failing goals (see `cruxmap explain`):" in proc.stdout
    assert "aligned_as_argued" in proc.stdout.splitlines()[-1]


def test_cruxes_markdown_escapes(tmp_path):
    write(tmp_path, "shared.crux", SHARED)
    proc = run("cruxes", "shared.crux", "--format", "markdown", cwd=tmp_path)
    assert proc.stdout.splitlines()[:3] == [
        "| rank | premise | value | brittle | min margin | spof | cut sets | goals |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        "| 1 | `a` | great | 0 | - | 0 | 1 | `top` |",
    ]
