import type { Rule } from './types';

// The findings come from the format layer (formats/*.ts), which knows each tool's rules; this entry
// gives them an id, a level and docs.
export const migrationFormat: Rule = {
  id: 'migration-format',
  family: 'files',
  summary: "The file breaks its migration tool's format (a missing or misplaced marker)",
  defaultLevel: 'error',
  docs: {
    why: "Migration tools read markers in comments to find the up and down parts of a file: dbmate's `-- migrate:up` and `-- migrate:down`, goose's `-- +goose Up`, Liquibase's `--changeset`. A missing, duplicated or misplaced marker makes the tool refuse the file, or silently skip statements.\n\nAlso reported: what the tool would cut where PostgreSQL does not end a statement (the runner then runs nothing of that section, as the tool would fail). goose, outside a `StatementBegin` / `StatementEnd` block, ends a statement at every line ending with `;`, inside a function body too; and it never sends a statement whose line does not end with `;` (the last one of a section written without it): it stops at the `-- +goose Down` line or the end of the file with \"unexpected unfinished SQL query ... missing semicolon?\". Liquibase splits a changeset at `;` with a tokenizer that does not read dollar quotes (it keeps together only the `;`s between BEGIN and END words, and END IF counts as an END), so a function or DO body is sent cut in two and the changeset fails; and a Liquibase `endDelimiter` that is not a usable regular expression. golang-migrate run with `x-multi-statement=true` in its database URL (`\"golangMigrate\": { \"multiStatement\": true }` in .zdm.json) cuts the file at every `;` byte and reads nothing of the SQL: a `;` in a function or DO body, a string, a quoted identifier, a `/* */` comment or a BEGIN ATOMIC body cuts the statement in two, and so does one in a `--` comment inside a statement or followed by more text on its line.\n\nUnder `-- +goose ENVSUB ON` (up to `-- +goose ENVSUB OFF`), goose's interpolation reads `$$` as an escaped `$`: a dollar quote on those lines reaches PostgreSQL as `$` and the function fails (a `$tag$` quote is read as the variable `tag`); and a line it cannot read at all (a `$1` parameter, `${1}`, a `${` not closed on its line) stops goose before it runs anything of the file. The fix turns substitution off around the statement.\n\nIn a sqitch script, a psql variable (`:name`, `:'name'`, `:\"name\"`) with no value, neither in the sqitch configuration for that kind of script (`[deploy.variables]`, `[core.variables]`, `[engine \"pg\"]` and target variables; a revert script also `[revert.variables]`, a verify script `[verify.variables]`) nor `\\set` earlier in the script: psql sends it as written and PostgreSQL rejects it, and zdm's runner refuses the script. A warning unless .zdm.json sets this rule's level, as `sqitch deploy --set` may give it a value zdm cannot see. Also a warning, at the command, in a sqitch script: a psql meta-command zdm's runner refuses (`\\i`, whose file zdm does not lint, `\\if`, whose branches zdm lints as if all ran, `\\connect`, `\\copy` ...), and a `\\set` or `\\unset` that changes how psql runs the script (`AUTOCOMMIT` off, `ON_ERROR_STOP` off, `ON_ERROR_ROLLBACK`, `SINGLESTEP`, `SINGLELINE`), since zdm runs a script as sqitch has psql run it.",
    invalid: [
      { sql: 'CREATE TABLE a (id bigint);\n-- migrate:up\nCREATE TABLE b (id bigint);\n-- migrate:down\nDROP TABLE b;\n' },
      {
        sql: "--liquibase formatted sql\n\n--changeset alice:1\nCREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  IF NEW.updated_at IS NULL THEN\n    NEW.updated_at := now();\n  END IF;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n--rollback DROP FUNCTION touch();\n",
        path: 'changelog.sql',
        note: 'Liquibase cuts at the `;` after END IF: PostgreSQL receives the CREATE FUNCTION up to there, an unterminated dollar quote.',
      },
      {
        sql: '-- +goose Up\nCREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n\n-- +goose Down\nDROP FUNCTION touch();\n',
        path: '00001_touch.sql',
        note: 'goose ends the statement at the first line ending with `;`, inside the body.',
      },
      {
        sql: "CREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n",
        path: '000004_touch.up.sql',
        files: { '000004_touch.down.sql': 'DROP FUNCTION touch();\n' },
        golangMigrateMultiStatement: true,
        note: 'golang-migrate in multi-statement mode cuts at the first `;`, inside the body.',
      },
      {
        sql: '-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE ${TABLE_NAME} (id bigint, updated_at timestamptz);\n-- +goose StatementBegin\nCREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n-- +goose StatementEnd\n\n-- +goose Down\nDROP FUNCTION touch();\nDROP TABLE ${TABLE_NAME};\n',
        path: '00001_touch.sql',
        note: 'Under ENVSUB, goose sends `AS $` and `$ LANGUAGE plpgsql`: the function fails under goose, so zdm does not run it either.',
      },
    ],
    valid: [
      { sql: '-- migrate:up\nCREATE TABLE b (id bigint);\n\n-- migrate:down\nDROP TABLE b;\n' },
      {
        sql: "--liquibase formatted sql\n\n--changeset alice:1 splitStatements:false\nCREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  IF NEW.updated_at IS NULL THEN\n    NEW.updated_at := now();\n  END IF;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n--rollback DROP FUNCTION touch();\n",
        path: 'changelog.sql',
        note: 'Sent whole: the PostgreSQL driver splits the changeset where PostgreSQL ends its statements.',
      },
      {
        sql: '-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n-- +goose StatementEnd\n\n-- +goose Down\nDROP FUNCTION touch();\n',
        path: '00001_touch.sql',
        note: 'In a StatementBegin / StatementEnd block, goose sends the function whole.',
      },
      {
        sql: "CREATE TABLE notes (id bigint, body text); -- the table;\nCREATE INDEX CONCURRENTLY notes_id_idx ON notes (id);\n",
        path: '000004_notes.up.sql',
        files: { '000004_notes.down.sql': 'DROP TABLE notes;\n' },
        golangMigrateMultiStatement: true,
        note: 'golang-migrate in multi-statement mode cuts where each statement ends (and after a comment, which PostgreSQL runs as an empty query).',
      },
      {
        sql: '-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE ${TABLE_NAME} (id bigint, updated_at timestamptz);\n-- +goose ENVSUB OFF\n-- +goose StatementBegin\nCREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n-- +goose StatementEnd\n-- +goose ENVSUB ON\n\n-- +goose Down\nDROP FUNCTION touch();\nDROP TABLE ${TABLE_NAME};\n',
        path: '00001_touch.sql',
        note: 'Substitution is off around the function: goose sends its dollar quotes as written.',
      },
    ],
  },
  check() {},
};
