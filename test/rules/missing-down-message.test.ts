// missing-down-section names the file that is missing where the user would look for it.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

describe('missing-down-section message', () => {
  it('names sqitch\'s revert script with its folder, and a golang-migrate down file by its name', () => {
    const plan = '%project=x\nusers 2024-01-01T00:00:00Z a <a@b> # users\nnodown 2024-01-02T00:00:00Z a <a@b> # no down\n';
    const sqitch = lintSql('BEGIN;\nCREATE TABLE tags (id int);\nCOMMIT;\n', { path: 'sq/deploy/nodown.sql', files: { '../sqitch.plan': plan, 'users.sql': 'BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n', '../revert/users.sql': 'DROP TABLE users;\n' } });
    const finding = sqitch.findings.find((f) => f.rule === 'missing-down-section')!;
    assert.match(finding.message, /^No down migration: revert\/nodown\.sql does not exist/);
    const golang = lintSql('CREATE TABLE tags (id int);\n', { path: 'gm/000002_tags.up.sql', files: { '000001_users.up.sql': 'CREATE TABLE users (id int);\n', '000001_users.down.sql': 'DROP TABLE users;\n' } });
    assert.match(golang.findings.find((f) => f.rule === 'missing-down-section')!.message, /^No down migration: 000002_tags\.down\.sql does not exist/);
  });
});
