import type { Rule } from './types';

// Suppression bookkeeping lives in suppress.ts and lint.ts, which see every finding; this entry gives
// the findings an id, a level and docs.
export const unusedIgnore: Rule = {
  id: 'unused-ignore',
  family: 'files',
  summary: 'An ignore comment that suppresses nothing or names an unknown rule',
  defaultLevel: 'warning',
  fixable: true,
  docs: {
    why: 'A stale `-- zdm-ignore` comment hides nothing today, but it will hide a real finding if the statement below it changes. A misspelt rule id never suppressed anything.',
    instead: 'Remove the comment, or fix the rule id.',
    invalid: [
      { sql: '-- migrate:up\n-- zdm-ignore require-concurrent-index-creation\nCREATE TABLE t (id bigint);\n-- migrate:down\nDROP TABLE t;\n' },
      { sql: '-- migrate:up\nSET lock_timeout = \'5s\';\n-- zdm-ignore require-concurent-index-creation\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n-- migrate:down\nDROP INDEX CONCURRENTLY t_a_idx;\n', note: 'A misspelt rule id.' },
    ],
    valid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\n-- zdm-ignore require-concurrent-index-creation -- the table is tiny\nCREATE INDEX t_a_idx ON t (a);\n-- migrate:down\nDROP INDEX t_a_idx;\n" }],
  },
  check() {},
};
