// Every quick-fix writes the line endings the file already uses: run on each rule's invalid docs
// examples written with CRLF, no fix may leave a bare \n in the file it edits (a file with mixed
// endings shows as changed on every line in some editors and diffs, and breaks tools that read one).

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { applyEdits } from '../../server/src/engine/fixes/apply';
import { registry } from '../../server/src/engine/rules/registry';
import { initParser, lintSql, VIRTUAL_ROOT } from '../helpers/lint';

const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

describe('quick-fixes keep the line endings of a CRLF file', () => {
  before(async () => {
    await initParser();
  });

  it('no fix of any rule, on its invalid docs examples written with CRLF, leaves a bare \\n in the file', () => {
    const offenders: string[] = [];
    let checked = 0;
    for (const rule of registry) {
      for (const example of rule.docs.invalid) {
        const sql = crlf(example.sql);
        const files = Object.fromEntries(Object.entries(example.files ?? {}).map(([name, text]) => [name, crlf(text)]));
        const result = lintSql(sql, { path: example.path, format: example.format, pgVersion: example.pgVersion, files });
        const file = path.resolve(VIRTUAL_ROOT, example.path ?? '');
        for (const finding of result.findings) {
          for (const fix of finding.fixes ?? []) {
            const own = fix.edits.filter((e) => e.path === undefined || path.resolve(e.path) === file || path.resolve(e.path) === result.document.path);
            if (own.length === 0) continue;
            const applied = applyEdits(sql, own);
            if (!applied.ok) continue;
            checked++;
            if (/(^|[^\r])\n/.test(applied.text)) offenders.push(`${finding.rule}: "${fix.title}"`);
          }
        }
      }
    }
    assert.ok(checked > 50, `only ${checked} fixes checked`);
    assert.deepEqual([...new Set(offenders)], []);
  });
});
