// A migration written in its format's own layout: file names (one file, an up/down pair, a folder, a
// V/U pair, a sqitch deploy/revert/verify trio plus its plan line) and markers (`-- migrate:up`,
// `-- +goose Up`, `--changeset`, `--rollback`), including the format's way of saying "run this outside
// a transaction" (`transaction:false`, `-- +goose NO TRANSACTION`, metadata.toml, a Flyway .conf,
// `runInTransaction:false`). Formats without down migrations (Prisma, plain SQL) keep the down as a
// comment, so the way back is written down next to the way forward.

import { basenameOf, childPath, dirnameOf } from '../paths';
import type { ProjectHost } from '../host';
import type { FileCreate, FormatId } from '../model';
import { lex } from '../sql/lexer';
import { splitStatements } from '../sql/split';
import { gooseCutsStatement } from '../formats/goose-cuts';
import { keepsDownFiles, splitFileName, usesPopInfixes } from '../formats/golang-migrate';

export interface MigrationContent {
  /** What the migration does; becomes the slug of its name ("add users display_name"). */
  description: string;
  /** The up SQL (statements and comments, no format markers). */
  up: string;
  /** The down SQL; omitted: an empty down section for the user to fill in. */
  down?: string;
  /** false: run outside a transaction (each statement commits on its own). Default true. */
  transaction?: boolean;
  /** Text for a comment block at the top of the file (plain lines; `-- ` is added). */
  header?: string;
}

export interface RenderedMigration {
  creates: FileCreate[];
  primary: string;
  /** sqitch: the line to append to sqitch.plan. */
  planLine?: string;
}

interface RenderProject {
  dir: string;
  format: FormatId;
  host: ProjectHost;
  now?: Date;
  author?: string;
  /** pop: the dialect infix (`postgres`) of the migration a new one follows, which the new files keep. */
  dialect?: string;
}

/**
 * The files a migration at `version` with `slug` creates, without their text: what its name and
 * whether it can be created depend on (a fix titles a follow-up migration by these before, if ever,
 * its SQL is written). `paths` is in the order `renderMigration` lists the files. Paths are built with
 * `childPath` (fixes ask per finding): versions and slugs are plain entry names.
 */
export function migrationFiles(project: RenderProject, version: string, slug: string, transaction: boolean): MigrationFiles {
  const { dir } = project;
  switch (project.format) {
    case 'dbmate':
    case 'goose':
    case 'liquibase':
    case 'plain': {
      const file = childPath(dir, `${version}_${slug}.sql`);
      return { primary: file, paths: [file] };
    }
    case 'golang-migrate': {
      // A pop folder (dialect or `.autocommit` infixes) runs each migration in a transaction unless its
      // files carry `.autocommit`; a new migration keeps the dialect of the one it follows, so that
      // PostgreSQL-only SQL does not run for the project's other databases.
      const pop = usesPopInfixes(dir, project.host);
      const name = (direction: 'up' | 'down') => childPath(dir, splitFileName({ base: `${version}_${slug}`, dialect: pop ? (project.dialect ?? '') : '', autocommit: pop && !transaction, direction }));
      // A forward-only folder (up files, not one .down.sql) gets no down file: the first one would make
      // missing-down-section ask every other migration of the folder for its own.
      const forwardOnly = (project.host.readDirectory(dir) ?? []).some((n) => /\.up\.sql$/i.test(n)) && !keepsDownFiles(dir, project.host);
      return { primary: name('up'), paths: forwardOnly ? [name('up')] : [name('up'), name('down')] };
    }
    case 'diesel': {
      const folder = childPath(dir, `${version}_${slug}`);
      const paths = [childPath(folder, 'up.sql'), childPath(folder, 'down.sql')];
      if (!transaction) paths.push(childPath(folder, 'metadata.toml'));
      return { primary: paths[0], paths };
    }
    case 'flyway': {
      const upFile = childPath(dir, `V${version}__${slug}.sql`);
      if (!flywayUsesUndo(project)) return { primary: upFile, paths: transaction ? [upFile] : [upFile, upFile + '.conf'] };
      const undoFile = childPath(dir, `U${version}__${slug}.sql`);
      return { primary: upFile, paths: transaction ? [upFile, undoFile] : [upFile, undoFile, upFile + '.conf', undoFile + '.conf'], undo: true };
    }
    case 'sqitch': {
      const top = sqitchTop(dir, project.host);
      const deploy = childPath(top, 'deploy', `${slug}.sql`);
      return { primary: deploy, paths: [deploy, childPath(top, 'revert', `${slug}.sql`), childPath(top, 'verify', `${slug}.sql`)] };
    }
    case 'prisma': {
      const file = childPath(dir, `${version}_${slug}`, 'migration.sql');
      return { primary: file, paths: [file] };
    }
  }
}

export interface MigrationFiles {
  /** The file to open in an editor (the up file). */
  primary: string;
  /** Every file created, the primary first. */
  paths: string[];
  /** Flyway: the project keeps undo scripts, so the down gets a U file of its own. */
  undo?: boolean;
}

/** Renders one migration at `version` with `slug` (its files: `files`, from `migrationFiles`). `previous` is the version created just before it (sqitch dependencies). */
export function renderMigration(project: RenderProject, version: string, slug: string, content: MigrationContent, options: { previous?: string; files?: MigrationFiles } = {}): RenderedMigration {
  const { dir } = project;
  const transaction = content.transaction !== false;
  const files = options.files ?? migrationFiles(project, version, slug, transaction);
  const header = content.header ? commentBlock(content.header) + '\n\n' : '';
  const up = body(content.up);
  const down = content.down === undefined ? '' : body(content.down);
  const created = (...texts: string[]): FileCreate[] => files.paths.map((p, i) => ({ path: p, text: texts[i] }));
  switch (project.format) {
    case 'dbmate': {
      const flag = transaction ? '' : ' transaction:false';
      const note = transaction ? '' : commentBlock('dbmate sends a transaction:false block as one query string: keep the single statement below\nalone in it, so that it runs outside a transaction.') + '\n';
      return { primary: files.primary, creates: created(`${header}-- migrate:up${flag}\n${note}${up}\n-- migrate:down${flag}\n${note}${down}`) };
    }
    case 'goose': {
      const noTx = transaction ? '' : '-- +goose NO TRANSACTION\n';
      return { primary: files.primary, creates: created(`${noTx}${header}-- +goose Up\n${gooseBlocks(up)}\n-- +goose Down\n${gooseBlocks(down)}`) };
    }
    case 'golang-migrate': {
      const note = transaction
        ? ''
        : usesPopInfixes(dir, project.host)
          ? commentBlock('pop runs an `.autocommit` file outside a transaction: keep the single statement below\nalone in its file, so that nothing that needs a transaction shares it.') + '\n'
          : commentBlock('golang-migrate sends the whole file as one query string: keep the single statement below\nalone in its file, so that it runs outside a transaction.') + '\n';
      return { primary: files.primary, creates: created(`${header}${note}${up}`, `${note}${down || '\n'}`) };
    }
    case 'diesel': {
      const note = transaction ? '' : commentBlock('diesel sends the whole file as one query string: keep the single statement below\nalone in its file, so that it runs outside a transaction.') + '\n';
      return { primary: files.primary, creates: created(`${header}${note}${up}`, `${note}${down || '\n'}`, 'run_in_transaction = false\n') };
    }
    case 'flyway': {
      const conf = 'executeInTransaction=false\n';
      if (files.undo) return { primary: files.primary, creates: created(`${header}${up}`, down || '\n', conf, conf) };
      return { primary: files.primary, creates: created(`${header}${up}${commentedDown(down, 'Flyway runs no undo script in this project')}`, conf) };
    }
    case 'liquibase': {
      const author = project.author ?? liquibaseAuthor(project) ?? 'zdm';
      // Liquibase splits a changeset's SQL (and its rollback) at semicolons, inside a dollar-quoted
      // function body or DO block too (checked with Liquibase 4.28): such SQL goes whole.
      const attributes = [
        transaction ? '' : ' runInTransaction:false',
        (!transaction && singleStatement(up)) || hasDollarQuote(up) ? ' splitStatements:false' : '',
        hasDollarQuote(down) ? ' rollbackSplitStatements:false' : '',
      ].join('');
      // A down with no statement (only comments): say so the Liquibase way.
      // A blank down is left for the user to write; one that says why it has no statement is declared empty.
      const rollback = down.trim() === '' ? '' : splitStatements(down).statements.length === 0 ? `${down}--rollback not required\n` : rollbackLines(down);
      return { primary: files.primary, creates: created(`--liquibase formatted sql\n\n${header}--changeset ${author}:${version}_${slug}${attributes}\n${up}${rollback}`) };
    }
    case 'sqitch': {
      const top = sqitchTop(dir, project.host);
      const projectName = /^%project=(\S+)/m.exec(project.host.readFile(childPath(top, 'sqitch.plan')) ?? '')?.[1] ?? basenameOf(top);
      const wrap = (text: string) => (transaction ? `BEGIN;\n\n${text}\nCOMMIT;\n` : text);
      const requires = options.previous ? `-- requires: ${options.previous}\n` : '';
      const creates = created(
        `-- Deploy ${projectName}:${slug} to pg\n${requires}${header}\n${wrap(up)}`,
        `-- Revert ${projectName}:${slug} from pg\n\n${wrap(down || '\n')}`,
        `-- Verify ${projectName}:${slug} on pg\n\nBEGIN;\n\n-- Add queries that fail when the change is not deployed.\n\nROLLBACK;\n`,
      );
      const planner = project.author ?? sqitchPlanner(project.host.readFile(childPath(top, 'sqitch.plan'))) ?? 'zdm <zdm@localhost>';
      const note = content.description.replace(/\s+/g, ' ').trim();
      const planLine = `${slug} ${options.previous ? `[${options.previous}] ` : ''}${isoSeconds(project.now ?? new Date())} ${planner} # ${note}`;
      return { primary: files.primary, creates, planLine };
    }
    case 'prisma':
      return { primary: files.primary, creates: created(`${header}${up}${commentedDown(down, 'Prisma Migrate runs migrations forward only')}`) };
    case 'plain':
      return { primary: files.primary, creates: created(`${header}${up}${commentedDown(down, 'this project runs migrations forward only')}`) };
  }
}

/** Whether a Flyway project keeps undo scripts (U files) beside its migrations. */
function flywayUsesUndo(project: RenderProject): boolean {
  return (project.host.readDirectory(project.dir) ?? []).some((n) => /^U\d[\d._]*__.+\.sql$/.test(n));
}

/** The sqitch.plan of a sqitch project folder (the folder itself, or the parent of its deploy/). */
export function sqitchPlanPath(dir: string, host: ProjectHost): string {
  return childPath(sqitchTop(dir, host), 'sqitch.plan');
}

function sqitchTop(dir: string, host: ProjectHost): string {
  if (host.fileExists(childPath(dir, 'sqitch.plan'))) return dir;
  const parent = dirnameOf(dir);
  if (['deploy', 'revert', 'verify'].includes(basenameOf(dir)) && host.fileExists(childPath(parent, 'sqitch.plan'))) return parent;
  return dir;
}

/** `-- ` before each line. */
export function commentBlock(text: string): string {
  // trimEnd: the same characters as /\s+$/, without the regex's retries at every blank inside the text.
  return text
    .trimEnd()
    .split('\n')
    .map((l) => (l.trim() === '' ? '--' : `-- ${l}`))
    .join('\n');
}

function body(sql: string): string {
  const trimmed = sql.replace(/^\s*\n/, '').trimEnd();
  return trimmed === '' ? '\n' : trimmed + '\n';
}

function commentedDown(down: string, why: string): string {
  if (down.trim() === '') return '';
  return `\n${commentBlock(`Down (${why}; to undo this migration by hand, run):\n\n${down}`)}\n`;
}

function rollbackLines(down: string): string {
  return down
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => `--rollback ${l}`)
    .join('\n') + '\n';
}

/** goose splits at semicolons that end a line: statements with semicolons inside (function bodies, DO blocks) need StatementBegin/End. */
function gooseBlocks(sql: string): string {
  const { statements } = splitStatements(sql);
  let out = '';
  let at = 0;
  for (const s of statements) {
    const text = sql.slice(s.span.start, s.span.end);
    if (!gooseCutsStatement(text)) continue;
    out += sql.slice(at, s.span.start) + `-- +goose StatementBegin\n${text}\n-- +goose StatementEnd`;
    at = s.span.end;
  }
  return out + sql.slice(at);
}

/** Whether the SQL holds a dollar-quoted string (a function body, a DO block). */
function hasDollarQuote(sql: string): boolean {
  return lex(sql).some((t) => t.kind === 'dollar-string');
}

function singleStatement(sql: string): boolean {
  return splitStatements(sql).statements.length === 1;
}

/** The author of the newest changeset in the folder, so new changesets follow the team's habit. */
function liquibaseAuthor(project: RenderProject): string | undefined {
  const names = (project.host.readDirectory(project.dir) ?? []).filter((n) => n.endsWith('.sql')).sort().reverse();
  for (const name of names.slice(0, 5)) {
    const text = project.host.readFile(childPath(project.dir, name)) ?? '';
    const all = [...text.matchAll(/^--\s*changeset\s+([^:\s]+):/gim)];
    if (all.length > 0) return all[all.length - 1][1];
  }
  return undefined;
}

/** "Name <email>" of the last change in a sqitch plan. */
function sqitchPlanner(plan: string | undefined): string | undefined {
  if (!plan) return undefined;
  const lines = plan.split(/\r?\n/).filter((l) => /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/.test(l));
  const last = lines[lines.length - 1];
  return last ? /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\s+(.+?<[^>]*>)/.exec(last)?.[1] : undefined;
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
