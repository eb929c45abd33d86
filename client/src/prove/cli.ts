// Running the bundled CLI (dist/cli.js) for the proving commands: the editor is a thin layer over
// `zdm roundtrip|trace|verify --format json`, so the terminal, CI and the editor give the same results.
// Cancelling sends SIGINT: the CLI then drops its throwaway database before it exits.

import { fork } from 'node:child_process';
import * as vscode from 'vscode';
import { LineBuffer } from '../lines';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  cancelled: boolean;
}

export interface CliOptions {
  cwd: string;
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  token?: vscode.CancellationToken;
  /** Progress lines (the CLI's stderr), as they come. */
  onLine?: (line: string) => void;
  /** Extra environment: ZDM_DATABASE_URL (the password never goes on the command line). */
  env?: Record<string, string>;
}

export function runCli(args: string[], options: CliOptions): Promise<CliRun> {
  const cli = vscode.Uri.joinPath(options.extensionUri, 'dist', 'cli.js').fsPath;
  options.log.info(`zdm ${args.join(' ')} (in ${options.cwd})`);
  return new Promise((resolve) => {
    const child = fork(cli, args, {
      cwd: options.cwd,
      // The extension host is Electron: run the CLI as plain Node.
      env: { ...process.env, ...options.env, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
    });
    let stdout = '';
    let stderr = '';
    const errLines = new LineBuffer();
    let cancelled = false;
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr += text;
      for (const line of errLines.push(text)) {
        if (!line.trim()) continue;
        options.log.info(line);
        options.onLine?.(line);
      }
    });
    const subscription = options.token?.onCancellationRequested(() => {
      cancelled = true;
      child.kill('SIGINT');
    });
    child.on('error', (error) => {
      stderr += `\n${error.message}`;
    });
    child.on('exit', (code) => {
      subscription?.dispose();
      if (errLines.rest.trim()) options.log.info(errLines.rest);
      resolve({ code, stdout, stderr, cancelled });
    });
  });
}

/** Parses the CLI's JSON result, or undefined (the caller shows stderr). */
export function parseResult<T>(run: CliRun): T | undefined {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    return undefined;
  }
}
