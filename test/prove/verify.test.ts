// Backfill verification on a real PostgreSQL: `-- zdm:verify` queries pass or fail on the dev database,
// the result is recorded where the trio-incomplete rule reads it, and `zdm up` refuses a trio's
// contract while its backfill is not applied or its verification fails — unless --force.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { runUpWithContractCheck } from '../../server/src/cli/prove-commands';
import { runRunnerCommand } from '../../server/src/cli/runner-commands';
import { createDiskHost } from '../../server/src/engine/host';
import { ConfigCache, lintFileFromDisk } from '../../server/src/engine/project';
import { verifyBackfills } from '../../server/src/engine/prove/verify';
import { baseline, up } from '../../server/src/engine/runner/commands';
import { initParser } from '../../server/src/engine/sql/parser';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, optionsFor, type TestProject } from '../runner/helpers';
import { proveOptions } from './helpers';

const pg = usePostgres({ setup: initParser, cleanup: cleanupProjects });

const EXPAND = 'db/migrations/20240101000001_rename_users_name_to_full_name_1_expand.sql';
const BACKFILL = 'db/migrations/20240101000002_rename_users_name_to_full_name_2_backfill.sql';
const CONTRACT = 'db/migrations/20240101000003_rename_users_name_to_full_name_3_contract.sql';

function trioProject(): TestProject {
  return createProject({
    'db/migrations/20240101000000_users.sql': dbmateFile("CREATE TABLE users (id bigint PRIMARY KEY, name text);\nINSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 40) g;", 'DROP TABLE users;'),
    [EXPAND]: dbmateFile('ALTER TABLE users ADD COLUMN full_name text;', 'ALTER TABLE users DROP COLUMN full_name;'),
    // A backfill that stops half way (as one interrupted at row 20 would).
    [BACKFILL]: dbmateFile(
      'UPDATE users SET full_name = name WHERE id <= 20;\n-- zdm:verify SELECT count(*) FROM users WHERE full_name IS DISTINCT FROM name -- expect 0\n-- zdm:verify SELECT bool_and(full_name IS NOT NULL) FROM users -- expect true',
      'SELECT 1;',
      { upTransaction: false, downTransaction: false },
    ),
    [CONTRACT]: dbmateFile('ALTER TABLE users DROP COLUMN name;', 'ALTER TABLE users ADD COLUMN name text;'),
  });
}

function capture(project: TestProject, url: string) {
  let stdout = '';
  let stderr = '';
  const io = { cwd: project.root, stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), isTTY: false, env: { DATABASE_URL: url } };
  return { io, out: () => stdout, err: () => stderr };
}

async function zdmUp(project: TestProject, url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = capture(project, url);
  const code = await runUpWithContractCheck(args, c.io, (rest) => runRunnerCommand('up', rest, c.io));
  return { code, stdout: c.out(), stderr: c.err() };
}

async function hasColumn(db: string, column: string): Promise<boolean> {
  return (await pg.query("SELECT 1 FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = $1 AND NOT attisdropped", [column], db)).length > 0;
}

describe('zdm verify and the contract check', () => {
  it('reports each zdm:verify query, records the result for trio-incomplete, and blocks the contract until it passes (--force overrides)', async () => {
    const db = await pg.createDatabase('verify');
    const project = trioProject();

    // All three pending at once: the contract's backfill is not applied yet.
    const premature = await zdmUp(project, pg.url(db), []);
    assert.equal(premature.code, 1, premature.stderr);
    assert.match(premature.stderr, /Refusing to apply the contract db\/migrations\/20240101000003_rename_users_name_to_full_name_3_contract\.sql: its backfill .*_2_backfill\.sql is not applied yet/);
    assert.match(premature.stderr, /zdm up --to 20240101000002/);
    assert.equal((await pg.query("SELECT to_regclass('users') AS t", [], db))[0].t, null, 'nothing was applied');

    assert.equal((await up({ ...optionsFor(project, pg.url(db)), to: '20240101000002' })).ok, true);
    const result = await verifyBackfills(proveOptions(project, pg.url(db)));
    assert.equal(result.ok, false);
    assert.equal(result.files.length, 1);
    const [file] = result.files;
    assert.equal(file.file, project.file(BACKFILL));
    assert.equal(file.state, 'applied');
    assert.deepEqual(file.directives.map((d) => [d.line, d.expect, d.actual, d.passed]), [
      [3, '0', '20', false],
      [4, 'true', 'false', false],
    ]);
    assert.deepEqual(result.findings.map((f) => [f.rule, f.line, f.column]), [
      ['verify-failed', 3, 15],
      ['verify-failed', 4, 15],
    ]);
    assert.match(result.findings[0].message, /^zdm:verify expected 0, got 20: SELECT count\(\*\) FROM users WHERE full_name IS DISTINCT FROM name$/);
    const record = JSON.parse(fs.readFileSync(project.file('.zdm/verify.json'), 'utf8'));
    assert.equal(record[BACKFILL].passed, false);
    assert.deepEqual(record[BACKFILL].failures[0], { sql: 'SELECT count(*) FROM users WHERE full_name IS DISTINCT FROM name', expect: '0', actual: '20' });

    // The linter reads the record: the contract gets its finding.
    const lint = lintFileFromDisk(project.file(CONTRACT), createDiskHost({ cache: false }), new ConfigCache(createDiskHost({ cache: false })));
    const trio = lint.findings.find((f) => f.rule === 'trio-incomplete');
    assert.ok(trio, JSON.stringify(lint.findings.map((f) => f.rule)));
    assert.match(trio.message, /failed its verification on the dev database/);

    // zdm up refuses the contract, in JSON too (the editor reads it).
    const refused = await zdmUp(project, pg.url(db), ['--format', 'json']);
    assert.equal(refused.code, 1);
    const json = JSON.parse(refused.stdout);
    assert.equal(json.command, 'up');
    assert.equal(json.ok, false);
    assert.equal(json.error.file, project.file(CONTRACT));
    assert.equal(json.error.line, 1);
    assert.match(json.error.message, /the verification of its backfill .* fails on the dev database: SELECT count\(\*\) .* returned 20, expected 0; SELECT bool_and.* returned false, expected true\./);
    assert.equal(await hasColumn(db, 'name'), true, 'the contract did not run');

    // The backfill finishes: verification passes, and zdm up applies the contract.
    await pg.query('UPDATE users SET full_name = name WHERE full_name IS NULL', [], db);
    const passed = await verifyBackfills({ ...proveOptions(project, pg.url(db)), files: [BACKFILL] });
    assert.equal(passed.ok, true);
    assert.equal(JSON.parse(fs.readFileSync(project.file('.zdm/verify.json'), 'utf8'))[BACKFILL].passed, true);
    const applied = await zdmUp(project, pg.url(db), []);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(await hasColumn(db, 'name'), false);
  });

  it('--force applies a contract whose verification fails', async () => {
    const db = await pg.createDatabase('verify_force');
    const project = trioProject();
    assert.equal((await up({ ...optionsFor(project, pg.url(db)), to: '20240101000002' })).ok, true);
    const forced = await zdmUp(project, pg.url(db), ['--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /--force: trio contracts are applied without checking their backfill/);
    assert.equal(await hasColumn(db, 'name'), false);
  });

  it('a pending backfill is not verified unless named; a named one runs and says it is not applied', async () => {
    const db = await pg.createDatabase('verify_pending');
    const project = trioProject();
    await up({ ...optionsFor(project, pg.url(db)), to: '20240101000001' });
    const all = await verifyBackfills(proveOptions(project, pg.url(db)));
    assert.equal(all.ok, true);
    assert.deepEqual(all.files.map((f) => [f.ran, f.note]), [[false, 'not applied on the dev database (pending): its directives were not run']]);
    const named = await verifyBackfills({ ...proveOptions(project, pg.url(db)), files: [BACKFILL] });
    assert.equal(named.ok, false);
    assert.match(named.files[0].note ?? '', /ran anyway/);
    const none = await verifyBackfills({ ...proveOptions(project, pg.url(db)), files: [EXPAND] });
    assert.match(none.usageError ?? '', /has no "-- zdm:verify <query> -- expect <value>" directive/);
  });

  it('a query that errors is a failure with the error, and runs read-only', async () => {
    const db = await pg.createDatabase('verify_error');
    const project = createProject({
      'db/migrations/20240101000000_t.sql': dbmateFile('CREATE TABLE t (id int);\n-- zdm:verify SELECT count(*) FROM nope\n-- zdm:verify DELETE FROM t RETURNING 1 -- expect null', 'DROP TABLE t;'),
    });
    await up(optionsFor(project, pg.url(db)));
    const result = await verifyBackfills(proveOptions(project, pg.url(db)));
    const [missing, write] = result.files[0].directives;
    assert.equal(missing.error?.code, '42P01');
    assert.equal(write.error?.code, '25006', 'cannot execute DELETE in a read-only transaction');
    assert.equal(result.ok, false);
  });

  it('refuses a directive of several statements, which could COMMIT the read-only transaction and then write', async () => {
    const db = await pg.createDatabase('verify_several');
    const project = createProject({
      'db/migrations/20240101000000_t.sql': dbmateFile('CREATE TABLE t (id int);\nINSERT INTO t VALUES (1), (2);\n-- zdm:verify SELECT 0; COMMIT; DELETE FROM t; SELECT 0 -- expect 0', 'DROP TABLE t;'),
    });
    await up(optionsFor(project, pg.url(db)));
    const result = await verifyBackfills(proveOptions(project, pg.url(db)));
    const [several] = result.files[0].directives;
    assert.equal(several.passed, false);
    assert.match(several.error?.message ?? '', /runs one query; this one holds 4 statements/);
    assert.equal(result.ok, false);
    const [{ n }] = await pg.query<{ n: string }>('SELECT count(*) AS n FROM t', [], db);
    assert.equal(Number(n), 2, 'nothing was deleted');
  });
});

describe('zdm verify and the contract check on a Flyway-baselined database', () => {
  const F_BACKFILL = 'db/migration/V3__rename_users_name_to_full_name_2_backfill.sql';
  const F_CONTRACT = 'db/migration/V4__rename_users_name_to_full_name_3_contract.sql';

  it('a backfill below the baseline counts as applied: verify runs it, and the contract above the baseline is gated on its directives, not refused as unapplied', async () => {
    const db = await pg.createDatabase('verify_baseline');
    // The expand and a half-done backfill ran before Flyway took over; then `zdm baseline --version 3`.
    await pg.query("CREATE TABLE users (id bigint PRIMARY KEY, name text, full_name text); INSERT INTO users SELECT g, 'user ' || g, CASE WHEN g <= 20 THEN 'user ' || g END FROM generate_series(1, 40) g", [], db);
    const project = createProject(
      {
        'db/migration/V1__users.sql': "CREATE TABLE users (id bigint PRIMARY KEY, name text);\nINSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 40) g;\n",
        'db/migration/V2__rename_users_name_to_full_name_1_expand.sql': 'ALTER TABLE users ADD COLUMN full_name text;\n',
        [F_BACKFILL]: 'UPDATE users SET full_name = name WHERE full_name IS DISTINCT FROM name;\n-- zdm:verify SELECT count(*) FROM users WHERE full_name IS DISTINCT FROM name -- expect 0\n',
        [F_CONTRACT]: 'ALTER TABLE users DROP COLUMN name;\n',
      },
      { migrationsDir: 'db/migration' },
    );
    const based = await baseline({ ...optionsFor(project, pg.url(db)), version: '3' });
    assert.equal(based.ok, true, based.error?.message);
    assert.deepEqual(based.status?.map((s) => [s.version, s.state]), [['1', 'below-baseline'], ['2', 'below-baseline'], ['3', 'below-baseline'], ['4', 'pending']]);

    // verify does not skip the backfill as unapplied: its query runs, and fails on the half-done copy.
    const failing = await verifyBackfills(proveOptions(project, pg.url(db)));
    assert.deepEqual(failing.files.map((f) => [f.file, f.state, f.ran, f.passed, f.note]), [[project.file(F_BACKFILL), 'below-baseline', true, false, undefined]]);
    assert.equal(failing.ok, false);

    // The contract is refused for the failing verification, not as "not applied yet" with a `zdm up --to 3` that does nothing.
    const refused = await zdmUp(project, pg.url(db), []);
    assert.equal(refused.code, 1, refused.stderr);
    assert.doesNotMatch(refused.stderr, /is not applied yet|zdm up --to 3/);
    assert.match(refused.stderr, /the verification of its backfill .*V3__rename_users_name_to_full_name_2_backfill\.sql fails on the dev database: SELECT count\(\*\) .* returned 20, expected 0/);
    assert.equal(await hasColumn(db, 'name'), true, 'the contract did not run');

    // The backfill finishes: verify passes, and zdm up applies the contract.
    await pg.query('UPDATE users SET full_name = name WHERE full_name IS NULL', [], db);
    const passing = await verifyBackfills(proveOptions(project, pg.url(db)));
    assert.equal(passing.ok, true);
    assert.deepEqual(passing.files.map((f) => [f.state, f.ran, f.passed]), [['below-baseline', true, true]]);
    const applied = await zdmUp(project, pg.url(db), []);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(await hasColumn(db, 'name'), false);
  });
});

describe('zdm verify and the contract check in a sqitch project', () => {
  const S_PLANNER = 'Ann Planner <ann@example.org>';
  const S_BACKFILL = 'deploy/rename_users_name_to_full_name_2_backfill.sql';
  const S_CONTRACT = 'deploy/rename_users_name_to_full_name_3_contract.sql';

  // A trio as `zdm trio` writes it for sqitch: changes named <slug>_N_<step>, at positions 2 to 4 of sqitch.plan.
  function sqitchTrio(): TestProject {
    const change = (name: string, requires: string, when: string) => `${name} [${requires}] 2024-01-0${when}T10:00:00Z ${S_PLANNER} # ${name}\n`;
    return createProject({
      'sqitch.plan':
        `%syntax-version=1.0.0\n%project=app\n\nusers 2024-01-01T10:00:00Z ${S_PLANNER} # users\n` +
        change('rename_users_name_to_full_name_1_expand', 'users', '2') +
        change('rename_users_name_to_full_name_2_backfill', 'rename_users_name_to_full_name_1_expand', '3') +
        change('rename_users_name_to_full_name_3_contract', 'rename_users_name_to_full_name_2_backfill', '4'),
      'sqitch.conf': '[core]\n\tengine = pg\n[user]\n\tname = Ann Planner\n\temail = ann@example.org\n',
      'deploy/users.sql': "CREATE TABLE users (id bigint PRIMARY KEY, name text);\nINSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 40) g;\n",
      'revert/users.sql': 'DROP TABLE users;\n',
      'deploy/rename_users_name_to_full_name_1_expand.sql': 'ALTER TABLE users ADD COLUMN full_name text;\n',
      'revert/rename_users_name_to_full_name_1_expand.sql': 'ALTER TABLE users DROP COLUMN full_name;\n',
      // A backfill that stops half way.
      [S_BACKFILL]: 'UPDATE users SET full_name = name WHERE id <= 20;\n-- zdm:verify SELECT count(*) FROM users WHERE full_name IS DISTINCT FROM name -- expect 0\n',
      'revert/rename_users_name_to_full_name_2_backfill.sql': 'SELECT 1;\n',
      [S_CONTRACT]: 'ALTER TABLE users DROP COLUMN name;\n',
      'revert/rename_users_name_to_full_name_3_contract.sql': 'ALTER TABLE users ADD COLUMN name text;\n',
    });
  }

  async function deployed(db: string): Promise<string[]> {
    return (await pg.query<{ change: string }>('SELECT change FROM sqitch.changes ORDER BY committed_at, change', [], db)).map((r) => r.change);
  }

  it("the refusal names the backfill by its change name (not its plan position, which sqitch refuses), and that command applies it", async () => {
    const db = await pg.createDatabase('verify_sqitch');
    const project = sqitchTrio();
    const premature = await zdmUp(project, pg.url(db), []);
    assert.equal(premature.code, 1, premature.stderr);
    assert.match(premature.stderr, /Refusing to apply the contract deploy\/rename_users_name_to_full_name_3_contract\.sql: its backfill deploy\/rename_users_name_to_full_name_2_backfill\.sql is not applied yet/);
    const hint = /\(zdm up (--to \S+)\)/.exec(premature.stderr);
    assert.ok(hint, premature.stderr);
    assert.equal(hint[1], '--to rename_users_name_to_full_name_2_backfill');

    // The command the hint gives runs, and stops before the contract.
    const suggested = await zdmUp(project, pg.url(db), hint[1].split(' '));
    assert.equal(suggested.code, 0, suggested.stderr);
    assert.deepEqual(await deployed(db), ['users', 'rename_users_name_to_full_name_1_expand', 'rename_users_name_to_full_name_2_backfill']);
    assert.equal(await hasColumn(db, 'name'), true);

    // Digits name a change, never the position: the contract's position 4 is sqitch's `Unknown change`, not a contract refusal.
    const position = await zdmUp(project, pg.url(db), ['--to', '4']);
    assert.equal(position.code, 2, position.stderr);
    assert.match(position.stderr, /Unknown change: "4"/);
    assert.doesNotMatch(position.stderr, /Refusing to apply the contract/);
    assert.equal(await hasColumn(db, 'name'), true, 'the contract did not run');
  });

  it('resolves --to as zdm up does: @HEAD, @ROOT~3 and the contract by name are gated, @HEAD^ stops before it', async () => {
    const db = await pg.createDatabase('verify_sqitch_to');
    const project = sqitchTrio();
    for (const to of ['@HEAD', 'rename_users_name_to_full_name_3_contract', '@ROOT~3']) {
      const refused = await zdmUp(project, pg.url(db), ['--to', to]);
      assert.equal(refused.code, 1, `--to ${to}: ${refused.stderr}`);
      assert.match(refused.stderr, /its backfill deploy\/rename_users_name_to_full_name_2_backfill\.sql is not applied yet/, `--to ${to}`);
      assert.equal((await pg.query("SELECT to_regclass('users') AS t", [], db))[0].t, null, `--to ${to}: nothing was applied`);
    }
    // @HEAD^ is the backfill: no contract in the run, nothing to refuse.
    const before = await zdmUp(project, pg.url(db), ['--to', '@HEAD^']);
    assert.equal(before.code, 0, before.stderr);
    assert.deepEqual(await deployed(db), ['users', 'rename_users_name_to_full_name_1_expand', 'rename_users_name_to_full_name_2_backfill']);
    // The backfill is applied but half done: @HEAD is refused for its verification.
    const failing = await zdmUp(project, pg.url(db), ['--to', '@HEAD']);
    assert.equal(failing.code, 1, failing.stderr);
    assert.match(failing.stderr, /the verification of its backfill deploy\/rename_users_name_to_full_name_2_backfill\.sql fails on the dev database: SELECT count\(\*\) .* returned 20, expected 0/);
    assert.equal(await hasColumn(db, 'name'), true, 'the contract did not run');
  });
});
