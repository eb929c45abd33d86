// The incremental folder history (history.ts) gives the states a full replay of the earlier
// migrations gives, whatever order files ask in, and follows a file whose text changes (the language
// server makes a new host per lint and reuses the checkpoints before the first changed migration).
// Only the up statements the history reads are parsed (`readByHistory`): replaying the others changes
// nothing.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeMigration } from '../../server/src/engine/formats/index';
import { copyStates, historyBefore, readByHistory, replay, replayedHistoryBefore, type ColumnStates } from '../../server/src/engine/history';
import { createMemoryHost, type ProjectHost } from '../../server/src/engine/host';
import type { FormatId } from '../../server/src/engine/model';
import { initParser, parseStatement } from '../../server/src/engine/sql/parser';
import { splitStatements } from '../../server/src/engine/sql/split';

const DIR = path.resolve('/virtual/history/db/migrations');

function plain(states: ColumnStates): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [table, columns] of [...states].sort(([a], [b]) => a.localeCompare(b))) {
    out[table] = Object.fromEntries([...columns].sort(([a], [b]) => a.localeCompare(b)).map(([c, s]) => [c, { type: s.type, notNull: s.notNull }]));
  }
  return out;
}

/** Asks every file's history (in the given order) through one host; each must equal a fresh full replay. */
function checkAll(files: Record<string, string>, order: string[], format?: FormatId): ProjectHost {
  const host = createMemoryHost(files);
  for (const file of order) {
    const doc = describeMigration(file, files[file], host, { format });
    assert.deepEqual(plain(historyBefore(doc, host)), plain(replayedHistoryBefore(doc, createMemoryHost(files))), file);
  }
  return host;
}

function dbmate(up: string): string {
  return `-- migrate:up\n${up}\n-- migrate:down\nSELECT 1;\n`;
}

/** 30 dbmate migrations that create, alter, rename and drop tables and columns. */
function folder(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 30; i++) {
    const version = `202401010000${String(i).padStart(2, '0')}`;
    const t = `t${i % 7}`;
    const up = [
      i % 7 === i ? `CREATE TABLE ${t} (id bigint PRIMARY KEY, a int, b text);` : `ALTER TABLE ${t} ALTER COLUMN a TYPE bigint;`,
      i % 3 === 0 ? `ALTER TABLE ${t} ADD COLUMN c${i} int NOT NULL DEFAULT 0;` : `ALTER TABLE ${t} ALTER COLUMN b SET NOT NULL;`,
      i === 12 ? 'ALTER TABLE t2 RENAME TO t2_old;' : i === 13 ? 'ALTER TABLE t2_old RENAME COLUMN a TO a2;' : i === 20 ? 'DROP TABLE t3;' : 'SELECT 1;',
    ].join('\n');
    files[path.join(DIR, `${version}_m${i}.sql`)] = dbmate(up);
  }
  return files;
}

describe('history: incremental folder history', () => {
  before(async () => {
    await initParser();
  });

  it('equals a full replay, asked in version order, in reverse, and shuffled', () => {
    const files = folder();
    const names = Object.keys(files).sort();
    checkAll(files, names);
    checkAll(files, [...names].reverse());
    checkAll(files, names.map((n, i) => names[(i * 7) % names.length]));
  });

  it('follows a changed file on a new host, before and after the change', () => {
    const files = folder();
    const names = Object.keys(files).sort();
    checkAll(files, names);
    const last = names[names.length - 1];
    const lastDoc = (h: ProjectHost, f: Record<string, string>) => describeMigration(last, f[last], h);
    const first = createMemoryHost(files);
    const was = plain(historyBefore(lastDoc(first, files), first));
    // Migration 5 now adds a column: every later file's history shows it (a new host, as the server makes per lint).
    const changed = { ...files, [names[5]]: dbmate('ALTER TABLE t5 ADD COLUMN added text NOT NULL;\nALTER TABLE t5 ALTER COLUMN a TYPE bigint;') };
    checkAll(changed, [...names].reverse());
    const second = createMemoryHost(changed);
    const now = plain(historyBefore(lastDoc(second, changed), second));
    assert.notDeepEqual(now, was);
    assert.equal((now.t5 as any).added.notNull, true);
    // And back: the old text gives the old states again.
    const third = createMemoryHost(files);
    assert.deepEqual(plain(historyBefore(lastDoc(third, files), third)), was);
  });

  it('a new file in the folder and a removed one', () => {
    const files = folder();
    const names = Object.keys(files).sort();
    checkAll(files, names);
    const added = { ...files, [path.join(DIR, '20240101000010_inserted.sql')]: dbmate('ALTER TABLE t1 ADD COLUMN inserted int NOT NULL;') };
    checkAll(added, Object.keys(added).sort());
    const removed = { ...files };
    delete removed[names[3]];
    checkAll(removed, Object.keys(removed).sort().reverse());
  });

  it('diesel folders with the initial setup beside dashed and suffixed timestamps (plain before dated)', () => {
    const root = path.resolve('/virtual/history/diesel/migrations');
    const files: Record<string, string> = {
      [path.join(root, '00000000000000_diesel_initial_setup/up.sql')]: 'CREATE TABLE setup (id int);\n',
      [path.join(root, '00000000000000_diesel_initial_setup/down.sql')]: 'DROP TABLE setup;\n',
    };
    const stamps = ['2019-01-01-000000', '2019-01-02-000000', '2020-05-05-101010', '2025-09-19-132648-0000', '2025-10-01-000000-0000', '2025-10-01-000001'];
    stamps.forEach((stamp, i) => {
      files[path.join(root, `${stamp}_m${i}/up.sql`)] = i === 0 ? 'CREATE TABLE users (id int, name text);\n' : `ALTER TABLE users ALTER COLUMN name TYPE varchar(${10 + i});\nALTER TABLE users ADD COLUMN c${i} int;\n`;
      files[path.join(root, `${stamp}_m${i}/down.sql`)] = 'SELECT 1;\n';
    });
    const names = Object.keys(files).sort();
    checkAll(files, names, 'diesel');
    checkAll(files, [...names].reverse(), 'diesel');
  });

  it('versions compareVersions does not order totally fall back to the full replay, with the same answer', () => {
    const files: Record<string, string> = {};
    for (const [version, up] of [
      ['1', 'CREATE TABLE a (x int);'],
      ['2019-01-01-000000', 'ALTER TABLE a ALTER COLUMN x TYPE bigint;'],
      ['99999999999999999999', 'ALTER TABLE a ADD COLUMN y int NOT NULL;'],
      ['3', 'ALTER TABLE a ALTER COLUMN x SET NOT NULL;'],
    ]) {
      files[path.join(DIR, `${version}_m.sql`)] = dbmate(up);
    }
    const names = Object.keys(files);
    checkAll(files, names);
    checkAll(files, [...names].reverse());
  });
});

/** Statements of every kind the history reads, near misses it does not, and odd but valid spellings. */
const VARIED = [
  'CREATE TABLE t (id bigint PRIMARY KEY, a int, b text NOT NULL, c int)',
  'create /* a comment */ table -- and another\n u (x int, y int)',
  'CREATE GLOBAL TEMPORARY TABLE g (x int NOT NULL)',
  'CREATE LOCAL TEMP TABLE lt (x int)',
  'CREATE UNLOGGED TABLE ul (x int NOT NULL)',
  'CREATE TABLE IF NOT EXISTS t2 (LIKE t)',
  'CREATE TABLE p1 PARTITION OF t2 FOR VALUES IN (1)',
  'CREATE TABLE "create" (x int)',
  'CREATE TABLE ctas AS SELECT 1 AS x',
  'CREATE UNLOGGED MATERIALIZED VIEW mv AS SELECT 1 AS x',
  'CREATE MATERIALIZED VIEW mv2 AS SELECT 1 AS x',
  'CREATE SCHEMA s CREATE TABLE inner_t (x int)',
  'CREATE "table" (x int)',
  'CREATE VIEW v AS SELECT id, a FROM t',
  'CREATE TEMP VIEW tv AS SELECT 1 AS a',
  'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ CREATE TABLE x (y int) $$',
  'CREATE INDEX i ON t (a)',
  'CREATE FOREIGN TABLE ft (x int) SERVER srv',
  'INSERT INTO t (id) VALUES (1)',
  'SELECT * INTO selected FROM t',
  'WITH w AS (SELECT 1) SELECT * FROM w',
  'EXPLAIN CREATE TABLE e AS SELECT 1',
  'ALTER TABLE t ADD COLUMN d int NOT NULL DEFAULT 0, ALTER COLUMN a TYPE bigint',
  'alter /* x */ table ONLY t alter column b drop not null',
  'ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY (c)',
  'ALTER TABLE IF EXISTS t RENAME COLUMN a TO a2',
  'ALTER TABLE u RENAME TO u2',
  'ALTER TABLE u2 RENAME y TO y2',
  'ALTER VIEW v RENAME COLUMN a TO a3',
  'ALTER VIEW v ALTER COLUMN id SET DEFAULT 1',
  'ALTER MATERIALIZED VIEW mv RENAME COLUMN x TO x2',
  'ALTER FOREIGN TABLE ft RENAME COLUMN x TO x2',
  'ALTER FOREIGN TABLE ft ADD COLUMN y int',
  'ALTER INDEX i RENAME TO i2',
  'ALTER TYPE ty RENAME ATTRIBUTE a TO b',
  'ALTER SEQUENCE sq OWNED BY t.id',
  'ALTER TABLE t SET SCHEMA s2',
  '"ALTER" TABLE t ADD COLUMN q int',
  'DROP VIEW v',
  'DROP FOREIGN TABLE ft',
  'DROP TABLE IF EXISTS g, lt CASCADE',
  'drop -- comment\n TABLE ul',
  'DROP INDEX i2',
  "COMMENT ON TABLE t IS 'x'",
  "ALTER TABLE t ADD COLUMN unterminated text DEFAULT 'oops",
];

describe('history: only the statements it reads are parsed', () => {
  before(async () => {
    await initParser();
  });

  it('replaying the statements readByHistory passes over changes nothing, and none creates a relation', () => {
    const text = VARIED.join(';\n');
    const statements = splitStatements(text).statements;
    assert.equal(statements.length, VARIED.length);
    const full: ColumnStates = new Map();
    const filtered: ColumnStates = new Map();
    let skipped = 0;
    for (const raw of statements) {
      const source = text.slice(raw.span.start, raw.span.end);
      const node = raw.unterminated ? undefined : parseStatement(source).nodes[0];
      const read = !raw.unterminated && readByHistory(text, raw.tokens);
      if (!read) {
        skipped++;
        // createdByEarlierParts reads these two from the same nodes.
        assert.equal(node?.CreateStmt, undefined, source);
        assert.equal(node?.CreateTableAsStmt, undefined, source);
        // Applied to a copy of the states so far, the node changes nothing.
        const probe = copyStates(full);
        replay(probe, node);
        assert.deepEqual(plain(probe), plain(full), source);
      }
      replay(full, node);
      replay(filtered, read ? node : undefined);
      assert.deepEqual(plain(filtered), plain(full), source);
    }
    assert.ok(skipped >= 20, `only ${skipped} statements passed over`);
    // The replay saw renames through views, drops and the odd spellings.
    const states = plain(full);
    assert.deepEqual(Object.keys(states.t).sort(), ['a2', 'b', 'c', 'd', 'id']);
    assert.equal((states.t.b as any).notNull, false);
    assert.ok(states.u2 && 'y2' in states.u2 && !states.u && !states.g && !states.lt && !states.ul);
    assert.ok(states.v && states.create);
  });

  it('the keywords decide, not identifiers that spell them', () => {
    const read = (sql: string) => readByHistory(sql, splitStatements(sql).statements[0].tokens);
    assert.equal(read('CREATE TABLE "view" (x int)'), true);
    assert.equal(read('CREATE "table" (x int)'), false);
    assert.equal(read('/* CREATE TABLE */ INSERT INTO "table" VALUES (1)'), false);
    assert.equal(read('-- DROP TABLE t\nDROP VIEW v'), false);
    assert.equal(read('CREATE TEMP SEQUENCE s'), false);
    assert.equal(read('ALTER /* TABLE */ INDEX i RENAME TO j'), false);
  });
});
