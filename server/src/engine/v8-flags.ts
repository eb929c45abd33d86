// V8 flags the engine and the CLI change at run time (Liftoff-only WASM for the parser, no optimizing
// compiler for a one-pass lint, no parallel scavenges with a lint thread on every core), set through
// one function.
//
// Changing any V8 flag (GC flags aside) changes the hash V8 checks before it uses a code cache: code
// cached under other flags is compiled again. That concerns Node's own built-in modules (a worker
// thread started after a flag change compiled them from scratch: 27 -> 60 ms to start, measured) and
// `zdm lint`'s bundle cache (cli/code-cache.ts), both made under V8's default flags. So the CLI sets
// its flags only once every thread has loaded its code (cli/pool.ts), and the build's warm-up run
// that writes the bundle's cache sets none (`keepDefaultV8Flags`).

import * as v8 from 'node:v8';

let keepDefaults = false;

/** Sets a V8 flag for the whole process (all threads), unless this run keeps V8's defaults. */
export function setV8Flag(flag: string): void {
  if (!keepDefaults) v8.setFlagsFromString(flag);
}

/** From now on `setV8Flag` changes nothing: for the run that writes a code cache, which must be made under the flags later runs load it with. */
export function keepDefaultV8Flags(): void {
  keepDefaults = true;
}
