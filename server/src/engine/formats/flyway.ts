// Flyway: `V{version}__{description}.sql` (versioned), `U{version}__...` (undo), `R__...`
// (repeatable). Each script runs in a transaction unless its `{script}.conf` file says
// `executeInTransaction=false`.

import { basenameOf, childPath, dirnameOf } from '../paths';
import type { MigrationDocument } from '../model';
import { baseDocument, type FormatModule, section } from './common';

export const FLYWAY_NAME = /^([VUR])([0-9][0-9._]*)?__(.+)\.sql$/;

export const flyway: FormatModule = {
  id: 'flyway',
  name: 'Flyway',
  supportsDown: true,
  matchesPath: (filePath) => FLYWAY_NAME.test(basenameOf(filePath)),
  describe(filePath, text, host): MigrationDocument {
    const m = FLYWAY_NAME.exec(basenameOf(filePath));
    const prefix = m?.[1] ?? 'V';
    const kind = prefix === 'U' ? 'down' : 'up';
    const doc = baseDocument(filePath, text, 'flyway', true, prefix === 'R' ? 'repeatable' : kind);
    if (m?.[2]) doc.version = m[2].replace(/_/g, '.');
    if (m?.[3]) doc.description = m[3];
    const conf = host.readFile(filePath + '.conf');
    const noTransaction = conf !== undefined && /^\s*executeInTransaction\s*=\s*false\s*$/m.test(conf);
    doc.sections.push(section(kind, { start: 0, end: text.length }, noTransaction ? 'none' : 'transaction', noTransaction ? '`executeInTransaction=false` in the script configuration file' : 'Flyway runs each script in a transaction', text));
    if (prefix !== 'R' && m) {
      doc.companionPath = childPath(dirnameOf(filePath), `${prefix === 'V' ? 'U' : 'V'}${m[2] ?? ''}__${m[3]}.sql`);
      doc.companionExists = host.fileExists(doc.companionPath);
    }
    return doc;
  },
};
