// Column-level classifications shared by the lock rules and the lock table: what an ADD COLUMN
// declares, how volatile a DEFAULT is, whether ALTER COLUMN ... TYPE rewrites the table, and whether a
// CHECK proves a column NOT NULL. Pure functions of parse-tree nodes.

import type { AstNode } from '../model';
import { namesOf, relationOf, stringOf, typeNameOf, walk, type RelationRef } from './ast';
// ── Column definitions (ADD COLUMN, CREATE TABLE) ──────────────────────────────────────────────────

export interface ColumnShape {
  name: string;
  type?: TypeInfo;
  /** serial, bigserial, smallserial (a sequence and a volatile nextval() default). */
  serial: boolean;
  identity: boolean;
  generatedStored: boolean;
  generatedVirtual: boolean;
  notNull: boolean;
  /** The DEFAULT expression, when there is one and it is not NULL. */
  defaultExpr?: any;
  /** Inline constraints by kind. */
  references: any[];
  unique: any[];
  primaryKey: any[];
  checks: any[];
}

/** What an ADD COLUMN (or a CREATE TABLE column) declares. */
export function columnShape(columnDef: any): ColumnShape {
  const shape: ColumnShape = {
    name: columnDef?.colname ?? '',
    type: typeNameOf(columnDef?.typeName),
    serial: false,
    identity: false,
    generatedStored: false,
    generatedVirtual: false,
    notNull: Boolean(columnDef?.is_not_null),
    references: [],
    unique: [],
    primaryKey: [],
    checks: [],
  };
  shape.serial = shape.type !== undefined && shape.type.schema === undefined && !shape.type.array && SERIAL_TYPES.has(shape.type.name);
  for (const c of columnDef?.constraints ?? []) {
    const con = c.Constraint;
    switch (con?.contype) {
      case 'CONSTR_NOTNULL':
        shape.notNull = true;
        break;
      case 'CONSTR_DEFAULT':
        if (!(con.raw_expr?.A_Const?.isnull)) shape.defaultExpr = con.raw_expr;
        break;
      case 'CONSTR_IDENTITY':
        shape.identity = true;
        break;
      case 'CONSTR_GENERATED':
        if (con.generated_kind === 'v') shape.generatedVirtual = true;
        else shape.generatedStored = true;
        break;
      case 'CONSTR_FOREIGN':
        shape.references.push(con);
        break;
      case 'CONSTR_UNIQUE':
        shape.unique.push(con);
        break;
      case 'CONSTR_PRIMARY':
        shape.primaryKey.push(con);
        shape.notNull = true;
        break;
      case 'CONSTR_CHECK':
        shape.checks.push(con);
        break;
    }
  }
  return shape;
}

const SERIAL_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

// ── Volatility of default expressions ──────────────────────────────────────────────────────────────

export type Volatility = 'immutable' | 'stable' | 'volatile' | 'unknown';

/** Built-in functions whose result changes on every call: a DEFAULT using one is evaluated per row. */
export const VOLATILE_FUNCTIONS = new Set([
  'random',
  'random_normal',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'setval',
  'currval',
  'lastval',
  'gen_random_bytes',
  'txid_current',
  'pg_current_xact_id',
]);

/** Built-in functions that are IMMUTABLE or STABLE: one value for the whole ALTER TABLE. */
const NON_VOLATILE_FUNCTIONS = new Set([
  'now',
  'transaction_timestamp',
  'statement_timestamp',
  'current_timestamp',
  'localtimestamp',
  'current_date',
  'lower',
  'upper',
  'length',
  'btrim',
  'ltrim',
  'rtrim',
  'trim',
  'replace',
  'concat',
  'concat_ws',
  'substring',
  'substr',
  'left',
  'right',
  'md5',
  'to_char',
  'to_date',
  'to_timestamp',
  'to_number',
  'date_trunc',
  'date_part',
  'extract',
  'make_date',
  'make_time',
  'make_timestamp',
  'make_timestamptz',
  'make_interval',
  'timezone',
  'age',
  'abs',
  'round',
  'floor',
  'ceil',
  'greatest',
  'least',
  'array',
  'array_fill',
  'string_to_array',
  'jsonb_build_object',
  'jsonb_build_array',
  'json_build_object',
  'json_build_array',
  'to_jsonb',
  'to_json',
  'jsonb_object',
  'json_object',
  'row',
  'inet',
  'cidr',
  'int4range',
  'int8range',
  'tstzrange',
  'tsrange',
  'daterange',
  'numrange',
  'current_user',
  'current_setting',
  'encode',
  'decode',
  'convert_to',
  'to_tsvector',
  'setweight',
  'format',
  'coalesce',
  'nullif',
]);

const RANK: Record<Volatility, number> = { immutable: 0, stable: 1, unknown: 2, volatile: 3 };

function worst(a: Volatility, b: Volatility): Volatility {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The volatility of an expression (a DEFAULT): constants and casts are immutable, CURRENT_TIMESTAMP
 * and now() are stable, random()/gen_random_uuid()/nextval() are volatile; a function zdm does not know
 * is 'unknown' (user functions are VOLATILE unless declared otherwise).
 */
export function volatilityOf(expr: any): Volatility {
  if (expr === null || typeof expr !== 'object') return 'immutable';
  if (Array.isArray(expr)) return expr.reduce((v: Volatility, e: any) => worst(v, volatilityOf(e)), 'immutable');
  const kind = Object.keys(expr)[0];
  const body = expr[kind];
  switch (kind) {
    case 'A_Const':
      return 'immutable';
    case 'SQLValueFunction':
      return 'stable';
    case 'TypeCast':
      return volatilityOf(body.arg);
    case 'A_Expr':
      return worst(volatilityOf(body.lexpr), volatilityOf(body.rexpr));
    case 'BoolExpr':
    case 'CoalesceExpr':
    case 'MinMaxExpr':
    case 'RowExpr':
      return volatilityOf(body.args);
    case 'A_ArrayExpr':
      return volatilityOf(body.elements);
    case 'NullTest':
    case 'BooleanTest':
      return volatilityOf(body.arg);
    case 'CaseExpr':
      return worst(worst(volatilityOf(body.arg), volatilityOf(body.defresult)), volatilityOf((body.args ?? []).map((w: any) => [w.CaseWhen?.expr, w.CaseWhen?.result])));
    case 'CollateClause':
      return volatilityOf(body.arg);
    case 'FuncCall': {
      const name = namesOf(body.funcname).pop()?.toLowerCase() ?? '';
      if (VOLATILE_FUNCTIONS.has(name)) return 'volatile';
      const args = volatilityOf(body.args);
      if (NON_VOLATILE_FUNCTIONS.has(name)) return worst('stable', args);
      return worst('unknown', args);
    }
    default:
      return 'unknown';
  }
}


// ── Type changes ──────────────────────────────────────────────────────────────────────────────────

export type TypeInfo = NonNullable<ReturnType<typeof typeNameOf>>;

export interface TypeChange {
  /** 'no': binary-compatible (catalog only); 'yes': rewrites the table; 'unknown': depends on what zdm cannot see. */
  rewrite: 'no' | 'yes' | 'unknown';
  /** Why, for messages: "varchar(20) → varchar(255) only raises the limit". */
  reason: string;
  /** For 'unknown': the condition under which there is no rewrite, when that is the only question. */
  unless?: string;
}

/** How a type prints in messages: varchar(20), numeric(10,2), int4[]. */
/** Time zones whose UTC offset is always zero: with one of them as the session TimeZone, timestamp ↔ timestamptz needs no rewrite (PostgreSQL 12+). */
export function isUtcZone(name: string): boolean {
  return /^(etc\/)?(utc|uct|gmt|gmt0|gmt[+-]0|zulu|greenwich|universal)$/i.test(name.trim()) || /^[+-]?0+(:0+)?$/.test(name.trim());
}

export function typeText(t: TypeInfo): string {
  return `${t.schema ? t.schema + '.' : ''}${t.name}${t.mods.length ? `(${t.mods.join(',')})` : ''}${t.array ? '[]' : ''}`;
}

const TEXT_LIKE = new Set(['varchar', 'text']);

/**
 * Whether ALTER COLUMN ... TYPE rewrites the table, given the column's type before (when known), the
 * new type, and the USING expression. Follows PostgreSQL's binary-coercion rules for the common cases:
 * varchar(n) → varchar(m ≥ n) / varchar / text, text → varchar, numeric(p,s) → numeric(q ≥ p, s) /
 * numeric, cidr → inet, timestamp(p) → timestamp(q ≥ p) (same for timestamptz, time, timetz, varbit).
 */
export function typeChange(from: TypeInfo | undefined, to: TypeInfo, options: { using?: any; column?: string; pgVersion: number; sessionTimeZoneUtc?: boolean }): TypeChange {
  if (options.using !== undefined && !isPlainColumn(options.using, options.column, to)) {
    return { rewrite: 'yes', reason: 'the USING expression is computed for every row' };
  }
  if (options.using?.TypeCast && from && from.name !== to.name) {
    // A binary-coercible change needs no cast: one written out in USING means a real conversion.
    return { rewrite: 'yes', reason: `the USING cast from ${typeText(from)} runs for every row` };
  }
  if (!from) return { rewrite: 'unknown', reason: `zdm cannot see the column's current type` };
  const f = typeText(from);
  const t = typeText(to);
  if (from.array !== to.array) return { rewrite: 'yes', reason: `${f} → ${t} converts every value` };
  if (from.schema !== to.schema) return { rewrite: 'unknown', reason: `${f} → ${t}` };
  if (from.name === to.name) {
    if (sameMods(from.mods, to.mods)) return { rewrite: 'no', reason: `${f} → ${t} does not change the type` };
    switch (to.name) {
      case 'varchar':
      case 'varbit':
        if (to.mods.length === 0) return { rewrite: 'no', reason: `${f} → ${t} only removes the length limit` };
        if (from.mods.length > 0 && to.mods[0] >= from.mods[0]) return { rewrite: 'no', reason: `${f} → ${t} only raises the length limit` };
        return { rewrite: 'yes', reason: `${f} → ${t} checks every value against a ${from.mods.length ? 'smaller' : 'new'} length limit` };
      case 'numeric':
        if (to.mods.length === 0) return { rewrite: 'no', reason: `${f} → ${t} only removes the precision limit` };
        if (from.mods.length > 0 && to.mods[0] >= from.mods[0] && (to.mods[1] ?? 0) === (from.mods[1] ?? 0)) return { rewrite: 'no', reason: `${f} → ${t} only raises the precision at the same scale` };
        return { rewrite: 'yes', reason: `${f} → ${t} changes the precision or scale of every value` };
      case 'timestamp':
      case 'timestamptz':
      case 'time':
      case 'timetz':
        if (to.mods.length === 0) return { rewrite: 'no', reason: `${f} → ${t} only removes the precision limit` };
        if (from.mods.length > 0 && to.mods[0] >= from.mods[0]) return { rewrite: 'no', reason: `${f} → ${t} only raises the precision` };
        return { rewrite: 'yes', reason: `${f} → ${t} rounds every value` };
      default:
        return { rewrite: 'yes', reason: `${f} → ${t} changes the type modifier` };
    }
  }
  if (from.name === 'varchar' && to.name === 'text') return { rewrite: 'no', reason: `${f} → text is binary-compatible` };
  if (from.name === 'text' && to.name === 'varchar' && to.mods.length === 0) return { rewrite: 'no', reason: `text → varchar is binary-compatible` };
  if (from.name === 'cidr' && to.name === 'inet') return { rewrite: 'no', reason: 'cidr → inet is binary-compatible' };
  if (from.name === 'timestamp' && to.name === 'timestamptz' || from.name === 'timestamptz' && to.name === 'timestamp') {
    if (options.pgVersion >= 12 && (to.mods.length === 0 || (from.mods.length > 0 && to.mods[0] >= from.mods[0]))) {
      if (options.sessionTimeZoneUtc) return { rewrite: 'no', reason: `${f} → ${t} is binary-compatible with the session TimeZone set to UTC` };
      return { rewrite: 'unknown', reason: `${f} → ${t} skips the rewrite only when the session TimeZone is UTC`, unless: 'the session TimeZone is UTC (PostgreSQL 12+)' };
    }
    return { rewrite: 'yes', reason: `${f} → ${t} converts every value` };
  }
  if (TEXT_LIKE.has(from.name) && to.name === 'varchar') return { rewrite: 'yes', reason: `${f} → ${t} checks every value against the length limit` };
  if (!BUILTIN_TYPES.has(from.name) || !BUILTIN_TYPES.has(to.name)) return { rewrite: 'unknown', reason: `${f} → ${t}` };
  return { rewrite: 'yes', reason: `${f} → ${t} converts every value` };
}

function sameMods(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((m, i) => m === b[i]);
}

/** `USING col` or `USING col::newtype`: no computation beyond the implicit cast. */
function isPlainColumn(expr: any, column: string | undefined, to: TypeInfo): boolean {
  let e = expr;
  if (e?.TypeCast) {
    const cast = typeNameOf(e.TypeCast.typeName);
    if (!cast || cast.name !== to.name || !sameMods(cast.mods, to.mods)) return false;
    e = e.TypeCast.arg;
  }
  const fields = e?.ColumnRef?.fields;
  if (!Array.isArray(fields)) return false;
  const name = stringOf(fields[fields.length - 1]);
  return column !== undefined && name === column;
}

const BUILTIN_TYPES = new Set([
  'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'money', 'bool', 'text', 'varchar', 'bpchar', 'char', 'name', 'bytea',
  'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval', 'uuid', 'json', 'jsonb', 'xml', 'inet', 'cidr', 'macaddr',
  'macaddr8', 'bit', 'varbit', 'tsvector', 'tsquery', 'oid', 'point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle',
  'int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange', 'daterange', 'citext',
]);

// ── Constraints ───────────────────────────────────────────────────────────────────────────────────

/**
 * True when a CHECK expression proves `column IS NOT NULL` the way PostgreSQL 12+ accepts for skipping
 * the SET NOT NULL scan: `col IS NOT NULL`, possibly AND-ed with other conditions.
 */
export function checkProvesNotNull(expr: any, column: string): boolean {
  if (expr?.NullTest?.nulltesttype === 'IS_NOT_NULL') {
    const fields = expr.NullTest.arg?.ColumnRef?.fields;
    return Array.isArray(fields) && stringOf(fields[fields.length - 1]) === column;
  }
  if (expr?.BoolExpr?.boolop === 'AND_EXPR') return (expr.BoolExpr.args ?? []).some((a: any) => checkProvesNotNull(a, column));
  return false;
}


/** Every relation a statement mentions (RangeVar nodes), for "does this statement touch T?". */
export function relationsMentioned(node: AstNode | undefined): RelationRef[] {
  const out: RelationRef[] = [];
  walk(node, (kind, body) => {
    if (kind === 'RangeVar') {
      const r = relationOf(body);
      if (r) out.push(r);
    }
  });
  return out;
}
