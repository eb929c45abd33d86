// Code actions over stdio: request them for a diagnostic, apply the returned WorkspaceEdit, and see
// the diagnostic gone in the next publish.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CodeAction, CreateFile, Diagnostic, TextDocumentEdit, WorkspaceEdit } from 'vscode-languageserver-protocol';
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

// The index alone in its up block: the fix makes it CONCURRENTLY in a transaction:false block (dbmate
// sends such a block as one query string, so nothing else may share it).
const MIGRATION = "-- migrate:up\nCREATE INDEX orders_user_idx ON orders (user_id);\n\n-- migrate:down\nSET lock_timeout = '5s';\nDROP INDEX IF EXISTS orders_user_idx;\n";

async function openWith(name: string, text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = client.open(path.join(dir, 'db', 'migrations', name), text, 1);
  return { uri, diagnostics: await client.diagnostics(uri, 1) };
}

function editsFor(action: CodeAction, uri: string) {
  return action.edit?.changes?.[uri] ?? [];
}

/**
 * Applies a WorkspaceEdit the way an editor does: files are created (never over an existing one),
 * then each text edit applies to the open text (`open`) or the file on disk. Returns the new text of
 * every file it touched, by path; created and edited files that are not open are written to disk.
 */
function applyWorkspaceEdit(edit: WorkspaceEdit, open: Record<string, string>): Map<string, string> {
  const texts = new Map<string, string>();
  const created = new Set<string>();
  const current = (file: string) => texts.get(file) ?? open[file] ?? fs.readFileSync(file, 'utf8');
  for (const change of edit.documentChanges ?? []) {
    if ('kind' in change) {
      assert.equal(change.kind, 'create');
      const file = fileURLToPath((change as CreateFile).uri);
      assert.ok(!fs.existsSync(file), `${file} exists: the create must not overwrite it`);
      texts.set(file, '');
      created.add(file);
      continue;
    }
    const file = fileURLToPath(change.textDocument.uri);
    texts.set(file, applyTextEdits(current(file), change.edits as { range: any; newText: string }[]));
  }
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
    const file = fileURLToPath(uri);
    texts.set(file, applyTextEdits(current(file), edits));
  }
  for (const [file, text] of texts) if (!(file in open)) fs.writeFileSync(file, text);
  return texts;
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

  it("a format's own problem carries its fix too: goose would cut a function body, and the wrap makes the diagnostic go away", async () => {
    const text = "-- +goose Up\nCREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n\n-- +goose Down\nDROP FUNCTION touch();\n";
    const { uri, diagnostics } = await openWith('20240105000000_touch.sql', text);
    const diagnostic = diagnostics.find((d) => d.code === 'migration-format')!;
    assert.ok(diagnostic, JSON.stringify(diagnostics));
    assert.deepEqual(diagnostic.range.start, { line: 3, character: 25 }, 'at the `;` where goose cuts');
    const fix = (await client.codeActions(uri, diagnostic.range, [diagnostic])).find((a) => a.title.startsWith('Wrap it in -- +goose StatementBegin'))!;
    assert.ok(fix, 'the wrap is offered');
    const fixed = applyTextEdits(text, editsFor(fix, uri));
    assert.match(fixed, /^-- \+goose Up\n-- \+goose StatementBegin\nCREATE FUNCTION[\s\S]*LANGUAGE plpgsql;\n-- \+goose StatementEnd\n/);
    client.change(uri, 2, [{ text: fixed }]);
    const after = await client.diagnostics(uri, 2);
    assert.ok(!after.some((d) => d.code === 'migration-format'), JSON.stringify(after));
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

  it('disable-for-statement on a statement that shares its line with an earlier one moves it to its own line first', async () => {
    const text = "-- migrate:up\nSET lock_timeout = '5s'; CREATE INDEX orders_user_idx ON orders (user_id);\n\n-- migrate:down\nSET lock_timeout = '5s';\nDROP INDEX IF EXISTS orders_user_idx;\n";
    const { uri, diagnostics } = await openWith('20240102000001_ignore_same_line.sql', text);
    const diagnostic = diagnostics.find((d) => d.code === 'require-concurrent-index-creation')!;
    const action = (await client.codeActions(uri, diagnostic.range, [diagnostic])).find((a) => a.title.includes('for this statement'))!;
    const edited = applyTextEdits(text, editsFor(action, uri));
    assert.match(edited, /SET lock_timeout = '5s'; \n-- zdm-ignore require-concurrent-index-creation\nCREATE INDEX orders_user_idx/);
    client.change(uri, 2, [{ text: edited }]);
    const after = await client.diagnostics(uri, 2);
    assert.ok(!after.some((d) => d.code === 'require-concurrent-index-creation' || d.code === 'unused-ignore'), JSON.stringify(after));
  });

  it('disable-for-file keeps a Liquibase header first and writes the file\'s own line ending', async () => {
    const text = '--liquibase formatted sql\r\n\r\n--changeset ann:1\r\nCREATE INDEX orders_user_idx ON orders (user_id);\r\n--rollback DROP INDEX orders_user_idx;\r\n';
    const { uri, diagnostics } = await openWith('changelog.sql', text);
    const diagnostic = diagnostics.find((d) => d.code === 'require-concurrent-index-creation')!;
    assert.ok(diagnostic, JSON.stringify(diagnostics));
    const action = (await client.codeActions(uri, diagnostic.range, [diagnostic])).find((a) => a.title === 'Disable require-concurrent-index-creation for this file')!;
    const edited = applyTextEdits(text, editsFor(action, uri));
    // Liquibase reads the first line to know the format: a comment above it would make this plain SQL.
    assert.equal(edited, '--liquibase formatted sql\r\n-- zdm-ignore-file require-concurrent-index-creation\r\n\r\n--changeset ann:1\r\nCREATE INDEX orders_user_idx ON orders (user_id);\r\n--rollback DROP INDEX orders_user_idx;\r\n');
    client.change(uri, 2, [{ text: edited }]);
    const after = await client.diagnostics(uri, 2);
    const codes = (ds: Diagnostic[]) => ds.map((d) => `${d.code}@${d.range.start.line + (ds === after ? -1 : 0)}`);
    assert.deepEqual(codes(after), codes(diagnostics).filter((c) => !c.startsWith('require-concurrent-index-creation@')), 'only that rule is gone: the file is still read as Liquibase');
  });

  it('disabling unused-ignore, for the file or for the statement, silences the report about a stale ignore comment and adds none', async () => {
    const text = "-- migrate:up\nSET lock_timeout = '5s';\n-- zdm-ignore require-concurrent-index-creation\nALTER TABLE users ADD COLUMN locale text;\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN locale;\n";
    for (const [i, scope] of ['file', 'statement'].entries()) {
      const { uri, diagnostics } = await openWith(`2024010300000${i}_stale_ignore.sql`, text);
      const diagnostic = diagnostics.find((d) => d.code === 'unused-ignore')!;
      assert.ok(diagnostic, JSON.stringify(diagnostics));
      const action = (await client.codeActions(uri, diagnostic.range, [diagnostic])).find((a) => a.title === `Disable unused-ignore for this ${scope}`);
      assert.ok(action, `Disable unused-ignore for this ${scope} is offered`);
      client.change(uri, 2, [{ text: applyTextEdits(text, editsFor(action, uri)) }]);
      const after = await client.diagnostics(uri, 2);
      assert.deepEqual(after.map((d) => d.code), [], `${scope}: ${JSON.stringify(after)}`);
    }
  });

  it('in a file with old Mac line endings (a lone \\r), every quick fix writes \\r, keeps the SQL valid and removes its finding', async () => {
    const text = "-- migrate:up\rSET lock_timeout = 0;\rCREATE TABLE t (\r  id bigint\r);\rALTER TABLE orders DISABLE TRIGGER orders_audit;\rREINDEX INDEX\r  users_email_idx;\r\r-- migrate:down\r";
    const { uri, diagnostics } = await openWith('20240104000000_old_mac.sql', text);
    let version = 1;
    const tried: string[] = [];
    for (const diagnostic of diagnostics) {
      for (const action of await client.codeActions(uri, diagnostic.range, [diagnostic])) {
        if (!action.edit) continue;
        const edits = [...Object.values(action.edit.changes ?? {}).flat(), ...(action.edit.documentChanges ?? []).filter((c): c is TextDocumentEdit => 'textDocument' in c && c.textDocument.uri === uri).flatMap((c) => c.edits)];
        const edited = applyTextEdits(text, edits as { range: any; newText: string }[]);
        const what = `${diagnostic.code}: "${action.title}"`;
        tried.push(what);
        assert.ok(!edited.includes('\n'), `${what} wrote a \\n: ${JSON.stringify(edited)}`);
        client.change(uri, ++version, [{ text: edited }]);
        const after = await client.diagnostics(uri, version);
        assert.deepEqual(after.filter((d) => d.code === 'syntax-error').map((d) => d.message), [], `${what}: ${JSON.stringify(edited)}`);
        const count = (ds: Diagnostic[]) => ds.filter((d) => d.code === diagnostic.code).length;
        assert.ok(count(after) < count(diagnostics), `${what} left its finding: ${JSON.stringify(edited)}`);
        client.change(uri, ++version, [{ text }]);
        await client.diagnostics(uri, version);
      }
    }
    // The fixes this file exercises: a TODO comment for what has no inverse, a timeout before one statement.
    assert.ok(tried.some((t) => t.startsWith('empty-down-section: "Fill the down section')), tried.join('\n'));
    assert.ok(tried.some((t) => t.startsWith('avoid-enable-disable-trigger: "Add SET lock_timeout')), tried.join('\n'));
    assert.ok(tried.some((t) => t.endsWith('for this statement"')), tried.join('\n'));
  });

  it('Show documentation works in any client: the server runs the command and gives the rule page to the client', async () => {
    const { uri, diagnostics } = await openWith('20240102000002_docs.sql', MIGRATION);
    const diagnostic = diagnostics.find((d) => d.code === 'require-concurrent-index-creation')!;
    const docs = (await client.codeActions(uri, diagnostic.range, [diagnostic])).find((a) => a.title.startsWith('Show documentation'))!;
    // This client is not the VS Code extension: the command is one the server runs.
    assert.equal(docs.command!.command, 'zdm.server.showRuleDocs');
    const before = client.messages.length;
    await client.executeCommand(docs.command!.command, docs.command!.arguments);
    await client.waitFor(() => client.messages.length > before, 'the documentation link');
    assert.match(client.messages[client.messages.length - 1].message, /require-concurrent-index-creation: https:\/\/\S+\/docs\/rules\/require-concurrent-index-creation\.md/);
    // Its argument must be a rule: no page is given for a path, an object or nothing.
    const shown = client.messages.length;
    for (const args of [['../../../../../elsewhere/repo/blob/main/x'], [{}], [], 'x']) {
      await assert.rejects(client.connection.sendRequest('workspace/executeCommand', { command: docs.command!.command, arguments: args }), (error: { code?: number }) => error.code === -32602, JSON.stringify(args));
    }
    assert.equal(client.messages.length, shown);
  });

  it('with a client that checks versions, every quick fix names the version it was made for, so a stale one is refused', async () => {
    const versioned = await LspClient.start({ rootPath: dir, versionedEdits: true });
    try {
      const uri = versioned.open(path.join(dir, 'db', 'migrations', '20240102000004_versions.sql'), MIGRATION, 1);
      const diagnostic = (await versioned.diagnostics(uri, 1)).find((d) => d.code === 'require-concurrent-index-creation')!;
      // A keystroke: the diagnostic the user picks a fix from is now one version old.
      versioned.change(uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '-- a comment\n' }]);
      await versioned.diagnostics(uri, 2);
      const actions = (await versioned.codeActions(uri, diagnostic.range, [diagnostic])).filter((a) => a.edit);
      assert.ok(actions.length >= 3, actions.map((a) => a.title).join('\n'));
      for (const action of actions) {
        const changes = action.edit!.documentChanges as TextDocumentEdit[];
        assert.equal(action.edit!.changes, undefined, action.title);
        assert.deepEqual(changes.filter((c) => 'textDocument' in c && c.textDocument.uri === uri).map((c) => c.textDocument.version), [1], action.title);
      }
      // Fix-all replaces the whole text: it names the version it read too.
      const [fixAll] = await versioned.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ['source.fixAll.zdm']);
      assert.ok(fixAll?.edit, 'fix-all is offered');
      assert.equal(fixAll.edit.changes, undefined);
      assert.deepEqual((fixAll.edit.documentChanges as TextDocumentEdit[]).map((c) => [c.textDocument.uri, c.textDocument.version]), [[uri, 2]]);
    } finally {
      await versioned.stop();
    }
  });

  it('a diagnostic whose data the client stripped, rewrote or invented gets the actions of its finding in the text, or none; never an error', async () => {
    const { uri, diagnostics } = await openWith('20240120000000_bad_data.sql', MIGRATION);
    const diagnostic = diagnostics.find((d) => d.code === 'require-concurrent-index-creation')!;
    assert.ok(diagnostic, JSON.stringify(diagnostics));
    // What an action does, without the diagnostic it echoes (the client's own, bad data and all).
    const offered = (actions: CodeAction[]) => actions.map((a) => ({ title: a.title, edit: a.edit, command: a.command }));
    const expected = offered(await client.codeActions(uri, diagnostic.range, [diagnostic]));
    assert.ok(expected.some((a) => a.edit) && expected.some((a) => /Disable require-concurrent-index-creation/.test(a.title)), JSON.stringify(expected));
    const rule = diagnostic.code;
    const rewritten: unknown[] = [
      undefined,
      null,
      'a string',
      42,
      [],
      { rule },
      { rule, fixes: 'none' },
      { rule, fixes: [null] },
      { rule, fixes: [{ title: 7, safe: 'yes' }] },
      { rule, fixes: [], statementLine: 'one' },
      { rule, fixes: [], statementLine: -1 },
      { rule, fixes: [], version: 1.5 },
      // Written into an ignore comment as it is, this rule would have put a statement into the file.
      { rule: 'x\nDROP TABLE orders;', fixes: [] },
    ];
    for (const data of rewritten) {
      const actions = await client.codeActions(uri, diagnostic.range, [{ ...diagnostic, data }]);
      assert.deepEqual(offered(actions), expected, `data ${JSON.stringify(data)}`);
    }
    // Nothing for a finding the text does not have, one of another source, or a diagnostic without a range.
    const line = { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } };
    assert.deepEqual(await client.codeActions(uri, line, [{ ...diagnostic, range: line, data: 'x' }]), []);
    assert.deepEqual(await client.codeActions(uri, diagnostic.range, [{ ...diagnostic, source: 'other' }]), []);
    assert.deepEqual(await client.codeActions(uri, diagnostic.range, [{ ...diagnostic, range: 'x', data: 'x' } as unknown as Diagnostic]), []);
    // A context whose lists are not lists: nothing asked, nothing given.
    const raw = (context: unknown) => client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: diagnostic.range, context });
    assert.deepEqual(await raw({ diagnostics: 'all', only: 'quickfix' }), []);
    assert.deepEqual(await raw(undefined), []);
    assert.deepEqual(client.logs.filter((l) => /failed|TypeError/.test(l.message)), []);
  });

  it('matches requested code action kinds by their dot-separated parts', async () => {
    const { uri } = await openWith('20240102000003_kinds.sql', MIGRATION);
    const at = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    assert.deepEqual(await client.codeActions(uri, at, [], ['source.fix']), []);
    assert.deepEqual((await client.codeActions(uri, at, [], ['source'])).map((a) => a.kind), ['source.fixAll.zdm']);
  });

  it('source.fixAll.zdm applies every safe fix at once', async () => {
    const text = "-- migrate:up\nCREATE INDEX a_idx ON a (x);\n\n-- migrate:down\nDROP INDEX CONCURRENTLY a_idx;\n";
    const { uri } = await openWith('20240103000000_fixall.sql', text);
    const actions = await client.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ['source.fixAll.zdm']);
    assert.equal(actions.length, 1);
    const fixed = applyTextEdits(text, editsFor(actions[0], uri));
    assert.match(fixed, /CREATE INDEX CONCURRENTLY a_idx/);
    assert.match(fixed, /^-- migrate:down transaction:false$/m);
    // require-lock-timeout's SET at the top of the up would share the transaction:false block with the
    // index build (one query string for dbmate: it would fail); fix-all leaves it out.
    assert.doesNotMatch(fixed, /^SET lock_timeout/m);
    client.change(uri, 2, [{ text: fixed }]);
    const after = await client.diagnostics(uri, 2);
    assert.ok(!after.some((d) => ['require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'require-lock-timeout'].includes(String(d.code))), JSON.stringify(after));
    // Nothing left to fix: applying fix-all again returns no action.
    assert.deepEqual(await client.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ['source.fixAll.zdm']), []);
  });

  it('a fix that creates a new migration names it right after this one; applied, the diagnostic is gone and the new file lints clean', async () => {
    const file = path.join(dir, 'db', 'migrations', '20240104000000_orders_total_check.sql');
    const text = "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CHECK (total >= 0);\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE orders DROP CONSTRAINT orders_total_check;\n";
    const uri = client.open(file, text, 1);
    const diagnostic = (await client.diagnostics(uri, 1)).find((d) => d.code === 'constraint-missing-not-valid')!;
    assert.ok(diagnostic);
    const actions = await client.codeActions(uri, diagnostic.range, [diagnostic]);
    const action = actions.find((a) => a.title.startsWith('Add NOT VALID, and VALIDATE CONSTRAINT in a new migration'))!;
    assert.ok(action, actions.map((a) => a.title).join('\n'));
    assert.equal(action.isPreferred, false);
    const next = path.join(dir, 'db', 'migrations', '20240104000001_validate_orders_total_check.sql');
    const creates = action.edit!.documentChanges!.filter((c) => 'kind' in c) as CreateFile[];
    assert.deepEqual(creates.map((c) => fileURLToPath(c.uri)), [next]);
    assert.match(action.title, /20240104000001_validate_orders_total_check\.sql$/);

    const texts = applyWorkspaceEdit(action.edit!, { [file]: text });
    const fixed = texts.get(file)!;
    assert.match(fixed, /ADD CONSTRAINT orders_total_check CHECK \(total >= 0\) NOT VALID;/);
    assert.match(texts.get(next)!, /^ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;$/m);
    client.change(uri, 2, [{ text: fixed }]);
    const after = await client.diagnostics(uri, 2);
    assert.ok(!after.some((d) => d.code === 'constraint-missing-not-valid'), JSON.stringify(after));
    const nextUri = client.open(next, texts.get(next)!, 1);
    const nextDiagnostics = await client.diagnostics(nextUri, 1);
    assert.deepEqual(nextDiagnostics.filter((d) => d.severity === 1 || d.code === 'empty-down-section' || d.code === 'validate-constraint-in-same-transaction').map((d) => d.message), []);
  });

  it('moving CREATE INDEX out of a transaction: the statement leaves this file and its down, CONCURRENTLY in the new one', async () => {
    const file = path.join(dir, 'db', 'migrations', '20240105000000_orders_shipped.sql');
    const text = "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN shipped_at timestamptz;\nCREATE INDEX orders_shipped_at_idx ON orders (shipped_at);\n\n-- migrate:down\nSET lock_timeout = '5s';\nDROP INDEX IF EXISTS orders_shipped_at_idx;\nALTER TABLE orders DROP COLUMN shipped_at;\n";
    const uri = client.open(file, text, 1);
    const diagnostic = (await client.diagnostics(uri, 1)).find((d) => d.code === 'require-concurrent-index-creation')!;
    const actions = await client.codeActions(uri, diagnostic.range, [diagnostic]);
    const action = actions.find((a) => a.title.startsWith('Move to a new migration'))!;
    assert.ok(action, actions.map((a) => a.title).join('\n'));
    const next = path.join(dir, 'db', 'migrations', '20240105000001_create_index_orders_shipped_at_idx_concurrently.sql');
    const texts = applyWorkspaceEdit(action.edit!, { [file]: text });
    assert.doesNotMatch(texts.get(file)!, /orders_shipped_at_idx/);
    assert.match(texts.get(next)!, /^-- migrate:up transaction:false\n(?:.*\n)*CREATE INDEX CONCURRENTLY orders_shipped_at_idx ON orders \(shipped_at\);\n(?:.*\n)*-- migrate:down transaction:false\n(?:.*\n)*DROP INDEX IF EXISTS orders_shipped_at_idx;\n/m);
    client.change(uri, 2, [{ text: texts.get(file)! }]);
    const after = await client.diagnostics(uri, 2);
    assert.ok(!after.some((d) => d.code === 'require-concurrent-index-creation'), JSON.stringify(after));
    const nextUri = client.open(next, texts.get(next)!, 1);
    assert.deepEqual((await client.diagnostics(nextUri, 1)).filter((d) => d.severity === 1).map((d) => d.message), []);
  });

  it('a generated down file: created beside the up, and the up has no missing-down-section once it exists', async () => {
    const folder = path.join(dir, 'golang');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, '000001_init.up.sql'), 'CREATE TABLE users (id bigint PRIMARY KEY);\n');
    fs.writeFileSync(path.join(folder, '000001_init.down.sql'), 'DROP TABLE users;\n');
    const file = path.join(folder, '000002_users_locale.up.sql');
    const text = "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN locale text;\n";
    fs.writeFileSync(file, text);
    const uri = client.open(file, text, 1);
    const diagnostic = (await client.diagnostics(uri, 1)).find((d) => d.code === 'missing-down-section')!;
    assert.ok(diagnostic);
    const action = (await client.codeActions(uri, diagnostic.range, [diagnostic])).find((a) => a.title.startsWith('Create 000002_users_locale.down.sql'))!;
    assert.equal(action.isPreferred, true);
    const texts = applyWorkspaceEdit(action.edit!, { [file]: text });
    const down = path.join(folder, '000002_users_locale.down.sql');
    assert.equal(texts.get(down), "SET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN locale;\n");
    client.filesChanged([{ uri: pathToFileURL(down).toString(), type: 1 }]);
    await client.waitFor(() => client.latest(uri)?.diagnostics.every((d) => d.code !== 'missing-down-section') === true, 'missing-down-section to go away');
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

describe('code actions over stdio, with a client that resolves their edits (as VS Code does)', () => {
  let resolving: LspClient;
  let folder: string;

  before(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-lsp-resolve-'));
    fs.mkdirSync(path.join(folder, 'db', 'migrations'), { recursive: true });
    resolving = await LspClient.start({ rootPath: folder, resolvesCodeActionEdits: true });
  });

  after(async () => {
    await resolving.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  const NAME = '20240107000000_orders_total_check.sql';
  /** The same layout under both clients' folders, with nothing else in it: the fixes' edits can then be compared. */
  const place = (root: string) => {
    const sub = path.join(root, 'resolve-compare', 'migrations');
    fs.mkdirSync(sub, { recursive: true });
    return path.join(sub, NAME);
  };
  const TEXT = "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CHECK (total >= 0);\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE orders DROP CONSTRAINT orders_total_check;\n";
  const FOLLOW_UP = /^Add NOT VALID, and VALIDATE CONSTRAINT in a new migration/;

  it('a fix that moves statements to a new migration travels without its edit, and resolves to the edit a non-resolving client gets', async () => {
    const uri = resolving.open(place(folder), TEXT, 1);
    const diagnostic = (await resolving.diagnostics(uri, 1)).find((d) => d.code === 'constraint-missing-not-valid')!;
    assert.ok(diagnostic);
    const data = diagnostic.data as { fixes: { title: string; edit?: unknown }[] };
    const lazy = data.fixes.find((f) => FOLLOW_UP.test(f.title))!;
    assert.ok(lazy, JSON.stringify(data.fixes.map((f) => f.title)));
    assert.equal(lazy.edit, undefined, 'the follow-up fix is published without its edit');
    const actions = await resolving.codeActions(uri, diagnostic.range, [diagnostic]);
    const action = actions.find((a) => FOLLOW_UP.test(a.title))!;
    assert.equal(action.edit, undefined);
    const resolved = await resolving.resolveCodeAction(action);
    assert.ok(resolved.edit, 'resolving builds the edit');

    // The same file, in the same place, through the client of the other tests (edits sent eagerly).
    const eagerUri = client.open(place(dir), TEXT, 1);
    const eagerDiagnostic = (await client.diagnostics(eagerUri, 1)).find((d) => d.code === 'constraint-missing-not-valid')!;
    const eager = (await client.codeActions(eagerUri, eagerDiagnostic.range, [eagerDiagnostic])).find((a) => FOLLOW_UP.test(a.title))!;
    assert.ok(eager.edit);
    const relative = (edit: unknown, root: string) => JSON.parse(JSON.stringify(edit).split(pathToFileURL(root).toString()).join('ROOT'));
    assert.deepEqual(relative(resolved.edit, folder), relative(eager.edit, dir));

    const texts = applyWorkspaceEdit(resolved.edit!, { [fileURLToPath(uri)]: TEXT });
    assert.match(texts.get(fileURLToPath(uri))!, /ADD CONSTRAINT orders_total_check CHECK \(total >= 0\) NOT VALID;/);
    for (const file of texts.keys()) if (file !== fileURLToPath(uri)) fs.rmSync(file);
  });

  it('a fix that edits the statement in place still travels with its edit', async () => {
    // goose: marking the file NO TRANSACTION (statements sent one at a time) is an in-place fix.
    const text = "-- +goose Up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN shipped_at timestamptz;\nCREATE INDEX orders_shipped_at_idx ON orders (shipped_at);\n\n-- +goose Down\nSET lock_timeout = '5s';\nDROP INDEX IF EXISTS orders_shipped_at_idx;\nALTER TABLE orders DROP COLUMN shipped_at;\n";
    // In a folder of its own: the follow-up fixes of other tests take their format from their folder.
    const uri = resolving.open(path.join(folder, 'goose', 'migrations', '20240108000000_orders_shipped.sql'), text, 1);
    const diagnostic = (await resolving.diagnostics(uri, 1)).find((d) => d.code === 'require-concurrent-index-creation')!;
    const fixes = (diagnostic.data as { fixes: { title: string; edit?: unknown }[] }).fixes;
    const byTitle = new Map(fixes.map((f) => [f.title, f.edit !== undefined]));
    const inPlace = fixes.filter((f) => !f.title.startsWith('Move to a new migration'));
    assert.ok(inPlace.length > 0 && inPlace.every((f) => f.edit !== undefined), JSON.stringify([...byTitle]));
    const moves = fixes.filter((f) => f.title.startsWith('Move to a new migration'));
    assert.ok(moves.length > 0 && moves.every((f) => f.edit === undefined), JSON.stringify([...byTitle]));
  });

  it('resolving an action whose data the client rewrote answers the action as it came, without an edit', async () => {
    const uri = resolving.open(path.join(folder, 'db', 'migrations', '20240109000000_bad_resolve.sql'), TEXT, 1);
    const diagnostic = (await resolving.diagnostics(uri, 1)).find((d) => d.code === 'constraint-missing-not-valid')!;
    const action = (await resolving.codeActions(uri, diagnostic.range, [diagnostic])).find((a) => FOLLOW_UP.test(a.title))!;
    const data = action.data as Record<string, unknown>;
    for (const bad of [{ ...data, range: {} }, { ...data, range: 'x' }, { ...data, range: { start: { line: -1 }, end: null } }, 'a string', null]) {
      const resolved = await resolving.resolveCodeAction({ ...action, data: bad });
      assert.equal(resolved.edit, undefined, JSON.stringify(bad));
      assert.equal(resolved.title, action.title);
    }
    assert.deepEqual(resolving.logs.filter((l) => /failed|TypeError/.test(l.message)), []);
  });

  it('a fix whose finding is gone by the time it is picked resolves to no edit', async () => {
    const file = path.join(folder, 'db', 'migrations', '20240106000000_orders_note.sql');
    const uri = resolving.open(file, TEXT, 1);
    const diagnostic = (await resolving.diagnostics(uri, 1)).find((d) => d.code === 'constraint-missing-not-valid')!;
    const action = (await resolving.codeActions(uri, diagnostic.range, [diagnostic])).find((a) => FOLLOW_UP.test(a.title))!;
    assert.equal(action.edit, undefined);
    // The user fixes the statement by hand before picking the action.
    resolving.change(uri, 2, [{ text: TEXT.replace('ADD CHECK (total >= 0)', 'ADD CHECK (total >= 0) NOT VALID') }]);
    await resolving.diagnostics(uri, 2);
    const resolved = await resolving.resolveCodeAction(action);
    assert.equal(resolved.edit, undefined);
  });
});
