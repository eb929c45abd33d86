// Edits that change a migration's format-level settings, in the file's own format: making a section
// run outside a transaction (dbmate `transaction:false`, goose `NO TRANSACTION`, diesel
// `metadata.toml`, Flyway `.conf`, Liquibase `runInTransaction:false`).

import { basenameOf, childPath, dirnameOf } from '../paths';
import type { ProjectHost } from '../host';
import type { FileCreate, FormatId, MigrationDocument, Section, Span, TextEdit } from '../model';
import { lineStartOf } from '../text/offsets';
import { eolOf } from './statements';
import { gooseCutsStatement } from '../formats/goose-cuts';
import { sendsChangesetWhole } from '../formats/liquibase';

/**
 * Whether the format's tool sends a section that runs outside a transaction as one query string
 * (dbmate `transaction:false`, a golang-migrate file, a Prisma migration, a diesel file under
 * `run_in_transaction = false`): PostgreSQL runs more than
 * one statement in it as one implicit transaction, so a statement that cannot run in one must be alone.
 */
export function sendsOneQueryString(format: FormatId): boolean {
  return format === 'dbmate' || format === 'golang-migrate' || format === 'prisma' || format === 'diesel';
}

export interface FormatEdit {
  /** What the edit does, for fix titles ("mark the up block transaction:false"). */
  description: string;
  edits: TextEdit[];
  creates?: FileCreate[];
}

/**
 * The edit that makes `section` run outside a transaction, or undefined when the format cannot say so.
 * `statementsAfter` is how many statements the section holds once the caller's fix is applied: a tool
 * that sends the section as one query string (dbmate `transaction:false`) runs more than one as one
 * implicit transaction, so the edit is no use then; nor for a section sent so already.
 */
export function nonTransactionalEdit(document: MigrationDocument, section: Section, host: ProjectHost, statementsAfter: number): FormatEdit | undefined {
  if (section.transaction === 'none') return { description: 'already outside a transaction', edits: [] };
  if (section.transaction === 'implicit') return undefined;
  if (sendsOneQueryString(document.format) && statementsAfter > 1) return undefined;
  const text = document.text;
  switch (document.format) {
    case 'dbmate': {
      if (!section.marker) return undefined;
      const marker = text.slice(section.marker.start, section.marker.end);
      const edited = /transaction:\S+/.test(marker) ? marker.replace(/transaction:\S+/, 'transaction:false') : `${marker.trimEnd()} transaction:false`;
      return { description: `mark the ${section.kind} block \`transaction:false\``, edits: [{ span: section.marker, newText: edited }] };
    }
    case 'goose':
      return { description: 'add `-- +goose NO TRANSACTION`', edits: [{ span: { start: 0, end: 0 }, newText: '-- +goose NO TRANSACTION\n' }] };
    case 'liquibase': {
      if (!section.marker) return undefined;
      const line = text.slice(section.marker.start, section.marker.end);
      // A changeset sent whole (splitStatements:false) runs its statements as one implicit transaction anyway.
      if (statementsAfter > 1 && sendsChangesetWhole(line)) return undefined;
      const edited = /runInTransaction:\S+/i.test(line) ? line.replace(/runInTransaction:\S+/i, 'runInTransaction:false') : `${line.trimEnd()} runInTransaction:false`;
      return { description: 'add `runInTransaction:false` to the changeset', edits: [{ span: section.marker, newText: edited }] };
    }
    case 'diesel': {
      const file = childPath(dirnameOf(document.path), 'metadata.toml');
      const existing = host.readFile(file);
      if (existing === undefined) return { description: 'add `run_in_transaction = false` in metadata.toml', edits: [], creates: [{ path: file, text: 'run_in_transaction = false\n' }] };
      const edited = /^\s*run_in_transaction\s*=.*$/m.test(existing) ? existing.replace(/^\s*run_in_transaction\s*=.*$/m, 'run_in_transaction = false') : `${existing.replace(/\s*$/, '\n')}run_in_transaction = false\n`;
      return { description: 'set `run_in_transaction = false` in metadata.toml', edits: [{ path: file, span: { start: 0, end: existing.length }, newText: edited }] };
    }
    case 'flyway': {
      const file = document.path + '.conf';
      const existing = host.readFile(file);
      if (existing === undefined) return { description: `add ${basenameOf(file)} with \`executeInTransaction=false\``, edits: [], creates: [{ path: file, text: 'executeInTransaction=false\n' }] };
      const edited = /^\s*executeInTransaction\s*=.*$/m.test(existing) ? existing.replace(/^\s*executeInTransaction\s*=.*$/m, 'executeInTransaction=false') : `${existing.replace(/\s*$/, '\n')}executeInTransaction=false\n`;
      return { description: `set \`executeInTransaction=false\` in ${basenameOf(file)}`, edits: [{ path: file, span: { start: 0, end: existing.length }, newText: edited }] };
    }
    default:
      return undefined;
  }
}

/**
 * `text`, written in place of the statement at `span` of a goose section, as goose will send it whole:
 * outside a StatementBegin/StatementEnd block goose ends a statement at every line ending with `;`, so
 * a statement of several lines with such a line inside (a DO block) is wrapped in the annotations.
 * Undefined when it would need them and cannot have them (the statement does not start its line).
 * Other formats, and statements goose does not cut, get `text` back.
 */
export function sentWholeByGoose(document: MigrationDocument, section: Section, span: Span, text: string): string | undefined {
  if (document.format !== 'goose' || !gooseCutsStatement(text)) return text;
  if (section.statementBlocks?.some((b) => b.start <= span.start && span.end <= b.end)) return text;
  const source = section.source;
  if (!/^[ \t]*$/.test(source.slice(lineStartOf(source, span.start), span.start))) return undefined;
  const eol = eolOf(source);
  return `-- +goose StatementBegin${eol}${text}${eol}-- +goose StatementEnd`;
}
