// zdm runs sqitch projects, and the real sqitch (installed at test time when missing: helpers/sqitch.ts)
// agrees on one database: what zdm deploys, `sqitch status` sees deployed with the same change ids and
// `sqitch revert` reverts; what sqitch deploys, `zdm status` sees applied and `zdm rollback` reverts.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { Client } from 'pg';
import { runnerLenses } from '../../client/src/runner/lens-targets';
import { runRunnerCommand } from '../../server/src/cli/runner-commands';
import { createDiskHost } from '../../server/src/engine/host';
import { verifyBackfills } from '../../server/src/engine/prove/verify';
import { rollback, status, up } from '../../server/src/engine/runner/commands';
import { parseSqitchPlan } from '../../server/src/engine/runner/sqitch-plan';
import { initParser } from '../../server/src/engine/sql/parser';
import { usePostgres } from '../helpers/postgres';
import { ensureSqitch, type Sqitch } from '../helpers/sqitch';
import { cleanupProjects, createProject, explain, optionsFor, rowsOf, type TestProject } from './helpers';

let sqitch: Sqitch;

const pg = usePostgres({
  setup: () => {
    sqitch = ensureSqitch();
    return initParser();
  },
  cleanup: cleanupProjects,
});

const planner = 'Ann Planner <ann@example.org>';
const PLAN = `%syntax-version=1.0.0
%project=flipr
%uri=https://github.com/example/flipr/

appschema 2024-01-01T10:00:00Z ${planner} # Adds the app schema.
users [appschema] 2024-01-02T10:00:00Z ${planner} # Creates the users table.
@v1.0 2024-01-03T10:00:00Z ${planner} # Tag v1.0.
flips [users appschema] 2024-01-04T10:00:00Z ${planner} # Adds flips.\\nWith a second line.
`;

const FILES: Record<string, string> = {
  'sqitch.plan': PLAN,
  'sqitch.conf': '[core]\n\tengine = pg\n[deploy.variables]\n\tapp_schema = flipr\n',
  'deploy/appschema.sql': '-- Deploy flipr:appschema to pg\n\nCREATE SCHEMA :"app_schema";\n',
  'revert/appschema.sql': '-- Revert flipr:appschema from pg\n\nDROP SCHEMA :"app_schema";\n',
  // As sqitch's templates write them: the script's own transaction.
  'deploy/users.sql': '-- Deploy flipr:users to pg\n-- requires: appschema\n\nBEGIN;\n\nCREATE TABLE :"app_schema".users (\n    nickname  TEXT PRIMARY KEY,\n    password  TEXT NOT NULL\n);\n\nCOMMIT;\n',
  'revert/users.sql': '-- Revert flipr:users from pg\n\nBEGIN;\n\nDROP TABLE :"app_schema".users;\n\nCOMMIT;\n',
  'deploy/flips.sql': "-- Deploy flipr:flips to pg\n\\set max_length 140\nBEGIN;\n\nCREATE TABLE :\"app_schema\".flips (\n    id        BIGINT PRIMARY KEY,\n    nickname  TEXT NOT NULL REFERENCES :\"app_schema\".users(nickname),\n    body      TEXT NOT NULL CHECK (length(body) <= :max_length),\n    kind      TEXT NOT NULL DEFAULT :'app_schema'\n);\n\nCOMMIT;\n",
  'revert/flips.sql': '-- Revert flipr:flips from pg\n\nBEGIN;\n\nDROP TABLE :"app_schema".flips;\n\nCOMMIT;\n',
};

// users reworked after flips: the earlier version's scripts are users@v1.0.sql.
const REWORKED: Record<string, string> = {
  ...FILES,
  'sqitch.plan': `${PLAN}users [users@v1.0] 2024-01-06T10:00:00Z ${planner} # Reworks users: a bio.\n`,
  'deploy/users@v1.0.sql': FILES['deploy/users.sql'],
  'revert/users@v1.0.sql': FILES['revert/users.sql'],
  'deploy/users.sql': '-- Deploy flipr:users to pg\n\nBEGIN;\n\nALTER TABLE :"app_schema".users ADD COLUMN IF NOT EXISTS bio TEXT;\n\nCOMMIT;\n',
  'revert/users.sql': '-- Revert flipr:users from pg\n\nBEGIN;\n\nALTER TABLE :"app_schema".users DROP COLUMN bio;\n\nCOMMIT;\n',
};

interface Db {
  name: string;
  /** db:pg:// target for sqitch, without the password. */
  target: string;
  password: string;
  url: string;
}

async function database(prefix: string): Promise<Db> {
  const name = await pg.createDatabase(prefix);
  const url = pg.url(name);
  const u = new URL(url);
  return { name, url, password: decodeURIComponent(u.password), target: `db:pg://${u.username}@${u.hostname}:${u.port}/${name}` };
}

function runSqitch(project: TestProject, db: Db, ...args: string[]): string {
  const { out, code } = sqitch.run(project.root, db.target, db.password, ...args);
  assert.equal(code, 0, `sqitch ${args.join(' ')} exited ${code}:\n${out}`);
  assert.ok(!out.includes(db.password), 'the password never appears in sqitch output');
  return out;
}

function zdmOptions(project: TestProject, db: Db) {
  return optionsFor(project, db.url, { yes: true, env: sqitch.env(project.root) });
}

/** The registry's rows that do not depend on who or when: what sqitch and zdm must both write. */
async function registry(db: Db): Promise<Record<string, string[]>> {
  const q = (table: string, columns: string) => rowsOf(pg, db.name, `sqitch.${table}`, columns);
  return {
    releases: await q('releases', 'version'),
    projects: await q('projects', 'project, uri'),
    changes: await q('changes', 'change_id, script_hash, change, project, note, planned_at, planner_name, planner_email'),
    tags: await q('tags', 'tag_id, tag, project, change_id, note, planned_at, planner_name, planner_email'),
    dependencies: await q('dependencies', 'change_id, type, dependency, dependency_id'),
    events: await q('events', 'event, change_id, change, project, note, requires, conflicts, tags, planned_at, planner_name, planner_email'),
  };
}

/** The registry's tables as the catalog has them: columns (type, null, default), constraints, indexes, comments. */
async function registryShape(db: Db): Promise<string[]> {
  const rows = await pg.query<{ item: string }>(
    `SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS item
       FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE c.relnamespace = 'sqitch'::regnamespace AND c.relkind = 'r' AND c.relname <> 'zdm_migrations'
     UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'sqitch'::regnamespace AND conrelid NOT IN (SELECT oid FROM pg_class WHERE relname = 'zdm_migrations')
     UNION ALL SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'sqitch' AND tablename <> 'zdm_migrations'
     UNION ALL SELECT 'comment ' || coalesce(obj_description('sqitch'::regnamespace, 'pg_namespace'), '')
     ORDER BY 1`,
    [],
    db.name,
  );
  return rows.map((r) => r.item);
}

async function tablesIn(db: Db, schema: string): Promise<string[]> {
  const rows = await pg.query<{ t: string }>('SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1', [schema], db.name);
  return rows.map((r) => r.t);
}

describe('sqitch projects, against the real sqitch', () => {
  it('zdm deploys as sqitch does: the same registry rows, sqitch status up to date, sqitch revert reverts it', async () => {
    const project = createProject(FILES);
    const [ours, theirs] = [await database('sqitch_zdm'), await database('sqitch_ref')];

    // --to takes a change name (or @tag): up to and including it.
    const first = await up({ ...zdmOptions(project, ours), to: '@v1.0' });
    assert.ok(first.ok, explain(first));
    assert.deepEqual(first.steps.map((s) => [s.name, s.direction, s.ok]), [['appschema', 'up', true], ['users', 'up', true]]);
    const result = await up(zdmOptions(project, ours));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => [s.name, s.direction, s.ok]), [['flips', 'up', true]]);
    // zdm's own bookkeeping sits beside sqitch's tables, in the registry schema.
    assert.ok((await tablesIn(ours, 'sqitch')).includes('zdm_migrations'));
    // The variables and \set reached PostgreSQL with their values.
    assert.deepEqual(await tablesIn(ours, 'flipr'), ['flips', 'users']);
    const [check] = await pg.query<{ def: string }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'flipr.flips'::regclass AND contype = 'c'", [], ours.name);
    assert.match(check.def, /<= 140/);
    const [kind] = await pg.query<{ d: string }>("SELECT column_default AS d FROM information_schema.columns WHERE table_schema = 'flipr' AND table_name = 'flips' AND column_name = 'kind'", [], ours.name);
    assert.equal(kind.d, "'flipr'::text");

    // The real sqitch deploys the same project on another database: the registries must match row for row.
    runSqitch(project, theirs, 'deploy');
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.deepEqual(await registryShape(ours), await registryShape(theirs));
    const rows = await registry(ours);
    assert.equal(rows.changes.length, 3);
    assert.equal(rows.tags.length, 1);
    assert.equal(rows.events.length, 3);

    const st = runSqitch(project, ours, 'status');
    assert.match(st, /Nothing to deploy \(up-to-date\)/);
    assert.match(st, /# Change:\s+[0-9a-f]{40}\n# Name:\s+flips/);
    const zst = await status(zdmOptions(project, ours));
    assert.deepEqual(zst.status!.map((s) => [s.name, s.state]), [['appschema', 'applied'], ['users', 'applied'], ['flips', 'applied']]);

    runSqitch(project, ours, 'revert', '-y');
    assert.deepEqual(await tablesIn(ours, 'flipr'), []);
    const after = await status(zdmOptions(project, ours));
    assert.deepEqual(after.status!.map((s) => [s.name, s.state]), [['appschema', 'pending'], ['users', 'pending'], ['flips', 'pending']]);
  });

  it('sqitch deploys, zdm sees every change applied; zdm rolls one back and sqitch agrees, as the registry sqitch writes', async () => {
    const project = createProject(FILES);
    const [ours, theirs] = [await database('sqitch_first'), await database('sqitch_first_ref')];
    runSqitch(project, ours, 'deploy');
    runSqitch(project, theirs, 'deploy');

    const st = await status(zdmOptions(project, ours));
    assert.ok(st.ok, explain(st));
    assert.deepEqual(st.status!.map((s) => [s.name, s.state]), [['appschema', 'applied'], ['users', 'applied'], ['flips', 'applied']]);

    const back = await rollback(zdmOptions(project, ours));
    assert.ok(back.ok, explain(back));
    assert.deepEqual(back.steps.map((s) => [s.name, s.direction]), [['flips', 'down']]);
    assert.deepEqual(await tablesIn(ours, 'flipr'), ['users']);
    const sq = runSqitch(project, ours, 'status');
    assert.match(sq, /# Name:\s+users\n# Tag:\s+@v1\.0/);
    assert.match(sq, /Undeployed change:\n\s+\* flips/);
    runSqitch(project, theirs, 'revert', '-y', '--to', '@v1.0');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // Rolling back through the tag: sqitch's revert event lists the tag it deleted.
    const twice = await rollback(zdmOptions(project, ours));
    assert.ok(twice.ok, explain(twice));
    runSqitch(project, theirs, 'revert', '-y', '--to', 'appschema');
    assert.deepEqual(await registry(ours), await registry(theirs));
    // And sqitch carries on from where zdm left the database.
    runSqitch(project, ours, 'deploy');
    assert.match(runSqitch(project, ours, 'status'), /Nothing to deploy \(up-to-date\)/);
  });

  it('zdm up --log-only writes the registry sqitch deploy --log-only writes (deploy events), runs no script; rollback --log-only is sqitch revert --log-only', async () => {
    const project = createProject(FILES);
    const [ours, theirs] = [await database('sqitch_log_zdm'), await database('sqitch_log_ref')];

    const logged = await up({ ...zdmOptions(project, ours), to: '@v1.0', logOnly: true });
    assert.ok(logged.ok, explain(logged));
    assert.deepEqual(logged.steps.map((s) => [s.name, s.direction, s.ok, s.logOnly, s.statements.length]), [['appschema', 'up', true, true, 0], ['users', 'up', true, true, 0]]);
    runSqitch(project, theirs, 'deploy', '--log-only', '--to', '@v1.0');
    // No deploy script ran: no flipr schema on either database.
    assert.deepEqual(await pg.query("SELECT nspname FROM pg_namespace WHERE nspname = 'flipr'", [], ours.name), []);
    assert.deepEqual(await pg.query("SELECT nspname FROM pg_namespace WHERE nspname = 'flipr'", [], theirs.name), []);
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.deepEqual((await registry(ours)).events.map((e) => JSON.parse(e).event), ['deploy', 'deploy']);
    assert.deepEqual(await registryShape(ours), await registryShape(theirs));
    // sqitch sees them deployed: only flips is left.
    assert.match(runSqitch(project, ours, 'status'), /Undeployed change:\n\s+\* flips/);

    // The rest, logged on both; then one reverted with --log-only on both.
    assert.ok((await up({ ...zdmOptions(project, ours), logOnly: true })).ok);
    runSqitch(project, theirs, 'deploy', '--log-only');
    assert.deepEqual(await registry(ours), await registry(theirs));
    const back = await rollback({ ...zdmOptions(project, ours), to: 'appschema', logOnly: true });
    assert.ok(back.ok, explain(back));
    assert.deepEqual(back.steps.map((s) => [s.name, s.direction, s.logOnly]), [['flips', 'down', true], ['users', 'down', true]]);
    runSqitch(project, theirs, 'revert', '-y', '--log-only', '--to', 'appschema');
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.deepEqual(await pg.query("SELECT nspname FROM pg_namespace WHERE nspname = 'flipr'", [], ours.name), []);
  });

  it('keeps the registry in the schema sqitch.conf names ([engine "pg"] registry), where sqitch finds it', async () => {
    const project = createProject({ ...FILES, 'sqitch.conf': `${FILES['sqitch.conf']}[engine "pg"]\n\tregistry = meta\n` });
    const db = await database('sqitch_registry');
    const result = await up(zdmOptions(project, db));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await tablesIn(db, 'sqitch'), []);
    assert.deepEqual(await tablesIn(db, 'meta'), ['changes', 'dependencies', 'events', 'projects', 'releases', 'tags', 'zdm_migrations']);
    assert.match(runSqitch(project, db, 'status'), /Nothing to deploy \(up-to-date\)/);
  });

  it('a deploy script that fails is not recorded as deployed: a fail event, as sqitch logs', async () => {
    const project = createProject({
      ...FILES,
      'sqitch.plan': `${PLAN}broken [flips] 2024-01-05T10:00:00Z ${planner} # Fails.\n`,
      'deploy/broken.sql': 'BEGIN;\nCREATE TABLE flipr.half (id int);\nSELECT 1 / 0;\nCOMMIT;\n',
      'revert/broken.sql': 'DROP TABLE flipr.half;\n',
    });
    const db = await database('sqitch_fail');
    const result = await up(zdmOptions(project, db));
    assert.equal(result.ok, false);
    assert.match(result.error?.message ?? '', /division by zero/);
    assert.equal(result.error?.line, 3);
    assert.deepEqual(await tablesIn(db, 'flipr'), ['flips', 'users']);
    const rows = await registry(db);
    assert.deepEqual(rows.changes.map((r) => JSON.parse(r).change).sort(), ['appschema', 'flips', 'users']);
    assert.ok(rows.events.some((r) => JSON.parse(r).event === 'fail' && JSON.parse(r).change === 'broken'), rows.events.join('\n'));
    assert.match(runSqitch(project, db, 'status'), /Undeployed change:\n\s+\* broken/);
    const st = await status(zdmOptions(project, db));
    assert.equal(st.status!.find((s) => s.name === 'broken')?.state, 'failed');
  });

  it('refuses, before anything runs, a meta-command it cannot honour and a variable with no value, naming file and line', async () => {
    const project = createProject({ ...FILES, 'deploy/users.sql': 'BEGIN;\n\\i other.sql\nCREATE TABLE :"app_schema".users (nickname text PRIMARY KEY);\nCOMMIT;\n' });
    const db = await database('sqitch_meta');
    const result = await up(zdmOptions(project, db));
    assert.equal(result.ok, false);
    assert.match(result.error?.message ?? '', /deploy\/users\.sql:2:1: psql meta-command \\i cannot be run by zdm/);
    assert.deepEqual(result.steps, []);
    assert.deepEqual(await tablesIn(db, 'flipr'), [], 'appschema, before it in the plan, did not run either');
    assert.deepEqual((await registry(db)).changes, []);

    const unset = createProject({ ...FILES, 'sqitch.conf': '[core]\n\tengine = pg\n' });
    const other = await database('sqitch_novar');
    const refused = await up(zdmOptions(unset, other));
    assert.equal(refused.ok, false);
    assert.match(refused.error?.message ?? '', /deploy\/appschema\.sql:3:15: the psql variable :app_schema has no value/);
    assert.deepEqual(refused.steps, []);

    // psql's variables that change how it runs the script: AUTOCOMMIT off opens a transaction psql never
    // commits unless the script does; values that keep sqitch's behaviour are fine.
    const autocommit = createProject({ ...FILES, 'deploy/users.sql': '\\set ON_ERROR_STOP 1\n\\set AUTOCOMMIT off\nCREATE TABLE :"app_schema".users (nickname text PRIMARY KEY);\nCOMMIT;\n' });
    const third = await database('sqitch_autocommit');
    const stopped = await up(zdmOptions(autocommit, third));
    assert.equal(stopped.ok, false);
    assert.match(stopped.error?.message ?? '', /deploy\/users\.sql:2:1: \\set AUTOCOMMIT off changes how psql runs the script, which zdm does not follow/);
    assert.deepEqual(stopped.steps, []);
    autocommit.write('deploy/users.sql', '\\set ON_ERROR_STOP 1\n\\set AUTOCOMMIT on\n\\unset AUTOCOMMIT\nCREATE TABLE :"app_schema".users (nickname text PRIMARY KEY);\n');
    const ran = await up(zdmOptions(autocommit, third));
    assert.ok(ran.ok, JSON.stringify(ran.error));
    assert.deepEqual(await tablesIn(third, 'flipr'), ['flips', 'users']);
  });

  it('waits for no sqitch: while sqitch holds its lock on the database, zdm up stops before running anything', async () => {
    const project = createProject(FILES);
    const db = await database('sqitch_lock');
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(75474063)');
      const result = await up(zdmOptions(project, db));
      assert.equal(result.ok, false);
      assert.match(result.error?.message ?? '', /holds sqitch's lock/);
      assert.deepEqual(await tablesIn(db, 'flipr'), []);
    } finally {
      await holder.end();
    }
    const result = await up(zdmOptions(project, db));
    assert.ok(result.ok, explain(result));
  });

  it('runs a reworked change as sqitch does: the earlier version from deploy/users@v1.0.sql, the same registry, and reverts both ways', async () => {
    const project = createProject(REWORKED);
    const [ours, theirs] = [await database('sqitch_rework'), await database('sqitch_rework_ref')];
    const columns = async () => (await pg.query<{ c: string }>("SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'flipr' AND table_name = 'users' ORDER BY ordinal_position", [], ours.name)).map((r) => r.c);

    const result = await up(zdmOptions(project, ours));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => [s.name, s.file.replace(project.root + '/', '')]), [['appschema', 'deploy/appschema.sql'], ['users@v1.0', 'deploy/users@v1.0.sql'], ['flips', 'deploy/flips.sql'], ['users', 'deploy/users.sql']]);
    assert.deepEqual(await columns(), ['nickname', 'password', 'bio']);
    runSqitch(project, theirs, 'deploy');
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.match(runSqitch(project, ours, 'status'), /Nothing to deploy \(up-to-date\)/);

    // The rework's revert script, then the earlier version's (revert/users@v1.0.sql).
    const back = await rollback(zdmOptions(project, ours));
    assert.ok(back.ok, explain(back));
    assert.deepEqual(await columns(), ['nickname', 'password']);
    runSqitch(project, theirs, 'revert', '-y', '--to', 'flips');
    assert.deepEqual(await registry(ours), await registry(theirs));
    const more = await rollback({ ...zdmOptions(project, ours), to: 'appschema' });
    assert.ok(more.ok, explain(more));
    assert.deepEqual(more.steps.map((s) => [s.name, s.file.replace(project.root + '/', '')]), [['flips', 'revert/flips.sql'], ['users@v1.0', 'revert/users@v1.0.sql']]);
    assert.deepEqual(await tablesIn(ours, 'flipr'), []);
    runSqitch(project, theirs, 'revert', '-y', '--to', 'appschema');
    assert.deepEqual(await registry(ours), await registry(theirs));
    const st = await status(zdmOptions(project, ours));
    assert.deepEqual(st.status!.map((s) => [s.name, s.state]), [['appschema', 'applied'], ['users@v1.0', 'pending'], ['flips', 'pending'], ['users', 'pending']]);
    // sqitch deploys the rest from there.
    runSqitch(project, ours, 'deploy');
    assert.deepEqual(await columns(), ['nickname', 'password', 'bio']);
  });

  it('a --to or --through of digits that is a change name is that change, as sqitch reads it (a warning when it is also another position); digits no change has are "Unknown change", as sqitch says; a change id is its change', async () => {
    // sqitch's name rule (App::Sqitch::Plan name_regex) allows names of digits only: 00, 3, 2024 (not 0: its plan reader takes 0 for no name).
    const names = ['00', 'schema', '2024', '3', 'tables'];
    const files: Record<string, string> = {
      'sqitch.plan': `%syntax-version=1.0.0\n%project=digits\n\n${names.map((n, i) => `${n} 2024-01-0${i + 1}T10:00:00Z ${planner} # Change ${n}.\n`).join('')}`,
      'sqitch.conf': '[core]\n\tengine = pg\n',
    };
    for (const n of names) {
      files[`deploy/${n}.sql`] = `CREATE TABLE t_${n} (id int);\n`;
      files[`revert/${n}.sql`] = `DROP TABLE t_${n};\n`;
    }
    const project = createProject(files);
    const [ours, theirs] = [await database('sqitch_digits'), await database('sqitch_digits_ref')];
    const warned = (options: ReturnType<typeof zdmOptions>) => messages(options, 'warning');

    // 3 is the change named 3 (position 4), not position 3 (2024); sqitch deploy --to 3 deploys the same.
    const toThree = zdmOptions(project, ours);
    const first = await up({ ...toThree, to: '3' });
    assert.ok(first.ok, explain(first));
    assert.deepEqual(first.steps.map((s) => s.name), ['00', 'schema', '2024', '3']);
    assert.deepEqual(warned(toThree), ['zdm up --to 3: the change "3" (position 4 in sqitch.plan), as sqitch reads a change name, not the change at position 3 ("2024"): name that one "2024".']);
    runSqitch(project, theirs, 'deploy', '--to', '3');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // 2024 is a name and no position: no warning.
    const through = zdmOptions(project, ours);
    const back = await rollback({ ...through, through: '2024' });
    assert.ok(back.ok, explain(back));
    assert.deepEqual(back.steps.map((s) => s.name), ['3', '2024']);
    assert.deepEqual(warned(through), []);
    runSqitch(project, theirs, 'revert', '-y', '--to', 'schema');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // 5 names no change: "Unknown change", as sqitch deploy --to 5 says (it was zdm's position 5, tables); the message names the change at that position.
    const five = await up({ ...zdmOptions(project, ours), to: '5' });
    assert.equal(five.usageError, 'Unknown change: "5" (sqitch names a change by its name, name@tag, @tag or change id, not by its position: the change at position 5 in sqitch.plan is "tables"); nothing was run.');
    assert.deepEqual(sqitch.run(project.root, theirs.target, theirs.password, 'deploy', '--to', '5'), { out: 'Unknown change: "5"\n', code: 2 });
    const toTables = zdmOptions(project, ours);
    const all = await up({ ...toTables, to: 'tables' });
    assert.ok(all.ok, explain(all));
    assert.deepEqual(all.steps.map((s) => s.name), ['2024', '3', 'tables']);
    assert.deepEqual(warned(toTables), []);
    runSqitch(project, theirs, 'deploy', '--to', 'tables');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // A change id, as sqitch takes it.
    const idOfThree = parseSqitchPlan(files['sqitch.plan']).changes[3].id;
    const byId = await rollback({ ...zdmOptions(project, ours), to: idOfThree });
    assert.ok(byId.ok, explain(byId));
    assert.deepEqual(byId.steps.map((s) => s.name), ['tables']);
    runSqitch(project, theirs, 'revert', '-y', '--to', idOfThree);
    assert.deepEqual(await registry(ours), await registry(theirs));

    // rollback --to 00 (zdm's "everything", as 0), with a change named 00: back to that change, as sqitch revert --to 00; the warning says how to roll back everything.
    const toZero = zdmOptions(project, ours);
    const zero = await rollback({ ...toZero, to: '00' });
    assert.ok(zero.ok, explain(zero));
    assert.deepEqual(zero.steps.map((s) => s.name), ['3', '2024', 'schema']);
    assert.deepEqual(warned(toZero), ['zdm rollback --to 00: the change "00" (position 1 in sqitch.plan), as sqitch reads a change name, not "roll back everything": to roll back every change, roll back through the first one (zdm rollback --through "00").']);
    runSqitch(project, theirs, 'revert', '-y', '--to', '00');
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.deepEqual(await tablesIn(ours, 'public'), ['t_00']);
  });

  it('@HEAD, @ROOT and ~N / ^N offsets: up counts them in the plan, as sqitch deploy; rollback among the deployed changes, as sqitch revert; past either end refused in sqitch\'s words', async () => {
    const project = createProject(FILES);
    const [ours, theirs] = [await database('sqitch_offsets'), await database('sqitch_offsets_ref')];
    const failing = (...args: string[]) => {
      const { out, code } = sqitch.run(project.root, theirs.target, theirs.password, ...args);
      assert.notEqual(code, 0, `sqitch ${args.join(' ')} should fail:\n${out}`);
      return out;
    };

    // up --to @HEAD^: the plan's last change is flips, the one before it users.
    const head = await up({ ...zdmOptions(project, ours), to: '@HEAD^' });
    assert.ok(head.ok, explain(head));
    assert.deepEqual(head.steps.map((s) => s.name), ['appschema', 'users']);
    runSqitch(project, theirs, 'deploy', '--to', '@HEAD^');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // rollback --to @HEAD^: @HEAD is the last deployed change (users), not the plan's last: users is reverted.
    const back = await rollback({ ...zdmOptions(project, ours), to: '@HEAD^' });
    assert.ok(back.ok, explain(back));
    assert.deepEqual(back.steps.map((s) => [s.name, s.direction]), [['users', 'down']]);
    runSqitch(project, theirs, 'revert', '-y', '--to', '@HEAD^');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // Only appschema is deployed: nothing is before it. The plan has a change there: "Change not deployed", as sqitch revert says.
    const none = await rollback({ ...zdmOptions(project, ours), to: '@HEAD^' });
    assert.equal(none.ok, false);
    assert.match(none.error?.message ?? '', /Change not deployed: "@HEAD\^"/);
    assert.match(failing('revert', '-y', '--to', '@HEAD^'), /Change not deployed: "@HEAD\^"/);
    // Past the plan's end: "Unknown change", as sqitch deploy says.
    const past = await up({ ...zdmOptions(project, ours), to: '@HEAD~1' });
    assert.equal(past.ok, false);
    assert.match(past.error?.message ?? '', /Unknown change: "@HEAD~1"/);
    assert.match(failing('deploy', '--to', '@HEAD~1'), /Unknown change: "@HEAD~1"/);
    const before = await up({ ...zdmOptions(project, ours), to: '@ROOT^' });
    assert.equal(before.ok, false);
    assert.match(before.error?.message ?? '', /Unknown change: "@ROOT\^"/);
    assert.match(failing('deploy', '--to', '@ROOT^'), /Unknown change: "@ROOT\^"/);
    // A name the plan has not: "Unknown change" for both, a usage error (it was "No migration has version nosuch").
    const unknownUp = await up({ ...zdmOptions(project, ours), to: 'nosuch' });
    assert.match(unknownUp.usageError ?? '', /^Unknown change: "nosuch"/);
    assert.match(failing('deploy', '--to', 'nosuch'), /Unknown change: "nosuch"/);
    const unknownBack = await rollback({ ...zdmOptions(project, ours), through: 'nosuch' });
    assert.match(unknownBack.usageError ?? '', /^Unknown change: "nosuch"/);
    assert.match(failing('revert', '-y', '--to', 'nosuch'), /Unknown change: "nosuch"/);
    assert.deepEqual(await registry(ours), await registry(theirs));

    // A name with an offset: two changes after appschema in the plan.
    const two = await up({ ...zdmOptions(project, ours), to: 'appschema~2' });
    assert.ok(two.ok, explain(two));
    assert.deepEqual(two.steps.map((s) => s.name), ['users', 'flips']);
    runSqitch(project, theirs, 'deploy', '--to', 'appschema~2');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // @HEAD^^ (two before the last deployed) is appschema; --through @ROOT~ (the change after the first deployed) is users.
    const twoBack = await rollback({ ...zdmOptions(project, ours), to: '@HEAD^^' });
    assert.ok(twoBack.ok, explain(twoBack));
    assert.deepEqual(twoBack.steps.map((s) => s.name), ['flips', 'users']);
    runSqitch(project, theirs, 'revert', '-y', '--to', '@HEAD^^');
    assert.deepEqual(await registry(ours), await registry(theirs));
    const again = await up({ ...zdmOptions(project, ours), to: 'HEAD' });
    assert.ok(again.ok, explain(again));
    assert.deepEqual(again.steps.map((s) => s.name), ['users', 'flips']);
    runSqitch(project, theirs, 'deploy', '--to', 'HEAD');
    const through = await rollback({ ...zdmOptions(project, ours), through: '@ROOT~' });
    assert.ok(through.ok, explain(through));
    assert.deepEqual(through.steps.map((s) => s.name), ['flips', 'users']);
    runSqitch(project, theirs, 'revert', '-y', '--to', 'ROOT');
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.deepEqual(await tablesIn(ours, 'flipr'), []);
  });

  it('the bare name of a reworked change is refused by up as sqitch deploy refuses it (ambiguous, with the tag-qualified names), offsets too; users@HEAD, users@v1.0, users@v1.0^ and a change id still deploy', async () => {
    const project = createProject(REWORKED);
    const [ours, theirs] = [await database('sqitch_ambiguous_up'), await database('sqitch_ambiguous_up_ref')];
    const refused = (...args: string[]) => {
      const { out, code } = sqitch.run(project.root, theirs.target, theirs.password, ...args);
      assert.equal(code, 2, `sqitch ${args.join(' ')} should refuse:\n${out}`);
      return out;
    };
    const ambiguous = 'Change "users" is ambiguous. Please specify a tag-qualified change:\n  * users@HEAD\n  * users@v1.0\n';

    // sqitch deploy looks a name up in the plan: users is planned twice, so it is ambiguous before anything is deployed; an offset is cut first.
    for (const to of ['users', 'users^', 'users~', 'users^1']) {
      assert.ok(refused('deploy', '--to', to).startsWith(`${ambiguous}Change lookup failed`), to);
      const result = await up({ ...zdmOptions(project, ours), to });
      assert.equal(result.ok, false, to);
      assert.equal(result.usageError, `${ambiguous}Nothing was run.`, to);
      assert.deepEqual(result.steps, [], to);
    }
    const st = await status(zdmOptions(project, ours));
    assert.deepEqual(st.status!.map((s) => s.state), ['pending', 'pending', 'pending', 'pending']);
    assert.deepEqual(await tablesIn(ours, 'flipr'), []);
    assert.deepEqual(await pg.query("SELECT 1 FROM pg_namespace WHERE nspname IN ('flipr', 'sqitch')", [], theirs.name), []);

    // The CLI: a usage error (exit 2), as sqitch exits 2.
    let stderr = '';
    const io = { cwd: project.root, stdout: () => undefined, stderr: (t: string) => void (stderr += t), isTTY: false, env: sqitch.env(project.root) };
    assert.equal(await runRunnerCommand('up', ['--to', 'users', '--url', ours.url, '--yes'], io), 2);
    assert.equal(stderr, `zdm up: ${ambiguous}Nothing was run.\n`);

    // The names sqitch offers deploy, as sqitch deploys them.
    for (const to of ['users@v1.0^', 'users@v1.0', parseSqitchPlan(REWORKED['sqitch.plan']).changes[2].id, 'users@HEAD']) {
      const result = await up({ ...zdmOptions(project, ours), to });
      assert.ok(result.ok, `${to}: ${explain(result)}`);
      runSqitch(project, theirs, 'deploy', '--to', to);
      assert.deepEqual(await registry(ours), await registry(theirs), to);
    }
    assert.deepEqual((await status(zdmOptions(project, ours))).status!.map((s) => s.state), ['applied', 'applied', 'applied', 'applied']);
  });

  it('rollback finds the bare name of a reworked change among the deployed changes, as sqitch revert does: ambiguous while both versions are deployed, the one deployed when only one is', async () => {
    const project = createProject(REWORKED);
    const [ours, theirs] = [await database('sqitch_ambiguous_down'), await database('sqitch_ambiguous_down_ref')];
    const refused = (...args: string[]) => {
      const { out, code } = sqitch.run(project.root, theirs.target, theirs.password, ...args);
      assert.equal(code, 2, `sqitch ${args.join(' ')} should refuse:\n${out}`);
      return out;
    };
    const ambiguous = 'Change "users" is ambiguous. Please specify a tag-qualified change:\n  * users@HEAD\n  * users@v1.0\n';
    assert.ok((await up(zdmOptions(project, ours))).ok);
    runSqitch(project, theirs, 'deploy');

    // Both versions deployed: refused, offsets too (sqitch revert's own last line is "Change Lookup Failed").
    for (const to of ['users', 'users^', 'users~']) {
      assert.ok(refused('revert', '-y', '--to', to).startsWith(`${ambiguous}Change Lookup Failed`), to);
      const result = await rollback({ ...zdmOptions(project, ours), to });
      assert.equal(result.ok, false, to);
      assert.equal(result.usageError, `${ambiguous}Nothing was rolled back (sqitch revert looks a name up among the deployed changes: 2 versions of "users" are deployed).`, to);
    }
    const through = await rollback({ ...zdmOptions(project, ours), through: 'users' });
    assert.match(through.usageError ?? '', /^Change "users" is ambiguous\./);
    assert.deepEqual(await registry(ours), await registry(theirs));

    // users@HEAD is the last deployed users (the rework): ^ is flips.
    const head = await rollback({ ...zdmOptions(project, ours), to: 'users@HEAD^' });
    assert.ok(head.ok, explain(head));
    assert.deepEqual(head.steps.map((s) => s.name), ['users']);
    runSqitch(project, theirs, 'revert', '-y', '--to', 'users@HEAD^');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // Only users@v1.0 is deployed: users is it (flips is reverted), not the rework the plan has last.
    const one = await rollback({ ...zdmOptions(project, ours), to: 'users' });
    assert.ok(one.ok, explain(one));
    assert.deepEqual(one.steps.map((s) => s.name), ['flips']);
    runSqitch(project, theirs, 'revert', '-y', '--to', 'users');
    assert.deepEqual(await registry(ours), await registry(theirs));
    const before = await rollback({ ...zdmOptions(project, ours), to: 'users^' });
    assert.ok(before.ok, explain(before));
    assert.deepEqual(before.steps.map((s) => s.name), ['users@v1.0']);
    runSqitch(project, theirs, 'revert', '-y', '--to', 'users^');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // None deployed: the plan has it, so "Change not deployed", as sqitch revert says.
    const none = await rollback({ ...zdmOptions(project, ours), to: 'users^' });
    assert.match(none.usageError ?? '', /^Change not deployed: "users\^"/);
    assert.match(refused('revert', '-y', '--to', 'users^'), /Change not deployed: "users\^"/);
    assert.deepEqual(await registry(ours), await registry(theirs));
  });

  it('rollback --to / --through a change the plan has and the registry has not is refused as sqitch revert refuses it ("Change not deployed", exit 2), names, name@tag, @tag and ids alike; nothing is reverted', async () => {
    const project = createProject(FILES);
    const [ours, theirs] = [await database('sqitch_not_deployed'), await database('sqitch_not_deployed_ref')];
    const sqitchSays = (...args: string[]) => sqitch.run(project.root, theirs.target, theirs.password, ...args);
    const ids = parseSqitchPlan(PLAN).changes.map((c) => c.id);

    // appschema@v1.0 is the last appschema planned up to the tag v1.0 (sqitch's index_of): appschema, as sqitch deploy reads it.
    const first = await up({ ...zdmOptions(project, ours), to: 'appschema@v1.0' });
    assert.ok(first.ok, explain(first));
    assert.deepEqual(first.steps.map((s) => s.name), ['appschema']);
    runSqitch(project, theirs, 'deploy', '--to', 'appschema@v1.0');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // Only appschema is deployed: a planned change, a name@tag or @tag whose tag is not deployed, an offset from one, an undeployed change's id.
    for (const spec of ['users', 'flips', 'users@v1.0', 'appschema@v1.0', '@v1.0', 'flips^', ids[1], ids[2]]) {
      const theirsSay = sqitchSays('revert', '-y', '--to', spec);
      assert.deepEqual(theirsSay, { out: `Change not deployed: "${spec}"\n`, code: 2 }, spec);
      for (const option of ['to', 'through'] as const) {
        const result = await rollback({ ...zdmOptions(project, ours), [option]: spec });
        assert.equal(result.ok, false, `${option} ${spec}`);
        assert.ok(result.usageError?.startsWith(`Change not deployed: "${spec}" (`), `${option} ${spec}: ${explain(result)}`);
        assert.ok(result.usageError?.endsWith('nothing was rolled back.'), `${option} ${spec}`);
        assert.deepEqual(result.steps, [], `${option} ${spec}`);
      }
    }
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.deepEqual((await status(zdmOptions(project, ours))).status!.map((s) => s.state), ['applied', 'pending', 'pending']);

    // The CLI: a usage error (exit 2), as sqitch exits 2; --through says it too.
    for (const option of ['--to', '--through']) {
      let stderr = '';
      const io = { cwd: project.root, stdout: () => undefined, stderr: (t: string) => void (stderr += t), isTTY: false, env: sqitch.env(project.root) };
      assert.equal(await runRunnerCommand('rollback', [option, 'users', '--url', ours.url, '--yes'], io), 2, option);
      assert.ok(stderr.startsWith('zdm rollback: Change not deployed: "users" ('), `${option}: ${stderr}`);
    }

    // The last deployed change: nothing to revert, no error (sqitch: "No changes deployed since", exit 0).
    assert.deepEqual(sqitchSays('revert', '-y', '--to', 'appschema'), { out: 'No changes deployed since: "appschema"\n', code: 0 });
    const last = await rollback({ ...zdmOptions(project, ours), to: 'appschema' });
    assert.ok(last.ok, explain(last));
    assert.deepEqual(last.steps, []);

    // Once v1.0 is deployed, users@v1.0 and @v1.0 are users; appschema@v1.0 is appschema (users is reverted).
    assert.ok((await up({ ...zdmOptions(project, ours), to: '@v1.0' })).ok);
    runSqitch(project, theirs, 'deploy', '--to', '@v1.0');
    for (const spec of ['users@v1.0', '@v1.0']) {
      assert.deepEqual(sqitchSays('revert', '-y', '--to', spec), { out: `No changes deployed since: "${spec}"\n`, code: 0 }, spec);
      const none = await rollback({ ...zdmOptions(project, ours), to: spec });
      assert.ok(none.ok, `${spec}: ${explain(none)}`);
      assert.deepEqual(none.steps, [], spec);
    }
    const toAppschema = await rollback({ ...zdmOptions(project, ours), to: 'appschema@v1.0' });
    assert.ok(toAppschema.ok, explain(toAppschema));
    assert.deepEqual(toAppschema.steps.map((s) => s.name), ['users']);
    runSqitch(project, theirs, 'revert', '-y', '--to', 'appschema@v1.0');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // Not in the plan: flips is planned after v1.0, @v9 and users@v9 name no tag. Refused in sqitch's words, nothing rolled back (before, --through flips@v1.0 rolled back appschema).
    for (const [spec, says] of [['flips@v1.0', 'Unknown change: "flips@v1.0"'], ['@v9', 'Unknown change: "@v9"'], ['users@v9', 'Unknown tag "@v9"']]) {
      assert.deepEqual(sqitchSays('revert', '-y', '--to', spec), { out: `${says}\n`, code: 2 }, spec);
      for (const option of ['to', 'through'] as const) {
        const result = await rollback({ ...zdmOptions(project, ours), [option]: spec });
        assert.ok(result.usageError?.startsWith(says), `${option} ${spec}: ${explain(result)}`);
        assert.deepEqual(result.steps, [], `${option} ${spec}`);
      }
    }
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.deepEqual((await status(zdmOptions(project, ours))).status!.map((s) => s.state), ['applied', 'pending', 'pending']);
  });

  it('a --to / --through no change answers to is "Unknown change" for zdm as for sqitch deploy and revert (exit 2, nothing run): digits (zdm status positions), digits with an offset, an abbreviated or upper-case change id, a name with digits', async () => {
    const project = createProject(FILES);
    const [ours, theirs] = [await database('sqitch_unknown_digits'), await database('sqitch_unknown_digits_ref')];
    const sqitchSays = (...args: string[]) => sqitch.run(project.root, theirs.target, theirs.password, ...args);
    const ids = parseSqitchPlan(PLAN).changes.map((c) => c.id);
    assert.ok((await up({ ...zdmOptions(project, ours), to: 'appschema' })).ok);
    runSqitch(project, theirs, 'deploy', '--to', 'appschema');

    // 2 and 3 are positions in zdm status (users, flips), no change names: sqitch deploy --to 2 says "Unknown change" (zdm deployed users).
    const specs = ['2', '3', '0', '2^', '3~', 'v2users', ids[1].slice(0, 7), ids[1].slice(0, 39), ids[1].toUpperCase()];
    for (const spec of specs) {
      assert.deepEqual(sqitchSays('deploy', '--to', spec), { out: `Unknown change: "${spec}"\n`, code: 2 }, spec);
      const result = await up({ ...zdmOptions(project, ours), to: spec });
      assert.equal(result.ok, false, spec);
      assert.ok(result.usageError?.startsWith(`Unknown change: "${spec}"`), `${spec}: ${explain(result)}`);
      assert.deepEqual(result.steps, [], spec);
    }
    // A position says which change to name.
    const two = await up({ ...zdmOptions(project, ours), to: '2' });
    assert.equal(two.usageError, 'Unknown change: "2" (sqitch names a change by its name, name@tag, @tag or change id, not by its position: the change at position 2 in sqitch.plan is "users"); nothing was run.');
    assert.deepEqual(await registry(ours), await registry(theirs));

    // Everything deployed: sqitch revert --to 1 says "Unknown change" too (zdm rolled back users and flips); --through, which sqitch has not, as well.
    assert.ok((await up(zdmOptions(project, ours))).ok);
    runSqitch(project, theirs, 'deploy');
    for (const spec of ['1', '2', '2^', '1~', 'v2users', ids[0].slice(0, 7), ids[0].slice(0, 39), ids[0].toUpperCase()]) {
      assert.deepEqual(sqitchSays('revert', '-y', '--to', spec), { out: `Unknown change: "${spec}"\n`, code: 2 }, spec);
      for (const option of ['to', 'through'] as const) {
        const result = await rollback({ ...zdmOptions(project, ours), [option]: spec });
        assert.equal(result.ok, false, `${option} ${spec}`);
        assert.ok(result.usageError?.startsWith(`Unknown change: "${spec}"`), `${option} ${spec}: ${explain(result)}`);
        assert.deepEqual(result.steps, [], `${option} ${spec}`);
      }
    }
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.deepEqual((await status(zdmOptions(project, ours))).status!.map((s) => s.state), ['applied', 'applied', 'applied']);

    // The CLI: a usage error (exit 2), as sqitch exits 2.
    for (const command of ['up', 'rollback'] as const) {
      let stderr = '';
      const io = { cwd: project.root, stdout: () => undefined, stderr: (t: string) => void (stderr += t), isTTY: false, env: sqitch.env(project.root) };
      assert.equal(await runRunnerCommand(command, ['--to', '2', '--url', ours.url, '--yes'], io), 2, command);
      assert.ok(stderr.startsWith(`zdm ${command}: Unknown change: "2" (`), `${command}: ${stderr}`);
    }

    // zdm rollback --to 0 stays zdm's "roll back everything" (sqitch revert without --to).
    const all = await rollback({ ...zdmOptions(project, ours), to: '0' });
    assert.ok(all.ok, explain(all));
    assert.deepEqual(all.steps.map((s) => s.name), ['flips', 'users', 'appschema']);
    runSqitch(project, theirs, 'revert', '-y');
    assert.deepEqual(await registry(ours), await registry(theirs));
  });

  it('the rollback CodeLens of a reworked change\'s revert script rolls back that version only, by its change id: refused as sqitch revert refuses it when that version is not deployed (before: users@HEAD, which sqitch revert reads as the deployed users@v1.0)', async () => {
    const project = createProject(REWORKED);
    const [ours, theirs] = [await database('sqitch_rework_lens'), await database('sqitch_rework_lens_ref')];
    const sqitchSays = (...args: string[]) => sqitch.run(project.root, theirs.target, theirs.password, ...args);
    const ids = parseSqitchPlan(REWORKED['sqitch.plan']).changes.map((c) => c.id);
    const lensOf = (file: string) => {
      const full = project.file(file);
      const lenses = runnerLenses(full, fs.readFileSync(full, 'utf8'), createDiskHost({ cache: false }));
      assert.deepEqual(lenses.map((l) => l.command), ['zdm.rollback'], file);
      return lenses[0].target.version;
    };
    // Only the earlier version (users@v1.0) and flips are deployed.
    assert.ok((await up({ ...zdmOptions(project, ours), to: 'flips' })).ok);
    runSqitch(project, theirs, 'deploy', '--to', 'flips');
    // The rework's lens: its version is not deployed, refused as sqitch revert --to <its id> refuses it; nothing rolled back.
    assert.deepEqual(sqitchSays('revert', '-y', '--to', ids[3]), { out: `Change not deployed: "${ids[3]}"\n`, code: 2 });
    const rework = await rollback({ ...zdmOptions(project, ours), through: lensOf('revert/users.sql') });
    assert.equal(rework.ok, false, explain(rework));
    assert.ok(rework.usageError?.startsWith(`Change not deployed: "${ids[3]}" (`), explain(rework));
    assert.deepEqual(rework.steps, []);
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.deepEqual((await status(zdmOptions(project, ours))).status!.map((s) => s.state), ['applied', 'applied', 'applied', 'pending']);

    // The earlier version's lens: through users@v1.0 (flips, then users@v1.0), as sqitch revert --to <its id>^.
    const earlier = await rollback({ ...zdmOptions(project, ours), through: lensOf('revert/users@v1.0.sql') });
    assert.ok(earlier.ok, explain(earlier));
    assert.deepEqual(earlier.steps.map((s) => s.name), ['flips', 'users@v1.0']);
    runSqitch(project, theirs, 'revert', '-y', '--to', `${ids[1]}^`);
    assert.deepEqual(await registry(ours), await registry(theirs));

    // Both versions deployed: the rework's lens rolls back the rework only, as sqitch revert --to <its id>^.
    assert.ok((await up(zdmOptions(project, ours))).ok);
    runSqitch(project, theirs, 'deploy');
    const both = await rollback({ ...zdmOptions(project, ours), through: lensOf('revert/users.sql') });
    assert.ok(both.ok, explain(both));
    assert.deepEqual(both.steps.map((s) => [s.name, s.direction]), [['users', 'down']]);
    runSqitch(project, theirs, 'revert', '-y', '--to', `${ids[3]}^`);
    assert.deepEqual(await registry(ours), await registry(theirs));
    // What the lenses gave: the versions' change ids (a change planned once keeps its name).
    assert.deepEqual(['revert/users.sql', 'revert/users@v1.0.sql', 'revert/flips.sql'].map(lensOf), [ids[3], ids[1], 'flips']);
  });
});

// Verify scripts as sqitch's templates write them (the script's own BEGIN ... ROLLBACK), with the deploy's variables.
const VERIFY: Record<string, string> = {
  'verify/appschema.sql': "-- Verify flipr:appschema on pg\n\nSELECT pg_catalog.has_schema_privilege(:'app_schema', 'usage');\n",
  'verify/users.sql': '-- Verify flipr:users on pg\n\nBEGIN;\n\nSELECT nickname, password FROM :"app_schema".users WHERE FALSE;\n\nROLLBACK;\n',
  'verify/flips.sql': '-- Verify flipr:flips on pg\n\nBEGIN;\n\nSELECT id, nickname, body, kind FROM :"app_schema".flips WHERE FALSE;\n\nROLLBACK;\n',
};

/** The messages zdm gave while it ran. */
function messages(options: { events: { type: string; message?: string }[] }, type: 'info' | 'warning'): string[] {
  return options.events.filter((e) => e.type === type).map((e) => e.message!);
}

describe('sqitch verify scripts, against the real sqitch', () => {
  it('zdm up --verify runs each verify script after its deploy; the registry is the one sqitch deploy --verify writes, and sqitch verify accepts it', async () => {
    const project = createProject({ ...FILES, ...VERIFY });
    const [ours, theirs] = [await database('sqitch_verify'), await database('sqitch_verify_ref')];
    const options = { ...zdmOptions(project, ours), verify: true };
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(messages(options, 'info').filter((m) => m.includes('verified')).map((m) => m.trim()), ['verified (verify/appschema.sql)', 'verified (verify/users.sql)', 'verified (verify/flips.sql)']);
    runSqitch(project, theirs, 'deploy', '--verify');
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.match(runSqitch(project, ours, 'verify'), /Verify successful/);

    // zdm verify does what sqitch verify does on a sqitch project: every deployed change's verify script.
    const verified = await verifyBackfills({ cwd: project.root, url: ours.url, env: sqitch.env(project.root), embedded: false, record: false });
    assert.ok(verified.ok, JSON.stringify(verified, null, 2));
    assert.deepEqual(verified.sqitch?.changes.map((c) => [c.name, c.ok]), [['appschema', true], ['users', true], ['flips', true]]);

    // The database drifts from the plan: both say the same change fails.
    await pg.query('ALTER TABLE flipr.flips DROP COLUMN kind', [], ours.name);
    const drifted = await verifyBackfills({ cwd: project.root, url: ours.url, env: sqitch.env(project.root), embedded: false, record: false });
    assert.equal(drifted.ok, false);
    assert.deepEqual(drifted.sqitch?.changes.map((c) => [c.name, c.ok]), [['appschema', true], ['users', true], ['flips', false]]);
    const failure = drifted.sqitch!.changes[2].error!;
    assert.match(failure.message, /column "kind" does not exist/);
    assert.deepEqual([failure.file?.replace(project.root + '/', ''), failure.line], ['verify/flips.sql', 5]);
    assert.ok(drifted.findings.some((f) => f.rule === 'verify-failed' && f.file.endsWith('verify/flips.sql') && f.line === 5), JSON.stringify(drifted.findings));
    const theirVerdict = sqitch.run(project.root, ours.target, ours.password, 'verify');
    assert.notEqual(theirVerdict.code, 0);
    assert.match(theirVerdict.out, /\* flips \.+ (?:# )?Verify script "verify\/flips\.sql" failed\.[\s\S]*not ok/);
    assert.match(theirVerdict.out, /\* users @v1\.0 \.+ ok/);
  });

  it('zdm up --log-only --verify runs the verify scripts, not the deploy scripts: a change the database lacks fails (a fail event, nothing reverted), as sqitch deploy --log-only --verify --mode change', async () => {
    const project = createProject({ ...FILES, ...VERIFY });
    const [ours, theirs] = [await database('sqitch_log_verify'), await database('sqitch_log_verify_ref')];
    // A database made by hand: appschema and users are there, flips is not.
    for (const db of [ours, theirs]) await pg.query('CREATE SCHEMA flipr; CREATE TABLE flipr.users (nickname text PRIMARY KEY, password text NOT NULL);', [], db.name);
    const options = { ...zdmOptions(project, ours), verify: true, logOnly: true };
    const result = await up(options);
    assert.equal(result.ok, false);
    assert.deepEqual(result.steps.map((s) => [s.name, s.ok, s.logOnly]), [['appschema', true, true], ['users', true, true], ['flips', false, true]]);
    assert.match(result.error?.message ?? '', /^Verify script verify\/flips\.sql failed: relation "flipr\.flips" does not exist/);
    assert.match(result.error?.hint ?? '', /nothing was reverted/);
    assert.deepEqual(messages(options, 'info').filter((m) => m.includes('verified')).map((m) => m.trim()), ['verified (verify/appschema.sql)', 'verified (verify/users.sql)']);
    assert.deepEqual(await tablesIn(ours, 'flipr'), ['users']);

    const theirRun = sqitch.run(project.root, theirs.target, theirs.password, 'deploy', '--log-only', '--verify', '--mode', 'change');
    assert.notEqual(theirRun.code, 0, theirRun.out);
    assert.match(theirRun.out, /Verify script "verify\/flips\.sql" failed/);
    assert.deepEqual(await tablesIn(theirs, 'flipr'), ['users']);
    assert.deepEqual(await registry(ours), await registry(theirs));
    assert.deepEqual((await registry(ours)).events.map((r) => [JSON.parse(r).event, JSON.parse(r).change]).sort(), [['deploy', 'appschema'], ['deploy', 'users'], ['fail', 'flips']]);
  });

  it('a failing verify script fails its change: reverted with its revert script, no changes row, a fail event, as sqitch deploy --verify --mode change leaves it', async () => {
    const project = createProject({
      ...FILES,
      ...VERIFY,
      // sqitch runs the revert after a failed verify with the deploy's variables, not [revert.variables].
      'sqitch.conf': `${FILES['sqitch.conf']}[revert.variables]\n\tapp_schema = nowhere\n`,
      'verify/flips.sql': '-- Verify flipr:flips on pg\n\nBEGIN;\nSELECT id, nickname, body, posted_at FROM :"app_schema".flips WHERE FALSE;\nROLLBACK;\n',
    });
    const [ours, theirs] = [await database('sqitch_verify_fail'), await database('sqitch_verify_fail_ref')];
    const result = await up({ ...zdmOptions(project, ours), verify: true });
    assert.equal(result.ok, false);
    assert.deepEqual(result.steps.map((s) => [s.name, s.ok]), [['appschema', true], ['users', true], ['flips', false]]);
    assert.match(result.error?.message ?? '', /^Verify script verify\/flips\.sql failed: column "posted_at" does not exist/);
    assert.deepEqual([result.error?.file?.replace(project.root + '/', ''), result.error?.line], ['verify/flips.sql', 4]);
    assert.equal(result.error?.reverted, true);
    assert.match(result.error?.hint ?? '', /revert script revert\/flips\.sql/);
    // flips was created by its deploy script, then dropped by its revert script; the changes before it stay.
    assert.deepEqual(await tablesIn(ours, 'flipr'), ['users']);
    const rows = await registry(ours);
    assert.deepEqual(rows.changes.map((r) => JSON.parse(r).change).sort(), ['appschema', 'users']);
    assert.deepEqual(rows.events.map((r) => [JSON.parse(r).event, JSON.parse(r).change]).sort(), [['deploy', 'appschema'], ['deploy', 'users'], ['fail', 'flips']]);
    assert.deepEqual((await rowsOf(pg, ours.name, 'sqitch.zdm_migrations', 'version')).map((r) => JSON.parse(r).version).sort(), ['appschema', 'users']);

    // The real sqitch, in the mode zdm follows (the changes before the failed one stay), leaves the same.
    const theirs1 = sqitch.run(project.root, theirs.target, theirs.password, 'deploy', '--verify', '--mode', 'change');
    assert.notEqual(theirs1.code, 0, theirs1.out);
    assert.match(theirs1.out, /Verify script "verify\/flips\.sql" failed/);
    assert.deepEqual(await tablesIn(theirs, 'flipr'), ['users']);
    assert.deepEqual(await registry(ours), await registry(theirs));

    const st = await status(zdmOptions(project, ours));
    assert.equal(st.status!.find((s) => s.name === 'flips')?.state, 'pending');
    assert.match(runSqitch(project, ours, 'status'), /Undeployed change:\n\s+\* flips/);
  });

  it('when the revert script after a failed verify fails too, the change is still not recorded, and what it did stays, as with sqitch', async () => {
    const { ['revert/flips.sql']: _gone, ...files } = FILES;
    const project = createProject({ ...files, ...VERIFY, 'verify/flips.sql': 'SELECT posted_at FROM flipr.flips;\n' });
    const [ours, theirs] = [await database('sqitch_verify_norevert'), await database('sqitch_verify_norevert_ref')];
    const result = await up({ ...zdmOptions(project, ours), verify: true });
    assert.equal(result.ok, false);
    assert.equal(result.error?.reverted, false);
    assert.match(result.error?.hint ?? '', /revert script revert\/flips\.sql then failed too \(revert\/flips\.sql does not exist\): what deploy\/flips\.sql did may remain/);
    assert.deepEqual(await tablesIn(ours, 'flipr'), ['flips', 'users']);
    const theirRun = sqitch.run(project.root, theirs.target, theirs.password, 'deploy', '--verify', '--mode', 'change');
    assert.notEqual(theirRun.code, 0, theirRun.out);
    assert.deepEqual(await tablesIn(theirs, 'flipr'), ['flips', 'users']);
    assert.deepEqual(await registry(ours), await registry(theirs));
  });

  it('zdm verify reports changes out of plan order and planned changes not deployed, as sqitch verify does', async () => {
    const project = createProject({ ...FILES, ...VERIFY });
    const db = await database('sqitch_verify_order');
    runSqitch(project, db, 'deploy');
    // users vanishes from the registry (its table stays): flips now comes second, and users is not deployed.
    await pg.query("DELETE FROM sqitch.dependencies WHERE dependency_id IN (SELECT change_id FROM sqitch.changes WHERE change = 'users')", [], db.name);
    await pg.query("DELETE FROM sqitch.tags WHERE change_id IN (SELECT change_id FROM sqitch.changes WHERE change = 'users')", [], db.name);
    await pg.query("DELETE FROM sqitch.changes WHERE change = 'users'", [], db.name);
    const verified = await verifyBackfills({ cwd: project.root, url: db.url, env: sqitch.env(project.root), embedded: false, record: false });
    assert.equal(verified.ok, false);
    assert.deepEqual(verified.sqitch?.changes.map((c) => [c.name, c.ok, c.problem]), [['appschema', true, undefined], ['flips', false, 'Out of order'], ['users', false, 'Not deployed']]);
    const theirs = sqitch.run(project.root, db.target, db.password, 'verify');
    assert.notEqual(theirs.code, 0);
    assert.match(theirs.out, /\* flips \.+ # Out of order\s*\n?\s*not ok/);
    assert.match(theirs.out, /\* users @v1\.0 \.+ not ok # Not deployed/);
  });

  it('the CLI: zdm up --verify says which verify script failed and that the change was reverted; --verify is refused where it means nothing', async () => {
    const project = createProject({ ...FILES, ...VERIFY, 'sqitch.conf': `${FILES['sqitch.conf']}[deploy]\n\tverify = true\n`, 'verify/users.sql': 'SELECT bio FROM flipr.users;\n' });
    const db = await database('sqitch_verify_cli');
    const cli = async (command: 'up' | 'rollback', args: string[], root = project.root) => {
      let stdout = '';
      let stderr = '';
      const io = { cwd: root, stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), isTTY: false, env: sqitch.env(root) };
      const code = await runRunnerCommand(command, [...args, '--url', db.url, '--yes'], io);
      return { code, stdout, stderr };
    };
    const failed = await cli('up', ['--verify']);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /verified \(verify\/appschema\.sql\)/);
    assert.match(failed.stderr, /error: verify\/users\.sql:1:8: Verify script verify\/users\.sql failed: column "bio" does not exist/);
    assert.match(failed.stderr, /The change was reverted with its revert script and is not recorded as deployed\./);
    assert.deepEqual(await tablesIn(db, 'flipr'), []);
    // --no-verify wins over deploy.verify; --verify means nothing to a rollback, nor to a project that is not sqitch's.
    assert.equal((await cli('up', ['--no-verify'])).code, 0);
    const rollbackVerify = await cli('rollback', ['--verify']);
    assert.equal(rollbackVerify.code, 2);
    assert.match(rollbackVerify.stderr, /--verify does not apply to rollback/);
    const dbmate = createProject({ 'db/migrations/20240101000000_t.sql': '-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n' });
    const notSqitch = await cli('up', ['--verify'], dbmate.root);
    assert.equal(notSqitch.code, 2);
    assert.match(notSqitch.stderr, /--verify runs a sqitch project's verify scripts after each deploy; this project is dbmate/);
  });

  it('deploy.verify = true in sqitch.conf verifies as --verify does; --no-verify (verify: false) does not', async () => {
    const project = createProject({ ...FILES, ...VERIFY, 'sqitch.conf': `${FILES['sqitch.conf']}[deploy]\n\tverify = true\n`, 'verify/users.sql': 'SELECT bio FROM flipr.users;\n' });
    const db = await database('sqitch_verify_conf');
    const result = await up(zdmOptions(project, db));
    assert.equal(result.ok, false);
    assert.match(result.error?.message ?? '', /Verify script verify\/users\.sql failed: column "bio" does not exist/);
    assert.deepEqual(await tablesIn(db, 'flipr'), []);
    const unverified = await up({ ...zdmOptions(project, db), verify: false });
    assert.ok(unverified.ok, explain(unverified));
    assert.deepEqual(await tablesIn(db, 'flipr'), ['flips', 'users']);
  });

  it('a missing verify script is a warning, as sqitch warns, and the change deploys', async () => {
    const { ['verify/users.sql']: _missing, ...rest } = VERIFY;
    const project = createProject({ ...FILES, ...rest });
    const [ours, theirs] = [await database('sqitch_verify_missing'), await database('sqitch_verify_missing_ref')];
    const options = { ...zdmOptions(project, ours), verify: true };
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.ok(messages(options, 'warning').some((m) => m.startsWith('Verify script verify/users.sql does not exist')), messages(options, 'warning').join('\n'));
    assert.match(runSqitch(project, theirs, 'deploy', '--verify'), /Verify script verify\/users\.sql does not exist/);
    assert.deepEqual(await registry(ours), await registry(theirs));
    // sqitch verify warns and passes; so does zdm verify.
    assert.match(runSqitch(project, ours, 'verify'), /Verify successful/);
    const verified = await verifyBackfills({ cwd: project.root, url: ours.url, env: sqitch.env(project.root), embedded: false, record: false });
    assert.ok(verified.ok, JSON.stringify(verified, null, 2));
    assert.equal(verified.sqitch?.changes.find((c) => c.name === 'users')?.skipped, 'missing');
  });

  it('verify scripts take [verify.variables] under zdm verify, the deploy variables under up --verify (a variable without a value there is refused before anything runs)', async () => {
    const check = "BEGIN;\nSELECT 1 / (pg_get_constraintdef(oid) LIKE '%<= ' || :expected_max || ')%')::int FROM pg_constraint WHERE conrelid = 'flipr.flips'::regclass AND contype = 'c';\nROLLBACK;\n";
    const project = createProject({ ...FILES, ...VERIFY, 'sqitch.conf': `${FILES['sqitch.conf']}[verify.variables]\n\texpected_max = 140\n`, 'verify/flips.sql': check });
    const db = await database('sqitch_verify_vars');
    const refused = await up({ ...zdmOptions(project, db), verify: true });
    assert.equal(refused.ok, false);
    assert.match(refused.error?.message ?? '', /verify\/flips\.sql:2:54: the psql variable :expected_max has no value \(set it under \[deploy\.variables\] or \[core\.variables\] \(sqitch deploy --verify passes no \[verify\.variables\]\)/);
    assert.deepEqual(refused.steps, []);
    assert.deepEqual(await tablesIn(db, 'flipr'), []);

    const deployed = await up(zdmOptions(project, db));
    assert.ok(deployed.ok, explain(deployed));
    const verified = await verifyBackfills({ cwd: project.root, url: db.url, env: sqitch.env(project.root), embedded: false, record: false });
    assert.ok(verified.ok, JSON.stringify(verified, null, 2));
    assert.match(runSqitch(project, db, 'verify'), /Verify successful/);
    // A wrong value fails it, for both.
    const wrong = createProject({ ...FILES, ...VERIFY, 'sqitch.conf': `${FILES['sqitch.conf']}[verify.variables]\n\texpected_max = 150\n`, 'verify/flips.sql': check });
    const failed = await verifyBackfills({ cwd: wrong.root, url: db.url, env: sqitch.env(wrong.root), embedded: false, record: false });
    assert.equal(failed.ok, false);
    assert.match(failed.sqitch?.changes.find((c) => c.name === 'flips')?.error?.message ?? '', /division by zero/);
    assert.notEqual(sqitch.run(wrong.root, db.target, db.password, 'verify').code, 0);
  });

  it('a reworked change verifies its earlier version with verify/users@v1.0.sql, as sqitch deploy --verify picks it', async () => {
    const project = createProject({
      ...FILES,
      ...VERIFY,
      'sqitch.plan': `${PLAN}users [users@v1.0] 2024-01-06T10:00:00Z ${planner} # Reworks users: a bio.\n`,
      'deploy/users@v1.0.sql': FILES['deploy/users.sql'],
      'revert/users@v1.0.sql': FILES['revert/users.sql'],
      // The earlier version has no bio yet: this fails if run after the rework, or if the rework's script were run for it.
      'verify/users@v1.0.sql': "SELECT 1 / (1 - count(*))::int FROM information_schema.columns WHERE table_schema = 'flipr' AND table_name = 'users' AND column_name = 'bio';\n",
      'deploy/users.sql': 'BEGIN;\nALTER TABLE :"app_schema".users ADD COLUMN IF NOT EXISTS bio TEXT;\nCOMMIT;\n',
      'revert/users.sql': 'BEGIN;\nALTER TABLE :"app_schema".users DROP COLUMN bio;\nCOMMIT;\n',
      'verify/users.sql': 'SELECT bio FROM :"app_schema".users WHERE FALSE;\n',
    });
    const [ours, theirs] = [await database('sqitch_verify_rework'), await database('sqitch_verify_rework_ref')];
    const options = { ...zdmOptions(project, ours), verify: true };
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(messages(options, 'info').filter((m) => m.includes('verified')).map((m) => m.trim()), ['verified (verify/appschema.sql)', 'verified (verify/users@v1.0.sql)', 'verified (verify/flips.sql)', 'verified (verify/users.sql)']);
    runSqitch(project, theirs, 'deploy', '--verify');
    assert.deepEqual(await registry(ours), await registry(theirs));
    // sqitch verify runs no verify script for the earlier version (it would fail now); zdm verify neither.
    assert.match(runSqitch(project, ours, 'verify'), /Verify successful/);
    const verified = await verifyBackfills({ cwd: project.root, url: ours.url, env: sqitch.env(project.root), embedded: false, record: false });
    assert.ok(verified.ok, JSON.stringify(verified, null, 2));
    assert.deepEqual(verified.sqitch?.changes.map((c) => [c.name, c.ok, c.skipped]), [['appschema', true, undefined], ['users@v1.0', true, 'reworked'], ['flips', true, undefined], ['users', true, undefined]]);
  });
});
