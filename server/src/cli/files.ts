// Which files `zdm lint` looks at: paths, folders (every .sql below them) and quoted globs; and, with
// --since, only those changed since a git ref.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { childPath } from '../engine/paths';
import picomatch from 'picomatch';

export class UsageError extends Error {}

const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'out', '.zdm']);

/**
 * The files to lint, sorted. `listings`, when given, receives the entry names of every folder read on
 * the way (by path): the lint's disk host starts with them (host.ts), instead of listing those folders
 * again to answer the formats' and rules' questions about their files. `walked` receives the files
 * found by walking a folder (not named, nor matched by a glob): those are linted only when they look
 * like migrations (pool.ts).
 */
export function resolveFiles(inputs: string[], cwd: string, listings?: Map<string, string[]>, walked?: Set<string>): string[] {
  const out = new Set<string>();
  const named = new Set<string>();
  for (const input of inputs.length > 0 ? inputs : ['.']) {
    const absolute = path.resolve(cwd, input);
    if (picomatch.scan(input).isGlob) {
      const { base, glob } = picomatch.scan(input);
      const root = path.resolve(cwd, base || '.');
      const match = picomatch(glob, { dot: false });
      const found = walk(root, listings).filter((f) => match(path.relative(root, f).split(path.sep).join('/')));
      if (found.length === 0) throw new UsageError(`No file matches ${input}.`);
      found.forEach((f) => (out.add(f), named.add(f)));
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(absolute);
    } catch {
      throw new UsageError(`No such file or folder: ${input}`);
    }
    if (stat.isDirectory()) walk(absolute, listings).filter((f) => f.toLowerCase().endsWith('.sql')).forEach((f) => (out.add(f), walked?.add(f)));
    else {
      out.add(absolute);
      named.add(absolute);
    }
  }
  for (const f of named) walked?.delete(f);
  return [...out].sort();
}

function walk(root: string, listings?: Map<string, string[]>): string[] {
  const out: string[] = [];
  const stack = [root];
  // Folders reached through a symbolic link are walked once each, by their real path: a link to a
  // parent folder must not make the walk go round for ever.
  const walked = new Set<string>();
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      const real = fs.realpathSync(dir);
      if (walked.has(real)) continue;
      walked.add(real);
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    listings?.set(dir, entries.map((e) => e.name));
    for (const e of entries) {
      // A symbolic link counts as what it points to (migrations kept elsewhere and linked in); a
      // broken one is left out, as the folder walk of a migration tool would.
      const kind = e.isSymbolicLink() ? fs.statSync(childPath(dir, e.name), { throwIfNoEntry: false }) : e;
      if (kind?.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && !e.name.startsWith('.')) stack.push(childPath(dir, e.name));
      } else if (kind?.isFile()) out.push(childPath(dir, e.name));
    }
  }
  return out;
}

/** Absolute paths of files added or modified since `ref` (committed, staged, unstaged or untracked). */
export function changedSince(ref: string, cwd: string): Set<string> {
  const git = (args: string[]) => {
    try {
      // node:child_process is loaded only for --since: it costs every lint thread ~10 ms at start-up.
      const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
      return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new UsageError(`--since ${ref}: git ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`);
    }
  };
  const top = git(['rev-parse', '--show-toplevel']).trim();
  git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  // -z: names as they are, NUL-separated. Without it git quotes a name with non-ASCII bytes, a tab or
  // a quote ("db/caf\303\251.sql"), which then matches no file and is silently not linted.
  const names = [
    ...git(['diff', '--name-only', '-z', '--diff-filter=ACMR', ref, '--'])
      .split('\0')
      .filter((n) => n !== '')
      .map((n) => path.resolve(top, n)),
    ...git(['ls-files', '--others', '--exclude-standard', '-z'])
      .split('\0')
      .filter((n) => n !== '')
      .map((n) => path.resolve(cwd, n)),
  ];
  return new Set(names);
}
