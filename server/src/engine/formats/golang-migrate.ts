// golang-migrate and pop-style pairs: `{version}_{title}.up.sql` and `{version}_{title}.down.sql`
// (pop also allows a dialect infix: `.postgres.up.sql`). golang-migrate sends the whole file as one
// query string, which PostgreSQL runs as one implicit transaction when it holds several statements.

import * as path from 'node:path';
import type { MigrationDocument } from '../model';
import { baseDocument, type FormatModule, section, versionAndDescription } from './common';

export const SPLIT_NAME = /^(.+?)(?:\.([a-z0-9]+))?\.(up|down)\.sql$/i;
const POSTGRES_DIALECTS = new Set(['postgres', 'postgresql', 'pg']);

export const golangMigrate: FormatModule = {
  id: 'golang-migrate',
  name: 'golang-migrate',
  supportsDown: true,
  matchesPath: (filePath) => SPLIT_NAME.test(path.basename(filePath)),
  describe(filePath, text, host): MigrationDocument {
    const m = SPLIT_NAME.exec(path.basename(filePath));
    const kind = (m?.[3]?.toLowerCase() ?? 'up') as 'up' | 'down';
    const doc = baseDocument(filePath, text, 'golang-migrate', true, kind);
    if (m) Object.assign(doc, versionAndDescription(m[1]));
    const dialect = m?.[2]?.toLowerCase();
    if (dialect && !POSTGRES_DIALECTS.has(dialect)) doc.dialect = dialect;
    doc.sections.push(section(kind, { start: 0, end: text.length }, 'implicit', 'golang-migrate sends the whole file as one query string (an implicit transaction)', text));
    const other = kind === 'up' ? 'down' : 'up';
    doc.companionPath = path.join(path.dirname(filePath), path.basename(filePath).replace(/\.(up|down)\.sql$/i, `.${other}.sql`));
    doc.companionExists = host.fileExists(doc.companionPath);
    return doc;
  },
};
