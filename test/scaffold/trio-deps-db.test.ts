// What else depends on the column a trio replaces or drops, read from the dev database's catalog
// (trio-deps.ts), on a real PostgreSQL through zdm's runner: what the contract's DROP COLUMN does to
// each (fails on a view, a rule, a trigger's UPDATE OF / WHEN, a policy, a generated column, a
// publication, a BEGIN ATOMIC function; a trigger function body then fails at run time; statistics
// and an OWNED BY sequence go silently), and what the trio does about it: warns (the plan, the
// headers, the CLI's stderr), moves an owned sequence to the new column, refuses a partition key, an
// inherited column, a partition and an identity column it would replace.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { defaultConfig } from '../../server/src/engine/config/config';
import { createDiskHost } from '../../server/src/engine/host';
import { rollback, up, type RunnerOptions } from '../../server/src/engine/runner/commands';
import type { RunResult } from '../../server/src/engine/runner/events';
import { completeTrioRequest, readCatalog, trioCatalogOf } from '../../server/src/engine/scaffold/catalog';
import { ScaffoldError } from '../../server/src/engine/scaffold/naming';
import { newTrioFiles, trioSettingsFrom, type TrioRequest } from '../../server/src/engine/scaffold/trio';
import { writeScaffold } from '../../server/src/engine/scaffold/write';
import { zdm } from '../helpers/cli';
import { initParser } from '../helpers/lint';
import { usePostgres } from '../helpers/postgres';

const roots: string[] = [];
const pg = usePostgres({
  setup: initParser,
  cleanup: () => {
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  },
});

function ok(result: RunResult, what: string): void {
  assert.ok(result.ok, `${what} failed: ${JSON.stringify({ error: result.error, steps: result.steps.map((s) => [s.name, s.direction, s.ok, s.error?.message]) }, null, 1)}`);
}

/** The trio generated as the CLI does (the request completed from the catalog), written as dbmate files. */
async function generate(database: string, request: TrioRequest) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-trio-deps-'));
  roots.push(root);
  fs.writeFileSync(path.join(root, '.zdm.json'), JSON.stringify({ format: 'dbmate' }));
  const dir = path.join(root, 'db/migrations');
  fs.mkdirSync(dir, { recursive: true });
  const tables = await readCatalog(pg.url(database));
  completeTrioRequest(request, tables);
  const catalog = trioCatalogOf(tables, request.table);
  assert.ok(catalog, 'the catalog has the table');
  const trio = newTrioFiles({ dir, format: 'dbmate', host: createDiskHost({ cache: false }) }, { ...request, catalog }, trioSettingsFrom({ ...defaultConfig(), format: 'dbmate' }, { batchSize: 500, pauseMs: 0 }));
  writeScaffold(trio.outputs);
  const options: RunnerOptions = { cwd: root, url: pg.url(database), env: {}, embedded: false, yes: true };
  const text = (i: number) => trio.outputs[i].creates.map((c) => c.text).join('\n');
  return { trio, options, text };
}

async function columns(database: string, table = 'users'): Promise<string[]> {
  const rows = await pg.query<{ attname: string }>(`SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, [table], database);
  return rows.map((r) => r.attname);
}

const USERS = `CREATE TABLE users (id bigint PRIMARY KEY, name text, bio text);
INSERT INTO users SELECT g, 'user' || g, NULL FROM generate_series(1, 50) AS g;`;

describe('trio: what else depends on the column (PostgreSQL)', () => {
  it('rename-column: views, a rule, triggers, a policy, a generated column, a publication, a function: named in warnings; the contract fails on them, rolled back', async () => {
    const database = await pg.createDatabase('deps_blocking');
    await pg.query(
      `${USERS}
CREATE VIEW user_names AS SELECT id, name FROM users;
CREATE MATERIALIZED VIEW user_counts AS SELECT name, count(*) FROM users GROUP BY name;
CREATE TABLE name_log (name text);
CREATE RULE users_log AS ON UPDATE TO users DO ALSO INSERT INTO name_log VALUES (NEW.name);
CREATE FUNCTION users_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER users_touch_of BEFORE UPDATE OF name ON users FOR EACH ROW EXECUTE FUNCTION users_touch();
CREATE TRIGGER users_touch_when BEFORE UPDATE ON users FOR EACH ROW WHEN (NEW.bio IS DISTINCT FROM OLD.bio AND NEW.name <> '') EXECUTE FUNCTION users_touch();
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_named ON users USING (name IS NOT NULL);
ALTER TABLE users ADD COLUMN name_upper text GENERATED ALWAYS AS (upper(name)) STORED;
CREATE PUBLICATION users_pub FOR TABLE users (id, name);
CREATE FUNCTION first_name() RETURNS text LANGUAGE sql BEGIN ATOMIC SELECT name FROM users ORDER BY id LIMIT 1; END;
CREATE VIEW user_bios AS SELECT id, bio FROM users;`,
      [],
      database,
    );
    const { trio, options, text } = await generate(database, { kind: 'rename-column', table: { name: 'users' }, column: 'name', to: 'full_name' });
    assert.equal(trio.plan.warnings.length, 1, trio.plan.warnings.join('\n'));
    const [warning] = trio.plan.warnings;
    for (const name of [
      'view user_names',
      'materialized view user_counts',
      'rule users_log on table users',
      'trigger users_touch_of on table users',
      'trigger users_touch_when on table users',
      'policy users_named on table users',
      'the generated column name_upper of table users',
      'publication of table users in publication users_pub',
      'function first_name() (its SQL-standard body)',
    ]) {
      assert.ok(warning.includes(name), `the warning names ${name}: ${warning}`);
    }
    assert.doesNotMatch(warning, /user_bios/); // reads bio, not name
    assert.match(warning, /the contract's DROP COLUMN fails while they do \(2BP01/);
    // In the expand's and the contract's headers too, not the backfill's.
    const flat = (s: string) => s.replace(/\n(--|#) ?/g, ' ');
    assert.match(flat(text(0)), /WARNING \(from the dev database's catalog\): View user_names/);
    assert.match(flat(text(trio.outputs.length - 1)), /WARNING \(from the dev database's catalog\): View user_names/);
    assert.doesNotMatch(text(1), /WARNING/);

    // What PostgreSQL does: the expand and backfill go through; the contract's DROP COLUMN fails on them, and its transaction leaves the table as it was.
    const contract = trio.outputs[trio.outputs.length - 1];
    ok(await up({ ...options, to: trio.outputs[trio.outputs.length - 2].version }), 'expand and backfill');
    const result = await up(options);
    assert.equal(result.ok, false);
    assert.match(JSON.stringify(result), /cannot drop column name of table users because other objects depend on it/);
    assert.deepEqual(await columns(database), ['id', 'name', 'bio', 'name_upper', 'full_name']);
    const applied = await pg.query<{ version: string }>(`SELECT version FROM schema_migrations WHERE version = $1`, [contract.version], database);
    assert.equal(applied.length, 0);
  });

  it('rename-column: a trigger function that names the column in its body is warned about; after the contract it fails every write it fires on', async () => {
    const database = await pg.createDatabase('deps_trigger_body');
    await pg.query(
      `${USERS}
CREATE FUNCTION users_tidy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := btrim(NEW.name); RETURN NEW; END $$;
CREATE TRIGGER users_tidy BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_tidy();
CREATE FUNCTION users_other() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.bio := NEW.bio || ''; RETURN NEW; END $$;
CREATE TRIGGER users_other BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_other();`,
      [],
      database,
    );
    const { trio, options } = await generate(database, { kind: 'rename-column', table: { name: 'users' }, column: 'name', to: 'full_name' });
    assert.equal(trio.plan.warnings.length, 1, trio.plan.warnings.join('\n'));
    assert.match(trio.plan.warnings[0], /^the function of trigger "?users_tidy"? \(users_tidy\(\)\) on users mentions name in its source \(a textual match/);
    assert.match(trio.plan.warnings[0], /fails at run time \(42703/);
    for (const [i, o] of trio.outputs.entries()) ok(await up({ ...options, to: o.version }), `up ${i + 1}`);
    // What PostgreSQL does: the DROP COLUMN went through (no dependency recorded), the trigger now fails.
    await assert.rejects(pg.query(`INSERT INTO users (id, full_name) VALUES (1001, ' x ')`, [], database), /record "new" has no field "name"/);
  });

  for (const swap of [false, true]) {
    it(`${swap ? 'change-type (taking the old name)' : 'rename-column'}: a serial column's sequence (OWNED BY) and default move to the new column; the way back moves them back`, async () => {
      const database = await pg.createDatabase('deps_serial');
      await pg.query(`${USERS}\nALTER TABLE users ADD COLUMN ticket serial;`, [], database);
      const request: TrioRequest = swap
        ? { kind: 'change-type', table: { name: 'users' }, column: 'ticket', type: 'bigint' }
        : { kind: 'rename-column', table: { name: 'users' }, column: 'ticket', to: 'ticket_no' };
      const { trio, options, text } = await generate(database, request);
      const final = swap ? 'ticket' : 'ticket_no';
      assert.deepEqual(trio.plan.warnings, []);
      assert.match(text(trio.outputs.length - 1), /^ALTER SEQUENCE users_ticket_seq OWNED BY users\.(ticket_new|ticket_no);$/m);
      // The generated files lint without errors (the sequence statements included).
      const lint = zdm(['lint', '--format', 'json', 'db/migrations'], options.cwd);
      assert.equal(lint.code, 0, lint.stdout);
      assert.deepEqual(JSON.parse(lint.stdout).filter((f: { severity: string }) => f.severity === 'error'), []);
      for (const [i, o] of trio.outputs.entries()) ok(await up({ ...options, to: o.version }), `up ${i + 1}`);
      // The sequence is still there, owned by the new column, and inserts that leave the column out get its next value.
      const owner = async () =>
        (await pg.query<{ owner: string; def: string | null }>(
          `SELECT a.attname AS owner, pg_get_expr(ad.adbin, ad.adrelid) AS def FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum WHERE d.objid = 'users_ticket_seq'::regclass AND d.deptype = 'a'`,
          [],
          database,
        ))[0];
      assert.deepEqual(await owner(), { owner: final, def: "nextval('users_ticket_seq'::regclass)" });
      await pg.query(`INSERT INTO users (id, name) VALUES (1001, 'new')`, [], database);
      const [row] = await pg.query<{ t: string }>(`SELECT ${final}::text AS t FROM users WHERE id = 1001`, [], database);
      assert.equal(row.t, '51');
      if (swap) assert.deepEqual(await pg.query(`SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'ticket'`, [], database), [{ type: 'bigint' }]);
      // Rolled back: the old column owns it again, with its default.
      for (let i = trio.outputs.length; i > 0; i--) ok(await rollback(options), `down ${i}`);
      assert.deepEqual(await owner(), { owner: 'ticket', def: "nextval('users_ticket_seq'::regclass)" });
      await pg.query(`INSERT INTO users (id, name) VALUES (1002, 'again')`, [], database);
      const [again] = await pg.query<{ t: string }>(`SELECT ticket::text AS t FROM users WHERE id = 1002`, [], database);
      assert.equal(again.t, '52');
    });
  }

  for (const kind of ['rename-column', 'change-type'] as const) {
    it(`${kind}: a nextval default of a sequence the column does not own is given to the new column (the sequence stays)`, async () => {
      const database = await pg.createDatabase('deps_shared_sequence');
      await pg.query(`${USERS}\nCREATE SEQUENCE ticket_numbers;\nALTER TABLE users ADD COLUMN ticket integer DEFAULT nextval('ticket_numbers');\n`, [], database);
      const request: TrioRequest =
        kind === 'change-type' ? { kind, table: { name: 'users' }, column: 'ticket', type: 'bigint' } : { kind, table: { name: 'users' }, column: 'ticket', to: 'ticket_no' };
      const { trio, options } = await generate(database, request);
      assert.deepEqual(trio.plan.warnings, []);
      assert.equal(request.default, "nextval('ticket_numbers'::regclass)");
      for (const [i, o] of trio.outputs.entries()) ok(await up({ ...options, to: o.version }), `up ${i + 1}`);
      const final = kind === 'change-type' ? 'ticket' : 'ticket_no';
      await pg.query(`INSERT INTO users (id, name) VALUES (1001, 'new')`, [], database);
      const [row] = await pg.query<{ t: string | null }>(`SELECT ${final}::text AS t FROM users WHERE id = 1001`, [], database);
      assert.equal(row.t, '51');
    });
  }

  it('drop-column: statistics and an owned sequence go with the column (warned); a view stops the contract (warned)', async () => {
    const database = await pg.createDatabase('deps_drop');
    await pg.query(`${USERS}\nALTER TABLE users ADD COLUMN ticket serial;\nCREATE STATISTICS users_ticket_stats ON id, ticket FROM users;`, [], database);
    const { trio, options } = await generate(database, { kind: 'drop-column', table: { name: 'users' }, column: 'ticket', default: '0' });
    assert.equal(trio.plan.warnings.length, 2, trio.plan.warnings.join('\n'));
    assert.match(trio.plan.warnings[0], /^statistics object users_ticket_stats uses ticket and is dropped with it by the contract, silently/);
    assert.match(trio.plan.warnings[1], /^the sequence users_ticket_seq is owned by ticket \(OWNED BY, a serial\) and is dropped with it by the contract/);
    for (const [i, o] of trio.outputs.entries()) ok(await up({ ...options, to: o.version }), `up ${i + 1}`);
    assert.deepEqual(await pg.query(`SELECT relname FROM pg_class WHERE relname IN ('users_ticket_seq', 'users_ticket_stats') UNION ALL SELECT stxname FROM pg_statistic_ext`, [], database), []);

    const viewed = await pg.createDatabase('deps_drop_view');
    await pg.query(`${USERS}\nCREATE VIEW user_bios AS SELECT id, bio FROM users;`, [], viewed);
    const drop = await generate(viewed, { kind: 'drop-column', table: { name: 'users' }, column: 'bio' });
    assert.equal(drop.trio.plan.warnings.length, 1);
    assert.match(drop.trio.plan.warnings[0], /^view user_bios depends on bio: the contract's DROP COLUMN fails while it does \(2BP01, its transaction rolled back\)\. Change it not to use bio/);
    ok(await up({ ...drop.options, to: drop.trio.outputs[drop.trio.outputs.length - 2].version }), 'expand and backfill');
    const result = await up(drop.options);
    assert.equal(result.ok, false);
    assert.match(JSON.stringify(result), /view user_bios depends on column bio of table users/);
    assert.deepEqual(await columns(viewed), ['id', 'name', 'bio']);
  });

  it('refuses a partition key column, a partition, an inherited column and an identity column it would replace; warns about inheritance children', async () => {
    const database = await pg.createDatabase('deps_refused');
    await pg.query(
      `CREATE TABLE events (id bigint, at date NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2030-01-01');
CREATE TABLE animals (id bigint PRIMARY KEY, name text);
CREATE TABLE dogs (bark text) INHERITS (animals);
CREATE TABLE tickets (id bigint PRIMARY KEY, no bigint GENERATED BY DEFAULT AS IDENTITY, note text);`,
      [],
      database,
    );
    // What PostgreSQL does with each.
    await assert.rejects(pg.query(`ALTER TABLE events DROP COLUMN at`, [], database), /cannot drop column "at" because it is part of the partition key/);
    await assert.rejects(pg.query(`ALTER TABLE events_2020 ADD COLUMN kind2 text`, [], database), /cannot add column to a partition/);
    await assert.rejects(pg.query(`ALTER TABLE dogs DROP COLUMN name`, [], database), /cannot drop inherited column "name"/);

    const refused = async (request: TrioRequest, message: RegExp) => {
      await assert.rejects(generate(database, request), (error: unknown) => {
        assert.ok(error instanceof ScaffoldError, String(error));
        assert.match(error.message, message);
        return true;
      });
    };
    await refused({ kind: 'drop-column', table: { name: 'events' }, column: 'at', key: 'id', default: 'current_date' }, /^No trio can change events\.at \(per the dev database's catalog\): at is in the partition key of events: PostgreSQL cannot drop it/);
    await refused({ kind: 'change-type', table: { name: 'events' }, column: 'at', type: 'timestamptz', key: 'id' }, /at is in the partition key of events/);
    await refused({ kind: 'rename-column', table: { name: 'events_2020' }, column: 'kind', to: 'category', key: 'id' }, /events_2020 is a partition of events: a partition cannot take a column of its own/);
    await refused({ kind: 'rename-column', table: { name: 'dogs' }, column: 'name', to: 'full_name', key: 'id' }, /name is inherited from a parent of dogs: PostgreSQL cannot drop an inherited column/);
    await refused({ kind: 'change-type', table: { name: 'tickets' }, column: 'no', type: 'numeric' }, /no is an identity column: its sequence \(tickets_no_seq\) is internal to it/);

    // A partitioned table's other columns are fine (the trigger reaches its partitions); a parent with
    // inheritance children gets a warning (its trigger does not); an identity column can be dropped, warned.
    assert.deepEqual((await generate(database, { kind: 'rename-column', table: { name: 'events' }, column: 'kind', to: 'category', key: 'id' })).trio.plan.warnings, []);
    const parent = await generate(database, { kind: 'rename-column', table: { name: 'animals' }, column: 'name', to: 'full_name' });
    assert.equal(parent.trio.plan.warnings.length, 1);
    assert.match(parent.trio.plan.warnings[0], /^animals has inheritance children \(dogs\): the trio's trigger is on animals alone/);
    const dropped = await generate(database, { kind: 'drop-column', table: { name: 'tickets' }, column: 'no', default: '0' });
    assert.match(dropped.trio.plan.warnings.join('\n'), /no is an identity column: its sequence is dropped with it by the contract/);
  });

  it('zdm trio prints the warnings on stderr, and a refusal as its error (exit 2)', async () => {
    const database = await pg.createDatabase('deps_cli');
    await pg.query(`${USERS}\nCREATE VIEW user_names AS SELECT id, name FROM users;\nCREATE TABLE parts (id bigint, at date) PARTITION BY RANGE (at);`, [], database);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-trio-deps-cli-'));
    roots.push(dir);
    const env = { ZDM_DATABASE_URL: '', DATABASE_URL: pg.url(database) };
    const r = zdm(['trio', 'rename-column', 'users.name', '--to', 'full_name'], dir, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^zdm trio: warning: view user_names depends on name: the contract's DROP COLUMN fails while it does/m);
    const refused = zdm(['trio', 'drop-column', 'parts.at'], dir, env);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /^zdm trio: No trio can change parts\.at \(per the dev database's catalog\): at is in the partition key of parts/m);
  });
});
