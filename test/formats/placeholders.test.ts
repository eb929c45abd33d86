// Placeholders the tools substitute before running a script (Flyway's `${name}`, goose's `${VAR}` under
// ENVSUB ON): statements holding them are linted like any other, and what zdm says and writes shows
// them as written.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { maskPlaceholders, unmaskPlaceholders } from '../../server/src/engine/sql/placeholders';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

describe('placeholders', () => {
  it('are masked as quoted identifiers of the same length, and unmasked back', () => {
    const text = "CREATE TABLE ${flyway:defaultSchema}.t (id bigint DEFAULT ${x}, note text DEFAULT '${y}');";
    const masked = maskPlaceholders(text);
    assert.equal(masked.length, text.length);
    assert.equal(masked, 'CREATE TABLE "{flyway:defaultSchema".t (id bigint DEFAULT "{x", note text DEFAULT \'"{y"\');');
    assert.equal(unmaskPlaceholders(masked), text);
  });

  it('Flyway: a statement with ${flyway:defaultSchema} is linted, and its findings and fixes name the placeholder', () => {
    const sql = 'CREATE INDEX t_n ON ${flyway:defaultSchema}.users (n);\nALTER TABLE ${flyway:defaultSchema}.users ADD CONSTRAINT users_t_fk FOREIGN KEY (t_id) REFERENCES ${flyway:defaultSchema}.teams (id);\n';
    const result = lintSql(sql, { path: 'db/migration/V3__users_t.sql' });
    assert.deepEqual(result.findings.filter((f) => f.rule === 'syntax-error'), []);
    const index = result.findings.find((f) => f.rule === 'require-concurrent-index-creation')!;
    assert.match(index.message, /on \$\{flyway:defaultSchema\}\.users/);
    const fk = result.findings.find((f) => f.rule === 'adding-foreign-key-constraint')!;
    const validate = fk.fixes!.find((f) => /VALIDATE CONSTRAINT in a new migration/.test(f.title))!;
    const created = validate.creates!.map((c) => c.text).join('\n');
    assert.match(created, /ALTER TABLE \$\{flyway:defaultSchema\}\.users VALIDATE CONSTRAINT users_t_fk/);
    assert.doesNotMatch(created, /"\{/);
  });

  it('goose: only under ENVSUB ON; without it ${VAR} is the syntax error goose would send to PostgreSQL', () => {
    const body = '-- +goose Up\nCREATE TABLE ${TABLE_NAME} (id bigint PRIMARY KEY);\n\n-- +goose Down\nDROP TABLE ${TABLE_NAME};\n';
    assert.deepEqual(lintSql(`-- +goose ENVSUB ON\n${body}`, { path: 'migrations/00001_t.sql' }).findings.filter((f) => f.rule === 'syntax-error'), []);
    assert.equal(lintSql(body, { path: 'migrations/00001_t.sql' }).findings.filter((f) => f.rule === 'syntax-error').length, 2);
  });
});
