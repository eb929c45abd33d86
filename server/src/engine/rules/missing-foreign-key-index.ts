import { createdEarlierInSection } from '../context';
import type { Statement } from '../model';
import { bodyOf, namesOf, quoteIdent, relationOf, sameRelation, type RelationRef } from '../sql/ast';
import { clauseEnd, headSpan } from '../sql/tokens';
import type { FixSpec, Rule, RuleContext } from './types';

interface ForeignKey {
  statement: Statement;
  table: RelationRef;
  columns: string[];
  location?: number;
  references?: RelationRef;
  /** The table is created by this statement (an index can be added right after it). */
  newTable: boolean;
}

export const missingForeignKeyIndex: Rule = {
  id: 'missing-foreign-key-index',
  family: 'style',
  summary: 'A foreign key whose referencing columns get no index in the same migration',
  defaultLevel: 'info',
  sameAs: ['postgres-language-server: unindexed-foreign-keys (database lint)'],
  fixable: true,
  docs: {
    why: "PostgreSQL indexes the referenced side of a foreign key (it must be a primary key or unique), not the referencing columns. Without an index there, every DELETE or key UPDATE on the parent scans the whole child table to check or cascade, holding its locks meanwhile, and joins from parent to child scan too. It goes unnoticed while the tables are small.\n\nOnly foreign keys whose columns are new in this migration are checked (a new table, or columns added here): an older column may already have an index that this file does not show. An index or a PRIMARY KEY / UNIQUE constraint whose leading columns are the foreign key's columns counts.",
    instead: 'Create an index on the referencing columns in the same migration: `CREATE INDEX ON comment (post_id);`.',
    invalid: [{ sql: 'CREATE TABLE comment (\n  id bigint PRIMARY KEY,\n  post_id bigint NOT NULL REFERENCES post (id),\n  body text\n);' }],
    valid: [{ sql: 'CREATE TABLE comment (\n  id bigint PRIMARY KEY,\n  post_id bigint NOT NULL REFERENCES post (id),\n  body text\n);\nCREATE INDEX comment_post_id_idx ON comment (post_id);' }],
  },
  check(context) {
    for (const section of context.document.sections) {
      if (section.kind !== 'up') continue;
      const list = context.facts.sectionStatements(section);
      const keys = foreignKeys(context, list);
      if (keys.length === 0) continue;
      const indexed = indexedColumns(list);
      for (const fk of keys) {
        if (indexed.some((i) => sameRelation(i.table, fk.table) && covers(i.columns, fk.columns))) continue;
        const start = fk.location !== undefined ? fk.statement.offsetOf(fk.location) : undefined;
        const cols = fk.columns.map(quoteIdent).join(', ');
        context.report({
          statement: fk.statement,
          span: start !== undefined ? { start, end: clauseEnd(fk.statement, start) } : headSpan(fk.statement),
          message: `No index on ${fk.table.display} (${cols}) for this foreign key${fk.references ? ` to ${fk.references.display}` : ''}: every delete or key update on the referenced table scans ${fk.table.display} to check it.`,
          help: `Add CREATE INDEX ON ${fk.table.display} (${cols}) in this migration.`,
          fixes: fixFor(fk, cols),
        });
      }
    }
  },
};

function fixFor(fk: ForeignKey, cols: string): FixSpec[] {
  if (!fk.newTable || !fk.statement.terminated) return [];
  const at = fk.statement.span.end;
  return [{ title: `Add CREATE INDEX ON ${fk.table.display} (${cols})`, edits: [{ span: { start: at, end: at }, newText: `\nCREATE INDEX ON ${fk.table.display} (${cols});` }], safe: false }];
}

/** The index's leading columns are the foreign key's columns (in any order). */
function covers(index: string[], fk: string[]): boolean {
  if (index.length < fk.length) return false;
  const lead = new Set(index.slice(0, fk.length));
  return fk.every((c) => lead.has(c));
}

function foreignKeys(context: RuleContext, list: readonly Statement[]): ForeignKey[] {
  const out: ForeignKey[] = [];
  for (const s of list) {
    const create = bodyOf(s.node, 'CreateStmt');
    const table = relationOf(create?.relation);
    if (create && table) {
      for (const e of create.tableElts ?? []) {
        for (const c of e.ColumnDef?.constraints ?? []) {
          const con = c.Constraint;
          if (con?.contype === 'CONSTR_FOREIGN') out.push({ statement: s, table, columns: [e.ColumnDef.colname], location: con.location, references: relationOf(con.pktable), newTable: true });
        }
        const con = e.Constraint;
        if (con?.contype === 'CONSTR_FOREIGN') out.push({ statement: s, table, columns: namesOf(con.fk_attrs), location: con.location, references: relationOf(con.pktable), newTable: true });
      }
    }
    const alter = bodyOf(s.node, 'AlterTableStmt');
    const altered = relationOf(alter?.relation);
    if (alter && altered) {
      const newTable = createdEarlierInSection(context.statements, s, { kind: 'table', name: altered.name, schema: altered.schema });
      // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
      const cmds = alter.cmds ?? [];
      for (let k = 0; k < cmds.length; k++) {
        const c = cmds[k];
        const cmd = c.AlterTableCmd;
        if (cmd?.subtype === 'AT_AddColumn') {
          for (const x of cmd.def?.ColumnDef?.constraints ?? []) {
            const con = x.Constraint;
            if (con?.contype === 'CONSTR_FOREIGN') out.push({ statement: s, table: altered, columns: [cmd.def.ColumnDef.colname], location: con.location, references: relationOf(con.pktable), newTable });
          }
        }
        const con = cmd?.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined;
        if (con?.contype === 'CONSTR_FOREIGN') {
          const columns = namesOf(con.fk_attrs);
          // Columns that existed before this migration may be indexed already.
          const fresh = newTable || columns.every((col) => createdEarlierInSection(context.statements, s, { kind: 'column', name: col, table: altered }));
          if (fresh) out.push({ statement: s, table: altered, columns, location: con.location, references: relationOf(con.pktable), newTable });
        }
      }
    }
  }
  return out.filter((fk) => fk.columns.length > 0);
}

/** Column lists of the indexes, primary keys and unique constraints the section creates. */
function indexedColumns(list: readonly Statement[]): { table: RelationRef; columns: string[] }[] {
  const out: { table: RelationRef; columns: string[] }[] = [];
  const keyConstraint = (con: any) => con && (con.contype === 'CONSTR_PRIMARY' || con.contype === 'CONSTR_UNIQUE');
  for (const s of list) {
    const index = bodyOf(s.node, 'IndexStmt');
    const indexTable = relationOf(index?.relation);
    if (index && indexTable) {
      const columns: string[] = [];
      for (const p of index.indexParams ?? []) {
        if (!p.IndexElem?.name) break; // an expression ends the usable prefix
        columns.push(p.IndexElem.name);
      }
      out.push({ table: indexTable, columns });
    }
    const create = bodyOf(s.node, 'CreateStmt');
    const table = relationOf(create?.relation);
    if (create && table) {
      for (const e of create.tableElts ?? []) {
        if (keyConstraint(e.Constraint)) out.push({ table, columns: namesOf(e.Constraint.keys) });
        for (const c of e.ColumnDef?.constraints ?? []) if (keyConstraint(c.Constraint)) out.push({ table, columns: [e.ColumnDef.colname] });
      }
    }
    const alter = bodyOf(s.node, 'AlterTableStmt');
    const altered = relationOf(alter?.relation);
    for (const c of (altered && alter.cmds) || []) {
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype === 'AT_AddConstraint' && keyConstraint(cmd.def?.Constraint)) out.push({ table: altered!, columns: namesOf(cmd.def.Constraint.keys) });
      if (cmd?.subtype === 'AT_AddColumn') for (const x of cmd.def?.ColumnDef?.constraints ?? []) if (keyConstraint(x.Constraint)) out.push({ table: altered!, columns: [cmd.def.ColumnDef.colname] });
    }
  }
  return out;
}
