"""``cruxmap lsp`` end to end, the features that read the text: outline,
folding, highlighting, definitions, references, rename, completion,
formatting, and the server's refusals. A real client (pytest-lsp) talks to
the server in a subprocess over stdio, as an editor does."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import SERVER, doc, find, make_project, open_doc, pos, raw_request, send_raw, start
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio

MAIN = """\
import "common.crux"

# The argument as repaired:
# interpretability is one bet among two.
claim aligned: "The AI is aligned"
    source: "https://example.org/essay"
claim interp: "Interpretability as we get it"
    assume: great

reduction via_interp: aligned reduces to interp >= good, oversight >= good
    because: "we catch most problems"

goal aligned >= good

objection too_slow: "Interpretability is too slow"
    against: via_interp
"""

COMMON = """\
claim oversight: "Other oversight"
    source: "seed 000"
    assume: near_perfect
"""


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def maps(tmp_path: Path) -> Path:
    return make_project(tmp_path / "maps", {"main.crux": MAIN, "common.crux": COMMON})


async def test_outline_lists_every_statement(client: LanguageClient, maps: Path) -> None:
    await start(client, maps)
    uri = open_doc(client, maps / "main.crux")
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc(uri))
    )
    assert symbols is not None
    names = [(s.name, s.kind) for s in symbols]  # type: ignore[union-attr]
    assert names == [
        ("common.crux", lsp.SymbolKind.Module),
        ("aligned", lsp.SymbolKind.Variable),
        ("interp", lsp.SymbolKind.Variable),
        ("via_interp", lsp.SymbolKind.Function),
        ("goal aligned", lsp.SymbolKind.Event),
        ("too_slow", lsp.SymbolKind.Interface),
    ]
    aligned = symbols[1]
    assert isinstance(aligned, lsp.DocumentSymbol)
    assert aligned.detail == "The AI is aligned"
    assert (aligned.range.start.line, aligned.range.end.line) == (4, 5)
    assert aligned.selection_range.start == pos(4, 6) and aligned.selection_range.end == pos(4, 13)


async def test_folding_statements_and_comment_blocks(client: LanguageClient, maps: Path) -> None:
    await start(client, maps)
    uri = open_doc(client, maps / "main.crux")
    ranges = await client.text_document_folding_range_async(
        lsp.FoldingRangeParams(text_document=doc(uri))
    )
    assert ranges is not None
    got = {(r.start_line, r.end_line, r.kind) for r in ranges}
    assert (4, 5, lsp.FoldingRangeKind.Region) in got  # claim aligned + source
    assert (9, 10, lsp.FoldingRangeKind.Region) in got  # reduction + because
    assert (2, 3, lsp.FoldingRangeKind.Comment) in got
    assert not any(r.start_line == 12 for r in ranges)  # a one-line goal does not fold


def decode_tokens(data: list[int], legend: list[str], text: str) -> list[tuple[str, str, bool]]:
    lines = text.split("\n")
    out = []
    line = col = 0
    for i in range(0, len(data), 5):
        dl, dc, length, kind, mods = data[i : i + 5]
        line += dl
        col = col + dc if dl == 0 else dc
        out.append((lines[line][col : col + length], legend[kind], bool(mods & 1)))
    return out


async def test_semantic_tokens_highlight_without_a_grammar(
    client: LanguageClient, maps: Path
) -> None:
    init = await start(client, maps)
    legend = init.capabilities.semantic_tokens_provider.legend.token_types  # type: ignore[union-attr]
    uri = open_doc(client, maps / "main.crux")
    tokens = await client.text_document_semantic_tokens_full_async(
        lsp.SemanticTokensParams(text_document=doc(uri))
    )
    assert tokens is not None
    seen = decode_tokens(list(tokens.data), list(legend), MAIN)
    assert seen[0] == ("import", "keyword", False)
    assert seen[1] == ('"common.crux"', "string", False)
    assert ("# The argument as repaired:", "comment", False) in seen
    assert ("interp", "variable", True) in seen  # its declaration
    assert ("via_interp", "function", True) in seen
    assert ("too_slow", "event", True) in seen
    assert ("good", "enumMember", False) in seen
    assert ("reduces", "keyword", False) in seen
    assert (">=", "operator", False) in seen
    assert ("source", "property", False) in seen
    assert (
        seen.count(("via_interp", "function", False)) == 1
    )  # `against: via_interp` is a reduction


async def test_definition_and_references_across_imports(client: LanguageClient, maps: Path) -> None:
    await start(client, maps)
    uri = open_doc(client, maps / "main.crux")
    at = find(MAIN, "oversight >= good")
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=doc(uri), position=at)
    )
    assert isinstance(found, list) and len(found) == 1
    assert found[0].uri == (maps / "common.crux").as_uri()
    assert found[0].range == lsp.Range(start=pos(0, 6), end=pos(0, 15))

    at = find(MAIN, "interp >= good")
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc(uri),
            position=at,
            context=lsp.ReferenceContext(include_declaration=True),
        )
    )
    assert refs is not None
    assert sorted((r.range.start.line, r.range.start.character) for r in refs) == [(6, 6), (9, 41)]
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc(uri),
            position=at,
            context=lsp.ReferenceContext(include_declaration=False),
        )
    )
    assert [(r.range.start.line, r.range.start.character) for r in refs or []] == [(9, 41)]

    # A reduction is found from the objection that names it.
    at = find(MAIN, "against: via_interp")
    at = pos(at.line, at.character + len("against: "))
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=doc(uri), position=at)
    )
    assert isinstance(found, list) and found[0].range.start == pos(9, 10)


async def test_rename_across_every_file_of_the_map(client: LanguageClient, maps: Path) -> None:
    await start(client, maps)
    uri = open_doc(client, maps / "main.crux")
    at = find(MAIN, "oversight >= good")
    prepared = await client.text_document_prepare_rename_async(
        lsp.PrepareRenameParams(text_document=doc(uri), position=at)
    )
    assert (
        isinstance(prepared, lsp.PrepareRenamePlaceholder) and prepared.placeholder == "oversight"
    )
    edit = await client.text_document_rename_async(
        lsp.RenameParams(text_document=doc(uri), position=at, new_name="human_oversight")
    )
    assert edit is not None and edit.changes is not None
    common_uri = (maps / "common.crux").as_uri()
    assert set(edit.changes) == {uri, common_uri}
    assert [e.range.start for e in edit.changes[common_uri]] == [pos(0, 6)]
    assert [e.new_text for e in edit.changes[uri]] == ["human_oversight"]
    # The server proposes edits; it writes nothing itself.
    assert (maps / "common.crux").read_text("utf-8") == COMMON


async def test_rename_refuses_keywords_bad_names_and_clashes(
    client: LanguageClient, maps: Path
) -> None:
    await start(client, maps)
    uri = open_doc(client, maps / "main.crux")
    with pytest.raises(JsonRpcException, match="keyword"):
        await client.text_document_prepare_rename_async(
            lsp.PrepareRenameParams(text_document=doc(uri), position=find(MAIN, "reduces"))
        )
    with pytest.raises(JsonRpcException, match="default scale"):
        await client.text_document_prepare_rename_async(
            lsp.PrepareRenameParams(text_document=doc(uri), position=find(MAIN, "good"))
        )
    at = find(MAIN, "interp >= good")
    for bad, why in [
        ("claim", "not a valid name"),
        ("9lives", "not a valid name"),
        ("aligned", "already declared"),
    ]:
        with pytest.raises(JsonRpcException, match=why):
            await client.text_document_rename_async(
                lsp.RenameParams(text_document=doc(uri), position=at, new_name=bad)
            )


async def test_rename_refuses_generated_reduction_ids(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = 'claim a: "A"\nclaim b: "B"\na reduces to b\nobjection o: "no"\n    against: a  # not a#1: that cannot be written\n'
    root = make_project(tmp_path / "p", {"m.crux": text})
    await start(client, root)
    uri = open_doc(client, root / "m.crux")
    at = find(text, "a#1")
    with pytest.raises(JsonRpcException, match="generated reduction ID"):
        await client.text_document_prepare_rename_async(
            lsp.PrepareRenameParams(text_document=doc(uri), position=at)
        )


async def labels(client: LanguageClient, uri: str, at: lsp.Position) -> list[str]:
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=doc(uri), position=at)
    )
    assert isinstance(result, lsp.CompletionList)
    return [i.label for i in result.items]


async def test_completion_by_context(client: LanguageClient, maps: Path) -> None:
    await start(client, maps)
    scale = "scale: low < mid < high\n"
    text = MAIN.replace('import "common.crux"\n', 'import "common.crux"\n' + scale)
    uri = open_doc(client, maps / "main.crux", text)
    line = text.split("\n").index(
        "reduction via_interp: aligned reduces to interp >= good, oversight >= good"
    )
    # After `>=`: the map's own scale, in order.
    assert await labels(client, uri, pos(line, text.split("\n")[line].index("good"))) == [
        "low",
        "mid",
        "high",
    ]
    # After `reduces to` and after a comma: claims, imported ones included.
    assert set(
        await labels(client, uri, pos(line, len("reduction via_interp: aligned reduces to ")))
    ) == {
        "aligned",
        "interp",
        "oversight",
    }
    # At the start of a line: keywords and claims (a bare reduction starts with one).
    at_start = await labels(client, uri, pos(line + 2, 0))
    assert {
        "claim",
        "reduction",
        "goal",
        "objection",
        "scale",
        "import",
        "aligned",
        "oversight",
    } <= set(at_start)
    # `against:` takes claims, reductions and objections.
    against = text.split("\n").index("    against: via_interp")
    assert {"via_interp", "too_slow", "aligned"} <= set(
        await labels(client, uri, pos(against, len("    against: ")))
    )
    # An indented line under a claim: the attributes a claim takes.
    claim_line = text.split("\n").index("    assume: great")
    assert await labels(client, uri, pos(claim_line, 4)) == ["source", "assume", "tags", "note"]
    assert await labels(client, uri, pos(claim_line, len("    assume: "))) == ["low", "mid", "high"]
    # Inside a string: nothing.
    assert await labels(client, uri, find(text, "AI is aligned")) == []


async def test_broken_document_keeps_its_good_statements(
    client: LanguageClient, maps: Path
) -> None:
    await start(client, maps)
    broken = MAIN.replace("claim interp:", "claim interp").replace(
        "goal aligned >= good", "goal aligned >="
    )
    uri = open_doc(client, maps / "main.crux", broken)
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc(uri))
    )
    names = [s.name for s in symbols or []]
    assert names == ["common.crux", "aligned", "via_interp", "too_slow"]
    assert "oversight" in await labels(
        client,
        uri,
        pos(find(broken, "interp >= good").line, len("reduction via_interp: aligned reduces to ")),
    )
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc(uri), position=find(broken, "aligned reduces"))
    )
    assert hover is not None and "The AI is aligned" in hover.contents.value  # type: ignore[union-attr]


async def test_formatting_is_an_edit_and_refused_when_it_does_not_parse(
    client: LanguageClient, maps: Path
) -> None:
    await start(client, maps)
    messy = 'claim   a :   "A"\n        source:"s"\n'
    (maps / "messy.crux").write_text(messy, "utf-8")
    uri = open_doc(client, maps / "messy.crux")
    options = lsp.FormattingOptions(tab_size=4, insert_spaces=True)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(text_document=doc(uri), options=options)
    )
    assert edits is not None and len(edits) == 1
    assert edits[0].new_text == 'claim a: "A"\n    source: "s"\n'
    assert edits[0].range == lsp.Range(start=pos(0, 0), end=pos(2, 0))
    assert (maps / "messy.crux").read_text("utf-8") == messy  # nothing written

    broken_uri = open_doc(client, maps / "broken.crux", 'claim a "A"\n')
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(text_document=doc(broken_uri), options=options)
    )
    assert not edits
    # The message is sent before the response, so it has arrived by now.
    assert "does not parse (line 1" in client.messages[-1].message
    assert not (maps / "broken.crux").exists()


async def test_outside_the_root_and_malformed_requests_are_errors(
    client: LanguageClient, maps: Path, tmp_path: Path
) -> None:
    await start(client, maps)
    outside = tmp_path / "elsewhere.crux"
    outside.write_text('claim secret: "not yours"\n', "utf-8")
    with pytest.raises(JsonRpcException, match="outside the workspace"):
        await client.text_document_hover_async(
            lsp.HoverParams(text_document=doc(outside.as_uri()), position=pos(0, 7))
        )
    with pytest.raises(JsonRpcException, match="outside the workspace"):
        await client.text_document_definition_async(
            lsp.DefinitionParams(
                text_document=doc((maps / ".." / "elsewhere.crux").as_uri()), position=pos(0, 7)
            )
        )
    with pytest.raises(JsonRpcException, match="file: URIs"):
        await client.text_document_document_symbol_async(
            lsp.DocumentSymbolParams(text_document=doc("https://example.org/x.crux"))
        )
    # Parameters of the wrong shape: an error response, and the server lives on.
    with pytest.raises(JsonRpcException):
        await raw_request(client, "textDocument/hover", {"textDocument": 5, "position": "here"})
    with pytest.raises(JsonRpcException):
        await raw_request(client, "textDocument/rename", {"textDocument": {"uri": "file:///x"}})
    with pytest.raises(JsonRpcException):
        await raw_request(
            client,
            "textDocument/hover",
            {"textDocument": {"uri": "file:///%00"}, "position": {"line": -4, "character": 10**12}},
        )
    await send_raw(client, b"{this is not json")
    uri = open_doc(client, maps / "main.crux")
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc(uri))
    )
    assert symbols


async def test_positions_are_utf16_code_units(client: LanguageClient, tmp_path: Path) -> None:
    # U+1D49C (a letter outside the BMP) is two UTF-16 code units: every
    # position after it on its line shifts by one against code points.
    text = 'claim \U0001d49c: "A"\nclaim b: "B"\n\U0001d49c reduces to b >= good\ngoal \U0001d49c >= good\n'
    root = make_project(tmp_path / "p", {"m.crux": text})
    await start(client, root)
    uri = open_doc(client, root / "m.crux")
    # `b` on line 2 is at code point 13, UTF-16 unit 14.
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=doc(uri), position=pos(2, 14))
    )
    assert isinstance(found, list) and found[0].range == lsp.Range(start=pos(1, 6), end=pos(1, 7))
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc(uri),
            position=pos(1, 6),
            context=lsp.ReferenceContext(include_declaration=False),
        )
    )
    assert [
        (r.range.start.line, r.range.start.character, r.range.end.character) for r in refs or []
    ] == [(2, 14, 15)]
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc(uri),
            position=pos(0, 7),
            context=lsp.ReferenceContext(include_declaration=True),
        )
    )
    assert sorted(
        (r.range.start.line, r.range.start.character, r.range.end.character) for r in refs or []
    ) == [
        (0, 6, 8),
        (2, 0, 2),
        (3, 5, 7),
    ]


async def test_added_workspace_folders_become_readable(
    client: LanguageClient, maps: Path, tmp_path: Path
) -> None:
    other = make_project(tmp_path / "other", {"o.crux": 'claim o: "O"\n'})
    await start(client, maps)
    params = lsp.DocumentSymbolParams(text_document=doc((other / "o.crux").as_uri()))
    with pytest.raises(JsonRpcException, match="outside the workspace"):
        await client.text_document_document_symbol_async(params)
    client.workspace_did_change_workspace_folders(
        lsp.DidChangeWorkspaceFoldersParams(
            event=lsp.WorkspaceFoldersChangeEvent(
                added=[lsp.WorkspaceFolder(uri=other.as_uri(), name="other")], removed=[]
            )
        )
    )
    symbols = await client.text_document_document_symbol_async(params)
    assert [s.name for s in symbols or []] == ["o"]
