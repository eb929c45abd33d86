import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, parseConfigText, parseDuration } from '../../server/src/engine/config/config';
import { createMemoryHost } from '../../server/src/engine/host';
import { ruleIds, ruleOptions } from '../../server/src/engine/rules/registry';
import { compareVersions } from '../../server/src/engine/versions';

describe('.zdm.json', () => {
  it('reads every setting', () => {
    const { config, problems } = parseConfigText(
      JSON.stringify({ format: 'goose', pgVersion: 12, baseline: '20230101000000', rules: { 'require-lock-timeout': 'off', 'syntax-error': { level: 'warning' } }, lockTimeout: '2s', failOn: 'warning', requireDown: true }),
      ruleIds,
    );
    assert.deepEqual(problems, []);
    assert.equal(config.format, 'goose');
    assert.equal(config.pgVersion, 12);
    assert.equal(config.baseline, '20230101000000');
    assert.equal(config.rules['require-lock-timeout'].level, 'off');
    assert.equal(config.rules['syntax-error'].level, 'warning');
    assert.equal(config.lockTimeout, '2s');
    assert.equal(config.failOn, 'warning');
    assert.equal(config.requireDown, true);
  });

  it('reports a misspelt key once, with a suggestion, and keeps the defaults and the valid keys', () => {
    const { config, problems } = parseConfigText('{ "pgVersoin": 12, "format": "goose" }', ruleIds);
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /Unknown key "pgVersoin".*did you mean "pgVersion"/);
    assert.equal(config.pgVersion, 14);
    assert.equal(config.format, 'goose');
  });

  it('reports a bad value and an unknown rule, naming them', () => {
    const { config, problems } = parseConfigText('{ "pgVersion": "banana", "rules": { "require-concurent-index-creation": "off", "syntax-error": "loud" } }', ruleIds);
    assert.deepEqual(
      problems.map((p) => p.key),
      ['pgVersion', 'rules.require-concurent-index-creation', 'rules.syntax-error'],
    );
    assert.match(problems[1].message, /did you mean "require-concurrent-index-creation"/);
    assert.equal(config.pgVersion, 14);
    assert.deepEqual(config.rules, {});
  });

  it('reports a rule option it does not know, and a misspelt key of a rule setting, and keeps the rest', () => {
    const text = JSON.stringify({
      rules: {
        'prefer-bigint-over-int': { level: 'warning', options: { allColums: true } },
        'unbatched-backfill': { level: 'warning', options: { smallTables: ['settings'] } },
        'syntax-error': { level: 'error', options: { strict: true } },
        'require-lock-timeout': { levle: 'error' },
      },
    });
    const { config, problems } = parseConfigText(text, ruleIds, ruleOptions);
    assert.deepEqual(
      problems.map((p) => p.key),
      ['rules.prefer-bigint-over-int.options.allColums', 'rules.syntax-error.options.strict', 'rules.require-lock-timeout.levle'],
    );
    assert.match(problems[0].message, /Unknown option "allColums" for rule "prefer-bigint-over-int".*did you mean "allColumns"/);
    assert.match(problems[1].message, /Rule "syntax-error" has no options/);
    assert.match(problems[2].message, /Unknown key "levle".*did you mean "level"/);
    assert.deepEqual(config.rules['unbatched-backfill'], { level: 'warning', options: { smallTables: ['settings'] } });
  });

  it('reads golangMigrate.multiStatement, and names a misspelt key or a bad value in it', () => {
    assert.equal(parseConfigText('{ "golangMigrate": { "multiStatement": true } }', ruleIds).config.golangMigrate?.multiStatement, true);
    assert.equal(parseConfigText('{}', ruleIds).config.golangMigrate, undefined);
    let read = parseConfigText('{ "golangMigrate": { "multiStatements": true } }', ruleIds);
    assert.deepEqual(read.problems.map((p) => p.key), ['golangMigrate.multiStatements']);
    assert.match(read.problems[0].message, /did you mean "multiStatement"/);
    assert.equal(read.config.golangMigrate, undefined);
    read = parseConfigText('{ "golangMigrate": { "multiStatement": "yes" } }', ruleIds);
    assert.deepEqual(read.problems.map((p) => p.key), ['golangMigrate.multiStatement']);
    assert.match(read.problems[0].message, /must be true or false/);
    read = parseConfigText('{ "golang-migrate": { "multiStatement": true } }', ruleIds);
    assert.match(read.problems[0].message, /Unknown key "golang-migrate".*did you mean "golangMigrate"/);
    read = parseConfigText('{ "golangMigrate": true }', ruleIds);
    assert.match(read.problems[0].message, /"golangMigrate" in \.zdm\.json must be an object/);
  });

  it('tolerates comments and trailing commas, and survives invalid JSON with defaults', () => {
    assert.deepEqual(parseConfigText('{ // c\n "pgVersion": 13, /* x */ }', ruleIds).problems, []);
    const broken = parseConfigText('{ "pgVersion": ', ruleIds);
    assert.equal(broken.problems.length, 1);
    assert.match(broken.problems[0].message, /not valid JSON/);
    assert.equal(broken.config.pgVersion, 14);
  });

  it('says where a problem is: the line and column of a JSON error, the span of the key a problem is about', () => {
    const text = '{\n  // levels\n  "rules": {\n    "require-lock-timeout": "off"\n    "syntax-error": "off"\n  }\n}\n';
    const broken = parseConfigText(text, ruleIds);
    assert.match(broken.problems[0].message, /not valid JSON at line 5, column 5 /);
    assert.match(broken.problems[0].message, /\(comma expected\)/);
    // The token where a comma was expected.
    assert.deepEqual(broken.problems[0].span, { start: text.indexOf('"syntax-error"'), end: text.indexOf('"syntax-error"') + '"syntax-error"'.length });
    const typo = '{\n  /* a comment, */ "pgVersion": 15,\n  "rules": { "require-concurent-index-creation": "off", },\n}\n';
    const read = parseConfigText(typo, ruleIds);
    assert.deepEqual(read.problems.map((p) => p.key), ['rules.require-concurent-index-creation']);
    const at = typo.indexOf('"require-concurent-index-creation"');
    assert.deepEqual(read.problems[0].span, { start: at, end: at + '"require-concurent-index-creation"'.length });
    assert.equal(read.config.pgVersion, 15);
    // A comma and a brace inside a string are the string's.
    assert.deepEqual(parseConfigText('{ "ignore": ["a,}", "b,]"], }', ruleIds).config.ignore, ['a,}', 'b,]']);
  });

  it('reads a file saved with a byte order mark', () => {
    const read = parseConfigText('\ufeff{ "pgVersion": 13 }', ruleIds);
    assert.deepEqual(read.problems, []);
    assert.equal(read.config.pgVersion, 13);
  });

  it('is found by walking up from the file', () => {
    const host = createMemoryHost({ '/p/.zdm.json': '{ "pgVersion": 11 }', '/p/db/migrations/x.sql': '' });
    const loaded = loadConfig('/p/db/migrations', host, undefined, ruleIds);
    assert.equal(loaded.path, '/p/.zdm.json');
    assert.equal(loaded.config.pgVersion, 11);
  });

  it('reads durations', () => {
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('2min'), 120000);
    assert.equal(parseDuration('1500'), 1500);
    assert.equal(parseDuration('soon'), undefined);
  });
});

describe('versions', () => {
  it('compares timestamps, sequences, diesel dates and Flyway dotted versions', () => {
    assert.equal(compareVersions('20240101000000', '20240102000000'), -1);
    assert.equal(compareVersions('000010', '9'), 1);
    assert.equal(compareVersions('2019-05-02-051656', '2019-05-02-051656'), 0);
    assert.equal(compareVersions('2019-05-02-051656', '20190503000000'), -1);
    assert.equal(compareVersions('1.10', '1.9'), 1);
    assert.equal(compareVersions('2', '2.0'), 0);
  });
});
