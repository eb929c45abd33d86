// Shared pieces of the migration-format layer.

import type { ProjectHost } from '../host';
import type { FileRole, FormatId, FormatProblem, MigrationDocument, Section, SectionKind, TransactionMode } from '../model';
import { lineBreakAfter, type Span } from '../text/offsets';

export interface FormatOptions {
  /** Overrides the format's own transaction default (squawk's `assumeInTransaction`). */
  assumeInTransaction?: boolean;
  /** golang-migrate runs with `x-multi-statement=true`: it cuts each file at every `;` and sends each piece alone. */
  golangMigrateMultiStatement?: boolean;
}

export interface FormatModule {
  id: FormatId;
  /** Human name, for messages. */
  name: string;
  supportsDown: boolean;
  /** True when the text carries this format's markers. */
  hasMarkers?(text: string): boolean;
  /** True when the file's name or folder layout belongs to this format. */
  matchesPath?(filePath: string, host: ProjectHost): boolean;
  describe(filePath: string, text: string, host: ProjectHost, options: FormatOptions): MigrationDocument;
}

/** A matched marker line: its whole line span and the regular expression match. */
export interface MarkerLine {
  span: Span;
  match: RegExpExecArray;
}

/** Finds lines matching `pattern` (anchored by the caller with ^ and the m flag). */
export function findMarkerLines(text: string, pattern: RegExp): MarkerLine[] {
  const flags = pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g';
  const re = new RegExp(pattern.source, flags.includes('m') ? flags : flags + 'm');
  const out: MarkerLine[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const start = m.index;
    out.push({ span: { start, end: lineBreakAfter(text, start).end }, match: m });
    if (re.lastIndex === m.index) re.lastIndex++;
  }
  return out;
}

/** Offset of the start of the line after `offset`'s line (or the text end). */
export function nextLineStart(text: string, offset: number): number {
  return lineBreakAfter(text, offset).next;
}

export function section(kind: SectionKind, span: Span, transaction: TransactionMode, transactionSource: string, source: string, extra: Partial<Section> = {}): Section {
  return { kind, span, transaction, transactionSource, source, ...extra };
}

export function baseDocument(filePath: string, text: string, format: FormatId, supportsDown: boolean, role: FileRole): MigrationDocument {
  return { path: filePath, text, format, formatSource: 'default', role, sections: [], supportsDown, problems: [] };
}

export function problem(rule: string, message: string, span: Span, help?: string): FormatProblem {
  return help === undefined ? { rule, message, span } : { rule, message, span, help };
}

/** The span of the first line, for file-level findings. */
export function firstLineSpan(text: string): Span {
  return { start: 0, end: lineBreakAfter(text, 0).end };
}

/** Splits `<digits>_<description>` (or `<digits>-...`) names; diesel versions may hold dashes. */
export function versionAndDescription(base: string): { version?: string; description?: string } {
  const m = /^(\d[\d-]*\d|\d)[_-]?(.*)$/.exec(base);
  if (!m) return { description: base };
  return { version: m[1], description: m[2] || undefined };
}
