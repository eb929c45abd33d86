import { bodyOf, namesOf, objectFromNames } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { clauseEnd, findWord, headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banAlterDomainWithAddConstraint: Rule = {
  id: 'ban-alter-domain-with-add-constraint',
  family: 'style',
  summary: 'ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID',
  defaultLevel: 'info',
  sameAs: ['squawk: ban-alter-domain-with-add-constraint'],
  fixable: true,
  docs: {
    why: "Adding a constraint to a domain checks every column of that domain, in every table, in one statement: each of those tables is scanned while it is locked against writes, and a single bad row anywhere makes it fail.",
    instead: 'Add it `NOT VALID` (new values are checked from then on) and `ALTER DOMAIN ... VALIDATE CONSTRAINT` later, or put the constraint on the columns instead. Unlike a table\'s, a domain\'s VALIDATE CONSTRAINT still holds a SHARE lock on every table using the domain while it scans them (writes wait; seen on PostgreSQL 18): validating later only moves that wait to a time you choose. The fix adds `NOT VALID` and nothing else: the constraint stays unvalidated, and values stored before it are not checked.',
    invalid: [{ sql: "ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE ~ '@');" }],
    valid: [{ sql: "ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE ~ '@') NOT VALID;" }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'AlterDomainStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const d = bodyOf(s.node, 'AlterDomainStmt');
      if (!d || d.subtype !== 'C' || d.def?.Constraint?.skip_validation) continue;
      if (d.def?.Constraint?.contype !== 'CONSTR_CHECK') continue;
      const name = objectFromNames(namesOf(d.typeName))?.display ?? 'the domain';
      const add = findWord(s, 'add');
      const end = add ? clauseEnd(s, add.start) : s.span.end;
      context.report({
        statement: s,
        span: headSpan(s),
        message: `Adding a constraint to domain ${name} checks every column of that type in every table at once, each table locked against writes while it is scanned.`,
        help: 'Add it NOT VALID, then VALIDATE CONSTRAINT later.',
        fixes: add ? [{ title: 'Add NOT VALID', edits: [{ span: { start: end, end }, newText: ' NOT VALID' }], safe: false }] : [],
      });
    }
  },
};
