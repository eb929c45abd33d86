// Ctrl-C told apart from statement_timeout (both SQLSTATE 57014) whatever language the server speaks:
// the session knows it sent the cancel; the English "user request" only decides for a cancel from
// elsewhere (pg_cancel_backend). A translated server is stood in for by a DO block that catches the
// cancel and raises it again, same SQLSTATE, with PostgreSQL's German message.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status, up } from '../../server/src/engine/runner/commands';
import { cancelCause } from '../../server/src/engine/runner/db';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, explain, gooseFile, optionsFor, schemaOf } from './helpers';
import { until } from '../helpers/wait';

const pg = usePostgres({ cleanup: cleanupProjects });

const GERMAN_CANCEL = 'storniere Anfrage wegen Benutzeraufforderung';
const GERMAN_TIMEOUT = 'storniere Anfrage wegen Zeitüberschreitung der Anweisung';

/** Sleeps as long as test_control says; its cancel comes back as a German server would word it. */
function translatedSleep(message: string): string {
  return `DO $$ BEGIN PERFORM pg_sleep((SELECT seconds FROM test_control)); EXCEPTION WHEN query_canceled THEN RAISE EXCEPTION '${message}' USING ERRCODE = '57014'; END $$;`;
}


describe('cancelCause', () => {
  it('a cancel the session sent is one on request in any language; otherwise only the English message says so', () => {
    assert.equal(cancelCause({ code: '57014', message: GERMAN_CANCEL }, true), 'request');
    assert.equal(cancelCause({ code: '57014', message: GERMAN_TIMEOUT }, true), 'request');
    assert.equal(cancelCause({ code: '57014', message: 'canceling statement due to user request' }, false), 'request');
    assert.equal(cancelCause({ code: '57014', message: 'canceling statement due to statement timeout' }, false), 'timeout');
    assert.equal(cancelCause({ code: '57014', message: GERMAN_CANCEL }, false), 'timeout');
    assert.equal(cancelCause({ code: '55P03', message: 'canceling statement due to lock timeout' }, true), undefined);
  });
});

describe('Ctrl-C on a server whose messages are not English', () => {
  it('is reported as interrupted (not as statement_timeout), recorded where it stopped, and resumed there', async () => {
    const db = await pg.createDatabase('cancel_translated');
    await pg.query('CREATE TABLE test_control (seconds float)', [], db);
    await pg.query('INSERT INTO test_control VALUES (600)', [], db);
    const project = createProject({
      'db/migrations/20240101000000_slow.sql': gooseFile(`CREATE TABLE before_sleep (id int);\n${translatedSleep(GERMAN_CANCEL)}\nCREATE TABLE after_sleep (id int);`, 'DROP TABLE after_sleep;\nDROP TABLE before_sleep;', { noTransaction: true }),
    });
    const controller = new AbortController();
    const running = up(optionsFor(project, pg.url(db), { signal: controller.signal }));
    await until('the migration to sleep', async () => ((await pg.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep%' AND state = 'active' AND pid <> pg_backend_pid()", [db], db)).length > 0 ? true : undefined));
    controller.abort();
    const result = await running;
    assert.equal(result.ok, false);
    assert.equal(result.error?.message, GERMAN_CANCEL);
    assert.equal(result.error?.interrupted, true, explain(result));
    assert.match(result.error?.hint ?? '', /cancelled while it ran/);
    assert.doesNotMatch(result.error?.hint ?? '', /statement_timeout/);

    const options = optionsFor(project, pg.url(db));
    const st = await status(options);
    assert.match(st.status![0].note ?? '', /failed at statement 2 of 3; the statement before it was committed/);
    await pg.query('UPDATE test_control SET seconds = 0', [], db);
    const again = await up(options);
    assert.ok(again.ok, explain(again));
    assert.equal(again.steps[0].resumedAt, 2);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), ['table after_sleep(id integer)', 'table before_sleep(id integer)', 'table test_control(seconds double precision)']);
  });

  it('a statement_timeout told in German stays a timeout: not interrupted, and the hint names statementTimeout', async () => {
    const db = await pg.createDatabase('timeout_translated');
    await pg.query('CREATE TABLE test_control (seconds float)', [], db);
    await pg.query('INSERT INTO test_control VALUES (600)', [], db);
    const project = createProject({ 'db/migrations/20240101000000_slow.sql': gooseFile(`SET statement_timeout = '50ms';\n${translatedSleep(GERMAN_TIMEOUT)}`, 'SELECT 1;', { noTransaction: true }) });
    const result = await up(optionsFor(project, pg.url(db)));
    assert.equal(result.ok, false);
    assert.equal(result.error?.message, GERMAN_TIMEOUT);
    assert.notEqual(result.error?.interrupted, true, explain(result));
    assert.match(result.error?.hint ?? '', /statement_timeout cancelled the statement/);
  });
});
