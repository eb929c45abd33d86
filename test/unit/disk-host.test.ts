// The caching disk host answers "is this a folder?" for a path its listed parent does not hold
// without asking the disk (fixes ask it for every file they would create); what exists is still
// listed, and a new host sees what was created since.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { resolveFiles } from '../../server/src/cli/files';
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

describe('disk host: started with the folders the CLI listed while looking for files', () => {
  it('resolveFiles hands over each folder it read, as the disk lists it; a host started with them does not list those folders again', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-host-listings-'));
    try {
      fs.mkdirSync(path.join(root, 'migrations', '2024-01-01-000000_a'), { recursive: true });
      fs.writeFileSync(path.join(root, 'migrations', '2024-01-01-000000_a', 'up.sql'), 'SELECT 1;\n');
      fs.writeFileSync(path.join(root, 'migrations', '2024-01-01-000000_a', 'down.sql'), 'SELECT 1;\n');
      fs.writeFileSync(path.join(root, 'migrations', 'README.md'), '# notes\n');
      fs.mkdirSync(path.join(root, 'node_modules', 'x'), { recursive: true });
      const listings = new Map<string, string[]>();
      const files = resolveFiles(['.'], root, listings);
      assert.deepEqual(files.map((f) => path.relative(root, f)), [path.join('migrations', '2024-01-01-000000_a', 'down.sql'), path.join('migrations', '2024-01-01-000000_a', 'up.sql')]);
      const unseeded = createDiskHost();
      for (const [dir, names] of listings) assert.deepEqual(names, unseeded.readDirectory(dir), dir);
      assert.ok(!listings.has(path.join(root, 'node_modules')), 'skipped folders are not listed');

      const host = createDiskHost({ cache: true, listings });
      // The disk changes after the search: the host answers from the listings it was given, as it would from its own first listing.
      const folder = path.join(root, 'migrations', '2024-01-01-000000_a');
      fs.writeFileSync(path.join(folder, 'metadata.toml'), '');
      assert.deepEqual(host.readDirectory(folder)?.sort(), ['down.sql', 'up.sql']);
      assert.equal(host.fileExists(path.join(folder, 'metadata.toml')), false);
      assert.equal(host.fileExists(path.join(folder, 'up.sql')), true);
      assert.equal(host.readFile(path.join(folder, 'up.sql')), 'SELECT 1;\n');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
