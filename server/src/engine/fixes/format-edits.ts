// Edits that change a migration's format-level settings, in the file's own format: making a section
// run outside a transaction (dbmate `transaction:false`, goose `NO TRANSACTION`, diesel
// `metadata.toml`, Flyway `.conf`, Liquibase `runInTransaction:false`).

import { basenameOf, childPath, dirnameOf } from '../paths';
import type { ProjectHost } from '../host';
import type { FileCreate, MigrationDocument, Section, TextEdit } from '../model';

export interface FormatEdit {
  /** What the edit does, for fix titles ("mark the up block transaction:false"). */
  description: string;
  edits: TextEdit[];
  creates?: FileCreate[];
}

/** The edit that makes `section` run outside a transaction, or undefined when the format cannot say so. */
export function nonTransactionalEdit(document: MigrationDocument, section: Section, host: ProjectHost): FormatEdit | undefined {
  if (section.transaction === 'none') return { description: 'already outside a transaction', edits: [] };
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
