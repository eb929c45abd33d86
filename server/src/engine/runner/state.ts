// The project's state folder, `.zdm/` next to .zdm.json (or in the project folder): the embedded
// server's data, its pid/port record, and the applied-migration record the linter reads. It ignores
// itself in git (a `.gitignore` holding `*`), so nothing in it is ever committed.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const STATE_DIR_NAME = '.zdm';

export function stateDirOf(projectRoot: string): string {
  return path.join(path.resolve(projectRoot), STATE_DIR_NAME);
}

/** Creates the state folder (git-ignored) and returns its path. */
export function ensureStateDir(projectRoot: string): string {
  const dir = stateDirOf(projectRoot);
  fs.mkdirSync(dir, { recursive: true });
  const ignore = path.join(dir, '.gitignore');
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, '# zdm state (embedded database, applied-migration record): never committed\n*\n');
  return dir;
}

/** Writes a file atomically (write beside, then rename), so a reader never sees half a file. */
export function writeFileAtomic(file: string, text: string, mode?: number): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text, mode !== undefined ? { mode } : undefined);
  fs.renameSync(temp, file);
}
