import { alterationsOfExistingTables, schemaFactsOf } from '../context';
import { followUpMigration } from '../fixes/follow-up';
import { lazyFix } from '../fixes/lazy';
import { addToDownEdit, eolOf, indentOf, insertAfter, joinTouchingEdits, replaceStatement } from '../fixes/statements';
import type { Statement, TextEdit } from '../model';
import { bodyOf, quoteIdent, relationOf, type RelationRef } from '../sql/ast';
import { makeObjectName } from '../sql/classify';
import { checkProvesNotNull } from '../sql/columns';
import { clauseEnd, findWord, headSpan } from '../sql/tokens';
import type { FixSpec, Rule, RuleContext } from './types';

export const addingNotNullableField: Rule = {
  id: 'adding-not-nullable-field',
  family: 'locks',
  summary: 'ALTER COLUMN ... SET NOT NULL on an existing table without a validated CHECK that proves it (PostgreSQL 12+)',
  defaultLevel: 'error',
  sameAs: ['squawk: adding-not-nullable-field', 'postgres-language-server: addingNotNullField', 'pgfence: alter-column-set-not-null', 'strong_migrations: change_column_null', 'Eugene: E2'],
  fixable: true,
  docs: {
    why: '`SET NOT NULL` reads every row of the table to check for NULLs while holding ACCESS EXCLUSIVE: no reads, no writes until the scan ends.',
    instead:
      'On PostgreSQL 12+, prove it first with a constraint that can be validated without that lock: `ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID`, then `VALIDATE CONSTRAINT c` in a later transaction (SHARE UPDATE EXCLUSIVE: traffic continues), then `SET NOT NULL`, which sees the validated CHECK and skips the scan, then `DROP CONSTRAINT c`. Before PostgreSQL 12 the scan always happens: keep the validated CHECK instead of NOT NULL, or run it while the table is small.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n\n-- migrate:down\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n" }],
    valid: [
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;\n\n-- migrate:down\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n",
        note: 'The CHECK (email IS NOT NULL) NOT VALID was added by an earlier migration and is validated here first: PostgreSQL 12+ skips the scan.',
      },
      { sql: '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n\n-- migrate:down\nDROP TABLE users;\n', note: 'The table is new and empty.' },
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;\n\n-- migrate:down\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n",
        path: '20240104000000_users_email_not_null.sql',
        files: {
          '20240102000000_users_email_check.sql': "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n\n-- migrate:down\nALTER TABLE users DROP CONSTRAINT users_email_not_null;\n",
          '20240103000000_users_email_validate.sql': "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\n\n-- migrate:down\nSELECT 1;\n",
        },
        note: 'The recipe across three migrations: the CHECK was added NOT VALID, then validated, by the earlier migrations of the folder.',
      },
    ],
  },
  check(context) {
    const schema = schemaFactsOf(context);
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const alterations = alterationsOfExistingTables(context);
    for (let i = 0; i < alterations.length; i++) {
      const { statement: s, alter, table } = alterations[i];
      // One scan checks every column the statement sets NOT NULL: one finding per statement.
      const columns: string[] = [];
      let span: { start: number; end: number } | undefined;
      const cmds = alter.cmds ?? [];
      for (let k = 0; k < cmds.length; k++) {
        const c = cmds[k];
        const cmd = c.AlterTableCmd;
        let column: string | undefined;
        let start: number | undefined;
        if (cmd?.subtype === 'AT_SetNotNull') {
          column = cmd.name;
        } else if (cmd?.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.contype === 'CONSTR_NOTNULL' && !cmd.def.Constraint.skip_validation) {
          // PostgreSQL 18: ALTER TABLE t ADD CONSTRAINT c NOT NULL col
          column = (cmd.def.Constraint.keys ?? []).map((k: any) => k.String?.sval).find(Boolean);
          start = s.offsetOf(cmd.def.Constraint.location);
        }
        if (!column) continue;
        // Already NOT NULL (earlier in this migration or in the migrations before it): a no-op, no scan.
        if (schema.columnNotNullBefore(table, column, s) === true) continue;
        if (context.pgVersion >= 12 && provenByValidatedCheck(context, table, column, s)) continue;
        columns.push(column);
        span ??= start !== undefined ? { start, end: clauseEnd(s, start) } : headSpan(s, findWord(s, 'null')?.start);
      }
      if (columns.length === 0 || !span) continue;
      const list = columns.map((c) => `${table.display}.${c}`).join(', ');
      const first = columns[0];
      context.report({
        statement: s,
        span,
        message: `SET NOT NULL on ${list} reads every row under ACCESS EXCLUSIVE: reads and writes on ${table.display} wait for the whole scan.`,
        help:
          context.pgVersion >= 12
            ? `Add CHECK (${first} IS NOT NULL) NOT VALID${columns.length > 1 ? ' (one per column)' : ''}, VALIDATE CONSTRAINT it in a later transaction, then SET NOT NULL (PostgreSQL 12+ uses the validated CHECK and skips the scan) and drop the CHECK.`
            : `Before PostgreSQL 12 SET NOT NULL always scans: keep a validated CHECK (${first} IS NOT NULL) instead (NOT VALID, then VALIDATE CONSTRAINT later), or run it while the table is small.`,
        fixes: context.pgVersion >= 12 ? checkFirstFixes(context, s, table, columns) : [],
      });
    }
  },
};

function provenByValidatedCheck(context: Parameters<Rule['check']>[0], table: NonNullable<ReturnType<typeof relationOf>>, column: string, s: Parameters<Rule['check']>[0]['statements'][number]): boolean {
  // A VALIDATE of a constraint this file does not define has an unknown expression: the pattern
  // "add the CHECK in one migration, validate it and SET NOT NULL in the next" is the documented one.
  // Or a CHECK an earlier migration added and validated (the pattern across three migrations).
  const schema = schemaFactsOf(context);
  return schema.validatedChecksBefore(table, s).some((c) => c.expr === undefined || checkProvesNotNull(c.expr, column)) || schema.columnNotNullCheckedBefore(table, column, s);
}

/**
 * The PostgreSQL 12+ path, for a statement whose only actions are SET NOT NULL: `ADD CONSTRAINT c CHECK
 * (col IS NOT NULL) NOT VALID`, `VALIDATE CONSTRAINT c`, the SET NOT NULL itself (the validated CHECK
 * spares it the scan), `DROP CONSTRAINT c`. Outside a transaction all four go in place, written to be
 * re-runnable; inside one, VALIDATE and what follows move to a new migration right after this one.
 */
function checkFirstFixes(context: RuleContext, s: Statement, table: RelationRef, columns: string[]): FixSpec[] {
  const alter = bodyOf(s.node, 'AlterTableStmt');
  if (!(alter.cmds ?? []).every((c: any) => c.AlterTableCmd?.subtype === 'AT_SetNotNull') || !s.terminated) return [];
  const checks = columns.map((column) => ({ column, name: makeObjectName(table.name, column, 'not_null_check') }));
  const check = (c: { column: string; name: string }) => `ADD CONSTRAINT ${quoteIdent(c.name)} CHECK (${quoteIdent(c.column)} IS NOT NULL) NOT VALID`;
  const validates = checks.map((c) => `ALTER TABLE ${table.display} VALIDATE CONSTRAINT ${quoteIdent(c.name)};`);
  const what = columns.length === 1 ? `CHECK (${columns[0]} IS NOT NULL)` : `a CHECK (col IS NOT NULL) for each of ${columns.join(', ')}`;
  const title = `Add ${what} NOT VALID and VALIDATE it before SET NOT NULL, then drop the CHECK`;
  if (!context.factsOf(s).inTransaction) {
    const eol = eolOf(s.section.source);
    const indent = indentOf(s);
    const add = `ALTER TABLE ${table.display} ${checks.map((c) => `DROP CONSTRAINT IF EXISTS ${quoteIdent(c.name)}, ${check(c)}`).join(', ')};`;
    const before: TextEdit = { span: { start: s.span.start, end: s.span.start }, newText: [add, ...validates].join(eol + indent) + eol + indent };
    const drop = `ALTER TABLE ${table.display} ${checks.map((c) => `DROP CONSTRAINT IF EXISTS ${quoteIdent(c.name)}`).join(', ')};`;
    return [{ title, edits: [before, insertAfter(s, [drop])], safe: true }];
  }
  const followUp = followUpMigration({
    document: context.document,
    statements: context.statements,
    facts: context.facts,
    host: context.host,
    description: `set ${table.name} ${columns.join(' ')} not null`,
    move: [],
    after: s,
    up: [...validates, s.text.trim(), `ALTER TABLE ${table.display} ${checks.map((c) => `DROP CONSTRAINT ${quoteIdent(c.name)}`).join(', ')};`].join('\n'),
    down: `ALTER TABLE ${table.display} ${columns.map((c) => `ALTER COLUMN ${quoteIdent(c)} DROP NOT NULL`).join(', ')};`,
    undo: columns.map((name) => ({ kind: 'not-null' as const, name, table })),
    transaction: true,
    why: 'VALIDATE CONSTRAINT runs after the NOT VALID CHECK has committed, so it reads the table without blocking reads or writes; SET NOT NULL then uses the validated CHECK instead of scanning (PostgreSQL 12+).',
  });
  if (!followUp) return [];
  return [
    lazyFix(`Add ${what} NOT VALID here; VALIDATE it, SET NOT NULL and drop the CHECK in a new migration ${followUp.name}`, false, () => {
      const down = addToDownEdit(context.document, context.statements, context.host, s.section, [`ALTER TABLE ${table.display} ${checks.map((c) => `DROP CONSTRAINT IF EXISTS ${quoteIdent(c.name)}`).join(', ')};`]);
      const files = followUp.files(down ? [down] : []);
      const edits = [replaceStatement(s, [`ALTER TABLE ${table.display} ${checks.map(check).join(', ')};`]), ...files.edits];
      // The DROP CONSTRAINT goes where the moved DROP NOT NULL was: one edit there.
      if (down) edits.unshift(down);
      return { edits: joinTouchingEdits(edits), creates: files.creates };
    }),
  ];
}
