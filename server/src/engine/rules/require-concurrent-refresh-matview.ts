import { schemaFactsOf } from '../context';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { findWord, headSpan } from '../sql/tokens';
import type { FixSpec, Rule } from './types';

export const requireConcurrentRefreshMatview: Rule = {
  id: 'require-concurrent-refresh-matview',
  family: 'locks',
  summary: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY',
  defaultLevel: 'error',
  sameAs: ['postgres-language-server: banBlockingRefreshMatview (was requireConcurrentRefreshMatview)', 'pgfence: refresh-matview-blocking'],
  fixable: true,
  docs: {
    why: '`REFRESH MATERIALIZED VIEW` recomputes the view and swaps in the result under an ACCESS EXCLUSIVE lock: every query that reads the view waits for the whole refresh.',
    instead:
      '`REFRESH MATERIALIZED VIEW CONCURRENTLY` computes the new contents beside the old ones and applies the difference under an EXCLUSIVE lock: reads continue (another refresh waits). It needs a unique index on the view (plain columns, no WHERE clause) and a view that is already populated. Unlike CREATE INDEX CONCURRENTLY it can run inside a transaction.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nREFRESH MATERIALIZED VIEW post_stats;\n\n-- migrate:down\n" }],
    valid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nREFRESH MATERIALIZED VIEW CONCURRENTLY post_stats;\n\n-- migrate:down\n" },
      {
        sql: '-- migrate:up\nCREATE MATERIALIZED VIEW post_stats AS SELECT author_id, count(*) AS posts FROM posts GROUP BY author_id WITH NO DATA;\nREFRESH MATERIALIZED VIEW post_stats;\n\n-- migrate:down\nDROP MATERIALIZED VIEW post_stats;\n',
        note: 'The view is created by this migration: nobody reads it yet, and CONCURRENTLY would fail on a view that was never populated.',
      },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'RefreshMatViewStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const refresh = bodyOf(s.node, 'RefreshMatViewStmt');
      if (!refresh || refresh.concurrent) continue;
      const view = relationOf(refresh.relation);
      if (!view || schemaFactsOf(context).ownedByMigration(view, s)) continue;
      const fixes: FixSpec[] = [];
      const viewWord = findWord(s, 'view');
      if (viewWord && !refresh.skipData) fixes.push({ title: 'Add CONCURRENTLY (needs a unique index on the view)', edits: [{ span: { start: viewWord.end, end: viewWord.end }, newText: ' CONCURRENTLY' }], safe: false });
      context.report({
        statement: s,
        span: headSpan(s, s.offsetOf(view.location)),
        message: refresh.skipData
          ? `REFRESH MATERIALIZED VIEW ${view.display} WITH NO DATA empties it under ACCESS EXCLUSIVE: every query on it waits, then fails until the next refresh.`
          : `REFRESH MATERIALIZED VIEW ${view.display} takes ACCESS EXCLUSIVE on it: every query that reads it waits for the whole refresh.`,
        help: 'Use REFRESH MATERIALIZED VIEW CONCURRENTLY, which lets reads continue; it needs a unique index on the view (CREATE UNIQUE INDEX ... ON the view, on plain columns without WHERE).',
        fixes,
      });
    }
  },
};
