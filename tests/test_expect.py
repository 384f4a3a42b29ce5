"""Goals expected to fail (``expect: fails``, issue 19 part 5): a critique
map's failing goal does not block, and one that holds again is an error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import SERVER, doc, find, make_project, open_doc, pos, start, wait_diagnostics
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from cruxmap import api
from cruxmap.core.diagnostics import RULES, explain
from cruxmap.core.formatting import format_text
from cruxmap.present.report import Report

#: The goal fails at baseline (interp is partial, the route needs great).
FAILS = """\
claim alignment: "aligned"
    source: "s"
claim interp: "interpretability succeeds"
    source: "s"
    assume: partial
reduction r: alignment reduces to interp >= great
    because: "b"
goal alignment >= good
    expect: fails
"""
#: The same critique gone stale: interp is now assumed great.
STALE = FAILS.replace("assume: partial", "assume: great")
#: Holds at baseline, fails once the standing objection caps interp.
WITH_OBJECTION = (
    STALE
    + """
objection opaque: "features are not the model's concepts"
    against: interp
    caps: partial
    source: "s"
"""
)


def _codes(text: str) -> list[str]:
    return [d.code for d in api.analyse(api.load_text(text, "m.crux")).diagnostics]


def test_failure_as_expected_is_information_not_an_error() -> None:
    r = api.analyse(api.load_text(FAILS, "m.crux"))
    assert [d.code for d in r.diagnostics] == ["CX107"]
    (d,) = r.diagnostics
    assert d.severity.value == "info" and d.line == 8
    assert d.message.startswith("goal `alignment` fails, as expected: needs good, reaches none")
    goal = r.goals["alignment"]
    assert (goal.status, goal.expected, goal.as_expected) == ("fails", "fails", True)
    assert goal.verdict == "fails as expected"
    # Without the line, the same map is a CX102 error.
    plain = api.analyse(api.load_text(FAILS.replace("    expect: fails\n", ""), "m.crux"))
    assert [d.code for d in plain.diagnostics] == ["CX102"]
    assert plain.goals["alignment"].expected == "holds"
    assert plain.goals["alignment"].as_expected is False


def test_stale_expectation_is_an_error() -> None:
    r = api.analyse(api.load_text(STALE, "m.crux"))
    assert "CX106" in [d.code for d in r.diagnostics]
    (d,) = [d for d in r.diagnostics if d.code == "CX106"]
    assert d.severity.value == "error" and d.subject == ("alignment",)
    assert "expected to fail but holds at perfect" in d.message and d.suggestion
    goal = r.goals["alignment"]
    assert (goal.status, goal.as_expected, goal.verdict) == (
        "holds", False, "holds, expected to fail",
    )  # fmt: skip
    # `expect: holds` is the default, written or not.
    written = api.analyse(api.load_text(STALE.replace("fails\n", "holds\n"), "m.crux"))
    assert "CX106" not in [d.code for d in written.diagnostics]
    assert written.goals["alignment"].as_expected


def test_failure_once_objections_apply_is_as_expected() -> None:
    """The seed maps' critiques: the argument holds as argued, and the
    standing objection (the essay's scaling-down test) makes it fail."""
    r = api.analyse(api.load_text(WITH_OBJECTION, "m.crux"))
    codes = [d.code for d in r.diagnostics]
    assert "CX104" not in codes and "CX106" not in codes and "CX107" in codes
    (d,) = [d for d in r.diagnostics if d.code == "CX107"]
    assert "fails once the standing objections are applied, as expected" in d.message
    assert d.subject == ("alignment", "opaque")
    goal = r.goals["alignment"]
    assert goal.holds and goal.as_expected and goal.verdict == "fails with objections, as expected"
    # Analysed with the objections applied, it fails outright, as expected.
    applied = api.analyse(api.load_text(WITH_OBJECTION, "m.crux"), api.Options(objections=True))
    assert "CX107" in [d.code for d in applied.diagnostics]
    assert applied.goals["alignment"].verdict == "fails as expected"


def test_rules_are_registered_with_help() -> None:
    for code in ("CX106", "CX107"):
        text = explain(RULES[code])
        assert "expect: fails" in text and "Example:" in text
    assert RULES["CX106"].severity.value == "error" and RULES["CX107"].severity.value == "info"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cruxmap", *args], cwd=cwd, capture_output=True, text=True
    )


def test_cli_exit_codes_and_outputs(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", "utf-8")
    (tmp_path / "critique.crux").write_text(FAILS, "utf-8")
    (tmp_path / "stale.crux").write_text(STALE, "utf-8")
    ok = _cli("check", "critique.crux", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "CX102" not in ok.stdout
    assert "goal `alignment` fails, as expected, at none (needs good)" in ok.stdout
    stale = _cli("check", "stale.crux", cwd=tmp_path)
    assert stale.returncode == 1
    assert "stale.crux:8:1: CX106 goal `alignment` is expected to fail" in stale.stdout
    assert "holds at perfect (needs good), but is expected to fail" in stale.stdout
    rules = _cli("rules", "CX106", cwd=tmp_path)
    assert rules.returncode == 0 and "expected-failure-holds" in rules.stdout
    # JSON: valid against the schema, the expectation on the goal.
    out = _cli("check", "critique.crux", "stale.crux", "--format", "json", cwd=tmp_path)
    assert out.returncode == 1
    report = json.loads(out.stdout)
    Report.model_validate(report)
    goals = {m["root"]: m["goals"]["alignment"] for m in report["maps"]}
    assert goals["critique.crux"]["status"] == "fails"
    assert goals["critique.crux"]["expected"] == "fails"
    assert goals["critique.crux"]["as_expected"] is True
    assert goals["stale.crux"]["as_expected"] is False
    # SARIF: the expected failure is a note, the stale one an error.
    sarif = json.loads(_cli("check", "critique.crux", "stale.crux", "--format", "sarif",
                            cwd=tmp_path).stdout)  # fmt: skip
    levels = {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}
    assert levels["CX107"] == "note" and levels["CX106"] == "error"
    # explain says the failure is expected, in text and JSON.
    text = _cli("explain", "critique.crux", cwd=tmp_path).stdout
    assert "goal alignment >= good: fails at none, as expected" in text
    data = json.loads(_cli("explain", "critique.crux", "--format", "json", cwd=tmp_path).stdout)
    assert data["goals"][0]["expected"] == "fails" and data["goals"][0]["as_expected"] is True
    text = _cli("explain", "stale.crux", cwd=tmp_path).stdout
    assert "but is expected to fail (the critique went stale)" in text


def test_render_draws_an_expected_failure_distinctly(tmp_path: Path) -> None:
    from cruxmap.present import render

    for text, verdict in ((FAILS, "FAILS (expected)"), (STALE, "HOLDS, expected to fail")):
        r = api.analyse(api.load_text(text, "m.crux"))
        dot = render.to_dot(r.internal, name="m.crux")
        assert verdict in dot
        assert "goal the map expects to fail" in dot
    plain = api.analyse(api.load_text(FAILS.replace("    expect: fails\n", ""), "m.crux"))
    dot = render.to_dot(plain.internal, name="m.crux")
    assert "(expected)" not in dot and "expects to fail" not in dot


def test_fmt_places_expect_before_note_and_round_trips() -> None:
    text = 'claim a: "A"\ngoal a >= good  # g\n    note: "n"\n    expect:   fails  # why\n'
    out = format_text(text, "m.crux")
    assert out.endswith('goal a >= good  # g\n    expect: fails  # why\n    note: "n"\n')
    assert format_text(out, "m.crux") == out


@pytest.mark.parametrize(
    ("old", "new", "kind", "effect"),
    [
        (FAILS, STALE, "goal_status", "regression"),  # the critique went stale
        (STALE, FAILS, "goal_status", "better"),
        (FAILS.replace("    expect: fails\n", ""), FAILS, "goal_expected", "neutral"),
        # Started failing as expected: no regression.
        (STALE.replace("    expect: fails\n", ""), FAILS, "goal_status", "neutral"),
        # The objection answered: holds with objections too, so stale.
        (
            WITH_OBJECTION,
            WITH_OBJECTION.replace("caps: partial", "caps: great"),
            "with_objections",
            "regression",
        ),
    ],
)
def test_diff_judges_by_the_expectation(old: str, new: str, kind: str, effect: str) -> None:
    from cruxmap.present.diff import compare, facts

    def of(text: str) -> dict[str, object]:
        m = api.load_text(text, "m.crux")
        return facts(api.analyse(m), m)

    changes = {c.kind: c.effect for c in compare(of(old), of(new))}
    assert changes[kind] == effect, changes
    if effect != "regression":
        assert "regression" not in changes.values(), changes


# --------------------------------------------------------------------------- language server


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_language_server_completes_and_explains_expect(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "p", {"m.crux": FAILS})
    await start(client, root)
    uri = open_doc(client, root / "m.crux")
    diags = await wait_diagnostics(client, uri, lambda ds: len(ds) > 0)
    assert [str(d.code) for d in diags] == ["CX107"]
    assert diags[0].severity == lsp.DiagnosticSeverity.Information

    async def labels(at: lsp.Position) -> list[str]:
        result = await client.text_document_completion_async(
            lsp.CompletionParams(text_document=doc(uri), position=at)
        )
        assert isinstance(result, lsp.CompletionList)
        return [i.label for i in result.items]

    line = FAILS.split("\n").index("    expect: fails")
    assert await labels(pos(line, 4)) == ["expect", "note"]
    assert await labels(pos(line, len("    expect: "))) == ["holds", "fails"]

    async def hover(at: lsp.Position) -> str:
        h = await client.text_document_hover_async(
            lsp.HoverParams(text_document=doc(uri), position=at)
        )
        assert h is not None and isinstance(h.contents, lsp.MarkupContent)
        return h.contents.value

    for at in (find(FAILS, "expect"), find(FAILS, "fails")):
        text = await hover(at)
        assert text.startswith("**expect** `fails`: the map records this argument")
        assert "**fails as expected** at `none`" in text
    goal = await hover(find(FAILS, "goal"))
    assert "**fails as expected** at `none`" in goal
