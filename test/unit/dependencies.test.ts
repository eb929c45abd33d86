// Dependencies that must not move on their own: libpg-query is pinned to the exact version installed,
// because server/src/engine/sql/parser.ts drives its Emscripten module's internals (see ARCHITECTURE.md).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'));

describe('dependencies', () => {
  it('libpg-query is pinned to the exact version installed, in package.json and package-lock.json', () => {
    const wanted = readJson('package.json').dependencies['libpg-query'];
    assert.match(wanted, /^\d+\.\d+\.\d+$/, `package.json asks for libpg-query "${wanted}": pin an exact version`);
    const lock = readJson('package-lock.json');
    assert.equal(lock.packages[''].dependencies['libpg-query'], wanted, 'package-lock.json agrees with package.json (run npm install)');
    assert.equal(lock.packages['node_modules/libpg-query'].version, wanted);
    assert.equal(readJson('node_modules/libpg-query/package.json').version, wanted, 'the installed libpg-query is the pinned one');
  });
});
