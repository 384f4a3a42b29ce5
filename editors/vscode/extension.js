// The cruxmap extension: highlighting comes from the TextMate grammar; every
// other feature comes from `cruxmap lsp`, started here over stdio.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("cruxmap").get("command") || ["cruxmap", "lsp"];
  const server = { command: command[0], args: command.slice(1), transport: TransportKind.stdio };
  client = new LanguageClient(
    "cruxmap",
    "cruxmap",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "crux" }],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.crux") },
    },
  );
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("cruxmap.command")) {
        vscode.window.showInformationMessage("cruxmap: reload the window to use the new server command.");
      }
    }),
  );
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `cruxmap: could not start \`${command.join(" ")}\` (${error.message}). ` +
        "Install cruxmap (pip install cruxmap) or set cruxmap.command.",
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
