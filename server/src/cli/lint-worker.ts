// Entry of a lint worker thread (see pool.ts): lints its share of files and posts the reports back.

import { parentPort, workerData } from 'node:worker_threads';
import { initParser } from '../engine/sql/parser';
import { lintJobHere, type LintJob } from './pool';

void initParser().then(() => {
  parentPort!.postMessage(lintJobHere(workerData as LintJob));
});
