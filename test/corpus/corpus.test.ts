// The real-world corpus (../shared/corpus: 1,324 migrations from public projects), when present:
// linting finishes with no crash and no failing rule, and no statement that PostgreSQL's grammar
// accepts is reported as a syntax error (a wrong statement split would show up here). The history
// parses only the statements whose leading keywords it reads (`readByHistory`): none it passes over
// parses to a node it would read.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as pgQuery from 'libpg-query';
import { readByHistory } from '../../server/src/engine/history';
import { createDiskHost } from '../../server/src/engine/host';
import { ConfigCache, lintFileFromDisk } from '../../server/src/engine/project';
import { parseStatement } from '../../server/src/engine/sql/parser';
import { splitStatements } from '../../server/src/engine/sql/split';
import { initParser } from '../helpers/lint';
import { CORPUS } from '../helpers/paths';

const present = fs.existsSync(CORPUS);

function sqlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, String(f)))
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

before(() => initParser());

describe('real-world corpus', { skip: present ? false : `${CORPUS} is absent` }, () => {
  it('lints every file without a crash or a failing rule, and reports no false syntax errors', () => {
    const files = sqlFiles(CORPUS);
    assert.ok(files.length > 1000, `only ${files.length} files`);
    const host = createDiskHost();
    const configs = new ConfigCache(host);
    const failures: string[] = [];
    const falseSyntaxErrors: string[] = [];
    for (const file of files) {
      const result = lintFileFromDisk(file, host, configs);
      for (const f of result.ruleFailures) failures.push(`${file}: ${f.rule}: ${f.message.split('\n')[0]}`);
      const syntax = result.findings.filter((f) => f.rule === 'syntax-error');
      if (syntax.length === 0) continue;
      // Does PostgreSQL's grammar accept the whole file? Then every syntax error we report is ours.
      let accepted = true;
      try {
        pgQuery.parseSync(fs.readFileSync(file, 'utf8'));
      } catch {
        accepted = false;
      }
      if (accepted) falseSyntaxErrors.push(`${file}: ${syntax.map((s) => s.message).join('; ')}`);
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(falseSyntaxErrors, []);
  });

  it('the history passes over no statement it would read (CREATE / ALTER / DROP TABLE, renames, CREATE ... AS)', () => {
    const missed: string[] = [];
    let read = 0;
    for (const file of sqlFiles(CORPUS)) {
      const text = fs.readFileSync(file, 'utf8');
      for (const raw of splitStatements(text).statements) {
        if (raw.unterminated) continue;
        if (readByHistory(text, raw.tokens)) {
          read++;
          continue;
        }
        const node: any = parseStatement(text.slice(raw.span.start, raw.span.end)).nodes[0];
        const alter = node?.AlterTableStmt;
        const rename = node?.RenameStmt;
        if (
          node?.CreateStmt ||
          node?.CreateTableAsStmt ||
          (alter && (alter.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') ||
          rename?.renameType === 'OBJECT_TABLE' ||
          rename?.renameType === 'OBJECT_COLUMN' ||
          node?.DropStmt?.removeType === 'OBJECT_TABLE'
        ) {
          missed.push(`${file}: ${text.slice(raw.span.start, raw.span.end).slice(0, 80)}`);
        }
      }
    }
    assert.ok(read > 1000, `only ${read} statements read`);
    assert.deepEqual(missed, []);
  });
});
