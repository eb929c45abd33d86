// Trios on a real PostgreSQL, through zdm's runner (server/src/engine/runner): a sample table with
// rows; expand up (then writes of both application versions, as a role that owns nothing, kept in step
// by the trigger), backfill up (its batches really run and commit one by one), the zdm:verify queries
// pass, contract up; then the contract, the backfill and the expand rolled back in turn: every row
// comes back with its values, and the table with its columns, types, NOT NULLs and nothing left behind.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Client } from 'pg';
import { defaultConfig } from '../../server/src/engine/config/config';
import { createDiskHost } from '../../server/src/engine/host';
import type { FormatId } from '../../server/src/engine/model';
import { rollback, up, type RunnerOptions } from '../../server/src/engine/runner/commands';
import type { RunResult } from '../../server/src/engine/runner/events';
import type { ScaffoldOutput } from '../../server/src/engine/scaffold/naming';
import { newTrioFiles, TRIO_KINDS, trioSettingsFrom, type TrioKind, type TrioRequest } from '../../server/src/engine/scaffold/trio';
import { matchesExpectation, parseVerifyDirectives } from '../../server/src/engine/scaffold/verify-directives';
import { writeScaffold } from '../../server/src/engine/scaffold/write';
import { initParser } from '../helpers/lint';
import { usePostgres } from '../helpers/postgres';
import { SAMPLE_REQUESTS } from './sample';

const roots: string[] = [];
const pg = usePostgres({
  setup: initParser,
  cleanup: () => {
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  },
});

const ROWS = 2500;
const BATCH = 700; // 4 batches
const SCHEMA = `CREATE TABLE users (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  score integer NOT NULL DEFAULT 0,
  email text,
  bio text,
  avatar_url varchar(300),
  legacy_login text NOT NULL
);
INSERT INTO users
SELECT g, 'user ' || g, g * 10, CASE WHEN g % 3 = 0 THEN NULL ELSE 'u' || g || '@example.org' END,
       CASE WHEN g % 2 = 0 THEN 'bio of ' || g END, 'https://img.example.org/' || g, 'login' || g
FROM generate_series(1, ${ROWS}) AS g;`;
const COLUMNS = ['id', 'name', 'score', 'email', 'bio', 'avatar_url', 'legacy_login'];

/**
 * The application's role: it reads and writes the table but owns nothing, as in production, where the
 * application rarely connects as the role that migrates. The writes of both application versions run
 * as it (roles are the server's, not a database's: created once, granted in each database).
 */
const APP_ROLE = 'zdm_trio_app';
const APP_GRANTS = `DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN CREATE ROLE ${APP_ROLE}; END IF;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON users TO ${APP_ROLE};`;

/** What each kind's expand lets both application versions do: the writes, then what must hold. */
const APP_WRITES: Record<TrioKind, { sql: string; check: string; expect: string }[]> = {
  'rename-column': [
    { sql: "INSERT INTO users (id, name, score, legacy_login) VALUES (10001, 'written by the old version', 1, 'x')", check: 'SELECT full_name FROM users WHERE id = 10001', expect: "'written by the old version'" },
    { sql: "INSERT INTO users (id, full_name, score, legacy_login) VALUES (10002, 'written by the new version', 1, 'x')", check: 'SELECT name FROM users WHERE id = 10002', expect: "'written by the new version'" },
    { sql: "UPDATE users SET name = 'old renamed' WHERE id = 1", check: 'SELECT full_name FROM users WHERE id = 1', expect: "'old renamed'" },
    { sql: "UPDATE users SET full_name = 'new renamed' WHERE id = 2", check: 'SELECT name FROM users WHERE id = 2', expect: "'new renamed'" },
    { sql: "UPDATE users SET score = score + 1 WHERE id = 3", check: 'SELECT full_name FROM users WHERE id = 3', expect: "'user 3'" },
  ],
  'change-type': [
    { sql: "INSERT INTO users (id, name, score, legacy_login) VALUES (10001, 'a', 77, 'x')", check: 'SELECT score_new FROM users WHERE id = 10001', expect: '77' },
    // Neither column written: the old column's default, copied by the trigger (the contract gives the new column --default).
    { sql: "INSERT INTO users (id, name, legacy_login) VALUES (10003, 'b', 'x')", check: 'SELECT score_new FROM users WHERE id = 10003', expect: '0' },
    { sql: 'UPDATE users SET score_new = 5000000 WHERE id = 1', check: 'SELECT score FROM users WHERE id = 1', expect: '5000000' },
  ],
  'add-not-null-column': [
    { sql: "INSERT INTO users (id, name, score, legacy_login) VALUES (10001, 'a', 1, 'x')", check: 'SELECT status FROM users WHERE id = 10001', expect: "'active'" },
    { sql: "INSERT INTO users (id, name, score, legacy_login, bio, status) VALUES (10002, 'a', 1, 'x', NULL, NULL)", check: 'SELECT status FROM users WHERE id = 10002', expect: "'new'" },
  ],
  'set-not-null': [
    { sql: "INSERT INTO users (id, name, score, legacy_login) VALUES (10001, 'a', 1, 'x')", check: 'SELECT email FROM users WHERE id = 10001', expect: "'user10001@example.invalid'" },
  ],
  'rename-table': [
    { sql: "INSERT INTO users (id, name, score, legacy_login) VALUES (10001, 'through the view', 1, 'x')", check: 'SELECT name FROM accounts WHERE id = 10001', expect: "'through the view'" },
    { sql: "UPDATE accounts SET name = 'renamed table' WHERE id = 1", check: 'SELECT name FROM users WHERE id = 1', expect: "'renamed table'" },
  ],
  'split-table': [
    { sql: "INSERT INTO users (id, name, score, legacy_login, bio) VALUES (10001, 'a', 1, 'x', 'old version bio')", check: 'SELECT bio FROM user_profiles WHERE id = 10001', expect: "'old version bio'" },
    { sql: "UPDATE user_profiles SET bio = 'new version bio' WHERE id = 10001", check: 'SELECT bio FROM users WHERE id = 10001', expect: "'new version bio'" },
    { sql: "UPDATE users SET avatar_url = 'https://new/2' WHERE id = 2", check: 'SELECT avatar_url FROM user_profiles WHERE id = 2', expect: "'https://new/2'" },
  ],
  'drop-column': [
    { sql: "INSERT INTO users (id, name, score) VALUES (10001, 'the new version does not write legacy_login', 1)", check: 'SELECT legacy_login FROM users_legacy_login_archive WHERE id = 10001', expect: "''" },
    { sql: "UPDATE users SET legacy_login = 'changed' WHERE id = 5", check: 'SELECT legacy_login FROM users_legacy_login_archive WHERE id = 5', expect: "'changed'" },
  ],
};

/** The table filled by the backfill's batches, for the commit check. */
const FILLED: Partial<Record<TrioKind, string>> = {
  'rename-column': 'users',
  'change-type': 'users',
  'add-not-null-column': 'users',
  'set-not-null': 'users',
  'split-table': 'user_profiles',
  'drop-column': 'users_legacy_login_archive',
};

const DIRS: Partial<Record<FormatId, string>> = { dbmate: 'db/migrations', goose: 'migrations', 'golang-migrate': 'migrations' };

async function value(database: string, sql: string): Promise<unknown> {
  const rows = await pg.query<Record<string, unknown>>(sql, [], database);
  return rows[0] ? Object.values(rows[0])[0] : undefined;
}

function ok(result: RunResult, what: string): void {
  assert.ok(result.ok, `${what} failed: ${JSON.stringify({ error: result.error, usageError: result.usageError, steps: result.steps.map((s) => [s.name, s.direction, s.ok, s.error?.message]) }, null, 1)}`);
}

/** The table's columns (name type NOT NULL), constraints, triggers, and the objects trios create: order-independent. */
async function shape(database: string): Promise<string[]> {
  const rows = await pg.query<{ item: string }>(
    `SELECT 'column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END AS item
       FROM pg_attribute a WHERE a.attrelid = 'public.users'::regclass AND a.attnum > 0 AND NOT a.attisdropped
     UNION ALL SELECT 'relation ' || c.relname || ' ' || c.relkind::text FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v')
       AND c.relname NOT IN ('schema_migrations', 'zdm_migrations', 'goose_db_version')
     UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'public.users'::regclass
     UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgrelid = 'public.users'::regclass AND NOT tgisinternal
     UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
     ORDER BY 1`,
    [],
    database,
  );
  return rows.map((r) => r.item);
}

async function rows(database: string): Promise<string[]> {
  const list = await pg.query<Record<string, unknown>>(`SELECT ${COLUMNS.join(', ')} FROM users ORDER BY id`, [], database);
  return list.map((r) => JSON.stringify(COLUMNS.map((c) => r[c])));
}

async function runTrio(format: FormatId, kind: TrioKind): Promise<void> {
  const database = await pg.createDatabase(`trio_${kind.replace(/-/g, '_')}`);
  await pg.query(SCHEMA, [], database);
  await pg.query(APP_GRANTS, [], database);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-trio-db-'));
  roots.push(root);
  fs.writeFileSync(path.join(root, '.zdm.json'), JSON.stringify({ format }));
  const dir = path.join(root, DIRS[format]!);
  fs.mkdirSync(dir, { recursive: true });
  const config = { ...defaultConfig(), format };
  const trio = newTrioFiles({ dir, format, host: createDiskHost({ cache: false }) }, SAMPLE_REQUESTS[kind], trioSettingsFrom(config, { batchSize: BATCH, pauseMs: 0 }));
  writeScaffold(trio.outputs);
  const [expand, backfill, contract] = trio.outputs;
  const drive = driver(format, { cwd: root, url: pg.url(database), env: {}, embedded: false, yes: true }, database, trio.outputs);
  const shapeBefore = await shape(database);

  await drive.up(expand.version, 'expand up');
  for (const write of APP_WRITES[kind]) {
    await pg.query(`SET ROLE ${APP_ROLE}; ${write.sql}; RESET ROLE`, [], database);
    const got = await value(database, write.check);
    assert.ok(matchesExpectation(got, write.expect), `${kind}: after "${write.sql}", ${write.check} returned ${String(got)}, expected ${write.expect}`);
  }
  const rowsBefore = await rows(database);

  await drive.up(backfill.version, 'backfill up');
  const filled = FILLED[kind];
  if (filled) {
    // Each batch committed on its own: the rows it wrote carry its transaction id.
    const transactions = Number(await value(database, `SELECT count(DISTINCT xmin::text) FROM ${filled} WHERE id <= ${ROWS}`));
    assert.ok(transactions >= Math.ceil(ROWS / BATCH), `${kind}: the backfill wrote ${filled} in ${transactions} transaction(s), expected one per batch`);
  }
  const directives = parseVerifyDirectives(fs.readFileSync(backfill.primary, 'utf8'));
  assert.ok(directives.length > 0);
  for (const d of directives) {
    const got = await value(database, d.sql);
    assert.ok(matchesExpectation(got, d.expect), `${kind}: verification ${d.sql} returned ${String(got)}, expected ${d.expect}`);
  }
  // Re-running the backfill changes nothing (idempotent): roll it back and apply it again.
  await drive.down('backfill down');
  await drive.up(backfill.version, 'backfill up again');

  await drive.up(contract.version, 'contract up');
  await drive.down('contract down');
  await drive.down('backfill down');
  await drive.down('expand down');

  const rowsAfter = await rows(database);
  if (kind === 'set-not-null') {
    // The NULLs it filled stay filled (which rows were NULL is not recorded); everything else is back.
    const expected = rowsBefore.map((r) => {
      const row = JSON.parse(r);
      if (row[3] === null) row[3] = `user${row[0]}@example.invalid`;
      return JSON.stringify(row);
    });
    assert.deepEqual(rowsAfter, expected);
  } else {
    assert.equal(rowsAfter.length, rowsBefore.length, `${kind}: row count`);
    assert.deepEqual(rowsAfter, rowsBefore, `${kind}: values after the round trip`);
  }
  assert.deepEqual(await shape(database), shapeBefore, `${kind}: the table's shape after the round trip`);
}

interface Driver {
  up(version: string, what: string): Promise<void>;
  down(what: string): Promise<void>;
}

/**
 * zdm's runner, or (golang-migrate) each file sent as one query string the way golang-migrate sends
 * it: zdm's runner wraps a single-statement golang-migrate file in a transaction with its bookkeeping,
 * where the backfill's COMMIT cannot run.
 */
function driver(format: FormatId, options: RunnerOptions, database: string, outputs: readonly ScaffoldOutput[]): Driver {
  if (format !== 'golang-migrate') {
    return {
      up: async (version, what) => ok(await up({ ...options, to: version }), what),
      down: async (what) => ok(await rollback(options), what),
    };
  }
  const applied: ScaffoldOutput[] = [];
  const send = async (file: string, what: string) => {
    try {
      await pg.query(fs.readFileSync(file, 'utf8'), [], database);
    } catch (error) {
      assert.fail(`${what} failed: ${(error as Error).message}`);
    }
  };
  return {
    async up(version, what) {
      for (const o of outputs) {
        if (applied.includes(o) || o.version > version) continue;
        await send(o.creates.find((c) => c.path.endsWith('.up.sql'))!.path, what);
        applied.push(o);
      }
    },
    async down(what) {
      const last = applied.pop()!;
      await send(last.creates.find((c) => c.path.endsWith('.down.sql'))!.path, what);
    },
  };
}

describe('trios on PostgreSQL', () => {
  for (const format of ['dbmate', 'golang-migrate', 'goose'] as const) {
    describe(format, () => {
      for (const kind of TRIO_KINDS) {
        it(`${kind}: expand, both versions write, backfill in committed batches, verify, contract, then all the way back`, () => runTrio(format, kind));
      }
    });
  }
});

/** A dbmate project with the sample table (and `setup` run on it), a trio of `kind` written, and a runner's options for its database. */
async function trioProject(kind: TrioKind, pgVersion: number, setup: string, request: TrioRequest = SAMPLE_REQUESTS[kind]): Promise<{ database: string; options: RunnerOptions; versions: string[] }> {
  const database = await pg.createDatabase(`trio_${kind.replace(/-/g, '_')}`);
  await pg.query(`${SCHEMA}\n${APP_GRANTS}\n${setup}`, [], database);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-trio-roles-'));
  roots.push(root);
  fs.writeFileSync(path.join(root, '.zdm.json'), JSON.stringify({ format: 'dbmate', pgVersion }));
  const dir = path.join(root, 'db/migrations');
  fs.mkdirSync(dir, { recursive: true });
  const config = { ...defaultConfig(), format: 'dbmate' as const, pgVersion };
  const trio = newTrioFiles({ dir, format: 'dbmate', host: createDiskHost({ cache: false }) }, request, trioSettingsFrom(config));
  writeScaffold(trio.outputs);
  return { database, options: { cwd: root, url: pg.url(database), env: {}, embedded: false, yes: true }, versions: trio.outputs.map((o) => o.version) };
}

/** Runs `sql` as `role`; its rows, or the error's message. */
async function asRole(role: string, database: string, sql: string): Promise<Record<string, unknown>[] | string> {
  const client = new Client({ connectionString: pg.url(database) });
  await client.connect();
  try {
    await client.query(`SET ROLE ${role}`);
    return (await client.query(sql)).rows;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end();
  }
}

describe('trios on a table with row-level security', () => {
  /** A table whose policy shows the application's role its first ten rows, and the trio's expand applied: the run's result. */
  async function expandOnRowSecurity(kind: TrioKind, pgVersion: number): Promise<{ database: string; result: RunResult }> {
    const { database, options, versions } = await trioProject(kind, pgVersion, `ALTER TABLE users ENABLE ROW LEVEL SECURITY;\nCREATE POLICY first_ten ON users TO ${APP_ROLE} USING (id <= 10);`);
    return { database, result: await up({ ...options, to: versions[0] }) };
  }

  const asApp = (database: string, sql: string) => asRole(APP_ROLE, database, sql);

  async function refused(database: string, result: RunResult): Promise<void> {
    assert.equal(result.ok, false);
    assert.match(JSON.stringify(result.steps.map((s) => s.error?.message)), /(users|accounts) has row-level security/);
    assert.deepEqual(await pg.query("SELECT relname FROM pg_class WHERE relname IN ('accounts', 'user_profiles')", [], database), []);
  }

  it('rename-table, on PostgreSQL 15 and later: the view checks the policies as the caller, and the application still sees only its rows', async () => {
    const { database, result } = await expandOnRowSecurity('rename-table', 15);
    ok(result, 'expand up');
    assert.deepEqual(await asApp(database, 'SELECT count(*)::int AS n FROM users'), [{ n: 10 }]);
  });

  it('rename-table, before 15, where a view would bypass them: the expand refuses and changes nothing', async () => {
    const { database, result } = await expandOnRowSecurity('rename-table', 14);
    await refused(database, result);
  });

  it('split-table: the new table would have none of the policies, so the expand refuses and changes nothing', async () => {
    const { database, result } = await expandOnRowSecurity('split-table', 16);
    await refused(database, result);
  });

  it('drop-column: the application writes through the archive trigger, and cannot read the archive', async () => {
    const { database, result } = await expandOnRowSecurity('drop-column', 16);
    ok(result, 'expand up');
    assert.deepEqual(await asApp(database, "UPDATE users SET legacy_login = 'changed' WHERE id = 5 RETURNING id"), [{ id: '5' }]);
    assert.equal(await value(database, 'SELECT legacy_login FROM users_legacy_login_archive WHERE id = 5'), 'changed');
    assert.match(String(await asApp(database, 'SELECT count(*) FROM users_legacy_login_archive')), /permission denied/);
  });
});

describe('trios and column privileges', () => {
  // A role allowed to change one column only (GRANT UPDATE (name)): table-wide privileges cover a new column, these do not.
  const EDITOR = 'zdm_trio_editor';
  const EDITOR_GRANTS = `DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${EDITOR}') THEN CREATE ROLE ${EDITOR}; END IF;
END $$;
GRANT SELECT (id), UPDATE (name) ON users TO ${EDITOR};`;

  it('rename-column: the new column gets the old one\'s column privileges, and the old one gets them back when the contract is rolled back', async () => {
    const { database, options, versions } = await trioProject('rename-column', 14, EDITOR_GRANTS);
    ok(await up({ ...options, to: versions[0] }), 'expand up');
    assert.deepEqual(await asRole(EDITOR, database, "UPDATE users SET full_name = 'by the new version' WHERE id = 1 RETURNING id"), [{ id: '1' }]);
    ok(await up(options), 'backfill and contract up');
    assert.deepEqual(await asRole(EDITOR, database, "UPDATE users SET full_name = 'after the contract' WHERE id = 2 RETURNING id"), [{ id: '2' }]);
    ok(await rollback(options), 'contract down');
    assert.deepEqual(await asRole(EDITOR, database, "UPDATE users SET name = 'by the old version' WHERE id = 3 RETURNING id"), [{ id: '3' }]);
  });

  it('split-table: a moved column re-created by the contract\'s down gets its column privileges back', async () => {
    const { database, options } = await trioProject('split-table', 14, `${EDITOR_GRANTS}\nGRANT UPDATE (bio) ON users TO ${EDITOR};`);
    ok(await up(options), 'expand, backfill and contract up');
    ok(await rollback(options), 'contract down');
    assert.deepEqual(await asRole(EDITOR, database, "UPDATE users SET bio = 'back' WHERE id = 4 RETURNING id"), [{ id: '4' }]);
  });

  /** The column's attacl, its items sorted (the way back grants them again in its own order), as text. */
  async function columnAcl(database: string, table: string, column: string): Promise<string[]> {
    const rows = await pg.query<{ item: string }>(
      'SELECT a::text AS item FROM pg_attribute AS f, unnest(f.attacl) AS a WHERE f.attrelid = $1::regclass AND f.attname = $2 ORDER BY 1',
      [table, column],
      database,
    );
    return rows.map((r) => r.item);
  }

  const createRole = (role: string) => `DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role.replace(/'/g, "''")}') THEN CREATE ROLE "${role.replace(/"/g, '""')}"; END IF;
END $$;`;

  it("drop-column: the column's privileges (WITH GRANT OPTION, PUBLIC) come back with it when the contract is rolled back; a role dropped since is skipped", async () => {
    const READER = 'zdm_trio_reader';
    const GONE = 'zdm_trio_gone';
    const { database, options, versions } = await trioProject(
      'drop-column',
      14,
      `${EDITOR_GRANTS}
${createRole(READER)}
${createRole(GONE)}
GRANT SELECT (legacy_login), UPDATE (legacy_login) ON users TO ${EDITOR};
GRANT SELECT (id) ON users TO ${READER};
GRANT SELECT (legacy_login) ON users TO ${READER} WITH GRANT OPTION;
GRANT REFERENCES (legacy_login) ON users TO PUBLIC;
GRANT SELECT (legacy_login) ON users TO ${GONE};`,
    );
    const before = await columnAcl(database, 'users', 'legacy_login');
    assert.equal(before.length, 4, before.join(' '));
    assert.deepEqual(await asRole(EDITOR, database, "UPDATE users SET legacy_login = 'by the editor' WHERE id = 3 RETURNING id"), [{ id: '3' }]);

    ok(await up(options), 'expand, backfill and contract up');
    assert.equal(versions.length, 3);
    // The record gives nobody anything on the archive.
    assert.deepEqual(await pg.query("SELECT c.relacl, a.attname, a.attacl FROM pg_class AS c JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 WHERE c.relname = 'users_legacy_login_archive' AND (c.relacl IS NOT NULL OR a.attacl IS NOT NULL)", [], database), []);
    for (const role of [EDITOR, READER, APP_ROLE]) {
      assert.match(String(await asRole(role, database, 'SELECT legacy_login FROM users_legacy_login_archive LIMIT 1')), /permission denied/);
    }
    // A role whose privileges went with the column may be dropped before the rollback.
    await pg.query(`DROP ROLE ${GONE}`, [], database);

    ok(await rollback(options), 'contract down');
    assert.deepEqual(await columnAcl(database, 'users', 'legacy_login'), before.filter((item) => !item.startsWith(`${GONE}=`)));
    assert.deepEqual(await asRole(EDITOR, database, "UPDATE users SET legacy_login = 'back' WHERE id = 3 RETURNING id"), [{ id: '3' }]);
    assert.deepEqual(await asRole(EDITOR, database, 'SELECT legacy_login FROM users WHERE id = 3'), [{ legacy_login: 'back' }]);
    assert.deepEqual(await asRole(READER, database, 'SELECT legacy_login FROM users WHERE id = 3'), [{ legacy_login: 'back' }]);
    assert.match(String(await asRole(READER, database, "UPDATE users SET legacy_login = 'no' WHERE id = 3")), /permission denied/);

    ok(await rollback(options), 'backfill down');
    ok(await rollback(options), 'expand down');
    assert.deepEqual(await asRole(READER, database, 'SELECT legacy_login FROM users WHERE id = 4'), [{ legacy_login: 'login4' }]);
    // The grant option came back too: the reader may pass it on.
    assert.deepEqual(await asRole(READER, database, `GRANT SELECT (legacy_login) ON users TO ${APP_ROLE}`), []);
  });

  it('drop-column: odd table, column and role names (% $$ quotes) in the record and the grants again', async () => {
    const table = 'Odd%$$name';
    const column = 'odd "col"%$$';
    const role = 'zdm odd"role%';
    const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const request: TrioRequest = { kind: 'drop-column', table: { name: table }, column, type: 'text' };
    const { database, options } = await trioProject(
      'drop-column',
      14,
      `CREATE TABLE ${ident(table)} (id bigint PRIMARY KEY, ${ident(column)} text);
INSERT INTO ${ident(table)} SELECT g, 'value ' || g FROM generate_series(1, 5) AS g;
${createRole(role)}
GRANT SELECT (id, ${ident(column)}) ON ${ident(table)} TO ${ident(role)};
GRANT UPDATE (${ident(column)}) ON ${ident(table)} TO ${ident(role)} WITH GRANT OPTION;`,
      request,
    );
    const before = await columnAcl(database, ident(table), column);
    assert.equal(before.length, 1, before.join(' '));
    ok(await up(options), 'expand, backfill and contract up');
    ok(await rollback(options), 'contract down');
    assert.deepEqual(await columnAcl(database, ident(table), column), before);
    assert.deepEqual(await asRole(ident(role), database, `UPDATE ${ident(table)} SET ${ident(column)} = 'back' WHERE id = 2 RETURNING id, ${ident(column)}`), [{ id: '2', [column]: 'back' }]);
    ok(await rollback(options), 'backfill down');
    assert.deepEqual(await asRole(ident(role), database, `SELECT ${ident(column)} FROM ${ident(table)} WHERE id = 3`), [{ [column]: 'value 3' }]);
  });
});

describe("trios and what the application's role can do", () => {
  it("drop-column: a caller's temporary table of the archive's name takes nothing, and runs nothing as the owner", async () => {
    // Every role may create temporary tables (TEMPORARY is granted to PUBLIC on a new database).
    const { database, options, versions } = await trioProject('drop-column', 14, '');
    ok(await up({ ...options, to: versions[0] }), 'expand up');
    const client = new Client({ connectionString: pg.url(database) });
    await client.connect();
    try {
      await client.query(`SET ROLE ${APP_ROLE}`);
      await client.query('CREATE TEMPORARY TABLE users_legacy_login_archive (id bigint PRIMARY KEY, legacy_login text)');
      await client.query(`CREATE FUNCTION pg_temp.as_owner() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'ran as %', current_user; END $$`);
      await client.query('CREATE TRIGGER as_owner AFTER INSERT ON pg_temp.users_legacy_login_archive FOR EACH ROW EXECUTE FUNCTION pg_temp.as_owner()');
      await client.query("UPDATE users SET legacy_login = 'kept' WHERE id = 7");
      assert.deepEqual((await client.query('SELECT count(*)::int AS n FROM pg_temp.users_legacy_login_archive')).rows, [{ n: 0 }]);
    } finally {
      await client.end();
    }
    assert.equal(await value(database, 'SELECT legacy_login FROM public.users_legacy_login_archive WHERE id = 7'), 'kept');
  });

  it("split-table: a role that may insert into the table but not update it cannot overwrite it through the new table", async () => {
    const { database, options, versions } = await trioProject('split-table', 14, `REVOKE UPDATE ON users FROM ${APP_ROLE};`);
    ok(await up({ ...options, to: versions[0] }), 'expand up');
    const before = await value(database, 'SELECT bio FROM users WHERE id = 2');
    assert.match(String(await asRole(APP_ROLE, database, "INSERT INTO user_profiles (id, bio) VALUES (2, 'overwritten')")), /permission denied for table users/);
    assert.equal(await value(database, 'SELECT bio FROM users WHERE id = 2'), before);
  });

  it('a % or a $$ in the table\'s name: the generated blocks still run (rename-table, with the row security check before PostgreSQL 15)', async () => {
    const odd = 'Odd%$$name';
    const request: TrioRequest = { kind: 'rename-table', table: { name: odd }, to: 'renamed' };
    const plainTable = await trioProject('rename-table', 14, `CREATE TABLE "${odd}" (id bigint PRIMARY KEY); GRANT SELECT ON "${odd}" TO ${APP_ROLE};`, request);
    ok(await up({ ...plainTable.options, to: plainTable.versions[0] }), 'expand up');
    assert.deepEqual(await asRole(APP_ROLE, plainTable.database, `SELECT count(*)::int AS n FROM "${odd}"`), [{ n: 0 }]);
    const secured = await trioProject('rename-table', 14, `CREATE TABLE "${odd}" (id bigint PRIMARY KEY); ALTER TABLE "${odd}" ENABLE ROW LEVEL SECURITY;`, request);
    const refused = await up({ ...secured.options, to: secured.versions[0] });
    assert.equal(refused.ok, false);
    assert.match(JSON.stringify(refused.steps.map((s) => s.error?.message)), /renamed has row-level security: a view in place of \\"Odd%\$\$name\\" would bypass/);
  });
});
