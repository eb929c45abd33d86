// The VS Code client: the one thin layer that speaks the VS Code API. It starts the language server
// (dist/cli.js server), shows its health in the status bar, and registers the commands.

import * as vscode from 'vscode';
import { createLanguageClient, type ServerHandle } from './client';
import { registerCommands } from './commands';
import { registerProveCommands } from './prove/commands';
import { registerRunner, stopEmbeddedServers } from './runner/index';
import { createStatusItem } from './status';

let handle: ServerHandle | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('zdm', { log: true });
  context.subscriptions.push(log);
  const status = createStatusItem(context);
  handle = createLanguageClient(context, log, status);
  registerCommands(context, { handle, log, extensionUri: context.extensionUri, secrets: context.secrets });
  registerProveCommands(context, log);
  registerRunner(context, handle);
  await handle.start();
}

export async function deactivate(): Promise<void> {
  stopEmbeddedServers(); // the embedded PostgreSQL this editor used stops with it
  await handle?.stop();
}
