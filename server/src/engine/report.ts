// A lint result in the shape every output speaks: 1-based lines and UTF-16 columns, as an editor
// counts them. The CLI's reporters and the worker threads exchange these.

import type { LintResult, Severity } from './model';
import { LineIndex } from './text/offsets';

export interface ReportedFinding {
  rule: string;
  severity: Severity;
  message: string;
  help?: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The source lines the finding covers (first and last), for text output. */
  sourceLines: string[];
  fixes?: { title: string; safe: boolean }[];
}

export interface FileReport {
  file: string;
  findings: ReportedFinding[];
  skipped?: string;
  ruleFailures: { rule: string; message: string }[];
  format?: string;
  /** What `--fix` did to the file, or why it left it untouched. */
  fixReport?: string;
  /**
   * The file's part of the CLI's output, rendered by the thread that linted it (cli/reporters.ts
   * `renderFilePart`). A report that carries it has no `findings` left (a worker sends the main thread
   * this text, not every finding); their severities stay, for the summary and the exit code.
   */
  rendered?: { format: string; cwd: string; color: boolean; text: string; severities: Severity[] };
}

export function toFileReport(file: string, result: LintResult, given?: LineIndex): FileReport {
  // Most files have no findings: their lines are indexed only when there is something to place.
  let lineIndex = given;
  const findings = result.findings.map((f): ReportedFinding => {
    lineIndex ??= new LineIndex(result.document.text);
    const start = lineIndex.positionAt(f.span.start);
    const end = lineIndex.positionAt(Math.max(f.span.end, f.span.start));
    const sourceLines = [lineIndex.lineText(start.line)];
    if (end.line !== start.line) sourceLines.push(lineIndex.lineText(end.line));
    const reported: ReportedFinding = {
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      line: start.line + 1,
      column: start.character + 1,
      endLine: end.line + 1,
      endColumn: end.character + 1,
      sourceLines,
    };
    if (f.help) reported.help = f.help;
    if (f.fixes?.length) reported.fixes = f.fixes.map((x) => ({ title: x.title, safe: x.safe }));
    return reported;
  });
  const report: FileReport = { file, findings, ruleFailures: result.ruleFailures, format: result.document.format };
  if (result.skipped) report.skipped = result.skipped;
  return report;
}
