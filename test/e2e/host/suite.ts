/**
 * Extension-host integration tests: they run inside VS Code's extension host, next to the zdm extension,
 * and use the `vscode` API. VS Code loads this module as its `extensionTestsPath` and calls `run()`:
 *
 *   - offline, in code-server: test/e2e/extension-host.test.ts (part of `npm run test:e2e`), with the
 *     packaged extension (.vsix) as the extension under development;
 *   - with @vscode/test-electron, where VS Code can be downloaded: `npm run test:e2e:electron`
 *     (scripts/run-e2e-electron.mjs), with the repository as the extension under development.
 *
 * The workspace is test/e2e/fixture.ts. A tiny mocha-style runner (`test(name, fn)`, in order, each with
 * a timeout; waits poll, never sleep a fixed time). Results also go to $ZDM_HOST_TEST_RESULTS (JSON),
 * which the code-server route reads back.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'zdm.zdm';
const INDEX = 'db/migrations/20240102090000_index_users_email.sql';
const FIX_CONCURRENTLY = 'Add CONCURRENTLY and mark the up block `transaction:false`';
const SCALE = Number(process.env.ZDM_E2E_TIMEOUT_SCALE ?? '1') || 1;
const TIMEOUT_MS = Math.round(60_000 * SCALE);

interface Result {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

const tests: Array<{ name: string; fn: () => Promise<void> }> = [];
function test(name: string, fn: () => Promise<void>): void {
  tests.push({ name, fn });
}

/** Calls `probe` until it returns something truthy (errors count as "not yet"); fails after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function workspaceFile(rel: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder open');
  return vscode.Uri.joinPath(folder.uri, ...rel.split('/'));
}

const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? ''));
const zdmDiagnostics = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'zdm');
const markdown = (hovers: vscode.Hover[]) =>
  hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');

// ------------------------------------------------------------------------------------------- tests

test('the extension is installed and activates', async () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  await ext.activate();
  assert.equal(ext.isActive, true);
});

test('every contributed command is registered, and every registered zdm command is contributed', async () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  const contributed = new Set<string>((ext.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command));
  const registered = new Set((await vscode.commands.getCommands(true)).filter((c) => c.startsWith('zdm.')));
  const views = new Set<string>(Object.values(ext.packageJSON.contributes?.views ?? {}).flat().map((v) => (v as { id: string }).id));
  const generated = (c: string) => [...views].some((v) => c.startsWith(`${v}.`)); // VS Code's own view commands (focus, ...)
  assert.deepEqual([...contributed].filter((c) => !registered.has(c)), [], 'contributed in package.json but not registered');
  assert.deepEqual([...registered].filter((c) => !contributed.has(c) && !generated(c)), [], 'registered but not contributed (absent from the palette)');
});

test('opening a migration: a diagnostic from the language server, with its rule and documentation link', async () => {
  const uri = workspaceFile(INDEX);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  assert.equal(doc.languageId, 'sql');
  const [d] = await waitFor('the require-concurrent-index-creation diagnostic', () => {
    const found = zdmDiagnostics(uri).filter((x) => codeOf(x) === 'require-concurrent-index-creation');
    return found.length ? found : undefined;
  });
  assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
  assert.deepEqual([d.range.start.line, d.range.start.character], [2, 0]);
  assert.match(d.message, /CREATE INDEX takes a SHARE lock on users/);
  const target = typeof d.code === 'object' ? d.code.target : undefined;
  assert.match(String(target), /require-concurrent-index-creation\.md$/);
});

test('the hover names the lock and what it blocks', async () => {
  const uri = workspaceFile(INDEX);
  const text = await waitFor('a hover with the lock', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(2, 7));
    const md = markdown(hovers ?? []);
    return /SHARE/.test(md) ? md : undefined;
  });
  assert.match(text, /`SHARE` on table `users`: blocks writes \(INSERT, UPDATE, DELETE\); reads continue/);
});

test('the quick-fix applies through VS Code and the diagnostic goes', async () => {
  const uri = workspaceFile(INDEX);
  const doc = await vscode.workspace.openTextDocument(uri);
  const range = new vscode.Range(2, 0, 2, 0);
  const action = await waitFor(`the quick-fix "${FIX_CONCURRENTLY}"`, async () => {
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, vscode.CodeActionKind.QuickFix.value);
    return actions?.find((a) => a.title === FIX_CONCURRENTLY);
  });
  assert.ok(action.edit, 'the quick-fix carries its edit');
  assert.equal(action.isPreferred, true);
  assert.equal(await vscode.workspace.applyEdit(action.edit), true, 'VS Code applied the edit');
  assert.match(doc.getText(), /^-- migrate:up transaction:false\n/);
  assert.match(doc.getText(), /\nCREATE INDEX CONCURRENTLY users_email_idx ON users \(email\);\n/);
  await waitFor('the diagnostic to go', () => !zdmDiagnostics(uri).some((d) => codeOf(d) === 'require-concurrent-index-creation'));
  await vscode.commands.executeCommand('workbench.action.files.revert'); // leave the file as it was
  await waitFor('the reverted file to be flagged again', () => zdmDiagnostics(uri).some((d) => codeOf(d) === 'require-concurrent-index-creation'));
});

test('a fix that moves a statement to a new migration: built when picked (codeAction/resolve), it creates the new migration', async () => {
  const rel = 'db/migrations/20240103090000_orders_total_check.sql';
  const uri = workspaceFile(rel);
  const created = workspaceFile('db/migrations/20240103090001_validate_orders_total_check.sql');
  const text = "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CHECK (total >= 0);\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE orders DROP CONSTRAINT orders_total_check;\n";
  fs.writeFileSync(uri.fsPath, text);
  try {
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const diagnostic = await waitFor('the constraint-missing-not-valid diagnostic', () => zdmDiagnostics(uri).find((d) => codeOf(d) === 'constraint-missing-not-valid'));
    const title = /^Add NOT VALID, and VALIDATE CONSTRAINT in a new migration/;
    // Without resolving, the action has no edit yet: the server builds it when the action is picked.
    const unresolved = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
    assert.equal(unresolved?.find((a) => title.test(a.title))?.edit, undefined, 'sent without its edit');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value, 20);
    const action = actions?.find((a) => title.test(a.title));
    assert.ok(action?.edit, `resolved with its edit: ${JSON.stringify(actions?.map((a) => a.title))}`);
    assert.equal(await vscode.workspace.applyEdit(action.edit), true, 'VS Code applied the edit');
    assert.match(doc.getText(), /ADD CONSTRAINT orders_total_check CHECK \(total >= 0\) NOT VALID;/);
    const next = await vscode.workspace.openTextDocument(created);
    assert.match(next.getText(), /ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;/);
    await waitFor('the diagnostic to go', () => !zdmDiagnostics(uri).some((d) => codeOf(d) === 'constraint-missing-not-valid'));
  } finally {
    // Leave nothing dirty behind: revert and close each editor this test touched, then remove the files.
    for (const u of [created, uri]) {
      if (!vscode.workspace.textDocuments.some((d) => d.uri.toString() === u.toString())) continue;
      await vscode.window.showTextDocument(u);
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
    fs.rmSync(uri.fsPath, { force: true });
    fs.rmSync(created.fsPath, { force: true });
  }
});

test('the snippets are contributed', async () => {
  const doc = await vscode.workspace.openTextDocument({ language: 'sql', content: 'zdm-' });
  const list = await waitFor('completions with the zdm snippets', async () => {
    const items = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(0, 4));
    const labels = (items?.items ?? []).map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    return labels.some((l) => l.startsWith('zdm-')) ? labels : undefined;
  });
  assert.ok(list.includes('zdm-dbmate') && list.includes('zdm-index-concurrently'), JSON.stringify(list.filter((l) => l.startsWith('zdm'))));
});

test('the .zdm.json schema is contributed: a misspelt key is flagged', async () => {
  const uri = workspaceFile('.zdm.json');
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  const edit = new vscode.WorkspaceEdit();
  edit.insert(uri, new vscode.Position(1, 0), '  "formta": "dbmate",\n');
  assert.equal(await vscode.workspace.applyEdit(edit), true);
  const problem = await waitFor('a schema diagnostic on "formta"', () => vscode.languages.getDiagnostics(uri).find((d) => /formta|not allowed/i.test(d.message)), Math.round(90_000 * SCALE));
  assert.equal(problem.range.start.line, 1);
  await vscode.commands.executeCommand('workbench.action.files.revert');
});

// ------------------------------------------------------------------------------------------- runner

export async function run(): Promise<void> {
  const results: Result[] = [];
  for (const t of tests) {
    const started = Date.now();
    try {
      await t.fn();
      results.push({ name: t.name, ok: true, ms: Date.now() - started });
      console.log(`  ✔ ${t.name} (${Date.now() - started} ms)`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      results.push({ name: t.name, ok: false, ms: Date.now() - started, error: message });
      console.error(`  ✖ ${t.name}\n${message}`);
    }
  }
  const out = process.env.ZDM_HOST_TEST_RESULTS;
  if (out) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(`${out}.tmp`, JSON.stringify(results, null, 2));
    fs.renameSync(`${out}.tmp`, out);
  }
  const failed = results.filter((r) => !r.ok);
  console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length) throw new Error(`${failed.length} of ${results.length} extension-host tests failed: ${failed.map((f) => f.name).join('; ')}`);
}
