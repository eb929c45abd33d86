// A real LSP conversation over stdio with the built server (node dist/cli.js server --stdio), for
// protocol tests and the as-you-type benchmark.

import { type ChildProcess, spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  type Diagnostic,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidChangeWatchedFilesNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  type FileEvent,
  InitializedNotification,
  LogMessageNotification,
  type LogMessageParams,
  InitializeRequest,
  type InitializeResult,
  type ProtocolConnection,
  PublishDiagnosticsNotification,
  type PublishDiagnosticsParams,
  RegistrationRequest,
  ShowMessageNotification,
  type ShowMessageParams,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type TextDocumentContentChangeEvent,
  ConfigurationRequest,
  CodeActionRequest,
  CodeActionResolveRequest,
  ExecuteCommandRequest,
  HoverRequest,
  type CodeAction,
  type Range,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CLI } from './paths';

export interface LspClientOptions {
  /** Settings answered to workspace/configuration (section zdm). */
  settings?: Record<string, unknown>;
  initializationOptions?: Record<string, unknown>;
  rootPath?: string;
  /** Declare, as VS Code does, that code actions' edits can be resolved later (`codeAction/resolve`). */
  resolvesCodeActionEdits?: boolean;
  /** A client that can neither be asked for settings (workspace/configuration) nor watch files: it pushes settings with didChangeConfiguration. */
  plain?: boolean;
  /** Declare `workspace.workspaceEdit.documentChanges`: edits then name the document version they are for. */
  versionedEdits?: boolean;
  /** Start the server without sending initialize (call `initialize` later, or never). */
  uninitialized?: boolean;
}

export class LspClient {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly messages: ShowMessageParams[] = [];
  /** How many workspace/configuration requests the server sent (it asks before a file's first lint). */
  configurationRequests = 0;
  /** While set, workspace/configuration is answered only once it resolves (a client slow to answer, or that never does). */
  configurationHeld: Promise<void> | undefined;
  /** What the server logged (window/logMessage: connection.console). */
  readonly logs: LogMessageParams[] = [];
  settings: Record<string, unknown>;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  stderr = '';

  private constructor(
    readonly process: ChildProcess,
    readonly connection: ProtocolConnection,
    options: LspClientOptions,
  ) {
    this.settings = options.settings ?? {};
  }

  static async start(options: LspClientOptions = {}): Promise<LspClient> {
    const child = spawn(process.execPath, [CLI, 'server', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspClient(child, connection, options);
    child.stderr!.on('data', (d) => (client.stderr += d.toString()));
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      client.published.push(p);
      client.wake();
    });
    connection.onNotification(ShowMessageNotification.type, (p) => {
      client.messages.push(p);
      client.wake();
    });
    connection.onNotification(LogMessageNotification.type, (p) => {
      client.logs.push(p);
    });
    connection.onRequest(ConfigurationRequest.type, async (params) => {
      client.configurationRequests++;
      client.wake();
      await client.configurationHeld;
      return params.items.map(() => client.settings);
    });
    connection.onRequest(RegistrationRequest.type, () => undefined);
    connection.listen();
    if (!options.uninitialized) await client.initialize(options);
    return client;
  }

  /** Sends initialize, then initialized; returns the server's answer to initialize. */
  async initialize(options: LspClientOptions = {}): Promise<InitializeResult> {
    const result = await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: options.rootPath ? pathToFileURL(options.rootPath).toString() : null,
      capabilities: {
        workspace: {
          ...(options.plain ? {} : { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true }, didChangeConfiguration: { dynamicRegistration: true } }),
          ...(options.versionedEdits ? { workspaceEdit: { documentChanges: true } } : {}),
        },
        textDocument: {
          publishDiagnostics: { versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
          synchronization: { dynamicRegistration: false },
          ...(options.resolvesCodeActionEdits ? { codeAction: { dataSupport: true, resolveSupport: { properties: ['edit'] } } } : {}),
        },
      },
      initializationOptions: options.initializationOptions ?? { debounceMs: 0 },
      workspaceFolders: null,
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
    return result;
  }

  private wake(): void {
    const pending = this.waiters;
    this.waiters = [];
    for (const w of pending) {
      if (w.check()) w.resolve();
      else this.waiters.push(w);
    }
  }

  /** Resolves when `check` holds, polling on every message; rejects after `timeoutMs`. */
  waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. Server stderr:\n${this.stderr}`)), timeoutMs);
      this.waiters.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** The latest diagnostics published for a file. */
  latest(uri: string): PublishDiagnosticsParams | undefined {
    for (let i = this.published.length - 1; i >= 0; i--) if (this.published[i].uri === uri) return this.published[i];
    return undefined;
  }

  /** Waits for a publish for `uri` (for `version` when given) and returns its diagnostics. */
  async diagnostics(uri: string, version?: number, timeoutMs?: number): Promise<Diagnostic[]> {
    const start = this.published.length;
    await this.waitFor(() => this.published.slice(start).some((p) => p.uri === uri && (version === undefined || p.version === version)) || (version !== undefined && this.latest(uri)?.version === version), `diagnostics for ${uri}${version !== undefined ? ` v${version}` : ''}`, timeoutMs);
    return this.latest(uri)!.diagnostics;
  }

  open(path: string, text: string, version = 1, languageId = 'sql'): string {
    const uri = pathToFileURL(path).toString();
    void this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version, text } });
    return uri;
  }

  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): void {
    void this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
  }

  close(uri: string): void {
    void this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  changeSettings(settings: Record<string, unknown>): void {
    this.settings = settings;
    void this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { zdm: settings } });
  }

  filesChanged(changes: FileEvent[]): void {
    void this.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes });
  }

  async hover(uri: string, line: number, character: number): Promise<string | undefined> {
    const result = await this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } });
    if (!result) return undefined;
    const contents = result.contents as { value?: string } | string;
    return typeof contents === 'string' ? contents : contents.value;
  }

  async codeActions(uri: string, range: Range, diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
    const result = await this.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range, context: { diagnostics, only } });
    return (result ?? []) as CodeAction[];
  }

  async executeCommand(command: string, args: unknown[] = []): Promise<unknown> {
    return this.connection.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  }

  async resolveCodeAction(action: CodeAction): Promise<CodeAction> {
    return (await this.connection.sendRequest(CodeActionResolveRequest.type, action)) as CodeAction;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // the server may already be gone
    }
    this.connection.dispose();
    if (this.process.exitCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.process.kill('SIGKILL');
          resolve();
        }, 3000);
        this.process.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Applies LSP text edits to a text, as an editor would. */
export function applyTextEdits(text: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('file:///x', 'sql', 0, text), edits);
}
