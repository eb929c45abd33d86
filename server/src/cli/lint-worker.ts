// Entry of a lint worker thread (dist/lint-worker.js, see pool.ts). The engine is the main thread's
// bundle, dist/lint-cli.js, loaded through the same code cache (code-cache.ts); lint-main.ts
// `runLintWorker` waits for the task and lints.

import { loadLintMain } from './code-cache';

const lint = loadLintMain();
lint.exports.runLintWorker(lint.cache);
