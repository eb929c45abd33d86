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
  const schema = typeof rangeVar.schemaname === 'string' ? rangeVar.schemaname : undefined;
  const name = rangeVar.relname as string;
  return { schema, name, display: schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name), location: rangeVar.location };
}

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
  if (!typeName) return undefined;
  const parts = namesOf(typeName.names);
  if (parts.length === 0) return undefined;
  const name = parts[parts.length - 1];
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  const mods = (typeName.typmods ?? []).map((m: any) => Number(constantOf(m))).filter((n: number) => !Number.isNaN(n));
  return { name, schema: schema === 'pg_catalog' ? undefined : schema, mods, array: Array.isArray(typeName.arrayBounds) && typeName.arrayBounds.length > 0 };
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
