// The runner in VS Code: palette commands (Migrate Up, Roll Back, Redo, Mark Migrations as Applied / Not
// Applied (log only), Migration Status, Set Database URL, Start/Stop Embedded Database), CodeLenses
// above each up/down section, the Migrations view, an output channel with every statement and its
// duration, and database errors as diagnostics at the exact line and column. The work is done by the
// bundled CLI (cli.ts), in its own process: a cancelled or crashed run never takes the extension host
// with it, and the editor runs exactly what `zdm up` runs.
// Nothing here runs in an untrusted workspace. The embedded PostgreSQL the editor used is stopped when
// the editor closes (deactivate).

import * as path from 'node:path';
import * as vscode from 'vscode';
import { DidChangeWatchedFilesNotification, FileChangeType } from 'vscode-languageclient/node';
import { stopEmbeddedServerSync } from '../../../server/src/engine/runner/embedded-state';
import type { RunResult } from '../../../server/src/engine/runner/events';
import type { ServerHandle } from '../client';
import { chooseWorkspaceFolder, registerCommandTable, trustedWorkspace, type CommandTable } from '../command-table';
import { errorLine, runArgs, runZdm, type MigrationRun, type ZdmRun } from './cli';
import { RunnerCodeLenses } from './codelens';
import { databaseUrlFor, setDatabaseUrl } from './database';
import { databaseName, logOnlyChoices, logOnlyQuestion, type LogOnlyCommand } from './log-only';
import { errorLines, eventLines, resultLines, summary } from './output';
import { MigrationTree, type MigrationNode } from './tree';
import { migrationItemLabel, migrationRunTarget } from './tree-items';
import { watchMigrationFiles } from './watch';

interface RunnerContext {
  extension: vscode.ExtensionContext;
  handle: ServerHandle;
  output: vscode.OutputChannel;
  diagnostics: vscode.DiagnosticCollection;
  tree: MigrationTree;
  lenses: RunnerCodeLenses;
  busy: boolean;
}

/** Project folders whose embedded PostgreSQL this editor started or used: stopped on deactivate. */
const embeddedRoots = new Set<string>();

type Command = MigrationRun['command'];

export const RUNNER_COMMANDS: CommandTable<RunnerContext> = {
  'zdm.migrateUp': (ctx, target?: unknown) => migrate(ctx, 'up', target),
  'zdm.rollback': (ctx, target?: unknown) => migrate(ctx, 'rollback', target),
  'zdm.redo': (ctx, target?: unknown) => migrate(ctx, 'redo', target),
  'zdm.markApplied': (ctx, target?: unknown) => markLogOnly(ctx, 'up', target),
  'zdm.markNotApplied': (ctx, target?: unknown) => markLogOnly(ctx, 'rollback', target),
  'zdm.migrationStatus': async (ctx) => {
    if (!trusted()) return;
    ctx.tree.refresh();
    await vscode.commands.executeCommand('zdm.migrations.focus');
  },
  'zdm.refreshMigrations': (ctx) => ctx.tree.refresh(),
  'zdm.setDatabaseUrl': async (ctx, target?: unknown) => {
    if (!trusted()) return;
    await setDatabaseUrl(ctx.extension.secrets, await folderOf(target));
    ctx.tree.refresh();
  },
  'zdm.startEmbeddedDatabase': (ctx, target?: unknown) => embedded(ctx, 'start', target),
  'zdm.stopEmbeddedDatabase': (ctx, target?: unknown) => embedded(ctx, 'stop', target),
};

export function registerRunner(extension: vscode.ExtensionContext, handle: ServerHandle): void {
  const output = vscode.window.createOutputChannel('zdm Migrations');
  const diagnostics = vscode.languages.createDiagnosticCollection('zdm-runner');
  const lenses = new RunnerCodeLenses();
  const ctx: RunnerContext = { extension, handle, output, diagnostics, lenses, busy: false, tree: undefined as unknown as MigrationTree };
  ctx.tree = new MigrationTree((folder) => loadStatus(ctx, folder));
  extension.subscriptions.push(
    output,
    diagnostics,
    vscode.window.registerTreeDataProvider('zdm.migrations', ctx.tree),
    // Migrations created (by the scaffold commands too), edited or deleted: the view follows.
    watchMigrationFiles(() => ctx.tree.refresh()),
    vscode.languages.registerCodeLensProvider(['sql', 'postgres', 'pgsql', 'postgresql'].map((language) => ({ scheme: 'file', language })), lenses),
    // A database error marks the text that failed; once that text is edited, the mark is stale.
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length > 0 && diagnostics.has(e.document.uri)) diagnostics.delete(e.document.uri);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      ctx.tree.refresh();
      lenses.refresh();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('zdm.database.url')) ctx.tree.refresh();
      if (e.affectsConfiguration('zdm.runner.codeLens')) lenses.refresh();
    }),
  );
  registerCommandTable(extension, RUNNER_COMMANDS, ctx);
}

/** Stops the embedded PostgreSQL servers this editor used (the editor is closing: no waiting). */
export function stopEmbeddedServers(): void {
  for (const root of embeddedRoots) stopEmbeddedServerSync(root);
  embeddedRoots.clear();
}

function trusted(): boolean {
  return trustedWorkspace('does not run migrations or connect to a database', 'use the runner');
}

function cliPath(ctx: RunnerContext): string {
  return vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'cli.js').fsPath;
}

/** The file a command is about: a CodeLens target, a Migrations view node, a URI, or the active editor. */
function fileOf(target: unknown): { file?: string; version?: string; folder?: vscode.WorkspaceFolder; label?: string } {
  if (target && typeof target === 'object') {
    const t = target as Partial<MigrationNode> & { file?: string; version?: string };
    if (t.kind === 'migration' && 'entry' in t && t.entry) return { file: t.entry.file, version: t.target ?? migrationRunTarget(t.entry), folder: t.folder, label: migrationItemLabel(t.entry) };
    if (typeof t.file === 'string') return { file: t.file, version: t.version };
    if (target instanceof vscode.Uri) return { file: target.fsPath };
  }
  return {};
}

async function folderOf(target: unknown): Promise<vscode.WorkspaceFolder | undefined> {
  const { file, folder } = fileOf(target);
  if (folder) return folder;
  const uri = file ? vscode.Uri.file(file) : vscode.window.activeTextEditor?.document.uri;
  const fromFile = uri ? vscode.workspace.getWorkspaceFolder(uri) : undefined;
  if (fromFile) return fromFile;
  return chooseWorkspaceFolder();
}

/** The CLI's working folder: the migration file's folder tree finds its .zdm.json by walking up. */
function cwdOf(folder: vscode.WorkspaceFolder | undefined, file: string | undefined): string | undefined {
  if (file && folder && !path.relative(folder.uri.fsPath, file).startsWith('..')) return folder.uri.fsPath;
  return folder?.uri.fsPath ?? (file ? path.dirname(file) : undefined);
}

async function envFor(ctx: RunnerContext, folder: vscode.WorkspaceFolder | undefined): Promise<Record<string, string>> {
  const url = await databaseUrlFor(ctx.extension.secrets, folder?.uri);
  return url ? { ZDM_DATABASE_URL: url } : {};
}

const TITLES: Record<Command, string> = { up: 'Migrate Up', rollback: 'Roll Back', redo: 'Redo' };
const LOG_ONLY_TITLES: Record<LogOnlyCommand, string> = { up: 'Mark as Applied (log only)', rollback: 'Mark as Not Applied (log only)' };

function titleOf(request: MigrationRun): string {
  return request.logOnly && request.command !== 'redo' ? LOG_ONLY_TITLES[request.command] : TITLES[request.command];
}

/** Where a run goes: the workspace folder and the CLI's working folder. */
interface RunPlace {
  folder: vscode.WorkspaceFolder | undefined;
  cwd: string;
}

/** Checks shared by every run command; the folder and working folder of its target, or undefined (said why). */
async function runPlace(ctx: RunnerContext, target: unknown): Promise<RunPlace | undefined> {
  if (!trusted()) return undefined;
  if (ctx.busy) {
    void vscode.window.showWarningMessage('zdm: a migration run is already in progress.');
    return undefined;
  }
  const { file } = fileOf(target);
  const folder = await folderOf(target);
  const cwd = cwdOf(folder, file);
  if (!cwd) {
    void vscode.window.showErrorMessage('zdm: open a folder with migrations first.');
    return undefined;
  }
  return { folder, cwd };
}

async function migrate(ctx: RunnerContext, command: Command, target: unknown): Promise<void> {
  const place = await runPlace(ctx, target);
  if (!place) return;
  await runMigration(ctx, { command, version: fileOf(target).version }, place);
}

/**
 * "Mark Migrations as Applied" / "Mark Migration as Not Applied" (log only): `zdm up|rollback --log-only`.
 * The migration is the Migrations view's item, or picked from `zdm status`; then a modal question saying
 * that nothing runs and which database's tracking table changes; then the same run as Migrate Up (the
 * CLI's confirmation for a database not on this machine, the password from the secret storage, output,
 * view and notification).
 */
async function markLogOnly(ctx: RunnerContext, command: LogOnlyCommand, target: unknown): Promise<void> {
  const place = await runPlace(ctx, target);
  if (!place) return;
  // The status names the database the run would use (and lists what to pick from); it never starts the
  // embedded server: there is nothing to mark in a database that is not there yet.
  const status = await statusAt(ctx, place.cwd, place.folder);
  if (!('command' in status) || status.noDatabase || status.usageError !== undefined || !status.status) {
    const why = !('command' in status) ? status.message : status.noDatabase ? 'no database is running: start the embedded PostgreSQL or set a database URL first' : (status.usageError ?? status.error?.message ?? 'zdm status failed').split('\n')[0];
    showError(ctx, `zdm: ${LOG_ONLY_TITLES[command]}: ${why}`);
    return;
  }
  let { version, label } = fileOf(target);
  if (version === undefined) {
    const choices = logOnlyChoices(command, status.status);
    if (choices.length === 0) {
      void vscode.window.showInformationMessage(command === 'up' ? 'zdm: no migration is pending: nothing to mark as applied.' : 'zdm: no migration is applied: nothing to mark as not applied.');
      return;
    }
    const pick = await vscode.window.showQuickPick(choices, {
      title: `zdm: ${LOG_ONLY_TITLES[command]}`,
      placeHolder: command === 'up' ? 'Mark which migrations as applied, without running them?' : 'Mark which migrations as not applied, without running their downs?',
    });
    if (!pick) return;
    ({ version } = pick);
    label = pick.version === undefined ? undefined : pick.label;
  }
  const question = logOnlyQuestion(command, label ?? version, databaseName(status));
  const answer = await vscode.window.showWarningMessage(`zdm: ${question.message}`, { modal: true, detail: question.detail }, question.button);
  if (answer !== question.button) return;
  await runMigration(ctx, { command, version, logOnly: true }, place);
}

/** Runs the CLI for a run; `confirmed`: again, after the user said yes to what the CLI asked. */
async function runMigration(ctx: RunnerContext, request: MigrationRun, place: RunPlace, confirmed = false): Promise<void> {
  // Asked again: a question may have been open while another run started.
  if (ctx.busy) {
    void vscode.window.showWarningMessage('zdm: a migration run is already in progress.');
    return;
  }
  const { folder, cwd } = place;
  const args = runArgs(request, confirmed);

  ctx.busy = true;
  ctx.diagnostics.clear();
  ctx.output.appendLine('');
  ctx.output.appendLine(`[${new Date().toLocaleTimeString()}] zdm ${args.filter((a) => a !== '--format' && a !== 'jsonl').join(' ')}`);
  let run: ZdmRun;
  try {
    run = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `zdm: ${titleOf(request)}`, cancellable: true },
      async (progress, token) => {
        let total = 0;
        let done = 0;
        return runZdm(args, {
          cli: cliPath(ctx),
          cwd,
          env: await envFor(ctx, folder),
          cancelled: new Promise((resolve) => token.onCancellationRequested(resolve)),
          onStderr: (line) => ctx.output.appendLine(line),
          onEvent: (event) => {
            for (const line of eventLines(event, cwd)) ctx.output.appendLine(line);
            if (event.type === 'plan') total = event.steps.length;
            if (event.type === 'migration-start') {
              progress.report({ message: `${++done}/${total || '?'} ${path.basename(event.name)}`, increment: total ? 100 / total : undefined });
            }
            if (event.type === 'info') progress.report({ message: event.message });
          },
        });
      },
    );
  } finally {
    ctx.busy = false;
  }
  await finishRun(ctx, request, place, run);
}

async function finishRun(ctx: RunnerContext, request: MigrationRun, place: RunPlace, run: ZdmRun): Promise<void> {
  const { folder, cwd } = place;
  const title = titleOf(request);
  const result = run.result;
  if (!result) {
    ctx.output.appendLine(run.cancelled ? 'Cancelled.' : `The zdm CLI ended without a result (exit code ${run.code}).`);
    if (!run.cancelled) showError(ctx, `zdm: ${title} failed: ${errorLine(run.stderr) || `exit code ${run.code}`}`);
    ctx.tree.refresh();
    return;
  }
  for (const line of resultLines(result, cwd)) ctx.output.appendLine(line);
  if (result.source?.startsWith('the embedded server') && result.root) embeddedRoots.add(result.root);
  if (folder && result.status) ctx.tree.show(folder, result);
  else ctx.tree.refresh();
  notifyLanguageServer(ctx, result);

  if (result.needsConfirmation) {
    const c = result.needsConfirmation;
    const go = c.reason === 'destructive-down' ? 'Roll Back Anyway' : request.logOnly ? 'Record Anyway' : 'Run Anyway';
    const pick = await vscode.window.showWarningMessage(`zdm: ${c.message}`, { modal: true, detail: c.details.join('\n') }, go);
    // The same run (log only stays log only, the migration picked stays picked), now with --yes.
    if (pick === go) await runMigration(ctx, request, place, true);
    return;
  }
  if (result.usageError !== undefined) {
    showError(ctx, `zdm: ${result.usageError.split('\n')[0]}`);
    return;
  }
  const error = result.error;
  if (run.cancelled && error?.interrupted) {
    // Cancelled by the user: the CLI cancelled the running statement and recorded it; no error to show.
    ctx.output.appendLine('Cancelled.');
    return;
  }
  if (error) {
    if (error.file && error.line !== undefined) {
      const range = new vscode.Range(error.line - 1, (error.column ?? 1) - 1, (error.endLine ?? error.line) - 1, (error.endColumn ?? error.column ?? 1) - 1);
      const diagnostic = new vscode.Diagnostic(range, errorLines({ ...error, file: undefined }, cwd).join('\n').replace(/^error: /, ''), vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'zdm runner';
      if (error.code) diagnostic.code = error.code;
      ctx.diagnostics.set(vscode.Uri.file(error.file), [diagnostic]);
    }
    const where = error.file ? ` (${path.basename(error.file)}:${error.line})` : '';
    const buttons = error.file ? ['Show Output', 'Go to Error'] : ['Show Output'];
    void vscode.window.showErrorMessage(`zdm: ${title} failed${where}: ${error.message}`, ...buttons).then(async (pick) => {
      if (pick === 'Show Output') ctx.output.show(true);
      if (pick === 'Go to Error' && error.file && error.line !== undefined) {
        const position = new vscode.Position(error.line - 1, (error.column ?? 1) - 1);
        await vscode.window.showTextDocument(vscode.Uri.file(error.file), { selection: new vscode.Range(position, position) });
      }
    });
    return;
  }
  void vscode.window.showInformationMessage(`zdm: ${summary(result)}.`, 'Show Output').then((pick) => {
    if (pick) ctx.output.show(true);
  });
}

function showError(ctx: RunnerContext, message: string): void {
  void vscode.window.showErrorMessage(message, 'Show Output').then((pick) => {
    if (pick) ctx.output.show(true);
  });
}

/** The runner rewrote .zdm/applied.json: the language server re-lints open files (edited-applied-migration). */
function notifyLanguageServer(ctx: RunnerContext, result: RunResult): void {
  const client = ctx.handle.client();
  if (!result.root || !client?.isRunning()) return;
  const uri = vscode.Uri.file(path.join(result.root, '.zdm', 'applied.json')).toString();
  void client.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri, type: FileChangeType.Changed }] });
}

/** The Migrations view's status: never starts the embedded server by itself (--no-start). */
function loadStatus(ctx: RunnerContext, folder: vscode.WorkspaceFolder): Promise<RunResult | { message: string }> {
  return statusAt(ctx, folder.uri.fsPath, folder);
}

/** `zdm status --no-start` in `cwd`, with the folder's database URL (the setting, its password from the secret storage). */
async function statusAt(ctx: RunnerContext, cwd: string, folder: vscode.WorkspaceFolder | undefined): Promise<RunResult | { message: string }> {
  const run = await runZdm(['status', '--no-start', '--format', 'jsonl'], { cli: cliPath(ctx), cwd, env: await envFor(ctx, folder) });
  if (run.result) {
    if (run.result.source?.startsWith('the embedded server') && run.result.root) embeddedRoots.add(run.result.root);
    return run.result;
  }
  return { message: errorLine(run.stderr) || 'zdm status failed.' };
}

async function embedded(ctx: RunnerContext, action: 'start' | 'stop', target: unknown): Promise<void> {
  if (!trusted()) return;
  const folder = await folderOf(target);
  if (!folder) return;
  const cwd = folder.uri.fsPath;
  ctx.output.appendLine(`[${new Date().toLocaleTimeString()}] zdm db ${action}`);
  const run = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `zdm: ${action === 'start' ? 'starting' : 'stopping'} the embedded PostgreSQL` }, () =>
    runZdm(['db', action], { cli: cliPath(ctx), cwd, onStderr: (line) => ctx.output.appendLine(line), onText: (line) => ctx.output.appendLine(line) }),
  );
  if (run.code !== 0) {
    showError(ctx, `zdm: could not ${action} the embedded PostgreSQL: ${errorLine(run.stderr) ?? `exit code ${run.code}`}`);
    return;
  }
  // `zdm db` prints text; the project folder is where its .zdm.json is (or the workspace folder).
  const root = await projectRoot(cwd);
  if (action === 'start') embeddedRoots.add(root);
  else embeddedRoots.delete(root);
  ctx.output.appendLine(action === 'start' ? 'The embedded PostgreSQL is running; it stops when the editor closes.' : 'The embedded PostgreSQL is stopped.');
  ctx.tree.refresh();
}

async function projectRoot(cwd: string): Promise<string> {
  let dir = cwd;
  for (;;) {
    try {
      await vscode.workspace.fs.stat(vscode.Uri.file(path.join(dir, '.zdm.json')));
      return dir;
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return cwd;
      dir = parent;
    }
  }
}
