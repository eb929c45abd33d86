import type { Rule } from './types';

// The findings come from the format layer (formats/*.ts), which knows each tool's rules; this entry
// gives them an id, a level and docs.
export const migrationFormat: Rule = {
  id: 'migration-format',
  family: 'files',
  summary: "The file breaks its migration tool's format (a missing or misplaced marker)",
  defaultLevel: 'error',
  docs: {
    why: "Migration tools read markers in comments to find the up and down parts of a file: dbmate's `-- migrate:up` and `-- migrate:down`, goose's `-- +goose Up`, Liquibase's `--changeset`. A missing, duplicated or misplaced marker makes the tool refuse the file, or silently skip statements.",
    invalid: [{ sql: 'CREATE TABLE a (id bigint);\n-- migrate:up\nCREATE TABLE b (id bigint);\n-- migrate:down\nDROP TABLE b;\n' }],
    valid: [{ sql: '-- migrate:up\nCREATE TABLE b (id bigint);\n\n-- migrate:down\nDROP TABLE b;\n' }],
  },
  check() {},
};
