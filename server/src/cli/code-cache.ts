// Loading `zdm lint`'s bundle (dist/lint-cli.js) with a V8 code cache made at build time.
//
// Every `zdm lint` compiles the bundle in its main thread and again in each worker thread (separate
// isolates). V8 compiles lazily, function by function as they are first called, so the engine's
// functions are compiled while the first files are linted: about a third of the time of a one-file
// lint. `scripts/build.mjs` lints the project's examples once with ZDM_CODE_CACHE=write, which saves
// V8's code for every function that run compiled beside the bundle (dist/lint-cli.js.cache); later
// runs hand it to V8 and skip those compilations.
//
// V8 checks the cache and ignores it (`cachedDataRejected`) when the bundle, the V8 version or the V8
// flags differ from when it was made: a Node other than the one that built dist/, a missing or
// damaged file all just mean compiling as usual. The cache is made and used under V8's default flags:
// the CLI changes its flags only once every thread has loaded the bundle (engine/v8-flags.ts).

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

export interface LoadedBundle<T> {
  exports: T;
  /** 'accepted', 'rejected' (made by another V8, with other flags, or for another bundle), or 'absent'. */
  cache: 'accepted' | 'rejected' | 'absent';
  /** Writes V8's code for the functions compiled so far beside the bundle (`<bundle>.cache`). */
  writeCache(): void;
}

/** Loads a CommonJS bundle as `require` would, through V8's code cache beside it when there is one. */
export function loadBundle<T>(file: string): LoadedBundle<T> {
  const source = fs.readFileSync(file, 'utf8');
  const cacheFile = `${file}.cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The wrapper `require` puts around a module; the bundle runs with the same five arguments.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, { filename: file, cachedData });
  const module = { exports: {} as T, filename: file, id: file, loaded: false };
  const wrapper = script.runInThisContext() as (exports: T, require: NodeRequire, module: object, filename: string, dirname: string) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  return {
    exports: module.exports,
    cache: cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted',
    writeCache() {
      // Written whole, then renamed: a concurrent run never reads half a cache (V8 would reject it anyway).
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, script.createCachedData());
      fs.renameSync(temporary, cacheFile);
    },
  };
}

/** `zdm lint` alone (lint-main.ts): dist/lint-cli.js through its code cache, or the module itself when run unbundled (out/). */
export function loadLintMain(): LoadedBundle<typeof import('./lint-main')> {
  const bundle = path.join(__dirname, 'lint-cli.js');
  if (fs.existsSync(bundle)) return loadBundle(bundle);
  return { exports: require('./lint-main') as typeof import('./lint-main'), cache: 'absent', writeCache() {} };
}
