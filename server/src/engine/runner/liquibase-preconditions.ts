// Liquibase's simple preconditions, checked as Liquibase checks them before it runs a changeset:
// `--precondition-sql-check expectedResult:X <sql>` (the first column of the first row, as text, must be
// X; no row or NULL fails), `--precondition-table-exists table:t [schema:s]` and
// `--precondition-view-exists view:v [schema:s]` (names lower-cased as Liquibase corrects them on
// PostgreSQL; the session's current schema when none is named). Each becomes a statement run first in
// the changeset (in its transaction, when it has one), a DO block that raises when the precondition does
// not hold: the run stops at the precondition's line and nothing of the changeset is kept or recorded,
// which is Liquibase's `onFail:HALT` / `onError:HALT` (its default). Any other `onFail` or `onError`
// (CONTINUE, MARK_RAN, WARN), another precondition kind, or a changeset Liquibase sends in one JDBC call
// is refused at its line: zdm never runs a changeset whose precondition would have stopped or skipped it.

import type { LiquibaseChangeset, Precondition } from './liquibase-changelog';
import type { RunSection, RunStatement } from './migrations';
import { dollarTag, sqlLiteral } from '../sql/quote';

/** The checks to run before the changeset's statements, or why zdm refuses the changeset. */
export function preconditionChecks(changeset: LiquibaseChangeset, up: RunSection): { checks: RunStatement[] } | { refusal: NonNullable<RunSection['toolFailure']> } {
  if (changeset.preconditions.length === 0) return { checks: [] };
  const label = `Changeset ${changeset.author}:${changeset.id}`;
  const options = changeset.preconditionOptions;
  if (options && (options.onFail !== 'HALT' || options.onError !== 'HALT')) {
    return {
      refusal: {
        message: `${label} says what to do when its precondition fails (line ${options.line}: \`${options.text}\`): zdm checks preconditions only the way Liquibase does by default, stopping the run (onFail:HALT, onError:HALT); it does not skip a changeset or mark it as ran. Run this changelog with Liquibase, or remove the option.`,
        offset: options.offset,
      },
    };
  }
  if (up.transaction === 'implicit') {
    const first = changeset.preconditions[0];
    return { refusal: { message: `${label} has a precondition (line ${first.line}), and Liquibase sends the changeset in one JDBC call outside a transaction: zdm cannot check it first without changing how the changeset runs. Run it with Liquibase.`, offset: first.offset } };
  }
  const checks: RunStatement[] = [];
  for (const p of changeset.preconditions) {
    const sql = checkSql(p);
    if (sql === undefined) {
      const why = ['sql-check', 'table-exists', 'view-exists'].includes(p.kind) ? 'zdm cannot read it (Liquibase expects `expectedResult:X <sql>`, `table:name`, `view:name`)' : `zdm checks sql-check, table-exists and view-exists preconditions, not ${p.kind}`;
      return { refusal: { message: `${label} has a precondition at line ${p.line} (\`${p.text}\`) that ${why}: run this changelog with Liquibase, or remove it.`, offset: p.offset } };
    }
    checks.push({ index: checks.length, text: `-- ${p.text.replace(/^--\s*/, '')}\n${sql}`, span: { start: p.offset, end: p.end }, line: p.line, firstWord: 'do', kind: 'DoStmt' });
  }
  return { checks };
}

/** The section with the checks first (statement numbers shifted after them). */
export function withChecks(section: RunSection, checks: readonly RunStatement[]): RunSection {
  if (checks.length === 0) return section;
  const shifted = section.statements.map(
    (s, i): RunStatement => ({
      index: checks.length + i,
      text: s.text,
      span: s.span,
      firstWord: s.firstWord,
      toOriginal: s.toOriginal,
      get line() {
        return s.line;
      },
      get kind() {
        return s.kind;
      },
      get node() {
        return s.node;
      },
    }),
  );
  return { ...section, statements: [...checks, ...shifted] };
}

/** A DO block raising when the precondition does not hold; undefined when zdm cannot check it. */
function checkSql(p: Precondition): string | undefined {
  const failed = (detail: string) => `RAISE EXCEPTION USING MESSAGE = ${sqlLiteral(`Liquibase precondition failed (line ${p.line}: ${p.text.trim()})`)} || ${detail} || ${sqlLiteral('; Liquibase stops here too (onFail:HALT)')};`;
  if (p.kind === 'sql-check') {
    if (p.expected === undefined || !p.sql?.trim()) return undefined;
    const query = p.sql.trim().replace(/;\s*$/, '');
    const tag = dollarTag(query, 'zdm_query');
    return block(
      `DECLARE got text; BEGIN EXECUTE ${tag}${query}${tag} INTO got; IF got IS DISTINCT FROM ${sqlLiteral(p.expected)} THEN ${failed(`': expected ' || ${sqlLiteral(p.expected)} || ', got ' || coalesce(got, 'no value')`)} END IF; END`,
    );
  }
  if (p.kind === 'table-exists' || p.kind === 'view-exists') {
    if (!p.name) return undefined;
    const kinds = p.kind === 'table-exists' ? `'r', 'p'` : `'v'`;
    const schema = p.schema ? sqlLiteral(p.schema.toLowerCase()) : 'current_schema()';
    const what = `${p.kind === 'table-exists' ? 'table' : 'view'} ${p.schema ? `${p.schema.toLowerCase()}.` : ''}${p.name.toLowerCase()}`;
    return block(
      `BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = ${sqlLiteral(p.name.toLowerCase())} AND n.nspname = ${schema} AND c.relkind IN (${kinds})) THEN ${failed(sqlLiteral(`: there is no ${what}`))} END IF; END`,
    );
  }
  return undefined;
}

function block(body: string): string {
  const tag = dollarTag(body, 'zdm_precondition');
  return `DO ${tag} ${body} ${tag};`;
}

