import { counterpartOf } from '../context';
import { generateDownFix } from '../fixes/down-section';
import { firstLineSpan } from '../formats/common';
import type { AstNode } from '../model';
import { bodyOf } from '../sql/ast';
import type { FixSpec, Rule } from './types';

export const emptyDownSection: Rule = {
  id: 'empty-down-section',
  family: 'files',
  summary: 'A down section with no statement',
  defaultLevel: 'warning',
  fixable: true,
  docs: {
    why: 'An empty down "succeeds": the tool records the migration as rolled back while the schema keeps every change the up made. The next `up` then fails, or worse, half-applies on top of the leftovers.',
    instead: 'Write the inverse of each up statement. If the migration truly cannot be undone, say so explicitly and suppress this rule with a reason: `-- zdm-ignore-file empty-down-section -- irreversible: drops data`.',
    invalid: [
      { sql: '-- migrate:up\nCREATE TABLE t (id bigint);\n\n-- migrate:down\n-- nothing to do\n' },
      { sql: '-- nothing here\n', path: '000002_create_t.down.sql', files: { '000002_create_t.up.sql': 'CREATE TABLE t (id bigint);\n' } },
    ],
    valid: [
      { sql: '-- migrate:up\nCREATE TABLE t (id bigint);\n\n-- migrate:down\nDROP TABLE t;\n' },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;\n\n-- migrate:down\n-- Nothing to undo: VALIDATE CONSTRAINT only checks the existing rows.\n", note: 'An up that only validates constraints changes no schema: there is nothing to undo.' },
      { sql: '--liquibase formatted sql\n--changeset alice:1\nINSERT INTO settings VALUES (1);\n--rollback not required\n', format: 'liquibase', path: 'changelog.sql', note: 'Liquibase: a rollback declared unnecessary on purpose.' },
    ],
  },
  check(context) {
    for (const section of context.document.sections) {
      if (section.kind !== 'down' || section.declaredEmpty) continue;
      if (context.statements.some((s) => s.section === section)) continue;
      // An empty down for an up that does nothing either (a placeholder migration) has nothing to undo.
      const up = counterpartOf(context.document, context.statements, context.host, section);
      if (up !== undefined && up.statementCount === 0) continue;
      // So has an up that only validates constraints or sets session settings.
      if (up !== undefined && up.nodes.every(changesNothingToUndo)) continue;
      const fix = generateDownFix(context.document, context.statements, context.host);
      const fixes: FixSpec[] = fix ? [{ title: fix.title, edits: fix.edits, creates: fix.creates, safe: fix.complete }] : [];
      context.report({ span: section.marker ?? firstLineSpan(context.document.text), message: 'The down section has no statement: rolling back would record the migration as undone while the schema keeps its changes.', help: 'Write the inverse of each up statement, or suppress this rule with a reason if the migration is irreversible.', fixes });
    }
  },
};

/** Statements that leave no schema change behind: SET / RESET, VALIDATE CONSTRAINT, ANALYZE. */
function changesNothingToUndo(node: AstNode | undefined): boolean {
  if (!node) return false;
  if (bodyOf(node, 'VariableSetStmt')) return true;
  const alter = bodyOf(node, 'AlterTableStmt');
  if (alter) return (alter.cmds ?? []).length > 0 && alter.cmds.every((c: any) => c.AlterTableCmd?.subtype === 'AT_ValidateConstraint');
  const vacuum = bodyOf(node, 'VacuumStmt');
  return vacuum !== undefined && !vacuum.is_vacuumcmd;
}
