// The `zdm` command's entry (dist/cli.js), small on purpose. For `zdm lint` it starts the lint pool's
// worker threads (lint-workers.ts) before anything else, so that each worker's start-up (a Node
// isolate, then its own copy of the bundle) overlaps the main thread's instead of following it, and
// then loads `zdm lint` alone (lint-main.ts, dist/lint-cli.js: the engine without the language server,
// the runner or the embedded PostgreSQL's JavaScript) through the code cache made at build time
// (code-cache.ts). Every other command loads the whole CLI (main.ts, dist/cli-main.js). `zdm lint`
// with no worker to start (--threads 1, a few files, one core) still loads dist/lint-cli.js, and
// starts nothing early.

import { loadLintMain } from './code-cache';
import { startEarlyLintWorkers } from './lint-workers';

const argv = process.argv.slice(2);
if (argv[0] === 'lint') {
  const early = startEarlyLintWorkers(argv.slice(1), process.cwd(), { atProcessStart: true });
  const lint = loadLintMain();
  if (process.env.ZDM_CODE_CACHE === 'write') {
    // `npm run build` lints the project's examples this way once, to save the code of what that
    // compiled, under the V8 flags later runs load it with: V8's defaults (engine/v8-flags.ts).
    lint.exports.keepDefaultV8Flags();
    process.once('exit', () => lint.writeCache());
  }
  lint.exports.runLintCli(argv.slice(1), early);
} else {
  (require('./main') as typeof import('./main')).runCli(argv);
}
