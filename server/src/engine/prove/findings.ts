// Findings of the proving commands, in the shape `zdm lint --format json` prints (file, rule, severity,
// message, 1-based line and UTF-16 column), so editors and CI read them the same way.

import type { Severity, Span } from '../model';
import type { RunError } from '../runner/events';
import { LineIndex } from '../text/offsets';

export interface ProveFinding {
  file: string;
  rule: string;
  severity: Severity;
  message: string;
  /** What to do about it. */
  help?: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The migration it is about. */
  version?: string;
}

export interface Location {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** The 1-based location of a span of a file's text. */
export function locationOf(file: string, text: string, span: Span): Location {
  const index = new LineIndex(text);
  const start = index.positionAt(span.start);
  const end = index.positionAt(Math.max(span.start, span.end));
  return { file, line: start.line + 1, column: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 };
}

/** Where a runner error points (its statement), or `fallback` when it has no position. */
export function locationOfError(error: RunError | undefined, fallback: Location): Location {
  if (!error?.file || error.line === undefined) return fallback;
  return { file: error.file, line: error.line, column: error.column ?? 1, endLine: error.endLine ?? error.line, endColumn: error.endColumn ?? (error.column ?? 1) + 1 };
}

export function finding(location: Location, rule: string, severity: Severity, message: string, extra: { help?: string; version?: string } = {}): ProveFinding {
  const f: ProveFinding = { ...location, rule, severity, message };
  if (extra.help !== undefined) f.help = extra.help;
  if (extra.version !== undefined) f.version = extra.version;
  return f;
}

/** True when some finding is at or above `level`. */
export function reachesLevel(findings: readonly ProveFinding[], level: Severity): boolean {
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };
  return findings.some((f) => rank[f.severity] <= rank[level]);
}
