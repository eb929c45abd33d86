import { createdEarlierInSection } from '../context';
import { nonTransactionalEdit, sentWholeByGoose } from '../fixes/format-edits';
import { previousMigration } from '../history';
import type { AstNode, Statement } from '../model';
import { alwaysTrue, bodyOf, columnsReadBy, quoteIdent, relationOf, sameRelation, type RelationRef } from '../sql/ast';
import { headSpan, statementTokens, tokenIndexAt, tokenText } from '../sql/tokens';
import type { FixSpec, Rule, RuleContext } from './types';
import { eolOf } from '../text/offsets';
import { dollarTag, raiseFormatText } from '../sql/quote';

const BATCH_SIZE = 5000;

export const unbatchedBackfill: Rule = {
  id: 'unbatched-backfill',
  family: 'data',
  summary: 'An UPDATE or DELETE of every row of an existing table in one statement',
  defaultLevel: 'warning',
  sameAs: ['postgres-language-server: ban-update-without-where / ban-delete-without-where', 'pgfence: delete-without-where', 'strong_migrations: change_column_null with a default (a single UPDATE)'],
  fixable: true,
  options: { smallTables: 'Table names (an array) small enough to update or delete in one statement: single-row settings tables and the like.' },
  docs: {
    why: "One statement that updates or deletes every row locks all of them until it commits (any concurrent write of any row waits), writes a new version of each row at once (bloat, a burst of WAL, replicas falling behind), and starts over from zero if it fails or is cancelled. Inside the migration's transaction it also holds the transaction's other locks the whole time (see `backfill-in-transaction`).\n\nFlagged: UPDATE or DELETE with no WHERE (or one that is always true), one that only tests with IS NULL a column added in the same migration, or by the migration just before it with no default (`WHERE new_col IS NULL` matches every row the table had then: the backfill of an expand / backfill pair), and an UPDATE ... FROM whose WHERE only joins. Not flagged: tables created in the same migration, and tables listed in the rule's `smallTables` option (single-row settings tables and the like: `\"unbatched-backfill\": { \"level\": \"warning\", \"options\": { \"smallTables\": [\"site_settings\"] } }`).",
    instead: 'Backfill in batches, each committed on its own, in a migration (or a step) that runs outside a transaction, so progress is kept and locks are short. The fix rewrites a simple UPDATE or DELETE as such a loop (PostgreSQL 11+: COMMIT inside DO), when its section runs, or can be made to run, outside a transaction. Each batch takes the rows whose column still differs from the new value, compared as the column stores it: a value that reads no column is first put in a variable of the column\'s own type (`%TYPE`: `0.005` into `numeric(10, 2)` is `0.01`), so no row is picked again forever. A value computed from other columns is checked after each batch: if the column stores something else (a rounding or type conversion), the loop stops with an error saying so, before committing that batch; cast the value to the column\'s type and run it again. Each batch\'s UPDATE or DELETE also repeats the condition beside the batch\'s ctids: the partitions of a partitioned table reuse the same ctids, so ctids alone would reach rows of other partitions that the WHERE leaves out.',
    invalid: [
      { sql: 'UPDATE users SET email_normalized = lower(email);', note: 'A single statement runs outside a transaction here, so the fix can batch it in place.' },
      { sql: 'DELETE FROM sessions;' },
      {
        sql: 'UPDATE users SET display_name = name WHERE display_name IS NULL;\n',
        path: '000002_backfill_display_name.up.sql',
        files: {
          '000001_add_display_name.up.sql': "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN display_name text;\n",
          '000001_add_display_name.down.sql': "SET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN display_name;\n",
          '000002_backfill_display_name.down.sql': '-- Nothing to undo: the expand\'s down drops the column.\n',
        },
        note: 'The backfill of an expand / backfill pair: the migration before it added display_name, so every row the table had then matches the WHERE.',
      },
    ],
    valid: [
      { sql: "UPDATE users SET email = lower(email) WHERE id = 42;" },
      { sql: "CREATE TABLE plan (id bigint PRIMARY KEY, name text);\nINSERT INTO plan VALUES (1, 'free');\nUPDATE plan SET name = upper(name);", note: 'A table created in the same migration.' },
      {
        sql: "UPDATE users SET status = 'active' WHERE status IS NULL;\n",
        path: '000002_users_status_fixup.up.sql',
        files: {
          '000001_add_status.up.sql': "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN status text DEFAULT 'active';\n",
          '000001_add_status.down.sql': "SET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN status;\n",
          '000002_users_status_fixup.down.sql': '-- Nothing to undo.\n',
        },
        note: 'The previous migration added status with a default: its rows got the default, not NULL, so the WHERE matches only rows written with NULL since.',
      },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      const update = bodyOf(s.node, 'UpdateStmt');
      const del = bodyOf(s.node, 'DeleteStmt');
      const body = update ?? del;
      if (!body) continue;
      const table = relationOf(body.relation);
      if (!table || createdEarlierInSection(context.statements, s, { kind: 'table', name: table.name, schema: table.schema })) continue;
      if (body.withClause || (del && del.usingClause)) continue;
      if (table.schema === 'pg_catalog' || (table.schema === undefined && table.name.startsWith('pg_'))) continue;
      if (smallTables(context).some((name) => name === table.name || name === `${table.schema}.${table.name}`)) continue;
      const whole = wholeTable(context, s, table, body, update !== undefined);
      if (!whole) continue;
      const verb = update ? 'UPDATE' : 'DELETE';
      const fixes = batchedFix(context, s, table, body, update !== undefined);
      context.report({
        statement: s,
        span: headSpan(s, s.offsetOf(table.location)),
        message: `This ${verb} ${whole.what.replace('{table}', table.display)}${whole.why ? ` (${whole.why})` : ''} in one statement: it locks them all until it commits, writes them all at once, and restarts from zero if interrupted.`,
        help: 'Backfill in committed batches, outside a transaction (a loop over LIMITed batches), ideally in a migration of its own.',
        fixes,
      });
    }
  },
};

/** Describes why the statement touches the whole table, or undefined when it does not. */
function wholeTable(context: RuleContext, s: Statement, table: RelationRef, body: any, isUpdate: boolean): { what: string; why?: string } | undefined {
  const where = body.whereClause;
  if (alwaysTrue(where)) return { what: isUpdate ? 'rewrites every row of {table}' : 'deletes every row of {table}' };
  const read = columnsReadBy(where);
  // WHERE new_col IS NULL where new_col was added in this migration: every row matches.
  if (isUpdate && read.length > 0 && onlyNullTests(where)) {
    const here = read.filter((c) => createdEarlierInSection(context.statements, s, { kind: 'column', name: c, table }));
    const were = read.length > 1 ? 'were' : 'was';
    if (here.length === read.length) return { what: 'rewrites every row of {table}', why: `${read.join(', ')} ${were} added in this migration, so the WHERE matches them all` };
    // ... or by the migration just before this one (the expand of an expand / backfill pair): the rows
    // the table had then still hold NULL there, and they are nearly all of it.
    const previous = s.section.kind === 'up' ? previousMigration(context.document, context.host) : undefined;
    if (previous && read.every((c) => here.includes(c) || addedWithoutDefault(previous.upNodes, table, c))) {
      return { what: 'rewrites every row of {table}', why: `${read.join(', ')} ${were} added by the previous migration, ${previous.version}, so the WHERE still matches nearly every row` };
    }
  }
  // UPDATE ... FROM other WHERE only joins the tables.
  if (isUpdate && (body.fromClause ?? []).length > 0 && onlyJoins(where)) return { what: 'rewrites every row of {table} that has a match', why: 'the WHERE only joins it to the FROM list' };
  return undefined;
}

/** Whether one of `nodes` is ALTER TABLE `table` ADD COLUMN `column` with no default but NULL (its rows got NULL there). */
function addedWithoutDefault(nodes: readonly (AstNode | undefined)[], table: RelationRef, column: string): boolean {
  for (const node of nodes) {
    const alter = bodyOf(node, 'AlterTableStmt');
    if (!alter || (alter.objtype ?? 'OBJECT_TABLE') !== 'OBJECT_TABLE') continue;
    const target = relationOf(alter.relation);
    if (!target || !sameRelation(target, table)) continue;
    for (const c of alter.cmds ?? []) {
      const def = c.AlterTableCmd?.subtype === 'AT_AddColumn' ? c.AlterTableCmd.def?.ColumnDef : undefined;
      if (def?.colname !== column) continue;
      const defaults = (def.constraints ?? []).map((k: any) => k.Constraint).filter((k: any) => k?.contype === 'CONSTR_DEFAULT' || k?.contype === 'CONSTR_GENERATED' || k?.contype === 'CONSTR_IDENTITY');
      return defaults.every((k: any) => k.contype === 'CONSTR_DEFAULT' && k.raw_expr?.A_Const?.isnull === true);
    }
  }
  return false;
}

function onlyNullTests(where: any): boolean {
  if (where?.NullTest) return where.NullTest.nulltesttype === 'IS_NULL';
  if (where?.BoolExpr?.boolop === 'AND_EXPR' || where?.BoolExpr?.boolop === 'OR_EXPR') return (where.BoolExpr.args ?? []).every(onlyNullTests);
  return false;
}

function onlyJoins(where: any): boolean {
  if (where?.A_Expr?.kind === 'AEXPR_OP') {
    const op = where.A_Expr.name?.[0]?.String?.sval;
    return op === '=' && where.A_Expr.lexpr?.ColumnRef !== undefined && where.A_Expr.rexpr?.ColumnRef !== undefined;
  }
  if (where?.BoolExpr?.boolop === 'AND_EXPR') return (where.BoolExpr.args ?? []).every(onlyJoins);
  return false;
}

/** The rewrite into a loop of committed batches, when it is mechanical and the section allows COMMIT. */
function batchedFix(context: RuleContext, s: Statement, table: RelationRef, body: any, isUpdate: boolean): FixSpec[] {
  if (context.pgVersion < 11 || (body.fromClause ?? []).length > 0 || body.returningList || !s.terminated) return [];
  const facts = context.factsOf(s);
  if (facts.explicitTransaction) return [];
  const source = s.section.source;
  const alias = body.relation?.alias?.aliasname as string | undefined;
  const relationText = source.slice(s.offsetOf(table.location), endOfRelation(s, table));
  const from = alias ? `${relationText} AS ${alias}` : relationText;
  const whereText = body.whereClause ? clauseText(s, 'where') : undefined;
  let loopBody: string;
  const declarations = ['batch_rows bigint;'];
  let counted = 'GET DIAGNOSTICS batch_rows = ROW_COUNT;';
  let stuck = '';
  if (isUpdate) {
    // Each batch picks rows whose column still differs from the value assigned. That comparison must
    // see the value as the column stores it: 0.005 put into numeric(10, 2) is stored 0.01, and an
    // UPDATE that compared with 0.005 would pick the same rows again forever. A value that reads no
    // column is assigned once to a variable of the column's own type (%TYPE, with its typmod), so
    // both the SET and the comparison use the stored form. A value that reads columns is computed
    // per row: there the loop checks each batch, and stops with an error instead of looping.
    const sets: { column: string; value: string; variable?: string }[] = [];
    for (const t of body.targetList ?? []) {
      const target = t.ResTarget;
      if (!target?.name || target.indirection || target.val?.MultiAssignRef) return [];
      if (!simpleExpression(target.val)) return [];
      if (columnsReadBy(target.val).some((c) => (body.targetList ?? []).some((o: any) => o.ResTarget?.name === c))) return [];
      const value = valueText(s, target.location);
      if (value === undefined) return [];
      const column = quoteIdent(target.name);
      if (columnsReadBy(target.val).length > 0) sets.push({ column, value });
      else {
        const variable = quoteIdent(`zdm_new_${target.name}`);
        declarations.push(`${variable} ${relationText}.${column}%TYPE := ${value};`);
        sets.push({ column, value: variable, variable });
      }
    }
    if (sets.length === 0) return [];
    const differs = (x: { column: string; value: string; variable?: string }) => `${x.column} IS DISTINCT FROM ${x.variable ?? `(${x.value})`}`;
    const pending = sets.map(differs).join(' OR ');
    const condition = whereText ? `(${whereText}) AND (${pending})` : pending;
    // The condition again beside the ctids: a ctid names a row only within one table, and a partitioned
    // (or inherited) table's partitions reuse the same ctids, so the ctids alone would also pick rows
    // of other partitions that the WHERE leaves out.
    // `indent` goes before the line the template starts, never into the author's text, whose lines
    // may be inside a string literal that would change.
    const update = (indent: string) =>
      `UPDATE ${from} SET ${sets.map((x) => `${x.column} = ${x.value}`).join(', ')}\n${indent}    WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${from} WHERE ${condition} LIMIT ${BATCH_SIZE})) AND (${condition})`;
    const perRow = sets.filter((x) => !x.variable);
    if (perRow.length === 0) loopBody = `${update('')};`;
    else {
      declarations.push('stuck_rows bigint;');
      loopBody = `WITH batch AS (\n      ${update('  ')}\n      RETURNING ${perRow.map(differs).join(' OR ')} AS stuck\n    )\n    SELECT count(*), count(*) FILTER (WHERE stuck) INTO batch_rows, stuck_rows FROM batch;`;
      counted = '';
      const columns = perRow.map((x) => x.column).join(', ');
      stuck = `\n    IF stuck_rows > 0 THEN\n      RAISE EXCEPTION 'batched UPDATE of ${raiseFormatText(relationText)}: % rows still differ from the value just written to ${raiseFormatText(columns)} (converted or rounded by the column''s type), so the loop would never end; cast the value to the column''s type', stuck_rows;\n    END IF;`;
    }
  } else {
    loopBody = `DELETE FROM ${from}\n    WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${from}${whereText ? ` WHERE ${whereText}` : ''} LIMIT ${BATCH_SIZE}))${whereText ? ` AND (${whereText})` : ''};`;
  }
  const code = `DECLARE\n${declarations.map((d) => `  ${d}\n`).join('')}BEGIN\n  LOOP\n    ${loopBody}${counted ? `\n    ${counted}` : ''}\n    EXIT WHEN batch_rows = 0;${stuck}\n    COMMIT;\n  END LOOP;\nEND`;
  // A tag the author's statement does not hold (it may set a $$-quoted value).
  const tag = dollarTag(code);
  const replacement = `DO ${tag}\n${code} ${tag};`;
  // Written with \n, then with the file's own line ending (the statement's own lines already use it).
  const eol = eolOf(s.section.source);
  const newText = sentWholeByGoose(context.document, s.section, s.span, eol === '\n' ? replacement : replacement.replace(/\r?\n/g, eol));
  if (newText === undefined) return [];
  const edit = { span: s.span, newText };
  if (!facts.inTransaction) return [{ title: `Rewrite as batches of ${BATCH_SIZE} rows, each committed`, edits: [edit], safe: false }];
  const others = context.facts.sectionStatements(s.section).filter((o) => o !== s && o.kind !== 'VariableSetStmt');
  if (others.length > 0) return [];
  const format = nonTransactionalEdit(context.document, s.section, context.host, context.facts.sectionStatements(s.section).length);
  if (!format || format.edits.length + (format.creates?.length ?? 0) === 0) return [];
  return [{ title: `Rewrite as batches of ${BATCH_SIZE} rows, each committed, and ${format.description}`, edits: [edit, ...format.edits], creates: format.creates, safe: false }];
}

/** Constants, column references, operators, casts: values whose result does not change between batches. */
function simpleExpression(expr: any): boolean {
  let ok = true;
  const visit = (node: any): void => {
    if (!ok || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    for (const key of Object.keys(node)) {
      if (/^[A-Z]/.test(key)) {
        if (!['A_Const', 'ColumnRef', 'A_Expr', 'TypeCast', 'TypeName', 'String', 'Integer', 'Float', 'Boolean', 'BoolExpr', 'NullTest', 'CoalesceExpr', 'CaseExpr', 'CaseWhen', 'A_ArrayExpr', 'List'].includes(key)) {
          ok = false;
          return;
        }
      }
      visit(node[key]);
    }
  };
  visit(expr);
  return ok;
}

const CLAUSE_WORDS = new Set(['where', 'from', 'returning']);

/** The text of the value assigned by the SET item whose column name is at parser location `location`. */
function valueText(s: Statement, location: number | undefined): string | undefined {
  if (location === undefined) return undefined;
  const tokens = statementTokens(s);
  let i = tokenIndexAt(s, s.offsetOf(location));
  while (i < tokens.length && tokenText(s, tokens[i]) !== '=') i++;
  i++;
  if (i >= tokens.length) return undefined;
  const start = tokens[i].start;
  let end = start;
  let depth = 0;
  for (; i < tokens.length; i++) {
    const t = tokenText(s, tokens[i]);
    if (t === '(' || t === '[') depth++;
    else if (t === ')' || t === ']') depth--;
    else if (depth === 0 && (t === ',' || t === ';' || (tokens[i].kind === 'word' && CLAUSE_WORDS.has(t.toLowerCase())))) break;
    end = tokens[i].end;
  }
  return s.section.source.slice(start, end);
}

/** The text after a top-level keyword (`where`) up to the next clause or the end. */
function clauseText(s: Statement, word: string): string | undefined {
  const tokens = statementTokens(s);
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokenText(s, tokens[i]);
    if (t === '(') depth++;
    else if (t === ')') depth--;
    else if (depth === 0 && tokens[i].kind === 'word' && t.toLowerCase() === word && tokens[i + 1]) {
      let end = tokens[i + 1].start;
      let d = 0;
      for (let k = i + 1; k < tokens.length; k++) {
        const x = tokenText(s, tokens[k]);
        if (x === '(') d++;
        else if (x === ')') d--;
        else if (d === 0 && (x === ';' || (tokens[k].kind === 'word' && x.toLowerCase() === 'returning'))) break;
        end = tokens[k].end;
      }
      return s.section.source.slice(tokens[i + 1].start, end);
    }
  }
  return undefined;
}

function endOfRelation(s: Statement, table: RelationRef): number {
  const tokens = statementTokens(s);
  let i = tokenIndexAt(s, s.offsetOf(table.location));
  while (i + 2 < tokens.length && tokenText(s, tokens[i + 1]) === '.') i += 2;
  return tokens[i].end;
}

/** Table names the project declares small (the `smallTables` option): whole-table changes of them are fine. */
function smallTables(context: RuleContext): string[] {
  const value = context.options.smallTables;
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').map((v) => v.toLowerCase()) : [];
}
