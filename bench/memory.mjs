// Server memory with many files open: 200 different migrations (from the corpus when present, spread
// across its projects; generated otherwise) are opened, all their diagnostics awaited, and the
// server's resident set size read from /proc.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqlFiles } from './corpus.mjs';
import { dbmateMigration } from './fixtures.mjs';
import { BenchLspClient } from './lsp-client.mjs';
import { rssOf } from './stats.mjs';

/** `count` corpus files spread evenly over the sorted list, or undefined without a corpus. */
function corpusSample(corpus, count) {
  if (!corpus) return undefined;
  const all = sqlFiles(corpus);
  if (all.length < count) return undefined;
  const step = all.length / count;
  return Array.from({ length: count }, (_, i) => all[Math.floor(i * step)]).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

function generatedSample(dir, count) {
  const folder = join(dir, 'db', 'migrations');
  mkdirSync(folder, { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const file = join(folder, `2024010100${String(i).padStart(4, '0')}_generated_${i}.sql`);
    const text = dbmateMigration(60 + (i % 10) * 30, i + 1).text;
    writeFileSync(file, text);
    return { file, text };
  });
}

export async function measureMemory({ cli, corpus, count = 200 }) {
  const dir = mkdtempSync(join(tmpdir(), 'zdm-bench-mem-'));
  const sample = corpusSample(corpus, count) ?? generatedSample(dir, count);
  const source = sample[0].file.startsWith(dir) ? 'generated' : 'corpus';
  const client = await BenchLspClient.start({ cli, rootPath: corpus ?? dir });
  try {
    const idle = rssOf(client.pid);
    const started = performance.now();
    const waits = sample.map(({ file, text }) => {
      const uri = client.open(file, text, 1);
      return client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri && p.version === 1, 120_000);
    });
    await Promise.all(waits);
    const allLintedMs = performance.now() - started;
    // Let the server settle (pending timers, a young-generation GC) before reading.
    await new Promise((r) => setTimeout(r, 1000));
    const open = rssOf(client.pid);
    return { count: sample.length, source, bytes: sample.reduce((a, s) => a + Buffer.byteLength(s.text), 0), idle, open, allLintedMs };
  } finally {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
