// The language server: the one thin layer that speaks LSP. It turns document events into engine
// calls and engine results into LSP messages; every decision about SQL lives in the engine.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createConnection,
  DidChangeConfigurationNotification,
  ExitNotification,
  InitializeRequest,
  LSPErrorCodes,
  Message,
  type MessageStrategy,
  type RequestMessage,
  DidChangeWatchedFilesNotification,
  type CodeAction,
  CodeActionKind,
  type Diagnostic,
  DiagnosticSeverity,
  ErrorCodes,
  type CancellationToken,
  type InitializeParams,
  type InitializeResult,
  type Position,
  type TextDocumentContentChangeEvent,
  MarkupKind,
  MessageType,
  ShowMessageNotification,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CONFIG_FILE_NAME, type ConfigProblem } from '../engine/config/config';
import { LineIndex, type Span } from '../engine/text/offsets';
import { ruleDocsUrl } from '../engine/docs-url';
import { createDiskHost, type ProjectHost } from '../engine/host';
import { hoverAt } from '../engine/hover';
import { lintText } from '../engine/lint';
import type { Finding, LintResult, Severity } from '../engine/model';
import { ConfigCache, looksLikeMigration } from '../engine/project';
import { proveLenses } from '../engine/prove/lenses';
import { ruleById } from '../engine/rules/registry';
import { initParser } from '../engine/sql/parser';
import { dataFromLint, type DiagnosticData, diagnosticData, FIX_ALL_KIND, fixAllEdit, isResolveData, quickFixes, readDiagnosticData, resolvedEdit, SERVER_SHOW_DOCS_COMMAND, useVersionedEdits } from './code-actions';
import { type ClientSettings, DEFAULT_SETTINGS, readSettings } from './settings';

export interface ServerOptions {
  /** Milliseconds to wait after a change before linting (coalesces keystrokes). */
  debounceMs: number;
  /**
   * The client runs zdm's own commands (the VS Code extension says so): code lenses (Trace Locks, ...)
   * and "Show documentation" use them. Other clients get no lenses, and the documentation through
   * workspace/executeCommand, which the server answers with window/showDocument.
   */
  clientCommands?: boolean;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function startServer(): void {
  /** `initialize` was answered: until then requests are refused (see `lifecycle`). */
  let initialized = false;
  /** `shutdown` was received: from then on only `exit` is accepted. */
  let shutDown = false;
  /**
   * The protocol's lifecycle, kept where every message arrives before its handler: before `initialize`
   * a request gets ServerNotInitialized and a notification is dropped, `exit` excepted; `initialize`
   * is answered once; after `shutdown` a request gets InvalidRequest. The library runs any handler in
   * any state: a hover before initialize linted with no settings or capabilities, a second initialize
   * initialized again, and a method the server does not implement got MethodNotFound after shutdown.
   * A refused request reaches the handler of REFUSED with its error, which answers it under its id.
   * So does a document request that names no document, with InvalidParams (the handlers answered it
   * with an internal error, a TypeError's message).
   */
  const refusalOf = (request: RequestMessage): ResponseError | undefined => {
    const initializing = request.method === InitializeRequest.method;
    if (!initialized) return initializing ? undefined : new ResponseError(ErrorCodes.ServerNotInitialized, `zdm: the server is not initialized: send initialize before ${request.method}`);
    if (shutDown) return new ResponseError(ErrorCodes.InvalidRequest, 'zdm: the server received shutdown and only accepts exit now');
    if (initializing) return new ResponseError(ErrorCodes.InvalidRequest, 'zdm: the server is already initialized: initialize is sent once');
    const named = (request.params as { textDocument?: { uri?: unknown } } | null | undefined)?.textDocument?.uri;
    if (request.method.startsWith('textDocument/') && typeof named !== 'string') return new ResponseError(ErrorCodes.InvalidParams, `zdm: ${request.method} names no document (textDocument.uri)`);
    return undefined;
  };
  const lifecycle: MessageStrategy = {
    handleMessage(message, next) {
      if (Message.isRequest(message)) {
        const refusal = refusalOf(message);
        return next(refusal ? { jsonrpc: message.jsonrpc, id: message.id, method: REFUSED, params: refusal } : message);
      }
      if (Message.isNotification(message) && !initialized && message.method !== ExitNotification.method) return;
      return next(message);
    },
  };
  const connection = createConnection(ProposedFeatures.all, { messageStrategy: lifecycle });
  // Only the lifecycle's refusals carry a ResponseError; a client that sends this method itself gets what any unknown method gets.
  connection.onRequest(REFUSED, (refusal: unknown) => {
    throw refusal instanceof ResponseError ? refusal : new ResponseError(ErrorCodes.MethodNotFound, `Unhandled method ${REFUSED}`);
  });
  const documents = new TextDocuments({ create: TextDocument.create, update: updateDocument });
  const settingsCache = new Map<string, Promise<ClientSettings>>();
  /** Pending lints by document: a cancel function each. */
  const timers = new Map<string, () => void>();
  const options: ServerOptions = { debounceMs: 15 };
  let canShowDocument = false;
  let configs = new ConfigCache(createDiskHost({ cache: false }));
  let canPullSettings = false;
  let canWatchFiles = false;
  /** The client resolves code actions' edits (`codeAction/resolve`): lazy fixes travel without theirs (code-actions.ts). */
  let resolvesEdits = false;
  let parserReady: Promise<void> = initParser();
  /** The problems last published for each config file, by its path. */
  const reportedConfigProblems = new Map<string, { messages: string; placed: string }>();
  /** Settings the client pushed with workspace/didChangeConfiguration (clients that cannot be asked for them). */
  let pushedSettings: ClientSettings | undefined;
  // Opt-in timing for the benchmark (ZDM_TIMING=1): from receiving a change to publishing its diagnostics.
  const timing = process.env.ZDM_TIMING === '1' ? new Map<string, number>() : undefined;
  let lastLintMs = 0;

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    canPullSettings = Boolean(params.capabilities.workspace?.configuration);
    canWatchFiles = Boolean(params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration);
    // A resolveSupport without its list of properties (the protocol requires one) is no support, not a failed initialize.
    const resolvable: unknown = params.capabilities.textDocument?.codeAction?.resolveSupport?.properties;
    resolvesEdits = Array.isArray(resolvable) && resolvable.includes('edit');
    const init = (params.initializationOptions ?? {}) as Partial<ServerOptions>;
    if (typeof init.debounceMs === 'number' && init.debounceMs >= 0) options.debounceMs = init.debounceMs;
    options.clientCommands = init.clientCommands === true;
    canShowDocument = params.capabilities.window?.showDocument?.support === true;
    useVersionedEdits(params.capabilities.workspace?.workspaceEdit?.documentChanges === true);
    // Set once the client's capabilities are read: an initialize that failed on them can be sent again.
    initialized = true;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: resolvesEdits },
        ...(options.clientCommands ? { codeLensProvider: { resolveProvider: false } } : { executeCommandProvider: { commands: [SERVER_SHOW_DOCS_COMMAND] } }),
        hoverProvider: true,
      },
      serverInfo: { name: 'zdm', version: typeof ZDM_VERSION === 'string' ? ZDM_VERSION : undefined },
    };
  });

  connection.onInitialized(() => {
    if (canPullSettings) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'zdm' });
    if (canWatchFiles) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        // .zdm/*.json: the runner's and `zdm verify`'s records, which rules read (edited-applied-migration, trio-incomplete).
        watchers: [{ globPattern: `**/${CONFIG_FILE_NAME}` }, { globPattern: '**/*.sql' }, { globPattern: '**/{metadata.toml,sqitch.plan,*.sql.conf}' }, { globPattern: '**/.zdm/*.json' }],
      });
    }
  });

  // Lints read other files (a migration's other half, earlier migrations of its folder, records in
  // .zdm/): one disk host, which remembers what it read, serves a burst of keystrokes. It is replaced
  // when a watched file changes and, for changes the client does not report (no file watching, files
  // outside the watched patterns), after DISK_HOST_TTL_MS.
  let disk: { host: ReturnType<typeof createDiskHost>; created: number } | undefined;
  /**
   * The URI of each open file by its path. Clients spell URIs their own way (VS Code writes `@` as %40,
   * `(` as %28, a drive letter's colon as %3A), so the URI Node makes from a path may not be the one a
   * document was opened with.
   */
  const openPaths = new Map<string, string>();

  /** Counts the times the client reported changed files: a lint made before such a change is stale. */
  let diskGeneration = 0;
  const forgetDisk = () => {
    disk = undefined;
    diskGeneration++;
  };
  const host = (): ProjectHost => {
    const now = performance.now();
    if (!disk || now - disk.created > DISK_HOST_TTL_MS) {
      // Without file watching, .zdm.json is read again as often as the other files.
      if (disk && !canWatchFiles) refreshConfigs();
      disk = { host: createDiskHost({ cache: true }), created: now };
    }
    const current = disk.host;
    // Open editors' unsaved text wins over the disk.
    const open = (p: string) => {
      const uri = openPaths.get(p);
      return uri === undefined ? undefined : documents.get(uri);
    };
    return {
      readFile: (p) => open(p)?.getText() ?? current.readFile(p),
      fileExists: (p) => open(p) !== undefined || current.fileExists(p),
      readDirectory: (d) => current.readDirectory(d),
    };
  };

  const settingsFor = (uri: string): Promise<ClientSettings> => {
    if (!canPullSettings) return Promise.resolve(pushedSettings ?? DEFAULT_SETTINGS);
    const cached = settingsCache.get(uri);
    if (cached) return cached;
    const answer = connection.workspace.getConfiguration({ scopeUri: uri, section: 'zdm' }).then(
      (raw) => readSettings(raw),
      () => DEFAULT_SETTINGS,
    );
    // A client that said it answers workspace/configuration and does not left the file unlinted and its
    // hovers and code actions unanswered for good: after SETTINGS_TIMEOUT_MS the defaults apply, and the
    // answer, when it comes, replaces them (the file is linted again).
    let timer: NodeJS.Timeout | undefined;
    let late = false;
    const timeout = new Promise<ClientSettings>((resolve) => {
      timer = setTimeout(() => {
        late = true;
        resolve(DEFAULT_SETTINGS);
      }, SETTINGS_TIMEOUT_MS);
    });
    const settings = Promise.race([answer, timeout]);
    settingsCache.set(uri, settings);
    void answer.then((answered) => {
      clearTimeout(timer);
      // Not when the cache was cleared since (settings changed, the file closed): they are asked for again.
      if (!late || settingsCache.get(uri) !== settings) return;
      settingsCache.set(uri, Promise.resolve(answered));
      const document = documents.get(uri);
      if (document) schedule(document);
    });
    return settings;
  };

  const publish = (uri: string, version: number | undefined, diagnostics: Diagnostic[]) => {
    void connection.sendDiagnostics({ uri, version, diagnostics });
    const received = timing?.get(uri);
    if (received !== undefined && version !== undefined) {
      timing!.delete(uri);
      void connection.sendNotification('zdm/timing', { uri, version, ms: performance.now() - received, lintMs: lastLintMs });
    }
  };

  /** Lints the document's current text with its settings and config; undefined when it is not ours to lint. */
  const lintNow = (document: TextDocument, settings: ClientSettings, projectHost: ProjectHost, text = document.getText()): LintResult | undefined => {
    const filePath = filePathOf(document.uri);
    if (filePath === undefined) return undefined;
    if (!settings.enable || !isMigration(filePath, text, projectHost, settings)) return undefined;
    const loaded = configs.forFile(filePath);
    reportConfigProblems(loaded.path, loaded.problems);
    if (loaded.config.ignore.length > 0 && configs.isIgnored(filePath)) return undefined;
    const config = settings.pgVersion ? { ...loaded.config, pgVersion: settings.pgVersion } : loaded.config;
    return lintText(filePath, text, { config, host: projectHost, root: loaded.root, ignoreBaseline: settings.ignoreBaseline });
  };

  /**
   * The last lint of each open document, with what it was made from: hover, code lenses and resolving a
   * code action on the version just published reuse it instead of linting the whole text again (seconds
   * on a file of megabytes). A new version or text, other settings or config, or files the client
   * reports changed, or an edit to an open file it read (relintReaders) make it stale; so does nothing
   * else, as for the diagnostics published from it. The text is compared too (the same string while
   * nothing changed, so at no cost): a client that does not raise the version on every change (the
   * protocol says it must) had its edits' diagnostics answered from the text before them.
   */
  const lastLints = new Map<string, { version: number; text: string; settings: ClientSettings; disk: number; configs: ConfigCache; projectHost: ProjectHost; reads: Set<string>; result: LintResult | undefined }>();
  const lintCurrent = (document: TextDocument, settings: ClientSettings): { result: LintResult | undefined; projectHost: ProjectHost } => {
    const hit = lastLints.get(document.uri);
    const text = document.getText();
    if (hit && hit.version === document.version && hit.text === text && hit.settings === settings && hit.disk === diskGeneration && hit.configs === configs) return hit;
    // The files it reads, open or not: an edit to one of them makes this lint stale (relintReaders).
    const base = host();
    const reads = new Set<string>();
    const projectHost: ProjectHost = {
      readFile: (p) => (reads.add(p), base.readFile(p)),
      fileExists: (p) => (reads.add(p), base.fileExists(p)),
      readDirectory: (d) => base.readDirectory(d),
    };
    const result = lintNow(document, settings, projectHost, text);
    lastLints.set(document.uri, { version: document.version, text, settings, disk: diskGeneration, configs, projectHost, reads, result });
    return { result, projectHost };
  };

  const lintDocument = async (document: TextDocument) => {
    const uri = document.uri;
    const version = document.version;
    await parserReady;
    const settings = await settingsFor(uri);
    // A newer version arrived while we waited: its own lint is scheduled; never publish stale results.
    const current = documents.get(uri);
    if (!current || current.version !== version) return;
    try {
      const lintStart = timing ? performance.now() : 0;
      const { result, projectHost } = lintCurrent(current, settings);
      if (timing) lastLintMs = performance.now() - lintStart;
      publish(uri, version, result ? result.findings.map((f) => toDiagnostic(current, f, result, projectHost, resolvesEdits)) : []);
      for (const failure of result?.ruleFailures ?? []) connection.console.error(`zdm: rule ${failure.rule} failed on ${uri} (other rules still ran): ${failure.message}`);
    } catch (error) {
      // Invariant: linting never throws; if it does, say so and clear stale results rather than crash.
      connection.console.error(`zdm: internal error while linting ${uri}: ${error instanceof Error ? error.stack : String(error)}`);
      publish(uri, version, []);
    }
  };

  /**
   * A request the client cancelled before the server came to it (it waited behind a long lint, as a
   * fix-all on save does that the editor gave up on): answered so, without doing its work. The work
   * itself is synchronous, so a request under way is not stopped.
   */
  const refuseCancelled = (token: CancellationToken) => {
    if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'zdm: the request was cancelled');
  };

  connection.onCodeAction(async (params, token) => {
    refuseCancelled(token);
    const document = documents.get(params.textDocument.uri);
    if (!document) return [];
    // The context as the client sent it: what is not a list is read as nothing asked or given.
    const only: unknown = params.context?.only;
    const kinds = Array.isArray(only) ? only.filter((k): k is string => typeof k === 'string') : undefined;
    const diagnostics: Diagnostic[] = Array.isArray(params.context?.diagnostics) ? params.context.diagnostics.filter((d) => typeof d === 'object' && d !== null) : [];
    // Kinds are dot-separated: `source` asks for `source.fixAll.zdm`, `source.fix` does not.
    const asked = (kind: string) => !kinds || kinds.some((k) => kind === k || kind.startsWith(`${k}.`));
    const wantsFixAll = kinds !== undefined && asked(FIX_ALL_KIND);
    const wantsQuickFix = asked(CodeActionKind.QuickFix);
    const actions: CodeAction[] = [];
    if (wantsQuickFix) {
      // A zdm diagnostic whose data the client stripped, rewrote or invented: its finding is looked up in a lint of the text.
      let recover: ((diagnostic: Diagnostic) => DiagnosticData | undefined) | undefined;
      if (diagnostics.some((d) => d.source === 'zdm' && !readDiagnosticData(d.data))) {
        try {
          await parserReady;
          const { result, projectHost } = lintCurrent(document, await settingsFor(document.uri));
          if (result) recover = (diagnostic) => dataFromLint(document, diagnostic, result, projectHost, resolvesEdits);
        } catch (error) {
          connection.console.error(`zdm: code actions failed for ${document.uri}: ${error instanceof Error ? error.stack : String(error)}`);
        }
      }
      actions.push(...quickFixes(document, diagnostics, options.clientCommands ? undefined : SERVER_SHOW_DOCS_COMMAND, recover));
    }
    if (wantsFixAll) {
      await parserReady;
      const settings = await settingsFor(document.uri);
      // Fix-all lints the text once per pass: the costliest request, the one most worth not running for nothing.
      refuseCancelled(token);
      const projectHost = host();
      const edit = fixAllEdit(document, (text) => lintNow(document, settings, projectHost, text) ?? emptyLint(document));
      if (edit) actions.push({ title: 'Fix all safe zdm problems', kind: FIX_ALL_KIND, edit });
    }
    return actions;
  });

  // A quick fix sent without its edit (a fix that moves statements into a new migration): the edit,
  // from a lint of the text as it is now. Left without one when the text no longer has that finding.
  connection.onCodeActionResolve(async (action, token) => {
    refuseCancelled(token);
    const data: unknown = action.data;
    if (action.edit || !isResolveData(data)) return action;
    const document = documents.get(data.uri);
    if (!document) return action;
    try {
      await parserReady;
      const { result, projectHost } = lintCurrent(document, await settingsFor(document.uri));
      const edit = result ? resolvedEdit(document, data, result, projectHost) : undefined;
      if (edit) action.edit = edit;
      else connection.console.warn(`zdm: "${data.title}" no longer applies to ${document.uri}: the text changed.`);
    } catch (error) {
      connection.console.error(`zdm: resolving "${data.title}" failed for ${document.uri}: ${error instanceof Error ? error.stack : String(error)}`);
    }
    return action;
  });

  // CodeLenses of the proving commands (Trace Locks, Verify Round Trip, Verify Backfill), from the format layer's sections.
  connection.onCodeLens(async (params, token) => {
    refuseCancelled(token);
    const document = documents.get(params.textDocument.uri);
    if (!document) return [];
    try {
      await parserReady;
      const { result } = lintCurrent(document, await settingsFor(document.uri));
      if (!result) return [];
      return proveLenses(result).map((lens) => ({
        range: { start: document.positionAt(lens.span.start), end: document.positionAt(lens.span.end) },
        command: { title: lens.title, command: lens.command, arguments: [pathToFileURL(lens.file).toString()] },
      }));
    } catch (error) {
      connection.console.error(`zdm: code lenses failed for ${document.uri}: ${error instanceof Error ? error.stack : String(error)}`);
      return [];
    }
  });

  // "Show documentation" in clients other than the extension: the rule's page, opened by the client.
  connection.onExecuteCommand(async (params) => {
    if (params.command !== SERVER_SHOW_DOCS_COMMAND) return undefined;
    const rule: unknown = Array.isArray(params.arguments) ? params.arguments[0] : undefined;
    // Only a rule's page: any other argument made a URL of it (`../../..` walked out of the rules' folder).
    if (typeof rule !== 'string' || !ruleById(rule)) throw new ResponseError(ErrorCodes.InvalidParams, `zdm: ${SERVER_SHOW_DOCS_COMMAND} takes a rule id, not ${JSON.stringify(rule) ?? 'nothing'}`);
    const url = ruleDocsUrl(rule);
    if (canShowDocument) await connection.window.showDocument({ uri: url, external: true });
    else void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Info, message: `zdm: ${rule}: ${url}` });
    return undefined;
  });

  // Hover: the locks a statement takes, what they block, its findings; or a rule in an ignore comment.
  connection.onHover(async (params, token) => {
    refuseCancelled(token);
    const document = documents.get(params.textDocument.uri);
    if (!document) return null;
    try {
      await parserReady;
      const settings = await settingsFor(document.uri);
      const { result, projectHost } = lintCurrent(document, settings);
      if (!result) return null;
      const loaded = configs.forFile(filePathOf(document.uri)!);
      const config = settings.pgVersion ? { ...loaded.config, pgVersion: settings.pgVersion } : loaded.config;
      const value = hoverAt(result, document.offsetAt(params.position), config, { host: projectHost });
      return value ? { contents: { kind: MarkupKind.Markdown, value } } : null;
    } catch (error) {
      connection.console.error(`zdm: hover failed for ${document.uri}: ${error instanceof Error ? error.stack : String(error)}`);
      return null;
    }
  });

  const isMigration = (filePath: string, text: string, projectHost: ProjectHost, settings: ClientSettings): boolean =>
    settings.lintAllSqlFiles || looksLikeMigration(filePath, text, projectHost, configs.forFile(filePath));

  const reportConfigProblems = (configPath: string | undefined, problems: ConfigProblem[]) => {
    if (!configPath) return;
    const messages = problems.map((p) => p.message).join('\n');
    // Published again when a problem moves (lines added above it), shown as a message again only when it changes.
    const placed = `${messages}\n${problems.map((p) => (p.span ? `${p.span.start}-${p.span.end}` : '')).join(',')}`;
    const before = reportedConfigProblems.get(configPath);
    if (before?.placed === placed) return;
    reportedConfigProblems.set(configPath, { messages, placed });
    const uri = pathToFileURL(configPath).toString();
    // Problems show on the config file itself, at the key or the JSON error they are about, and once as a message.
    let index: LineIndex | undefined;
    const rangeOf = (span: Span | undefined) => {
      if (!span) return { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
      index ??= new LineIndex(readText(configPath));
      return { start: index.positionAt(span.start), end: index.positionAt(span.end) };
    };
    publish(
      uri,
      undefined,
      problems.map((p) => ({ range: rangeOf(p.span), severity: DiagnosticSeverity.Warning, source: 'zdm', message: p.message })),
    );
    if (problems.length > 0 && before?.messages !== messages) void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `zdm: ${problems.map((p) => p.message).join(' ')}` });
  };

  const schedule = (document: TextDocument, debounceMs = options.debounceMs) => {
    if (shutDown) return;
    const uri = document.uri;
    timers.get(uri)?.();
    const run = () => {
      timers.delete(uri);
      const latest = documents.get(uri);
      if (latest) void lintDocument(latest);
    };
    // No debounce: right after the pending messages (a 0 ms timer would still wait a millisecond).
    if (debounceMs === 0) {
      const immediate = setImmediate(run);
      timers.set(uri, () => clearImmediate(immediate));
    } else {
      const timer = setTimeout(run, debounceMs);
      timers.set(uri, () => clearTimeout(timer));
    }
  };

  const relintAll = () => {
    for (const d of documents.all()) schedule(d);
  };

  /** The document being opened: its first content event is not an edit. */
  let opening: string | undefined;
  /**
   * Lints again the open files whose last lint read this one (its other half, a later migration), once
   * the edits pause: a lint reads open files' unsaved text, and an edit to a down file left the up's
   * diagnostics, hover and fixes as they were until the down was saved or the up edited.
   */
  const relintReaders = (document: TextDocument) => {
    const filePath = filePathOf(document.uri);
    if (filePath === undefined) return;
    for (const [uri, lint] of [...lastLints]) {
      if (uri === document.uri || !lint.reads.has(filePath)) continue;
      lastLints.delete(uri);
      const reader = documents.get(uri);
      if (reader) schedule(reader, Math.max(options.debounceMs, READERS_DEBOUNCE_MS));
    }
  };

  documents.onDidOpen((e) => {
    opening = e.document.uri;
    const filePath = filePathOf(e.document.uri);
    if (filePath !== undefined) openPaths.set(filePath, e.document.uri);
    forgetDisk();
    schedule(e.document);
  });
  documents.onDidChangeContent((e) => {
    timing?.set(e.document.uri, performance.now());
    schedule(e.document);
    if (opening === e.document.uri) {
      opening = undefined;
      return;
    }
    relintReaders(e.document);
  });
  documents.onDidClose((e) => {
    const filePath = filePathOf(e.document.uri);
    if (filePath !== undefined && openPaths.get(filePath) === e.document.uri) openPaths.delete(filePath);
    forgetDisk();
    timers.get(e.document.uri)?.();
    timers.delete(e.document.uri);
    settingsCache.delete(e.document.uri);
    lastLints.delete(e.document.uri);
    publish(e.document.uri, undefined, []);
  });

  connection.onDidChangeConfiguration((params) => {
    settingsCache.clear();
    // A client that cannot be asked for settings (no workspace/configuration) pushes them here.
    const pushed = (params.settings as { zdm?: unknown } | null | undefined)?.zdm;
    if (!canPullSettings && pushed !== undefined) pushedSettings = readSettings(pushed);
    relintAll();
  });

  connection.onDidChangeWatchedFiles((params) => {
    forgetDisk();
    // A list the client garbled (not a list, entries without a URI) says that files changed, not which: .zdm.json may be one.
    const changes: unknown = params?.changes;
    if (!Array.isArray(changes) || changes.some((c: { uri?: unknown } | null) => typeof c?.uri !== 'string' || c.uri.endsWith(CONFIG_FILE_NAME))) refreshConfigs();
    relintAll();
  });

  /** Reads every .zdm.json again; a config file that is gone takes its diagnostics with it. */
  function refreshConfigs(): void {
    configs = new ConfigCache(createDiskHost({ cache: false }));
    for (const configPath of [...reportedConfigProblems.keys()]) {
      if (fs.existsSync(configPath)) continue;
      reportedConfigProblems.delete(configPath);
      publish(pathToFileURL(configPath).toString(), undefined, []);
    }
  }

  connection.onShutdown(() => {
    shutDown = true;
    for (const cancel of timers.values()) cancel();
    timers.clear();
  });

  // A stray rejection must not take the server down (Node exits on unhandled rejections).
  process.on('unhandledRejection', (reason) => connection.console.error(`zdm: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`));
  documents.listen(connection);
  connection.listen();
  parserReady = parserReady.catch((error) => {
    connection.console.error(`zdm: cannot load the SQL parser: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  });
}

declare const ZDM_VERSION: string | undefined;

/** The method a request refused by the lifecycle is handed to (startServer): its handler answers with the refusal. */
const REFUSED = 'zdm/$refused';

/** How long the edits to a file pause before the open files that read it are linted again (relintReaders). */
const READERS_DEBOUNCE_MS = 250;

/** How long the language server waits for the client's settings before it lints with the defaults (see `settingsFor` in startServer). */
const SETTINGS_TIMEOUT_MS = 5000;

/** How long the language server trusts what it read from the disk (see `host` in startServer). */
const DISK_HOST_TTL_MS = 2000;

export function toDiagnostic(document: TextDocument, f: Finding, result: LintResult, host: ProjectHost, resolveLazy = false): Diagnostic {
  return {
    range: { start: document.positionAt(f.span.start), end: document.positionAt(Math.max(f.span.end, f.span.start)) },
    severity: SEVERITY[f.severity],
    source: 'zdm',
    code: f.rule,
    codeDescription: { href: ruleDocsUrl(f.rule) },
    message: f.help ? `${f.message}\n${f.help}` : f.message,
    data: diagnosticData(document, f, result, host, resolveLazy),
  };
}

/**
 * Applies a didChange's edits one by one, each range first brought inside the document as it is at that
 * edit: a position on a line past the end means the end of the text. TextDocument.update finds the text
 * to replace that way, but it shifts its line table by the lines the client named, so a range past the
 * last line left holes in the table: positions of NaN in every diagnostic after it, and the next edits
 * applied at the wrong offsets (the server's text no longer the editor's).
 */
export function updateDocument(document: TextDocument, changes: TextDocumentContentChangeEvent[], version: number): TextDocument {
  for (const change of changes) {
    if (!('range' in change) || !change.range) {
      TextDocument.update(document, [change], version);
      continue;
    }
    const { start, end } = change.range;
    TextDocument.update(document, [{ ...change, range: { start: insideDocument(document, start), end: insideDocument(document, end) } }], version);
  }
  return document;
}

/** A position the document's line table can hold: on one of its lines, with a whole, non-negative character. */
function insideDocument(document: TextDocument, position: Position): Position {
  const { line, character } = position;
  if (!(line >= 0)) return { line: 0, character: 0 };
  if (line >= document.lineCount) return document.positionAt(document.getText().length);
  return { line: Math.floor(line), character: character > 0 ? Math.floor(character) : 0 };
}

/**
 * The path of a file: URI, or undefined for other schemes (untitled:, a notebook cell) and for file: URIs
 * this platform has no path for (file://host/share/x.sql outside Windows), which fileURLToPath throws on.
 */
/** A file's text as the config cache read it (from the disk), or '' when it cannot be read. */
function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function filePathOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

function emptyLint(document: TextDocument): LintResult {
  return { document: { path: document.uri, text: document.getText(), format: 'plain', formatSource: 'default', role: 'unknown', sections: [], supportsDown: false, problems: [] }, statements: [], findings: [], ruleFailures: [] };
}
