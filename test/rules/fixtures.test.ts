// Rule fixtures with rendered snapshots: test/fixtures/rules/<rule-id>/<case>.sql is linted and the
// rule's findings, rendered as `zdm lint` shows them (source line, underline, message, help, fixes),
// must equal <case>.snap. Cases named valid*.sql must yield no finding of the rule.
//
// A fixture may start with a directive line: -- fixture: {"path": "001_x.up.sql", "format": "goose", "pgVersion": 11, "files": {...}}

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { registry } from '../../server/src/engine/rules/registry';
import { initParser, lintSql, renderFindings, type LintSqlOptions } from '../helpers/lint';
import { FIXTURES } from '../helpers/paths';
import { matchSnapshot } from '../helpers/snapshot';

before(() => initParser());

const root = path.join(FIXTURES, 'rules');

export function readFixture(file: string): { sql: string; options: LintSqlOptions } {
  const sql = fs.readFileSync(file, 'utf8');
  const m = /^-- fixture: (\{.*\})\s*\n/.exec(sql);
  const options: LintSqlOptions = m ? JSON.parse(m[1]) : {};
  if (!options.path && !options.format && !/^--\s*(migrate:|\+goose\s)/im.test(sql)) options.format = 'plain';
  return { sql, options };
}

describe('rule fixtures', () => {
  const known = new Set(registry.map((r) => r.id));
  for (const dir of fs.existsSync(root) ? fs.readdirSync(root).sort() : []) {
    it(`${dir} is a rule id`, () => assert.ok(known.has(dir), `test/fixtures/rules/${dir} does not name a rule`));
    describe(dir, () => {
      for (const name of fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.sql')).sort()) {
        it(name, () => {
          const file = path.join(root, dir, name);
          const { sql, options } = readFixture(file);
          const result = lintSql(sql, options);
          assert.deepEqual(result.ruleFailures, []);
          const own = result.findings.filter((f) => f.rule === dir);
          if (name.startsWith('valid')) assert.equal(own.length, 0, renderFindings(result, dir));
          else assert.ok(own.length > 0, `expected ${dir} findings in ${name}`);
          matchSnapshot(file.replace(/\.sql$/, '.snap'), renderFindings(result, dir));
        });
      }
    });
  }

  it('every rule has fixtures', () => {
    const missing = registry.filter((r) => !fs.existsSync(path.join(root, r.id)) && !['migration-format', 'unused-ignore'].includes(r.id)).map((r) => r.id);
    assert.deepEqual(missing, []);
  });
});
