// A sqitch script using a psql variable with no value (not in the sqitch configuration for its kind of
// script, not `\set` before it) is a migration-format warning where the variable stands: the runner
// refuses the script, and psql would send `:name` as written.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { defaultConfig } from '../../server/src/engine/config/config';
import { createMemoryHost } from '../../server/src/engine/host';
import { lintText } from '../../server/src/engine/lint';
import type { Finding } from '../../server/src/engine/model';
import { initParser } from '../../server/src/engine/sql/parser';

const PLAN = '%syntax-version=1.0.0\n%project=shop\n\nusers 2026-11-01T10:00:00Z Ann <ann@example.org> # users\n';
// sqitch revert passes [deploy.variables] too (with [revert.variables] over them), sqitch deploy does not
// pass [revert.variables]: a variable set only there has a value in a revert script, none in a deploy one.
const CONF = '[core]\n\tengine = pg\n[revert "variables"]\n\towner = app\n';

function project(deploy: string, revert: string, verify = 'SELECT 1;\n', conf = CONF): Record<string, string> {
  return {
    '/p/sqitch.plan': PLAN,
    '/p/sqitch.conf': conf,
    '/p/deploy/users.sql': deploy,
    '/p/revert/users.sql': revert,
    '/p/verify/users.sql': verify,
  };
}

function variableFindings(files: Record<string, string>, file: string): Finding[] {
  return lintText(file, files[file], { config: defaultConfig(), host: createMemoryHost(files) }).findings.filter((f) => f.rule === 'migration-format');
}

describe('sqitch: psql variables with no value', () => {
  before(async () => {
    await initParser();
  });

  const use = "BEGIN;\nALTER TABLE users OWNER TO :owner;\nCOMMIT;\n";

  it('a variable set in [revert.variables] is fine in a revert script (and flagged there without it)', () => {
    assert.deepEqual(variableFindings(project(use, use), '/p/revert/users.sql'), []);
    assert.equal(variableFindings(project(use, use, undefined, '[core]\n\tengine = pg\n'), '/p/revert/users.sql').length, 1);
  });

  it('the same variable in a deploy script, set neither in [deploy.variables] nor [core.variables], is a warning at the variable', () => {
    const files = project(use, use);
    const found = variableFindings(files, '/p/deploy/users.sql');
    assert.equal(found.length, 1);
    assert.equal(found[0].severity, 'warning');
    assert.equal(files['/p/deploy/users.sql'].slice(found[0].span.start, found[0].span.end), ':owner');
    assert.match(found[0].message, /:owner has no value \(set it under \[deploy\.variables\] or \[core\.variables\] in sqitch\.conf, or with \\set/);
    assert.match(found[0].help ?? '', /--set owner=/);
  });

  it('a revert script with no value: the message names [revert.variables] too', () => {
    const found = variableFindings(project(use, use, undefined, '[core]\n\tengine = pg\n'), '/p/revert/users.sql');
    assert.equal(found.length, 1);
    assert.match(found[0].message, /set it under \[revert\.variables\], \[deploy\.variables\] or \[core\.variables\]/);
  });

  it('set under [deploy.variables], [core.variables] or [engine "pg"] variables, a deploy script has it', () => {
    for (const conf of ['[deploy "variables"]\n\towner = app\n', '[core "variables"]\n\towner = app\n', '[engine "pg.variables"]\n\towner = app\n']) {
      assert.deepEqual(variableFindings(project(use, use, undefined, conf), '/p/deploy/users.sql'), [], conf);
    }
    assert.equal(variableFindings(project(use, use), '/p/deploy/users.sql').length, 1, 'with [revert.variables] only');
  });

  it('\\set earlier in the script gives it a value; \\unset takes it away again', () => {
    const set = "\\set owner app\nBEGIN;\nALTER TABLE users OWNER TO :owner;\nCOMMIT;\n";
    assert.deepEqual(variableFindings(project(set, use), '/p/deploy/users.sql'), []);
    const after = "BEGIN;\nALTER TABLE users OWNER TO :owner;\nCOMMIT;\n\\set owner app\n";
    assert.equal(variableFindings(project(after, use), '/p/deploy/users.sql').length, 1, 'a \\set after the use does not count');
    const unset = "\\unset owner\nBEGIN;\nALTER TABLE users OWNER TO :'owner';\nCOMMIT;\n";
    const found = variableFindings(project(use, unset), '/p/revert/users.sql');
    assert.equal(found.length, 1, '\\unset takes the [revert.variables] value away');
    assert.match(found[0].message, /:owner has no value/);
  });

  it('`:{?name}` is always defined; quoted forms are checked as the bare one', () => {
    const defined = "SELECT :{?missing} AS known;\n";
    assert.deepEqual(variableFindings(project(defined, defined), '/p/revert/users.sql'), []);
    const quoted = 'CREATE TABLE :"missing" (id bigint);\n';
    const found = variableFindings(project(quoted, use), '/p/deploy/users.sql');
    assert.equal(found.length, 1);
    assert.equal(quoted.slice(found[0].span.start, found[0].span.end), ':"missing"');
  });

  it('a verify script has the deploy variables and [verify.variables]', () => {
    const verify = 'SELECT :owner, :checked;\n';
    const deployOnly = '[core]\n\tengine = pg\n[deploy "variables"]\n\towner = app\n';
    const found = variableFindings(project(use, use, verify, deployOnly), '/p/verify/users.sql');
    assert.deepEqual(found.map((f) => verify.slice(f.span.start, f.span.end)), [':checked']);
    assert.match(found[0].message, /set it under \[verify\.variables\], \[deploy\.variables\] or \[core\.variables\]/);
    const conf = `${deployOnly}[verify "variables"]\n\tchecked = yes\n`;
    assert.deepEqual(variableFindings(project(use, use, verify, conf), '/p/verify/users.sql'), []);
  });

  it('.zdm.json setting the rule level overrides the warning', () => {
    const files = project(use, use);
    const config = defaultConfig();
    config.rules['migration-format'] = { level: 'error', options: {} };
    const found = lintText('/p/deploy/users.sql', files['/p/deploy/users.sql'], { config, host: createMemoryHost(files) }).findings.filter((f) => f.rule === 'migration-format');
    assert.equal(found[0]?.severity, 'error');
  });

  it('an edited sqitch.conf is read again (the variables are cached per project folder on the texts)', () => {
    const files = project(use, use);
    assert.equal(variableFindings(files, '/p/deploy/users.sql').length, 1);
    files['/p/sqitch.conf'] = `${CONF}[deploy "variables"]\n\towner = app\n`;
    assert.deepEqual(variableFindings(files, '/p/deploy/users.sql'), []);
  });
});
