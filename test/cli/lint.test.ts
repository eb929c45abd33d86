// `zdm lint` end to end: the built CLI in temporary projects.

import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { zdm } from '../helpers/cli';
import { CLI, REPO_ROOT } from '../helpers/paths';

const temps: string[] = [];
after(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function project(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-cli-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const UNSAFE_INDEX = "-- migrate:up\nSET lock_timeout = '5s';\nCREATE INDEX orders_user_idx ON orders (user_id);\n\n-- migrate:down\nSET lock_timeout = '5s';\nDROP INDEX orders_user_idx;\n";
const CLEAN = "-- migrate:up\nCREATE TABLE tags (id bigint PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE tags;\n";
/** An unsafe index that --fix can make safe in place: alone in its block, which becomes transaction:false. */
const FIXABLE_INDEX = '-- migrate:up\nCREATE INDEX orders_user_idx ON orders (user_id);\n\n-- migrate:down\nDROP INDEX CONCURRENTLY orders_user_idx;\n';
const WARNING_ONLY = '-- migrate:up\nALTER TABLE users ADD COLUMN bio text;\n\n-- migrate:down\nSET lock_timeout = \'5s\';\nALTER TABLE users DROP COLUMN bio;\n';

describe('zdm lint', () => {
  it('prints compiler-style text: the source line, an underline, the message, help and docs', () => {
    const dir = project({ 'db/migrations/20240101000000_idx.sql': UNSAFE_INDEX });
    const r = zdm(['lint', 'db/migrations'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /error\[require-concurrent-index-creation\]: CREATE INDEX takes a SHARE lock on orders/);
    assert.match(r.stdout, / --> db\/migrations\/20240101000000_idx\.sql:3:1\n/);
    assert.match(r.stdout, /3 \| CREATE INDEX orders_user_idx ON orders \(user_id\);\n  \| \^{10,}/);
    assert.match(r.stdout, /= help: Use CREATE INDEX CONCURRENTLY/);
    assert.match(r.stdout, /= docs: .*require-concurrent-index-creation\.md/);
    assert.match(r.stdout, /Found 1 error.* in 1 file \(1 file linted\)\./);
  });

  it('prints JSON findings with 1-based lines and UTF-16 columns, and the fix title', () => {
    const text = "-- migrate:up\nSET lock_timeout = '5s';\nINSERT INTO t VALUES ('😀'); CREATE INDEX i ON t (a);\n\n-- migrate:down\nSELECT 1;\n";
    const dir = project({ 'db/migrations/20240101000000_json.sql': text });
    const r = zdm(['lint', '--format', 'json', '.'], dir);
    const findings = JSON.parse(r.stdout);
    const f = findings.find((x: { rule: string }) => x.rule === 'require-concurrent-index-creation');
    assert.deepEqual(Object.keys(f).sort(), ['column', 'endColumn', 'endLine', 'file', 'fix', 'help', 'line', 'message', 'rule', 'severity'].sort());
    assert.equal(f.file, 'db/migrations/20240101000000_json.sql');
    assert.equal(f.line, 3);
    assert.equal(f.column, 30); // after "INSERT INTO t VALUES ('😀'); " with the emoji counted as 2 UTF-16 units
    assert.equal(f.severity, 'error');
    // Not alone in its block: the index moves to a migration of its own, with CONCURRENTLY.
    assert.match(f.fix.title, /^Move to a new migration 20240101000001_create_index_i_concurrently\.sql, with CONCURRENTLY$/);
  });

  it('prints SARIF 2.1.0 with rules and results', () => {
    const dir = project({ 'db/migrations/20240101000000_idx.sql': UNSAFE_INDEX });
    const sarif = JSON.parse(zdm(['lint', '--format', 'sarif', '.'], dir).stdout);
    assert.equal(sarif.version, '2.1.0');
    const run = sarif.runs[0];
    assert.equal(run.tool.driver.name, 'zdm');
    const result = run.results.find((r: { ruleId: string }) => r.ruleId === 'require-concurrent-index-creation');
    assert.equal(result.level, 'error');
    assert.equal(run.tool.driver.rules[result.ruleIndex].id, 'require-concurrent-index-creation');
    assert.deepEqual(result.locations[0].physicalLocation.region, { startLine: 3, startColumn: 1, endLine: 3, endColumn: 39 });
    assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, 'db/migrations/20240101000000_idx.sql');
  });

  it('GitHub annotations and SARIF name files from the repository root, run from a subfolder; SARIF URIs are percent-encoded', () => {
    const dir = project({ 'app/db/migrations/20240101000000_a b%c.sql': UNSAFE_INDEX });
    execFileSync('git', ['init', '-q'], { cwd: dir });
    const sub = path.join(dir, 'app', 'db');
    const github = zdm(['lint', '--format', 'github', 'migrations'], sub, { GITHUB_WORKSPACE: '' }).stdout;
    assert.match(github, /^::error file=app\/db\/migrations\/20240101000000_a b%25c\.sql,line=3,/m);
    const sarif = JSON.parse(zdm(['lint', '--format', 'sarif', 'migrations'], sub, { GITHUB_WORKSPACE: '' }).stdout);
    const run = sarif.runs[0];
    assert.deepEqual(run.results[0].locations[0].physicalLocation.artifactLocation, { uri: 'app/db/migrations/20240101000000_a%20b%25c.sql', uriBaseId: '%SRCROOT%' });
    assert.equal(run.originalUriBaseIds['%SRCROOT%'].uri, `${pathToFileURL(dir).href}/`);
    // Text and JSON stay relative to the folder zdm runs in.
    assert.equal(JSON.parse(zdm(['lint', '--format', 'json', 'migrations'], sub).stdout)[0].file, 'migrations/20240101000000_a b%c.sql');
  });

  it('prints GitHub annotations with escaped properties', () => {
    const dir = project({ 'db/migrations/20240101000000_idx.sql': UNSAFE_INDEX });
    const out = zdm(['lint', '--format', 'github', '.'], dir).stdout;
    assert.match(out, /^::error file=db\/migrations\/20240101000000_idx\.sql,line=3,col=1,endLine=3,endColumn=39,title=zdm require-concurrent-index-creation::CREATE INDEX takes a SHARE lock/m);
    assert.ok(!out.split('\n').some((l) => l.length > 0 && !l.startsWith('::')), 'one line per annotation');
  });

  it('exits 0 when clean, 0 on warnings below the failing level, 1 with --fail-on warning', () => {
    assert.equal(zdm(['lint', '.'], project({ 'db/migrations/20240101000000_ok.sql': CLEAN })).code, 0);
    const warn = project({ 'db/migrations/20240101000000_warn.sql': WARNING_ONLY });
    const r = zdm(['lint', '.'], warn);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /warning\[require-lock-timeout\]/);
    assert.equal(zdm(['lint', '--fail-on', 'warning', '.'], warn).code, 1);
    fs.writeFileSync(path.join(warn, '.zdm.json'), '{ "failOn": "warning" }');
    assert.equal(zdm(['lint', '.'], warn).code, 1);
  });

  it('exits 2 with a clear message on bad usage', () => {
    const dir = project({ 'a.sql': CLEAN });
    const cases: [string[], RegExp][] = [
      [['lint', '--format', 'xml'], /unknown --format "xml"/],
      [['lint', '--pg-version', 'twelve'], /--pg-version must be a PostgreSQL major version/],
      [['lint', 'missing-folder'], /No such file or folder: missing-folder/],
      [['lint', '--config', 'nope.json'], /--config nope.json: no such file/],
      [['lint', '--bogus'], /Unknown option '--bogus'/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [args, message] of cases) {
      const r = zdm(args, dir);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('reports a config typo once on stderr, still lints with the rest of the config, and exits 2', () => {
    const dir = project({
      '.zdm.json': '{ "pgVersoin": 12, "rules": { "require-lock-timeout": "off" } }',
      'db/migrations/20240101000000_a.sql': WARNING_ONLY,
      'db/migrations/20240102000000_b.sql': UNSAFE_INDEX,
    });
    const r = zdm(['lint', '.'], dir);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.match(/Unknown key "pgVersoin"/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /did you mean "pgVersion"/);
    assert.match(r.stdout, /require-concurrent-index-creation/);
    assert.doesNotMatch(r.stdout, /require-lock-timeout/);
  });

  it('--pg-version overrides the config', () => {
    const dir = project({ '.zdm.json': '{ "pgVersion": 11 }', 'db/migrations/20240101000000_ok.sql': CLEAN });
    assert.equal(zdm(['lint', '--pg-version', '16', '.'], dir).code, 0);
  });

  it('keeps migrations at or before the baseline quiet unless asked', () => {
    const dir = project({
      '.zdm.json': '{ "baseline": "20240101000000" }',
      'db/migrations/20231231000000_old.sql': UNSAFE_INDEX,
      'db/migrations/20240101000000_at.sql': UNSAFE_INDEX,
      'db/migrations/20240102000000_new.sql': UNSAFE_INDEX,
    });
    const quiet = JSON.parse(zdm(['lint', '--format', 'json', '.'], dir).stdout);
    assert.deepEqual([...new Set(quiet.map((f: { file: string }) => f.file))], ['db/migrations/20240102000000_new.sql']);
    const all = JSON.parse(zdm(['lint', '--format', 'json', '--ignore-baseline', '.'], dir).stdout);
    assert.equal(new Set(all.map((f: { file: string }) => f.file)).size, 3);
  });

  it('a baseline written as a date covers that whole day (dbmate timestamps, diesel folders)', () => {
    const dir = project({
      '.zdm.json': '{ "baseline": "2024-01-01" }',
      'db/migrations/20240101093000_at.sql': UNSAFE_INDEX,
      'db/migrations/20240102000000_new.sql': UNSAFE_INDEX,
      'migrations/2024-01-01-120000_at/up.sql': 'CREATE INDEX i ON t (a);\n',
      'migrations/2024-01-01-120000_at/down.sql': 'DROP INDEX i;\n',
      'migrations/2024-01-02-000000_new/up.sql': 'CREATE INDEX j ON t (a);\n',
      'migrations/2024-01-02-000000_new/down.sql': 'DROP INDEX j;\n',
    });
    const quiet = JSON.parse(zdm(['lint', '--format', 'json', '.'], dir).stdout);
    assert.deepEqual([...new Set(quiet.map((f: { file: string }) => f.file))].sort(), ['db/migrations/20240102000000_new.sql', 'migrations/2024-01-02-000000_new/down.sql', 'migrations/2024-01-02-000000_new/up.sql']);
  });

  it('--since REF lints only migrations added or changed since the ref', () => {
    const dir = project({ 'db/migrations/20240101000000_a.sql': UNSAFE_INDEX, 'db/migrations/20240102000000_b.sql': UNSAFE_INDEX });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
    git('init', '-q');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'base');
    fs.appendFileSync(path.join(dir, 'db/migrations/20240102000000_b.sql'), '-- edited\n');
    fs.writeFileSync(path.join(dir, 'db/migrations/20240103000000_c.sql'), UNSAFE_INDEX);
    const r = zdm(['lint', '--format', 'json', '--since', 'HEAD', 'db/migrations'], dir);
    const files = [...new Set(JSON.parse(r.stdout).map((f: { file: string }) => f.file))].sort();
    assert.deepEqual(files, ['db/migrations/20240102000000_b.sql', 'db/migrations/20240103000000_c.sql']);
    // Names git would quote (non-ASCII, a tab) are matched too, committed since the ref or untracked.
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'more');
    fs.writeFileSync(path.join(dir, 'db/migrations/20240104000000_café.sql'), UNSAFE_INDEX);
    git('add', 'db/migrations/20240104000000_café.sql');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'accent');
    fs.writeFileSync(path.join(dir, 'db/migrations/20240105000000_tab\there.sql'), UNSAFE_INDEX);
    const unicode = zdm(['lint', '--format', 'json', '--since', 'HEAD~1', 'db/migrations'], dir);
    assert.deepEqual([...new Set(JSON.parse(unicode.stdout).map((f: { file: string }) => f.file))].sort(), ['db/migrations/20240104000000_café.sql', 'db/migrations/20240105000000_tab\there.sql']);
    const bad = zdm(['lint', '--since', 'no-such-ref', '.'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since no-such-ref/);
  });

  it('follows symbolic links to migration files and folders when it walks a folder, once each', () => {
    const elsewhere = project({ 'shared/20240101000000_a.sql': UNSAFE_INDEX, 'kept/20240102000000_b.sql': UNSAFE_INDEX });
    const dir = project({ 'db/migrations/20240103000000_c.sql': UNSAFE_INDEX });
    fs.symlinkSync(path.join(elsewhere, 'shared/20240101000000_a.sql'), path.join(dir, 'db/migrations/20240101000000_a.sql'));
    fs.symlinkSync(path.join(elsewhere, 'kept'), path.join(dir, 'db/migrations/kept'));
    fs.symlinkSync(path.join(dir, 'db'), path.join(dir, 'db/migrations/loop')); // a cycle
    fs.symlinkSync(path.join(dir, 'nowhere.sql'), path.join(dir, 'db/migrations/20240104000000_broken.sql'));
    const r = zdm(['lint', '--format', 'json', '.'], dir);
    const files = [...new Set(JSON.parse(r.stdout).map((f: { file: string }) => f.file))].sort();
    assert.deepEqual(files, ['db/migrations/20240101000000_a.sql', 'db/migrations/20240103000000_c.sql', 'db/migrations/kept/20240102000000_b.sql']);
  });

  it('an ignore comment after a statement on its line silences that statement, not the next one', () => {
    const text = "-- migrate:up\nSET lock_timeout = '5s';\nCREATE INDEX e_idx ON a (y); -- zdm-ignore require-concurrent-index-creation -- built off-hours\nCREATE INDEX f_idx ON a (y);\nCREATE INDEX g_idx ON a (z); /* ZDM-IGNORE require-concurrent-index-creation */\n\n-- migrate:down\nDROP INDEX CONCURRENTLY g_idx;\nDROP INDEX CONCURRENTLY f_idx;\nDROP INDEX CONCURRENTLY e_idx;\n";
    const dir = project({ 'db/migrations/20240101000000_idx.sql': text });
    const findings = JSON.parse(zdm(['lint', '--format', 'json', '.'], dir).stdout) as { rule: string; line: number }[];
    assert.deepEqual(
      findings.filter((f) => f.rule === 'require-concurrent-index-creation' || f.rule === 'unused-ignore').map((f) => [f.rule, f.line]),
      [['require-concurrent-index-creation', 4]],
    );
  });

  it('reports an unclosed /* comment as a syntax error instead of hiding the statements after it', () => {
    const dir = project({ 'migrations/20240101000000_add_idx.sql': 'CREATE INDEX i ON b (x);\n/* TODO\nCREATE INDEX j ON b (y);\n' });
    const findings = JSON.parse(zdm(['lint', '--format', 'json', '.'], dir).stdout) as { rule: string; line: number; message: string }[];
    const syntax = findings.filter((f) => f.rule === 'syntax-error');
    assert.equal(syntax.length, 1);
    assert.equal(syntax[0].line, 2);
    assert.match(syntax[0].message, /Unterminated block comment/);
  });

  it('a folder walk lints migrations only (as the editor does): a schema dump or saved query is left out, with a note, unless named', () => {
    const dir = project({
      'db/migrations/20240101000000_idx.sql': UNSAFE_INDEX,
      'db/schema.sql': 'CREATE TABLE orders (id int, user_id int);\nCREATE INDEX orders_user_idx ON orders (user_id);\n',
      'queries/report.sql': 'SELECT 1;\n',
      'sql/20240102000000_plain.sql': "-- migrate:up\nCREATE INDEX a_idx ON a (x);\n-- migrate:down\nDROP INDEX a_idx;\n",
    });
    const walked = zdm(['lint', '--format', 'json', '.'], dir);
    assert.deepEqual([...new Set(JSON.parse(walked.stdout).map((f: { file: string }) => f.file))].sort(), ['db/migrations/20240101000000_idx.sql', 'sql/20240102000000_plain.sql']);
    assert.match(walked.stderr, /left out 2 \.sql files that do not look like migrations \(db\/schema\.sql, queries\/report\.sql\)/);
    const named = zdm(['lint', '--format', 'json', 'db/schema.sql', '.'], dir);
    assert.ok(JSON.parse(named.stdout).some((f: { file: string }) => f.file === 'db/schema.sql'));
    assert.match(named.stderr, /left out 1 \.sql file that does not look like a migration \(queries\/report\.sql\)/);
  });

  it('expands quoted globs and skips ignored files', () => {
    const dir = project({
      '.zdm.json': '{ "ignore": ["db/migrations/legacy/**"] }',
      'db/migrations/20240101000000_a.sql': UNSAFE_INDEX,
      'db/migrations/legacy/20200101000000_old.sql': UNSAFE_INDEX,
      'other/x.txt': 'not sql',
    });
    const files = new Set(JSON.parse(zdm(['lint', '--format', 'json', 'db/**/*.sql'], dir).stdout).map((f: { file: string }) => f.file));
    assert.deepEqual([...files], ['db/migrations/20240101000000_a.sql']);
  });

  it('reports a file that is not UTF-8 clearly, with its line', () => {
    const dir = project({ 'db/migrations/20240101000000_latin1.sql': Buffer.concat([Buffer.from("-- migrate:up\nSELECT 'caf"), Buffer.from([0xe9]), Buffer.from("';\n-- migrate:down\nSELECT 1;\n")]) });
    const r = zdm(['lint', '--format', 'json', '.'], dir);
    const findings = JSON.parse(r.stdout);
    assert.equal(findings.length, 1);
    assert.match(findings[0].message, /not valid UTF-8 \(byte 0xe9 at line 2\)/);
    assert.equal(findings[0].line, 2);
  });

  it('lints the same with worker threads as in one thread', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 120; i++) files[`db/migrations/2024010100${String(i).padStart(4, '0')}_m${i}.sql`] = i % 3 === 0 ? UNSAFE_INDEX : i % 3 === 1 ? WARNING_ONLY : CLEAN;
    const dir = project(files);
    const one = zdm(['lint', '--format', 'json', '--threads', '1', '.'], dir).stdout;
    const two = zdm(['lint', '--format', 'json', '--threads', '2', '.'], dir).stdout;
    assert.equal(JSON.parse(one).length, 80); // one finding in each of the 40 unsafe-index and 40 warning files
    assert.equal(two, one);
  });


  it('a report many times a pipe buffer reaches the pipe whole, though zdm lint exits without tearing down its heap', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`db/migrations/2024010100${String(i).padStart(4, '0')}_m${i}.sql`] = UNSAFE_INDEX.replaceAll('orders_user_idx', `orders_user_idx_${i}`);
    const dir = project(files);
    for (const format of ['json', 'text']) {
      // Through a shell pipe into `wc -c` and a file, as CI captures it: nothing is cut off when the process exits.
      const out = path.join(dir, `out.${format}`);
      const shell = execFileSync('sh', ['-c', `node "$1" lint --format ${format} . | tee "$2" | wc -c`, 'sh', CLI, out], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      const direct = zdm(['lint', '--format', format, '.'], dir);
      assert.equal(direct.code, 1);
      assert.ok(Buffer.byteLength(direct.stdout) > 2 * 65536, 'larger than a pipe buffer');
      assert.equal(Number(shell.trim()), Buffer.byteLength(direct.stdout));
      assert.equal(fs.readFileSync(out, 'utf8'), direct.stdout);
      if (format === 'json') assert.equal(JSON.parse(direct.stdout).filter((f: { rule: string }) => f.rule === 'require-concurrent-index-creation').length, 400);
    }
  });
  it('ends quietly with 141 when the reader closes the pipe early, as `zdm lint | head` does', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`db/migrations/2024010100${String(i).padStart(4, '0')}_m${i}.sql`] = UNSAFE_INDEX.replaceAll('orders_user_idx', `orders_user_idx_${i}`);
    const dir = project(files);
    for (const threads of ['1', '2']) {
      // A shell pipe (64 KB) into `head`, which leaves after the first lines of a report of several
      // hundred KB: zdm's next write then fails with EPIPE.
      const script = `node "$1" lint --threads ${threads} . 2>"$2" | head -n 3 >/dev/null; echo "\${PIPESTATUS[0]}"`;
      const err = path.join(dir, `stderr-${threads}`);
      const status = execFileSync('bash', ['-c', script, 'bash', CLI, err], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      assert.equal(status.trim(), '141', `threads ${threads}`);
      assert.equal(fs.readFileSync(err, 'utf8'), '', `threads ${threads}: nothing on stderr, no stack trace`);
    }
  });
  it('--fix still fixes every file when the reader closes the pipe early, and exits with the findings\' code', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 200; i++) {
      // Unfixable findings first (the sorted order): their report fills the pipe before any fix is made.
      files[`db/migrations/2024010100${String(i).padStart(4, '0')}_drop${i}.sql`] = `-- migrate:up\nALTER TABLE users DROP COLUMN c_${i};\n\n-- migrate:down\nALTER TABLE users ADD COLUMN c_${i} text;\n`;
      files[`db/migrations/2024010200${String(i).padStart(4, '0')}_idx${i}.sql`] = FIXABLE_INDEX.replaceAll('orders_user_idx', `orders_user_idx_${i}`);
    }
    const dir = project(files);
    const err = path.join(dir, 'stderr');
    const script = `node "$1" lint --fix . 2>"$2" | head -n 3 >/dev/null; echo "\${PIPESTATUS[0]}"`;
    const status = execFileSync('bash', ['-c', script, 'bash', CLI, err], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(status.trim(), '1', 'the findings left (the dropped columns) decide the exit code');
    const stderr = fs.readFileSync(err, 'utf8');
    assert.doesNotMatch(stderr, /EPIPE|Error:|internal error/);
    assert.match(stderr, /_idx199\.sql: \d+ fix(es)? applied/);
    const unfixed = Object.keys(files).filter((f) => f.includes('_idx') && !fs.readFileSync(path.join(dir, f), 'utf8').includes('CREATE INDEX CONCURRENTLY'));
    assert.deepEqual(unfixed, []);
  });
  it('--stdin-filename lints the text on stdin as the migration at that path: its format, its other half and its folder from the disk', () => {
    const dir = project({
      'db/migrations/20240101000000_idx.sql': CLEAN, // on the disk; stdin holds the editor's unsaved text
      'pairs/000001_create_tags.down.sql': 'DROP TABLE tags;\n',
      // A folder that keeps downs, where the migration on stdin has none.
      'lonely/000000_create_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY);\n',
      'lonely/000000_create_users.down.sql': 'DROP TABLE users;\n',
    });
    const stdin = (name: string, input: string | Buffer, ...args: string[]) => {
      const r = spawnSync(process.execPath, [CLI, 'lint', '--format', 'json', ...args, '--stdin-filename', name], { cwd: dir, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      return { code: r.status, findings: r.status === 2 ? [] : (JSON.parse(r.stdout) as Array<{ file: string; rule: string; line: number; message: string }>), stderr: r.stderr };
    };
    const unsaved = stdin('db/migrations/20240101000000_idx.sql', UNSAFE_INDEX);
    assert.equal(unsaved.code, 1);
    assert.deepEqual(unsaved.findings.map((f) => [f.file, f.rule, f.line]), [['db/migrations/20240101000000_idx.sql', 'require-concurrent-index-creation', 3]]);
    assert.equal(fs.readFileSync(path.join(dir, 'db/migrations/20240101000000_idx.sql'), 'utf8'), CLEAN, 'the file on the disk is not touched');

    // golang-migrate: the up on stdin, its down on the disk (or not).
    const up = 'CREATE TABLE tags (id bigint PRIMARY KEY);\n';
    assert.deepEqual(stdin('pairs/000001_create_tags.up.sql', up).findings.map((f) => f.rule), []);
    assert.deepEqual(stdin('lonely/000001_create_tags.up.sql', up).findings.map((f) => f.rule), ['missing-down-section']);

    const binary = stdin('db/migrations/20240102000000_bad.sql', Buffer.from([0x53, 0x45, 0x4c, 0x0a, 0xff, 0x0a]));
    assert.equal(binary.code, 1);
    assert.deepEqual(binary.findings.map((f) => [f.rule, f.line]), [['syntax-error', 2]]);
    assert.match(binary.findings[0].message, /not valid UTF-8 \(byte 0xff at line 2\)/);

    for (const extra of [['db'], ['--fix']]) {
      const bad = stdin('db/migrations/20240101000000_idx.sql', UNSAFE_INDEX, ...extra);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--stdin-filename lints the text on stdin as one file: it cannot be combined with/);
    }
  });

  it('--fix rewrites files in place with safe fixes only, and running it twice changes nothing more', () => {
    const dir = project({ 'db/migrations/20240101000000_idx.sql': FIXABLE_INDEX });
    const file = path.join(dir, 'db/migrations/20240101000000_idx.sql');
    const r = zdm(['lint', '--fix', '.'], dir);
    assert.match(r.stderr, /fixes? applied/);
    const fixed = fs.readFileSync(file, 'utf8');
    // Each block holds its statement alone (dbmate sends a transaction:false block as one query string):
    // the SET lock_timeout require-lock-timeout would add to the unsafe CREATE INDEX is not added to the
    // block that became transaction:false, where it would make the index build fail.
    assert.equal(fixed, '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY orders_user_idx;\n');
    assert.doesNotMatch(r.stdout, /require-concurrent-index-creation|ban-concurrent-index-creation-in-transaction/);
    zdm(['lint', '--fix', '.'], dir);
    assert.equal(fs.readFileSync(file, 'utf8'), fixed);
    assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((f) => f.includes('.tmp')), [], 'no temp file left behind');
  });

  it('--fix keeps a byte-order mark and CRLF line endings, and counts a fix applied twice once per title', () => {
    const text = "\uFEFF-- migrate:up\r\nCREATE TABLE a (id int);\r\nCREATE INDEX a_id_idx ON a (id);\r\nALTER TABLE b ADD COLUMN c int;\r\nCREATE INDEX b_c_idx ON b (c);\r\n\r\n-- migrate:down\r\nDROP INDEX CONCURRENTLY b_c_idx;\r\nALTER TABLE b DROP COLUMN c;\r\nDROP TABLE a;\r\n";
    const dir = project({ 'db/migrations/20240101000000_idx.sql': text });
    const file = path.join(dir, 'db/migrations/20240101000000_idx.sql');
    const r = zdm(['lint', '--fix', '.'], dir);
    const fixed = fs.readFileSync(file, 'utf8');
    assert.notEqual(fixed, text, r.stderr);
    assert.ok(fixed.startsWith('\uFEFF-- migrate:up'), 'the byte-order mark is kept');
    assert.doesNotMatch(fixed.replace(/\r\n/g, ''), /\n/, 'every line still ends with CRLF');
    const [, count, titles] = /(\d+) fixes applied \((.*)\)\./.exec(r.stderr) ?? [];
    const listed = titles.split('; ').reduce((n, t) => n + Number(/ ×(\d+)$/.exec(t)?.[1] ?? 1), 0);
    assert.equal(listed, Number(count), r.stderr);
  });

  it('--fix keeps lone \\r line endings (old Mac files): the inserted lines end with \\r too', () => {
    const text = '-- migrate:up\rALTER TABLE users ADD COLUMN c int;\r\r-- migrate:down\rALTER TABLE users DROP COLUMN c;\r';
    const dir = project({ 'db/migrations/20240101000000_c.sql': text });
    const file = path.join(dir, 'db/migrations/20240101000000_c.sql');
    const r = zdm(['lint', '--fix', '.'], dir);
    const fixed = fs.readFileSync(file, 'utf8');
    assert.match(fixed, /^-- migrate:up\rSET lock_timeout = '5s';\rALTER TABLE users ADD COLUMN c int;\r/, r.stderr);
    assert.doesNotMatch(fixed, /\n/, 'no \\n brought into the file');
  });

  it('lints the project examples (the README demo)', () => {
    const r = zdm(['lint', 'examples'], REPO_ROOT);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /require-concurrent-index-creation/);
    assert.match(r.stdout, /constraint-missing-not-valid/);
    assert.match(r.stdout, /missing-down-section/);
  });
});
