// `zdm lint --fix`: applies safe fixes to a file, re-linting between passes, and writes the result
// only when every chosen edit applied cleanly: never a partial write.
//
// What it applies: safe fixes only (a person reviews the others in the editor). Fixes that edit only
// the linted file come first, pass after pass (a fix is computed on the text it applies to). Then, in
// one last step, safe fixes that also create new files (a generated `.down.sql`, a diesel
// `metadata.toml`, a Flyway `.conf`), as long as every file they create does not exist yet: a create
// never overwrites anything. Fixes that edit another existing file, or create a file that exists, are
// left for the editor.
//
// How it writes: each new file under a temporary name in its folder, linked into place (the link fails
// when the name was taken meanwhile); then the linted file through a temporary file renamed over it.
// Any failure removes the files it created and leaves the linted file as it was, with the reason.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileCreate, Finding, LintResult } from '../model';
import { applyEdits, applySafeFixesInPasses, chooseSafeCreatingFixes, parseErrors } from './apply';

const MAX_PASSES = 10;

/**
 * `relint` lints a text of the file; with `created`, as if those files existed already (the last step
 * creates them: a diesel `metadata.toml`, a `.down.sql`, which change how the file itself is read).
 */
export function fixFileInPlace(file: string, initial: LintResult, relint: (text: string, created?: readonly FileCreate[]) => LintResult): { result: LintResult; message?: string } {
  let result = initial;
  let text = initial.document.text;
  const applied: string[] = [];
  const untouched = (reason: string) => ({ result: initial, message: `zdm lint --fix: left ${file} untouched: ${reason}.` });
  const passes = applySafeFixesInPasses(text, result, relint, MAX_PASSES);
  if (passes.failure) return untouched(passes.failure);
  applied.push(...passes.applied);
  text = passes.text;
  result = passes.result;

  // Fixes that create files: one step, on the final text; the files must not exist.
  // A file another fix of this run already created with the same text (diesel's metadata.toml, asked
  // for by both up.sql and down.sql) counts as created.
  const creating = chooseSafeCreatingFixes(result.findings).filter(({ fix }) => (fix.creates ?? []).every((c) => !fs.existsSync(c.path) || sameText(c.path, c.text)));
  const creates: FileCreate[] = [];
  if (creating.length > 0) {
    const outcome = applyEdits(text, creating.flatMap(({ fix }) => fix.edits));
    if (!outcome.ok) return untouched(outcome.reason);
    creates.push(...creating.flatMap(({ fix }) => fix.creates ?? []).filter((c) => !fs.existsSync(c.path)));
    // The findings reported are those of the file beside the files it now has: a diesel metadata.toml
    // makes up.sql non-transactional, which other rules read (a re-run of CREATE INDEX CONCURRENTLY).
    const next = relint(outcome.text, creates);
    if (parseErrors(next) > parseErrors(result)) return untouched(`the fixed text would not parse (${creating.map(({ fix }) => fix.title).join('; ')})`);
    applied.push(...creating.map(({ fix }) => fix.title));
    text = outcome.text;
    result = next;
  }
  if (creates.length > 0 || creating.length > 0) {
    // The linter's host listed the folder before the new files existed: a finding whose fix only
    // creates files that now exist with that very text is fixed, and not reported.
    const done = (f: Finding) => (f.fixes ?? []).some((x) => x.edits.length === 0 && (x.creates?.length ?? 0) > 0 && x.creates!.every((c) => creates.some((n) => n.path === c.path && n.text === c.text) || sameText(c.path, c.text)));
    const fixed = (f: Finding) => creating.some(({ finding }) => finding.rule === f.rule && finding.message === f.message) || done(f);
    result = { ...result, findings: result.findings.filter((f) => !fixed(f)) };
  }

  if (applied.length === 0) return { result };
  const written: string[] = [];
  try {
    for (const c of creates) {
      if (writeNewFile(c.path, c.text)) written.push(c.path);
    }
    // The lint read the text without its byte-order mark: the file keeps the one it had.
    if (text !== initial.document.text) writeFileAtomic(file, startsWithBom(file) ? `\uFEFF${text}` : text);
  } catch (error) {
    for (const w of written) fs.rmSync(w, { force: true });
    return untouched((error as NodeJS.ErrnoException).code === 'EEXIST' ? `${(error as { path?: string }).path ?? 'a file it would create'} already exists` : `cannot write: ${(error as Error).message}`);
  }
  const createdNote = written.length > 0 ? `; created ${written.map((w) => path.relative(path.dirname(file), w) || w).join(', ')}` : '';
  const counted = [...new Set(applied)].map((title) => {
    const n = applied.filter((t) => t === title).length;
    return n > 1 ? `${title} ×${n}` : title;
  });
  return { result, message: `zdm lint --fix: ${file}: ${applied.length} fix${applied.length === 1 ? '' : 'es'} applied (${counted.join('; ')})${createdNote}.` };
}

function startsWithBom(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(3);
    return fs.readSync(fd, head, 0, 3, 0) === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function sameText(file: string, text: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8') === text;
  } catch {
    return false;
  }
}

/** Writes through a temp file in the same folder and renames it over the target: never a half-written file. */
export function writeFileAtomic(file: string, text: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.zdm-${process.pid}-${Date.now()}.tmp`);
  let mode: number | undefined;
  try {
    mode = fs.statSync(file).mode;
  } catch {
    mode = undefined;
  }
  try {
    fs.writeFileSync(temp, text, mode !== undefined ? { mode } : undefined);
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Creates `file` whole, or not at all, and never over an existing file: true when it created it, false
 * when the same text was there already (written meanwhile by another fix of this run); throws EEXIST
 * when other text is there.
 */
function writeNewFile(file: string, text: string): boolean {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.zdm-${process.pid}-${Date.now()}.tmp`);
  fs.writeFileSync(temp, text, { flag: 'wx' });
  try {
    try {
      fs.linkSync(temp, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A file system without hard links: an exclusive create still never overwrites.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV') fs.writeFileSync(file, text, { flag: 'wx' });
      else throw error;
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (sameText(file, text)) return false;
    throw Object.assign(new Error(`${file} already exists`), { code: 'EEXIST', path: file });
  } finally {
    fs.rmSync(temp, { force: true });
  }
}
