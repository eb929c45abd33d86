// Whole-corpus lint, zdm against squawk: the same files, one process each, wall time from spawn to
// exit with stdout drained through a pipe. Runs are interleaved (zdm, squawk, zdm --threads 1, ...)
// so that load from other work on the machine hits all of them alike.

import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { median, min, seconds, timeCommand } from './stats.mjs';

/** Every .sql file under `root`, sorted. */
export function sqlFiles(root) {
  return readdirSync(root, { recursive: true })
    .filter((f) => f.toLowerCase().endsWith('.sql'))
    .map((f) => join(root, f))
    .sort();
}

/** The squawk binary itself (not its Node launcher, which would add a Node start to squawk's time). */
export function squawkBinary(peersBin) {
  const require = createRequire(join(peersBin, '..', 'squawk-cli', 'package.json'));
  return require('squawk-cli/js/index.js').getBinaryPath();
}

/**
 * Measures the commands `runs` times each, interleaved. Each command: { name, command, args, cwd, env }.
 * Returns per name: wall times, CPU times, exit codes.
 */
export async function measureInterleaved(commands, runs, { warmup = 1, onRun } = {}) {
  const results = Object.fromEntries(commands.map((c) => [c.name, { wall: [], cpu: [], codes: new Set(), bytes: 0 }]));
  for (let i = -warmup; i < runs; i++) {
    for (const c of commands) {
      const r = await timeCommand(c.command, c.args, { cwd: c.cwd, env: c.env });
      if (r.code !== 0 && r.code !== 1) throw new Error(`${c.name} failed with exit code ${r.code}:\n${r.stderr.slice(0, 2000)}`);
      if (i < 0) continue; // warm-up: fills the page cache, not counted
      results[c.name].wall.push(r.wallMs);
      if (r.cpuMs !== undefined) results[c.name].cpu.push(r.cpuMs);
      results[c.name].codes.add(r.code);
      results[c.name].bytes = r.bytes;
      onRun?.(c.name, r);
    }
  }
  return results;
}

export function summarize(name, r) {
  const cpu = r.cpu.length ? `, CPU median ${seconds(median(r.cpu))}` : '';
  return `${name.padEnd(36)} wall median ${seconds(median(r.wall))}, min ${seconds(min(r.wall))}, max ${seconds(Math.max(...r.wall))}${cpu}`;
}
