// The lock rules' fixes applied to the text: the result parses, and the finding it fixes is gone.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { applyEdits } from '../../server/src/engine/fixes/apply';
import { initParser, lintSql, type LintSqlOptions } from '../helpers/lint';

before(() => initParser());

/** Applies the first fix of the first `rule` finding (edits to the linted file only) and re-lints. */
function fixOnce(sql: string, rule: string, options: LintSqlOptions = {}): { text: string; after: string[] } {
  const opts: LintSqlOptions = { format: options.path ? undefined : 'plain', ...options };
  const result = lintSql(sql, opts);
  const finding = result.findings.find((f) => f.rule === rule);
  assert.ok(finding, `no ${rule} finding`);
  const fix = finding.fixes?.[0];
  assert.ok(fix, `${rule} offers no fix`);
  const outcome = applyEdits(sql, fix.edits.filter((e) => e.path === undefined || e.path === result.document.path));
  assert.ok(outcome.ok, 'the edits apply');
  const again = lintSql(outcome.text, opts);
  assert.deepEqual(
    again.statements.filter((s) => s.error).map((s) => `${s.text}: ${s.error!.message}`),
    [],
    `the fixed text parses:\n${outcome.text}`,
  );
  return { text: outcome.text, after: again.findings.map((f) => f.rule) };
}

describe('lock rule fixes', () => {
  it('require-concurrent-index-deletion: CONCURRENTLY and the section outside a transaction', () => {
    // Alone in its block: dbmate sends a transaction:false block as one query string.
    const { text, after } = fixOnce('-- migrate:up\nDROP INDEX IF EXISTS users_email_idx;\n\n-- migrate:down\n', 'require-concurrent-index-deletion', { path: '20240101000000_drop.sql' });
    assert.match(text, /^-- migrate:up transaction:false$/m);
    assert.match(text, /DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;/);
    assert.ok(!after.includes('require-concurrent-index-deletion'));
    assert.ok(!after.includes('ban-concurrent-index-creation-in-transaction'));
  });

  it('require-concurrent-reindex: CONCURRENTLY after the object kind', () => {
    const { text, after } = fixOnce('REINDEX (VERBOSE) TABLE public.orders;\n', 'require-concurrent-reindex');
    assert.match(text, /REINDEX \(VERBOSE\) TABLE CONCURRENTLY public\.orders;/);
    assert.ok(!after.includes('require-concurrent-reindex'));
  });

  it('require-concurrent-refresh-matview: CONCURRENTLY after VIEW', () => {
    const { text, after } = fixOnce('REFRESH MATERIALIZED VIEW analytics.daily_totals;\n', 'require-concurrent-refresh-matview');
    assert.match(text, /REFRESH MATERIALIZED VIEW CONCURRENTLY analytics\.daily_totals;/);
    assert.ok(!after.includes('require-concurrent-refresh-matview'));
  });

  it('require-concurrent-partition-detach: CONCURRENTLY after the partition name', () => {
    const { text, after } = fixOnce('ALTER TABLE public.metrics DETACH PARTITION public.metrics_old;\n', 'require-concurrent-partition-detach');
    assert.match(text, /DETACH PARTITION public\.metrics_old CONCURRENTLY;/);
    assert.ok(!after.includes('require-concurrent-partition-detach'));
  });

  it('multiple-alter-table: one ALTER TABLE with all the actions', () => {
    // goose NO TRANSACTION: the statements go one at a time, each queuing for the lock again.
    const sql = "-- +goose NO TRANSACTION\n-- +goose Up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN locale text;\nALTER TABLE users ADD COLUMN time_zone text DEFAULT 'UTC';\nALTER TABLE ONLY users ALTER COLUMN locale SET DEFAULT 'en';\n\n-- +goose Down\n";
    const { text, after } = fixOnce(sql, 'multiple-alter-table', { path: '20240101000000_merge.sql' });
    assert.match(text, /ALTER TABLE users ADD COLUMN locale text,\n {2}ADD COLUMN time_zone text DEFAULT 'UTC',\n {2}ALTER COLUMN locale SET DEFAULT 'en';/);
    assert.ok(!after.includes('multiple-alter-table'));
  });

  it('lock-timeout-too-long: the configured lock_timeout', () => {
    const { text, after } = fixOnce("SET lock_timeout TO 60000;\nALTER TABLE users ADD COLUMN locale text;\n", 'lock-timeout-too-long');
    assert.match(text, /SET lock_timeout TO '5s';/);
    assert.ok(!after.includes('lock-timeout-too-long'));
  });

  it('require-statement-timeout: SET statement_timeout at the top of the section', () => {
    const { text, after } = fixOnce("-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE audit_log SET LOGGED;\n\n-- migrate:down\n", 'require-statement-timeout', { path: '20240101000000_logged.sql' });
    assert.match(text, /-- migrate:up\nSET statement_timeout = '60s';\nSET lock_timeout = '5s';/);
    assert.ok(!after.includes('require-statement-timeout'));
  });

  it('adding-foreign-key-constraint: NOT VALID', () => {
    const { text, after } = fixOnce('ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;\n', 'adding-foreign-key-constraint');
    assert.match(text, /ON DELETE CASCADE NOT VALID;/);
    assert.ok(!after.includes('adding-foreign-key-constraint'));
  });
});
