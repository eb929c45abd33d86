// Plain SQL files (Supabase, hand-rolled runners): one forward-only migration per file, optionally
// named `{version}_{description}.sql`. Without configuration we assume the runner sends the file as one
// query string, as Supabase's CLI does; `assumeInTransaction` in .zdm.json says otherwise.

import { basenameOf } from '../paths';
import type { MigrationDocument } from '../model';
import { baseDocument, type FormatModule, section, versionAndDescription } from './common';

export const plain: FormatModule = {
  id: 'plain',
  name: 'plain SQL',
  supportsDown: false,
  describe(filePath, text, _host, options): MigrationDocument {
    const doc = baseDocument(filePath, text, 'plain', false, 'up');
    Object.assign(doc, versionAndDescription(basenameOf(filePath, '.sql')));
    if (options.assumeInTransaction === true) doc.sections.push(section('up', { start: 0, end: text.length }, 'transaction', '`assumeInTransaction: true` in .zdm.json', text));
    else if (options.assumeInTransaction === false) doc.sections.push(section('up', { start: 0, end: text.length }, 'none', '`assumeInTransaction: false` in .zdm.json', text));
    else doc.sections.push(section('up', { start: 0, end: text.length }, 'implicit', 'the file is assumed to run as one query string', text));
    return doc;
  },
};
