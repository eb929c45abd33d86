// The proving commands, as a table: "Verify Up/Down Round Trip", "Trace Locks" (also a CodeLens above
// each up section), "Verify Backfill" (also a CodeLens above the first -- zdm:verify). Each runs the
// bundled CLI with --format json (and --report for the Markdown preview) in the file's workspace
// folder, with a cancellable progress notification, and shows the results through view.ts.
// Nothing runs against a database in an untrusted workspace.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RoundTripResult } from '../../../server/src/engine/prove/roundtrip';
import type { TraceResult } from '../../../server/src/engine/prove/trace';
import type { VerifyResult } from '../../../server/src/engine/prove/verify';
import { registerCommandTable, trustedWorkspace, type CommandTable } from '../command-table';
import { databaseUrlFor } from '../runner/database';
import { parseResult, runCli, type CliRun } from './cli';
import { createProveView, type ProveView } from './view';

interface ProveContext {
  extension: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  view: ProveView;
}

const SEED_KEY = 'zdm.roundtrip.seed';

export const PROVE_COMMANDS: CommandTable<ProveContext> = {
  'zdm.verifyRoundTrip': (ctx, target?: unknown) => verifyRoundTrip(ctx, fileArgument(target)),
  'zdm.traceLocks': (ctx, target?: unknown) => traceLocks(ctx, fileArgument(target)),
  'zdm.verifyBackfill': (ctx, target?: unknown) => verifyBackfill(ctx, fileArgument(target)),
};

export function registerProveCommands(extension: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  registerCommandTable(extension, PROVE_COMMANDS, { extension, log, view: createProveView(extension) });
}

/** A CodeLens passes the file's URI as a string; the palette passes nothing (the active editor's file). */
function fileArgument(target: unknown): vscode.Uri | undefined {
  if (typeof target === 'string') return target.includes('://') ? vscode.Uri.parse(target) : vscode.Uri.file(target);
  if (target instanceof vscode.Uri) return target;
  const active = vscode.window.activeTextEditor?.document.uri;
  return active?.scheme === 'file' ? active : undefined;
}

function folderOf(file: vscode.Uri | undefined): string | undefined {
  const folder = (file && vscode.workspace.getWorkspaceFolder(file)) ?? vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.fsPath ?? (file ? path.dirname(file.fsPath) : undefined);
}

function trusted(): boolean {
  return trustedWorkspace('does not connect to a database', 'run this command');
}

async function reportUri(ctx: ProveContext, name: string): Promise<vscode.Uri> {
  const dir = ctx.extension.storageUri ?? ctx.extension.globalStorageUri;
  await vscode.workspace.fs.createDirectory(dir);
  return vscode.Uri.joinPath(dir, name);
}

/**
 * Runs the CLI under a cancellable progress notification, with the dev database the runner commands use
 * (the `zdm.database.url` setting with its password from the secret storage; else the CLI's own order).
 */
async function withProgress(ctx: ProveContext, title: string, args: string[], cwd: string): Promise<CliRun> {
  const url = await databaseUrlFor(ctx.extension.secrets, vscode.Uri.file(cwd));
  const env: Record<string, string> = url ? { ZDM_DATABASE_URL: url } : {};
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) =>
    runCli(args, { cwd, env, extensionUri: ctx.extension.extensionUri, log: ctx.log, token, onLine: (line) => progress.report({ message: line.slice(0, 120) }) }),
  );
}

/** Shows why a run produced no result (usage problem, crash), with a way to the log. */
function failed(ctx: ProveContext, what: string, run: CliRun, message?: string): void {
  if (run.cancelled) {
    void vscode.window.showInformationMessage(`zdm: ${what} cancelled (its throwaway database was dropped).`);
    return;
  }
  const text = message ?? (run.stderr.trim().split('\n').pop() || `exit code ${run.code}`);
  void vscode.window.showErrorMessage(`zdm: ${what} failed: ${text}`, 'Show Log').then((pick) => {
    if (pick) ctx.log.show();
  });
}

async function verifyRoundTrip(ctx: ProveContext, file: vscode.Uri | undefined): Promise<void> {
  if (!trusted()) return;
  const cwd = folderOf(file);
  if (!cwd) {
    void vscode.window.showErrorMessage('zdm: open a folder with migrations to verify their round trip.');
    return;
  }
  const seed = await pickSeed(ctx, cwd);
  if (seed === null) return;
  const report = await reportUri(ctx, 'roundtrip.md');
  const args = ['roundtrip', '--format', 'json', '--report', report.fsPath, ...(seed ? ['--seed', seed] : [])];
  const run = await withProgress(ctx, 'zdm: verifying the up/down round trip of pending migrations', args, cwd);
  const result = parseResult<RoundTripResult>(run);
  if (!result || run.cancelled) return failed(ctx, 'the round trip', run);
  if (result.usageError) return failed(ctx, 'the round trip', run, result.usageError);
  ctx.view.showFindings('roundtrip', result.findings);
  await ctx.view.openReport(report);
  const restored = result.migrations.filter((m) => m.outcome === 'restored').length;
  const problems = result.findings.filter((f) => f.severity === 'error' || f.severity === 'warning').length;
  if (result.error) void vscode.window.showErrorMessage(`zdm: round trip: ${result.error.message}`);
  else if (result.migrations.length === 0) void vscode.window.showInformationMessage('zdm: no pending migration: nothing to round-trip.');
  else if (problems === 0) void vscode.window.showInformationMessage(`zdm: round trip clean: ${restored} of ${result.migrations.length} pending migration(s) restored exactly by their down.`);
  else void vscode.window.showWarningMessage(`zdm: round trip: ${problems} problem(s) in ${result.migrations.length - restored} migration(s); see the Problems panel and the report.`);
}

/** The seed SQL for the round trip: the last one chosen for this workspace, none, or a file to pick. null: cancelled. */
async function pickSeed(ctx: ProveContext, cwd: string): Promise<string | undefined | null> {
  const last = ctx.extension.workspaceState.get<string>(SEED_KEY);
  const items: (vscode.QuickPickItem & { value: string | undefined | 'pick' })[] = [
    { label: 'No seed data', description: 'round-trip the schema and the rows already in the dev database', value: undefined },
    ...(last ? [{ label: path.relative(cwd, last) || last, description: 'seed used last time', value: last }] : []),
    { label: 'Choose a seed SQL file…', value: 'pick' },
  ];
  const choice = await vscode.window.showQuickPick(items, { placeHolder: 'Load sample data (a seed SQL file) before the round trip?' });
  if (!choice) return null;
  if (choice.value !== 'pick') {
    if (choice.value === undefined) await ctx.extension.workspaceState.update(SEED_KEY, undefined);
    return choice.value;
  }
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, defaultUri: vscode.Uri.file(cwd), filters: { SQL: ['sql'] }, openLabel: 'Use as seed' });
  if (!picked?.[0]) return null;
  await ctx.extension.workspaceState.update(SEED_KEY, picked[0].fsPath);
  return picked[0].fsPath;
}

async function traceLocks(ctx: ProveContext, file: vscode.Uri | undefined): Promise<void> {
  if (!trusted()) return;
  if (!file) {
    void vscode.window.showErrorMessage('zdm: open a migration file to trace its locks.');
    return;
  }
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
  if (document?.isDirty) await document.save();
  const cwd = folderOf(file)!;
  const report = await reportUri(ctx, `trace-${path.basename(file.fsPath)}.md`);
  const run = await withProgress(ctx, `zdm: tracing the locks of ${path.basename(file.fsPath)}`, ['trace', file.fsPath, '--format', 'json', '--report', report.fsPath], cwd);
  const result = parseResult<TraceResult>(run);
  if (!result || run.cancelled) return failed(ctx, 'the lock trace', run);
  if (result.usageError) return failed(ctx, 'the lock trace', run, result.usageError);
  ctx.view.showFindings('trace', result.findings, [file.fsPath]);
  ctx.view.showTrace(result);
  await ctx.view.openReport(report);
  if (result.error) void vscode.window.showErrorMessage(`zdm: lock trace: ${result.error.message}`);
  else if (result.mismatches.length > 0) void vscode.window.showWarningMessage(`zdm: the trace found ${result.mismatches.length} mismatch(es) with zdm's lock table (listed in the report): please report them.`);
}

async function verifyBackfill(ctx: ProveContext, file: vscode.Uri | undefined): Promise<void> {
  if (!trusted()) return;
  const cwd = folderOf(file);
  if (!cwd) return;
  const document = file && vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
  if (document?.isDirty) await document.save();
  const hasDirectives = document ? document.getText().includes('zdm:verify') : false;
  const args = ['verify', ...(file && hasDirectives ? [file.fsPath] : []), '--format', 'json'];
  const run = await withProgress(ctx, 'zdm: running the backfill verification queries', args, cwd);
  const result = parseResult<VerifyResult>(run);
  if (!result || run.cancelled) return failed(ctx, 'the verification', run);
  if (result.usageError) return failed(ctx, 'the verification', run, result.usageError);
  // A sqitch project's verify scripts ran too (zdm verify without FILE): their findings are replaced as well.
  const sqitchFiles = result.sqitch?.changes.flatMap((c) => (c.file ? [c.file] : [])) ?? [];
  ctx.view.showFindings('verify', result.findings, [...result.files.map((f) => f.file), ...sqitchFiles]);
  const ran = result.files.filter((f) => f.ran);
  const failing = ran.filter((f) => !f.passed);
  const sqitchFailing = result.sqitch?.changes.filter((c) => !c.ok) ?? [];
  if (result.error) void vscode.window.showErrorMessage(`zdm: verification: ${result.error.message}`);
  else if (sqitchFailing.length > 0) void vscode.window.showWarningMessage(`zdm: sqitch verify failed for ${sqitchFailing.map((c) => `${c.name} (${c.problem ?? 'not ok'})`).join(', ')}.`);
  else if (result.sqitch && ran.length === 0) void vscode.window.showInformationMessage(`zdm: sqitch verify: ${result.sqitch.changes.length} deployed change${result.sqitch.changes.length === 1 ? '' : 's'} verified on the dev database.`);
  else if (ran.length === 0) void vscode.window.showInformationMessage(result.files.length === 0 ? 'zdm: no -- zdm:verify directives to run.' : `zdm: nothing verified: ${result.files.map((f) => f.note).filter(Boolean).join('; ')}`);
  else if (failing.length === 0) void vscode.window.showInformationMessage(`zdm: backfill verified: ${ran.reduce((n, f) => n + f.directives.length, 0)} zdm:verify quer${ran.reduce((n, f) => n + f.directives.length, 0) === 1 ? 'y holds' : 'ies hold'} on the dev database.`);
  else void vscode.window.showWarningMessage(`zdm: backfill verification failed for ${failing.map((f) => path.basename(f.file)).join(', ')}: its contract migration stays blocked.`);
}
