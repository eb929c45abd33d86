// Flyway's validation before `flyway migrate` (validateOnMigrate) and its ignoreMigrationPatterns: zdm up
// refuses what Flyway refuses (an Ignored migration below the newest applied one, a Missing or Future
// one no pattern lets pass), with Flyway's messages, and leaves alone what Flyway leaves alone; zdm status
// says beside each what Flyway makes of it. And a script configuration file's shouldExecute: a script
// whose expression is false is not run and nothing of it is recorded, as Flyway (Teams) does. No real
// Flyway here: states, messages and patterns follow Flyway's MigrationInfoImpl.getState/validate,
// ValidatePattern and BooleanEvaluator (flyway-core 9-11) and its "Script Config Files" docs.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rollback, status, up } from '../../server/src/engine/runner/commands';
import { evaluateFlywayBoolean } from '../../server/src/engine/runner/placeholders';
import { flywayChecksum } from '../../server/src/engine/runner/flyway-script';
import { initParser } from '../../server/src/engine/sql/parser';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, explain, optionsFor, rowsOf } from './helpers';

const pg = usePostgres({ setup: initParser, cleanup: cleanupProjects });

const table = (name: string) => `CREATE TABLE ${name} (id int);\n`;
const versions = (db: string) => rowsOf(pg, db, 'flyway_schema_history', 'version, script').then((rows) => rows.map((r) => JSON.parse(r) as { version: string | null; script: string }));

describe('Flyway: an Ignored migration (pending, below the newest applied version, outOfOrder off)', () => {
  it('refuses up with Flyway\'s message; *:ignored leaves it alone (never run, said so); validateOnMigrate=false too; outOfOrder runs it', async () => {
    const db = await pg.createDatabase('fv_ignored');
    const project = createProject({ 'db/migration/V1__a.sql': table('a'), 'db/migration/V3__c.sql': table('c') }, { migrationsDir: 'db/migration' });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    project.write('db/migration/V2__b.sql', table('b'));
    project.write('db/migration/V4__d.sql', table('d'));

    const seen = await status(options);
    assert.deepEqual(seen.status!.map((s) => [s.version, s.state]), [['1', 'applied'], ['2', 'pending'], ['3', 'applied'], ['4', 'pending']]);
    assert.match(seen.status![1].note ?? '', /below the newest applied version, 3, with outOfOrder off \(Flyway: Ignored\): flyway migrate refuses to run/);
    assert.equal(seen.status![3].note, undefined);
    assert.match(seen.warnings.join('\n'), /would refuse to migrate this database.*Detected resolved migration not applied to database: 2\./s);

    const refused = await up(options);
    assert.equal(refused.ok, false);
    assert.deepEqual(refused.steps, [], 'V4 is not run either: Flyway validates before it migrates anything');
    assert.match(refused.error!.message, /db\/migration\/V2__b\.sql: Detected resolved migration not applied to database: 2\.\nTo ignore this migration, set -ignoreMigrationPatterns='\*:ignored'\. To allow executing this migration, set -outOfOrder=true\./);
    // Above a --to target it is out of scope (Flyway: Above Target), so nothing refuses V1..V1.
    assert.ok((await up({ ...options, to: '1' })).ok);

    project.write('flyway.toml', '[flyway]\nignoreMigrationPatterns = ["*:ignored"]\n');
    const leftAlone = await up(options);
    assert.ok(leftAlone.ok, explain(leftAlone));
    assert.deepEqual(leftAlone.steps.map((s) => s.version), ['4']);
    assert.match(leftAlone.warnings.join('\n'), /db\/migration\/V2__b\.sql \(version 2\): below the newest applied version, 3.*leaves it alone \(ignoreMigrationPatterns \*:ignored\)/);
    assert.deepEqual((await versions(db)).map((r) => r.version).sort(), ['1', '3', '4']);
    assert.equal((await status(options)).status![1].state, 'pending');

    project.write('flyway.toml', '[flyway]\nvalidateOnMigrate = false\n');
    const unvalidated = await up(options);
    assert.ok(unvalidated.ok, explain(unvalidated));
    assert.deepEqual(unvalidated.steps, []);
    assert.match(unvalidated.warnings.join('\n'), /leaves it alone \(validateOnMigrate=false\)/);

    project.write('flyway.toml', '[flyway]\noutOfOrder = true\n');
    const ran = await up(options);
    assert.ok(ran.ok, explain(ran));
    assert.deepEqual(ran.steps.map((s) => s.version), ['2']);
  });
});

describe('Flyway: an applied migration whose file is gone', () => {
  it('below the newest file it is Missing (refused unless a pattern lets it pass); at or above it, Future (let pass by the default *:future, with Flyway\'s warning, unless the patterns set leave it out)', async () => {
    const db = await pg.createDatabase('fv_missing_future');
    const project = createProject({ 'db/migration/V1__a.sql': table('a'), 'db/migration/V2__b.sql': table('b'), 'db/migration/V3__c.sql': table('c') }, { migrationsDir: 'db/migration' });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);

    // V3 gone, nothing newer on disk: Future, which Flyway's default pattern lets pass.
    project.remove('db/migration/V3__c.sql');
    const future = await up(options);
    assert.ok(future.ok, explain(future));
    assert.match(future.warnings.join('\n'), /The schema history has a version \(3\) that is newer than the latest available migration \(2\)/);
    assert.match(future.status!.find((s) => s.version === '3')!.note ?? '', /newer than every migration on disk \(Flyway: Future\): Flyway lets it pass \(ignoreMigrationPatterns \*:future, its default\)/);

    // Setting the patterns replaces the default: *:missing alone does not let a Future one pass.
    project.write('flyway.conf', 'flyway.ignoreMigrationPatterns=*:missing\n');
    const refusedFuture = await up(options);
    assert.equal(refusedFuture.ok, false);
    assert.match(refusedFuture.error!.message, /Validate failed: Migrations have failed validation\nDetected applied migration not resolved locally: 3\./);
    project.write('flyway.conf', 'flyway.ignoreMigrationPatterns=versioned:future\n');
    assert.ok((await up(options)).ok);

    // V2 gone below V3 (back on disk): Missing. versioned:future does not cover it; repeatable:missing neither.
    project.write('db/migration/V3__c.sql', table('c'));
    project.remove('db/migration/V2__b.sql');
    project.write('db/migration/V4__d.sql', table('d'));
    project.write('flyway.conf', 'flyway.ignoreMigrationPatterns=versioned:future,repeatable:missing\n');
    const refused = await up(options);
    assert.equal(refused.ok, false);
    assert.deepEqual(refused.steps, []);
    assert.match(refused.error!.message, /Detected applied migration not resolved locally: 2\.\nIf you removed this migration intentionally, run repair to mark the migration as deleted\./);
    const seen = await status(options);
    assert.equal(seen.status!.find((s) => s.version === '2')!.state, 'missing');
    assert.match(seen.status!.find((s) => s.version === '2')!.note ?? '', /its file is gone \(Flyway: Missing\): flyway migrate refuses/);

    project.write('flyway.conf', 'flyway.ignoreMigrationPatterns=VERSIONED:Missing\n');
    const passed = await up(options);
    assert.ok(passed.ok, explain(passed));
    assert.deepEqual(passed.steps.map((s) => s.version), ['4']);
  });

  it('a repeatable script whose file is gone is Missing too: shown, refused unless repeatable:missing (or *:missing), never rolled back', async () => {
    const db = await pg.createDatabase('fv_repeatable_missing');
    const project = createProject({ 'db/migration/V1__a.sql': table('a'), 'db/migration/R__a_view.sql': 'CREATE OR REPLACE VIEW a_view AS SELECT id FROM a;\n' }, { migrationsDir: 'db/migration' });
    const options = optionsFor(project, pg.url(db), { yes: true });
    assert.ok((await up(options)).ok);
    project.remove('db/migration/R__a_view.sql');
    project.write('db/migration/V2__b.sql', table('b'));

    const seen = await status(options);
    assert.deepEqual(seen.status!.map((s) => [s.version, s.state, s.repeatable ?? false, s.file === undefined]), [['1', 'applied', false, false], ['2', 'pending', false, false], ['', 'missing', true, true]]);
    assert.equal(seen.status![2].name, 'R__a_view.sql', 'named by its script: it has no version');
    const refused = await up(options);
    assert.equal(refused.ok, false);
    assert.match(refused.error!.message, /Detected applied migration not resolved locally: a view\./);

    project.write('flyway.conf', 'flyway.ignoreMigrationPatterns=repeatable:missing\n');
    const ran = await up(options);
    assert.ok(ran.ok, explain(ran));
    assert.deepEqual(ran.steps.map((s) => s.version), ['2']);
    // A rollback takes V2, never the script without a file.
    project.write('db/migration/U2__b.sql', 'DROP TABLE b;\n');
    const back = await rollback(options);
    assert.ok(back.ok, explain(back));
    assert.deepEqual(back.steps.map((s) => s.version), ['2']);
  });

  it('a pattern Flyway refuses stops the command with Flyway\'s message', async () => {
    const project = createProject({ 'db/migration/V1__a.sql': table('a'), 'flyway.conf': 'flyway.ignoreMigrationPatterns=*:missing,*:gone\n' }, { migrationsDir: 'db/migration' });
    const result = await status(optionsFor(project, pg.url(await pg.createDatabase('fv_bad_pattern'))));
    assert.equal(result.ok, false);
    assert.match(result.usageError ?? '', /Invalid migration state 'gone'\. Valid states are: \[\*, missing, pending, ignored, future\] \(ignoreMigrationPatterns, from flyway\.ignoreMigrationPatterns in flyway\.conf\)/);
  });
});

describe('Flyway: an applied migration whose file changed', () => {
  it('its checksum (line breaks aside) or description differing from the history refuses up with Flyway\'s mismatch message, whatever the patterns; validateOnMigrate=false lets it pass', async () => {
    const db = await pg.createDatabase('fv_mismatch');
    const project = createProject({ 'db/migration/V1__a.sql': table('a'), 'db/migration/V2__b.sql': table('b'), 'flyway.conf': 'flyway.ignoreMigrationPatterns=*:*\n' }, { migrationsDir: 'db/migration' });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    project.write('db/migration/V3__c.sql', table('c'));

    // Only the line breaks changed: Flyway's checksum leaves them out.
    project.write('db/migration/V2__b.sql', 'CREATE TABLE b (id int);\r\n');
    assert.ok((await status(options)).warnings.every((w) => !/mismatch/.test(w)));

    project.write('db/migration/V2__b.sql', 'CREATE TABLE b (id bigint);\n');
    const refused = await up(options);
    assert.equal(refused.ok, false);
    assert.deepEqual(refused.steps, []);
    assert.ok(
      refused.error!.message.includes(
        `db/migration/V2__b.sql: Migration checksum mismatch for migration version 2\n-> Applied to database : ${flywayChecksum(table('b'))}\n-> Resolved locally    : ${flywayChecksum('CREATE TABLE b (id bigint);\n')}\nEither revert the changes to the migration, or run repair to update the schema history.`,
      ),
      refused.error!.message,
    );
    assert.match((await status(options)).status![1].note ?? '', /its up section changed after it was applied; its checksum differs from what Flyway's history recorded: flyway migrate refuses/);

    // Renamed: the description Flyway recorded no longer matches.
    project.write('db/migration/V2__b.sql', table('b'));
    project.remove('db/migration/V2__b.sql');
    project.write('db/migration/V2__bee_table.sql', table('b'));
    const renamed = await up(options);
    assert.equal(renamed.ok, false);
    assert.match(renamed.error!.message, /Migration description mismatch for migration version 2\n-> Applied to database : b\n-> Resolved locally    : bee table\n/);

    project.write('flyway.conf', 'flyway.validateOnMigrate=false\n');
    const ran = await up(options);
    assert.ok(ran.ok, explain(ran));
    assert.deepEqual(ran.steps.map((s) => s.version), ['3']);
  });
});

describe('Flyway\'s target setting', () => {
  it('zdm up stops at it as flyway migrate does (--to and FLYWAY_TARGET=latest go past it); a target zdm does not read is refused', async () => {
    const db = await pg.createDatabase('fv_target');
    const project = createProject({ 'db/migration/V1__a.sql': table('a'), 'db/migration/V2__b.sql': table('b'), 'db/migration/V3__c.sql': table('c'), 'flyway.conf': 'flyway.target=2\n' }, { migrationsDir: 'db/migration' });
    const options = optionsFor(project, pg.url(db));
    const ran = await up(options);
    assert.ok(ran.ok, explain(ran));
    assert.deepEqual(ran.steps.map((s) => s.version), ['1', '2']);
    assert.match(ran.warnings.join('\n'), /Flyway's target is 2 \(from flyway\.target in flyway\.conf\): zdm up stops there/);
    const latest = await up({ ...options, env: { FLYWAY_TARGET: 'latest' } });
    assert.ok(latest.ok, explain(latest));
    assert.deepEqual(latest.steps.map((s) => s.version), ['3']);

    project.write('flyway.conf', 'flyway.target=current\n');
    const current = await up(options);
    assert.equal(current.ok, false);
    assert.match(current.usageError ?? '', /Flyway's target is current \(from flyway\.target in flyway\.conf\); zdm up reads a version or latest there/);
    assert.ok((await up({ ...options, to: '3' })).ok, '--to wins over the setting');
  });
});

describe('Flyway: a description longer than the history keeps', () => {
  it('is recorded cut to 200 characters as Flyway cuts it (197 and "..."), and compares equal to the file\'s afterwards', async () => {
    const db = await pg.createDatabase('fv_long_description');
    const words = 'long_'.repeat(42);
    const project = createProject({ [`db/migration/V1__${words}.sql`]: table('a') }, { migrationsDir: 'db/migration' });
    const options = optionsFor(project, pg.url(db));
    const ran = await up(options);
    assert.ok(ran.ok, explain(ran));
    const [row] = await pg.query<{ description: string }>('SELECT description FROM flyway_schema_history', [], db);
    assert.equal(row.description, `${words.replace(/_/g, ' ').slice(0, 197)}...`);
    project.write('db/migration/V2__b.sql', table('b'));
    const again = await up(options);
    assert.ok(again.ok, explain(again));
    assert.deepEqual(again.steps.map((s) => s.version), ['2']);
  });
});

describe('Flyway script configuration files: shouldExecute', () => {
  it('false: the script is not run and nothing of it is recorded; true later: it is then Ignored below the newest applied version, as in Flyway', async () => {
    const db = await pg.createDatabase('fv_should_execute');
    const project = createProject(
      {
        'db/migration/V1__a.sql': table('a'),
        'db/migration/V2__seed.sql': 'CREATE TABLE seed (id int);\n',
        'db/migration/V2__seed.sql.conf': 'shouldExecute=${env}==dev || ${env}==test\n',
        'db/migration/V3__c.sql': table('c'),
        'flyway.conf': 'flyway.placeholders.env=prod\n',
      },
      { migrationsDir: 'db/migration' },
    );
    const options = optionsFor(project, pg.url(db));
    const ran = await up(options);
    assert.ok(ran.ok, explain(ran));
    assert.deepEqual(ran.steps.map((s) => s.version), ['1', '3']);
    assert.deepEqual((await versions(db)).map((r) => r.version).sort(), ['1', '3'], 'no row for V2');
    assert.equal((await pg.query("SELECT to_regclass('seed') AS t", [], db))[0].t, null);
    const v2 = ran.status!.find((s) => s.version === '2')!;
    assert.equal(v2.state, 'pending');
    assert.match(v2.note ?? '', /shouldExecute=\$\{env\}==dev \|\| \$\{env\}==test in its script configuration file is false: Flyway does not run it and records nothing/);
    // Below V3 and never run, but not an Ignored migration Flyway refuses: its shouldExecute is false.
    const again = await up(options);
    assert.ok(again.ok, explain(again));
    assert.deepEqual(again.steps, []);

    // The environment's placeholder wins: now true, and below V3 it is Ignored, refused as Flyway refuses it.
    const test = { ...options, env: { FLYWAY_PLACEHOLDERS_ENV: 'test' } };
    const refused = await up(test);
    assert.equal(refused.ok, false);
    assert.match(refused.error!.message, /Detected resolved migration not applied to database: 2\./);
    const late = await up({ ...test, allowMissing: true });
    assert.ok(late.ok, explain(late));
    assert.deepEqual(late.steps.map((s) => s.version), ['2']);
  });

  it('an expression Flyway cannot read, or a placeholder without a value, stops the command and names the file', async () => {
    const project = createProject({ 'db/migration/V1__a.sql': table('a'), 'db/migration/V1__a.sql.conf': 'shouldExecute=maybe\n' }, { migrationsDir: 'db/migration' });
    const db = await pg.createDatabase('fv_should_execute_bad');
    const options = optionsFor(project, pg.url(db));
    const bad = await up(options);
    assert.equal(bad.ok, false);
    assert.match(bad.error!.message, /db\/migration\/V1__a\.sql\.conf: shouldExecute=maybe: Unable to parse expression: maybe/);
    project.write('db/migration/V1__a.sql.conf', 'shouldExecute=${region}==eu\n');
    const unset = await up(options);
    assert.equal(unset.ok, false);
    assert.match(unset.error!.message, /V1__a\.sql\.conf: shouldExecute=\$\{region\}==eu: No value for the placeholder \$\{region\}/);
    assert.deepEqual(await versions(db), [], 'nothing ran');
  });

  it('is evaluated as Flyway\'s BooleanEvaluator evaluates it', () => {
    assert.equal(evaluateFlywayBoolean(' TRUE '), true);
    assert.equal(evaluateFlywayBoolean('false'), false);
    assert.equal(evaluateFlywayBoolean('prod == prod'), true);
    assert.equal(evaluateFlywayBoolean('prod==Prod'), false, 'case matters in a comparison');
    assert.equal(evaluateFlywayBoolean('dev!=prod'), true);
    assert.equal(evaluateFlywayBoolean('(a==b) || (c==c)'), true);
    assert.equal(evaluateFlywayBoolean('a==a || b==c && c==d'), false, '&& is cut first: (a==a || b==c) && c==d');
    assert.equal(evaluateFlywayBoolean('((a==a) && (b!=b)) || true'), true);
    assert.equal(evaluateFlywayBoolean('==x'), false, 'an empty operand is compared as empty');
    assert.deepEqual(evaluateFlywayBoolean('a==b==c'), { error: "Invalid boolean expression 'a==b==c'. " });
    assert.deepEqual(evaluateFlywayBoolean('a=='), { error: "Invalid boolean expression 'a=='. " });
    assert.deepEqual(evaluateFlywayBoolean('(a==a'), { error: 'Unable to parse expression: (a==a - unexpected (' });
    assert.deepEqual(evaluateFlywayBoolean('yes'), { error: 'Unable to parse expression: yes' });
  });
});
