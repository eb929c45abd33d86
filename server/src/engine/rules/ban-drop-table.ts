import { removalIsOwnBusiness } from '../context';
import { bodyOf } from '../sql/ast';
import { schemaChanges, statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banDropTable: Rule = {
  id: 'ban-drop-table',
  family: 'breaking',
  summary: 'DROP TABLE of a table that existed before this migration',
  defaultLevel: 'error',
  sameAs: ['squawk: ban-drop-table', 'postgres-language-server: ban-drop-table', 'pgfence: drop-table', 'Atlas: DS102'],
  docs: {
    why: "Dropping a table deletes its rows for good, and every query of the application version still running during the deployment (and of any version you roll back to) that touches it fails with `relation does not exist`. DROP TABLE also takes an ACCESS EXCLUSIVE lock, so it first waits behind every open transaction on the table while blocking everything queued after it.\n\nNot flagged: dropping a table created earlier in the same migration, a drop followed by a rename that puts another table in its place (the swap pattern, where the data was copied), and drops in down sections (a down that drops what its up created is doing its job; a down that drops anything else is reported by `irreversible-down`).",
    instead: 'Drop a table only in a contract migration of its own, deployed after every application version that reads or writes it is gone. Until then, leave it (or rename it to mark it unused and watch for errors). Keep a backup if the data may be needed.',
    invalid: [{ sql: "-- migrate:up\nDROP TABLE legacy_sessions;\n\n-- migrate:down\nCREATE TABLE legacy_sessions (id bigint PRIMARY KEY, token text);\n" }],
    valid: [
      { sql: '-- migrate:up\nCREATE TABLE import_batch (id bigint, payload jsonb);\nDROP TABLE import_batch;\n\n-- migrate:down\n', note: 'A scratch table created earlier in the same migration.' },
      { sql: '-- migrate:up\nCREATE TABLE tags (id bigint PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE tags;\n', note: "The down removes what its up created." },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'DropStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      if (s.section.kind === 'down') continue;
      const drop = bodyOf(s.node, 'DropStmt');
      if (!drop) continue;
      const dropped = schemaChanges(s.node).filter((c) => c.action === 'drop' && c.kind === 'table' && !removalIsOwnBusiness(context, s, c, { dataBearing: true }));
      if (dropped.length === 0) continue;
      const names = dropped.map((c) => c.display).join(', ');
      context.report({
        statement: s,
        span: headSpan(s),
        message: `DROP TABLE deletes ${names} and ${dropped.length > 1 ? 'their' : 'its'} data: queries from the application version still running fail, and a rollback cannot bring the rows back.`,
        help: 'Drop a table only in its own contract migration, after no deployed version uses it.',
      });
    }
  },
};
