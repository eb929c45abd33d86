// The up/down round trip on a real PostgreSQL: a down that forgets an index, a down that loses rows
// (with a seed), a clean migration, a busy dev database (the copy falls back to an empty database with
// the applied migrations replayed), --all, and the throwaway database is gone after every run —
// including a failing one.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roundTrip } from '../../server/src/engine/prove/roundtrip';
import { up } from '../../server/src/engine/runner/commands';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, optionsFor } from '../runner/helpers';
import { describeFindings, proveOptions, throwawaysOn } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

const USERS = dbmateFile(
  "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, name text);\nINSERT INTO users (email, name) SELECT 'u' || g || '@example.com', 'user ' || g FROM generate_series(1, 25) g;",
  'DROP TABLE users;',
);

describe('zdm roundtrip', () => {
  it('catches a down that forgets an index, on the down section, and drops its throwaway database', async () => {
    const db = await pg.createDatabase('rt_index');
    const project = createProject({
      'db/migrations/20240101000000_users.sql': USERS,
      'db/migrations/20240102000000_email_index.sql': dbmateFile("SET lock_timeout = '5s';\nCREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;", 'ALTER TABLE users DROP COLUMN active;'),
    });
    const options = optionsFor(project, pg.url(db));
    assert.equal((await up({ ...options, to: '20240101000000' })).ok, true);

    const result = await roundTrip(proveOptions(project, pg.url(db)));
    assert.equal(result.ok, false);
    assert.equal(result.throwaway?.base, 'copy');
    assert.equal(result.throwaway?.dropped, true);
    assert.deepEqual(await throwawaysOn(pg), []);
    assert.deepEqual(result.migrations.map((m) => [m.version, m.outcome]), [['20240102000000', 'reapply-failed']]);
    const index = result.findings.find((f) => f.rule === 'roundtrip-schema');
    assert.ok(index, describeFindings(result.findings));
    assert.equal(index.file, project.file('db/migrations/20240102000000_email_index.sql'));
    assert.equal(index.line, 6, 'the line of -- migrate:down');
    assert.match(index.message, /^Index users_email_idx exists after down but not before up/);
    assert.match(index.help ?? '', /DROP INDEX IF EXISTS users_email_idx/);
    const again = result.findings.find((f) => f.rule === 'roundtrip-reapply-failed');
    assert.ok(again);
    assert.match(again.message, /users_email_idx" already exists/);
    // The dev database itself is untouched.
    const devIndexes = await pg.query("SELECT 1 FROM pg_indexes WHERE indexname = 'users_email_idx'", [], db);
    assert.equal(devIndexes.length, 0);
  });

  it('writes the SQL of its suggestions with identifiers quoted where they need it', async () => {
    const db = await pg.createDatabase('rt_quoted');
    const project = createProject({
      'db/migrations/20240101000000_users.sql': USERS,
      'db/migrations/20240102000000_tags.sql': dbmateFile('CREATE SCHEMA "App Data";\nCREATE TABLE "App Data"."UserTags" (id bigint);', 'SELECT 1;'),
    });
    assert.equal((await up({ ...optionsFor(project, pg.url(db)), to: '20240101000000' })).ok, true);
    const result = await roundTrip(proveOptions(project, pg.url(db)));
    const helps = result.findings.map((f) => f.help ?? '');
    assert.ok(helps.some((h) => h.includes('DROP TABLE IF EXISTS "App Data"."UserTags";')), helps.join('\n'));
    assert.ok(helps.some((h) => h.includes('DROP SCHEMA IF EXISTS "App Data";')), helps.join('\n'));
  });

  it('reports the rows a down loses (seed loaded first), and restores nothing it should not', async () => {
    const db = await pg.createDatabase('rt_rows');
    const project = createProject({
      'db/migrations/20240101000000_users.sql': USERS,
      'db/migrations/20240102000000_rename.sql': dbmateFile('ALTER TABLE users RENAME TO accounts;', 'DROP TABLE accounts;\nCREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, name text);'),
      'seed.sql': "INSERT INTO users (email) SELECT 'seed' || g || '@example.com' FROM generate_series(1, 10) g;\n",
    });
    const options = optionsFor(project, pg.url(db));
    await up({ ...options, to: '20240101000000' });

    const result = await roundTrip({ ...proveOptions(project, pg.url(db)), seedFile: 'seed.sql' });
    assert.equal(result.seed?.ok, true);
    assert.equal(result.throwaway?.dropped, true);
    const lost = result.findings.find((f) => f.rule === 'roundtrip-rows-lost');
    assert.ok(lost, describeFindings(result.findings));
    assert.equal(lost.message, 'Table users had 35 rows before up and 0 after down: the round trip lost 35 rows.');
    assert.equal(lost.line, 4);
    assert.deepEqual(result.migrations[0].rowsLost, [{ table: 'public.users', before: 35, after: 0 }]);
    assert.ok(result.findings.some((f) => f.rule === 'roundtrip-sequence-reset' && /users_id_seq/.test(f.message)), describeFindings(result.findings));
    // The seed went into the throwaway copy only.
    const [{ n }] = await pg.query<{ n: string }>('SELECT count(*) AS n FROM users', [], db);
    assert.equal(n, '25');
    assert.deepEqual(await throwawaysOn(pg), []);
  });

  it('says a clean round trip is clean (every object kind restored), and checks each pending migration on top of the previous', async () => {
    const db = await pg.createDatabase('rt_clean');
    const project = createProject({
      'db/migrations/20240101000000_users.sql': USERS,
      'db/migrations/20240102000000_many.sql': dbmateFile(
        [
          "CREATE TYPE mood AS ENUM ('sad', 'ok');",
          'CREATE TABLE notes (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint REFERENCES users (id), body text DEFAULT \'\', m mood);',
          'CREATE INDEX notes_user_idx ON notes (user_id);',
          "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.body := coalesce(NEW.body, ''); RETURN NEW; END $$;",
          'CREATE TRIGGER notes_touch BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION touch();',
          'CREATE VIEW note_users AS SELECT n.id, u.email FROM notes n JOIN users u ON u.id = n.user_id;',
          'ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email LIKE \'%@%\') NOT VALID;',
        ].join('\n'),
        ['ALTER TABLE users DROP CONSTRAINT users_email_check;', 'DROP VIEW note_users;', 'DROP TABLE notes;', 'DROP FUNCTION touch();', 'DROP TYPE mood;'].join('\n'),
      ),
      'db/migrations/20240103000000_rename_column.sql': dbmateFile('ALTER TABLE users RENAME COLUMN name TO full_name;', 'ALTER TABLE users RENAME COLUMN full_name TO name;'),
    });
    const options = optionsFor(project, pg.url(db));
    await up({ ...options, to: '20240101000000' });
    const result = await roundTrip(proveOptions(project, pg.url(db)));
    assert.equal(result.ok, true, describeFindings(result.findings));
    assert.deepEqual(result.findings, []);
    assert.deepEqual(result.migrations.map((m) => m.outcome), ['restored', 'restored']);
    assert.ok(result.migrations.every((m) => m.durations.up !== undefined && m.durations.down !== undefined && m.durations.reapply !== undefined));
    assert.deepEqual(await throwawaysOn(pg), []);
  });

  it('reports what down restores differently: column type, default and nullability, enum values, function body, trigger, view, sequence, column order', async () => {
    const db = await pg.createDatabase('rt_kinds');
    const project = createProject({
      'db/migrations/20240101000000_base.sql': dbmateFile(
        [
          "CREATE TYPE mood AS ENUM ('sad', 'ok');",
          "CREATE TABLE items (id serial PRIMARY KEY, code varchar(10) NOT NULL DEFAULT 'x', note text, qty int);",
          'CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a + 1 $$;',
          'CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;',
          'CREATE TRIGGER items_trg BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION trg();',
          'CREATE VIEW item_codes AS SELECT id, code FROM items;',
          'CREATE SEQUENCE tickets START 100;',
        ].join('\n'),
        'DROP VIEW item_codes; DROP TABLE items; DROP FUNCTION trg(); DROP FUNCTION f(int); DROP TYPE mood; DROP SEQUENCE tickets;',
      ),
      'db/migrations/20240102000000_sloppy.sql': dbmateFile(
        [
          "ALTER TYPE mood ADD VALUE 'happy';",
          'DROP VIEW item_codes;',
          'ALTER TABLE items ALTER COLUMN code TYPE text;',
          'ALTER TABLE items DROP COLUMN note;',
          'CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a + 2 $$;',
          'DROP TRIGGER items_trg ON items;',
          'CREATE VIEW item_codes AS SELECT id, code, qty FROM items;',
          'ALTER SEQUENCE tickets INCREMENT 5;',
        ].join('\n'),
        [
          'DROP VIEW item_codes;',
          'ALTER TABLE items ALTER COLUMN code TYPE varchar(20);',
          'ALTER TABLE items ALTER COLUMN code DROP NOT NULL;',
          'ALTER TABLE items ALTER COLUMN code DROP DEFAULT;',
          'ALTER TABLE items ADD COLUMN note text;',
          'CREATE VIEW item_codes AS SELECT id, code FROM items WHERE qty > 0;',
        ].join('\n'),
      ),
    });
    const options = optionsFor(project, pg.url(db));
    await up({ ...options, to: '20240101000000' });
    const result = await roundTrip(proveOptions(project, pg.url(db)));
    const messages = result.findings.filter((f) => f.rule === 'roundtrip-schema').map((f) => f.message);
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    // ADD VALUE has no inverse: up cannot run again after down.
    assert.deepEqual(result.findings.filter((f) => f.rule !== 'roundtrip-schema').map((f) => f.rule), ['roundtrip-reapply-failed'], describeFindings(result.findings));
    const expect = (re: RegExp) => assert.ok(messages.some((m) => re.test(m)), `${re} not in:\n${messages.join('\n')}`);
    expect(/^Column items\.code differs after down from before up: type character varying\(10\) → character varying\(20\); nullable NOT NULL → NULL; default 'x'::character varying → \(none\)\./);
    expect(/^Type mood differs after down from before up: values enum 'sad', 'ok' → enum 'sad', 'ok', 'happy'\./);
    expect(/^Function f\(a integer\) differs after down from before up: definition md5 \w+ → md5 \w+\./);
    expect(/^Trigger items\.items_trg existed before up and is gone after down/);
    expect(/^View item_codes differs after down from before up: definition .* → .*qty > 0/);
    expect(/^Sequence tickets differs after down from before up: definition .*INCREMENT 1 .* → .*INCREMENT 5 /);
    expect(/^The column order of table items differs: id, code, note, qty before up, id, code, qty, note after down/);
    const order = result.findings.find((f) => /column order/.test(f.message));
    assert.equal(order?.severity, 'info');
    assert.equal(result.migrations[0].outcome, 'reapply-failed');
    assert.deepEqual(await throwawaysOn(pg), []);
  });

  it("a contract's down that brings a NOT NULL column back under a NOT VALID CHECK (as a trio's does) is one info finding, not two errors", async () => {
    const db = await pg.createDatabase('rt_not_null_deferred');
    const project = createProject({
      'db/migrations/20240101000000_accounts.sql': dbmateFile('CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, handle text NOT NULL);', 'DROP TABLE accounts;'),
      // The shape of a zdm trio's contract: its down cannot restore NOT NULL before the backfill's down
      // copies the values back, so it re-creates the column under a NOT VALID check.
      'db/migrations/20240102000000_contract.sql': dbmateFile(
        "SET lock_timeout = '5s';\nALTER TABLE accounts DROP COLUMN email;",
        "SET lock_timeout = '5s';\nALTER TABLE accounts ADD COLUMN email text, ADD CONSTRAINT accounts_email_not_null_check CHECK (email IS NOT NULL) NOT VALID;",
      ),
      // A down that loses NOT NULL with no CHECK in its place is still an error.
      'db/migrations/20240103000000_drop_handle.sql': dbmateFile("SET lock_timeout = '5s';\nALTER TABLE accounts DROP COLUMN handle;", "SET lock_timeout = '5s';\nALTER TABLE accounts ADD COLUMN handle text;"),
    });
    await up({ ...optionsFor(project, pg.url(db)), to: '20240101000000' });
    const result = await roundTrip(proveOptions(project, pg.url(db)));
    const deferred = result.findings.filter((f) => f.rule === 'roundtrip-not-null-deferred');
    assert.equal(deferred.length, 1, describeFindings(result.findings));
    assert.equal(deferred[0].severity, 'info');
    assert.equal(deferred[0].version, '20240102000000');
    assert.match(deferred[0].message, /^Column accounts\.email is back after down without NOT NULL, under a NOT VALID CHECK \(email IS NOT NULL\) instead \(accounts\.accounts_email_not_null_check\)/);
    const contractSchema = result.findings.filter((f) => f.rule === 'roundtrip-schema' && f.version === '20240102000000');
    assert.deepEqual(contractSchema.map((f) => f.severity), ['info'], 'only the column order: ' + describeFindings(contractSchema));
    assert.ok(result.findings.some((f) => f.rule === 'roundtrip-schema' && f.severity === 'error' && f.version === '20240103000000' && /Column accounts\.handle differs after down from before up: nullable NOT NULL → NULL/.test(f.message)), describeFindings(result.findings));
  });

  it('falls back to an empty database with the applied migrations replayed when the dev database has other sessions', async () => {
    const db = await pg.createDatabase('rt_busy');
    const project = createProject({
      'db/migrations/20240101000000_users.sql': USERS,
      'db/migrations/20240102000000_forgets.sql': dbmateFile('CREATE INDEX users_name_idx ON users (name);', 'SELECT 1;'),
    });
    const options = optionsFor(project, pg.url(db));
    await up({ ...options, to: '20240101000000' });
    const { Client } = await import('pg');
    const other = new Client({ connectionString: pg.url(db), application_name: 'someone else' });
    await other.connect();
    try {
      const result = await roundTrip(proveOptions(project, pg.url(db)));
      assert.equal(result.throwaway?.base, 'empty');
      assert.deepEqual(result.replayed, ['20240101000000']);
      assert.ok(result.warnings.some((w) => /needs it to have no other connection, and 1 session is connected: pid \d+ \(someone else\)/.test(w)), result.warnings.join('\n'));
      assert.ok(result.findings.some((f) => f.rule === 'roundtrip-schema' && /users_name_idx/.test(f.message)), describeFindings(result.findings));
      assert.equal(result.throwaway?.dropped, true);
    } finally {
      await other.end();
    }
    assert.deepEqual(await throwawaysOn(pg), []);
  });

  it('--all round-trips every migration from an empty database; a failing up stops it and still drops the database', async () => {
    const db = await pg.createDatabase('rt_all');
    const project = createProject({
      'db/migrations/20240101000000_users.sql': USERS,
      'db/migrations/20240102000000_broken.sql': dbmateFile('ALTER TABLE no_such_table ADD COLUMN x int;', 'ALTER TABLE no_such_table DROP COLUMN x;'),
      'db/migrations/20240103000000_later.sql': dbmateFile('CREATE TABLE later (id int);', 'DROP TABLE later;'),
    });
    const result = await roundTrip({ ...proveOptions(project, pg.url(db)), all: true });
    assert.equal(result.throwaway?.base, 'empty');
    assert.deepEqual(result.migrations.map((m) => [m.version, m.outcome]), [
      ['20240101000000', 'restored'],
      ['20240102000000', 'up-failed'],
      ['20240103000000', 'not-run'],
    ]);
    const failed = result.findings.find((f) => f.rule === 'roundtrip-up-failed');
    assert.equal(failed?.line, 2);
    assert.match(failed?.message ?? '', /relation "no_such_table" does not exist/);
    assert.equal(result.throwaway?.dropped, true);
    assert.deepEqual(await throwawaysOn(pg), []);
  });

  it('split formats: a golang-migrate .down.sql that forgets a column gets the finding on its first line', async () => {
    const db = await pg.createDatabase('rt_golang');
    const project = createProject(
      {
        'migrations/000001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY);\n',
        'migrations/000001_users.down.sql': 'DROP TABLE users;\n',
        'migrations/000002_email.up.sql': 'ALTER TABLE users ADD COLUMN email text;\nALTER TABLE users ADD COLUMN name text;\n',
        'migrations/000002_email.down.sql': 'ALTER TABLE users DROP COLUMN email;\n',
      },
      { migrationsDir: 'migrations' },
    );
    await up({ ...optionsFor(project, pg.url(db)), to: '1' });
    const result = await roundTrip(proveOptions(project, pg.url(db)));
    assert.deepEqual(
      result.findings.map((f) => [f.rule, f.file, f.line]),
      [
        ['roundtrip-schema', project.file('migrations/000002_email.down.sql'), 1],
        ['roundtrip-reapply-failed', project.file('migrations/000002_email.down.sql'), 1],
      ],
      describeFindings(result.findings),
    );
    assert.match(result.findings[0].message, /^Column users\.name exists after down but not before up/);
    assert.deepEqual(await throwawaysOn(pg), []);
  });

  it('with nothing pending, says so', async () => {
    const db = await pg.createDatabase('rt_none');
    const project = createProject({ 'db/migrations/20240101000000_users.sql': USERS });
    const options = optionsFor(project, pg.url(db));
    await up(options);
    const result = await roundTrip(proveOptions(project, pg.url(db)));
    assert.equal(result.ok, true);
    assert.deepEqual(result.migrations, []);
    assert.deepEqual(await throwawaysOn(pg), []);
  });
});
