// What the migrations before this one left behind: the type and NOT NULL state of each column, replayed
// from the up sections of the earlier migrations in the same folder (CREATE TABLE, ADD / DROP COLUMN,
// ALTER COLUMN TYPE, SET / DROP NOT NULL, PRIMARY KEY, renames). The lock rules use it to tell a real
// type change from one that re-declares the type a column already has (fizz and other generators emit
// those), and a SET NOT NULL on a column that already is NOT NULL (a no-op) from one that scans.
// Read through the host, only when a rule asks; each earlier file is read and parsed once per process.

import { basenameOf, childPath, dirnameOf, resolvedPath } from './paths';
import { describeLike } from './formats/index';
import { sqitchPlanText } from './formats/sqitch';
import type { ProjectHost } from './host';
import type { AstNode, MigrationDocument, Section } from './model';
import { bodyOf, relationOf, typeNameOf, type RelationRef } from './sql/ast';
import type { TypeInfo } from './sql/columns';
import { identifierOf, isComment, wordOf, type Token } from './sql/lexer';
import { parseSectionStatement } from './sql/placeholders';
import { splitStatements } from './sql/split';
import { compareVersions } from './versions';
import { KeyedMemo } from './memo';
import { viewEventsOf, viewStatementKind, type ViewEvent } from './views';
import { TableIndexes } from './indexes';

export interface ColumnState {
  type?: TypeInfo;
  notNull?: boolean;
  /** Named CHECK constraints that prove the column NOT NULL (`CHECK (col IS NOT NULL)`), and whether each is validated. */
  notNullChecks?: readonly { name: string; valid: boolean }[];
}

/** Column states by table name, then column name. */
export type ColumnStates = Map<string, Map<string, ColumnState>>;

/**
 * The key, among a table's columns, of its named CHECK constraints whatever they test (in
 * `notNullChecks`, with whether each is validated): no column can have this name.
 */
export const TABLE_CHECKS = '\u0000checks';

/** The columns as the earlier migrations of the folder left them, before `document` runs. */
export function historyBefore(document: MigrationDocument, host: ProjectHost): ColumnStates {
  if (document.version === undefined || document.role === 'repeatable') return new Map();
  return folderHistory(document, host).before(document) ?? replayedHistoryBefore(document, host);
}

/** The same states, by replaying every earlier migration of the folder (the incremental history's reference and fallback). */
export function replayedHistoryBefore(document: MigrationDocument, host: ProjectHost): ColumnStates {
  const tables: ColumnStates = new Map();
  if (document.version === undefined || document.role === 'repeatable') return tables;
  for (const m of earlierMigrations(document, host)) for (const node of m.upNodes) replay(tables, node);
  return tables;
}

/**
 * The maps of columns a states map made itself since it was last copied: those it may change in
 * place. The others it shares with its copies, and changes in a copy (see `copyStates`).
 */
const ownColumns = new KeyedMemo<ColumnStates, Set<Map<string, ColumnState>>>('ownColumns');

/**
 * A copy that replaying more statements does not change the original (nor the original the copy).
 * Only the map of tables is copied: the two share each table's columns until one of them changes the
 * table, which `replay` then does in a copy of its columns. Every file asks for the history before
 * it, most of them about a column or two: copying every column of the folder each time cost more
 * than answering.
 */
export function copyStates(states: ColumnStates): ColumnStates {
  ownColumns.delete(states);
  return new Map(states);
}

/** Applies one statement to the column states, keyed by table name (schemas are rarely mixed in one folder). */
export function replay(tables: ColumnStates, node: AstNode | undefined): void {
  const columnsOf = (table: RelationRef | undefined) => {
    if (!table) return undefined;
    let own = ownColumns.get(tables);
    if (!own) ownColumns.set(tables, (own = new Set()));
    let columns = tables.get(table.name);
    if (!columns || !own.has(columns)) {
      // Missing, or shared with a copy of the states: a new map of its own.
      columns = new Map(columns);
      own.add(columns);
      tables.set(table.name, columns);
    }
    return columns;
  };
  const create = bodyOf(node, 'CreateStmt');
  if (create) {
    const table = relationOf(create.relation);
    if (!table) return;
    tables.delete(table.name);
    const columns = columnsOf(table)!;
    for (const e of create.tableElts ?? []) {
      const def = e.ColumnDef;
      if (def?.colname) columns.set(def.colname, { type: typeNameOf(def.typeName), notNull: declaresNotNull(def) });
      if (e.Constraint?.contype === 'CONSTR_PRIMARY') for (const k of e.Constraint.keys ?? []) markNotNull(columns, k.String?.sval);
      if (e.Constraint?.contype === 'CONSTR_CHECK') addNotNullCheck(columns, e.Constraint, true);
    }
    return;
  }
  const alter = bodyOf(node, 'AlterTableStmt');
  if (alter && (alter.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
    const columns = columnsOf(relationOf(alter.relation));
    if (!columns) return;
    for (const c of alter.cmds ?? []) {
      const cmd = c.AlterTableCmd;
      const def = cmd?.def?.ColumnDef;
      switch (cmd?.subtype) {
        case 'AT_AddColumn':
          if (def?.colname) columns.set(def.colname, { type: typeNameOf(def.typeName), notNull: declaresNotNull(def) });
          break;
        case 'AT_DropColumn':
          if (cmd.name) columns.delete(cmd.name);
          break;
        case 'AT_AlterColumnType':
          if (cmd.name) columns.set(cmd.name, { ...columns.get(cmd.name), type: typeNameOf(def?.typeName) });
          break;
        case 'AT_SetNotNull':
          markNotNull(columns, cmd.name);
          break;
        case 'AT_DropNotNull':
          if (cmd.name) columns.set(cmd.name, { ...columns.get(cmd.name), notNull: false });
          break;
        case 'AT_AddConstraint':
          if (cmd.def?.Constraint?.contype === 'CONSTR_PRIMARY') for (const k of cmd.def.Constraint.keys ?? []) markNotNull(columns, k.String?.sval);
          if (cmd.def?.Constraint?.contype === 'CONSTR_NOTNULL' && !cmd.def.Constraint.skip_validation) for (const k of cmd.def.Constraint.keys ?? []) markNotNull(columns, k.String?.sval);
          if (cmd.def?.Constraint?.contype === 'CONSTR_CHECK') addNotNullCheck(columns, cmd.def.Constraint, !cmd.def.Constraint.skip_validation);
          break;
        case 'AT_ValidateConstraint':
          if (cmd.name) updateNotNullChecks(columns, cmd.name, (c) => ({ name: c.name, valid: true }));
          break;
        case 'AT_DropConstraint':
          if (cmd.name) updateNotNullChecks(columns, cmd.name, () => undefined);
          break;
      }
    }
    return;
  }
  const rename = bodyOf(node, 'RenameStmt');
  if (rename?.renameType === 'OBJECT_TABLE') {
    const table = relationOf(rename.relation);
    if (table && tables.has(table.name) && rename.newname) {
      tables.set(rename.newname, tables.get(table.name)!);
      tables.delete(table.name);
    }
  } else if (rename?.renameType === 'OBJECT_COLUMN') {
    const columns = columnsOf(relationOf(rename.relation));
    if (columns && rename.subname && rename.newname && columns.has(rename.subname)) {
      columns.set(rename.newname, columns.get(rename.subname)!);
      columns.delete(rename.subname);
    }
  }
  const drop = bodyOf(node, 'DropStmt');
  if (drop?.removeType === 'OBJECT_TABLE') {
    for (const o of drop.objects ?? []) {
      const items = o.List?.items ?? [];
      const name = items[items.length - 1]?.String?.sval;
      if (name) tables.delete(name);
    }
  }
}

function declaresNotNull(def: any): boolean {
  return Boolean(def.is_not_null) || (def.constraints ?? []).some((c: any) => c.Constraint?.contype === 'CONSTR_NOTNULL' || c.Constraint?.contype === 'CONSTR_PRIMARY' || c.Constraint?.contype === 'CONSTR_IDENTITY');
}

/** A named `CHECK (col IS NOT NULL [AND ...])`: remembered on each column it proves NOT NULL (SET NOT NULL then skips its scan on 12+ once it is validated). */
function addNotNullCheck(columns: Map<string, ColumnState>, constraint: any, valid: boolean): void {
  const name: string | undefined = constraint.conname;
  if (!name) return;
  for (const column of [TABLE_CHECKS, ...provedNotNull(constraint.raw_expr)]) {
    const state = columns.get(column) ?? {};
    columns.set(column, { ...state, notNullChecks: [...(state.notNullChecks ?? []).filter((c) => c.name !== name), { name, valid }] });
  }
}

/** Validates (`change` returns the check) or drops (undefined) the CHECK constraint `name` on every column holding it. */
function updateNotNullChecks(columns: Map<string, ColumnState>, name: string, change: (c: { name: string; valid: boolean }) => { name: string; valid: boolean } | undefined): void {
  for (const [column, state] of columns) {
    if (!state.notNullChecks?.some((c) => c.name === name)) continue;
    const checks = state.notNullChecks.map((c) => (c.name === name ? change(c) : c)).filter((c): c is { name: string; valid: boolean } => c !== undefined);
    columns.set(column, { ...state, notNullChecks: checks });
  }
}

/** The columns an expression proves NOT NULL: `col IS NOT NULL`, alone or in an AND. */
function provedNotNull(expr: any): string[] {
  if (expr?.NullTest?.nulltesttype === 'IS_NOT_NULL') {
    const fields = expr.NullTest.arg?.ColumnRef?.fields;
    const last = Array.isArray(fields) ? fields[fields.length - 1]?.String?.sval : undefined;
    return typeof last === 'string' ? [last] : [];
  }
  if (expr?.BoolExpr?.boolop === 'AND_EXPR') return (expr.BoolExpr.args ?? []).flatMap(provedNotNull);
  return [];
}

function markNotNull(columns: Map<string, ColumnState>, name: string | undefined): void {
  if (name) columns.set(name, { ...columns.get(name), notNull: true });
}

// ── Ory pop multi-part migrations ─────────────────────────────────────────────────────────────────

const POP_PART = /^(\d{14})(\d{6})_(.+?)(\.[a-z0-9]+)?\.(up|down)\.sql$/i;

/**
 * Relations created by the earlier parts of the same pop multi-part migration (one change split into
 * numbered files: same 14-digit timestamp, description and dialect, deployed together): a table the
 * part before created is as new as one created earlier in the same file.
 */
export function createdByEarlierParts(document: MigrationDocument, host: ProjectHost): RelationRef[] {
  if (document.format !== 'golang-migrate') return [];
  const own = POP_PART.exec(basenameOf(document.path));
  if (!own) return [];
  const dir = dirnameOf(document.path);
  const parts = popPartsOf(host.readDirectory(dir), own[1]);
  let byParts = upPartsMemo.get(host);
  if (!byParts) upPartsMemo.set(host, (byParts = new WeakMap()));
  let groups = byParts.get(parts);
  if (!groups) byParts.set(parts, (groups = new Map()));
  // Every up part of a group asks about the parts before it: each part is read once per host.
  const key = `${own[3]}\u0000${(own[4] ?? '').toLowerCase()}`;
  let ups = groups.get(key);
  if (!ups) {
    ups = [];
    for (const { name, m } of parts) {
      if (m[3] !== own[3] || (m[4] ?? '').toLowerCase() !== (own[4] ?? '').toLowerCase() || m[5].toLowerCase() !== 'up') continue;
      const created: RelationRef[] = [];
      const file = childPath(dir, name);
      const text = host.readFile(file);
      for (const node of (text === undefined ? undefined : describeOnce(file, text, host, document)?.upNodes) ?? []) {
        const relation = relationOf(bodyOf(node, 'CreateStmt')?.relation) ?? relationOf(bodyOf(node, 'CreateTableAsStmt')?.into?.rel);
        if (relation) created.push(relation);
      }
      ups.push({ part: m[2], created });
    }
    groups.set(key, ups);
  }
  const out: RelationRef[] = [];
  for (const { part, created } of ups) if (part < own[2]) out.push(...created);
  return out;
}

/** By host, then by a listing's parts of one timestamp, then by description and dialect: the group's up parts in order, with the relations each creates. */
const upPartsMemo = new WeakMap<ProjectHost, WeakMap<readonly { name: string; m: RegExpExecArray }[], Map<string, { part: string; created: RelationRef[] }[]>>>();

/**
 * For a down part of a pop multi-part migration: the statements of the down parts that run before it
 * (pop rolls a group back from its last part to its first), in the order they run.
 */
export function downPartsRunBefore(document: MigrationDocument, host: ProjectHost): (AstNode | undefined)[] {
  if (document.format !== 'golang-migrate' || document.role !== 'down') return [];
  const own = POP_PART.exec(basenameOf(document.path));
  if (!own) return [];
  const dir = dirnameOf(document.path);
  const out: (AstNode | undefined)[] = [];
  for (const { name, m } of [...popPartsOf(host.readDirectory(dir), own[1])].reverse()) {
    if (m[3] !== own[3] || (m[4] ?? '').toLowerCase() !== (own[4] ?? '').toLowerCase() || m[5].toLowerCase() !== 'down' || m[2] <= own[2]) continue;
    const file = childPath(dir, name);
    const text = host.readFile(file);
    if (text === undefined) continue;
    const doc = describeLike(file, text, host, document);
    for (const section of doc.sections) {
      for (const raw of splitStatements(section.source, section.span.start, section.span.end).statements) {
        out.push(raw.unterminated ? undefined : parseSectionStatement(section, section.source.slice(raw.span.start, raw.span.end), raw.span.start).nodes[0]);
      }
    }
  }
  return out;
}

const popPartIndexes = new WeakMap<string[], Map<string, { name: string; m: RegExpExecArray }[]>>();

/** The pop part files of a directory listing with the given timestamp, sorted by name (the listing is indexed once). */
function popPartsOf(names: string[] | undefined, timestamp: string): readonly { name: string; m: RegExpExecArray }[] {
  if (!names) return [];
  let index = popPartIndexes.get(names);
  if (!index) {
    index = new Map();
    for (const name of [...names].sort()) {
      const m = POP_PART.exec(name);
      if (!m) continue;
      let list = index.get(m[1]);
      if (!list) index.set(m[1], (list = []));
      list.push({ name, m });
    }
    popPartIndexes.set(names, index);
  }
  return index.get(timestamp) ?? [];
}

// ── Earlier migrations, read once per process ─────────────────────────────────────────────────────

interface EarlierMigration {
  version: string;
  /** The up statements, in order: the tree of each one the history reads (see `readByHistory`), undefined for the others. */
  upNodes: (AstNode | undefined)[];
  /** Its up statements that matter to views (views.ts), in order, found on first use. */
  viewSteps: ViewStep[];
  /** Its up statements that matter to indexes (indexes.ts) and that the history does not parse, in order, found on first use (a second split: `indexStepsOf`). */
  indexSteps: IndexStep[] | undefined;
  /** The file's whole text, lower-cased on first use: a name it does not contain is not touched by it (the index lookups skip it unparsed). */
  lowerText: string;
}

const MAX_MEMO = 20_000;
const memo = new Map<string, { text: string; migration: EarlierMigration | undefined }>();

function earlierMigrations(document: MigrationDocument, host: ProjectHost): EarlierMigration[] {
  const out: EarlierMigration[] = [];
  for (const file of siblingFiles(document, host)) {
    if (resolvedPath(file) === resolvedPath(document.path) || file === document.companionPath) continue;
    const text = host.readFile(file);
    if (text === undefined) continue;
    const migration = describeOnce(file, text, host, document);
    if (migration && compareVersions(migration.version, document.version!) < 0) out.push(migration);
  }
  return out.sort((a, b) => compareVersions(a.version, b.version));
}

function describeOnce(file: string, text: string, host: ProjectHost, like: MigrationDocument): EarlierMigration | undefined {
  // A sqitch script's version is its place in sqitch.plan: a changed plan is a changed description.
  const stamp = like.format === 'sqitch' ? `${text}\u0000${sqitchPlanText(file, host) ?? ''}` : text;
  const hit = memo.get(file);
  if (hit && hit.text === stamp) return hit.migration;
  let migration: EarlierMigration | undefined;
  try {
    const doc = describeLike(file, text, host, like);
    if (doc.version !== undefined && !doc.dialect && doc.role !== 'down' && doc.role !== 'repeatable' && doc.role !== 'verify') {
      // The version is needed to order the folder; the statements only when a history reaches this
      // migration (a file early in a big folder needs few of them), so they are parsed on first use.
      let upNodes: (AstNode | undefined)[] | undefined;
      let viewSteps: ViewStep[] | undefined;
      let indexSteps: IndexStep[] | null | undefined;
      let lowerText: string | undefined;
      const scan = () => {
        const scanned = upStatements(doc);
        upNodes = scanned.nodes;
        viewSteps = scanned.viewSteps;
      };
      migration = {
        version: doc.version,
        get upNodes() {
          if (!upNodes) scan();
          return upNodes!;
        },
        get viewSteps() {
          if (!viewSteps) scan();
          return viewSteps!;
        },
        get indexSteps() {
          if (indexSteps === undefined) indexSteps = indexStepsOf(doc) ?? null;
          return indexSteps ?? undefined;
        },
        get lowerText() {
          return (lowerText ??= text.toLowerCase());
        },
      };
    }
  } catch {
    migration = undefined;
  }
  if (memo.size >= MAX_MEMO) memo.delete(memo.keys().next().value as string);
  memo.set(file, { text: stamp, migration });
  return migration;
}

/** One split of a migration's up sections: the trees the history reads, and the statements that matter to views. */
function upStatements(doc: MigrationDocument): { nodes: (AstNode | undefined)[]; viewSteps: ViewStep[] } {
  const nodes: (AstNode | undefined)[] = [];
  const viewSteps: ViewStep[] = [];
  try {
    for (const section of doc.sections) {
      if (section.kind !== 'up') continue;
      for (const raw of splitStatements(section.source, section.span.start, section.span.end).statements) {
        const read = !raw.unterminated && readByHistory(section.source, raw.tokens);
        const at = nodes.length;
        nodes.push(read ? parseSectionStatement(section, section.source.slice(raw.span.start, raw.span.end), raw.span.start).nodes[0] : undefined);
        if (!raw.unterminated) addViewStep(viewSteps, section, raw.span, raw.tokens, at);
      }
    }
  } catch {
    // Neither throws on user input; a migration that could not be read replays nothing.
    return { nodes: [], viewSteps: [] };
  }
  return { nodes, viewSteps };
}

/**
 * The index steps of a migration's up (see `IndexStep`), by a split of its up sections of their own,
 * made only when an index lookup reaches a migration whose text names the table: the history's split
 * (every migration, every file) does not pay for them, and a table statement is parsed only when its
 * text names the table (the history's trees of the whole migration are not needed). Undefined when the
 * up sections cannot be split.
 */
function indexStepsOf(doc: MigrationDocument): IndexStep[] | undefined {
  const steps: IndexStep[] = [];
  try {
    for (const section of doc.sections) {
      if (section.kind !== 'up') continue;
      for (const raw of splitStatements(section.source, section.span.start, section.span.end).statements) {
        if (raw.unterminated) continue;
        const text = () => section.source.slice(raw.span.start, raw.span.end);
        if (readByHistory(section.source, raw.tokens)) {
          const lower = text().toLowerCase();
          if (TABLE_STEP.test(lower)) steps.push({ kind: 'table', text: text(), start: raw.span.start, lower, section });
          continue;
        }
        const first: string[] = [];
        for (const token of raw.tokens) {
          if (isComment(token)) continue;
          if (token.kind !== 'word' || first.length === 5) break;
          first.push(wordOf(section.source, token));
        }
        const kind = indexStepKind(first) ?? (isRoutine(first) ? 'routine' : undefined);
        if (kind) steps.push({ kind, text: text(), start: raw.span.start, section });
      }
    }
  } catch {
    return undefined;
  }
  return steps;
}

/**
 * The words without which a table statement cannot change a table's indexes or name: CREATE / DROP /
 * RENAME (the table, a column, a constraint), PRIMARY KEY, UNIQUE, EXCLUDE, LIKE, INHERITS, PARTITION,
 * an index named by ALTER TABLE. ADD COLUMN, ALTER COLUMN TYPE, SET NOT NULL and the like keep them.
 */
const TABLE_STEP = /create|drop|rename|primary|unique|exclude|like|inherits|partition|index/;

/**
 * A statement of a migration's up that may change a table's indexes: a table statement with a word that
 * can ('table', see TABLE_STEP), CREATE [UNIQUE] INDEX, DROP INDEX or ALTER INDEX ('index'), each parsed
 * on first use, only when its text names the table or one of its indexes (one that does not parse
 * then makes the answer unknown); a DO block ('opaque': when its text names the table, what it did
 * cannot be told); a function or procedure whose
 * text names the table and an index or key ('routine': a call may build or drop it, unseen).
 */
interface IndexStep {
  kind: 'table' | 'index' | 'opaque' | 'routine';
  text: string;
  /** Where `text` starts in the section's source. */
  start: number;
  section: Section;
  /** The lower-cased text, on first use. */
  lower?: string;
  /** Its tree once parsed (null: it did not parse). */
  node?: AstNode | null;
}

/** The kind of index step of a statement starting with these words, if any. */
function indexStepKind(first: readonly string[]): IndexStep['kind'] | undefined {
  const [a, b, c] = first;
  if (a === 'create') return b === 'index' || (b === 'unique' && c === 'index') ? 'index' : undefined;
  if (a === 'drop' || a === 'alter') return b === 'index' ? 'index' : undefined;
  return a === 'do' ? 'opaque' : undefined;
}

/** CREATE [OR REPLACE] FUNCTION or PROCEDURE: a routine that a later call may run, index statements and all. */
function isRoutine(first: readonly string[]): boolean {
  const kind = first[1] === 'or' ? first[3] : first[1];
  return first[0] === 'create' && (kind === 'function' || kind === 'procedure');
}

/**
 * The indexes of `table` before `document` runs, replayed from the earlier migrations of the folder:
 * from the CREATE TABLE that made it (under the name it had then, following renames backwards) to the
 * end. Undefined when the history cannot tell: the table was not created in the folder (or was
 * dropped since), a statement about it did not parse or ran in a DO block, or it was made in a way
 * indexes.ts does not follow. Asked only for a foreign key on a table that existed before the file;
 * the index statements are parsed only when their text names the table or one of its indexes.
 */
export function indexesBefore(document: MigrationDocument, host: ProjectHost, table: string, schema?: string): TableIndexes | undefined {
  if (document.version === undefined || document.role === 'repeatable') return undefined;
  const history = folderHistory(document, host);
  const prefix = history.earlier(document);
  const migrations = prefix ?? earlierMigrations(document, host);
  // The folder's words, to go straight to the migrations that name the table (else every one's text is searched).
  const words = prefix ? wordsOf(history) : undefined;
  const mentions = (n: string) => (words && WORD_NAME.test(n) ? (words.get(n) ?? []) : undefined);
  let name = table;
  let from: { migration: number; step: number } | undefined;
  search: for (let i = migrations.length - 1; i >= 0; i--) {
    const lower = name.toLowerCase();
    const list = mentions(lower);
    if (list) {
      // The last migration at or before i that names it.
      const at = lastAtOrBefore(list, i);
      if (at < 0) break;
      i = at;
    }
    const m = migrations[i];
    if (!m.lowerText.includes(lower)) continue;
    const steps = m.indexSteps;
    if (!steps) return undefined;
    for (let k = steps.length - 1; k >= 0; k--) {
      const step = steps[k];
      if (step.kind !== 'table' || !step.lower!.includes(name.toLowerCase())) continue;
      const node = nodeOf(step);
      if (!node) return undefined; // a statement naming it that did not parse
      const created = relationOf(bodyOf(node, 'CreateStmt')?.relation);
      if (created?.name === name) {
        // A table of that name in another schema: not the one asked about (both schemas written).
        if (schema !== undefined && created.schema !== undefined && created.schema !== schema) return undefined;
        from = { migration: i, step: k };
        break search;
      }
      if (relationOf(bodyOf(node, 'CreateTableAsStmt')?.into?.rel)?.name === name) return undefined;
      const rename = bodyOf(node, 'RenameStmt');
      if (rename?.renameType === 'OBJECT_TABLE' && rename.newname === name) {
        const old = relationOf(rename.relation)?.name;
        if (!old) return undefined;
        name = old;
      }
      const drop = bodyOf(node, 'DropStmt');
      if (drop?.removeType === 'OBJECT_TABLE' && (drop.objects ?? []).some((o: any) => o.List?.items?.[o.List.items.length - 1]?.String?.sval === name)) return undefined;
    }
  }
  if (!from) return undefined;
  const state = new TableIndexes(name);
  for (let i = from.migration; i < migrations.length; i++) {
    if (i !== from.migration && words) {
      // The next migration that names the table or one of its indexes.
      let next = migrations.length;
      for (const n of state.names()) {
        const list = mentions(n);
        if (!list) {
          next = i;
          break;
        }
        next = Math.min(next, firstAtOrAfter(list, i));
      }
      if (next >= migrations.length) break;
      i = next;
    }
    const m = migrations[i];
    // Most migrations name neither the table nor its indexes: skipped without a look at their statements.
    if (i !== from.migration && !mayTouch(m, state)) continue;
    const steps = m.indexSteps;
    if (!steps) return undefined;
    for (let k = i === from.migration ? from.step : 0; k < steps.length; k++) {
      applyIndexStep(state, steps[k]);
      if (state.unknown) return undefined;
    }
  }
  return state;
}

/**
 * Whether a migration after `document` in its folder builds an index on `table` whose leading columns
 * are `columns` (in any order; an expression among them counts): an index the next migration builds
 * CONCURRENTLY (what the fix writes), a later part of a pop multi-part migration, a fix that came later.
 * Read from the later migrations' text (`laterIndexesOf`: CREATE INDEX statements and table renames
 * found by pattern, once per folder), so that asking costs no parse: an index dropped again later, or
 * one in a comment, still counts, which only ever keeps a finding away.
 */
export function indexedLater(document: MigrationDocument, host: ProjectHost, table: string, columns: readonly string[]): boolean {
  if (document.version === undefined || document.role === 'repeatable') return false;
  const history = folderHistory(document, host);
  const entries = history.entries;
  const total = history.ordersTotally(document.version);
  // The entries are sorted by version: the first one after the file's (from the start when
  // compareVersions is no total order here: each is then compared below).
  const lo = total ? history.countBefore(document.version, true) : 0;
  const index = laterIndexesOf(history);
  const own = resolvedPath(document.path);
  const wanted = columns.map((c) => c.toLowerCase());
  // The table under the names later renames give it.
  const names = [table.toLowerCase()];
  for (let k = 0; k < names.length; k++) for (const r of index.renames.get(names[k]) ?? []) if (r.entry >= lo && !names.includes(r.to)) names.push(r.to);
  for (const name of names) {
    for (const i of index.indexes.get(name) ?? []) {
      if (i.entry < lo || resolvedPath(entries[i.entry].file) === own || entries[i.entry].file === document.companionPath) continue;
      if (!total && compareVersions(entries[i.entry].migration.version, document.version) <= 0) continue;
      const columns = (i.columns ??= leadingColumns(entries[i.entry].migration.lowerText, i.at));
      if (columns.length < wanted.length) continue;
      const lead = columns.slice(0, wanted.length);
      if (lead.every((c) => c === undefined || wanted.includes(c))) return true;
    }
  }
  return false;
}

interface LaterIndexes {
  /** By lower-cased table name: the indexes built on it, by entry, where their key columns start in its lower-cased text, and those columns once asked for (undefined: an expression). */
  indexes: Map<string, { entry: number; at: number; columns?: (string | undefined)[] }[]>;
  /** By lower-cased table name: the names it was renamed to, by entry. */
  renames: Map<string, { entry: number; to: string }[]>;
}

const laterIndexes = new WeakMap<FolderHistory, LaterIndexes>();
const NAME = String.raw`(?:"[^"]+"|[a-z_][\w$]*)`;
const QUALIFIED = String.raw`${NAME}(?:\s*\.\s*${NAME})?`;
const CREATE_INDEX = new RegExp(String.raw`\bcreate\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?(?:${QUALIFIED}\s+)?on\s+(?:only\s+)?(${QUALIFIED})\s*(?:using\s+[a-z_]+\s*)?\(`, 'g');
const RENAME_TABLE = new RegExp(String.raw`\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(${QUALIFIED})\s+rename\s+to\s+(${NAME})`, 'g');

/** The last part of a (lower-cased) qualified name, unquoted. */
function lastName(qualified: string): string {
  if (qualified.endsWith('"')) return qualified.slice(qualified.lastIndexOf('"', qualified.length - 2) + 1, -1);
  return qualified.slice(qualified.lastIndexOf('.') + 1).trim();
}

const KEY_COLUMN = new RegExp(String.raw`^(${NAME})(?:\s|$)`);

/** The indexes and table renames of a folder's migrations, found in their lower-cased text once per folder history. */
function laterIndexesOf(history: FolderHistory): LaterIndexes {
  let found = laterIndexes.get(history);
  if (found) return found;
  found = { indexes: new Map(), renames: new Map() };
  const entries = history.entries;
  for (let e = 0; e < entries.length; e++) {
    const text = entries[e].migration.lowerText;
    if (!text.includes('index') && !text.includes('rename')) continue;
    for (const m of text.matchAll(CREATE_INDEX)) {
      const table = lastName(m[1]);
      let list = found.indexes.get(table);
      if (!list) found.indexes.set(table, (list = []));
      list.push({ entry: e, at: m.index! + m[0].length });
    }
    for (const m of text.matchAll(RENAME_TABLE)) {
      const from = lastName(m[1]);
      let list = found.renames.get(from);
      if (!list) found.renames.set(from, (list = []));
      list.push({ entry: e, to: lastName(m[2]) });
    }
  }
  laterIndexes.set(history, found);
  return found;
}

/** The key columns of an index from just after its opening parenthesis: a plain (or quoted) name each, undefined for an expression. */
function leadingColumns(text: string, from: number): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < text.length && i < from + 2000; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if ((c === ',' || c === ')') && depth === 0) {
      const item = text.slice(start, i).trim();
      const m = KEY_COLUMN.exec(item);
      out.push(m ? (m[1].startsWith('"') ? m[1].slice(1, -1) : m[1]) : undefined);
      if (c === ')') break;
      start = i + 1;
    } else if (c === ';') break;
  }
  return out;
}

/** A name that the folder's word index holds (`wordsOf`): lower-case letters, digits, _ and $. */
const WORD_NAME = /^[a-z_][a-z0-9_$]*$/;
const WORD = /[a-z_][a-z0-9_$]*/g;
const folderWords = new WeakMap<FolderHistory, Map<string, number[]>>();

/** By word of the folder's lower-cased texts, the entries that hold it (ascending), made once per folder history. */
function wordsOf(history: FolderHistory): Map<string, number[]> {
  let words = folderWords.get(history);
  if (words) return words;
  words = new Map();
  const entries = history.entries;
  for (let e = 0; e < entries.length; e++) {
    for (const m of entries[e].migration.lowerText.matchAll(WORD)) {
      const list = words.get(m[0]);
      if (!list) words.set(m[0], [e]);
      else if (list[list.length - 1] !== e) list.push(e);
    }
  }
  folderWords.set(history, words);
  return words;
}

/** The last value of an ascending list at or before `i`, or -1. */
function lastAtOrBefore(list: readonly number[], i: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? list[lo - 1] : -1;
}

/** The first value of an ascending list at or after `i`, or Infinity. */
function firstAtOrAfter(list: readonly number[], i: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < i) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length ? list[lo] : Infinity;
}

/** False when a migration's text names neither the table nor its indexes: its statements cannot change them (it is not even parsed). */
function mayTouch(m: EarlierMigration, state: TableIndexes): boolean {
  const names = state.names();
  const text = m.lowerText;
  for (let i = 0; i < names.length; i++) if (text.includes(names[i])) return true;
  return false;
}

/** An index step, applied when its text names the table or one of its indexes. */
function applyIndexStep(state: TableIndexes, step: IndexStep): void {
  const lower = (step.lower ??= step.text.toLowerCase());
  if (!state.names().some((n) => lower.includes(n))) return;
  if (step.kind === 'opaque' || (step.kind === 'routine' && /index|unique|primary/.test(lower))) {
    state.unknown = true;
    return;
  }
  if (step.kind === 'routine') return;
  const node = nodeOf(step);
  if (!node) state.unknown = true;
  else state.apply(node);
}

/** A step's tree, parsed on first use; undefined when it does not parse. */
function nodeOf(step: IndexStep): AstNode | undefined {
  if (step.node === undefined) step.node = parseSectionStatement(step.section, step.text, step.start).nodes[0] ?? null;
  return step.node ?? undefined;
}

/**
 * A statement of a migration's up that matters to views: a view's own statement, parsed on first use
 * (a CREATE only when asked about a table its text names: the others cannot read its columns); or a
 * table's (DROP, RENAME, ADD or DROP COLUMN), whose tree the history parses anyway (`upNodes`, by the
 * statement's index).
 */
type ViewStep =
  | { view: string; start: number; created?: { name: string | undefined; words: ReadonlySet<string>; star: boolean }; events?: ViewEvent[]; section: Section }
  | { node: number; events?: ViewEvent[] };

/** The step of the statement at `span` (the `at`-th of the up), if it matters to views. */
function addViewStep(steps: ViewStep[], section: Section, span: { start: number; end: number }, tokens: readonly Token[], at: number): void {
  const first: string[] = [];
  for (const token of tokens) {
    if (isComment(token)) continue;
    if (token.kind !== 'word' || first.length === 5) break;
    first.push(wordOf(section.source, token));
  }
  const kind = viewStatementKind(first);
  if (kind === 'table') steps.push({ node: at });
  if (kind !== 'create-view' && kind !== 'view') return;
  const view = section.source.slice(span.start, span.end);
  if (kind === 'view') {
    steps.push({ view, start: span.start, section });
    return;
  }
  // A view's CREATE is parsed only when asked about a column it may read: its words, its name and
  // whether it has a `*`, to tell.
  const words = new Set<string>();
  let star = false;
  let name: string | undefined;
  let naming = 0; // 0: before VIEW, 1: reading the name, 2: after it
  for (const token of tokens) {
    if (isComment(token)) continue;
    const id = identifierOf(section.source, token);
    if (id !== undefined) words.add(id);
    else if (token.end - token.start === 1 && section.source[token.start] === '*') star = true;
    if (naming === 0 && token.kind === 'word' && id === 'view') naming = 1;
    else if (naming === 1) {
      if (token.kind === 'word' && (id === 'if' || id === 'not' || id === 'exists')) continue;
      if (id !== undefined) name = id;
      else if (!(token.end - token.start === 1 && section.source[token.start] === '.')) naming = 2;
    }
  }
  steps.push({ view, start: span.start, created: { name, words, star }, section });
}

/**
 * The migration just before `document` in its folder: its version and the up trees the history reads
 * (`readByHistory`: CREATE, ALTER and DROP TABLE; undefined for the other statements). Undefined when
 * there is none, or no order to tell (repeatable migrations; a sqitch script the plan does not name).
 */
export function previousMigration(document: MigrationDocument, host: ProjectHost): { version: string; upNodes: readonly (AstNode | undefined)[] } | undefined {
  if (document.version === undefined || document.role === 'repeatable') return undefined;
  const migrations = folderHistory(document, host).earlier(document) ?? earlierMigrations(document, host);
  return migrations[migrations.length - 1];
}

/**
 * Applies the view events of the folder's migrations before `document`, in order (views.ts): which views
 * exist before it runs and the columns they read, for the `columns` asked about. A view is parsed
 * only when its text names one of their tables and one of them (or has a `*`), under any name they
 * had before a rename: the others cannot read them, and stand as views that read none of them.
 */
export function viewEventsBefore(document: MigrationDocument, host: ProjectHost, columns: readonly { table: string; column: string }[], apply: (event: ViewEvent) => void): void {
  if (document.version === undefined || document.role === 'repeatable') return;
  const migrations = folderHistory(document, host).earlier(document) ?? earlierMigrations(document, host);
  const tableEvents = (m: EarlierMigration, step: { node: number; events?: ViewEvent[] }) => (step.events ??= viewEventsOf(m.upNodes[step.node]));
  // The names the tables and columns had: follow the renames backwards.
  const pairs = new Map<string, { table: string; column: string }>(columns.map((c) => [`${c.table}\u0000${c.column}`, c]));
  const add = (table: string, column: string) => pairs.set(`${table}\u0000${column}`, { table, column });
  // Walking backwards, a view made before a rename is seen after it: whether any view names one of the
  // tables, under the name it had then (none: nothing to replay, the usual case in a folder without views).
  let viewsNameThem = false;
  for (let i = migrations.length - 1; i >= 0; i--) {
    const steps = migrations[i].viewSteps;
    for (let k = steps.length - 1; k >= 0; k--) {
      const step = steps[k];
      if (!('node' in step)) {
        if (!viewsNameThem && step.created) for (const p of pairs.values()) if (step.created.words.has(p.table)) viewsNameThem = true;
        continue;
      }
      for (const e of tableEvents(migrations[i], step)) {
        if (e.kind === 'rename-table') for (const p of [...pairs.values()]) if (p.table === e.to) add(e.from, p.column);
        if (e.kind === 'rename-column') for (const p of [...pairs.values()]) if (p.table === e.table && p.column === e.to) add(e.table, e.from);
      }
    }
  }
  if (!viewsNameThem) return;
  const tableNames = [...new Set([...pairs.values()].map((p) => p.table))];
  const columnNames = [...new Set([...pairs.values()].map((p) => p.column))];
  for (let i = 0; i < migrations.length; i++) {
    const m = migrations[i];
    const steps = m.viewSteps;
    for (let k = 0; k < steps.length; k++) {
      const step = steps[k];
      if ('node' in step) {
        const events = tableEvents(m, step);
        for (let e = 0; e < events.length; e++) apply(events[e]);
        continue;
      }
      const created = step.created;
      if (created && !(tableNames.some((t) => created.words.has(t)) && (created.star || columnNames.some((c) => created.words.has(c))))) {
        // Reads none of the columns asked about: it replaces a view of that name that did.
        if (created.name !== undefined) apply({ kind: 'drop-view', view: created.name });
        continue;
      }
      const events = (step.events ??= viewEventsOf(parseSectionStatement(step.section, step.view, step.start).nodes[0]));
      for (let e = 0; e < events.length; e++) apply(events[e]);
    }
  }
}

const CREATE_MODIFIERS = new Set(['global', 'local', 'temp', 'temporary', 'unlogged']);
const ALTERED = new Set(['table', 'view', 'materialized', 'foreign']);

/**
 * Whether a statement can parse to a node the history reads, judged by its leading keywords (comments
 * skipped; a quoted word is an identifier, never a keyword): CREATE [GLOBAL | LOCAL] [TEMP | TEMPORARY |
 * UNLOGGED] TABLE (CreateStmt, or CreateTableAsStmt for `CREATE TABLE ... AS`) and CREATE [UNLOGGED]
 * MATERIALIZED VIEW (CreateTableAsStmt), read by `replay` and `createdByEarlierParts`; ALTER TABLE, VIEW,
 * MATERIALIZED VIEW or FOREIGN TABLE (AlterTableStmt and RenameStmt: `replay` renames a column whatever
 * the relation's kind); DROP TABLE. The rest (views, functions, indexes, data: most of a big folder's
 * up text) is never parsed for the history, so a thread that reads a folder it lints only part of
 * does not parse the other part.
 */
export function readByHistory(text: string, tokens: readonly Token[]): boolean {
  let first: string | undefined;
  for (const token of tokens) {
    if (isComment(token)) continue;
    if (token.kind !== 'word') return false;
    const word = wordOf(text, token);
    if (first === undefined) {
      if (word !== 'create' && word !== 'alter' && word !== 'drop') return false;
      first = word;
    } else if (first === 'create' && CREATE_MODIFIERS.has(word)) {
      continue;
    } else if (first === 'create') {
      return word === 'table' || word === 'materialized';
    } else {
      return first === 'alter' ? ALTERED.has(word) : word === 'table';
    }
  }
  return false;
}

/** The other migration files of the folder, by the layout of the format (a diesel or Prisma migration's own folder left out). */
function siblingFiles(document: MigrationDocument, host: ProjectHost): string[] {
  const files = folderFiles(document, host);
  if (document.format !== 'diesel' && document.format !== 'prisma') return files;
  const dir = dirnameOf(document.path);
  return files.filter((f) => dirnameOf(f) !== dir);
}

// ── A folder's history, built once per host, incrementally ────────────────────────────────────────
// Every file asks what its earlier migrations left; replaying all of them for each file made a batch
// run O(n²) in the folder (the corpus's kratos folder has ~600 migrations). Instead the folder's
// migrations are listed, read and described once per host, sorted by version, and replayed once: the
// states before every CHECKPOINT-th migration are kept, so the history before a file is a copy of the
// checkpoint at or before it plus fewer than CHECKPOINT replays. A new host (the language server makes
// one per lint) lists and reads the folder again and keeps the checkpoints before the first migration
// that changed (another file, or another text: descriptions are memoized by text), so a keystroke in
// one file replays none of the migrations before it.
// The results are those of `replayedHistoryBefore`: when they could differ (versions written in both
// date forms, where compareVersions is no total order; the file itself or its companion among the
// earlier ones), `before` answers undefined and the caller replays the old way.

const CHECKPOINT = 8;
const MAX_FOLDERS = 64;
const DATED = /^\d{4}-\d{2}-\d{2}/;

/**
 * When compareVersions orders a folder's versions totally: all written as dates with separators
 * ('dated'), none is ('plain'): numeric parts compared in turn, missing parts as 0, a lexicographic
 * order; or both, when every plain version sorts before every dated one ('plain-then-dated': diesel's
 * `00000000000000_diesel_initial_setup` among `2019-12-29-164820_...` and `2025-09-19-132648-0000_...`),
 * each group being ordered totally on its own. Otherwise undefined (a dated and a plain version of
 * different lengths compare by their digits alone, which need not agree with the parts).
 */
interface VersionForm {
  kind: 'dated' | 'plain' | 'plain-then-dated';
  plain: string[];
  dated: string[];
}

const MAX_FORM_CHECKS = 100_000;

function versionForm(versions: string[]): VersionForm | undefined {
  const dated = versions.filter((v) => DATED.test(v));
  const plain = versions.filter((v) => !DATED.test(v));
  if (plain.length === 0 || dated.length === 0) return { kind: plain.length === 0 ? 'dated' : 'plain', plain, dated };
  if (plain.length * dated.length > MAX_FORM_CHECKS) return undefined;
  return plain.every((p) => dated.every((d) => compareVersions(p, d) < 0)) ? { kind: 'plain-then-dated', plain, dated } : undefined;
}

/** True when the folder's versions and `version` together keep `form`. */
function fitsForm(form: VersionForm, version: string): boolean {
  const dated = DATED.test(version);
  if (form.kind !== 'plain-then-dated') return dated === (form.kind === 'dated');
  return dated ? form.plain.every((p) => compareVersions(p, version) < 0) : form.dated.every((d) => compareVersions(version, d) < 0);
}

interface FolderEntry {
  file: string;
  migration: EarlierMigration;
}

class FolderHistory {
  /** By version, ties in listing order (a stable sort, as `earlierMigrations` sorts). */
  readonly entries: FolderEntry[];
  /** checkpoints[c]: the states after the first c * CHECKPOINT entries. */
  readonly checkpoints: ColumnStates[];
  /** How compareVersions orders the folder's versions (see `versionForm`); undefined when it is not known to be a total order. */
  private readonly form: VersionForm | undefined;
  private positions: Map<string, number> | undefined;

  constructor(entries: FolderEntry[], checkpoints: ColumnStates[]) {
    this.entries = entries;
    this.checkpoints = checkpoints.length > 0 ? checkpoints : [new Map()];
    this.form = versionForm(entries.map((e) => e.migration.version));
  }

  /** The states before `document`, or undefined when only a full replay is sure to give the same answer. */
  before(document: MigrationDocument): ColumnStates | undefined {
    const end = this.prefixBefore(document);
    if (end === undefined) return undefined;
    if (end === 0) return new Map();
    const c = Math.floor(end / CHECKPOINT);
    while (this.checkpoints.length <= c) {
      const k = this.checkpoints.length - 1;
      const next = copyStates(this.checkpoints[k]);
      for (let i = k * CHECKPOINT; i < (k + 1) * CHECKPOINT; i++) for (const node of this.entries[i].migration.upNodes) replay(next, node);
      this.checkpoints.push(next);
    }
    const states = copyStates(this.checkpoints[c]);
    for (let i = c * CHECKPOINT; i < end; i++) for (const node of this.entries[i].migration.upNodes) replay(states, node);
    return states;
  }

  /** Whether compareVersions orders the folder's versions and `version` totally (see `versionForm`). */
  ordersTotally(version: string): boolean {
    return this.entries.length === 0 || (this.form !== undefined && fitsForm(this.form, version));
  }

  /**
   * How many entries have a version before `version` (`through`: or equal to it), by binary search over
   * the sorted entries: the prefix they form is the answer only when `ordersTotally(version)`.
   */
  countBefore(version: string, through = false): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const order = compareVersions(this.entries[mid].migration.version, version);
      if (order < 0 || (through && order === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The migrations before `document`, in order (what `earlierMigrations` lists), or undefined as for `before`. */
  earlier(document: MigrationDocument): EarlierMigration[] | undefined {
    const end = this.prefixBefore(document);
    return end === undefined ? undefined : this.entries.slice(0, end).map((e) => e.migration);
  }

  /** How many entries come before `document`, or undefined when the prefix is not sure to be its history. */
  private prefixBefore(document: MigrationDocument): number | undefined {
    const version = document.version!;
    // compareVersions orders the folder's versions and the file's totally, so "earlier than the file" is a prefix.
    if (!this.ordersTotally(version)) return undefined;
    const end = this.countBefore(version);
    if (end === 0) return 0;
    // The file itself, its companion and (diesel, Prisma) its own folder's file are never its history.
    this.positions ??= new Map(this.entries.map((e, i) => [resolvedPath(e.file), i]));
    const excluded = [document.path, document.companionPath];
    if (document.format === 'diesel' || document.format === 'prisma') {
      const dir = dirnameOf(document.path);
      excluded.push(childPath(dirnameOf(dir), basenameOf(dir), document.format === 'diesel' ? 'up.sql' : basenameOf(document.path)));
    }
    for (const file of excluded) {
      const at = file === undefined ? undefined : this.positions.get(resolvedPath(file));
      if (at !== undefined && at < end) return undefined;
    }
    return end;
  }
}

/** Per host, the folders already listed and read through it. */
const hostFolders = new WeakMap<ProjectHost, Map<string, FolderHistory>>();
/** Per folder, the last history built (any host): its checkpoints serve the next host while its migrations are unchanged. */
const lastFolders = new Map<string, FolderHistory>();

function folderHistory(document: MigrationDocument, host: ProjectHost): FolderHistory {
  const dir = dirnameOf(document.path);
  const key =
    document.format === 'diesel' || document.format === 'prisma'
      ? `${document.format}\u0000${dirnameOf(dir)}\u0000${document.format === 'diesel' ? 'up.sql' : basenameOf(document.path)}`
      : `${document.format}\u0000${dir}`;
  let folders = hostFolders.get(host);
  if (!folders) hostFolders.set(host, (folders = new Map()));
  const known = folders.get(key);
  if (known) return known;
  const entries: FolderEntry[] = [];
  for (const file of folderFiles(document, host)) {
    const text = host.readFile(file);
    if (text === undefined) continue;
    const migration = describeOnce(file, text, host, document);
    if (migration) entries.push({ file, migration });
  }
  entries.sort((a, b) => compareVersions(a.migration.version, b.migration.version));
  const last = lastFolders.get(key);
  let same = 0;
  if (last) while (same < entries.length && same < last.entries.length && entries[same].file === last.entries[same].file && entries[same].migration === last.entries[same].migration) same++;
  const history = new FolderHistory(entries, last ? last.checkpoints.slice(0, Math.floor(same / CHECKPOINT) + 1) : []);
  folders.set(key, history);
  lastFolders.delete(key);
  if (lastFolders.size >= MAX_FOLDERS) lastFolders.delete(lastFolders.keys().next().value as string);
  lastFolders.set(key, history);
  return history;
}

/** Every migration file of the folder, by the layout of the format (the file's own included). */
function folderFiles(document: MigrationDocument, host: ProjectHost): string[] {
  const dir = dirnameOf(document.path);
  if (document.format === 'diesel' || document.format === 'prisma') {
    const root = dirnameOf(dir);
    const leaf = document.format === 'diesel' ? 'up.sql' : basenameOf(document.path);
    return (host.readDirectory(root) ?? []).map((name) => childPath(root, name, leaf)).filter((f) => host.fileExists(f));
  }
  return (host.readDirectory(dir) ?? []).filter((name) => name.endsWith('.sql')).map((name) => childPath(dir, name));
}
