import { schemaFactsOf } from '../context';
import type { Statement } from '../model';
import { bodyOf, relationOf, sameRelation, walk, type RelationRef } from '../sql/ast';
import { relationsMentioned } from '../sql/columns';
import { headSpan, statementTokens, tokenIndexAt, tokenText } from '../sql/tokens';
import type { FixSpec, Rule, RuleContext } from './types';
import { eolOf, lineNumberAt } from '../text/offsets';

/** Subcommands that must not be merged into a neighbour: the point is that they run on their own. */
const KEEP_APART = new Set(['AT_ValidateConstraint', 'AT_AttachPartition', 'AT_DetachPartition', 'AT_DetachPartitionFinalize', 'AT_SetNotNull']);

export const multipleAlterTable: Rule = {
  id: 'multiple-alter-table',
  family: 'locks',
  summary: 'Consecutive ALTER TABLE statements on one table that one statement could do: each queues for the lock again (outside a transaction) or reads the table again',
  defaultLevel: 'warning',
  sameAs: ['postgres-language-server: multipleAlterTable', 'Eugene: W12'],
  fixable: true,
  docs: {
    why: 'Outside a transaction each ALTER TABLE queues for its ACCESS EXCLUSIVE lock again, and every query that arrives meanwhile queues behind it, once per statement. Inside a transaction the lock is kept, but each statement that scans or rewrites the table does its own pass: two rewrites where one would do. One ALTER TABLE with several actions takes the lock once and makes at most one pass over the table.',
    instead:
      'Merge them: `ALTER TABLE t ADD COLUMN a int, ADD COLUMN b text;`. Inside a transaction only runs with more than one scan or rewrite are flagged (catalog-only changes under a lock already held cost nothing more). Statements that must stay apart are not flagged: VALIDATE CONSTRAINT (it must not run under the lock of the ADD), SET NOT NULL (it may rely on an earlier validation), ATTACH / DETACH PARTITION, and anything with another statement on the same table in between. The fix does not merge a run where a later statement drops something, or changes a column\'s type, that an earlier one names (adds, sets a default on, checks): within one ALTER TABLE PostgreSQL runs drops and type changes before the other actions, so `ADD COLUMN score int` then `ALTER COLUMN score TYPE bigint` would fail, and `SET DEFAULT` then `DROP DEFAULT` would keep the default.',
    invalid: [
      {
        sql: "-- +goose NO TRANSACTION\n-- +goose Up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN locale text;\nALTER TABLE users ADD COLUMN time_zone text;\n\n-- +goose Down\nALTER TABLE users DROP COLUMN time_zone, DROP COLUMN locale;\n",
        note: 'Outside a transaction: the lock is queued for twice.',
      },
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_quantity_positive CHECK (quantity > 0);\nALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);\n\n-- migrate:down\nALTER TABLE orders DROP CONSTRAINT orders_total_positive, DROP CONSTRAINT orders_quantity_positive;\n",
        note: 'In a transaction: two full scans of orders where one would do.',
      },
    ],
    valid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN locale text, ADD COLUMN time_zone text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN time_zone, DROP COLUMN locale;\n" },
      {
        sql: "-- +goose NO TRANSACTION\n-- +goose Up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN locale text;\nUPDATE users SET locale = 'en' WHERE id < 1000;\nALTER TABLE users ALTER COLUMN locale SET DEFAULT 'en';\n\n-- +goose Down\nALTER TABLE users DROP COLUMN locale;\n",
        note: 'A statement in between uses the table.',
      },
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN locale text;\nALTER TABLE users ADD COLUMN time_zone text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN time_zone, DROP COLUMN locale;\n",
        note: 'In a transaction, catalog-only changes under the lock already held cost nothing more.',
      },
    ],
  },
  check(context) {
    const bySection = new Map<unknown, Statement[]>();
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      const list = bySection.get(s.section) ?? [];
      list.push(s);
      bySection.set(s.section, list);
    }
    for (const list of bySection.values()) {
      let i = 0;
      while (i < list.length) {
        const first = list[i];
        const table = mergeableAlter(first);
        if (!table || schemaFactsOf(context).ownedByMigration(table, first)) {
          i++;
          continue;
        }
        // The run: following statements are ALTER TABLE on the same table, with nothing else on it in between.
        const run: Statement[] = [first];
        let j = i + 1;
        for (; j < list.length; j++) {
          const next = list[j];
          if (next.kind === 'VariableSetStmt') continue;
          const nextTable = mergeableAlter(next);
          if (nextTable && sameRelation(nextTable, table) && context.factsOf(next).transactionId === context.factsOf(first).transactionId) {
            run.push(next);
            continue;
          }
          break;
        }
        if (run.length === 1) {
          i = j;
          continue;
        }
        const between = list.slice(i, j).filter((s) => !run.includes(s));
        const inTransaction = context.factsOf(first).inTransaction;
        const passes = run.filter((s) => schemaFactsOf(context).locksOf(s, context.pgVersion).facts.some((f) => f.scan || f.rewrite)).length;
        if ((!inTransaction || passes > 1) && !between.some((s) => relationsMentioned(s.node).some((r) => sameRelation(r, table)))) {
          const lines = run.map((s) => lineNumberAt(context.document.text, s.span.start));
          context.report({
            statement: run[1],
            span: headSpan(run[1], s0Location(run[1])),
            message: inTransaction
              ? `${passes === run.length ? `The ${run.length}` : `${passes} of the ${run.length}`} ALTER TABLE statements on ${table.display} in a row (lines ${lines.join(', ')}) each read or rewrite the whole table under the lock: one ALTER TABLE does it in one pass.`
              : `${run.length} ALTER TABLE statements on ${table.display} in a row (lines ${lines.join(', ')}), outside a transaction: each one queues for the ACCESS EXCLUSIVE lock again, and traffic queues behind each.`,
            help: 'Merge them into one ALTER TABLE with the actions separated by commas.',
            fixes: mergeFix(context, run),
          });
        }
        i = Math.max(j, i + 1);
      }
    }
  },
};

function s0Location(s: Statement): number | undefined {
  const alter = bodyOf(s.node, 'AlterTableStmt');
  return alter?.relation?.location !== undefined ? s.offsetOf(alter.relation.location) : undefined;
}

/** The table of an ALTER TABLE whose actions can be merged with a neighbour's. */
function mergeableAlter(s: Statement): RelationRef | undefined {
  const alter = bodyOf(s.node, 'AlterTableStmt');
  if (!alter || (alter.objtype ?? 'OBJECT_TABLE') !== 'OBJECT_TABLE') return undefined;
  if ((alter.cmds ?? []).some((c: any) => KEEP_APART.has(c.AlterTableCmd?.subtype))) return undefined;
  return relationOf(alter.relation);
}

/** Moves the actions of the later statements into the first, when the statements are adjacent. */
function mergeFix(context: RuleContext, run: Statement[]): FixSpec[] {
  if (mergeReorders(run)) return [];
  const source = run[0].section.source;
  const parts: string[] = [];
  for (let k = 0; k < run.length; k++) {
    const s = run[k];
    if (!s.terminated) return [];
    if (k > 0 && source.slice(run[k - 1].span.end, s.span.start).trim() !== '') return [];
    const actions = actionsText(s);
    if (actions === undefined) return [];
    parts.push(actions);
  }
  const first = run[0];
  const last = run[run.length - 1];
  const semicolon = first.span.end - 1;
  const eol = eolOf(source);
  return [
    {
      title: `Merge into one ALTER TABLE`,
      edits: [{ span: { start: semicolon, end: last.span.end }, newText: `,${eol}  ${parts.slice(1).join(`,${eol}  `)};` }],
      safe: false,
    },
  ];
}

/**
 * Actions PostgreSQL runs before the others of the same ALTER TABLE, whatever their order: it runs the
 * actions in passes (drops, then type changes, then added columns, then constraints and the rest), not
 * in the order written.
 */
const EARLY_PASS = new Set(['AT_DropColumn', 'AT_DropConstraint', 'AT_DropNotNull', 'AT_DropIdentity', 'AT_DropExpression', 'AT_AlterColumnType']);

/**
 * Whether one ALTER TABLE would not do what the statements do one after the other: a later statement
 * drops or retypes a column or constraint an earlier one names (adds it, sets its default, checks it).
 * Merged, the drop or type change would run first: `ADD COLUMN score int` then `ALTER COLUMN score TYPE
 * bigint` fails ("column does not exist"), `SET DEFAULT 'en'` then `DROP DEFAULT` keeps the default.
 */
function mergeReorders(run: readonly Statement[]): boolean {
  const named = new Set<string>();
  for (const s of run) {
    const cmds = bodyOf(s.node, 'AlterTableStmt')?.cmds ?? [];
    for (const c of cmds) {
      const cmd = c.AlterTableCmd;
      const early = EARLY_PASS.has(cmd?.subtype) || (cmd?.subtype === 'AT_ColumnDefault' && !cmd.def);
      if (early && typeof cmd.name === 'string' && named.has(cmd.name)) return true;
    }
    for (const c of cmds) collectNames(c, named);
  }
  return false;
}

/** Column and constraint names an action mentions (its target, a column it defines, columns its expressions read). */
function collectNames(node: any, into: Set<string>): void {
  walk(node, (kind, body) => {
    if (kind === 'AlterTableCmd' && typeof body.name === 'string') into.add(body.name);
    else if (kind === 'ColumnDef' && typeof body.colname === 'string') into.add(body.colname);
    else if (kind === 'Constraint') {
      if (typeof body.conname === 'string') into.add(body.conname);
      for (const list of [body.keys, body.fk_attrs, body.including]) for (const k of list ?? []) if (typeof k.String?.sval === 'string') into.add(k.String.sval);
    } else if (kind === 'ColumnRef') for (const f of body.fields ?? []) if (typeof f.String?.sval === 'string') into.add(f.String.sval);
  });
}

/** The text of an ALTER TABLE's actions: after the table name, before the semicolon. */
function actionsText(s: Statement): string | undefined {
  const location = s0Location(s);
  if (location === undefined) return undefined;
  const tokens = statementTokens(s);
  let i = tokenIndexAt(s, location);
  while (i + 2 < tokens.length && tokenText(s, tokens[i + 1]) === '.' && tokens[i + 1].start === tokens[i].end) i += 2;
  const start = tokens[i + 1]?.start;
  const end = s.span.end - 1;
  if (start === undefined || start >= end || s.section.source[end] !== ';') return undefined;
  return s.section.source.slice(start, end).trim();
}
