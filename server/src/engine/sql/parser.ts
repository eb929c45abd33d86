// The libpg-query boundary: the real PostgreSQL grammar, compiled to WASM.
//
// Statements are parsed one at a time, each exactly as our splitter cut it, and results are cached by
// statement text, so re-linting a file while the user types only parses the statements whose text
// changed. Cached trees are shared: callers must treat them as read-only.

import * as pgQuery from 'libpg-query';
import type { AstNode } from '../model';

export interface ParseOutcome {
  /** Statement nodes (`{ IndexStmt: {...} }`); usually one. */
  nodes: AstNode[];
  /** Byte locations of each node within the text (for texts that hold several statements). */
  locations: number[];
  /** A syntax error: the message and the code-point offset within the text. */
  error?: { message: string; codePoint: number };
}

let ready: Promise<void> | undefined;
let loaded = false;

/** Loads the WASM module once. Must resolve before `parseStatement` is called. */
export function initParser(): Promise<void> {
  ready ??= pgQuery.loadModule().then(() => {
    loaded = true;
  });
  return ready;
}

export function parserReady(): boolean {
  return loaded;
}

const MAX_CACHE_ENTRIES = 50_000;
const MAX_CACHE_CHARS = 32 * 1024 * 1024;
const cache = new Map<string, ParseOutcome>();
let cachedChars = 0;

/** Parses one statement's text. Never throws on user input. */
export function parseStatement(text: string): ParseOutcome {
  const hit = cache.get(text);
  if (hit !== undefined) {
    // Refresh its place in the insertion order, so eviction drops the least recently used.
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const outcome = parseUncached(text);
  cache.set(text, outcome);
  cachedChars += text.length;
  while (cache.size > MAX_CACHE_ENTRIES || cachedChars > MAX_CACHE_CHARS) {
    const oldest = cache.keys().next().value as string;
    cache.delete(oldest);
    cachedChars -= oldest.length;
  }
  return outcome;
}

export function clearParseCache(): void {
  cache.clear();
  cachedChars = 0;
}

function parseUncached(text: string): ParseOutcome {
  if (!loaded) throw new Error('The SQL parser is not loaded yet: await initParser() first.');
  try {
    const result = pgQuery.parseSync(text) as { stmts?: { stmt: AstNode; stmt_location?: number }[] };
    const stmts = result.stmts ?? [];
    return { nodes: stmts.map((s) => s.stmt), locations: stmts.map((s) => s.stmt_location ?? 0) };
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const message = error instanceof Error ? error.message : String(error);
    return { nodes: [], locations: [], error: { message, codePoint: details?.cursorPosition ?? 0 } };
  }
}

/** The kind of a statement node: its single key. */
export function nodeKind(node: AstNode | undefined): string {
  if (!node) return 'Unparsed';
  for (const key in node) return key;
  return 'Unparsed';
}
