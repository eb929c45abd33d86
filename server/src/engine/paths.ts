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
  if (path.sep !== '/' || dir.charCodeAt(0) !== 47 || dir.includes('//') || dir.includes('/.') || (dir.length > 1 && dir.charCodeAt(dir.length - 1) === 47)) return path.join(dir, ...names);
  for (const name of names) if (name === '' || name === '.' || name === '..' || name.includes('/')) return path.join(dir, ...names);
  return (dir === '/' ? '' : dir) + '/' + names.join('/');
}
