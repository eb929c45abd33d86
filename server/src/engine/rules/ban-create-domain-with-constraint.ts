import { bodyOf, namesOf, objectFromNames } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banCreateDomainWithConstraint: Rule = {
  id: 'ban-create-domain-with-constraint',
  family: 'style',
  summary: 'CREATE DOMAIN with a CHECK constraint',
  defaultLevel: 'info',
  sameAs: ['squawk: ban-create-domain-with-constraint'],
  docs: {
    why: "A constraint on a domain applies to every column of that type, in every table. Changing it later (`ALTER DOMAIN ... ADD CONSTRAINT`) checks all of those columns at once while holding locks on each table, and it cannot be validated table by table; dropping it loosens every table at once.",
    instead: 'Put the CHECK constraints on the table columns (they can be added NOT VALID and validated per table), and use the domain only as a name for the base type, or not at all.',
    invalid: [{ sql: "CREATE DOMAIN email AS text CHECK (VALUE ~ '@');" }],
    valid: [{ sql: "CREATE DOMAIN email AS text;\nCREATE TABLE person (id bigint PRIMARY KEY, address email CHECK (address ~ '@'));" }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'CreateDomainStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const d = bodyOf(s.node, 'CreateDomainStmt');
      if (!d) continue;
      const checks = (d.constraints ?? []).filter((c: any) => c.Constraint?.contype === 'CONSTR_CHECK');
      if (checks.length === 0) continue;
      const name = objectFromNames(namesOf(d.domainname))?.display ?? 'the domain';
      context.report({
        statement: s,
        span: headSpan(s),
        message: `Domain ${name} carries a CHECK constraint: every column of that type, in every table, is bound to it, and changing it later checks them all at once under lock.`,
        help: 'Put the CHECK on the columns instead.',
      });
    }
  },
};
