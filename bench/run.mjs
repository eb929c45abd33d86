// `npm run bench`: prints zdm's speed and memory figures against the targets of the project's
// "Speed" section (see bench/README.md). A benchmark, not a test: it never fails on a slow machine,
// it prints what it measured, how noisy it was, and whether each target was met.
//
//   node bench/run.mjs [--runs N] [--only corpus,typing,memory,runner,instructions] [--dist DIR] [--corpus DIR]
//   (instructions is not in the default set: it needs Valgrind and takes a few minutes)

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureInterleaved, sqlFiles, squawkBinary, summarize } from './corpus.mjs';
import { countInstructions, giga, valgrindAvailable } from './instructions.mjs';
import { measureMemory } from './memory.mjs';
import { median, min, seconds } from './stats.mjs';
import { describeLatencies, measureTyping } from './typing.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '7' },
    only: { type: 'string', default: 'corpus,typing,memory,runner' },
    dist: { type: 'string', default: join(root, 'dist') },
    corpus: { type: 'string', default: join(root, '..', 'shared', 'corpus') },
    edits: { type: 'string', default: '200' },
  },
});
const runs = Math.max(1, Number(values.runs));
const only = new Set(values.only.split(','));
const cli = join(resolve(values.dist), 'cli.js');
const corpus = existsSync(values.corpus) ? resolve(values.corpus) : undefined;
const verdict = (ok) => (ok ? 'MET' : 'MISSED');

if (!existsSync(cli)) {
  console.error(`No ${cli}: run npm run build first (npm run bench does).`);
  process.exit(2);
}

console.log(`zdm benchmark — ${new Date().toISOString()}`);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`build: ${cli}`);
console.log('');

if (only.has('corpus')) await corpusBench();
if (only.has('typing')) await typingBench();
if (only.has('memory')) await memoryBench();
if (only.has('runner')) runnerBench();
if (only.has('instructions')) await instructionsBench();

async function corpusBench() {
  console.log('## Whole-corpus lint (wall time, one process, stdout piped; target: zdm ≤ squawk)');
  if (!corpus) {
    console.log(`skipped: no corpus at ${values.corpus} (pass --corpus DIR).`);
    console.log('');
    return;
  }
  const files = sqlFiles(corpus);
  const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
  console.log(`corpus: ${files.length} .sql files, ${(bytes / 1024 / 1024).toFixed(2)} MB, ${corpus}`);
  const squawk = await findSquawk('timing');
  const commands = [{ name: 'zdm lint', command: process.execPath, args: [cli, 'lint', corpus] }];
  if (squawk) {
    const version = JSON.parse(readFileSync(join(dirname(squawk), '..', 'package.json'), 'utf8')).version;
    commands.push({ name: `squawk ${version}`, command: squawk, args: files });
  }
  commands.push({ name: 'zdm lint --threads 1', command: process.execPath, args: [cli, 'lint', '--threads', '1', corpus] });
  // NODE_EXTRA_CA_CERTS makes Node load its root certificates and that file at every start, before any
  // of zdm's code runs (~45 ms on the machines this was written on, which set it for their npm registry).
  const withoutCerts = process.env.NODE_EXTRA_CA_CERTS ? 'zdm lint, NODE_EXTRA_CA_CERTS unset' : undefined;
  if (withoutCerts) commands.push({ name: withoutCerts, command: process.execPath, args: [cli, 'lint', corpus], env: envWithoutCerts() });
  const results = await measureInterleaved(commands, runs);
  console.log(`${runs} runs each, interleaved, after one warm-up round:`);
  for (const c of commands) console.log('  ' + summarize(c.name, results[c.name]));
  if (squawk) {
    const z = results['zdm lint'].wall;
    const s = results[commands[1].name].wall;
    const paired = z.map((t, i) => t / s[i]);
    const ratio = median(z) / median(s);
    console.log(`  ratio zdm / squawk: ${ratio.toFixed(2)} (medians), ${(min(z) / min(s)).toFixed(2)} (minimums), ${median(paired).toFixed(2)} (median of paired runs) — target ≤ 1.00: ${verdict(ratio <= 1)}`);
    if (withoutCerts) {
      const u = results[withoutCerts].wall;
      const r = median(u) / median(s);
      const extra = median(z) - median(u);
      const cost = extra >= 0 ? `zdm lint ${seconds(extra)} more than with it unset` : `this run measured zdm lint ${seconds(-extra)} faster with it set: the machine's noise is larger than that cost`;
      console.log(`  this machine sets NODE_EXTRA_CA_CERTS, which every Node process pays for at start-up (${cost})`);
      console.log(`  ratio with it unset, as on a machine that does not set it: ${r.toFixed(2)} (medians), ${median(u.map((t, i) => t / s[i])).toFixed(2)} (median of paired runs) — ${verdict(r <= 1)}`);
    }
    const spread = (a) => ((Math.max(...a) - min(a)) / median(a)) * 100;
    console.log(`  noise: max−min spread ${spread(z).toFixed(0)}% of the median for zdm, ${spread(s).toFixed(0)}% for squawk`);
  }
  console.log('');
}

async function typingBench() {
  console.log('## As-you-type (didChange → publishDiagnostics, debounce 0; targets: server p50 < 5 ms at 200 lines, < 50 ms at 5,000)');
  const edits = Math.max(10, Number(values.edits));
  for (const { lines, target, siblings } of [
    { lines: 200, target: 5, siblings: 0 },
    { lines: 5000, target: 50, siblings: 0 },
    { lines: 200, target: 5, siblings: 300 },
    { lines: 5000, target: 50, siblings: 300 },
  ]) {
    const r = await measureTyping({ cli, lines, edits, warmup: 20, siblings });
    const where = siblings ? `in a folder with ${siblings} earlier migrations` : 'alone in its folder';
    console.log(`${r.lines} lines (${(r.bytes / 1024).toFixed(0)} KB, ${r.diagnosticsOnOpen} diagnostics), ${where}:`);
    console.log('  ' + describeLatencies('server', r.server));
    console.log('  ' + describeLatencies('client', r.client));
    console.log('  ' + describeLatencies('lintText alone', r.lint));
    console.log(`  server RSS after ${warmupAndEdits(edits)} keystrokes: ${r.rssAfter?.rssMb.toFixed(1)} MB`);
    console.log(`  target server p50 < ${target} ms: ${verdict(median(r.server) < target)}`);
  }
  console.log('');
}

function warmupAndEdits(edits) {
  return 20 + edits;
}

async function memoryBench() {
  console.log('## Memory (server RSS with 200 migration files open; target < 150 MB)');
  const r = await measureMemory({ cli, corpus, count: 200 });
  console.log(`${r.count} ${r.source} files open (${(r.bytes / 1024).toFixed(0)} KB), all diagnostics in ${(r.allLintedMs / 1000).toFixed(2)} s`);
  console.log(`  RSS idle (initialized, nothing open): ${r.idle?.rssMb.toFixed(1)} MB`);
  console.log(`  RSS with ${r.count} files open: ${r.open?.rssMb.toFixed(1)} MB (peak ${r.open?.peakMb.toFixed(1)} MB) — target < 150 MB: ${verdict(r.open !== undefined && r.open.rssMb < 150)}`);
  console.log('');
}

/** The corpus lint counted in instructions (bench/instructions.mjs): steady where times are not, for judging a change. */
async function instructionsBench() {
  console.log('## Whole-corpus lint in CPU instructions (cachegrind; one run each; not the target, which is wall time)');
  const valgrind = valgrindAvailable();
  if (!corpus || !valgrind) {
    console.log(`skipped: ${!corpus ? `no corpus at ${values.corpus}` : 'Valgrind is not installed (apt-get install valgrind)'}.`);
    console.log('');
    return;
  }
  const files = sqlFiles(corpus);
  const unset = envWithoutCerts();
  const rows = [
    ['zdm lint --threads 1', process.execPath, [cli, 'lint', '--threads', '1', corpus], process.env],
    ['zdm lint (default threads)', process.execPath, [cli, 'lint', corpus], process.env],
    ['node -e 0 (Node\'s own start)', process.execPath, ['-e', '0'], process.env],
  ];
  if (process.env.NODE_EXTRA_CA_CERTS) {
    rows.push(['zdm lint --threads 1, NODE_EXTRA_CA_CERTS unset', process.execPath, [cli, 'lint', '--threads', '1', corpus], unset]);
    rows.push(['node -e 0, NODE_EXTRA_CA_CERTS unset', process.execPath, ['-e', '0'], unset]);
  }
  const squawk = await findSquawk('counting');
  if (squawk) rows.push(['squawk', squawk, files, process.env]);
  console.log(`${valgrind}, ${files.length} files; all threads of a process counted together`);
  const counts = {};
  for (const [name, command, args, env] of rows) {
    counts[name] = countInstructions(command, args, { env });
    console.log(`  ${name.padEnd(50)} ${giga(counts[name])}`);
  }
  if (counts.squawk) console.log(`  zdm lint --threads 1 / squawk: ${(counts['zdm lint --threads 1'] / counts.squawk).toFixed(2)} (work done, not time taken)`);
  console.log('');
}

/** squawk's binary, installed into .peers/ when missing; undefined (said why) when it cannot be had. */
async function findSquawk(doing) {
  try {
    const { ensurePeers } = await import('../scripts/peers.mjs');
    return squawkBinary(ensurePeers(['squawk-cli']));
  } catch (error) {
    console.log(`squawk unavailable (${error.message.split('\n')[0]}); ${doing} zdm alone.`);
    return undefined;
  }
}

/** This process's environment without NODE_EXTRA_CA_CERTS (what a machine that does not set it runs with). */
function envWithoutCerts() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Applying 500 migrations, zdm against dbmate (bench/runner.mjs, its own script: it starts a PostgreSQL). */
function runnerBench() {
  console.log('## Runner (500 small migrations applied, zdm up against dbmate up; target: zdm ≤ 1.2× dbmate)');
  const r = spawnSync(process.execPath, [join(root, 'bench', 'runner.mjs'), '--runs', String(Math.min(runs, 5)), '--dist', resolve(values.dist)], { stdio: 'inherit' });
  if (r.status !== 0) console.log(`runner benchmark failed (exit ${r.status ?? r.signal}); see above.`);
  console.log('');
}
