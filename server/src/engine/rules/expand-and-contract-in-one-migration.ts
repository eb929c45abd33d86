import { createdEarlierInSection } from '../context';
import type { Statement } from '../model';
import { bodyOf, columnsReadBy, relationOf, sameRelation, type RelationRef } from '../sql/ast';
import { schemaChanges } from '../sql/classify';
import { clauseEnd, findClause, headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const expandAndContractInOneMigration: Rule = {
  id: 'expand-and-contract-in-one-migration',
  family: 'breaking',
  summary: 'One migration adds the new structure, copies the data into it and removes the old one',
  defaultLevel: 'warning',
  sameAs: ['strong_migrations: rename_column / change_column (the multi-deploy procedure they recommend)'],
  docs: {
    why: "Replacing a column or a table in one migration (add the new one, copy the data, drop the old one) is a rename or a type change done by hand, and breaks the running application exactly like one: the version still running reads and writes the old column, which is gone when the migration commits. For a table rebuilt by copying (`INSERT INTO new SELECT ... FROM old`, then `DROP TABLE old`), rows the application writes to the old table after the copy started are lost.\n\nThe rule looks for the evidence that one object replaces the other: an UPDATE or INSERT ... SELECT that fills the new one from the old one, or a rename of the new one to the old name.",
    instead: 'Split it into three migrations, each deployed with the matching code: expand (add the new column or table; the code writes both), backfill (copy the data in batches), contract (drop the old one once no deployed code uses it).',
    invalid: [
      { sql: "-- migrate:up\nALTER TABLE users ADD COLUMN full_name text;\nUPDATE users SET full_name = first_name || ' ' || last_name;\nALTER TABLE users DROP COLUMN first_name, DROP COLUMN last_name;\n\n-- migrate:down\n" },
      { sql: '-- migrate:up\nCREATE TABLE post_new (id bigint PRIMARY KEY, body text);\nINSERT INTO post_new SELECT id, body FROM post;\nDROP TABLE post;\nALTER TABLE post_new RENAME TO post;\n\n-- migrate:down\n', note: 'A table rebuilt by copy: writes made during the copy are lost.' },
    ],
    valid: [{ sql: '-- migrate:up\nALTER TABLE users ADD COLUMN full_name text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN full_name;\n', note: 'The expand step alone.' }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      if (s.section.kind !== 'up') continue;
      const section = context.facts.sectionStatements(s.section);
      // Columns: DROP COLUMN y where another column of the table is filled from y, or renamed to y later.
      const alter = bodyOf(s.node, 'AlterTableStmt');
      const table = alter ? relationOf(alter.relation) : undefined;
      if (alter && table && !createdEarlierInSection(context.statements, s, { kind: 'table', name: table.name, schema: table.schema })) {
        const replaced: { old: string; by: string; swap: boolean }[] = [];
        const cmds = alter.cmds ?? [];
        for (let k = 0; k < cmds.length; k++) {
          const c = cmds[k];
          const cmd = c.AlterTableCmd;
          if (cmd?.subtype !== 'AT_DropColumn' || !cmd.name) continue;
          if (createdEarlierInSection(context.statements, s, { kind: 'column', name: cmd.name, table })) continue;
          const by = replacementColumn(section, s, table, cmd.name);
          if (by) replaced.push({ old: cmd.name, ...by });
        }
        if (replaced.length > 0) {
          const clause = findClause(s, ['drop'], replaced[0].old, ['column', 'if', 'exists']);
          const list = replaced.map((r) => `${r.old} (replaced by ${r.by})`).join(', ');
          const swap = replaced.every((r) => r.swap);
          context.report({
            statement: s,
            span: clause ? { start: clause.start, end: clauseEnd(s, clause.start) } : headSpan(s),
            message: swap
              ? `This migration rebuilds ${table.display}.${replaced.map((r) => r.old).join(', ')} by copying into a new column and renaming it into place: the ADD COLUMN's ACCESS EXCLUSIVE lock on ${table.display} is held through the whole copy, the same outage as ALTER COLUMN TYPE, and the running application gets the new type at commit.`
              : `This migration adds the new column, copies the data and drops the old one: ${table.display}.${list}. The application version still running uses the old column, which is gone when the migration commits.`,
            help: swap ? `Split it into expand, backfill and contract migrations: zdm trio change-type ${table.display}.${replaced[0].old} --type <new type> --from-type <old type> writes them.` : `Split it into expand (add the column, write both), backfill, and contract (drop the old column) migrations, each deployed with its code: zdm trio rename-column ${table.display}.${replaced[0].old} --to ${replaced[0].by} --type <its type> writes them.`,
          });
        }
      }
      // Tables: DROP TABLE old after INSERT INTO new SELECT ... FROM old, new created in this section.
      if (bodyOf(s.node, 'DropStmt')) {
        for (const change of schemaChanges(s.node)) {
          if (change.action !== 'drop' || change.kind !== 'table') continue;
          const old: RelationRef = { name: change.name, schema: change.schema, display: change.display };
          if (createdEarlierInSection(context.statements, s, { kind: 'table', name: old.name, schema: old.schema })) continue;
          const copy = section.find((o) => o.index < s.index && copiesInto(o, old) && createdEarlierInSection(context.statements, o, { kind: 'table', name: copiesInto(o, old)!.name, schema: copiesInto(o, old)!.schema }));
          if (!copy) continue;
          context.report({
            statement: s,
            span: headSpan(s),
            message: `This migration rebuilds ${old.display} by copying it into ${copiesInto(copy, old)!.display} and dropping it: rows the running application writes to ${old.display} after the copy started are lost, and its queries break if the new table differs.`,
            help: 'Split it into expand (new table, dual writes), backfill in batches, and contract (drop the old table) migrations.',
          });
        }
      }
    }
  },
};

/** A column of `table` that the section fills from `old` (UPDATE ... SET x = f(old)) or renames to `old` after the drop. */
function replacementColumn(section: readonly Statement[], drop: Statement, table: RelationRef, old: string): { by: string; swap: boolean } | undefined {
  const renamedInto = renamedTo(section, drop, table, old);
  for (const o of section) {
    const update = bodyOf(o.node, 'UpdateStmt');
    if (update && o.index < drop.index) {
      const target = relationOf(update.relation);
      if (!target || !sameRelation(target, table)) continue;
      for (const t of update.targetList ?? []) {
        const name = t.ResTarget?.name;
        if (name && name !== old && columnsReadBy(t.ResTarget.val).includes(old)) return { by: name, swap: renamedInto === name };
      }
    }
  }
  return renamedInto ? { by: renamedInto, swap: true } : undefined;
}

/** The column renamed to `old` after the drop (the swap of a rebuilt column into place). */
function renamedTo(section: readonly Statement[], drop: Statement, table: RelationRef, old: string): string | undefined {
  for (const o of section) {
    if (o.index <= drop.index) continue;
    for (const c of schemaChanges(o.node)) {
      if (c.action === 'rename-to' && c.kind === 'column' && c.name === old && c.table && sameRelation(c.table, table) && c.otherName) return c.otherName;
    }
  }
  return undefined;
}

/** The table an `INSERT INTO new SELECT ... FROM old` statement copies `old` into. */
function copiesInto(s: Statement, old: RelationRef): RelationRef | undefined {
  const insert = bodyOf(s.node, 'InsertStmt');
  if (!insert) return undefined;
  const target = relationOf(insert.relation);
  if (!target || sameRelation(target, old)) return undefined;
  let reads = false;
  const select = insert.selectStmt?.SelectStmt;
  for (const from of select?.fromClause ?? []) {
    const r = relationOf(from.RangeVar);
    if (r && sameRelation(r, old)) reads = true;
  }
  return reads ? target : undefined;
}
