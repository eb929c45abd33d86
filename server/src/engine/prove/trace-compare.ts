// The lock trace against the lock table (locks.ts, the data hover shows): for one statement, the locks
// the table claims (`locksOf`) and the locks pg_locks showed, classified as
//   - confirmed:   claimed, and the trace shows the same mode on that object;
//   - static only: claimed, but the trace shows no lock, or another mode, on that object;
//   - trace only:  seen in the trace, not claimed.
// A "static only" lock, or a "trace only" lock that matters (stronger than ACCESS SHARE on an object
// that existed before the statement, and not an index of a table the statement locks anyway), is a
// mismatch: a bug report against the lock table. The rest of "trace only" is explained in `note`.
// Pure: no database here.

import { blockingOn, conflicts, locksByObject, strongest, type LockMode, type ObjectRole, type StatementLocks } from '../locks';

/** A lock pg_locks showed for the traced statement (the strongest mode on the object). */
export interface ObservedLock {
  /** Schema-qualified name, or `type schema.name` for a type. */
  schema: string;
  name: string;
  /** pg_class.relkind ('r', 'p', 'i', 'S', 'v', 'm', 't', ...), or 'type'. */
  kind: string;
  mode: LockMode;
  /** Every mode held or requested on the object. */
  modes: LockMode[];
  /** False when the statement was still waiting for it when observed. */
  granted: boolean;
  /** The object did not exist before the statement (it created it): no other session can see it yet. */
  created: boolean;
  /** For an index or a TOAST table: its table. */
  table?: { schema: string; name: string };
}

export type Classification = 'confirmed' | 'static only' | 'trace only';

export interface ClassifiedObserved extends ObservedLock {
  classification: Classification;
  /** The mode the lock table claims on this object, when it claims another one. */
  staticMode?: LockMode;
  /** A trace-only lock that is not a mismatch, and why. */
  note?: string;
  /** True when this lock is a mismatch against the lock table. */
  mismatch: boolean;
}

export interface ClassifiedStatic {
  role: ObjectRole;
  /** The object as the statement names it, when it does. */
  object?: string;
  mode: LockMode;
  /** LOCK_FACTS ids. */
  facts: string[];
  classification: Classification;
  /** The mode the trace showed on the object, when it showed another one. */
  observedMode?: LockMode;
  /** The relation it was matched with. */
  matched?: string;
  mismatch: boolean;
}

export interface LockMismatch {
  /** 'static only': the table claims a lock the trace did not show; 'trace only': the reverse; 'differs': both, with different modes. */
  kind: 'static only' | 'trace only' | 'differs';
  object: string;
  role?: ObjectRole;
  staticMode?: LockMode;
  observedMode?: LockMode;
  facts: string[];
  message: string;
}

export interface LockComparison {
  observed: ClassifiedObserved[];
  static: ClassifiedStatic[];
  mismatches: LockMismatch[];
  /** False when the lock table has no entry for the statement (its kind is not one the table describes). */
  covered: boolean;
}

/** Statement kinds whose locks the lock table describes: a lock it does not list for them is a gap. */
const COVERED_KINDS = new Set([
  'AlterTableStmt',
  'IndexStmt',
  'DropStmt',
  'RenameStmt',
  'CreateTrigStmt',
  'ReindexStmt',
  'VacuumStmt',
  'ClusterStmt',
  'TruncateStmt',
  'LockStmt',
  'CommentStmt',
  'ViewStmt',
  'AlterEnumStmt',
  'RefreshMatViewStmt',
  'CreateStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
]);

const ROLE_KINDS: Record<ObjectRole, string[]> = {
  table: ['r', 'p', 'f'],
  'referenced table': ['r', 'p', 'f'],
  partition: ['r', 'p', 'f'],
  'parent table': ['p', 'r'],
  view: ['v'],
  'materialized view': ['m'],
  index: ['i', 'I'],
  sequence: ['S'],
  type: ['type'],
};

/** Compares the lock table's claims for a statement with what the trace observed. */
export function compareLocks(statementKind: string, claimed: StatementLocks, observed: readonly ObservedLock[]): LockComparison {
  const byObject = locksByObject(claimed);
  const covered = claimed.facts.length > 0 || COVERED_KINDS.has(statementKind);
  const matchedObserved = new Map<ObservedLock, ClassifiedStatic>();
  const statics: ClassifiedStatic[] = [];
  const qualified = (o: ObservedLock) => `${o.schema}.${o.name}`;

  // Named objects first, then unnamed ones (the table of DROP INDEX, the type of ALTER TYPE ... ADD VALUE).
  const ordered = [...byObject.filter((s) => s.object), ...byObject.filter((s) => !s.object)];
  for (const s of ordered) {
    const kinds = ROLE_KINDS[s.role];
    let candidates: ObservedLock[];
    if (s.object) {
      const ref = s.object;
      candidates = observed.filter((o) => kinds.includes(o.kind) && o.name === ref.name && (ref.schema === undefined || ref.schema === o.schema));
      // The object the statement names existed before it: an object it created under the same name
      // (REINDEX CONCURRENTLY swaps the new index's name in) comes after. An unqualified name: prefer
      // public (the usual search_path) when two schemas have it.
      candidates.sort((a, b) => Number(a.created) - Number(b.created) || Number(b.schema === 'public') - Number(a.schema === 'public'));
      candidates = candidates.slice(0, 1);
    } else {
      const free = observed.filter((o) => kinds.includes(o.kind) && !matchedObserved.has(o) && !o.created);
      // The table of a named index (DROP INDEX): the index's own table.
      const namedIndexTables = [...matchedObserved.keys()].filter((o) => o.table).map((o) => `${o.table!.schema}.${o.table!.name}`);
      const preferred = free.filter((o) => namedIndexTables.includes(qualified(o)));
      candidates = preferred.length > 0 ? preferred : free.filter((o) => o.mode === s.mode).length > 0 ? free.filter((o) => o.mode === s.mode) : free.slice(0, 1);
    }
    if (candidates.length === 0) {
      statics.push({ role: s.role, object: s.object?.display, mode: s.mode, facts: s.facts, classification: 'static only', mismatch: true });
      continue;
    }
    for (const o of candidates) {
      const entry: ClassifiedStatic = { role: s.role, object: s.object?.display ?? qualified(o), mode: s.mode, facts: s.facts, classification: 'confirmed', matched: qualified(o), mismatch: false };
      // A lock the table knows is taken on a dead object at the very end (the drop of the old index by REINDEX or DROP INDEX CONCURRENTLY): seen or not, no mismatch.
      const deadObjectModes = claimed.facts.filter((f) => s.facts.includes(f.id)).flatMap((f) => f.deadObjectLocks ?? []).filter((l) => l.role === s.role).map((l) => l.mode);
      if (o.mode !== s.mode && !deadObjectModes.includes(o.mode)) {
        entry.classification = 'static only';
        entry.observedMode = o.mode;
        entry.mismatch = true;
      }
      matchedObserved.set(o, entry);
      statics.push(entry);
    }
  }

  const lockedTables = new Map<string, LockMode>();
  for (const o of observed) if (['r', 'p', 'f', 'm'].includes(o.kind)) lockedTables.set(qualified(o), o.mode);

  const classified: ClassifiedObserved[] = observed.map((o) => {
    const matched = matchedObserved.get(o);
    if (matched) {
      if (matched.classification === 'confirmed') return { ...o, classification: 'confirmed', mismatch: false };
      return { ...o, classification: 'trace only', staticMode: matched.mode, mismatch: true };
    }
    const base: ClassifiedObserved = { ...o, classification: 'trace only', mismatch: false };
    if (o.created) return { ...base, note: 'created by this statement: no other session sees it before COMMIT' };
    if (o.table) {
      const tableMode = lockedTables.get(`${o.table.schema}.${o.table.name}`);
      const tableBlocks = tableMode ? blockingOn([{ role: 'table', mode: tableMode }], 'table') : undefined;
      const ownBlocks = blockingOn([{ role: 'index', mode: o.mode }], 'table');
      if (tableBlocks && (!ownBlocks.reads || tableBlocks.reads) && (!ownBlocks.writes || tableBlocks.writes)) {
        return { ...base, note: `${o.kind === 't' ? 'TOAST table' : 'index'} of ${o.table.name}, which the statement locks in ${tableMode}: blocks nothing more` };
      }
    }
    if (o.mode === 'ACCESS SHARE') return { ...base, note: 'ACCESS SHARE (read): conflicts only with ACCESS EXCLUSIVE' };
    // What every INSERT, UPDATE and DELETE takes on a table's indexes (VACUUM too, while it cleans them):
    // it waits only for DDL on the index itself, and makes no read or write of the table wait.
    if (o.kind === 'i' && (o.mode === 'ROW EXCLUSIVE' || o.mode === 'ROW SHARE')) return { ...base, note: `${o.mode} on an index (what writes take on it): blocks no reads or writes, only DDL on the index` };
    if (!covered) return { ...base, note: `the lock table does not describe ${statementKind} statements` };
    return { ...base, mismatch: true };
  });

  const mismatches: LockMismatch[] = [];
  for (const s of statics) {
    if (!s.mismatch) continue;
    if (s.observedMode) {
      mismatches.push({
        kind: 'differs',
        object: s.matched ?? s.object ?? s.role,
        role: s.role,
        staticMode: s.mode,
        observedMode: s.observedMode,
        facts: s.facts,
        message: `The lock table says ${s.facts.join(', ')} takes ${s.mode} on the ${s.role} ${s.object ?? ''}`.replace(/ +$/, '') + `; the server took ${s.observedMode}${conflicts(s.observedMode, 'ACCESS SHARE') !== conflicts(s.mode, 'ACCESS SHARE') || conflicts(s.observedMode, 'ROW EXCLUSIVE') !== conflicts(s.mode, 'ROW EXCLUSIVE') ? ' (it blocks different traffic)' : ''}.`,
      });
    } else {
      mismatches.push({
        kind: 'static only',
        object: s.object ?? s.role,
        role: s.role,
        staticMode: s.mode,
        facts: s.facts,
        message: `The lock table says ${s.facts.join(', ')} takes ${s.mode} on the ${s.role}${s.object ? ` ${s.object}` : ''}; the trace shows no lock on it.`,
      });
    }
  }
  for (const o of classified) {
    if (!o.mismatch || o.staticMode) continue;
    mismatches.push({
      kind: 'trace only',
      object: qualified(o),
      observedMode: o.mode,
      facts: claimed.facts.map((f) => f.id),
      message:
        claimed.facts.length > 0
          ? `The server took ${o.mode} on ${kindName(o.kind)} ${qualified(o)}, which the lock table (${claimed.facts.map((f) => f.id).join(', ')}) does not list.`
          : `The server took ${o.mode} on ${kindName(o.kind)} ${qualified(o)}; the lock table has no entry for this ${statementKind}.`,
    });
  }
  return { observed: classified, static: statics, mismatches, covered };
}

/** The strongest mode per object over several statements' locks (what one transaction holds until COMMIT). */
export function heldUntilCommit(perStatement: readonly { statement: number; locks: readonly ObservedLock[] }[]): { object: string; kind: string; mode: LockMode; from: number[] }[] {
  const out = new Map<string, { object: string; kind: string; mode: LockMode; from: number[] }>();
  const createdInSection = new Set<string>();
  for (const { statement, locks } of perStatement) {
    for (const l of locks) {
      const key = `${l.schema}.${l.name}`;
      if (l.created) createdInSection.add(key);
      if (createdInSection.has(key) || l.kind === 't') continue;
      const existing = out.get(key);
      if (existing) {
        existing.mode = strongest([existing.mode, l.mode])!;
        if (!existing.from.includes(statement)) existing.from.push(statement);
      } else out.set(key, { object: key, kind: l.kind, mode: l.mode, from: [statement] });
    }
  }
  const entries = [...out.values()].filter((e) => !createdInSection.has(e.object));
  // An index whose table is listed: the table's lock says it (the planner locks a table's indexes with it).
  const tables = new Set(entries.filter((e) => e.kind !== 'i' && e.kind !== 'I').map((e) => e.object));
  const indexTables = new Map<string, string>();
  for (const { locks } of perStatement) for (const l of locks) if (l.table) indexTables.set(`${l.schema}.${l.name}`, `${l.table.schema}.${l.table.name}`);
  return entries.filter((e) => !((e.kind === 'i' || e.kind === 'I') && tables.has(indexTables.get(e.object) ?? '')));
}

export function kindName(kind: string): string {
  return { r: 'table', p: 'partitioned table', f: 'foreign table', i: 'index', I: 'partitioned index', S: 'sequence', v: 'view', m: 'materialized view', t: 'TOAST table', c: 'composite type', type: 'type' }[kind] ?? kind;
}
