// sqitch.plan read as sqitch 1.3 reads it, and the change and tag ids it computes. The expected ids were
// printed by the real sqitch 1.3.1 (`sqitch plan --format raw`) for these plans; test/runner/sqitch.test.ts
// compares whole registries with the real sqitch at test time.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalUri, changeTargetName, parseSqitchConf, parseSqitchPlan, tagQualifiedName } from '../../server/src/engine/runner/sqitch-plan';

const PLAN = `%syntax-version=1.0.0
%project=ids

a 2024-01-01T00:00:00Z Zoë Ünïcode <z@x.org> # Note with \\\\ backslash and ünïcode
b [a] 2024-01-02T00:00:00Z Bob <b@x.org>
@t1 2024-01-02T00:00:01Z Bob <b@x.org>
c [!b a@t1 @t1] 2024-01-03T00:00:00Z Bob <b@x.org> #    spaced note   
  d [ids:a] 2024-01-04T00:00:00Z Bob <b@x.org>
`;

describe('sqitch.plan', () => {
  it('computes the change ids sqitch computes: unicode planner and note, escapes, conflicts, tag dependencies, own-project prefix', () => {
    const plan = parseSqitchPlan(PLAN);
    assert.equal(plan.project, 'ids');
    assert.deepEqual(
      plan.changes.map((c) => [c.name, c.id]),
      [
        ['a', '9388e9b9bbb5666f0bad0f219aa8e23cc7066b28'],
        ['b', '5dae8c076585bd66a172756879ffe07f5ae81706'],
        ['c', 'b88d44cb0e3a7cf331db2b2a0f8b299516e0ff62'],
        ['d', '32b7c60f23d65a650f024d5b5fe486cd037d30ea'],
      ],
    );
    assert.equal(plan.changes[0].note, 'Note with \\ backslash and ünïcode');
    assert.equal(plan.changes[2].note, 'spaced note');
    assert.deepEqual(plan.changes[2].dependencies.map((d) => `${d.type}:${d.name}`), ['conflict:b', 'require:a@t1', 'require:@t1']);
    assert.deepEqual(plan.changes[3].dependencies.map((d) => d.name), ['a']);
    assert.deepEqual(plan.changes[1].tags.map((t) => t.name), ['@t1']);
  });

  it('hashes the project URI as sqitch writes it (canonical), so ids match', () => {
    const plan = parseSqitchPlan('%syntax-version=1.0.0\n%project=flipr\n%uri=https://github.com/x/flipr\n\nusers 2026-11-26T20:45:45Z Ann Doe <ann@x.org> # Creates table to track our users.\n');
    assert.equal(plan.changes[0].id, '763f224baf1773da733d3ee0bede8b9b35952c60');
    assert.equal(canonicalUri('https://Example.com'), 'https://example.com/');
    assert.equal(canonicalUri('HTTPS://a.com:443/x'), 'https://a.com/x');
  });

  it('marks a reworked change with its rework tags, latest first, then its own (the tags its script may carry)', () => {
    const plan = parseSqitchPlan('%project=p\n\na 2024-01-01T00:00:00Z A <a@x>\n@t1 2024-01-01T00:00:01Z A <a@x>\nb 2024-01-02T00:00:00Z A <a@x>\n@t2 2024-01-02T00:00:01Z A <a@x>\na [a@t1] 2024-01-03T00:00:00Z A <a@x>\n');
    assert.deepEqual(plan.changes.map((c) => [c.name, c.reworkTags]), [['a', ['@t2', '@t1']], ['b', []], ['a', []]]);
    assert.throws(() => parseSqitchPlan('%project=p\n\na 2024-01-01T00:00:00Z A <a@x>\na 2024-01-02T00:00:00Z A <a@x>\n'), /line 4: change "a" duplicates earlier declaration on line 3/);
  });

  it('names each version of a reworked change as sqitch lists them when its bare name is ambiguous (format_tag_qualified_name)', () => {
    // sqitch 1.3.1, deploy --to foo on this plan: `* foo@v4`, `* foo@v3`, `* foo@v2` (latest first). The
    // first foo has no tag of its own: its first rework tag, the latest before its rework.
    const plan = parseSqitchPlan('%project=p\n\nfoo 2024-01-01T00:00:00Z A <a@x>\nbar 2024-01-02T00:00:00Z A <a@x>\n@v1 2024-01-02T00:00:01Z A <a@x>\nbaz 2024-01-03T00:00:00Z A <a@x>\n@v2 2024-01-03T00:00:01Z A <a@x>\nfoo [foo@v2] 2024-01-04T00:00:00Z A <a@x>\n@v3 2024-01-04T00:00:01Z A <a@x>\nfoo [foo@v3] 2024-01-05T00:00:00Z A <a@x>\n@v4 2024-01-05T00:00:01Z A <a@x>\nqux 2024-01-06T00:00:00Z A <a@x>\n');
    assert.deepEqual(plan.changes.map(tagQualifiedName), ['foo@v2', 'bar@v1', 'baz@v2', 'foo@v3', 'foo@v4', 'qux@HEAD']);
    // What --to names a change by: a change planned once by its name.
    assert.deepEqual(plan.changes.map((c) => changeTargetName(c, plan.changes)), ['foo@v2', 'bar', 'baz', 'foo@v3', 'foo@v4', 'qux']);
    // The rework with no tag of its own (sqitch 1.3.1: `* users@HEAD`, `* users@v1.0`).
    const users = parseSqitchPlan('%project=p\n\nusers 2024-01-01T00:00:00Z A <a@x>\n@v1.0 2024-01-01T00:00:01Z A <a@x>\nflips 2024-01-02T00:00:00Z A <a@x>\nusers [users@v1.0] 2024-01-03T00:00:00Z A <a@x>\n');
    assert.deepEqual(users.changes.map((c) => changeTargetName(c, users.changes)), ['users@v1.0', 'flips', 'users@HEAD']);
  });

  it('refuses what sqitch refuses, with the line', () => {
    assert.throws(() => parseSqitchPlan('%syntax-version=1.0.0\n\na 2024-01-01T00:00:00Z A <a@x>\n'), /no %project pragma/);
    assert.throws(() => parseSqitchPlan('%project=p\n\na A <a@x>\n'), /line 3: missing timestamp/);
    assert.throws(() => parseSqitchPlan('%project=p\n\na 2024-01-01T00:00:00Z\n'), /line 3: missing planner name and email/);
    assert.throws(() => parseSqitchPlan('%project=p\n\n@t 2024-01-01T00:00:00Z A <a@x>\n'), /line 3: tag "@t" declared without a preceding change/);
    assert.throws(() => parseSqitchPlan('%project=p\n\na 2024-01-01T00:00:00Z A <a@x>\n@t 2024-01-01T00:00:00Z A <a@x>\n@t 2024-01-01T00:00:00Z A <a@x>\n'), /line 5: tag "@t" duplicates earlier declaration on line 4/);
  });

  it('takes the names sqitch takes and refuses the ones it refuses (checked with sqitch 1.3.1 plan)', () => {
    const plan = (name: string) => parseSqitchPlan(`%project=p\n\na 2024-01-01T00:00:00Z A <a@x>\n${name} 2024-01-02T00:00:00Z A <a@x>\n`);
    // Digits alone, `_` at either end, punctuation and digits at the end but for ~ / = % ^.
    for (const name of ['2024', '001', '00', '_foo', 'foo_', 'foo-1', 'a/b', '1.2', 'a~1b']) assert.equal(plan(name).changes[1].name, name, name);
    for (const name of ['0', 'foo~1', 'foo^2', 'foo/3', 'foo=4', 'foo%5', 'foo-', '@0']) assert.throws(() => plan(name), /line 4: /, name);
  });
});

describe('sqitch.conf', () => {
  it('reads sections, subsections in both spellings, quoted values and comments as git config does', () => {
    const conf = parseSqitchConf('[core]\n\tEngine = pg ; the engine\n[deploy.variables]\n\tapp_schema = flipr\n[engine "pg"]\n\tregistry = "my reg" # quoted\n[core "variables"]\n\tgreeting = "a # b"\n');
    assert.equal(conf.get('core.engine'), 'pg');
    assert.equal(conf.get('deploy.variables.app_schema'), 'flipr');
    assert.equal(conf.get('engine.pg.registry'), 'my reg');
    assert.equal(conf.get('core.variables.greeting'), 'a # b');
  });
});
