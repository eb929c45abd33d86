// Lints one migration file: format -> sections -> statements -> parse -> facts -> rules -> findings.
// Never throws on user input: bad text gives findings, a failing rule is isolated and reported.

import { basenameOf } from './paths';
import { type ZdmConfig } from './config/config';
import { computeFacts } from './context';
import { type FixEdits, isLazyFix, lazyFix } from './fixes/lazy';
import { firstLineSpan } from './formats/common';
import { describeMigration, describeOptionsOf } from './formats/index';
import type { ProjectHost } from './host';
import type { Finding, Fix, LintResult, MigrationDocument, Severity, Statement } from './model';
import { registry } from './rules/registry';
import { isSeverity, levelOf, type Report, type Rule, type RuleContext } from './rules/types';
import { isComment, lex } from './sql/lexer';
import { nodeKind } from './sql/parser';
import { parseSectionStatement, placeholderUnmasker } from './sql/placeholders';
import { splitStatements } from './sql/split';
import { collectDirectives, type IgnoreDirective, suppresses } from './suppress';
import { isAscii, type Span, utf16FromCodePoint, utf16FromUtf8 } from './text/offsets';
import { atOrBeforeBaseline } from './versions';

export interface LintOptions {
  config: ZdmConfig;
  host: ProjectHost;
  /** Folder that relative config paths (baseline, ignore) are resolved against. */
  root?: string;
  /** Lint migrations at or before the baseline too. */
  ignoreBaseline?: boolean;
  /** Rules to run (default: the registry). */
  rules?: readonly Rule[];
}

/** Lints `text` as the migration at `filePath`. */
export function lintText(filePath: string, text: string, options: LintOptions): LintResult {
  const { config, host } = options;
  const document = describeMigration(filePath, text, host, describeOptionsOf(config));
  const result: LintResult = { document, statements: [], findings: [], ruleFailures: [] };

  if (text.length > config.maxFileSize) {
    result.skipped = 'too large';
    result.findings.push({
      rule: 'syntax-error',
      severity: 'error',
      message: `The file is too large to lint (${formatSize(text.length)}, over the ${formatSize(config.maxFileSize)} limit set by "maxFileSize").`,
      help: 'Raise "maxFileSize" in .zdm.json if this really is one migration.',
      span: firstLineSpan(text),
    });
    return result;
  }
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    result.skipped = 'binary';
    result.findings.push({ rule: 'syntax-error', severity: 'error', message: 'The file contains NUL bytes: it does not look like SQL text, so it was not linted.', span: { start: nul, end: nul + 1 } });
    return result;
  }
  if (document.dialect) {
    result.skipped = `${document.dialect} dialect`;
    return result;
  }
  if (document.overriddenBy) {
    result.skipped = `overridden by ${basenameOf(document.overriddenBy)}`;
    return result;
  }
  if (config.baseline !== undefined && !options.ignoreBaseline && document.version !== undefined && atOrBeforeBaseline(document.version, config.baseline)) {
    result.skipped = 'baseline';
    return result;
  }

  result.statements = buildStatements(document);
  const rules = options.rules ?? registry;
  const facts = computeFacts(result.statements);
  const findings: Finding[] = [];
  // One context for the file's rules (an object and two closures per rule and file were ~2% of a
  // corpus run): the rules run one after another and each reports during its own check, so the parts
  // that differ per rule, its options and the rule a report is for, are set before each check.
  let running: RuleRun = { rule: rules[0], level: 'error', options: {}, levelSet: false };
  const context: Mutable<RuleContext> = {
    document,
    statements: result.statements,
    facts,
    pgVersion: config.pgVersion,
    config,
    options: {},
    host,
    factsOf: (s) => facts.statements[s.index],
    report(report: Report) {
      const severity = report.severity !== undefined && !running.levelSet ? report.severity : running.level;
      findings.push(toFinding(running.rule.id, severity, report));
    },
  };
  // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
  const runs = ruleRuns(config, rules);
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i];
    running = run;
    context.options = run.options;
    try {
      run.rule.check(context);
    } catch (error) {
      result.ruleFailures.push({ rule: run.rule.id, message: error instanceof Error ? error.stack ?? error.message : String(error) });
    }
  }
  for (const p of document.problems) {
    const rule = rules.find((r) => r.id === p.rule);
    const level = rule ? levelOf(rule, config) : 'error';
    if (!isSeverity(level)) continue;
    const severity = p.severity !== undefined && config.rules[p.rule]?.level === undefined ? p.severity : level;
    const finding: Finding = { rule: p.rule, severity, message: p.message, help: p.help, span: p.span };
    if (p.fixes) finding.fixes = p.fixes;
    findings.push(finding);
  }
  result.findings = applySuppressions(text, result.statements, findings, rules, config);
  if (document.sharedWith) result.findings = result.findings.map((f) => forReviewOnly(f, document.sharedWith!));
  const unmask = placeholderUnmasker(document.sections, result.statements);
  if (unmask) result.findings = result.findings.map((f) => withPlaceholders(f, unmask));
  // Rule ids are lowercase ASCII words and hyphens, which code-unit order sorts as localeCompare did;
  // localeCompare's first call builds an ICU collator (~1% of a corpus run's instructions).
  result.findings.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  return result;
}

/** A rule that runs under a config: its level, its options, and whether the config set its level (a report's own severity then yields to it). */
interface RuleRun {
  rule: Rule;
  level: Severity;
  options: Record<string, unknown>;
  levelSet: boolean;
}

const ruleRunsByConfig = new WeakMap<ZdmConfig, WeakMap<readonly Rule[], RuleRun[]>>();

/** The rules a config turns on, with their levels and options: worked out once per config (configs are built whole, then only read). */
function ruleRuns(config: ZdmConfig, rules: readonly Rule[]): RuleRun[] {
  let byRules = ruleRunsByConfig.get(config);
  if (!byRules) ruleRunsByConfig.set(config, (byRules = new WeakMap()));
  let runs = byRules.get(rules);
  if (!runs) {
    runs = [];
    for (const rule of rules) {
      const level = levelOf(rule, config);
      if (isSeverity(level)) runs.push({ rule, level, options: config.rules[rule.id]?.options ?? {}, levelSet: config.rules[rule.id]?.level !== undefined });
    }
    byRules.set(rules, runs);
  }
  return runs;
}

/** Splits every section into statements and parses each (through the per-text cache). */
export function buildStatements(document: MigrationDocument): Statement[] {
  const statements: Statement[] = [];
  for (const section of document.sections) {
    const { statements: raws } = splitStatements(section.source, section.span.start, section.span.end);
    for (let i = 0; i < raws.length; i++) {
      const raw = raws[i];
      const text = section.source.slice(raw.span.start, raw.span.end);
      const ascii = isAscii(text);
      const start = raw.span.start;
      const statement: Statement = {
        index: statements.length,
        section,
        span: raw.span,
        text,
        terminated: raw.terminated,
        kind: 'Unparsed',
        leadingComments: raw.leadingComments,
        tokens: raw.tokens,
        offsetOf: (location) => start + utf16FromUtf8(text, location ?? 0, ascii),
      };
      if (raw.unterminated) {
        const t = raw.unterminated;
        statement.error = { message: unterminatedMessage(section.source, t.kind, t.start), offset: t.start };
      } else {
        const outcome = parseSectionStatement(section, text, start);
        if (outcome.error) {
          statement.error = { message: outcome.error.message, offset: start + utf16FromCodePoint(text, outcome.error.codePoint, ascii) };
        } else {
          statement.node = outcome.nodes[0];
          statement.kind = nodeKind(statement.node);
        }
      }
      statements.push(statement);
    }
  }
  return statements;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A finding on a file with placeholders, saying and writing them as they were written (sql/placeholders.ts). */
function withPlaceholders(f: Finding, unmask: (text: string) => string): Finding {
  const out: Finding = { ...f, message: unmask(f.message) };
  if (f.help !== undefined) out.help = unmask(f.help);
  if (f.fixes) {
    const unmasked = (x: FixEdits) => ({ edits: x.edits.map((e) => ({ ...e, newText: unmask(e.newText) })), creates: x.creates?.map((c) => ({ ...c, text: unmask(c.text) })) });
    out.fixes = f.fixes.map((x: Fix): Fix => {
      const lazy: boolean = isLazyFix(x as object);
      if (lazy) return lazyFix(unmask(x.title), x.safe, () => unmasked(x));
      const plain: Fix = { ...x, title: unmask(x.title), edits: unmasked(x).edits };
      if (x.creates) plain.creates = unmasked(x).creates;
      return plain;
    });
  }
  return out;
}

/**
 * A finding of a generic pop file that other databases run too (MigrationDocument.sharedWith): its
 * fixes write PostgreSQL's own SQL, so none is applied blindly (zdm lint --fix, fix-all), and each
 * title says why and what to do instead.
 */
function forReviewOnly(f: Finding, others: readonly string[]): Finding {
  if (!f.fixes) return f;
  const note = ` (review: this generic file also runs on ${others.join(', ')}; put PostgreSQL's form in a .postgres variant of it)`;
  return { ...f, fixes: f.fixes.map((x: Fix): Fix => (isLazyFix(x as object) ? lazyFix(x.title + note, false, () => x) : { ...x, title: x.title + note, safe: false })) };
}

function unterminatedMessage(text: string, kind: string, start: number): string {
  const what: Record<string, string> = {
    string: 'quoted string',
    'quoted-ident': 'quoted identifier',
    'dollar-string': `dollar-quoted string (${/^\$[^$]*\$/.exec(text.slice(start, start + 64))?.[0] ?? '$$'} is never closed)`,
    'block-comment': 'block comment (/* is never closed by */)',
  };
  return `Unterminated ${what[kind] ?? 'token'} starting here; everything after it is part of the same token.`;
}

function toFinding(rule: string, severity: Finding['severity'], report: Report): Finding {
  const finding: Finding = { rule, severity, message: report.message, span: report.span };
  if (report.help !== undefined) finding.help = report.help;
  if (report.statement !== undefined) finding.statementIndex = report.statement.index;
  if (report.fixes && report.fixes.length > 0) {
    // A lazy fix is taken as it is: a copy would build its edits (only --fix and the editor read them).
    finding.fixes = report.fixes.map((f): Fix => (isLazyFix(f) ? f : { title: f.title, edits: f.edits, creates: f.creates, safe: f.safe ?? true }));
  }
  return finding;
}

function applySuppressions(text: string, statements: readonly Statement[], findings: Finding[], rules: readonly Rule[], config: ZdmConfig): Finding[] {
  if (!/(zdm|squawk)-ignore/.test(text)) return findings;
  const comments: Span[] = lex(text)
    .filter(isComment)
    .map((t) => ({ start: t.start, end: t.end }));
  const directives = collectDirectives(text, statements, comments);
  if (directives.length === 0) return findings;
  // Findings inside a statement's span count as that statement's, even if the rule did not say so.
  for (const f of findings) {
    if (f.statementIndex === undefined) {
      const s = statements.find((st) => st.span.start <= f.span.start && f.span.start < st.span.end);
      if (s) f.statementIndex = s.index;
    }
  }
  const kept = findings.filter((f) => !directives.some((d) => suppresses(d, f)));
  const unused = rules.find((r) => r.id === 'unused-ignore');
  const level = unused ? levelOf(unused, config) : 'off';
  if (!isSeverity(level)) return kept;
  const known = new Set(rules.map((r) => r.id));
  // The reports about the comments themselves are findings of unused-ignore, silenced like any other:
  // by a file directive naming it (or naming nothing), or by a statement directive naming it on the
  // statement the reported comment is about. A comment that names no rule never silences the report
  // about itself, and whether `unused-ignore` in a comment silenced anything is known only at the end.
  const report = (finding: Finding, about: IgnoreDirective) => {
    if (about.scope === 'statement' && about.statementIndex !== undefined) finding.statementIndex = about.statementIndex;
    if (!directives.some((d) => (d !== about || d.rules.length > 0) && suppresses(d, finding))) kept.push(finding);
  };
  for (const d of directives) {
    for (const r of d.rules) {
      if (r.id === 'unused-ignore') continue;
      if (!known.has(r.id)) {
        if (d.tool === 'squawk') continue; // squawk rules we do not have are not ours to judge
        report({ rule: 'unused-ignore', severity: level, message: `Unknown rule "${r.id}" in this ignore comment.`, span: r.span }, d);
      } else if (!d.used.has(r.id)) {
        report({ rule: 'unused-ignore', severity: level, message: `"${r.id}" is ignored here but reports nothing ${d.scope === 'file' ? 'in this file' : 'on the next statement'}.`, help: 'Remove it from the comment.', span: r.span }, d);
      }
    }
  }
  for (const d of directives) {
    if (d.rules.length === 0 && !d.used.has('*')) report({ rule: 'unused-ignore', severity: level, message: `This ${d.tool}-ignore comment suppresses nothing.`, help: 'Remove it.', span: d.span, fixes: [removeFix(text, d.span)] }, d);
  }
  for (const d of directives) {
    for (const r of d.rules) {
      if (r.id === 'unused-ignore' && !d.used.has(r.id)) kept.push({ rule: 'unused-ignore', severity: level, message: `"${r.id}" is ignored here but reports nothing ${d.scope === 'file' ? 'in this file' : 'on the next statement'}.`, help: 'Remove it from the comment.', span: r.span });
    }
  }
  return kept;
}

function removeFix(text: string, span: Span): Fix {
  let end = span.end;
  if (text[end] === '\r') end++;
  if (text[end] === '\n') end++;
  let start = span.start;
  while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  return { title: 'Remove the ignore comment', edits: [{ span: { start, end }, newText: '' }], safe: true };
}

function formatSize(chars: number): string {
  return chars >= 1024 * 1024 ? `${(chars / 1024 / 1024).toFixed(1)} MB` : `${(chars / 1024).toFixed(0)} KB`;
}
