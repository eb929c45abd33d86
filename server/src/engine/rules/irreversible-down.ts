import { counterpartOf, recreatedLaterInSection, recreatedLaterInStatement } from '../context';
import type { Statement } from '../model';
import { alwaysTrue, bodyOf, relationOf, sameRelation, type RelationRef } from '../sql/ast';
import { ChangesByName, contains, dataChangeTarget, loopedDataChange, netEffects, sameObject, schemaChanges, type NetEffect, type SchemaChange } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const irreversibleDown: Rule = {
  id: 'irreversible-down',
  family: 'files',
  summary: 'A down that destroys data the up did not create: it drops tables or columns, or empties tables, that existed before the migration',
  defaultLevel: 'warning',
  docs: {
    why: "A down is run to go back to the previous version, often in a hurry. When it drops a table or a column that existed before the up (or truncates or empties such a table), the rollback deletes data that no later `up` can bring back: that statement is the point of no return, and nothing warns whoever runs the rollback. Dropping what the up itself created is fine: that data did not exist before.\n\nFor split formats the up is the companion file (`.up.sql`, diesel `up.sql`, the Flyway `V` script, sqitch `deploy/`).",
    instead: 'Make the down restore the previous schema without deleting old data (rename instead of drop, or keep the column), or, if the migration truly cannot be undone, say so: keep the statement, suppress this rule with a reason, and make sure the runbook knows.',
    invalid: [
      { sql: "-- migrate:up\nALTER TABLE users ALTER COLUMN email TYPE citext;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN email;\nALTER TABLE users ADD COLUMN email text;\n", note: 'The down drops a column the up only changed: every address is lost on rollback.' },
      { sql: 'DROP TABLE users;\n', path: '2024-03-01-000000_merge_accounts/down.sql', files: { 'up.sql': 'ALTER TABLE users ADD COLUMN account_id bigint;\n' }, note: 'diesel: the up only added a column; the down drops the whole table.' },
    ],
    valid: [{ sql: '-- migrate:up\nCREATE TABLE audit (id bigint PRIMARY KEY);\nALTER TABLE users ADD COLUMN nickname text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN nickname;\nDROP TABLE audit;\n' }],
  },
  check(context) {
    for (const section of context.document.sections) {
      if (section.kind !== 'down') continue;
      const up = counterpartOf(context.document, context.statements, context.host, section);
      if (!up) continue;
      // What the up does, all told: folded only when a drop or an emptied table needs it.
      let upByName: ChangesByName<NetEffect<number>> | undefined;
      const createdByUp = (key: SchemaChange) => {
        upByName ??= new ChangesByName(netEffects(up.changes.map((c) => ({ change: c.change, ref: c.order }))), (e) => e.change);
        return upByName.some(key, (e) => (e.state === 'created' || e.state === 'replaced' || e.state === 'transient') && (sameObject(e.change, key) || contains(e.change, key)));
      };
      const list = context.facts.sectionStatements(section);
      // Every drop counts, even when the down creates the object again afterwards: the data is gone.
      const createdHere: SchemaChange[] = [];
      const reported: SchemaChange[] = [];
      for (const s of list) {
        for (const change of schemaChanges(s.node)) {
          if (change.action === 'create' || change.action === 'rename-to') createdHere.push(change);
          if (change.action !== 'drop' || (change.kind !== 'table' && change.kind !== 'column' && change.kind !== 'schema')) continue;
          if (change.kind === 'schema' && !change.cascade) continue; // fails unless empty: no data lost
          if (createdHere.some((c) => sameObject(c, change) || contains(c, change))) continue;
          if (reported.some((c) => contains(c, change))) continue;
          if (createdByUp(change)) continue;
          // The copy-and-swap pattern: the data was copied into another column or table that is renamed into place.
          if (recreatedLaterInSection(context.statements, s, change, { renameOnly: true }) || recreatedLaterInStatement(s, change, { renameOnly: true })) continue;
          reported.push(change);
          const what = change.kind === 'column' ? `column ${change.display}` : `${change.kind} ${change.display}`;
          context.report({
            statement: s,
            span: headSpan(s),
            message: `Point of no return: this down drops ${what}, which existed before the up, so rolling back deletes its data for good.`,
            help: 'Undo only what the up did (drop what it created, restore what it changed), or document the migration as irreversible and suppress this with a reason.',
          });
        }
      }
      for (const s of list) {
        // A table the up created, or inserted into: emptying it plausibly undoes the up's own rows.
        const emptied = emptiedTables(s).filter((t) => !createdByUp({ action: 'drop', kind: 'table', name: t.name, schema: t.schema, display: t.display }) && !up.nodes.some((n) => insertsInto(n, t)));
        if (emptied.length === 0) continue;
        context.report({
          statement: s,
          span: headSpan(s),
          message: `Point of no return: this down deletes every row of ${emptied.map((t) => t.display).join(', ')}, which existed before the up.`,
          help: 'Delete only the rows the up inserted (with a WHERE that names them), or document the migration as irreversible.',
        });
      }
    }
  },
};

/** Tables a statement empties: TRUNCATE, or DELETE without a (meaningful) WHERE. */
function emptiedTables(s: Statement): RelationRef[] {
  const truncate = bodyOf(s.node, 'TruncateStmt');
  if (truncate) return (truncate.relations ?? []).map((r: any) => relationOf(r.RangeVar)).filter((r: RelationRef | undefined): r is RelationRef => r !== undefined);
  const del = bodyOf(s.node, 'DeleteStmt');
  if (del && alwaysTrue(del.whereClause) && !del.usingClause) {
    const r = relationOf(del.relation);
    return r ? [r] : [];
  }
  return [];
}


/** The statement inserts rows into `table` (directly, or in a DO loop). */
function insertsInto(node: Parameters<typeof dataChangeTarget>[0], table: RelationRef): boolean {
  const target = dataChangeTarget(node);
  if (target?.verb === 'INSERT' && sameRelation(target.relation, table)) return true;
  return loopedDataChange(node)?.tables.some((t) => sameRelation(t, table)) === true;
}
