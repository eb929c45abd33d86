// Runs the compiled test files (out/test/**/*.test.js) with node:test, excluding the end-to-end suite
// (npm run test:e2e). Pass file filters as arguments: node scripts/run-tests.mjs lexer rules
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const testRoot = join(root, 'out', 'test');
const filters = process.argv.slice(2);
const files = readdirSync(testRoot, { recursive: true })
  .map((f) => join(testRoot, f))
  .filter((f) => f.endsWith('.test.js') && !relative(testRoot, f).startsWith('e2e'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
