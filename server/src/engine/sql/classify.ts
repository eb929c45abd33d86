// Statement classifications shared by several rules (rules never import each other).

import type { AstNode } from '../model';
import { bodyOf } from './ast';

/** The name of the CONCURRENTLY operation a statement performs that cannot run in a transaction block. */
export function concurrentOperation(node: AstNode | undefined): string | undefined {
  if (bodyOf(node, 'IndexStmt')?.concurrent) return 'CREATE INDEX CONCURRENTLY';
  const drop = bodyOf(node, 'DropStmt');
  if (drop?.concurrent) return 'DROP INDEX CONCURRENTLY';
  const reindex = bodyOf(node, 'ReindexStmt');
  if (reindex?.params?.some((p: any) => p.DefElem?.defname === 'concurrently')) return 'REINDEX CONCURRENTLY';
  const alter = bodyOf(node, 'AlterTableStmt');
  if (alter?.cmds?.some((c: any) => c.AlterTableCmd?.subtype === 'AT_DetachPartition' && c.AlterTableCmd.def?.PartitionCmd?.concurrent)) return 'DETACH PARTITION CONCURRENTLY';
  return undefined;
}

/** Statements that can sit in a non-transactional section beside a concurrent operation without losing atomicity that matters. */
export function fineOutsideTransaction(kind: string, node: AstNode | undefined): boolean {
  if (kind === 'VariableSetStmt') return true;
  if (concurrentOperation(node)) return true;
  if (kind === 'IndexStmt' || (kind === 'DropStmt' && bodyOf(node, 'DropStmt')?.removeType === 'OBJECT_INDEX')) return true;
  return false;
}
