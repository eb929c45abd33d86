// The CLI's one way of reading a command's arguments (server/src/cli/args.ts): bad usage is reported
// with the command's help (exit 2, secrets masked), --help prints the help (exit 0), else the values.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandArgs } from '../../server/src/cli/args';

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { cwd: '/', env: {}, isTTY: false, stdout: (s: string) => (out.stdout += s), stderr: (s: string) => (out.stderr += s) } };
}

const config = (args: string[]) => ({ args, allowPositionals: true, options: { url: { type: 'string' }, yes: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } }) as const;

describe('command arguments', () => {
  it('returns the values and positionals', () => {
    const { io: cli, out } = io();
    const parsed = parseCommandArgs('x', 'HELP\n', cli, config(['--yes', 'a', 'b']));
    assert.notEqual(typeof parsed, 'number');
    if (typeof parsed === 'number') return;
    assert.equal(parsed.values.yes, true);
    assert.deepEqual(parsed.positionals, ['a', 'b']);
    assert.deepEqual(out, { stdout: '', stderr: '' });
  });

  it('--help and -h print the help: exit 0', () => {
    for (const flag of ['--help', '-h']) {
      const { io: cli, out } = io();
      assert.equal(parseCommandArgs('x', 'HELP\n', cli, config([flag])), 0);
      assert.deepEqual(out, { stdout: 'HELP\n', stderr: '' });
    }
  });

  it('bad usage: the problem and the help on stderr, exit 2, secrets masked', () => {
    const { io: cli, out } = io();
    assert.equal(parseCommandArgs('x', 'HELP\n', cli, config(['--secret-s3cr3t']), (t) => t.replace(/s3cr3t/g, '****')), 2);
    assert.match(out.stderr, /^zdm x: Unknown option '--secret-\*\*\*\*'.*\n\nHELP\n$/s);
    assert.equal(out.stdout, '');
  });
});
