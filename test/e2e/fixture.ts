// The workspace the zdm end-to-end suites open: a dbmate project with a .zdm.json, one migration that
// creates a table and one that indexes it without CONCURRENTLY. Shared by the browser suite
// (zdm.test.ts), the extension-host suite (host/suite.ts, through code-server or @vscode/test-electron).

export const USERS = 'db/migrations/20240101090000_create_users.sql';
export const INDEX = 'db/migrations/20240102090000_index_users_email.sql';

export const FIXTURE: Record<string, string> = {
  '.zdm.json': JSON.stringify({ format: 'dbmate', migrationsDir: 'db/migrations', pgVersion: 16 }, null, 2) + '\n',
  [USERS]: [
    '-- migrate:up',
    'CREATE TABLE users (',
    '  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
    '  email text NOT NULL,',
    '  name text',
    ');',
    '',
    '-- migrate:down',
    'DROP TABLE users;',
    '',
  ].join('\n'),
  [INDEX]: [
    '-- migrate:up',
    '-- An index on a table that already holds rows.',
    'CREATE INDEX users_email_idx ON users (email);',
    '',
    '-- migrate:down',
    "SET lock_timeout = '5s';",
    'DROP INDEX users_email_idx;',
    '',
  ].join('\n'),
  'README.md': '# zdm e2e workspace\n',
};

export const FIX_CONCURRENTLY = 'Add CONCURRENTLY and mark the up block `transaction:false`';

/** The index migration once the quick-fix is applied: the index build alone in its block, which dbmate sends as one query string. */
export const FIXED_INDEX = [
  '-- migrate:up transaction:false',
  '-- An index on a table that already holds rows.',
  'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
  '',
  '-- migrate:down',
  "SET lock_timeout = '5s';",
  'DROP INDEX users_email_idx;',
  '',
].join('\n');
