import { parseDuration } from '../config/config';
import type { Statement } from '../model';
import { bodyOf, constantOf, namesOf } from '../sql/ast';
import { headSpan, statementTokens, tokenIndexAt } from '../sql/tokens';
import type { Rule } from './types';

export const lockTimeoutTooLong: Rule = {
  id: 'lock-timeout-too-long',
  family: 'locks',
  summary: 'SET lock_timeout above the configured maximum (maxLockTimeout, default 10s)',
  defaultLevel: 'warning',
  sameAs: ['pgfence: lock-timeout-too-long'],
  fixable: true,
  docs: {
    why: 'While a statement waits for its lock, every query that needs a conflicting lock on the same table queues behind it. lock_timeout bounds that wait; set to a minute, it lets a migration block the table for a minute before giving up, which is an outage of its own.',
    instead: 'Keep lock_timeout short (a few seconds) and retry the migration when it times out. The maximum accepted is `maxLockTimeout` in .zdm.json (default 10s); the fix uses `lockTimeout` (default 5s).',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '2min';\nALTER TABLE users ADD COLUMN locale text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN locale;\n" }],
    valid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN locale text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN locale;\n" }],
  },
  check(context) {
    const max = parseDuration(context.config.maxLockTimeout);
    if (max === undefined) return;
    const preferred = parseDuration(context.config.lockTimeout);
    const replacement = preferred !== undefined && preferred > 0 && preferred <= max ? context.config.lockTimeout : context.config.maxLockTimeout;
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      const setting = lockTimeoutValue(s);
      if (!setting) continue;
      const ms = parseDuration(setting.text);
      if (ms === undefined || ms <= max) continue;
      const valueSpan = tokenSpanAt(s, setting.offset);
      context.report({
        statement: s,
        span: valueSpan ?? headSpan(s),
        message: `lock_timeout ${setting.text} is above the maximum of ${context.config.maxLockTimeout}: a statement may wait that long for its lock while every query behind it on the table waits too.`,
        help: `Use a short lock_timeout (${replacement}) and retry the migration when it times out.`,
        fixes: valueSpan ? [{ title: `Set lock_timeout to '${replacement}'`, edits: [{ span: valueSpan, newText: `'${replacement}'` }] }] : [],
      });
    }
  },
};

/** The value of `SET [LOCAL] lock_timeout = ...` or `SELECT set_config('lock_timeout', ...)`, with the file offset of the value. */
function lockTimeoutValue(s: Statement): { text: string; offset: number } | undefined {
  const set = bodyOf(s.node, 'VariableSetStmt');
  if (set?.name === 'lock_timeout' && set.kind === 'VAR_SET_VALUE') {
    const arg = set.args?.[0];
    const text = constantOf(arg);
    if (text !== undefined) return { text, offset: s.offsetOf(arg.A_Const.location) };
  }
  const call = bodyOf(s.node, 'SelectStmt')?.targetList?.[0]?.ResTarget?.val?.FuncCall;
  if (call && namesOf(call.funcname).pop() === 'set_config' && constantOf(call.args?.[0]) === 'lock_timeout') {
    const text = constantOf(call.args?.[1]);
    if (text !== undefined) return { text, offset: s.offsetOf(call.args[1].A_Const.location) };
  }
  return undefined;
}

function tokenSpanAt(s: Statement, offset: number): { start: number; end: number } | undefined {
  const tokens = statementTokens(s);
  const t = tokens[tokenIndexAt(s, offset)];
  return t && t.start === offset ? { start: t.start, end: t.end } : undefined;
}
