// "zdm: Mark Migrations as Applied (log only)" and "zdm: Mark Migration as Not Applied (log only)" as
// the extension runs them (client/src/runner/index.ts RUNNER_COMMANDS), driven through the scripted
// stand-in for the editor (test/scaffold/fake-vscode.ts): the palette's pick or the Migrations view's
// item, the modal question, then the bundled CLI with --log-only on a real PostgreSQL, its password from
// the secret storage. The tracking table says what the commands said it would, and no SQL of the
// migrations ran; a database not on this machine is asked about as Migrate Up asks, and answering
// keeps the run log only.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import type { RunResult, StatusEntry } from '../../server/src/engine/runner/events';
import { REPO_ROOT } from '../helpers/paths';
import { usePostgres } from '../helpers/postgres';
import { installFakeVscode } from '../scaffold/fake-vscode';
import { dbmateFile, rowsOf } from './helpers';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-vscode-log-only-'));
const editor = installFakeVscode(root);
// Loaded after the stand-in is installed.
const vscode = require('vscode') as { Uri: { file(p: string): { fsPath: string } } };
const { RUNNER_COMMANDS } = require('../../client/src/runner/index') as typeof import('../../client/src/runner/index');
const { secretKey, splitPassword } = require('../../client/src/runner/settings') as typeof import('../../client/src/runner/settings');

const pg = usePostgres({ cleanup: () => fs.rmSync(root, { recursive: true, force: true }) });

const AUTHORS = '20240101000000';
const BOOKS = '20240102000000';
const files: Record<string, string> = {
  [`db/migrations/${AUTHORS}_authors.sql`]: dbmateFile('CREATE TABLE authors (id int PRIMARY KEY);', 'DROP TABLE authors;'),
  [`db/migrations/${BOOKS}_books.sql`]: dbmateFile('CREATE TABLE books (id int PRIMARY KEY);', 'DROP TABLE books;'),
  'db/migrations/20240103000000_shelves.sql': dbmateFile('CREATE TABLE shelves (id int PRIMARY KEY);', 'DROP TABLE shelves;'),
};
for (const [name, text] of Object.entries(files)) {
  fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
  fs.writeFileSync(path.join(root, name), text);
}
fs.writeFileSync(path.join(root, '.zdm.json'), JSON.stringify({ format: 'dbmate' }));

/** What the runner's context receives: the output channel's lines, what the Migrations view was given. */
const output: string[] = [];
const shown: RunResult[] = [];
const ctx = {
  extension: { extensionUri: vscode.Uri.file(REPO_ROOT), secrets: { get: async (key: string) => editor.secrets.get(key) } },
  handle: { client: () => undefined },
  output: { appendLine: (line: string) => output.push(line), show: () => undefined },
  diagnostics: { clear: () => undefined, set: () => undefined, has: () => false, delete: () => undefined },
  tree: { refresh: () => undefined, show: (_folder: unknown, result: RunResult) => shown.push(result) },
  lenses: { refresh: () => undefined },
  busy: false,
} as unknown as Parameters<(typeof RUNNER_COMMANDS)[string]>[0];

/** Points the zdm.database.url setting at a fresh database, its password in the secret storage, as "Set Database URL" leaves them. */
async function useDatabase(prefix: string, host?: string): Promise<string> {
  const db = await pg.createDatabase(prefix);
  const full = host ? pg.url(db).replace('@127.0.0.1:', `@${host}:`) : pg.url(db);
  const { url, password } = splitPassword(full);
  editor.settingsUrl = url;
  editor.secrets.set(secretKey(url), password!);
  return db;
}

const tableExists = async (db: string, table: string) => (await pg.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table], db))[0].t !== null;
const versions = async (db: string) => (await rowsOf(pg, db, 'schema_migrations', 'version')).map((r) => JSON.parse(r).version as string);
const modals = () => editor.log.filter((l) => l[0] === 'modal') as [string, string, string, string[]][];
const notices = (kind: 'info' | 'error') => editor.log.filter((l) => l[0] === kind).map((l) => l[1] as string);
const entry = (version: string, state: StatusEntry['state']): StatusEntry => ({ version, name: `db/migrations/${Object.keys(files).find((f) => f.includes(version))!.split('/').pop()}`, file: path.join(root, Object.keys(files).find((f) => f.includes(version))!), format: 'dbmate', state });
const folder = { uri: vscode.Uri.file(root), name: 'project', index: 0 };

beforeEach(() => {
  editor.log.length = 0;
  editor.answers.length = 0;
  editor.secrets.clear();
  editor.trusted = true;
  output.length = 0;
  shown.length = 0;
});

describe('Mark as (Not) Applied (log only) in the editor', () => {
  it('from the palette: the migration is picked, the question names the database and says no SQL runs; the tracking table says applied, the SQL did not run', { timeout: 60_000 }, async () => {
    const db = await useDatabase('vscode_log_only_up');
    // The schema is already there for authors (restored from a dump): only zdm does not know it.
    await pg.query('CREATE TABLE authors (id int PRIMARY KEY)', [], db);
    editor.answers.push(`${BOOKS}_books.sql`, 'Mark as Applied');
    await RUNNER_COMMANDS['zdm.markApplied'](ctx);

    const pick = editor.log.find((l) => l[0] === 'pick');
    assert.equal(pick?.[1], 'Mark which migrations as applied, without running them?');
    const [question] = modals();
    assert.ok(question, 'asked before recording');
    assert.match(question[1], new RegExp(`^zdm: Mark ${BOOKS}_books\\.sql and every pending migration before it as applied in postgres://zdm_test:\\*+@127\\.0\\.0\\.1:\\d+/${db} \\(the zdm\\.database\\.url setting\\), without running them\\?$`));
    assert.match(question[2], /Their SQL will NOT be run\./);
    assert.match(question[2], /The tracking table will say they were applied/);
    assert.deepEqual(question[3], ['Mark as Applied']);

    assert.deepEqual(await versions(db), [AUTHORS, BOOKS], 'both recorded as applied');
    assert.equal(await tableExists(db, 'books'), false, "books' SQL did not run");
    assert.deepEqual((await pg.query<{ version: string; state: string }>('SELECT version, state FROM zdm_migrations ORDER BY version', [], db)).map((r) => [r.version, r.state]), [
      [AUTHORS, 'applied'],
      [BOOKS, 'applied'],
    ]);
    assert.ok(output.some((l) => l.endsWith(`] zdm up --to ${BOOKS} --log-only`)), output.join('\n'));
    assert.ok(output.includes(`↑ db/migrations/${BOOKS}_books.sql (log only: not run)`), output.join('\n'));
    assert.ok(output.includes('  ✓ recorded as applied, not run'), output.join('\n'));
    assert.deepEqual(notices('info'), ['zdm: 2 migrations recorded as applied (not run).']);
    assert.deepEqual(shown.at(-1)?.status?.map((s) => s.state), ['applied', 'applied', 'pending'], 'the Migrations view shows the status the run returned');
  });

  it("from a Migrations view item: marks it and what was applied after it as not applied; their downs did not run", { timeout: 60_000 }, async () => {
    const db = await useDatabase('vscode_log_only_down');
    editor.answers.push('Mark as Applied');
    await RUNNER_COMMANDS['zdm.markApplied'](ctx, { kind: 'migration', entry: entry(BOOKS, 'pending'), folder });
    assert.deepEqual(await versions(db), [AUTHORS, BOOKS]);
    assert.equal(editor.log.filter((l) => l[0] === 'pick').length, 0, 'an item names its migration: nothing to pick');

    editor.log.length = 0;
    await pg.query('CREATE TABLE authors (id int PRIMARY KEY)', [], db);
    editor.answers.push('Mark as Not Applied');
    await RUNNER_COMMANDS['zdm.markNotApplied'](ctx, { kind: 'migration', entry: entry(AUTHORS, 'applied'), folder });
    const [question] = modals();
    assert.match(question[1], new RegExp(`^zdm: Mark ${AUTHORS}_authors\\.sql and every migration applied after it as not applied in postgres://zdm_test:\\*+@127\\.0\\.0\\.1:\\d+/${db} .*without running their down sections\\?$`));
    assert.match(question[2], /Their down SQL will NOT be run/);
    assert.deepEqual(await versions(db), [], 'both recorded as not applied');
    assert.equal(await tableExists(db, 'authors'), true, "authors' down (DROP TABLE authors) did not run");
    assert.ok(output.some((l) => l.endsWith(`zdm rollback --through ${AUTHORS} --log-only`)), output.join('\n'));
    assert.deepEqual(notices('info'), ['zdm: 2 migrations recorded as not applied (not run).']);
  });

  it('cancelled at the question: nothing runs and nothing is recorded', { timeout: 60_000 }, async () => {
    const db = await useDatabase('vscode_log_only_cancel');
    editor.answers.push('All pending migrations', undefined);
    await RUNNER_COMMANDS['zdm.markApplied'](ctx);
    assert.match(modals()[0][1], /^zdm: Mark every pending migration as applied in /);
    assert.equal(editor.log.filter((l) => l[0] === 'progress').length, 0, 'the CLI was not run');
    assert.deepEqual(await versions(db), []);
  });

  it('a database not on this machine: the CLI asks as it asks Migrate Up, and the run it confirms stays log only', { timeout: 60_000 }, async () => {
    // 0.0.0.0 reaches this machine's server, but is not a name the runner takes as local.
    const db = await useDatabase('vscode_log_only_remote', '0.0.0.0');
    editor.answers.push('All pending migrations', 'Mark as Applied', 'Record Anyway');
    await RUNNER_COMMANDS['zdm.markApplied'](ctx);
    const [question, remote] = modals();
    assert.match(question[1], /^zdm: Mark every pending migration as applied in postgres:\/\/zdm_test:\*+@0\.0\.0\.0:/);
    assert.match(remote[1], /is not on this machine/);
    assert.deepEqual(remote[3], ['Record Anyway']);
    assert.ok(output.some((l) => l.endsWith('zdm up --log-only --yes')), output.join('\n'));
    assert.deepEqual(await versions(db), [AUTHORS, BOOKS, '20240103000000']);
    assert.equal(await tableExists(db, 'shelves'), false);
  });

  it('in an untrusted workspace: refused, nothing asked or recorded', async () => {
    editor.trusted = false;
    await RUNNER_COMMANDS['zdm.markApplied'](ctx);
    await RUNNER_COMMANDS['zdm.markNotApplied'](ctx);
    assert.deepEqual(notices('error'), [
      'zdm: this workspace is not trusted, so zdm does not run migrations or connect to a database from it. Trust the workspace to use the runner.',
      'zdm: this workspace is not trusted, so zdm does not run migrations or connect to a database from it. Trust the workspace to use the runner.',
    ]);
    assert.equal(modals().length, 0);
  });
});
