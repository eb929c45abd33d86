// `zdm roundtrip`, `zdm trace`, `zdm verify`, and the contract check in front of `zdm up`: a thin layer
// over the engine's proving library (engine/prove/). Progress goes to stderr, results to stdout.
// Exit codes: 0 clean, 1 findings at or above "failOn" (round trip), a failed verification or statement,
// or a refused contract; 2 bad usage or configuration.
//
// SIGINT / SIGTERM while a throwaway database exists: it is dropped (and this process's sessions on
// it ended) before the process exits with 130 / 143.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { ProveEvent, ProveOptions } from '../engine/prove/target';
import { roundTripMarkdown, roundTripText, traceMarkdown, verifyText } from '../engine/prove/report';
import { roundTrip } from '../engine/prove/roundtrip';
import { dropAllThrowaways, liveThrowaways } from '../engine/prove/throwaway';
import { traceLocks } from '../engine/prove/trace';
import { checkContractGate, verifyBackfills } from '../engine/prove/verify';
import { createRedactor } from '../engine/runner/url';
import type { CommandIO } from './lint-command';

const COMMON = `  --url URL                 Database URL (default: $DATABASE_URL, then "database.url" in .zdm.json,
                            then the embedded PostgreSQL in .zdm/)
  --dir DIR                 Migrations folder (default: "migrationsDir" in .zdm.json, else the first of
                            db/migrations, migrations, ..., supabase/migrations, prisma/migrations that exists)
  --config FILE             Use this .zdm.json`;
const YES = `  --yes                     Confirm a server that is not on this machine (a throwaway database is created there)`;

export const PROVE_HELP: Record<string, string> = {
  roundtrip: `Usage: zdm roundtrip [--seed FILE] [--fresh | --all] [options]

For each pending migration, on a throwaway copy of the dev database: snapshot the schema (from the
catalogs) and count the rows, run up, run down, snapshot and count again, report every difference as
a finding on the down section, then run up again. The throwaway database is dropped at the end.

Options:
  --seed FILE               SQL run on the throwaway database before the round trips (sample data)
  --fresh                   Start from an empty database and replay the applied migrations, instead of
                            copying the dev database (CREATE DATABASE ... TEMPLATE needs it idle)
  --all                     Round-trip every migration from an empty database (CI)
  --format text|json        Output (default text)
  --report FILE             Also write the report as Markdown
${COMMON}
${YES}
`,
  trace: `Usage: zdm trace FILE [--format markdown|json] [options]

Runs the up section of FILE on a throwaway copy of the dev database, one statement at a time, and
records after each: the locks it took (pg_locks), the tables and indexes it rewrote (relfilenode), the
constraints it added and their validity, its duration and the lock_timeout in force, and which SELECT /
INSERT / UPDATE a second session could not run meanwhile. Compares every lock with zdm's lock table
(confirmed / static only / trace only) and lists the mismatches. The copy is dropped at the end.

Options:
  --down                    Trace the down section instead (the migration is applied on the copy first)
  --fresh                   An empty database with the earlier migrations applied, instead of a copy
  --no-probe                Do not try SELECT / INSERT / UPDATE from a second session
  --format markdown|json    Output (default markdown)
  --report FILE             Also write the Markdown report to FILE
${COMMON}
${YES}
`,
  verify: `Usage: zdm verify [FILE...] [--format text|json] [options]

Runs the "-- zdm:verify <query> -- expect <value>" directives of backfill migrations on the dev
database (each in a read-only transaction) and shows pass / fail; the result is recorded in
.zdm/verify.json, where the trio-incomplete rule reads it. Without FILE: every applied migration that
has directives. It only reads (one query per directive, in a READ ONLY transaction rolled back), so
it asks no confirmation for a server that is not on this machine.

In a sqitch project, without FILE it also runs the verify script (verify/<change>.sql) of every
deployed change, as sqitch verify does: each as sqitch runs it (its own BEGIN/ROLLBACK decide), with
[verify.variables]; a failing script, or a change deployed out of plan order, fails the command.

Options:
  --format text|json        Output (default text)
${COMMON}
`,
};

const FORCE_HELP = `
Contract migrations of a trio (zdm trio):
  --force                   Apply a contract migration even when its backfill is not applied yet or
                            its -- zdm:verify queries fail on the dev database
`;

type Parsed = { values: Record<string, string | boolean | undefined>; positionals: string[] };

function parse(command: string, argv: string[], io: CommandIO, extra: Record<string, { type: 'string' | 'boolean' }>, positionals: boolean): Parsed | number {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: positionals,
      options: {
        url: { type: 'string' },
        dir: { type: 'string' },
        config: { type: 'string' },
        yes: { type: 'boolean', short: 'y' },
        format: { type: 'string' },
        report: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...extra,
      },
    }) as Parsed;
  } catch (error) {
    io.stderr(`zdm ${command}: ${createRedactor([])((error as Error).message)}\n\n${PROVE_HELP[command]}`);
    return 2;
  }
}

function baseOptions(values: Parsed['values'], io: CommandIO, format: string): ProveOptions {
  return {
    cwd: io.cwd,
    configPath: typeof values.config === 'string' ? path.resolve(io.cwd, values.config) : undefined,
    dir: values.dir as string | undefined,
    url: values.url as string | undefined,
    env: io.env,
    yes: values.yes === true,
    onEvent: (event: ProveEvent) => {
      if (event.type === 'warning') io.stderr(`warning: ${event.message}\n`);
      else if (format !== 'json' || event.type !== 'info') io.stderr(`${event.message}\n`);
    },
  };
}

/** Drops this process's throwaway databases on SIGINT / SIGTERM, then exits. Returns the uninstaller. */
export function installInterruptCleanup(io: Pick<CommandIO, 'stderr'>): () => void {
  let cleaning = false;
  const handler = (signal: NodeJS.Signals) => {
    if (cleaning) return;
    cleaning = true;
    const names = liveThrowaways();
    if (names.length > 0) io.stderr(`\nzdm: ${signal}: dropping the throwaway database${names.length === 1 ? '' : 's'} ${names.join(', ')} ...\n`);
    void dropAllThrowaways().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  };
}

function writeReport(file: string | undefined, text: string, io: CommandIO): void {
  if (!file) return;
  const target = path.resolve(io.cwd, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text.endsWith('\n') ? text : text + '\n');
}

export async function runRoundTrip(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parse('roundtrip', argv, io, { seed: { type: 'string' }, fresh: { type: 'boolean' }, all: { type: 'boolean' } }, false);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (values.help) {
    io.stdout(PROVE_HELP.roundtrip);
    return 0;
  }
  const format = (values.format as string | undefined) ?? 'text';
  if (!['text', 'json'].includes(format)) {
    io.stderr(`zdm roundtrip: unknown --format "${format}"; use text or json.\n`);
    return 2;
  }
  const uninstall = installInterruptCleanup(io);
  try {
    const result = await roundTrip({ ...baseOptions(values, io, format), seedFile: values.seed as string | undefined, fresh: values.fresh === true, all: values.all === true });
    writeReport(values.report as string | undefined, roundTripMarkdown(result, { cwd: io.cwd }), io);
    if (format === 'json') io.stdout(JSON.stringify(result, null, 2) + '\n');
    else if (result.usageError) io.stderr(`zdm roundtrip: ${result.usageError}\n`);
    else {
      io.stdout(roundTripText(result, { cwd: io.cwd }));
      if (result.error) io.stderr(`error: ${result.error.message}\n`);
    }
    if (result.usageError) return 2;
    return result.ok ? 0 : 1;
  } finally {
    uninstall();
  }
}

export async function runTrace(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parse('trace', argv, io, { down: { type: 'boolean' }, fresh: { type: 'boolean' }, 'no-probe': { type: 'boolean' } }, true);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(PROVE_HELP.trace);
    return 0;
  }
  const format = (values.format as string | undefined) ?? 'markdown';
  if (!['markdown', 'json', 'text'].includes(format)) {
    io.stderr(`zdm trace: unknown --format "${format}"; use markdown or json.\n`);
    return 2;
  }
  if (positionals.length !== 1) {
    io.stderr(`zdm trace: give exactly one migration file.\n\n${PROVE_HELP.trace}`);
    return 2;
  }
  const uninstall = installInterruptCleanup(io);
  try {
    const result = await traceLocks({ ...baseOptions(values, io, format), file: positionals[0], section: values.down ? 'down' : 'up', fresh: values.fresh === true, probe: values['no-probe'] !== true });
    const markdown = traceMarkdown(result, { cwd: io.cwd });
    writeReport(values.report as string | undefined, markdown, io);
    if (format === 'json') io.stdout(JSON.stringify(result, null, 2) + '\n');
    else if (result.usageError) io.stderr(`zdm trace: ${result.usageError}\n`);
    else {
      io.stdout(markdown + '\n');
      if (result.error) io.stderr(`error: ${result.error.message}\n`);
    }
    if (result.usageError) return 2;
    return result.ok ? 0 : 1;
  } finally {
    uninstall();
  }
}

export async function runVerify(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parse('verify', argv, io, {}, true);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(PROVE_HELP.verify);
    return 0;
  }
  const format = (values.format as string | undefined) ?? 'text';
  if (!['text', 'json'].includes(format)) {
    io.stderr(`zdm verify: unknown --format "${format}"; use text or json.\n`);
    return 2;
  }
  const result = await verifyBackfills({ ...baseOptions(values, io, format), files: positionals });
  if (format === 'json') io.stdout(JSON.stringify(result, null, 2) + '\n');
  else if (result.usageError) io.stderr(`zdm verify: ${result.usageError}\n`);
  else {
    io.stdout(verifyText(result, { cwd: io.cwd }));
    if (result.error) io.stderr(`error: ${result.error.message}\n`);
  }
  if (result.usageError) return 2;
  return result.ok ? 0 : 1;
}

/**
 * `zdm up`, with the contract check in front: a trio's contract migration is refused while its
 * backfill is not applied or its verification fails, unless --force. Everything else is the runner's.
 */
export async function runUpWithContractCheck(argv: string[], io: CommandIO, runUp: (argv: string[]) => Promise<number>): Promise<number> {
  const force = argv.includes('--force');
  const rest = argv.filter((a) => a !== '--force');
  if (rest.includes('--help') || rest.includes('-h')) {
    const code = await runUp(rest);
    io.stdout(FORCE_HELP);
    return code;
  }
  if (!force) {
    let values: Record<string, string | boolean | undefined>;
    try {
      values = parseArgs({ args: rest, allowPositionals: true, strict: false, options: { url: { type: 'string' }, dir: { type: 'string' }, config: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' } } }).values;
    } catch {
      return runUp(rest); // the runner reports bad usage
    }
    const format = typeof values.format === 'string' ? values.format : 'text';
    const gate = await checkContractGate({
      cwd: io.cwd,
      configPath: typeof values.config === 'string' ? path.resolve(io.cwd, values.config) : undefined,
      dir: typeof values.dir === 'string' ? values.dir : undefined,
      url: typeof values.url === 'string' ? values.url : undefined,
      to: typeof values.to === 'string' ? values.to : undefined,
      env: io.env,
    }).catch(() => undefined);
    if (gate?.refusal) {
      const refusal = gate.refusal;
      if (format === 'json') io.stdout(JSON.stringify(refusal, null, 2) + '\n');
      else if (format === 'jsonl') io.stdout(JSON.stringify({ event: 'result', ...refusal }) + '\n');
      else {
        const e = refusal.error!;
        io.stderr(`error: ${e.file ? `${path.relative(io.cwd, e.file) || e.file}:${e.line}:${e.column}: ` : ''}${e.message}\n  hint: ${e.hint}\n`);
      }
      return 1;
    }
  } else io.stderr('zdm up: --force: trio contracts are applied without checking their backfill.\n');
  return runUp(rest);
}
