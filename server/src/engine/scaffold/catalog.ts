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
import type { TableName } from './sql-names';
import type { TrioCatalog } from './trio-carry';

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
}

/** The dev database's URL, when one is configured or the embedded server runs; never starts anything. */
export function devDatabaseUrl(projectRoot: string, config: ZdmConfig, env: NodeJS.ProcessEnv): string | undefined {
  try {
    const configured = resolveConfiguredUrl({ env, config: config.database.url });
    if (configured) return configured.url;
  } catch {
    return undefined;
  }
  return embeddedServerState(projectRoot).url;
}

/** The user tables of the database at `url`, sorted by schema and name. */
export async function readCatalog(url: string, options: { connectTimeoutMs?: number } = {}): Promise<CatalogTable[]> {
  const snapshot = await withClient(url, (session) => takeSnapshot(session), { applicationName: 'zdm scaffold', connectTimeoutMs: options.connectTimeoutMs ?? 3000 });
  return tablesOf(snapshot);
}

/** The tables of a snapshot with their columns (in column order) and primary keys. */
export function tablesOf(snapshot: SchemaSnapshot): CatalogTable[] {
  const tables = new Map<string, CatalogTable>();
  for (const item of snapshot.items.values()) {
    if (item.kind !== 'table' || item.fields.kind === 'foreign table') continue;
    const dot = item.name.indexOf('.');
    tables.set(item.name, { schema: item.name.slice(0, dot), name: item.name.slice(dot + 1), columns: [], indexes: [], constraints: [] });
  }
  for (const item of snapshot.items.values()) {
    const table = item.table !== undefined ? tables.get(item.table) : undefined;
    if (!table) continue;
    if (item.kind === 'column') {
      const column: CatalogColumn = { name: item.name.slice(item.table!.length + 1), type: item.fields.type, notNull: item.fields.nullable === 'NOT NULL' };
      if (item.fields.default !== undefined) column.default = item.fields.default;
      table.columns.push(column);
    } else if (item.kind === 'constraint') {
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
  const schema = table.schema ?? 'public';
  const found = tables.find((t) => t.schema === schema && t.name === table.name);
  if (!found) return undefined;
  const referencedBy = tables
    .filter((t) => t !== found)
    .flatMap((t) => t.constraints.filter((c) => c.definition.startsWith('FOREIGN KEY')).map((c) => ({ table: `${t.schema}.${t.name}`, name: c.name, definition: c.definition })));
  return { indexes: found.indexes, constraints: found.constraints, referencedBy };
}

/** `id, "Order Id"` -> ['id', 'Order Id']. */
function splitColumnList(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"((?:[^"]|"")*)"|([^,\s][^,]*)/g)) out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2].trim());
  return out;
}
