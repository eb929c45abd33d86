// What else in the database depends on the column a trio replaces (rename-column, change-type) or
// drops (drop-column), read from the dev database's catalog, and what the contract's DROP COLUMN does
// to each (tested on PostgreSQL 18, test/scaffold/trio-deps-db.test.ts):
//
//   view, materialized view, rule, trigger (UPDATE OF the column, or a WHEN naming it), policy,
//   generated column, publication (column list or row filter), SQL-standard function body (BEGIN ATOMIC)
//             a normal dependency (pg_depend 'n'): DROP COLUMN fails (2BP01) and the contract's
//             transaction rolls back. The trio is made, since the object must move to the new column
//             while both application versions run, but each is named in a warning and in the headers;
//   trigger function body naming the column (PL/pgSQL: no dependency is recorded)
//             DROP COLUMN succeeds and the trigger then fails at run time (42703, record "new" has no
//             field): a warning from a textual search of the function's source (it may be a false alarm);
//   extended statistics (CREATE STATISTICS)
//             dropped with the column, silently (an auto dependency): a warning;
//   a sequence OWNED BY the column (serial)
//             dropped with the column, silently, and with it the nextval default: a replacement
//             (rename-column, change-type) moves the ownership and the default to the new column in its
//             contract (and back in its down); drop-column warns that its way back does not restore it;
//   an identity column
//             its sequence is internal: a replacement is refused (the new column would lose its
//             values' source); drop-column warns as for a sequence;
//   a partition key column
//             DROP COLUMN fails (42P16): refused;
//   a column inherited from a parent (inheritance child, or a partition)
//             DROP COLUMN fails (cannot drop inherited column), and a partition cannot take the new
//             column (ADD COLUMN fails): refused, run the trio on the parent;
//   inheritance children (not partitions)
//             the trio's trigger is on the parent only: rows written to a child directly are not kept
//             in step: a warning (a partitioned table's partitions get the trigger).
//
// The table's own indexes and constraints, and the foreign keys of other tables referencing the
// column, are trio-carry.ts's.

import { ScaffoldError } from './naming';
import { quoteIdent as q, tableSql, type TableName } from './sql-names';

export type DependentKind =
  | 'view'
  | 'materialized view'
  | 'rule'
  | 'trigger'
  | 'policy'
  | 'generated column'
  | 'publication'
  | 'function'
  | 'statistics'
  | 'sequence'
  | 'identity'
  | 'partition key'
  | 'other';

/** An object that depends on one of the table's columns (pg_depend), as PostgreSQL describes it. */
export interface Dependent {
  column: string;
  kind: DependentKind;
  /** pg_describe_object's text ("view public.v", "policy p on table t"); for a sequence, its regclass text. */
  name: string;
  /** sequence: the column's default (a nextval of it, for a serial). */
  default?: string;
}

/** The table's relations to others and the objects that depend on its columns. */
export interface TableDependencies {
  dependents: Dependent[];
  /** The table's triggers (not internal ones) with their function's source. */
  triggers: { name: string; function: string; source: string }[];
  /** The columns of its partition key (a partitioned table). */
  partitionKey: string[];
  /** Its parent, when it is a partition. */
  partitionOf?: string;
  /** Its inheritance children (not partitions). */
  children: string[];
  /** Its columns inherited from a parent. */
  inherited: string[];
}

/** The dependencies of every user table of the database: `schema.table` -> its dependencies. */
export const DEPENDENTS_SQL = `
SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, d.classid::regclass::text AS catalog, d.deptype::text AS deptype,
       CASE WHEN d.classid = 'pg_rewrite'::regclass THEN (SELECT CASE WHEN r.rulename = '_RETURN' THEN v.relkind::text END FROM pg_rewrite r JOIN pg_class v ON v.oid = r.ev_class WHERE r.oid = d.objid)
            WHEN d.classid = 'pg_class'::regclass THEN (SELECT o.relkind::text FROM pg_class o WHERE o.oid = d.objid) END AS relkind,
       CASE WHEN d.classid = 'pg_rewrite'::regclass THEN (SELECT CASE WHEN r.rulename = '_RETURN' THEN pg_describe_object('pg_class'::regclass, r.ev_class, 0) ELSE pg_describe_object(d.classid, d.objid, 0) END FROM pg_rewrite r WHERE r.oid = d.objid)
            WHEN d.classid = 'pg_class'::regclass THEN d.objid::regclass::text
            WHEN d.classid = 'pg_attrdef'::regclass THEN (SELECT pg_describe_object('pg_class'::regclass, ad.adrelid, ad.adnum) FROM pg_attrdef ad WHERE ad.oid = d.objid)
            ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END AS object,
       d.objid = d.refobjid AS self,
       (SELECT pg_get_expr(ad.adbin, ad.adrelid) FROM pg_attrdef ad WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum) AS "default"
  FROM pg_depend d
  JOIN pg_class c ON c.oid = d.refobjid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
   AND d.classid <> 'pg_constraint'::regclass
 ORDER BY 1, 2, 3, 7`;

export const TRIGGERS_SQL = `
SELECT n.nspname AS schema, c.relname AS table, t.tgname AS name, p.oid::regprocedure::text AS function, p.prosrc AS source
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE NOT t.tgisinternal AND n.nspname NOT IN ('pg_catalog', 'information_schema')
 ORDER BY 1, 2, 3`;

export const INHERITANCE_SQL = `
SELECT n.nspname AS schema, c.relname AS table,
       (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_partitioned_table pt JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = ANY (pt.partattrs::int2[]) WHERE pt.partrelid = c.oid) AS "partitionKey",
       CASE WHEN c.relispartition THEN (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid LIMIT 1) END AS "partitionOf",
       (SELECT array_agg(i.inhrelid::regclass::text ORDER BY 1) FROM pg_inherits i JOIN pg_class ch ON ch.oid = i.inhrelid WHERE i.inhparent = c.oid AND NOT ch.relispartition) AS children,
       (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND a.attinhcount > 0 AND NOT a.attisdropped) AS inherited
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND (c.relkind = 'p' OR c.relispartition OR EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid OR i.inhparent = c.oid))`;

interface DependentRow {
  schema: string;
  table: string;
  column: string;
  catalog: string;
  deptype: string;
  relkind: string | null;
  object: string | null;
  self: boolean;
  default: string | null;
}

/** Reads every user table's dependencies with `query` (a session of the dev database): `schema.table` -> its dependencies. */
export async function readDependencies(query: <T>(sql: string) => Promise<T[]>): Promise<Map<string, TableDependencies>> {
  const out = new Map<string, TableDependencies>();
  const of = (schema: string, table: string): TableDependencies => {
    const key = `${schema}.${table}`;
    let deps = out.get(key);
    if (!deps) out.set(key, (deps = { dependents: [], triggers: [], partitionKey: [], children: [], inherited: [] }));
    return deps;
  };
  for (const row of await query<DependentRow>(DEPENDENTS_SQL)) {
    const kind = dependentKind(row);
    if (!kind) continue;
    const dependent: Dependent = { column: row.column, kind, name: row.object ?? `an object of ${row.catalog}` };
    if ((kind === 'sequence' || kind === 'identity') && row.default !== null) dependent.default = row.default;
    of(row.schema, row.table).dependents.push(dependent);
  }
  for (const row of await query<{ schema: string; table: string; name: string; function: string; source: string | null }>(TRIGGERS_SQL)) {
    of(row.schema, row.table).triggers.push({ name: row.name, function: row.function, source: row.source ?? '' });
  }
  for (const row of await query<{ schema: string; table: string; partitionKey: string[] | null; partitionOf: string | null; children: string[] | null; inherited: string[] | null }>(INHERITANCE_SQL)) {
    const deps = of(row.schema, row.table);
    deps.partitionKey = row.partitionKey ?? [];
    if (row.partitionOf !== null) deps.partitionOf = row.partitionOf;
    deps.children = row.children ?? [];
    deps.inherited = row.inherited ?? [];
  }
  return out;
}

/** What a pg_depend row is, for a trio; undefined for what trio-carry.ts handles (indexes) or what goes with the column harmlessly (its own default). */
function dependentKind(row: DependentRow): DependentKind | undefined {
  switch (row.catalog) {
    case 'pg_rewrite':
      return row.relkind === 'v' ? 'view' : row.relkind === 'm' ? 'materialized view' : 'rule';
    case 'pg_trigger':
      return 'trigger';
    case 'pg_policy':
      return 'policy';
    case 'pg_attrdef':
      // A default names no column: a normal dependency on a column is a generated column's expression.
      return row.deptype === 'n' ? 'generated column' : undefined;
    case 'pg_statistic_ext':
      return 'statistics';
    case 'pg_publication_rel':
      return 'publication';
    case 'pg_proc':
      return 'function';
    case 'pg_class':
      if (row.self) return 'partition key'; // a partition key expression
      if (row.relkind === 'S') return row.deptype === 'i' ? 'identity' : 'sequence';
      if (row.relkind === 'i' || row.relkind === 'I') return undefined; // indexes: trio-carry.ts
      return row.deptype === 'n' ? 'other' : undefined;
    default:
      return row.deptype === 'n' ? 'other' : undefined;
  }
}

/** What the checks found for one column: refusals stop the trio, warnings go to the user and the headers. */
export interface DependencyFindings {
  /** The sequence the column owns and, if its default calls nextval, that default (a replacement moves both). */
  ownedSequence?: { name: string; default?: string };
  warnings: string[];
}

const BLOCKING: DependentKind[] = ['view', 'materialized view', 'rule', 'trigger', 'policy', 'generated column', 'publication', 'function', 'other'];

/**
 * Checks the objects depending on `column` of `table` for a trio of `kind` (a replacement, or
 * drop-column). Throws a ScaffoldError for what no contract can get past (a partition key, an
 * inherited column, a partition, an identity column a replacement would lose); returns warnings for
 * what the contract's DROP COLUMN fails on or silently takes along, and the owned sequence a
 * replacement moves.
 */
export function checkDependencies(table: TableName, column: string, kind: 'replace' | 'drop', deps: TableDependencies | undefined): DependencyFindings {
  const out: DependencyFindings = { warnings: [] };
  if (!deps) return out;
  const t = tableSql(table);
  const c = q(column);
  const on = deps.dependents.filter((d) => d.column === column);
  const refusals: string[] = [];
  if (deps.partitionOf !== undefined) refusals.push(`${t} is a partition of ${deps.partitionOf}: a partition cannot take a column of its own, nor lose an inherited one; run the trio on ${deps.partitionOf}`);
  else if (deps.inherited.includes(column)) refusals.push(`${c} is inherited from a parent of ${t}: PostgreSQL cannot drop an inherited column; run the trio on the parent`);
  if (deps.partitionKey.includes(column) || on.some((d) => d.kind === 'partition key')) {
    refusals.push(`${c} is in the partition key of ${t}: PostgreSQL cannot drop it (the contract's DROP COLUMN fails), nor partition a table anew in place`);
  }
  const identity = on.find((d) => d.kind === 'identity');
  if (identity && kind === 'replace') {
    refusals.push(`${c} is an identity column: its sequence (${identity.name}) is internal to it and is dropped with it, and a sequence cannot be handed to another column, so the new column would get no values on insert; change the identity column by hand`);
  }
  if (refusals.length > 0) throw new ScaffoldError(`No trio can change ${t}.${c} (per the dev database's catalog): ${refusals.join('; ')}.`);

  const blocking = on.filter((d) => BLOCKING.includes(d.kind)).sort((a, b) => BLOCKING.indexOf(a.kind) - BLOCKING.indexOf(b.kind));
  if (blocking.length > 0) {
    const list = blocking.map((d) => describe(d)).join(', ');
    out.warnings.push(
      kind === 'replace'
        ? `${list} depend${blocking.length === 1 ? 's' : ''} on ${c}: the contract's DROP COLUMN fails while ${blocking.length === 1 ? 'it does' : 'they do'} (2BP01, its transaction rolled back). Re-create ${blocking.length === 1 ? 'it' : 'them'} on the new column (or drop ${blocking.length === 1 ? 'it' : 'them'}) before the contract, once the application no longer needs the old column.`
        : `${list} depend${blocking.length === 1 ? 's' : ''} on ${c}: the contract's DROP COLUMN fails while ${blocking.length === 1 ? 'it does' : 'they do'} (2BP01, its transaction rolled back). Change ${blocking.length === 1 ? 'it' : 'them'} not to use ${c} (or drop ${blocking.length === 1 ? 'it' : 'them'}) before the contract.`,
    );
  }
  const bodies = deps.triggers.filter((tr) => mentions(tr.source, column));
  if (bodies.length > 0) {
    out.warnings.push(
      `the function${bodies.length === 1 ? '' : 's'} of trigger${bodies.length === 1 ? '' : 's'} ${bodies.map((tr) => `${q(tr.name)} (${tr.function})`).join(', ')} on ${t} mention${bodies.length === 1 ? 's' : ''} ${column} in ${bodies.length === 1 ? 'its' : 'their'} source (a textual match: PostgreSQL records no dependency on a function body, so this may be a false alarm): after the contract drops ${c}, a body that uses it fails at run time (42703, record "new" has no field "${column}"), failing the writes it fires on. Change ${bodies.length === 1 ? 'it' : 'them'} to use the new column before the contract.`,
    );
  }
  const statistics = on.filter((d) => d.kind === 'statistics');
  if (statistics.length > 0) {
    out.warnings.push(
      `${statistics.map((d) => describe(d)).join(', ')} ${statistics.length === 1 ? 'uses' : 'use'} ${c} and ${statistics.length === 1 ? 'is' : 'are'} dropped with it by the contract, silently${kind === 'replace' ? ': re-create them on the new column (CREATE STATISTICS, then ANALYZE) if the planner needs them' : ' (the way back does not restore them)'}.`,
    );
  }
  const sequence = on.find((d) => d.kind === 'sequence');
  if (sequence) {
    if (kind === 'replace') out.ownedSequence = { name: sequence.name, default: sequence.default !== undefined && /\bnextval\s*\(/i.test(sequence.default) ? sequence.default : undefined };
    else out.warnings.push(`the sequence ${sequence.name} is owned by ${c} (OWNED BY, a serial) and is dropped with it by the contract; the way back re-creates ${c} without it.`);
  }
  if (identity) out.warnings.push(`${c} is an identity column: its sequence is dropped with it by the contract; the way back re-creates ${c} as a plain column.`);
  if (deps.children.length > 0) {
    out.warnings.push(
      `${t} has inheritance children (${deps.children.join(', ')}): the trio's trigger is on ${t} alone, so rows written to a child directly are not ${kind === 'replace' ? 'kept in step' : 'archived'} (the backfill and its verification do cover them); add the trigger to each child, or write through ${t}.`,
    );
  }
  return out;
}

function describe(d: Dependent): string {
  if (d.kind === 'generated column') return `the generated ${d.name}`;
  if (d.kind === 'function') return `${d.name} (its SQL-standard body)`;
  return d.name;
}

/** Whether `source` names `column` as a word (case-insensitively for a lower-case name, as an unquoted identifier folds). */
export function mentions(source: string, column: string): boolean {
  const escaped = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const flags = column === column.toLowerCase() ? 'i' : '';
  return new RegExp(`(?<![A-Za-z0-9_$])${escaped}(?![A-Za-z0-9_$])`, flags).test(source);
}
