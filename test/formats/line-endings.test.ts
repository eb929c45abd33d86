// A migration saved with \r\n or lone \r line endings (old Mac editors, some Windows tools) reads as
// the same migration as its \n version: PostgreSQL's lexer, psql and LSP clients all end a line at a
// lone \r. Before, a dbmate file with lone \r breaks was one line: its `-- migrate:up` marker line ran
// to the end of the file, the up section was empty, and the file linted clean.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { LineIndex } from '../../server/src/engine/text/offsets';
import { initParser, lintSql, type LintSqlOptions } from '../helpers/lint';

const MIGRATIONS: { name: string; sql: string; options: LintSqlOptions }[] = [
  {
    name: 'dbmate',
    sql: '-- migrate:up\nCREATE INDEX users_email_idx ON users (email); -- zdm-ignore require-lock-timeout\nALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age > 0);\n\n-- migrate:down\nALTER TABLE users DROP CONSTRAINT users_age_check;\nDROP INDEX users_email_idx;\n',
    options: { format: 'dbmate' },
  },
  {
    name: 'goose',
    sql: '-- +goose Up\n-- +goose StatementBegin\nCREATE INDEX users_email_idx ON users (email);\n-- +goose StatementEnd\n\n-- +goose Down\nDROP INDEX users_email_idx;\n',
    options: { format: 'goose', path: '20240101000000_example.sql' },
  },
  {
    name: 'Liquibase',
    sql: '--liquibase formatted sql\n\n--changeset alice:1\nCREATE INDEX users_email_idx ON users (email);\n--rollback DROP INDEX users_email_idx;\n\n--changeset alice:2\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n',
    options: { format: 'liquibase', path: 'changelog.sql' },
  },
];

/** The findings as rule, line and column, and the sections' kinds: what a user sees. */
function seen(sql: string, options: LintSqlOptions) {
  const result = lintSql(sql, options);
  const lines = new LineIndex(sql);
  return {
    sections: result.document.sections.map((s) => s.kind),
    statements: result.statements.length,
    findings: result.findings.map((f) => {
      const at = lines.positionAt(f.span.start);
      return `${f.rule} ${at.line + 1}:${at.character + 1}`;
    }),
  };
}

describe('line endings', () => {
  before(() => initParser());

  for (const m of MIGRATIONS) {
    it(`${m.name}: a file with \\r\\n or lone \\r line endings has the sections, statements and findings (at the same lines) of its \\n version`, () => {
      const expected = seen(m.sql, m.options);
      assert.ok(expected.findings.length >= 1, `the \\n version has findings: ${JSON.stringify(expected)}`);
      assert.ok(expected.statements >= 2);
      assert.deepEqual(seen(m.sql.replace(/\n/g, '\r\n'), m.options), expected, '\\r\\n');
      assert.deepEqual(seen(m.sql.replace(/\n/g, '\r'), m.options), expected, 'lone \\r');
    });
  }

  it('a finding that names another line counts lone \\r breaks', () => {
    const sql = "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN a int;\nALTER TABLE orders ADD COLUMN b int;\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE orders DROP COLUMN b;\nALTER TABLE users DROP COLUMN a;\n";
    const message = (text: string) => lintSql(text, { format: 'dbmate' }).findings.find((f) => f.rule === 'wide-lock-window')?.message;
    const lf = message(sql);
    assert.match(lf ?? '', /\(line 3\)/, `wide-lock-window names the line of the first lock: ${lf}`);
    assert.equal(message(sql.replace(/\n/g, '\r')), lf);
  });
});
