// As-you-type latency: a real LSP conversation with the built server. The file is opened, then typed
// into one character at a time (incremental didChange), waiting for each version's diagnostics
// before the next keystroke, so each figure is a latency, not a throughput.
//
// Two clocks: the client's (didChange written -> publishDiagnostics read, pipe included) and the
// server's own (ZDM_TIMING=1: didChange received -> publishDiagnostics sent, sent as `zdm/timing`).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbmateMigration, positionAt } from './fixtures.mjs';
import { BenchLspClient } from './lsp-client.mjs';
import { median, percentile, rssOf } from './stats.mjs';

const TYPED = 'abcdefghijklmnopqrstuvwxyz';
const CHARS_PER_SITE = 24;

/**
 * Opens a generated dbmate migration of `lines` lines and types `edits` characters (after `warmup`
 * unmeasured ones). With `siblings`, the migrations folder also holds that many earlier migrations
 * (as a real project does; rules read them). Returns client and server latencies in ms.
 */
export async function measureTyping({ cli, lines, edits, warmup, siblings = 0 }) {
  const dir = mkdtempSync(join(tmpdir(), 'zdm-bench-'));
  const folder = join(dir, 'db', 'migrations');
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < siblings; i++) {
    const day = new Date(Date.UTC(2023, 0, 1) + i * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
    writeFileSync(join(folder, `${day}090000_earlier_${i}.sql`), dbmateMigration(40 + (i % 5) * 20, i + 1).text);
  }
  const file = join(folder, `20240101000000_bench_${lines}_lines.sql`);
  const fixture = dbmateMigration(lines);
  let text = fixture.text;
  writeFileSync(file, text);
  const client = await BenchLspClient.start({ cli, env: { ZDM_TIMING: '1' }, rootPath: dir });
  try {
    const timings = new Map();
    client.on('zdm/timing', (params) => timings.set(params.version, params));
    const uri = client.open(file, text, 1);
    const opened = await client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri && p.version === 1);
    const diagnosticsOnOpen = opened.params.diagnostics.length;

    // Typing sites: the end of each `kind` column name in the up section, visited in turn.
    const sites = [];
    for (let at = text.indexOf('\n  kind text'); at !== -1; at = text.indexOf('\n  kind text', at + 1)) sites.push(at + '\n  kind'.length);
    const client_ = [];
    const server = [];
    const lint = [];
    let version = 1;
    for (let k = 0; k < warmup + edits; k++) {
      const site = Math.floor(k / CHARS_PER_SITE) % sites.length;
      const offset = sites[site];
      const ch = TYPED[k % TYPED.length];
      const position = positionAt(text, offset);
      text = text.slice(0, offset) + ch + text.slice(offset);
      for (let s = 0; s < sites.length; s++) if (sites[s] >= offset && s !== site) sites[s] += 1;
      sites[site] += 1;
      version++;
      const published = client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri && p.version === version);
      const sentAt = performance.now();
      client.change(uri, version, [{ range: { start: position, end: position }, text: ch }]);
      const { arrivedAt } = await published;
      // The timing notification is sent right after the diagnostics; give it a moment to arrive.
      for (let wait = 0; !timings.has(version) && wait < 100; wait++) await new Promise((r) => setTimeout(r, 1));
      if (k < warmup) continue;
      client_.push(arrivedAt - sentAt);
      const t = timings.get(version);
      if (t) {
        server.push(t.ms);
        lint.push(t.lintMs);
      }
    }
    return { lines: fixture.lineCount, bytes: Buffer.byteLength(fixture.text), diagnosticsOnOpen, client: client_, server, lint, rssAfter: rssOf(client.pid) };
  } finally {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function describeLatencies(label, values) {
  if (values.length === 0) return `${label}: no samples`;
  return `${label}: p50 ${median(values).toFixed(2)} ms, p95 ${percentile(values, 95).toFixed(2)} ms, max ${Math.max(...values).toFixed(2)} ms (${values.length} edits)`;
}
