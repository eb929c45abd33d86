// Paths of entries in a folder, built often: every format, history and fix asks for a file beside the
// one being linted. `path.join` normalizes its result each time (about a tenth of a corpus lint's CPU
// went to path.normalize); a folder that is already normalized needs no normalizing.

import * as path from 'node:path';

/**
 * `path.join(dir, ...names)` for folder entries. When `dir` is an absolute POSIX path that is already
 * normalized and each name is a plain entry name (not empty, `.` or `..`, no separator), the result
 * is the concatenation; anything else goes through `path.join`.
 */
export function childPath(dir: string, ...names: string[]): string {
  if (!isNormalizedAbsolute(dir)) return path.join(dir, ...names);
  for (const name of names) if (name === '' || name === '.' || name === '..' || name.includes('/')) return path.join(dir, ...names);
  return (dir === '/' ? '' : dir) + '/' + names.join('/');
}

/** Whether `p` is an absolute POSIX path that `path.resolve` and `path.normalize` leave as it is (conservatively: no `/.` at all). */
export function isNormalizedAbsolute(p: string): boolean {
  return path.sep === '/' && p.charCodeAt(0) === 47 && !p.includes('//') && !p.includes('/.') && (p.length === 1 || p.charCodeAt(p.length - 1) !== 47);
}

/**
 * `path.relative(dir, file)`. When both are normalized absolute POSIX paths and `file` is inside
 * `dir`, that is the rest of `file` after `dir/`; anything else goes through `path.relative`.
 */
export function relativePath(dir: string, file: string): string {
  if (dir.length > 1 && file.length > dir.length + 1 && file.charCodeAt(dir.length) === 47 && file.startsWith(dir) && isNormalizedAbsolute(dir) && isNormalizedAbsolute(file)) return file.slice(dir.length + 1);
  return path.relative(dir, file);
}
