// What a column replacement (rename-column, change-type) carries over from the old column to the new
// one, when the dev database's catalog is known: every index and constraint that involves the old
// column, re-created on the new column in the safe form and the right step.
//
//   index (plain, partial, expression, multi-column)
//             built CONCURRENTLY after the backfill, in migrations of their own that run outside a
//             transaction; their down rebuilds the old column's index (CONCURRENTLY, IF NOT EXISTS: a
//             no-op unless the contract was rolled back);
//   UNIQUE    the same, as a unique index, which the contract attaches as the constraint (ADD
//             CONSTRAINT ... UNIQUE USING INDEX) once the old constraint is gone; the contract's down
//             keeps it (a transaction cannot build the index again), so the contract can be re-applied;
//   FOREIGN KEY, CHECK
//             added NOT VALID by the expand (checked for new writes), validated by the contract
//             before it drops the old column.
//
// Definitions come from PostgreSQL's own deparsers (pg_get_indexdef, pg_get_constraintdef) and are
// rewritten on their parse tree: the column is replaced where the tree refers to it (a ColumnRef, an
// index element, a key list), at the token the tree points to, never by searching the text.
//
// Not carried (said in the expand's header): a primary key or an exclusion constraint on the column, a
// foreign key of this table that references the column itself, foreign keys of other tables that
// reference it, indexes of a partitioned table (CONCURRENTLY cannot build them), invalid indexes.

import { walk } from '../sql/ast';
import { lex, type Token } from '../sql/lexer';
import { parseStatement, parserReady } from '../sql/parser';
import { utf16FromUtf8 } from '../text/offsets';
import { ScaffoldError } from './naming';
import type { TableDependencies } from './trio-deps';
import { generatedName, inSchemaOf, quoteIdent as q, splitName, tableLiteral, tableSql, type TableName } from './sql-names';
import { sqlLiteral } from '../sql/quote';

/** The table's indexes and constraints as the dev database defines them (the scaffold's catalog read). */
export interface TrioCatalog {
  /** Every index of the table: its name and `pg_get_indexdef` text. */
  indexes: { name: string; definition: string; valid?: boolean }[];
  /** Every constraint of the table but NOT NULL: its name and `pg_get_constraintdef` text (without NOT VALID). */
  constraints: { name: string; definition: string; valid?: boolean }[];
  /** Foreign keys of other tables that reference this one: `schema.table`, the constraint's name and definition. */
  referencedBy?: { table: string; name: string; definition: string }[];
  /**
   * Every relation name of the table's schema (pg_class: tables, indexes, sequences, views...). An
   * index's name must be unique among them, and a UNIQUE constraint makes an index of its name: new
   * names avoid these as well as the table's own indexes and constraints.
   */
  relations?: readonly string[];
  /** What else depends on the table's columns, its partitioning and inheritance (trio-deps.ts checks them); absent when not read. */
  dependencies?: TableDependencies;
}

/** One index built on the new column, and the old column's index its way back rebuilds. */
export interface IndexBuild {
  /** The new index's name (a UNIQUE constraint's: the contract gives the constraint the same name). */
  name: string;
  /** CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS on the new column. */
  up: string;
  /** DROP INDEX CONCURRENTLY IF EXISTS of the new index (a UNIQUE constraint's: its constraint dropped first, if the contract's down kept it). */
  drop: string;
  /**
   * The same as one statement, for a migration sent as one query string: DROP INDEX CONCURRENTLY IF
   * EXISTS; for a UNIQUE constraint's index, which the constraint's DROP must take along when the
   * contract's down kept it, a DO block dropping the constraint if it exists, else the index (not
   * CONCURRENTLY: a function cannot; a catalog change under ACCESS EXCLUSIVE, bounded by lock_timeout).
   */
  dropOne: string;
  /** A DO block that fails unless the new index exists and is valid (a failed build leaves an INVALID one, which IF NOT EXISTS keeps). */
  check: string;
  /** CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS of the old column's index, with its own name. */
  restore: string;
}

export interface Carried {
  /** ALTER TABLE actions of the expand's up: the new column's foreign keys and CHECKs, NOT VALID. */
  expandActions: string[];
  /** Statements the expand's down runs first: the old column's UNIQUE constraints attached again, its foreign keys and CHECKs validated. */
  expandDownFirst: string;
  builds: IndexBuild[];
  /** The contract's up, before the old column goes: VALIDATE of the new foreign keys and CHECKs. */
  contractValidate: string;
  /** The contract's up, after the old column went: the new UNIQUE constraints from their indexes (unless they exist: the contract was rolled back, which keeps them). */
  contractAttach: string;
  /** ALTER TABLE actions of the contract's down, after the old column is back: its foreign keys and CHECKs, NOT VALID. */
  contractDownActions: string[];
  /**
   * Each carried index and constraint: its new name and the old one's, for a contract that gives the
   * new column the old column's name (change-type without --to) and then the old names back too.
   * `index`: renamed with ALTER INDEX; else a constraint (a UNIQUE's index is renamed with it).
   */
  renames: { index: boolean; from: string; to: string }[];
  /** What is carried, for the header ("index users_email_idx as users_contact_idx"). */
  carried: string[];
  /** What is not, with the reason, for the header. */
  notCarried: string[];
}

interface Replacement {
  start: number;
  end: number;
  text: string;
}

/**
 * The indexes and constraints of `table` that involve `old`, re-created on `neu`. Throws a
 * ScaffoldError for a definition it cannot read (naming the index or constraint). `lockTimeout`
 * bounds the one-statement drop of a UNIQUE constraint's index (IndexBuild.dropOne); `reserved` are
 * names the trio itself gives (the new column's NOT NULL check), which new names avoid too.
 */
export function carryOver(table: TableName, old: string, neu: string, catalog: TrioCatalog, options: { lockTimeout?: string; reserved?: readonly string[] } = {}): Carried {
  const lockTimeout = options.lockTimeout ?? '5s';
  if (!parserReady()) throw new ScaffoldError('The SQL parser is not loaded: call initParser() before planning a trio from the catalog.');
  const t = tableSql(table);
  const out: Carried = { expandActions: [], expandDownFirst: '', builds: [], contractValidate: '', contractAttach: '', contractDownActions: [], renames: [], carried: [], notCarried: [] };
  const taken = new Set<string>([...(catalog.relations ?? []), ...catalog.indexes.map((i) => i.name), ...catalog.constraints.map((c) => c.name), ...(options.reserved ?? [])]);
  const indexByName = new Map(catalog.indexes.map((i) => [i.name, i]));
  const constraintIndexes = new Set<string>();
  const validate = (name: string) => `ALTER TABLE ${t} VALIDATE CONSTRAINT ${q(name)};\n`;
  const expandDown: string[] = [];

  for (const c of catalog.constraints) {
    const step = constraintStep(table, c, old, constraintIndexes, NOT_CARRIED);
    if (!step) continue;
    const { what } = step;
    if ('refused' in step) {
      out.notCarried.push(`${what} (${step.refused})`);
      continue;
    }
    const { read } = step;
    if (read.kind === 'UNIQUE') {
      const index = indexByName.get(c.name);
      if (!index) {
        out.notCarried.push(`${what} (its index was not found in the catalog)`);
        continue;
      }
      const name = newName(c.name, old, neu, taken);
      const build = indexBuild(table, index.name, index.definition, old, neu, name);
      if (typeof build === 'string') {
        out.notCarried.push(`${what} (${build})`);
        continue;
      }
      // The constraint outlives the contract's down (a transaction cannot build its index again), so
      // the contract can be applied again; the index migration's down, or the expand's, removes it.
      out.builds.push({ ...build, drop: `ALTER TABLE ${t} DROP CONSTRAINT IF EXISTS ${q(name)};\n${build.drop}`, dropOne: dropUnique(table, name, lockTimeout) });
      out.contractAttach += attachUnique(table, name, read.deferrable);
      expandDown.push(`-- ${q(c.name)} again, from the index the way back rebuilt (it is still there when the contract never ran).\n${attachUnique(table, c.name, read.deferrable)}`);
      out.renames.push({ index: false, from: name, to: c.name });
      out.carried.push(`${what} as ${q(name)} (a unique index built CONCURRENTLY after the backfill, made the constraint by the contract)`);
      continue;
    }
    // FOREIGN KEY, CHECK: NOT VALID now, validated by the contract (unless it was NOT VALID already).
    const name = newName(c.name, old, neu, taken);
    const definition = read.substituted(old, neu);
    if (typeof definition !== 'string') {
      out.notCarried.push(`${what} (${definition.problem})`);
      continue;
    }
    const valid = c.valid !== false;
    out.expandActions.push(`ADD CONSTRAINT ${q(name)} ${definition} NOT VALID`);
    if (valid) out.contractValidate += validate(name);
    out.contractDownActions.push(`ADD CONSTRAINT ${q(c.name)} ${c.definition} NOT VALID`);
    if (valid) expandDown.push(validate(c.name));
    out.renames.push({ index: false, from: name, to: c.name });
    out.carried.push(`${what} as ${q(name)} (${valid ? 'NOT VALID here, validated by the contract' : 'NOT VALID, as the original'})`);
  }

  for (const index of catalog.indexes) {
    if (constraintIndexes.has(index.name)) continue;
    const what = `index ${q(index.name)}`;
    const involves = indexInvolves(index.name, index.definition, old);
    if (!involves) continue;
    if (index.valid === false) {
      out.notCarried.push(`${what} (it is INVALID: a build that failed; drop it or rebuild it first)`);
      continue;
    }
    const name = newName(index.name, old, neu, taken);
    const build = indexBuild(table, index.name, index.definition, old, neu, name);
    if (typeof build === 'string') {
      out.notCarried.push(`${what} (${build})`);
      continue;
    }
    out.builds.push(build);
    out.renames.push({ index: true, from: name, to: index.name });
    out.carried.push(`${what} as ${q(name)} (built CONCURRENTLY after the backfill)`);
  }

  for (const fk of catalog.referencedBy ?? []) {
    const read = readConstraint(fk.name, fk.definition);
    if (read.references(table, old)) {
      out.notCarried.push(`foreign key ${q(fk.name)} of ${fk.table} (it references ${q(old)}: point it at the new column first, or the contract's DROP COLUMN fails)`);
    }
  }
  out.expandDownFirst = expandDown.join('');
  return out;
}

/**
 * The statements renaming the carried indexes and constraints from their new names to the old ones
 * (`back`: the other way). Catalog changes: ALTER INDEX ... RENAME takes SHARE UPDATE EXCLUSIVE on the
 * index (PostgreSQL 12+; ACCESS EXCLUSIVE before), RENAME CONSTRAINT ACCESS EXCLUSIVE on the table,
 * which the contract holds already from its DROP COLUMN.
 */
export function renameStatements(table: TableName, carried: Carried, back = false): string {
  return carried.renames
    .map(({ index, from, to }) => {
      const [a, b] = back ? [to, from] : [from, to];
      return index ? `ALTER INDEX ${inSchemaOf(table, a)} RENAME TO ${q(b)};\n` : `ALTER TABLE ${tableSql(table)} RENAME CONSTRAINT ${q(a)} TO ${q(b)};\n`;
    })
    .join('');
}

/** What the way back of a column drop (drop-column) restores of the column's indexes and constraints. */
export interface Restored {
  /** ALTER TABLE actions of the contract's down, after the column is back: its foreign keys and CHECKs, NOT VALID. */
  contractDownActions: string[];
  /** CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS of each of its indexes (a UNIQUE constraint's too), with their own names. */
  restores: { name: string; sql: string }[];
  /** Statements the expand's down runs first: the UNIQUE constraints attached to their rebuilt indexes, the foreign keys and CHECKs validated. */
  expandDownFirst: string;
  /** What the way back restores, and what not (with the reason), for the header. */
  restored: string[];
  notRestored: string[];
}

/**
 * The indexes and constraints of `table` that involve `column`, which the contract's DROP COLUMN drops,
 * as the way back re-creates them: foreign keys and CHECKs NOT VALID with the column (validated by the
 * expand's down once the values are back), indexes and UNIQUE constraints' indexes CONCURRENTLY, the
 * constraints attached to them again by the expand's down.
 */
export function restoreOnWayBack(table: TableName, column: string, catalog: TrioCatalog): Restored {
  if (!parserReady()) throw new ScaffoldError('The SQL parser is not loaded: call initParser() before planning a trio from the catalog.');
  const out: Restored = { contractDownActions: [], restores: [], expandDownFirst: '', restored: [], notRestored: [] };
  const indexByName = new Map(catalog.indexes.map((i) => [i.name, i]));
  const constraintIndexes = new Set<string>();
  const validate: string[] = [];
  const attach: string[] = [];
  const restore = (name: string, definition: string): string | undefined => {
    const read = readIndex(name, definition);
    if (read.partitioned) return 'the table is partitioned: CREATE INDEX CONCURRENTLY cannot build an index on it';
    out.restores.push({ name, sql: `${applyReplacements(definition, [{ start: read.afterIndex, end: read.nameEnd, text: ` CONCURRENTLY IF NOT EXISTS ${q(name)}` }])};\n` });
    return undefined;
  };
  for (const c of catalog.constraints) {
    const step = constraintStep(table, c, column, constraintIndexes, NOT_RESTORED);
    if (!step) continue;
    const { what } = step;
    if ('refused' in step) {
      out.notRestored.push(`${what} (${step.refused})`);
      continue;
    }
    const { read } = step;
    if (read.kind === 'UNIQUE') {
      const index = indexByName.get(c.name);
      const problem = index ? restore(index.name, index.definition) : 'its index was not found in the catalog';
      if (problem) {
        out.notRestored.push(`${what} (${problem})`);
        continue;
      }
      attach.push(attachUnique(table, c.name, read.deferrable));
      out.restored.push(`${what} (its index rebuilt CONCURRENTLY, the constraint attached to it again)`);
      continue;
    }
    const valid = c.valid !== false;
    out.contractDownActions.push(`ADD CONSTRAINT ${q(c.name)} ${c.definition} NOT VALID`);
    if (valid) validate.push(`ALTER TABLE ${tableSql(table)} VALIDATE CONSTRAINT ${q(c.name)};\n`);
    out.restored.push(`${what} (NOT VALID${valid ? ', validated once the values are back' : ', as the original'})`);
  }
  for (const index of catalog.indexes) {
    if (constraintIndexes.has(index.name) || !indexInvolves(index.name, index.definition, column)) continue;
    const what = `index ${q(index.name)}`;
    if (index.valid === false) {
      out.notRestored.push(`${what} (it is INVALID: a build that failed)`);
      continue;
    }
    const problem = restore(index.name, index.definition);
    if (problem) out.notRestored.push(`${what} (${problem})`);
    else out.restored.push(`${what} (rebuilt CONCURRENTLY)`);
  }
  for (const fk of catalog.referencedBy ?? []) {
    if (readConstraint(fk.name, fk.definition).references(table, column)) {
      out.notRestored.push(`foreign key ${q(fk.name)} of ${fk.table} (it references ${q(column)}: drop it or point it elsewhere first, or the contract's DROP COLUMN fails)`);
    }
  }
  out.expandDownFirst = [...attach, ...validate].join('');
  return out;
}

/** Why a trio does not re-create a constraint of a kind it leaves to the contract's DROP COLUMN (carryOver) or does not restore on the way back (restoreOnWayBack). */
type Refusals = Record<Exclude<ReadConstraint['kind'], Recreated>, string>;

const NOT_CARRIED: Refusals = {
  'PRIMARY KEY': "a primary key moves with a table rewrite or a new key, not a trio; the contract's DROP COLUMN drops it",
  EXCLUDE: "an exclusion constraint cannot be built CONCURRENTLY; the contract's DROP COLUMN drops it",
  other: "a trio carries only UNIQUE, FOREIGN KEY and CHECK constraints; the contract's DROP COLUMN drops it",
};

const NOT_RESTORED: Refusals = {
  'PRIMARY KEY': 'a primary key is not rebuilt by a trio',
  EXCLUDE: 'an exclusion constraint cannot be built CONCURRENTLY',
  other: 'a trio restores only UNIQUE, FOREIGN KEY and CHECK constraints',
};

/**
 * The first steps carryOver and restoreOnWayBack take with each constraint of the catalog: read it;
 * note it in `constraintIndexes` when it owns an index (PRIMARY KEY, UNIQUE, EXCLUDE: the index loops
 * leave those to the constraint); undefined when it does not involve `column`; `refused` (with
 * `refusals`' reason for its kind) when a trio does not re-create it, or when it is a foreign key
 * referencing `column` itself; else the constraint, which is a UNIQUE, FOREIGN KEY or CHECK.
 */
function constraintStep(
  table: TableName,
  c: { name: string; definition: string },
  column: string,
  constraintIndexes: Set<string>,
  refusals: Refusals,
): { what: string; refused: string } | { what: string; read: ReadConstraint & { kind: Recreated } } | undefined {
  const read = readConstraint(c.name, c.definition);
  if (read.kind === 'PRIMARY KEY' || read.kind === 'UNIQUE' || read.kind === 'EXCLUDE') constraintIndexes.add(c.name);
  if (!read.involves(column)) return undefined;
  const what = `${read.kind === 'FOREIGN KEY' ? 'foreign key' : read.kind === 'other' ? 'constraint' : read.kind} ${q(c.name)}`;
  if (!isRecreated(read)) return { what, refused: refusals[read.kind as keyof Refusals] };
  if (read.references(table, column)) return { what, refused: `it references ${q(column)} itself` };
  return { what, read };
}

/** DO block: the new UNIQUE constraint dropped (its index with it) when the contract's down kept it, else its index alone. */
function dropUnique(table: TableName, name: string, lockTimeout: string): string {
  return (
    `DO $drop$\nBEGIN\n  PERFORM set_config('lock_timeout', ${sqlLiteral(lockTimeout)}, true);\n` +
    `  IF EXISTS (SELECT FROM pg_constraint WHERE conrelid = to_regclass(${tableLiteral(table)}) AND conname = ${sqlLiteral(name)}) THEN\n` +
    `    ALTER TABLE ${tableSql(table)} DROP CONSTRAINT ${q(name)};\n  ELSE\n    DROP INDEX IF EXISTS ${inSchemaOf(table, name)};\n  END IF;\nEND\n$drop$;\n`
  );
}

function validIndexCheck(table: TableName, name: string): string {
  const index = inSchemaOf(table, name);
  return (
    `DO $check$\nBEGIN\n  IF NOT EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass(${sqlLiteral(index)}) AND indisvalid) THEN\n` +
    `    RAISE EXCEPTION 'index % is missing or INVALID (a build that failed): drop it with DROP INDEX CONCURRENTLY IF EXISTS and run its build again', ${sqlLiteral(index)};\n` +
    `  END IF;\nEND\n$check$;\n`
  );
}

/** ADD CONSTRAINT name UNIQUE USING INDEX name, skipped when the table has the constraint already. */
function attachUnique(table: TableName, name: string, deferrable: string): string {
  return (
    `DO $attach$\nBEGIN\n  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = to_regclass(${tableLiteral(table)}) AND conname = ${sqlLiteral(name)}) THEN\n` +
    `    ALTER TABLE ${tableSql(table)} ADD CONSTRAINT ${q(name)} UNIQUE USING INDEX ${q(name)}${deferrable};\n  END IF;\nEND\n$attach$;\n`
  );
}

// ── Indexes ─────────────────────────────────────────────────────────────────────────────────────────

/** The build of `definition` (an index of `old`) on `neu` under `name`, or why it cannot be built. */
function indexBuild(table: TableName, oldName: string, definition: string, old: string, neu: string, name: string): IndexBuild | string {
  const read = readIndex(oldName, definition);
  if (read.partitioned) return 'the table is partitioned: CREATE INDEX CONCURRENTLY cannot build an index on it';
  const head = (indexName: string) => ({ start: read.afterIndex, end: read.nameEnd, text: ` CONCURRENTLY IF NOT EXISTS ${q(indexName)}` });
  const up = applyReplacements(definition, [head(name), ...read.columnTokens(old).map((tok) => ({ start: tok.start, end: tok.end, text: q(neu) }))]);
  const restore = applyReplacements(definition, [head(oldName)]);
  const drop = `DROP INDEX CONCURRENTLY IF EXISTS ${inSchemaOf(table, name)};\n`;
  return { name, up: `${up};\n`, drop, dropOne: drop, check: validIndexCheck(table, name), restore: `${restore};\n` };
}

function indexInvolves(name: string, definition: string, old: string): boolean {
  return readIndex(name, definition).columnTokens(old).length > 0;
}

interface ReadIndex {
  /** Offsets: just after the INDEX keyword, and the end of the index's name. */
  afterIndex: number;
  nameEnd: number;
  partitioned: boolean;
  /** The tokens that name `column`: key and INCLUDE elements, column references in expressions and the predicate. */
  columnTokens(column: string): Token[];
}

function readIndex(name: string, definition: string): ReadIndex {
  const stmt = parseOne(definition, 'IndexStmt', `index ${name}`);
  const tokens = significant(definition);
  const word = (i: number, w: string) => tokens[i]?.kind === 'word' && definition.slice(tokens[i].start, tokens[i].end).toUpperCase() === w;
  const at = tokens.findIndex((_, i) => word(i, 'INDEX'));
  const nameToken = tokens[at + 1];
  if (at < 0 || !nameToken || identOf(definition, nameToken) !== stmt.idxname) throw unreadable(`index ${name}`, definition);
  // The key list: the parentheses after USING <method>; INCLUDE (...) follows it.
  const using = tokens.findIndex((_, i) => i > at && word(i, 'USING') && depthAt(tokens, definition, i) === 0);
  const keys = parenthesised(tokens, definition, using + 2);
  const params: any[] = stmt.indexParams ?? [];
  const including: any[] = stmt.indexIncludingParams ?? [];
  if (using < 0 || keys === undefined || keys.items.length !== params.length) throw unreadable(`index ${name}`, definition);
  let include: { items: number[][] } | undefined;
  if (including.length > 0) {
    const inc = tokens.findIndex((_, i) => i > keys.close && word(i, 'INCLUDE') && depthAt(tokens, definition, i) === 0);
    include = inc < 0 ? undefined : parenthesised(tokens, definition, inc + 1);
    if (!include || include.items.length !== including.length) throw unreadable(`index ${name}`, definition);
  }
  return {
    afterIndex: tokens[at].end,
    nameEnd: nameToken.end,
    // ON ONLY (a partitioned table's index): the tree leaves inh out when it is false.
    partitioned: stmt.relation?.inh !== true,
    columnTokens(column) {
      const found: Token[] = [];
      const elements = [...params.map((p, i) => [p, keys.items[i]] as const), ...including.map((p, i) => [p, include!.items[i]] as const)];
      for (const [p, items] of elements) {
        const elem = p.IndexElem;
        if (elem?.name !== undefined) {
          const first = tokens[items[0]];
          if (identOf(definition, first) !== elem.name) throw unreadable(`index ${name}`, definition);
          if (elem.name === column) found.push(first);
        }
      }
      found.push(...columnRefTokens(definition, tokens, [params, stmt.whereClause], column));
      return found.sort((a, b) => a.start - b.start);
    },
  };
}

// ── Constraints ─────────────────────────────────────────────────────────────────────────────────────

/** The kinds a trio re-creates on the new column (carryOver) or on the way back (restoreOnWayBack). */
type Recreated = 'UNIQUE' | 'FOREIGN KEY' | 'CHECK';

interface ReadConstraint {
  /**
   * `other`: a kind PostgreSQL's ADD CONSTRAINT also reads, but neither loop re-creates: NOT NULL
   * (PostgreSQL 18's `pg_get_constraintdef` of a NOT NULL constraint, which the scaffold's catalog
   * read leaves out, but a TrioCatalog may hold).
   */
  kind: Recreated | 'PRIMARY KEY' | 'EXCLUDE' | 'other';
  involves(column: string): boolean;
  /** The definition with the column replaced, or why it cannot be. */
  substituted(old: string, neu: string): string | { problem: string };
  /** ` DEFERRABLE`, ` DEFERRABLE INITIALLY DEFERRED` or nothing. */
  deferrable: string;
  /** A foreign key whose referenced columns include `column` of `table`. */
  references(table: TableName, column: string): boolean;
}

const isRecreated = (read: ReadConstraint): read is ReadConstraint & { kind: Recreated } => read.kind === 'UNIQUE' || read.kind === 'FOREIGN KEY' || read.kind === 'CHECK';

const PREFIX = 'ALTER TABLE zdm_t ADD CONSTRAINT zdm_c ';
const KINDS: Record<string, ReadConstraint['kind']> = { CONSTR_PRIMARY: 'PRIMARY KEY', CONSTR_UNIQUE: 'UNIQUE', CONSTR_FOREIGN: 'FOREIGN KEY', CONSTR_CHECK: 'CHECK', CONSTR_EXCLUSION: 'EXCLUDE' };

function readConstraint(name: string, definition: string): ReadConstraint {
  const text = PREFIX + definition;
  const what = `constraint ${name}`;
  const alter = parseOne(text, 'AlterTableStmt', what);
  const con = alter.cmds?.[0]?.AlterTableCmd?.def?.Constraint;
  if (!con) throw unreadable(what, definition);
  const kind = KINDS[con.contype] ?? 'other';
  const tokens = significant(text);
  const names = (list: any[] | undefined): string[] => (list ?? []).map((n) => n.String?.sval);
  const fkAttrs = names(con.fk_attrs);
  const keys = [...names(con.keys), ...names(con.including)];
  const sameTable = (table: TableName) => con.pktable?.relname === table.name && (con.pktable?.schemaname ?? table.schema ?? 'public') === (table.schema ?? 'public');
  /** The tokens of the first parenthesised list after the word `after` (FOREIGN KEY's columns). */
  const listAfter = (after: string): { items: number[][] } | undefined => {
    const i = tokens.findIndex((tok, j) => j >= 5 && tok.kind === 'word' && text.slice(tok.start, tok.end).toUpperCase() === after);
    return i < 0 ? undefined : parenthesised(tokens, text, i + 1);
  };
  return {
    kind,
    deferrable: con.deferrable ? (con.initdeferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE') : '',
    involves(column) {
      if (kind === 'FOREIGN KEY') return fkAttrs.includes(column) || names(con.fk_del_set_cols).includes(column);
      if (kind === 'CHECK') return columnRefTokens(text, tokens, [con.raw_expr], column).length > 0;
      if (kind === 'EXCLUDE') {
        let found = false;
        walk(con.exclusions, (k, body) => {
          if ((k === 'IndexElem' && body.name === column) || (k === 'ColumnRef' && refersTo(body, column))) found = true;
        });
        return found || columnRefTokens(text, tokens, [con.where_clause], column).length > 0;
      }
      return keys.includes(column);
    },
    substituted(old, neu) {
      let replacements: Replacement[] = [];
      if (kind === 'CHECK') {
        replacements = columnRefTokens(text, tokens, [con.raw_expr], old).map((tok) => ({ start: tok.start, end: tok.end, text: q(neu) }));
      } else if (kind === 'FOREIGN KEY') {
        if (names(con.fk_del_set_cols).length > 0) return { problem: 'its ON DELETE SET NULL/DEFAULT lists columns' };
        const list = listAfter('KEY');
        if (!list || list.items.length !== fkAttrs.length) throw unreadable(what, definition);
        list.items.forEach((items, i) => {
          const tok = tokens[items[0]];
          if (items.length !== 1 || identOf(text, tok) !== fkAttrs[i]) throw unreadable(what, definition);
          if (fkAttrs[i] === old) replacements.push({ start: tok.start, end: tok.end, text: q(neu) });
        });
      } else return { problem: `a ${kind} constraint is not rewritten here` };
      return applyReplacements(text, replacements).slice(PREFIX.length);
    },
    references(table, column) {
      // pk_attrs empty: the referenced table's primary key (not the replaced column: trios refuse the key).
      return kind === 'FOREIGN KEY' && sameTable(table) && names(con.pk_attrs).includes(column);
    },
  };
}

// ── Parse tree and tokens ───────────────────────────────────────────────────────────────────────────

function parseOne(text: string, kind: string, what: string): any {
  const outcome = parseStatement(text);
  const node = outcome.nodes[0] as Record<string, any> | undefined;
  if (outcome.error || outcome.nodes.length !== 1 || !node?.[kind]) throw unreadable(what, text);
  return node[kind];
}

function unreadable(what: string, definition: string): ScaffoldError {
  return new ScaffoldError(`Could not read the definition of ${what} from the dev database's catalog: ${definition}`);
}

/** Tokens without comments. */
function significant(text: string): Token[] {
  return lex(text).filter((tok) => tok.kind !== 'line-comment' && tok.kind !== 'block-comment');
}

function identOf(text: string, tok: Token | undefined): string | undefined {
  if (!tok || (tok.kind !== 'word' && tok.kind !== 'quoted-ident')) return undefined;
  const parts = splitName(text.slice(tok.start, tok.end));
  return parts.length === 1 ? parts[0] : undefined;
}

function refersTo(columnRef: any, column: string): boolean {
  const fields: any[] = columnRef.fields ?? [];
  return fields.length === 1 && fields[0].String?.sval === column;
}

/** The tokens of the column references to `column` within `roots` (parse tree nodes of `text`). */
function columnRefTokens(text: string, tokens: Token[], roots: unknown[], column: string): Token[] {
  const found: Token[] = [];
  for (const root of roots) {
    walk(root, (kind, body) => {
      if (kind !== 'ColumnRef' || !refersTo(body, column) || typeof body.location !== 'number') return;
      const offset = utf16FromUtf8(text, body.location);
      const tok = tokens.find((x) => x.start === offset);
      if (!tok || identOf(text, tok) !== column) throw unreadable(`a reference to ${column}`, text);
      found.push(tok);
    });
  }
  return found;
}

/** Parenthesis depth before token `index`. */
function depthAt(tokens: Token[], text: string, index: number): number {
  let depth = 0;
  for (let i = 0; i < index; i++) {
    const p = text.slice(tokens[i].start, tokens[i].end);
    if (tokens[i].kind === 'punct' && p === '(') depth++;
    else if (tokens[i].kind === 'punct' && p === ')') depth--;
  }
  return depth;
}

/** The elements (token indexes, split at the commas of its own depth) of the list whose `(` is token `open`. */
function parenthesised(tokens: Token[], text: string, open: number): { items: number[][]; close: number } | undefined {
  const p = (i: number) => (tokens[i]?.kind === 'punct' ? text.slice(tokens[i].start, tokens[i].end) : '');
  if (p(open) !== '(') return undefined;
  const items: number[][] = [[]];
  let depth = 0;
  for (let i = open + 1; i < tokens.length; i++) {
    const s = p(i);
    if (s === '(' || s === '[') depth++;
    else if ((s === ')' || s === ']') && depth > 0) depth--;
    else if (s === ')') return { items: items[0].length === 0 && items.length === 1 ? [] : items, close: i };
    else if (s === ',' && depth === 0) {
      items.push([]);
      continue;
    }
    items[items.length - 1].push(i);
  }
  return undefined;
}

function applyReplacements(text: string, replacements: Replacement[]): string {
  let out = text;
  for (const r of [...replacements].sort((a, b) => b.start - a.start)) out = out.slice(0, r.start) + r.text + out.slice(r.end);
  return out;
}

// ── Names ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * The new index's or constraint's name: the old name with the old column's name replaced by the new
 * one where it stands between underscores (`users_email_key` -> `users_contact_key`), else the new
 * column's name appended; at most 63 bytes, and unlike every name in `taken` (which it joins).
 */
export function newName(oldName: string, old: string, neu: string, taken: Set<string>): string {
  const parts = oldName.split('_');
  const oldParts = old.split('_');
  let base = `${oldName}_${neu}`;
  for (let i = 0; i + oldParts.length <= parts.length; i++) {
    if (parts.slice(i, i + oldParts.length).join('_') === old) {
      base = [...parts.slice(0, i), neu, ...parts.slice(i + oldParts.length)].join('_');
      break;
    }
  }
  let name = generatedName(base);
  for (let n = 1; taken.has(name); n++) name = generatedName(base, String(n));
  taken.add(name);
  return name;
}
