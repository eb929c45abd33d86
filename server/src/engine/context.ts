// Facts every rule gets for free, computed once per file: whether each statement runs inside a
// transaction (and why), the lock_timeout / statement_timeout in force, and the relations created
// earlier in the same section (a table created in this migration is empty: no CONCURRENTLY needed).

import { basenameOf, childPath, dirnameOf } from './paths';
import { parseDuration } from './config/config';
import { describeLike } from './formats/index';
import type { ProjectHost } from './host';
import type { AstNode, MigrationDocument, Section, SectionKind, Statement } from './model';
import { bodyOf, constantOf, namesOf, relationOf, sameRelation, type RelationRef } from './sql/ast';
import { ChangesByName, contains, sameObject, schemaChanges, type ObjectKey, type SchemaChange } from './sql/classify';
import { parseSectionStatement } from './sql/placeholders';
import { splitStatements } from './sql/split';
import type { Span } from './text/offsets';
import { isPostgresDialect, parseSplitName, splitFileName } from './formats/golang-migrate';
import { KeyedMemo } from './memo';

export interface TimeoutSetting {
  /** As written ('5s', '5000'). */
  text: string;
  /** Milliseconds, when it could be read; 0 means "no timeout". */
  ms?: number;
  statementIndex: number;
}

export interface StatementFacts {
  inTransaction: boolean;
  /** Why it is (or is not) in a transaction, for messages. */
  transactionReason: string;
  /** Inside an explicit BEGIN ... COMMIT written in the file. */
  explicitTransaction: boolean;
  /** The transaction this statement belongs to (statements sharing one have the same id); -1 when none. */
  transactionId: number;
  lockTimeout?: TimeoutSetting;
  statementTimeout?: TimeoutSetting;
}

export interface FileFacts {
  statements: StatementFacts[];
  /** True when `relation` was created by an earlier statement of the same section. */
  createdEarlier(relation: RelationRef, before: Statement): boolean;
  /** True when an up section of this file creates `relation` (its down then only removes what the up added). */
  createdInUp(relation: RelationRef): boolean;
  /** Statements of the same section, in order. */
  sectionStatements(section: Section): Statement[];
}

export function computeFacts(statements: readonly Statement[]): FileFacts {
  const facts: StatementFacts[] = [];
  const created: { relation: RelationRef; index: number; section: Section }[] = [];
  const bySection = new Map<Section, Statement[]>();
  // Indexed loops in this file: without the optimizing compiler `for ... of` allocates per element.
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i];
    let list = bySection.get(s.section);
    if (!list) bySection.set(s.section, (list = []));
    list.push(s);
  }
  let nextTransaction = 0;
  for (const [section, list] of bySection) {
    const implicitBlock = section.transaction === 'implicit' && list.length > 1;
    let inTransaction = section.transaction === 'transaction' || implicitBlock;
    let explicit = false;
    let reason = inTransaction ? section.transactionSource : notInTransactionReason(section);
    let transactionId = inTransaction ? nextTransaction++ : -1;
    let lockTimeout: TimeoutSetting | undefined;
    let statementTimeout: TimeoutSetting | undefined;
    // Query strings of several statements in a non-transactional section (goose blocks): each is an implicit transaction.
    const strings = section.transaction === 'none' && section.queryStrings ? queryStringsOf(section.queryStrings, list) : undefined;
    let currentString = -1;
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (strings && !explicit) {
        const g = strings[i];
        if (g !== -1 && g !== currentString) {
          inTransaction = true;
          reason = `${section.queryStringSource ?? 'the tool sends these statements as one query string'}, which PostgreSQL runs as one implicit transaction`;
          transactionId = nextTransaction++;
        } else if (g === -1 && currentString !== -1) {
          inTransaction = false;
          reason = section.transactionSource;
          transactionId = -1;
        }
        currentString = g;
      }
      const tx = bodyOf(s.node, 'TransactionStmt');
      if (tx && (tx.kind === 'TRANS_STMT_BEGIN' || tx.kind === 'TRANS_STMT_START')) {
        inTransaction = true;
        explicit = true;
        reason = 'the explicit BEGIN before it';
        transactionId = nextTransaction++;
      }
      facts[s.index] = { inTransaction, transactionReason: reason, explicitTransaction: explicit, transactionId: inTransaction ? transactionId : -1, lockTimeout, statementTimeout };
      if (tx && (tx.kind === 'TRANS_STMT_COMMIT' || tx.kind === 'TRANS_STMT_ROLLBACK' || tx.kind === 'TRANS_STMT_COMMIT_PREPARED' || tx.kind === 'TRANS_STMT_PREPARE')) {
        // After COMMIT the rest runs in autocommit; with `implicit` the rest of the string is a new implicit block.
        inTransaction = implicitBlock;
        explicit = false;
        reason = inTransaction ? section.transactionSource : 'the COMMIT before it';
        transactionId = inTransaction ? nextTransaction++ : -1;
        // SET LOCAL values end with the transaction.
        if (lockTimeout?.text.startsWith('LOCAL ')) lockTimeout = undefined;
        if (statementTimeout?.text.startsWith('LOCAL ')) statementTimeout = undefined;
      }
      const setting = timeoutSetting(s);
      if (setting?.name === 'lock_timeout') lockTimeout = setting.value;
      if (setting?.name === 'statement_timeout') statementTimeout = setting.value;
      const relations = createdRelations(s);
      for (let j = 0; j < relations.length; j++) created.push({ relation: relations[j], index: s.index, section });
    }
  }
  return {
    statements: facts,
    createdEarlier(relation, before) {
      return created.some((c) => c.section === before.section && c.index < before.index && sameRelation(c.relation, relation));
    },
    createdInUp(relation) {
      return created.some((c) => c.section.kind === 'up' && sameRelation(c.relation, relation));
    },
    sectionStatements(section) {
      return bySection.get(section) ?? [];
    },
  };
}

/** For each statement, the index of the query string of several statements holding it, or -1. */
function queryStringsOf(spans: readonly Span[], list: readonly Statement[]): number[] {
  const of = list.map((s) => spans.findIndex((q) => q.start <= s.span.start && s.span.end <= q.end));
  const count = new Map<number, number>();
  for (const g of of) if (g !== -1) count.set(g, (count.get(g) ?? 0) + 1);
  return of.map((g) => (g !== -1 && count.get(g)! > 1 ? g : -1));
}

function notInTransactionReason(section: Section): string {
  if (section.transaction === 'implicit') return `${section.transactionSource}, and it holds this one statement only`;
  return section.transactionSource;
}

/** `SET [LOCAL] lock_timeout = ...`, `RESET`, and `SELECT set_config('lock_timeout', ...)`. */
export function timeoutSetting(s: Statement): { name: string; value: TimeoutSetting | undefined } | undefined {
  const set = bodyOf(s.node, 'VariableSetStmt');
  if (set && (set.name === 'lock_timeout' || set.name === 'statement_timeout')) {
    if (set.kind === 'VAR_RESET' || set.kind === 'VAR_SET_DEFAULT') return { name: set.name, value: undefined };
    const raw = constantOf(set.args?.[0]);
    if (raw === undefined) return undefined;
    return { name: set.name, value: { text: (set.is_local ? 'LOCAL ' : '') + raw, ms: parseDuration(raw), statementIndex: s.index } };
  }
  const select = bodyOf(s.node, 'SelectStmt');
  const call = select?.targetList?.[0]?.ResTarget?.val?.FuncCall;
  if (call && namesOf(call.funcname).pop() === 'set_config') {
    const name = constantOf(call.args?.[0]);
    const raw = constantOf(call.args?.[1]);
    const local = constantOf(call.args?.[2]) === 'true';
    if ((name === 'lock_timeout' || name === 'statement_timeout') && raw !== undefined) {
      return { name, value: { text: (local ? 'LOCAL ' : '') + raw, ms: parseDuration(raw), statementIndex: s.index } };
    }
  }
  return undefined;
}

/** Relations a statement creates: tables, CREATE TABLE AS, SELECT INTO, materialized views. */
/** The new name of a table the migration created, when `node` renames it (`ALTER TABLE created RENAME TO new`). */
function renamedTable(node: AstNode | undefined, created: (from: RelationRef) => boolean): RelationRef | undefined {
  const rename = bodyOf(node, 'RenameStmt');
  if (rename?.renameType !== 'OBJECT_TABLE' || !rename.newname) return undefined;
  const from = relationOf(rename.relation);
  if (!from || !created(from)) return undefined;
  return { name: rename.newname, schema: from.schema, display: from.schema ? `${from.schema}.${rename.newname}` : rename.newname };
}

export function createdRelations(s: Statement): RelationRef[] {
  const out: RelationRef[] = [];
  const create = bodyOf(s.node, 'CreateStmt');
  if (create) {
    const r = relationOf(create.relation);
    if (r) out.push(r);
  }
  const createAs = bodyOf(s.node, 'CreateTableAsStmt');
  if (createAs) {
    const r = relationOf(createAs.into?.rel);
    if (r) out.push(r);
  }
  const select = bodyOf(s.node, 'SelectStmt');
  if (select?.intoClause) {
    const r = relationOf(select.intoClause.rel);
    if (r) out.push(r);
  }
  return out;
}

// ── The other half of a migration, and objects across statements ──────────────────────────────────
// Rules about breaking changes and about down migrations need to know what the migration's other
// half does: a DROP in a down section that removes what the up created is the down's job. For
// single-file formats the other half is the file's other section(s); for split formats (.down.sql,
// diesel down.sql, Flyway U scripts, sqitch revert/) it is the companion file, read through the host
// and parsed with the engine's own splitter and parser.

/** A schema change of the other half, in statement order. */
export interface CounterpartChange {
  change: SchemaChange;
  /** Position of its statement in the other half. */
  order: number;
}

export interface Counterpart {
  kind: SectionKind;
  /** The sections of this file that form the other half (single-file formats). */
  sections: Section[];
  /** The companion file, for split formats. */
  path?: string;
  /** The companion's text, for fixes that edit it. */
  text?: string;
  /** Number of statements in the other half. */
  statementCount: number;
  /** The parsed statements of the other half, in order (undefined where a statement did not parse). */
  nodes: (AstNode | undefined)[];
  changes: CounterpartChange[];
  /** The other half says on purpose that it does nothing (Liquibase `--rollback not required`). */
  declaredEmpty: boolean;
}

const counterpartMemo = new KeyedMemo<MigrationDocument, Map<Section, Counterpart | undefined>>('counterpartMemo');

/**
 * The other half of the migration that `section` belongs to: for an up section its down, for a down
 * section its up. Undefined when the other half does not exist (or cannot be read).
 */
export function counterpartOf(document: MigrationDocument, statements: readonly Statement[], host: ProjectHost, section: Section): Counterpart | undefined {
  let memo = counterpartMemo.get(document);
  if (!memo) counterpartMemo.set(document, (memo = new Map()));
  if (memo.has(section)) return memo.get(section);
  const result = computeCounterpart(document, statements, host, section);
  memo.set(section, result);
  return result;
}

function computeCounterpart(document: MigrationDocument, statements: readonly Statement[], host: ProjectHost, section: Section): Counterpart | undefined {
  const wanted: SectionKind = section.kind === 'up' ? 'down' : 'up';
  const own = document.sections.filter((s) => s.kind === wanted && s.label === section.label);
  if (own.length > 0) {
    const list = statements.filter((s) => own.includes(s.section));
    const changes: CounterpartChange[] = [];
    list.forEach((s, order) => {
      const nodeChanges = schemaChanges(s.node);
      for (let i = 0; i < nodeChanges.length; i++) changes.push({ change: nodeChanges[i], order });
    });
    return { kind: wanted, sections: own, statementCount: list.length, nodes: list.map((s) => s.node), changes, declaredEmpty: own.some((s) => s.declaredEmpty === true) };
  }
  if (document.role !== section.kind) return undefined;
  const companion = companionOf(document, host);
  if (companion === undefined) return undefined;
  const text = host.readFile(companion);
  if (text === undefined) return undefined;
  // Ory's pop migrations split one change into numbered parts (a 14-digit timestamp, then a 6-digit
  // part number) whose downs are shifted against their ups: judge a part's down against all the ups
  // of its group (same timestamp and dialect).
  const nodes = parseFile(companion, text, host, document, wanted).concat(otherPartsStatements(document, host, wanted));
  const changes: CounterpartChange[] = [];
  nodes.forEach((node, order) => {
    const nodeChanges = schemaChanges(node);
    for (let i = 0; i < nodeChanges.length; i++) changes.push({ change: nodeChanges[i], order });
  });
  return { kind: wanted, sections: [], path: companion, text, statementCount: nodes.length, nodes, changes, declaredEmpty: false };
}

/**
 * The other half of a split migration: the format's companion, or for pop files with a dialect infix
 * the generic file of the other direction (and the other way round), which pop runs when the
 * PostgreSQL-specific one does not exist.
 */
export function companionOf(document: MigrationDocument, host: ProjectHost): string | undefined {
  if (!document.companionPath) return undefined;
  if (document.companionExists) return document.companionPath;
  if (document.format !== 'golang-migrate') return undefined;
  const dir = dirnameOf(document.companionPath);
  const name = basenameOf(document.companionPath);
  const parts = parseSplitName(name);
  if (!parts) return undefined;
  const alternative = splitFileName({ ...parts, dialect: isPostgresDialect(parts.dialect) ? '' : 'postgres' });
  const candidate = childPath(dir, alternative);
  return host.fileExists(candidate) ? candidate : undefined;
}

/** Parses another migration file of the same format, returning the nodes of its `kind` sections (shared: callers must not change the list). */
function parseFile(filePath: string, text: string, host: ProjectHost, like: MigrationDocument, kind: SectionKind): readonly (AstNode | undefined)[] {
  let memo = parsedFiles.get(host);
  if (!memo) parsedFiles.set(host, (memo = new Map()));
  const key = `${kind}\u0000${like.format}\u0000${filePath}`;
  const hit = memo.get(key);
  if (hit && hit.text === text) return hit.nodes;
  const nodes = parseFileUncached(filePath, text, host, like, kind);
  if (memo.size >= MAX_PARSED_FILES) memo.delete(memo.keys().next().value as string);
  memo.set(key, { text, nodes });
  return nodes;
}

/** Other files' statements, by host: a pop group's files are read by each of its parts. Entries are checked against the text, so they never go stale. */
const parsedFiles = new WeakMap<ProjectHost, Map<string, { text: string; nodes: (AstNode | undefined)[] }>>();
const MAX_PARSED_FILES = 4096;

function parseFileUncached(filePath: string, text: string, host: ProjectHost, like: MigrationDocument, kind: SectionKind): (AstNode | undefined)[] {
  const other = describeLike(filePath, text, host, like);
  const nodes: (AstNode | undefined)[] = [];
  for (const s of other.sections) {
    if (s.kind !== kind) continue;
    for (const raw of splitStatements(s.source, s.span.start, s.span.end).statements) {
      nodes.push(raw.unterminated ? undefined : parseSectionStatement(s, s.source.slice(raw.span.start, raw.span.end), raw.span.start).nodes[0]);
    }
  }
  return nodes;
}

/** An Ory pop multi-part file: a 14-digit timestamp, a 6-digit part number; [timestamp, part, dialect+autocommit variant, direction]. */
function popPart(name: string): [timestamp: string, part: string, variant: string, direction: string] | undefined {
  const parts = parseSplitName(name);
  const m = parts ? /^(\d{14})(\d{6})_/.exec(parts.base) : null;
  return parts && m ? [m[1], m[2], `${parts.dialect}${parts.autocommit ? '.autocommit' : ''}`, parts.direction] : undefined;
}

const popPartsMemo = new WeakMap<string[], Map<string, string[]>>();

/**
 * A directory listing's pop part files by group (timestamp, dialect variant, direction), sorted
 * (indexed once per listing: a group of a big multi-part migration has dozens of files, and each of
 * them asks for the others).
 */
function popPartsByGroup(names: string[]): Map<string, string[]> {
  let index = popPartsMemo.get(names);
  if (!index) {
    index = new Map();
    for (const name of [...names].sort()) {
      const m = popPart(name);
      if (!m) continue;
      const key = `${m[0]}\u0000${m[2]}\u0000${m[3]}`;
      const list = index.get(key);
      if (list) list.push(name);
      else index.set(key, [name]);
    }
    popPartsMemo.set(names, index);
  }
  return index;
}

/** Every part of an Ory pop multi-part migration's group (same timestamp and dialect) of the given direction, sorted; the companion included. */
function popGroupFiles(document: MigrationDocument, host: ProjectHost, kind: SectionKind): readonly string[] {
  if (document.format !== 'golang-migrate') return [];
  const own = popPart(basenameOf(document.path));
  if (!own) return [];
  const dir = dirnameOf(document.path);
  // The parts share the timestamp and the dialect; their descriptions may differ.
  const names = popPartsByGroup(host.readDirectory(dir) ?? []).get(`${own[0]}\u0000${own[2]}\u0000${kind}`);
  if (!names) return [];
  // Every part of a group asks for the same paths: joined once per group.
  let files = popGroupPaths.get(names);
  if (!files) popGroupPaths.set(names, (files = names.map((name) => childPath(dir, name))));
  return files;
}

/** The other parts of an Ory pop multi-part migration (same timestamp and dialect), of the given direction, excluding the companion. */
function popGroupParts(document: MigrationDocument, host: ProjectHost, kind: SectionKind): string[] {
  return popGroupFiles(document, host, kind).filter((file) => file !== document.companionPath);
}

/** The paths of a pop group's parts, by the group's list of names (a listing's index is per folder). */
const popGroupPaths = new WeakMap<string[], string[]>();

/** A pop group's statements of one direction: every readable part's in turn, and where each part's begin and end. */
interface GroupStatements {
  nodes: (AstNode | undefined)[];
  spans: Map<string, { start: number; end: number }>;
}

/** By host, then by the group's list of paths: each part of a group asks for all the others (kratos has a group of 132 files). */
const groupStatementsMemo = new WeakMap<ProjectHost, WeakMap<readonly string[], GroupStatements>>();

/** The statements of the other parts of the file's pop group in the given direction (the companion left out), in order. */
function otherPartsStatements(document: MigrationDocument, host: ProjectHost, kind: SectionKind): (AstNode | undefined)[] {
  const files = popGroupFiles(document, host, kind);
  if (files.length === 0) return [];
  let byFiles = groupStatementsMemo.get(host);
  if (!byFiles) groupStatementsMemo.set(host, (byFiles = new WeakMap()));
  let group = byFiles.get(files);
  if (!group) {
    group = { nodes: [], spans: new Map() };
    for (const part of files) {
      const text = host.readFile(part);
      if (text === undefined) continue;
      const start = group.nodes.length;
      for (const node of parseFile(part, text, host, document, kind)) group.nodes.push(node);
      group.spans.set(part, { start, end: group.nodes.length });
    }
    byFiles.set(files, group);
  }
  const companion = document.companionPath === undefined ? undefined : group.spans.get(document.companionPath);
  return companion ? group.nodes.slice(0, companion.start).concat(group.nodes.slice(companion.end)) : group.nodes;
}

/**
 * The schema changes of the other parts of an Ory pop multi-part migration (same 14-digit timestamp
 * and dialect), in the given direction; undefined when the file is not such a part or
 * its group has no file of that direction.
 */
export function popGroupChanges(document: MigrationDocument, host: ProjectHost, kind: SectionKind): SchemaChange[] | undefined {
  const parts = popGroupParts(document, host, kind);
  if (parts.length === 0) return undefined;
  const out: SchemaChange[] = [];
  for (const part of parts) {
    const text = host.readFile(part);
    if (text === undefined) continue;
    for (const node of parseFile(part, text, host, document, kind)) out.push(...schemaChanges(node));
  }
  return out;
}

/** True when the other half creates `key` (or something that holds it: its table, its schema), replaces it, or renames something to it. */
export function counterpartCreates(counterpart: Counterpart | undefined, key: ObjectKey): boolean {
  if (!counterpart) return false;
  return counterpartChanges(counterpart).some(key, ({ change }) => (change.action === 'create' || change.action === 'replace' || change.action === 'rename-to') && (sameObject(change, key) || contains(change, key)));
}

/** True when the other half removes `key`: drops it or what holds it, or renames it away. A CASCADE drop may remove anything that depends on what it drops. */
export function counterpartRemoves(counterpart: Counterpart | undefined, key: ObjectKey): boolean {
  if (!counterpart) return false;
  return counterpartChanges(counterpart).some(key, ({ change }) => (change.action === 'drop' || change.action === 'rename-from') && (sameObject(change, key) || contains(change, key)));
}

/** A counterpart's changes indexed by name (rules ask about it once per statement). */
const counterpartIndexes = new KeyedMemo<Counterpart, ChangesByName<CounterpartChange>>('counterpartIndexes');

function counterpartChanges(counterpart: Counterpart): ChangesByName<CounterpartChange> {
  let index = counterpartIndexes.get(counterpart);
  if (!index) counterpartIndexes.set(counterpart, (index = new ChangesByName(counterpart.changes, (c) => c.change)));
  return index;
}

/**
 * True when a statement before `before` in its section creates `key` (or its table or schema),
 * replaces it (CREATE OR REPLACE: a helper defined for this migration), or renames something to it.
 */
export function createdEarlierInSection(statements: readonly Statement[], before: Statement, key: ObjectKey): boolean {
  return bringsBack(statements, before, key, 'earlier', false);
}

/**
 * True when a statement after `after` in its section brings `key` back: creates, replaces or renames
 * something to it. With `renameOnly`, only a rename counts (a table or column re-created empty has
 * lost its data; one renamed into place kept it).
 */
export function recreatedLaterInSection(statements: readonly Statement[], after: Statement, key: ObjectKey, options: { renameOnly?: boolean } = {}): boolean {
  return bringsBack(statements, after, key, 'later', options.renameOnly === true);
}

// Rules ask "created earlier / re-created later in this section?" for most statements; scanning the
// section each time made a lint O(n²) in statements. Instead, the create/replace/rename-to changes of
// a statement list are indexed once by name, under every name a key can be matched through (its own
// name, its table's, its schema's, its columns'), and each question looks only at those buckets.

interface Bringing {
  index: number;
  section: Section;
  change: SchemaChange;
}

const bringingIndexes = new KeyedMemo<readonly Statement[], ChangesByName<Bringing>>('bringingIndexes');

function bringingIndex(statements: readonly Statement[]): ChangesByName<Bringing> {
  let index = bringingIndexes.get(statements);
  if (index) return index;
  const bringing: Bringing[] = [];
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i];
    const changes = schemaChanges(s.node);
    for (let j = 0; j < changes.length; j++) {
      const change = changes[j];
      if (change.action === 'create' || change.action === 'replace' || change.action === 'rename-to') bringing.push({ index: s.index, section: s.section, change });
    }
  }
  index = new ChangesByName(bringing, (b) => b.change);
  bringingIndexes.set(statements, index);
  return index;
}

function bringsBack(statements: readonly Statement[], at: Statement, key: ObjectKey, when: 'earlier' | 'later', renameOnly: boolean): boolean {
  return bringingIndex(statements).some(key, (b) => {
    if (b.section !== at.section) return false;
    if (when === 'earlier' ? b.index >= at.index : b.index <= at.index) return false;
    if (renameOnly && b.change.action !== 'rename-to') return false;
    return sameObject(b.change, key) || contains(b.change, key);
  });
}

export interface RemovalContext {
  document: MigrationDocument;
  statements: readonly Statement[];
  host: ProjectHost;
}

/**
 * Whether a removal (drop, rename) of `key` by `statement` is part of the migration's own bookkeeping
 * rather than a change to something the running application uses: the object was created earlier in
 * the same section, it is brought back later in the same section (for data-bearing objects only by a
 * rename: the swap pattern), or the statement sits in a down section and undoes what the up created.
 */
export function removalIsOwnBusiness(context: RemovalContext, statement: Statement, key: ObjectKey, options: { dataBearing?: boolean } = {}): boolean {
  const { document, statements, host } = context;
  if (createdEarlierInSection(statements, statement, key)) return true;
  if (recreatedLaterInSection(statements, statement, key, { renameOnly: options.dataBearing })) return true;
  if (recreatedLaterInStatement(statement, key, { renameOnly: options.dataBearing })) return true;
  if (statement.section.kind === 'down' && counterpartCreates(counterpartOf(document, statements, host, statement.section), key)) return true;
  return false;
}

/** True when a statement that removes `key` brings it back itself, in a later clause (`DROP DEFAULT, TYPE ..., SET DEFAULT ...`). */
export function recreatedLaterInStatement(statement: Statement, key: ObjectKey, options: { renameOnly?: boolean } = {}): boolean {
  const changes = schemaChanges(statement.node);
  const removal = changes.findIndex((c) => (c.action === 'drop' || c.action === 'rename-from') && sameObject(c, key));
  if (removal === -1) return false;
  return changes.slice(removal + 1).some((c) => (options.renameOnly ? c.action === 'rename-to' : c.action === 'create' || c.action === 'replace' || c.action === 'rename-to') && sameObject(c, key));
}

// ── Schema facts: column types, constraints and indexes the file shows ───────────────────────────
// The lock rules and the hover need to know what earlier statements did to a table: the column's type
// before ALTER COLUMN ... TYPE (earlier in the section, or what the migration's other half restores),
// which CHECK constraints are already validated (PostgreSQL 12+ then skips the SET NOT NULL scan), which
// constraint a VALIDATE names (a foreign key also locks the referenced table), which indexes were
// created here. Computed once per file (cached by its statement list).

import * as schemaAst from './sql/ast';
import * as schemaColumns from './sql/columns';
import type * as schemaHost from './host';
import type * as schemaLocks from './locks';
import type * as schemaModel from './model';
import * as schemaHistory from './history';
import * as schemaLockTable from './locks';

export type ConstraintKind = 'check' | 'foreign key' | 'unique' | 'primary key' | 'exclusion' | 'not null';

export interface ConstraintSeen {
  table: schemaAst.RelationRef;
  name?: string;
  kind: ConstraintKind;
  /** The CHECK expression. */
  expr?: any;
  notValid: boolean;
  referenced?: schemaAst.RelationRef;
  /** The statement that added it. */
  statement: Statement;
}

export interface SchemaFacts {
  /**
   * The type of `table.column` just before `before`: set earlier in the section, left by the earlier
   * migrations of the folder (and, for a down, by its up), or else restored by the other half.
   */
  columnTypeBefore(table: schemaAst.RelationRef, column: string, before: Statement): schemaColumns.TypeInfo | undefined;
  /** Whether `table.column` is NOT NULL just before `before`, from the same sources; undefined when unknown. */
  columnNotNullBefore(table: schemaAst.RelationRef, column: string, before: Statement): boolean | undefined;
  /** Whether a validated, named CHECK (column IS NOT NULL) is on `table.column` just before `before` (from earlier migrations of the folder or earlier in the section). */
  columnNotNullCheckedBefore(table: schemaAst.RelationRef, column: string, before: Statement): boolean;
  /** Whether `table` has a validated, named CHECK constraint just before `before`, from the same sources. */
  tableCheckedBefore(table: schemaAst.RelationRef, before: Statement): boolean;
  /** True when the other half of the migration creates `relation` (a table, or an index by name). */
  otherHalfCreates(relation: schemaAst.RelationRef, section: schemaModel.Section): boolean;
  /**
   * True when this migration made `relation`: an earlier statement of the section (or an earlier part of
   * the same pop multi-part migration) created it, or the statement is in a down and its up creates it.
   * Nobody else uses such an object yet (or, in the down, it is going away with the rollback): its locks
   * block no application traffic.
   */
  ownedByMigration(relation: schemaAst.RelationRef, statement: Statement): boolean;
  /**
   * True when an earlier statement of the same transaction already holds a lock on `relation` that
   * covers `mode` (one at least as strong): asking for `mode` again waits for nobody.
   */
  lockHeldBefore(relation: schemaAst.RelationRef, mode: schemaLockTable.LockMode, statement: Statement, pgVersion: number): boolean;
  /** True when an earlier statement of the section set the session TimeZone to UTC (SET timezone = 'UTC'). */
  sessionTimeZoneUtcBefore(before: Statement): boolean;
  /** The table of an index the other half creates (CREATE INDEX name ON table). */
  otherHalfIndexTable(index: schemaAst.RelationRef, section: schemaModel.Section): schemaAst.RelationRef | undefined;
  /** A constraint added by an earlier statement of the section, by table and name. */
  constraintBefore(table: schemaAst.RelationRef, name: string, before: Statement): ConstraintSeen | undefined;
  /**
   * CHECK constraints on `table` validated before `before` in the same section: added without NOT
   * VALID, or added NOT VALID and then VALIDATEd. A VALIDATE CONSTRAINT of a constraint the file does
   * not define counts too, with an unknown expression (it was added by an earlier migration).
   */
  validatedChecksBefore(table: schemaAst.RelationRef, before: Statement): { name?: string; expr?: any; statement: Statement }[];
  /** The table of an index created earlier in the section (CREATE INDEX name ON table), or undefined. */
  indexCreatedBefore(index: schemaAst.RelationRef, before: Statement): schemaAst.RelationRef | undefined;
  /** What locksOf needs to know about `statement` (column types, constraint kinds). */
  lockKnowledge(statement: Statement): schemaLocks.LockKnowledge;
  /** `locksOf(statement, pgVersion, lockKnowledge(statement))`, computed once per statement and version (callers must not change it). */
  locksOf(statement: Statement, pgVersion: number): schemaLocks.StatementLocks;
}

export interface SchemaFactsInput {
  statements: readonly Statement[];
  /** With the document and the host, the companion file of a split format is read for the other half. */
  document?: schemaModel.MigrationDocument;
  host?: schemaHost.ProjectHost;
}

export interface ExistingTableAlteration {
  statement: Statement;
  alter: any;
  table: RelationRef;
}

const alterationsMemo = new KeyedMemo<readonly Statement[], readonly ExistingTableAlteration[]>('alterationsMemo');

/**
 * Every ALTER TABLE of the file on a table that is not the migration's own (created by it, or going
 * away with it): the statements the lock rules about existing tables look at. Found once per
 * statement list (a dozen rules ask); callers must not change the list.
 */
export function alterationsOfExistingTables(input: SchemaFactsInput): readonly ExistingTableAlteration[] {
  let list = alterationsMemo.get(input.statements);
  if (!list) {
    const found: ExistingTableAlteration[] = [];
    for (let i = 0; i < input.statements.length; i++) {
      const statement = input.statements[i];
      const alter = bodyOf(statement.node, 'AlterTableStmt');
      const table = relationOf(alter?.relation);
      if (!table || schemaFactsOf(input).ownedByMigration(table, statement)) continue;
      found.push({ statement, alter, table });
    }
    alterationsMemo.set(input.statements, (list = found));
  }
  return list;
}

/** One command of an ALTER TABLE of a table the migration does not own (see `alterationsOfExistingTables`). */
export interface ExistingTableCommand extends ExistingTableAlteration {
  /** The statement's commands (`alter.cmds`), and this one: `{ AlterTableCmd: ... }`. */
  cmds: readonly any[];
  c: any;
}

/**
 * The commands of those ALTER TABLEs, in order, flattened: most lock rules look at one command at a
 * time. Found once per statement list; callers must not change the list.
 */
export function commandsOfExistingTables(input: SchemaFactsInput): readonly ExistingTableCommand[] {
  let list = commandsMemo.get(input.statements);
  if (!list) {
    const found: ExistingTableCommand[] = [];
    const alterations = alterationsOfExistingTables(input);
    for (let i = 0; i < alterations.length; i++) {
      const { statement, alter, table } = alterations[i];
      const cmds = alter.cmds ?? [];
      for (let k = 0; k < cmds.length; k++) found.push({ statement, alter, table, cmds, c: cmds[k] });
    }
    commandsMemo.set(input.statements, (list = found));
  }
  return list;
}

const commandsMemo = new KeyedMemo<readonly Statement[], readonly ExistingTableCommand[]>('commandsMemo');

/** A column an ALTER TABLE ... ADD COLUMN adds to a table the migration does not own. */
export interface ColumnAddedToExistingTable {
  statement: Statement;
  table: RelationRef;
  /** The ColumnDef node. */
  column: any;
  shape: schemaColumns.ColumnShape;
}

/**
 * The columns the ALTER TABLEs of `commandsOfExistingTables` add, with their shape (serial, identity,
 * default, generated, NOT NULL), read once per statement list for the rules about added columns.
 */
export function columnsAddedToExistingTables(input: SchemaFactsInput): readonly ColumnAddedToExistingTable[] {
  let list = addedColumnsMemo.get(input.statements);
  if (!list) {
    const found: ColumnAddedToExistingTable[] = [];
    const commands = commandsOfExistingTables(input);
    for (let i = 0; i < commands.length; i++) {
      const { statement, table, c } = commands[i];
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype !== 'AT_AddColumn' || !cmd.def?.ColumnDef) continue;
      found.push({ statement, table, column: cmd.def.ColumnDef, shape: schemaColumns.columnShape(cmd.def.ColumnDef) });
    }
    addedColumnsMemo.set(input.statements, (list = found));
  }
  return list;
}

const addedColumnsMemo = new KeyedMemo<readonly Statement[], readonly ColumnAddedToExistingTable[]>('addedColumnsMemo');

const schemaFactsMemo = new KeyedMemo<readonly Statement[], SchemaFacts>('schemaFactsMemo');

/** The schema facts of a file, computed once per statement list. */
export function schemaFactsOf(input: SchemaFactsInput): SchemaFacts {
  let facts = schemaFactsMemo.get(input.statements);
  if (!facts) {
    facts = computeSchemaFacts(input);
    schemaFactsMemo.set(input.statements, facts);
  }
  return facts;
}

/** A statement's effect on one column's type. */
interface TypeSetting {
  table: schemaAst.RelationRef;
  column: string;
  type: schemaColumns.TypeInfo;
}

function typeSettings(node: schemaModel.AstNode | undefined): TypeSetting[] {
  const out: TypeSetting[] = [];
  const create = schemaAst.bodyOf(node, 'CreateStmt');
  if (create) {
    const table = schemaAst.relationOf(create.relation);
    for (const e of create.tableElts ?? []) {
      const type = schemaAst.typeNameOf(e.ColumnDef?.typeName);
      if (table && type && e.ColumnDef.colname) out.push({ table, column: e.ColumnDef.colname, type });
    }
  }
  const alter = schemaAst.bodyOf(node, 'AlterTableStmt');
  if (alter && (alter.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
    const table = schemaAst.relationOf(alter.relation);
    for (const c of alter.cmds ?? []) {
      const cmd = c.AlterTableCmd;
      const type = schemaAst.typeNameOf(cmd?.def?.ColumnDef?.typeName);
      if (!table || !type) continue;
      if (cmd.subtype === 'AT_AddColumn' && cmd.def.ColumnDef.colname) out.push({ table, column: cmd.def.ColumnDef.colname, type });
      if (cmd.subtype === 'AT_AlterColumnType' && cmd.name) out.push({ table, column: cmd.name, type });
    }
  }
  return out;
}

/** The parse trees of the other half of a migration, in order (counterpartOf: its other sections, its companion file, pop group parts). */
function otherHalfNodes(input: SchemaFactsInput, section: schemaModel.Section): (schemaModel.AstNode | undefined)[] {
  if (input.document && input.host) return counterpartOf(input.document, input.statements, input.host, section)?.nodes ?? [];
  const wanted = section.kind === 'up' ? 'down' : 'up';
  return input.statements.filter((s) => s.section.kind === wanted && s.section.label === section.label).map((s) => s.node);
}

const constraintKinds: Record<string, ConstraintKind> = {
  CONSTR_CHECK: 'check',
  CONSTR_FOREIGN: 'foreign key',
  CONSTR_UNIQUE: 'unique',
  CONSTR_PRIMARY: 'primary key',
  CONSTR_EXCLUSION: 'exclusion',
  CONSTR_NOTNULL: 'not null',
};

/** The constraints a statement adds (or, with `only`, one ALTER TABLE subcommand of it adds). */
function constraintsAddedBy(s: Statement, only?: any): ConstraintSeen[] {
  const out: ConstraintSeen[] = [];
  const push = (table: schemaAst.RelationRef | undefined, con: any) => {
    const kind = constraintKinds[con?.contype];
    if (!table || !kind || (kind === 'not null' && !con.conname)) return;
    out.push({ table, name: con.conname, kind, expr: con.raw_expr, notValid: Boolean(con.skip_validation), referenced: schemaAst.relationOf(con.pktable), statement: s });
  };
  const create = schemaAst.bodyOf(s.node, 'CreateStmt');
  if (create) {
    const table = schemaAst.relationOf(create.relation);
    const elts = create.tableElts ?? [];
    for (let i = 0; i < elts.length; i++) {
      const e = elts[i];
      if (e.Constraint) push(table, e.Constraint);
      const constraints = e.ColumnDef?.constraints;
      if (constraints) for (let j = 0; j < constraints.length; j++) push(table, constraints[j].Constraint);
    }
  }
  const alter = schemaAst.bodyOf(s.node, 'AlterTableStmt');
  if (alter) {
    const table = schemaAst.relationOf(alter.relation);
    const cmds = alter.cmds ?? [];
    for (let i = 0; i < cmds.length; i++) {
      const cmd = cmds[i].AlterTableCmd;
      if (only !== undefined && cmd !== only) continue;
      if (cmd?.subtype === 'AT_AddConstraint') push(table, cmd.def?.Constraint);
      const constraints = cmd?.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef?.constraints : undefined;
      if (constraints) for (let j = 0; j < constraints.length; j++) push(table, constraints[j].Constraint);
    }
  }
  return out;
}

function computeSchemaFacts(input: SchemaFactsInput): SchemaFacts {
  const { statements } = input;
  const otherHalf = new Map<schemaModel.Section, TypeSetting[][]>();
  const otherHalfSettings = (section: schemaModel.Section) => {
    let list = otherHalf.get(section);
    if (!list) otherHalf.set(section, (list = otherHalfNodes(input, section).map(typeSettings)));
    return list;
  };
  // Statements by section, in order, and each statement's position: queries look at "the statements
  // before this one in its section" without scanning the whole file each time.
  const bySection = new Map<schemaModel.Section, Statement[]>();
  const position = new Map<Statement, number>();
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i];
    let list = bySection.get(s.section);
    if (!list) bySection.set(s.section, (list = []));
    position.set(s, list.length);
    list.push(s);
  }
  // The statements before `before` in its section are the first `position.get(before)` of its list.
  const sectionList = (before: Statement) => bySection.get(before.section) ?? [];
  // Relations each section creates, by name, with the position of the statement that creates them.
  const created = new Map<schemaModel.Section, Map<string, { relation: schemaAst.RelationRef; at: number }[]>>();
  const createdIn = (section: schemaModel.Section, name: string) => {
    let byName = created.get(section);
    if (!byName) {
      const names: Map<string, { relation: schemaAst.RelationRef; at: number }[]> = (byName = new Map());
      const list = bySection.get(section) ?? [];
      for (let i = 0; i < list.length; i++) {
        const relations = createdRelations(list[i]);
        // A table this section created and then renamed is as new under its new name.
        const renamed = renamedTable(list[i].node, (from) => (names.get(from.name) ?? []).some((c) => schemaAst.sameRelation(c.relation, from)));
        if (renamed) relations.push(renamed);
        for (let j = 0; j < relations.length; j++) {
          const relation = relations[j];
          const seen = byName.get(relation.name);
          if (seen) seen.push({ relation, at: i });
          else byName.set(relation.name, [{ relation, at: i }]);
        }
      }
      created.set(section, byName);
    }
    return byName.get(name) ?? [];
  };
  const matches = (setting: TypeSetting, table: schemaAst.RelationRef, column: string) => setting.column === column && schemaAst.sameRelation(setting.table, table);
  let history: schemaHistory.ColumnStates | undefined;
  const historyStates = () => (history ??= input.document && input.host ? schemaHistory.historyBefore(input.document, input.host) : new Map());
  const otherNodes = new Map<schemaModel.Section, (schemaModel.AstNode | undefined)[]>();
  const otherHalfOf = (section: schemaModel.Section) => {
    let nodes = otherNodes.get(section);
    if (!nodes) otherNodes.set(section, (nodes = otherHalfNodes(input, section)));
    return nodes;
  };
  let groupCreated: schemaAst.RelationRef[] | undefined;
  let transactions: FileFacts | undefined;
  const otherHalfMade = new Map<schemaModel.Section, { relations: Map<string, schemaAst.RelationRef[]>; indexes: Set<string> }>();
  const constraintAnswers = new Map<string, ConstraintSeen | undefined>();
  const constraintLists = new Map<schemaModel.Section, { s: Statement; position: number }[]>();
  const constraintStatements = (section: schemaModel.Section) => {
    let list = constraintLists.get(section);
    if (!list) {
      list = (bySection.get(section) ?? []).map((s, i) => ({ s, position: i })).filter(({ s }) => (s.kind === 'AlterTableStmt' || s.kind === 'CreateStmt') && constraintEvents(s).length > 0);
      constraintLists.set(section, list);
    }
    return list;
  };
  type ConstraintEvent = { table: schemaAst.RelationRef; added?: ConstraintSeen; dropped?: string };
  /** Per section: each constraint name's adds and drops, in statement and clause order (an add under that name, or a drop of it). */
  const eventsByName = new Map<schemaModel.Section, Map<string, { position: number; event: ConstraintEvent }[]>>();
  const constraintEventsByName = (section: schemaModel.Section) => {
    let byName = eventsByName.get(section);
    if (!byName) {
      byName = new Map();
      for (const { s, position } of constraintStatements(section)) {
        const events = constraintEvents(s);
        for (let i = 0; i < events.length; i++) {
          const event = events[i];
          const name = event.added !== undefined ? event.added.name : event.dropped;
          if (name === undefined) continue;
          let list = byName.get(name);
          if (!list) byName.set(name, (list = []));
          list.push({ position, event });
        }
      }
      eventsByName.set(section, byName);
    }
    return byName;
  };
  // The column states walk forward through each section (rules ask in statement order); asking about
  // an earlier statement starts the walk again.
  const cursors = new Map<schemaModel.Section, { state: schemaHistory.ColumnStates; next: number }>();
  /** The columns just before `before`: history, then (for a down) its up, then the section so far. */
  const stateBefore = (before: Statement) => {
    const target = position.get(before) ?? 0;
    let cursor = cursors.get(before.section);
    if (!cursor || cursor.next > target) {
      const state = schemaHistory.copyStates(historyStates());
      if (before.section.kind === 'down') {
        for (const node of otherHalfOf(before.section)) schemaHistory.replay(state, node);
        if (input.document && input.host) for (const node of schemaHistory.downPartsRunBefore(input.document, input.host)) schemaHistory.replay(state, node);
      }
      cursors.set(before.section, (cursor = { state, next: 0 }));
    }
    const list = bySection.get(before.section) ?? [];
    while (cursor.next < target) schemaHistory.replay(cursor.state, list[cursor.next++].node);
    return cursor.state;
  };

  const facts: SchemaFacts = {
    columnTypeBefore(table, column, before) {
      const known = stateBefore(before).get(table.name)?.get(column)?.type;
      if (known) return known;
      if (before.section.kind === 'up') {
        // The down undoes the up: its last type change of the column restores the type the up started from.
        return otherHalfSettings(before.section).flat().filter((t) => matches(t, table, column)).pop()?.type;
      }
      return undefined;
    },
    columnNotNullBefore(table, column, before) {
      return stateBefore(before).get(table.name)?.get(column)?.notNull;
    },
    columnNotNullCheckedBefore(table, column, before) {
      return stateBefore(before).get(table.name)?.get(column)?.notNullChecks?.some((c) => c.valid) ?? false;
    },
    tableCheckedBefore(table, before) {
      return stateBefore(before).get(table.name)?.get(schemaHistory.TABLE_CHECKS)?.notNullChecks?.some((c) => c.valid) ?? false;
    },
    otherHalfCreates(relation, section) {
      let made = otherHalfMade.get(section);
      if (!made) {
        // What the other half creates, by name, found once per section.
        made = { relations: new Map(), indexes: new Set() };
        for (const node of otherHalfOf(section)) {
          const created = schemaAst.relationOf(schemaAst.bodyOf(node, 'CreateStmt')?.relation) ?? schemaAst.relationOf(schemaAst.bodyOf(node, 'CreateTableAsStmt')?.into?.rel);
          if (created) made.relations.set(created.name, [...(made.relations.get(created.name) ?? []), created]);
          // A table it created and then renamed: made under its new name too.
          const renamed = renamedTable(node, (from) => (made!.relations.get(from.name) ?? []).some((r) => schemaAst.sameRelation(r, from)));
          if (renamed) made.relations.set(renamed.name, [...(made.relations.get(renamed.name) ?? []), renamed]);
          const index = schemaAst.bodyOf(node, 'IndexStmt');
          if (index?.idxname) made.indexes.add(index.idxname);
        }
        otherHalfMade.set(section, made);
      }
      return (made.relations.get(relation.name) ?? []).some((created) => schemaAst.sameRelation(created, relation)) || made.indexes.has(relation.name);
    },
    ownedByMigration(relation, statement) {
      const at = position.get(statement) ?? 0;
      if (createdIn(statement.section, relation.name).some((c) => c.at < at && schemaAst.sameRelation(c.relation, relation))) return true;
      if (statement.section.kind === 'down') return facts.otherHalfCreates(relation, statement.section);
      groupCreated ??= input.document && input.host ? schemaHistory.createdByEarlierParts(input.document, input.host) : [];
      return groupCreated.some((r) => schemaAst.sameRelation(r, relation));
    },
    lockHeldBefore(relation, mode, statement, pgVersion) {
      transactions ??= computeFacts(statements);
      const id = transactions.statements[statement.index]?.transactionId ?? -1;
      if (id < 0) return false;
      const list = sectionList(statement);
      const end = position.get(statement) ?? 0;
      for (let i = 0; i < end; i++) {
        const s = list[i];
        if (transactions.statements[s.index]?.transactionId !== id) continue;
        const taken = facts.locksOf(s, pgVersion).taken;
        for (let j = 0; j < taken.length; j++) {
          const t = taken[j];
          if (t.object && schemaAst.sameRelation(t.object, relation) && schemaLockTable.LOCK_MODES.every((m) => !schemaLockTable.conflicts(mode, m) || schemaLockTable.conflicts(t.mode, m))) return true;
        }
      }
      return false;
    },
    sessionTimeZoneUtcBefore(before) {
      let utc = false;
      let local = false;
      const list = sectionList(before);
      const end = position.get(before) ?? 0;
      for (let i = 0; i < end; i++) {
        const s = list[i];
        const set = schemaAst.bodyOf(s.node, 'VariableSetStmt');
        if (set?.name === 'timezone') {
          const value = schemaAst.constantOf(set.args?.[0]);
          utc = set.kind === 'VAR_SET_VALUE' && value !== undefined && schemaColumns.isUtcZone(value);
          local = Boolean(set.is_local);
        }
        const tx = schemaAst.bodyOf(s.node, 'TransactionStmt');
        if (local && (tx?.kind === 'TRANS_STMT_COMMIT' || tx?.kind === 'TRANS_STMT_ROLLBACK')) utc = local = false;
      }
      return utc;
    },
    otherHalfIndexTable(index, section) {
      for (const node of otherHalfOf(section)) {
        const create = schemaAst.bodyOf(node, 'IndexStmt');
        if (create?.idxname === index.name) return schemaAst.relationOf(create.relation);
      }
      return undefined;
    },
    constraintBefore(table, name, before) {
      // Several rules ask the same question about the same statement (through locksOf): answer once.
      const key = `${before.index}\u0000${table.schema ?? ''}\u0000${table.name}\u0000${name}`;
      if (constraintAnswers.has(key)) return constraintAnswers.get(key);
      let found: ConstraintSeen | undefined;
      // Only the events of constraints of that name (indexed once per section), in statement and clause
      // order, not every earlier statement: a long migration asks this for many of its statements.
      const at = position.get(before) ?? 0;
      const events = constraintEventsByName(before.section).get(name) ?? [];
      for (let i = 0; i < events.length; i++) {
        const { position: p, event } = events[i];
        if (p >= at) break;
        if (!schemaAst.sameRelation(event.table, table)) continue;
        found = event.added;
      }
      constraintAnswers.set(key, found);
      return found;
    },
    validatedChecksBefore(table, before) {
      // Every constraint of the table the section adds, validates or drops, in statement and clause
      // order (`DROP CONSTRAINT IF EXISTS c, ADD CONSTRAINT c ...` drops first, then adds). Only the
      // statements before `before` in its own section count: a down that re-adds the same name says
      // nothing about the up.
      const known = new Map<string, { name?: string; kind?: ConstraintKind; expr?: any; valid: boolean; statement: Statement }>();
      let unnamed = 0;
      const remember = (c: ConstraintSeen) => known.set(c.name ?? `\u0000${unnamed++}`, { name: c.name, kind: c.kind, expr: c.expr, valid: !c.notValid, statement: c.statement });
      const list = sectionList(before);
      const end = position.get(before) ?? 0;
      for (let i = 0; i < end; i++) {
        const s = list[i];
        const alter = schemaAst.bodyOf(s.node, 'AlterTableStmt');
        if (!alter) {
          const added = constraintsAddedBy(s);
          for (let j = 0; j < added.length; j++) if (schemaAst.sameRelation(added[j].table, table)) remember(added[j]);
          continue;
        }
        const alterTable = schemaAst.relationOf(alter.relation);
        if (!alterTable || !schemaAst.sameRelation(alterTable, table)) continue;
        const cmds = alter.cmds ?? [];
        for (let j = 0; j < cmds.length; j++) {
          const cmd = cmds[j].AlterTableCmd;
          if (cmd?.subtype === 'AT_AddConstraint' || cmd?.subtype === 'AT_AddColumn') {
            const added = constraintsAddedBy(s, cmd);
            for (let k = 0; k < added.length; k++) remember(added[k]);
          } else if (cmd?.subtype === 'AT_ValidateConstraint' && cmd.name) {
            const existing = known.get(cmd.name);
            // A constraint this section did not add was added by an earlier migration: its expression is unknown.
            if (existing) existing.valid = true;
            else known.set(cmd.name, { name: cmd.name, valid: true, statement: s });
          } else if (cmd?.subtype === 'AT_DropConstraint' && cmd.name) {
            known.delete(cmd.name);
          }
        }
      }
      return [...known.values()].filter((c) => c.valid && (c.kind === undefined || c.kind === 'check')).map(({ name, expr, statement }) => ({ name, expr, statement }));
    },
    indexCreatedBefore(index, before) {
      const list = sectionList(before);
      const end = position.get(before) ?? 0;
      for (let i = 0; i < end; i++) {
        const create = schemaAst.bodyOf(list[i].node, 'IndexStmt');
        if (create?.idxname && create.idxname === index.name && (index.schema === undefined || create.relation?.schemaname === undefined || create.relation.schemaname === index.schema)) {
          return schemaAst.relationOf(create.relation);
        }
      }
      return undefined;
    },
    lockKnowledge(statement) {
      return {
        columnTypeBefore: (table, column) => facts.columnTypeBefore(table, column, statement),
        constraint: (table, name) => {
          const c = facts.constraintBefore(table, name, statement);
          return c ? { kind: c.kind, referenced: c.referenced } : undefined;
        },
        sessionTimeZoneUtc: () => facts.sessionTimeZoneUtcBefore(statement),
        notNullProvenByCheck: (table, column) => facts.validatedChecksBefore(table, statement).some((c) => c.expr === undefined || schemaColumns.checkProvesNotNull(c.expr, column)),
      };
    },
    locksOf(statement, pgVersion) {
      // Several rules ask for the locks of every statement.
      const key = `${pgVersion}`;
      let byVersion = locksMemo.get(statement);
      if (!byVersion) locksMemo.set(statement, (byVersion = new Map()));
      let locks = byVersion.get(key);
      if (!locks) byVersion.set(key, (locks = schemaLockTable.locksOf(statement, pgVersion, facts.lockKnowledge(statement))));
      return locks;
    },
  };
  const locksMemo = new Map<Statement, Map<string, schemaLocks.StatementLocks>>();
  return facts;
}

/** Constraints a statement adds and drops, in clause order (`DROP CONSTRAINT IF EXISTS c, ADD CONSTRAINT c ...` drops, then adds). */
const constraintEventMemo = new KeyedMemo<Statement, { table: schemaAst.RelationRef; added?: ConstraintSeen; dropped?: string }[]>('constraintEventMemo');

function constraintEvents(s: Statement): { table: schemaAst.RelationRef; added?: ConstraintSeen; dropped?: string }[] {
  let events = constraintEventMemo.get(s);
  if (!events) constraintEventMemo.set(s, (events = computeConstraintEvents(s)));
  return events;
}

function computeConstraintEvents(s: Statement): { table: schemaAst.RelationRef; added?: ConstraintSeen; dropped?: string }[] {
  const alter = schemaAst.bodyOf(s.node, 'AlterTableStmt');
  const table = schemaAst.relationOf(alter?.relation);
  if (!alter || !table) return constraintsAddedBy(s).map((added) => ({ table: added.table, added }));
  const out: { table: schemaAst.RelationRef; added?: ConstraintSeen; dropped?: string }[] = [];
  const cmds = alter.cmds ?? [];
  for (let i = 0; i < cmds.length; i++) {
    const cmd = cmds[i].AlterTableCmd;
    if (cmd?.subtype === 'AT_DropConstraint' && cmd.name) out.push({ table, dropped: cmd.name });
    else if (cmd) {
      const added = constraintsAddedBy(s, cmd);
      for (let j = 0; j < added.length; j++) out.push({ table, added: added[j] });
    }
  }
  return out;
}
// ── end of schema facts ──────────────────────────────────────────────────────────────────────────
