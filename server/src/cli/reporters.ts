// Output formats of `zdm lint`: text (like a compiler), json, sarif and github annotations.

import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ruleDocsUrl } from '../engine/docs-url';
import type { Severity } from '../engine/model';
import { basenameOf, dirnameOf, isNormalizedAbsolute, relativePath } from '../engine/paths';
import type { FileReport, ReportedFinding } from '../engine/report';
import { registry } from '../engine/rules/registry';

export type OutputFormat = 'text' | 'json' | 'sarif' | 'github';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'sarif', 'github'];

export interface RenderOptions {
  cwd: string;
  color: boolean;
  /** Files linted (including clean ones), for the summary. */
  fileCount: number;
  version: string;
}

/**
 * The formats whose output is each file's part in file order (and, for text, a summary): the thread
 * that lints a file can render its part as it goes (`renderFilePart`), so that rendering is shared by
 * the lint threads and a worker sends the main thread strings instead of every finding. SARIF lists
 * the rules used across all files first: it is rendered whole, at the end.
 */
export type PerFileFormat = 'text' | 'json' | 'github';

export function rendersPerFile(format: OutputFormat): format is PerFileFormat {
  return format !== 'sarif';
}

/** What a lint thread needs to render a file's part. */
export interface FilePartOptions {
  format: PerFileFormat;
  cwd: string;
  color: boolean;
}

/** A file's part of the output ('' when it has nothing to show), as `render` would write it. */
export function renderFilePart(report: FileReport, options: FilePartOptions): string {
  switch (options.format) {
    case 'json':
      return jsonItems(report, options.cwd)
        .map((item) => '  ' + JSON.stringify(item, null, 2).replace(/\n/g, '\n  '))
        .join(',\n');
    case 'github':
      return githubLines(report, options.cwd).join('\n');
    default:
      return textEntries(report, { cwd: options.cwd, color: options.color }).join('\n');
  }
}

/** The severities of a report's findings (all of them are kept when the report carries its rendered part). */
export function severitiesOf(report: FileReport): readonly Severity[] {
  return report.rendered !== undefined ? report.rendered.severities : report.findings.map((f) => f.severity);
}

function partOf(report: FileReport, options: FilePartOptions): string {
  const rendered = report.rendered;
  if (rendered === undefined) return renderFilePart(report, options);
  // Its findings are gone: the part can only be what the lint thread rendered, for these options.
  if (rendered.format !== options.format || rendered.cwd !== options.cwd || rendered.color !== options.color) {
    throw new Error(`internal: ${report.file} was rendered for ${rendered.format} output, not ${options.format}`);
  }
  return rendered.text;
}

/** Renders a report's part now (in the thread that linted it) and drops its findings, keeping their severities. */
export function withRenderedPart(report: FileReport, options: FilePartOptions): FileReport {
  const text = renderFilePart(report, options);
  return { ...report, findings: [], rendered: { format: options.format, cwd: options.cwd, color: options.color, text, severities: report.findings.map((f) => f.severity) } };
}

export function render(format: OutputFormat, reports: FileReport[], options: RenderOptions): string {
  return renderChunks(format, reports, options).join('');
}

/**
 * The output as a few strings of up to ~256 KB that together are `render`'s: `zdm lint` writes them one
 * by one. The whole corpus's text output is 3 MB; one string of it, joined from the files' parts, was
 * two-byte as soon as one part held a character past U+00FF (6 MB), and it was encoded to UTF-8 whole
 * before the write: ~15 ms after the lint threads had finished, on a 2-core machine.
 */
export function renderChunks(format: OutputFormat, reports: FileReport[], options: RenderOptions): string[] {
  if (!rendersPerFile(format)) return [renderSarif(reports, options)];
  const chunks: string[] = [];
  new StreamedOutput(format, { cwd: options.cwd, color: options.color }, { write: (s) => chunks.push(s) }).finish(reports, options);
  return chunks;
}

/** Where `zdm lint` writes its output. */
export interface OutputSink {
  write(s: string): void;
  /** Characters written earlier that the stream has not passed on yet (a pipe that is full). */
  pending?(): number;
}

/** Pieces of the output are joined into strings of about this size before they are written at the end. */
const CHUNK_CHARS = 256 * 1024;
/** While the lint runs, a piece is written once this much is ready and the stream has passed on the last one. */
const STREAM_CHARS = 64 * 1024;

/**
 * The output of a per-file format (`renderChunks`' bytes exactly), written as it becomes known. The
 * thread that lints files from the front of the list offers each file's report as soon as it is done
 * (`offer`, any order; a report is written once every file before it is known), so the output flows
 * to its reader while the lint runs instead of after it (a corpus lint writes 3 MB of text, which the
 * process otherwise waited for the reader to drain before exiting). `finish` writes what is left,
 * with every report, and the end of the output (the text format's summary, JSON's closing bracket).
 *
 * Each format is a sequence of the files' non-empty parts: text and github each part and a newline,
 * then (text) the summary and a newline; JSON `[\n`, the parts separated by `,\n`, then `\n]\n`
 * (`[]\n` without any part).
 */
export class StreamedOutput {
  private readonly waiting = new Map<number, FileReport | undefined>();
  /** The index of the next file to write. */
  private next = 0;
  /** Reports written so far: the first ones of the file order. */
  private written = 0;
  private batch: string[] = [];
  private size = 0;
  private parts = 0;

  constructor(
    private readonly format: PerFileFormat,
    private readonly options: { cwd: string; color: boolean },
    private readonly sink: OutputSink,
  ) {}

  /** The report of the file at `index` in the sorted file list (undefined: the file was not linted). */
  offer(index: number, report: FileReport | undefined): void {
    this.waiting.set(index, report);
    while (this.waiting.has(this.next)) {
      const r = this.waiting.get(this.next);
      this.waiting.delete(this.next++);
      if (r === undefined) continue;
      this.add(r);
      this.written++;
    }
    if (this.size >= STREAM_CHARS && (this.sink.pending?.() ?? 0) === 0) this.flush();
  }

  /** Writes the rest: `reports` are all of them, in file order (the first ones may have been written already). */
  finish(reports: readonly FileReport[], options: RenderOptions): void {
    for (let i = this.written; i < reports.length; i++) {
      this.add(reports[i]);
      if (this.size >= CHUNK_CHARS) this.flush();
    }
    if (this.format === 'text') this.push(textSummary(reports, options) + '\n');
    else if (this.format === 'json') this.push(this.parts === 0 ? '[]\n' : '\n]\n');
    this.flush();
  }

  private add(report: FileReport): void {
    const part = partOf(report, { format: this.format, cwd: this.options.cwd, color: this.options.color });
    if (part === '') return;
    if (this.format === 'json') this.push(this.parts === 0 ? '[\n' : ',\n');
    this.push(part);
    if (this.format !== 'json') this.push('\n');
    this.parts++;
  }

  private push(piece: string): void {
    this.batch.push(piece);
    this.size += piece.length;
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    this.sink.write(this.batch.join(''));
    this.batch = [];
    this.size = 0;
  }
}

function displayPath(file: string, cwd: string): string {
  // Asked per finding, and a file's findings come together: worked out once per file, from its folder's
  // answer (once per folder) when both paths are normalized and absolute.
  if (file === lastDisplayed.file && cwd === lastDisplayed.cwd) return lastDisplayed.shown;
  let shown: string;
  if (isNormalizedAbsolute(file) && isNormalizedAbsolute(cwd) && file !== cwd && file !== '/') {
    if (displayedFolders.cwd !== cwd) displayedFolders = { cwd, prefixes: new Map() };
    const dir = dirnameOf(file);
    let prefix = displayedFolders.prefixes.get(dir);
    if (prefix === undefined) {
      const relative = relativePath(cwd, dir);
      prefix = relative.startsWith('..') ? null : relative === '' ? '' : `${relative}/`;
      displayedFolders.prefixes.set(dir, prefix);
    }
    const name = basenameOf(file);
    shown = prefix === null || (prefix === '' && name.startsWith('..')) ? file : prefix + name;
  } else {
    const relative = relativePath(cwd, file);
    shown = relative.startsWith('..') ? file : relative;
  }
  lastDisplayed = { file, cwd, shown };
  return shown;
}

let lastDisplayed = { file: '', cwd: '', shown: '' };
/** Per folder of the files shown: what goes before the file name (null: the folder is outside cwd, the path is shown whole). */
let displayedFolders = { cwd: '', prefixes: new Map<string, string | null>() };

function jsonItems(r: FileReport, cwd: string): Record<string, unknown>[] {
  return r.findings.map((f) => {
      const item: Record<string, unknown> = {
        file: displayPath(r.file, cwd),
        rule: f.rule,
        severity: f.severity,
        message: f.message,
        line: f.line,
        column: f.column,
        endLine: f.endLine,
        endColumn: f.endColumn,
      };
      if (f.help) item.help = f.help;
      if (f.fixes?.length) item.fix = { title: f.fixes[0].title };
      return item;
  });
}

const SARIF_LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

export function renderSarif(reports: FileReport[], options: RenderOptions): string {
  const used = new Set(reports.flatMap((r) => r.findings.map((f) => f.rule)));
  const rules = registry.filter((r) => used.has(r.id));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'zdm',
            version: options.version,
            informationUri: 'https://github.com/zdm-dev/zdm',
            rules: rules.map((r) => ({
              id: r.id,
              shortDescription: { text: r.summary },
              helpUri: ruleDocsUrl(r.id),
              defaultConfiguration: { level: r.defaultLevel === 'off' ? 'none' : SARIF_LEVEL[r.defaultLevel] },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(options.cwd.endsWith(path.sep) ? options.cwd : options.cwd + path.sep).href } },
        columnKind: 'utf16CodeUnits',
        results: reports.flatMap((r) =>
          r.findings.map((f) => ({
            ruleId: f.rule,
            ...(ruleIndex.has(f.rule) ? { ruleIndex: ruleIndex.get(f.rule) } : {}),
            level: SARIF_LEVEL[f.severity],
            message: { text: f.help ? `${f.message} ${f.help}` : f.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: sarifLocation(r.file, options.cwd),
                  region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
                },
              },
            ],
          })),
        ),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

/** A SARIF artifact location: a URI reference relative to %SRCROOT% (the repository's root), each segment percent-encoded, or a file URI for a file outside it. */
function sarifLocation(file: string, root: string): { uri: string; uriBaseId?: string } {
  const shown = displayPath(file, root);
  if (path.isAbsolute(shown)) return { uri: pathToFileURL(shown).href };
  return { uri: shown.split(path.sep).join('/').split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

const GITHUB_COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice', hint: 'notice' };

function githubLines(r: FileReport, cwd: string): string[] {
  const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const lines: string[] = [];
  {
    for (const f of r.findings) {
      const props = [
        `file=${escapeProperty(displayPath(r.file, cwd))}`,
        `line=${f.line}`,
        `col=${f.column}`,
        `endLine=${f.endLine}`,
        `endColumn=${f.endColumn}`,
        `title=${escapeProperty(`zdm ${f.rule}`)}`,
      ];
      lines.push(`::${GITHUB_COMMAND[f.severity]} ${props.join(',')}::${escapeData(f.help ? `${f.message}\n${f.help}` : f.message)}`);
    }
  }
  return lines;
}

const COLORS = { error: '\x1b[31;1m', warning: '\x1b[33;1m', info: '\x1b[36;1m', hint: '\x1b[36m', blue: '\x1b[34;1m', bold: '\x1b[1m', dim: '\x1b[2m', reset: '\x1b[0m' };

export function renderText(reports: FileReport[], options: RenderOptions): string {
  return renderChunks('text', reports, options).join('');
}

/** The text format's last line: the findings by severity over every report, and the files linted. */
function textSummary(reports: readonly FileReport[], options: RenderOptions): string {
  const c = colorizer(options.color);
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0, hint: 0 };
  let filesWithFindings = 0;
  for (const r of reports) {
    const severities = severitiesOf(r);
    if (severities.length > 0) filesWithFindings++;
    for (const s of severities) counts[s]++;
  }
  const parts = (['error', 'warning', 'info', 'hint'] as Severity[]).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}${counts[s] === 1 ? '' : s === 'info' ? '' : 's'}`);
  const linted = `${options.fileCount} file${options.fileCount === 1 ? '' : 's'} linted`;
  return parts.length === 0 ? c('bold', `No findings (${linted}).`) : c('bold', `Found ${parts.join(', ')} in ${filesWithFindings} file${filesWithFindings === 1 ? '' : 's'} (${linted}).`);
}

function colorizer(color: boolean): (name: keyof typeof COLORS, s: string) => string {
  return (name, s) => (color ? COLORS[name] + s + COLORS.reset : s);
}

/** A file's findings and rule failures in text, one entry each. */
function textEntries(r: FileReport, options: { cwd: string; color: boolean }): string[] {
  const c = colorizer(options.color);
  const out: string[] = [];
  for (const f of r.findings) out.push(renderTextFinding(r.file, f, options, c));
  for (const failure of r.ruleFailures) {
    out.push(`${c('error', 'internal error')}: rule ${failure.rule} failed on ${displayPath(r.file, options.cwd)} (other rules still ran): ${failure.message.split('\n')[0]}\n`);
  }
  return out;
}

function renderTextFinding(file: string, f: ReportedFinding, options: { cwd: string }, c: (name: keyof typeof COLORS, s: string) => string): string {
  const lines: string[] = [];
  lines.push(`${c(f.severity, `${f.severity}[${f.rule}]`)}${c('bold', `: ${f.message}`)}`);
  const gutter = String(f.endLine).length;
  const pad = ' '.repeat(gutter);
  lines.push(`${pad}${c('blue', '-->')} ${displayPath(file, options.cwd)}:${f.line}:${f.column}`);
  lines.push(`${pad} ${c('blue', '|')}`);
  const first = expandTabs(f.sourceLines[0] ?? '');
  lines.push(`${c('blue', String(f.line).padStart(gutter) + ' |')} ${first.text}`);
  const startCol = first.column(f.column - 1);
  const endCol = f.endLine === f.line ? Math.max(first.column(f.endColumn - 1), startCol + 1) : Math.max(first.text.length, startCol + 1);
  lines.push(`${pad} ${c('blue', '|')} ${' '.repeat(startCol)}${c(f.severity, '^'.repeat(Math.max(1, endCol - startCol)))}`);
  if (f.endLine !== f.line && f.sourceLines[1] !== undefined) {
    if (f.endLine > f.line + 1) lines.push(`${pad} ${c('blue', '|')} ${c('dim', '...')}`);
    const last = expandTabs(f.sourceLines[1]);
    lines.push(`${c('blue', String(f.endLine).padStart(gutter) + ' |')} ${last.text}`);
    lines.push(`${pad} ${c('blue', '|')} ${c(f.severity, '^'.repeat(Math.max(1, last.column(f.endColumn - 1))))}`);
  }
  if (f.help) lines.push(`${pad} ${c('blue', '=')} ${c('bold', 'help')}: ${f.help}`);
  for (const fix of f.fixes ?? []) lines.push(`${pad} ${c('blue', '=')} ${c('bold', 'fix')}: ${fix.title}${fix.safe ? ' (zdm lint --fix)' : ''}`);
  lines.push(`${pad} ${c('blue', '=')} ${c('bold', 'docs')}: ${ruleDocsUrl(f.rule)}`);
  return lines.join('\n') + '\n';
}

/** Expands tabs to 4 columns so the underline lines up; maps UTF-16 columns to display columns. */
function expandTabs(line: string): { text: string; column: (utf16: number) => number } {
  if (!line.includes('\t')) return { text: line, column: (n) => n };
  let text = '';
  const map: number[] = [];
  for (let i = 0; i < line.length; i++) {
    map.push(text.length);
    if (line[i] === '\t') text += ' '.repeat(4 - (text.length % 4));
    else text += line[i];
  }
  map.push(text.length);
  return { text, column: (n) => map[Math.min(n, map.length - 1)] };
}
