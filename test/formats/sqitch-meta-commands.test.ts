// A psql meta-command zdm's runner refuses in a sqitch script (`\i`, `\if`, `\connect`, a `\set` that
// changes how psql runs the script ...) is a migration-format warning at the command while typing: the
// runner would refuse the script only when it is run.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { defaultConfig } from '../../server/src/engine/config/config';
import { createMemoryHost } from '../../server/src/engine/host';
import { lintText } from '../../server/src/engine/lint';
import { initParser } from '../../server/src/engine/sql/parser';

const PLAN = '%syntax-version=1.0.0\n%project=shop\n\nusers 2026-11-01T10:00:00Z Ann <ann@example.org> # users\n';

/** The migration-format findings of deploy/users.sql holding `deploy`: [the text they underline, the message]. */
function warnings(deploy: string): [string, string][] {
  const files = { '/p/sqitch.plan': PLAN, '/p/sqitch.conf': '[core]\n\tengine = pg\n', '/p/deploy/users.sql': deploy, '/p/revert/users.sql': 'DROP TABLE users;\n' };
  const findings = lintText('/p/deploy/users.sql', deploy, { config: defaultConfig(), host: createMemoryHost(files) }).findings.filter((f) => f.rule === 'migration-format');
  for (const f of findings) assert.equal(f.severity, 'warning');
  return findings.map((f) => [deploy.slice(f.span.start, f.span.end), f.message]);
}

describe('sqitch: psql meta-commands the runner refuses', () => {
  before(async () => {
    await initParser();
  });

  it('\\i is a warning at the command, saying the included file is not linted', () => {
    const found = warnings('BEGIN;\n\\i shared/users.sql\nCOMMIT;\n');
    assert.deepEqual(found.map(([text]) => text), ['\\i']);
    assert.match(found[0][1], /^psql meta-command \\i cannot be run by zdm .*; so zdm's runner refuses the script\. zdm does not lint the file it includes\.$/);
  });

  it('an \\if block is one warning, at its \\if', () => {
    const found = warnings('\\if :{?with_users}\nCREATE TABLE users (id bigint);\n\\else\nSELECT 1;\n\\endif\n');
    assert.deepEqual(found.map(([text]) => text), ['\\if']);
    assert.match(found[0][1], /zdm lints every branch as if it ran/);
  });

  it('a \\set that changes how psql runs the script is a warning; one that keeps sqitch\'s way is not', () => {
    assert.deepEqual(warnings('\\set AUTOCOMMIT off\nCREATE TABLE users (id bigint);\nCOMMIT;\n').map(([text]) => text), ['\\set']);
    assert.deepEqual(warnings('\\set ON_ERROR_ROLLBACK on\nCREATE TABLE users (id bigint);\n').map(([text]) => text), ['\\set']);
    assert.deepEqual(warnings('\\unset ON_ERROR_STOP\nCREATE TABLE users (id bigint);\n').map(([text]) => text), ['\\unset']);
    assert.deepEqual(warnings('\\set ON_ERROR_STOP 1\n\\set AUTOCOMMIT on\n\\unset AUTOCOMMIT\n\\set owner app\n\\echo deploying\nCREATE TABLE users (id bigint);\n'), []);
  });
});
