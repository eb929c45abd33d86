// The workers the CLI's entry starts for `zdm lint` before it loads the rest of the CLI
// (server/src/cli/lint-workers.ts): the ones the pool would start for the same arguments, none when the
// arguments are bad or ask for help, or when the job is one thread's (--threads 1, a few files).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { plannedWorkers, startEarlyLintWorkers, startLintWorker } from '../../server/src/cli/lint-workers';
import { readWhileWaiting } from '../../server/src/cli/pool';
import * as v8Flags from '../../server/src/engine/v8-flags';

describe('early lint workers', () => {
  it('plans one worker per core but the main thread, none for a small job', () => {
    assert.equal(plannedWorkers(1, true), 0);
    assert.equal(plannedWorkers(2, true), 1);
    assert.equal(plannedWorkers(4, undefined), 3);
    assert.equal(plannedWorkers(4, false), 0);
  });

  it('starts none for bad arguments, --help, --threads 1 or a few files named one by one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-early-'));
    fs.writeFileSync(path.join(dir, 'a.sql'), 'SELECT 1;\n');
    for (const args of [['--help'], ['-h'], ['--bogus'], ['--threads', '1'], ['--threads', '0'], ['--threads', 'x'], ['--threads', '2', 'a.sql']]) {
      assert.deepEqual(startEarlyLintWorkers(args, dir), [], args.join(' '));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a worker that ends before it reports has failed, even with exit code 0: nobody waits for its reports', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-worker-'));
    const script = path.join(dir, 'quits.js');
    fs.writeFileSync(script, 'process.exit(0);\n');
    const w = startLintWorker(script);
    w.worker.ref(); // started unreferenced (it waits for a task without keeping a process alive): keep this test's alive
    await w.ready;
    await assert.rejects(w.result, /exited with code 0 before it reported/);
    assert.equal(w.failed, 0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('at process start, with a lint thread on every core, turns off the GC helpers’ work; never otherwise', async () => {
    const set: string[] = [];
    const original = v8Flags.setV8Flag;
    // Recorded instead of set: changing GC threading flags mid-run is what this test must not do.
    (v8Flags as { setV8Flag: (flag: string) => void }).setV8Flag = (flag) => void set.push(flag);
    try {
      assert.deepEqual(startEarlyLintWorkers(['--threads', '1', '.'], os.tmpdir(), { atProcessStart: true }), []);
      assert.deepEqual(set, [], 'one thread: the helpers have an idle core');
      const later = startEarlyLintWorkers(['--threads', '2', '.'], os.tmpdir());
      assert.deepEqual(set, [], 'not at process start: a GC cycle may be under way');
      const early = startEarlyLintWorkers(['--threads', '2', '.'], os.tmpdir(), { atProcessStart: true });
      assert.deepEqual(set, ['--no-concurrent-marking', '--no-parallel-scavenge']);
      await Promise.all([...later, ...early].map((w) => w.worker.terminate()));
    } finally {
      (v8Flags as { setV8Flag: (flag: string) => void }).setV8Flag = original;
    }
  });

  it('while the worker loads, the main thread reads the files it claims first (at most half), until the worker is ready', async () => {
    const files = Array.from({ length: 100 }, (_, i) => `/m/${String(i).padStart(3, '0')}.sql`);
    const read: string[] = [];
    const host = { readFile: (f: string) => void read.push(f) };
    let ready = () => {};
    const loaded = new Promise<void>((resolve) => (ready = resolve));
    setImmediate(() => setImmediate(ready)); // ready after a couple of event-loop turns
    await readWhileWaiting(host, files, loaded);
    assert.ok(read.length > 0 && read.length < 50, `read ${read.length} files`);
    assert.deepEqual(read, files.slice(0, read.length), 'from the front, in order');
    read.length = 0;
    await readWhileWaiting(host, files, new Promise(() => {})); // never ready: stops at half
    assert.deepEqual(read, files.slice(0, 50));
  });

  it('starts the pool’s workers for a folder', async () => {
    const workers = startEarlyLintWorkers(['--threads', '3', '--format', 'json', '.'], os.tmpdir());
    assert.equal(workers.length, 2);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  });
});
