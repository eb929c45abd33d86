// The seven trio kinds: what each one's expand, backfill and contract do, up and down.

import { backfillBlock } from './backfill';
import { slugify } from './naming';
import { generatedName, inSchemaOf, quoteIdent as q, tableSql, type TableName } from './sql-names';
import type { TrioKind } from './trio';
import { carryOver, type Carried, renameStatements, restoreOnWayBack } from './trio-carry';
import { checkDependencies } from './trio-deps';
import {
  alter,
  assignFromRow,
  backfillHeader,
  checkFromNotNull,
  contractHeader,
  copyColumnGrants,
  copyGrants,
  createTrigger,
  type Ctx,
  dropTrigger,
  lockTimeout,
  noDown,
  notNullCheck,
  notNullCheckName,
  notNullFromCheck,
  recordColumnGrants,
  refuseRowSecurity,
  restoreColumnGrants,
  restoreNotNullAfterCopy,
  statementTimeout,
  triggerFunction,
  type TrioParts,
  verifyLines,
} from './trio-sql';

type Builder = (ctx: Ctx) => TrioParts;

export const BUILDERS: Record<TrioKind, Builder> = {
  'rename-column': (ctx) => {
    const old = ctx.r.column!;
    const neu = ctx.r.to!;
    const type = ctx.r.type!;
    return columnReplacement(ctx, {
      slug: `rename_${ctx.r.table.name}_${old}_to_${neu}`,
      old,
      neu,
      newType: type,
      oldType: type,
      toNew: `NEW.${q(neu)} := NEW.${q(old)};`,
      toOld: `NEW.${q(old)} := NEW.${q(neu)};`,
      toNewSql: q(old),
      toOldSql: q(neu),
      swap: false,
      what: `${q(old)} is renamed to ${q(neu)}`,
    });
  },
  'change-type': (ctx) => {
    const old = ctx.r.column!;
    const swap = ctx.r.to === undefined;
    const neu = ctx.r.to ?? generatedName(old, 'new');
    const newType = ctx.r.type!;
    const oldType = ctx.r.fromType!;
    const toNewSql = ctx.r.using ?? `CAST(${q(old)} AS ${newType})`;
    return columnReplacement(ctx, {
      slug: `change_${ctx.r.table.name}_${old}_to_${slugify(newType) || 'new_type'}`,
      old,
      neu,
      newType,
      oldType,
      toNew: ctx.r.using ? assignFromRow(ctx, neu, ctx.r.using) : `NEW.${q(neu)} := CAST(NEW.${q(old)} AS ${newType});`,
      toOld: `NEW.${q(old)} := CAST(NEW.${q(neu)} AS ${oldType});`,
      toNewSql,
      toOldSql: `CAST(${q(neu)} AS ${oldType})`,
      swap,
      what: swap ? `${q(old)} becomes ${newType} (a new column ${q(neu)} takes its place and its name)` : `${q(old)} (${oldType}) is replaced by ${q(neu)} (${newType})`,
    });
  },
  'add-not-null-column': (ctx) => fillThenNotNull(ctx, { added: true }),
  'set-not-null': (ctx) => fillThenNotNull(ctx, { added: false }),
  'rename-table': renameTable,
  'split-table': splitTable,
  'drop-column': dropColumn,
};

interface Replacement {
  slug: string;
  old: string;
  neu: string;
  newType: string;
  oldType: string;
  /** PL/pgSQL assignments keeping the columns in step (from NEW). */
  toNew: string;
  toOld: string;
  /** SQL expressions computing one column from the other (in UPDATE ... SET). */
  toNewSql: string;
  toOldSql: string;
  /** The contract renames the new column to the old name (change-type without a new name). */
  swap: boolean;
  what: string;
}

/** rename-column and change-type: a new column kept in step with the old one, backfilled, then the old one dropped. */
function columnReplacement(ctx: Ctx, x: Replacement): TrioParts {
  const { table, key } = ctx;
  const notNull = ctx.r.notNull === true;
  const fn = inSchemaOf(ctx.r.table, generatedName('zdm_sync', ctx.r.table.name, x.old, x.neu));
  const trigger = generatedName('zdm_sync', x.old, x.neu);
  const syncBody = `  IF TG_OP = 'UPDATE' AND NEW.${q(x.neu)} IS DISTINCT FROM OLD.${q(x.neu)} AND NEW.${q(x.old)} IS NOT DISTINCT FROM OLD.${q(x.old)} THEN
    ${x.toOld}  -- a writer of ${q(x.neu)}
  ELSIF TG_OP = 'UPDATE' AND NEW.${q(x.old)} IS DISTINCT FROM OLD.${q(x.old)} THEN
    ${x.toNew}  -- a writer of ${q(x.old)}
  ELSIF NEW.${q(x.neu)} IS NULL THEN
    ${x.toNew}
  ELSIF NEW.${q(x.old)} IS NULL THEN
    ${x.toOld}
  END IF;
  RETURN NEW;`;
  const syncFunction = triggerFunction(fn, `Keeps ${q(x.old)} and ${q(x.neu)} in step while application versions that use either run side by side.`, syncBody);
  const syncTrigger = createTrigger(ctx, trigger, 'BEFORE INSERT OR UPDATE', table, fn);
  const finalName = x.swap ? x.old : x.neu;
  const reason = `contract step: every deployed version uses ${q(finalName)} now`;

  // What else depends on the old column (trio-deps.ts): refused, warned about, or (a sequence it owns) moved.
  const deps = ctx.r.catalog ? checkDependencies(ctx.r.table, x.old, 'replace', ctx.r.catalog.dependencies) : undefined;
  const sequence = deps?.ownedSequence;
  // The new column's default: the one given, else the owned sequence's nextval (which the contract moves with the sequence).
  const dflt = ctx.r.default ?? sequence?.default;
  // The old column's indexes and constraints, when the dev database's catalog is known (trio-carry.ts).
  const carry: Carried | undefined = ctx.r.catalog ? carryOver(ctx.r.table, x.old, x.neu, ctx.r.catalog, {
        lockTimeout: ctx.settings.lockTimeout,
        reserved: notNull ? [notNullCheckName(ctx, x.neu)] : [],
      }) : undefined;
  // change-type without --to: the new column takes the old name, and its indexes and constraints the
  // old ones' names (freed by the DROP COLUMN); the contract's down gives them the new names back first.
  const renamed = x.swap && carry && carry.renames.length > 0 ? carry : undefined;
  const expandUp = [
    lockTimeout(ctx),
    statementTimeout(ctx),
    notNull ? `-- The check makes ${q(x.neu)} NOT NULL for rows written from now on (the trigger fills it); the contract validates it.\n` : '',
    carry && carry.expandActions.length > 0 ? `-- The foreign keys and CHECKs of ${q(x.old)}, on ${q(x.neu)}: NOT VALID (checked for new writes only); the contract validates them.\n` : '',
    alter(ctx, [`ADD COLUMN ${q(x.neu)} ${x.newType}`, notNull && notNullCheck(ctx, x.neu), ...(carry?.expandActions ?? [])]),
    copyColumnGrants(ctx.r.table, x.old, x.neu),
    '\n' + syncFunction,
    '\n' + syncTrigger,
  ].join('');
  const expandDown = [
    lockTimeout(ctx),
    carry?.expandDownFirst ? `-- ${q(x.old)}'s constraints as they were (a no-op unless the contract was rolled back, which re-created them NOT VALID).\n${carry.expandDownFirst}` : '',
    statementTimeout(ctx),
    dropTrigger(trigger, table),
    `DROP FUNCTION ${fn}();\n`,
    alter(ctx, [notNull && `DROP CONSTRAINT ${q(notNullCheckName(ctx, x.neu))}`, `DROP COLUMN ${q(x.neu)}`]),
  ].join('');

  const copy = backfillBlock(
    {
      table: ctx.r.table,
      key: ctx.keyName,
      label: `${ctx.r.table.name}.${x.neu}`,
      pending: `t.${q(x.neu)} IS NULL AND t.${q(x.old)} IS NOT NULL`,
      batch: `UPDATE ${table} SET ${q(x.neu)} = ${x.toNewSql}\nWHERE ${key} BETWEEN zdm_from AND zdm_to AND ${q(x.neu)} IS NULL AND ${q(x.old)} IS NOT NULL;`,
    },
    ctx.settings,
  );
  const copyBack = backfillBlock(
    {
      table: ctx.r.table,
      key: ctx.keyName,
      label: `${ctx.r.table.name}.${x.old}`,
      pending: `t.${q(x.old)} IS NULL AND t.${q(x.neu)} IS NOT NULL`,
      batch: `UPDATE ${table} SET ${q(x.old)} = ${x.toOldSql}\nWHERE ${key} BETWEEN zdm_from AND zdm_to AND ${q(x.old)} IS NULL AND ${q(x.neu)} IS NOT NULL;`,
      epilogue: notNull ? restoreNotNullAfterCopy(ctx, x.old) : undefined,
    },
    ctx.settings,
  );
  const backfillUp = `${copy}\n\n${verifyLines([
    [`every row has ${q(x.neu)} equal to its ${q(x.old)}`, `SELECT count(*) FROM ${table} WHERE ${q(x.neu)} IS DISTINCT FROM ${x.toNewSql}`],
  ])}`;
  const backfillDown = `-- Copies ${q(x.neu)} back into ${q(x.old)} where ${q(x.old)} is empty: a no-op unless the contract was rolled back.\n${copyBack}\n`;

  const contractUp = [
    lockTimeout(ctx),
    carry?.contractValidate ? `-- The foreign keys and CHECKs the expand added NOT VALID (SHARE UPDATE EXCLUSIVE: writes go on during the scan).\n${carry.contractValidate}` : '',
    notNull ? notNullFromCheck(ctx, x.neu) : statementTimeout(ctx),
    ctx.ignore('ban-drop-trigger', reason),
    dropTrigger(trigger, table),
    ctx.ignore('ban-drop-function', reason),
    `DROP FUNCTION ${fn}();\n`,
    // Before the ignore comments, which apply to the statement right after them.
    sequence
      ? `-- ${sequence.name} is owned by ${q(x.old)} (OWNED BY): DROP COLUMN would drop it too. It goes to ${q(x.neu)}${sequence.default !== undefined && ctx.r.default === undefined ? ', with the default that uses it' : ''}.\nALTER SEQUENCE ${sequence.name} OWNED BY ${table}.${q(x.neu)};\n`
      : '',
    ctx.ignore('ban-drop-column', reason),
    x.swap ? ctx.ignore('expand-and-contract-in-one-migration', `${q(x.neu)} was added and filled by the expand and backfill migrations`) : '',
    `ALTER TABLE ${table} DROP COLUMN ${q(x.old)};\n`,
    x.swap ? `${ctx.ignore('renaming-column', `${q(x.neu)} takes the name of the column dropped just before`)}ALTER TABLE ${table} RENAME COLUMN ${q(x.neu)} TO ${q(x.old)};\n` : '',
    // Only now: while both columns exist, a default on the new one would fill it before the sync trigger
    // runs, and an insert of the previous version (writing the old column only) would not be copied.
    dflt !== undefined ? `ALTER TABLE ${table} ALTER COLUMN ${q(finalName)} SET DEFAULT ${dflt};\n` : '',
    carry?.contractAttach ? `-- The UNIQUE constraints, from the unique indexes built after the backfill (no scan; kept by this migration's down).\n${carry.contractAttach}` : '',
    renamed
      ? `-- The old names back, freed by the DROP COLUMN (catalog only: the table is ACCESS EXCLUSIVE locked since then; an index rename locks the index alone).\n${renameStatements(ctx.r.table, renamed)}`
      : '',
  ].join('');
  const contractDown = [
    lockTimeout(ctx),
    statementTimeout(ctx),
    dflt !== undefined ? `ALTER TABLE ${table} ALTER COLUMN ${q(finalName)} DROP DEFAULT;\n` : '',
    x.swap ? `ALTER TABLE ${table} RENAME COLUMN ${q(x.old)} TO ${q(x.neu)};\n` : '',
    renamed ? `-- The carried indexes and constraints take their new names again, freeing the old ones for ${q(x.old)}'s.\n${renameStatements(ctx.r.table, renamed, true)}` : '',
    notNull ? `-- ${q(x.old)} comes back empty: NOT NULL (a NOT VALID check) only for new writes until the backfill's down refills it.\n` : '',
    carry && carry.contractDownActions.length > 0 ? `-- ${q(x.old)}'s foreign keys and CHECKs, NOT VALID: the expand's down validates them once the values are back.\n` : '',
    alter(ctx, [
      `ADD COLUMN ${q(x.old)} ${x.oldType}`,
      dflt !== undefined && `ALTER COLUMN ${q(x.old)} SET DEFAULT ${dflt}`,
      ...(notNull ? [notNullCheck(ctx, x.old), ...checkFromNotNull(ctx, x.neu)] : []),
      ...(carry?.contractDownActions ?? []),
    ]),
    sequence ? `ALTER SEQUENCE ${sequence.name} OWNED BY ${table}.${q(x.old)};\n` : '',
    copyColumnGrants(ctx.r.table, x.neu, x.old),
    '\n' + syncFunction,
    '\n' + syncTrigger,
  ].join('');

  return {
    slug: x.slug,
    warnings: deps?.warnings,
    builds: carry?.builds,
    expand: {
      header: `Adds ${q(x.neu)} (${x.newType}, nullable${notNull ? ', NOT NULL for new writes through a NOT VALID check' : ''}) and a trigger that keeps it in step with ${q(x.old)}: writes of either application version land in both columns. Nothing the running version uses changes.\nThen deploy the application version that reads ${q(x.swap ? x.old : x.neu)} and writes ${x.swap ? 'it' : 'both'}.\n${carry ? carriedHeader(ctx, x, carry, { dependencies: ctx.r.catalog?.dependencies !== undefined, sequence, dflt }) : `Not copied to ${q(x.neu)}: ${ctx.r.default === undefined ? `the DEFAULT of ${q(x.old)} (give it with --default: the contract sets it), ` : ''}its indexes, UNIQUE and foreign key constraints. Re-create each on ${q(x.neu)} (indexes CONCURRENTLY, constraints NOT VALID then VALIDATE) before the contract drops ${q(x.old)} with them.`}`,
      up: expandUp,
      down: expandDown,
    },
    backfill: {
      header: backfillHeader(ctx, `copies ${q(x.old)} into ${q(x.neu)} for the existing rows`),
      up: backfillUp,
      down: backfillDown,
    },
    contract: {
      header: contractHeader(
        `Removes ${q(x.old)} and the trigger${x.swap ? `, and gives ${q(x.neu)} the name ${q(x.old)}${renamed ? " (and the indexes and constraints carried over to it their old names)" : ''}` : ''}${notNull ? `, and makes ${q(x.neu)} NOT NULL` : ''}: ${x.what}.`,
        `Ship it only after every running version of the application uses ${q(finalName)} ${x.swap ? `as ${x.newType}` : `instead of ${q(x.old)}`}, and after the backfill's verification passed (zdm verify).`,
        `dropping ${q(x.old)} deletes its values. This migration's down re-creates it empty; rolling back the backfill then copies the values back from ${q(x.neu)}, which holds them only until it is changed further.`,
      ),
      up: contractUp,
      down: contractDown,
    },
  };
}

/** The expand header's account of the old column's indexes and constraints, read from the dev database. */
function carriedHeader(ctx: Ctx, x: Replacement, carry: Carried, more: { dependencies: boolean; sequence?: { name: string; default?: string }; dflt?: string }): string {
  const lines: string[] = [];
  lines.push(
    carry.carried.length > 0
      ? `Carried over to ${q(x.neu)} (from the dev database's catalog): ${carry.carried.join('; ')}.`
      : `No index or constraint involves ${q(x.old)} (per the dev database's catalog).`,
  );
  if (carry.builds.length > 0) lines.push(`The index builds are migrations of their own, between the backfill and the contract, outside a transaction; their downs drop the new indexes and rebuild ${q(x.old)}'s (a no-op unless the contract was rolled back).`);
  if (x.swap || ctx.r.kind === 'change-type') lines.push(`Definitions are carried as written: an operator class, collation or expression that does not fit ${x.newType} fails its migration (an index build then leaves an INVALID index to drop).`);
  // With the dependencies read, the views and the rest that depend on the column are named in the warnings (trio-deps.ts).
  const not = [...carry.notCarried, ...(more.dependencies ? [] : [`views that read ${q(x.old)} (the contract's DROP COLUMN fails while one does: re-create them on ${q(x.neu)} first)`])];
  if (not.length > 0) lines.push(`Not carried over, re-create by hand if needed: ${not.join('; ')}.`);
  if (more.sequence) lines.push(`The sequence ${more.sequence.name}, owned by ${q(x.old)}, is handed to ${q(x.neu)} by the contract before it drops ${q(x.old)} (and back by its down)${more.sequence.default !== undefined && ctx.r.default === undefined ? `, with the default ${more.sequence.default}` : ''}.`);
  if (more.dflt === undefined) lines.push(`Not copied: the DEFAULT of ${q(x.old)} (give it with --default: the contract sets it).`);
  return lines.join('\n');
}

/** add-not-null-column and set-not-null: fill NULLs (a default plus a trigger for writes), backfill, then NOT NULL through a check. */
function fillThenNotNull(ctx: Ctx, options: { added: boolean }): TrioParts {
  const { table } = ctx;
  const column = ctx.r.column!;
  const c = q(column);
  const value = ctx.r.backfill ?? ctx.r.default!;
  const fn = inSchemaOf(ctx.r.table, generatedName('zdm_fill', ctx.r.table.name, column));
  const trigger = generatedName('zdm_fill', column);
  const fillFunction = triggerFunction(
    fn,
    `Fills ${c} on every write that leaves it NULL (the application version still running does not know it yet).`,
    `  IF NEW.${c} IS NULL THEN\n    ${assignFromRow(ctx, column, value)}\n  END IF;\n  RETURN NEW;`,
  );
  const fillTrigger = createTrigger(ctx, trigger, 'BEFORE INSERT OR UPDATE', table, fn);
  const reason = 'contract step: every deployed version writes the column now';

  const expandUp = [
    lockTimeout(ctx),
    statementTimeout(ctx),
    `-- The check makes ${c} NOT NULL for every row written from now on (the trigger fills it); the contract validates it.\n`,
    alter(ctx, [options.added && `ADD COLUMN ${c} ${ctx.r.type}`, ctx.r.default !== undefined && `ALTER COLUMN ${c} SET DEFAULT ${ctx.r.default}`, notNullCheck(ctx, column)]),
    '\n' + fillFunction,
    '\n' + fillTrigger,
  ].join('');
  const expandDown = [
    lockTimeout(ctx),
    statementTimeout(ctx),
    dropTrigger(trigger, table),
    `DROP FUNCTION ${fn}();\n`,
    alter(ctx, [
      `DROP CONSTRAINT ${q(notNullCheckName(ctx, column))}`,
      options.added ? `DROP COLUMN ${c}` : ctx.r.default !== undefined && `ALTER COLUMN ${c} DROP DEFAULT`,
    ]),
  ].join('');

  const fill = backfillBlock(
    {
      table: ctx.r.table,
      key: ctx.keyName,
      label: `${ctx.r.table.name}.${column}`,
      pending: `t.${c} IS NULL`,
      batch: `UPDATE ${table} SET ${c} = ${value}\nWHERE ${ctx.key} BETWEEN zdm_from AND zdm_to AND ${c} IS NULL;`,
    },
    ctx.settings,
  );
  const backfillUp = `${fill}\n\n${verifyLines([[`no row has ${c} NULL`, `SELECT count(*) FROM ${table} WHERE ${c} IS NULL`]])}`;
  const backfillDown = options.added
    ? noDown(`The filled values stay until the expand's down drops ${c}.`)
    : noDown(`Which rows were NULL before is not recorded: the filled values stay.`);
  const contractUp = [
    lockTimeout(ctx),
    notNullFromCheck(ctx, column),
    ctx.ignore('ban-drop-trigger', reason),
    dropTrigger(trigger, table),
    ctx.ignore('ban-drop-function', reason),
    `DROP FUNCTION ${fn}();\n`,
  ].join('');
  const contractDown = [lockTimeout(ctx), statementTimeout(ctx), alter(ctx, checkFromNotNull(ctx, column)), '\n' + fillFunction, '\n' + fillTrigger].join('');
  const instant =
    options.added && ctx.r.backfill === undefined
      ? `\nNote: with a constant default and no per-row value, PostgreSQL 11+ can add the column as NOT NULL DEFAULT ... in one migration without a rewrite; this trio is for per-row values (--backfill) and volatile defaults.`
      : '';
  return {
    slug: options.added ? `add_${ctx.r.table.name}_${column}` : `set_${ctx.r.table.name}_${column}_not_null`,
    expand: {
      header: `${options.added ? `Adds ${c} (${ctx.r.type}, nullable)` : `Prepares ${c} for NOT NULL`}${ctx.r.default !== undefined ? ` with the default ${ctx.r.default}` : ''}, a trigger that fills it on every write that leaves it NULL, and a NOT VALID check (new writes only).${instant}`,
      up: expandUp,
      down: expandDown,
    },
    backfill: {
      header: backfillHeader(ctx, `sets ${c} = ${value} where it is NULL`),
      up: backfillUp,
      down: backfillDown,
    },
    contract: {
      header: contractHeader(
        `Validates the check and makes ${c} NOT NULL (no table rewrite), then removes the fill trigger.`,
        `Ship it after every running version of the application writes ${c} itself, and after the backfill's verification passed (zdm verify).`,
        `none for the data: this migration removes no values. Once it runs, writers that leave ${c} NULL fail; its down relaxes the constraint again.`,
      ),
      up: contractUp,
      down: contractDown,
    },
  };
}

function renameTable(ctx: Ctx): TrioParts {
  const oldT = ctx.r.table;
  const newT: TableName = { schema: oldT.schema, name: ctx.r.to! };
  const oldSql = tableSql(oldT);
  const newSql = tableSql(newT);
  // The view answers for the table to the application version still running: with the same
  // privileges, and with the table's row-level security policies checked as the caller, which a view
  // does only from PostgreSQL 15 on (security_invoker); before, it checks them as its owner, who
  // bypasses them, so a table with row security is refused rather than exposed.
  const invoker = ctx.pgVersion >= 15;
  const guard = invoker
    ? ''
    : refuseRowSecurity(
        newT,
        `a view in place of ${oldSql} would bypass its policies, as its owner does, before PostgreSQL 15. On PostgreSQL 15 or later, set "pgVersion" to 15 or more in .zdm.json and make the trio again (the view then checks them as the caller).`,
      );
  const view = `${guard}CREATE VIEW ${oldSql}${invoker ? ' WITH (security_invoker = true)' : ''} AS SELECT * FROM ${newSql};\n${copyGrants(newT, oldT)}`;
  return {
    slug: `rename_${oldT.name}_to_${newT.name}`,
    expand: {
      header: `Renames the table and puts a view with the old name in its place (a simple view is updatable: reads and writes of the running version go through it to ${newSql}), with the table's privileges${invoker ? ', checking row-level security as the caller' : ''}.\nWhat a view does not take: COPY ... FROM, TRUNCATE and ALTER TABLE on ${oldSql} fail from now on (the running version and its jobs must use ${newSql} for those).`,
      up: `${lockTimeout(ctx)}${statementTimeout(ctx)}ALTER TABLE ${oldSql} RENAME TO ${q(newT.name)};\n-- Keeps the old name working for the application version still running.\n${view}`,
      down: `${lockTimeout(ctx)}${statementTimeout(ctx)}DROP VIEW ${oldSql};\n${ctx.ignore('wide-lock-window', 'the view and the table change together, so the old name is never missing')}ALTER TABLE ${newSql} RENAME TO ${q(oldT.name)};\n`,
    },
    backfill: {
      header: `Nothing to copy: the view reads and writes ${newSql} itself. This step only checks that the old name still reaches the renamed table, before the contract removes it.`,
      up: `-- Nothing to copy.\n${verifyLines([
        [`the compatibility view shows every row of ${newSql}`, `SELECT (SELECT count(*) FROM ${oldSql}) - (SELECT count(*) FROM ${newSql})`],
      ])}`,
      down: noDown('Nothing was copied.'),
    },
    contract: {
      header: contractHeader(
        `Drops the compatibility view ${oldSql}.`,
        `Ship it after every running version of the application (and every report, job and tool) uses ${newSql}.`,
        `none for the data (the view holds none). Once it runs, queries naming ${oldSql} fail; its down re-creates the view.`,
      ),
      up: `${lockTimeout(ctx)}${statementTimeout(ctx)}${ctx.ignore('ban-drop-view', `contract step: every deployed version uses ${newSql} now`)}DROP VIEW ${oldSql};\n`,
      down: `${lockTimeout(ctx)}${statementTimeout(ctx)}${view}`,
    },
  };
}

function splitTable(ctx: Ctx): TrioParts {
  const { table, key } = ctx;
  const src = ctx.r.table;
  const dst: TableName = { schema: src.schema, name: ctx.r.to! };
  const dstSql = tableSql(dst);
  const cols = ctx.r.columns!;
  const names = cols.map((c) => q(c.name));
  const list = names.join(', ');
  const row = (prefix: string) => `ROW(${names.map((n) => `${prefix}${n}`).join(', ')})`;
  const toDst = inSchemaOf(src, generatedName('zdm_sync', src.name, 'to', dst.name));
  const toSrc = inSchemaOf(src, generatedName('zdm_sync', dst.name, 'to', src.name));
  const trigSrc = generatedName('zdm_sync_to', dst.name);
  const trigDst = generatedName('zdm_sync_to', src.name);
  const pk = generatedName(dst.name, 'pkey');
  const fk = generatedName(dst.name, ctx.keyName, 'fkey');
  const functions = [
    triggerFunction(
      toDst,
      `Copies writes of ${list} on ${table} to ${dstSql} (the application version still running writes ${table}).`,
      `  IF pg_trigger_depth() > 1 THEN\n    RETURN NULL;  -- a write made by the other sync trigger\n  END IF;\n  INSERT INTO ${dstSql} (${key}, ${list}) VALUES (NEW.${key}, ${names.map((n) => `NEW.${n}`).join(', ')})\n  ON CONFLICT (${key}) DO UPDATE SET ${names.map((n) => `${n} = EXCLUDED.${n}`).join(', ')};\n  RETURN NULL;`,
      // As its owner: it copies a write already allowed on the table, and a role allowed to write the
      // moved columns through column privileges alone (UPDATE (bio)) may not insert into the new table.
      { definer: true },
    ),
    createTrigger(ctx, trigSrc, `AFTER INSERT OR UPDATE OF ${list}`, table, toDst),
    triggerFunction(
      toSrc,
      `Copies writes of ${dstSql} back to ${table} (the new application version writes ${dstSql}).`,
      `  IF pg_trigger_depth() > 1 THEN\n    RETURN NULL;\n  END IF;\n  UPDATE ${table} SET ${names.map((n) => `${n} = NEW.${n}`).join(', ')}\n  WHERE ${key} = NEW.${key} AND ${row('')} IS DISTINCT FROM ${row('NEW.')};\n  RETURN NULL;`,
      // As the writer: a write of the new table changes the old one only where the writer may update it
      // (as its owner, a role allowed to insert into the new table alone could overwrite the old one's rows).
    ),
    createTrigger(ctx, trigDst, 'AFTER INSERT OR UPDATE', dstSql, toSrc),
  ].join('\n');
  const reason = `contract step: every deployed version uses ${dstSql} now`;

  const expandUp = [
    lockTimeout(ctx),
    statementTimeout(ctx),
    refuseRowSecurity(
      src,
      `${dstSql} would show the moved columns of every row to each role allowed to read it, with none of its policies. Enable row security on ${dstSql} with policies of its own in this migration, after CREATE TABLE, then remove this check.`,
    ),
    `-- The new table, with the moved columns' types, one row per row of ${table} (same key).\n`,
    `CREATE TABLE ${dstSql} AS SELECT ${key}, ${list} FROM ${table} WITH NO DATA;\n`,
    `ALTER TABLE ${dstSql} ADD CONSTRAINT ${q(pk)} PRIMARY KEY (${key}), ADD CONSTRAINT ${q(fk)} FOREIGN KEY (${key}) REFERENCES ${table} (${key}) ON DELETE CASCADE;\n`,
    copyGrants(src, dst),
    '\n' + functions,
  ].join('');
  const expandDown = [
    lockTimeout(ctx),
    statementTimeout(ctx),
    dropTrigger(trigSrc, table),
    ctx.ignore('wide-lock-window', `${dstSql} is the table this migration's up created`),
    dropTrigger(trigDst, dstSql),
    `DROP FUNCTION ${toDst}();\n`,
    `DROP FUNCTION ${toSrc}();\n`,
    `DROP TABLE ${dstSql};\n`,
  ].join('');
  const copy = backfillBlock(
    {
      table: src,
      key: ctx.keyName,
      label: `${dst.name}`,
      pending: `NOT EXISTS (SELECT FROM ${dstSql} AS d WHERE d.${key} = t.${key})`,
      batch: `INSERT INTO ${dstSql} (${key}, ${list})\nSELECT ${key}, ${list} FROM ${table} WHERE ${key} BETWEEN zdm_from AND zdm_to\nON CONFLICT (${key}) DO NOTHING;`,
    },
    ctx.settings,
  );
  const copyBack = backfillBlock(
    {
      table: src,
      key: ctx.keyName,
      label: `${src.name} from ${dst.name}`,
      pending: `EXISTS (SELECT FROM ${dstSql} AS d WHERE d.${key} = t.${key} AND ${row('d.')} IS DISTINCT FROM ${row('t.')})`,
      batch: `UPDATE ${table} AS t SET ${names.map((n) => `${n} = d.${n}`).join(', ')}\nFROM ${dstSql} AS d\nWHERE d.${key} = t.${key} AND t.${key} BETWEEN zdm_from AND zdm_to AND ${row('d.')} IS DISTINCT FROM ${row('t.')};`,
    },
    ctx.settings,
  );
  const backfillUp = `${copy}\n\n${verifyLines([
    [`every row of ${table} has its row in ${dstSql}`, `SELECT count(*) FROM ${table} AS t WHERE NOT EXISTS (SELECT FROM ${dstSql} AS d WHERE d.${key} = t.${key})`],
    [`with the same values`, `SELECT count(*) FROM ${table} AS t JOIN ${dstSql} AS d ON d.${key} = t.${key} WHERE ${row('t.')} IS DISTINCT FROM ${row('d.')}`],
  ])}`;
  const contractUp = [
    lockTimeout(ctx),
    statementTimeout(ctx),
    ctx.ignore('ban-drop-trigger', reason),
    dropTrigger(trigSrc, table),
    ctx.ignore('ban-drop-trigger', reason),
    ctx.ignore('wide-lock-window', `the sync triggers of ${table} and ${dstSql} are removed together`),
    dropTrigger(trigDst, dstSql),
    ctx.ignore('ban-drop-function', reason),
    `DROP FUNCTION ${toDst}();\n`,
    ctx.ignore('ban-drop-function', reason),
    `DROP FUNCTION ${toSrc}();\n`,
    ctx.ignore('ban-drop-column', reason),
    `ALTER TABLE ${table} ${names.map((n) => `DROP COLUMN ${n}`).join(', ')};\n`,
  ].join('');
  // The moved columns come back with the column privileges their copies in the new table have (the expand's, from them).
  const contractDown = [lockTimeout(ctx), statementTimeout(ctx), alter(ctx, cols.map((c) => `ADD COLUMN ${q(c.name)} ${c.type}`)), copyGrants(dst, src, { columnsOnly: true }), '\n' + functions].join('');
  return {
    slug: `split_${src.name}_into_${dst.name}`,
    expand: {
      header: `Creates ${dstSql} for ${list} of ${table}, and triggers that copy writes both ways while both application versions run.`,
      up: expandUp,
      down: expandDown,
    },
    backfill: {
      header: backfillHeader(ctx, `copies ${list} of the existing rows into ${dstSql}`),
      up: backfillUp,
      down: `-- Copies ${dstSql} back into ${table}: a no-op unless the contract was rolled back.\n${copyBack}\n`,
    },
    contract: {
      header: contractHeader(
        `Removes the sync triggers and drops ${list} from ${table}.`,
        `Ship it only after every running version of the application reads and writes ${list} in ${dstSql}, and after the backfill's verification passed (zdm verify).`,
        `the columns' values in ${table} are deleted; they live on in ${dstSql}. This migration's down re-creates the columns empty; rolling back the backfill then copies the values back.`,
      ),
      up: contractUp,
      down: contractDown,
    },
  };
}

function dropColumn(ctx: Ctx): TrioParts {
  const { table, key } = ctx;
  const column = ctx.r.column!;
  const c = q(column);
  const notNull = ctx.r.notNull === true;
  const archive: TableName = { schema: ctx.r.table.schema, name: generatedName(ctx.r.table.name, column, 'archive') };
  const archiveSql = tableSql(archive);
  const fn = inSchemaOf(ctx.r.table, generatedName('zdm_archive', ctx.r.table.name, column));
  const trigger = generatedName('zdm_archive', column);
  const archiveFunction = triggerFunction(
    fn,
    `Keeps ${archiveSql} up to date with every write of ${c} until the column is dropped.`,
    `  INSERT INTO ${archiveSql} (${key}, ${c}) VALUES (NEW.${key}, NEW.${c})\n  ON CONFLICT (${key}) DO UPDATE SET ${c} = EXCLUDED.${c};\n  RETURN NULL;`,
    // The application writes the table, not the archive: no role but the owner may read it (it holds
    // every row's value, whatever the table's policies or column privileges let a role see).
    { definer: true },
  );
  const archiveTrigger = createTrigger(ctx, trigger, `AFTER INSERT OR UPDATE OF ${c}`, table, fn);
  const reason = `contract step: no deployed version uses ${c} any more`;
  const fallback = ctx.r.default;
  // The column's indexes and constraints, which the contract's DROP COLUMN drops, for the way back (with the dev database's catalog).
  const back = ctx.r.catalog ? restoreOnWayBack(ctx.r.table, column, ctx.r.catalog) : undefined;
  // What else depends on the column (trio-deps.ts): refused or warned about.
  const deps = ctx.r.catalog ? checkDependencies(ctx.r.table, column, 'drop', ctx.r.catalog.dependencies) : undefined;
  const expandUp = [
    lockTimeout(ctx),
    statementTimeout(ctx),
    `-- Where ${c}'s values are kept, so that the drop can be rolled back.\n`,
    `CREATE TABLE ${archiveSql} AS SELECT ${key}, ${c} FROM ${table} WITH NO DATA;\n`,
    `ALTER TABLE ${archiveSql} ADD CONSTRAINT ${q(generatedName(archive.name, 'pkey'))} PRIMARY KEY (${key}), ADD CONSTRAINT ${q(generatedName(archive.name, ctx.keyName, 'fkey'))} FOREIGN KEY (${key}) REFERENCES ${table} (${key}) ON DELETE CASCADE;\n`,
    fallback !== undefined ? `-- What inserts that leave ${c} out store while it still exists (the next application version no longer writes it).\n${alter(ctx, [`ALTER COLUMN ${c} SET DEFAULT ${fallback}`])}` : '',
    '\n' + archiveFunction,
    '\n' + archiveTrigger,
  ].join('');
  const expandDown = [
    lockTimeout(ctx),
    back?.expandDownFirst
      ? `-- ${c}'s constraints as they were: UNIQUE attached to the rebuilt indexes, foreign keys and CHECKs validated (no-ops unless the contract was rolled back).\n${back.expandDownFirst}`
      : '',
    statementTimeout(ctx),
    dropTrigger(trigger, table),
    `DROP FUNCTION ${fn}();\n`,
    ctx.ignore('wide-lock-window', `${archiveSql} is the table this migration's up created`),
    `DROP TABLE ${archiveSql};\n`,
    fallback !== undefined ? alter(ctx, [`ALTER COLUMN ${c} DROP DEFAULT`]) : '',
  ].join('');
  const copy = backfillBlock(
    {
      table: ctx.r.table,
      key: ctx.keyName,
      label: archive.name,
      pending: `NOT EXISTS (SELECT FROM ${archiveSql} AS a WHERE a.${key} = t.${key})`,
      batch: `INSERT INTO ${archiveSql} (${key}, ${c})\nSELECT ${key}, ${c} FROM ${table} WHERE ${key} BETWEEN zdm_from AND zdm_to\nON CONFLICT (${key}) DO NOTHING;`,
    },
    ctx.settings,
  );
  const copyBack = backfillBlock(
    {
      table: ctx.r.table,
      key: ctx.keyName,
      label: `${ctx.r.table.name}.${column} from ${archive.name}`,
      pending: `EXISTS (SELECT FROM ${archiveSql} AS a WHERE a.${key} = t.${key} AND a.${c} IS DISTINCT FROM t.${c})`,
      batch: `UPDATE ${table} AS t SET ${c} = a.${c}\nFROM ${archiveSql} AS a\nWHERE a.${key} = t.${key} AND t.${key} BETWEEN zdm_from AND zdm_to AND a.${c} IS DISTINCT FROM t.${c};`,
    },
    ctx.settings,
  );
  const backfillUp = `${copy}\n\n${verifyLines([
    [`every row of ${table} is archived`, `SELECT count(*) FROM ${table} AS t WHERE NOT EXISTS (SELECT FROM ${archiveSql} AS a WHERE a.${key} = t.${key})`],
    [`with its current value`, `SELECT count(*) FROM ${table} AS t JOIN ${archiveSql} AS a ON a.${key} = t.${key} WHERE t.${c} IS DISTINCT FROM a.${c}`],
  ])}`;
  const wayBack = back
    ? [
        back.restored.length > 0 ? `The way back restores ${c}'s indexes and constraints (from the dev database's catalog): ${back.restored.join('; ')}.` : `No index or constraint involves ${c} (per the dev database's catalog).`,
        back.notRestored.length > 0 ? `Not restored by the way back, re-create by hand if needed: ${back.notRestored.join('; ')}.` : '',
      ]
    : [`The way back does not restore ${c}'s indexes and constraints, which the contract drops with it (no dev database to read them from): re-create them by hand after a rollback.`];
  return {
    slug: `drop_${ctx.r.table.name}_${column}`,
    warnings: deps?.warnings,
    restores: back?.restores,
    expand: {
      header: [
        `Creates ${archiveSql}, which keeps ${c}'s values (kept current by a trigger) so that dropping the column can be undone${fallback !== undefined ? `, and gives ${c} the default ${fallback} so the next application version can stop writing it` : ''}.\nThen deploy the application version that no longer reads or writes ${c} (tell the ORM to ignore it).`,
        ...wayBack,
      ]
        .filter((line) => line !== '')
        .join('\n'),
      up: expandUp,
      down: expandDown,
    },
    backfill: {
      header: backfillHeader(ctx, `archives ${c} of the existing rows into ${archiveSql}`),
      up: backfillUp,
      down: `-- Copies the archived values back into ${c}: a no-op unless the contract was rolled back.\n${copyBack}\n`,
    },
    contract: {
      header: contractHeader(
        `Drops ${c} (and the trigger that archives it).`,
        `Ship it only after no running version of the application reads or writes ${c}, and after the backfill's verification passed (zdm verify).`,
        `${c} is deleted from ${table}; its values survive in ${archiveSql}, which this migration's down and the backfill's down use to restore them. This migration records ${c}'s column privileges (GRANT SELECT (${c}) ...) in a comment on the archive's column, and its down grants them again (a role dropped since is skipped, with a warning). Dropping ${archiveSql} later (in a migration of its own, once you are sure) is the real point of no return.`,
      ),
      up: [
        lockTimeout(ctx),
        statementTimeout(ctx),
        ctx.ignore('ban-drop-trigger', reason),
        dropTrigger(trigger, table),
        ctx.ignore('ban-drop-function', reason),
        `DROP FUNCTION ${fn}();\n`,
        // Before the ignore comment, which applies to the statement right after it.
        recordColumnGrants(ctx.r.table, column, archive),
        ctx.ignore('ban-drop-column', reason),
        `ALTER TABLE ${table} DROP COLUMN ${c};\n`,
      ].join(''),
      down: [
        lockTimeout(ctx),
        statementTimeout(ctx),
        notNull ? `-- Back with its default in every row (no rewrite for a constant default); the backfill's down restores the archived values.\n` : '',
        back && back.contractDownActions.length > 0 ? `-- ${c}'s foreign keys and CHECKs, NOT VALID: the expand's down validates them once the backfill's down has put the values back.\n` : '',
        alter(ctx, [`ADD COLUMN ${c} ${ctx.r.type}${notNull ? ' NOT NULL' : ''}${fallback !== undefined ? ` DEFAULT ${fallback}` : ''}`, ...(back?.contractDownActions ?? [])]),
        restoreColumnGrants(ctx.r.table, column, archive),
        '\n' + archiveFunction,
        '\n' + archiveTrigger,
      ].join(''),
    },
  };
}

