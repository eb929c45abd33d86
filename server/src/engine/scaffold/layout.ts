// A migration written in its format's own layout: file names (one file, an up/down pair, a folder, a
// V/U pair, a sqitch deploy/revert/verify trio plus its plan line) and markers (`-- migrate:up`,
// `-- +goose Up`, `--changeset`, `--rollback`), including the format's way of saying "run this outside
// a transaction" (`transaction:false`, `-- +goose NO TRANSACTION`, metadata.toml, a Flyway .conf,
// `runInTransaction:false`). Formats without down migrations (Prisma, plain SQL) keep the down as a
// comment, so the way back is written down next to the way forward.

import * as path from 'node:path';
import type { ProjectHost } from '../host';
import type { FileCreate, FormatId } from '../model';
import { splitStatements } from '../sql/split';

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
}

/** Renders one migration at `version` with `slug`. `previous` is the version created just before it (sqitch dependencies). */
export function renderMigration(project: RenderProject, version: string, slug: string, content: MigrationContent, options: { previous?: string } = {}): RenderedMigration {
  const { dir } = project;
  const transaction = content.transaction !== false;
  const header = content.header ? commentBlock(content.header) + '\n\n' : '';
  const up = body(content.up);
  const down = content.down === undefined ? '' : body(content.down);
  switch (project.format) {
    case 'dbmate': {
      const flag = transaction ? '' : ' transaction:false';
      const file = path.join(dir, `${version}_${slug}.sql`);
      return { primary: file, creates: [{ path: file, text: `${header}-- migrate:up${flag}\n${up}\n-- migrate:down${flag}\n${down}` }] };
    }
    case 'goose': {
      const file = path.join(dir, `${version}_${slug}.sql`);
      const noTx = transaction ? '' : '-- +goose NO TRANSACTION\n';
      return { primary: file, creates: [{ path: file, text: `${noTx}${header}-- +goose Up\n${gooseBlocks(up)}\n-- +goose Down\n${gooseBlocks(down)}` }] };
    }
    case 'golang-migrate': {
      const base = path.join(dir, `${version}_${slug}`);
      const note = transaction ? '' : commentBlock('golang-migrate sends the whole file as one query string: keep the single statement below\nalone in its file, so that it runs outside a transaction.') + '\n';
      return {
        primary: `${base}.up.sql`,
        creates: [
          { path: `${base}.up.sql`, text: `${header}${note}${up}` },
          { path: `${base}.down.sql`, text: `${note}${down || '\n'}` },
        ],
      };
    }
    case 'diesel': {
      const folder = path.join(dir, `${version}_${slug}`);
      const creates: FileCreate[] = [
        { path: path.join(folder, 'up.sql'), text: `${header}${up}` },
        { path: path.join(folder, 'down.sql'), text: down || '\n' },
      ];
      if (!transaction) creates.push({ path: path.join(folder, 'metadata.toml'), text: 'run_in_transaction = false\n' });
      return { primary: creates[0].path, creates };
    }
    case 'flyway': {
      const upFile = path.join(dir, `V${version}__${slug}.sql`);
      const creates: FileCreate[] = [];
      const usesUndo = (project.host.readDirectory(dir) ?? []).some((n) => /^U\d[\d._]*__.+\.sql$/.test(n));
      if (usesUndo) {
        const undoFile = path.join(dir, `U${version}__${slug}.sql`);
        creates.push({ path: upFile, text: `${header}${up}` }, { path: undoFile, text: down || '\n' });
        if (!transaction) creates.push({ path: upFile + '.conf', text: 'executeInTransaction=false\n' }, { path: undoFile + '.conf', text: 'executeInTransaction=false\n' });
      } else {
        creates.push({ path: upFile, text: `${header}${up}${commentedDown(down, 'Flyway runs no undo script in this project')}` });
        if (!transaction) creates.push({ path: upFile + '.conf', text: 'executeInTransaction=false\n' });
      }
      return { primary: upFile, creates };
    }
    case 'liquibase': {
      const file = path.join(dir, `${version}_${slug}.sql`);
      const author = project.author ?? liquibaseAuthor(project) ?? 'zdm';
      const attributes = [transaction ? '' : ' runInTransaction:false', !transaction && singleStatement(up) ? ' splitStatements:false' : ''].join('');
      // A down with no statement (only comments): say so the Liquibase way.
      // A blank down is left for the user to write; one that says why it has no statement is declared empty.
      const rollback = down.trim() === '' ? '' : splitStatements(down).statements.length === 0 ? `${down}--rollback not required\n` : rollbackLines(down);
      return { primary: file, creates: [{ path: file, text: `--liquibase formatted sql\n\n${header}--changeset ${author}:${version}_${slug}${attributes}\n${up}${rollback}` }] };
    }
    case 'sqitch': {
      const top = sqitchTop(dir, project.host);
      const projectName = /^%project=(\S+)/m.exec(project.host.readFile(path.join(top, 'sqitch.plan')) ?? '')?.[1] ?? path.basename(top);
      const wrap = (text: string) => (transaction ? `BEGIN;\n\n${text}\nCOMMIT;\n` : text);
      const requires = options.previous ? `-- requires: ${options.previous}\n` : '';
      const deploy = path.join(top, 'deploy', `${slug}.sql`);
      const creates: FileCreate[] = [
        { path: deploy, text: `-- Deploy ${projectName}:${slug} to pg\n${requires}${header}\n${wrap(up)}` },
        { path: path.join(top, 'revert', `${slug}.sql`), text: `-- Revert ${projectName}:${slug} from pg\n\n${wrap(down || '\n')}` },
        { path: path.join(top, 'verify', `${slug}.sql`), text: `-- Verify ${projectName}:${slug} on pg\n\nBEGIN;\n\n-- Add queries that fail when the change is not deployed.\n\nROLLBACK;\n` },
      ];
      const planner = project.author ?? sqitchPlanner(project.host.readFile(path.join(top, 'sqitch.plan'))) ?? 'zdm <zdm@localhost>';
      const note = content.description.replace(/\s+/g, ' ').trim();
      const planLine = `${slug} ${options.previous ? `[${options.previous}] ` : ''}${isoSeconds(project.now ?? new Date())} ${planner} # ${note}`;
      return { primary: deploy, creates, planLine };
    }
    case 'prisma': {
      const file = path.join(dir, `${version}_${slug}`, 'migration.sql');
      return { primary: file, creates: [{ path: file, text: `${header}${up}${commentedDown(down, 'Prisma Migrate runs migrations forward only')}` }] };
    }
    case 'plain': {
      const file = path.join(dir, `${version}_${slug}.sql`);
      return { primary: file, creates: [{ path: file, text: `${header}${up}${commentedDown(down, 'this project runs migrations forward only')}` }] };
    }
  }
}

/** The sqitch.plan of a sqitch project folder (the folder itself, or the parent of its deploy/). */
export function sqitchPlanPath(dir: string, host: ProjectHost): string {
  return path.join(sqitchTop(dir, host), 'sqitch.plan');
}

function sqitchTop(dir: string, host: ProjectHost): string {
  if (host.fileExists(path.join(dir, 'sqitch.plan'))) return dir;
  const parent = path.dirname(dir);
  if (['deploy', 'revert', 'verify'].includes(path.basename(dir)) && host.fileExists(path.join(parent, 'sqitch.plan'))) return parent;
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
    if (!/;[ \t]*(--[^\n]*)?\n/.test(text.replace(/;\s*$/, ''))) continue;
    out += sql.slice(at, s.span.start) + `-- +goose StatementBegin\n${text}\n-- +goose StatementEnd`;
    at = s.span.end;
  }
  return out + sql.slice(at);
}

function singleStatement(sql: string): boolean {
  return splitStatements(sql).statements.length === 1;
}

/** The author of the newest changeset in the folder, so new changesets follow the team's habit. */
function liquibaseAuthor(project: RenderProject): string | undefined {
  const names = (project.host.readDirectory(project.dir) ?? []).filter((n) => n.endsWith('.sql')).sort().reverse();
  for (const name of names.slice(0, 5)) {
    const text = project.host.readFile(path.join(project.dir, name)) ?? '';
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
