// A schema snapshot read from the catalogs (no pg_dump): every user object of the database, keyed by
// kind and schema-qualified name, with its definition in normalized text (PostgreSQL's own pg_get_*
// deparsers, format_type), so two snapshots compare without OIDs, relfilenodes or catalog order.
// Objects of extensions are summarised by the extension (name, version); system schemas are left out.
// Also here: row counts per table, and the comparison of two snapshots.

import { quoteIdent, type Session } from '../runner/db';

export type ObjectKind =
  | 'schema'
  | 'extension'
  | 'table'
  | 'column'
  | 'column order'
  | 'index'
  | 'constraint'
  | 'type'
  | 'function'
  | 'trigger'
  | 'sequence'
  | 'view'
  | 'materialized view'
  | 'policy';

export interface SnapshotItem {
  kind: ObjectKind;
  /** Schema-qualified (`public.users.email` for a column); `public.` is left out when displayed. */
  name: string;
  /** The definition, field by field (a column: type, not null, default, ...). */
  fields: Record<string, string>;
  /** The table the object belongs to, for columns, indexes, constraints, triggers and policies. */
  table?: string;
}

export interface SchemaSnapshot {
  /** `${kind} ${name}` -> item. */
  items: Map<string, SnapshotItem>;
  /** Current values of sequences (a down that re-creates a sequence restarts it). */
  sequenceValues: Map<string, string | null>;
}

export interface SnapshotOptions {
  /** Tables left out with their indexes, constraints and triggers (the migration tool's tracking tables), as SQL names. */
  exclude?: readonly string[];
}

const USER_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;
const notExtensionMember = (catalog: string, oid: string) => `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;
const EXCLUDED = `(SELECT to_regclass(x)::oid FROM unnest($1::text[]) AS x WHERE to_regclass(x) IS NOT NULL)`;

/** Reads the schema of the database `session` is connected to. */
export async function takeSnapshot(session: Session, options: SnapshotOptions = {}): Promise<SchemaSnapshot> {
  const exclude = [...(options.exclude ?? [])];
  const items = new Map<string, SnapshotItem>();
  const add = (item: SnapshotItem) => items.set(`${item.kind} ${item.name}`, item);

  for (const r of await session.query<{ name: string }>(`SELECT n.nspname AS name FROM pg_namespace n WHERE ${USER_SCHEMA} AND ${notExtensionMember('pg_namespace', 'n.oid')}`)) {
    add({ kind: 'schema', name: r.name, fields: {} });
  }
  for (const r of await session.query<{ name: string; version: string; schema: string }>(
    `SELECT e.extname AS name, e.extversion AS version, n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace`,
  )) {
    add({ kind: 'extension', name: r.name, fields: { version: r.version, schema: r.schema } });
  }

  const relations = await session.query<{
    schema: string;
    name: string;
    kind: string;
    persistence: string;
    rls: boolean;
    options: string | null;
    partkey: string | null;
    bound: string | null;
    parents: string | null;
    viewdef: string | null;
  }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.relpersistence AS persistence, c.relrowsecurity AS rls,
            c.reloptions::text AS options,
            CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
            CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound,
            (SELECT string_agg(pn.nspname || '.' || p.relname, ', ' ORDER BY pn.nspname, p.relname)
               FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid) AS parents,
            CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS viewdef
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND ${USER_SCHEMA} AND ${notExtensionMember('pg_class', 'c.oid')}
        AND c.oid NOT IN ${EXCLUDED}`,
    [exclude],
  );
  for (const r of relations) {
    const name = `${r.schema}.${r.name}`;
    if (r.kind === 'v' || r.kind === 'm') {
      add({ kind: r.kind === 'v' ? 'view' : 'materialized view', name, fields: { definition: normalizeSpace(r.viewdef ?? '') } });
      continue;
    }
    const fields: Record<string, string> = { kind: r.kind === 'p' ? 'partitioned table' : r.kind === 'f' ? 'foreign table' : 'table' };
    if (r.persistence === 'u') fields.persistence = 'unlogged';
    if (r.rls) fields['row level security'] = 'enabled';
    if (r.options) fields.options = r.options;
    if (r.partkey) fields['partition by'] = r.partkey;
    if (r.bound) fields['partition of'] = `${r.parents ?? '?'} ${r.bound}`;
    else if (r.parents) fields.inherits = r.parents;
    add({ kind: 'table', name, fields });
  }

  const columns = await session.query<{ schema: string; rel: string; attname: string; type: string; notnull: boolean; def: string | null; identity: string; generated: string; collation: string | null }>(
    `SELECT n.nspname AS schema, c.relname AS rel, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
            pg_get_expr(ad.adbin, ad.adrelid) AS def, a.attidentity AS identity, a.attgenerated AS generated,
            CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
       LEFT JOIN pg_collation co ON co.oid = a.attcollation
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') AND ${USER_SCHEMA} AND ${notExtensionMember('pg_class', 'c.oid')}
        AND c.oid NOT IN ${EXCLUDED}
      ORDER BY n.nspname, c.relname, a.attnum`,
    [exclude],
  );
  const order = new Map<string, string[]>();
  for (const r of columns) {
    const table = `${r.schema}.${r.rel}`;
    const fields: Record<string, string> = { type: r.type, nullable: r.notnull ? 'NOT NULL' : 'NULL' };
    if (r.generated === 's' || r.generated === 'v') fields.generated = `${r.generated === 's' ? 'STORED' : 'VIRTUAL'} ${r.def ?? ''}`.trim();
    else if (r.def !== null) fields.default = r.def;
    if (r.identity === 'a' || r.identity === 'd') fields.identity = r.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT';
    if (r.collation) fields.collation = r.collation;
    add({ kind: 'column', name: `${table}.${r.attname}`, fields, table });
    order.set(table, [...(order.get(table) ?? []), r.attname]);
  }
  for (const [table, names] of order) add({ kind: 'column order', name: table, fields: { columns: names.join(', ') }, table });

  for (const r of await session.query<{ schema: string; name: string; table: string; def: string; valid: boolean }>(
    `SELECT n.nspname AS schema, ic.relname AS name, tn.nspname || '.' || t.relname AS table, pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AS valid
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
       JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
      WHERE ${USER_SCHEMA} AND t.relkind IN ('r', 'p', 'm', 'f') AND ${notExtensionMember('pg_class', 't.oid')} AND t.oid NOT IN ${EXCLUDED}`,
    [exclude],
  )) {
    const fields: Record<string, string> = { definition: r.def };
    if (!r.valid) fields.valid = 'INVALID';
    add({ kind: 'index', name: `${r.schema}.${r.name}`, fields, table: r.table });
  }

  for (const r of await session.query<{ schema: string; owner: string; name: string; def: string; valid: boolean; ontype: boolean }>(
    `SELECT n.nspname AS schema, coalesce(c.relname, ty.typname) AS owner, co.conname AS name, pg_get_constraintdef(co.oid, true) AS def,
            co.convalidated AS valid, co.contypid <> 0 AS ontype
       FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
       LEFT JOIN pg_class c ON c.oid = co.conrelid LEFT JOIN pg_type ty ON ty.oid = co.contypid
      WHERE ${USER_SCHEMA} AND co.contype <> 'n' AND (c.oid IS NULL OR (${notExtensionMember('pg_class', 'c.oid')} AND c.oid NOT IN ${EXCLUDED}))
        AND (ty.oid IS NULL OR ${notExtensionMember('pg_type', 'ty.oid')})`,
    [exclude],
  )) {
    const table = `${r.schema}.${r.owner}`;
    add({ kind: 'constraint', name: `${table}.${r.name}`, fields: { definition: r.def.replace(/\s+NOT VALID$/, ''), valid: r.valid ? 'valid' : 'NOT VALID' }, table: r.ontype ? undefined : table });
  }

  for (const r of await session.query<{ schema: string; name: string; kind: string; def: string | null }>(
    `SELECT n.nspname AS schema, t.typname AS name, t.typtype AS kind,
            CASE t.typtype
              WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
              WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod) || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END || coalesce(' DEFAULT ' || t.typdefault, '')
              WHEN 'c' THEN (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
              WHEN 'r' THEN (SELECT 'range of ' || format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid)
            END AS def
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE ${USER_SCHEMA} AND ${notExtensionMember('pg_type', 't.oid')}
        AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))`,
  )) {
    const what = { e: 'enum', d: 'domain', c: 'composite', r: 'range' }[r.kind] ?? r.kind;
    add({ kind: 'type', name: `${r.schema}.${r.name}`, fields: { [what === 'enum' ? 'values' : 'definition']: `${what} ${r.def ?? ''}`.trim() } });
  }

  for (const r of await session.query<{ schema: string; name: string; args: string; kind: string; result: string | null; hash: string }>(
    `SELECT n.nspname AS schema, p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args, p.prokind AS kind,
            pg_get_function_result(p.oid) AS result,
            md5(CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE p.prosrc END) AS hash
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE ${USER_SCHEMA} AND ${notExtensionMember('pg_proc', 'p.oid')}`,
  )) {
    const fields: Record<string, string> = { kind: { f: 'function', p: 'procedure', a: 'aggregate', w: 'window function' }[r.kind] ?? r.kind };
    if (r.result) fields.returns = r.result;
    fields.definition = `md5 ${r.hash.slice(0, 12)}`;
    add({ kind: 'function', name: `${r.schema}.${r.name}(${r.args})`, fields });
  }

  for (const r of await session.query<{ schema: string; table: string; name: string; def: string; enabled: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, tg.tgname AS name, pg_get_triggerdef(tg.oid, true) AS def, tg.tgenabled AS enabled
       FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT tg.tgisinternal AND ${USER_SCHEMA} AND ${notExtensionMember('pg_class', 'c.oid')} AND c.oid NOT IN ${EXCLUDED}`,
    [exclude],
  )) {
    const table = `${r.schema}.${r.table}`;
    const fields: Record<string, string> = { definition: r.def };
    if (r.enabled !== 'O') fields.enabled = { D: 'disabled', R: 'replica', A: 'always' }[r.enabled] ?? r.enabled;
    add({ kind: 'trigger', name: `${table}.${r.name}`, fields, table });
  }

  const sequenceValues = new Map<string, string | null>();
  for (const r of await session.query<{ schema: string; name: string; type: string; start: string; increment: string; min: string; max: string; cache: string; cycle: boolean; owned: string | null; last: string | null }>(
    `SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS type, s.seqstart::text AS start, s.seqincrement::text AS increment,
            s.seqmin::text AS min, s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
            (SELECT tn.nspname || '.' || t.relname || '.' || a.attname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
               JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i') LIMIT 1) AS owned,
            pg_sequence_last_value(c.oid)::text AS last
       FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${USER_SCHEMA} AND ${notExtensionMember('pg_class', 'c.oid')} AND c.oid NOT IN ${EXCLUDED}
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refobjid IN ${EXCLUDED})`,
    [exclude],
  )) {
    const name = `${r.schema}.${r.name}`;
    const fields: Record<string, string> = { definition: `${r.type} START ${r.start} INCREMENT ${r.increment} MINVALUE ${r.min} MAXVALUE ${r.max} CACHE ${r.cache}${r.cycle ? ' CYCLE' : ''}` };
    if (r.owned) fields['owned by'] = r.owned;
    add({ kind: 'sequence', name, fields });
    sequenceValues.set(name, r.last);
  }

  for (const r of await session.query<{ schema: string; table: string; name: string; cmd: string; permissive: boolean; roles: string; qual: string | null; check: string | null }>(
    `SELECT n.nspname AS schema, c.relname AS table, p.polname AS name, p.polcmd AS cmd, p.polpermissive AS permissive,
            (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r) END, ', ' ORDER BY 1) FROM unnest(p.polroles) AS r) AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check
       FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${USER_SCHEMA}`,
  )) {
    const table = `${r.schema}.${r.table}`;
    const cmd = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE', '*': 'ALL' }[r.cmd] ?? r.cmd;
    const fields: Record<string, string> = { definition: `${r.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${cmd} TO ${r.roles}` };
    if (r.qual) fields.using = r.qual;
    if (r.check) fields['with check'] = r.check;
    add({ kind: 'policy', name: `${table}.${r.name}`, fields, table });
  }
  return { items, sequenceValues };
}

/** Rows in each ordinary table (partitions counted one by one), keyed by `schema.table`. */
export async function countRows(session: Session, options: SnapshotOptions = {}): Promise<Map<string, number>> {
  const tables = await session.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND ${USER_SCHEMA} AND ${notExtensionMember('pg_class', 'c.oid')} AND c.oid NOT IN ${EXCLUDED}
      ORDER BY 1, 2`,
    [[...(options.exclude ?? [])]],
  );
  const counts = new Map<string, number>();
  for (const t of tables) {
    const [row] = await session.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(t.schema)}.${quoteIdent(t.name)}`);
    counts.set(`${t.schema}.${t.name}`, Number(row.n));
  }
  return counts;
}

export interface SnapshotDifference {
  /** 'missing': in the first snapshot only; 'extra': in the second only; 'changed': in both, defined differently. */
  change: 'missing' | 'extra' | 'changed';
  kind: ObjectKind;
  name: string;
  before?: Record<string, string>;
  after?: Record<string, string>;
  /** For 'changed': the fields that differ. */
  fields?: string[];
  table?: string;
}

/**
 * What differs between two snapshots, ordered by kind and name. Objects of a table that is itself
 * missing or extra (its columns, indexes, constraints, triggers) are folded into the table's entry.
 */
export function compareSnapshots(before: SchemaSnapshot, after: SchemaSnapshot): SnapshotDifference[] {
  const out: SnapshotDifference[] = [];
  const keys = new Set([...before.items.keys(), ...after.items.keys()]);
  const wholeTables = new Set<string>();
  for (const key of keys) {
    const a = before.items.get(key);
    const b = after.items.get(key);
    if (a?.kind === 'table' && !b) wholeTables.add(a.name);
    if (b?.kind === 'table' && !a) wholeTables.add(b.name);
  }
  for (const key of keys) {
    const a = before.items.get(key);
    const b = after.items.get(key);
    const item = (a ?? b)!;
    if (item.table && item.kind !== 'table' && wholeTables.has(item.table) && (!a || !b)) continue;
    if (a && !b) out.push({ change: 'missing', kind: a.kind, name: a.name, before: a.fields, table: a.table });
    else if (b && !a) out.push({ change: 'extra', kind: b.kind, name: b.name, after: b.fields, table: b.table });
    else if (a && b) {
      const fields = [...new Set([...Object.keys(a.fields), ...Object.keys(b.fields)])].filter((f) => a.fields[f] !== b.fields[f]);
      // A column added or lost changes the order too: that is reported on the column.
      if (a.kind === 'column order' && !sameSet(a.fields.columns, b.fields.columns)) continue;
      if (fields.length > 0) out.push({ change: 'changed', kind: a.kind, name: a.name, before: a.fields, after: b.fields, fields, table: a.table });
    }
  }
  const rank = (k: ObjectKind) => KIND_ORDER.indexOf(k);
  return out.sort((x, y) => rank(x.kind) - rank(y.kind) || x.name.localeCompare(y.name));
}

const KIND_ORDER: ObjectKind[] = ['extension', 'schema', 'type', 'table', 'column', 'column order', 'constraint', 'index', 'sequence', 'view', 'materialized view', 'function', 'trigger', 'policy'];

/** Sequences whose current value went backwards (re-created: new ids would collide with existing rows). */
export function resetSequences(before: SchemaSnapshot, after: SchemaSnapshot): { name: string; before: string; after: string | null }[] {
  const out: { name: string; before: string; after: string | null }[] = [];
  for (const [name, value] of before.sequenceValues) {
    if (value === null || !after.sequenceValues.has(name)) continue;
    const now = after.sequenceValues.get(name) ?? null;
    if (now === null || BigInt(now) < BigInt(value)) out.push({ name, before: value, after: now });
  }
  return out;
}

/** A name as people read it: without the `public.` prefix. */
export function displayName(name: string): string {
  return name.startsWith('public.') ? name.slice('public.'.length) : name;
}

/** A one-line definition of an item's fields. */
export function describeFields(kind: ObjectKind, fields: Record<string, string> | undefined): string {
  if (!fields) return '';
  if (kind === 'column') {
    const parts = [fields.type, fields.nullable === 'NOT NULL' ? 'NOT NULL' : undefined, fields.default !== undefined ? `DEFAULT ${fields.default}` : undefined];
    if (fields.generated) parts.push(`GENERATED ${fields.generated}`);
    if (fields.identity) parts.push(`GENERATED ${fields.identity} AS IDENTITY`);
    if (fields.collation) parts.push(`COLLATE ${fields.collation}`);
    return parts.filter(Boolean).join(' ');
  }
  return Object.entries(fields)
    .map(([k, v]) => (k === 'definition' || k === 'values' || k === 'columns' ? v : `${k} ${v}`))
    .join('; ');
}

function sameSet(a = '', b = ''): boolean {
  const x = a.split(', ').sort().join(', ');
  const y = b.split(', ').sort().join(', ');
  return x === y;
}

function normalizeSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
