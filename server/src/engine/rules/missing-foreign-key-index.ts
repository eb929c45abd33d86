import { createdEarlierInSection } from '../context';
import { followUpMigration } from '../fixes/follow-up';
import { sendsOneQueryString } from '../fixes/format-edits';
import { lazyFix } from '../fixes/lazy';
import { indexedLater, indexesBefore } from '../history';
import { TableIndexes } from '../indexes';
import type { Statement } from '../model';
import { bodyOf, namesOf, quoteIdent, relationOf, sameRelation, type RelationRef } from '../sql/ast';
import { makeObjectName } from '../sql/classify';
import { clauseEnd, headSpan } from '../sql/tokens';
import { eolOf } from '../text/offsets';
import type { FixSpec, Rule, RuleContext } from './types';

interface ForeignKey {
  statement: Statement;
  table: RelationRef;
  columns: string[];
  location?: number;
  references?: RelationRef;
  /** The table is created by this statement (an index can be added right after it). */
  newTable: boolean;
  /** The table and the columns existed before this migration: judged by the folder's history (`indexesBefore`). */
  existing?: boolean;
}

export const missingForeignKeyIndex: Rule = {
  id: 'missing-foreign-key-index',
  family: 'style',
  summary: 'A foreign key whose referencing columns get no index in the same migration',
  defaultLevel: 'info',
  sameAs: ['postgres-language-server: unindexed-foreign-keys (database lint)'],
  fixable: true,
  docs: {
    why: "PostgreSQL indexes the referenced side of a foreign key (it must be a primary key or unique), not the referencing columns. Without an index there, every DELETE or key UPDATE on the parent scans the whole child table to check or cascade, holding its locks meanwhile, and joins from parent to child scan too. It goes unnoticed while the tables are small.\n\nAn index or a PRIMARY KEY / UNIQUE constraint whose leading columns are the foreign key's columns counts, made anywhere in the migration. A foreign key on columns that existed before the migration is judged by the other migrations of the folder: zdm replays the table's indexes from its CREATE TABLE on (CREATE / DROP INDEX, PRIMARY KEY and UNIQUE constraints and their drops, DROP COLUMN, renames of the table, its columns and its indexes) and flags only when it knows none is left. It stays silent when it cannot tell: the table was not created in the folder (or in another schema), a statement about it did not parse or ran in a DO block or a function that builds indexes, an index is on an expression, the table came from LIKE, INHERITS or PARTITION OF. On a table that existed before the migration, an index a later migration of the folder builds also counts (the fix builds it there, CONCURRENTLY; a later part of a pop multi-part migration is one too).",
    instead: 'Create an index on the referencing columns in the same migration: `CREATE INDEX ON comment (post_id);`. On a table that existed before the migration, build it with `CREATE INDEX CONCURRENTLY` (a plain CREATE INDEX blocks writes while it builds), which cannot run in a transaction: the fix puts it in a new migration that runs outside one, with `DROP INDEX CONCURRENTLY` as its down.',
    invalid: [
      { sql: 'CREATE TABLE comment (\n  id bigint PRIMARY KEY,\n  post_id bigint NOT NULL REFERENCES post (id),\n  body text\n);' },
      {
        sql: 'ALTER TABLE comment ADD CONSTRAINT comment_post_id_fkey FOREIGN KEY (post_id) REFERENCES post (id) NOT VALID;\n',
        path: '000002_comment_post_fk.up.sql',
        files: {
          '000001_comment.up.sql': 'CREATE TABLE post (id bigint PRIMARY KEY);\nCREATE TABLE comment (id bigint PRIMARY KEY, post_id bigint NOT NULL, body text);\n',
          '000001_comment.down.sql': 'DROP TABLE comment;\nDROP TABLE post;\n',
          '000002_comment_post_fk.down.sql': 'ALTER TABLE comment DROP CONSTRAINT comment_post_id_fkey;\n',
        },
        note: 'The earlier migration made comment without an index on post_id. The fix builds comment_post_id_idx CONCURRENTLY in a new migration.',
      },
    ],
    valid: [
      { sql: 'CREATE TABLE comment (\n  id bigint PRIMARY KEY,\n  post_id bigint NOT NULL REFERENCES post (id),\n  body text\n);\nCREATE INDEX comment_post_id_idx ON comment (post_id);' },
      {
        sql: 'ALTER TABLE comment ADD CONSTRAINT comment_post_id_fkey FOREIGN KEY (post_id) REFERENCES post (id) NOT VALID;\n',
        path: '000002_comment_post_fk.up.sql',
        files: {
          '000001_comment.up.sql': 'CREATE TABLE post (id bigint PRIMARY KEY);\nCREATE TABLE comment (id bigint PRIMARY KEY, post_id bigint NOT NULL, body text);\nCREATE INDEX comment_post_id_created_idx ON comment (post_id, id);\n',
          '000001_comment.down.sql': 'DROP TABLE comment;\nDROP TABLE post;\n',
          '000002_comment_post_fk.down.sql': 'ALTER TABLE comment DROP CONSTRAINT comment_post_id_fkey;\n',
        },
        note: 'The earlier migration indexed comment (post_id, id): its leading column serves the foreign key.',
      },
      {
        sql: 'ALTER TABLE account ADD CONSTRAINT account_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES plan (id) NOT VALID;\n',
        path: '000002_account_plan_fk.up.sql',
        files: {
          '000001_plan.up.sql': 'CREATE TABLE plan (id bigint PRIMARY KEY);\n',
          '000001_plan.down.sql': 'DROP TABLE plan;\n',
          '000002_account_plan_fk.down.sql': 'ALTER TABLE account DROP CONSTRAINT account_plan_id_fkey;\n',
        },
        note: 'account was not created in this folder: its indexes are unknown, so nothing is flagged.',
      },
    ],
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
        if (fk.existing && !knownUnindexed(context, fk)) continue;
        // A column added here to a table that existed: its index may come CONCURRENTLY in a later
        // migration (what the fix writes).
        if (!fk.newTable && !fk.existing && indexedLater(context.document, context.host, fk.table.name, fk.columns)) continue;
        const start = fk.location !== undefined ? fk.statement.offsetOf(fk.location) : undefined;
        const span = start !== undefined ? { start, end: clauseEnd(fk.statement, start) } : headSpan(fk.statement);
        const cols = fk.columns.map(quoteIdent).join(', ');
        const to = fk.references ? ` to ${fk.references.display}` : '';
        if (!fk.newTable) {
          // The table existed before this section: a plain CREATE INDEX would block its writes.
          context.report({
            statement: fk.statement,
            span,
            message: `No index on ${fk.table.display} (${cols}) for this foreign key${to}${fk.existing ? ', in this migration or any other of the folder' : ''}: every delete or key update on the referenced table scans ${fk.table.display} to check it.`,
            help: `${fk.table.display} is not created in this migration: build the index with CREATE INDEX CONCURRENTLY ON ${fk.table.display} (${cols}), outside a transaction (a plain CREATE INDEX blocks writes to the table while it builds).`,
            fixes: existingTableFix(context, fk, cols),
          });
          continue;
        }
        context.report({
          statement: fk.statement,
          span,
          message: `No index on ${fk.table.display} (${cols}) for this foreign key${to}: every delete or key update on the referenced table scans ${fk.table.display} to check it.`,
          help: `Add CREATE INDEX ON ${fk.table.display} (${cols}) in this migration.`,
          fixes: fixFor(fk, cols, eolOf(context.document.text)),
        });
      }
    }
  },
};

/**
 * For a foreign key on columns that existed before this migration: whether the folder's history knows
 * the table has no index on them (the earlier migrations, then this file's own up statements before the
 * foreign key; and none made by this file's up sections or by a later migration of the folder). False
 * whenever it cannot tell.
 */
function knownUnindexed(context: RuleContext, fk: ForeignKey): boolean {
  const ups = context.statements.filter((s) => s.section.kind === 'up');
  const before = ups.filter((s) => s.index < fk.statement.index);
  // The name the table had when this file started: follow this file's renames backwards.
  let name = fk.table.name;
  for (let k = before.length - 1; k >= 0; k--) {
    const rename = bodyOf(before[k].node, 'RenameStmt');
    if (rename?.renameType === 'OBJECT_TABLE' && rename.newname === name) name = relationOf(rename.relation)?.name ?? name;
  }
  const state: TableIndexes | undefined = indexesBefore(context.document, context.host, name, fk.table.schema);
  if (!state) return false;
  for (const s of before) {
    if (s.node) state.apply(s.node);
    else if (s.text.toLowerCase().includes(state.name.toLowerCase())) return false; // did not parse
    if (state.unknown) return false;
  }
  // Created anywhere in this file's up (a later section that runs outside the transaction, too).
  if (indexedColumns(ups).some((i) => sameRelation(i.table, fk.table) && covers(i.columns, fk.columns))) return false;
  if (state.name !== fk.table.name || state.covers(fk.columns)) return false;
  // Nor by a later migration of the folder (the fix's follow-up, a later part of a pop multi-part
  // migration, an index added since).
  return !indexedLater(context.document, context.host, fk.table.name, fk.columns);
}

/**
 * The fix for an existing table: CREATE INDEX CONCURRENTLY right after the foreign key when its
 * statement runs outside a transaction, statement by statement; otherwise in a new migration after this
 * one that runs outside a transaction, with DROP INDEX CONCURRENTLY as its down.
 */
function existingTableFix(context: RuleContext, fk: ForeignKey, cols: string): FixSpec[] {
  if (!fk.statement.terminated) return [];
  const name = makeObjectName(fk.table.name, fk.columns.join('_'), 'idx');
  const create = `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(name)} ON ${fk.table.display} (${cols});`;
  const title = `Create index ${name} CONCURRENTLY`;
  // In place only where the section's statements are sent one by one outside a transaction: a tool that
  // sends the file as one query string runs it as one implicit transaction, where CONCURRENTLY fails.
  if (!context.factsOf(fk.statement).inTransaction && !sendsOneQueryString(context.document.format)) {
    const at = fk.statement.span.end;
    return [{ title, edits: [{ span: { start: at, end: at }, newText: `${eolOf(context.document.text)}${create}` }], safe: false }];
  }
  const schema = fk.table.schema !== undefined ? `${quoteIdent(fk.table.schema)}.` : '';
  const followUp = followUpMigration({
    document: context.document,
    statements: context.statements,
    facts: context.facts,
    host: context.host,
    description: `index ${fk.table.name} ${fk.columns.join(' ')}`,
    move: [],
    after: fk.statement,
    up: create,
    down: `DROP INDEX CONCURRENTLY IF EXISTS ${schema}${quoteIdent(name)};`,
    undo: [],
    transaction: false,
    why: `the foreign key's columns need an index, and ${fk.table.display} already has rows: CREATE INDEX CONCURRENTLY builds it without blocking writes, and cannot run inside a transaction block.`,
  });
  if (!followUp) return [];
  return [lazyFix(`${title} in a new migration ${followUp.name}`, false, followUp.files)];
}

function fixFor(fk: ForeignKey, cols: string, eol: string): FixSpec[] {
  if (!fk.newTable || !fk.statement.terminated) return [];
  const at = fk.statement.span.end;
  return [{ title: `Add CREATE INDEX ON ${fk.table.display} (${cols})`, edits: [{ span: { start: at, end: at }, newText: `${eol}CREATE INDEX ON ${fk.table.display} (${cols});` }], safe: false }];
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
          // Those the folder's history judges (when it knows the table's indexes): `knownUnindexed`.
          out.push({ statement: s, table: altered, columns, location: con.location, references: relationOf(con.pktable), newTable, existing: !fresh });
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
