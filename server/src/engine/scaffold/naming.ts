// Names of new migrations: a descriptive slug, and the next version of the project's folder in the
// scheme it already uses (UTC timestamps, sequence numbers, diesel's dashed timestamps, Flyway's
// V-numbers), always strictly after the newest version there. `newMigrationFiles` is the entry point
// for everything that creates migrations: `zdm new`, the trios, and fixes that create a follow-up
// migration; it writes the SQL in the format's own layout and markers (layout.ts).

import * as path from 'node:path';
import type { ProjectHost } from '../host';
import type { FileCreate, FormatId, TextEdit } from '../model';
import { compareVersions } from '../versions';
import { migrationFiles, renderMigration, sqitchPlanPath, type MigrationContent, type MigrationFiles } from './layout';

export type { MigrationContent } from './layout';

/** A problem the user can fix (a vague name, a file that exists): shown as is, never a crash. */
export class ScaffoldError extends Error {}

export interface ScaffoldProject {
  /** The migrations folder (absolute). For sqitch: the folder holding sqitch.plan (or its deploy/ folder). */
  dir: string;
  format: FormatId;
  host: ProjectHost;
  /** The clock; tests pass a fixed one. */
  now?: Date;
  /** Liquibase changeset author / sqitch planner ("Name <email>"); read from existing files when absent. */
  author?: string;
  /** pop: the dialect infix (`postgres`) of the migration a new one follows, which the new files keep. */
  dialect?: string;
}

/** What creating one migration changes: new files, and edits of existing ones (sqitch.plan). */
export interface ScaffoldOutput {
  creates: FileCreate[];
  edits: TextEdit[];
  /** The new migration's version (or sqitch change name). */
  version: string;
  /** The file to open in an editor (the up file). */
  primary: string;
}

// ── Descriptions ────────────────────────────────────────────────────────────────────────────────────

const MAX_SLUG = 80;

/** Lower-case words joined by underscores: "Add users.display_name!" -> "add_users_display_name". */
export function slugify(description: string): string {
  // ASCII needs no transliteration (most descriptions: fixes name a follow-up migration per finding).
  const ascii = !/[^\x00-\x7f]/.test(description);
  const slug = (ascii ? description : transliterated(description))
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return slug.length > MAX_SLUG ? slug.slice(0, MAX_SLUG).replace(/_+$/, '') : slug;
}

/** Accents taken off, and the letters NFKD does not take apart written in ASCII. */
function transliterated(description: string): string {
  return description
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    // Letters NFKD does not take apart: æ œ ß ø đ ł þ.
    .replace(/[æÆ]/g, 'ae')
    .replace(/[œŒ]/g, 'oe')
    .replace(/ß/g, 'ss')
    .replace(/[øØ]/g, 'o')
    .replace(/[đĐ]/g, 'd')
    .replace(/[łŁ]/g, 'l')
    .replace(/[þÞ]/g, 'th');
}

const VAGUE_WORDS = new Set([
  'migration', 'migrations', 'migrate', 'new', 'update', 'updates', 'fix', 'fixes', 'change', 'changes', 'misc', 'wip', 'tmp', 'temp', 'todo',
  'stuff', 'test', 'patch', 'schema', 'db', 'database', 'sql', 'init', 'initial', 'v', 'version', 'step', 'tweak', 'tweaks', 'edit', 'more', 'final', 'again',
]);

/**
 * The slug of a description, or a ScaffoldError saying why the name does not describe the change:
 * empty, only digits, or only vague words ("migration_47", "update", "fix", "new_migration").
 */
export function descriptiveSlug(description: string): string {
  // Fixes name a follow-up migration per finding, often with the same description.
  const known = slugMemo.get(description);
  if (known !== undefined) return known;
  const slug = checkedSlug(description);
  if (slugMemo.size >= MAX_SLUGS) slugMemo.clear();
  slugMemo.set(description, slug);
  return slug;
}

const slugMemo = new Map<string, string>();
const MAX_SLUGS = 1000;

function checkedSlug(description: string): string {
  const slug = slugify(description);
  const example = 'name it after the change, e.g. "add_users_display_name" or "index_orders_on_user_id"';
  if (slug === '') {
    // File names stay ASCII (every tool reads them; some shells and CI runners mangle others).
    throw new ScaffoldError(description.trim() === '' ? `The migration needs a description: ${example}.` : `"${description}" has no letter or digit that can go in a file name (a-z, 0-9); ${example}.`);
  }
  if (/^[\d_]+$/.test(slug)) throw new ScaffoldError(`"${description}" is only a number; ${example}.`);
  const words = slug.split('_').filter((w) => !/^\d+$/.test(w) && !/^v\d+$/.test(w));
  if (words.every((w) => VAGUE_WORDS.has(w) || w.length === 1)) {
    throw new ScaffoldError(`"${slug}" does not say what the migration changes; ${example}.`);
  }
  return slug;
}

// ── Versions ────────────────────────────────────────────────────────────────────────────────────────

export type VersionScheme =
  | { kind: 'timestamp' } // YYYYMMDDHHMMSS, UTC
  | { kind: 'unix' } // seconds since 1970 (golang-migrate -format unix)
  | { kind: 'sequence'; width: number } // 00001, 00002 (goose -s, golang-migrate -seq)
  | { kind: 'diesel' } // YYYY-MM-DD-HHMMSS
  | { kind: 'flyway'; width: number }; // V1, V2 (or V001): the next major number

export interface FolderVersions {
  scheme: VersionScheme;
  /** The newest version in the folder, when there is one. */
  newest?: string;
  /** Every version (or sqitch change name) in use. */
  used: Set<string>;
}

/** The versions already in the folder and the scheme they follow (the format's default for an empty folder). */
export function folderVersions(project: ScaffoldProject): FolderVersions {
  // Fixes ask this for every finding that creates a file: remember the answer per directory listing
  // (hosts hand out the same listing while a folder is unchanged; sqitch reads its plan instead).
  const listing = project.format === 'sqitch' ? undefined : project.host.readDirectory(project.dir);
  if (listing) {
    let byFormat = folderVersionsMemo.get(listing);
    if (!byFormat) folderVersionsMemo.set(listing, (byFormat = new Map()));
    let hit = byFormat.get(project.format);
    if (!hit) byFormat.set(project.format, (hit = computeFolderVersions(project)));
    return hit;
  }
  return computeFolderVersions(project);
}

const folderVersionsMemo = new WeakMap<string[], Map<FormatId, FolderVersions>>();

function computeFolderVersions(project: ScaffoldProject): FolderVersions {
  const versions = existingVersions(project);
  const used = new Set(versions);
  const numbered = versions.filter((v) => /\d/.test(v));
  const newest = numbered.length > 0 ? numbered.reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b)) : undefined;
  return { scheme: schemeOf(project.format, newest), newest, used };
}

/** `count` consecutive versions after the newest in the folder (and after now, for time-based schemes). */
export function nextVersions(project: ScaffoldProject, count: number): string[] {
  const versions = folderVersions(project);
  if (!project.now) return computeNextVersions(versions, new Date(), count);
  // A fixed clock (follow-up fixes set one, and ask per finding): the same versions for the same
  // folder versions, remembered with them.
  let byKey = nextVersionsMemo.get(versions);
  if (!byKey) nextVersionsMemo.set(versions, (byKey = new Map()));
  const key = `${project.now.getTime()} ${count}`;
  let hit = byKey.get(key);
  if (!hit) byKey.set(key, (hit = computeNextVersions(versions, project.now, count)));
  return [...hit];
}

const nextVersionsMemo = new WeakMap<FolderVersions, Map<string, readonly string[]>>();

function computeNextVersions({ scheme, newest }: FolderVersions, now: Date, count: number): string[] {
  const out: string[] = [];
  let after = newest;
  for (let i = 0; i < count; i++) {
    const v = nextVersion(scheme, after, now);
    out.push(v);
    after = v;
  }
  return out;
}

function schemeOf(format: FormatId, newest: string | undefined): VersionScheme {
  if (format === 'diesel') return { kind: 'diesel' };
  if (format === 'prisma') return { kind: 'timestamp' };
  if (format === 'flyway') {
    const major = newest?.split(/[._]/)[0];
    if (major !== undefined && major.length >= 12) return { kind: 'timestamp' };
    return { kind: 'flyway', width: major?.length ?? 1 };
  }
  if (newest === undefined || /^\d{14}$/.test(newest)) return { kind: 'timestamp' };
  if (/^1\d{9}$/.test(newest) && format === 'golang-migrate') return { kind: 'unix' };
  if (/^\d+$/.test(newest)) return { kind: 'sequence', width: newest.length };
  return { kind: 'timestamp' };
}

function nextVersion(scheme: VersionScheme, after: string | undefined, now: Date): string {
  switch (scheme.kind) {
    case 'timestamp': {
      const candidate = timestamp(now);
      if (after === undefined || !/^\d+$/.test(after.replace(/\D/g, ''))) return candidate;
      const digits = after.replace(/\D/g, '');
      if (compareVersions(candidate, digits) > 0) return candidate;
      const parsed = parseTimestamp(digits);
      return parsed ? timestamp(new Date(parsed.getTime() + 1000)) : (BigInt(digits) + 1n).toString();
    }
    case 'unix': {
      const candidate = Math.floor(now.getTime() / 1000);
      return String(after !== undefined && Number(after) >= candidate ? Number(after) + 1 : candidate);
    }
    case 'sequence':
      return ((after !== undefined ? BigInt(after) : 0n) + 1n).toString().padStart(scheme.width, '0');
    case 'diesel': {
      const candidate = dieselTimestamp(now);
      if (after === undefined || compareVersions(candidate, after) > 0) return candidate;
      const parsed = parseTimestamp(after.replace(/\D/g, ''));
      return parsed ? dieselTimestamp(new Date(parsed.getTime() + 1000)) : candidate;
    }
    case 'flyway': {
      const major = after !== undefined ? BigInt(after.split(/[._]/)[0]) : 0n;
      return (major + 1n).toString().padStart(scheme.width, '0');
    }
  }
}

/** YYYYMMDDHHMMSS in UTC. */
export function timestamp(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}

function dieselTimestamp(date: Date): string {
  const t = timestamp(date);
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}-${t.slice(8)}`;
}

function parseTimestamp(digits: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(digits);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && date.getUTCHours() === h ? date : undefined;
}

/** Versions (or sqitch change names) of the migrations already in the folder, as each format names them. */
function existingVersions(project: ScaffoldProject): string[] {
  const { dir, host, format } = project;
  if (format === 'sqitch') {
    const plan = host.readFile(sqitchPlanPath(dir, host));
    return plan === undefined ? [] : sqitchChanges(plan);
  }
  const names = host.readDirectory(dir) ?? [];
  const out: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    let m: RegExpExecArray | null = null;
    switch (format) {
      case 'diesel':
        m = /^(\d{4}-\d{2}-\d{2}-\d{6}|\d{14})_/.exec(name);
        break;
      case 'prisma':
        m = /^(\d{14})_/.exec(name);
        break;
      case 'flyway':
        m = /^[VU](\d[\d._]*?)__.+\.sql$/.exec(name);
        break;
      case 'golang-migrate':
        m = /^(\d+)_.+?\.(?:up|down)\.sql$/i.exec(name);
        break;
      default:
        m = /^(\d+)(?:_.*)?\.sql$/i.exec(name);
    }
    if (m) out.push(m[1]);
  }
  return out;
}

/** Change names planned in a sqitch.plan (lines that are not pragmas, comments or tags). */
export function sqitchChanges(plan: string): string[] {
  const out: string[] = [];
  for (const raw of plan.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('%') || line.startsWith('#') || line.startsWith('@')) continue;
    const name = /^([^\s[@#]+)/.exec(line)?.[1];
    if (name) out.push(name);
  }
  return out;
}

// ── Creating migrations ─────────────────────────────────────────────────────────────────────────────

/**
 * The files of one new migration, in the project's format, at the next version. Throws a
 * ScaffoldError for a vague description or when a file it would create already exists.
 */
export function newMigrationFiles(project: ScaffoldProject, content: MigrationContent): ScaffoldOutput {
  return newMigrationSeries(project, [content])[0];
}

/**
 * Several new migrations at consecutive versions (a trio). Edits of the same file (sqitch.plan) are
 * merged into the last output's edit so the outputs can be applied together.
 */
export function newMigrationSeries(project: ScaffoldProject, contents: readonly MigrationContent[]): ScaffoldOutput[] {
  return renderMigrationSeries(project, planMigrationSeries(project, contents), contents);
}

/** A new migration's name and files, checked by `planMigrationSeries`, before its text is written. */
export interface PlannedMigration {
  version: string;
  slug: string;
  files: MigrationFiles;
}

/**
 * The versions, slugs and files of new migrations at consecutive versions, without their text: all
 * that `newMigrationSeries` may refuse. Throws a ScaffoldError for a vague description, a sqitch
 * change name in use, a file that exists, or a sqitch project without a plan.
 */
export function planMigrationSeries(project: ScaffoldProject, migrations: readonly { description: string; transaction?: boolean }[]): PlannedMigration[] {
  const slugs = migrations.map((c) => descriptiveSlug(c.description));
  const versions = project.format === 'sqitch' ? slugs : nextVersions(project, migrations.length);
  const used = folderVersions(project).used;
  const planned: PlannedMigration[] = [];
  for (let i = 0; i < migrations.length; i++) {
    if (project.format === 'sqitch' && used.has(slugs[i])) throw new ScaffoldError(`sqitch.plan already has a change named "${slugs[i]}"; choose another description.`);
    const files = migrationFiles(project, versions[i], slugs[i], migrations[i].transaction !== false);
    for (const file of files.paths) {
      if (project.host.fileExists(file) || project.host.readDirectory(file) !== undefined) {
        throw new ScaffoldError(`${file} already exists; zdm never overwrites a migration.`);
      }
    }
    planned.push({ version: versions[i], slug: slugs[i], files });
  }
  // sqitch records each change in its plan.
  if (project.format === 'sqitch' && migrations.length > 0) {
    const planPath = sqitchPlanPath(project.dir, project.host);
    if (project.host.readFile(planPath) === undefined) throw new ScaffoldError(`No sqitch.plan in ${path.dirname(planPath)}; run \`sqitch init\` first.`);
  }
  return planned;
}

/** The files of migrations planned by `planMigrationSeries` (with the same descriptions and transaction modes), with `contents` written in them. */
export function renderMigrationSeries(project: ScaffoldProject, planned: readonly PlannedMigration[], contents: readonly MigrationContent[]): ScaffoldOutput[] {
  const outputs: ScaffoldOutput[] = [];
  const planLines: string[] = [];
  for (let i = 0; i < planned.length; i++) {
    const { version, slug, files } = planned[i];
    const rendered = renderMigration(project, version, slug, contents[i], { previous: i > 0 ? planned[i - 1].version : undefined, files });
    if (rendered.planLine) planLines.push(rendered.planLine);
    outputs.push({ creates: rendered.creates, edits: [], version, primary: rendered.primary });
  }
  if (planLines.length > 0) {
    const planPath = sqitchPlanPath(project.dir, project.host);
    const plan = project.host.readFile(planPath) ?? '';
    const separator = plan === '' || plan.endsWith('\n') ? '' : '\n';
    outputs[outputs.length - 1].edits.push({ path: planPath, span: { start: plan.length, end: plan.length }, newText: separator + planLines.map((l) => l + '\n').join('') });
  }
  return outputs;
}
