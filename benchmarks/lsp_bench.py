"""Latency of ``cruxmap lsp`` hover and completion on a large document.

    python benchmarks/lsp_bench.py            # 10,000 claims
    python benchmarks/lsp_bench.py 2000       # another size

Starts the server as an editor does (a subprocess on stdio), opens a
synthetic map (``generate.py``) of N claims and waits for its diagnostics
(the analysis has run). Then it times, from request to response, hovers on
claims spread through the file and completions of premise names and levels:
first with the server idle, then right after an edit, while the server is
re-parsing and re-analysing the document in the background. Reports median
and worst latency per kind. The target is under 100 ms for both.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

SAMPLES = 40


async def timed(coro: object) -> float:
    start = time.perf_counter()
    await coro  # type: ignore[misc]
    return (time.perf_counter() - start) * 1000


async def run(n_claims: int) -> None:
    text = generate(n_claims)
    lines = text.split("\n")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n", "utf-8")
        path = root / "big.crux"
        path.write_text(text, "utf-8")
        uri = path.as_uri()
        client = LanguageClient("bench", "1")
        published = asyncio.Event()

        @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            if params.uri == uri:
                published.set()

        await client.start_io(sys.executable, "-m", "cruxmap", "lsp")
        await client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(),
                root_uri=root.as_uri(),
                workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="bench")],
            )
        )
        client.initialized(lsp.InitializedParams())
        started = time.perf_counter()
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=uri, language_id="crux", version=1, text=text
                )
            )
        )
        await asyncio.wait_for(published.wait(), 600)
        print(
            f"{n_claims} claims, {len(text) / 1e6:.1f} MB: first diagnostics after {time.perf_counter() - started:.1f} s"
        )

        claim_lines = [i for i, line in enumerate(lines) if line.startswith("claim ")]
        reduction_lines = [i for i, line in enumerate(lines) if " reduces to " in line]
        step_c = max(1, len(claim_lines) // SAMPLES)
        step_r = max(1, len(reduction_lines) // SAMPLES)
        doc = lsp.TextDocumentIdentifier(uri=uri)

        async def measure(label: str) -> None:
            hovers, completions = [], []
            for i in claim_lines[::step_c][:SAMPLES]:
                at = lsp.Position(line=i, character=len("claim ") + 1)
                hovers.append(
                    await timed(
                        client.text_document_hover_async(
                            lsp.HoverParams(text_document=doc, position=at)
                        )
                    )
                )
            for i in reduction_lines[::step_r][:SAMPLES]:
                line = lines[i]
                col = line.index(" reduces to ") + len(" reduces to ") + 1
                at = lsp.Position(line=i, character=col)
                completions.append(
                    await timed(
                        client.text_document_completion_async(
                            lsp.CompletionParams(text_document=doc, position=at)
                        )
                    )
                )
                ge = line.find(">= ")
                if ge > 0:
                    at = lsp.Position(line=i, character=ge + 3)
                    completions.append(
                        await timed(
                            client.text_document_completion_async(
                                lsp.CompletionParams(text_document=doc, position=at)
                            )
                        )
                    )
            for name, values in (("hover", hovers), ("completion", completions)):
                print(
                    f"  {label:<28} {name:<10} n={len(values):<3} median {statistics.median(values):6.1f} ms   max {max(values):6.1f} ms"
                )

        await measure("idle")
        # An edit: the server re-parses and re-analyses in the background.
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    lsp.TextDocumentContentChangePartial(
                        range=lsp.Range(
                            start=lsp.Position(line=len(lines) - 1, character=0),
                            end=lsp.Position(line=len(lines) - 1, character=0),
                        ),
                        text="# an edit\n",
                    )
                ],
            )
        )
        await asyncio.sleep(0.5)  # past the debounce: the analysis is running
        await measure("during re-analysis")
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["10000"]:
        asyncio.run(run(int(arg)))
