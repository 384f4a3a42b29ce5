"""``cruxmap lsp`` end to end, the features that need the analysis:
diagnostics as you type (also of imported files), hovers with values and
margins, inlay hints, quick fixes. Edits are sent as an editor sends them
(incremental, unsaved), and the files on disk never change."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import (
    SERVER,
    codes,
    doc,
    edit,
    find,
    make_project,
    open_doc,
    pos,
    replace_all,
    start,
    wait_diagnostics,
)
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio

REPAIRED = """\
claim aligned: "The AI is aligned"
    source: "seed 000"
claim interp: "Interpretability as we get it"
    source: "https://example.org/a_(b)"
    assume: great
claim conceptual: "Parallel conceptual work"
    source: "seed 000"
    assume: good

reduction via_interp: aligned reduces to interp >= good, conceptual >= partial
    because: "interpretability catches most problems"
reduction via_conceptual: aligned reduces to conceptual >= good
    yields: good
    because: "a slower route"

goal aligned >= good

objection too_slow: "Interpretability comes too late"
    against: via_interp
objection answered: "It comes in time"
    against: too_slow
"""


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def hover_text(client: LanguageClient, uri: str, at: lsp.Position) -> str:
    h = await client.text_document_hover_async(lsp.HoverParams(text_document=doc(uri), position=at))
    assert h is not None and isinstance(h.contents, lsp.MarkupContent)
    assert h.contents.kind == lsp.MarkupKind.Markdown
    return h.contents.value


async def hints(client: LanguageClient, uri: str, text: str) -> dict[tuple[int, int], str]:
    lines = text.split("\n")
    result = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(
            text_document=doc(uri), range=lsp.Range(start=pos(0, 0), end=pos(len(lines), 0))
        )
    )
    return {(h.position.line, h.position.character): str(h.label) for h in result or []}


def after(text: str, needle: str) -> lsp.Position:
    at = find(text, needle)
    return pos(at.line, at.character + len(needle))


async def test_diagnostics_hover_and_hints_show_margins(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "p", {"repaired.crux": REPAIRED})
    await start(client, root)
    uri = open_doc(client, root / "repaired.crux")
    diags = await wait_diagnostics(client, uri, lambda ds: "CX105" in codes(ds))
    assert codes(diags) == ["CX105"]
    (cx105,) = diags
    assert cx105.severity == lsp.DiagnosticSeverity.Information
    # CX105 sits on the goal and names the premises without an alternative.
    assert cx105.range.start == find(REPAIRED, "goal aligned")
    assert "single points of failure: `conceptual`" in cx105.message

    text = await hover_text(client, uri, find(REPAIRED, "conceptual >= partial"))
    assert "**claim** `conceptual`: Parallel conceptual work" in text
    assert "value: `good`" in text
    assert "goal `aligned` (holds): margin 1, breaks at `none`" in text
    assert "needs >= `partial`, has `good`: met" in text
    text = await hover_text(client, uri, find(REPAIRED, "interp >= good"))
    assert "margin ∞" in text and "breaks at never" in text
    assert "[https\\://example\\.org/a\\_\\(b\\)](https://example.org/a_%28b%29)" in text

    shown = await hints(client, uri, REPAIRED)

    def at(needle: str) -> str:
        p = after(REPAIRED, needle)
        return shown[(p.line, p.character)]

    # Hints are set off by single guillemets: U+2039 ... U+203A.
    assert at("conceptual >= partial") == "\u2039good, margin 1\u203a"
    assert at("interp >= good") == "\u2039great, margin \u221e\u203a"
    assert at("claim interp") == "\u2039great\u203a"
    assert at("goal aligned >= good") == "\u2039holds at perfect\u203a"


async def test_hover_on_reductions_objections_and_levels(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = REPAIRED.replace("assume: great", "assume: partial")
    root = make_project(tmp_path / "p", {"m.crux": text})
    await start(client, root)
    uri = open_doc(client, root / "m.crux")
    await wait_diagnostics(client, uri, lambda ds: len(ds) > 0)
    red = await hover_text(client, uri, find(text, "reduces to interp"))
    assert "**reduction** `via_interp`" in red
    assert "**does not work**: `interp` is `partial`, needs `good`" in red
    red = await hover_text(client, uri, find(text, "via_conceptual"))
    assert "**works**: yields `good`" in red
    obj = await hover_text(client, uri, find(text, "too_slow"))
    assert "against `via_interp`" in obj and "status: **out**" in obj
    level = await hover_text(client, uri, after(text, "interp >= "))
    assert "**level** `good`: 3rd of 6 on the scale" in level
    assert "**`good`**" in level


async def test_unsaved_incremental_edits_change_the_analysis(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "p", {"repaired.crux": REPAIRED})
    await start(client, root)
    uri = open_doc(client, root / "repaired.crux")
    await wait_diagnostics(client, uri, lambda ds: codes(ds) == ["CX105"])
    # conceptual: good -> partial, typed over the word (not saved).
    at = find(REPAIRED, "assume: good")
    edit(client, uri, 2, at.line, at.character + 8, at.line, at.character + 12, "partial")
    diags = await wait_diagnostics(client, uri, lambda ds: "CX101" in codes(ds))
    assert "premise `conceptual` is brittle for goal `aligned`" in next(
        d.message for d in diags if d.code == "CX101"
    )
    text = await hover_text(client, uri, find(REPAIRED, "conceptual >= partial"))
    assert "margin 0, breaks at `none` — **brittle**" in text
    assert (root / "repaired.crux").read_text("utf-8") == REPAIRED  # nothing saved, nothing written
    # Several edits in a row: only the final text counts.
    edit(client, uri, 3, at.line, at.character + 8, at.line, at.character + 15, "none")
    edit(client, uri, 4, at.line, at.character + 8, at.line, at.character + 12, "great")
    await wait_diagnostics(
        client, uri, lambda ds: codes(ds) == ["CX105"] and "slack 2 steps" in ds[0].message
    )


async def test_edited_into_and_out_of_a_syntax_error(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "p", {"repaired.crux": REPAIRED})
    await start(client, root)
    uri = open_doc(client, root / "repaired.crux")
    await wait_diagnostics(client, uri, lambda ds: codes(ds) == ["CX105"])
    colon = after(REPAIRED, "claim interp")
    edit(
        client, uri, 2, colon.line, colon.character, colon.line, colon.character + 1, ""
    )  # delete the ':'
    diags = await wait_diagnostics(client, uri, lambda ds: "CX001" in codes(ds))
    bad = next(d for d in diags if d.code == "CX001")
    assert bad.range.start.line == 2 and "expected `:`" in bad.message
    assert "CX105" not in codes(diags)  # a map with a syntax error is not analysed
    # Hover and hints still answer; the analysis is reported missing, not stale.
    text = await hover_text(client, uri, find(REPAIRED, "conceptual >= partial"))
    assert "Parallel conceptual work" in text and "not analysed" in text
    assert await hints(client, uri, REPAIRED) == {}
    edit(client, uri, 3, colon.line, colon.character, colon.line, colon.character, ":")
    await wait_diagnostics(client, uri, lambda ds: codes(ds) == ["CX105"])
    assert len(await hints(client, uri, REPAIRED)) > 3


MAIN = """\
import "common.crux"

claim aligned: "The AI is aligned"
    source: "seed"

aligned reduces to oversight >= good
    because: "oversight suffices"

goal aligned >= good
"""

COMMON = """\
claim oversight: "Human oversight"
    assume: great
"""


async def test_multi_file_maps_report_imported_files_and_follow_their_buffers(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "p", {"main.crux": MAIN, "common.crux": COMMON})
    await start(client, root)
    main_uri = open_doc(client, root / "main.crux")
    common_uri = (root / "common.crux").as_uri()
    # The imported file's findings arrive too, though only main is open.
    await wait_diagnostics(client, common_uri, lambda ds: "CX202" in codes(ds))
    await wait_diagnostics(client, main_uri, lambda ds: codes(ds) == ["CX105"])
    # Open the imported file and weaken its claim, unsaved: main's goal fails.
    open_doc(client, root / "common.crux")
    replace_all(client, common_uri, COMMON.replace("great", "partial"), 2)
    diags = await wait_diagnostics(client, main_uri, lambda ds: "CX102" in codes(ds))
    assert "goal `aligned` needs good, reaches none" in next(
        d.message for d in diags if d.code == "CX102"
    )
    text = await hover_text(client, main_uri, find(MAIN, "oversight >= good"))
    assert "Human oversight" in text and "value: `partial`" in text
    # The server never wrote the buffer out.
    assert (root / "common.crux").read_text("utf-8") == COMMON


async def test_code_actions(client: LanguageClient, tmp_path: Path) -> None:
    text = REPAIRED.replace("conceptual >= good", "conceptal >= god")
    root = make_project(tmp_path / "p", {"m.crux": text})
    await start(client, root)
    uri = open_doc(client, root / "m.crux")
    diags = await wait_diagnostics(client, uri, lambda ds: "CX002" in codes(ds))
    cx002 = next(d for d in diags if d.code == "CX002")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=doc(uri),
            range=cx002.range,
            context=lsp.CodeActionContext(diagnostics=[cx002]),
        )
    )
    fixes = [
        a
        for a in actions or []
        if isinstance(a, lsp.CodeAction) and a.title == "Change to `conceptual`"
    ]
    assert len(fixes) == 1 and fixes[0].edit is not None and fixes[0].edit.changes is not None
    (change,) = fixes[0].edit.changes[uri]
    assert change.new_text == "conceptual" and change.range == cx002.range
    cx004 = next(d for d in diags if d.code == "CX004")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=doc(uri),
            range=cx004.range,
            context=lsp.CodeActionContext(diagnostics=[cx004]),
        )
    )
    assert "Change to `good`" in [a.title for a in actions or []]
    # Blocking errors cannot be ignored, so no "ignore" action for them.
    assert not any("Ignore" in a.title for a in actions or [])

    # Ignore a finding on its statement, with a line for the reason.
    replace_all(client, uri, REPAIRED, 2)
    diags = await wait_diagnostics(client, uri, lambda ds: codes(ds) == ["CX105"])
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=doc(uri),
            range=diags[0].range,
            context=lsp.CodeActionContext(diagnostics=list(diags)),
        )
    )
    ignore = next(a for a in actions or [] if a.title.startswith("Ignore CX105"))
    assert (
        isinstance(ignore, lsp.CodeAction)
        and ignore.edit is not None
        and ignore.edit.changes is not None
    )
    edits = sorted(
        ignore.edit.changes[uri], key=lambda e: (e.range.start.line, e.range.start.character)
    )
    assert (
        edits[0].range.start == find(REPAIRED, "goal aligned")
        and edits[0].new_text == "# CX105 ignored here because REASON\n"
    )
    assert (
        edits[1].range.start == after(REPAIRED, "goal aligned >= good")
        and edits[1].new_text == "  # cruxmap: ignore[CX105]"
    )
    # Applying it makes the finding go away.
    lines = REPAIRED.split("\n")
    goal_line = find(REPAIRED, "goal aligned").line
    lines[goal_line] += edits[1].new_text
    lines.insert(goal_line, edits[0].new_text.rstrip("\n"))
    replace_all(client, uri, "\n".join(lines), 3)
    await wait_diagnostics(client, uri, lambda ds: codes(ds) == [])

    # "Add source:" on a claim that has none.
    no_source = 'claim lonely: "No source"\n\ngoal lonely >= none\n'
    replace_all(client, uri, no_source, 4)
    await wait_diagnostics(client, uri, lambda ds: "CX202" in codes(ds))
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=doc(uri),
            range=lsp.Range(start=pos(0, 8), end=pos(0, 8)),
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    add = next(a for a in actions or [] if a.title == "Add `source:` to `lonely`")
    assert isinstance(add, lsp.CodeAction) and add.edit is not None and add.edit.changes is not None
    (change,) = add.edit.changes[uri]
    assert change.range.start == pos(1, 0) and change.new_text == '    source: ""\n'


async def test_hover_escapes_map_text(client: LanguageClient, tmp_path: Path) -> None:
    hostile = (
        'claim evil: "<img src=x onerror=alert(1)> **bold** [click](javascript:alert(1)) `code` # head"\n'
        '    source: "javascript:alert(1)"\n'
        'claim other: "x"\n'
        '    source: "http://a.example/ok) [x](javascript:alert(2)"\n'
        "goal evil >= none\n"
    )
    root = make_project(tmp_path / "p", {"m.crux": hostile})
    await start(client, root)
    uri = open_doc(client, root / "m.crux")
    await wait_diagnostics(client, uri, lambda ds: len(ds) > 0)
    text = await hover_text(client, uri, find(hostile, "evil"))
    assert "<img" not in text and "&lt;img src=x onerror=alert\\(1\\)&gt;" in text
    assert "](javascript:" not in text and "\\*\\*bold\\*\\*" in text and "\\`code\\`" in text
    assert "source: javascript\\:alert\\(1\\)" in text  # not a link
    text = await hover_text(client, uri, find(hostile, "other"))
    assert (
        "](javascript:" not in text and "source: http\\://a\\.example" in text
    )  # has a space: not a URL


async def test_explain_goal_code_action(client: LanguageClient, tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"repaired.crux": REPAIRED})
    await start(client, root)
    uri = open_doc(client, root / "repaired.crux")
    await wait_diagnostics(client, uri, lambda ds: codes(ds) == ["CX105"])
    goal = find(REPAIRED, "goal aligned")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=doc(uri),
            range=lsp.Range(start=goal, end=goal),
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    explain = next(a for a in actions or [] if a.title == "Explain goal `aligned`")
    assert isinstance(explain, lsp.Command)
    text = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=explain.command, arguments=explain.arguments)
    )
    assert isinstance(text, str)
    assert "aligned" in text and "via_interp" in text and "conceptual" in text
    assert client.messages[-1].message == text  # also shown, for clients that drop results
    with pytest.raises(JsonRpcException, match="no goal `interp`"):
        await client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=explain.command, arguments=[uri, "interp"])
        )
