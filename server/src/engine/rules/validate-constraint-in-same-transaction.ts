import { schemaFactsOf } from '../context';
import { followUpMigration } from '../fixes/follow-up';
import { lazyFix } from '../fixes/lazy';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { findWord, headSpan } from '../sql/tokens';
import type { FixSpec, Rule, RuleContext } from './types';
import type { Statement } from '../model';
import { lineNumberAt } from '../text/offsets';

export const validateConstraintInSameTransaction: Rule = {
  id: 'validate-constraint-in-same-transaction',
  family: 'locks',
  summary: 'VALIDATE CONSTRAINT in the same transaction that added the constraint NOT VALID',
  defaultLevel: 'error',
  fixable: true,
  sameAs: [
    'postgres-language-server: banNotValidValidateSameTransaction (was requireSeparateConstraintValidation)',
    'pgfence: not-valid-validate-same-tx',
    'strong_migrations: validate_check_constraint / validate_foreign_key (in the same transaction)',
  ],
  docs: {
    why: 'Adding a constraint `NOT VALID` and validating it later exists so that the full-table check runs without a traffic-blocking lock. Locks are held until the transaction ends: when VALIDATE runs in the same transaction as the ADD, the ADD\'s lock (ACCESS EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE on both tables for a foreign key) is still held while every row is checked, exactly what NOT VALID was meant to avoid.',
    instead: 'Commit in between: put `VALIDATE CONSTRAINT` in the next migration (or run the section outside a transaction, so each statement commits on its own).',
    invalid: [
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n\n-- migrate:down\nALTER TABLE orders DROP CONSTRAINT orders_user_fk;\n",
      },
    ],
    valid: [
      {
        sql: "-- +goose NO TRANSACTION\n-- +goose Up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n\n-- +goose Down\nALTER TABLE orders DROP CONSTRAINT orders_user_fk;\n",
        note: 'Outside a transaction each statement commits on its own: the ADD\'s lock is gone before VALIDATE starts.',
      },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n\n-- migrate:down\n", note: 'Validated in a later migration than the one that added it.' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'AlterTableStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const alter = bodyOf(s.node, 'AlterTableStmt');
      const table = relationOf(alter?.relation);
      if (!table) continue;
      const facts = context.factsOf(s);
      if (!facts.inTransaction) continue;
      const cmds = alter.cmds ?? [];
      for (let k = 0; k < cmds.length; k++) {
        const c = cmds[k];
        const cmd = c.AlterTableCmd;
        if (cmd?.subtype !== 'AT_ValidateConstraint' || !cmd.name) continue;
        const added = schemaFactsOf(context).constraintBefore(table, cmd.name, s);
        if (!added || !added.notValid) continue;
        if (context.factsOf(added.statement).transactionId !== facts.transactionId) continue;
        if (schemaFactsOf(context).ownedByMigration(table, s)) continue;
        const line = lineNumberAt(context.document.text, added.statement.span.start);
        const lock = added.kind === 'foreign key' ? `SHARE ROW EXCLUSIVE on ${table.display}${added.referenced ? ` and ${added.referenced.display}` : ''}` : `ACCESS EXCLUSIVE on ${table.display}`;
        context.report({
          statement: s,
          span: headSpan(s, findWord(s, 'constraint')?.end),
          message: `${cmd.name} was added NOT VALID in this same transaction (line ${line}): its ${lock} is still held while VALIDATE checks every row, so NOT VALID saves nothing.`,
          help: 'Commit in between: move VALIDATE CONSTRAINT to the next migration, or run this section outside a transaction.',
          fixes: moveValidateFix(context, s, cmd.name),
        });
      }
    }
  },
};

/** Moves the VALIDATE CONSTRAINT statement (when it does nothing else) to a new migration right after this one. */
function moveValidateFix(context: RuleContext, s: Statement, name: string): FixSpec[] {
  const alter = bodyOf(s.node, 'AlterTableStmt');
  if (!(alter.cmds ?? []).every((c: any) => c.AlterTableCmd?.subtype === 'AT_ValidateConstraint')) return [];
  const followUp = followUpMigration({
    document: context.document,
    statements: context.statements,
    facts: context.facts,
    host: context.host,
    description: `validate ${name}`,
    move: [s],
    down: '-- Nothing to undo: VALIDATE CONSTRAINT only checks the existing rows.',
    transaction: true,
    why: `VALIDATE CONSTRAINT ${name} runs after the NOT VALID constraint has committed, so it checks the existing rows without blocking reads or writes.`,
  });
  return followUp ? [lazyFix(`Move VALIDATE CONSTRAINT to a new migration ${followUp.name}`, false, followUp.files)] : [];
}
