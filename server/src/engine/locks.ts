// Lock knowledge, in one table. For each operation a statement can perform: the lock mode it takes on
// each object it touches, whether it rewrites or scans the table, and the versions where that changes.
// Rules and hover both read it; test/locks/lock-table.test.ts runs every entry's example on a real
// PostgreSQL and compares the claims with pg_locks, relfilenode and the scan counters.

import type { Statement } from './model';
import { droppedObjects, relationFromNames, relationOf, stringOf, typeNameOf, type RelationRef } from './sql/ast';
import { columnShape, typeChange, volatilityOf, type TypeInfo } from './sql/columns';

export type LockMode =
  | 'ACCESS SHARE'
  | 'ROW SHARE'
  | 'ROW EXCLUSIVE'
  | 'SHARE UPDATE EXCLUSIVE'
  | 'SHARE'
  | 'SHARE ROW EXCLUSIVE'
  | 'EXCLUSIVE'
  | 'ACCESS EXCLUSIVE';

export const LOCK_MODES: readonly LockMode[] = ['ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'];

/** The target version when none is configured (the config default). */
export const DEFAULT_PG_VERSION = 14;

/** pg_locks spells modes as `ShareLock`, `AccessExclusiveLock`, ... */
export function pgLocksName(mode: LockMode): string {
  return mode
    .toLowerCase()
    .split(' ')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('') + 'Lock';
}

/** The mode of a pg_locks name (`ShareRowExclusiveLock`), or undefined. */
export function modeFromPgLocks(name: string): LockMode | undefined {
  return LOCK_MODES.find((m) => pgLocksName(m) === name);
}

// PostgreSQL's table-level lock conflict matrix (docs: "Explicit Locking", table 13.2).
const CONFLICTS: Record<LockMode, LockMode[]> = {
  'ACCESS SHARE': ['ACCESS EXCLUSIVE'],
  'ROW SHARE': ['EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'ROW EXCLUSIVE': ['SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'SHARE UPDATE EXCLUSIVE': ['SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  SHARE: ['ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'SHARE ROW EXCLUSIVE': ['ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  EXCLUSIVE: ['ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'ACCESS EXCLUSIVE': [...LOCK_MODES],
};

export function conflicts(a: LockMode, b: LockMode): boolean {
  return CONFLICTS[a].includes(b);
}

/**
 * What ordinary traffic a lock mode on a relation blocks while held (or while queued): reads (SELECT
 * takes ACCESS SHARE), writes (INSERT/UPDATE/DELETE take ROW EXCLUSIVE), and schema changes and
 * VACUUM (SHARE UPDATE EXCLUSIVE and up).
 */
export function blockedBy(mode: LockMode): { reads: boolean; writes: boolean; ddl: boolean } {
  return { reads: conflicts(mode, 'ACCESS SHARE'), writes: conflicts(mode, 'ROW EXCLUSIVE'), ddl: conflicts(mode, 'SHARE UPDATE EXCLUSIVE') || mode === 'ACCESS EXCLUSIVE' };
}

/** "reads and writes", "writes", or "other schema changes" — for messages. */
export function describeBlocking(mode: LockMode): string {
  const b = blockedBy(mode);
  if (b.reads) return 'reads and writes';
  if (b.writes) return 'writes';
  return 'other schema changes and VACUUM';
}

/** True when the mode blocks ordinary application traffic (SELECT, INSERT, UPDATE, DELETE). */
export function blocksTraffic(mode: LockMode): boolean {
  const b = blockedBy(mode);
  return b.reads || b.writes;
}

/**
 * What a set of locks blocks on one object. For a table this counts its index locks too: the planner
 * takes ACCESS SHARE on every index of a table it plans a query for, so ACCESS EXCLUSIVE on any index
 * of the table (REINDEX) blocks reads and writes of the table itself.
 */
export function blockingOn(locks: readonly { role: ObjectRole; mode: LockMode }[], role: ObjectRole): { reads: boolean; writes: boolean; ddl: boolean } {
  const own = strongest(locks.filter((l) => l.role === role).map((l) => l.mode));
  const b = own ? blockedBy(own) : { reads: false, writes: false, ddl: false };
  if (role === 'table' && locks.some((l) => l.role === 'index' && conflicts(l.mode, 'ACCESS SHARE'))) return { reads: true, writes: true, ddl: true };
  return b;
}

/** True when a lock taken by a statement blocks application traffic: a traffic-blocking mode on a relation (a lock on a type blocks only other changes to the type). */
export function takenBlocksTraffic(lock: LockTaken): boolean {
  // A materialized view is only read: a lock blocks its traffic when it blocks reads (ACCESS EXCLUSIVE),
  // not when it blocks writes nobody makes (REFRESH ... CONCURRENTLY's EXCLUSIVE).
  if (lock.role === 'materialized view') return lock.mode === 'ACCESS EXCLUSIVE';
  return lock.role !== 'type' && blocksTraffic(lock.mode);
}

export type ObjectRole = 'table' | 'index' | 'referenced table' | 'partition' | 'parent table' | 'view' | 'materialized view' | 'sequence' | 'type';

export interface LockTaken {
  role: ObjectRole;
  /** The object, as written in the statement (when it names one). */
  object?: RelationRef;
  mode: LockMode;
  /** The operation (LOCK_FACTS id) that takes it. */
  fact: string;
}

/** Fields that differ on versions before `before`. */
export interface OlderVersion {
  before: number;
  locks?: { role: ObjectRole; mode: LockMode }[];
  rewrite?: boolean;
  scan?: boolean;
  nonTransactional?: boolean;
}

export interface LockFact {
  /** Stable id of the operation, e.g. 'create-index'. */
  id: string;
  /** How the docs and hover name it. */
  label: string;
  locks: { role: ObjectRole; mode: LockMode }[];
  /** The table (and its indexes) is rewritten under the lock: new files, every row copied. */
  rewrite: boolean;
  /** The whole table is read under the lock (validation, index build). */
  scan: boolean;
  /** When the scan does not happen, which the statement alone cannot tell (CREATE INDEX ... ON ONLY: a partitioned table). */
  scanUnless?: string;
  /** The index files are rebuilt (REINDEX), not the table. */
  rebuildsIndexes?: boolean;
  /** Cannot run inside a transaction block. */
  nonTransactional?: boolean;
  /**
   * Locks taken later, in a transaction of the statement's own after `locks` were released (DETACH
   * PARTITION ... CONCURRENTLY's second transaction). test/locks reads `locks` while the statement waits
   * in its first transaction; the lock trace (test/prove) watches it through both.
   */
  laterLocks?: { role: ObjectRole; mode: LockMode }[];
  /**
   * Locks taken at the very end on an object once no other session can use it any more (DROP INDEX
   * CONCURRENTLY and REINDEX CONCURRENTLY drop the dead index under ACCESS EXCLUSIVE). They block nothing, so
   * rules and the hover do not count them; a lock trace may catch them for an instant or not at all.
   */
  deadObjectLocks?: { role: ObjectRole; mode: LockMode }[];
  /** The first major version that has the operation. */
  since?: number;
  /** How the fact reads on older versions (PostgreSQL 11 rewrote on ADD COLUMN ... DEFAULT, ...). */
  olderVersions?: OlderVersion[];
  /** The form that does the same without blocking traffic, when there is one (shown on hover). */
  alternative?: string;
  /** The first version where that alternative exists. */
  alternativeSince?: number;
  /** Version notes and caveats, shown on hover. */
  notes?: string[];
  /**
   * SQL that performs the operation against the lock-table fixture (test/locks): tables `t` (with
   * index `t_b_idx`), `r` (referenced), `u` (with a NOT VALID foreign key to `r`), partitioned `p`,
   * view `v`, materialized view `mv`, enum `mood`. Checked against pg_locks in tests.
   */
  example?: string;
}

function entry(id: string, label: string, locks: LockFact['locks'], fields: Omit<LockFact, 'id' | 'label' | 'locks' | 'rewrite' | 'scan'> & { rewrite?: boolean; scan?: boolean } = {}): LockFact {
  return { id, label, locks, rewrite: fields.rewrite ?? false, scan: fields.scan ?? fields.rewrite ?? false, ...fields };
}

const AE = 'ACCESS EXCLUSIVE';
const SUE = 'SHARE UPDATE EXCLUSIVE';
const SRE = 'SHARE ROW EXCLUSIVE';
const table = (mode: LockMode) => ({ role: 'table' as const, mode });
const index = (mode: LockMode) => ({ role: 'index' as const, mode });
const referenced = (mode: LockMode) => ({ role: 'referenced table' as const, mode });

const BINARY_COMPATIBLE_NOTE =
  'Binary-compatible changes skip the rewrite: varchar(n) → varchar(m ≥ n), varchar or text; text → varchar; numeric(p,s) → numeric(q ≥ p,s) or numeric; cidr → inet; timestamp(p) → timestamp(q ≥ p); timestamp ↔ timestamptz when the session TimeZone is UTC (PostgreSQL 12+).';

/** The table: one entry per operation. */
export const LOCK_FACTS: Record<string, LockFact> = Object.fromEntries(
  [
    // ── Indexes ──
    entry('create-index', 'CREATE INDEX', [table('SHARE')], { alternative: 'CREATE INDEX CONCURRENTLY',  scan: true, example: 'CREATE INDEX t_a_idx ON t (a)' }),
    entry('create-index-concurrently', 'CREATE INDEX CONCURRENTLY', [table(SUE)], {
      scan: true,
      nonTransactional: true,
      notes: ['Scans the table twice and waits for transactions that started before it, but lets reads and writes through.', 'If it fails it leaves an INVALID index behind: drop it and retry.'],
      example: 'CREATE INDEX CONCURRENTLY t_a_idx ON t (a)',
    }),
    entry('drop-index', 'DROP INDEX', [table(AE), index(AE)], { alternative: 'DROP INDEX CONCURRENTLY',  notes: ['The drop itself is instant, but the lock on the table queues behind every running query and blocks everything that arrives after it.'], example: 'DROP INDEX t_b_idx' }),
    entry('drop-index-concurrently', 'DROP INDEX CONCURRENTLY', [table(SUE), index(SUE)], {
      nonTransactional: true,
      deadObjectLocks: [index(AE)],
      notes: ['Marks the index invalid, then dead, waiting each time until no transaction uses it; only then takes ACCESS EXCLUSIVE on the index alone to remove it, which blocks nothing.'],
      example: 'DROP INDEX CONCURRENTLY t_b_idx',
    }),
    entry('reindex-index', 'REINDEX INDEX', [table('SHARE'), index(AE)], { alternative: 'REINDEX INDEX CONCURRENTLY (PostgreSQL 12+)', alternativeSince: 12,  scan: true, rebuildsIndexes: true, notes: ['Queries that would use the index wait; writes to the table wait.'], example: 'REINDEX INDEX t_b_idx' }),
    entry('reindex-table', 'REINDEX TABLE', [table('SHARE'), index(AE)], { alternative: 'REINDEX TABLE CONCURRENTLY (PostgreSQL 12+)', alternativeSince: 12,  scan: true, rebuildsIndexes: true, notes: ['Rebuilds every index of the table, each under ACCESS EXCLUSIVE.'], example: 'REINDEX TABLE t' }),
    entry('reindex-concurrently', 'REINDEX CONCURRENTLY', [table(SUE), index(SUE)], {
      scan: true,
      rebuildsIndexes: true,
      nonTransactional: true,
      since: 12,
      deadObjectLocks: [index(AE)],
      notes: [
        'PostgreSQL 12+. Builds a new copy of each index beside the old one and swaps them; reads and writes continue.',
        'At the end it drops each old index under ACCESS EXCLUSIVE, after marking it dead and waiting until no transaction can use it: that lock blocks nothing.',
      ],
      example: 'REINDEX INDEX CONCURRENTLY t_b_idx',
    }),
    entry('reindex-schema', 'REINDEX SCHEMA / DATABASE / SYSTEM', [table('SHARE'), index(AE)], {
      scan: true,
      rebuildsIndexes: true,
      nonTransactional: true,
      notes: ['Runs table by table, each in its own transaction, with the locks of REINDEX TABLE on each.'],
    }),

    // ── ADD COLUMN ──
    entry('add-column', 'ADD COLUMN', [table(AE)], { notes: ['Catalog only: the lock is brief once granted.'], example: 'ALTER TABLE t ADD COLUMN d text' }),
    entry('add-column-default', 'ADD COLUMN ... DEFAULT (non-volatile)', [table(AE)], {
      olderVersions: [{ before: 11, rewrite: true, scan: true }],
      notes: ['PostgreSQL 11+: the default is stored in the catalog and existing rows are not touched. Before 11 the whole table was rewritten.'],
      example: 'ALTER TABLE t ADD COLUMN d int NOT NULL DEFAULT 0',
    }),
    entry('add-column-volatile-default', 'ADD COLUMN ... DEFAULT (volatile)', [table(AE)], { alternative: 'add the column without a default, SET DEFAULT, backfill in batches', 
      rewrite: true,
      notes: ['A volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval()) is computed for every row: the table and its indexes are rewritten on every version.'],
      example: 'ALTER TABLE t ADD COLUMN d float8 DEFAULT random()',
    }),
    entry('add-column-not-null', 'ADD COLUMN ... NOT NULL (no default)', [table(AE)], { alternative: 'add it nullable, backfill it, then add the NOT NULL', 
      scan: true,
      notes: ['Every existing row would be NULL: it fails unless the table is empty.'],
      example: 'ALTER TABLE e ADD COLUMN d int NOT NULL',
    }),
    entry('add-column-generated-stored', 'ADD COLUMN ... GENERATED ALWAYS AS (...) STORED', [table(AE)], { alternative: 'a plain column filled by a trigger and a batched backfill (PostgreSQL 18: VIRTUAL)', 
      rewrite: true,
      notes: ['The value is computed and stored for every row. PostgreSQL 18 VIRTUAL generated columns are computed on read and need no rewrite.'],
      example: 'ALTER TABLE t ADD COLUMN d int GENERATED ALWAYS AS (a * 2) STORED',
    }),
    entry('add-column-serial', 'ADD COLUMN serial / identity', [table(AE)], { alternative: 'a nullable column with a sequence default and a batched backfill', 
      rewrite: true,
      notes: ['Every existing row gets a value from the sequence: the table and its indexes are rewritten.'],
      example: 'ALTER TABLE t ADD COLUMN d bigint GENERATED ALWAYS AS IDENTITY',
    }),
    entry('add-column-references', 'ADD COLUMN ... REFERENCES', [table(AE), referenced(SRE)], {
      notes: ['The new column is NULL in every row, so there is nothing to validate; the referenced table gets triggers, hence its lock.'],
      example: 'ALTER TABLE t ADD COLUMN d int REFERENCES r (id)',
    }),
    entry('drop-column', 'DROP COLUMN', [table(AE)], { notes: ['Catalog only: the space is reclaimed by later updates and VACUUM FULL.'], example: 'ALTER TABLE t DROP COLUMN a' }),

    // ── ALTER COLUMN ──
    entry('set-default', 'ALTER COLUMN ... SET / DROP DEFAULT', [table(AE)], { notes: ['Catalog only: affects rows inserted later.'], example: "ALTER TABLE t ALTER COLUMN b SET DEFAULT 'x'" }),
    entry('set-not-null', 'ALTER COLUMN ... SET NOT NULL', [table(AE)], { alternative: 'CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (PostgreSQL 12+)', alternativeSince: 12, 
      scan: true,
      notes: [
        'Every row is checked under the lock.',
        'PostgreSQL 12+: the scan is skipped when a validated CHECK (col IS NOT NULL) constraint already proves it.',
        'PostgreSQL 18: ADD CONSTRAINT ... NOT NULL ... NOT VALID, then VALIDATE CONSTRAINT, does the same.',
      ],
      example: 'ALTER TABLE t ALTER COLUMN a SET NOT NULL',
    }),
    entry('drop-not-null', 'ALTER COLUMN ... DROP NOT NULL', [table(AE)], { example: 'ALTER TABLE t ALTER COLUMN z DROP NOT NULL' }),
    entry('alter-column-type', 'ALTER COLUMN ... TYPE', [table(AE)], { alternative: 'expand and contract: a new column, a batched backfill, then the switch', 
      rewrite: true,
      notes: ['Every row is converted and every index rebuilt.', BINARY_COMPATIBLE_NOTE],
      example: 'ALTER TABLE t ALTER COLUMN a TYPE bigint',
    }),
    entry('alter-column-type-binary-compatible', 'ALTER COLUMN ... TYPE (binary-compatible)', [table(AE)], {
      notes: ['Catalog only: the stored values are already valid for the new type.', BINARY_COMPATIBLE_NOTE],
      example: 'ALTER TABLE t ALTER COLUMN c TYPE varchar(20)',
    }),
    entry('alter-column-type-unknown', 'ALTER COLUMN ... TYPE', [table(AE)], {
      notes: ["Rewrites the table and rebuilds its indexes unless the change is binary-compatible; zdm cannot see the column's current type here.", BINARY_COMPATIBLE_NOTE],
    }),
    entry('set-statistics', 'ALTER COLUMN ... SET STATISTICS', [table(SUE)], { example: 'ALTER TABLE t ALTER COLUMN a SET STATISTICS 500' }),
    entry('set-column-options', 'ALTER COLUMN ... SET (n_distinct ...)', [table(SUE)], { example: 'ALTER TABLE t ALTER COLUMN a SET (n_distinct = 10)' }),

    // ── Constraints ──
    entry('add-check', 'ADD CONSTRAINT ... CHECK', [table(AE)], { alternative: 'ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT',  scan: true, notes: ['Every row is checked under the lock.'], example: 'ALTER TABLE t ADD CONSTRAINT t_a_positive CHECK (a > 0)' }),
    entry('add-check-not-valid', 'ADD CONSTRAINT ... CHECK ... NOT VALID', [table(AE)], {
      notes: ['The lock is brief: existing rows are not checked. VALIDATE CONSTRAINT later checks them without blocking traffic.'],
      example: 'ALTER TABLE t ADD CONSTRAINT t_a_positive CHECK (a > 0) NOT VALID',
    }),
    entry('add-foreign-key', 'ADD FOREIGN KEY', [table(SRE), referenced(SRE)], { alternative: 'ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT', 
      scan: true,
      notes: ['Both tables are read under the lock to check every row.'],
      example: 'ALTER TABLE t ADD CONSTRAINT t_r_fkey FOREIGN KEY (r_id) REFERENCES r (id)',
    }),
    entry('add-foreign-key-not-valid', 'ADD FOREIGN KEY ... NOT VALID', [table(SRE), referenced(SRE)], {
      notes: ['The lock is brief: existing rows are not checked. VALIDATE CONSTRAINT later checks them without blocking traffic.'],
      example: 'ALTER TABLE t ADD CONSTRAINT t_r_fkey FOREIGN KEY (r_id) REFERENCES r (id) NOT VALID',
    }),
    entry('add-unique', 'ADD CONSTRAINT ... UNIQUE', [table(AE)], { alternative: 'CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX',  scan: true, notes: ['Builds the unique index under the lock.'], example: 'ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)' }),
    entry('add-unique-using-index', 'ADD CONSTRAINT ... UNIQUE USING INDEX', [table(AE)], { notes: ['Catalog only: the index was built before.'], example: 'ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE USING INDEX t_b_key' }),
    entry('add-primary-key', 'ADD PRIMARY KEY', [table(AE)], { alternative: 'CREATE UNIQUE INDEX CONCURRENTLY, then ADD PRIMARY KEY USING INDEX', 
      scan: true,
      notes: ['Builds the unique index under the lock, and checks the columns for NULLs when they are not already NOT NULL.'],
      example: 'ALTER TABLE w ADD PRIMARY KEY (id)',
    }),
    entry('add-primary-key-using-index', 'ADD PRIMARY KEY USING INDEX', [table(AE)], {
      notes: ['Catalog only when the columns are already NOT NULL; otherwise they are checked under the lock.'],
      example: 'ALTER TABLE w ADD CONSTRAINT w_pkey PRIMARY KEY USING INDEX w_id_key',
    }),
    entry('add-exclusion', 'ADD CONSTRAINT ... EXCLUDE', [table(AE)], { scan: true, notes: ['Builds the index under the lock; there is no NOT VALID form.'], example: 'ALTER TABLE t ADD CONSTRAINT t_a_excl EXCLUDE USING btree (a WITH =)' }),
    entry('validate-constraint', 'VALIDATE CONSTRAINT', [table(SUE)], {
      scan: true,
      notes: ['Reads and writes continue while it scans. Validating a foreign key also takes ROW SHARE on the referenced table.'],
      example: 'ALTER TABLE t VALIDATE CONSTRAINT t_a_check',
    }),
    entry('validate-foreign-key', 'VALIDATE CONSTRAINT (foreign key)', [table(SUE), referenced('ROW SHARE')], {
      scan: true,
      notes: ['Reads and writes on both tables continue while it scans.'],
      example: 'ALTER TABLE u VALIDATE CONSTRAINT u_r_fkey',
    }),
    entry('drop-constraint', 'DROP CONSTRAINT', [table(AE)], { notes: ['Dropping a foreign key also takes ACCESS EXCLUSIVE on the referenced table.'], example: 'ALTER TABLE t DROP CONSTRAINT t_a_check' }),
    entry('drop-foreign-key', 'DROP CONSTRAINT (foreign key)', [table(AE), referenced(AE)], { example: 'ALTER TABLE u DROP CONSTRAINT u_r_fkey' }),

    // ── Partitions ──
    entry('attach-partition', 'ATTACH PARTITION', [{ role: 'parent table', mode: SUE }, { role: 'partition', mode: AE }], { alternative: 'a validated CHECK matching the bounds first, so the scan is skipped', 
      scan: true,
      olderVersions: [{ before: 12, locks: [{ role: 'parent table', mode: AE }, { role: 'partition', mode: AE }] }],
      notes: [
        'PostgreSQL 12+: SHARE UPDATE EXCLUSIVE on the parent (reads and writes continue); ACCESS EXCLUSIVE before 12.',
        'The partition is scanned unless a validated CHECK constraint on it implies the partition bounds.',
        'A default partition, if any, is locked ACCESS EXCLUSIVE and scanned too.',
      ],
      example: 'ALTER TABLE p ATTACH PARTITION p_new FOR VALUES FROM (10) TO (20)',
    }),
    entry('detach-partition', 'DETACH PARTITION', [{ role: 'parent table', mode: AE }, { role: 'partition', mode: AE }], { alternative: 'DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+)', alternativeSince: 14, 
      notes: ['PostgreSQL 14+: DETACH PARTITION ... CONCURRENTLY takes SHARE UPDATE EXCLUSIVE instead.'],
      example: 'ALTER TABLE p DETACH PARTITION p_1',
    }),
    entry('detach-partition-concurrently', 'DETACH PARTITION ... CONCURRENTLY', [{ role: 'parent table', mode: SUE }, { role: 'partition', mode: SUE }], {
      nonTransactional: true,
      since: 14,
      laterLocks: [{ role: 'parent table', mode: SUE }, { role: 'partition', mode: AE }],
      notes: [
        'PostgreSQL 14+. Runs in two transactions: the first takes SHARE UPDATE EXCLUSIVE on both tables; the second waits for every transaction that uses the parent, then takes ACCESS EXCLUSIVE on the partition to finish (briefly, but queries on the partition queue behind it while it waits).',
        'Not allowed when the table has a default partition.',
      ],
      example: 'ALTER TABLE p DETACH PARTITION p_1 CONCURRENTLY',
    }),
    entry('create-partition', 'CREATE TABLE ... PARTITION OF', [{ role: 'parent table', mode: AE }], {
      notes: ['Creating a partition locks the parent ACCESS EXCLUSIVE; CREATE TABLE then ATTACH PARTITION takes only SHARE UPDATE EXCLUSIVE on it (PostgreSQL 12+).'],
      example: 'CREATE TABLE p_2 PARTITION OF p FOR VALUES FROM (20) TO (30)',
    }),

    // ── Triggers ──
    entry('create-trigger', 'CREATE TRIGGER', [table(SRE)], { example: 'CREATE TRIGGER t_audit AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION trg()' }),
    entry('drop-trigger', 'DROP TRIGGER', [table(AE)], { example: 'DROP TRIGGER t_trg ON t' }),
    entry('enable-disable-trigger', 'ENABLE / DISABLE TRIGGER', [table(SRE)], { example: 'ALTER TABLE t DISABLE TRIGGER t_trg' }),

    // ── Table-level ALTER TABLE ──
    entry('set-storage-parameters', 'SET (storage parameters)', [table(SUE)], {
      notes: ['fillfactor, autovacuum_* and the other table storage parameters; they apply to future writes and vacuums.'],
      example: 'ALTER TABLE t SET (fillfactor = 70, autovacuum_enabled = false)',
    }),
    entry('rename', 'ALTER TABLE ... RENAME', [table(AE)], { notes: ['Catalog only, but running queries and code that use the old name break.'], example: 'ALTER TABLE t RENAME COLUMN a TO a2' }),
    entry('rename-index', 'ALTER INDEX ... RENAME', [index(SUE)], { olderVersions: [{ before: 12, locks: [index(AE)] }], notes: ['PostgreSQL 12+: SHARE UPDATE EXCLUSIVE; ACCESS EXCLUSIVE before.'], example: 'ALTER INDEX t_b_idx RENAME TO t_b_index' }),
    entry('set-tablespace', 'SET TABLESPACE', [table(AE)], { rewrite: true, scan: false, notes: ['Copies every file of the table to the new tablespace under the lock.'], example: 'ALTER TABLE t SET TABLESPACE zdm_lock_test' }),
    entry('set-logged', 'SET LOGGED / UNLOGGED', [table(AE)], { rewrite: true, example: 'ALTER TABLE t SET UNLOGGED' }),
    entry('cluster-on', 'CLUSTER ON / SET WITHOUT CLUSTER', [table(SUE), index(SUE)], { notes: ['Only marks the index; CLUSTER itself is what rewrites.'], example: 'ALTER TABLE t CLUSTER ON t_b_idx' }),
    entry('alter-table', 'ALTER TABLE', [table(AE)], {
      notes: ['REPLICA IDENTITY, ROW LEVEL SECURITY, OWNER, INHERIT, identity and storage changes: catalog only, the lock is brief once granted.'],
      example: 'ALTER TABLE t REPLICA IDENTITY FULL',
    }),

    // ── Whole-table operations ──
    entry('refresh-materialized-view', 'REFRESH MATERIALIZED VIEW', [{ role: 'materialized view', mode: AE }], { alternative: 'REFRESH MATERIALIZED VIEW CONCURRENTLY', 
      rewrite: true,
      notes: ['Reads of the view wait for the whole refresh. REFRESH ... CONCURRENTLY takes EXCLUSIVE instead (reads continue) but needs a unique index on the view.'],
      example: 'REFRESH MATERIALIZED VIEW mv',
    }),
    entry('refresh-materialized-view-concurrently', 'REFRESH MATERIALIZED VIEW CONCURRENTLY', [{ role: 'materialized view', mode: 'EXCLUSIVE' }], {
      scan: true,
      notes: ['Reads of the view continue; another refresh waits. Needs a unique index on the view, and the view must already be populated.'],
      example: 'REFRESH MATERIALIZED VIEW CONCURRENTLY mv',
    }),
    entry('vacuum', 'VACUUM', [table(SUE)], {
      nonTransactional: true,
      notes: ['Reads and writes continue.'],
      example: 'VACUUM t',
    }),
    entry('vacuum-full', 'VACUUM FULL', [table(AE)], { alternative: 'pg_repack, or REPACK (CONCURRENTLY) on PostgreSQL 19+', 
      rewrite: true,
      nonTransactional: true,
      notes: ['Copies the whole table and rebuilds every index; pg_repack (or REPACK (CONCURRENTLY) on PostgreSQL 19+) does it while traffic continues.'],
      example: 'VACUUM FULL t',
    }),
    entry('analyze', 'ANALYZE', [table(SUE)], { notes: ['Reads a sample; reads and writes continue.'], example: 'ANALYZE t' }),
    entry('cluster', 'CLUSTER', [table(AE)], { alternative: 'pg_repack, or REPACK (CONCURRENTLY) on PostgreSQL 19+', 
      rewrite: true,
      notes: ['Copies the whole table in index order and rebuilds every index; pg_repack (or REPACK (CONCURRENTLY) on PostgreSQL 19+) does it while traffic continues.'],
      example: 'CLUSTER t USING t_b_idx',
    }),
    entry('truncate', 'TRUNCATE', [table(AE)], { rewrite: true, notes: ['Replaces the table with an empty one.'], example: 'TRUNCATE t' }),
    entry('drop-table', 'DROP TABLE', [table(AE)], { notes: ['Also takes ACCESS EXCLUSIVE on the tables its foreign keys reference.'], example: 'DROP TABLE t' }),
    entry('drop-view', 'DROP VIEW', [{ role: 'view', mode: AE }], { example: 'DROP VIEW v' }),
    entry('drop-materialized-view', 'DROP MATERIALIZED VIEW', [{ role: 'materialized view', mode: AE }], { example: 'DROP MATERIALIZED VIEW mv' }),
    entry('create-or-replace-view', 'CREATE OR REPLACE VIEW', [{ role: 'view', mode: AE }], { notes: ['When the view exists: queries on it wait while it is replaced.'], example: 'CREATE OR REPLACE VIEW v AS SELECT id FROM r' }),
    entry('create-table-references', 'CREATE TABLE ... REFERENCES', [referenced(SRE)], {
      notes: ['The referenced table gets triggers: writes to it wait while the new table is created.'],
      example: 'CREATE TABLE x (id int PRIMARY KEY, r_id int REFERENCES r (id))',
    }),
    entry('comment', 'COMMENT ON', [table(SUE)], { example: "COMMENT ON COLUMN t.a IS 'the a'" }),
    entry('alter-type-add-value', 'ALTER TYPE ... ADD VALUE', [{ role: 'type', mode: 'EXCLUSIVE' }], {
      olderVersions: [{ before: 12, nonTransactional: true }],
      notes: ['Locks the type only; no table is locked or rewritten.', 'Before PostgreSQL 12 it cannot run inside a transaction block; on 12+ the new value cannot be used until the transaction commits.'],
      example: "ALTER TYPE mood ADD VALUE 'happy'",
    }),

    // ── Explicit locks and data ──
    ...LOCK_MODES.map((mode) =>
      entry(`lock-table-${mode.toLowerCase().replace(/ /g, '-')}`, `LOCK TABLE ... IN ${mode} MODE`, [table(mode)], { notes: ['Held until the transaction ends.'], example: `LOCK TABLE t IN ${mode} MODE` }),
    ),
    entry('insert', 'INSERT', [table('ROW EXCLUSIVE')], { notes: ['Conflicts only with locks that block writes.'], example: 'INSERT INTO t (id, a) VALUES (9, 9)' }),
    entry('update', 'UPDATE', [table('ROW EXCLUSIVE')], { notes: ['Each changed row stays locked until the transaction ends; reads as much of the table as its WHERE clause needs.'], example: 'UPDATE t SET a = a + 1 WHERE id = 1' }),
    entry('delete', 'DELETE', [table('ROW EXCLUSIVE')], { notes: ['Each deleted row stays locked until the transaction ends; reads as much of the table as its WHERE clause needs.'], example: 'DELETE FROM t WHERE id = 1' }),
  ].map((f) => [f.id, f]),
);

/** The entry as it reads for a target version (older versions override some fields). */
export function lockFact(id: string, pgVersion = DEFAULT_PG_VERSION): LockFact | undefined {
  const fact = LOCK_FACTS[id];
  if (!fact?.olderVersions) return fact;
  let out: LockFact = fact;
  // Apply the overrides of every boundary above the target, newest first, so the oldest one wins.
  for (const older of [...fact.olderVersions].sort((a, b) => b.before - a.before)) {
    if (pgVersion >= older.before) continue;
    const { before: _before, ...changes } = older;
    out = { ...out, ...changes };
  }
  return out;
}

export interface StatementLocks {
  facts: LockFact[];
  taken: LockTaken[];
}

/** What the caller knows beyond the statement itself (context.ts `schemaFactsOf(...).lockKnowledge`). */
export interface LockKnowledge {
  /** The column's type before this statement, when the file shows it (for ALTER COLUMN ... TYPE). */
  columnTypeBefore?(table: RelationRef, column: string): TypeInfo | undefined;
  /** The kind of a constraint the statement names (VALIDATE / DROP CONSTRAINT), when the file shows it. */
  constraint?(table: RelationRef, name: string): { kind: string; referenced?: RelationRef } | undefined;
  /** The migration set the session TimeZone to UTC before this statement. */
  sessionTimeZoneUtc?(): boolean;
  /** A CHECK constraint validated before this statement proves `column IS NOT NULL` (SET NOT NULL then skips its scan, PostgreSQL 12+). */
  notNullProvenByCheck?(table: RelationRef, column: string): boolean;
}

/**
 * The operations a statement performs and the locks they take on named objects, for a target
 * PostgreSQL version. Statements the table does not know give an empty list: the hover says nothing
 * rather than guess.
 */
export function locksOf(statement: Statement, pgVersion = DEFAULT_PG_VERSION, knowledge: LockKnowledge = {}): StatementLocks {
  const out: StatementLocks = { facts: [], taken: [] };
  const add = (factId: string, objects: Partial<Record<ObjectRole, RelationRef | undefined>>, override?: Partial<LockFact>) => {
    const base = lockFact(factId, pgVersion);
    if (!base) return;
    // What the file shows can make one statement cheaper than the entry says (a validated CHECK spares SET NOT NULL its scan).
    const fact = override ? { ...base, ...override, notes: [...(override.notes ?? []), ...(base.notes ?? [])] } : base;
    if (!out.facts.includes(fact)) out.facts.push(fact);
    // Indexed loops (not a loop over a spread of both lists): without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < fact.locks.length; i++) {
      const l = fact.locks[i];
      out.taken.push({ role: l.role, object: objects[l.role], mode: l.mode, fact: fact.id });
    }
    const later = fact.laterLocks ?? [];
    for (let i = 0; i < later.length; i++) {
      const l = later[i];
      out.taken.push({ role: l.role, object: objects[l.role], mode: l.mode, fact: fact.id });
    }
  };
  const node = statement.node;
  if (!node) return out;
  const kind = Object.keys(node)[0];
  const body = node[kind];
  switch (kind) {
    case 'IndexStmt':
      // ON ONLY a partitioned table builds nothing: an invalid index on the parent alone (the first step
      // of indexing a partitioned table). On a plain table ONLY changes nothing.
      add(
        body.concurrent ? 'create-index-concurrently' : 'create-index',
        { table: relationOf(body.relation) },
        body.relation && body.relation.inh !== true ? { scanUnless: 'the table is partitioned: ON ONLY then builds nothing, and the index on the parent stays invalid until an index of each partition is attached (ALTER INDEX ... ATTACH PARTITION)' } : undefined,
      );
      break;
    case 'DropStmt':
      for (const object of droppedObjects(body)) {
        if (body.removeType === 'OBJECT_INDEX') add(body.concurrent ? 'drop-index-concurrently' : 'drop-index', { index: object });
        else if (body.removeType === 'OBJECT_TABLE') add('drop-table', { table: object });
        else if (body.removeType === 'OBJECT_VIEW') add('drop-view', { view: object });
        else if (body.removeType === 'OBJECT_MATVIEW') add('drop-materialized-view', { 'materialized view': object });
      }
      if (body.removeType === 'OBJECT_TRIGGER') {
        for (const o of body.objects ?? []) add('drop-trigger', { table: relationFromNames((o.List?.items ?? []).slice(0, -1)) });
      }
      break;
    case 'AlterTableStmt':
      alterTableLocks(body, add, knowledge, pgVersion);
      break;
    case 'RenameStmt':
      if (['OBJECT_TABLE', 'OBJECT_COLUMN', 'OBJECT_TABCONSTRAINT'].includes(body.renameType) && (body.renameType !== 'OBJECT_COLUMN' || (body.relationType ?? 'OBJECT_TABLE') === 'OBJECT_TABLE')) add('rename', { table: relationOf(body.relation) });
      else if (body.renameType === 'OBJECT_INDEX') add('rename-index', { index: relationOf(body.relation) });
      break;
    case 'CreateTrigStmt':
      add('create-trigger', { table: relationOf(body.relation) });
      break;
    case 'ReindexStmt': {
      const concurrent = (body.params ?? []).some((p: any) => p.DefElem?.defname === 'concurrently');
      const target = relationOf(body.relation);
      if (body.kind === 'REINDEX_OBJECT_INDEX') add(concurrent ? 'reindex-concurrently' : 'reindex-index', { index: target });
      else if (body.kind === 'REINDEX_OBJECT_TABLE') add(concurrent ? 'reindex-concurrently' : 'reindex-table', { table: target });
      else add(concurrent ? 'reindex-concurrently' : 'reindex-schema', {});
      break;
    }
    case 'RefreshMatViewStmt':
      add(body.concurrent ? 'refresh-materialized-view-concurrently' : 'refresh-materialized-view', { 'materialized view': relationOf(body.relation) });
      break;
    case 'VacuumStmt': {
      const full = (body.options ?? []).some((o: any) => o.DefElem?.defname === 'full' && optionIsOn(o.DefElem.arg));
      const id = body.is_vacuumcmd ? (full ? 'vacuum-full' : 'vacuum') : 'analyze';
      for (const r of body.rels ?? []) add(id, { table: relationOf(r.VacuumRelation?.relation) });
      break;
    }
    case 'ClusterStmt':
      if (body.relation) add('cluster', { table: relationOf(body.relation) });
      break;
    case 'TruncateStmt':
      for (const r of body.relations ?? []) add('truncate', { table: relationOf(r.RangeVar) });
      break;
    case 'LockStmt': {
      const mode = LOCK_MODES[(body.mode ?? 8) - 1] ?? 'ACCESS EXCLUSIVE';
      for (const r of body.relations ?? []) add(`lock-table-${mode.toLowerCase().replace(/ /g, '-')}`, { table: relationOf(r.RangeVar) });
      break;
    }
    case 'CommentStmt':
      if (body.objtype === 'OBJECT_TABLE') add('comment', { table: relationFromNames(body.object?.List?.items) });
      else if (body.objtype === 'OBJECT_COLUMN') add('comment', { table: relationFromNames((body.object?.List?.items ?? []).slice(0, -1)) });
      break;
    case 'ViewStmt':
      if (body.replace) add('create-or-replace-view', { view: relationOf(body.view) });
      break;
    case 'CreateStmt': {
      const parent = body.partbound ? relationOf(body.inhRelations?.[0]?.RangeVar) : undefined;
      if (parent) add('create-partition', { 'parent table': parent });
      const seen: RelationRef[] = [];
      const references = (con: any) => {
        const target = relationOf(con?.pktable);
        if (target && !seen.some((s) => s.display === target.display)) {
          seen.push(target);
          add('create-table-references', { 'referenced table': target });
        }
      };
      for (const e of body.tableElts ?? []) {
        if (e.Constraint?.contype === 'CONSTR_FOREIGN') references(e.Constraint);
        for (const c of e.ColumnDef?.constraints ?? []) if (c.Constraint?.contype === 'CONSTR_FOREIGN') references(c.Constraint);
      }
      break;
    }
    case 'AlterEnumStmt':
      if (body.newVal !== undefined && body.oldVal === undefined) add('alter-type-add-value', {});
      break;
    case 'InsertStmt':
      add('insert', { table: relationOf(body.relation) });
      break;
    case 'UpdateStmt':
      add('update', { table: relationOf(body.relation) });
      break;
    case 'DeleteStmt':
      add('delete', { table: relationOf(body.relation) });
      break;
  }
  return out;
}

/** A utility option's value (`VACUUM (FULL)`, `(FULL false)`, `(FULL 0)`): on unless written off. */
function optionIsOn(arg: any): boolean {
  if (arg === undefined) return true;
  const text = stringOf(arg) ?? (arg.Integer ? String(arg.Integer.ival ?? 0) : arg.Boolean ? String(arg.Boolean.boolval ?? false) : undefined);
  return text === undefined || !['false', 'off', '0', 'no'].includes(text.toLowerCase());
}

/** ALTER TABLE subcommands whose lock is ACCESS EXCLUSIVE with no scan or rewrite. */
const CATALOG_ONLY_ACCESS_EXCLUSIVE = new Set([
  'AT_ReplicaIdentity',
  'AT_EnableRowSecurity',
  'AT_DisableRowSecurity',
  'AT_ForceRowSecurity',
  'AT_NoForceRowSecurity',
  'AT_ChangeOwner',
  'AT_AddInherit',
  'AT_DropInherit',
  'AT_AddOf',
  'AT_DropOf',
  'AT_SetStorage',
  'AT_SetCompression',
  'AT_DropIdentity',
  'AT_SetIdentity',
  'AT_AlterConstraint',
  'AT_EnableRule',
  'AT_EnableAlwaysRule',
  'AT_EnableReplicaRule',
  'AT_DisableRule',
]);

/** Storage parameters that ALTER TABLE ... SET (...) changes under SHARE UPDATE EXCLUSIVE. */
const SHARE_UPDATE_EXCLUSIVE_PARAMETERS = new Set([
  'fillfactor',
  'parallel_workers',
  'toast_tuple_target',
  'vacuum_index_cleanup',
  'vacuum_truncate',
  'log_autovacuum_min_duration',
  'vacuum_max_eager_freeze_failure_rate',
]);

function isShareUpdateExclusiveParameter(name: string): boolean {
  const bare = name.startsWith('toast.') ? name.slice('toast.'.length) : name;
  return SHARE_UPDATE_EXCLUSIVE_PARAMETERS.has(bare) || bare.startsWith('autovacuum_');
}

/** SET NOT NULL after a validated CHECK (col IS NOT NULL): PostgreSQL 12+ uses the check instead of reading the table. */
const PROVEN_NOT_NULL: Partial<LockFact> = { scan: false, notes: ['A CHECK constraint validated earlier proves the column has no NULL: the table is not scanned (PostgreSQL 12+); the lock is brief.'] };

function alterTableLocks(
  body: any,
  add: (factId: string, objects: Partial<Record<ObjectRole, RelationRef | undefined>>, override?: Partial<LockFact>) => void,
  knowledge: LockKnowledge,
  pgVersion: number,
): void {
  const objtype = body.objtype ?? 'OBJECT_TABLE';
  const target = relationOf(body.relation);
  if (objtype !== 'OBJECT_TABLE') return;
  const t = { table: target };
  const cmds = body.cmds ?? [];
  for (let i = 0; i < cmds.length; i++) {
    const cmd = cmds[i].AlterTableCmd;
    if (!cmd) continue;
    switch (cmd.subtype) {
      case 'AT_AddColumn': {
        const shape = columnShape(cmd.def?.ColumnDef);
        if (shape.serial || shape.identity) add('add-column-serial', t);
        else if (shape.generatedStored) add('add-column-generated-stored', t);
        else if (shape.defaultExpr !== undefined) add(defaultIsVolatile(shape.defaultExpr) ? 'add-column-volatile-default' : 'add-column-default', t);
        else if (shape.notNull && shape.primaryKey.length === 0) add('add-column-not-null', t);
        else if (shape.references.length > 0) {
          for (const r of shape.references) add('add-column-references', { ...t, 'referenced table': relationOf(r.pktable) });
        } else add('add-column', t);
        if (shape.defaultExpr !== undefined || shape.serial || shape.identity || shape.generatedStored) {
          for (const r of shape.references) add('add-foreign-key', { ...t, 'referenced table': relationOf(r.pktable) });
        }
        if (shape.unique.length > 0) add('add-unique', t);
        if (shape.primaryKey.length > 0) add('add-primary-key', t);
        if (shape.checks.length > 0) add('add-check', t);
        break;
      }
      case 'AT_DropColumn':
        add('drop-column', t);
        break;
      case 'AT_ColumnDefault':
        add('set-default', t);
        break;
      case 'AT_SetNotNull':
        add('set-not-null', t, pgVersion >= 12 && target && cmd.name && knowledge.notNullProvenByCheck?.(target, cmd.name) ? PROVEN_NOT_NULL : undefined);
        break;
      case 'AT_DropNotNull':
        add('drop-not-null', t);
        break;
      case 'AT_AlterColumnType': {
        const to = typeNameOf(cmd.def?.ColumnDef?.typeName);
        if (!to) break;
        const from = target && cmd.name ? knowledge.columnTypeBefore?.(target, cmd.name) : undefined;
        const change = typeChange(from, to, { using: cmd.def?.ColumnDef?.raw_default, column: cmd.name, pgVersion, sessionTimeZoneUtc: knowledge.sessionTimeZoneUtc?.() });
        add(change.rewrite === 'yes' ? 'alter-column-type' : change.rewrite === 'no' ? 'alter-column-type-binary-compatible' : 'alter-column-type-unknown', t);
        break;
      }
      case 'AT_SetStatistics':
        add('set-statistics', t);
        break;
      case 'AT_SetOptions':
      case 'AT_ResetOptions':
        add('set-column-options', t);
        break;
      case 'AT_AddConstraint': {
        const con = cmd.def?.Constraint;
        switch (con?.contype) {
          case 'CONSTR_CHECK':
            add(con.skip_validation ? 'add-check-not-valid' : 'add-check', t);
            break;
          case 'CONSTR_FOREIGN':
            add(con.skip_validation ? 'add-foreign-key-not-valid' : 'add-foreign-key', { ...t, 'referenced table': relationOf(con.pktable) });
            break;
          case 'CONSTR_UNIQUE':
            add(con.indexname ? 'add-unique-using-index' : 'add-unique', t);
            break;
          case 'CONSTR_PRIMARY':
            add(con.indexname ? 'add-primary-key-using-index' : 'add-primary-key', t);
            break;
          case 'CONSTR_EXCLUSION':
            add('add-exclusion', t);
            break;
          case 'CONSTR_NOTNULL': {
            const column = (con.keys ?? []).map((k: any) => k.String?.sval).find(Boolean);
            const proven = pgVersion >= 12 && target && column && knowledge.notNullProvenByCheck?.(target, column);
            add(con.skip_validation ? 'add-check-not-valid' : 'set-not-null', t, !con.skip_validation && proven ? PROVEN_NOT_NULL : undefined);
            break;
          }
        }
        break;
      }
      case 'AT_ValidateConstraint':
      case 'AT_DropConstraint': {
        const known = target && cmd.name ? knowledge.constraint?.(target, cmd.name) : undefined;
        const validate = cmd.subtype === 'AT_ValidateConstraint';
        if (known?.kind === 'foreign key') add(validate ? 'validate-foreign-key' : 'drop-foreign-key', { ...t, 'referenced table': known.referenced });
        else add(validate ? 'validate-constraint' : 'drop-constraint', t);
        break;
      }
      case 'AT_AttachPartition':
        add('attach-partition', { 'parent table': target, partition: relationOf(cmd.def?.PartitionCmd?.name) });
        break;
      case 'AT_DetachPartition':
        add(cmd.def?.PartitionCmd?.concurrent ? 'detach-partition-concurrently' : 'detach-partition', { 'parent table': target, partition: relationOf(cmd.def?.PartitionCmd?.name) });
        break;
      case 'AT_EnableTrig':
      case 'AT_EnableAlwaysTrig':
      case 'AT_EnableReplicaTrig':
      case 'AT_EnableTrigAll':
      case 'AT_EnableTrigUser':
      case 'AT_DisableTrig':
      case 'AT_DisableTrigAll':
      case 'AT_DisableTrigUser':
        add('enable-disable-trigger', t);
        break;
      case 'AT_SetRelOptions':
      case 'AT_ResetRelOptions': {
        const names = (cmd.def?.List?.items ?? []).map((d: any) => [d.DefElem?.defnamespace, d.DefElem?.defname].filter(Boolean).join('.'));
        if (names.length > 0 && names.every(isShareUpdateExclusiveParameter)) add('set-storage-parameters', t);
        break;
      }
      case 'AT_SetTableSpace':
        add('set-tablespace', t);
        break;
      case 'AT_SetLogged':
      case 'AT_SetUnLogged':
        add('set-logged', t);
        break;
      case 'AT_ClusterOn':
      case 'AT_DropCluster':
        add('cluster-on', { ...t, index: cmd.name ? { name: cmd.name, display: cmd.name, schema: target?.schema } : undefined });
        break;
      default:
        if (CATALOG_ONLY_ACCESS_EXCLUSIVE.has(cmd.subtype)) add('alter-table', t);
    }
  }
}

/**
 * A default zdm cannot prove non-volatile counts as volatile: user functions are VOLATILE unless
 * declared otherwise, and PostgreSQL rewrites the table for them.
 */
function defaultIsVolatile(expr: any): boolean {
  const v = volatilityOf(expr);
  return v === 'volatile' || v === 'unknown';
}

/** The non-blocking alternative of an operation on a target version, if it has one there. */
export function alternativeOn(fact: LockFact, pgVersion: number): string | undefined {
  if (!fact.alternative || (fact.alternativeSince !== undefined && pgVersion < fact.alternativeSince)) return undefined;
  return fact.alternative;
}

/** The strongest lock mode in a list. */
export function strongest(modes: LockMode[]): LockMode | undefined {
  let best = -1;
  for (const m of modes) best = Math.max(best, LOCK_MODES.indexOf(m));
  return best === -1 ? undefined : LOCK_MODES[best];
}

/** The strongest lock the statement takes on each object it names, in order of appearance. */
export function locksByObject(locks: StatementLocks): { role: ObjectRole; object?: RelationRef; mode: LockMode; facts: string[] }[] {
  const out: { role: ObjectRole; object?: RelationRef; mode: LockMode; facts: string[] }[] = [];
  for (const t of locks.taken) {
    const key = (t.object?.display ?? '') + '\u0000' + t.role;
    const existing = out.find((o) => (o.object?.display ?? '') + '\u0000' + o.role === key);
    if (existing) {
      existing.mode = strongest([existing.mode, t.mode])!;
      if (!existing.facts.includes(t.fact)) existing.facts.push(t.fact);
    } else out.push({ role: t.role, object: t.object, mode: t.mode, facts: [t.fact] });
  }
  return out;
}
