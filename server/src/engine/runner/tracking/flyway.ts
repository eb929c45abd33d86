// Flyway: `flyway_schema_history`, one row per run, in installed_rank order. A versioned script is
// applied when its latest row is a successful SQL row; Flyway Teams' undo adds an UNDO_SQL row.
// The checksum column holds Flyway's own checksum (CRC32 of the script's lines), so `flyway validate`
// accepts scripts zdm applied.

import * as zlib from 'node:zlib';
import * as path from 'node:path';
import { quoteIdent, quoteQualified, splitQualified, type SqlCommand } from '../db';
import { compareVersions } from '../../versions';
import { checkShape, tableColumns, type Tracker } from './types';

const COLUMNS = ['installed_rank', 'version', 'description', 'type', 'script', 'checksum', 'installed_by', 'installed_on', 'execution_time', 'success'];

/** Flyway's checksum: CRC32 over the script's lines without their line breaks (BOM removed), as a signed int. */
export function flywayChecksum(text: string): number {
  return zlib.crc32(text.replace(/^\uFEFF/, '').replace(/\r\n|\r|\n/g, '')) | 0;
}

export function flywayTracker(tableName = 'flyway_schema_history'): Tracker {
  const table = quoteQualified(tableName);
  const insert = (values: { version: string | null; description: string; type: string; script: string; checksum: number; ms: number }): SqlCommand[] => [
    {
      table,
      text: `INSERT INTO ${table} (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
       SELECT coalesce(max(installed_rank), 0) + 1, $1, $2, $3, $4, $5, current_user, $6, true FROM ${table}`,
      values: [values.version, values.description, values.type, values.script, values.checksum, Math.round(values.ms)],
    },
  ];
  return {
    tool: 'Flyway',
    table,
    async ensure(session) {
      const columns = await tableColumns(session, table);
      checkShape(table, 'Flyway', columns, COLUMNS);
      if (columns.length > 0) return;
      await session.query(
        `CREATE TABLE ${table} (installed_rank integer NOT NULL, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL, CONSTRAINT ${quoteIdent(`${splitQualified(tableName).pop()}_pk`)} PRIMARY KEY (installed_rank))`,
      );
    },
    async read(session, migrations) {
      if ((await tableColumns(session, table)).length === 0) return { applied: new Map(), exists: false };
      const rows = await session.query<{ version: string | null; type: string; script: string; checksum: number | null; success: boolean; installed_on: Date }>(
        `SELECT version, type, script, checksum, success, installed_on FROM ${table} ORDER BY installed_rank`,
      );
      const applied = new Map<string, { appliedAt?: Date }>();
      const repeatables = new Map<string, { checksum: number | null; appliedAt?: Date }>();
      let dirty: string | undefined;
      for (const r of rows) {
        if (r.version === null) {
          // A repeatable script's run (Flyway records them without a version; the latest one counts).
          if (r.success && r.type === 'SQL') repeatables.set(path.basename(r.script), { checksum: r.checksum, appliedAt: r.installed_on });
          else if (r.type === 'DELETE') repeatables.delete(path.basename(r.script));
          continue;
        }
        if (!r.success) {
          dirty = r.version;
          continue;
        }
        if (r.type === 'UNDO_SQL' || r.type === 'DELETE') applied.delete(r.version);
        else if (r.type === 'BASELINE') {
          for (const m of migrations) if (compareVersions(m.key, r.version) <= 0) applied.set(m.key, { appliedAt: r.installed_on });
        } else applied.set(r.version, { appliedAt: r.installed_on });
        if (dirty === r.version) dirty = undefined;
      }
      return { applied, repeatables, exists: true, dirty };
    },
    recordUp(migration, durationMs) {
      if (migration.repeatable) {
        // As Flyway records a repeatable script: no version, and the checksum of the script with its placeholders replaced.
        return insert({ version: null, description: (migration.description ?? '').replace(/_/g, ' '), type: 'SQL', script: path.basename(migration.upPath), checksum: migration.repeatable.checksum ?? flywayChecksum(migration.up.fileText), ms: durationMs });
      }
      return insert({ version: migration.key, description: (migration.description ?? '').replace(/_/g, ' '), type: 'SQL', script: path.basename(migration.upPath), checksum: flywayChecksum(migration.up.fileText), ms: durationMs });
    },
    recordDown(migration) {
      const down = migration.down!;
      return insert({ version: migration.key, description: (migration.description ?? '').replace(/_/g, ' '), type: 'UNDO_SQL', script: path.basename(down.path), checksum: flywayChecksum(down.fileText), ms: 0 });
    },
  };
}
