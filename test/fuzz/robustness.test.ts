// Random and mutated SQL never makes linting throw or hang: unterminated quotes, deep parentheses,
// binary bytes, huge files. A fixed seed keeps failures reproducible (ZDM_FUZZ_SEED overrides it).

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = [
  "-- migrate:up\nCREATE TABLE t (id bigint PRIMARY KEY, a text DEFAULT 'x''y');\nCREATE INDEX CONCURRENTLY i ON t (a);\nALTER TABLE t ADD CONSTRAINT c CHECK (a <> '') NOT VALID;\n-- migrate:down\nDROP TABLE t;\n",
  "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS trigger AS $fn$ BEGIN RETURN NEW; END; $fn$ LANGUAGE plpgsql;\n-- +goose StatementEnd\n-- +goose Down\nDROP FUNCTION f();\n",
  "--liquibase formatted sql\n--changeset a:1 runInTransaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n--rollback DROP INDEX i;\n",
  "SELECT E'\\'', $$;$$, /* /* nested */ */ \"q\"\"id\", U&'\\0041', B'101', 1.5e10, $1 FROM t WHERE a::text ~ 'x';\n",
  "\\set ON_ERROR_STOP 1\nBEGIN;\nCREATE TABLE :\"s\".t (id bigint DEFAULT :'d', a int[]);\nSELECT (a)[1:2] FROM :s.t \\gset\nSELECT 1 \\; SELECT 2;\nCOPY t FROM STDIN;\n1\t2\n\\.\n\\echo 'x \\\\ y' \\\\ COMMIT;\n",
  "--liquibase formatted sql\n--changeset a:1 runInTransaction:false endDelimiter:GO rollbackEndDelimiter:/\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql\nGO\nCREATE INDEX CONCURRENTLY i ON t (a);\n--rollback DROP FUNCTION f()\n--rollback /\n--changeset a:2 splitStatements:false endDelimiter:\\ngo|/\nSELECT 1;\n/\n",
];
const PIECES = ["'", '"', '$$', '$a$', '/*', '*/', '--', ';', '(', ')', 'E\'', '\\', '\\\\', '\\;', ':x', ":'x'", ':"x"', '[', ']', '`', '\\.', 'STDIN', '\n/', '\nGO', 'endDelimiter:', ' endDelimiter:(', 'splitStatements:false', '--rollback ', '\n', '\u0000', '\uFFFD', '😀', 'BEGIN', 'COMMIT', 'ATOMIC', 'END', 'CREATE', 'INDEX', 'CONCURRENTLY', '-- migrate:up', '-- migrate:down', '-- +goose Up', '-- zdm-ignore ', 'NOT VALID', '\ud800'];

function mutate(text: string, next: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(next() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (out.length + 1));
    const choice = next();
    if (choice < 0.4) out = out.slice(0, at) + PIECES[Math.floor(next() * PIECES.length)] + out.slice(at);
    else if (choice < 0.7) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(next() * 10));
    else out = out.slice(0, at) + String.fromCharCode(Math.floor(next() * 0x10000)) + out.slice(at);
  }
  return out;
}

function lintAll(text: string, label: string): void {
  for (const options of [{}, { format: 'goose' as const, path: '00001_x.sql' }, { format: 'liquibase' as const, path: 'changelog.sql' }, { path: '000001_x.up.sql' }, { format: 'sqitch' as const, path: 'deploy/x.sql' }]) {
    try {
      const result = lintSql(text, options);
      assert.deepEqual(result.ruleFailures, [], `${label}: a rule threw on ${JSON.stringify(text.slice(0, 200))}`);
    } catch (error) {
      assert.fail(`${label}: lint threw ${error instanceof Error ? error.stack : String(error)} on ${JSON.stringify(text.slice(0, 300))}`);
    }
  }
}

describe('robustness', () => {
  it('mutated migrations never make linting throw', { timeout: 120_000 }, () => {
    const seed = Number(process.env.ZDM_FUZZ_SEED ?? 20261125);
    const next = random(seed);
    for (let i = 0; i < 1500; i++) {
      const base = SEEDS[i % SEEDS.length];
      lintAll(mutate(base, next), `seed ${seed} case ${i}`);
    }
  });

  it('random bytes never make linting throw', { timeout: 60_000 }, () => {
    const next = random(7);
    for (let i = 0; i < 300; i++) {
      const length = Math.floor(next() * 400);
      let text = '';
      for (let k = 0; k < length; k++) text += String.fromCharCode(Math.floor(next() * (next() < 0.8 ? 128 : 0x10000)));
      lintAll(text, `random case ${i}`);
    }
  });

  it('survives pathological nesting and lengths', { timeout: 60_000 }, () => {
    lintAll('-- migrate:up\nSELECT ' + '('.repeat(50_000) + '1' + ')'.repeat(50_000) + ';\n', 'deep parentheses');
    lintAll('-- migrate:up\nSELECT ' + '('.repeat(50_000) + ';\n', 'unbalanced parentheses');
    lintAll('-- migrate:up\nSELECT ' + Array.from({ length: 100_000 }, () => '1').join(' + ') + ';\n', 'a very long expression');
    lintAll('-- migrate:up\n' + '/*'.repeat(20_000) + '\n', 'nested unterminated comments');
    lintAll("-- migrate:up\nSELECT '" + 'x'.repeat(1_000_000) + '\n', 'an unterminated 1 MB string');
  });

  it('lints a 5 MB migration', { timeout: 120_000 }, () => {
    const statement = "ALTER TABLE orders ADD COLUMN c_N text DEFAULT 'x';\nCREATE INDEX CONCURRENTLY orders_c_N_idx ON orders (c_N);\n";
    let text = '-- migrate:up transaction:false\n';
    for (let i = 0; text.length < 5 * 1024 * 1024; i++) text += statement.replace(/N/g, String(i));
    const result = lintSql(text + '-- migrate:down\nSELECT 1;\n');
    assert.deepEqual(result.ruleFailures, []);
    assert.ok(result.statements.length > 60_000);
  });

  it('reports an unterminated quote once, at its opening, not far away', () => {
    const result = lintSql("-- migrate:up\nCREATE TABLE a (id int);\nINSERT INTO a VALUES ('oops);\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\nDROP TABLE a;\n");
    const errors = result.findings.filter((f) => f.rule === 'syntax-error');
    assert.equal(errors.length, 1);
    assert.equal(result.document.text.slice(errors[0].span.start, errors[0].span.start + 6), "'oops)");
    assert.match(errors[0].message, /Unterminated quoted string/);
  });
});
