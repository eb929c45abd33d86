// Suppression comments: `-- zdm-ignore rule-a, rule-b -- reason` silences those rules on the next
// statement, or, written after a statement on the line where it ends, on that statement;
// `-- zdm-ignore-file [rules]` on the whole file (all rules when none are named). squawk's
// `-- squawk-ignore` and `-- squawk-ignore-file` are honoured the same way, so projects moving over
// keep their suppressions.

import type { Finding, Statement } from './model';
import type { Span } from './text/offsets';

export interface IgnoreDirective {
  span: Span;
  /** Rule ids named; empty means every rule. */
  rules: { id: string; span: Span }[];
  scope: 'statement' | 'file';
  /** The statement it applies to (statement scope). */
  statementIndex?: number;
  /** Rule ids that suppressed at least one finding. */
  used: Set<string>;
  tool: 'zdm' | 'squawk';
}

const DIRECTIVE = /^(?:--|\/\*)\s*(zdm|squawk)-ignore(-file)?\b([^\n]*?)(?:\*\/)?\s*$/i;

/** Reads a directive from one comment's text, or undefined when it is not one. */
export function parseDirective(comment: string, commentStart: number): Omit<IgnoreDirective, 'scope' | 'statementIndex' | 'used'> & { file: boolean } | undefined {
  const m = DIRECTIVE.exec(comment);
  if (!m) return undefined;
  let list = m[3];
  const reason = list.indexOf('--');
  if (reason !== -1) list = list.slice(0, reason);
  const listStart = commentStart + m.index + m[0].indexOf(m[3], m[0].indexOf('ignore'));
  const rules: { id: string; span: Span }[] = [];
  const re = /[A-Za-z0-9_-]+/g;
  let r: RegExpExecArray | null;
  while ((r = re.exec(list)) !== null) rules.push({ id: r[0].toLowerCase(), span: { start: listStart + r.index, end: listStart + r.index + r[0].length } });
  return { span: { start: commentStart, end: commentStart + comment.length }, rules, tool: m[1].toLowerCase() as 'zdm' | 'squawk', file: m[2] !== undefined };
}

/** Collects directives: statement ones from each statement's leading comments, file ones from any comment. */
export function collectDirectives(text: string, statements: readonly Statement[], allComments: readonly Span[]): IgnoreDirective[] {
  const out: IgnoreDirective[] = [];
  const seen = new Set<number>();
  for (let k = 0; k < statements.length; k++) {
    const s = statements[k];
    const previous = k > 0 && statements[k - 1].section === s.section ? statements[k - 1] : undefined;
    for (const c of s.leadingComments) {
      const d = parseDirective(text.slice(c.start, c.end), c.start);
      if (!d) continue;
      seen.add(c.start);
      // `CREATE INDEX ...; -- zdm-ignore rule` is about the statement it follows on the same line.
      const target = previous && !/[\r\n]/.test(text.slice(previous.span.end, c.start)) ? previous : s;
      out.push({ span: d.span, rules: d.rules, tool: d.tool, scope: d.file ? 'file' : 'statement', statementIndex: d.file ? undefined : target.index, used: new Set() });
    }
  }
  for (const c of allComments) {
    if (seen.has(c.start)) continue;
    const d = parseDirective(text.slice(c.start, c.end), c.start);
    if (!d) continue;
    seen.add(c.start);
    // After the last statement of a section, on the line where it ends, it is about that statement;
    // a statement directive with no statement before or after it suppresses nothing (reported as unused).
    const before = d.file ? undefined : statements.findLast((st) => st.span.end <= c.start && !/[\r\n]/.test(text.slice(st.span.end, c.start)));
    out.push({ span: d.span, rules: d.rules, tool: d.tool, scope: d.file ? 'file' : 'statement', statementIndex: before?.index, used: new Set() });
  }
  return out;
}

/** Whether a directive silences a finding; records the use. */
export function suppresses(directive: IgnoreDirective, finding: Finding): boolean {
  if (directive.scope === 'statement' && (directive.statementIndex === undefined || directive.statementIndex !== finding.statementIndex)) return false;
  if (directive.rules.length === 0) {
    directive.used.add('*');
    return true;
  }
  if (directive.rules.some((r) => r.id === finding.rule)) {
    directive.used.add(finding.rule);
    return true;
  }
  return false;
}
