import type { Statement } from '../model';
import { bodyOf } from '../sql/ast';
import { headSpan, statementTokens, tokenIndexAt } from '../sql/tokens';
import type { FixSpec, Rule } from './types';

export const banDuplicateColumnAssignments: Rule = {
  id: 'ban-duplicate-column-assignments',
  family: 'style',
  summary: 'A column assigned or defined twice in one statement (UPDATE SET, INSERT column list, CREATE TABLE)',
  defaultLevel: 'error',
  sameAs: ['squawk: ban-duplicate-column-assignments'],
  fixable: true,
  docs: {
    why: "PostgreSQL rejects a statement that names one column twice: `UPDATE ... SET a = 1, a = 2` fails with `multiple assignments to same column`, `INSERT INTO t (a, a)` and `CREATE TABLE t (a int, a text)` with `specified more than once`. The migration fails when it runs, usually after an edit that merged two versions of a line. (Assignments to different fields of one composite column, `SET a.x = 1, a.y = 2`, are allowed and not flagged.)",
    instead: 'Keep one of them; the fix removes the earlier UPDATE assignments and keeps the last.',
    invalid: [{ sql: "UPDATE post SET title = 'a', body = 'b', title = 'c' WHERE id = 1;" }],
    valid: [{ sql: "UPDATE post SET title = 'c', body = 'b' WHERE id = 1;" }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      const update = bodyOf(s.node, 'UpdateStmt');
      if (update) report(context, s, (update.targetList ?? []).map((t: any) => t.ResTarget), 'assigned', true);
      const insert = bodyOf(s.node, 'InsertStmt');
      if (insert) report(context, s, (insert.cols ?? []).map((t: any) => t.ResTarget), 'listed', false);
      const create = bodyOf(s.node, 'CreateStmt');
      if (create) report(context, s, (create.tableElts ?? []).map((e: any) => e.ColumnDef && { name: e.ColumnDef.colname, location: e.ColumnDef.location }), 'defined', false);
    }
  },
};

function report(context: Parameters<Rule['check']>[0], s: Statement, targets: ({ name?: string; location?: number; indirection?: unknown; val?: any } | undefined)[], verb: string, fixable: boolean): void {
  const byName = new Map<string, number[]>();
  targets.forEach((t, i) => {
    if (!t?.name || t.indirection) return; // a.x = 1, a.y = 2 set different fields
    const list = byName.get(t.name) ?? [];
    list.push(i);
    byName.set(t.name, list);
  });
  for (const [name, indexes] of byName) {
    if (indexes.length < 2) continue;
    const last = targets[indexes[indexes.length - 1]]!;
    const at = s.offsetOf(last.location);
    const token = statementTokens(s)[tokenIndexAt(s, at)];
    const fixes: FixSpec[] = [];
    if (fixable && indexes.every((i) => !targets[i]!.val?.MultiAssignRef)) {
      const edits = indexes.slice(0, -1).map((i) => {
        const start = s.offsetOf(targets[i]!.location);
        const next = targets[i + 1];
        return { span: { start, end: next?.location !== undefined ? s.offsetOf(next.location) : start }, newText: '' };
      });
      if (edits.every((e) => e.span.end > e.span.start)) fixes.push({ title: `Keep only the last assignment to ${name}`, edits, safe: false });
    }
    context.report({
      statement: s,
      span: token ? { start: token.start, end: token.end } : headSpan(s),
      message: `Column ${name} is ${verb} ${indexes.length} times in this statement: PostgreSQL rejects it, so the migration fails.`,
      help: 'Keep one of them.',
      fixes,
    });
  }
}
