// Lock knowledge, in one table. For each operation a statement can perform: the lock mode it takes on
// each object it touches, whether it rewrites or scans the table, and the versions where that changes.
// Rules and hover both read it; test/locks checks it against pg_locks on a real server.

import type { Statement } from './model';
import { bodyOf, droppedObjects, relationOf, type RelationRef } from './sql/ast';

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

/** pg_locks spells modes as `ShareLock`, `AccessExclusiveLock`, ... */
export function pgLocksName(mode: LockMode): string {
  return mode
    .toLowerCase()
    .split(' ')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('') + 'Lock';
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

/** What ordinary traffic a lock mode blocks while held (or while queued). */
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

export type ObjectRole = 'table' | 'index' | 'referenced table' | 'partition' | 'parent table' | 'view' | 'materialized view' | 'sequence';

export interface LockTaken {
  role: ObjectRole;
  /** The object, as written in the statement (when it names one). */
  object?: RelationRef;
  mode: LockMode;
}

export interface LockFact {
  /** Stable id of the operation, e.g. 'create-index'. */
  id: string;
  /** How the docs and hover name it. */
  label: string;
  locks: { role: ObjectRole; mode: LockMode }[];
  /** The table (and its indexes) is rewritten under the lock. */
  rewrite: boolean;
  /** The whole table is read under the lock (validation, index build). */
  scan: boolean;
  /** Version notes shown on hover. */
  notes?: string[];
  /** SQL to reproduce it against a table `t(id int primary key, a int, b text)` (and `r` to reference); checked against pg_locks in tests. */
  example?: string;
}

/** The table: one entry per operation. */
export const LOCK_FACTS: Record<string, LockFact> = {
  'create-index': { id: 'create-index', label: 'CREATE INDEX', locks: [{ role: 'table', mode: 'SHARE' }], rewrite: false, scan: true, example: 'CREATE INDEX t_a_idx ON t (a)' },
  'create-index-concurrently': {
    id: 'create-index-concurrently',
    label: 'CREATE INDEX CONCURRENTLY',
    locks: [{ role: 'table', mode: 'SHARE UPDATE EXCLUSIVE' }],
    rewrite: false,
    scan: true,
    notes: ['Scans the table twice and waits for older transactions, but lets reads and writes through.'],
  },
  'drop-index': { id: 'drop-index', label: 'DROP INDEX', locks: [{ role: 'table', mode: 'ACCESS EXCLUSIVE' }, { role: 'index', mode: 'ACCESS EXCLUSIVE' }], rewrite: false, scan: false, example: 'DROP INDEX t_b_idx' },
  'drop-index-concurrently': {
    id: 'drop-index-concurrently',
    label: 'DROP INDEX CONCURRENTLY',
    locks: [{ role: 'table', mode: 'SHARE UPDATE EXCLUSIVE' }, { role: 'index', mode: 'ACCESS EXCLUSIVE' }],
    rewrite: false,
    scan: false,
  },
  'add-constraint-check': { id: 'add-constraint-check', label: 'ADD CONSTRAINT ... CHECK', locks: [{ role: 'table', mode: 'ACCESS EXCLUSIVE' }], rewrite: false, scan: true, example: 'ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0)' },
  'add-constraint-check-not-valid': {
    id: 'add-constraint-check-not-valid',
    label: 'ADD CONSTRAINT ... CHECK ... NOT VALID',
    locks: [{ role: 'table', mode: 'ACCESS EXCLUSIVE' }],
    rewrite: false,
    scan: false,
    notes: ['The lock is brief: existing rows are not checked.'],
    example: 'ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID',
  },
  'add-foreign-key': {
    id: 'add-foreign-key',
    label: 'ADD FOREIGN KEY',
    locks: [{ role: 'table', mode: 'SHARE ROW EXCLUSIVE' }, { role: 'referenced table', mode: 'SHARE ROW EXCLUSIVE' }],
    rewrite: false,
    scan: true,
    example: 'ALTER TABLE t ADD CONSTRAINT t_a_fkey FOREIGN KEY (a) REFERENCES r (id)',
  },
  'add-foreign-key-not-valid': {
    id: 'add-foreign-key-not-valid',
    label: 'ADD FOREIGN KEY ... NOT VALID',
    locks: [{ role: 'table', mode: 'SHARE ROW EXCLUSIVE' }, { role: 'referenced table', mode: 'SHARE ROW EXCLUSIVE' }],
    rewrite: false,
    scan: false,
    notes: ['The lock is brief: existing rows are not checked.'],
    example: 'ALTER TABLE t ADD CONSTRAINT t_a_fkey FOREIGN KEY (a) REFERENCES r (id) NOT VALID',
  },
  'validate-constraint': {
    id: 'validate-constraint',
    label: 'VALIDATE CONSTRAINT',
    locks: [{ role: 'table', mode: 'SHARE UPDATE EXCLUSIVE' }],
    rewrite: false,
    scan: true,
    notes: ['Reads and writes continue while it scans. A foreign key also takes ROW SHARE on the referenced table.'],
  },
  'alter-table': { id: 'alter-table', label: 'ALTER TABLE', locks: [{ role: 'table', mode: 'ACCESS EXCLUSIVE' }], rewrite: false, scan: false, example: 'ALTER TABLE t ALTER COLUMN b SET DEFAULT \'x\'' },
  'create-trigger': { id: 'create-trigger', label: 'CREATE TRIGGER', locks: [{ role: 'table', mode: 'SHARE ROW EXCLUSIVE' }], rewrite: false, scan: false },
  'lock-table': { id: 'lock-table', label: 'LOCK TABLE', locks: [{ role: 'table', mode: 'ACCESS EXCLUSIVE' }], rewrite: false, scan: false },
  'dml-write': { id: 'dml-write', label: 'INSERT / UPDATE / DELETE', locks: [{ role: 'table', mode: 'ROW EXCLUSIVE' }], rewrite: false, scan: false, example: 'UPDATE t SET a = 1' },
  truncate: { id: 'truncate', label: 'TRUNCATE', locks: [{ role: 'table', mode: 'ACCESS EXCLUSIVE' }], rewrite: true, scan: false, example: 'TRUNCATE t' },
  'drop-table': { id: 'drop-table', label: 'DROP TABLE', locks: [{ role: 'table', mode: 'ACCESS EXCLUSIVE' }], rewrite: false, scan: false },
};

export interface StatementLocks {
  facts: LockFact[];
  taken: LockTaken[];
}

/**
 * The operations a statement performs and the locks they take on named objects. Unknown statements
 * give an empty list: the hover says nothing rather than guess.
 */
export function locksOf(statement: Statement): StatementLocks {
  const out: StatementLocks = { facts: [], taken: [] };
  const add = (factId: string, objects: Partial<Record<ObjectRole, RelationRef | undefined>>) => {
    const fact = LOCK_FACTS[factId];
    if (!fact) return;
    out.facts.push(fact);
    for (const l of fact.locks) out.taken.push({ role: l.role, object: objects[l.role], mode: l.mode });
  };
  const node = statement.node;
  const index = bodyOf(node, 'IndexStmt');
  if (index) add(index.concurrent ? 'create-index-concurrently' : 'create-index', { table: relationOf(index.relation) });
  const drop = bodyOf(node, 'DropStmt');
  if (drop?.removeType === 'OBJECT_INDEX') for (const index of droppedObjects(drop)) add(drop.concurrent ? 'drop-index-concurrently' : 'drop-index', { index });
  if (drop?.removeType === 'OBJECT_TABLE') for (const table of droppedObjects(drop)) add('drop-table', { table });
  const alter = bodyOf(node, 'AlterTableStmt');
  if (alter && (alter.objtype === 'OBJECT_TABLE' || alter.objtype === undefined)) {
    const table = relationOf(alter.relation);
    for (const c of alter.cmds ?? []) {
      const cmd = c.AlterTableCmd;
      const constraint = cmd?.def?.Constraint;
      if (cmd?.subtype === 'AT_AddConstraint' && constraint?.contype === 'CONSTR_CHECK') add(constraint.skip_validation ? 'add-constraint-check-not-valid' : 'add-constraint-check', { table });
      else if (cmd?.subtype === 'AT_AddConstraint' && constraint?.contype === 'CONSTR_FOREIGN') add(constraint.skip_validation ? 'add-foreign-key-not-valid' : 'add-foreign-key', { table, 'referenced table': relationOf(constraint.pktable) });
      else if (cmd?.subtype === 'AT_ValidateConstraint') add('validate-constraint', { table });
      else add('alter-table', { table });
    }
  }
  const rename = bodyOf(node, 'RenameStmt');
  if (rename && ['OBJECT_TABLE', 'OBJECT_COLUMN', 'OBJECT_TABCONSTRAINT'].includes(rename.renameType)) add('alter-table', { table: relationOf(rename.relation) });
  const trigger = bodyOf(node, 'CreateTrigStmt');
  if (trigger) add('create-trigger', { table: relationOf(trigger.relation) });
  for (const kind of ['UpdateStmt', 'DeleteStmt', 'InsertStmt']) {
    const dml = bodyOf(node, kind);
    if (dml) add('dml-write', { table: relationOf(dml.relation) });
  }
  const truncate = bodyOf(node, 'TruncateStmt');
  if (truncate) for (const r of truncate.relations ?? []) add('truncate', { table: relationOf(r.RangeVar) });
  return out;
}

/** The strongest lock mode in a list. */
export function strongest(modes: LockMode[]): LockMode | undefined {
  let best = -1;
  for (const m of modes) best = Math.max(best, LOCK_MODES.indexOf(m));
  return best === -1 ? undefined : LOCK_MODES[best];
}
