// `zdm lint --fix`: applies safe fixes to a file, re-linting between passes, and writes the result
// atomically (a temp file renamed over the original) only when every chosen edit applied cleanly.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LintResult } from '../model';
import { applyEdits, chooseSafeFixes } from './apply';

const MAX_PASSES = 10;

export function fixFileInPlace(file: string, initial: LintResult, relint: (text: string) => LintResult): { result: LintResult; message?: string } {
  let result = initial;
  let text = initial.document.text;
  const applied: string[] = [];
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const fixes = chooseSafeFixes(result.findings);
    if (fixes.length === 0) break;
    const outcome = applyEdits(text, fixes.flatMap((f) => f.edits));
    if (!outcome.ok) return { result: initial, message: `zdm lint --fix: left ${file} untouched: ${outcome.reason}.` };
    const next = relint(outcome.text);
    const newErrors = next.statements.filter((s) => s.error).length > result.statements.filter((s) => s.error).length;
    if (newErrors) return { result: initial, message: `zdm lint --fix: left ${file} untouched: the fixed text would not parse (${fixes.map((f) => f.title).join('; ')}).` };
    applied.push(...fixes.map((f) => f.title));
    text = outcome.text;
    result = next;
  }
  if (applied.length === 0) return { result };
  writeFileAtomic(file, text);
  return { result, message: `zdm lint --fix: ${file}: ${applied.length} fix${applied.length === 1 ? '' : 'es'} applied (${[...new Set(applied)].join('; ')}).` };
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

