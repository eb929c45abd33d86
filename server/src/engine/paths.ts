// Paths of entries in a folder, built and taken apart often: every format, history and fix asks for a
// file beside the one being linted. Node's path functions are loops over each character in
// JavaScript (`path.join` and `path.resolve` normalize their result each time: about a tenth of a
// corpus lint's CPU went to path.normalize), and `zdm lint` runs without V8's optimizing compiler, so
// each call costs microseconds. A path that is already a normalized absolute POSIX path needs none of
// that: these functions answer from native string methods then, and call `path` for anything else.

import * as path from 'node:path';

/**
 * True when `p` is an absolute POSIX path that `path.resolve` and `path.normalize` return unchanged:
 * no empty, `.` or `..` segment and no trailing separator (except `/` itself).
 */
export function isNormalizedAbsolute(p: string): boolean {
  if (path.sep !== '/' || p.charCodeAt(0) !== 47) return false;
  if (p.length === 1) return true;
  if (p.charCodeAt(p.length - 1) === 47 || p.includes('//')) return false;
  for (let i = p.indexOf('/.'); i !== -1; i = p.indexOf('/.', i + 2)) {
    const next = p.charCodeAt(i + 2);
    if (Number.isNaN(next) || next === 47) return false; // a `.` segment
    if (next === 46) {
      const after = p.charCodeAt(i + 3);
      if (Number.isNaN(after) || after === 47) return false; // a `..` segment
    }
  }
  return true;
}

/**
 * `path.join(dir, ...names)` for folder entries. When `dir` is an absolute POSIX path that is already
 * normalized and each name is a plain entry name (not empty, `.` or `..`, no separator), the result
 * is the concatenation; anything else goes through `path.join`.
 */
export function childPath(dir: string, ...names: string[]): string {
  if (dir !== lastNormalizedDir) {
    if (!isNormalizedAbsolute(dir)) return path.join(dir, ...names);
    lastNormalizedDir = dir;
  }
  // An indexed loop: without the optimizing compiler, `for ... of` allocates a result per name.
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (name === '' || name === '.' || name === '..' || name.includes('/')) return path.join(dir, ...names);
  }
  return (dir === '/' ? '' : dir) + '/' + (names.length === 1 ? names[0] : names.join('/'));
}

/**
 * The folder `childPath` last found normalized: callers ask for many entries of one folder in a row
 * (a format's companions, a history's migrations, the `.zdm/` lookup up the tree), and comparing two
 * strings is native where `isNormalizedAbsolute` is several calls.
 */
let lastNormalizedDir = '/';

/** `path.resolve(p)`: `p` itself when it is a normalized absolute path. */
export function resolvedPath(p: string): string {
  return isNormalizedAbsolute(p) ? p : path.resolve(p);
}

/** `path.relative(from, to)`: for two normalized absolute paths, from their segments (split natively). */
export function relativePath(from: string, to: string): string {
  if (!isNormalizedAbsolute(from) || !isNormalizedAbsolute(to)) return path.relative(from, to);
  if (from === to) return '';
  // The usual question: a path below `from` (a file under the working folder).
  if (to.length > from.length + 1 && to.charCodeAt(from.length) === 47 && to.startsWith(from)) return to.slice(from.length + 1);
  const a = from === '/' ? [''] : from.split('/');
  const b = to === '/' ? [''] : to.split('/');
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  const up: string[] = new Array(a.length - common).fill('..');
  return up.concat(b.slice(common)).join('/');
}

/** `path.dirname(p)`: the part before the last separator when there is no trailing one. */
export function dirnameOf(p: string): string {
  const slash = p.lastIndexOf('/');
  // Below 2, the root (`/x`, `//x`) and relative names have answers of their own: path.dirname gives them.
  if (path.sep !== '/' || slash < 2 || slash === p.length - 1) return path.dirname(p);
  return p.slice(0, slash);
}

/** `path.basename(p, ext)`: the part after the last separator when there is no trailing one. */
export function basenameOf(p: string, ext?: string): string {
  if (path.sep !== '/' || (p.length > 0 && p.charCodeAt(p.length - 1) === 47)) return ext === undefined ? path.basename(p) : path.basename(p, ext);
  const name = p.slice(p.lastIndexOf('/') + 1);
  if (ext === undefined || ext === '') return name;
  // A name that is the extension and nothing else, or an extension holding a separator, has an answer
  // of its own: path.basename gives it.
  if (ext.includes('/')) return path.basename(p, ext);
  if (!name.endsWith(ext)) return name;
  return name.length > ext.length ? name.slice(0, name.length - ext.length) : path.basename(p, ext);
}
