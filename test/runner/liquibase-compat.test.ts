// Compatibility with the real Liquibase (4.28, from the npm package `liquibase`, a peer installed at
// test time into .peers/, never a dependency; it bundles the PostgreSQL JDBC driver and needs Java):
// on one database, changesets applied or rolled back by either tool are seen so by the other, and
// Liquibase accepts the checksums zdm writes. The password reaches Liquibase through its environment
// (LIQUIBASE_COMMAND_PASSWORD), never its command line.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { rollback, status, up } from '../../server/src/engine/runner/commands';
import { readLiquibaseChangelog } from '../../server/src/engine/runner/liquibase-changelog';
import { REPO_ROOT } from '../helpers/paths';
import { aptInstall } from '../helpers/apt';
import { stopTestPostgres, testPostgres, type TestPostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, explain, FAIL_ON_ERROR_CHANGELOG, formattedSql, optionsFor, type TestProject } from './helpers';

let pg: TestPostgres;
let liquibaseHome: string | undefined;
let skipReason: string | undefined;

before(async () => {
  pg = await testPostgres();
  try {
    const peers = (await import(pathToFileURL(path.join(REPO_ROOT, 'scripts', 'peers.mjs')).href)) as { ensurePeers(specs: string[]): string };
    liquibaseHome = path.join(peers.ensurePeers(['liquibase']), '..', 'liquibase', 'dist', 'liquibase');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Only an unreachable registry is a reason to skip; anything else is a failure.
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network|registry/i.test(message)) skipReason = `npm registry unreachable, liquibase not installed: ${message.split('\n')[0]}`;
    else throw error;
  }
  if (!skipReason) ensureJava();
});
after(async () => {
  cleanupProjects();
  await stopTestPostgres();
});

/**
 * Liquibase needs Java (17 here). On a fresh CI machine (Debian, root) it is installed with apt-get
 * (openjdk-17-jre-headless); anywhere else a missing Java fails the suite with what to install.
 */
function ensureJava(): void {
  if (spawnSync('java', ['-version'], { encoding: 'utf8' }).status === 0) return;
  const failed = aptInstall(['openjdk-17-jre-headless']);
  if (failed !== undefined || spawnSync('java', ['-version']).status !== 0) {
    throw new Error(`The Liquibase compatibility test needs Java 17 (Liquibase is a Java program), and ${failed ?? 'it is still missing after apt-get install'}: install it (Debian: apt-get install openjdk-17-jre-headless) and run again.`);
  }
}

/** Runs the real Liquibase from the project root (as a user would), on the test database; URL, user and password through its environment. */
function liquibase(project: TestProject, database: string, ...args: string[]): { out: string; code: number | null } {
  const url = new URL(pg.url(database));
  // A project with liquibase.properties names its changelog there (Liquibase reads the file from its working folder).
  const changelog = fs.existsSync(project.file('liquibase.properties')) ? [] : ['--changelog-file=changelog.yaml'];
  const result = spawnSync('bash', [path.join(liquibaseHome!, 'liquibase'), ...changelog, ...args], {
    cwd: project.root,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LIQUIBASE_COMMAND_URL: `jdbc:postgresql://${url.host}${url.pathname}`,
      LIQUIBASE_COMMAND_USERNAME: decodeURIComponent(url.username),
      LIQUIBASE_COMMAND_PASSWORD: decodeURIComponent(url.password),
      LIQUIBASE_SHOW_BANNER: 'false',
    },
  });
  return { out: `${result.stdout}${result.stderr}`, code: result.status };
}

// Changelogs meant to test the checksum: comments, --comment lines, tabs, CRLF line endings, non-ASCII
// text, a rollback block, a function body sent whole, contexts and labels (zdm runs every changeset, as
// Liquibase does when no --contexts are given).
const USERS = [
  '--liquibase formatted sql',
  '',
  '--changeset alice:create-users context:dev labels:"core, users"',
  '--comment: the users of the app',
  '-- an ordinary comment, part of the SQL',
  'CREATE TABLE users (',
  '\tid bigint PRIMARY KEY,',
  '\temail text',
  ');',
  '--rollback DROP TABLE users;',
  '',
  '--changeset alice:users-email-idx runInTransaction:false',
  'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
  '--rollback DROP INDEX CONCURRENTLY users_email_idx;',
  '',
].join('\n');
const POSTS = [
  '--liquibase formatted sql',
  '',
  '--changeset bob:posts',
  'CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));',
  "COMMENT ON TABLE posts IS 'Beiträge — ünïcode';",
  '/* liquibase rollback',
  'DROP TABLE posts;',
  '*/',
  '',
  '--changeset bob:post-count splitStatements:false',
  'CREATE FUNCTION post_count(u bigint) RETURNS bigint LANGUAGE plpgsql AS $$',
  'BEGIN',
  '  RETURN (SELECT count(*) FROM posts WHERE user_id = u);',
  'END;',
  '$$;',
  '--rollback DROP FUNCTION post_count(bigint);',
  '',
].join('\r\n');

function liquibaseProject(): TestProject {
  return createProject({
    'changelog.yaml': 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/\n',
    'db/changelog/001_users.sql': USERS,
    'db/changelog/002_posts.sql': POSTS,
  });
}

/**
 * The real Liquibase and zdm each update a database of their own from `project` (named after `name`):
 * zdm writes the DATABASECHANGELOG rows Liquibase wrote (Liquibase's are given to `check` first), and
 * each tool sees the other's database as up to date.
 */
async function bothUpdate(project: TestProject, name: string, check: (rows: Record<string, unknown>[]) => void): Promise<void> {
  const byLiquibase = await pg.createDatabase(`${name}_liquibase`);
  const byZdm = await pg.createDatabase(`${name}_zdm`);
  const rows = (db: string) => pg.query<Record<string, unknown>>('SELECT id, author, filename, orderexecuted, exectype, md5sum, description, comments, contexts, labels FROM databasechangelog ORDER BY orderexecuted', [], db);
  let run = liquibase(project, byLiquibase, 'update');
  assert.equal(run.code, 0, run.out);
  const expected = await rows(byLiquibase);
  check(expected);
  const result = await up(optionsFor(project, pg.url(byZdm), { yes: true }));
  assert.ok(result.ok, explain(result));
  assert.deepEqual(await rows(byZdm), expected);
  run = liquibase(project, byZdm, 'status');
  assert.match(run.out, /is up to date/, run.out);
  const st = await status(optionsFor(project, pg.url(byLiquibase), { yes: true }));
  assert.ok(st.ok, explain(st));
  assert.deepEqual(st.status!.map((s) => s.state), expected.map(() => 'applied'));
}

const NAMES = ['db/changelog/001_users.sql::create-users::alice', 'db/changelog/001_users.sql::users-email-idx::alice', 'db/changelog/002_posts.sql::posts::bob', 'db/changelog/002_posts.sql::post-count::bob'];

describe('compatibility with the real Liquibase', () => {
  it('zdm applies; Liquibase status and validate agree, rollback-count rolls back what zdm ran; an edit is seen by both', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const db = await pg.createDatabase('lb_zdm_first');
    const project = liquibaseProject();
    const options = optionsFor(project, pg.url(db), { yes: true });
    let result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.name), NAMES);

    let run = liquibase(project, db, 'status', '--verbose');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /is up to date/);
    run = liquibase(project, db, 'validate');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /No validation errors found/);
    run = liquibase(project, db, 'update');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /Run:\s+0\b/, 'Liquibase finds nothing to run');

    run = liquibase(project, db, 'rollback-count', '2');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /Rolling Back Changeset: db\/changelog\/002_posts\.sql::post-count::bob/);
    assert.match(run.out, /Rolling Back Changeset: db\/changelog\/002_posts\.sql::posts::bob/);
    let st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'applied', 'pending', 'pending']);
    assert.deepEqual(await pg.query("SELECT to_regclass('posts') AS t", [], db), [{ t: null }]);
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.name), NAMES.slice(2));
    run = liquibase(project, db, 'status');
    assert.match(run.out, /is up to date/, run.out);

    // An applied changeset edited: zdm status says so, and Liquibase's validate stops on its checksum.
    project.write('db/changelog/001_users.sql', USERS.replace('\temail text', '\temail text NOT NULL'));
    st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['edited', 'applied', 'applied', 'applied']);
    run = liquibase(project, db, 'validate');
    assert.notEqual(run.code, 0, run.out);
    assert.match(run.out, /db\/changelog\/001_users\.sql::create-users::alice was: 9:[0-9a-f]{32} but is now: 9:[0-9a-f]{32}/);
  });

  it('Liquibase applies with the checksums zdm computes; zdm sees all applied and rolls one back, and Liquibase agrees', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const db = await pg.createDatabase('lb_liquibase_first');
    const project = liquibaseProject();
    const options = optionsFor(project, pg.url(db), { yes: true });
    let run = liquibase(project, db, 'update');
    assert.equal(run.code, 0, run.out);

    // The checksums Liquibase wrote are those zdm computes, for every changeset.
    const rows = await pg.query<{ filename: string; id: string; author: string; md5sum: string }>('SELECT filename, id, author, md5sum FROM databasechangelog ORDER BY orderexecuted', [], db);
    const expected = [
      ...readLiquibaseChangelog(USERS).changesets.map((c) => ({ filename: 'db/changelog/001_users.sql', id: c.id, author: c.author, md5sum: c.checksum })),
      ...readLiquibaseChangelog(POSTS).changesets.map((c) => ({ filename: 'db/changelog/002_posts.sql', id: c.id, author: c.author, md5sum: c.checksum })),
    ];
    assert.deepEqual(rows, expected);

    let st = await status(options);
    assert.ok(st.ok, explain(st));
    assert.deepEqual(st.status!.map((s) => [s.name, s.state]), NAMES.map((n) => [n, 'applied']));
    assert.match(st.status![0].note ?? '', /applied by Liquibase 4\.28/);

    const result = await rollback(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.name), [NAMES[3]]);
    assert.deepEqual(await pg.query("SELECT to_regproc('post_count') AS f", [], db), [{ f: null }]);
    run = liquibase(project, db, 'status', '--verbose');
    assert.match(run.out, /1 changeset has not been applied/, run.out);
    assert.match(run.out, /db\/changelog\/002_posts\.sql::post-count::bob/);
    run = liquibase(project, db, 'update');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /Running Changeset: db\/changelog\/002_posts\.sql::post-count::bob/);
    st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'applied', 'applied', 'applied']);
    // Liquibase released its lock; zdm takes it and releases it again.
    assert.ok((await rollback(options)).ok);
    assert.deepEqual(await pg.query('SELECT locked FROM databasechangeloglock', [], db), [{ locked: false }]);
  });

  it('a master changelog named in liquibase.properties, with a search path and contexts: the same changesets, order and FILENAME for both', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const db = await pg.createDatabase('lb_master');
    const res = 'src/main/resources';
    const project = createProject(
      {
        'liquibase.properties': `changeLogFile: db/changelog/db.changelog-master.xml\nsearchPath: ${res}\ncontexts: dev\n`,
        [`${res}/db/changelog/db.changelog-master.xml`]:
          '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">\n' +
          '  <!-- <include file="db/changelog/never.sql"/> -->\n' +
          '  <include file="db/changelog/changes/002_posts.sql"/>\n' +
          '  <include file="changes/001_users.sql" relativeToChangelogFile="true"/>\n' +
          '  <include file="more/more.yaml" relativeToChangelogFile="true"/>\n' +
          '</databaseChangeLog>\n',
        [`${res}/db/changelog/changes/002_posts.sql`]: '--liquibase formatted sql\n--changeset bob:first\nCREATE TABLE first_one (id int);\n--rollback DROP TABLE first_one;\n',
        [`${res}/db/changelog/changes/001_users.sql`]: '--liquibase formatted sql\n--changeset alice:second\nCREATE TABLE second_one (id int);\n--rollback DROP TABLE second_one;\n',
        [`${res}/db/changelog/more/more.yaml`]: 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/more/sql/\n',
        [`${res}/db/changelog/more/sql/b.sql`]: '--liquibase formatted sql\n--changeset carol:fourth\nCREATE TABLE fourth_one (id int);\n--rollback DROP TABLE fourth_one;\n',
        [`${res}/db/changelog/more/sql/a.sql`]:
          '--liquibase formatted sql\n--changeset carol:third context:dev\nCREATE TABLE third_one (id int);\n--rollback DROP TABLE third_one;\n--changeset carol:test-only context:test\nCREATE TABLE never_here (id int);\n',
      },
      { migrationsDir: `${res}/db/changelog` },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    let run = liquibase(project, db, 'update');
    assert.equal(run.code, 0, run.out);
    const rows = await pg.query<{ filename: string; id: string }>('SELECT filename, id FROM databasechangelog ORDER BY orderexecuted', [], db);
    const expected = [
      ['db/changelog/changes/002_posts.sql', 'first'],
      ['db/changelog/changes/001_users.sql', 'second'],
      ['db/changelog/more/sql/a.sql', 'third'],
      ['db/changelog/more/sql/b.sql', 'fourth'],
    ];
    assert.deepEqual(rows.map((r) => [r.filename, r.id]), expected);
    const st = await status(options);
    assert.ok(st.ok, explain(st));
    assert.deepEqual(st.status!.map((s) => [s.version, s.state]), [['1', 'applied'], ['2', 'applied'], ['3', 'applied'], ['4', 'applied']]);
    let result = await rollback({ ...options, to: '0' });
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await pg.query('SELECT count(*)::int AS n FROM databasechangelog', [], db), [{ n: 0 }]);
    result = await up(options);
    assert.ok(result.ok, explain(result));
    const again = await pg.query<{ filename: string; id: string }>('SELECT filename, id FROM databasechangelog ORDER BY orderexecuted', [], db);
    assert.deepEqual(again.map((r) => [r.filename, r.id]), expected);
    run = liquibase(project, db, 'status');
    assert.match(run.out, /is up to date/, run.out);
    run = liquibase(project, db, 'validate');
    assert.equal(run.code, 0, run.out);
  });
  it("an include's context, contextFilter, labels and ignore, nested and on includeAll, errorIfMissing=\"false\": the same changesets, CONTEXTS and LABELS for both", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const db = await pg.createDatabase('lb_include_attrs');
    const project = createProject(
      {
        'liquibase.properties': 'changeLogFile: db/changelog/master.xml\ncontexts: dev\nlabelFilter: core or seed\n',
        'db/changelog/master.xml':
          '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd" context="dev or ci">\n' +
          '  <include file="db/changelog/a.sql" context="test"/>\n' +
          '  <include file="db/changelog/b.sql" contextFilter="dev" context="test"/>\n' +
          '  <include file="db/changelog/c.sql" labels="legacy"/>\n' +
          '  <include file="db/changelog/d.sql" ignore="true"/>\n' +
          '  <include file="db/changelog/mid.yaml" ignore="true" context="dev" labels="Core"/>\n' +
          '  <include file="db/changelog/missing.sql" errorIfMissing="false"/>\n' +
          '  <includeAll path="db/changelog/none/" errorIfMissingOrEmpty="false"/>\n' +
          '  <includeAll path="db/changelog/seed/" contextFilter="dev" labels="seed"/>\n' +
          '  <includeAll path="db/changelog/old/" ignore="true"/>\n' +
          '</databaseChangeLog>\n',
        'db/changelog/a.sql': formattedSql('a1'),
        'db/changelog/b.sql': formattedSql('b1', 'b2 context:prod'),
        'db/changelog/c.sql': formattedSql('c1 labels:core'),
        'db/changelog/d.sql': formattedSql('d1'),
        'db/changelog/mid.yaml': 'databaseChangeLog:\n  - include: {file: db/changelog/e.sql, context: dev or test, labels: core}\n  - include:\n      file: db/changelog/f.sql\n      context: test # only under test\n',
        'db/changelog/e.sql': formattedSql('e1'),
        'db/changelog/f.sql': formattedSql('f1'),
        'db/changelog/seed/s.sql': formattedSql('s1', 's2 labels:other'),
        'db/changelog/old/o.sql': formattedSql('o1'),
      },
      { migrationsDir: 'db/changelog' },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    let run = liquibase(project, db, 'update');
    assert.equal(run.code, 0, run.out);
    const rows = () => pg.query<{ filename: string; id: string; contexts: string | null; labels: string | null }>('SELECT filename, id, contexts, labels FROM databasechangelog ORDER BY orderexecuted', [], db);
    const expected = [
      { filename: 'db/changelog/b.sql', id: 'b1', contexts: 'dev AND (dev or ci)', labels: null },
      { filename: 'db/changelog/e.sql', id: 'e1', contexts: '(dev or test) AND dev AND (dev or ci)', labels: 'core,core' },
      { filename: 'db/changelog/seed/s.sql', id: 's1', contexts: 'dev AND (dev or ci)', labels: 'seed' },
    ];
    assert.deepEqual(await rows(), expected);
    const st = await status(options);
    assert.ok(st.ok, explain(st));
    assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'applied', 'applied']);
    let result = await rollback({ ...options, to: '0' });
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await rows(), []);
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await rows(), expected);
    run = liquibase(project, db, 'status');
    assert.match(run.out, /is up to date/, run.out);
    run = liquibase(project, db, 'validate');
    assert.equal(run.code, 0, run.out);
  });

  it("an includeAll's endsWithFilter, minDepth and maxDepth (hidden folders, a README, names in capitals): the same changesets in the same order for both", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const project = createProject(
      {
        'liquibase.properties': 'changeLogFile: db/changelog/master.xml\n',
        // The attributes are in the 4.28 schema (4.20's refuses them), and in YAML.
        'db/changelog/master.xml':
          '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd">\n' +
          '  <includeAll path="db/changelog/top/" maxDepth="1"/>\n' +
          '  <includeAll path="db/changelog/nested/" endsWithFilter=" _UP.sql " minDepth="2" maxDepth="2"/>\n' +
          '  <include file="db/changelog/more.yaml"/>\n' +
          '</databaseChangeLog>\n',
        'db/changelog/more.yaml': 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/nested/\n      endsWithFilter: deep/d.sql\n',
        'db/changelog/top/B.sql': formattedSql('top_b'),
        'db/changelog/top/a.sql': formattedSql('top_a'),
        'db/changelog/top/README.txt': 'not a changelog\n',
        'db/changelog/top/sub/never.sql': formattedSql('never1'),
        'db/changelog/nested/x_up.sql': formattedSql('never2'),
        'db/changelog/nested/sub/c_up.sql': formattedSql('sub_c'),
        'db/changelog/nested/sub/c_down.sql': formattedSql('never3'),
        'db/changelog/nested/.hidden/h_UP.SQL': formattedSql('hidden_h'),
        'db/changelog/nested/sub/deep/d_up.sql': formattedSql('never4'),
        'db/changelog/nested/sub/deep/d.sql': formattedSql('deep_d'),
      },
      { migrationsDir: 'db/changelog' },
    );
    await bothUpdate(project, 'lb_include_all', (rows) =>
      assert.deepEqual(rows.map((r) => [r.filename, r.id]), [
        ['db/changelog/top/B.sql', 'top_b'],
        ['db/changelog/top/a.sql', 'top_a'],
        ['db/changelog/nested/.hidden/h_UP.SQL', 'hidden_h'],
        ['db/changelog/nested/sub/c_up.sql', 'sub_c'],
        ['db/changelog/nested/sub/deep/d.sql', 'deep_d'],
      ]),
    );
  });

  it('a JSON master changelog (db.changelog-master.json in liquibase.properties): attributes as JSON numbers, booleans and strings, # comments, a trailing comma, a nested JSON changelog: the same rows for both', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const project = createProject(
      {
        'liquibase.properties': 'changeLogFile=db/changelog/db.changelog-master.json\ncontexts=dev\n',
        // Liquibase reads JSON with its YAML parser: # comments and trailing commas are taken.
        'db/changelog/db.changelog-master.json': [
          '{',
          '  # the project\'s changelogs',
          '  "databaseChangeLog": [',
          '    {"include": {"file": "db/changelog/a.sql", "context": "dev", "labels": "core"}},',
          '    {"include": {"file": "b.sql", "relativeToChangelogFile": true}}, # a boolean',
          '    {"include": {"file": "db/changelog/old.sql", "ignore": "true"}},',
          '    {"include": {"file": "db/changelog/gone.sql", "errorIfMissing": false}},',
          '    {"includeAll": {"path": "db/changelog/none/", "errorIfMissingOrEmpty": "false"}},',
          '    {"includeAll": {"path": "db/changelog/all/", "maxDepth": 1, "minDepth": "1", "endsWithFilter": ".sql", "labels": "bulk"}},',
          '    {"includeAll": {"path": "db/changelog/more/", "maxDepth": "1", "context": "dev or test"}},',
          '  ]',
          '}',
        ].join('\n'),
        'db/changelog/a.sql': formattedSql('a'),
        'db/changelog/b.sql': formattedSql('b', 'b2 context:test'),
        'db/changelog/old.sql': formattedSql('old'),
        'db/changelog/all/c.sql': formattedSql('c'),
        'db/changelog/all/sub/never.sql': formattedSql('never'),
        'db/changelog/more/m.json': '{"databaseChangeLog": [{"include": {"file": "sql/d.sql", "relativeToChangelogFile": "true", "context": "dev"}}]}',
        'db/changelog/more/sql/d.sql': formattedSql('d'),
        'db/changelog/more/sql/deeper/never.sql': formattedSql('never2'),
      },
      { migrationsDir: 'db/changelog' },
    );
    await bothUpdate(project, 'lb_json', (rows) =>
      assert.deepEqual(rows.map((r) => [r.filename, r.id, r.contexts, r.labels]), [
        ['db/changelog/a.sql', 'a', 'dev', 'core'],
        ['db/changelog/b.sql', 'b', null, null],
        ['db/changelog/all/c.sql', 'c', null, 'bulk'],
        ['db/changelog/more/sql/d.sql', 'd', 'dev AND (dev or test)', null],
      ]),
    );
  });

  it("a .json master written as YAML (unquoted keys and values, single quotes, block style, `ignore: yes`, after `---`), an include of `cvs` or `.svn`, an includeAll's .svn and CVS folders: the same rows for both", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const project = createProject(
      {
        'liquibase.properties': 'changeLogFile=db/changelog/master.json\n',
        // Not JSON but YAML in flow style: Liquibase's JSON parser is its YAML parser (SnakeYAML), and takes it,
        // after a comment and YAML's document marker too.
        'db/changelog/master.json': [
          '# the master',
          '---',
          '{databaseChangeLog: [',
          "  {include: {file: db/changelog/a.sql, context: 'dev', labels: core}},",
          // Liquibase's include() passes over a file named `cvs` or `.svn` (any case) without looking, whether it is there or not.
          "  {'include': {file: cvs}},",
          '  {include: {file: .SVN}},',
          '  {includeAll: {path: db/changelog/all/, errorIfMissingOrEmpty: false}},',
          // YAML 1.1: a plain `yes` or `On` is true; a quoted 'yes' is text, and not true.
          '  {include: {file: db/changelog/old.sql, ignore: yes}},',
          "  {include: {file: db/changelog/kept.sql, ignore: 'yes'}},",
          "  {include: {file: 'db/changelog/block.json'}}, # a trailing comma",
          ']}',
        ].join('\n'),
        // YAML in block style in a .json file: Liquibase takes it too.
        'db/changelog/block.json': 'databaseChangeLog:\n  - include:\n      file: db/changelog/b.sql\n  - include: {file: db/changelog/old2.sql, ignore: On}\n',
        'db/changelog/old.sql': formattedSql('old'),
        'db/changelog/old2.sql': formattedSql('old2'),
        'db/changelog/kept.sql': formattedSql('kept'),
        cvs: formattedSql('never'),
        'db/changelog/a.sql': formattedSql('a'),
        'db/changelog/b.sql': formattedSql('b'),
        // An includeAll skips no folder: .svn and CVS ones run as any other.
        'db/changelog/all/c.sql': formattedSql('c'),
        'db/changelog/all/.svn/x.sql': formattedSql('svn_x'),
        'db/changelog/all/CVS/y.sql': formattedSql('cvs_y'),
        'db/changelog/all/CVS/Entries': 'not a changelog\n',
        'db/changelog/all/sub/.svn/z.sql': formattedSql('svn_z'),
      },
      { migrationsDir: 'db/changelog' },
    );
    await bothUpdate(project, 'lb_json_yaml', (rows) =>
      assert.deepEqual(rows.map((r) => [r.filename, r.id, r.contexts, r.labels]), [
        ['db/changelog/a.sql', 'a', 'dev', 'core'],
        ['db/changelog/all/.svn/x.sql', 'svn_x', null, null],
        ['db/changelog/all/CVS/y.sql', 'cvs_y', null, null],
        ['db/changelog/all/c.sql', 'c', null, null],
        ['db/changelog/all/sub/.svn/z.sql', 'svn_z', null, null],
        ['db/changelog/kept.sql', 'kept', null, null],
        ['db/changelog/b.sql', 'b', null, null],
      ]),
    );
  });

  it('an includeAll below another that names a folder already named below it: both refuse with Liquibase\'s "Circular reference detected"; with errorOnCircularIncludeAll=false both run it', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const db = await pg.createDatabase('lb_circular');
    // Two changelogs below one includeAll each includeAll db/changelog/B/: not a loop, but Liquibase remembers
    // every includeAll folder below the top one, and stops on the second.
    const project = createProject(
      {
        'liquibase.properties': 'changeLogFile=db/changelog/master.yaml\n',
        'db/changelog/master.yaml': 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/A/\n',
        'db/changelog/A/a.sql': formattedSql('a'),
        'db/changelog/A/x.yaml': 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/B/\n',
        'db/changelog/A/z.yaml': 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/B\n',
        'db/changelog/B/README.txt': 'no changelog here\n',
      },
      { migrationsDir: 'db/changelog' },
    );
    const run = liquibase(project, db, 'update');
    assert.notEqual(run.code, 0, run.out);
    const says = "Circular reference detected in 'db/changelog/B/'. Set liquibase.errorOnCircularIncludeAll if you'd like to ignore this error.";
    assert.ok(run.out.includes(says), run.out);
    const options = optionsFor(project, pg.url(db), { yes: true });
    const st = await status(options);
    assert.ok(st.usageError?.includes(`A/z.yaml:2: the includeAll of db/changelog/B names a folder an includeAll already named below the same top includeAll; Liquibase stops ("${says}")`), explain(st));
    assert.deepEqual(await pg.query("SELECT to_regclass('public.t_a') AS t", [], db), [{ t: null }]);
    project.write('liquibase.properties', 'changeLogFile=db/changelog/master.yaml\nerrorOnCircularIncludeAll=false\n');
    await bothUpdate(project, 'lb_circular_off', (rows) => assert.deepEqual(rows.map((r) => [r.filename, r.id]), [['db/changelog/A/a.sql', 'a']]));
  });

  it('failOnError:false: Liquibase and zdm both go on past the failing changesets, roll back the one in a transaction, write the same rows (none for them), and run them again next time', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const changelog = FAIL_ON_ERROR_CHANGELOG;
    const project = createProject({ 'changelog.yaml': 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/\n', 'db/changelog/001.sql': changelog });
    const byLiquibase = await pg.createDatabase('lb_foe_liquibase');
    const byZdm = await pg.createDatabase('lb_foe_zdm');
    const rows = (db: string) => pg.query<Record<string, unknown>>('SELECT id, author, filename, orderexecuted, exectype, md5sum, description, comments, tag, contexts, labels FROM databasechangelog ORDER BY orderexecuted', [], db);
    const tables = (db: string) => pg.query("SELECT to_regclass('before_it')::text AS a, to_regclass('half_done')::text AS b, to_regclass('outside')::text AS c, to_regclass('after_it')::text AS d", [], db);

    let run = liquibase(project, byLiquibase, 'update');
    assert.equal(run.code, 0, run.out);
    // Liquibase counts the failed changesets as run, and succeeds.
    assert.match(run.out, /Run:\s+4\b/, run.out);
    assert.match(run.out, /Update has been successful/, run.out);
    const options = optionsFor(project, pg.url(byZdm), { yes: true });
    let result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.continued ?? false), [false, true, true, false]);

    const expected = await rows(byLiquibase);
    assert.deepEqual(expected.map((r) => [r.id, r.orderexecuted, r.exectype]), [['1', 1, 'EXECUTED'], ['4', 2, 'EXECUTED']]);
    assert.deepEqual(await rows(byZdm), expected);
    assert.deepEqual(await tables(byZdm), await tables(byLiquibase));
    assert.deepEqual(await tables(byZdm), [{ a: 'before_it', b: null, c: 'outside', d: 'after_it' }]);

    // Both see the two failed changesets as not applied, and run them again.
    run = liquibase(project, byZdm, 'status', '--verbose');
    assert.match(run.out, /2 changesets have not been applied/, run.out);
    assert.deepEqual((await status(optionsFor(project, pg.url(byLiquibase), { yes: true }))).status!.map((s) => s.state), ['applied', 'pending', 'pending', 'applied']);
    run = liquibase(project, byLiquibase, 'update');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /Running Changeset: db\/changelog\/001\.sql::2::carol/);
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.continued ?? false), [true, true]);
    assert.deepEqual(await rows(byZdm), await rows(byLiquibase));
  });

  it('a formatted-SQL file included twice (an include and an includeAll that finds it), or an include without file: both refuse, and nothing runs', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const db = await pg.createDatabase('lb_included_twice');
    const project = createProject(
      {
        'liquibase.properties': 'changeLogFile=db/changelog/master.yaml\n',
        'db/changelog/master.yaml': 'databaseChangeLog:\n  - include:\n      file: db/changelog/sql/a.sql\n  - includeAll:\n      path: db/changelog/sql/\n',
        'db/changelog/sql/a.sql': '--liquibase formatted sql\n--changeset m:a\nCREATE TABLE t_a (id int);\n',
      },
      { migrationsDir: 'db/changelog' },
    );
    let run = liquibase(project, db, 'update');
    assert.notEqual(run.code, 0, run.out);
    assert.match(run.out, /1 changesets had duplicate identifiers\s+db\/changelog\/sql\/a\.sql::a::m/, run.out);
    const options = optionsFor(project, pg.url(db), { yes: true });
    const result = await up(options);
    assert.match(explain(result), /changeset a by m is already defined at db\/changelog\/sql\/a\.sql:2, included by db\/changelog\/master\.yaml:2/);
    project.write('db/changelog/master.yaml', 'databaseChangeLog:\n  - include: {}\n');
    run = liquibase(project, db, 'update');
    assert.notEqual(run.code, 0, run.out);
    assert.match(run.out, /No 'file' attribute on 'include'/, run.out);
    assert.match((await status(options)).usageError ?? '', /master\.yaml:2: the include gives no file; Liquibase stops \("No 'file' attribute on 'include'"\)/);
    assert.deepEqual(await pg.query("SELECT to_regclass('public.t_a') AS t", [], db), [{ t: null }]);
  });
});
