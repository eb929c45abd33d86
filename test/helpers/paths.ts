import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root (tests run from out/, fixtures live in the source tree). */
export const REPO_ROOT = findRoot(__dirname);
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
export const CORPUS = path.resolve(REPO_ROOT, '..', 'shared', 'corpus');

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'zdm') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the zdm repository above ${start}`);
    dir = parent;
  }
}
