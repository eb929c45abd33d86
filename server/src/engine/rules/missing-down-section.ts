import { basenameOf, childPath, dirnameOf } from '../paths';
import type { ProjectHost } from '../host';
import type { MigrationDocument } from '../model';
import { firstLineSpan } from '../formats/common';
import { keepsDownFiles } from '../formats/golang-migrate';
import { companionOf, popGroupChanges } from '../context';
import { generateDownFix } from '../fixes/down-section';
import type { Statement } from '../model';
import { contains, netEffects, sameObject, schemaChanges, type SchemaChange } from '../sql/classify';
import type { FixSpec, Rule, RuleContext } from './types';

export const missingDownSection: Rule = {
  id: 'missing-down-section',
  family: 'files',
  summary: 'No down migration where the format has one',
  defaultLevel: 'warning',
  fixable: true,
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
      // pop runs the generic down when there is no PostgreSQL-specific one (and the other way round).
      if (companionOf(doc, context.host) !== undefined) return;
      if (!context.config.requireDown && !projectKeepsDowns(doc, context.host)) return;
      // Ory's pop splits one change into numbered parts whose downs are shifted: a part without its own
      // down is fine when the other parts' downs undo what it does (or it only changes data).
      const groupDowns = popGroupChanges(doc, context.host, 'down');
      if (groupDowns !== undefined && undoneBy(context.statements, groupDowns)) return;
      // golang-migrate (and pop) treat a missing down file as a down that does nothing: right for a
      // migration that only changes data, since there is no schema to put back.
      if (doc.format === 'golang-migrate' && undoneBy(context.statements, [])) return;
      // In another folder (sqitch's revert/), the name says which.
      const companion = dirnameOf(doc.companionPath) === dirnameOf(doc.path) ? basenameOf(doc.companionPath) : `${basenameOf(dirnameOf(doc.companionPath))}/${basenameOf(doc.companionPath)}`;
      context.report({
        span: firstLineSpan(doc.text),
        message: `No down migration: ${companion} does not exist, so this migration cannot be rolled back.`,
        help: `Create ${companion} with the inverse of each statement here.`,
        fixes: downFixes(context),
      });
      return;
    }
    if (doc.format === 'liquibase') {
      for (const up of doc.sections.filter((s) => s.kind === 'up')) {
        if (doc.sections.some((s) => s.kind === 'down' && s.label === up.label)) continue;
        context.report({ span: up.marker ?? firstLineSpan(doc.text), message: `Changeset ${up.label} has no rollback, so \`liquibase rollback\` cannot undo it.`, help: 'Add `--rollback <statement>` lines (or `--rollback not required`).', fixes: downFixes(context) });
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
    context.report({ span: up?.marker ?? firstLineSpan(doc.text), message, help: 'Add the down section with the inverse of each up statement.', severity: doc.format === 'dbmate' ? 'error' : undefined, fixes: downFixes(context) });
  },
};

/** Whether other migrations beside this one have their down companion (the project keeps downs). */
function projectKeepsDowns(doc: MigrationDocument, host: ProjectHost): boolean {
  const dir = dirnameOf(doc.path);
  switch (doc.format) {
    case 'golang-migrate':
      return keepsDownFiles(dir, host);
    case 'flyway':
      return (host.readDirectory(dir) ?? []).some((n) => /^U\d/.test(n));
    case 'diesel': {
      const parent = dirnameOf(dir);
      return (host.readDirectory(parent) ?? []).some((n) => n !== basenameOf(dir) && host.fileExists(childPath(parent, n, 'down.sql')));
    }
    case 'sqitch': {
      const revertDir = dirnameOf(doc.companionPath!);
      return (host.readDirectory(revertDir) ?? []).some((n) => n.endsWith('.sql'));
    }
    default:
      return true;
  }
}

/** Every object the statements create is removed by `others`, and every object they drop is re-created there. */
function undoneBy(statements: readonly Statement[], others: readonly SchemaChange[]): boolean {
  const effects = netEffects(statements.flatMap((s) => schemaChanges(s.node).map((change) => ({ change, ref: s }))));
  const removes = (key: SchemaChange) => others.some((o) => (o.action === 'drop' || o.action === 'rename-from') && (sameObject(o, key) || contains(o, key)));
  const creates = (key: SchemaChange) => others.some((o) => (o.action === 'create' || o.action === 'replace' || o.action === 'rename-to') && (sameObject(o, key) || contains(o, key)));
  // NOT NULL and defaults relaxed by the up are not required back: restoring them in a down can fail on the rows written since.
  const relevant = effects.filter((e) => e.change.kind !== 'not-null' && e.change.kind !== 'default');
  return relevant.every((e) => (e.state === 'created' ? removes(e.change) : e.state === 'dropped' ? creates(e.change) : true));
}

/** The generated down (inverse statements, TODOs where there is none): applied without review only when it has no TODO. */
function downFixes(context: RuleContext): FixSpec[] {
  const fix = generateDownFix(context.document, context.statements, context.host);
  return fix ? [{ title: fix.title, edits: fix.edits, creates: fix.creates, safe: fix.complete }] : [];
}
