import { firstLineSpan } from '../formats/common';
import { readLiquibaseChangelog } from '../runner/liquibase-changelog';
import { checksumOf, findRecord, statementHash, type AppliedChangeset, type FoundRecord } from '../runner/record';
import type { Rule, RuleContext } from './types';

// The runner (zdm up, rollback, redo, status) writes `.zdm/applied.json` with the checksum of each
// applied migration's up statements, as recorded in the database's zdm_migrations table. This rule
// compares the file with that record; it never touches a database while linting.
const RECORD = (statements: string[], checksum: string) =>
  JSON.stringify({ version: 1, database: 'postgres://dev:****@localhost:5432/app_dev', updatedAt: '2024-01-02T10:00:00.000Z', migrations: { 'db/migrations/20240101000000_example.sql': { version: '20240101000000', checksum, statements, appliedAt: '2024-01-02T09:59:58.000Z' } } });
const APPLIED = RECORD(['64c73450ee75758d'], '180b1c6dde77500fa3d5f7e81f528567a222d605aca9bd4ec9e266e7f66268af');
// A Liquibase changelog's applied changesets: by id and author, with Liquibase's stored checksum.
const APPLIED_CHANGESET = JSON.stringify({
  version: 1,
  database: 'postgres://dev:****@localhost:5432/app_dev',
  updatedAt: '2024-01-02T10:00:00.000Z',
  migrations: {},
  changesets: { 'db/migrations/changelog.sql': [{ id: '1', author: 'alice', checksum: '9:557483d0a70d2e5bc2e0ab61196fc4d3', statements: ['64c73450ee75758d'], appliedAt: '2024-01-02T09:59:58.000Z' }] },
});
const CHANGESET = (attributes: string, columns: string) => `--liquibase formatted sql\n\n--changeset alice:1${attributes}\nCREATE TABLE users (id bigint PRIMARY KEY${columns});\n--rollback DROP TABLE users;\n`;

export const editedAppliedMigration: Rule = {
  id: 'edited-applied-migration',
  family: 'files',
  summary: 'A migration edited after it was applied to the dev database',
  defaultLevel: 'warning',
  docs: {
    why:
      "Migration tools run a migration once: after it is applied, editing its up section changes nothing in the database that ran it, so the file no longer describes that database, and every other environment (a colleague's, staging, production) will run the new text instead. Schemas drift apart silently. The rule works when zdm's runner has been used on the project: `zdm up`, `rollback`, `redo` and `status` record the checksum of each applied migration's statements (in the database's `zdm_migrations` table, and locally in `.zdm/applied.json`, which the linter reads; linting never connects to a database). Only statements count: editing comments or blank lines between them is not an edit. In a Liquibase changelog each applied changeset is compared, by Liquibase's own checksum (whose `update` and `validate` stop on a changed one); a `runOnChange:true` changeset is meant to be edited and is never flagged.",
    instead: 'Undo the edit and put the change in a new migration. While a migration exists only on your dev database, roll it back first (`zdm rollback`), or use `zdm redo` to roll it back and apply the new text.',
    invalid: [
      {
        sql: '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n\n-- migrate:down\nDROP TABLE users;\n',
        files: { '../../.zdm/applied.json': APPLIED },
        note: 'Applied as `CREATE TABLE users (id bigint PRIMARY KEY);`, then a column was added to the file.',
      },
      {
        sql: CHANGESET('', ', email text NOT NULL'),
        path: 'changelog.sql',
        format: 'liquibase',
        files: { '../../.zdm/applied.json': APPLIED_CHANGESET },
        note: 'A Liquibase changeset applied as `CREATE TABLE users (id bigint PRIMARY KEY);`, then edited.',
      },
    ],
    valid: [
      { sql: '-- migrate:up\n-- Users of the app.\nCREATE TABLE users (id bigint PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE users;\n', files: { '../../.zdm/applied.json': APPLIED }, note: 'Only a comment changed.' },
      { sql: '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n\n-- migrate:down\nDROP TABLE users;\n', note: 'Not applied yet (or the runner was never used): edit freely.' },
      {
        sql: CHANGESET(' runOnChange:true', ', email text NOT NULL'),
        path: 'changelog.sql',
        format: 'liquibase',
        files: { '../../.zdm/applied.json': APPLIED_CHANGESET },
        note: 'A `runOnChange` changeset is meant to change: Liquibase runs it again.',
      },
    ],
  },
  check(context) {
    const doc = context.document;
    if (doc.role === 'down' || doc.role === 'verify' || doc.role === 'repeatable' || doc.role === 'unknown') return;
    const found = findRecord(context.host, doc.path);
    if (doc.format === 'liquibase') {
      if (found?.changesets) checkChangesets(context, found, found.changesets);
      return;
    }
    const entry = found?.entry;
    if (!entry) return;
    // The runner runs the first up section (dbmate and goose ignore later ones).
    const up = doc.sections.find((s) => s.kind === 'up');
    if (!up) return;
    const statements = context.statements.filter((s) => s.section === up);
    const texts = statements.map((s) => s.text);
    const hashes = texts.map(statementHash);
    if (entry.statements ? sameList(hashes, entry.statements) : checksumOf(texts) === entry.checksum) return;
    const when = entry.appliedAt ? ` on ${entry.appliedAt.slice(0, 10)}` : '';
    const database = found.record.database ? ` (${found.record.database})` : '';
    const help = 'Undo the edit and write a new migration for the change; or, if it only ever ran on your dev database, roll it back first (zdm rollback) or re-apply it with zdm redo.';
    const changed = entry.statements ? hashes.findIndex((h, i) => h !== entry.statements![i]) : -1;
    if (changed !== -1) {
      const statement = statements[changed];
      const added = changed >= entry.statements!.length;
      context.report({
        statement,
        span: statement.span,
        message: `This migration was applied to the dev database${database}${when}, and ${added ? 'this statement was added' : 'this statement changed'} since: the database did not run it, and other environments will run the new text.`,
        help,
      });
      return;
    }
    const removed = entry.statements ? entry.statements.length - hashes.length : 0;
    context.report({
      span: up.marker ?? firstLineSpan(doc.text),
      message: `This migration was applied to the dev database${database}${when}, and its up section changed since${removed > 0 ? ` (${removed} statement${removed === 1 ? '' : 's'} removed)` : ''}: the database no longer matches the file.`,
      help,
    });
  },
};

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A Liquibase changelog: each applied changeset is compared with the record by Liquibase's own checksum
 * (spacing and line breaks do not count, as for Liquibase, whose update and validate stop on a changed
 * one), and the first statement whose hash differs from the one that ran is pointed at; without those
 * hashes, the changeset's line. A runOnChange changeset is meant to be edited (Liquibase runs it again),
 * and one listing the stored checksum (or ANY) in --validCheckSum is accepted as Liquibase accepts it.
 */
function checkChangesets(context: RuleContext, found: FoundRecord, recorded: readonly AppliedChangeset[]): void {
  const doc = context.document;
  const database = found.record.database ? ` (${found.record.database})` : '';
  for (const c of readLiquibaseChangelog(doc.text).changesets) {
    const entry = recorded.find((e) => e && e.id === c.id && e.author === c.author);
    if (!entry || c.runOnChange) continue;
    const up = doc.sections.find((s) => s.kind === 'up' && s.marker?.start === c.offset);
    if (!up) continue;
    const statements = context.statements.filter((s) => s.section === up);
    const hashes = statements.map((s) => statementHash(s.text));
    const stored = entry.checksum;
    // A checksum of an older Liquibase (`8:`) is not one zdm computes: nothing to compare.
    if (stored !== undefined && !/^9:/.test(stored)) continue;
    const edited = stored !== undefined ? stored !== c.checksum && !c.validCheckSums.some((v) => v.toUpperCase() === 'ANY' || v === stored) : entry.statements !== undefined && !sameList(hashes, entry.statements);
    if (!edited) continue;
    const when = entry.appliedAt ? ` on ${entry.appliedAt.slice(0, 10)}` : '';
    const head = `Changeset ${c.author}:${c.id} was applied to the dev database${database}${when}`;
    const tail = "Liquibase's checksum no longer matches, so liquibase update and validate stop on it, and other environments will run the new text.";
    const help = 'Undo the edit and add a new changeset for the change; or, if it only ever ran on your dev database, roll it back first (zdm rollback) or re-apply it with zdm redo. A changeset meant to run again when it changes says runOnChange:true.';
    const changed = entry.statements ? hashes.findIndex((h, i) => h !== entry.statements![i]) : -1;
    if (changed !== -1) {
      const statement = statements[changed];
      context.report({ statement, span: statement.span, message: `${head}, and ${changed >= entry.statements!.length ? 'this statement was added' : 'this statement changed'} since: ${tail}`, help });
      continue;
    }
    const removed = entry.statements ? entry.statements.length - hashes.length : 0;
    context.report({
      span: up.marker!,
      message: `${head}, and its SQL changed since${removed > 0 ? ` (${removed} statement${removed === 1 ? '' : 's'} removed)` : ''}: ${tail}`,
      help,
    });
  }
}
