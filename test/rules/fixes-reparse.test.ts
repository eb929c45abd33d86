// Every fix offered on a rule fixture is applied and the result parsed again: a quick-fix must never
// turn a migration into SQL that PostgreSQL rejects (squawk tests its fixes the same way).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { applyEdits } from '../../server/src/engine/fixes/apply';
import { initParser, lintSql, type LintSqlOptions } from '../helpers/lint';
import { FIXTURES } from '../helpers/paths';

before(() => initParser());

const root = path.join(FIXTURES, 'rules');

function readFixture(file: string): { sql: string; options: LintSqlOptions } {
  const sql = fs.readFileSync(file, 'utf8');
  const m = /^-- fixture: (\{.*\})\s*\n/.exec(sql);
  const options: LintSqlOptions = m ? JSON.parse(m[1]) : {};
  if (!options.path && !options.format && !/^--\s*migrate:/m.test(sql)) options.format = 'plain';
  return { sql, options };
}

describe('fixes re-parse', () => {
  for (const dir of fs.existsSync(root) ? fs.readdirSync(root).sort() : []) {
    for (const name of fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.sql') && !f.startsWith('valid')).sort()) {
      it(`${dir}/${name}`, () => {
        const { sql, options } = readFixture(path.join(root, dir, name));
        const result = lintSql(sql, options);
        for (const finding of result.findings.filter((f) => f.rule === dir)) {
          for (const fix of finding.fixes ?? []) {
            const own = fix.edits.filter((e) => e.path === undefined);
            const applied = applyEdits(sql, own);
            assert.ok(applied.ok, `${fix.title}: ${applied.ok ? '' : applied.reason}`);
            if (!applied.ok) continue;
            const again = lintSql(applied.text, options);
            const broken = again.findings.filter((f) => f.rule === 'syntax-error');
            assert.deepEqual(broken.map((f) => f.message), [], `"${fix.title}" produced SQL that does not parse:\n${applied.text}`);
          }
        }
      });
    }
  }
});
