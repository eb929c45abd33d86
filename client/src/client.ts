// Starting, stopping and restarting the language server.

import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, State, TransportKind } from 'vscode-languageclient/node';
import type { StatusItem } from './status';

export interface ServerHandle {
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  client(): LanguageClient | undefined;
}

/** Languages a migration file may be opened as (VS Code's own, and popular PostgreSQL extensions'). */
export const SQL_LANGUAGES = ['sql', 'postgres', 'pgsql', 'postgresql'];

export function createLanguageClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, status: StatusItem): ServerHandle {
  let client: LanguageClient | undefined;

  const create = () => {
    const module = context.asAbsolutePath('dist/cli.js');
    const serverOptions: ServerOptions = {
      run: { module, args: ['server'], transport: TransportKind.ipc },
      debug: { module, args: ['server'], transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: SQL_LANGUAGES.map((language) => ({ scheme: 'file', language })),
      outputChannel: log,
      // clientCommands: this extension runs zdm's commands (code lenses, Show documentation).
      initializationOptions: { debounceMs: 15, clientCommands: true },
    };
    const c = new LanguageClient('zdm', 'zdm language server', serverOptions, clientOptions);
    c.onDidChangeState((e) => {
      if (e.newState === State.Running) status.set('running');
      else if (e.newState === State.Starting) status.set('starting');
      else status.set('stopped');
    });
    return c;
  };

  return {
    async start() {
      client ??= create();
      status.set('starting');
      try {
        await client.start();
      } catch (error) {
        status.set('failed', error instanceof Error ? error.message : String(error));
        log.error(`zdm: the language server failed to start: ${error instanceof Error ? error.stack : String(error)}`);
        void vscode.window.showErrorMessage('zdm: the language server failed to start.', 'Show Server Log').then((pick) => {
          if (pick) log.show();
        });
      }
    },
    async stop() {
      const c = client;
      client = undefined;
      if (c?.isRunning()) await c.stop();
    },
    async restart() {
      await this.stop();
      await this.start();
    },
    client: () => client,
  };
}
