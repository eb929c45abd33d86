import * as path from 'node:path';
import type { ProjectHost } from '../host';
import type { MigrationDocument } from '../model';
import { firstLineSpan } from '../formats/common';
import type { Rule } from './types';

export const missingDownSection: Rule = {
  id: 'missing-down-section',
  family: 'files',
  summary: 'No down migration where the format has one',
  defaultLevel: 'warning',
  docs: {
    why: "Without a down migration the change cannot be rolled back when a deployment goes wrong: the tool refuses (dbmate rejects a file without `-- migrate:down`), or rolls back nothing. For formats that keep the down in a separate file (golang-migrate `.down.sql`, diesel `down.sql`, Flyway `U` scripts, sqitch `revert/`), the rule fires when the project keeps downs for other migrations, or when `requireDown` is set in .zdm.json, so forward-only projects are not nagged.",
    instead: 'Add the down section with the inverse of each up statement, in reverse order. Where no inverse exists (data changes, drops), say so in a comment.',
    invalid: [
      { sql: '-- migrate:up\nCREATE TABLE t (id bigint);\n', note: 'dbmate needs a `-- migrate:down` block.' },
      { sql: '-- +goose Up\nCREATE TABLE t (id bigint);\n', format: 'goose', path: '00002_create_t.sql' },
      { sql: 'CREATE TABLE t (id bigint);\n', path: '000002_create_t.up.sql', files: { '000001_init.up.sql': 'CREATE TABLE a (id bigint);\n', '000001_init.down.sql': 'DROP TABLE a;\n' }, note: 'golang-migrate: other migrations here have a `.down.sql`, this one has none.' },
    ],
    valid: [
      { sql: '-- migrate:up\nCREATE TABLE t (id bigint);\n\n-- migrate:down\nDROP TABLE t;\n' },
      { sql: 'CREATE TABLE t (id bigint);\n', path: '000002_create_t.up.sql', files: { '000002_create_t.down.sql': 'DROP TABLE t;\n' } },
      { sql: 'CREATE TABLE t (id bigint);\n', path: '000002_create_t.up.sql', files: { '000001_init.up.sql': 'CREATE TABLE a (id bigint);\n' }, note: 'A forward-only project: no migration here has a down.' },
    ],
  },
  check(context) {
    const doc = context.document;
    if (!doc.supportsDown || doc.role === 'down' || doc.role === 'verify' || doc.role === 'repeatable') return;
    if (doc.sections.length === 0) return;
    if (doc.companionPath !== undefined) {
      if (doc.companionExists) return;
      if (!context.config.requireDown && !projectKeepsDowns(doc, context.host)) return;
      context.report({
        span: firstLineSpan(doc.text),
        message: `No down migration: ${path.basename(doc.companionPath)} does not exist, so this migration cannot be rolled back.`,
        help: `Create ${path.basename(doc.companionPath)} with the inverse of each statement here.`,
      });
      return;
    }
    if (doc.format === 'liquibase') {
      for (const up of doc.sections.filter((s) => s.kind === 'up')) {
        if (doc.sections.some((s) => s.kind === 'down' && s.label === up.label)) continue;
        context.report({ span: up.marker ?? firstLineSpan(doc.text), message: `Changeset ${up.label} has no rollback, so \`liquibase rollback\` cannot undo it.`, help: 'Add `--rollback <statement>` lines (or `--rollback not required`).' });
      }
      return;
    }
    if (doc.sections.some((s) => s.kind === 'down')) return;
    const up = doc.sections.find((s) => s.kind === 'up');
    const message =
      doc.format === 'dbmate'
        ? "No `-- migrate:down` block: dbmate refuses to run a migration without one, and it could not be rolled back."
        : doc.format === 'goose'
          ? 'No `-- +goose Down` section, so `goose down` cannot roll this migration back.'
          : 'No down section, so this migration cannot be rolled back.';
    context.report({ span: up?.marker ?? firstLineSpan(doc.text), message, help: 'Add the down section with the inverse of each up statement.', severity: doc.format === 'dbmate' ? 'error' : undefined });
  },
};

/** Whether other migrations beside this one have their down companion (the project keeps downs). */
function projectKeepsDowns(doc: MigrationDocument, host: ProjectHost): boolean {
  const dir = path.dirname(doc.path);
  switch (doc.format) {
    case 'golang-migrate':
      return (host.readDirectory(dir) ?? []).some((n) => /\.down\.sql$/i.test(n));
    case 'flyway':
      return (host.readDirectory(dir) ?? []).some((n) => /^U\d/.test(n));
    case 'diesel': {
      const parent = path.dirname(dir);
      return (host.readDirectory(parent) ?? []).some((n) => n !== path.basename(dir) && host.fileExists(path.join(parent, n, 'down.sql')));
    }
    case 'sqitch': {
      const revertDir = path.dirname(doc.companionPath!);
      return (host.readDirectory(revertDir) ?? []).some((n) => n.endsWith('.sql'));
    }
    default:
      return true;
  }
}
