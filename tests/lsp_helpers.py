"""Shared pieces of the language server's end-to-end tests: a project on
disk, a real client talking to ``cruxmap lsp`` in a subprocess, and waits
for what the server sends by itself (diagnostics)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "cruxmap", "lsp"])

#: Generous: CI machines are shared; nothing here measures speed.
WAIT = 60.0


def make_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'maps'\n", "utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root


async def start(client: LanguageClient, root: Path) -> lsp.InitializeResult:
    return await client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="maps")],
        )
    )


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri,
                language_id="crux",
                version=version,
                text=path.read_text("utf-8") if text is None else text,
            )
        )
    )
    return uri


def replace_all(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def edit(
    client: LanguageClient,
    uri: str,
    version: int,
    line: int,
    col: int,
    end_line: int,
    end_col: int,
    text: str,
) -> None:
    """An incremental change, as editors send while typing."""
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(
                        start=lsp.Position(line=line, character=col),
                        end=lsp.Position(line=end_line, character=end_col),
                    ),
                    text=text,
                )
            ],
        )
    )


async def wait_diagnostics(
    client: LanguageClient,
    uri: str,
    check: Callable[[Sequence[lsp.Diagnostic]], bool],
    timeout: float = WAIT,
) -> Sequence[lsp.Diagnostic]:
    """The diagnostics of ``uri`` once they satisfy ``check``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        current = client.diagnostics.get(uri)
        if current is not None and check(current):
            return current
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"diagnostics of {uri} never matched; last: {current}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), left
            )


def codes(diagnostics: Sequence[lsp.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def pos(line: int, character: int) -> lsp.Position:
    return lsp.Position(line=line, character=character)


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


def find(text: str, needle: str, nth: int = 0) -> lsp.Position:
    """The position of the ``nth`` occurrence of ``needle`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start)
    col = start - (text.rfind("\n", 0, start) + 1)
    return pos(line, col)


_raw_ids = itertools.count(1)


async def send_raw(client: LanguageClient, body: bytes) -> None:
    """Bytes to the server as one message, whatever they hold."""
    writer = client.protocol.writer
    assert writer is not None
    done = writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    if inspect.isawaitable(done):
        await done


async def raw_request(client: LanguageClient, method: str, params: object) -> object:
    """A request with hand-written params (the client's own methods would
    refuse to send malformed ones); raises the server's error response."""
    msg_id = f"raw-{next(_raw_ids)}"
    future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    client.protocol._request_futures[msg_id] = future  # type: ignore[assignment]
    body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    await send_raw(client, body.encode("utf-8"))
    return await asyncio.wait_for(future, WAIT)
