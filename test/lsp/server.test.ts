// Real LSP conversations over stdio with the built server (dist/cli.js).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, CodeActionRequest, type Diagnostic, DidOpenTextDocumentNotification, ExitNotification, HoverRequest, InitializedNotification, InitializeRequest, ShutdownRequest } from 'vscode-languageserver-protocol';
import { LspClient } from '../helpers/lsp-client';

let dir: string;
let client: LspClient;

const INDEX_MIGRATION = "-- migrate:up\nSET lock_timeout = '5s';\nCREATE INDEX orders_user_idx ON orders (user_id);\n\n-- migrate:down\nSET lock_timeout = '5s';\nDROP INDEX orders_user_idx;\n";

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-lsp-'));
  fs.mkdirSync(path.join(dir, 'db', 'migrations'), { recursive: true });
  client = await LspClient.start({ rootPath: dir, settings: { enable: true } });
});

after(async () => {
  await client.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function text(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}

function migrationPath(name: string): string {
  return path.join(dir, 'db', 'migrations', name);
}

describe('language server over stdio', () => {
  it('publishes diagnostics on open, with source, code and a link to the rule docs', async () => {
    const uri = client.open(migrationPath('20240101000000_orders_idx.sql'), INDEX_MIGRATION, 1);
    const diagnostics = await client.diagnostics(uri, 1);
    const finding = diagnostics.find((d) => d.code === 'require-concurrent-index-creation');
    assert.ok(finding, JSON.stringify(diagnostics));
    assert.equal(finding.source, 'zdm');
    assert.match(finding.codeDescription!.href, /docs\/rules\/require-concurrent-index-creation\.md$/);
    assert.deepEqual(finding.range.start, { line: 2, character: 0 });
    assert.ok(Array.isArray((finding.data as { fixes: unknown[] }).fixes));
  });

  it('re-lints on incremental changes and the finding goes away when the SQL is fixed', async () => {
    const uri = client.open(migrationPath('20240102000000_fix_me.sql'), INDEX_MIGRATION, 1);
    assert.ok((await client.diagnostics(uri, 1)).some((d) => d.code === 'require-concurrent-index-creation'));
    // "CREATE INDEX" -> "CREATE INDEX CONCURRENTLY", the up marker gets transaction:false, and the SET
    // leaves the block (dbmate sends a transaction:false block as one query string).
    client.change(uri, 2, [
      { range: { start: { line: 2, character: 12 }, end: { line: 2, character: 12 } }, text: ' CONCURRENTLY' },
      { range: { start: { line: 0, character: 13 }, end: { line: 0, character: 13 } }, text: ' transaction:false' },
      { range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }, text: '' },
    ]);
    const after = await client.diagnostics(uri, 2);
    assert.deepEqual(
      after.filter((d) => d.code === 'require-concurrent-index-creation' || d.code === 'ban-concurrent-index-creation-in-transaction'),
      [],
      JSON.stringify(after),
    );
  });

  it('keeps its text and positions right after an edit whose range lies past the last line', async () => {
    const uri = client.open(migrationPath('20240102100000_past_end.sql'), INDEX_MIGRATION, 1);
    await client.diagnostics(uri, 1);
    // The document has 8 lines (0-7); a range on lines 20-22 means its end. Two line breaks in the
    // new text, as many as the range spans, once left holes in the server's line table.
    client.change(uri, 2, [{ range: { start: { line: 20, character: 0 }, end: { line: 22, character: 0 } }, text: '\nCREATE INDEX j ON t (b);\n' }]);
    // The next edit lands on a line that edit made: "j" -> "k".
    client.change(uri, 3, [{ range: { start: { line: 8, character: 13 }, end: { line: 8, character: 14 } }, text: 'k' }]);
    const incremental = await client.diagnostics(uri, 3);
    const expected = `${INDEX_MIGRATION}\nCREATE INDEX k ON t (b);\n`;
    client.close(uri);
    client.open(migrationPath('20240102100000_past_end.sql'), expected, 4);
    const fresh = await client.diagnostics(uri, 4);
    const withoutVersions = (ds: Diagnostic[]) => JSON.stringify(ds).replace(/"version":\d+,?/g, '');
    assert.ok(fresh.some((d) => d.range.start.line === 8 && /CREATE INDEX|CONCURRENTLY/.test(text(d))), JSON.stringify(fresh));
    assert.equal(withoutVersions(incremental), withoutVersions(fresh));
  });

  it('lints each edit of a client that does not raise the version, not the text before it', async () => {
    const uri = client.open(migrationPath('20240102150000_same_version.sql'), INDEX_MIGRATION, 1);
    assert.ok((await client.diagnostics(uri, 1)).some((d) => d.code === 'require-concurrent-index-creation'));
    // The protocol wants a higher version on every change; this client sends 1 again.
    const start = client.published.length;
    client.change(uri, 1, [{ range: { start: { line: 2, character: 0 }, end: { line: 3, character: 0 } }, text: '' }]);
    await client.waitFor(() => client.published.slice(start).some((p) => p.uri === uri), 'diagnostics of the edit');
    const after = client.latest(uri)!.diagnostics;
    assert.ok(!after.some((d) => d.code === 'require-concurrent-index-creation'), JSON.stringify(after));
    // Line 2 is blank now; in the text before the edit, the CREATE INDEX started there.
    assert.equal(await client.hover(uri, 2, 0), undefined);
  });

  it('marks a syntax error at its column after an edit that splits an emoji, leaving a lone surrogate', async () => {
    const uri = client.open(migrationPath('20240102200000_split_emoji.sql'), "-- migrate:up\nSELECT '\u{1F600}x', 1 + ;\n", 1);
    await client.diagnostics(uri, 1);
    // Delete the low half of the emoji (character 9): a client may send that mid-edit.
    client.change(uri, 2, [{ range: { start: { line: 1, character: 9 }, end: { line: 1, character: 10 } }, text: '' }]);
    const syntax = (await client.diagnostics(uri, 2)).filter((d) => d.code === 'syntax-error');
    assert.equal(syntax.length, 1);
    assert.deepEqual(syntax[0].range.start, { line: 1, character: "SELECT '\ud83dx', 1 + ".length });
  });

  it('marks a syntax error on its own statement and still lints the others', async () => {
    const text = "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN note text NOT NUL;\nCREATE INDEX orders_note_idx ON orders (note);\n\n-- migrate:down\nSELECT 1;\n";
    const uri = client.open(migrationPath('20240103000000_broken.sql'), text, 1);
    const diagnostics = await client.diagnostics(uri, 1);
    const syntax = diagnostics.filter((d) => d.code === 'syntax-error');
    assert.equal(syntax.length, 1);
    assert.equal(syntax[0].range.start.line, 2);
    assert.ok(diagnostics.some((d) => d.code === 'require-concurrent-index-creation' && d.range.start.line === 3));
  });

  it('never publishes results older than the latest change', async () => {
    const uri = client.open(migrationPath('20240104000000_typing.sql'), '-- migrate:up\n', 1);
    await client.diagnostics(uri, 1);
    const start = client.published.length;
    let text = '-- migrate:up\n';
    const addition = "CREATE INDEX i ON t (a);\n";
    for (let v = 2; v <= 30; v++) {
      const line = text.split('\n').length - 1;
      client.change(uri, v, [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: addition }]);
      text += addition;
    }
    await client.diagnostics(uri, 30);
    const versions = client.published.slice(start).filter((p) => p.uri === uri).map((p) => p.version!);
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b), `published out of order: ${versions}`);
    assert.equal(versions[versions.length - 1], 30);
    assert.equal(client.latest(uri)!.diagnostics.filter((d) => d.code === 'require-concurrent-index-creation').length, 29);
  });

  it('follows settings changes: disabling clears the diagnostics, enabling brings them back', async () => {
    const uri = client.open(migrationPath('20240105000000_settings.sql'), INDEX_MIGRATION, 1);
    assert.ok((await client.diagnostics(uri, 1)).length > 0);
    client.changeSettings({ enable: false });
    await client.waitFor(() => client.latest(uri)!.diagnostics.length === 0, 'diagnostics cleared');
    client.changeSettings({ enable: true });
    await client.waitFor(() => client.latest(uri)!.diagnostics.length > 0, 'diagnostics back');
  });

  it('reads .zdm.json, reports a typo in it once, and re-lints when it changes', async () => {
    const uri = client.open(migrationPath('20240106000000_config.sql'), INDEX_MIGRATION, 1);
    assert.ok((await client.diagnostics(uri, 1)).some((d) => d.code === 'require-concurrent-index-creation'));
    const configPath = path.join(dir, '.zdm.json');
    fs.writeFileSync(configPath, JSON.stringify({ rulez: {}, rules: { 'require-concurrent-index-creation': 'off' } }));
    const messagesBefore = client.messages.length;
    client.filesChanged([{ uri: pathToFileURL(configPath).toString(), type: 1 }]);
    await client.waitFor(() => !client.latest(uri)!.diagnostics.some((d) => d.code === 'require-concurrent-index-creation'), 'rule turned off by .zdm.json');
    // The typo shows on the config file and once as a message; linting went on.
    await client.waitFor(() => (client.latest(pathToFileURL(configPath).toString())?.diagnostics.length ?? 0) > 0, 'config diagnostics');
    assert.match(text(client.latest(pathToFileURL(configPath).toString())!.diagnostics[0]), /Unknown key "rulez".*did you mean "rules"/);
    await client.waitFor(() => client.messages.length > messagesBefore, 'config message');
    const count = client.messages.length;
    client.change(uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' }]);
    await client.diagnostics(uri, 2);
    assert.equal(client.messages.length, count, 'the typo is reported once');
    fs.rmSync(configPath);
    client.filesChanged([{ uri: pathToFileURL(configPath).toString(), type: 3 }]);
    await client.waitFor(() => client.latest(uri)!.diagnostics.some((d) => d.code === 'require-concurrent-index-creation'), 'rule back on');
    await client.waitFor(() => client.latest(pathToFileURL(configPath).toString())!.diagnostics.length === 0, 'the deleted config file loses its diagnostics');
  });

  it('a change of watched files the client garbled still re-reads .zdm.json and lints again', async () => {
    const project = path.join(dir, 'garbled');
    fs.mkdirSync(path.join(project, 'db', 'migrations'), { recursive: true });
    const uri = client.open(path.join(project, 'db', 'migrations', '20240101000000_idx.sql'), INDEX_MIGRATION, 1);
    assert.ok((await client.diagnostics(uri, 1)).some((d) => d.code === 'require-concurrent-index-creation'));
    const configPath = path.join(project, '.zdm.json');
    fs.writeFileSync(configPath, JSON.stringify({ rules: { 'require-concurrent-index-creation': 'off' } }));
    void client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: null });
    await client.waitFor(() => !client.latest(uri)!.diagnostics.some((d) => d.code === 'require-concurrent-index-creation'), 'the rule turned off by the new .zdm.json');
    fs.rmSync(configPath);
    void client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [null, { uri: 5 }] });
    await client.waitFor(() => client.latest(uri)!.diagnostics.some((d) => d.code === 'require-concurrent-index-creation'), 'the rule back on');
  });

  it('answers for a file: URI with a host, which has no path outside Windows, as for any file it does not lint', { skip: process.platform === 'win32' }, async () => {
    const uri = 'file://fileserver/share/db/migrations/20240101000000_unc.sql';
    void client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'sql', version: 1, text: INDEX_MIGRATION } });
    assert.deepEqual(await client.diagnostics(uri, 1), []);
    const range = { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } };
    assert.deepEqual(await client.codeActions(uri, range, [], ['source.fixAll.zdm']), []);
    assert.equal(await client.hover(uri, 2, 3), undefined);
    assert.doesNotMatch(client.stderr, /ERR_INVALID_FILE_URL_HOST/);
  });

  it('puts each .zdm.json problem where it is: on the key, or at the JSON error with its line and column; reads a config saved with a BOM', async () => {
    const project = path.join(dir, 'placed');
    fs.mkdirSync(path.join(project, 'db', 'migrations'), { recursive: true });
    const configPath = path.join(project, '.zdm.json');
    const configUri = pathToFileURL(configPath).toString();
    const write = (text: string) => {
      fs.writeFileSync(configPath, text);
      client.filesChanged([{ uri: configUri, type: 2 }]);
    };
    const configDiagnostics = () => client.latest(configUri)?.diagnostics ?? [];
    write('{\n  "rules": {\n    "require-concurrent-index-creation": "of"\n  }\n}\n');
    const uri = client.open(path.join(project, 'db', 'migrations', '20240101000000_idx.sql'), INDEX_MIGRATION, 1);
    await client.diagnostics(uri, 1);
    await client.waitFor(() => configDiagnostics().length === 1, 'the config problem');
    assert.deepEqual(configDiagnostics()[0].range, { start: { line: 2, character: 4 }, end: { line: 2, character: 39 } });
    // The same problem a line lower: the same message, published again where it now is.
    const messages = client.messages.length;
    write('{\n\n  "rules": {\n    "require-concurrent-index-creation": "of"\n  }\n}\n');
    await client.waitFor(() => configDiagnostics()[0]?.range.start.line === 3, 'the problem moved');
    assert.equal(client.messages.length, messages, 'the same problem is not shown again as a message');
    write('{\n  "rules": {\n    "require-concurrent-index-creation": "off"\n    "require-lock-timeout": "off"\n  }\n}\n');
    await client.waitFor(() => /not valid JSON/.test(text(configDiagnostics()[0] ?? { message: '' } as Diagnostic)), 'the JSON error');
    assert.match(text(configDiagnostics()[0]), /not valid JSON at line 4, column 5 /);
    assert.deepEqual(configDiagnostics()[0].range.start, { line: 3, character: 4 });
    write('\ufeff{ "rules": { "require-concurrent-index-creation": "off" } }\n');
    await client.waitFor(() => configDiagnostics().length === 0 && !client.latest(uri)!.diagnostics.some((d) => d.code === 'require-concurrent-index-creation'), 'the config with a BOM applies');
  });

  it('leaves SQL files that are not migrations alone', async () => {
    const uri = client.open(path.join(dir, 'queries', 'report.sql'), 'CREATE INDEX i ON t (a);\n', 1);
    assert.deepEqual(await client.diagnostics(uri, 1), []);
  });

  it('survives bad input: an unterminated dollar quote, a huge file, binary bytes', async () => {
    const unterminated = client.open(migrationPath('20240107000000_dollar.sql'), '-- migrate:up\nDO $$ BEGIN\n  PERFORM 1;\n', 1);
    const d1 = await client.diagnostics(unterminated, 1);
    assert.ok(d1.some((d) => d.code === 'syntax-error' && d.range.start.line === 1 && d.range.start.character === 3), JSON.stringify(d1));
    const binary = client.open(migrationPath('20240108000000_binary.sql'), '-- migrate:up\nSELECT 1;\u0000\u0001\u0002\n', 1);
    assert.ok((await client.diagnostics(binary, 1)).some((d) => /NUL bytes/.test(text(d))));
    const big = client.open(migrationPath('20240109000000_huge.sql'), '-- migrate:up\n' + 'SELECT 1;\n'.repeat(2_200_000), 1);
    const d3 = await client.diagnostics(big, 1, 60_000);
    assert.ok(d3.some((d) => /too large to lint/.test(text(d))), JSON.stringify(d3.slice(0, 2)));
    // Still alive and linting.
    const after = client.open(migrationPath('20240110000000_after.sql'), INDEX_MIGRATION, 1);
    assert.ok((await client.diagnostics(after, 1)).some((d) => d.code === 'require-concurrent-index-creation'));
  });

  it('hovers a statement with the lock it takes and what that blocks, and a rule id in an ignore comment with its summary', async () => {
    const text = "-- migrate:up\nSET lock_timeout = '5s';\n-- zdm-ignore require-concurrent-index-creation -- tiny table\nCREATE INDEX orders_user_idx ON orders (user_id);\n\n-- migrate:down\nSELECT 1;\n";
    const uri = client.open(migrationPath('20240112000000_hover.sql'), text, 1);
    await client.diagnostics(uri, 1);
    const statement = await client.hover(uri, 3, 5);
    assert.ok(statement, 'no hover on the statement');
    assert.match(statement, /SHARE/);
    assert.match(statement, /orders/);
    assert.match(statement, /writes/i);
    const rule = await client.hover(uri, 2, 20);
    assert.ok(rule, 'no hover on the rule id');
    assert.match(rule, /CREATE INDEX on an existing table without CONCURRENTLY/);
    assert.match(rule, /docs\/rules\/require-concurrent-index-creation\.md/);
    assert.equal(await client.hover(uri, 4, 0), undefined, 'blank line: no hover');
  });

  it('sees files that change on disk: at once when the client reports them, within seconds when it does not', async () => {
    // A golang-migrate up file whose .down.sql does not exist yet: the rule reads the folder.
    const folder = path.join(dir, 'gm');
    fs.mkdirSync(folder, { recursive: true });
    // An earlier migration with its down: this project keeps downs.
    fs.writeFileSync(path.join(folder, '000000_init.up.sql'), 'CREATE TABLE orders (id bigint);\n');
    fs.writeFileSync(path.join(folder, '000000_init.down.sql'), 'DROP TABLE orders;\n');
    const up = path.join(folder, '000001_add_note.up.sql');
    const down = path.join(folder, '000001_add_note.down.sql');
    const uri = client.open(up, 'ALTER TABLE orders ADD COLUMN note text;\n', 1);
    assert.ok((await client.diagnostics(uri, 1)).some((d) => d.code === 'missing-down-section'));
    // Typing re-uses what the server read from the disk...
    client.change(uri, 2, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '\n' }]);
    assert.ok((await client.diagnostics(uri, 2)).some((d) => d.code === 'missing-down-section'));
    // ...until a watched file changes.
    fs.writeFileSync(down, 'ALTER TABLE orders DROP COLUMN note;\n');
    client.filesChanged([{ uri: pathToFileURL(down).toString(), type: 1 }]);
    await client.waitFor(() => !client.latest(uri)!.diagnostics.some((d) => d.code === 'missing-down-section'), 'the new down file is seen');
    // A change the client does not report (no notification) is seen once the disk cache expires: keep typing until it shows.
    fs.rmSync(down);
    let version = client.latest(uri)!.version!;
    await client.waitFor(() => {
      if (client.latest(uri)!.diagnostics.some((d) => d.code === 'missing-down-section')) return true;
      if (client.latest(uri)!.version === version) client.change(uri, ++version, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '\n' }]);
      return false;
    }, 'the removed down file is seen without a notification');
  });

  it('reads the unsaved text of an open file whatever way the client spelled its URI (VS Code writes @ as %40)', async () => {
    const folder = path.join(dir, 'gm@2');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, '000000_init.up.sql'), 'CREATE TABLE orders (id bigint);\n');
    fs.writeFileSync(path.join(folder, '000000_init.down.sql'), 'DROP TABLE orders;\n');
    const asVsCode = (file: string) => pathToFileURL(file).toString().replace(/@/g, '%40');
    // The down file exists only in the editor, not yet saved.
    const down = asVsCode(path.join(folder, '000001_add_note.down.sql'));
    void client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: down, languageId: 'sql', version: 1, text: 'ALTER TABLE orders DROP COLUMN note;\n' } });
    await client.diagnostics(down, 1);
    const up = asVsCode(path.join(folder, '000001_add_note.up.sql'));
    void client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: up, languageId: 'sql', version: 1, text: 'ALTER TABLE orders ADD COLUMN note text;\n' } });
    const diagnostics = await client.diagnostics(up, 1);
    assert.ok(!diagnostics.some((d) => d.code === 'missing-down-section'), JSON.stringify(diagnostics));
  });

  it('lints the up again as its down file is edited, before the down is saved', async () => {
    const folder = path.join(dir, 'gm-pair');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, '000000_init.up.sql'), 'CREATE TABLE orders (id bigint);\n');
    fs.writeFileSync(path.join(folder, '000000_init.down.sql'), 'DROP TABLE orders;\n');
    fs.writeFileSync(path.join(folder, '000001_add_note.down.sql'), 'SELECT 1;\n');
    const up = client.open(path.join(folder, '000001_add_note.up.sql'), 'ALTER TABLE orders ADD COLUMN note text;\n', 1);
    const down = client.open(path.join(folder, '000001_add_note.down.sql'), 'SELECT 1;\n', 1);
    assert.ok((await client.diagnostics(up, 1)).some((d) => d.code === 'down-does-not-reverse-up'));
    await client.diagnostics(down, 1);
    // The user writes the inverse in the down, and has not saved it.
    client.change(down, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 9 } }, text: 'ALTER TABLE orders DROP COLUMN note;' }]);
    await client.waitFor(() => !client.latest(up)!.diagnostics.some((d) => d.code === 'down-does-not-reverse-up'), 'the up no longer says its down leaves the column');
    // Hover on the up reads the down as it is now too.
    assert.doesNotMatch((await client.hover(up, 0, 5)) ?? '', /down-does-not-reverse-up/);
  });

  it('with a client that neither watches files nor answers workspace/configuration: pushed settings apply, .zdm.json changes are seen within seconds, a deleted one loses its diagnostics', async () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-lsp-plain-'));
    const plain = await LspClient.start({ rootPath: project, plain: true });
    try {
      const uri = plain.open(path.join(project, 'db', 'migrations', '20240101000000_idx.sql'), INDEX_MIGRATION, 1);
      assert.ok((await plain.diagnostics(uri, 1)).some((d) => d.code === 'require-concurrent-index-creation'));
      plain.changeSettings({ enable: false });
      await plain.waitFor(() => plain.latest(uri)!.diagnostics.length === 0, 'diagnostics cleared by pushed settings');
      plain.changeSettings({ enable: true });
      await plain.waitFor(() => plain.latest(uri)!.diagnostics.length > 0, 'diagnostics back');
      // No notification of the new config: it is read again as the disk cache expires, while the user types.
      const configPath = path.join(project, '.zdm.json');
      const configUri = pathToFileURL(configPath).toString();
      fs.writeFileSync(configPath, JSON.stringify({ rulez: {}, rules: { 'require-concurrent-index-creation': 'off' } }));
      let version = 1;
      const typeUntil = (check: () => boolean) => () => {
        if (check()) return true;
        if (plain.latest(uri)!.version === version) plain.change(uri, ++version, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '\n' }]);
        return false;
      };
      await plain.waitFor(typeUntil(() => !plain.latest(uri)!.diagnostics.some((d) => d.code === 'require-concurrent-index-creation')), 'the new .zdm.json is seen without a notification');
      await plain.waitFor(() => (plain.latest(configUri)?.diagnostics.length ?? 0) > 0, 'config diagnostics');
      fs.rmSync(configPath);
      await plain.waitFor(typeUntil(() => plain.latest(configUri)!.diagnostics.length === 0 && plain.latest(uri)!.diagnostics.some((d) => d.code === 'require-concurrent-index-creation')), 'the deleted config loses its diagnostics and the rule is back');
    } finally {
      await plain.stop();
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it('after shutdown, answers requests with InvalidRequest, and exits with 0 on exit', async () => {
    const other = await LspClient.start({ rootPath: dir, settings: { enable: true } });
    try {
      const uri = other.open(migrationPath('20240112000000_shutdown.sql'), INDEX_MIGRATION, 1);
      await other.diagnostics(uri, 1);
      assert.match((await other.hover(uri, 2, 3)) ?? '', /SHARE/);
      await other.connection.sendRequest(ShutdownRequest.type);
      await assert.rejects(other.hover(uri, 2, 3), (error: { code?: number; message?: string }) => error.code === -32600 && /shutdown/.test(error.message ?? ''));
      // So do methods the server does not implement, and shutdown itself.
      await assert.rejects(other.connection.sendRequest('textDocument/definition', { textDocument: { uri }, position: { line: 2, character: 3 } }), (error: { code?: number }) => error.code === -32600);
      await assert.rejects(other.connection.sendRequest(ShutdownRequest.type), (error: { code?: number }) => error.code === -32600);
      const exited = new Promise<number | null>((resolve) => other.process.once('exit', (code) => resolve(code)));
      await other.connection.sendNotification(ExitNotification.type);
      assert.equal(await exited, 0);
    } finally {
      other.connection.dispose();
      if (other.process.exitCode === null) other.process.kill('SIGKILL');
    }
  });

  it('before initialize, answers requests with ServerNotInitialized and drops notifications; initialize is answered once', async () => {
    const fresh = await LspClient.start({ uninitialized: true, settings: { enable: true } });
    try {
      const notInitialized = (error: { code?: number }) => error.code === -32002;
      const uri = fresh.open(migrationPath('20240113000000_before_init.sql'), INDEX_MIGRATION, 1);
      await assert.rejects(fresh.hover(uri, 2, 3), notInitialized);
      await assert.rejects(fresh.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } }, [], ['source.fixAll.zdm']), notInitialized);
      await assert.rejects(fresh.connection.sendRequest(ShutdownRequest.type), notInitialized);
      await fresh.initialize({ rootPath: dir });
      // The didOpen sent before initialize was dropped: the document is unknown, nothing was published for it.
      assert.equal(await fresh.hover(uri, 2, 3), undefined);
      assert.deepEqual(fresh.published.filter((p) => p.uri === uri), []);
      await assert.rejects(fresh.initialize({ rootPath: dir }), (error: { code?: number; message?: string }) => error.code === -32600 && /already initialized/.test(error.message ?? ''));
      // Still the server the first initialize set up: it lints, with the client's settings.
      fresh.open(migrationPath('20240113000000_before_init.sql'), INDEX_MIGRATION, 2);
      assert.ok((await fresh.diagnostics(uri, 2)).some((d) => d.code === 'require-concurrent-index-creation'));
    } finally {
      await fresh.stop();
    }
  });

  it('initializes a client whose resolveSupport has no list of properties, as one that cannot resolve code actions', async () => {
    const odd = await LspClient.start({ uninitialized: true, settings: { enable: true } });
    try {
      const result = await odd.connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        capabilities: { workspace: { configuration: true }, textDocument: { codeAction: { resolveSupport: {} as { properties: string[] } } } },
        initializationOptions: { debounceMs: 0 },
      });
      assert.equal((result.capabilities.codeActionProvider as { resolveProvider?: boolean }).resolveProvider, false);
      await odd.connection.sendNotification(InitializedNotification.type, {});
      const uri = odd.open(migrationPath('20240113100000_odd_client.sql'), INDEX_MIGRATION, 1);
      const diagnostic = (await odd.diagnostics(uri, 1)).find((d) => d.code === 'require-concurrent-index-creation')!;
      assert.ok((diagnostic.data as { fixes: { edit?: unknown }[] }).fixes.every((f) => f.edit !== undefined), 'every fix travels with its edit');
    } finally {
      await odd.stop();
    }
  });

  it('answers a document request that names no document with InvalidParams', async () => {
    const invalidParams = (error: { code?: number; message?: string }) => error.code === -32602 && /names no document/.test(error.message ?? '');
    await assert.rejects(client.connection.sendRequest('textDocument/hover', { position: { line: 0, character: 0 } }), invalidParams);
    await assert.rejects(client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri: 7 }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } }), invalidParams);
    await assert.rejects(client.connection.sendRequest('textDocument/codeLens', { textDocument: null }), invalidParams);
  });

  it('exits with 1 on exit before initialize', async () => {
    const fresh = await LspClient.start({ uninitialized: true });
    try {
      const exited = new Promise<number | null>((resolve) => fresh.process.once('exit', (code) => resolve(code)));
      await fresh.connection.sendNotification(ExitNotification.type);
      assert.equal(await exited, 1);
    } finally {
      fresh.connection.dispose();
      if (fresh.process.exitCode === null) fresh.process.kill('SIGKILL');
    }
  });

  it('exits with 1 when the client closes its stdin (it died) during a long lint, without shutdown', async () => {
    const dying = await LspClient.start({ rootPath: dir, settings: { enable: true } });
    try {
      const asked = dying.configurationRequests;
      // 5 MB: its lint takes seconds.
      dying.open(migrationPath('20240114000000_client_dies.sql'), `-- migrate:up\n${'SELECT 1;\n'.repeat(500_000)}`, 1);
      await dying.waitFor(() => dying.configurationRequests > asked, 'the settings of the big file asked for: its lint comes next', 60_000);
      // Give the answer time to arrive: the lint is then under way.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const exited = new Promise<number | null>((resolve) => dying.process.once('exit', (code) => resolve(code)));
      dying.process.stdin!.end();
      // A bound only so that a server that never exits fails the test instead of hanging it.
      const never = new Promise<string>((resolve) => setTimeout(() => resolve('still running after 5 minutes'), 300_000).unref());
      assert.equal(await Promise.race([exited, never]), 1);
    } finally {
      dying.connection.dispose();
      if (dying.process.exitCode === null) dying.process.kill('SIGKILL');
    }
  });

  it('answers requests the client cancelled while they waited behind a long lint with RequestCancelled, and does not do their work', async () => {
    // A safe fix (CONCURRENTLY, in a transaction:false block): fix-all has an answer.
    const uri = client.open(migrationPath('20240115000000_cancelled.sql'), "-- migrate:up\nCREATE INDEX a_idx ON orders (x);\n\n-- migrate:down\nDROP INDEX CONCURRENTLY a_idx;\n", 1);
    await client.diagnostics(uri, 1);
    const whole = { start: { line: 0, character: 0 }, end: { line: 5, character: 0 } };
    const asked = client.configurationRequests;
    // 1 MB: its lint takes seconds.
    client.open(migrationPath('20240115000001_long_lint.sql'), `-- migrate:up\n${'SELECT 1;\n'.repeat(100_000)}`, 1);
    await client.waitFor(() => client.configurationRequests > asked, 'the settings of the big file asked for: its lint comes next');
    // Give the answer time to arrive: the server is linting, and what follows waits behind the lint.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fixAllCancel = new CancellationTokenSource();
    const cancelledFixAll = client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: whole, context: { diagnostics: [], only: ['source.fixAll.zdm'] } }, fixAllCancel.token);
    const hoverCancel = new CancellationTokenSource();
    const cancelledHover = client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: 3 } }, hoverCancel.token);
    fixAllCancel.cancel();
    hoverCancel.cancel();
    const requestCancelled = (error: { code?: number }) => error.code === -32800;
    await assert.rejects(cancelledFixAll, requestCancelled);
    await assert.rejects(cancelledHover, requestCancelled);
    // The same requests, not cancelled, are answered.
    assert.equal((await client.codeActions(uri, whole, [], ['source.fixAll.zdm'])).length, 1);
    assert.match((await client.hover(uri, 1, 3)) ?? '', /SHARE/);
  });

  it('lints with the default settings while the client does not answer workspace/configuration, and again with its answer when it comes', async () => {
    const slow = await LspClient.start({ rootPath: dir, settings: { enable: false } });
    try {
      let answer!: () => void;
      slow.configurationHeld = new Promise((resolve) => (answer = resolve));
      const uri = slow.open(migrationPath('20240116000000_unanswered.sql'), INDEX_MIGRATION, 1);
      // Meanwhile the defaults (enable: true) apply: diagnostics are published, hovers answered.
      assert.ok((await slow.diagnostics(uri, 1, 30_000)).some((d) => d.code === 'require-concurrent-index-creation'));
      assert.match((await slow.hover(uri, 2, 3)) ?? '', /SHARE/);
      answer();
      await slow.waitFor(() => slow.latest(uri)!.diagnostics.length === 0, 'linted again with the late answer (enable: false)');
    } finally {
      await slow.stop();
    }
  });

  it('clears diagnostics when a document closes', async () => {
    const uri = client.open(migrationPath('20240111000000_close.sql'), INDEX_MIGRATION, 1);
    assert.ok((await client.diagnostics(uri, 1)).length > 0);
    client.close(uri);
    await client.waitFor(() => client.latest(uri)!.diagnostics.length === 0, 'cleared on close');
  });
});
