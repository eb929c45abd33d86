// File snapshots: the expected text lives beside the fixture. `UPDATE_SNAPSHOTS=1 npm test` rewrites
// them; a missing snapshot is written on a developer machine and fails under CI.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';

export function matchSnapshot(file: string, actual: string): void {
  const update = process.env.UPDATE_SNAPSHOTS === '1';
  if (!fs.existsSync(file)) {
    if (process.env.CI) assert.fail(`Snapshot ${file} is missing (run UPDATE_SNAPSHOTS=1 npm test and commit it).`);
    fs.writeFileSync(file, actual);
    return;
  }
  if (update) {
    fs.writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `Snapshot ${file} differs (UPDATE_SNAPSHOTS=1 npm test to accept the new output).`);
}
