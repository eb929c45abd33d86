#!/usr/bin/env node
// Runs the end-to-end suites against a real VS Code (code-server) in Chromium.
//
//   node scripts/run-e2e.mjs [--skip-setup] [name-filter ...]
//
// 1. scripts/e2e-setup.sh (installs Chromium, ripgrep, build deps and code-server when missing);
// 2. every compiled suite out/test/e2e/**/*.test.js (compiled by `npm run compile-tests`), one after
//    the other, each with `node --test`, each with a time budget;
// 3. after each suite: any process still carrying this run's tag (ZDM_E2E_RUN) is a leak: it is
//    killed and the run fails;
// 4. a summary (times, figures from test-results/e2e/metrics.json). Exit code 0 only if all passed.
//
// Env: ZDM_E2E_SKIP_SETUP=1, ZDM_E2E_SUITE_TIMEOUT_S (default 900), ZDM_E2E_TOTAL_TIMEOUT_S (default
// 1800), ZDM_E2E_KEEP=1 (keep temp dirs), ZDM_E2E_TIMEOUT_SCALE (multiplies the harness's waits),
// ZDM_E2E_RESULTS (where screenshots, logs and metrics.json go; default test-results/e2e; .ci/run's
// phase on the newest code-server uses test-results/e2e-latest). scripts/e2e-setup.sh reads
// ZDM_E2E_DIR (the harness too) and ZDM_E2E_CODE_SERVER_VERSION.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC_DIR = path.join(ROOT, 'test', 'e2e');
const OUT_DIR = path.join(ROOT, 'out', 'test', 'e2e');
const RESULTS_DIR = process.env.ZDM_E2E_RESULTS ?? path.join(ROOT, 'test-results', 'e2e');
const SUITE_TIMEOUT_MS = Number(process.env.ZDM_E2E_SUITE_TIMEOUT_S ?? 900) * 1000;
const TOTAL_TIMEOUT_MS = Number(process.env.ZDM_E2E_TOTAL_TIMEOUT_S ?? 1800) * 1000;
const KEEP = process.env.ZDM_E2E_KEEP === '1';

const args = process.argv.slice(2);
const skipSetup = args.includes('--skip-setup') || process.env.ZDM_E2E_SKIP_SETUP === '1';
const filters = args.filter((a) => !a.startsWith('--'));

const T0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;
const say = (msg) => console.log(`[run-e2e ${secs(Date.now() - T0)}] ${msg}`);

let currentChild;
let interrupted = false;
let runTmp;
const RUN_ID = `r${process.pid}-${Date.now().toString(36)}`;

// ------------------------------------------------------------------------------- process helpers

function procTable() {
  const table = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.push({ pid: Number(name), state: rest[0], ppid: Number(rest[1]) });
    } catch {
      /* gone */
    }
  }
  return table;
}

/** Live processes carrying this run's tag in their environment. */
function taggedProcesses() {
  const tag = Buffer.from(`ZDM_E2E_RUN=${RUN_ID}\0`);
  const found = [];
  for (const p of procTable()) {
    if (p.pid === process.pid || p.state === 'Z') continue;
    try {
      const env = fs.readFileSync(`/proc/${p.pid}/environ`);
      if (env.includes(tag)) {
        const cmd = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
        found.push({ pid: p.pid, cmd: cmd.slice(0, 160) });
      }
    } catch {
      /* gone or not ours */
    }
  }
  return found;
}

function kill(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function killGroup(pid) {
  kill(-pid, 'SIGTERM');
  for (let i = 0; i < 50 && fs.existsSync(`/proc/${pid}`); i++) await sleep(100);
  kill(-pid, 'SIGKILL');
}

/** Kills leaked tagged processes; returns what was found. */
async function reapLeaks() {
  const leaks = taggedProcesses();
  if (leaks.length === 0) return leaks;
  for (const l of leaks) kill(l.pid, 'SIGTERM');
  await sleep(2000);
  for (const l of taggedProcesses()) kill(l.pid, 'SIGKILL');
  return leaks;
}

// ------------------------------------------------------------------------------------ the steps

function runSetup() {
  if (skipSetup) {
    say('setup skipped');
    return 0;
  }
  const t = Date.now();
  say('setup: bash scripts/e2e-setup.sh');
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'e2e-setup.sh')], { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT });
  if (r.status !== 0) {
    console.error(`[run-e2e] setup failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  return Date.now() - t;
}

function findSuites() {
  if (!fs.existsSync(SRC_DIR)) return [];
  const walk = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  const sources = walk(SRC_DIR).filter((f) => f.endsWith('.test.ts'));
  const suites = [];
  const stale = [];
  for (const src of sources) {
    const rel = path.relative(SRC_DIR, src);
    if (filters.length && !filters.some((f) => rel.includes(f))) continue;
    const out = path.join(OUT_DIR, rel.replace(/\.ts$/, '.js'));
    if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) stale.push(rel);
    suites.push({ name: rel.replace(/\.test\.ts$/, ''), src, out });
  }
  const harnessSrc = path.join(SRC_DIR, 'harness.ts');
  const harnessOut = path.join(OUT_DIR, 'harness.js');
  if (fs.existsSync(harnessSrc) && (!fs.existsSync(harnessOut) || fs.statSync(harnessOut).mtimeMs < fs.statSync(harnessSrc).mtimeMs)) {
    stale.push('harness.ts');
  }
  if (stale.length) {
    console.error(`[run-e2e] compiled tests missing or older than their sources: ${stale.join(', ')}\n` +
      `[run-e2e] run \`npm run compile-tests\` first (npm run test:e2e does).`);
    process.exit(2);
  }
  return suites;
}

function runSuite(suite, budgetMs) {
  return new Promise((resolve) => {
    const t = Date.now();
    say(`suite ${suite.name}: node --test ${path.relative(ROOT, suite.out)}`);
    const child = spawn(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', suite.out], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true, // own process group: a timeout kills everything below it
      // The harness tags what it starts with ZDM_E2E_RUN=<RUN_ID>; the test process itself is not tagged.
      env: { ...withoutTag(process.env), TMPDIR: runTmp, ZDM_E2E_RUN_ID: RUN_ID, ZDM_E2E_RESULTS: RESULTS_DIR },
    });
    currentChild = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`[run-e2e] suite ${suite.name} exceeded ${secs(budgetMs)}: stopping it`);
      void killGroup(child.pid);
    }, budgetMs);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      currentChild = undefined;
      resolve({ name: suite.name, ok: code === 0 && !timedOut, code: timedOut ? 'timeout' : code ?? sig, ms: Date.now() - t });
    });
  });
}

function withoutTag(env) {
  const { ZDM_E2E_RUN: _drop, ...rest } = env;
  return rest;
}

/**
 * Removes earlier results: all of them for a full run; for a filtered run only those of the selected
 * suites (screenshots `<suite>-*.png`/.html, logs/<suite>/, their metrics), so other suites' stay.
 */
function clearResults(suites) {
  if (filters.length === 0) {
    fs.rmSync(RESULTS_DIR, { recursive: true, force: true });
    return;
  }
  if (!fs.existsSync(RESULTS_DIR)) return;
  const names = suites.map((s) => path.basename(s.name));
  for (const f of fs.readdirSync(RESULTS_DIR)) {
    if (names.some((n) => f.startsWith(`${n}-`))) fs.rmSync(path.join(RESULTS_DIR, f), { force: true });
  }
  for (const n of names) fs.rmSync(path.join(RESULTS_DIR, 'logs', n), { recursive: true, force: true });
  const metrics = readMetrics();
  for (const n of names) delete metrics[n];
  fs.writeFileSync(path.join(RESULTS_DIR, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
}

function readMetrics() {
  try {
    return JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, 'metrics.json'), 'utf8'));
  } catch {
    return {};
  }
}

function cleanupTmp() {
  if (!runTmp || !fs.existsSync(runTmp)) return [];
  const left = fs.readdirSync(runTmp).filter((n) => n.startsWith('zdm-e2e-'));
  if (!KEEP) fs.rmSync(runTmp, { recursive: true, force: true, maxRetries: 3 });
  return left;
}

async function main() {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      console.error(`[run-e2e] ${sig}: stopping the running suite; no further suites`);
      interrupted = true;
      if (currentChild) void killGroup(currentChild.pid); // main() then reaps leaks and cleans up
      else process.exit(130);
    });
  }

  const setupMs = runSetup();
  const suites = findSuites();
  if (suites.length === 0) {
    console.error(`[run-e2e] no e2e suites found${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
    process.exit(2);
  }
  clearResults(suites);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  runTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-e2e-'));

  const results = [];
  let leaked = [];
  for (const suite of suites) {
    if (interrupted) {
      results.push({ name: suite.name, ok: false, code: 'not run (interrupted)', ms: 0 });
      continue;
    }
    const left = TOTAL_TIMEOUT_MS - (Date.now() - T0);
    if (left <= 5000) {
      results.push({ name: suite.name, ok: false, code: 'not run (total time budget spent)', ms: 0 });
      continue;
    }
    const r = await runSuite(suite, Math.min(SUITE_TIMEOUT_MS, left));
    const leaks = await reapLeaks();
    if (leaks.length && interrupted) {
      console.error(`[run-e2e] stopped ${leaks.length} process(es) of the interrupted suite ${suite.name}`);
    } else if (leaks.length) {
      console.error(`[run-e2e] suite ${suite.name} left ${leaks.length} process(es) running (killed now):`);
      for (const l of leaks) console.error(`  ${l.pid} ${l.cmd}`);
      leaked.push(...leaks);
    }
    results.push(r);
  }
  const leftDirs = cleanupTmp();

  const metrics = readMetrics();
  console.log('\n=== e2e summary ===');
  if (!skipSetup) console.log(`setup                 ${secs(setupMs)}`);
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.name.padEnd(16)} ${secs(r.ms)}${r.ok ? '' : `  (exit ${r.code})`}`);
  for (const [suite, figures] of Object.entries(metrics)) {
    console.log(`figures ${suite}: ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  if (leftDirs.length && !KEEP && !interrupted) console.log(`temp dirs left behind by the suites (removed now): ${leftDirs.join(', ')}`);
  if (leaked.length) console.log(`leaked processes: ${leaked.length} (a suite did not stop what it started)`);
  console.log(`screenshots and logs: ${path.relative(ROOT, RESULTS_DIR)}/`);
  console.log(`total ${secs(Date.now() - T0)}`);
  const ok = results.every((r) => r.ok) && leaked.length === 0 && (KEEP || leftDirs.length === 0);
  process.exit(interrupted ? 130 : ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
