import { counterpartOf } from '../context';
import { firstLineSpan } from '../formats/common';
import type { Rule } from './types';

export const emptyDownSection: Rule = {
  id: 'empty-down-section',
  family: 'files',
  summary: 'A down section with no statement',
  defaultLevel: 'warning',
  docs: {
    why: 'An empty down "succeeds": the tool records the migration as rolled back while the schema keeps every change the up made. The next `up` then fails, or worse, half-applies on top of the leftovers.',
    instead: 'Write the inverse of each up statement. If the migration truly cannot be undone, say so explicitly and suppress this rule with a reason: `-- zdm-ignore-file empty-down-section -- irreversible: drops data`.',
    invalid: [
      { sql: '-- migrate:up\nCREATE TABLE t (id bigint);\n\n-- migrate:down\n-- nothing to do\n' },
      { sql: '-- nothing here\n', path: '000002_create_t.down.sql', files: { '000002_create_t.up.sql': 'CREATE TABLE t (id bigint);\n' } },
    ],
    valid: [
      { sql: '-- migrate:up\nCREATE TABLE t (id bigint);\n\n-- migrate:down\nDROP TABLE t;\n' },
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
      context.report({ span: section.marker ?? firstLineSpan(context.document.text), message: 'The down section has no statement: rolling back would record the migration as undone while the schema keeps its changes.', help: 'Write the inverse of each up statement, or suppress this rule with a reason if the migration is irreversible.' });
    }
  },
};
