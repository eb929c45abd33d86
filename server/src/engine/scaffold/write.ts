// Writing scaffolded migrations to disk: all files or none, never over an existing file. Each new file
// is written beside its target under a temporary name and linked into place (link fails when the
// target exists, so a file that appeared meanwhile is never overwritten); edits of existing files
// (sqitch.plan) go through a temporary file renamed over the original.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyEdits } from '../fixes/apply';
import { writeFileAtomic } from '../fixes/fix-file';
import type { TextEdit } from '../model';
import { ScaffoldError, type ScaffoldOutput } from './naming';

/** Writes the outputs' files and edits. Returns the paths created. Throws a ScaffoldError (and removes what it wrote) on failure. */
export function writeScaffold(outputs: readonly ScaffoldOutput[]): string[] {
  const creates = outputs.flatMap((o) => o.creates);
  for (const file of creates) {
    if (fs.existsSync(file.path)) throw new ScaffoldError(`${file.path} already exists; zdm never overwrites a migration.`);
  }
  const edits = new Map<string, TextEdit[]>();
  for (const edit of outputs.flatMap((o) => o.edits)) {
    if (edit.path === undefined) continue;
    edits.set(edit.path, [...(edits.get(edit.path) ?? []), edit]);
  }
  const edited = new Map<string, string>();
  for (const [file, list] of edits) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new ScaffoldError(`Cannot read ${file}: ${(error as Error).message}`);
    }
    const outcome = applyEdits(text, list);
    if (!outcome.ok) throw new ScaffoldError(`Cannot update ${file}: ${outcome.reason}.`);
    edited.set(file, outcome.text);
  }
  const written: string[] = [];
  const madeDirs: string[] = [];
  try {
    for (const file of creates) {
      const dir = path.dirname(file.path);
      if (!fs.existsSync(dir)) {
        madeDirs.push(fs.mkdirSync(dir, { recursive: true }) ?? dir);
      }
      writeNewFile(file.path, file.text);
      written.push(file.path);
    }
    for (const [file, text] of edited) writeFileAtomic(file, text);
  } catch (error) {
    for (const file of written) fs.rmSync(file, { force: true });
    for (const dir of madeDirs.reverse()) fs.rmSync(dir, { recursive: true, force: true });
    if (error instanceof ScaffoldError) throw error;
    throw new ScaffoldError(`Cannot write the migration: ${(error as Error).message}`);
  }
  return written;
}

/** Creates `file` with `text` atomically; fails when it exists. */
function writeNewFile(file: string, text: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.zdm-${process.pid}-${Date.now()}.tmp`);
  fs.writeFileSync(temp, text, { flag: 'wx' });
  try {
    fs.linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ScaffoldError(`${file} already exists; zdm never overwrites a migration.`);
    throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}
