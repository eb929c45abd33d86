// Runner benchmark (not a test): applying N small migrations with `zdm up` and with `dbmate up`, on
// the same files and the same PostgreSQL server (zdm's embedded one), each on a fresh database,
// interleaved run by run. Prints both wall times and the ratio; the target is zdm within 1.2x dbmate.
//
//   npm run build && node bench/runner.mjs [--count 500] [--runs 5] [--durable]
//
// dbmate is a peer, installed into .peers/ from npm (scripts/peers.mjs), never a dependency.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePeers } from '../scripts/peers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: { count: { type: 'string', default: '500' }, runs: { type: 'string', default: '5' }, dist: { type: 'string', default: join(root, 'dist') }, durable: { type: 'boolean', default: false } },
});
const count = Number(values.count);
const runs = Math.max(1, Number(values.runs));
const cli = join(values.dist, 'cli.js');
if (!existsSync(cli)) {
  console.error(`No ${cli}: run npm run build first.`);
  process.exit(2);
}
const dbmate = join(ensurePeers(['dbmate']), 'dbmate');

const work = mkdtempSync(join(tmpdir(), 'zdm-bench-runner-'));
chmodSync(work, 0o755); // as root, the embedded server's postgres user must reach .zdm/
const migrations = join(work, 'db', 'migrations');
mkdirSync(migrations, { recursive: true });
for (let i = 1; i <= count; i++) {
  const version = String(20240101000000 + i);
  writeFileSync(
    join(migrations, `${version}_table_${i}.sql`),
    `-- migrate:up\nCREATE TABLE table_${i} (id bigint PRIMARY KEY, name text NOT NULL);\nCREATE INDEX table_${i}_name_idx ON table_${i} (name);\n\n-- migrate:down\nDROP TABLE table_${i};\n`,
  );
}
writeFileSync(join(work, '.zdm.json'), JSON.stringify({ format: 'dbmate', migrationsDir: 'db/migrations' }));

const zdm = (...args) => spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '', ZDM_DATABASE_URL: '' } });
const started = zdm('db', 'start');
if (started.status !== 0) {
  console.error(started.stdout + started.stderr);
  process.exit(1);
}
const serverUrl = zdm('db', 'url', '--show-password').stdout.trim();

const { Client } = require('pg');
async function freshDatabase(name) {
  const admin = new Client({ connectionString: serverUrl.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  await admin.query(`CREATE DATABASE "${name}"`);
  // Without --durable, commits do not wait for the disk: each tool commits once per migration, so the
  // fsync latency is the same for both and would only hide what the tools themselves cost.
  if (!values.durable) await admin.query(`ALTER DATABASE "${name}" SET synchronous_commit = off`);
  await admin.end();
  return serverUrl.replace(/\/[^/]*$/, `/${name}`);
}

function timed(command, args, options) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const zdmTimes = [];
const dbmateTimes = [];
console.log(`runner benchmark — ${new Date().toISOString()}`);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`${count} dbmate migrations (CREATE TABLE + CREATE INDEX each), ${runs} runs, each tool on a fresh database of one embedded PostgreSQL (synchronous_commit ${values.durable ? 'on' : 'off'})`);
try {
  for (let run = 0; run < runs; run++) {
    // Alternate which tool goes first, so warm caches favour neither.
    const order = run % 2 === 0 ? ['zdm', 'dbmate'] : ['dbmate', 'zdm'];
    for (const tool of order) {
      const url = await freshDatabase(`bench_${tool}_${run}`);
      if (tool === 'zdm') zdmTimes.push(timed(process.execPath, [cli, 'up', '--url', url], { cwd: work }));
      else dbmateTimes.push(timed(dbmate, ['--url', `${url}?sslmode=disable`, '--migrations-dir', migrations, '--no-dump-schema', 'up'], { cwd: work }));
    }
  }
} finally {
  zdm('db', 'stop');
  rmSync(work, { recursive: true, force: true });
}
const z = median(zdmTimes);
const d = median(dbmateTimes);
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(`zdm up     median ${fmt(z)}  (min ${fmt(Math.min(...zdmTimes))}; runs ${zdmTimes.map(fmt).join(', ')})`);
console.log(`dbmate up  median ${fmt(d)}  (min ${fmt(Math.min(...dbmateTimes))}; runs ${dbmateTimes.map(fmt).join(', ')})`);
console.log(`ratio zdm/dbmate: ${(z / d).toFixed(2)}x (target ≤ 1.20x: ${z / d <= 1.2 ? 'MET' : 'MISSED'})`);
