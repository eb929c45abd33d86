// Hover content, engine side: markdown for the statement under the cursor (the locks it takes and on
// what, what they block, rewrite and scan, version notes, its findings with their help and doc links),
// or, on a rule id in a `-- zdm-ignore` / `-- squawk-ignore` comment, that rule's summary. The LSP
// layer only converts positions and wraps the string.

import type { ZdmConfig } from './config/config';
import { computeFacts, schemaFactsOf, type FileFacts } from './context';
import { ruleDocsUrl } from './docs-url';
import type { ProjectHost } from './host';
import { blockedBy, blockingOn, conflicts, locksByObject, locksOf, type LockFact, type LockMode, type ObjectRole, type StatementLocks } from './locks';
import type { Finding, LintResult, Statement } from './model';
import { ruleById } from './rules/registry';
import { FAMILY_TITLES } from './rules/types';
import { isComment, lex } from './sql/lexer';
import { placeholderUnmasker } from './sql/placeholders';
import { parseDirective } from './suppress';

export interface HoverOptions {
  /** Lets the hover read the companion file of a split format (the column type a down restores). */
  host?: ProjectHost;
}

/** Markdown for the hover at `offset` (UTF-16, file text), or undefined when there is nothing to say. */
export function hoverAt(result: LintResult, offset: number, config: ZdmConfig, options: HoverOptions = {}): string | undefined {
  const directive = directiveHover(result, offset);
  if (directive !== undefined) return directive;
  const statement = result.statements.find((s) => s.span.start <= offset && offset < s.span.end);
  if (!statement) return undefined;
  return statementHover(result, statement, config, options);
}

// ── Ignore comments ───────────────────────────────────────────────────────────────────────────────

function directiveHover(result: LintResult, offset: number): string | undefined {
  const text = result.document.text;
  if (!/(zdm|squawk)-ignore/.test(text)) return undefined;
  const comment = lex(text).find((t) => isComment(t) && t.start <= offset && offset < t.end);
  if (!comment) return undefined;
  const directive = parseDirective(text.slice(comment.start, comment.end), comment.start);
  const named = directive?.rules.find((r) => r.span.start <= offset && offset < r.span.end);
  if (!directive || !named) return undefined;
  const rule = ruleById(named.id);
  if (!rule) {
    return directive.tool === 'squawk'
      ? `\`${named.id}\`: a squawk rule zdm does not have; this ignore is kept for squawk and has no effect on zdm.`
      : `\`${named.id}\` is not a zdm rule: this part of the ignore comment has no effect.`;
  }
  const lines = [`**${rule.id}** — ${rule.summary}.`, '', `${FAMILY_TITLES[rule.family]} · default level \`${rule.defaultLevel}\`${rule.fixable ? ' · has a quick-fix' : ''}`];
  if (rule.sameAs?.length) lines.push('', `Same check elsewhere: ${rule.sameAs.join('; ')}`);
  lines.push('', `[Rule documentation](${ruleDocsUrl(rule.id)})`);
  return lines.join('\n');
}

// ── Statements ────────────────────────────────────────────────────────────────────────────────────

function statementHover(result: LintResult, s: Statement, config: ZdmConfig, options: HoverOptions): string | undefined {
  const facts = computeFacts(result.statements);
  const knowledge = schemaFactsOf({ statements: result.statements, document: result.document, host: options.host }).lockKnowledge(s);
  const locks = locksOf(s, config.pgVersion, knowledge);
  const findings = result.findings.filter((f) => f.statementIndex === s.index || (f.statementIndex === undefined && s.span.start <= f.span.start && f.span.start < s.span.end));
  if (locks.facts.length === 0 && findings.length === 0) return undefined;
  const out: string[] = [];
  if (locks.facts.length > 0) out.push(...lockSection(s, locks, facts, config));
  if (findings.length > 0) {
    if (out.length > 0) out.push('', '---', '');
    out.push(...findingSection(findings));
  }
  // Objects named through a placeholder (`${schema}`, psql's `:schema`) are shown as written.
  const unmask = placeholderUnmasker(result.document.sections, result.statements);
  return unmask ? unmask(out.join('\n')) : out.join('\n');
}

function lockSection(s: Statement, locks: StatementLocks, facts: FileFacts, config: ZdmConfig): string[] {
  const out: string[] = [`**${locks.facts.map((f) => f.label).join(' · ')}** · PostgreSQL ${config.pgVersion}`, ''];
  const all = locks.taken.map((t) => ({ role: t.role, mode: t.mode }));
  for (const group of locksByObject(locks)) {
    const name = group.object ? `${roleWord(group.role)}\`${group.object.display}\`` : group.role === 'table' && locks.taken.some((t) => t.role === 'index') ? "the index's table" : `the ${group.role}`;
    const own = group.object && (facts.createdEarlier(group.object, s) || (s.section.kind === 'down' && facts.createdInUp(group.object)));
    out.push(`- \`${group.mode}\` on ${name}: ${blockingText(group.role, group.mode, all)}${own ? ` (created by this migration: no one else uses it yet)` : ''}`);
  }
  const table = locks.taken.find((t) => t.role === 'table' || t.role === 'materialized view' || t.role === 'partition')?.object?.display;
  const where = table ? `\`${table}\`` : 'the table';
  const effects: string[] = [];
  const rewrite = locks.facts.find((f) => f.rewrite);
  const scan = locks.facts.find((f) => f.scan && !f.rewrite);
  const rebuild = locks.facts.find((f) => f.rebuildsIndexes);
  if (rewrite) effects.push(`Rewrites ${where} and its indexes: every row is copied while the lock is held.`);
  else if (rebuild) effects.push('Rebuilds the index files while the lock is held.');
  if (scan && !rewrite) effects.push(`Reads every row of ${where} while the lock is held${scan.scanUnless ? `, unless ${scan.scanUnless}` : ''}.`);
  if (!rewrite && !scan && !rebuild) effects.push('No rewrite, no full scan: the lock is brief once granted.');
  const statementFacts = facts.statements[s.index];
  if (locks.facts.some((f) => f.nonTransactional) && statementFacts?.inTransaction) effects.push(`Cannot run inside a transaction block, and this statement runs in one (${statementFacts.transactionReason}).`);
  if (locks.taken.some((t) => t.role !== 'type' && conflicts(t.mode, 'ROW EXCLUSIVE'))) effects.push(lockTimeoutText(statementFacts?.lockTimeout?.text, statementFacts?.lockTimeout?.ms));
  out.push('', ...effects.map((e) => `- ${e}`));
  const notes = [...new Set(locks.facts.flatMap((f: LockFact) => f.notes ?? []))];
  if (notes.length > 0) out.push('', ...notes.map((n) => `- ${n}`));
  return out;
}

function roleWord(role: ObjectRole): string {
  switch (role) {
    case 'table':
      return 'table ';
    case 'index':
      return 'index ';
    case 'type':
      return 'type ';
    default:
      return `${role} `;
  }
}

function blockingText(role: ObjectRole, mode: LockMode, all: { role: ObjectRole; mode: LockMode }[]): string {
  if (role === 'type') return 'blocks other changes to the type; no table is locked';
  if (role === 'index') {
    return conflicts(mode, 'ACCESS SHARE') ? 'every query the planner considers this index for waits (the planner opens all indexes of a table)' : 'reads and writes continue';
  }
  const b = role === 'table' ? blockingOn(all, 'table') : blockedBy(mode);
  const viaIndex = role === 'table' && b.reads && !blockedBy(mode).reads;
  if (b.reads) return `blocks reads and writes${viaIndex ? ' (through the index lock: the planner opens every index of the table)' : ''}, and queued queries wait behind it`;
  if (b.writes) return 'blocks writes (INSERT, UPDATE, DELETE); reads continue';
  if (b.ddl) return 'blocks schema changes and VACUUM; reads and writes continue';
  return 'blocks only ACCESS EXCLUSIVE (schema changes that lock the table out)';
}

function lockTimeoutText(text: string | undefined, ms: number | undefined): string {
  if (text === undefined) return 'No lock_timeout in force: while it waits for the lock, it waits forever and traffic queues behind it.';
  if (ms === 0) return `lock_timeout is ${text}: it waits forever for the lock while traffic queues behind it.`;
  return `lock_timeout ${text.replace(/^LOCAL /, '')} in force: it gives up after that long if the lock is not granted.`;
}

function findingSection(findings: Finding[]): string[] {
  const out: string[] = [];
  for (const f of findings) {
    out.push(`**${f.severity}** [${f.rule}](${ruleDocsUrl(f.rule)}): ${f.message}`);
    if (f.help) out.push(`  *${f.help}*`);
    if (f.fixes?.length) out.push(`  Quick-fix: ${f.fixes.map((x) => x.title).join('; ')}`);
    out.push('');
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}
