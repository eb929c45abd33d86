// A column replacement trio generated from the dev database's catalog carries the column's indexes and
// constraints over to the new column, on a real PostgreSQL, through zdm's runner: a plain, a partial, a
// multi-column and an expression index, a UNIQUE constraint, a foreign key and a CHECK on the column.
// After the contract, the new column has the same ones (valid, same predicates) and the old ones are
// gone; rolled back all the way, the table has exactly the indexes and constraints it started with.
// Also: new names avoid every relation of the schema; change-type gives the old names back; the index
// migrations rolled back alone leave no index behind; drop-column's way back restores what it dropped.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { defaultConfig } from '../../server/src/engine/config/config';
import { createDiskHost } from '../../server/src/engine/host';
import type { FormatId } from '../../server/src/engine/model';
import { rollback, up, type RunnerOptions } from '../../server/src/engine/runner/commands';
import type { RunResult } from '../../server/src/engine/runner/events';
import { readCatalog, trioCatalogOf } from '../../server/src/engine/scaffold/catalog';
import { newTrioFiles, trioSettingsFrom, type TrioRequest } from '../../server/src/engine/scaffold/trio';
import { writeScaffold } from '../../server/src/engine/scaffold/write';
import { initParser } from '../helpers/lint';
import { usePostgres } from '../helpers/postgres';

const roots: string[] = [];
const pg = usePostgres({
  setup: initParser,
  cleanup: () => {
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  },
});

const SCHEMA = `CREATE TABLE promos (code text PRIMARY KEY);
INSERT INTO promos SELECT 'promo' || g FROM generate_series(1, 1200) AS g;
CREATE TABLE users (
  id bigint PRIMARY KEY,
  org_id bigint NOT NULL,
  code text,
  deleted_at timestamptz,
  CONSTRAINT users_code_key UNIQUE (code),
  CONSTRAINT users_code_fkey FOREIGN KEY (code) REFERENCES promos (code) ON DELETE SET NULL,
  CONSTRAINT users_code_check CHECK (code <> '' AND length(code) <= 20)
);
CREATE INDEX users_code_idx ON users (code DESC NULLS LAST);
CREATE INDEX users_live_code_idx ON users (code) WHERE deleted_at IS NULL AND code <> 'promo1';
CREATE INDEX users_org_id_code_idx ON users (org_id, code) INCLUDE (deleted_at);
CREATE INDEX users_lower_code_idx ON users (lower(code));
CREATE INDEX users_org_id_idx ON users (org_id);
INSERT INTO users SELECT g, g % 7, CASE WHEN g % 4 = 0 THEN NULL ELSE 'promo' || g END, CASE WHEN g % 5 = 0 THEN now() END
FROM generate_series(1, 1200) AS g;`;

/** Every index and constraint of users: name, definition, validity; order-independent. */
async function indexesAndConstraints(database: string): Promise<string[]> {
  const rows = await pg.query<{ item: string }>(
    `SELECT 'index ' || c.relname || ': ' || pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END AS item
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'public.users'::regclass
     UNION ALL
     SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' (not validated)' END
       FROM pg_constraint WHERE conrelid = 'public.users'::regclass AND contype <> 'n'
     ORDER BY 1`,
    [],
    database,
  );
  return rows.map((r) => r.item);
}

function ok(result: RunResult, what: string): void {
  assert.ok(result.ok, `${what} failed: ${JSON.stringify({ error: result.error, steps: result.steps.map((s) => [s.name, s.direction, s.ok, s.error?.message]) }, null, 1)}`);
}

const DIRS: Partial<Record<FormatId, string>> = { dbmate: 'db/migrations', goose: 'migrations' };

async function generate(format: FormatId, database: string, request: TrioRequest) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-trio-carry-'));
  roots.push(root);
  fs.writeFileSync(path.join(root, '.zdm.json'), JSON.stringify({ format }));
  const dir = path.join(root, DIRS[format]!);
  fs.mkdirSync(dir, { recursive: true });
  const catalog = trioCatalogOf(await readCatalog(pg.url(database)), request.table);
  assert.ok(catalog, 'the catalog has users');
  const trio = newTrioFiles({ dir, format, host: createDiskHost({ cache: false }) }, { ...request, catalog }, trioSettingsFrom({ ...defaultConfig(), format }, { batchSize: 500, pauseMs: 0 }));
  writeScaffold(trio.outputs);
  const options: RunnerOptions = { cwd: root, url: pg.url(database), env: {}, embedded: false, yes: true };
  return { trio, options };
}

describe('trio: the column’s indexes and constraints carried over (PostgreSQL)', () => {
  for (const format of ['dbmate', 'goose'] as const) {
    it(`${format}: rename-column re-creates each on the new column, and the way back restores the old ones`, async () => {
      const database = await pg.createDatabase(`carry_${format}`);
      await pg.query(SCHEMA, [], database);
      const before = await indexesAndConstraints(database);
      const { trio, options } = await generate(format, database, { kind: 'rename-column', table: { name: 'users' }, column: 'code', to: 'Promo Code', type: 'text' });
      // dbmate sends a transaction:false migration as one query string: one index build per migration,
      // and one check of it whose down rebuilds the old column's index; goose: one migration for all.
      assert.equal(trio.outputs.length, format === 'dbmate' ? 3 + 5 * 2 : 3 + 1);

      // The index migrations rolled back alone (the contract never ran) leave no index of theirs behind.
      ok(await up({ ...options, to: trio.outputs[1].version }), 'expand and backfill');
      const afterBackfill = await indexesAndConstraints(database);
      ok(await up({ ...options, to: trio.outputs[trio.outputs.length - 2].version }), 'index migrations');
      assert.equal((await indexesAndConstraints(database)).length, afterBackfill.length + 5);
      for (let i = trio.outputs.length - 3; i > 0; i--) ok(await rollback(options), `index migration down ${i}`);
      assert.deepEqual(await indexesAndConstraints(database), afterBackfill);

      for (const [i, o] of trio.outputs.entries()) ok(await up({ ...options, to: o.version }), `up ${i + 1}`);
      assert.deepEqual(await indexesAndConstraints(database), [
        'constraint users_Promo Code_check: CHECK ((("Promo Code" <> \'\'::text) AND (length("Promo Code") <= 20)))',
        'constraint users_Promo Code_fkey: FOREIGN KEY ("Promo Code") REFERENCES promos(code) ON DELETE SET NULL',
        'constraint users_Promo Code_key: UNIQUE ("Promo Code")',
        'constraint users_pkey: PRIMARY KEY (id)',
        'index users_Promo Code_idx: CREATE INDEX "users_Promo Code_idx" ON public.users USING btree ("Promo Code" DESC NULLS LAST)',
        'index users_Promo Code_key: CREATE UNIQUE INDEX "users_Promo Code_key" ON public.users USING btree ("Promo Code")',
        'index users_live_Promo Code_idx: CREATE INDEX "users_live_Promo Code_idx" ON public.users USING btree ("Promo Code") WHERE ((deleted_at IS NULL) AND ("Promo Code" <> \'promo1\'::text))',
        'index users_lower_Promo Code_idx: CREATE INDEX "users_lower_Promo Code_idx" ON public.users USING btree (lower("Promo Code"))',
        'index users_org_id_Promo Code_idx: CREATE INDEX "users_org_id_Promo Code_idx" ON public.users USING btree (org_id, "Promo Code") INCLUDE (deleted_at)',
        'index users_org_id_idx: CREATE INDEX users_org_id_idx ON public.users USING btree (org_id)',
        'index users_pkey: CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)',
      ]);
      // They hold: the copied values are unique, and a duplicate or an unknown promo is refused.
      await assert.rejects(pg.query(`INSERT INTO users (id, org_id, "Promo Code") VALUES (5001, 1, 'promo1')`, [], database), /users_Promo Code_key/);
      await assert.rejects(pg.query(`INSERT INTO users (id, org_id, "Promo Code") VALUES (5002, 1, 'nope')`, [], database), /users_Promo Code_fkey/);
      await assert.rejects(pg.query(`INSERT INTO users (id, org_id, "Promo Code") VALUES (5003, 1, '')`, [], database), /users_Promo Code_check/);

      // The contract can be rolled back and applied again (its down keeps the UNIQUE constraint: a transaction cannot rebuild its index).
      const afterContract = await indexesAndConstraints(database);
      ok(await rollback(options), 'contract down');
      ok(await up({ ...options, to: trio.outputs[trio.outputs.length - 1].version }), 'contract up again');
      assert.deepEqual(await indexesAndConstraints(database), afterContract);

      for (let i = trio.outputs.length; i > 0; i--) ok(await rollback(options), `down ${i}`);
      assert.deepEqual(await indexesAndConstraints(database), before);
      const values = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM users WHERE code IS NOT NULL`, [], database);
      assert.equal(values[0].n, '900');
    });
  }

  it('dbmate: a table with a constraint trigger (whose pg_get_constraintdef is only TRIGGER) still gets its trio, the trigger left as it is', async () => {
    const database = await pg.createDatabase('carry_trigger');
    await pg.query(
      SCHEMA +
        `\nCREATE FUNCTION users_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER users_audit AFTER UPDATE ON users DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION users_audit();`,
      [],
      database,
    );
    const { trio, options } = await generate('dbmate', database, { kind: 'rename-column', table: { name: 'users' }, column: 'code', to: 'promo_code', type: 'text' });
    assert.equal(trio.outputs.length, 3 + 5 * 2);
    for (const [i, o] of trio.outputs.entries()) ok(await up({ ...options, to: o.version }), `up ${i + 1}`);
    const triggers = await pg.query<{ tgname: string }>(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.users'::regclass AND tgconstraint <> 0 AND NOT tgisinternal`, [], database);
    assert.deepEqual(triggers, [{ tgname: 'users_audit' }]);
  });

  it('dbmate: new names avoid every relation of the schema (another table’s index, a sequence), not only the table’s own', async () => {
    const database = await pg.createDatabase('carry_names');
    await pg.query(
      `CREATE TABLE users (id bigint PRIMARY KEY, code text, CONSTRAINT users_code_key UNIQUE (code));
       CREATE INDEX users_code_idx ON users (code);
       CREATE TABLE archived_users (id bigint PRIMARY KEY, promo text);
       CREATE INDEX users_promo_idx ON archived_users (promo);
       CREATE SEQUENCE users_promo_key;
       INSERT INTO users SELECT g, 'c' || g FROM generate_series(1, 300) AS g;`,
      [],
      database,
    );
    const { trio, options } = await generate('dbmate', database, { kind: 'rename-column', table: { name: 'users' }, column: 'code', to: 'promo', type: 'text' });
    for (const [i, o] of trio.outputs.entries()) ok(await up({ ...options, to: o.version }), `up ${i + 1}`);
    assert.deepEqual(await indexesAndConstraints(database), [
      'constraint users_pkey: PRIMARY KEY (id)',
      'constraint users_promo_key_1: UNIQUE (promo)',
      'index users_pkey: CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)',
      'index users_promo_idx_1: CREATE INDEX users_promo_idx_1 ON public.users USING btree (promo)',
      'index users_promo_key_1: CREATE UNIQUE INDEX users_promo_key_1 ON public.users USING btree (promo)',
    ]);
    const others = await pg.query<{ d: string }>(`SELECT pg_get_indexdef('users_promo_idx'::regclass) AS d`, [], database);
    assert.equal(others[0].d, 'CREATE INDEX users_promo_idx ON public.archived_users USING btree (promo)');
  });

  for (const format of ['dbmate', 'goose'] as const) {
    it(`${format}: drop-column's way back restores the column's indexes and constraints`, async () => {
      const database = await pg.createDatabase(`restore_${format}`);
      await pg.query(
        `CREATE TABLE promos (code text PRIMARY KEY);
         INSERT INTO promos SELECT 'promo' || g FROM generate_series(1, 1200) AS g;
         CREATE TABLE users (id bigint PRIMARY KEY, org_id bigint NOT NULL, legacy text NOT NULL,
           CONSTRAINT users_legacy_key UNIQUE (legacy),
           CONSTRAINT users_legacy_fkey FOREIGN KEY (legacy) REFERENCES promos (code),
           CONSTRAINT users_legacy_check CHECK (legacy <> ''));
         CREATE INDEX users_org_id_legacy_idx ON users (org_id, legacy DESC);
         CREATE INDEX users_linked_idx ON users (id) WHERE legacy <> 'promo1';
         CREATE INDEX users_org_id_idx ON users (org_id);
         INSERT INTO users SELECT g, g % 7, 'promo' || g FROM generate_series(1, 1200) AS g;`,
        [],
        database,
      );
      const before = await indexesAndConstraints(database);
      // NOT NULL: the contract's down brings the column back holding the default in every row, where a
      // unique index cannot be built: the rebuilds wait for the backfill's down to put the values back.
      const { trio, options } = await generate(format, database, { kind: 'drop-column', table: { name: 'users' }, column: 'legacy', type: 'text', notNull: true, default: "'x'" });
      assert.equal(trio.outputs.length, format === 'dbmate' ? 3 + 3 : 3 + 1);
      for (const [i, o] of trio.outputs.entries()) ok(await up({ ...options, to: o.version }), `up ${i + 1}`);
      const dropped = [
        'constraint users_pkey: PRIMARY KEY (id)',
        'index users_org_id_idx: CREATE INDEX users_org_id_idx ON public.users USING btree (org_id)',
        'index users_pkey: CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)',
      ];
      assert.deepEqual(await indexesAndConstraints(database), dropped);
      ok(await rollback(options), 'contract down');
      ok(await up({ ...options, to: trio.outputs[trio.outputs.length - 1].version }), 'contract up again');
      assert.deepEqual(await indexesAndConstraints(database), dropped);

      for (let i = trio.outputs.length; i > 0; i--) ok(await rollback(options), `down ${i}`);
      assert.deepEqual(await indexesAndConstraints(database), before);
      const values = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM users WHERE legacy = 'promo' || id`, [], database);
      assert.equal(values[0].n, '1200');
    });
  }

  for (const format of ['dbmate', 'goose'] as const) {
    it(`${format}: change-type (the new column takes the old name) carries them over to the converted column`, async () => {
      const database = await pg.createDatabase(`carry_type_${format}`);
      await pg.query(
        `CREATE TABLE levels (value integer PRIMARY KEY);
         INSERT INTO levels SELECT g FROM generate_series(0, 1000) AS g;
         CREATE TABLE users (id bigint PRIMARY KEY, team integer NOT NULL, score integer NOT NULL,
           CONSTRAINT users_score_key UNIQUE (score), CONSTRAINT users_score_fkey FOREIGN KEY (score) REFERENCES levels (value),
           CONSTRAINT users_score_check CHECK (score >= 0));
         CREATE INDEX users_score_idx ON users (score) WHERE score > 10;
         CREATE INDEX users_team_score_idx ON users (team, score DESC);
         CREATE INDEX users_score_abs_idx ON users (abs(score - 500));
         INSERT INTO users SELECT g, g % 3, g FROM generate_series(1, 1000) AS g;`,
        [],
        database,
      );
      const before = await indexesAndConstraints(database);
      const { trio, options } = await generate(format, database, { kind: 'change-type', table: { name: 'users' }, column: 'score', type: 'bigint', fromType: 'integer', notNull: true });
      for (const [i, o] of trio.outputs.entries()) ok(await up({ ...options, to: o.version }), `up ${i + 1}`);
      // The converted column took the old name, and its indexes and constraints the old ones' names.
      const converted = [
        'constraint users_pkey: PRIMARY KEY (id)',
        'constraint users_score_check: CHECK ((score >= 0))',
        'constraint users_score_fkey: FOREIGN KEY (score) REFERENCES levels(value)',
        'constraint users_score_key: UNIQUE (score)',
        'index users_pkey: CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)',
        'index users_score_abs_idx: CREATE INDEX users_score_abs_idx ON public.users USING btree (abs((score - 500)))',
        'index users_score_idx: CREATE INDEX users_score_idx ON public.users USING btree (score) WHERE (score > 10)',
        'index users_score_key: CREATE UNIQUE INDEX users_score_key ON public.users USING btree (score)',
        'index users_team_score_idx: CREATE INDEX users_team_score_idx ON public.users USING btree (team, score DESC)',
      ];
      assert.deepEqual(await indexesAndConstraints(database), converted);
      const type = await pg.query<{ t: string }>(`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'score'`, [], database);
      assert.equal(type[0].t, 'bigint');
      // The contract rolled back gives the new names back (the old column's constraints come back under theirs), and applied again takes them once more.
      ok(await rollback(options), 'contract down');
      assert.ok((await indexesAndConstraints(database)).includes('constraint users_score_new_key: UNIQUE (score_new)'));
      ok(await up({ ...options, to: trio.outputs[trio.outputs.length - 1].version }), 'contract up again');
      assert.deepEqual(await indexesAndConstraints(database), converted);
      for (let i = trio.outputs.length; i > 0; i--) ok(await rollback(options), `down ${i}`);
      assert.deepEqual(await indexesAndConstraints(database), before);
    });
  }
});
