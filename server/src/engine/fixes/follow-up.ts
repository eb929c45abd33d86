// Fixes that move work into a new migration right after this one: a statement that must commit on its
// own (CREATE INDEX CONCURRENTLY beside statements that need a transaction, VALIDATE CONSTRAINT after
// the NOT VALID constraint has committed, the part of a migration after an ACCESS EXCLUSIVE lock). The
// new files come from scaffold/naming.ts (`planMigrationSeries`, then `renderMigrationSeries`), in the
// project's own format and naming scheme, at the version right after the newest one in the folder; the
// moved statements leave this file (with their comments), and what undid them in this migration's down
// moves to the new down. The name is decided per finding; the edits only when read (fixes/lazy.ts).

import * as path from 'node:path';
import { sendsOneQueryString } from './format-edits';
import type { FileFacts } from '../context';
import { counterpartOf } from '../context';
import { describeLike } from '../formats/index';
import { parseSplitName } from '../formats/golang-migrate';
import type { ProjectHost } from '../host';
import type { FileCreate, MigrationDocument, Section, Statement, TextEdit } from '../model';
import { basenameOf, dirnameOf, isNormalizedAbsolute, relativePath, resolvedPath } from '../paths';
import { folderVersions, planMigrationSeries, renderMigrationSeries, type PlannedMigration, type ScaffoldProject } from '../scaffold/naming';
import type { FixSpec, RuleContext } from '../rules/types';
import { bodyOf, relationOf } from '../sql/ast';
import { alteredRelation, ChangesByName, dataChangeTarget, sameObject, schemaChanges, type ObjectKey } from '../sql/classify';
import { parseStatement } from '../sql/parser';
import { splitStatements } from '../sql/split';
import { inverseOf } from './inverse';
import { lazyFix } from './lazy';
import { KeyedMemo } from '../memo';
import { lineBreakAfter, lineStartOf } from '../text/offsets';

export interface FollowUpInput {
  document: MigrationDocument;
  /** Every statement of the file. */
  statements: readonly Statement[];
  facts: FileFacts;
  host: ProjectHost;
  /** What the new migration does, for its name ("validate users_age_check"). */
  description: string;
  /** Statements of an up section that leave this file (with their leading comments), in file order; may be empty when `up` is given. */
  move: readonly Statement[];
  /** The statement the new migration follows up on (default: the first moved one): its section must be an up, its timeouts are copied. */
  after?: Statement;
  /** The new migration's up SQL; default: the moved statements as written (with `rewrite` applied). */
  up?: string;
  /** Edits of the moved statements' text (file offsets), for the copy in the new migration (add CONCURRENTLY). */
  rewrite?: TextEdit[];
  /** Its down SQL when this migration's down has nothing that undoes the moved statements (those statements move instead); default: their generated inverse. */
  down?: string;
  /** Objects whose removal in this migration's down moves to the new down (default: what the moved statements create). */
  undo?: ObjectKey[];
  /** false: the new migration runs outside a transaction. */
  transaction: boolean;
  /** Why the statements moved, as a comment at the top of the new migration. */
  why: string;
}

export interface FollowUp {
  /** The new migration's main file name, for fix titles. */
  name: string;
  /**
   * Builds the edits of this file (the moved statements removed) and of this migration's down file, and
   * the new files: for a lazy fix (fixes/lazy.ts), which keeps them. `downAdditions`: the caller's own
   * edits of the down file, which it adds itself (they count when telling whether the down is emptied).
   */
  files(downAdditions?: readonly TextEdit[]): { edits: TextEdit[]; creates: FileCreate[] };
}

/**
 * The moved statements' new home, or undefined when no new migration can be made here (a down
 * section, a name that exists, text that is not the file's). Whether it exists and its name are
 * decided here; the edits and the new files' text are built when first read (fixes/lazy.ts).
 */
export function followUpMigration(input: FollowUpInput): FollowUp | undefined {
  const { document, move } = input;
  const after = input.after ?? move[0];
  if (!after || (move.length === 0 && input.up === undefined)) return undefined;
  if ([after, ...move].some((s) => s.section.kind !== 'up' || s.section.source !== document.text)) return undefined;
  const project = scaffoldProjectOf(document, input.host);
  let planned: PlannedMigration[];
  try {
    planned = planMigrationSeries(project, [{ description: input.description, transaction: input.transaction }]);
  } catch {
    // A name that is taken or too vague (ScaffoldError), or a folder the scaffolder cannot read: no fix,
    // and never a lost finding (a throw here would fail the whole rule).
    return undefined;
  }
  const primary = planned[0].files.primary;
  const name = document.format === 'sqitch' ? `deploy/${basenameOf(primary)}` : relativePath(project.dir, primary).split(path.sep).join('/');
  return { name, files: (downAdditions = []) => followUpFiles(input, after, project, planned, downAdditions, name) };
}

/** The edits and new files of a follow-up migration whose name and files `planned` holds. */
function followUpFiles(input: FollowUpInput, after: Statement, project: ScaffoldProject, planned: PlannedMigration[], downAdditions: readonly TextEdit[], name: string): { edits: TextEdit[]; creates: FileCreate[] } {
  const { document, move } = input;
  const removals = move.map((s) => removalSpan(document.text, s));
  const up = input.up ?? move.map((s, i) => movedText(document.text, removals[i].textStart, s.span.end, input.rewrite ?? [])).join('\n');
  const undo = downStatementsUndoing(input, move, after);
  const down = undo && undo.texts.length > 0 ? undo.texts.join('\n') : input.down ?? inverseOf(move).lines.join('\n');
  const settings = settingsInForce(input, after);
  // Tools that send a file as one query string run two statements as one transaction: a statement that
  // must run outside a transaction stays alone in its file there.
  const alone = !input.transaction && sendsOneQueryString(document.format);
  const [output] = renderMigrationSeries(project, planned, [
    {
      description: input.description,
      up: alone || settings.length === 0 ? up : `${settings.join('\n')}\n${up}`,
      down: alone || settings.length === 0 || splitStatements(down).statements.length === 0 ? down : `${settings.filter((l) => /lock_timeout/i.test(l)).join('\n')}${settings.some((l) => /lock_timeout/i.test(l)) ? '\n' : ''}${down}`,
      transaction: input.transaction,
      header: `Follow-up of ${relativePath(project.dir, document.path).split(path.sep).join('/')}: ${input.why}`,
    },
  ]);
  const edits: TextEdit[] = removals.map((r) => ({ span: { start: r.start, end: r.end }, newText: '' }));
  if (undo) edits.push(...markEmptiedDownFile(undo.edits, downAdditions, undo.sources, name));
  edits.push(...emptiedStatementBlocks(document, input.statements, edits));
  return { edits: [...edits, ...output.edits], creates: output.creates };
}

/**
 * The removals from a down file of its own, with a comment left in the file when they would empty it:
 * diesel refuses to run an empty migration file (`EmptyMigration`), and an empty down reads as a
 * forgotten one. The comment names where the statements went.
 */
function markEmptiedDownFile(edits: TextEdit[], others: readonly TextEdit[], sources: ReadonlyMap<string, string>, movedTo: string): TextEdit[] {
  const out = [...edits];
  for (const [file, source] of sources) {
    const mine = out.filter((e) => e.path === file);
    let rest = '';
    let at = 0;
    for (const e of [...mine, ...others.filter((o) => o.path === file)].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end)) {
      rest += source.slice(at, e.span.start) + e.newText;
      at = Math.max(at, e.span.end);
    }
    rest += source.slice(at);
    if (splitStatements(rest).statements.length > 0) continue;
    const first = mine.reduce((a, b) => (b.span.start < a.span.start ? b : a));
    out[out.indexOf(first)] = { ...first, newText: `-- Nothing left to undo here: the statements moved to ${movedTo}, whose down undoes them.\n` };
  }
  return out;
}

/** The text between `start` and `end` with the edits inside it applied. */
function movedText(text: string, start: number, end: number, edits: readonly TextEdit[]): string {
  let out = '';
  let at = start;
  for (const e of [...edits].filter((e) => e.path === undefined && e.span.start >= start && e.span.end <= end).sort((a, b) => a.span.start - b.span.start)) {
    out += text.slice(at, e.span.start) + e.newText;
    at = e.span.end;
  }
  return out + text.slice(at, end);
}

/** The folder new migrations of this document's project go to (diesel and Prisma keep one folder per migration). */
export function migrationsDirOf(document: MigrationDocument): string {
  const dir = dirnameOf(document.path);
  return document.format === 'diesel' || document.format === 'prisma' ? dirnameOf(dir) : dir;
}

/**
 * The project to scaffold into. The clock is set before the newest version in the folder, so the new
 * migration gets the version right after it (this migration, when it is the newest): fix titles and
 * file names stay the same from one lint to the next.
 */
export function scaffoldProjectOf(document: MigrationDocument, host: ProjectHost): ScaffoldProject {
  // Asked per finding that offers a follow-up migration: made once per document and host.
  let byHost = scaffoldProjects.get(document);
  if (!byHost) scaffoldProjects.set(document, (byHost = new WeakMap()));
  let project = byHost.get(host);
  if (!project) byHost.set(host, (project = makeScaffoldProject(document, host)));
  return project;
}

const scaffoldProjects = new KeyedMemo<MigrationDocument, WeakMap<ProjectHost, ScaffoldProject>>('scaffoldProjects');

function makeScaffoldProject(document: MigrationDocument, host: ProjectHost): ScaffoldProject {
  const dir = migrationsDirOf(document);
  const project: ScaffoldProject = { dir, format: document.format, host: withOwnEntry(host, dir, document) };
  // pop: the new migration runs on the same database as this one (`.postgres.up.sql`).
  const dialect = document.format === 'golang-migrate' ? parseSplitName(basenameOf(document.path))?.dialect : undefined;
  if (dialect) project.dialect = dialect;
  // sqitch names changes, not versions; its plan line records when the change was planned.
  if (document.format !== 'sqitch' && folderVersions(project).newest !== undefined) project.now = new Date(0);
  return project;
}

/** The host, with this migration listed in its folder even before it is saved (an editor's new file). */
function withOwnEntry(host: ProjectHost, dir: string, document: MigrationDocument): ProjectHost {
  const entry = relativePath(dir, document.path).split(path.sep)[0];
  return {
    readFile: (file) => host.readFile(file),
    fileExists: (file) => host.fileExists(file),
    readDirectory: (folder) => {
      const names = host.readDirectory(folder);
      // Scaffolding asks, per file a fix would create, whether it is a folder: two normalized absolute
      // paths are the same folder only when they are the same string, without resolving them.
      if (folder !== dir && ((isNormalizedAbsolute(folder) && isNormalizedAbsolute(dir)) || resolvedPath(folder) !== resolvedPath(dir))) return names;
      if (!names) return [entry];
      // The same array for the same listing, so what is remembered per listing (folderVersions) is found again.
      let byEntry = listedWithEntry.get(names);
      if (!byEntry) listedWithEntry.set(names, (byEntry = new Map()));
      let listed = byEntry.get(entry);
      if (!listed) byEntry.set(entry, (listed = names.includes(entry) ? names : [...names, entry]));
      return listed;
    },
  };
}

const listedWithEntry = new WeakMap<string[], Map<string, string[]>>();

/**
 * goose's StatementBegin / StatementEnd lines around statements that all leave this file (up or down),
 * removed with them: left behind, they would be an empty block, and the markers' other half would be
 * missing in one file or the other (goose refuses both files).
 */
function emptiedStatementBlocks(document: MigrationDocument, statements: readonly Statement[], edits: readonly TextEdit[]): TextEdit[] {
  const removed = edits.filter((e) => e.path === undefined && e.newText === '').map((e) => e.span);
  if (removed.length === 0) return [];
  const text = document.text;
  const out: TextEdit[] = [];
  for (const section of document.sections) {
    for (const block of section.statementBlocks ?? []) {
      const inside = statements.filter((s) => s.section === section && s.span.start >= block.start && s.span.end <= block.end);
      if (inside.length === 0 || !inside.every((s) => removed.some((r) => r.start <= s.span.start && s.span.end <= r.end))) continue;
      const endLine = lineStartOf(text, block.end);
      out.push({ span: { start: lineStartOf(text, block.start), end: lineBreakAfter(text, block.start).next }, newText: '' }, { span: { start: endLine, end: lineBreakAfter(text, endLine).next }, newText: '' });
    }
  }
  return out;
}

/** A line a migration tool reads (`-- +goose StatementBegin`, `-- migrate:up`): never a statement's own comment. */
const TOOL_MARKER = /^--\s*(\+goose\s|migrate:)/i;

/** What to delete for a statement: its leading comments' lines, the statement, and the rest of its line when nothing else is on it. */
function removalSpan(text: string, s: Statement): { start: number; end: number; textStart: number } {
  // Comments directly above the statement (no blank line in between) belong to it; a tool's marker line does not.
  let textStart = s.span.start;
  for (let i = s.leadingComments.length - 1; i >= 0; i--) {
    const c = s.leadingComments[i];
    if (/\n[ \t]*\r?\n/.test(text.slice(c.end, textStart))) break;
    if (TOOL_MARKER.test(text.slice(c.start, c.end))) break;
    textStart = c.start;
  }
  let start = textStart;
  while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  const lineStart = start === 0 || text[start - 1] === '\n' || text[start - 1] === '\r';
  let end = s.span.end;
  while (end < text.length && (text[end] === ' ' || text[end] === '\t')) end++;
  const lineEnd = end;
  if (text[end] === '\r') end++;
  if (text[end] === '\n') end++;
  if (end === lineEnd || !lineStart) end = s.span.end;
  return { start: lineStart ? start : textStart, end, textStart };
}

/** `SET lock_timeout` / `SET statement_timeout` in force before `s`, as written. */
function settingsInForce(input: FollowUpInput, s: Statement): string[] {
  const facts = input.facts.statements[s.index];
  const out: string[] = [];
  for (const setting of [facts?.lockTimeout, facts?.statementTimeout]) {
    if (!setting || setting.text.startsWith('LOCAL ')) continue;
    const source = input.statements[setting.statementIndex];
    if (source) out.push(source.text.trim().endsWith(';') ? source.text.trim() : `${source.text.trim()};`);
  }
  return out;
}

interface DownStatement {
  node: Statement['node'];
  text: string;
  span: { start: number; end: number };
  path?: string;
  source: string;
}

/**
 * The statements of this migration's down that undo the moved ones (they drop what the moved
 * statements create, re-create what they drop, attach the partition they detach), removed from that
 * down so each migration's down undoes its own up.
 */
function downStatementsUndoing(input: FollowUpInput, move: readonly Statement[], after: Statement): { texts: string[]; edits: TextEdit[]; sources: Map<string, string> } | undefined {
  const changes = move.length === 1 ? schemaChanges(move[0].node) : move.flatMap((s) => schemaChanges(s.node));
  const made: ObjectKey[] = changes.filter((c) => CREATES.has(c.action));
  if (input.undo) made.unshift(...input.undo);
  const removed: ObjectKey[] = changes.filter((c) => REMOVES.has(c.action));
  const detached = move.flatMap((s) => partitionsOf(s, 'AT_DetachPartition'));
  if (made.length + removed.length + detached.length === 0) return undefined;
  // By name: a split can move thousands of statements.
  const madeByName = new ChangesByName(made, (k) => k);
  const removedByName = new ChangesByName(removed, (k) => k);
  const undoes = (d: DownStatement) => {
    const changes = schemaChanges(d.node);
    if (changes.length > 0) return changes.every((c) => (REMOVES.has(c.action) && madeByName.some(c, (k) => sameObject(k, c))) || (CREATES.has(c.action) && removedByName.some(c, (k) => sameObject(k, c))));
    const attached = partitionsOf(d, 'AT_AttachPartition');
    return attached.length > 0 && attached.every((a) => detached.some((x) => x.partition === a.partition && x.parent === a.parent));
  };
  const downs = downStatementsOf(input, after.section);
  // Only a down statement whose first change names one of these objects (sameObject needs the same
  // name), or one without schema changes (ATTACH PARTITION), can undo them: look only at those.
  const index = downIndexOf(downs);
  // A statement without schema changes undoes only a detach (by attaching the partition again).
  const candidates = new Set<number>(detached.length > 0 ? index.withoutChanges : []);
  for (const key of [...made, ...removed]) for (const i of index.byFirstName.get(key.name) ?? []) candidates.add(i);
  const undoing = [...candidates].sort((a, b) => a - b).map((i) => downs[i]).filter(undoes);
  if (undoing.length === 0) return undefined;
  return {
    texts: undoing.map((d) => d.text.trim()),
    sources: new Map(undoing.flatMap((d) => (d.path === undefined ? [] : [[d.path, d.source] as const]))),
    edits: undoing.map((d) => {
      let end = d.span.end;
      while (end < d.source.length && (d.source[end] === ' ' || d.source[end] === '\t')) end++;
      const lineEnd = end;
      if (d.source[end] === '\r') end++;
      if (d.source[end] === '\n') end++;
      if (end === lineEnd) end = d.span.end;
      return { path: d.path, span: { start: d.span.start, end }, newText: '' };
    }),
  };
}

const CREATES = new Set(['create', 'replace', 'rename-to']);
const REMOVES = new Set(['drop', 'rename-from']);

/** The partitions an ALTER TABLE attaches or detaches, with their parent. */
function partitionsOf(s: { node?: Statement['node'] }, subtype: string): { parent: string; partition: string }[] {
  const alter = bodyOf(s.node, 'AlterTableStmt');
  const parent = relationOf(alter?.relation)?.display;
  if (!parent) return [];
  return (alter.cmds ?? []).flatMap((c: any) => {
    const partition = c.AlterTableCmd?.subtype === subtype ? relationOf(c.AlterTableCmd.def?.PartitionCmd?.name)?.display : undefined;
    return partition ? [{ parent, partition }] : [];
  });
}

/** A list of down statements indexed by the name of each one's first schema change. */
interface DownIndex {
  byFirstName: Map<string, number[]>;
  withoutChanges: number[];
}

const downIndexes = new KeyedMemo<readonly DownStatement[], DownIndex>('downIndexes');

function downIndexOf(downs: readonly DownStatement[]): DownIndex {
  let index = downIndexes.get(downs);
  if (index) return index;
  index = { byFirstName: new Map(), withoutChanges: [] };
  downs.forEach((d, i) => {
    const first = schemaChanges(d.node)[0];
    if (!first) index!.withoutChanges.push(i);
    else {
      const bucket = index!.byFirstName.get(first.name);
      if (bucket) bucket.push(i);
      else index!.byFirstName.set(first.name, [i]);
    }
  });
  downIndexes.set(downs, index);
  return index;
}

/** The file's own down statements per section label, found once per statement list (each follow-up fix asks). */
const ownDowns = new KeyedMemo<readonly Statement[], Map<string | undefined, { any: boolean; here: DownStatement[] }>>('ownDowns');

function downStatementsOf(input: FollowUpInput, up: Section): DownStatement[] {
  let byLabel = ownDowns.get(input.statements);
  if (!byLabel) ownDowns.set(input.statements, (byLabel = new Map()));
  let own = byLabel.get(up.label);
  if (!own) {
    const all = input.statements.filter((s) => s.section.kind === 'down' && s.section.label === up.label);
    own = { any: all.length > 0, here: all.filter((s) => s.section.source === input.document.text).map((s) => ({ node: s.node, text: s.text, span: s.span, source: s.section.source })) };
    byLabel.set(up.label, own);
  }
  if (own.any) return own.here;
  const counterpart = counterpartOf(input.document, input.statements, input.host, up);
  if (!counterpart?.path || counterpart.text === undefined) return [];
  // Each finding with a follow-up fix asks: the companion's down statements are found once per counterpart.
  let byFormat = companionDowns.get(counterpart);
  if (!byFormat) companionDowns.set(counterpart, (byFormat = new Map()));
  let downs = byFormat.get(input.document.format);
  if (!downs) byFormat.set(input.document.format, (downs = companionDownStatements(counterpart.path, counterpart.text, input)));
  return downs;
}

const companionDowns = new KeyedMemo<object, Map<string, DownStatement[]>>('companionDowns');

function companionDownStatements(companion: string, text: string, input: FollowUpInput): DownStatement[] {
  const counterpart = { path: companion, text };
  const other = describeLike(counterpart.path, counterpart.text, input.host, input.document);
  const out: DownStatement[] = [];
  for (const section of other.sections) {
    if (section.kind !== 'down' || section.source !== counterpart.text) continue;
    for (const raw of splitStatements(section.source, section.span.start, section.span.end).statements) {
      if (raw.unterminated) continue;
      const text = section.source.slice(raw.span.start, raw.span.end);
      out.push({ node: parseStatement(text).nodes[0], text, span: raw.span, path: counterpart.path, source: counterpart.text });
    }
  }
  return out;
}

/** What statements do, for a new migration's name: "update users", "alter orders and 2 more". */
export function describeStatements(list: readonly Statement[]): string {
  const first = list[0];
  const data = dataChangeTarget(first?.node);
  const altered = alteredRelation(first?.node);
  const kindWords = (kind: string) => (kind === 'DoStmt' ? 'do block' : kind.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
  const head = data ? `${data.verb.toLowerCase()} ${data.relation.name}` : altered ? `${first.kind === 'IndexStmt' ? 'index' : 'alter'} ${altered.name}` : first ? kindWords(first.kind) : 'follow up';
  return list.length > 1 ? `${head} and ${list.length - 1} more` : head;
}

/**
 * Splits the migration before `from`: it and every later statement of its section move to a new
 * migration right after this one, run the way the section runs. Undefined where the section has its
 * own BEGIN / COMMIT, or `from` is its first statement (nothing would be left).
 */
export function splitHereFix(context: RuleContext, from: Statement, why: string): FixSpec | undefined {
  const section = context.facts.sectionStatements(from.section);
  if (section.some((s) => s.kind === 'TransactionStmt')) return undefined;
  const move = section.filter((s) => s.index >= from.index);
  if (!section.some((s) => s.index < from.index && s.kind !== 'VariableSetStmt')) return undefined;
  const followUp = followUpMigration({
    document: context.document,
    statements: context.statements,
    facts: context.facts,
    host: context.host,
    description: describeStatements(move),
    move,
    transaction: from.section.transaction !== 'none',
    why,
  });
  if (!followUp) return undefined;
  const count = move.length === 1 ? 'this statement' : `this statement and the ${move.length - 1} after it`;
  return lazyFix(`Split the migration here: move ${count} to a new migration ${followUp.name}`, false, followUp.files);
}
