// Where the editor offers the proving commands as CodeLenses: "Trace Locks" above a runnable
// migration's up section, "Verify Round Trip" above its down section, and "Verify Backfill" above the
// first `-- zdm:verify` directive. Positions come from the format layer (the same sections the runner
// runs); the language server turns these into LSP CodeLenses. Pure: no database here.

import type { LintResult, Span } from '../model';
import { RUNNABLE_FORMATS } from '../runner/migrations';
import { parseVerifyDirectives } from '../scaffold/verify-directives';

export interface ProveLens {
  span: Span;
  title: string;
  /** A command the VS Code client registers. */
  command: 'zdm.traceLocks' | 'zdm.verifyRoundTrip' | 'zdm.verifyBackfill';
  /** The file the command works on (absolute path). */
  file: string;
}

export function proveLenses(result: LintResult): ProveLens[] {
  const doc = result.document;
  if (result.skipped || !RUNNABLE_FORMATS.includes(doc.format) || doc.role === 'repeatable' || doc.role === 'verify' || doc.role === 'unknown') return [];
  // A Liquibase changelog holds many changesets; the proving commands find one migration per file.
  if (doc.format === 'liquibase') return [];
  const out: ProveLens[] = [];
  const at = (span: Span): Span => ({ start: span.start, end: span.start });
  const up = doc.sections.find((s) => s.kind === 'up');
  const down = doc.sections.find((s) => s.kind === 'down');
  if (up && doc.role !== 'down') {
    const first = result.statements.find((s) => s.section === up);
    const span = up.marker ?? first?.span;
    if (span) out.push({ span: at(span), title: 'Trace Locks', command: 'zdm.traceLocks', file: doc.path });
  }
  if (down) {
    const first = result.statements.find((s) => s.section === down);
    const span = down.marker ?? first?.span;
    if (span) out.push({ span: at(span), title: 'Verify Up/Down Round Trip', command: 'zdm.verifyRoundTrip', file: doc.path });
  }
  if (doc.text.includes('zdm:verify')) {
    const [directive] = parseVerifyDirectives(doc.text);
    if (directive) out.push({ span: at(directive.span), title: 'Verify Backfill', command: 'zdm.verifyBackfill', file: doc.path });
  }
  return out;
}
