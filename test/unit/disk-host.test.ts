// The caching disk host answers "is this a folder?" for a path its listed parent does not hold
// without asking the disk (fixes ask it for every file they would create); what exists is still
// listed, and a new host sees what was created since.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { createDiskHost } from '../../server/src/engine/host';

describe('disk host: folders known missing from their parent listing', () => {
  it('a path the listed parent lacks is no folder; an existing one is listed; a new host sees new folders', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-host-'));
    try {
      fs.mkdirSync(path.join(root, 'a'));
      fs.writeFileSync(path.join(root, 'a', 'x.sql'), 'SELECT 1;\n');
      fs.writeFileSync(path.join(root, 'file.sql'), 'SELECT 1;\n');
      const host = createDiskHost();
      assert.deepEqual(host.readDirectory(root)?.sort(), ['a', 'file.sql']);
      assert.deepEqual(host.readDirectory(path.join(root, 'a')), ['x.sql']);
      assert.equal(host.readDirectory(path.join(root, 'b')), undefined);
      assert.equal(host.readDirectory(path.join(root, 'b', 'c')), undefined, 'under a missing folder');
      assert.equal(host.fileExists(path.join(root, 'b', 'c', 'up.sql')), false);
      assert.equal(host.readDirectory(path.join(root, 'file.sql')), undefined, 'a file is no folder');
      // Created after this host listed the parent: this run's snapshot does not see it, a new host does.
      fs.mkdirSync(path.join(root, 'b'));
      fs.writeFileSync(path.join(root, 'b', 'y.sql'), 'SELECT 1;\n');
      assert.equal(host.readDirectory(path.join(root, 'b')), undefined);
      const next = createDiskHost();
      assert.deepEqual(next.readDirectory(path.join(root, 'b')), ['y.sql']);
      // Without the cache, every question goes to the disk.
      assert.deepEqual(createDiskHost({ cache: false }).readDirectory(path.join(root, 'b')), ['y.sql']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
