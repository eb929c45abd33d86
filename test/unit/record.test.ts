// findRecord (server/src/engine/runner/record.ts): the applied record a migration falls under, found by
// walking up from its folder. A host that keeps what it read walks once per folder; every answer must be
// the one a fresh walk through a host that reads again gives.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { createDiskHost } from '../../server/src/engine/host';
import { findRecord } from '../../server/src/engine/runner/record';

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe('findRecord', () => {
  it('answers every file as a fresh walk does, from the nearest record up, with the file’s own entry', () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-record-')));
    const record = (migrations: Record<string, unknown>) => JSON.stringify({ version: 1, database: 'postgres://localhost/app', updatedAt: '2026-01-01T00:00:00Z', migrations });
    // app/: a record naming one of two migrations; app/nested/: its own record; broken/: a record that does not parse; bare/: none.
    write(path.join(root, 'app', '.zdm', 'applied.json'), record({ 'db/migrations/001_a.sql': { checksum: 'x', appliedAt: '2026-01-01T00:00:00Z' } }));
    write(path.join(root, 'app', 'nested', '.zdm', 'applied.json'), record({ 'm/002_b.sql': { checksum: 'y', appliedAt: '2026-01-02T00:00:00Z' } }));
    write(path.join(root, 'broken', '.zdm', 'applied.json'), '{ not json');
    const files = [
      'app/db/migrations/001_a.sql',
      'app/db/migrations/002_b.sql',
      'app/nested/m/002_b.sql',
      'app/nested/m/003_c.sql',
      'broken/db/001_a.sql',
      'bare/db/001_a.sql',
    ].map((f) => path.join(root, f));
    for (const f of files) write(f, 'SELECT 1;\n');

    const cached = createDiskHost();
    const fresh = () => createDiskHost({ cache: false });
    for (const f of [...files, ...files]) assert.deepEqual(findRecord(cached, f), findRecord(fresh(), f), f);

    assert.equal(findRecord(cached, files[0])?.root, path.join(root, 'app'));
    assert.ok(findRecord(cached, files[0])?.entry, '001_a is recorded');
    assert.equal(findRecord(cached, files[1])?.entry, undefined, '002_b is not');
    assert.equal(findRecord(cached, files[2])?.root, path.join(root, 'app', 'nested'));
    assert.ok(findRecord(cached, files[2])?.entry);
    assert.equal(findRecord(cached, files[4]), undefined, 'a broken record is no record');
    assert.equal(findRecord(cached, files[5]), undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('walks each folder once through a host that keeps what it read', () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-record-')));
    const files = ['001_a.sql', '002_b.sql', '003_c.sql'].map((f) => path.join(root, 'db', 'migrations', f));
    for (const f of files) write(f, 'SELECT 1;\n');
    const disk = createDiskHost();
    const asked: string[] = [];
    const host = { ...disk, readFile: (p: string) => (asked.push(p), disk.readFile(p)) };
    assert.equal(findRecord(host, files[0]), undefined);
    const walked = asked.length;
    assert.ok(walked > 0);
    assert.equal(findRecord(host, files[1]), undefined);
    assert.equal(findRecord(host, files[2]), undefined);
    assert.equal(asked.length, walked, 'the other files of the folder ask the host nothing');
    // diesel: a folder per migration; a second migration's walk meets the first one's a level up.
    const diesel = ['2024-01-01-000000_a', '2024-01-02-000000_b'].map((d) => path.join(root, 'migrations', d, 'up.sql'));
    for (const f of diesel) write(f, 'SELECT 1;\n');
    asked.length = 0;
    assert.equal(findRecord(host, diesel[0]), undefined);
    asked.length = 0;
    assert.equal(findRecord(host, diesel[1]), undefined);
    assert.deepEqual(asked, [path.join(root, 'migrations', '2024-01-02-000000_b', '.zdm', 'applied.json')]);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
