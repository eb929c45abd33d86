// `zdm lint --fix`: safe fixes only; the linted file is rewritten only when every edit applies
// cleanly (temp file + rename), otherwise left untouched with the reason; safe fixes that create files
// create only files that do not exist, and a failure removes what was created. The built CLI in
// temporary projects, and fixFileInPlace itself for the failures a project cannot provoke.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixFileInPlace } from '../../server/src/engine/fixes/fix-file';
import type { Fix, LintResult } from '../../server/src/engine/model';
import { zdm } from '../helpers/cli';
import { initParser, lintSql } from '../helpers/lint';

const temps: string[] = [];
before(() => initParser());
after(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-fix-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function listing(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

describe('zdm lint --fix', () => {
  it('creates a missing down file (a safe fix that creates a file that does not exist), and a second run changes nothing', () => {
    const dir = project({
      'migrations/000001_init.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY);\n',
      'migrations/000001_init.down.sql': 'DROP TABLE users;\n',
      'migrations/000002_users_locale.up.sql': "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN locale text;\n",
    });
    const r = zdm(['lint', '--fix', 'migrations'], dir);
    assert.match(r.stderr, /1 fix applied \(Create 000002_users_locale\.down\.sql with the inverse of the up statements\); created 000002_users_locale\.down\.sql\./);
    assert.doesNotMatch(r.stdout, /missing-down-section/);
    assert.equal(fs.readFileSync(path.join(dir, 'migrations/000002_users_locale.down.sql'), 'utf8'), "SET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN locale;\n");
    const before = listing(dir);
    const again = zdm(['lint', '--fix', 'migrations'], dir);
    assert.doesNotMatch(again.stderr, /applied/);
    assert.deepEqual(listing(dir), before);
    assert.ok(!before.some((f) => f.includes('.tmp')), 'no temp file left behind');
  });

  it('applies safe edits and the safe file creations together (diesel: CONCURRENTLY and a new metadata.toml)', () => {
    // The index build alone in its file: diesel sends a file as one query string, so with a SET beside
    // it the build would run in an implicit transaction and fail (that case moves it to a new migration).
    const dir = project({
      'migrations/2024-01-01-000000_idx/up.sql': 'CREATE INDEX orders_user_idx ON orders (user_id);\n',
      'migrations/2024-01-01-000000_idx/down.sql': 'DROP INDEX CONCURRENTLY IF EXISTS orders_user_idx;\n',
    });
    const r = zdm(['lint', '--fix', '--format', 'json', 'migrations'], dir);
    const folder = path.join(dir, 'migrations/2024-01-01-000000_idx');
    assert.equal(fs.readFileSync(path.join(folder, 'up.sql'), 'utf8'), 'CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n');
    assert.equal(fs.readFileSync(path.join(folder, 'metadata.toml'), 'utf8'), 'run_in_transaction = false\n');
    assert.deepEqual(JSON.parse(r.stdout).filter((f: { rule: string }) => f.rule.includes('concurrent')), []);
  });

  it('reports the findings of the file beside the files the last step created (diesel: metadata.toml makes up.sql non-transactional)', () => {
    // Linted as if metadata.toml were still missing, the fixed up.sql read as transactional: a
    // re-runnable CREATE INDEX CONCURRENTLY (prefer-robust-stmts) that a lint of the result does not report.
    const dir = project({
      'migrations/2024-01-01-000000_idx/up.sql': 'CREATE INDEX orders_user_idx ON orders (user_id);\n',
      'migrations/2024-01-01-000000_idx/down.sql': "SET lock_timeout = '5s';\nDROP INDEX IF EXISTS orders_user_idx;\n",
    });
    const fixed = JSON.parse(zdm(['lint', '--fix', '--format', 'json', 'migrations'], dir).stdout);
    const fresh = JSON.parse(zdm(['lint', '--format', 'json', 'migrations'], dir).stdout);
    assert.deepEqual(fixed, fresh);
    assert.deepEqual(fixed.filter((f: { rule: string }) => f.rule === 'prefer-robust-stmts'), []);
  });

  it('leaves fixes that need review alone: no edit, no new migration', () => {
    const text = "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CHECK (total >= 0);\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE orders DROP CONSTRAINT orders_total_check;\n";
    const dir = project({ 'db/migrations/20240101000000_total.sql': text });
    const r = zdm(['lint', '--fix', '.'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /= fix: Add NOT VALID, and VALIDATE CONSTRAINT in a new migration 20240101000001_validate_orders_total_check\.sql\n/);
    assert.equal(fs.readFileSync(path.join(dir, 'db/migrations/20240101000000_total.sql'), 'utf8'), text);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'db/migrations')), ['20240101000000_total.sql']);
  });
});

describe('fixFileInPlace: all or nothing', () => {
  const sql = "-- migrate:up\nALTER TABLE users ADD COLUMN locale text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN locale;\n";

  function withFix(fix: Fix): LintResult {
    const result = lintSql(sql);
    return { ...result, findings: [{ rule: 'require-lock-timeout', severity: 'warning', message: 'test', span: { start: 0, end: 1 }, fixes: [fix] }] };
  }

  function setup(): { dir: string; file: string } {
    const dir = project({ 'db/migrations/20240101000000_locale.sql': sql });
    return { dir, file: path.join(dir, 'db/migrations/20240101000000_locale.sql') };
  }

  it('an edit that does not apply leaves the file untouched and says why', () => {
    const { file } = setup();
    const out = fixFileInPlace(file, withFix({ title: 'Broken', edits: [{ span: { start: 5, end: 9999 }, newText: 'x' }], safe: true }), () => lintSql(sql));
    assert.match(out.message!, /left .* untouched: an edit at 5-9999 is outside the file/);
    assert.equal(fs.readFileSync(file, 'utf8'), sql);
  });

  it('a fix whose result does not parse is not written', () => {
    const { file } = setup();
    const broken = sql.replace('ADD COLUMN', 'ADD COLUMN (');
    const out = fixFileInPlace(file, withFix({ title: 'Breaks it', edits: [{ span: { start: 0, end: sql.length }, newText: broken }], safe: true }), (text) => lintSql(text));
    assert.match(out.message!, /left .* untouched: the fixed text would not parse \(Breaks it\)/);
    assert.equal(fs.readFileSync(file, 'utf8'), sql);
  });

  it('a create that fails removes the files already created and leaves the linted file as it was', () => {
    const { dir, file } = setup();
    const created = path.join(dir, 'db/migrations/20240101000001_first.sql');
    const impossible = path.join(dir, 'db/migrations/no-such-folder/20240101000002_second.sql');
    const fix: Fix = { title: 'Creates two', edits: [{ span: { start: 0, end: 0 }, newText: '-- edited\n' }], creates: [{ path: created, text: 'SELECT 1;\n' }, { path: impossible, text: 'SELECT 2;\n' }], safe: true };
    const out = fixFileInPlace(file, withFix(fix), (text) => lintSql(text));
    assert.match(out.message!, /left .* untouched: cannot write/);
    assert.equal(fs.readFileSync(file, 'utf8'), sql);
    assert.ok(!fs.existsSync(created), 'the first created file is removed again');
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['20240101000000_locale.sql']);
  });

  it('a file that exists is never overwritten: such a fix is not applied', () => {
    const { dir, file } = setup();
    const existing = path.join(dir, 'db/migrations/20240101000001_taken.sql');
    fs.writeFileSync(existing, 'SELECT 1;\n');
    const out = fixFileInPlace(file, withFix({ title: 'Clashes', edits: [], creates: [{ path: existing, text: 'DROP TABLE users;\n' }], safe: true }), (text) => lintSql(text));
    assert.equal(out.message, undefined);
    assert.equal(fs.readFileSync(existing, 'utf8'), 'SELECT 1;\n');
    assert.equal(fs.readFileSync(file, 'utf8'), sql);
  });
});
