// What the migrations before this one left behind: the type and NOT NULL state of each column, replayed
// from the up sections of the earlier migrations in the same folder (CREATE TABLE, ADD / DROP COLUMN,
// ALTER COLUMN TYPE, SET / DROP NOT NULL, PRIMARY KEY, renames). The lock rules use it to tell a real
// type change from one that re-declares the type a column already has (fizz and other generators emit
// those), and a SET NOT NULL on a column that already is NOT NULL (a no-op) from one that scans.
// Read through the host, only when a rule asks; each earlier file is read and parsed once per process.

import * as path from 'node:path';
import { describeMigration } from './formats/index';
import type { ProjectHost } from './host';
import type { AstNode, MigrationDocument } from './model';
import { bodyOf, relationOf, typeNameOf, type RelationRef } from './sql/ast';
import type { TypeInfo } from './sql/columns';
import { parseStatement } from './sql/parser';
import { splitStatements } from './sql/split';
import { compareVersions } from './versions';

export interface ColumnState {
  type?: TypeInfo;
  notNull?: boolean;
}

/** Column states by table name, then column name. */
export type ColumnStates = Map<string, Map<string, ColumnState>>;

/** The columns as the earlier migrations of the folder left them, before `document` runs. */
export function historyBefore(document: MigrationDocument, host: ProjectHost): ColumnStates {
  const tables: ColumnStates = new Map();
  if (document.version === undefined || document.format === 'sqitch' || document.role === 'repeatable') return tables;
  for (const m of earlierMigrations(document, host)) for (const node of m.upNodes) replay(tables, node);
  return tables;
}

/** A copy that replaying more statements does not change the original. */
export function copyStates(states: ColumnStates): ColumnStates {
  return new Map([...states].map(([table, columns]) => [table, new Map(columns)]));
}

/** Applies one statement to the column states, keyed by table name (schemas are rarely mixed in one folder). */
export function replay(tables: ColumnStates, node: AstNode | undefined): void {
  const columnsOf = (table: RelationRef | undefined) => {
    if (!table) return undefined;
    let columns = tables.get(table.name);
    if (!columns) tables.set(table.name, (columns = new Map()));
    return columns;
  };
  const create = bodyOf(node, 'CreateStmt');
  if (create) {
    const table = relationOf(create.relation);
    if (!table) return;
    tables.delete(table.name);
    const columns = columnsOf(table)!;
    for (const e of create.tableElts ?? []) {
      const def = e.ColumnDef;
      if (def?.colname) columns.set(def.colname, { type: typeNameOf(def.typeName), notNull: declaresNotNull(def) });
      if (e.Constraint?.contype === 'CONSTR_PRIMARY') for (const k of e.Constraint.keys ?? []) markNotNull(columns, k.String?.sval);
    }
    return;
  }
  const alter = bodyOf(node, 'AlterTableStmt');
  if (alter && (alter.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
    const columns = columnsOf(relationOf(alter.relation));
    if (!columns) return;
    for (const c of alter.cmds ?? []) {
      const cmd = c.AlterTableCmd;
      const def = cmd?.def?.ColumnDef;
      switch (cmd?.subtype) {
        case 'AT_AddColumn':
          if (def?.colname) columns.set(def.colname, { type: typeNameOf(def.typeName), notNull: declaresNotNull(def) });
          break;
        case 'AT_DropColumn':
          if (cmd.name) columns.delete(cmd.name);
          break;
        case 'AT_AlterColumnType':
          if (cmd.name) columns.set(cmd.name, { ...columns.get(cmd.name), type: typeNameOf(def?.typeName) });
          break;
        case 'AT_SetNotNull':
          markNotNull(columns, cmd.name);
          break;
        case 'AT_DropNotNull':
          if (cmd.name) columns.set(cmd.name, { ...columns.get(cmd.name), notNull: false });
          break;
        case 'AT_AddConstraint':
          if (cmd.def?.Constraint?.contype === 'CONSTR_PRIMARY') for (const k of cmd.def.Constraint.keys ?? []) markNotNull(columns, k.String?.sval);
          if (cmd.def?.Constraint?.contype === 'CONSTR_NOTNULL' && !cmd.def.Constraint.skip_validation) for (const k of cmd.def.Constraint.keys ?? []) markNotNull(columns, k.String?.sval);
          break;
      }
    }
    return;
  }
  const rename = bodyOf(node, 'RenameStmt');
  if (rename?.renameType === 'OBJECT_TABLE') {
    const table = relationOf(rename.relation);
    if (table && tables.has(table.name) && rename.newname) {
      tables.set(rename.newname, tables.get(table.name)!);
      tables.delete(table.name);
    }
  } else if (rename?.renameType === 'OBJECT_COLUMN') {
    const columns = columnsOf(relationOf(rename.relation));
    if (columns && rename.subname && rename.newname && columns.has(rename.subname)) {
      columns.set(rename.newname, columns.get(rename.subname)!);
      columns.delete(rename.subname);
    }
  }
  const drop = bodyOf(node, 'DropStmt');
  if (drop?.removeType === 'OBJECT_TABLE') {
    for (const o of drop.objects ?? []) {
      const items = o.List?.items ?? [];
      const name = items[items.length - 1]?.String?.sval;
      if (name) tables.delete(name);
    }
  }
}

function declaresNotNull(def: any): boolean {
  return Boolean(def.is_not_null) || (def.constraints ?? []).some((c: any) => c.Constraint?.contype === 'CONSTR_NOTNULL' || c.Constraint?.contype === 'CONSTR_PRIMARY' || c.Constraint?.contype === 'CONSTR_IDENTITY');
}

function markNotNull(columns: Map<string, ColumnState>, name: string | undefined): void {
  if (name) columns.set(name, { ...columns.get(name), notNull: true });
}

// ── Ory pop multi-part migrations ─────────────────────────────────────────────────────────────────

const POP_PART = /^(\d{14})(\d{6})_(.+?)(\.[a-z0-9]+)?\.(up|down)\.sql$/i;

/**
 * Relations created by the earlier parts of the same pop multi-part migration (one change split into
 * numbered files: same 14-digit timestamp, description and dialect, deployed together): a table the
 * part before created is as new as one created earlier in the same file.
 */
export function createdByEarlierParts(document: MigrationDocument, host: ProjectHost): RelationRef[] {
  if (document.format !== 'golang-migrate') return [];
  const own = POP_PART.exec(path.basename(document.path));
  if (!own) return [];
  const dir = path.dirname(document.path);
  const out: RelationRef[] = [];
  for (const name of (host.readDirectory(dir) ?? []).sort()) {
    const m = POP_PART.exec(name);
    if (!m || m[1] !== own[1] || m[3] !== own[3] || (m[4] ?? '').toLowerCase() !== (own[4] ?? '').toLowerCase() || m[5].toLowerCase() !== 'up') continue;
    if (m[2] >= own[2]) continue;
    const file = path.join(dir, name);
    const text = host.readFile(file);
    if (text === undefined) continue;
    for (const node of describeOnce(file, text, host, document)?.upNodes ?? []) {
      const created = relationOf(bodyOf(node, 'CreateStmt')?.relation) ?? relationOf(bodyOf(node, 'CreateTableAsStmt')?.into?.rel);
      if (created) out.push(created);
    }
  }
  return out;
}

/**
 * For a down part of a pop multi-part migration: the statements of the down parts that run before it
 * (pop rolls a group back from its last part to its first), in the order they run.
 */
export function downPartsRunBefore(document: MigrationDocument, host: ProjectHost): (AstNode | undefined)[] {
  if (document.format !== 'golang-migrate' || document.role !== 'down') return [];
  const own = POP_PART.exec(path.basename(document.path));
  if (!own) return [];
  const dir = path.dirname(document.path);
  const out: (AstNode | undefined)[] = [];
  for (const name of (host.readDirectory(dir) ?? []).sort().reverse()) {
    const m = POP_PART.exec(name);
    if (!m || m[1] !== own[1] || m[3] !== own[3] || (m[4] ?? '').toLowerCase() !== (own[4] ?? '').toLowerCase() || m[5].toLowerCase() !== 'down' || m[2] <= own[2]) continue;
    const text = host.readFile(path.join(dir, name));
    if (text === undefined) continue;
    const doc = describeMigration(path.join(dir, name), text, host, { format: document.format });
    for (const section of doc.sections) {
      for (const raw of splitStatements(section.source, section.span.start, section.span.end).statements) {
        out.push(raw.unterminated ? undefined : parseStatement(section.source.slice(raw.span.start, raw.span.end)).nodes[0]);
      }
    }
  }
  return out;
}

// ── Earlier migrations, read once per process ─────────────────────────────────────────────────────

interface EarlierMigration {
  version: string;
  upNodes: (AstNode | undefined)[];
}

const MAX_MEMO = 20_000;
const memo = new Map<string, { text: string; migration: EarlierMigration | undefined }>();

function earlierMigrations(document: MigrationDocument, host: ProjectHost): EarlierMigration[] {
  const out: EarlierMigration[] = [];
  for (const file of siblingFiles(document, host)) {
    if (path.resolve(file) === path.resolve(document.path) || file === document.companionPath) continue;
    const text = host.readFile(file);
    if (text === undefined) continue;
    const migration = describeOnce(file, text, host, document);
    if (migration && compareVersions(migration.version, document.version!) < 0) out.push(migration);
  }
  return out.sort((a, b) => compareVersions(a.version, b.version));
}

function describeOnce(file: string, text: string, host: ProjectHost, like: MigrationDocument): EarlierMigration | undefined {
  const hit = memo.get(file);
  if (hit && hit.text === text) return hit.migration;
  let migration: EarlierMigration | undefined;
  try {
    const doc = describeMigration(file, text, host, { format: like.format });
    if (doc.version !== undefined && !doc.dialect && doc.role !== 'down' && doc.role !== 'repeatable' && doc.role !== 'verify') {
      const upNodes: (AstNode | undefined)[] = [];
      for (const section of doc.sections) {
        if (section.kind !== 'up') continue;
        for (const raw of splitStatements(section.source, section.span.start, section.span.end).statements) {
          upNodes.push(raw.unterminated ? undefined : parseStatement(section.source.slice(raw.span.start, raw.span.end)).nodes[0]);
        }
      }
      migration = { version: doc.version, upNodes };
    }
  } catch {
    migration = undefined;
  }
  if (memo.size >= MAX_MEMO) memo.delete(memo.keys().next().value as string);
  memo.set(file, { text, migration });
  return migration;
}

/** The other migration files of the folder, by the layout of the format. */
function siblingFiles(document: MigrationDocument, host: ProjectHost): string[] {
  const dir = path.dirname(document.path);
  if (document.format === 'diesel' || document.format === 'prisma') {
    const root = path.dirname(dir);
    const leaf = document.format === 'diesel' ? 'up.sql' : path.basename(document.path);
    return (host.readDirectory(root) ?? []).map((name) => path.join(root, name, leaf)).filter((f) => path.dirname(f) !== dir && host.fileExists(f));
  }
  return (host.readDirectory(dir) ?? []).filter((name) => name.endsWith('.sql')).map((name) => path.join(dir, name));
}
