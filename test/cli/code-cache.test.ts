// `zdm lint`'s bundle is loaded through a V8 code cache made at build time (server/src/cli/code-cache.ts):
// the cache the build wrote must be one V8 accepts under the flags every thread loads the bundle under
// (V8's defaults: the CLI sets its own flags later, engine/v8-flags.ts), and a missing, damaged or
// foreign cache must only mean compiling as usual.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';

const DIST = path.join(REPO_ROOT, 'dist');
const CODE_CACHE_MODULE = path.join(REPO_ROOT, 'out', 'server', 'src', 'cli', 'code-cache.js');
const LINT_WORKERS_MODULE = path.join(REPO_ROOT, 'out', 'server', 'src', 'cli', 'lint-workers.js');

const temps: string[] = [];
after(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-code-cache-'));
  temps.push(dir);
  return dir;
}

/** Loads `bundle` in a fresh Node, under V8's default flags or after setting those `zdm lint` sets; returns what loadBundle saw. */
function loadInFreshNode(bundle: string, withLintFlags: boolean): { cache: string; exportsLint: boolean } {
  const script = `
    if (${withLintFlags}) for (const flag of ['--liftoff-only', '--no-opt']) require('node:v8').setFlagsFromString(flag);
    const loaded = require(${JSON.stringify(CODE_CACHE_MODULE)}).loadBundle(${JSON.stringify(bundle)});
    console.log(JSON.stringify({ cache: loaded.cache, exportsLint: typeof loaded.exports.runLintCli === 'function' && typeof loaded.exports.runLintWorker === 'function' }));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Starts a lint worker (dist/lint-worker.js) in a fresh Node, optionally after a V8 flag change; returns how it took the cache. */
function workerInFreshNode(flagFirst: string | undefined): string {
  const script = `
    if (${JSON.stringify(flagFirst ?? '')}) require('node:v8').setFlagsFromString(${JSON.stringify(flagFirst ?? '')});
    const w = require(${JSON.stringify(LINT_WORKERS_MODULE)}).startLintWorker(${JSON.stringify(path.join(DIST, 'lint-worker.js'))});
    w.ready.then(() => { console.log(w.codeCache); return w.worker.terminate(); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** A copy of dist/'s lint files (no cache) in a temporary folder. */
function distCopy(): string {
  const dir = tempDir();
  for (const f of ['cli.js', 'lint-cli.js', 'lint-worker.js', 'libpg-query.wasm']) fs.copyFileSync(path.join(DIST, f), path.join(dir, f));
  return dir;
}

function lint(cli: string, target: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, 'lint', target, '--format', 'json', '--threads', '1'], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('the code cache of zdm lint', () => {
  it('the build wrote dist/lint-cli.js.cache, and V8 accepts it under its default flags, which every thread loads the bundle under', () => {
    assert.ok(fs.existsSync(path.join(DIST, 'lint-cli.js.cache')), 'npm run build writes dist/lint-cli.js.cache');
    assert.deepEqual(loadInFreshNode(path.join(DIST, 'lint-cli.js'), false), { cache: 'accepted', exportsLint: true });
  });

  it('once lint has set its V8 flags the cache is rejected, and the bundle loads all the same', () => {
    assert.deepEqual(loadInFreshNode(path.join(DIST, 'lint-cli.js'), true), { cache: 'rejected', exportsLint: true });
  });

  it('a lint worker loads the bundle through the cache and says so when ready; one started after a flag change could not', () => {
    assert.equal(workerInFreshNode(undefined), 'accepted');
    assert.equal(workerInFreshNode('--no-opt'), 'rejected');
    // GC flags are not part of what V8 checks: the pool may set --no-parallel-scavenge at any time.
    assert.equal(workerInFreshNode('--no-parallel-scavenge'), 'accepted');
  });

  it('a damaged cache is ignored: the bundle loads and lints the same', () => {
    const dir = distCopy();
    const examples = path.join(REPO_ROOT, 'examples');
    const clean = lint(path.join(dir, 'cli.js'), examples);
    fs.writeFileSync(path.join(dir, 'lint-cli.js.cache'), Buffer.from('not a V8 code cache'.repeat(64)));
    assert.deepEqual(loadInFreshNode(path.join(dir, 'lint-cli.js'), false), { cache: 'rejected', exportsLint: true });
    const damaged = lint(path.join(dir, 'cli.js'), examples);
    assert.equal(damaged.stderr, '');
    assert.equal(damaged.status, clean.status);
    assert.equal(damaged.stdout, clean.stdout);
    assert.ok(JSON.parse(damaged.stdout).length > 0, "the examples have findings");
  });

  it('ZDM_CODE_CACHE=write saves a cache that the next run accepts, with the same findings', () => {
    const dir = distCopy();
    const examples = path.join(REPO_ROOT, 'examples');
    const cache = path.join(dir, 'lint-cli.js.cache');
    const uncached = lint(path.join(dir, 'cli.js'), examples);
    assert.equal(fs.existsSync(cache), false, 'no cache without ZDM_CODE_CACHE=write');
    const writing = lint(path.join(dir, 'cli.js'), examples, { ZDM_CODE_CACHE: 'write' });
    assert.equal(writing.stdout, uncached.stdout);
    assert.ok(fs.statSync(cache).size > 100_000, 'the cache holds the code of the functions the run compiled');
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'written through a temporary file, renamed into place',
    );
    assert.deepEqual(loadInFreshNode(path.join(dir, 'lint-cli.js'), false), { cache: 'accepted', exportsLint: true });
    assert.equal(lint(path.join(dir, 'cli.js'), examples).stdout, uncached.stdout);
  });
});
