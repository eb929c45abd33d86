// Liquibase: `databasechangelog`, one row per changeset run, and `databasechangeloglock`, the lock row
// every Liquibase takes before it changes the database. Both are created as Liquibase 4.28 creates them
// on PostgreSQL (unquoted, so lower case; no primary key on the changelog table). A changeset is applied
// when a row has its id, author and file name. MD5SUM holds Liquibase's own checksum (checksum version
// 9, liquibase-changelog.ts), so a later `liquibase update`, `status` or `validate` accepts what zdm
// ran; a stored checksum that no longer matches the file is what Liquibase reports as a changed
// changeset (unless the changeset is `runOnChange`, which Liquibase runs again, or lists the stored
// checksum as a `--validCheckSum`). Rollback deletes the row, as Liquibase's rollback does.

import * as os from 'node:os';
import { LockBusyError, quoteIdent, quoteQualified, splitQualified, type Session, type SqlCommand } from '../db';
import type { Migration } from '../migrations';
import type { LiquibaseRun } from '../liquibase-load';
import { checkShape, tableColumns, type Tracker } from './types';

const COLUMNS = ['id', 'author', 'filename', 'dateexecuted', 'orderexecuted', 'exectype', 'md5sum', 'description', 'comments', 'tag', 'liquibase', 'contexts', 'labels', 'deployment_id'];

/** LOCKEDBY while zdm holds the lock (Liquibase writes `host (address)`). */
function lockedBy(): string {
  return `${os.hostname()} (zdm, pid ${process.pid})`.slice(0, 255);
}
const ZDM_HOLDER = /\(zdm, pid \d+\)$/;

/** What zdm writes in the LIQUIBASE column (the version of Liquibase that ran a changeset): who ran it. */
const RUN_BY = 'zdm';

export function liquibaseTracker(tableName = 'databasechangelog'): Tracker {
  const table = quoteQualified(tableName);
  const parts = splitQualified(tableName);
  const lockTable = parts.length > 1 ? `${quoteIdent(parts[0])}.${quoteIdent(`${parts[parts.length - 1]}lock`)}` : quoteQualified(`${tableName}lock`);
  // Liquibase gives every changeset of one update the same deployment id: the time in ms, without its first 3 digits.
  const deploymentId = String(Date.now()).slice(3);
  let locked = false;
  const ensureLockTable = async (session: Session) => {
    const lockColumns = await tableColumns(session, lockTable);
    checkShape(lockTable, 'Liquibase', lockColumns, ['id', 'locked', 'lockgranted', 'lockedby']);
    if (lockColumns.length === 0) {
      await session.query(
        `CREATE TABLE ${lockTable} (id INTEGER NOT NULL, locked BOOLEAN NOT NULL, lockgranted TIMESTAMP WITHOUT TIME ZONE, lockedby VARCHAR(255), CONSTRAINT ${quoteIdent(`${parts[parts.length - 1]}lock_pkey`)} PRIMARY KEY (id))`,
      );
    }
    // Liquibase puts its one lock row in when it finds none.
    await session.query(`INSERT INTO ${lockTable} (id, locked) SELECT 1, FALSE WHERE NOT EXISTS (SELECT 1 FROM ${lockTable} WHERE id = 1)`);
  };
  const nextOrder = `(SELECT coalesce(max(orderexecuted), 0) + 1 FROM ${table})`;
  return {
    tool: 'Liquibase',
    table,
    async ensure(session) {
      const columns = await tableColumns(session, table);
      checkShape(table, 'Liquibase', columns, COLUMNS);
      if (columns.length === 0) {
        await session.query(
          `CREATE TABLE ${table} (id VARCHAR(255) NOT NULL, author VARCHAR(255) NOT NULL, filename VARCHAR(255) NOT NULL, dateexecuted TIMESTAMP WITHOUT TIME ZONE NOT NULL, orderexecuted INTEGER NOT NULL, exectype VARCHAR(10) NOT NULL, md5sum VARCHAR(35), description VARCHAR(255), comments VARCHAR(255), tag VARCHAR(255), liquibase VARCHAR(20), contexts VARCHAR(255), labels VARCHAR(255), deployment_id VARCHAR(10))`,
        );
      }
      await ensureLockTable(session);
    },
    async lock(session) {
      // Liquibase takes its lock before it creates the changelog table: the lock table comes first.
      await ensureLockTable(session);
      const rows = await session.query<{ id: number }>(
        `UPDATE ${lockTable} SET locked = TRUE, lockedby = $1, lockgranted = now()::timestamp WHERE id = 1 AND locked = FALSE RETURNING id`,
        [lockedBy()],
      );
      if (rows.length === 1) {
        locked = true;
        return;
      }
      const [holder] = await session.query<{ lockedby: string | null; lockgranted: Date | null }>(`SELECT lockedby, lockgranted FROM ${lockTable} WHERE id = 1`);
      // A zdm run takes this lock while it holds zdm's advisory lock on the same table, which this run
      // holds now: a zdm holder is a run that died (killed, or cancelled in the editor). Liquibase's lock
      // outlives its process; zdm takes it over instead of asking for `liquibase release-locks`.
      if (holder?.lockedby && ZDM_HOLDER.test(holder.lockedby)) {
        const taken = await session.query<{ id: number }>(`UPDATE ${lockTable} SET lockedby = $1, lockgranted = now()::timestamp WHERE id = 1 AND locked AND lockedby = $2 RETURNING id`, [lockedBy(), holder.lockedby]);
        if (taken.length === 1) {
          locked = true;
          return;
        }
      }
      const since = holder?.lockgranted ? ` since ${holder.lockgranted.toISOString().replace('T', ' ').slice(0, 19)}` : '';
      throw new LockBusyError(
        `Liquibase's lock (${lockTable}) is held by ${holder?.lockedby ?? 'an unknown process'}${since}: another Liquibase (or zdm) is changing this database, and Liquibase waits for it too. If no such run is going on, a run that died left the lock behind: release it with \`liquibase release-locks\`.`,
      );
    },
    async unlock(session) {
      if (!locked) return;
      locked = false;
      await session.query(`UPDATE ${lockTable} SET locked = FALSE, lockedby = NULL, lockgranted = NULL WHERE id = 1`);
    },
    async read(session, migrations) {
      if ((await tableColumns(session, table)).length === 0) return { applied: new Map(), exists: false };
      const rows = await session.query<{ id: string; author: string; filename: string; dateexecuted: Date; md5sum: string | null; exectype: string; liquibase: string | null }>(
        `SELECT id, author, filename, dateexecuted, md5sum, exectype, liquibase FROM ${table} ORDER BY orderexecuted, dateexecuted`,
      );
      const byKey = new Map(rows.map((r) => [`${normalizePath(r.filename)}::${r.id}::${r.author}`, r]));
      // Liquibase rolls back in the reverse of the order changesets ran (ORDEREXECUTED, then
      // DATEEXECUTED), which is not the changelog's order when a changeset was added before ones
      // already applied: each applied changeset carries its place, which planRollback follows.
      const order = new Map(rows.map((r, i) => [r, i + 1]));
      const applied = new Map<string, { appliedAt?: Date; order?: number; checksum?: string }>();
      const verdicts = new Map<string, { edited?: boolean; note: string }>();
      const onDisk = new Set<string>();
      for (const m of migrations) {
        const changeset = m.changeset;
        if (!changeset) continue;
        const key = `${normalizePath(changeset.filename)}::${changeset.id}::${changeset.author}`;
        onDisk.add(key);
        const row = byKey.get(key);
        if (changeset.runAlways) {
          verdicts.set(m.key, { note: row ? 'runAlways: Liquibase runs it again on every update' : 'runAlways: Liquibase runs it on every update' });
          continue;
        }
        if (!row) {
          // A pending changeset zdm refuses to run (a precondition, runWith, a parameter): status says so before up stops there.
          if (m.up.toolFailure) verdicts.set(m.key, { note: `zdm up stops here. ${m.up.toolFailure.message}` });
          // failOnError:false: a failed run left no row (Liquibase writes none for ExecType FAILED), so it is pending and runs again next time.
          else if (!changeset.failOnError) verdicts.set(m.key, { note: 'failOnError:false: if it fails, zdm up goes on without recording it, as Liquibase update does, and the next run tries it again' });
          continue;
        }
        const stored = row.md5sum;
        if (stored === null || stored === changeset.checksum || acceptedChecksum(changeset, stored)) {
          applied.set(m.key, { appliedAt: row.dateexecuted, order: order.get(row), checksum: stored ?? undefined });
          const by = row.liquibase === RUN_BY ? '' : `applied by Liquibase${row.liquibase ? ` ${row.liquibase}` : ''}`;
          verdicts.set(m.key, { note: row.exectype === 'MARK_RAN' ? 'marked as ran (MARK_RAN): Liquibase recorded it without running it' : by });
        } else if (!/^9:/.test(stored)) {
          // An older checksum version: Liquibase 4.22+ checks it with that version's algorithm and upgrades it; zdm does not compute those.
          applied.set(m.key, { appliedAt: row.dateexecuted, order: order.get(row), checksum: stored ?? undefined });
          verdicts.set(m.key, { note: `its checksum was recorded by an older Liquibase (${stored.slice(0, 2)}…): zdm does not compare it` });
        } else if (changeset.runOnChange) {
          verdicts.set(m.key, { note: 'runOnChange: it changed since it ran, so Liquibase runs it again' });
        } else {
          applied.set(m.key, { appliedAt: row.dateexecuted, order: order.get(row), checksum: stored ?? undefined });
          verdicts.set(m.key, { edited: true, note: `changed after it was applied: Liquibase's checksum is now ${changeset.checksum}, ${row.exectype === 'EXECUTED' ? 'it ran as' : 'recorded as'} ${stored}, so liquibase update and validate stop on it ("checksum changed")` });
        }
      }
      // Rows of changesets no longer in the changelogs (zdm status shows them as missing on disk).
      // They have no place in the order: Liquibase rolls back the changesets of its changelog, and passes over these.
      for (const [key, row] of byKey) if (!onDisk.has(key)) applied.set(key, { appliedAt: row.dateexecuted });
      return { applied, exists: true, verdicts };
    },
    recordUp(migration) {
      const c = changesetOf(migration);
      const values = [c.id, c.author, c.filename, c.checksum, (c.comments ?? '').slice(0, 255), RUN_BY, storedContexts(c.context, c.inherited?.contexts.map((x) => x.value)), storedLabels(c.labels, c.inherited?.labels.map((x) => x.value)), deploymentId];
      const insert: SqlCommand = {
        table,
        text: `INSERT INTO ${table} (id, author, filename, dateexecuted, orderexecuted, exectype, md5sum, description, comments, tag, liquibase, contexts, labels, deployment_id)
           SELECT $1::varchar, $2::varchar, $3::varchar, now()::timestamp, ${nextOrder}, 'EXECUTED', $4::varchar, 'sql', $5::varchar, NULL, $6::varchar, $7::varchar, $8::varchar, $9::varchar
           WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE id = $1 AND author = $2 AND filename = $3)`,
        values,
      };
      if (!c.runOnChange && !c.runAlways) return [insert];
      // A runOnChange or runAlways changeset that ran before has its row updated (EXECTYPE RERAN), as
      // Liquibase updates it; the insert then finds the row and adds none.
      return [
        {
          table,
          text: `UPDATE ${table} SET dateexecuted = now()::timestamp, orderexecuted = ${nextOrder}, md5sum = $4, exectype = 'RERAN', deployment_id = $5 WHERE id = $1 AND author = $2 AND filename = $3`,
          values: [c.id, c.author, c.filename, c.checksum, deploymentId],
        },
        insert,
      ];
    },
    recordDown(migration) {
      const c = changesetOf(migration);
      return [{ table, text: `DELETE FROM ${table} WHERE id = $1 AND author = $2 AND filename = $3`, values: [c.id, c.author, c.filename] }];
    },
  };
}

function changesetOf(migration: Migration): LiquibaseRun {
  if (!migration.changeset) throw new Error(`${migration.name} is not a Liquibase changeset.`);
  return migration.changeset;
}

/** A stored checksum the changeset accepts (`--validCheckSum: <checksum>` or `ANY`). */
function acceptedChecksum(changeset: LiquibaseRun, stored: string): boolean {
  return changeset.validCheckSums.some((v) => v.toUpperCase() === 'ANY' || v === stored);
}

/**
 * The CONTEXTS column as Liquibase writes it (ChangeSet.buildFullContext): the contexts of the includes
 * above the changeset (innermost first), then its own, joined by ` AND `, each in parentheses when it
 * holds a comma or a space.
 */
export function storedContexts(context: string | undefined, inherited: readonly string[] = []): string | null {
  const parts = [...inherited, context ?? ''].map((c) => c.trim()).filter(Boolean);
  return parts.length > 0 ? parts.map((c) => (/[\s,]/.test(c) ? `(${c})` : c)).join(' AND ') : null;
}

/**
 * The LABELS column (ChangeSet.buildFullLabels): the labels of the includes above the changeset, then its
 * own, joined by commas; each list as Liquibase's Labels keeps it: trimmed, lowercased, once each.
 */
export function storedLabels(labels: string | undefined, inherited: readonly string[] = []): string | null {
  const list = [...inherited, labels ?? ''].flatMap((l) => [...new Set(l.split(',').map((w) => w.trim().toLowerCase()).filter(Boolean))]);
  return list.length > 0 ? list.join(',') : null;
}

/** Liquibase compares file names without a `classpath:` prefix or a leading slash. */
function normalizePath(p: string): string {
  return p.replace(/^classpath:/, '').replace(/\\/g, '/').replace(/^\//, '');
}
