// Entry of a lint worker thread (see pool.ts): waits for its task, instantiates the parser from the
// module the main thread compiled, lints the files it claims and posts the reports back.

import { parentPort } from 'node:worker_threads';
import { configureParseCache, initParser } from '../engine/sql/parser';
import { rememberSplits } from '../engine/sql/split';
import { BATCH_PARSE_CACHE, BATCH_SPLIT_MEMO, claimer, lintJobHere, type WorkerTask } from './pool';

parentPort!.once('message', (task: WorkerTask) => {
  void initParser({ module: task.module }).then(() => {
    configureParseCache(BATCH_PARSE_CACHE);
    rememberSplits(BATCH_SPLIT_MEMO);
    parentPort!.postMessage(lintJobHere(task.job, claimer(new Int32Array(task.claims), task.job.files.length, task.slot, task.threads)));
  });
});
