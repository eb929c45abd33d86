// The building blocks of trio SQL: the per-trio context, section headers, timeouts, ALTER TABLE with
// several actions, trigger functions, the NOT NULL-through-a-CHECK steps, verification lines.

import type { BackfillSettings } from './backfill';
import { generatedName, quoteIdent as q, tableLiteral, tableSql, type TableName } from './sql-names';
import type { TrioRequest } from './trio';
import type { IndexBuild } from './trio-carry';
import { verifyDirective } from './verify-directives';
import { dollarTag, sqlLiteral } from '../sql/quote';

export interface Ctx {
  r: TrioRequest;
  /** The table as SQL. */
  table: string;
  /** The key column as SQL, and as a name. */
  key: string;
  keyName: string;
  settings: BackfillSettings & { statementTimeout: string };
  pgVersion: number;
  ignore(rule: string, reason: string): string;
}

export interface StepParts {
  /** What the step does, for the header. */
  header: string;
  up: string;
  down: string;
}

export interface TrioParts {
  slug: string;
  /** What the dev database's catalog says may break the contract, or the application after it (trio-deps.ts): for the user, and the expand's and contract's headers. */
  warnings?: string[];
  /** Indexes built on the new column between the backfill and the contract (trio-carry.ts). */
  builds?: IndexBuild[];
  /** Indexes the way back rebuilds after the backfill's down (drop-column: the dropped column's), with their names. */
  restores?: { name: string; sql: string }[];
  expand: StepParts;
  backfill: StepParts;
  contract: StepParts;
}

export const STEP_TITLES = ['Step 1 of 3, EXPAND', 'Step 2 of 3, BACKFILL', 'Step 3 of 3, CONTRACT'];

export function headerOf(ctx: Ctx, index: number, text: string): string {
  const common = [
    `${STEP_TITLES[index]} (zdm trio ${ctx.r.kind} ${describeTarget(ctx.r)}).`,
    'Each step ships in its own deployment, in order; each has its own down.',
  ];
  return wrap([...common, '', text].join('\n'), 100);
}

/** Wraps each line of plain text at `width` columns (comment headers). */
export function wrap(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      const out: string[] = [];
      let current = '';
      for (const word of line.split(' ')) {
        if (current !== '' && current.length + 1 + word.length > width) {
          out.push(current);
          current = word;
        } else current = current === '' ? word : `${current} ${word}`;
      }
      out.push(current);
      return out.join('\n');
    })
    .join('\n');
}

export function describeTarget(r: TrioRequest): string {
  const t = tableSql(r.table);
  return r.column !== undefined ? `${t}.${q(r.column)}` : t;
}

export function lockTimeout(ctx: Ctx): string {
  return `SET lock_timeout = ${sqlLiteral(ctx.settings.lockTimeout)};\n`;
}

/** SET LOCAL: bounds this migration's statements without leaking into the next migration of the same session (a backfill must not inherit it). */
export function statementTimeout(ctx: Ctx): string {
  return `SET LOCAL statement_timeout = ${sqlLiteral(ctx.settings.statementTimeout)};\n`;
}

/** One ALTER TABLE with several actions (one lock, at most one pass); nothing when there is no action. */
export function alter(ctx: Ctx, actions: (string | false | undefined)[]): string {
  const list = actions.filter((a): a is string => typeof a === 'string' && a !== '');
  return list.length === 0 ? '' : `ALTER TABLE ${ctx.table} ${list.join(', ')};\n`;
}

export function executeFunction(ctx: Ctx, fn: string): string {
  return `${ctx.pgVersion >= 11 ? 'EXECUTE FUNCTION' : 'EXECUTE PROCEDURE'} ${fn}()`;
}

/**
 * A trigger function body in PL/pgSQL. `definer`: it runs with the rights of its owner (the role that
 * migrates), for a trigger that writes a table the application must not be given (drop-column's
 * archive), or may not write as it is (split-table's copy of a write already allowed on the table).
 * Such a function's names must resolve as they did when it was created, and never to a table of the
 * caller's: PostgreSQL searches pg_temp first unless the search_path lists it, so a caller's temporary
 * table of the archive's name would take the write, and a trigger on it would run as the owner. So the
 * next statement pins its search_path to this migration's schemas (`current_schemas`, run time: the
 * trio does not know them when the table is named without its schema), pg_temp last.
 */
export function triggerFunction(fn: string, comment: string, body: string, options: { definer?: boolean } = {}): string {
  const code = `BEGIN\n${body.replace(/\s+$/, '')}\nEND;\n`;
  const tag = dollarTag(code);
  const created = `-- ${comment}
CREATE FUNCTION ${fn}() RETURNS trigger
LANGUAGE plpgsql${options.definer ? ' SECURITY DEFINER' : ''} AS ${tag}
${code}${tag};
`;
  if (!options.definer) return created;
  return `${created}${doBlock(
    `-- ${fn}() runs as its owner: its names resolve in this migration's schemas, never in a caller's temporary ones.`,
    `BEGIN
  EXECUTE format('ALTER FUNCTION %s SET search_path = %s', ${sqlLiteral(`${fn}()`)}::regprocedure,
    coalesce((SELECT string_agg(quote_ident(s), ', ' ORDER BY i) FROM unnest(current_schemas(false)) WITH ORDINALITY AS p(s, i)) || ', ', '') || 'pg_temp');
END`,
  )}`;
}

/** A DO block of `code` (DECLARE ... END), after its comment line. */
function doBlock(comment: string, code: string): string {
  const tag = dollarTag(code);
  return `${comment}\nDO ${tag}\n${code}\n${tag};\n`;
}

/**
 * Stops the migration (it rolls back) when `table` has row-level security enabled: for a relation the
 * trio creates whose rows the table's policies would no longer guard. `why` says what would be exposed
 * and the way out.
 */
export function refuseRowSecurity(table: TableName, why: string): string {
  // USING MESSAGE: a RAISE format string would read a % in the table's name as a placeholder.
  return doBlock(
    `-- Stops here, rolled back, when ${tableSql(table)} has row-level security (the message says why).`,
    `BEGIN
  IF (SELECT relrowsecurity FROM pg_class WHERE oid = ${tableLiteral(table)}::regclass) THEN
    RAISE EXCEPTION USING MESSAGE = ${sqlLiteral(`${tableSql(table)} has row-level security: ${why}`)};
  END IF;
END`,
  );
}

/**
 * Gives `to`, a relation the trio creates (a compatibility view, a split-off table), the privileges
 * roles hold on `from`: table-wide, and on its columns that `to` has under the same names (`columnsOnly`:
 * those alone, for columns re-created on a table whose table-wide privileges stand).
 * The application rarely runs as the role that migrates: without them, its reads and writes through
 * the view fail (permission denied), and so does every write of the table whose trigger copies the row
 * into the new table (a trigger function runs with the rights of the role that wrote). Read from the
 * catalog when the migration runs, so it needs no dev database when the trio is made. The new
 * relation's owner (the role that runs the migration) is skipped: it holds every privilege already.
 */
export function copyGrants(from: TableName, to: TableName, options: { columnsOnly?: boolean } = {}): string {
  const source = `${tableLiteral(from)}::regclass`;
  const target = `${tableLiteral(to)}::regclass`;
  const tableWide = `    SELECT a.privilege_type AS privilege, a.grantee, a.is_grantable, NULL::name AS column_name
      FROM pg_class AS c, aclexplode(c.relacl) AS a
     WHERE c.oid = ${source}
    UNION ALL
`;
  return grantLoop(
    options.columnsOnly
      ? `-- The column privileges roles have on ${tableSql(from)}, on the columns of the same names of ${tableSql(to)}.`
      : `-- The privileges roles have on ${tableSql(from)}, on ${tableSql(to)} too (table-wide, and on the columns of the same names).`,
    `${options.columnsOnly ? '' : tableWide}    SELECT a.privilege_type AS privilege, a.grantee, a.is_grantable, f.attname AS column_name
      FROM pg_attribute AS f, aclexplode(f.attacl) AS a
     WHERE f.attrelid = ${source} AND f.attnum > 0 AND NOT f.attisdropped
       AND f.attname IN (SELECT attname FROM pg_attribute WHERE attrelid = ${target} AND attnum > 0 AND NOT attisdropped)`,
    target,
  );
}

/**
 * Gives column `to` of `table` the column privileges roles hold on its column `from` (`GRANT UPDATE
 * (name) ON users TO app`): for the new column of a replacement, and for the old one its contract's
 * down re-creates. Table-wide privileges cover every column already; these are the ones that do not.
 */
export function copyColumnGrants(table: TableName, from: string, to: string): string {
  const relation = `${tableLiteral(table)}::regclass`;
  return grantLoop(
    `-- The column privileges roles have on ${q(from)}, on ${q(to)} too (table-wide ones cover both already).`,
    `    SELECT a.privilege_type AS privilege, a.grantee, a.is_grantable, ${sqlLiteral(to)}::name AS column_name
      FROM pg_attribute AS f, aclexplode(f.attacl) AS a
     WHERE f.attrelid = ${relation} AND f.attname = ${sqlLiteral(from)}`,
    relation,
  );
}

/**
 * drop-column's way back: the column privileges roles hold on `column` of `table`, recorded by the
 * contract's up before its DROP COLUMN (nothing else keeps them once the column is gone: PostgreSQL
 * clears a dropped column's attacl), for restoreColumnGrants in the contract's down.
 * Where: a COMMENT on the archive's column, a JSON object {"zdm": what it is, "grants": [{privilege,
 * grantee (a role's name, null for PUBLIC), grantable}]}. The archive is the trio's own table, made by
 * its expand and dropped by the expand's down: it lives exactly as long as the way back can be taken
 * (the backfill's down refills the column from it), so the record needs no table of its own to create,
 * grant or clean up, and nobody is given anything on the archive. A comment is readable by every role,
 * and so is pg_attribute.attacl: this is no secret. Role names, not OIDs, nor the aclitem[] text: the
 * grants are made again by name, and a role dropped since (the grantee or the grantor of an aclitem)
 * must leave the others restorable. The grantor is not kept: the role that runs the down grants them.
 */
export function recordColumnGrants(table: TableName, column: string, archive: TableName): string {
  const note = `column privileges of ${tableSql(table)}.${q(column)} before the drop-column contract dropped it; its down grants them again`;
  return doBlock(
    `-- Records ${q(column)}'s column privileges (pg_attribute.attacl, readable by every role) on the archive's column, for this migration's down.`,
    `BEGIN
  EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', ${tableLiteral(archive)}::regclass, ${sqlLiteral(column)}, (
    SELECT json_build_object('zdm', ${sqlLiteral(note)}, 'grants', coalesce(json_agg(json_build_object(
             'privilege', a.privilege_type, 'grantee', CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END,
             'grantable', a.is_grantable) ORDER BY a.grantee, a.privilege_type), '[]'))
      FROM pg_attribute AS f, aclexplode(f.attacl) AS a
     WHERE f.attrelid = ${tableLiteral(table)}::regclass AND f.attname = ${sqlLiteral(column)}));
END`,
  );
}

/**
 * The contract's down of drop-column, after it re-created `column`: grants again the column privileges
 * recordColumnGrants kept on the archive's column (none when there is no record). A role dropped since
 * the contract is skipped with a WARNING rather than failing the rollback half-way: its privileges
 * cannot come back, the other roles' can.
 */
export function restoreColumnGrants(table: TableName, column: string, archive: TableName): string {
  const relation = `${tableLiteral(table)}::regclass`;
  const kept = tableLiteral(archive);
  return grantLoop(
    `-- The column privileges roles had on ${q(column)} before the contract dropped it, as its up recorded them on ${tableSql(archive)}.`,
    `    SELECT x.privilege, CASE WHEN x.grantee IS NULL THEN 0::oid ELSE (SELECT oid FROM pg_roles WHERE rolname = x.grantee) END AS grantee,
           x.grantable AS is_grantable, ${sqlLiteral(column)}::name AS column_name, x.grantee AS role_name
      FROM pg_attribute AS f,
           json_to_recordset(col_description(f.attrelid, f.attnum)::json -> 'grants') AS x(privilege text, grantee name, grantable boolean)
     WHERE f.attrelid = to_regclass(${kept}) AND f.attname = ${sqlLiteral(column)}`,
    relation,
    `    IF g.grantee IS NULL THEN
      RAISE WARNING USING MESSAGE = format('role %s no longer exists: its %s privilege on column %s of %s is not restored',
        quote_ident(g.role_name), g.privilege, ${sqlLiteral(q(column))}, ${sqlLiteral(tableSql(table))});
      CONTINUE;
    END IF;
`,
  );
}

/**
 * A DO block granting, on `target` (a regclass expression), each privilege `query` lists (privilege,
 * grantee, is_grantable, column_name or NULL); `guard`: PL/pgSQL run first for each one (it may CONTINUE).
 */
function grantLoop(comment: string, query: string, target: string, guard = ''): string {
  return doBlock(
    comment,
    `DECLARE
  g record;
BEGIN
  FOR g IN
${query}
  LOOP
${guard}    CONTINUE WHEN g.grantee = (SELECT relowner FROM pg_class WHERE oid = ${target});
    EXECUTE format('GRANT %s%s ON %s TO %s%s', g.privilege,
      CASE WHEN g.column_name IS NULL THEN '' ELSE format(' (%I)', g.column_name) END, ${target},
      CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
      CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
END`,
  );
}

export function createTrigger(ctx: Ctx, name: string, timing: string, table: string, fn: string): string {
  return `CREATE TRIGGER ${q(name)} ${timing} ON ${table}\nFOR EACH ROW ${executeFunction(ctx, fn)};\n`;
}

export function dropTrigger(name: string, table: string): string {
  return `DROP TRIGGER ${q(name)} ON ${table};\n`;
}

/** `value` computed from the row being written, assigned to NEW.column (the expression may name the row's columns). */
export function assignFromRow(ctx: Ctx, column: string, value: string): string {
  return `SELECT ${value} INTO NEW.${q(column)} FROM (SELECT NEW.*) AS ${q(ctx.r.table.name)};`;
}

export function notNullCheckName(ctx: Ctx, column: string): string {
  return generatedName(ctx.r.table.name, column, 'not_null_check');
}

/** The ALTER TABLE action adding the NOT VALID check that stands for NOT NULL until it is validated. */
export function notNullCheck(ctx: Ctx, column: string): string {
  return `ADD CONSTRAINT ${q(notNullCheckName(ctx, column))} CHECK (${q(column)} IS NOT NULL) NOT VALID`;
}

/**
 * VALIDATE the NOT VALID check (SHARE UPDATE EXCLUSIVE: traffic goes on during the scan), then SET NOT
 * NULL (PostgreSQL 12+ proves it from the validated check: no scan), then drop the check. The two
 * ALTERs stay apart: in one statement the check would be dropped before SET NOT NULL could use it.
 * Starts the section's statement_timeout after the VALIDATE, which may run long without blocking.
 */
export function notNullFromCheck(ctx: Ctx, column: string): string {
  const check = q(notNullCheckName(ctx, column));
  const proven = ctx.pgVersion >= 12;
  return `ALTER TABLE ${ctx.table} VALIDATE CONSTRAINT ${check};
${statementTimeout(ctx)}-- SET NOT NULL ${proven ? 'uses the validated check: no table scan' : 'scans the table under ACCESS EXCLUSIVE before PostgreSQL 12'}.
${proven ? ctx.ignore('adding-not-nullable-field', 'proven by the VALIDATE CONSTRAINT above: PostgreSQL 12+ skips the scan') : ''}ALTER TABLE ${ctx.table} ALTER COLUMN ${q(column)} SET NOT NULL;
ALTER TABLE ${ctx.table} DROP CONSTRAINT ${check};
`;
}

/** The actions back to the state before notNullFromCheck: the column nullable again, guarded by the NOT VALID check. */
export function checkFromNotNull(ctx: Ctx, column: string): string[] {
  return [`ALTER COLUMN ${q(column)} DROP NOT NULL`, notNullCheck(ctx, column)];
}

/**
 * For a down that re-created a NOT NULL column empty (PL/pgSQL, run after the copy loop): once the
 * data is back, validate the NOT VALID check the down added and turn it into NOT NULL again (dynamic
 * SQL, so it is skipped when the check is not there: the contract was never applied).
 */
export function restoreNotNullAfterCopy(ctx: Ctx, column: string): string {
  const check = notNullCheckName(ctx, column);
  const table = tableSql(ctx.r.table);
  return `-- The contract's down re-created ${q(column)} with a NOT VALID check instead of NOT NULL; now that
-- the rows are back, make it NOT NULL again (skipped when the contract was never rolled back).
IF EXISTS (SELECT FROM pg_constraint WHERE conrelid = to_regclass(${tableLiteral(ctx.r.table)}) AND conname = ${sqlLiteral(check)}) THEN
  EXECUTE ${sqlLiteral(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${q(check)}`)};
  COMMIT;
  EXECUTE ${sqlLiteral(`ALTER TABLE ${table} ALTER COLUMN ${q(column)} SET NOT NULL`)};
  EXECUTE ${sqlLiteral(`ALTER TABLE ${table} DROP CONSTRAINT ${q(check)}`)};
END IF;
`;
}

export function verifyLines(lines: [string, string][]): string {
  return lines.map(([comment, sql]) => `-- ${comment}\n${verifyDirective(sql)}`).join('\n') + '\n';
}

export function noDown(what: string): string {
  return `-- ${what}\n-- zdm-ignore-file empty-down-section -- nothing to undo: ${what.replace(/\.$/, '').toLowerCase()}\n`;
}

export function backfillHeader(ctx: Ctx, what: string): string {
  const s = ctx.settings;
  return [
    `This backfill ${what}, in batches of ${s.batchSize} rows in ${ctx.key} order, each committed on its own (it runs outside a transaction), pausing ${s.pauseMs} ms between batches and while a replica's replay lag exceeds ${s.maxLagSeconds} s.`,
    'It is idempotent and resumable: re-running it continues with the rows still to do. statement_timeout covers the whole block: run it in a session without one (SET statement_timeout = 0), or re-run it after a timeout.',
    'The zdm:verify queries at the end must pass before the contract ships (zdm verify runs them).',
  ].join('\n');
}

export function contractHeader(what: string, when: string, noReturn: string): string {
  return [what, '', `SHIP THIS IN ITS OWN DEPLOYMENT. ${when}`, '', `Point of no return: ${noReturn}`].join('\n');
}

