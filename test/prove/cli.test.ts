// `zdm roundtrip`, `zdm trace`, `zdm verify` from the built CLI: output formats, reports, exit codes
// (0 clean, 1 findings or failures, 2 bad usage).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { up } from '../../server/src/engine/runner/commands';
import { zdm } from '../helpers/cli';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, optionsFor } from '../runner/helpers';
import { throwawaysOn } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

describe('the proving commands on the command line', () => {
  it('trace --format json and --report; roundtrip exit codes; verify; usage errors', async () => {
    const db = await pg.createDatabase('cli');
    const project = createProject({
      'db/migrations/20240101000000_users.sql': dbmateFile('CREATE TABLE users (id int PRIMARY KEY, email text);\n-- zdm:verify SELECT count(*) FROM users -- expect 0', 'DROP TABLE users;'),
      'db/migrations/20240102000000_index.sql': dbmateFile('CREATE INDEX users_email_idx ON users (email);', 'SELECT 1;'),
    });
    await up({ ...optionsFor(project, pg.url(db)), to: '20240101000000' });
    const env = { DATABASE_URL: pg.url(db) };

    const trace = zdm(['trace', 'db/migrations/20240102000000_index.sql', '--format', 'json', '--report', 'out/trace.md'], project.root, env);
    assert.equal(trace.code, 0, trace.stderr);
    const result = JSON.parse(trace.stdout);
    assert.equal(result.command, 'trace');
    assert.equal(result.statements[0].locks.find((l: { name: string }) => l.name === 'users').mode, 'SHARE');
    assert.doesNotMatch(trace.stdout + trace.stderr, /zdm_test_password/, 'the password never shows');
    const markdown = fs.readFileSync(project.file('out/trace.md'), 'utf8');
    assert.match(markdown, /^# Lock trace: db\/migrations\/20240102000000_index\.sql \(up\)/);
    assert.match(markdown, /\| 1 \| 2 \| `CREATE INDEX users_email_idx ON users \(email\);` \| SHARE users ✓ \| create-index ✓ \|/);

    const roundtrip = zdm(['roundtrip', '--report', 'out/roundtrip.md'], project.root, env);
    assert.equal(roundtrip.code, 1, 'the down forgets the index: an error-level finding');
    assert.match(roundtrip.stdout, /db\/migrations\/20240102000000_index\.sql:4:1: error \[roundtrip-schema\] Index users_email_idx exists after down but not before up/);
    assert.match(fs.readFileSync(project.file('out/roundtrip.md'), 'utf8'), /\| `db\/migrations\/20240102000000_index\.sql` \| ✗ up failed after down \|/);

    const verify = zdm(['verify', '--format', 'json'], project.root, env);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(JSON.parse(verify.stdout).files[0].passed, true);

    assert.equal(zdm(['trace'], project.root, env).code, 2);
    assert.equal(zdm(['roundtrip', '--format', 'xml'], project.root, env).code, 2);
    const notMigration = zdm(['trace', 'README.md'], project.root, env);
    assert.equal(notMigration.code, 2);
    assert.match(notMigration.stderr, /README\.md is not one of the project's migrations/);
    assert.deepEqual(await throwawaysOn(pg), []);
  });

  it('help lists the commands, and zdm up --help lists --force', () => {
    const project = createProject({});
    assert.match(zdm(['--help'], project.root).stdout, /zdm roundtrip .*\n.*zdm trace FILE .*\n.*zdm verify /);
    assert.match(zdm(['up', '--help'], project.root).stdout, /--force\s+Apply a contract migration even when its backfill/);
    assert.match(zdm(['trace', '--help'], project.root).stdout, /confirmed \/ static only \/ trace only/);
  });
});
