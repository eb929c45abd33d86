// up, rollback, redo and status on every runnable format, against a real PostgreSQL: the schema
// changes, the tool's own tracking table is kept the way the tool keeps it, re-running up is a no-op.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redo, rollback, status, up } from '../../server/src/engine/runner/commands';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, optionsFor, rowsOf, schemaOf } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

const A = { up: 'CREATE TABLE authors (id bigint PRIMARY KEY, name text NOT NULL);', down: 'DROP TABLE authors;' };
const B = { up: 'CREATE TABLE books (id bigint PRIMARY KEY, author_id bigint NOT NULL REFERENCES authors (id));', down: 'DROP TABLE books;' };
const C = { up: 'CREATE INDEX books_author_idx ON books (author_id);\nALTER TABLE books ADD COLUMN title text;', down: 'ALTER TABLE books DROP COLUMN title;\nDROP INDEX books_author_idx;' };

interface FormatCase {
  format: string;
  config?: Record<string, unknown>;
  files: Record<string, string>;
  /** Versions as written in the file names, oldest first. */
  versions: [string, string, string];
  hasDown: boolean;
  /** The tool's tracking rows, after the migrations of `applied` (indexes into versions) are applied. */
  trackingRows(database: string, applied: number[]): Promise<void>;
}

const cases: FormatCase[] = [
  {
    format: 'dbmate',
    files: {
      'db/migrations/20240101000000_authors.sql': dbmateFile(A.up, A.down),
      'db/migrations/20240102000000_books.sql': dbmateFile(B.up, B.down),
      'db/migrations/20240103000000_books_index.sql': dbmateFile(C.up, C.down),
    },
    versions: ['20240101000000', '20240102000000', '20240103000000'],
    hasDown: true,
    async trackingRows(db, applied) {
      assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), applied.map((i) => JSON.stringify({ version: this.versions[i] })).sort());
    },
  },
  {
    format: 'goose',
    config: { migrationsDir: 'migrations' },
    files: {
      'migrations/00001_authors.sql': `-- +goose Up\n${A.up}\n\n-- +goose Down\n${A.down}\n`,
      'migrations/00002_books.sql': `-- +goose Up\n${B.up}\n\n-- +goose Down\n${B.down}\n`,
      'migrations/00003_books_index.sql': `-- +goose Up\n-- +goose StatementBegin\n${C.up}\n-- +goose StatementEnd\n\n-- +goose Down\n${C.down}\n`,
    },
    versions: ['00001', '00002', '00003'],
    hasDown: true,
    async trackingRows(db, applied) {
      const rows = await rowsOf(pg, db, 'goose_db_version', 'version_id::int AS v, is_applied');
      assert.deepEqual(rows, [0, ...applied.map((i) => i + 1)].map((v) => JSON.stringify({ v, is_applied: true })).sort());
    },
  },
  {
    format: 'golang-migrate',
    config: { migrationsDir: 'migrations' },
    files: {
      'migrations/000001_authors.up.sql': A.up,
      'migrations/000001_authors.down.sql': A.down,
      'migrations/000002_books.up.sql': B.up,
      'migrations/000002_books.down.sql': B.down,
      'migrations/000003_books_index.up.sql': C.up,
      'migrations/000003_books_index.down.sql': C.down,
    },
    versions: ['000001', '000002', '000003'],
    hasDown: true,
    async trackingRows(db, applied) {
      const rows = await rowsOf(pg, db, 'schema_migrations', 'version::int AS version, dirty');
      assert.deepEqual(rows, applied.length === 0 ? [] : [JSON.stringify({ version: Math.max(...applied) + 1, dirty: false })]);
    },
  },
  {
    format: 'diesel',
    config: { migrationsDir: 'migrations' },
    files: {
      'migrations/2024-01-01-000000_authors/up.sql': A.up,
      'migrations/2024-01-01-000000_authors/down.sql': A.down,
      'migrations/2024-01-02-000000_books/up.sql': B.up,
      'migrations/2024-01-02-000000_books/down.sql': B.down,
      'migrations/2024-01-03-000000_books_index/up.sql': C.up,
      'migrations/2024-01-03-000000_books_index/down.sql': C.down,
    },
    versions: ['2024-01-01-000000', '2024-01-02-000000', '2024-01-03-000000'],
    hasDown: true,
    async trackingRows(db, applied) {
      const rows = await rowsOf(pg, db, '__diesel_schema_migrations', 'version');
      assert.deepEqual(rows, applied.map((i) => JSON.stringify({ version: this.versions[i].replace(/-/g, '') })).sort());
    },
  },
  {
    format: 'flyway',
    config: { migrationsDir: 'sql' },
    files: {
      'sql/V1__authors.sql': A.up,
      'sql/U1__authors.sql': A.down,
      'sql/V2__books.sql': B.up,
      'sql/U2__books.sql': B.down,
      'sql/V3__books_index.sql': C.up,
      'sql/U3__books_index.sql': C.down,
    },
    versions: ['1', '2', '3'],
    hasDown: true,
    async trackingRows(db, applied) {
      // Flyway's history is append-only: the latest successful row of each version decides.
      const rows = await pg.query<{ version: string; type: string }>(
        `SELECT DISTINCT ON (version) version, type FROM flyway_schema_history WHERE success ORDER BY version, installed_rank DESC`,
        [],
        db,
      );
      const appliedNow = rows.filter((r) => r.type === 'SQL').map((r) => r.version).sort();
      assert.deepEqual(appliedNow, applied.map((i) => this.versions[i]).sort());
    },
  },
  {
    format: 'prisma',
    config: { migrationsDir: 'prisma/migrations' },
    files: {
      'prisma/migrations/20240101000000_authors/migration.sql': A.up,
      'prisma/migrations/20240102000000_books/migration.sql': B.up,
      'prisma/migrations/20240103000000_books_index/migration.sql': C.up,
    },
    versions: ['20240101000000', '20240102000000', '20240103000000'],
    hasDown: false,
    async trackingRows(db, applied) {
      const rows = await rowsOf(pg, db, '_prisma_migrations', 'migration_name, applied_steps_count, finished_at IS NOT NULL AS finished, length(checksum) AS checksum_length');
      const names = ['20240101000000_authors', '20240102000000_books', '20240103000000_books_index'];
      assert.deepEqual(rows, applied.map((i) => JSON.stringify({ migration_name: names[i], applied_steps_count: 1, finished: true, checksum_length: 64 })).sort());
    },
  },
  {
    format: 'plain',
    config: { migrationsDir: 'migrations', format: 'plain' },
    files: {
      'migrations/001_authors.sql': A.up,
      'migrations/002_books.sql': B.up,
      'migrations/003_books_index.sql': C.up,
    },
    versions: ['001', '002', '003'],
    hasDown: false,
    async trackingRows(db, applied) {
      const rows = await rowsOf(pg, db, 'zdm_migrations', "version, state, format");
      assert.deepEqual(rows, applied.map((i) => JSON.stringify({ version: this.versions[i], state: 'applied', format: 'plain' })).sort());
    },
  },
];

async function tables(database: string): Promise<string[]> {
  return (await pg.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('authors', 'books') ORDER BY 1", [], database)).map((r) => r.t);
}

for (const c of cases) {
  describe(`runner on ${c.format} migrations`, () => {
    it('status, up, re-run up, rollback, redo, rollback --to, up --to', async () => {
      const db = await pg.createDatabase(c.format.replace(/-/g, '_'));
      const project = createProject(c.files, c.config);
      const options = optionsFor(project, pg.url(db), { yes: true });

      let result = await status(options);
      assert.ok(result.ok, explain(result));
      assert.deepEqual(result.status!.map((s) => [s.version, s.state]), c.versions.map((v) => [v, 'pending']));

      result = await up(options);
      assert.ok(result.ok, explain(result));
      assert.equal(result.steps.length, 3);
      assert.deepEqual(await tables(db), ['authors', 'books']);
      assert.ok((await schemaOf(pg, db)).some((s) => s.includes('books_author_idx')));
      await c.trackingRows(db, [0, 1, 2]);
      assert.ok(result.status!.every((s) => s.state === 'applied' && s.appliedAt !== undefined), explain(result));
      for (const step of result.steps) assert.ok(step.statements.every((s) => s.durationMs >= 0 && s.line > 0));

      const schema = await schemaOf(pg, db);
      result = await up(options);
      assert.ok(result.ok, explain(result));
      assert.equal(result.steps.length, 0, 're-running up applies nothing');
      assert.deepEqual(await schemaOf(pg, db), schema);

      result = await status(options);
      assert.deepEqual(result.status!.map((s) => s.state), ['applied', 'applied', 'applied']);

      if (!c.hasDown) {
        result = await rollback(options);
        assert.equal(result.ok, false);
        assert.match(result.error!.message, /no down migration/);
        await c.trackingRows(db, [0, 1, 2]);
        result = await redo(options);
        assert.equal(result.ok, false);
        return;
      }

      result = await rollback(options);
      assert.ok(result.ok, explain(result));
      assert.deepEqual(result.steps.map((s) => [s.version, s.direction]), [[c.versions[2], 'down']]);
      assert.ok(!(await schemaOf(pg, db)).some((s) => s.includes('books_author_idx')));
      await c.trackingRows(db, [0, 1]);
      assert.deepEqual(result.status!.map((s) => s.state), ['applied', 'applied', 'pending']);

      result = await redo(options);
      assert.ok(result.ok, explain(result));
      assert.deepEqual(result.steps.map((s) => [s.version, s.direction]), [[c.versions[1], 'down'], [c.versions[1], 'up']]);
      await c.trackingRows(db, [0, 1]);

      result = await up(options);
      assert.ok(result.ok, explain(result));
      await c.trackingRows(db, [0, 1, 2]);

      result = await rollback({ ...options, to: c.versions[0] });
      assert.ok(result.ok, explain(result));
      assert.deepEqual(result.steps.map((s) => s.version), [c.versions[2], c.versions[1]]);
      assert.deepEqual(await tables(db), ['authors']);
      await c.trackingRows(db, [0]);

      result = await rollback({ ...options, to: '0' });
      assert.ok(result.ok, explain(result));
      assert.deepEqual(await tables(db), []);
      await c.trackingRows(db, []);

      result = await up({ ...options, to: c.versions[1] });
      assert.ok(result.ok, explain(result));
      assert.deepEqual(result.steps.map((s) => s.version), [c.versions[0], c.versions[1]]);
      await c.trackingRows(db, [0, 1]);
      result = await status(options);
      assert.deepEqual(result.status!.map((s) => s.state), ['applied', 'applied', 'pending']);

      result = await rollback({ ...options, through: c.versions[1] });
      assert.ok(result.ok, explain(result));
      assert.deepEqual(result.steps.map((s) => s.version), [c.versions[1]]);
      await c.trackingRows(db, [0]);
    });
  });
}

describe('runner plans', () => {
  it('reports an unknown --to version as bad usage', async () => {
    const db = await pg.createDatabase('unknown_to');
    const project = createProject(cases[0].files);
    const result = await up({ ...optionsFor(project, pg.url(db)), to: '20991231000000' });
    assert.equal(result.ok, false);
    assert.match(result.usageError ?? '', /No migration has version 20991231000000/);
  });

  it('refuses a folder that mixes formats', async () => {
    const db = await pg.createDatabase('mixed');
    const project = createProject({ 'db/migrations/20240101000000_a.sql': dbmateFile(A.up, A.down), 'db/migrations/20240102000000_b.sql': '-- +goose Up\nSELECT 1;\n' });
    const result = await up(optionsFor(project, pg.url(db)));
    assert.match(result.usageError ?? '', /mixes formats/);
  });

  it('refuses when the tracking table belongs to another tool', async () => {
    const db = await pg.createDatabase('other_tool');
    await pg.query('CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)', [], db);
    const project = createProject(cases[0].files);
    const result = await up(optionsFor(project, pg.url(db)));
    assert.equal(result.ok, false);
    assert.match(result.error!.message, /golang-migrate/);
    assert.deepEqual(await tables(db), []);
  });
});

describe('placeholders the tool substitutes', () => {
  it('Flyway: values from flyway.conf, the environment and the built-ins; one without a value stops the migration before anything runs', async () => {
    const db = await pg.createDatabase('flyway_placeholders');
    const project = createProject(
      {
        'flyway.conf': 'flyway.placeholders.table_prefix=app_\nflyway.placeholders.owner=from_conf\n',
        'sql/V1__authors.sql': "CREATE TABLE ${flyway:defaultSchema}.${table_prefix}authors (id bigint PRIMARY KEY, owner text DEFAULT '${owner}', made_by text DEFAULT '${flyway:user}', script text DEFAULT '${flyway:filename}');",
        'sql/V2__books.sql': 'CREATE TABLE ${table_prefix}books (id bigint PRIMARY KEY);\nCREATE TABLE ${table_prefix}${missing_suffix} (id bigint);',
      },
      { migrationsDir: 'sql' },
    );
    const options = optionsFor(project, pg.url(db), { env: { FLYWAY_PLACEHOLDERS_OWNER: 'from_env' } });
    const result = await up(options);
    assert.equal(result.ok, false);
    assert.deepEqual(result.steps.map((s) => [s.version, s.ok]), [['1', true], ['2', false]]);
    const [column] = await pg.query<{ owner: string; made_by: string; script: string }>("INSERT INTO app_authors (id) VALUES (1) RETURNING owner, made_by, script", [], db);
    assert.deepEqual(column, { owner: 'from_env', made_by: 'zdm_test', script: 'V1__authors.sql' }, 'the environment wins over flyway.conf');
    const error = result.error!;
    assert.match(error.message, /No value for the placeholder \$\{missing_suffix\}: nothing was run\. To give it one, set flyway\.placeholders\.missing_suffix in flyway\.conf .*FLYWAY_PLACEHOLDERS_MISSING_SUFFIX/);
    assert.deepEqual([error.file, error.line, error.column], [project.file('sql/V2__books.sql'), 2, 29]);
    // Nothing of V2 ran, and nothing is recorded for it.
    assert.equal((await pg.query("SELECT 1 FROM pg_tables WHERE tablename = 'app_books'", [], db)).length, 0);
    const history = await pg.query<{ version: string; success: boolean }>('SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank', [], db);
    assert.deepEqual(history.map((h) => [h.version, h.success]), [['1', true]]);
  });

  it('Flyway: an error after a placeholder is placed in the file as written', async () => {
    const db = await pg.createDatabase('flyway_placeholder_error');
    const project = createProject(
      {
        'flyway.conf': 'flyway.placeholders.table_prefix=application_\n',
        'sql/V1__authors.sql': 'CREATE TABLE ${table_prefix}authors (id bigint PRIMARY KEY);\nINSERT INTO ${table_prefix}authors (id, no_such_column) VALUES (1, 2);',
      },
      { migrationsDir: 'sql' },
    );
    const result = await up(optionsFor(project, pg.url(db)));
    assert.equal(result.ok, false);
    const error = result.error!;
    assert.match(error.message, /no_such_column/);
    // "INSERT INTO ${table_prefix}authors (id, " is 40 characters: no_such_column starts at column 41.
    assert.deepEqual([error.line, error.column, error.exact], [2, 41, true]);
  });

  it('goose ENVSUB ON: environment variables, with ${VAR:-default}', async () => {
    const db = await pg.createDatabase('goose_envsub');
    const project = createProject({
      'db/migrations/20240101000000_tags.sql': '-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE ${TABLE_NAME} (id bigint PRIMARY KEY, kind text DEFAULT \'${KIND:-plain}\');\n\n-- +goose Down\nDROP TABLE ${TABLE_NAME};\n',
    });
    const result = await up(optionsFor(project, pg.url(db), { env: { TABLE_NAME: 'tags' } }));
    assert.ok(result.ok, explain(result));
    const [row] = await pg.query<{ kind: string }>('INSERT INTO tags (id) VALUES (1) RETURNING kind', [], db);
    assert.equal(row.kind, 'plain');
    assert.ok((await rollback(optionsFor(project, pg.url(db), { env: { TABLE_NAME: 'tags' } }))).ok);
    assert.equal((await pg.query("SELECT 1 FROM pg_tables WHERE tablename = 'tags'", [], db)).length, 0);
  });
});
