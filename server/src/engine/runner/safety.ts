// Safety checks before a run: a database that is not on this machine, and a rollback whose down
// section drops a table or a column (data that no up brings back). Both ask for confirmation (CLI:
// --yes). Pure: reads the parsed statements only.

import { bodyOf, droppedObjects, relationOf } from '../sql/ast';
import type { Confirmation } from './events';
import { lineOf } from './errors';
import type { Step } from './plan';
import { describeUrl, isLocalUrl, maskUrl } from './url';
import * as path from 'node:path';

/** What each rollback step would drop: "DROP TABLE orders (db/migrations/2024_x.sql:9)". */
export function destructiveDowns(steps: readonly Step[], root: string): string[] {
  const out: string[] = [];
  for (const step of steps) {
    if (step.direction !== 'down' || !step.migration.down) continue;
    const section = step.migration.down;
    for (const s of section.statements) {
      const where = `${path.relative(root, section.path) || section.path}:${lineOf(section.fileText, s.span.start)}`;
      const drop = bodyOf(s.node, 'DropStmt');
      if (drop && (drop.removeType === 'OBJECT_TABLE' || drop.removeType === 'OBJECT_SCHEMA' || drop.removeType === 'OBJECT_MATVIEW')) {
        const kind = drop.removeType === 'OBJECT_TABLE' ? 'table' : drop.removeType === 'OBJECT_SCHEMA' ? 'schema' : 'materialized view';
        const names = drop.removeType === 'OBJECT_SCHEMA' ? (drop.objects ?? []).map((o: any) => o.String?.sval).filter(Boolean) : droppedObjects(drop).map((r) => r.display);
        out.push(`drops ${kind} ${names.join(', ') || '?'}${drop.behavior === 'DROP_CASCADE' ? ' (CASCADE)' : ''} — ${where}`);
        continue;
      }
      const alter = bodyOf(s.node, 'AlterTableStmt');
      if (alter) {
        const table = relationOf(alter.relation)?.display ?? '?';
        for (const c of alter.cmds ?? []) {
          const cmd = c.AlterTableCmd;
          if (cmd?.subtype === 'AT_DropColumn') out.push(`drops column ${table}.${cmd.name} — ${where}`);
        }
      }
      if (s.kind === 'TruncateStmt') out.push(`truncates ${(bodyOf(s.node, 'TruncateStmt').relations ?? []).map((r: any) => relationOf(r.RangeVar)?.display).join(', ')} — ${where}`);
    }
  }
  return out;
}

export function destructiveConfirmation(details: string[]): Confirmation {
  return {
    reason: 'destructive-down',
    message: `This rollback deletes data: its down section${details.length > 1 ? 's' : ''} ${details.length > 1 ? 'drop' : 'drops'} ${details.length} object${details.length > 1 ? 's' : ''} whose rows no migration brings back.`,
    details,
  };
}

/** A confirmation to ask before running against `url`, or undefined when it is on this machine. */
export function remoteConfirmation(url: string): Confirmation | undefined {
  if (isLocalUrl(url)) return undefined;
  return {
    reason: 'remote-database',
    message: `${describeUrl(url)} is not on this machine (not localhost or a unix socket). Running migrations changes that database.`,
    details: [maskUrl(url)],
  };
}
