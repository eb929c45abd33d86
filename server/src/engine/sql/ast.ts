// Small readers for libpg-query's JSON tree. The tree omits fields at their default values (false,
// 0, empty), so every reader tolerates absent fields.

import type { AstNode } from '../model';

/** A table (or other relation) reference, normalized for comparisons. */
export interface RelationRef {
  schema?: string;
  name: string;
  /** As the user would write it: `schema.name` or `name`, quoted where needed. */
  display: string;
  /** Byte location of the reference within its statement, when known. */
  location?: number;
}

/** Reads a RangeVar (`{ relname, schemaname, location }`). */
export function relationOf(rangeVar: any): RelationRef | undefined {
  if (!rangeVar || typeof rangeVar.relname !== 'string') return undefined;
  // Most rules and the lock table read the same statement's RangeVar: read it once per node (trees are
  // shared and never mutated, invariant 8; the answer is frozen, so no caller can change it for the others).
  let known = relations.get(rangeVar);
  if (known === undefined) {
    const schema = typeof rangeVar.schemaname === 'string' ? rangeVar.schemaname : undefined;
    const name = rangeVar.relname as string;
    known = Object.freeze({ schema, name, display: schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name), location: rangeVar.location });
    relations.set(rangeVar, known);
  }
  return known;
}

const relations = new WeakMap<object, Readonly<RelationRef>>();

/** Reads a qualified name given as a list of String nodes (DROP TABLE a.b): the last part is the name. */
export function relationFromNames(list: any[] | undefined): RelationRef | undefined {
  const parts = namesOf(list);
  if (parts.length === 0) return undefined;
  const name = parts[parts.length - 1];
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  return { schema, name, display: schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name) };
}

/** The objects of a DROP statement, as relation references. */
export function droppedObjects(drop: any): RelationRef[] {
  return (drop?.objects ?? []).map((o: any) => relationFromNames(o.List?.items)).filter((r: RelationRef | undefined): r is RelationRef => r !== undefined);
}

/** The same relation? A reference without a schema matches the same name in any schema. */
export function sameRelation(a: RelationRef, b: RelationRef): boolean {
  if (a.name !== b.name) return false;
  return a.schema === undefined || b.schema === undefined || a.schema === b.schema;
}

/** Quotes an identifier when PostgreSQL would need it. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

const RESERVED = new Set(
  'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references returning select session_user some symmetric system_user table then to trailing true union unique user using variadic when where window with'.split(
    ' ',
  ),
);

/** The body of a statement node: `{ IndexStmt: body }` -> body, when the kind matches. */
export function bodyOf(node: AstNode | undefined, kind: string): any {
  return node ? node[kind] : undefined;
}

/** Reads the string of a `{ String: { sval } }` node. */
export function stringOf(node: any): string | undefined {
  if (!node) return undefined;
  if (node.String) return node.String.sval ?? '';
  return undefined;
}

/** Reads a name list (`[{ String: { sval } }, ...]`) as its parts. */
export function namesOf(list: any[] | undefined): string[] {
  return (list ?? []).map((n) => stringOf(n) ?? '').filter((s) => s !== '');
}

/** Reads a constant (`{ A_Const: { sval | ival | fval | boolval } }`) as a string, if it is one. */
export function constantOf(node: any): string | undefined {
  const c = node?.A_Const;
  if (!c) return undefined;
  if (c.isnull) return undefined;
  if (c.sval) return c.sval.sval ?? '';
  if (c.ival) return String(c.ival.ival ?? 0);
  if (c.fval) return c.fval.fval ?? '0';
  if (c.boolval) return c.boolval.boolval ? 'true' : 'false';
  return undefined;
}

/** The type name of a TypeName node, without pg_catalog: `int4`, `varchar`, `timestamptz`. */
export function typeNameOf(typeName: any): { name: string; schema?: string; mods: number[]; array: boolean } | undefined {
  if (!typeName || typeof typeName !== 'object') return undefined;
  // Asked by many rules about the same column definitions: read once per type node (trees are shared
  // and never mutated, invariant 8; the answer is frozen, so no caller can change it for the others).
  let known = typeNames.get(typeName);
  if (known === undefined) typeNames.set(typeName, (known = readTypeName(typeName) ?? null));
  return known ?? undefined;
}

const typeNames = new WeakMap<object, Readonly<{ name: string; schema?: string; mods: number[]; array: boolean }> | null>();

function readTypeName(typeName: any): { name: string; schema?: string; mods: number[]; array: boolean } | undefined {
  const parts = namesOf(typeName.names);
  if (parts.length === 0) return undefined;
  const name = parts[parts.length - 1];
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  const mods = (typeName.typmods ?? []).map((m: any) => Number(constantOf(m))).filter((n: number) => !Number.isNaN(n));
  return Object.freeze({ name, schema: schema === 'pg_catalog' ? undefined : schema, mods: Object.freeze(mods) as number[], array: Array.isArray(typeName.arrayBounds) && typeName.arrayBounds.length > 0 });
}

/** Walks every object in a tree, depth first, calling `visit(kind, body)` for each `{ Kind: body }` node. */
export function walk(node: unknown, visit: (kind: string, body: any) => void | false): void {
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const current = stack.pop();
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push(current[i]);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    for (const key in current as Record<string, unknown>) {
      const value = (current as Record<string, unknown>)[key];
      if (value === null || typeof value !== 'object') continue;
      const first = key.charCodeAt(0);
      if (first >= 65 && first <= 90 && !Array.isArray(value)) {
        // A node: { Kind: body }
        if (visit(key, value) === false) continue;
      }
      stack.push(value);
    }
  }
}

/** A named database object as a statement names it (a function, a type, a schema, a trigger on a table). */
export interface ObjectRef {
  schema?: string;
  name: string;
  /** The table, for objects that live on one (triggers, policies, rules). */
  table?: RelationRef;
  display: string;
}

/** Reads a qualified name list (`[schema, name]`) as an object reference. */
export function objectFromNames(parts: string[]): ObjectRef | undefined {
  if (parts.length === 0) return undefined;
  const name = parts[parts.length - 1];
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  return { schema, name, display: schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name) };
}

/**
 * The objects a DROP statement names, whatever their shape in the tree: relation names (tables,
 * views, indexes), per-table objects (`DROP TRIGGER t ON tbl`: the table comes first), plain names
 * (schemas, extensions), type names (types, domains) and functions with their arguments.
 */
export function dropTargets(drop: any): ObjectRef[] {
  const perTable = drop?.removeType === 'OBJECT_TRIGGER' || drop?.removeType === 'OBJECT_POLICY' || drop?.removeType === 'OBJECT_RULE';
  const out: ObjectRef[] = [];
  for (const o of drop?.objects ?? []) {
    let ref: ObjectRef | undefined;
    if (o.List) {
      const parts = namesOf(o.List.items);
      if (perTable && parts.length >= 2) {
        const table = relationFromNames(o.List.items.slice(0, -1));
        const name = parts[parts.length - 1];
        ref = { name, table, display: `${quoteIdent(name)} on ${table?.display ?? '?'}` };
      } else ref = objectFromNames(parts);
    } else if (o.String) ref = objectFromNames([o.String.sval ?? '']);
    else if (o.TypeName) ref = objectFromNames(namesOf(o.TypeName.names));
    else if (o.ObjectWithArgs) ref = objectFromNames(namesOf(o.ObjectWithArgs.objname));
    if (ref && ref.name !== '') out.push(ref);
  }
  return out;
}

/** Column definitions a statement adds: CREATE TABLE columns and ALTER TABLE ... ADD COLUMN. */
export function addedColumns(node: AstNode | undefined): { table?: RelationRef; column: any; newTable: boolean }[] {
  const out: { table?: RelationRef; column: any; newTable: boolean }[] = [];
  const create = bodyOf(node, 'CreateStmt');
  if (create) {
    const table = relationOf(create.relation);
    for (const e of create.tableElts ?? []) if (e.ColumnDef) out.push({ table, column: e.ColumnDef, newTable: true });
  }
  const alter = bodyOf(node, 'AlterTableStmt');
  if (alter && (alter.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
    const table = relationOf(alter.relation);
    for (const c of alter.cmds ?? []) {
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef) out.push({ table, column: cmd.def.ColumnDef, newTable: false });
    }
  }
  return out;
}

/** Column types a statement writes: added columns and ALTER COLUMN ... TYPE targets, with the type node. */
export function columnTypes(node: AstNode | undefined): readonly ColumnType[] {
  if (!node) return [];
  // Seven type rules ask for every statement: read once per statement node (frozen: shared by all).
  let known = columnTypesOf.get(node);
  if (!known) columnTypesOf.set(node, (known = Object.freeze(readColumnTypes(node))));
  return known;
}

export interface ColumnType {
  table?: RelationRef;
  column: string;
  typeName: any;
  constraints: any[];
  newTable: boolean;
  altered: boolean;
}

const columnTypesOf = new WeakMap<AstNode, readonly ColumnType[]>();

function readColumnTypes(node: AstNode): ColumnType[] {
  const out: { table?: RelationRef; column: string; typeName: any; constraints: any[]; newTable: boolean; altered: boolean }[] = [];
  for (const a of addedColumns(node)) {
    if (a.column.typeName) out.push({ table: a.table, column: a.column.colname ?? '', typeName: a.column.typeName, constraints: (a.column.constraints ?? []).map((c: any) => c.Constraint).filter(Boolean), newTable: a.newTable, altered: false });
  }
  const alter = bodyOf(node, 'AlterTableStmt');
  if (alter && (alter.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
    const table = relationOf(alter.relation);
    for (const c of alter.cmds ?? []) {
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype === 'AT_AlterColumnType' && cmd.def?.ColumnDef?.typeName) out.push({ table, column: cmd.name ?? '', typeName: cmd.def.ColumnDef.typeName, constraints: [], newTable: false, altered: true });
    }
  }
  return out;
}

/**
 * A WHERE clause that holds for every row: absent, `true`, `1 = 1`, `'a' = 'a'`, `NOT false`, or an
 * AND/OR of such. Anything that reads a column is not provably true.
 */
export function alwaysTrue(where: any): boolean {
  if (where === undefined || where === null) return true;
  return truthOf(where) === true;
}

function truthOf(expr: any): boolean | undefined {
  if (!expr || typeof expr !== 'object') return undefined;
  if (expr.A_Const) {
    if (expr.A_Const.boolval !== undefined) return expr.A_Const.boolval.boolval === true;
    return undefined;
  }
  if (expr.TypeCast) return truthOf(expr.TypeCast.arg);
  if (expr.BoolExpr) {
    const values = (expr.BoolExpr.args ?? []).map(truthOf);
    if (expr.BoolExpr.boolop === 'NOT_EXPR') return values[0] === undefined ? undefined : !values[0];
    if (expr.BoolExpr.boolop === 'AND_EXPR') return values.includes(false) ? false : values.every((v: boolean | undefined) => v === true) ? true : undefined;
    if (expr.BoolExpr.boolop === 'OR_EXPR') return values.includes(true) ? true : values.every((v: boolean | undefined) => v === false) ? false : undefined;
  }
  if (expr.A_Expr && expr.A_Expr.kind === 'AEXPR_OP') {
    const op = stringOf(expr.A_Expr.name?.[0]);
    const l = constantOf(expr.A_Expr.lexpr);
    const r = constantOf(expr.A_Expr.rexpr);
    if (l === undefined || r === undefined) return undefined;
    if (op === '=') return l === r;
    if (op === '<>' || op === '!=') return l !== r;
  }
  return undefined;
}

/** Column names an expression reads (`a`, `t.a` -> `a`). */
export function columnsReadBy(expr: unknown): string[] {
  const out = new Set<string>();
  walk(expr, (kind, body) => {
    if (kind === 'ColumnRef') {
      const fields = namesOf(body.fields);
      if (fields.length > 0) out.add(fields[fields.length - 1]);
    }
  });
  return [...out];
}

/** Function names an expression calls, lower-cased, without schema. */
export function functionsCalledBy(expr: unknown): string[] {
  const out = new Set<string>();
  walk(expr, (kind, body) => {
    if (kind === 'FuncCall') {
      const parts = namesOf(body.funcname);
      if (parts.length > 0) out.add(parts[parts.length - 1].toLowerCase());
    }
    if (kind === 'SQLValueFunction') out.add(String(body.op ?? '').toLowerCase());
  });
  return [...out];
}
