// hoverAt: markdown for the statement under the cursor, and for rule ids in ignore comments.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { defaultConfig } from '../../server/src/engine/config/config';
import { hoverAt } from '../../server/src/engine/hover';
import { ruleDocsUrl } from '../../server/src/engine/docs-url';
import { initParser, lintSql, type LintSqlOptions } from '../helpers/lint';

before(() => initParser());

/** The hover at the first occurrence of `at` in `sql` (plus `shift` characters). */
function hover(sql: string, at: string, options: LintSqlOptions = {}, shift = 0): string | undefined {
  const result = lintSql(sql, { format: options.path ? undefined : 'plain', ...options });
  const offset = sql.indexOf(at);
  assert.ok(offset >= 0, `${at} not in the SQL`);
  return hoverAt(result, offset + shift, { ...defaultConfig(), ...(options.pgVersion ? { pgVersion: options.pgVersion } : {}) });
}

describe('hover', () => {
  it('names the lock, the object and what it blocks', () => {
    const text = hover("SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN locale text;\n", 'ADD COLUMN')!;
    assert.match(text, /\*\*ADD COLUMN\*\* · PostgreSQL 14/);
    assert.match(text, /`ACCESS EXCLUSIVE` on table `users`: blocks reads and writes/);
    assert.match(text, /No rewrite, no full scan/);
    assert.match(text, /lock_timeout 5s in force/);
  });

  it('says when no lock_timeout bounds the wait', () => {
    const text = hover('ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n', 'SET NOT NULL')!;
    assert.match(text, /No lock_timeout in force/);
    assert.match(text, /Reads every row of `users` while the lock is held/);
    assert.match(text, /PostgreSQL 12\+: the scan is skipped when a validated CHECK/);
  });

  it('names objects reached through a placeholder as written: Flyway ${name}, psql variables in sqitch', () => {
    const flyway = hover('CREATE INDEX orders_status_idx ON ${schema}.orders (status);\n', 'orders (status)', { path: 'V1__orders.sql' })!;
    assert.match(flyway, /`SHARE` on table `\$\{schema\}\.orders`/);
    const sqitch = hover('CREATE INDEX orders_status_idx ON :schema.orders (status);\n', 'orders (status)', { path: 'deploy/orders.sql', files: { '../sqitch.plan': '%project=shop\n' } })!;
    assert.match(sqitch, /`SHARE` on table `:schema\.orders`/);
    assert.doesNotMatch(sqitch, /_schema/);
  });

  it('shows the findings on the statement with their help and doc links', () => {
    const text = hover('CREATE INDEX orders_status_idx ON orders (status);\n', 'orders (status)')!;
    assert.match(text, /`SHARE` on table `orders`: blocks writes \(INSERT, UPDATE, DELETE\); reads continue/);
    assert.ok(text.includes(`[require-concurrent-index-creation](${ruleDocsUrl('require-concurrent-index-creation')})`), text);
    assert.match(text, /\*Use CREATE INDEX CONCURRENTLY/);
    assert.match(text, /Quick-fix: Add CONCURRENTLY/);
  });

  it('CREATE INDEX ... ON ONLY: the read holds unless the table is partitioned, where ONLY builds nothing', () => {
    const only = hover("SET lock_timeout = '5s';\nCREATE INDEX events_at_idx ON ONLY events (at);\n", 'ON ONLY')!;
    assert.match(only, /`SHARE` on table `events`/);
    assert.match(only, /Reads every row of `events` while the lock is held, unless the table is partitioned: ON ONLY then builds nothing/);
    const plain = hover("SET lock_timeout = '5s';\nCREATE INDEX events_at_idx ON events (at);\n", 'ON events')!;
    assert.match(plain, /Reads every row of `events` while the lock is held\.\n/);
  });

  it('follows the target version', () => {
    const sql = "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';\n";
    assert.match(hover(sql, 'ADD COLUMN')!, /No rewrite, no full scan/);
    const old = hover(sql, 'ADD COLUMN', { pgVersion: 10 })!;
    assert.match(old, /PostgreSQL 10/);
    assert.match(old, /Rewrites `users` and its indexes/);
  });

  it('counts index locks against the table: REINDEX blocks reads through the planner', () => {
    const text = hover('REINDEX INDEX users_email_idx;\n', 'REINDEX')!;
    assert.match(text, /`ACCESS EXCLUSIVE` on index `users_email_idx`/);
    assert.match(text, /`SHARE` on the index's table: blocks reads and writes \(through the index lock/);
  });

  it('uses what the file shows: a foreign key validated later locks the referenced table ROW SHARE', () => {
    const sql = "SET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nCOMMIT;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n";
    const text = hover(sql, 'VALIDATE')!;
    assert.match(text, /`SHARE UPDATE EXCLUSIVE` on table `orders`: blocks schema changes and VACUUM; reads and writes continue/);
    assert.match(text, /`ROW SHARE` on referenced table `users`/);
  });

  it('says a type lock locks no table', () => {
    const text = hover("ALTER TYPE mood ADD VALUE 'happy';\n", 'ADD VALUE')!;
    assert.match(text, /`EXCLUSIVE` on the type: blocks other changes to the type; no table is locked/);
  });

  it('notes objects created by the migration', () => {
    const text = hover('CREATE TABLE tags (id bigint PRIMARY KEY);\nCREATE INDEX tags_id_idx ON tags (id);\n', 'CREATE INDEX')!;
    assert.match(text, /created by this migration/);
  });

  it('says nothing between statements or on statements that lock nothing', () => {
    assert.equal(hover('SELECT 1;\n\nSELECT 2;\n', '\n\n', {}, 1), undefined);
    assert.equal(hover("SET lock_timeout = '5s';\n", 'SET'), undefined);
  });

  it('explains a rule id in an ignore comment', () => {
    const sql = '-- zdm-ignore require-concurrent-index-creation, no-such-rule -- small table\nCREATE INDEX a_idx ON a (x);\n-- squawk-ignore prefer-robust-stmts\nDROP TABLE b;\n';
    const known = hover(sql, 'require-concurrent-index-creation', {}, 3)!;
    assert.match(known, /\*\*require-concurrent-index-creation\*\* — CREATE INDEX on an existing table without CONCURRENTLY\./);
    assert.match(known, /default level `error`/);
    assert.ok(known.includes(ruleDocsUrl('require-concurrent-index-creation')));
    assert.match(hover(sql, 'no-such-rule')!, /is not a zdm rule/);
    const squawk = hover(sql, 'prefer-robust-stmts')!;
    assert.ok(/squawk rule zdm does not have|prefer-robust-stmts\*\*/.test(squawk), squawk);
  });
});
