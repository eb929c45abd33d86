// "Add NOT VALID, then VALIDATE CONSTRAINT" outside a transaction: the NOT VALID constraint commits
// before VALIDATE runs, so a VALIDATE that fails (a row that breaks it, its lock_timeout) must leave a
// migration that can run again: a CHECK's ADD drops the constraint first, as prefer-robust-stmts asks
// (not a foreign key's: that would take a stronger lock than the ADD).

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { applyEdits } from '../../server/src/engine/fixes/apply';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

function fixed(sql: string, rule: string): string {
  const options = { format: 'goose' as const };
  const fix = lintSql(sql, options).findings.find((f) => f.rule === rule)?.fixes?.find((f) => /then VALIDATE/.test(f.title));
  assert.ok(fix?.safe, `no safe NOT VALID fix for ${rule}`);
  const out = applyEdits(sql, fix.edits);
  assert.ok(out.ok);
  return out.text;
}

describe('NOT VALID, then VALIDATE, outside a transaction', () => {
  const head = "-- +goose NO TRANSACTION\n-- +goose Up\nSET lock_timeout = '5s';\n";
  const tail = '\n-- +goose Down\nSELECT 1;\n';

  it('a named CHECK: dropped first if it exists, and no prefer-robust-stmts finding after the fix', () => {
    const sql = `${head}ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);${tail}`;
    const text = fixed(sql, 'constraint-missing-not-valid');
    assert.equal(text, `${head}ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_total_positive, ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;${tail}`);
    const after = lintSql(text, { format: 'goose' }).findings.map((f) => f.rule);
    assert.ok(!after.includes('prefer-robust-stmts'), after.join(', '));
    assert.ok(!after.includes('constraint-missing-not-valid'), after.join(', '));
  });

  it('a foreign key is not dropped first: DROP CONSTRAINT would take ACCESS EXCLUSIVE where ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE', () => {
    const sql = `${head}ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);${tail}`;
    assert.equal(fixed(sql, 'adding-foreign-key-constraint'), `${head}ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;${tail}`);
  });

  it('an unnamed CHECK gets its name and the drop', () => {
    const sql = `${head}ALTER TABLE orders ADD CHECK (total >= 0);${tail}`;
    assert.equal(fixed(sql, 'constraint-missing-not-valid'), `${head}ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_total_check, ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;${tail}`);
  });

  it('a statement that drops it first already is left as it is', () => {
    const sql = `${head}ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_total_check, ADD CONSTRAINT orders_total_check CHECK (total >= 0);${tail}`;
    assert.equal(fixed(sql, 'constraint-missing-not-valid'), `${head}ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_total_check, ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;${tail}`);
  });
});
