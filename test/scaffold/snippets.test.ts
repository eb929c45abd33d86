// Every snippet of snippets/sql.json, expanded the way the editor inserts it with its defaults
// (placeholders replaced by their default text, tab stops dropped), lints without an error or a
// warning in its migration format; and package.json contributes the file for SQL.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { ruleIds } from '../../server/src/engine/rules/registry';
import { initParser, lintSql, renderFindings, type LintSqlOptions } from '../helpers/lint';
import { REPO_ROOT } from '../helpers/paths';

before(() => initParser());

interface Snippet {
  prefix: string;
  description: string;
  body: string[];
}

const snippets = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'snippets', 'sql.json'), 'utf8')) as Record<string, Snippet>;

const DOWN = "SET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN display_name;\n";

/** How each snippet is linted: the file it goes in. */
const FORMATS: Record<string, LintSqlOptions> = {
  'dbmate migration': {},
  'goose migration': { format: 'goose', path: '00002_add_users_display_name.sql' },
  'golang-migrate up file': { path: '000002_add_users_display_name.up.sql', files: { '000002_add_users_display_name.down.sql': DOWN } },
  'Liquibase changeset': { format: 'liquibase', path: 'changelog-2.sql' },
  'Flyway migration': { path: 'V2__add_users_display_name.sql' },
  'lock_timeout header': { format: 'plain' },
  'Index concurrently': {},
  'Constraint NOT VALID + VALIDATE': {},
  'CHECK then SET NOT NULL': {},
  'Unique index, then constraint USING INDEX': {},
  'Batched backfill': {},
  'Verification query': { format: 'plain' },
};

/** The text the editor inserts when every placeholder keeps its default. */
export function expandSnippet(body: string[]): string {
  let text = body.join('\n').replace(/\\\\/g, '\u0000b').replace(/\\\$/g, '\u0000d').replace(/\\\}/g, '\u0000c');
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(/\$\{\d+:([^${}]*)\}/g, '$1').replace(/\$\{\d+\|([^,|]*)[^|]*\|\}/g, '$1');
  }
  text = text.replace(/\$\{\d+\}|\$\d+/g, '');
  assert.doesNotMatch(text, /\$\{/, `unexpanded placeholder in:\n${text}`);
  return text.replace(/\u0000b/g, '\\').replace(/\u0000d/g, '$').replace(/\u0000c/g, '}');
}

describe('snippets', () => {
  it('the expansion helper follows the snippet syntax', () => {
    assert.equal(expandSnippet(['a ${1:x} ${2|p,q|} $0 \\$t\\$ ${3}']), 'a x p  $t$ ');
  });

  it('every snippet says which format it is linted in', () => {
    assert.deepEqual(Object.keys(snippets).filter((name) => !(name in FORMATS)), []);
    assert.deepEqual(Object.keys(FORMATS).filter((name) => !(name in snippets)), []);
  });

  for (const [name, snippet] of Object.entries(snippets)) {
    it(`${name} (${snippet.prefix}) lints clean`, () => {
      assert.match(snippet.prefix, /^zdm-[a-z-]+$/);
      assert.ok(snippet.description.length > 20);
      const sql = expandSnippet(snippet.body);
      const result = lintSql(sql, FORMATS[name]);
      assert.deepEqual(result.ruleFailures, []);
      assert.deepEqual(result.statements.filter((s) => s.error).map((s) => s.error!.message), []);
      // A snippet may suppress a rule this checkout does not have yet (rules land one by one).
      const aheadOfRules = (message: string) => /^Unknown rule "([^"]+)"/.exec(message) !== null && !ruleIds.includes(/^Unknown rule "([^"]+)"/.exec(message)![1]);
      const loud = result.findings.filter((f) => (f.severity === 'error' || f.severity === 'warning') && !(f.rule === 'unused-ignore' && aheadOfRules(f.message)));
      assert.equal(loud.length, 0, `${sql}\n${renderFindings(result)}`);
    });
  }

  it('package.json contributes them for SQL', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.deepEqual(manifest.contributes.snippets, [{ language: 'sql', path: './snippets/sql.json' }]);
  });
});
