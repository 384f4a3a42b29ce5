"""``cruxmap lsp`` against hostile workspaces and clients (issue 25 #3, #5,
#9): imports the CLI would not read, documents over the CLI's size limit,
and ``file:`` URIs that name no file. Everything goes through the protocol,
to a server in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import (
    SERVER,
    codes,
    doc,
    find,
    make_project,
    open_doc,
    pos,
    raw_request,
    replace_all,
    send_raw,
    start,
    wait_diagnostics,
)
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from cruxmap.core.loader import MAX_FILE_BYTES

pytestmark = pytest.mark.asyncio

SECRET = "hunter2-do-not-echo"


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


# --------------------------------------------------------------------------- imports


MAIN = """\
import ".env"
import "link.crux"
claim mine: "Mine"
reduction r: mine reduces to secret >= good
goal mine >= good
"""


async def test_imports_read_only_what_check_reads(client: LanguageClient, tmp_path: Path) -> None:
    # `.env` parses as a map: if the server read it, `secret` would complete,
    # resolve, hover with its text and be renamed inside it.
    root = make_project(tmp_path / "p", {"main.crux": MAIN, ".env": f'claim secret: "{SECRET}"\n'})
    (root / "link.crux").symlink_to(".env")  # a .crux name for the same file
    (root / "also.crux").symlink_to(".env")  # found by the walk as a map file
    await start(client, root)
    uri = open_doc(client, root / "main.crux")
    diags = await wait_diagnostics(client, uri, lambda ds: codes(ds).count("CX005") == 2)
    messages = " ".join(d.message for d in diags)
    assert "only .crux files can be imported; not read" in messages
    assert "is a link to a file that is not a .crux file; not read" in messages

    at = find(MAIN, "secret")
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=doc(uri), position=at)
    )
    assert found == []
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc(uri), position=at)
    )
    assert hover is None or SECRET not in str(hover.contents)
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc(uri),
            position=at,
            context=lsp.ReferenceContext(include_declaration=True),
        )
    )
    assert all(r.uri == uri for r in refs or [])
    done = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=doc(uri), position=at)
    )
    assert done is not None
    labels = [i.label for i in done.items]
    assert "mine" in labels and "secret" not in labels
    renamed = await client.text_document_rename_async(
        lsp.RenameParams(text_document=doc(uri), position=at, new_name="public")
    )
    assert renamed is not None and list((renamed.changes or {}).keys()) == [uri]
    # Nor is it read when a client names it: the server reads .crux files only.
    for name in (".env", "also.crux"):
        with pytest.raises(JsonRpcException, match=r"not a \.crux file"):
            await client.text_document_document_symbol_async(
                lsp.DocumentSymbolParams(text_document=doc((root / name).as_uri()))
            )


# --------------------------------------------------------------------------- sizes


def server_peak_rss_mb(client: LanguageClient) -> float | None:
    """The server's peak resident memory (Linux), from /proc."""
    process = getattr(client, "_server", None)
    status = Path(f"/proc/{getattr(process, 'pid', 0)}/status")
    if process is None or not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def dense(size: int) -> str:
    """A valid map of about ``size`` bytes, as costly to parse as it gets
    per byte (short claims and a long reduction)."""
    claims = [f'claim c{i}: "x"\n' for i in range(size // 16)]
    return "".join(claims)


async def test_a_document_over_the_size_limit_is_never_parsed(
    client: LanguageClient, tmp_path: Path
) -> None:
    small = 'import "big.crux"\nclaim s: "S"\ngoal s >= good\n'
    root = make_project(tmp_path / "p", {"main.crux": small, "big.crux": 'claim b: "B"\n'})
    await start(client, root)
    main_uri = open_doc(client, root / "main.crux")
    big_text = dense(3 * MAX_FILE_BYTES)  # 12 MiB, the size of the report
    assert len(big_text.encode()) > MAX_FILE_BYTES
    uri = open_doc(client, root / "big.crux", text=big_text)
    diags = await wait_diagnostics(client, uri, lambda ds: "CX005" in codes(ds))
    [too_large] = [d for d in diags if d.code == "CX005"]
    assert "document is too large" in too_large.message
    assert f"the limit is {MAX_FILE_BYTES}" in too_large.message
    # Requests on it are refused with the reason, not answered from a parse.
    for request in (
        client.text_document_hover_async(
            lsp.HoverParams(text_document=doc(uri), position=pos(0, 7))
        ),
        client.text_document_document_symbol_async(
            lsp.DocumentSymbolParams(text_document=doc(uri))
        ),
        client.text_document_definition_async(
            lsp.DefinitionParams(text_document=doc(uri), position=pos(0, 7))
        ),
    ):
        with pytest.raises(JsonRpcException, match="too large"):
            await request
    # The map importing it is not analysed, as `check` would not analyse it.
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc(main_uri), position=pos(1, 7))
    )
    assert hover is not None and "not analysed" in str(hover.contents)
    peak = server_peak_rss_mb(client)
    if peak is not None:
        assert peak < 400, f"the server peaked at {peak:.0f} MB"  # was 3.9 GB
    # Cut back under the limit, it is read again.
    replace_all(client, uri, 'claim b: "B"\n', 2)
    await wait_diagnostics(client, uri, lambda ds: "CX005" not in codes(ds))
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc(uri))
    )
    assert [s.name for s in symbols or []] == ["b"]


# --------------------------------------------------------------------------- URIs


BAD_URIS = [
    "file:///%00",
    "file:///tmp/a%00b.crux",
    "file:///\ud800.crux",
    "file:///x/\udcff\ud83d.crux",
    "file:///%ZZ%00",
]


async def test_uris_that_name_no_file_get_clean_errors(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "p", {"m.crux": 'claim a: "A"\n'})
    await start(client, root)
    for bad in BAD_URIS:
        for method, params in (
            ("textDocument/hover", {"textDocument": {"uri": bad}, "position": {"line": 0, "character": 0}}),
            ("textDocument/definition", {"textDocument": {"uri": bad}, "position": {"line": 0, "character": 0}}),
            ("textDocument/documentSymbol", {"textDocument": {"uri": bad}}),
            ("workspace/executeCommand", {"command": "cruxmap.explainGoal", "arguments": [bad, "a"]}),
        ):  # fmt: skip
            with pytest.raises(JsonRpcException) as failed:
                await raw_request(client, method, params)
            error = failed.value
            assert error.code == -32602, (bad, method, error)
            assert error.data is None and "Traceback" not in error.message
            assert "malformed file URI" in error.message
        # A notification has no answer: it is skipped, and nothing is reported
        # to the user as a server error.
        document = {"uri": bad, "languageId": "crux", "version": 1, "text": "x"}
        for method, params in (
            ("textDocument/didOpen", {"textDocument": document}),
            ("textDocument/didChange", {"textDocument": {"uri": bad, "version": 2},
                                        "contentChanges": [{"text": "claim y: \"Y\"\n"}]}),
            ("textDocument/didSave", {"textDocument": {"uri": bad}}),
            ("textDocument/didClose", {"textDocument": {"uri": bad}}),
            ("workspace/didChangeWatchedFiles", {"changes": [{"uri": bad, "type": 2}]}),
        ):  # fmt: skip
            body = {"jsonrpc": "2.0", "method": method, "params": params}
            await send_raw(client, json.dumps(body).encode())
    # Still serving, and nothing went wrong on the way.
    uri = open_doc(client, root / "m.crux")
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc(uri))
    )
    assert [s.name for s in symbols or []] == ["a"]
    assert not [m.message for m in client.messages if m.type == lsp.MessageType.Error]
