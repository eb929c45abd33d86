import { createdEarlierInSection, counterpartCreates, counterpartOf } from '../context';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banTruncate: Rule = {
  id: 'ban-truncate',
  family: 'breaking',
  summary: 'TRUNCATE of a table that existed before this migration',
  defaultLevel: 'error',
  sameAs: ['postgres-language-server: ban-truncate', 'pgfence: truncate'],
  docs: {
    why: 'TRUNCATE deletes every row at once, and takes an ACCESS EXCLUSIVE lock that blocks all reads and writes of the table until the migration commits. The running application loses its data; nothing in the down can bring it back. (With CASCADE, `ban-truncate-cascade` reports it instead.)\n\nNot flagged: tables created earlier in the same migration, and a down emptying a table its up created.',
    instead: 'If the rows really must go, delete them in batches outside the migration, or drop the table in a contract migration once nothing uses it.',
    invalid: [{ sql: 'TRUNCATE audit_log;' }],
    valid: [{ sql: 'CREATE TABLE staging_import (id bigint, payload text);\nTRUNCATE staging_import;', note: 'A table created in the same migration.' }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'TruncateStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const truncate = bodyOf(s.node, 'TruncateStmt');
      if (!truncate || truncate.behavior === 'DROP_CASCADE') continue;
      const tables = (truncate.relations ?? []).map((r: any) => relationOf(r.RangeVar)).filter((r: any) => r !== undefined);
      const existing = tables.filter((t: any) => {
        const key = { kind: 'table' as const, name: t.name, schema: t.schema };
        if (createdEarlierInSection(context.statements, s, key)) return false;
        if (s.section.kind === 'down' && counterpartCreates(counterpartOf(context.document, context.statements, context.host, s.section), key)) return false;
        return true;
      });
      if (existing.length === 0) continue;
      context.report({
        statement: s,
        span: headSpan(s),
        message: `TRUNCATE deletes every row of ${existing.map((t: any) => t.display).join(', ')} under an ACCESS EXCLUSIVE lock: the data is gone for the running application and for any rollback.`,
        help: 'Delete the rows in batches outside the migration, or drop the table once nothing uses it.',
      });
    }
  },
};
