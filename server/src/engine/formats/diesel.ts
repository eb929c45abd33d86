// diesel: one folder per migration, `migrations/{version}_{name}/up.sql` and `down.sql`. Each runs in
// a transaction unless the folder's `metadata.toml` says `run_in_transaction = false`. Either way
// diesel sends the file whole (`batch_execute`, the simple query protocol), so outside a transaction
// PostgreSQL runs a file of several statements as one implicit transaction: CREATE INDEX CONCURRENTLY
// must then be alone in its file.

import { basenameOf, childPath, dirnameOf } from '../paths';
import type { MigrationDocument } from '../model';
import { baseDocument, type FormatModule, section, versionAndDescription } from './common';

const FOLDER = /^\d[\d-]*_.+$|^\d{14}$|^0+_diesel_initial_setup$/;

export const diesel: FormatModule = {
  id: 'diesel',
  name: 'diesel',
  supportsDown: true,
  matchesPath: (filePath) => /^(up|down)\.sql$/i.test(basenameOf(filePath)) && FOLDER.test(basenameOf(dirnameOf(filePath))),
  describe(filePath, text, host): MigrationDocument {
    const kind = basenameOf(filePath).toLowerCase().startsWith('down') ? 'down' : 'up';
    const doc = baseDocument(filePath, text, 'diesel', true, kind);
    const folder = dirnameOf(filePath);
    Object.assign(doc, versionAndDescription(basenameOf(folder)));
    const metadata = host.readFile(childPath(folder, 'metadata.toml'));
    const noTransaction = metadata !== undefined && /^\s*run_in_transaction\s*=\s*false\s*$/m.test(metadata);
    doc.sections.push(section(kind, { start: 0, end: text.length }, noTransaction ? 'implicit' : 'transaction', noTransaction ? 'diesel sends a `run_in_transaction = false` file as one query string' : 'diesel runs each migration in a transaction', text));
    doc.companionPath = childPath(folder, kind === 'up' ? 'down.sql' : 'up.sql');
    doc.companionExists = host.fileExists(doc.companionPath);
    return doc;
  },
};
