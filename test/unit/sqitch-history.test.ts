// A sqitch script's version is its change's position in sqitch.plan, so the rules that read the
// folder's history (column types, views, indexes) see the earlier changes of the plan, in plan order,
// as they do for the formats whose versions are in the file names.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { defaultConfig } from '../../server/src/engine/config/config';
import { describeMigration } from '../../server/src/engine/formats/index';
import { historyBefore } from '../../server/src/engine/history';
import { createMemoryHost } from '../../server/src/engine/host';
import { lintText } from '../../server/src/engine/lint';
import { initParser } from '../../server/src/engine/sql/parser';

const PLAN = [
  '%syntax-version=1.0.0',
  '%project=shop',
  '',
  'users 2026-11-01T10:00:00Z Ann <ann@example.org> # users',
  '@v1.0 2026-11-02T10:00:00Z Ann <ann@example.org>',
  'widen_email [users] 2026-11-03T10:00:00Z Ann <ann@example.org>',
  'users [users@v1.0] 2026-11-04T10:00:00Z Ann <ann@example.org> # users, reworked',
  '',
].join('\n');

function project(widen: string, plan = PLAN): Record<string, string> {
  return {
    '/p/sqitch.plan': plan,
    '/p/sqitch.conf': '[core]\n\tengine = pg\n',
    '/p/deploy/users@v1.0.sql': 'BEGIN;\nCREATE TABLE users (id bigint PRIMARY KEY, email varchar(50) NOT NULL);\nCOMMIT;\n',
    '/p/revert/users@v1.0.sql': 'BEGIN;\nDROP TABLE users;\nCOMMIT;\n',
    '/p/deploy/widen_email.sql': widen,
    '/p/revert/widen_email.sql': "BEGIN;\nSET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN email TYPE varchar(50);\nCOMMIT;\n",
    '/p/deploy/users.sql': "BEGIN;\nSET lock_timeout = '2s';\nCOMMENT ON TABLE users IS 'people';\nCOMMIT;\n",
    '/p/revert/users.sql': "BEGIN;\nSET lock_timeout = '2s';\nCOMMENT ON TABLE users IS NULL;\nCOMMIT;\n",
  };
}

function findings(files: Record<string, string>, file: string): string[] {
  return lintText(file, files[file], { config: defaultConfig(), host: createMemoryHost(files) }).findings.map((f) => f.rule);
}

describe('sqitch: plan positions and the folder history', () => {
  before(async () => {
    await initParser();
  });

  it('each script takes its change position in sqitch.plan (a reworked change: the script sqitch picks)', () => {
    const files = project('SELECT 1;\n');
    const host = createMemoryHost(files);
    const version = (file: string) => describeMigration(file, files[file], host).version;
    assert.equal(version('/p/deploy/users@v1.0.sql'), '1');
    assert.equal(version('/p/revert/users@v1.0.sql'), '1');
    assert.equal(version('/p/deploy/widen_email.sql'), '2');
    assert.equal(version('/p/deploy/users.sql'), '3');
    // A script the plan does not name, and a plan sqitch refuses, give none.
    const extra = { ...files, '/p/deploy/unplanned.sql': 'SELECT 1;\n' };
    assert.equal(describeMigration('/p/deploy/unplanned.sql', 'SELECT 1;\n', createMemoryHost(extra)).version, undefined);
    const broken = { ...files, '/p/sqitch.plan': 'users 2026-11-01T10:00:00Z Ann <ann@example.org>\n' };
    assert.equal(describeMigration('/p/deploy/widen_email.sql', 'SELECT 1;\n', createMemoryHost(broken)).version, undefined);
  });

  it("the earlier change's column types reach the rules: widening a varchar is not a rewrite, narrowing it is", () => {
    const widen = "BEGIN;\nSET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN email TYPE varchar(100);\nCOMMIT;\n";
    assert.deepEqual(findings(project(widen), '/p/deploy/widen_email.sql'), []);
    const narrow = "BEGIN;\nSET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN email TYPE varchar(30);\nCOMMIT;\n";
    assert.deepEqual(findings(project(narrow), '/p/deploy/widen_email.sql'), ['changing-column-type']);
  });

  it('follows the plan, not the file names: the history before a change holds what the plan ran before it', () => {
    const widen = 'SELECT 1;\n';
    const tables = (files: Record<string, string>) => {
      const host = createMemoryHost(files);
      const doc = describeMigration('/p/deploy/widen_email.sql', widen, host);
      return [...historyBefore(doc, host).keys()];
    };
    assert.deepEqual(tables(project(widen)), ['users']);
    // widen_email planned first: no change runs before it.
    const reordered = PLAN.replace('users 2026-11-01T10:00:00Z Ann <ann@example.org> # users\n@v1.0 2026-11-02T10:00:00Z Ann <ann@example.org>\nwiden_email [users] 2026-11-03T10:00:00Z Ann <ann@example.org>\n', 'widen_email 2026-11-03T10:00:00Z Ann <ann@example.org>\nusers 2026-11-01T10:00:00Z Ann <ann@example.org> # users\n@v1.0 2026-11-02T10:00:00Z Ann <ann@example.org>\n');
    assert.notEqual(reordered, PLAN);
    assert.deepEqual(tables(project(widen, reordered)), []);
  });
});
