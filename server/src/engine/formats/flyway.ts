// Flyway: `V{version}__{description}.sql` (versioned), `U{version}__...` (undo), `R__...`
// (repeatable). Each script runs in a transaction unless its `{script}.conf` file sets
// `executeInTransaction`, or unless (with no such setting) one of its statements cannot run in one:
// Flyway's PostgreSQL parser then runs the whole script outside a transaction (and refuses it, unless
// `mixed` is on, when other statements could have run in one).

import { basenameOf, childPath, dirnameOf } from '../paths';
import type { MigrationDocument } from '../model';
import { baseDocument, type FormatModule, section } from './common';
import { splitStatements } from '../sql/split';
import { readFlywayConf } from '../text/java-properties';

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
    const setting = conf === undefined ? undefined : readFlywayConf(conf).get('executeInTransaction');
    const configured = setting === 'true' || setting === 'false' ? setting : undefined;
    const detected = configured === undefined ? nonTransactionalStatement(text) : undefined;
    const span = { start: 0, end: text.length };
    // Flyway replaces ${name} placeholders by default (placeholderReplacement).
    const extra = { placeholders: 'braces' as const };
    if (configured !== undefined) doc.sections.push(section(kind, span, configured === 'false' ? 'none' : 'transaction', `\`executeInTransaction=${configured}\` in the script configuration file`, text, extra));
    else if (detected !== undefined) doc.sections.push(section(kind, span, 'none', `Flyway runs a script holding ${detected} outside a transaction`, text, extra));
    else doc.sections.push(section(kind, span, 'transaction', 'Flyway runs each script in a transaction', text, extra));
    if (prefix !== 'R' && m) {
      doc.companionPath = childPath(dirnameOf(filePath), `${prefix === 'V' ? 'U' : 'V'}${m[2] ?? ''}__${m[3]}.sql`);
      doc.companionExists = host.fileExists(doc.companionPath);
    }
    return doc;
  },
};

/**
 * What Flyway's PostgreSQL parser finds cannot run in a transaction, by a statement's first keywords
 * (its `detectCanExecuteInTransaction`). Left out: `ALTER TYPE ... ADD VALUE`, which Flyway runs
 * outside a transaction only on servers before 12, which it asks the server for.
 */
const NON_TRANSACTIONAL = /^(?:(?:CREATE|DROP)(?: UNIQUE)? INDEX CONCURRENTLY|REINDEX(?: VERBOSE)? (?:SCHEMA|DATABASE|SYSTEM)|VACUUM|DISCARD ALL|ALTER SYSTEM|(?:CREATE|DROP) (?:DATABASE|TABLESPACE|SUBSCRIPTION))(?: |$)/;

/** The first words of the script's first statement that Flyway would not run in a transaction (e.g. "CREATE INDEX CONCURRENTLY"), if any. */
function nonTransactionalStatement(text: string): string | undefined {
  for (const statement of splitStatements(text).statements) {
    const words: string[] = [];
    for (const token of statement.tokens) {
      if (token.kind === 'word') words.push(text.slice(token.start, token.end).toUpperCase());
      else if (token.kind !== 'line-comment' && token.kind !== 'block-comment') break;
      if (words.length === 5) break;
    }
    const m = NON_TRANSACTIONAL.exec(words.join(' '));
    if (m) return m[0].trim();
  }
  return undefined;
}
