// The "generate the down section" fix: the inverse of the up statements, written where the file's
// format keeps its down (a `-- migrate:down` block, a `-- +goose Down` section, `--rollback` lines,
// or a new `.down.sql` / `down.sql` / `U…` / `revert/` file).

import type { FileCreate, MigrationDocument, Section, Statement, TextEdit } from '../model';
import { inverseOf } from './inverse';

export interface DownFix {
  title: string;
  edits: TextEdit[];
  creates?: FileCreate[];
  /** False when the generated down holds TODOs a person must resolve. */
  complete: boolean;
}

/** The fix that writes a down for `document`, or undefined when its format has no down. */
export function generateDownFix(document: MigrationDocument, statements: readonly Statement[]): DownFix | undefined {
  if (!document.supportsDown) return undefined;
  const text = document.text;
  const upStatements = (section?: Section) => statements.filter((s) => s.section.kind === 'up' && (section === undefined || s.section === section));
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const body = (lines: string[]) => lines.join(eol) + eol;

  switch (document.format) {
    case 'dbmate':
    case 'goose': {
      const inverse = inverseOf(upStatements());
      const lines = inverse.lines.length > 0 ? inverse.lines : ['-- TODO nothing to undo?'];
      const existing = document.sections.find((s) => s.kind === 'down');
      if (existing) {
        // An empty down block: fill it (and mark it non-transactional when it must be).
        const edits: TextEdit[] = [{ span: { start: existing.span.start, end: existing.span.end }, newText: body(lines) }];
        if (inverse.concurrent && document.format === 'dbmate' && existing.marker && existing.transaction !== 'none') {
          edits.push({ span: existing.marker, newText: `${text.slice(existing.marker.start, existing.marker.end).trimEnd()} transaction:false` });
        }
        return { title: 'Fill the down section with the inverse of the up statements', edits, complete: !inverse.incomplete };
      }
      const marker = document.format === 'dbmate' ? `-- migrate:down${inverse.concurrent ? ' transaction:false' : ''}` : '-- +goose Down';
      const separator = text.length === 0 || text.endsWith('\n') ? eol : eol + eol;
      return { title: 'Add a down section with the inverse of the up statements', edits: [{ span: { start: text.length, end: text.length }, newText: `${separator}${marker}${eol}${body(lines)}` }], complete: !inverse.incomplete };
    }
    case 'liquibase': {
      const edits: TextEdit[] = [];
      let complete = true;
      for (const up of document.sections.filter((s) => s.kind === 'up')) {
        if (document.sections.some((s) => s.kind === 'down' && s.label === up.label)) continue;
        const inverse = inverseOf(upStatements(up));
        complete &&= !inverse.incomplete;
        const rollback = inverse.lines.map((l) => (l.startsWith('--') ? l : `--rollback ${l}`));
        const at = endOfContent(text, up.span.end);
        edits.push({ span: { start: at, end: at }, newText: (text[at - 1] === '\n' || at === 0 ? '' : eol) + body(rollback) });
      }
      return edits.length ? { title: 'Add --rollback lines with the inverse of each changeset', edits, complete } : undefined;
    }
    default: {
      if (!document.companionPath || document.companionExists || document.role !== 'up') return undefined;
      const inverse = inverseOf(upStatements());
      const lines = inverse.lines.length > 0 ? inverse.lines : ['-- TODO nothing to undo?'];
      const name = document.companionPath.split(/[\\/]/).pop();
      return { title: `Create ${name} with the inverse of the up statements`, edits: [], creates: [{ path: document.companionPath, text: body(lines) }], complete: !inverse.incomplete };
    }
  }
}

/** Offset just after the last non-blank character before `end` (so appended lines follow the content). */
function endOfContent(text: string, end: number): number {
  let at = end;
  while (at > 0 && /\s/.test(text[at - 1])) at--;
  const nl = text.indexOf('\n', at);
  return nl === -1 || nl >= end ? end : nl + 1;
}
