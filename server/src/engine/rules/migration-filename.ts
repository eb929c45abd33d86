import { basenameOf, dirnameOf } from '../paths';
import { firstLineSpan } from '../formats/common';
import type { MigrationDocument } from '../model';
import type { Rule } from './types';

/** Words that say nothing about what a migration does. */
const GENERIC = new Set(['migration', 'migrations', 'migrate', 'update', 'updates', 'change', 'changes', 'fix', 'fixes', 'misc', 'wip', 'tmp', 'temp', 'test', 'new', 'untitled', 'auto', 'schema', 'db', 'database', 'sql', 'script', 'patch', 'version', 'file', 'up', 'down', 'changeset']);

interface Convention {
  pattern: RegExp;
  /** What the tool expects, for the message. */
  expected: string;
  /** What happens to a file that does not match. */
  consequence: string;
}

const CONVENTIONS: Partial<Record<MigrationDocument['format'], Convention>> = {
  dbmate: { pattern: /^\d+_[^/]*\.sql$/, expected: '`YYYYMMDDHHMMSS_description.sql`', consequence: 'dbmate skips files that do not start with a version and an underscore, so this migration never runs' },
  goose: { pattern: /^\d+_[^/]*\.sql$/, expected: '`NNNNN_description.sql` or `YYYYMMDDHHMMSS_description.sql`', consequence: 'goose refuses a migration whose name has no numeric version followed by `_`' },
  'golang-migrate': { pattern: /^\d+_[^/]*?(\.[a-z0-9]+)?\.(up|down)\.sql$/i, expected: '`{version}_{title}.up.sql` and `.down.sql`', consequence: 'golang-migrate ignores files whose name does not start with a numeric version and `_`, so this migration never runs' },
  flyway: { pattern: /^[VUR]([0-9][0-9._]*)?__.+\.sql$/, expected: '`V{version}__{description}.sql` (two underscores)', consequence: 'Flyway does not pick up scripts that do not follow its naming pattern' },
};

export const migrationFilename: Rule = {
  id: 'migration-filename',
  family: 'files',
  summary: "A migration file name that breaks its tool's naming convention, or says nothing about the change",
  defaultLevel: 'warning',
  docs: {
    why: "Migration tools find and order migrations by file name: dbmate and goose want `{version}_{description}.sql`, golang-migrate `{version}_{title}.up.sql`, Flyway `V{version}__{description}.sql`. A file that does not match is skipped silently or refused, so the change never reaches the database (reported as an error). A name like `migration_47` or a bare timestamp says nothing about the change, which makes history, reviews and rollbacks harder (reported as info).",
    instead: "Rename the file to the tool's pattern, with a description of the change: `20240301120000_add_users_email_index.sql`.",
    invalid: [
      { sql: '-- migrate:up\nCREATE TABLE t (id bigint);\n\n-- migrate:down\nDROP TABLE t;\n', path: 'add_t.sql', note: 'dbmate: no version in the name; dbmate never runs this file.' },
      { sql: 'CREATE TABLE t (id bigint);\n', path: '0047_migration.sql', note: 'A name that describes nothing.' },
    ],
    valid: [{ sql: '-- migrate:up\nCREATE TABLE t (id bigint);\n\n-- migrate:down\nDROP TABLE t;\n', path: '20240301120000_create_t.sql' }],
  },
  check(context) {
    const doc = context.document;
    // A split pair shares its name: judge it on the up half (or the down, when it has no up).
    if (doc.role === 'down' && doc.companionExists) return;
    if (doc.role === 'verify' || doc.role === 'repeatable') return;
    const span = firstLineSpan(doc.text);
    const name = basenameOf(doc.path);
    const convention = CONVENTIONS[doc.format];
    if (convention && !convention.pattern.test(name)) {
      context.report({ span, severity: 'error', message: `${name} does not follow the ${doc.format} naming pattern ${convention.expected}: ${convention.consequence}.`, help: `Rename it to ${convention.expected}.` });
      return;
    }
    const description = descriptionOf(doc);
    if (description === undefined) return;
    const words = description
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w !== '' && !/^\d+$/.test(w) && !/^v\d+$/.test(w));
    if (words.length === 0 || words.every((w) => GENERIC.has(w))) {
      const named = doc.format === 'diesel' || doc.format === 'prisma' ? `The migration folder ${basenameOf(dirnameOf(doc.path))}` : name;
      context.report({
        span,
        severity: 'info',
        message: words.length === 0 ? `${named} has no description: nothing in the name says what this migration changes.` : `${named} says nothing about what this migration changes ("${description}").`,
        help: 'Name it after the change, e.g. `add_users_email_index`.',
      });
    }
  },
};

/** The descriptive part of the name, as the format splits it. */
function descriptionOf(doc: MigrationDocument): string | undefined {
  if (doc.format === 'liquibase' || doc.format === 'sqitch') return undefined;
  if (doc.format === 'diesel' && /^0+_diesel_initial_setup$/.test(basenameOf(dirnameOf(doc.path)))) return undefined;
  return doc.description ?? '';
}
