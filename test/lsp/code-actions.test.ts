// Code actions over stdio: request them for a diagnostic, apply the returned WorkspaceEdit, and see
// the diagnostic gone in the next publish.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CodeAction, Diagnostic, TextDocumentEdit } from 'vscode-languageserver-protocol';
import { applyTextEdits, LspClient } from '../helpers/lsp-client';

let dir: string;
let client: LspClient;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-lsp-actions-'));
  fs.mkdirSync(path.join(dir, 'db', 'migrations'), { recursive: true });
  client = await LspClient.start({ rootPath: dir });
});

after(async () => {
  await client.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const MIGRATION = "-- migrate:up\nSET lock_timeout = '5s';\nCREATE INDEX orders_user_idx ON orders (user_id);\n\n-- migrate:down\nSET lock_timeout = '5s';\nDROP INDEX IF EXISTS orders_user_idx;\n";

async function openWith(name: string, text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = client.open(path.join(dir, 'db', 'migrations', name), text, 1);
  return { uri, diagnostics: await client.diagnostics(uri, 1) };
}

function editsFor(action: CodeAction, uri: string) {
  return action.edit?.changes?.[uri] ?? [];
}

describe('code actions over stdio', () => {
  it('offers the fix, disable-for-statement, disable-for-file and show-docs; the fix makes the diagnostic go away', async () => {
    const { uri, diagnostics } = await openWith('20240101000000_idx.sql', MIGRATION);
    const diagnostic = diagnostics.find((d) => d.code === 'require-concurrent-index-creation')!;
    const actions = await client.codeActions(uri, diagnostic.range, [diagnostic]);
    const titles = actions.map((a) => a.title);
    assert.ok(titles.includes('Add CONCURRENTLY and mark the up block `transaction:false`'), titles.join('\n'));
    assert.ok(titles.includes('Disable require-concurrent-index-creation for this statement'));
    assert.ok(titles.includes('Disable require-concurrent-index-creation for this file'));
    assert.ok(titles.includes('Show documentation for require-concurrent-index-creation'));
    const fix = actions.find((a) => a.title.startsWith('Add CONCURRENTLY'))!;
    assert.equal(fix.isPreferred, true);
    const fixed = applyTextEdits(MIGRATION, editsFor(fix, uri));
    assert.match(fixed, /^-- migrate:up transaction:false\n/);
    assert.match(fixed, /CREATE INDEX CONCURRENTLY orders_user_idx/);
    client.change(uri, 2, [{ text: fixed }]);
    const after = await client.diagnostics(uri, 2);
    assert.ok(!after.some((d) => d.code === 'require-concurrent-index-creation'), JSON.stringify(after));
  });

  it('disable-for-statement inserts an ignore comment that silences exactly that finding', async () => {
    const { uri, diagnostics } = await openWith('20240102000000_ignore.sql', MIGRATION);
    const diagnostic = diagnostics.find((d) => d.code === 'require-concurrent-index-creation')!;
    const action = (await client.codeActions(uri, diagnostic.range, [diagnostic])).find((a) => a.title.includes('for this statement'))!;
    const text = applyTextEdits(MIGRATION, editsFor(action, uri));
    assert.match(text, /-- zdm-ignore require-concurrent-index-creation\nCREATE INDEX orders_user_idx/);
    client.change(uri, 2, [{ text }]);
    const after = await client.diagnostics(uri, 2);
    assert.ok(!after.some((d) => d.code === 'require-concurrent-index-creation' || d.code === 'unused-ignore'), JSON.stringify(after));
  });

  it('source.fixAll.zdm applies every safe fix at once', async () => {
    const text = "-- migrate:up\nCREATE INDEX a_idx ON a (x);\n\n-- migrate:down\nDROP INDEX CONCURRENTLY a_idx;\n";
    const { uri } = await openWith('20240103000000_fixall.sql', text);
    const actions = await client.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ['source.fixAll.zdm']);
    assert.equal(actions.length, 1);
    const fixed = applyTextEdits(text, editsFor(actions[0], uri));
    assert.match(fixed, /CREATE INDEX CONCURRENTLY a_idx/);
    assert.match(fixed, /^-- migrate:down transaction:false$/m);
    assert.match(fixed, /^SET lock_timeout = '5s';$/m);
    client.change(uri, 2, [{ text: fixed }]);
    const after = await client.diagnostics(uri, 2);
    assert.ok(!after.some((d) => ['require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'require-lock-timeout'].includes(String(d.code))), JSON.stringify(after));
    // Nothing left to fix: applying fix-all again returns no action.
    assert.deepEqual(await client.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ['source.fixAll.zdm']), []);
  });

  it('a fix that needs a new file carries a create operation with the right path', async () => {
    const folder = path.join(dir, 'migrations', '2024-01-01-000000_add_index');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'down.sql'), 'DROP INDEX CONCURRENTLY IF EXISTS a_idx;\n');
    const text = 'CREATE INDEX CONCURRENTLY a_idx ON a (x);\n';
    const uri = client.open(path.join(folder, 'up.sql'), text, 1);
    const diagnostics = await client.diagnostics(uri, 1);
    const diagnostic = diagnostics.find((d) => d.code === 'ban-concurrent-index-creation-in-transaction')!;
    assert.ok(diagnostic, JSON.stringify(diagnostics));
    const action = (await client.codeActions(uri, diagnostic.range, [diagnostic])).find((a) => a.title.includes('run_in_transaction'))!;
    const changes = action.edit!.documentChanges!;
    const create = changes.find((c) => 'kind' in c && c.kind === 'create') as { uri: string };
    assert.equal(fileURLToPath(create.uri), path.join(folder, 'metadata.toml'));
    const content = changes.find((c) => 'textDocument' in c && c.textDocument.uri === create.uri) as TextDocumentEdit;
    assert.equal((content.edits[0] as { newText: string }).newText, 'run_in_transaction = false\n');
  });
});
