// duplicate-migration-version finds the names sharing a version through an index of the directory
// listing: the same names, in listing order, as comparing every name with compareVersions.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initParser, lintSql } from '../helpers/lint';

function duplicateMessage(sql: string, options: Parameters<typeof lintSql>[1]): string | undefined {
  return lintSql(sql, options).findings.find((f) => f.rule === 'duplicate-migration-version')?.message;
}

describe('duplicate-migration-version (indexed listing)', () => {
  before(async () => {
    await initParser();
  });

  it('goose: versions equal by value, leading zeros aside; up/down names and other versions are not', () => {
    const goose = '-- +goose Up\nSELECT 1;\n';
    const message = duplicateMessage(goose, {
      path: '00042_a.sql',
      format: 'goose',
      files: { '042_b.sql': goose, '42_c.sql': goose, '0042_d.up.sql': goose, '43_e.sql': goose, '420_f.sql': goose, 'x42_g.sql': goose },
    });
    assert.ok(message, 'a finding');
    assert.match(message!, /also used by 042_b\.sql, 42_c\.sql:/);
  });

  it('dbmate: versions equal as written', () => {
    const dbmate = '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n';
    const message = duplicateMessage(dbmate, { path: '20240301120000_a.sql', files: { '20240301120000_b.sql': dbmate, '020240301120000_c.sql': dbmate } });
    assert.match(message!, /also used by 20240301120000_b\.sql:/);
  });

  it('Flyway: numeric parts compared by value, trailing zero parts ignored, V and U apart', () => {
    const sql = 'SELECT 1;\n';
    const message = duplicateMessage(sql, {
      path: 'V1__a.sql',
      format: 'flyway',
      files: { 'V1.0__b.sql': sql, 'V01__c.sql': sql, 'V1_0_0__d.sql': sql, 'V1.1__e.sql': sql, 'U1__f.sql': sql, 'V10__g.sql': sql },
    });
    assert.match(message!, /also used by V1\.0__b\.sql, V01__c\.sql, V1_0_0__d\.sql:/);
    const undo = duplicateMessage(sql, { path: 'U2__a.sql', format: 'flyway', files: { 'U2.0__b.sql': sql, 'V2__c.sql': sql, 'U3__d.sql': sql } });
    assert.ok(undo === undefined || /also used by U2\.0__b\.sql:/.test(undo), undo);
  });

  it('diesel: folders whose digits match and that hold an up.sql', () => {
    const sql = 'SELECT 1;\n';
    const message = duplicateMessage(sql, {
      path: '2024-01-01-000000_a/up.sql',
      format: 'diesel',
      files: { '../20240101000000_b/up.sql': sql, '../2024-01-01-000000_c/down.sql': sql, '../2024-01-01-000001_d/up.sql': sql },
    });
    assert.match(message!, /also used by 20240101000000_b:/);
  });
});
