import { schemaFactsOf } from '../context';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const attachingPartitionWithoutCheck: Rule = {
  id: 'attaching-partition-without-check',
  family: 'locks',
  summary: 'ATTACH PARTITION of an existing table with no validated CHECK constraint that proves the partition bounds',
  defaultLevel: 'warning',
  sameAs: ['postgres-language-server: banAttachPartition (was avoidAttachingPartition)', 'pgfence: attach-partition'],
  docs: {
    why: 'Attaching a table as a partition reads every row of it to check that it fits the partition bounds, holding ACCESS EXCLUSIVE on the table and SHARE UPDATE EXCLUSIVE on the parent (ACCESS EXCLUSIVE before PostgreSQL 12, when every query on the parent waits). A default partition, if any, is locked and scanned too. The scan is skipped when a validated CHECK constraint on the table already implies the bounds.',
    instead: 'Add a CHECK constraint matching the bounds to the table `NOT VALID`, `VALIDATE CONSTRAINT` it (SHARE UPDATE EXCLUSIVE: traffic continues), then ATTACH: PostgreSQL sees the CHECK and skips the scan. Drop the CHECK afterwards.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n\n-- migrate:down\nALTER TABLE events DETACH PARTITION events_2024;\n" }],
    valid: [
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE events DETACH PARTITION events_2024;\n",
        path: '20240103000000_attach_events_2024.sql',
        files: {
          '20240101000000_events_2024_bounds.sql': "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events_2024 ADD CONSTRAINT events_2024_bounds CHECK (created_at >= '2024-01-01' AND created_at < '2025-01-01') NOT VALID;\n\n-- migrate:down\nALTER TABLE events_2024 DROP CONSTRAINT events_2024_bounds;\n",
          '20240102000000_validate_events_2024_bounds.sql': "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events_2024 VALIDATE CONSTRAINT events_2024_bounds;\n\n-- migrate:down\nSELECT 1;\n",
        },
        note: 'The CHECK was added NOT VALID and validated by earlier migrations of the folder: PostgreSQL skips the scan.',
      },
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events_2024 VALIDATE CONSTRAINT events_2024_bounds;\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nALTER TABLE events_2024 DROP CONSTRAINT events_2024_bounds;\n\n-- migrate:down\nALTER TABLE events DETACH PARTITION events_2024;\n",
        note: "The CHECK (created_at >= '2024-01-01' AND created_at < '2025-01-01') NOT VALID was added by an earlier migration and is validated first.",
      },
      {
        sql: "-- migrate:up\nCREATE TABLE events_2025 (LIKE events INCLUDING ALL);\nALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n\n-- migrate:down\nALTER TABLE events DETACH PARTITION events_2025;\nDROP TABLE events_2025;\n",
        note: 'The partition is created empty by this migration: nothing to scan.',
      },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'AlterTableStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const alter = bodyOf(s.node, 'AlterTableStmt');
      const parent = relationOf(alter?.relation);
      if (!parent) continue;
      const cmds = alter.cmds ?? [];
      for (let k = 0; k < cmds.length; k++) {
        const c = cmds[k];
        const cmd = c.AlterTableCmd;
        if (cmd?.subtype !== 'AT_AttachPartition') continue;
        const partition = relationOf(cmd.def?.PartitionCmd?.name);
        if (!partition || schemaFactsOf(context).ownedByMigration(partition, s)) continue;
        // A validated CHECK on the partition, from this migration or an earlier one of the folder.
        if (schemaFactsOf(context).validatedChecksBefore(partition, s).length > 0 || schemaFactsOf(context).tableCheckedBefore(partition, s)) continue;
        const old = context.pgVersion < 12;
        const asDefault = Boolean(cmd.def?.PartitionCmd?.bound?.is_default);
        context.report({
          statement: s,
          span: headSpan(s, s.offsetOf(partition.location)),
          message: `ATTACH PARTITION reads every row of ${partition.display} to check ${asDefault ? 'that none belongs in another partition' : 'the partition bounds'}, under ACCESS EXCLUSIVE on it and ${old ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE'} on ${parent.display}${old ? ': every query on the partitioned table waits' : ''}.`,
          help: `Add a CHECK ${asDefault ? 'that excludes the other partitions\' ranges' : 'matching the bounds'} to ${partition.display} NOT VALID, VALIDATE CONSTRAINT it, then ATTACH (the scan is skipped) and drop the CHECK.`,
          severity: old ? 'error' : undefined,
        });
      }
    }
  },
};
