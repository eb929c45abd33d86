// Fixes whose edits are built when first read. A fix that moves statements into a new migration has
// a cheap title (the new file's name) and costly edits (the moved text, what undoes it in the down,
// the new files' text); the CLI prints only titles, and only `zdm lint --fix` and the language server
// read edits. `edits` and `creates` are enumerable getters on a plain object, so spreading, JSON
// (diagnostic data) and structured clone see the same values a plain fix would hold.

import type { FileCreate, TextEdit } from '../model';
import type { FixSpec } from '../rules/types';

export interface FixEdits {
  edits: TextEdit[];
  creates?: FileCreate[];
}

/** A fix titled `title` whose edits and created files come from `build`, called on first read and kept. */
export function lazyFix<S extends boolean | undefined>(title: string, safe: S, build: () => FixEdits): { title: string; edits: TextEdit[]; creates?: FileCreate[]; safe: S } {
  let built: FixEdits | undefined;
  const get = () => (built ??= build());
  return {
    title,
    get edits() {
      return get().edits;
    },
    get creates() {
      return get().creates;
    },
    safe,
  };
}

/** `fix` under another title; its edits are read from `fix` when read, so a lazy fix stays lazy. */
export function retitled(fix: FixSpec, title: string): FixSpec {
  return lazyFix(title, fix.safe, () => fix);
}
