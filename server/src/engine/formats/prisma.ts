// Prisma Migrate: `migrations/{YYYYMMDDHHMMSS}_{name}/migration.sql`, forward only. The script is sent
// as one query string, so several statements share one implicit transaction.

import { basenameOf, dirnameOf } from '../paths';
import type { MigrationDocument } from '../model';
import { baseDocument, type FormatModule, section, versionAndDescription } from './common';

export const prisma: FormatModule = {
  id: 'prisma',
  name: 'Prisma Migrate',
  supportsDown: false,
  matchesPath: (filePath) => basenameOf(filePath) === 'migration.sql' && /^\d{14}_/.test(basenameOf(dirnameOf(filePath))),
  describe(filePath, text): MigrationDocument {
    const doc = baseDocument(filePath, text, 'prisma', false, 'up');
    Object.assign(doc, versionAndDescription(basenameOf(dirnameOf(filePath))));
    doc.sections.push(section('up', { start: 0, end: text.length }, 'implicit', 'Prisma sends the migration as one query string (an implicit transaction)', text));
    return doc;
  },
};
