// Debian packages some suites need (the real sqitch, Java for the real Liquibase): installed with
// apt-get when the process runs as root (a fresh CI machine, where `.ci/run` has usually installed them
// already). Installs are serialized with `flock` on one lock file: `npm test` runs two test files at
// once, and two apt-gets at the same time fail on dpkg's lock instead of waiting for it.

import { spawnSync } from 'node:child_process';

const LOCK_FILE = '/tmp/zdm-test-apt.lock';

/**
 * Installs `packages` with apt-get (update first). Returns undefined when done, else why it could not
 * (not root, no apt-get, or apt-get's own error), for the caller's message naming what to install.
 */
export function aptInstall(packages: readonly string[]): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return 'apt-get is not available';
  const list = packages.join(' ');
  const script = `apt-get update -qq && apt-get install -y -qq --no-install-recommends ${list}`;
  // flock waits for another test's install; without flock (not util-linux), run it as is.
  const hasFlock = spawnSync('flock', ['--version'], { stdio: 'ignore' }).status === 0;
  const run = hasFlock
    ? spawnSync('flock', ['-w', '900', LOCK_FILE, 'sh', '-c', script], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    : spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (run.status === 0) return undefined;
  return `apt-get install ${list} failed (exit ${run.status}): ${`${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n').slice(-5).join(' | ')}`;
}
