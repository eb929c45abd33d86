// Fixes whose edits are built when first read. A fix that moves statements into a new migration has
// a cheap title (the new file's name) and costly edits (the moved text, what undoes it in the down,
// the new files' text); the CLI prints only titles, and only `zdm lint --fix` and the language server
// read edits. `edits` and `creates` are enumerable getters on a plain object, so spreading, JSON
// (diagnostic data) and structured clone see the same values a plain fix would hold.

import type { FileCreate, Fix, TextEdit } from '../model';
import type { FixSpec } from '../rules/types';

export interface FixEdits {
  edits: TextEdit[];
  creates?: FileCreate[];
}

/** A fix titled `title` whose edits and created files come from `build`, called on first read and kept. */
export function lazyFix(title: string, safe: boolean, build: () => FixEdits): Fix {
  let built: FixEdits | undefined;
  // Read outside the rule's try/catch (lint.ts), by the language server as it sends diagnostics or by
  // --fix: a build that throws (a bug; user input never makes one throw) leaves a fix that changes
  // nothing rather than a failed publish or a crashed run.
  const edits = (): FixEdits => {
    if (built === undefined) {
      try {
        built = build();
      } catch {
        built = { edits: [], creates: [] };
      }
    }
    return built;
  };
  const fix: Fix = {
    title,
    get edits() {
      return edits().edits;
    },
    get creates() {
      return edits().creates;
    },
    safe,
  };
  lazyFixes.add(fix);
  return fix;
}

const lazyFixes = new WeakSet<object>();

/** Whether `fix` came from `lazyFix`: a finding takes it as it is, instead of a copy that would read its edits. */
export function isLazyFix(fix: object): fix is Fix {
  return lazyFixes.has(fix);
}

/** `fix` under another title; its edits are read from `fix` when read, so a lazy fix stays lazy. */
export function retitled(fix: FixSpec, title: string): Fix {
  return lazyFix(title, fix.safe ?? true, () => fix);
}
