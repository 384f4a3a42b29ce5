"""``cruxmap lsp``: the language server, on pygls.

Requests are answered on the event loop from indexes of the text (see
:mod:`cruxmap.lsp.index`); the analysis runs on one worker thread, debounced
after edits, and its results (values, margins, diagnostics) are swapped in
whole when it finishes, so typing never waits on it. The server reads only
files inside the workspace folders (or open in the editor) and writes none:
formatting is an edit the client applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types as lsp
from pygls.exceptions import (
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcRequestCancelled,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import from_fs_path, to_fs_path

from cruxmap import __version__
from cruxmap.core.diagnostics import Diagnostic
from cruxmap.lsp import index as ix
from cruxmap.lsp.analysis import Analyses
from cruxmap.lsp.features import EXPLAIN_COMMAND, Features
from cruxmap.lsp.project import OutsideRoot, Project

log = logging.getLogger(__name__)

#: Seconds after the last edit before the analysis runs.
DEBOUNCE = 0.25
#: Files whose diagnostics are sent per turn of the event loop.
PUBLISH_CHUNK = 50
#: Seconds a request may spend parsing files of its map that the analysis
#: thread has not indexed yet (a request on a big workspace answers from
#: what is indexed rather than wait).
PARSE_BUDGET = 0.05

TOKEN_TYPES = [
    "keyword",
    "string",
    "comment",
    "operator",
    "variable",
    "function",
    "event",
    "enumMember",
    "property",
]
TOKEN_MODIFIERS = ["declaration"]

F = TypeVar("F", bound=Callable[..., Any])


_ANSWERED = object()


class _Protocol(LanguageServerProtocol):
    """pygls, but a request whose parameters do not fit the protocol gets
    an error response (pygls logs it and never answers, so the client
    would wait for ever)."""

    def structure_message(self, data: Any) -> Any:
        try:
            return super().structure_message(data)
        except Exception:
            msg_id = data.get("id") if isinstance(data, dict) else None
            method = data.get("method") if isinstance(data, dict) else None
            if (
                isinstance(msg_id, int | str)
                and not isinstance(msg_id, bool)
                and isinstance(method, str)
            ):
                self._send_response(
                    msg_id,
                    error=lsp.ResponseError(
                        code=JsonRpcInvalidParams.CODE,
                        message=f"invalid parameters for {method[:100]}",
                    ),
                )
                return _ANSWERED
            raise

    def handle_message(self, message: Any) -> None:
        if message is _ANSWERED:
            return
        super().handle_message(message)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> Any:
        """A change to a document that is not open (closed, or never opened)
        is skipped: pygls would raise KeyError and show "Error in server"."""
        if unquote(params.text_document.uri) not in self.workspace.text_documents:
            return None
        return (yield from super().lsp_text_document__did_change(params))


class CruxServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "cruxmap",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            protocol_cls=_Protocol,
        )
        self.project = Project()
        self.analyses = Analyses(self.project)
        self.features = Features(self.project, self.analyses)
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cruxmap-analysis")
        self._timer: asyncio.TimerHandle | None = None
        self._dirty: set[Path] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Diagnostics waiting to be sent, newest per file, and what was
        #: last sent for each file (an unchanged list is not sent again).
        self._outbox: dict[Path, tuple[list[lsp.Diagnostic], int | None]] = {}
        self._sent: dict[Path, list[lsp.Diagnostic]] = {}

    # -- paths ----------------------------------------------------------------

    def path_of(self, uri: str) -> Path:
        """The real path of a ``file:`` URI the server may read; anything
        else is an error response, never a read."""
        if not isinstance(uri, str) or not uri.startswith("file:"):
            raise JsonRpcInvalidParams(f"cruxmap serves file: URIs only, not {uri[:80]!r}")
        real = file_path(uri)
        if real is None:
            raise JsonRpcInvalidParams("malformed file URI (a NUL, or not a file name)")
        real = self.project.intern(real)
        if not self.project.allowed(real):
            raise JsonRpcInvalidParams(
                f"{uri[:200]} is outside the workspace folders; cruxmap does not read it"
            )
        return real

    def encoding(self) -> str:
        enc = self.workspace.position_encoding
        if isinstance(enc, lsp.PositionEncodingKind):
            return str(enc.value)
        return enc or "utf-16"

    # -- analysis scheduling ----------------------------------------------------

    def schedule(self, path: Path) -> None:
        self._dirty.add(path)
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(DEBOUNCE, self._start_job)

    def _start_job(self) -> None:
        self._timer = None
        if self.project.closing:
            return
        dirty, self._dirty = self._dirty, set()
        loop = self._loop = asyncio.get_running_loop()
        generation = self.project.generation
        future = loop.run_in_executor(self.worker, self._job, dirty, generation)
        future.add_done_callback(self._job_done)

    def _job(self, dirty: set[Path], generation: int) -> dict[Path, list[lsp.Diagnostic]] | None:
        """Parse, then analyse, the maps the edited files belong to (worker
        thread). Returns what to publish, or None when superseded."""
        for path in dirty:
            # Indexed here, off the event loop: the next request finds it built.
            if self.project.closing:
                return None
            with contextlib.suppress(OutsideRoot, ix.Refused):
                self.project.index(path)
        if self.project.generation != generation:
            return None

        def progress(so_far: dict[Path, list[Diagnostic]]) -> None:
            if self._loop is not None and self.project.generation == generation:
                self._loop.call_soon_threadsafe(self._publish, self._convert(so_far), generation)

        published = self.analyses.refresh(
            dirty, lambda: self.project.closing or self.project.generation != generation, progress
        )
        if published is None or self.project.generation != generation:
            return None
        return self._convert(published)

    def _convert(self, by_path: dict[Path, list[Diagnostic]]) -> dict[Path, list[lsp.Diagnostic]]:
        return {
            p: self.features.to_lsp_diagnostics(p, diags, self.encoding())
            for p, diags in by_path.items()
        }

    def _job_done(self, future: asyncio.Future[Any]) -> None:
        try:
            result = future.result()
        except Exception:  # keep serving; the next edit retries
            log.exception("analysis failed")
            self.window_log_message(
                lsp.LogMessageParams(
                    type=lsp.MessageType.Error,
                    message="cruxmap: analysis failed (see the server log)",
                )
            )
            return
        if result is not None:
            self._publish(result, None)

    def _publish(self, by_path: dict[Path, list[lsp.Diagnostic]], generation: int | None) -> None:
        """Queue diagnostics to send (event loop). They go out
        :data:`PUBLISH_CHUNK` files per turn of the loop, so that a map of
        800 files never holds up a request, and only when they changed."""
        if generation is not None and generation != self.project.generation:
            return
        idle = not self._outbox
        for path, diagnostics in by_path.items():
            self._outbox[path] = (diagnostics, self.project.open.get(path, (None, None))[1])
        if idle and self._outbox:
            asyncio.get_running_loop().call_soon(self._send_some)

    def _send_some(self) -> None:
        for _ in range(min(PUBLISH_CHUNK, len(self._outbox))):
            path = next(iter(self._outbox))
            diagnostics, version = self._outbox.pop(path)
            if self._sent.get(path) == diagnostics:
                continue
            self._sent[path] = diagnostics
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(
                    uri=from_fs_path(str(path)) or path.as_uri(),
                    diagnostics=diagnostics,
                    version=version,
                )
            )
        if self._outbox:
            asyncio.get_running_loop().call_soon(self._send_some)


server = CruxServer()


def _guard(fn: F) -> F:
    """Request handlers: a request the server cannot serve is an error
    response with a reason, never a dropped connection, and never a
    traceback (pygls would put one in ``error.data``)."""

    def wrapper(ls: CruxServer, params: Any) -> Any:
        ls.features.begin(time.monotonic() + PARSE_BUDGET)
        try:
            return fn(ls, params)
        except (JsonRpcInvalidParams, JsonRpcRequestCancelled):
            raise
        except OutsideRoot as exc:
            raise JsonRpcInvalidParams(f"{exc} is outside the workspace folders") from exc
        except ix.Refused as exc:
            raise JsonRpcInvalidParams(str(exc)) from exc
        except Exception as exc:
            log.exception("%s failed", fn.__name__)
            raise JsonRpcInternalError(
                f"cruxmap: {fn.__name__} failed ({type(exc).__name__}); see the server log"
            ) from None
        finally:
            ls.features.begin(None)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper  # type: ignore[return-value]


def file_path(uri: str) -> Path | None:
    """The real path a ``file:`` URI names, or None when it names none: not
    ``file:``, or a name no file can have (a NUL, a lone surrogate)."""
    if not isinstance(uri, str) or not uri.startswith("file:"):
        return None
    try:
        fs = to_fs_path(uri)
        if not fs or "\x00" in fs:
            return None
        os.fsencode(fs)
    except (ValueError, TypeError):  # UnicodeEncodeError is a ValueError
        return None
    path = Path(fs)
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path.absolute()


# --------------------------------------------------------------------------- lifecycle


@server.feature(lsp.INITIALIZED)
def initialized(ls: CruxServer, params: lsp.InitializedParams) -> None:
    folders = [f.uri for f in (ls.workspace.folders or {}).values()]
    if not folders and ls.workspace.root_uri:
        folders = [ls.workspace.root_uri]
    ls.project.set_folders(str(p) for p in map(file_path, folders) if p is not None)


@server.feature(lsp.SHUTDOWN)
def shutdown(ls: CruxServer, params: None) -> None:
    """Stop background work at its next check, so that exit is not kept
    waiting for the analysis of a big workspace."""
    ls.project.closing = True
    if ls._timer is not None:
        ls._timer.cancel()
        ls._timer = None


@server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
def did_change_folders(ls: CruxServer, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
    """Folders added or removed: what the server may read changes with them."""
    initialized(ls, lsp.InitializedParams())
    ls.project.files_changed()
    for path in list(ls.project.open):  # the analysis thread indexes them again
        ls.schedule(path)


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: CruxServer, params: lsp.DidOpenTextDocumentParams) -> None:
    doc = params.text_document
    path = _open_path(doc.uri)
    if path is None:
        return
    ls.project.did_open(path, doc.text, doc.version)
    ls._sent.pop(path, None)  # a client may have dropped them on close: send again
    ls.schedule(path)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: CruxServer, params: lsp.DidChangeTextDocumentParams) -> None:
    path = _open_path(params.text_document.uri)
    if path is None or path not in ls.project.open:
        return
    text = ls.workspace.get_text_document(params.text_document.uri).source
    ls.project.did_change(path, text, params.text_document.version)
    ls.schedule(path)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: CruxServer, params: lsp.DidCloseTextDocumentParams) -> None:
    path = _open_path(params.text_document.uri)
    if path is None:
        return
    ls.project.did_close(path)
    ls.schedule(path)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: CruxServer, params: lsp.DidSaveTextDocumentParams) -> None:
    path = _open_path(params.text_document.uri)
    if path is not None:
        ls.schedule(path)


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched(ls: CruxServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    """Only the files named are read again (and only their import edges
    change): a save does not make the server re-read the workspace."""
    kinds = {lsp.FileChangeType.Created: "created", lsp.FileChangeType.Deleted: "deleted"}
    changes = []
    for change in params.changes:
        path = _open_path(change.uri)
        if path is not None:
            changes.append((path, kinds.get(change.type, "changed")))
    ls.project.files_changed(changes)
    for path, _kind in changes:
        ls.schedule(path)


def _open_path(uri: str) -> Path | None:
    """Notifications have no response: an unusable URI is skipped."""
    path = file_path(uri)
    return server.project.intern(path) if path is not None else None


# --------------------------------------------------------------------------- requests


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@_guard
def document_symbol(ls: CruxServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    path = ls.path_of(params.text_document.uri)
    return ls.features.symbols(path, ls.encoding())


@server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)
@_guard
def folding_range(ls: CruxServer, params: lsp.FoldingRangeParams) -> list[lsp.FoldingRange]:
    return ls.features.folding(ls.path_of(params.text_document.uri))


@server.feature(
    lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
    lsp.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS),
)
@_guard
def semantic_tokens(ls: CruxServer, params: lsp.SemanticTokensParams) -> lsp.SemanticTokens:
    path = ls.path_of(params.text_document.uri)
    return lsp.SemanticTokens(data=ls.features.semantic_tokens(path, ls.encoding(), TOKEN_TYPES))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
@_guard
def definition(ls: CruxServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
    path = ls.path_of(params.text_document.uri)
    return ls.features.definition(path, params.position, ls.encoding())


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
@_guard
def references(ls: CruxServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
    path = ls.path_of(params.text_document.uri)
    return ls.features.references(
        path, params.position, ls.encoding(), params.context.include_declaration
    )


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
@_guard
def prepare_rename(ls: CruxServer, params: lsp.PrepareRenameParams) -> lsp.PrepareRenameResult:
    path = ls.path_of(params.text_document.uri)
    return ls.features.prepare_rename(path, params.position, ls.encoding())


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
@_guard
def rename(ls: CruxServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit:
    path = ls.path_of(params.text_document.uri)
    return ls.features.rename(path, params.position, params.new_name, ls.encoding())


@server.feature(
    lsp.TEXT_DOCUMENT_COMPLETION,
    lsp.CompletionOptions(trigger_characters=[" ", ":", ","]),
)
@_guard
def completion(ls: CruxServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    path = ls.path_of(params.text_document.uri)
    return ls.features.completion(
        path, _live_lines(ls, params.text_document.uri, path), params.position, ls.encoding()
    )


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
@_guard
def hover(ls: CruxServer, params: lsp.HoverParams) -> lsp.Hover | None:
    path = ls.path_of(params.text_document.uri)
    return ls.features.hover(
        path, _live_lines(ls, params.text_document.uri, path), params.position, ls.encoding()
    )


@server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
@_guard
def inlay_hint(ls: CruxServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
    path = ls.path_of(params.text_document.uri)
    return ls.features.inlay_hints(path, params.range, ls.encoding())


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
)
@_guard
def code_action(ls: CruxServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction | lsp.Command]:
    path = ls.path_of(params.text_document.uri)
    return ls.features.code_actions(path, params.range, params.context, ls.encoding())


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
@_guard
def formatting(ls: CruxServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    path = ls.path_of(params.text_document.uri)
    edits, problem = ls.features.format(path, ls.encoding())
    if problem is not None:
        ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=problem))
    return edits


@server.command(EXPLAIN_COMMAND)
def explain_goal(ls: CruxServer, *args: Any) -> str:
    """The "explain this goal" code action: the explanation is returned and
    shown as a message (clients differ in what they do with a result)."""
    if len(args) != 2 or not all(isinstance(a, str) for a in args):
        raise JsonRpcInvalidParams("cruxmap.explainGoal takes a document URI and a goal name")
    try:
        text = ls.features.explain(ls.path_of(args[0]), args[1])
    except ix.Refused as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc
    except JsonRpcInvalidParams:
        raise
    except Exception:
        log.exception("explain failed")
        raise JsonRpcInternalError("cruxmap: explain failed; see the server log") from None
    ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Info, message=text))
    return text


def _live_lines(ls: CruxServer, uri: str, path: Path) -> list[str]:
    """The client's current text (hover and completion read the word under
    the cursor from it, whatever the state of the index)."""
    lines = ls.project.live_lines(path)
    if lines is not None:
        return lines
    idx = ls.project.latest(path)
    return idx.lines if idx is not None else []


def _not_a_refusal(record: logging.LogRecord) -> bool:
    """pygls logs every error response with a traceback; a request refused
    with a reason (a URI outside the workspace, a NUL in it) is an answer,
    not a server error."""
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, JsonRpcInvalidParams | JsonRpcRequestCancelled)


def main() -> int:
    """Serve over stdio until the client says exit."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_not_a_refusal)
    # The analysis thread is pure Python and holds the GIL: make it hand
    # the interpreter back to a waiting request after 1 ms, not 5 ms.
    sys.setswitchinterval(0.001)
    server.start_io()
    return 0


def iter_features() -> Iterator[str]:
    """The LSP methods this server registers (for docs and tests)."""
    yield from sorted(server.protocol.fm.features)
