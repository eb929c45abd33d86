import { counterpartOf, removalIsOwnBusiness, type Counterpart } from '../context';
import { bodyOf, namesOf, objectFromNames } from '../sql/ast';
import { schemaChanges, statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banDropFunction: Rule = {
  id: 'ban-drop-function',
  family: 'breaking',
  summary: 'DROP FUNCTION or DROP PROCEDURE of a routine that is not re-created',
  defaultLevel: 'warning',
  sameAs: ['squawk: ban-drop-function'],
  docs: {
    why: 'Application queries, triggers, defaults and views that call the function fail once it is gone (`function ... does not exist`), including those of the version still running during the deployment.\n\nNot flagged: a function re-created later in the same section (dropping first is needed when its signature or return type changes), one created earlier in the migration, a trigger function (the down shows it `RETURNS trigger`: no query calls it, and PostgreSQL refuses the drop while a trigger still uses it), and a down that drops what its up created.',
    instead: 'Change a function with `CREATE OR REPLACE FUNCTION`, or drop and re-create it in the same migration. Remove it only after no deployed version calls it.',
    invalid: [{ sql: '-- migrate:up\nDROP FUNCTION hot_rank(integer, timestamptz);\n\n-- migrate:down\n-- (re-create hot_rank here)\nSELECT 1;\n' }],
    valid: [
      { sql: "-- migrate:up\nDROP FUNCTION hot_rank(integer, timestamptz);\nCREATE FUNCTION hot_rank(score bigint, published timestamptz) RETURNS float8 LANGUAGE sql IMMUTABLE AS 'SELECT 1.0';\n\n-- migrate:down\nDROP FUNCTION hot_rank(bigint, timestamptz);\n", note: 'A signature change: dropped and re-created together.' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'DropStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const dropped = schemaChanges(s.node).filter((c) => c.action === 'drop' && c.kind === 'function' && !removalIsOwnBusiness(context, s, c) && !isTriggerFunction(counterpartOf(context.document, context.statements, context.host, s.section), c.name));
      if (dropped.length === 0) continue;
      context.report({
        statement: s,
        span: headSpan(s),
        message: `Dropping ${dropped.map((c) => c.display).join(', ')} breaks every query, trigger and default that still calls ${dropped.length > 1 ? 'them' : 'it'}, including those of the application version still running.`,
        help: 'Re-create it in the same migration, or drop it only after nothing calls it.',
      });
    }
  },
};

/** The other half defines `name` as a trigger function (`RETURNS trigger`). */
function isTriggerFunction(counterpart: Counterpart | undefined, name: string): boolean {
  return (counterpart?.nodes ?? []).some((node) => {
    const fn = bodyOf(node, 'CreateFunctionStmt');
    if (!fn || objectFromNames(namesOf(fn.funcname))?.name !== name) return false;
    return namesOf(fn.returnType?.names).pop() === 'trigger';
  });
}
