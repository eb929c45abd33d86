// Applying fixes: edits are checked (in range, not overlapping) before anything is written, so a
// file either takes all of its edits or none.

import type { Finding, Fix, LintResult, TextEdit } from '../model';

export type EditOutcome = { ok: true; text: string } | { ok: false; reason: string };

/** Applies edits to one text. Fails, changing nothing, when an edit is out of range or two overlap. */
export function applyEdits(text: string, edits: readonly TextEdit[]): EditOutcome {
  const sorted = [...edits].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i];
    if (e.span.start < 0 || e.span.end > text.length || e.span.start > e.span.end) {
      return { ok: false, reason: `an edit at ${e.span.start}-${e.span.end} is outside the file (length ${text.length})` };
    }
    const next = sorted[i + 1];
    if (next && next.span.start < e.span.end) return { ok: false, reason: `two edits overlap at offset ${next.span.start}` };
  }
  let out = '';
  let at = 0;
  for (const e of sorted) {
    out += text.slice(at, e.span.start) + e.newText;
    at = e.span.end;
  }
  return { ok: true, text: out + text.slice(at) };
}

/** Whether a fix only edits the linted file (no other file, no file creation). */
export function editsOnlyThisFile(fix: Fix): boolean {
  return !fix.creates?.length && fix.edits.every((e) => e.path === undefined);
}

/**
 * Picks safe fixes that can be applied together: the first safe fix of each finding, skipping any
 * whose edits would overlap an already chosen one (a later pass picks those up after re-linting).
 */
export function chooseSafeFixes(findings: readonly Finding[]): Fix[] {
  const chosen: Fix[] = [];
  const taken: { start: number; end: number }[] = [];
  const seen = new Set<string>();
  for (const f of findings) {
    const fix = f.fixes?.find((x) => x.safe && editsOnlyThisFile(x));
    if (!fix) continue;
    const key = JSON.stringify(fix.edits);
    if (seen.has(key)) continue; // two findings offering the same edit
    const overlaps = fix.edits.some((e) => taken.some((t) => e.span.start < t.end && t.start < e.span.end || (e.span.start === e.span.end && e.span.start === t.start && t.start === t.end)));
    if (overlaps) continue;
    seen.add(key);
    chosen.push(fix);
    taken.push(...fix.edits.map((e) => e.span));
  }
  return chosen;
}

/**
 * Safe fixes that create new files and otherwise edit only the linted file (a generated `.down.sql`,
 * a diesel `metadata.toml`): the first such fix of each finding, skipping any whose edits overlap a
 * chosen one or that would create a file another chosen fix creates.
 */
export function chooseSafeCreatingFixes(findings: readonly Finding[]): { finding: Finding; fix: Fix }[] {
  const chosen: { finding: Finding; fix: Fix }[] = [];
  const taken: { start: number; end: number }[] = [];
  const paths = new Set<string>();
  for (const finding of findings) {
    const fix = finding.fixes?.find((x) => x.safe && (x.creates?.length ?? 0) > 0 && x.edits.every((e) => e.path === undefined));
    if (!fix) continue;
    if (fix.creates!.some((c) => paths.has(c.path))) continue;
    if (fix.edits.some((e) => taken.some((t) => e.span.start < t.end && t.start < e.span.end))) continue;
    chosen.push({ finding, fix });
    taken.push(...fix.edits.map((e) => e.span));
    for (const c of fix.creates!) paths.add(c.path);
  }
  return chosen;
}

/**
 * Applies the safe fixes that edit only this file, pass after pass (each pass's fixes are computed on
 * the text it applies to), as `zdm lint --fix` and the editor's fix-all do. Fixes made on the same text
 * can clash where each alone is right (SET lock_timeout added at the top of a block another fix makes
 * `transaction:false`, which dbmate then sends as one query string): when a pass together brings an
 * error finding that was not there, or leaves an error without the safe fix it had, only its first fix
 * that does neither is applied, and the rest are computed again on the result. `failure` says why it stopped early (an edit that does not apply, or a
 * result that parses worse); `text` and `result` are then those of the last good pass.
 */
export function applySafeFixesInPasses(text: string, result: LintResult, relint: (text: string) => LintResult, maxPasses = 10): { text: string; result: LintResult; applied: string[]; failure?: string } {
  const applied: string[] = [];
  for (let pass = 0; pass < maxPasses; pass++) {
    let fixes = chooseSafeFixes(result.findings);
    if (fixes.length === 0) break;
    let outcome = applyEdits(text, fixes.flatMap((f) => f.edits));
    if (!outcome.ok) return { text, result, applied, failure: outcome.reason };
    let next = relint(outcome.text);
    if (parseErrors(next) > parseErrors(result)) return { text, result, applied, failure: `the fixed text would not parse (${fixes.map((f) => f.title).join('; ')})` };
    if (bringsNewErrors(result, next) || losesSafeFixes(result, next)) {
      let chosen: { fix: Fix; text: string; next: LintResult } | undefined;
      for (const fix of fixes) {
        const one = applyEdits(text, fix.edits);
        if (!one.ok) continue;
        const after = relint(one.text);
        if (parseErrors(after) <= parseErrors(result) && !bringsNewErrors(result, after) && !losesSafeFixes(result, after)) {
          chosen = { fix, text: one.text, next: after };
          break;
        }
      }
      if (!chosen) break;
      fixes = [chosen.fix];
      outcome = { ok: true, text: chosen.text };
      next = chosen.next;
    }
    applied.push(...fixes.map((f) => f.title));
    text = outcome.text;
    result = next;
  }
  return { text, result, applied };
}

/** A finding's identity across edits: its rule and message, numbers left out (lines move with the edits). */
const findingKey = (f: Finding) => `${f.rule}\u0000${f.message.replace(/\d+/g, '#')}`;

/** Whether `after` has an error-level finding that `before` did not. */
function bringsNewErrors(before: LintResult, after: LintResult): boolean {
  const had = new Set(before.findings.filter((f) => f.severity === 'error').map(findingKey));
  return after.findings.some((f) => f.severity === 'error' && !had.has(findingKey(f)));
}

/**
 * Whether an error-level finding that had a safe fix in `before` is still there in `after` without one:
 * a warning's fix must not take away an error's (SET lock_timeout added beside a diesel CREATE INDEX,
 * whose safe fix, CONCURRENTLY and a new metadata.toml, needs the statement alone in its file).
 */
function losesSafeFixes(before: LintResult, after: LintResult): boolean {
  const fixable = new Set(before.findings.filter((f) => f.severity === 'error' && f.fixes?.some((x) => x.safe)).map(findingKey));
  if (fixable.size === 0) return false;
  return after.findings.some((f) => f.severity === 'error' && fixable.has(findingKey(f)) && !f.fixes?.some((x) => x.safe));
}

/** Statements that do not parse. */
export function parseErrors(result: LintResult): number {
  return result.statements.filter((s) => s.error).length;
}
