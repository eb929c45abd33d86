// Statement classifications shared by several rules (rules never import each other).

import type { AstNode, Statement } from '../model';
import { bodyOf, dropTargets, namesOf, objectFromNames, quoteIdent, relationOf, sameRelation, walk, type RelationRef } from './ast';
import { KeyedMemo } from '../memo';

/** The name of the CONCURRENTLY operation a statement performs that cannot run in a transaction block. */
export function concurrentOperation(node: AstNode | undefined): string | undefined {
  if (bodyOf(node, 'IndexStmt')?.concurrent) return 'CREATE INDEX CONCURRENTLY';
  const drop = bodyOf(node, 'DropStmt');
  if (drop?.concurrent) return 'DROP INDEX CONCURRENTLY';
  const reindex = bodyOf(node, 'ReindexStmt');
  if (reindex?.params?.some((p: any) => p.DefElem?.defname === 'concurrently')) return 'REINDEX CONCURRENTLY';
  const alter = bodyOf(node, 'AlterTableStmt');
  if (alter?.cmds?.some((c: any) => c.AlterTableCmd?.subtype === 'AT_DetachPartition' && c.AlterTableCmd.def?.PartitionCmd?.concurrent)) return 'DETACH PARTITION CONCURRENTLY';
  return undefined;
}

/**
 * The statements of a list whose tree is of one kind (`IndexStmt`), in order. Most rules look at one
 * kind of statement: the list is indexed by kind once (statement lists are built whole, then only
 * read), instead of each rule reading every statement's tree for its kind.
 */
export function statementsOfKind(statements: readonly Statement[], kind: string): readonly Statement[] {
  let byKind = statementsByKind.get(statements);
  if (!byKind) {
    byKind = new Map();
    for (const s of statements) {
      if (s.node === undefined) continue;
      const list = byKind.get(s.kind);
      if (list) list.push(s);
      else byKind.set(s.kind, [s]);
    }
    statementsByKind.set(statements, byKind);
  }
  return byKind.get(kind) ?? NONE;
}

const statementsByKind = new KeyedMemo<readonly Statement[], Map<string, Statement[]>>('statementsByKind');
const NONE: readonly Statement[] = Object.freeze([]);

/** Statements that can sit in a non-transactional section beside a concurrent operation without losing atomicity that matters. */
export function fineOutsideTransaction(kind: string, node: AstNode | undefined): boolean {
  if (kind === 'VariableSetStmt') return true;
  if (concurrentOperation(node)) return true;
  if (kind === 'IndexStmt' || (kind === 'DropStmt' && bodyOf(node, 'DropStmt')?.removeType === 'OBJECT_INDEX')) return true;
  return false;
}

// ── Schema changes: what objects a statement creates, drops, renames ────────────────────────────────

/** Kinds of database objects the rules track across statements and between up and down. */
export type ObjectKind =
  | 'table'
  | 'view'
  | 'matview'
  | 'index'
  | 'sequence'
  | 'column'
  | 'function'
  | 'type'
  | 'trigger'
  | 'schema'
  | 'constraint'
  | 'policy'
  | 'extension'
  | 'default'
  | 'not-null';

/**
 * - `create`: the object exists afterwards and did not before (IF NOT EXISTS included);
 * - `replace`: CREATE OR REPLACE: it exists afterwards, it may or may not have existed before;
 * - `drop`: it no longer exists;
 * - `rename-from` / `rename-to`: a rename (or SET SCHEMA), as the old name going and the new name coming.
 */
export type ChangeAction = 'create' | 'replace' | 'drop' | 'rename-from' | 'rename-to';

export interface SchemaChange {
  action: ChangeAction;
  kind: ObjectKind;
  name: string;
  schema?: string;
  /** The table of per-table objects (columns, triggers, constraints, policies, defaults, NOT NULL; an index's table when known). */
  table?: RelationRef;
  /** As the user would write it (`users.email`, `trigger t on users`). */
  display: string;
  /** Byte location within the statement of the name, when the tree has one. */
  location?: number;
  /** IF EXISTS / IF NOT EXISTS was written. */
  conditional?: boolean;
  /** DROP ... CASCADE. */
  cascade?: boolean;
  /** For renames: the name on the other side. */
  otherName?: string;
  /** For indexes and constraints: the columns they cover or read (dropping one of them drops the object). */
  columns?: string[];
  /** The name was not written: it is the one PostgreSQL generates (`users_pkey`, `users_email_key`). */
  generatedName?: boolean;
  /** A table created as a partition (`PARTITION OF parent`): dropping the parent drops it. */
  partitionOf?: RelationRef;
  /** A temporary table: it is gone when the session ends. */
  temporary?: boolean;
}

/** Object kinds sharing PostgreSQL's relation namespace (ALTER TABLE ... RENAME works on all of them). */
const RELATION_KINDS = new Set<ObjectKind>(['table', 'view', 'matview', 'index', 'sequence']);
const PER_TABLE_KINDS = new Set<ObjectKind>(['column', 'trigger', 'constraint', 'policy', 'default', 'not-null']);

export function isRelationKind(kind: ObjectKind): boolean {
  return RELATION_KINDS.has(kind);
}

export function isPerTableKind(kind: ObjectKind): boolean {
  return PER_TABLE_KINDS.has(kind);
}

/** A lookup key: the object's kind and name (relations share one namespace). */
export interface ObjectKey {
  kind: ObjectKind;
  name: string;
  schema?: string;
  table?: RelationRef;
}

/** Same object? Names must match; a missing schema matches any schema; per-table objects need the same table. */
export function sameObject(a: ObjectKey, b: ObjectKey): boolean {
  if (a.name !== b.name) return false;
  const relA = isRelationKind(a.kind);
  if (relA !== isRelationKind(b.kind)) return false;
  if (!relA && a.kind !== b.kind) return false;
  if (a.schema !== undefined && b.schema !== undefined && a.schema !== b.schema) return false;
  if (isPerTableKind(a.kind)) return a.table !== undefined && b.table !== undefined && sameRelation(a.table, b.table);
  return true;
}

/** Whether dropping or creating `container` also drops or creates `object` (a table holds its columns; a schema its objects). */
export function contains(container: ObjectKey, object: ObjectKey): boolean {
  if (container.kind === 'schema') return object.kind !== 'schema' && (object.schema ?? object.table?.schema) === container.name;
  if (container.kind === 'column') {
    if (container.table === undefined || object.table === undefined || !sameRelation(container.table, object.table)) return false;
    if (object.kind === 'default' || object.kind === 'not-null') return object.name === container.name;
    if (object.kind === 'index' || object.kind === 'constraint') return (object as SchemaChange).columns?.includes(container.name) === true;
    return false;
  }
  if (container.kind === 'constraint' && object.kind === 'index') {
    // A PRIMARY KEY or UNIQUE constraint owns the index of the same name.
    return container.name === object.name && container.table !== undefined && object.table !== undefined && sameRelation(container.table, object.table);
  }
  if (container.kind === 'table' && object.kind === 'table') {
    const parent = (object as SchemaChange).partitionOf;
    return parent !== undefined && sameRelation({ name: container.name, schema: container.schema, display: '' }, parent);
  }
  if (container.kind === 'table' || container.kind === 'matview' || container.kind === 'view') {
    if (object.table === undefined) return false;
    if (!isPerTableKind(object.kind) && object.kind !== 'index' && object.kind !== 'sequence') return false;
    return sameRelation({ name: container.name, schema: container.schema, display: '' }, object.table);
  }
  return false;
}

/**
 * The names an object that is `key` (`sameObject`) or holds it (`contains`) can have: its own name,
 * its schema's, its table's, and the names of the columns it covers. Lists of changes indexed by
 * name (`ChangesByName`) answer "does any of them match `key`?" by looking only at these.
 */
export function matchingNames(key: ObjectKey): string[] {
  const names = [key.name];
  const schema = key.schema ?? key.table?.schema;
  if (schema !== undefined) names.push(schema);
  if (key.table) names.push(key.table.name);
  const parent = (key as SchemaChange).partitionOf;
  if (parent) names.push(parent.name);
  // Indexed loops here: without the optimizing compiler `for ... of` allocates per element.
  const columns = (key as SchemaChange).columns;
  if (columns !== undefined) for (let i = 0; i < columns.length; i++) names.push(columns[i]);
  return names;
}

/** Items indexed by the name of the object they change; `candidates` yields each item once. */
export class ChangesByName<T> {
  private readonly byName = new Map<string, T[]>();

  constructor(items: readonly T[], changeOf: (item: T) => ObjectKey) {
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const name = changeOf(item).name;
      const bucket = this.byName.get(name);
      if (bucket) bucket.push(item);
      else this.byName.set(name, [item]);
    }
  }

  /** The items whose object may be `key` or hold it (a superset: callers still test `sameObject` / `contains`). */
  *candidates(key: ObjectKey): Generator<T> {
    const names = matchingNames(key);
    for (let i = 0; i < names.length; i++) {
      if (names.indexOf(names[i]) !== i) continue; // the same name twice: its bucket once
      yield* this.byName.get(names[i]) ?? [];
    }
  }

  /** Whether one of the `candidates` passes `test` (the same walk, without a generator: rules ask this once per change). */
  some(key: ObjectKey, test: (item: T) => boolean): boolean {
    const names = matchingNames(key);
    for (let i = 0; i < names.length; i++) {
      if (names.indexOf(names[i]) !== i) continue;
      const bucket = this.byName.get(names[i]);
      if (bucket === undefined) continue;
      for (let j = 0; j < bucket.length; j++) if (test(bucket[j])) return true;
    }
    return false;
  }
}

const changeCache = new WeakMap<object, SchemaChange[]>();

/** The schema changes of one statement node (cached per node: trees are shared and read-only). */
export function schemaChanges(node: AstNode | undefined): SchemaChange[] {
  if (!node) return [];
  let hit = changeCache.get(node);
  if (!hit) {
    hit = computeSchemaChanges(node);
    changeCache.set(node, hit);
  }
  return hit;
}

const DROP_KINDS: Record<string, ObjectKind> = {
  OBJECT_TABLE: 'table',
  OBJECT_FOREIGN_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'matview',
  OBJECT_INDEX: 'index',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'function',
  OBJECT_ROUTINE: 'function',
  OBJECT_AGGREGATE: 'function',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'type',
  OBJECT_TRIGGER: 'trigger',
  OBJECT_SCHEMA: 'schema',
  OBJECT_EXTENSION: 'extension',
  OBJECT_POLICY: 'policy',
};

const RENAME_RELATION_KINDS: Record<string, ObjectKind> = {
  OBJECT_TABLE: 'table',
  OBJECT_FOREIGN_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'matview',
  OBJECT_INDEX: 'index',
  OBJECT_SEQUENCE: 'sequence',
};

function change(action: ChangeAction, kind: ObjectKind, ref: { name: string; schema?: string; table?: RelationRef }, extra: Partial<SchemaChange> = {}): SchemaChange {
  const own = ref.schema ? `${quoteIdent(ref.schema)}.${quoteIdent(ref.name)}` : quoteIdent(ref.name);
  const display = isPerTableKind(kind) && ref.table ? (kind === 'column' || kind === 'default' || kind === 'not-null' ? `${ref.table.display}.${quoteIdent(ref.name)}` : `${own} on ${ref.table.display}`) : own;
  return { action, kind, name: ref.name, schema: ref.schema, table: ref.table, display, ...extra };
}

function columnsIn(expr: unknown): string[] {
  const out: string[] = [];
  walk(expr, (kind, body) => {
    if (kind === 'ColumnRef') {
      const parts = namesOf(body.fields);
      if (parts.length > 0) out.push(parts[parts.length - 1]);
    }
  });
  return out;
}

const CONSTRAINT_SUFFIX: Record<string, string> = { CONSTR_PRIMARY: 'pkey', CONSTR_UNIQUE: 'key', CONSTR_FOREIGN: 'fkey', CONSTR_CHECK: 'check', CONSTR_EXCLUSION: 'excl', CONSTR_NOTNULL: 'not_null' };

/**
 * The constraint (and, for PRIMARY KEY and UNIQUE, the index) a constraint clause creates, under its
 * written name or the one PostgreSQL generates: `{table}_pkey`, `{table}_{columns}_key`,
 * `{table}_{columns}_fkey`, `{table}_{column}_check`, `{table}_{column}_not_null` (18+).
 */
function constraintChanges(con: any, table: RelationRef, inlineColumns: string[]): SchemaChange[] {
  const suffix = CONSTRAINT_SUFFIX[con.contype];
  if (!suffix) return [];
  const keys = namesOf(con.keys).length > 0 ? namesOf(con.keys) : namesOf(con.fk_attrs).length > 0 ? namesOf(con.fk_attrs) : inlineColumns;
  const columns = [...new Set([...keys, ...columnsIn(con.raw_expr), ...namesOf(con.including)])];
  let name: string | undefined = con.conname;
  let generatedName = false;
  if (!name) {
    if (con.contype === 'CONSTR_NOTNULL' && inlineColumns.length === 0 && keys.length === 0) return [];
    name = generatedConstraintName(con, table, inlineColumns);
    if (name === undefined) return [];
    generatedName = true;
  }
  const out = [change('create', 'constraint', { name, table }, { location: con.location, columns, generatedName })];
  if ((con.contype === 'CONSTR_PRIMARY' || con.contype === 'CONSTR_UNIQUE') && !con.indexname) out.push(change('create', 'index', { name, schema: table.schema, table }, { columns, generatedName }));
  return out;
}

/** PostgreSQL's longest identifier, in bytes (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * PostgreSQL's `makeObjectName`: `name1_name2_label`, with the longer of the two names shortened
 * (byte by byte, never inside a character) until the whole fits in 63 bytes.
 */
export function makeObjectName(name1: string, name2: string | undefined, label: string): string {
  const bytes1 = Buffer.from(name1);
  const bytes2 = Buffer.from(name2 ?? '');
  const overhead = (name2 !== undefined ? 1 : 0) + Buffer.byteLength(label) + 1;
  const available = MAX_IDENTIFIER_BYTES - overhead;
  let n1 = bytes1.length;
  let n2 = bytes2.length;
  while (n1 + n2 > available) {
    if (n1 > n2) n1--;
    else n2--;
  }
  const clip = (bytes: Buffer, n: number) => {
    // Back off to a character boundary (UTF-8 continuation bytes are 10xxxxxx).
    while (n > 0 && n < bytes.length && (bytes[n] & 0xc0) === 0x80) n--;
    return bytes.subarray(0, n).toString();
  };
  return [clip(bytes1, n1), ...(name2 !== undefined ? [clip(bytes2, n2)] : []), label].join('_');
}

/**
 * The name PostgreSQL gives a constraint clause written without one, on `table`: `{table}_pkey`,
 * `{table}_{columns}_key`, `{table}_{columns}_fkey`, `{table}_{column}_check` (or `{table}_check` when
 * the expression reads several columns), `{table}_{columns}_excl`, `{table}_{column}_not_null` (18+).
 * PostgreSQL appends a number when the name is taken; that cannot be known here.
 */
export function generatedConstraintName(con: any, table: RelationRef, inlineColumns: readonly string[] = []): string | undefined {
  const suffix = CONSTRAINT_SUFFIX[con?.contype];
  if (!suffix) return undefined;
  const keys = namesOf(con.keys).length > 0 ? namesOf(con.keys) : namesOf(con.fk_attrs).length > 0 ? namesOf(con.fk_attrs) : [...inlineColumns];
  let middle: string[];
  if (con.contype === 'CONSTR_PRIMARY') middle = [];
  else if (con.contype === 'CONSTR_CHECK') {
    const read = [...new Set(columnsIn(con.raw_expr))];
    middle = read.length === 1 ? read : [];
  } else if (con.contype === 'CONSTR_EXCLUSION') {
    middle = (con.exclusions ?? []).flatMap((e: any) => (e.List?.items?.[0]?.IndexElem?.name ? [e.List.items[0].IndexElem.name] : []));
  } else middle = keys;
  if (middle.length === 0 && con.contype !== 'CONSTR_PRIMARY' && con.contype !== 'CONSTR_CHECK') return undefined;
  return makeObjectName(table.name, middle.length > 0 ? middle.join('_') : undefined, suffix);
}

function computeSchemaChanges(node: AstNode): SchemaChange[] {
  const out: SchemaChange[] = [];
  const kind = Object.keys(node)[0];
  const body: any = node[kind];
  switch (kind) {
    case 'CreateStmt': {
      const r = relationOf(body.relation);
      const parent = body.partbound ? relationOf(body.inhRelations?.[0]?.RangeVar) : undefined;
      if (r) out.push(change('create', 'table', r, { location: r.location, conditional: !!body.if_not_exists, ...(parent ? { partitionOf: parent } : {}), ...(body.relation?.relpersistence === 't' ? { temporary: true } : {}) }));
      break;
    }
    case 'CreateTableAsStmt': {
      const r = relationOf(body.into?.rel);
      if (r) out.push(change('create', body.objtype === 'OBJECT_MATVIEW' ? 'matview' : 'table', r, { location: r.location, conditional: !!body.if_not_exists }));
      break;
    }
    case 'SelectStmt': {
      const r = relationOf(body.intoClause?.rel);
      if (r) out.push(change('create', 'table', r, { location: r.location }));
      break;
    }
    case 'ViewStmt': {
      const r = relationOf(body.view);
      if (r) out.push(change(body.replace ? 'replace' : 'create', 'view', r, { location: r.location }));
      break;
    }
    case 'IndexStmt': {
      const table = relationOf(body.relation);
      const columns = (body.indexParams ?? []).flatMap((p: any) => (p.IndexElem?.name ? [p.IndexElem.name] : columnsIn(p.IndexElem?.expr))).concat(columnsIn(body.whereClause));
      if (body.idxname) out.push(change('create', 'index', { name: body.idxname, schema: table?.schema, table }, { conditional: !!body.if_not_exists, columns }));
      break;
    }
    case 'AlterSeqStmt': {
      // ALTER SEQUENCE s OWNED BY t.c: the sequence now goes with the table.
      const r = relationOf(body.sequence);
      const owned = (body.options ?? []).find((o: any) => o.DefElem?.defname === 'owned_by');
      const parts = namesOf(owned?.DefElem?.arg?.List?.items);
      if (r && parts.length >= 2) {
        const table = objectFromNames(parts.slice(0, -1));
        if (table) out.push(change('replace', 'sequence', { name: r.name, schema: r.schema, table: { name: table.name, schema: table.schema, display: table.display } }));
      }
      break;
    }
    case 'CreateSeqStmt': {
      // CREATE SEQUENCE s OWNED BY t.c: the sequence goes with the table.
      const r = relationOf(body.sequence);
      const parts = namesOf((body.options ?? []).find((o: any) => o.DefElem?.defname === 'owned_by')?.DefElem?.arg?.List?.items);
      const owner = parts.length >= 2 ? objectFromNames(parts.slice(0, -1)) : undefined;
      if (r) out.push(change('create', 'sequence', owner ? { name: r.name, schema: r.schema, table: { name: owner.name, schema: owner.schema, display: owner.display } } : r, { location: r.location, conditional: !!body.if_not_exists }));
      break;
    }
    case 'CreateFunctionStmt': {
      const ref = objectFromNames(namesOf(body.funcname));
      if (ref) out.push(change(body.replace ? 'replace' : 'create', 'function', ref));
      break;
    }
    case 'CreateEnumStmt':
    case 'CreateRangeStmt': {
      const ref = objectFromNames(namesOf(body.typeName));
      if (ref) out.push(change('create', 'type', ref));
      break;
    }
    case 'CompositeTypeStmt': {
      const r = relationOf(body.typevar);
      if (r) out.push(change('create', 'type', r, { location: r.location }));
      break;
    }
    case 'CreateDomainStmt': {
      const ref = objectFromNames(namesOf(body.domainname));
      if (ref) out.push(change('create', 'type', ref));
      break;
    }
    case 'DefineStmt': {
      if (body.kind === 'OBJECT_TYPE') {
        const ref = objectFromNames(namesOf(body.defnames));
        if (ref) out.push(change('create', 'type', ref, { conditional: !!body.if_not_exists }));
      }
      break;
    }
    case 'CreateTrigStmt': {
      const table = relationOf(body.relation);
      if (body.trigname && table) out.push(change(body.replace ? 'replace' : 'create', 'trigger', { name: body.trigname, table }));
      break;
    }
    case 'CreateSchemaStmt': {
      if (body.schemaname) out.push(change('create', 'schema', { name: body.schemaname }, { conditional: !!body.if_not_exists }));
      break;
    }
    case 'CreateExtensionStmt': {
      if (body.extname) out.push(change('create', 'extension', { name: body.extname }, { conditional: !!body.if_not_exists }));
      break;
    }
    case 'CreatePolicyStmt': {
      const table = relationOf(body.table);
      if (body.policy_name && table) out.push(change('create', 'policy', { name: body.policy_name, table }));
      break;
    }
    case 'DropStmt': {
      const objectKind = DROP_KINDS[body.removeType];
      if (!objectKind) break;
      for (const ref of dropTargets(body)) out.push(change('drop', objectKind, ref, { conditional: !!body.missing_ok, cascade: body.behavior === 'DROP_CASCADE' }));
      break;
    }
    case 'AlterTableStmt': {
      const table = relationOf(body.relation);
      if (!table) break;
      for (const c of body.cmds ?? []) {
        const cmd = c.AlterTableCmd;
        if (!cmd) continue;
        switch (cmd.subtype) {
          case 'AT_AddColumn': {
            const def = cmd.def?.ColumnDef;
            if (!def?.colname) break;
            const ref = { name: def.colname, table };
            out.push(change('create', 'column', ref, { location: def.location, conditional: !!cmd.missing_ok }));
            const constraints = (def.constraints ?? []).map((x: any) => x.Constraint).filter(Boolean);
            if (constraints.some((x: any) => x.contype === 'CONSTR_NOTNULL' || x.contype === 'CONSTR_PRIMARY' || x.contype === 'CONSTR_IDENTITY')) out.push(change('create', 'not-null', ref));
            if (constraints.some((x: any) => x.contype === 'CONSTR_DEFAULT' || x.contype === 'CONSTR_IDENTITY')) out.push(change('create', 'default', ref));
            for (const x of constraints) out.push(...constraintChanges(x, table, [def.colname]));
            break;
          }
          case 'AT_DropColumn':
            if (cmd.name) out.push(change('drop', 'column', { name: cmd.name, table }, { conditional: !!cmd.missing_ok, cascade: cmd.behavior === 'DROP_CASCADE' }));
            break;
          case 'AT_SetNotNull':
            if (cmd.name) out.push(change('create', 'not-null', { name: cmd.name, table }));
            break;
          case 'AT_DropNotNull':
            if (cmd.name) out.push(change('drop', 'not-null', { name: cmd.name, table }));
            break;
          case 'AT_ColumnDefault':
            if (cmd.name) out.push(change(cmd.def ? 'replace' : 'drop', 'default', { name: cmd.name, table }));
            break;
          case 'AT_AddConstraint': {
            const con = cmd.def?.Constraint;
            if (con) out.push(...constraintChanges(con, table, []));
            if (con?.indexname) {
              out.push(change('rename-from', 'index', { name: con.indexname, schema: table.schema, table }, { otherName: con.conname ?? con.indexname }));
              if (con.conname) out.push(change('rename-to', 'index', { name: con.conname, schema: table.schema, table }, { otherName: con.indexname }));
            }
            break;
          }
          case 'AT_DropConstraint':
            if (cmd.name) out.push(change('drop', 'constraint', { name: cmd.name, table }, { conditional: !!cmd.missing_ok, cascade: cmd.behavior === 'DROP_CASCADE' }));
            break;
        }
      }
      break;
    }
    case 'RenameStmt': {
      const relation = relationOf(body.relation);
      const relKind = RENAME_RELATION_KINDS[body.renameType];
      if (relKind && relation) {
        out.push(change('rename-from', relKind, relation, { location: relation.location, otherName: body.newname, conditional: !!body.missing_ok }));
        out.push(change('rename-to', relKind, { name: body.newname, schema: relation.schema }, { location: relation.location, otherName: relation.name }));
      } else if (body.renameType === 'OBJECT_COLUMN' && relation && body.subname) {
        out.push(change('rename-from', 'column', { name: body.subname, table: relation }, { otherName: body.newname }));
        out.push(change('rename-to', 'column', { name: body.newname, table: relation }, { otherName: body.subname }));
      } else if ((body.renameType === 'OBJECT_TABCONSTRAINT' || body.renameType === 'OBJECT_TRIGGER' || body.renameType === 'OBJECT_POLICY') && relation && body.subname) {
        const k: ObjectKind = body.renameType === 'OBJECT_TRIGGER' ? 'trigger' : body.renameType === 'OBJECT_POLICY' ? 'policy' : 'constraint';
        out.push(change('rename-from', k, { name: body.subname, table: relation }, { otherName: body.newname }));
        out.push(change('rename-to', k, { name: body.newname, table: relation }, { otherName: body.subname }));
      } else if (body.renameType === 'OBJECT_SCHEMA' && body.subname) {
        out.push(change('rename-from', 'schema', { name: body.subname }, { otherName: body.newname }));
        out.push(change('rename-to', 'schema', { name: body.newname }, { otherName: body.subname }));
      } else if (body.renameType === 'OBJECT_TYPE' || body.renameType === 'OBJECT_DOMAIN' || body.renameType === 'OBJECT_FUNCTION' || body.renameType === 'OBJECT_PROCEDURE') {
        const o = body.object;
        const ref = objectFromNames(namesOf(o?.List?.items ?? o?.ObjectWithArgs?.objname ?? (o?.TypeName ? o.TypeName.names : undefined)));
        const k: ObjectKind = body.renameType === 'OBJECT_FUNCTION' || body.renameType === 'OBJECT_PROCEDURE' ? 'function' : 'type';
        if (ref) {
          out.push(change('rename-from', k, ref, { otherName: body.newname }));
          out.push(change('rename-to', k, { name: body.newname, schema: ref.schema }, { otherName: ref.name }));
        }
      }
      break;
    }
    case 'AlterObjectSchemaStmt': {
      const relKind = RENAME_RELATION_KINDS[body.objectType];
      const relation = relationOf(body.relation);
      if (relKind && relation && body.newschema) {
        out.push(change('rename-from', relKind, relation, { location: relation.location, otherName: `${body.newschema}.${relation.name}` }));
        out.push(change('rename-to', relKind, { name: relation.name, schema: body.newschema }, { otherName: relation.display }));
      }
      break;
    }
  }
  return out;
}

// ── Data changes ───────────────────────────────────────────────────────────────────────────────────

/** The table a data-changing statement writes (INSERT, UPDATE, DELETE, MERGE, COPY ... FROM), and its verb. */
export function dataChangeTarget(node: AstNode | undefined): { relation: RelationRef; verb: 'INSERT' | 'UPDATE' | 'DELETE' | 'MERGE' | 'COPY' } | undefined {
  const pick = (kind: string, verb: 'INSERT' | 'UPDATE' | 'DELETE' | 'MERGE' | 'COPY', field: string) => {
    const body = bodyOf(node, kind);
    if (!body) return undefined;
    if (kind === 'CopyStmt' && !body.is_from) return undefined;
    const relation = relationOf(body[field]);
    return relation ? { relation, verb } : undefined;
  };
  return pick('InsertStmt', 'INSERT', 'relation') ?? pick('UpdateStmt', 'UPDATE', 'relation') ?? pick('DeleteStmt', 'DELETE', 'relation') ?? pick('MergeStmt', 'MERGE', 'relation') ?? pick('CopyStmt', 'COPY', 'relation');
}

/**
 * The existing relation a schema-changing statement alters, locks or removes (ALTER TABLE, CREATE
 * INDEX, CREATE TRIGGER, RENAME, DROP, TRUNCATE ...), as opposed to statements that only create new
 * objects. Undefined for statements that are not schema changes of an existing relation.
 */
export function alteredRelation(node: AstNode | undefined): RelationRef | undefined {
  const alter = bodyOf(node, 'AlterTableStmt');
  if (alter) return relationOf(alter.relation);
  const index = bodyOf(node, 'IndexStmt');
  if (index) return relationOf(index.relation);
  const trigger = bodyOf(node, 'CreateTrigStmt');
  if (trigger) return relationOf(trigger.relation);
  const rename = bodyOf(node, 'RenameStmt');
  if (rename?.relation) return relationOf(rename.relation);
  const truncate = bodyOf(node, 'TruncateStmt');
  if (truncate) return relationOf(truncate.relations?.[0]?.RangeVar);
  const drop = bodyOf(node, 'DropStmt');
  if (drop && ['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_TRIGGER'].includes(drop.removeType)) {
    const target = dropTargets(drop)[0];
    if (target) return target.table ?? { name: target.name, schema: target.schema, display: target.display };
  }
  return undefined;
}

/** A PL/pgSQL body (DO block) that loops over data changes: a hand-written batched backfill. */
export function loopedDataChange(node: AstNode | undefined): { commits: boolean; tables: RelationRef[] } | undefined {
  const body = bodyOf(node, 'DoStmt');
  if (!body) return undefined;
  const code = (body.args ?? []).map((a: any) => (a.DefElem?.defname === 'as' ? a.DefElem.arg?.String?.sval ?? '' : '')).join('\n');
  const text = code.replace(/--[^\n]*/g, ' ').replace(/'(?:[^']|'')*'/g, "''");
  if (!/\bloop\b/i.test(text)) return undefined;
  const tables: RelationRef[] = [];
  for (const m of text.matchAll(/\b(?:update(?:\s+only)?|delete\s+from|insert\s+into)\s+((?:"[^"]+"|[a-z_][\w$]*)(?:\.(?:"[^"]+"|[a-z_][\w$]*))?)/gi)) {
    const parts = m[1].split('.').map((p: string) => (p.startsWith('"') ? p.slice(1, -1) : p.toLowerCase()));
    const name = parts[parts.length - 1];
    const schema = parts.length > 1 ? parts[0] : undefined;
    tables.push({ name, schema, display: schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name) });
  }
  if (tables.length === 0) return undefined;
  return { commits: /\bcommit\s*;/i.test(text), tables };
}

// ── Net effect of a sequence of statements on each object ───────────────────────────────────────────

/**
 * What a run of statements (a section) does to an object, all told:
 * - `created`: it did not exist before and exists after;
 * - `dropped`: it existed before and is gone after;
 * - `replaced`: dropped and created again, or CREATE OR REPLACE of something that may have existed;
 * - `transient`: created and dropped again within the run.
 */
export type NetState = 'created' | 'dropped' | 'replaced' | 'transient';

export interface NetEffect<T> {
  /** The last change to the object (its key). */
  change: SchemaChange;
  state: NetState;
  /** Where the change that decided the state happened (the creating or dropping statement). */
  ref: T;
}

/** Folds the changes of a run of statements, in order, into one net effect per object. */
export function netEffects<T>(items: readonly { change: SchemaChange; ref: T }[]): NetEffect<T>[] {
  const effects: NetEffect<T>[] = [];
  const byName = new Map<string, NetEffect<T>[]>();
  for (let n = 0; n < items.length; n++) {
    const { change, ref } = items[n];
    const bucket = byName.get(change.name);
    let existing: NetEffect<T> | undefined;
    if (bucket) for (let i = 0; i < bucket.length && !existing; i++) if (sameObject(bucket[i].change, change)) existing = bucket[i];
    const creates = change.action === 'create' || change.action === 'rename-to';
    const removes = change.action === 'drop' || change.action === 'rename-from';
    if (!existing) {
      const effect: NetEffect<T> = { change, state: creates ? 'created' : removes ? 'dropped' : 'replaced', ref };
      effects.push(effect);
      if (bucket) bucket.push(effect);
      else byName.set(change.name, [effect]);
      continue;
    }
    existing.change = change;
    if (creates || change.action === 'replace') {
      if (existing.state === 'dropped') existing.state = 'replaced';
      else if (existing.state === 'transient') {
        existing.state = 'created';
        existing.ref = ref;
      }
    } else if (removes) {
      if (existing.state === 'created') existing.state = 'transient';
      else if (existing.state === 'replaced') {
        existing.state = 'dropped';
        existing.ref = ref;
      }
    }
  }
  // Removing a container removes what it holds: objects created inside a table the run drops later are
  // transient. The removed effects are indexed by name: a run that creates and drops hundreds of objects
  // (a down dropping what its up made) would otherwise compare every pair.
  const removed = effects.filter((c) => c.state === 'dropped' || c.state === 'transient');
  if (removed.length === 0) return effects;
  const removedByName = new ChangesByName(removed, (c) => c.change);
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i];
    if (e.state !== 'created') continue;
    if (removedByName.some(e.change, (c) => c !== e && contains(c.change, e.change))) e.state = 'transient';
  }
  return effects;
}

// ── Column roles ────────────────────────────────────────────────────────────────────────────────────

/**
 * Whether a column is a key: it has (or takes part in) a PRIMARY KEY, UNIQUE or FOREIGN KEY constraint
 * in the statement, is serial or identity, or is named like one (`id`, `..._id`). Key columns are the
 * ones that run out of 32-bit values first.
 */
export function isKeyColumn(node: AstNode | undefined, column: string, typeName: string, constraints: readonly any[]): boolean {
  if (/^(small|big)?serial[248]?$/.test(typeName)) return true;
  if (column === 'id' || column.endsWith('_id')) return true;
  if (constraints.some((c) => c && ['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_FOREIGN', 'CONSTR_IDENTITY'].includes(c.contype))) return true;
  const create = bodyOf(node, 'CreateStmt');
  for (const e of create?.tableElts ?? []) {
    const c = e.Constraint;
    if (!c || !['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_FOREIGN'].includes(c.contype)) continue;
    if ([...namesOf(c.keys), ...namesOf(c.fk_attrs)].includes(column)) return true;
  }
  return false;
}
