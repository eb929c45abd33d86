// The libpg-query boundary: the real PostgreSQL grammar, compiled to WASM.
//
// Statements are parsed one at a time, each exactly as our splitter cut it, and results are cached by
// statement text, so re-linting a file while the user types only parses the statements whose text
// changed. Cached trees are shared: callers must treat them as read-only.
//
// We drive libpg-query's Emscripten module ourselves rather than through its `index.cjs`, which
// compiles the WASM as soon as it is required and cannot be handed a compiled module. Here the WASM
// is compiled once per process, when first asked for, and the compiled `WebAssembly.Module` can be
// given to worker threads (`initParser({ module })`) so that they skip compiling it again. The call
// itself is the one `parseSync` makes (`wasm_parse_query_raw`), with the same results and messages.

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { setV8Flag } from '../v8-flags';
import type { AstNode } from '../model';

/** A compiled WebAssembly module (opaque: the es2023 library we compile against has no WebAssembly types). */
export type CompiledParser = object & { readonly __compiledParser?: never };
interface WasmApi {
  compile(bytes: Uint8Array): Promise<CompiledParser>;
  instantiate(module: CompiledParser, imports: object): Promise<object>;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface ParseOutcome {
  /** Statement nodes (`{ IndexStmt: {...} }`); usually one. */
  nodes: AstNode[];
  /** Byte locations of each node within the text (for texts that hold several statements). */
  locations: number[];
  /** A syntax error: the message and the code-point offset within the text. */
  error?: { message: string; codePoint: number };
}

export interface ParserOptions {
  /** The parser's compiled WASM (from `compileParser()` in another thread); compiled here when absent. */
  module?: CompiledParser;
}

/** The part of libpg-query's Emscripten module that we call. */
interface PgQueryWasm {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _wasm_parse_query_raw(queryPtr: number): number;
  _wasm_free_parse_result(resultPtr: number): void;
  getValue(ptr: number, type: string): number;
  UTF8ToString(ptr: number): string;
  stringToUTF8(text: string, ptr: number, maxBytes: number): void;
  lengthBytesUTF8(text: string): number;
}

type PgQueryFactory = (options: { instantiateWasm(imports: object, receive: (instance: object) => void): object }) => Promise<PgQueryWasm>;

let compiled: Promise<CompiledParser> | undefined;
let ready: Promise<void> | undefined;
let wasm: PgQueryWasm | undefined;

/** Where the parser's .wasm is: beside the bundle in dist/, else in the libpg-query package. */
function wasmPath(): string {
  const beside = path.join(__dirname, 'libpg-query.wasm');
  return fs.existsSync(beside) ? beside : createRequire(__filename).resolve('libpg-query/wasm/libpg-query.wasm');
}

/**
 * Compiles the parser's WASM once per thread (in the background); the module can be posted to workers.
 *
 * With V8's baseline WASM compiler (Liftoff) only. By default V8 also recompiles the parser's hot
 * functions with its optimizing compiler (TurboFan) in the background. For `zdm lint` that costs more
 * CPU (~0.4 s) than the faster code saves over a corpus of about a megabyte, and on a 2-core machine
 * it competes with the lint threads; in the language server, where typing re-parses one statement at
 * a time, it saves nothing noticeable but leaves 15-30 MB of compiler memory in the process (RSS with
 * 200 files open: 148-161 MB with it, 131-135 MB without). The flag is process-wide and must be set
 * before the compile (see v8-flags.ts for when the CLI sets it).
 */
export function compileParser(): Promise<CompiledParser> {
  if (compiled === undefined) {
    // Set at run time, `--liftoff-only` alone kept Node 20 and 22 in Liftoff, but not Node 24.11: it
    // still compiled the parser's hot functions with TurboFan in the background unless both tiering
    // flags were also off (each alone was not enough). On the corpus, `zdm lint --threads 1` on Node 24
    // took 2.7 s and 735 MB of RSS without them, 1.6 s and 200 MB with them (docs/performance.md,
    // nineteenth round).
    setV8Flag('--liftoff-only');
    setV8Flag('--no-wasm-tier-up');
    setV8Flag('--no-wasm-dynamic-tiering');
  }
  compiled ??= fs.promises.readFile(wasmPath()).then((bytes) => WebAssembly.compile(bytes));
  return compiled;
}

/** Loads the parser once. Must resolve before `parseStatement` is called. */
export function initParser(options: ParserOptions = {}): Promise<void> {
  ready ??= instantiate(options.module);
  return ready;
}

async function instantiate(given: CompiledParser | undefined): Promise<void> {
  const module = given ?? (await compileParser());
  const factory = require('libpg-query/wasm/libpg-query.js') as PgQueryFactory;
  let fail: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  wasm = await Promise.race([
    factory({
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(module, imports).then(receive, fail);
        return {};
      },
    }),
    failed,
  ]);
}

export function parserReady(): boolean {
  return wasm !== undefined;
}

const DEFAULT_CACHE = { maxEntries: 50_000, maxChars: 32 * 1024 * 1024 };
let limits = { ...DEFAULT_CACHE };

/**
 * The parse cache, by statement text: two generations, `young` and `old`. New entries and hits go
 * to `young`; when it holds half the limit, it becomes `old` and the previous `old` is dropped. So
 * the most recently used half to all of the limit is kept, and eviction is O(1) (a Map used as an
 * LRU has to skip the holes its deletions leave at its front on every eviction).
 */
let young = new Map<string, ParseOutcome>();
let old = new Map<string, ParseOutcome>();
let youngChars = 0;

/**
 * Bounds the parse cache. The language server keeps a large one (typing re-parses only the statement
 * that changed); a batch run keeps a small one: repeats of a statement text come close together
 * (a down that re-creates what its up dropped, sibling files), and retaining every tree would only
 * make the garbage collector work harder.
 */
export function configureParseCache(options: { maxEntries?: number; maxChars?: number } = {}): void {
  limits = { maxEntries: options.maxEntries ?? DEFAULT_CACHE.maxEntries, maxChars: options.maxChars ?? DEFAULT_CACHE.maxChars };
  clearParseCache();
}

/** Parses one statement's text. Never throws on user input. */
export function parseStatement(text: string): ParseOutcome {
  let outcome = young.get(text);
  if (outcome !== undefined) return outcome;
  outcome = old.get(text);
  if (outcome !== undefined) {
    old.delete(text);
    remember(text, outcome);
    return outcome;
  }
  outcome = parseUncached(text);
  // A statement's text is a slice of its file's text, and a slice keeps the whole file alive: cache
  // a copy, or every keystroke's version of an open file would stay in memory with it.
  remember((' ' + text).slice(1), outcome);
  return outcome;
}

function remember(text: string, outcome: ParseOutcome): void {
  young.set(text, outcome);
  youngChars += text.length;
  if (young.size * 2 >= limits.maxEntries || youngChars * 2 >= limits.maxChars) {
    old = young;
    young = new Map();
    youngChars = 0;
  }
}

export function clearParseCache(): void {
  young = new Map();
  old = new Map();
  youngChars = 0;
}

function parseUncached(text: string): ParseOutcome {
  if (!wasm) throw new Error('The SQL parser is not loaded yet: await initParser() first.');
  try {
    const result = parseRaw(wasm, text) as { stmts?: { stmt: AstNode; stmt_location?: number }[] };
    const stmts = result.stmts ?? [];
    return { nodes: stmts.map((s) => s.stmt), locations: stmts.map((s) => s.stmt_location ?? 0) };
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const message = error instanceof Error ? error.message : String(error);
    return { nodes: [], locations: [], error: { message, codePoint: details?.cursorPosition ?? 0 } };
  }
}

class SqlError extends Error {
  constructor(
    message: string,
    readonly sqlDetails: { cursorPosition: number },
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * libpg-query's `parseSync`, with the same results and errors, but copying the text in and the JSON
 * out with native encoders (its JavaScript loops cost more than the parse on short statements).
 */
function parseRaw(m: PgQueryWasm, text: string): unknown {
  if (text === '') throw new Error('Query cannot be empty');
  // Well-formed text encodes the same with TextEncoder as with Emscripten's encoder; text holding a
  // lone surrogate goes through Emscripten's, which encodes it differently.
  const native = (text as string & { isWellFormed?(): boolean }).isWellFormed?.() === true;
  const length = native ? Buffer.byteLength(text, 'utf8') : m.lengthBytesUTF8(text);
  const queryPtr = m._malloc(length + 1);
  let resultPtr = 0;
  try {
    if (native) {
      encoder.encodeInto(text, m.HEAPU8.subarray(queryPtr, queryPtr + length));
      m.HEAPU8[queryPtr + length] = 0;
    } else {
      m.stringToUTF8(text, queryPtr, length + 1);
    }
    resultPtr = m._wasm_parse_query_raw(queryPtr);
    if (!resultPtr) throw new Error('Failed to parse query: memory allocation failed');
    const treePtr = m.getValue(resultPtr, 'i32');
    const errorPtr = m.getValue(resultPtr + 8, 'i32');
    if (errorPtr) {
      const messagePtr = m.getValue(errorPtr, 'i32');
      const cursor = m.getValue(errorPtr + 16, 'i32');
      const message = messagePtr ? m.UTF8ToString(messagePtr) : 'Unknown error';
      throw new SqlError(message, { cursorPosition: cursor > 0 ? cursor - 1 : 0 });
    }
    if (!treePtr) throw new Error('No parse tree generated');
    const heap = m.HEAPU8;
    const end = heap.indexOf(0, treePtr);
    return JSON.parse(decoder.decode(heap.subarray(treePtr, end === -1 ? heap.length : end)));
  } finally {
    m._free(queryPtr);
    if (resultPtr) m._wasm_free_parse_result(resultPtr);
  }
}

/** The kind of a statement node: its single key. */
export function nodeKind(node: AstNode | undefined): string {
  if (!node) return 'Unparsed';
  for (const key in node) return key;
  return 'Unparsed';
}
