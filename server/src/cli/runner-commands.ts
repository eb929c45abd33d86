// `zdm up|rollback|redo|status|baseline` and `zdm db start|stop|url|status`: a thin layer over the runner
// library (engine/runner/commands.ts). Every statement is printed with its duration as it runs, then
// a summary. Exit codes: 0 ok, 1 a migration (or the run) failed, 2 bad usage, config or a missing
// confirmation (--yes).

import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../engine/config/config';
import { createDiskHost } from '../engine/host';
import { baseline, redo, rollback, status, up, type RunnerOptions } from '../engine/runner/commands';
import { EmbeddedError, embeddedServerState, ensureEmbeddedServer, stopEmbeddedServer } from '../engine/runner/embedded';
import { migrationLabel, type RunError, type RunEvent, type RunResult, type StatusEntry, type StepResult } from '../engine/runner/events';
import { createRedactor, maskUrl } from '../engine/runner/url';
import { parseCommandArgs } from './args';
import type { CommandIO } from './lint-command';

const COMMON = `  --url URL                 Database URL (default: $DATABASE_URL, then "database.url" in .zdm.json,
                            then the embedded PostgreSQL in .zdm/)
  --dir DIR                 Migrations folder (default: "migrationsDir" in .zdm.json, else the first of
                            db/migrations, migrations, ..., supabase/migrations, prisma/migrations that exists)
  --config FILE             Use this .zdm.json
  --yes                     Confirm: a database that is not on this machine, a rollback that drops data
  --wait                    Wait for another runner's lock instead of failing at once
  --no-start                Do not start the embedded PostgreSQL (fail when it is not running)
  --format text|json|jsonl  Output: text, one JSON result, or one JSON event per line then the result
  --no-color                Plain text output`;

/** What VERSION may be besides a version: sqitch and Liquibase number their migrations by position, and name them too. */
const VERSION_NAMES = `VERSION is a version as zdm status lists it. A sqitch change is named as sqitch names it (not by\nits position): its name, name@tag or @tag (zdm up --to users, zdm rollback --to @v1.0), @HEAD or
@ROOT, with ~N / ^N offsets as sqitch takes them (zdm rollback --to @HEAD^; @HEAD is the plan's last change for up, the last deployed
one for rollback); a Liquibase changeset by its position, its id,\nid::author or path::id::author (zdm up --to 2::alice); a name several changesets answer to is refused.`;

const VERIFY = `  --verify, --no-verify     sqitch: run each change's verify script after its deploy; a failing one
                            reverts the change (default: deploy.verify in sqitch.conf)`;

export const RUNNER_HELP: Record<string, string> = {
  up: `Usage: zdm up [--to VERSION] [--log-only] [options]\n\nApplies every pending migration, in version order (with --to, up to and including VERSION; without\nit, a Flyway project stops at its target setting when it has one).\n${VERSION_NAMES}\n\nWith --log-only, records them as applied without running them, for a database whose schema already\nmatches (restored from a dump, made by hand): the tool's tracking table gets the rows a run writes\n(sqitch deploy --log-only, Liquibase changelog-sync, Prisma migrate resolve --applied).\n\nOptions:\n  --to VERSION              Stop after this version\n  --log-only                Record the migrations as applied; run none of their statements\n  --allow-missing           Apply pending migrations older than the newest applied one (goose and\n                            Flyway refuse them unless told, as goose -allow-missing, Flyway outOfOrder)\n${VERIFY}\n${COMMON}\n`,
  rollback: `Usage: zdm rollback [--to VERSION | --through VERSION] [options]\n\nRolls back the last applied migration; with --to, every migration after VERSION (VERSION stays\napplied; --to 0 rolls back all); with --through, down to and including VERSION.\n${VERSION_NAMES}\n\nWith --log-only, records them as rolled back without running their downs (sqitch revert --log-only):\nfor a database where they were undone by hand.\n\nOptions:\n  --to VERSION              Roll back everything after this version\n  --through VERSION         Roll back down to and including this version\n  --log-only                Record the migrations as rolled back; run none of their statements\n${COMMON}\n`,
  redo: `Usage: zdm redo [options]\n\nRolls back the last applied migration and applies it again.\n\nOptions:\n${VERIFY}\n${COMMON}\n`,
  status: `Usage: zdm status [options]\n\nLists every migration: applied (with its time), edited after it was applied, pending, failed,\napplied but missing on disk, or below a Flyway baseline. Changes nothing in the database.\n\nOptions:\n${COMMON}\n`,
  baseline: `Usage: zdm baseline [--version VERSION] [--description TEXT] [options]\n\nFlyway projects only: does what flyway baseline does. Writes Flyway's BASELINE row to its schema\nhistory table (creating the table when missing) for a database that already holds the schema: the\nmigrations at or below VERSION are then "below baseline", never run by zdm up or Flyway, never rolled\nback. Refused, as Flyway refuses it, when the table already holds migrations or another baseline.\n\nOptions:\n  --version VERSION         The baseline version (default: flyway.baselineVersion in flyway.conf or\n                            flyway.toml, FLYWAY_BASELINE_VERSION, else 1)\n  --description TEXT        Its description (default: flyway.baselineDescription, else\n                            << Flyway Baseline >>)\n${COMMON}\n`,
  db: `Usage: zdm db start|stop|url|status [--show-password]\n\nThe embedded PostgreSQL of this project (data in .zdm/postgres, git-ignored): started on demand by\nthe runner when no database URL is configured, kept running between commands.\n\n  start     Start it (initialising it the first time)\n  stop      Stop it\n  url       Print its URL (password masked unless --show-password)\n  status    Whether it runs, and where\n`,
};

type RunnerCommand = 'up' | 'rollback' | 'redo' | 'status' | 'baseline';

export async function runRunnerCommand(command: RunnerCommand, argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommandArgs(
    command,
    RUNNER_HELP[command],
    io,
    {
      args: argv,
      allowPositionals: false,
      options: {
        to: { type: 'string' },
        through: { type: 'string' },
        version: { type: 'string' },
        description: { type: 'string' },
        'allow-missing': { type: 'boolean', default: false },
        'log-only': { type: 'boolean', default: false },
        verify: { type: 'boolean' },
        'no-verify': { type: 'boolean' },
        url: { type: 'string' },
        dir: { type: 'string' },
        config: { type: 'string' },
        yes: { type: 'boolean', short: 'y', default: false },
        wait: { type: 'boolean', default: false },
        'no-start': { type: 'boolean', default: false },
        format: { type: 'string', default: 'text' },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    createRedactor([]),
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const format = values.format as string;
  if (!['text', 'json', 'jsonl'].includes(format)) {
    io.stderr(`zdm ${command}: unknown --format "${format}"; use text, json or jsonl.\n`);
    return 2;
  }
  if ((values.to !== undefined && command !== 'up' && command !== 'rollback') || (values.through !== undefined && command !== 'rollback')) {
    io.stderr(`zdm ${command}: ${values.through !== undefined ? '--through' : '--to'} does not apply to ${command}.\n`);
    return 2;
  }
  if ((values.version !== undefined || values.description !== undefined) && command !== 'baseline') {
    io.stderr(`zdm ${command}: ${values.version !== undefined ? '--version' : '--description'} does not apply to ${command}.\n`);
    return 2;
  }
  if (values['allow-missing'] && command !== 'up') {
    io.stderr(`zdm ${command}: --allow-missing does not apply to ${command}.\n`);
    return 2;
  }
  if (values['log-only'] && command !== 'up' && command !== 'rollback') {
    io.stderr(`zdm ${command}: --log-only does not apply to ${command}.\n`);
    return 2;
  }
  if ((values.verify || values['no-verify']) && command !== 'up' && command !== 'redo') {
    io.stderr(`zdm ${command}: --${values.verify ? '' : 'no-'}verify does not apply to ${command}.\n`);
    return 2;
  }
  if (values.verify && values['no-verify']) {
    io.stderr(`zdm ${command}: use --verify or --no-verify, not both.\n`);
    return 2;
  }
  if (values.to !== undefined && values.through !== undefined) {
    io.stderr(`zdm rollback: use --to or --through, not both.\n`);
    return 2;
  }
  const color = format === 'text' && io.isTTY && !values['no-color'] && io.env.NO_COLOR === undefined;
  // Hundreds of migrations print thousands of lines: write them in chunks (at most 50 ms late).
  const out = bufferedWriter(io.stdout);
  const printer = createPrinter({ ...io, stdout: out.write, stderr: (s) => (out.flush(), io.stderr(s)) }, { color, cwd: io.cwd });
  /** The migration under way, for what Ctrl-C leaves behind. */
  let running: Extract<RunEvent, { type: 'migration-start' }> | undefined;
  const stop = new AbortController();
  const options: RunnerOptions = {
    cwd: io.cwd,
    configPath: values.config !== undefined ? path.resolve(io.cwd, values.config) : undefined,
    dir: values.dir,
    url: values.url,
    env: io.env,
    yes: values.yes,
    wait: values.wait,
    startEmbedded: !values['no-start'],
    verify: values.verify ? true : values['no-verify'] ? false : undefined,
    signal: stop.signal,
    onEvent: (event) => {
      if (event.type === 'migration-start') running = event;
      else if (event.type === 'migration-end') running = undefined;
      if (format === 'jsonl') out.write(JSON.stringify({ event: event.type, ...event }) + '\n');
      else if (format === 'text') printer.event(event, command);
    },
  };
  // Ctrl-C (or SIGTERM, as the editor's Cancel and process managers send): the runner cancels the
  // statement running, as psql's Ctrl-C does, records what that leaves behind as it records a failure,
  // releases its locks and returns; the result is printed and the exit code is 130. Waiting for a
  // closed connection to be noticed instead would leave the statement running and the migration lock
  // held for a while, so a run started right after would find it taken. A second Ctrl-C, or a run
  // that has not returned 10 s after the first, ends the process at once: its connection closes and
  // PostgreSQL ends what was running (client_connection_check_interval).
  let signals = 0;
  const interrupted = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1 && !stop.signal.aborted) {
      stop.abort();
      out.flush();
      io.stderr(`zdm ${command}: interrupted (${signal}): cancelling the running statement; ${signal === 'SIGINT' ? 'Ctrl-C again' : 'a second signal'} quits at once.\n`);
      setTimeout(() => quit(), 10_000).unref();
      return;
    }
    quit();
  };
  const quit = () => {
    out.flush();
    const what = running
      ? running.mode === 'transaction'
        ? `${running.name} was running in one transaction: PostgreSQL rolls it back as the connection closes, and nothing of it is recorded.`
        : `${running.name} was running statement by statement: the statements that finished stay committed; zdm status shows where it stopped, and the next zdm ${running.direction === 'up' ? 'up' : 'rollback'} resumes there.`
      : 'No migration was running.';
    io.stderr(`zdm ${command}: interrupted. ${what}\n`);
    process.exit(130);
  };
  if (command !== 'status') {
    process.on('SIGINT', interrupted);
    process.on('SIGTERM', interrupted);
  }
  let result: RunResult;
  switch (command) {
    case 'up':
      result = await up({ ...options, to: values.to, allowMissing: values['allow-missing'], logOnly: values['log-only'] });
      break;
    case 'rollback':
      result = await rollback({ ...options, to: values.to, through: values.through, logOnly: values['log-only'] });
      break;
    case 'redo':
      result = await redo(options);
      break;
    case 'status':
      result = await status(options);
      break;
    case 'baseline':
      result = await baseline({ ...options, version: values.version, description: values.description });
      break;
  }
  process.removeListener('SIGINT', interrupted);
  process.removeListener('SIGTERM', interrupted);
  if (format === 'json') out.write(JSON.stringify(result, null, 2) + '\n');
  else if (format === 'jsonl') out.write(JSON.stringify({ event: 'result', ...result }) + '\n');
  else printer.result(result);
  out.flush();
  return stop.signal.aborted ? 130 : exitCode(result);
}

/** Collects output and writes it when 32 KB have gathered or 50 ms have passed. */
function bufferedWriter(write: (s: string) => void): { write: (s: string) => void; flush: () => void } {
  let pending: string[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    size = 0;
    write(text);
  };
  return {
    write(s) {
      pending.push(s);
      size += s.length;
      if (size >= 32 * 1024) flush();
      else timer ??= setTimeout(flush, 50);
    },
    flush,
  };
}

export function exitCode(result: RunResult): number {
  if (result.usageError !== undefined || result.needsConfirmation !== undefined) return 2;
  return result.ok ? 0 : 1;
}

export async function runDbCommand(argv: string[], io: CommandIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { 'show-password': { type: 'boolean', default: false }, config: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
  } catch (error) {
    io.stderr(`zdm db: ${(error as Error).message}\n\n${RUNNER_HELP.db}`);
    return 2;
  }
  const [action] = parsed.positionals;
  if (parsed.values.help || action === undefined) {
    (action === undefined && !parsed.values.help ? io.stderr : io.stdout)(RUNNER_HELP.db);
    return action === undefined && !parsed.values.help ? 2 : 0;
  }
  const loaded = loadConfig(io.cwd, createDiskHost(), parsed.values.config !== undefined ? path.resolve(io.cwd, parsed.values.config) : undefined);
  const root = loaded.root;
  const show = (url: string) => (parsed.values['show-password'] ? url : maskUrl(url));
  try {
    switch (action) {
      case 'start': {
        const server = await ensureEmbeddedServer(root, { log: (line) => io.stderr(`${line}\n`) });
        io.stdout(`${server.startedNow ? 'Started' : 'Already running:'} the embedded PostgreSQL (pid ${server.pid}) at ${show(server.url)}\ndata: ${path.relative(io.cwd, server.dataDir) || server.dataDir}, log: ${path.relative(io.cwd, server.logFile)}\n`);
        return 0;
      }
      case 'stop': {
        const stopped = await stopEmbeddedServer(root);
        io.stdout(stopped.stopped ? `Stopped the embedded PostgreSQL (pid ${stopped.pid}).\n` : 'The embedded PostgreSQL is not running.\n');
        return 0;
      }
      case 'url': {
        const state = embeddedServerState(root);
        if (!state.url) {
          io.stderr('The embedded PostgreSQL is not running (zdm db start starts it).\n');
          return 1;
        }
        io.stdout(`${show(state.url)}\n`);
        return 0;
      }
      case 'status': {
        const state = embeddedServerState(root);
        if (state.running && state.url) io.stdout(`running (pid ${state.running.pid}) at ${maskUrl(state.url)}, data: ${state.record!.dataDir}\n`);
        else io.stdout(state.record ? `stopped (data: ${state.record.dataDir})\n` : 'not created yet (zdm db start, or any runner command, creates it)\n');
        return 0;
      }
      default:
        io.stderr(`zdm db: unknown action "${action}".\n\n${RUNNER_HELP.db}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof EmbeddedError) {
      io.stderr(`zdm db ${action}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

// ── Text output ─────────────────────────────────────────────────────────────────────────────────────

interface Printer {
  event(event: RunEvent, command: RunnerCommand): void;
  result(result: RunResult): void;
}

function createPrinter(io: CommandIO, options: { color: boolean; cwd: string }): Printer {
  const paint = (code: string) => (s: string) => (options.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const green = paint('32');
  const red = paint('31');
  const yellow = paint('33');
  const dim = paint('2');
  const bold = paint('1');
  const rel = (file: string) => path.relative(options.cwd, file) || file;
  return {
    event(event, command) {
      switch (event.type) {
        case 'database':
          io.stdout(`${bold(`zdm ${command}`)} ${event.url} ${dim(`(${event.source}${event.serverVersion ? `, PostgreSQL ${event.serverVersion}` : ''})`)}\n`);
          break;
        case 'info':
          io.stdout(dim(`${event.message}\n`));
          break;
        case 'warning':
          io.stderr(`${yellow('warning')}: ${event.message}\n`);
          break;
        case 'plan':
          if (event.steps.length === 0) io.stdout(command === 'up' ? (event.logOnly ? 'Nothing to record: the database is up to date.\n' : 'Nothing to apply: the database is up to date.\n') : event.logOnly ? 'Nothing to record as rolled back.\n' : 'Nothing to roll back.\n');
          else if (event.logOnly) io.stdout(dim(`--log-only: recording ${event.steps.length === 1 ? '1 migration' : `${event.steps.length} migrations`} as ${command === 'up' ? 'applied' : 'rolled back'}, running none of their statements\n`));
          break;
        case 'migration-start':
          if (event.logOnly) {
            io.stdout(`${event.direction === 'up' ? '↑' : '↓'} ${bold(migrationLabel(event, rel))} ${dim('(log only: not run)')}\n`);
            break;
          }
          io.stdout(
            `${event.direction === 'up' ? '↑' : '↓'} ${bold(migrationLabel(event, rel))} ${dim(`(${event.mode === 'transaction' ? 'one transaction' : 'statements one at a time'}: ${event.modeReason}${event.resumeAt ? (event.resumeAt > event.statements ? '; its statements all ran before: recording it' : `; resuming at statement ${event.resumeAt}`) : ''})`)}\n`,
          );
          break;
        case 'statement':
          io.stdout(`  ${dim((event.result.durationMs < 0 ? '—' : formatMs(event.result.durationMs)).padStart(9))}  ${dim(`L${event.result.line}`.padEnd(5))} ${event.result.ok ? '' : red('✗ ')}${event.result.text}\n`);
          break;
        case 'migration-end':
          if (event.step.logOnly) {
            io.stdout(event.step.ok ? `  ${green('✓')} recorded as ${event.step.direction === 'up' ? 'applied' : 'rolled back'}, not run\n` : `  ${red('✗')} not recorded\n`);
            break;
          }
          io.stdout(event.step.ok ? `  ${green('✓')} ${event.step.direction === 'up' ? 'applied' : 'rolled back'} in ${formatMs(event.step.durationMs)}\n` : `  ${red('✗')} failed after ${formatMs(event.step.durationMs)}${event.step.continued ? ' (failOnError:false: not recorded, the run goes on)' : ''}\n`);
          break;
      }
    },
    result(result) {
      if (result.usageError !== undefined) {
        io.stderr(`zdm ${result.command}: ${result.usageError}\n`);
        return;
      }
      if (result.needsConfirmation) {
        const c = result.needsConfirmation;
        io.stderr(`zdm ${result.command}: ${c.message}\n${c.details.map((d) => `  - ${d}\n`).join('')}Re-run with --yes to go ahead.\n`);
        return;
      }
      if (result.command === 'status') {
        printStatus(io, result, { rel, green, red, yellow, dim, bold });
        return;
      }
      if (result.command === 'baseline') {
        if (result.error) io.stderr(`${red('error')}: ${result.error.message}\n`);
        else if (result.baseline) io.stdout(`${green('Done')}: ${result.baseline.skipped ? 'already baselined' : 'baselined'} at version ${result.baseline.version} (${result.baseline.description}) in ${formatMs(result.durationMs)}; ${result.status?.filter((s) => s.state === 'pending').length ?? 0} pending.\n`);
        return;
      }
      if (result.error) printError(io, result.error, rel, red, dim);
      const done = result.steps.filter((s) => s.ok);
      const verb = (s: StepResult) => (s.logOnly ? `recorded as ${s.direction === 'up' ? 'applied' : 'rolled back'} (not run)` : s.direction === 'up' ? 'applied' : 'rolled back');
      const counts = new Map<string, number>();
      for (const s of done) counts.set(verb(s), (counts.get(verb(s)) ?? 0) + 1);
      const parts = [...counts].map(([v, n]) => `${n} migration${n === 1 ? '' : 's'} ${v}`);
      const passed = result.steps.filter((s) => s.continued).length;
      if (passed > 0) parts.push(`${passed} failed and passed over (failOnError:false)`);
      const partly = result.error?.committed !== undefined && result.error.committed > 0;
      const summary = parts.length > 0 ? parts.join(', ') : partly ? 'no migration completed (the failed one is partly applied)' : 'nothing changed';
      const pending = result.status?.filter((s) => s.state === 'pending').length ?? 0;
      const line = `${result.ok ? green('Done') : red('Failed')}: ${summary} in ${formatMs(result.durationMs)}${result.command === 'up' && result.ok ? `; ${pending} pending` : ''}.\n`;
      (result.ok ? io.stdout : io.stderr)(line);
    },
  };
}

function printError(io: CommandIO, error: RunError, rel: (f: string) => string, red: (s: string) => string, dim: (s: string) => string): void {
  const where = error.file ? `${rel(error.file)}:${error.line}:${error.column}: ` : '';
  io.stderr(`${red('error')}: ${where}${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}\n`);
  if (error.statement !== undefined) io.stderr(dim(`  in statement ${error.statement}${error.section ? ` of the ${error.section} section` : ''}: ${error.statementText}\n`));
  if (error.detail) io.stderr(`  detail: ${error.detail}\n`);
  if (error.hint) io.stderr(`  hint: ${error.hint}\n`);
  if (error.where) io.stderr(dim(`  context: ${error.where.split('\n')[0]}\n`));
  if (error.committed !== undefined) {
    io.stderr(
      error.committed > 0
        ? `  ${error.committed} statement${error.committed === 1 ? ' was' : 's were'} committed before it (this section runs statement by statement); zdm status shows the record, and the next zdm ${error.section === 'down' ? 'rollback' : 'up'} resumes at the failed statement.\n`
        : '  Nothing of this migration was committed.\n',
    );
  } else if (error.reverted === false) io.stderr('  The change is not recorded as deployed, but its revert failed: what its deploy script did may remain.\n');
  else if (error.reverted) io.stderr('  The change was reverted with its revert script and is not recorded as deployed.\n');
  else if (error.file) io.stderr('  The migration was rolled back: schema and bookkeeping are as before it.\n');
}

function printStatus(io: CommandIO, result: RunResult, c: { rel: (f: string) => string; green: (s: string) => string; red: (s: string) => string; yellow: (s: string) => string; dim: (s: string) => string; bold: (s: string) => string }): void {
  if (result.error) io.stderr(`${c.red('error')}: ${result.error.message}\n`);
  const entries = result.status ?? [];
  const look: Record<StatusEntry['state'], (s: string) => string> = { applied: c.green, edited: c.yellow, pending: (s) => s, missing: c.red, failed: c.red, 'below-baseline': c.dim };
  if (entries.length === 0) io.stdout('No migrations.\n');
  const width = Math.max(7, ...entries.map((e) => e.version.length));
  // The state column is 8 wide unless a Flyway baseline adds "below-baseline" (Flyway info's "Below Baseline").
  const stateWidth = Math.max(8, ...entries.map((e) => e.state.length));
  for (const e of entries) {
    const when = e.appliedAt ? c.dim(e.appliedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')) : '';
    const what = e.file ? migrationLabel(e, c.rel) : c.dim(e.state === 'below-baseline' ? "(Flyway's baseline row)" : '(not on disk)');
    io.stdout(`${look[e.state](e.state.padEnd(stateWidth))} ${e.version.padEnd(width)}  ${what}  ${when}${e.note ? c.dim(` — ${e.note}`) : ''}\n`);
  }
  const count = (state: StatusEntry['state']) => entries.filter((e) => e.state === state).length;
  const below = entries.filter((e) => e.state === 'below-baseline' && e.file).length;
  io.stdout(`${count('applied') + count('edited')} applied (${count('edited')} edited after apply), ${count('pending')} pending, ${count('failed')} failed, ${count('missing')} missing on disk${count('below-baseline') > 0 ? `, ${below} below the Flyway baseline` : ''}.\n`);
}

function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}
