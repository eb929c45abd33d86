// The pure parts of the proving commands: how traced locks are classified against the lock table, what
// a real run holds until COMMIT, where the CodeLenses go, and the snapshot comparison.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { locksOf } from '../../server/src/engine/locks';
import { proveLenses } from '../../server/src/engine/prove/lenses';
import { compareSnapshots, type SchemaSnapshot, type SnapshotItem } from '../../server/src/engine/prove/snapshot';
import { compareLocks, heldUntilCommit, type ObservedLock } from '../../server/src/engine/prove/trace-compare';
import { databaseOf, databaseUrl, THROWAWAY_PATTERN, throwawayName } from '../../server/src/engine/prove/throwaway';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

function statement(sql: string) {
  const result = lintSql(`${sql};\n`, { format: 'plain' });
  return result.statements[0];
}

const lock = (name: string, kind: string, mode: ObservedLock['mode'], extra: Partial<ObservedLock> = {}): ObservedLock => ({ schema: 'public', name, kind, mode, modes: [mode], granted: true, created: false, ...extra });

describe('trace vs lock table', () => {
  it('confirms a matching lock and ignores what the statement created', () => {
    const s = statement('CREATE INDEX t_a_idx ON t (a)');
    const c = compareLocks(s.kind, locksOf(s, 18), [lock('t', 'r', 'SHARE'), lock('t_a_idx', 'i', 'ACCESS EXCLUSIVE', { created: true, table: { schema: 'public', name: 't' } })]);
    assert.deepEqual(c.static.map((x) => [x.role, x.mode, x.classification]), [['table', 'SHARE', 'confirmed']]);
    assert.deepEqual(c.observed.map((o) => [o.name, o.classification, o.mismatch]), [
      ['t', 'confirmed', false],
      ['t_a_idx', 'trace only', false],
    ]);
    assert.deepEqual(c.mismatches, []);
  });

  it('reports another mode as a mismatch (static only + trace only), and a missing lock as static only', () => {
    const s = statement('ALTER TABLE t ADD CONSTRAINT t_r_fkey FOREIGN KEY (r_id) REFERENCES r (id)');
    const c = compareLocks(s.kind, locksOf(s, 18), [lock('t', 'r', 'ACCESS EXCLUSIVE')]);
    assert.deepEqual(c.mismatches.map((m) => [m.kind, m.object, m.staticMode, m.observedMode]), [
      ['differs', 'public.t', 'SHARE ROW EXCLUSIVE', 'ACCESS EXCLUSIVE'],
      ['static only', 'r', 'SHARE ROW EXCLUSIVE', undefined],
    ]);
    assert.match(c.mismatches[0].message, /the server took ACCESS EXCLUSIVE \(it blocks different traffic\)/);
  });

  it("an index's ROW EXCLUSIVE the table does not list (VACUUM cleaning the indexes, caught while the table lock was not sampled) is explained, not a mismatch; a table's is", () => {
    const vacuum = statement('VACUUM t');
    const c = compareLocks(vacuum.kind, locksOf(vacuum, 18), [lock('t_b_idx', 'i', 'ROW EXCLUSIVE', { table: { schema: 'public', name: 't' } })]);
    assert.deepEqual(c.observed.map((o) => [o.name, o.classification, o.mismatch, o.note]), [['t_b_idx', 'trace only', false, 'ROW EXCLUSIVE on an index (what writes take on it): blocks no reads or writes, only DDL on the index']]);
    assert.deepEqual(c.mismatches.filter((m) => m.kind === 'trace only'), []);
    const other = compareLocks(vacuum.kind, locksOf(vacuum, 18), [lock('t', 'r', 'SHARE UPDATE EXCLUSIVE'), lock('u', 'r', 'ROW EXCLUSIVE')]);
    assert.deepEqual(other.mismatches.map((m) => [m.kind, m.object]), [['trace only', 'public.u']]);
  });

  it('the ACCESS EXCLUSIVE that REINDEX / DROP INDEX CONCURRENTLY take on the dead index at their end is no mismatch, caught or not; on a live object it is', () => {
    const table = lock('t', 'r', 'SHARE UPDATE EXCLUSIVE');
    const index = (modes: ObservedLock['mode'][]) => lock('t_b_idx', 'i', modes[modes.length - 1], { modes, table: { schema: 'public', name: 't' } });
    for (const sql of ['REINDEX INDEX CONCURRENTLY t_b_idx', 'DROP INDEX CONCURRENTLY t_b_idx']) {
      const s = statement(sql);
      for (const modes of [['SHARE UPDATE EXCLUSIVE'], ['SHARE UPDATE EXCLUSIVE', 'ACCESS EXCLUSIVE'], ['ACCESS EXCLUSIVE']] as ObservedLock['mode'][][]) {
        const c = compareLocks(s.kind, locksOf(s, 18), [table, index(modes)]);
        assert.deepEqual(c.mismatches, [], `${sql}: ${modes.join(' + ')}`);
        assert.ok(c.static.every((x) => x.classification === 'confirmed'), JSON.stringify(c.static));
      }
    }
    // REINDEX CONCURRENTLY swaps names: the new index (created by the statement) carries t_b_idx too,
    // and may be listed first. The statement's t_b_idx is the one that existed before it (a fresh-clone
    // CI run caught the old index's final ACCESS EXCLUSIVE left unmatched once).
    const reindex = statement('REINDEX INDEX CONCURRENTLY t_b_idx');
    const fresh = lock('t_b_idx', 'i', 'SHARE UPDATE EXCLUSIVE', { created: true, table: { schema: 'public', name: 't' } });
    for (const observed of [[table, fresh, index(['SHARE UPDATE EXCLUSIVE', 'ACCESS EXCLUSIVE'])], [table, index(['ACCESS EXCLUSIVE']), fresh]]) {
      const c = compareLocks(reindex.kind, locksOf(reindex, 18), observed);
      assert.deepEqual(c.mismatches, [], JSON.stringify(observed.map((o) => [o.name, o.mode, o.created])));
      assert.equal(c.observed.find((o) => o.created)?.note, 'created by this statement: no other session sees it before COMMIT');
    }
    // The table of a concurrent index build is alive: ACCESS EXCLUSIVE there is a mismatch.
    const create = statement('CREATE INDEX CONCURRENTLY t_a_idx ON t (a)');
    const c = compareLocks(create.kind, locksOf(create, 18), [lock('t', 'r', 'ACCESS EXCLUSIVE', { modes: ['SHARE UPDATE EXCLUSIVE', 'ACCESS EXCLUSIVE'] })]);
    assert.deepEqual(c.mismatches.map((m) => [m.kind, m.observedMode]), [['differs', 'ACCESS EXCLUSIVE']]);
  });

  it('trace-only locks: an index of a locked table and ACCESS SHARE reads are explained; a stronger unlisted lock is a mismatch', () => {
    const s = statement('ALTER TABLE t ALTER COLUMN a TYPE bigint');
    const c = compareLocks(s.kind, locksOf(s, 18), [
      lock('t', 'r', 'ACCESS EXCLUSIVE'),
      lock('t_pkey', 'i', 'ACCESS EXCLUSIVE', { table: { schema: 'public', name: 't' } }),
      lock('v', 'v', 'ACCESS SHARE'),
      lock('other', 'r', 'SHARE ROW EXCLUSIVE'),
    ]);
    assert.deepEqual(c.observed.map((o) => [o.name, o.classification, o.mismatch, o.note ?? '']), [
      ['t', 'confirmed', false, ''],
      ['t_pkey', 'trace only', false, 'index of t, which the statement locks in ACCESS EXCLUSIVE: blocks nothing more'],
      ['v', 'trace only', false, 'ACCESS SHARE (read): conflicts only with ACCESS EXCLUSIVE'],
      ['other', 'trace only', true, ''],
    ]);
    assert.deepEqual(c.mismatches.map((m) => [m.kind, m.object]), [['trace only', 'public.other']]);
  });

  it('statements the lock table does not describe: their locks are listed, not counted as mismatches', () => {
    const s = statement('DO $$ BEGIN UPDATE t SET a = 1; END $$');
    const c = compareLocks(s.kind, locksOf(s, 18), [lock('t', 'r', 'ROW EXCLUSIVE')]);
    assert.equal(c.covered, false);
    assert.deepEqual(c.mismatches, []);
    assert.match(c.observed[0].note ?? '', /does not describe DoStmt/);
  });

  it('DROP INDEX: the unnamed table lock is matched with the index\'s own table', () => {
    const s = statement('DROP INDEX t_b_idx');
    const c = compareLocks(s.kind, locksOf(s, 18), [lock('u', 'r', 'ACCESS SHARE'), lock('t', 'r', 'ACCESS EXCLUSIVE'), lock('t_b_idx', 'i', 'ACCESS EXCLUSIVE', { table: { schema: 'public', name: 't' } })]);
    assert.deepEqual(c.static.map((x) => [x.role, x.matched, x.classification]), [
      ['index', 'public.t_b_idx', 'confirmed'],
      ['table', 'public.t', 'confirmed'],
    ]);
  });

  it('held until COMMIT: the strongest mode per object over the section, without what the section created', () => {
    const held = heldUntilCommit([
      { statement: 1, locks: [lock('t', 'r', 'SHARE'), lock('n', 'r', 'ACCESS EXCLUSIVE', { created: true })] },
      { statement: 2, locks: [lock('t', 'r', 'ACCESS EXCLUSIVE'), lock('t_pkey', 'i', 'ACCESS EXCLUSIVE', { table: { schema: 'public', name: 't' } }), lock('n', 'r', 'SHARE')] },
    ]);
    assert.deepEqual(held, [{ object: 'public.t', kind: 'r', mode: 'ACCESS EXCLUSIVE', from: [1, 2] }]);
  });
});

describe('snapshots', () => {
  const snap = (items: SnapshotItem[]): SchemaSnapshot => ({ items: new Map(items.map((i) => [`${i.kind} ${i.name}`, i])), sequenceValues: new Map() });
  it('folds the columns and indexes of a missing table into the table, and compares fields', () => {
    const before = snap([
      { kind: 'table', name: 'public.a', fields: { kind: 'table' } },
      { kind: 'column', name: 'public.a.id', fields: { type: 'integer', nullable: 'NOT NULL' }, table: 'public.a' },
      { kind: 'index', name: 'public.a_pkey', fields: { definition: 'CREATE UNIQUE INDEX a_pkey ...' }, table: 'public.a' },
      { kind: 'column', name: 'public.b.x', fields: { type: 'integer', nullable: 'NULL' }, table: 'public.b' },
      { kind: 'column order', name: 'public.b', fields: { columns: 'x, y' }, table: 'public.b' },
    ]);
    const after = snap([
      { kind: 'column', name: 'public.b.x', fields: { type: 'bigint', nullable: 'NULL', default: '0' }, table: 'public.b' },
      { kind: 'column order', name: 'public.b', fields: { columns: 'x' }, table: 'public.b' },
    ]);
    const diff = compareSnapshots(before, after);
    assert.deepEqual(diff.map((d) => [d.change, d.kind, d.name, d.fields ?? []]), [
      ['missing', 'table', 'public.a', []],
      ['changed', 'column', 'public.b.x', ['type', 'default']],
    ]);
  });
});

describe('code lenses and names', () => {
  it('Trace Locks above the up section, Verify Round Trip above the down, Verify Backfill above the first directive', () => {
    const result = lintSql("-- migrate:up transaction:false\nUPDATE t SET b = a;\n-- zdm:verify SELECT count(*) FROM t WHERE b IS NULL\n\n-- migrate:down\nSELECT 1;\n", { format: 'dbmate' });
    const lenses = proveLenses(result).map((l) => [l.title, l.command, result.document.text.slice(0, l.span.start).split('\n').length]);
    assert.deepEqual(lenses, [
      ['Trace Locks', 'zdm.traceLocks', 1],
      ['Verify Up/Down Round Trip', 'zdm.verifyRoundTrip', 5],
      ['Verify Backfill', 'zdm.verifyBackfill', 3],
    ]);
    assert.deepEqual(proveLenses(lintSql('CREATE TABLE x (id int);\n', { format: 'liquibase' })), []);
  });

  it('throwaway names are recognisable, and URLs are rewritten to another database', () => {
    const name = throwawayName('roundtrip');
    assert.match(name, THROWAWAY_PATTERN);
    assert.equal(Number(THROWAWAY_PATTERN.exec(name)![2]), process.pid);
    assert.equal(databaseUrl('postgres://u:p%40ss@localhost:5433/dev?sslmode=disable', 'zdm_x'), 'postgres://u:p%40ss@localhost:5433/zdm_x?sslmode=disable');
    assert.equal(databaseOf('postgres://u:p@localhost/dev'), 'dev');
    assert.equal(databaseOf('postgres://alice@localhost'), 'alice');
    assert.equal(databaseUrl('postgres://u@/dev?host=/tmp', 'zdm_y'), 'postgres://u@/zdm_y?host=/tmp');
    // libpq: dbname= in the query wins over the path, so it is the one read and replaced.
    assert.equal(databaseOf('postgresql:///?host=/tmp&dbname=dev'), 'dev');
    assert.equal(databaseUrl('postgresql:///ignored?host=/tmp&dbname=dev', 'zdm_z'), 'postgresql:///ignored?host=/tmp&dbname=zdm_z');
  });
});
