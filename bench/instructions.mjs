// Whole-corpus lint counted in CPU instructions (Valgrind's cachegrind, no cache simulation), for
// judging a change to the engine: on the shared machines this was written on, wall and CPU times of
// the same build moved 20-40% from one run to the next, while the instruction count of a run moves
// ~0.3%. It measures work, not the target: squawk's native code runs more instructions per cycle than
// a Node process does (it executed more instructions than `zdm lint --threads 1` on the corpus, in
// less time), so the ratio here is no verdict on the wall-time target.

import { spawnSync } from 'node:child_process';

const VALGRIND = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', '--smc-check=all-non-file'];

/** Whether Valgrind can be run here. */
export function valgrindAvailable() {
  const r = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Instructions executed by a command under cachegrind, all threads together (JIT code included:
 * `--smc-check` makes Valgrind notice the code V8 writes). Throws when the command fails.
 */
export function countInstructions(command, args, { env } = {}) {
  const r = spawnSync('valgrind', [...VALGRIND, command, ...args], { encoding: 'utf8', env, maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'ignore', 'pipe'] });
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr ?? '');
  if (!m) throw new Error(`no instruction count from valgrind ${command} (exit ${r.status ?? r.signal}): ${(r.stderr ?? '').slice(-600)}`);
  return Number(m[1].replaceAll(',', ''));
}

/** `1.234 G` */
export function giga(n) {
  return `${(n / 1e9).toFixed(3)} G`;
}
