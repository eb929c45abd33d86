// The editor reads the CLI's output line by line as its chunks arrive (client/src/lines.ts): a line split
// across chunks is handed out once, whole; what follows the last newline waits for the end.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineBuffer } from '../../client/src/lines';

describe("the CLI's output, line by line", () => {
  it('hands out each complete line once, across chunks', () => {
    const lines = new LineBuffer();
    assert.deepEqual(lines.push('{"event":"pl'), []);
    assert.deepEqual(lines.push('an"}\n{"event":"statement"}\n{"ev'), ['{"event":"plan"}', '{"event":"statement"}']);
    assert.equal(lines.rest, '{"ev');
    assert.deepEqual(lines.push('ent":"result"}'), []);
    assert.equal(lines.rest, '{"event":"result"}', 'the last line, when the stream ends without a newline');
    assert.deepEqual(lines.push('\n\n'), ['{"event":"result"}', '']);
    assert.equal(lines.rest, '');
  });
});
