// Runs the bundled CLI (dist/cli.js) for the runner commands. The editor is a thin layer over
// `zdm up|rollback|redo|status --format jsonl` (and `zdm db start|stop`; `--log-only` for the "Mark as
// (Not) Applied" commands): one JSON event per line (statements with their
// durations, as they run) and the result last, so the terminal and the editor run the same code.
// The password travels in the child's environment (ZDM_DATABASE_URL), never on its command line.
// Cancelling stops the CLI: each migration is one transaction (or records how far it got), so stopping
// between statements is safe.

import { spawn } from 'node:child_process';
import type { RunEvent, RunResult } from '../../../server/src/engine/runner/events';
import { LineBuffer } from '../lines';

export interface ZdmRun {
  code: number | null;
  result?: RunResult;
  stderr: string;
  cancelled: boolean;
}

export interface ZdmRunOptions {
  cli: string;
  cwd: string;
  /** Extra environment (ZDM_DATABASE_URL). */
  env?: Record<string, string>;
  onEvent?: (event: RunEvent) => void;
  onStderr?: (line: string) => void;
  /** Lines of stdout that are not JSON (`zdm db start` prints text). */
  onText?: (line: string) => void;
  /** Resolves when the user cancels. */
  cancelled?: Promise<unknown>;
}

/** What a Migrate Up / Roll Back / Redo / Mark as (Not) Applied run asks the CLI for. */
export interface MigrationRun {
  command: 'up' | 'rollback' | 'redo';
  /** Up to and including this migration (`up --to`), or back through it (`rollback --through`). */
  version?: string;
  /** Record the migrations as applied / not applied without running them (`--log-only`). */
  logOnly?: boolean;
}

/**
 * The CLI's arguments for a run. `confirmed`: the user said yes to the CLI's question (a database not on
 * this machine, a rollback that drops data), so the same run is asked for again with `--yes`.
 */
export function runArgs(run: MigrationRun, confirmed = false): string[] {
  const args: string[] = [run.command];
  if (run.version !== undefined && run.command === 'up') args.push('--to', run.version);
  if (run.version !== undefined && run.command === 'rollback') args.push('--through', run.version);
  // Only up and rollback take it (the CLI refuses it for redo): never sent for anything else.
  if (run.logOnly && run.command !== 'redo') args.push('--log-only');
  if (confirmed) args.push('--yes');
  args.push('--format', 'jsonl');
  return args;
}

export function runZdm(args: string[], options: ZdmRunOptions): Promise<ZdmRun> {
  return new Promise((resolve) => {
    // The extension host's executable is Electron (or Node, in code-server): run the CLI as plain Node,
    // without an IPC channel (nothing to say to it but its arguments).
    const child = spawn(process.execPath, [options.cli, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let result: RunResult | undefined;
    let stderr = '';
    let cancelled = false;
    const outLines = new LineBuffer();
    const errLines = new LineBuffer();
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const line of outLines.push(chunk.toString('utf8'))) {
        const parsed = parseLine(line);
        if (!parsed) {
          if (line.trim()) options.onText?.(line);
          continue;
        }
        if (parsed.event === 'result') result = parsed as unknown as RunResult;
        else options.onEvent?.({ ...parsed, type: parsed.event } as unknown as RunEvent);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr += text;
      for (const line of errLines.push(text)) if (line.trim()) options.onStderr?.(line);
    });
    void options.cancelled?.then(() => {
      cancelled = true;
      child.kill('SIGINT');
    });
    child.on('error', (error) => {
      stderr += `\n${error.message}`;
    });
    child.on('exit', (code) => {
      const last = parseLine(outLines.rest);
      if (last?.event === 'result') result = last as unknown as RunResult;
      if (errLines.rest.trim()) options.onStderr?.(errLines.rest);
      resolve({ code, result, stderr, cancelled });
    });
  });
}

/**
 * The line of the CLI's stderr that says what went wrong: its last message or, when Node printed a
 * crash (an error, a stack, then "Node.js v20..."), the error line of the crash.
 */
export function errorLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.some((l) => /^Node\.js v\d/.test(l))) {
    const error = lines.find((l) => /^\w*Error\b/.test(l));
    if (error) return error;
  }
  return lines.filter((l) => !/^Node\.js v\d/.test(l) && !/^at /.test(l)).pop();
}

function parseLine(line: string): ({ event: string } & Record<string, unknown>) | undefined {
  if (!line.trim().startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as { event: string } & Record<string, unknown>;
  } catch {
    return undefined;
  }
}
