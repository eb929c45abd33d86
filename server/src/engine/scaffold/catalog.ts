// Tables and columns of the dev database, for completing trio prompts (table, column, its type, whether
// it is NOT NULL, the primary key), and each table's indexes and constraints, which a column
// replacement trio re-creates on the new column (trioCatalogOf, trio-carry.ts). Read through the runner's database module and the round-trip
// check's catalog snapshot; never started for it: the dev database is the configured URL
// (ZDM_DATABASE_URL, DATABASE_URL, .zdm.json database.url) or the project's embedded server when it is
// already running.

import type { ZdmConfig } from '../config/config';
import { takeSnapshot, type SchemaSnapshot } from '../prove/snapshot';
import { withClient } from '../runner/db';
import { embeddedServerState } from '../runner/embedded';
import { resolveConfiguredUrl } from '../runner/url';
import { quoteIdent, type TableName } from './sql-names';
import type { TrioRequest } from './trio';
import type { TrioCatalog } from './trio-carry';
import { readDependencies, type TableDependencies } from './trio-deps';

export interface CatalogColumn {
  name: string;
  /** As format_type writes it: `text`, `character varying(300)`, `bigint`. */
  type: string;
  notNull: boolean;
  default?: string;
}

export interface CatalogTable {
  schema: string;
  name: string;
  columns: CatalogColumn[];
  /** The primary key's columns, when the table has one. */
  primaryKey?: string[];
  /** Its indexes (name without the schema, `pg_get_indexdef` text, INVALID ones with valid: false). */
  indexes: { name: string; definition: string; valid: boolean }[];
  /** Its constraints but NOT NULL (`pg_get_constraintdef` text, without NOT VALID). */
  constraints: { name: string; definition: string; valid: boolean }[];
  /**
   * The name of every relation of its schema (tables, indexes, sequences, views, composite types, an
   * extension's too; pg_class): a new index, or a UNIQUE constraint's index, must differ from all.
   * Shared by the tables of one schema; absent when the catalog was read without it.
   */
  relations?: readonly string[];
  /** What depends on its columns (views, triggers, policies, sequences...) and its partitioning and inheritance (trio-deps.ts); absent when the catalog was read without them. */
  dependencies?: TableDependencies;
}

/** The dev database's URL, when one is configured or the embedded server runs; never starts anything. */
export function devDatabaseUrl(projectRoot: string, config: ZdmConfig, env: NodeJS.ProcessEnv): string | undefined {
  return devDatabase(projectRoot, config, env).url;
}

/**
 * The dev database's URL as devDatabaseUrl finds it, or, when the configured one is not a PostgreSQL
 * URL (or names an unset variable), why: for the user to see, instead of a catalog silently missing.
 */
export function devDatabase(projectRoot: string, config: ZdmConfig, env: NodeJS.ProcessEnv): { url?: string; problem?: string } {
  try {
    const configured = resolveConfiguredUrl({ env, config: config.database.url });
    if (configured) return { url: configured.url };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
  const url = embeddedServerState(projectRoot).url;
  return url === undefined ? {} : { url };
}

/** The user tables of the database at `url`, sorted by schema and name. */
export async function readCatalog(url: string, options: { connectTimeoutMs?: number } = {}): Promise<CatalogTable[]> {
  const { snapshot, relations, dependencies } = await withClient(
    url,
    async (session) => {
      const snapshot = await takeSnapshot(session);
      // Every relation, not only the snapshot's: it leaves out an extension's tables and sequences,
      // whose names a new index must not take either.
      const relations = await session.query<{ schema: string; name: string }>(
        `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`,
      );
      const dependencies = await readDependencies((sql) => session.query(sql));
      return { snapshot, relations, dependencies };
    },
    { applicationName: 'zdm scaffold', connectTimeoutMs: options.connectTimeoutMs ?? 3000 },
  );
  const tables = tablesOf(snapshot, relations);
  for (const table of tables) table.dependencies = dependencies.get(`${table.schema}.${table.name}`) ?? { dependents: [], triggers: [], partitionKey: [], children: [], inherited: [] };
  return tables;
}

/** The tables of a snapshot with their columns (in column order) and primary keys, and the relation names of their schemas when given. */
export function tablesOf(snapshot: SchemaSnapshot, relations?: readonly { schema: string; name: string }[]): CatalogTable[] {
  const bySchema = new Map<string, string[]>();
  for (const r of relations ?? []) {
    const names = bySchema.get(r.schema) ?? [];
    names.push(r.name);
    bySchema.set(r.schema, names);
  }
  const tables = new Map<string, CatalogTable>();
  for (const item of snapshot.items.values()) {
    if (item.kind !== 'table' || item.fields.kind === 'foreign table') continue;
    const dot = item.name.indexOf('.');
    const schema = item.name.slice(0, dot);
    const table: CatalogTable = { schema, name: item.name.slice(dot + 1), columns: [], indexes: [], constraints: [] };
    if (relations) table.relations = bySchema.get(schema) ?? [];
    tables.set(item.name, table);
  }
  for (const item of snapshot.items.values()) {
    const table = item.table !== undefined ? tables.get(item.table) : undefined;
    if (!table) continue;
    if (item.kind === 'column') {
      const column: CatalogColumn = { name: item.name.slice(item.table!.length + 1), type: item.fields.type, notNull: item.fields.nullable === 'NOT NULL' };
      if (item.fields.default !== undefined) column.default = item.fields.default;
      table.columns.push(column);
    } else if (item.kind === 'constraint') {
      // A constraint trigger has a pg_constraint row too, whose definition is only `TRIGGER [DEFERRABLE
      // ...]`: a trigger, not a constraint a trio carries over or could read.
      if (/^TRIGGER\b/.test(item.fields.definition ?? '')) continue;
      table.constraints.push({ name: item.name.slice(item.table!.length + 1), definition: item.fields.definition, valid: item.fields.valid !== 'NOT VALID' });
      if (/^PRIMARY KEY \(/.test(item.fields.definition ?? '')) table.primaryKey = splitColumnList(/^PRIMARY KEY \((.*)\)/.exec(item.fields.definition)![1]);
    } else if (item.kind === 'index') {
      table.indexes.push({ name: item.name.slice(item.name.indexOf('.') + 1), definition: item.fields.definition, valid: item.fields.valid !== 'INVALID' });
    }
  }
  for (const item of snapshot.items.values()) {
    if (item.kind !== 'column order') continue;
    const table = tables.get(item.name);
    const order = item.fields.columns.split(', ');
    table?.columns.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  }
  return [...tables.values()].sort((a, b) => a.schema.localeCompare(b.schema) || a.name.localeCompare(b.name));
}

/**
 * What a trio on `table` needs to carry its column's indexes and constraints over: the table's own,
 * and the foreign keys of the other tables (trio-carry.ts keeps those that reference this one, read
 * from their parse tree). Undefined when the catalog has no such table.
 */
export function trioCatalogOf(tables: readonly CatalogTable[], table: TableName): TrioCatalog | undefined {
  const found = catalogTable(tables, table);
  if (!found) return undefined;
  const referencedBy = tables
    .filter((t) => t !== found)
    .flatMap((t) => t.constraints.filter((c) => c.definition.startsWith('FOREIGN KEY')).map((c) => ({ table: `${t.schema}.${t.name}`, name: c.name, definition: c.definition })));
  return { indexes: found.indexes, constraints: found.constraints, referencedBy, relations: found.relations, dependencies: found.dependencies };
}

/** The catalog's table named `table` (no schema: public), if any. */
export function catalogTable(tables: readonly CatalogTable[], table: TableName): CatalogTable | undefined {
  const schema = table.schema ?? 'public';
  return tables.find((t) => t.schema === schema && t.name === table.name);
}

/**
 * Fills in, from the dev database's catalog, what a trio request leaves out and the database knows,
 * as the editor's prompts do: the column's type (rename-column, drop-column: to create or re-create
 * it; change-type: its current type), NOT NULL, its default (rename-column: the contract gives it to
 * the new column; drop-column: what inserts store while it still exists; not change-type, whose new
 * type may not take the old default's expression), and
 * the backfill's key (a one-column primary key). A value the user gave is kept; NOT NULL, which has
 * no flag to say "nullable", is taken from the database. Returns what it took, as the flags that
 * would have said it ("--type text"), for the user to see; nothing when the table or column is not there.
 */
export function completeTrioRequest(request: TrioRequest, tables: readonly CatalogTable[]): string[] {
  const table = catalogTable(tables, request.table);
  if (!table) return [];
  const taken: string[] = [];
  const onColumn = request.kind === 'rename-column' || request.kind === 'change-type' || request.kind === 'drop-column';
  const column = onColumn ? table.columns.find((c) => c.name === request.column) : undefined;
  if (column) {
    if (request.kind === 'change-type') {
      if (request.fromType === undefined) taken.push(`--from-type ${(request.fromType = column.type)}`);
    } else if (request.type === undefined) taken.push(`--type ${(request.type = column.type)}`);
    if (column.notNull && !request.notNull) {
      request.notNull = true;
      taken.push('--not-null');
    }
    // change-type: the old default is an expression of the old type, which the new one may not take (but a nextval).
    const carried = carriedDefault(column, table, { onlyNextval: request.kind === 'change-type' });
    if (request.default === undefined && carried !== undefined) {
      request.default = carried;
      taken.push(`--default ${carried}`);
    }
  }
  const key = table.primaryKey?.length === 1 ? table.primaryKey[0] : undefined;
  if (request.kind !== 'rename-table' && request.key === undefined && key !== undefined && key !== 'id' && key !== request.column) {
    request.key = key;
    taken.push(`--key ${quoteIdent(key)}`);
  }
  return taken;
}

/**
 * The column's default as a trio gives it to the new column. A nextval of a sequence the column owns
 * (a serial, OWNED BY; or an identity) is left out: the sequence goes with the old column, and a
 * replacement's contract moves it and its default itself (trio-deps.ts). A nextval of a sequence it
 * does not own is carried, when `table`'s dependencies say so (read by readCatalog); without them, a
 * nextval is taken for a serial's. `onlyNextval` (change-type, whose new type may not take the old
 * default's expression): only a nextval, which any numeric type takes, is carried.
 */
export function carriedDefault(column: CatalogColumn | undefined, table?: CatalogTable, options: { onlyNextval?: boolean } = {}): string | undefined {
  if (column?.default === undefined) return undefined;
  const nextval = /\bnextval\s*\(/i.test(column.default);
  if (!nextval) return options.onlyNextval ? undefined : column.default;
  const deps = table?.dependencies;
  const owned = !deps || deps.dependents.some((d) => d.column === column.name && (d.kind === 'sequence' || d.kind === 'identity'));
  return owned ? undefined : column.default;
}

/** `id, "Order Id"` -> ['id', 'Order Id']. */
function splitColumnList(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"((?:[^"]|"")*)"|([^,\s][^,]*)/g)) out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2].trim());
  return out;
}
