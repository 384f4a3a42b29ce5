"""Rules as units: one table (`RULES`) that the loader, the CLI, SARIF and
docs/language.md derive from, messages built from its templates, and the
long help `cruxmap rules CODE` prints, whose examples really trigger it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from randmaps import GeneratedMap, crux_maps, shaped_maps, text_of

from cruxmap.core import diagnostics as dg
from cruxmap.core import loader
from cruxmap.core.diagnostics import RULES, make

DOCS = Path(__file__).parent.parent / "docs" / "language.md"


def cruxmap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cruxmap", *args], capture_output=True, text=True, timeout=60
    )


def test_docs_table_is_the_rules_table() -> None:
    text = DOCS.read_text("utf-8")
    m = re.search(r"<!-- rules table:[^\n]*-->\n(.*?)<!-- end of rules table -->", text, re.S)
    assert m, "docs/language.md lost its rules table markers"
    assert m.group(1) == dg.rules_table(), (
        "regenerate with: python -c 'from cruxmap.core.diagnostics import rules_table; "
        'print(rules_table(), end="")\''
    )


def test_blocking_and_exit_classes_derive_from_the_rules() -> None:
    assert loader.BLOCKING == dg.BLOCKING == {c for c, r in RULES.items() if r.blocking}
    assert {"CX001", "CX002", "CX003", "CX004", "CX005", "CX007"} == dg.BLOCKING
    assert {"CX001", "CX005", "CX007"} == dg.INPUT_ERRORS
    for r in RULES.values():
        assert r.exit_class in (dg.EXIT_FINDINGS, dg.EXIT_INPUT)
        assert r.code.startswith("CX") and re.fullmatch(r"[a-z]+(-[a-z]+)*", r.name)
        assert "" in r.messages and r.help.strip() and r.description.endswith(".")
        # Every subject names an argument of some message form.
        taken = {a for form in r.messages for a in r.arguments(form)}
        assert set(r.subject) <= taken, r.code


def test_messages_are_built_from_templates_with_their_arguments() -> None:
    d = make("CX101", "a.crux", 3, 1, premise="interp", goal="alignment", level="perfect",
             breaks_at="near_perfect", end_line=3, end_column=13)  # fmt: skip
    assert d.message == (
        "premise `interp` is brittle for goal `alignment`: at perfect the goal holds, "
        "at near_perfect it fails"
    )
    assert d.severity is dg.Severity.WARNING
    # CX101 is about its premise; the goals it concerns are carried apart.
    assert d.subject == ("interp",)
    assert d.arguments["breaks_at"] == "near_perfect"
    assert (d.end_line, d.end_column) == (3, 13)
    with pytest.raises(KeyError):
        make("CX101", "a.crux", 1, 1, premise="x")  # a missing argument is a bug
    # A range that ends before it starts becomes one character.
    assert make("CX201", "a.crux", 2, 5, claim="c", end_line=1, end_column=1).end_column == 6


def _examples(rule: dg.Rule) -> str:
    m = re.search(r"Example:\n\n((?:    .*\n|\n)+)", rule.help)
    assert m, f"{rule.code}: its help has no example"
    return textwrap.dedent(m.group(1))


#: Rules whose example is a git session, not a map: tests/test_gitrev_hostile.py
#: runs it (test_cx007_help_example_triggers_it).
GIT_EXAMPLES = {"CX007"}


@pytest.mark.parametrize("code", [c for c in RULES if c not in GIT_EXAMPLES])
def test_each_help_example_triggers_its_rule(
    code: str, project: Path, write: Callable[..., Path], run: Callable[..., tuple[int, str, str]]
) -> None:
    """The example in `cruxmap rules CODE` is a real map that gets CODE."""
    path = write("example.crux", _examples(RULES[code]))
    status, out, err = run("check", "--format", "json", "--max-order", "1", path.name)
    assert (status == 2) == (code in dg.INPUT_ERRORS), err
    doc = json.loads(out)
    assert code in {d["code"] for d in doc["diagnostics"]}, doc["diagnostics"]


def test_rules_command_explains_one_rule() -> None:
    out = cruxmap("rules", "CX101")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("CX101 brittle-premise (warning)\n")
    assert "Example:" in out.stdout and "ignore[CX101]" in out.stdout
    assert RULES["CX101"].message in out.stdout
    by_name = cruxmap("rules", "brittle-premise")
    assert by_name.stdout == out.stdout
    blocking = cruxmap("rules", "cx001")
    assert "cannot be suppressed" in blocking.stdout and "Exit status: 2" in blocking.stdout


def test_rules_command_lists_and_refuses_unknown_codes() -> None:
    listed = cruxmap("rules")
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(RULES)
    bad = cruxmap("rules", "CX10")
    assert bad.returncode == 2 and "unknown rule 'CX10'" in bad.stderr
    assert "did you mean" in bad.stderr


# --------------------------------------------------------------------------- the registry


def test_every_registered_rule_reports_declared_codes() -> None:
    """Each rule function is registered with codes the table declares, and
    every analysis code is some rule's (a rule not registered never runs)."""
    from cruxmap.core.lint import REGISTRY

    registered = {c for r in REGISTRY for c in r.codes}
    assert registered <= set(RULES)
    assert {"CX101", "CX102", "CX103", "CX104", "CX105", "CX106", "CX107"} <= registered
    assert {"CX201", "CX202", "CX203", "CX205"} <= registered


_SELECTIONS = [(("CX1",), ()), (("CX101",), ()), ((), ("CX2",)), (("CX105", "CX201"), ("CX1",))]


@given(st.one_of(crux_maps(), shaped_maps()), st.sampled_from(_SELECTIONS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_rules_not_selected_are_skipped_not_filtered(
    gm: GeneratedMap, selection: tuple[tuple[str, ...], tuple[str, ...]]
) -> None:
    """Running only the selected rules finds what running all of them and
    filtering finds (the selection is known before the rules run)."""
    from cruxmap import api
    from cruxmap.core import lint

    m = api.load_text(text_of(gm.map))
    select, ignore = selection
    options = api.Options(select=select, ignore=ignore)
    narrow = api.analyse(m, options).diagnostics
    everything = lint.check_map(m.model, m.diagnostics, lint.Options())
    wanted = lint.selection(list(select) or None, list(ignore))
    filtered = [d for d in everything.diagnostics if d.code in lint.BLOCKING or wanted(d.code)]
    assert sorted(narrow, key=lambda d: d.sort_key) == sorted(filtered, key=lambda d: d.sort_key)


def test_misspelt_names_carry_a_structured_fix() -> None:
    """A did-you-mean finding carries its fix (the language server's code
    action), over the finding's own range; the reports do not show it."""
    from cruxmap import api

    text = textwrap.dedent(
        """\
        claim evidence: "e"
          source: "s"
          assume: good
        claim conclusion: "c"
          source: "s"
        reduction r: conclusion reduces to evidnce
          because: "b"
        goal conclusion >= god
        """
    )
    m = api.load_text(text)
    fixes = {d.code: d.fix for d in m.diagnostics if d.fix is not None}
    assert set(fixes) == {"CX002", "CX004"}
    d = next(d for d in m.diagnostics if d.code == "CX002")
    assert d.fix is not None and d.fix.new_text == "evidence"
    assert (d.fix.line, d.fix.column, d.fix.end_line, d.fix.end_column) == (
        d.line, d.column, d.end_line, d.end_column,
    )  # fmt: skip
    assert "fix" not in d.to_json()
