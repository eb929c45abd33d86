/**
 * End-to-end harness: a real VS Code (code-server 4.100.3 = VS Code 1.100.3 by default; 4.139.1 = VS Code
 * 1.139.1 works too, see README.md; web workbench with a Node extension host) driven through Debian's
 * Chromium by playwright-core. Works offline, as root, without a TTY. `scripts/e2e-setup.sh` installs
 * what it needs; `scripts/run-e2e.mjs` runs the suites.
 *
 * Typical use (see smoke.test.ts):
 *
 *   const s = await E2ESession.start({ name: 'smoke', fixture: { 'a.sql': '...' }, extensions: [vsix] });
 *   try {
 *     await s.step('squiggle', async () => {
 *       await s.wb.openFile('a.sql');
 *       await s.wb.waitForSquiggle('warning');
 *     });
 *   } finally { await s.dispose(); }
 *
 * Rules: every wait polls with a timeout (never a fixed sleep); every timeout leaves a screenshot, the
 * page HTML and log tails in test-results/e2e/; every process started here is stopped by process tree,
 * also when a test fails or the process is interrupted.
 *
 * The page-side code runs in the browser; the project's tsconfig has no DOM lib, so browser globals are
 * reached through `globalThis as any`.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as os from 'node:os';
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { spawn, type ChildProcess } from 'node:child_process';
// playwright-core is a devDependency. Types resolve once it is installed; the @ts-ignore keeps
// `tsc` green for everyone else in the meantime (the names then degrade to `any`).
// @ts-ignore
import type { BrowserContext, Page, Locator } from 'playwright-core';

// ------------------------------------------------------------------------------------------- config

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'test', 'e2e'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
export const E2E_DIR = process.env.ZDM_E2E_DIR ?? path.join(REPO_ROOT, '.e2e');
export const RESULTS_DIR = process.env.ZDM_E2E_RESULTS ?? path.join(REPO_ROOT, 'test-results', 'e2e');
export const CODE_SERVER_ENTRY =
  process.env.ZDM_E2E_CODE_SERVER_ENTRY ?? path.join(E2E_DIR, 'code-server/node_modules/code-server/out/node/entry.js');
export const CHROMIUM = process.env.ZDM_E2E_CHROMIUM ?? '/usr/bin/chromium';
/** Multiplies every default timeout (slow machines: ZDM_E2E_TIMEOUT_SCALE=2). */
export const TIMEOUT_SCALE = Number(process.env.ZDM_E2E_TIMEOUT_SCALE ?? '1') || 1;
export const DEFAULT_TIMEOUT_MS = Math.round(30_000 * TIMEOUT_SCALE);
/** Tags every process we start (in its environment) so run-e2e.mjs can find leaks. */
export const RUN_ID = process.env.ZDM_E2E_RUN_ID ?? `pid${process.pid}`;
/** Keep temp dirs after the run (for debugging). */
const KEEP = process.env.ZDM_E2E_KEEP === '1';
/** Log what every wait sees, once a second (ZDM_E2E_DEBUG=1). */
const DEBUG = process.env.ZDM_E2E_DEBUG === '1';
function debug(msg: string): void {
  if (DEBUG) log(`(debug) ${msg}`);
}

const T0 = Date.now();
export function log(msg: string): void {
  console.log(`[e2e +${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}`);
}

export function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'step';
}

// ---------------------------------------------------------------------------------------- polling

export class E2ETimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastSeen: string,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}${lastSeen ? `; last seen: ${lastSeen}` : ''}`);
    this.name = 'E2ETimeoutError';
  }
}

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Errors from the probe that end the wait at once (rethrown) instead of counting as "not yet". */
  fatal?: (err: unknown) => boolean;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves like `p`, or rejects after `ms` (without keeping the process alive afterwards). */
export function withTimeout<T>(p: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function describe(v: unknown): string {
  if (v instanceof Error) return `${v.name}: ${v.message.split('\n')[0]}`;
  try {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 300 ? s.slice(0, 300) + '…' : s;
  } catch {
    return String(v);
  }
}

/**
 * Calls `probe` until it returns something truthy and returns that. Errors thrown by `probe` count as
 * "not yet". `probe` may `note()` what it saw; the last note (or error) is reported on timeout, which
 * throws E2ETimeoutError.
 */
export async function poll<T>(
  what: string,
  probe: (note: (seen: unknown) => void) => Promise<T | undefined | null | false | ''> | T | undefined | null | false | '',
  opts: PollOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  let lastDebug = Date.now();
  for (;;) {
    let noted = false;
    const note = (seen: unknown) => {
      noted = true;
      last = seen;
    };
    try {
      const v = await probe(note);
      if (v) return v as T;
      if (!noted) last = v;
    } catch (err) {
      if (opts.fatal?.(err)) throw err;
      last = err;
    }
    if (DEBUG && Date.now() - lastDebug >= 1000) {
      lastDebug = Date.now();
      log(`(debug) still waiting for ${what}: ${describe(last)}`);
    }
    if (Date.now() >= deadline) throw new E2ETimeoutError(what, timeoutMs, describe(last));
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

// -------------------------------------------------------------------------------------- processes

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
}

function readProcTable(): Map<number, ProcInfo> {
  const table = new Map<number, ProcInfo>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...  — comm may contain spaces and parens.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { pid: Number(name), state: rest[0], ppid: Number(rest[1]), pgid: Number(rest[2]) });
    } catch {
      /* exited meanwhile */
    }
  }
  return table;
}

/** pid and all its live descendants (zombies excluded), parents first. */
export function processTree(pid: number): number[] {
  const table = readProcTable();
  const children = new Map<number, number[]>();
  for (const p of table.values()) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid)!.push(p.pid);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    const info = table.get(p);
    if (info && info.state !== 'Z') out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'; // an exited child can linger as a zombie
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/**
 * Stops `pid` and everything below it: SIGTERM to the tree (and its process group when it leads one),
 * then SIGKILL to whatever is still alive after `graceMs`. Resolves when all are gone.
 */
export async function killTree(pid: number, graceMs = 5000): Promise<void> {
  const tree = processTree(pid);
  if (tree.length === 0) return;
  const leadsGroup = readProcTable().get(pid)?.pgid === pid;
  if (leadsGroup) signal(-pid, 'SIGTERM');
  for (const p of tree) signal(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && tree.some(isAlive)) await delay(50);
  const left = [...new Set([...tree, ...processTree(pid)])].filter(isAlive);
  if (left.length) {
    if (leadsGroup) signal(-pid, 'SIGKILL');
    for (const p of left) signal(p, 'SIGKILL');
    const hard = Date.now() + 5000;
    while (Date.now() < hard && left.some(isAlive)) await delay(50);
  }
}

/** Live processes (other than this one) whose environment carries ZDM_E2E_RUN=<RUN_ID>. */
export function taggedProcesses(): number[] {
  const tag = Buffer.from(`ZDM_E2E_RUN=${RUN_ID}\0`);
  const out: number[] = [];
  for (const p of readProcTable().values()) {
    if (p.pid === process.pid || p.state === 'Z') continue;
    try {
      if (fs.readFileSync(`/proc/${p.pid}/environ`).includes(tag)) out.push(p.pid);
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}

/** Resident memory of the given processes, in bytes. */
export function rssBytes(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      /* gone */
    }
  }
  return total;
}

export const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

// Last-resort cleanup: when this process exits or is interrupted, the process groups we lead, our
// descendants and tagged processes are killed, and the session temp dirs removed.
const liveGroups = new Set<number>();
const liveRoots = new Set<string>();
let exitHooksInstalled = false;
function registerGroup(pid: number): void {
  liveGroups.add(pid);
  registerExitHooks();
}

function registerExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    // Also everything below this process (Chromium and its crashpad handlers, which would otherwise
    // outlive a SIGKILLed browser).
    const doomed = new Set(processTree(process.pid).filter((p) => p !== process.pid));
    for (const g of liveGroups) {
      for (const p of processTree(g)) doomed.add(p);
      signal(-g, 'SIGKILL');
    }
    // Chromium's crashpad handlers detach from the tree; they carry our tag in their environment.
    for (const p of taggedProcesses()) doomed.add(p);
    for (const p of doomed) signal(p, 'SIGKILL');
    // Synchronous wait (we are exiting) until they are gone, so they stop writing into the temp dirs.
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const until = Date.now() + 3000;
    while (Date.now() < until && [...doomed].some(isAlive)) Atomics.wait(sleeper, 0, 0, 20);
    if (!KEEP) {
      for (const dir of liveRoots) {
        try {
          fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
        } catch {
          /* run-e2e.mjs removes its run dir anyway */
        }
      }
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      log(`${sig} received: stopping ${liveGroups.size} process group(s)`);
      process.exit(sig === 'SIGINT' ? 130 : 143); // 'exit' hook kills the groups
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function tailFile(file: string, lines: number): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text
      .split('\n')
      .slice(-lines - 1)
      .map((l) => (l.length > 400 ? l.slice(0, 400) + ' …' : l))
      .join('\n');
  } catch {
    return `(no ${file})`;
  }
}

/** Env without what would make code-server or Chromium talk to something outside the sandbox. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // PORT overrides --bind-addr; VSCODE_* (e.g. VSCODE_IPC_HOOK_CLI in a VS Code terminal) makes the
    // CLI talk to another VS Code; PASSWORD/HASHED_PASSWORD/GITHUB_TOKEN feed code-server's auth.
    if (/^(PORT|PASSWORD|HASHED_PASSWORD|GITHUB_TOKEN|CODE_SERVER_.*|VSCODE_.*|ELECTRON_.*)$/.test(k)) continue;
    if (k.startsWith('NODE_TEST') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ZDM_E2E_RUN: RUN_ID, ...extra };
}

// -------------------------------------------------------------------------------------- workspace

/** A fixture: a folder to copy (absolute or relative to the repo root) or a map of files to write. */
export type Fixture = string | Record<string, string>;

/** Makes a fresh temp root for one session: os.tmpdir()/zdm-e2e-<run>-XXXX. */
export async function makeTempRoot(label: string): Promise<string> {
  // Kept short: VS Code puts unix sockets (vscode-ipc-<uuid>.sock, max ~107 bytes) below it.
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `zdm-e2e-${sanitize(label).slice(0, 12)}-`));
  liveRoots.add(dir);
  registerExitHooks();
  return dir;
}

/** Creates `<root>/<name>` from the fixture and returns its absolute path. */
export async function createWorkspace(fixture: Fixture, root: string, name = 'workspace'): Promise<string> {
  const dir = path.join(root, name);
  await fsp.mkdir(dir, { recursive: true });
  if (typeof fixture === 'string') {
    const src = path.isAbsolute(fixture) ? fixture : path.join(REPO_ROOT, fixture);
    await fsp.cp(src, dir, { recursive: true });
  } else {
    for (const [rel, content] of Object.entries(fixture)) {
      const file = path.join(dir, rel);
      await fsp.mkdir(path.dirname(file), { recursive: true });
      await fsp.writeFile(file, content);
    }
  }
  return dir;
}

// ------------------------------------------------------------------------------------------ VSIX

function crc32(buf: Buffer): number {
  const z = zlib as unknown as { crc32?: (b: Buffer) => number };
  if (z.crc32) return z.crc32(buf) >>> 0;
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** Writes a zip (deflate) of { name: content } — enough for a .vsix. */
function writeZip(file: string, entries: Array<[string, Buffer]>): void {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBuf = Buffer.from(name, 'utf8');
    const deflated = zlib.deflateRawSync(data);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(0, 10); // time/date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(deflated.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, deflated);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + deflated.length;
  }
  const centralBuf = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  fs.writeFileSync(file, Buffer.concat([...locals, centralBuf, end]));
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else if (e.isFile()) out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out.sort();
}

const xmlEscape = (s: string) => s.replace(/[<>&"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot' }[c]};`);

/**
 * Packs an unpacked extension folder into a minimal .vsix (for extensions generated by tests; the real
 * extension is packaged with `vsce`). Returns the .vsix path.
 */
export function packVsix(extensionDir: string, outFile: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8'));
  const manifest = `<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011" xmlns:d="http://schemas.microsoft.com/developer/vsx-schema-design/2011">
  <Metadata>
    <Identity Language="en-US" Id="${xmlEscape(pkg.name)}" Version="${xmlEscape(pkg.version)}" Publisher="${xmlEscape(pkg.publisher)}" />
    <DisplayName>${xmlEscape(pkg.displayName ?? pkg.name)}</DisplayName>
    <Description xml:space="preserve">${xmlEscape(pkg.description ?? '')}</Description>
    <Categories>Other</Categories>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="${xmlEscape(pkg.engines?.vscode ?? '*')}" />
    </Properties>
  </Metadata>
  <Installation><InstallationTarget Id="Microsoft.VisualStudio.Code"/></Installation>
  <Dependencies/>
  <Assets><Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" /></Assets>
</PackageManifest>
`;
  const types = `<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension=".json" ContentType="application/json"/><Default Extension=".js" ContentType="application/javascript"/><Default Extension=".vsixmanifest" ContentType="text/xml"/><Default Extension=".md" ContentType="text/markdown"/><Default Extension=".wasm" ContentType="application/wasm"/></Types>
`;
  const entries: Array<[string, Buffer]> = [
    ['[Content_Types].xml', Buffer.from(types)],
    ['extension.vsixmanifest', Buffer.from(manifest)],
    ...listFiles(extensionDir).map((rel): [string, Buffer] => [`extension/${rel}`, fs.readFileSync(path.join(extensionDir, rel))]),
  ];
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  writeZip(outFile, entries);
  return outFile;
}

// ------------------------------------------------------------------------------------ code-server

export interface CodeServerDirs {
  /** Everything below lives here; removed on stop(). */
  root: string;
  userData: string;
  extensions: string;
  xdgConfig: string;
  xdgData: string;
  xdgCache: string;
  tmp: string;
  config: string;
  log: string;
}

function codeServerDirs(root: string): CodeServerDirs {
  const d = (n: string) => path.join(root, n);
  return {
    root,
    userData: d('user-data'),
    extensions: d('extensions'),
    xdgConfig: d('xdg-config'),
    xdgData: d('xdg-data'),
    xdgCache: d('xdg-cache'),
    tmp: d('t'), // also XDG_RUNTIME_DIR, where VS Code creates its sockets: keep the path short
    config: d('config.yaml'),
    log: d('code-server.log'),
  };
}

function codeServerEnv(dirs: CodeServerDirs, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    XDG_RUNTIME_DIR: dirs.tmp,
    TMPDIR: dirs.tmp,
    ...extra,
  });
}

/** Settings that keep the workbench quiet and deterministic (no welcome page, no network, no git). */
export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.reduceMotion': 'on',
  'workbench.editor.enablePreview': false,
  'workbench.localHistory.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'github.gitAuthentication': false,
  'chat.commandCenter.enabled': false,
  // VS Code 1.139 opens the Chat view in the secondary side bar (it takes the focus and a third of the
  // width); 1.100 ignores the first setting, and hidden is already its default for the second.
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'files.autoSave': 'off',
  'editor.accessibilitySupport': 'off',
  'npm.autoDetect': 'off',
  'typescript.disableAutomaticTypeAcquisition': true,
  'json.schemaDownload.enable': false,
};

function runNode(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    registerGroup(child.pid!);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      void killTree(child.pid!, 1000);
      reject(new Error(`timed out after ${timeoutMs} ms: node ${args.join(' ')}\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      liveGroups.delete(child.pid!);
      resolve({ code, output });
    });
  });
}

/**
 * Installs an extension into the extensions dir: a `.vsix` through `code-server --install-extension`,
 * or an unpacked extension folder by copying it in as `<publisher>.<name>-<version>`. Do this before
 * the server starts (a running window would need a reload to see it).
 */
export async function installExtension(dirs: CodeServerDirs, source: string): Promise<string> {
  ensureCodeServerInstalled();
  const t = Date.now();
  if (fs.statSync(source).isDirectory()) {
    const pkg = JSON.parse(await fsp.readFile(path.join(source, 'package.json'), 'utf8'));
    const id = `${pkg.publisher}.${pkg.name}`;
    const rel = `${id.toLowerCase()}-${pkg.version}`;
    await fsp.mkdir(dirs.extensions, { recursive: true });
    await fsp.cp(source, path.join(dirs.extensions, rel), { recursive: true });
    // VS Code reads extensions.json once it exists; without it, it scans the folder on first start.
    const manifest = path.join(dirs.extensions, 'extensions.json');
    if (fs.existsSync(manifest)) {
      const list = JSON.parse(await fsp.readFile(manifest, 'utf8')) as Array<{ identifier: { id: string } }>;
      const entry = {
        identifier: { id },
        version: pkg.version,
        location: { $mid: 1, path: path.join(dirs.extensions, rel), scheme: 'file' },
        relativeLocation: rel,
      };
      await fsp.writeFile(manifest, JSON.stringify([...list.filter((e) => e.identifier.id !== id), entry]));
    }
    log(`copied extension ${id} into ${dirs.extensions} (${Date.now() - t} ms)`);
    return id;
  }
  await fsp.mkdir(path.dirname(dirs.config), { recursive: true });
  if (!fs.existsSync(dirs.config)) await fsp.writeFile(dirs.config, 'auth: none\ncert: false\n');
  const { code, output } = await runNode(
    [
      CODE_SERVER_ENTRY,
      '--user-data-dir', dirs.userData,
      '--extensions-dir', dirs.extensions,
      '--config', dirs.config,
      '--force',
      '--install-extension', source,
    ],
    codeServerEnv(dirs),
    Math.round(120_000 * TIMEOUT_SCALE),
  );
  const ok = /successfully installed/i.exec(output);
  if (code !== 0 || !ok) throw new Error(`installing ${source} failed (exit ${code}):\n${output}`);
  log(`installed ${path.basename(source)} (${Date.now() - t} ms)`);
  return /Extension '([^']+)'/.exec(output)?.[1] ?? path.basename(source);
}

function ensureCodeServerInstalled(): void {
  if (!fs.existsSync(CODE_SERVER_ENTRY)) {
    throw new Error(`code-server is not installed at ${CODE_SERVER_ENTRY}; run scripts/e2e-setup.sh (npm run test:e2e does).`);
  }
}

export interface CodeServerOptions {
  /** Folder to open. */
  workspace: string;
  /** Where to keep all state (a temp dir); created if missing. */
  stateDir: string;
  /** .vsix files or unpacked extension folders to install before start. */
  extensions?: string[];
  /** User settings, merged over DEFAULT_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Extra environment for the server and its extension host. */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export class CodeServer {
  private exited = false;
  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
    readonly dirs: CodeServerDirs,
    readonly workspace: string,
    /** spawn → /healthz answered, ms. */
    readonly startMs: number,
  ) {
    proc.on('exit', () => (this.exited = true));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The workbench URL that opens `folder` (default: the workspace), with extra query parameters. */
  workbenchUrl(folder = this.workspace, query: Record<string, string> = {}): string {
    const extra = Object.entries(query).map(([k, v]) => `&${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('');
    return `${this.url}/?folder=${encodeURIComponent(folder)}${extra}`;
  }

  /** A server-side path as the workbench addresses it (vscode-remote://127.0.0.1:<port>/path). */
  remoteUri(file: string): string {
    return `vscode-remote://127.0.0.1:${this.port}${file.split(path.sep).map(encodeURIComponent).join('/')}`;
  }

  /**
   * The `payload` query parameter that runs extension-host tests in the workbench: the extension
   * folder is loaded as the extension under development, and the module's `run()` is called in the
   * extension host once it started (what @vscode/test-electron does for a desktop VS Code).
   */
  testPayload(extensionDevelopmentPath: string, extensionTestsPath: string): Record<string, string> {
    return { payload: JSON.stringify([['extensionDevelopmentPath', this.remoteUri(extensionDevelopmentPath)], ['extensionTestsPath', this.remoteUri(extensionTestsPath)]]) };
  }

  static async start(opts: CodeServerOptions): Promise<CodeServer> {
    ensureCodeServerInstalled();
    const dirs = codeServerDirs(opts.stateDir);
    const longestSocket = path.join(dirs.tmp, `vscode-ipc-${'0'.repeat(36)}.sock`);
    if (Buffer.byteLength(longestSocket) > 104) {
      throw new Error(`state dir too deep for unix sockets (${longestSocket.length} > 104 bytes): ${dirs.tmp}; use a shorter TMPDIR`);
    }
    for (const d of [dirs.userData, dirs.extensions, dirs.xdgConfig, dirs.xdgData, dirs.xdgCache, dirs.tmp]) {
      await fsp.mkdir(d, { recursive: true });
    }
    await fsp.mkdir(path.join(dirs.userData, 'User'), { recursive: true });
    await fsp.writeFile(
      path.join(dirs.userData, 'User', 'settings.json'),
      JSON.stringify({ ...DEFAULT_SETTINGS, ...(opts.settings ?? {}) }, null, 2),
    );
    // A config file must exist before any code-server CLI call, or it writes one with a password.
    await fsp.writeFile(dirs.config, 'auth: none\ncert: false\n');
    for (const ext of opts.extensions ?? []) await installExtension(dirs, ext);

    let lastError = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      const port = await freePort();
      await fsp.writeFile(dirs.config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
      const logFd = fs.openSync(dirs.log, 'a');
      const t = Date.now();
      const proc = spawn(
        process.execPath,
        [
          CODE_SERVER_ENTRY,
          '--bind-addr', `127.0.0.1:${port}`,
          '--auth', 'none',
          '--config', dirs.config,
          '--user-data-dir', dirs.userData,
          '--extensions-dir', dirs.extensions,
          '--disable-telemetry',
          '--disable-update-check',
          '--disable-workspace-trust',
          '--disable-getting-started-override',
          '--ignore-last-opened',
          opts.workspace,
        ],
        { env: codeServerEnv(dirs, opts.env), stdio: ['ignore', logFd, logFd], detached: true, cwd: opts.workspace },
      );
      fs.closeSync(logFd);
      registerGroup(proc.pid!);
      const cs = new CodeServer(proc, port, dirs, opts.workspace, 0);
      try {
        await poll(
          `code-server /healthz on port ${port}`,
          async () => {
            if (cs.exited) throw new Error(`code-server exited (code ${proc.exitCode})`);
            const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
            return res.ok;
          },
          { timeoutMs: opts.startTimeoutMs ?? Math.round(60_000 * TIMEOUT_SCALE), intervalMs: 100 },
        );
        const started = new CodeServer(proc, port, dirs, opts.workspace, Date.now() - t);
        log(`code-server ${port} ready in ${started.startMs} ms (pid ${proc.pid}, state ${dirs.root})`);
        return started;
      } catch (err) {
        lastError = `${(err as Error).message}\n--- code-server log ---\n${tailFile(dirs.log, 40)}`;
        await killTree(proc.pid!, 2000);
        liveGroups.delete(proc.pid!);
        if (!/EADDRINUSE/.test(tailFile(dirs.log, 40))) break; // only a port race is worth a retry
      }
    }
    throw new Error(`code-server did not start: ${lastError}`);
  }

  /** Last lines of the server's stdout/stderr. */
  logTail(lines = 40): string {
    return tailFile(this.dirs.log, lines);
  }

  /** VS Code's own logs (remoteagent, extension host, output channels of extensions). */
  vscodeLogFiles(): string[] {
    const logs = path.join(this.dirs.userData, 'logs');
    if (!fs.existsSync(logs)) return [];
    return listFiles(logs)
      .filter((f) => f.endsWith('.log'))
      .map((f) => path.join(logs, f));
  }

  pids(): number[] {
    return this.proc.pid ? processTree(this.proc.pid) : [];
  }

  rssBytes(): number {
    return rssBytes(this.pids());
  }

  async stop(): Promise<void> {
    if (this.proc.pid) {
      await killTree(this.proc.pid);
      liveGroups.delete(this.proc.pid);
    }
  }
}

// ---------------------------------------------------------------------------------------- browser

type PlaywrightCore = { chromium: { launchPersistentContext(dir: string, opts: Record<string, unknown>): Promise<BrowserContext> } };

/** playwright-core from node_modules, else from the fallback copy e2e-setup.sh puts in .e2e/tools. */
export function loadPlaywright(): PlaywrightCore {
  const candidates = ['playwright-core', path.join(E2E_DIR, 'tools', 'node_modules', 'playwright-core')];
  const errors: string[] = [];
  for (const c of candidates) {
    try {
      return require(c) as PlaywrightCore;
    } catch (err) {
      errors.push(`${c}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`playwright-core not found (npm install, or run scripts/e2e-setup.sh):\n${errors.join('\n')}`);
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', // root, and no user namespaces in containers
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage', // small /dev/shm in containers
  '--disable-features=Translate,MediaRouter,OptimizationHints',
  '--disable-crash-reporter',
  '--disable-breakpad',
];

export interface BrowserOptions {
  profileDir: string;
  /** Temp dir for Chromium (keeps it out of /tmp). */
  tmpDir?: string;
  /** XDG config/cache base for Chromium (keeps crash reports and caches out of HOME). */
  xdgDir?: string;
  viewport?: { width: number; height: number };
}

export async function launchBrowser(opts: BrowserOptions): Promise<BrowserContext> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found; run scripts/e2e-setup.sh (apt-get install chromium)`);
  const { chromium } = loadPlaywright();
  const extra: Record<string, string> = {};
  if (opts.tmpDir) extra.TMPDIR = opts.tmpDir;
  if (opts.xdgDir) {
    extra.XDG_CONFIG_HOME = path.join(opts.xdgDir, 'config');
    extra.XDG_CACHE_HOME = path.join(opts.xdgDir, 'cache');
  }
  const env = cleanEnv(extra) as Record<string, string>;
  return chromium.launchPersistentContext(opts.profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    env,
    viewport: opts.viewport ?? { width: 1400, height: 900 },
    timeout: Math.round(60_000 * TIMEOUT_SCALE),
  });
}

// ------------------------------------------------------------------------------------- workbench

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Problem {
  /** Absolute path of the file (as the Problems panel shows it). */
  file: string;
  severity: Severity | 'unknown';
  message: string;
  source: string;
  code: string;
  line: number;
  column: number;
  /** The row's accessible label, e.g. "Warning: … at line 1 and character 1. generated by zdm". */
  ariaLabel: string;
}

/** The open quick input (Workbench.quickInputState). */
export interface QuickInputState {
  visible: boolean;
  title: string;
  placeholder: string;
  /** An input box's prompt or validation message. */
  message: string;
  value: string;
  rows: Array<{ label: string; description: string; ariaLabel: string; focused: boolean }>;
}

/**
 * An answer to a prompt (Workbench.answerPrompts): `when` is tested against "title | placeholder |
 * message". `pick` a row by label, `type` a value, or `accept` what is offered.
 */
export type PromptAnswer = { when: RegExp } & ({ pick: string } | { type: string } | { accept: true });

/** An open modal dialog (e.g. `showWarningMessage(…, { modal: true }, …)`): its message, detail and buttons. */
export interface DialogState {
  visible: boolean;
  message: string;
  detail: string;
  /** Button labels, in the order shown (VS Code adds Cancel). */
  buttons: string[];
}

/** A row of a tree view. */
export interface ViewItem {
  label: string;
  description: string;
  ariaLabel: string;
}

export class UnexpectedPromptError extends Error {
  constructor(
    readonly prompt: string,
    readonly rows: string[],
  ) {
    super(`unexpected prompt "${prompt}"${rows.length ? ` (rows: ${rows.slice(0, 10).join(', ')})` : ''}`);
    this.name = 'UnexpectedPromptError';
  }
}

/** Hooks a Workbench uses to report a failed wait (screenshots, logs). */
export interface FailureReporter {
  (what: string, err: unknown): Promise<void>;
}

const SEL = {
  workbench: '.monaco-workbench',
  statusbar: '.monaco-workbench .part.statusbar',
  explorerRow: '.explorer-folders-view .monaco-list-row',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickInputRow: '.quick-input-widget .quick-input-list .monaco-list-row',
  activeEditor: '.editor-group-container.active .editor-instance .monaco-editor',
  activeTab: '.editor-group-container.active .tabs-container .tab.active',
  hover: '.monaco-hover:not(.hidden) .monaco-hover-content',
  actionRow: '.action-widget .monaco-list-row.action',
  markersRow: '.markers-panel .monaco-list-row',
  toast: '.notifications-toasts .notification-toast',
  notificationCenterRow: '.notifications-center .notification-list-item',
  dialog: '.monaco-dialog-box',
  dialogButton: '.monaco-dialog-box .dialog-buttons .monaco-button',
};

/** Page helpers for the VS Code workbench. All waits poll; none sleep a fixed time. */
export class Workbench {
  constructor(
    readonly page: Page,
    private readonly onFailure: FailureReporter = async () => {},
    /** The open folder; lets openFile type absolute paths (found at once, no file search needed). */
    readonly workspace?: string,
  ) {}

  private guardDepth = 0;

  /** Reports a failure of the outermost helper only (inner waits may fail and be retried). */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.guardDepth++;
    try {
      return await fn();
    } catch (err) {
      if (this.guardDepth === 1) {
        await this.onFailure(what, err).catch((e) => log(`failure reporter failed: ${(e as Error).message}`));
      }
      throw err;
    } finally {
      this.guardDepth--;
    }
  }

  private async exists(selector: string): Promise<boolean> {
    return (await this.page.locator(selector).count()) > 0;
  }

  /** Waits for the workbench to render and, when a folder is open, its files to show in the Explorer. */
  async waitForReady(opts: { folder?: boolean; timeoutMs?: number } = {}): Promise<void> {
    return this.guard('workbench ready', async () => {
      const timeoutMs = opts.timeoutMs ?? Math.round(60_000 * TIMEOUT_SCALE);
      await poll('the workbench and its status bar', () => this.page.locator(SEL.statusbar).isVisible(), { timeoutMs });
      if (opts.folder !== false) {
        await poll('the Explorer to list the workspace', () => this.exists(SEL.explorerRow), { timeoutMs });
      }
    });
  }

  /** Closes quick input, hovers, suggest and action widgets. */
  async dismiss(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const open = await this.page.evaluate(`(() => {
        const q = document.querySelector('.quick-input-widget');
        const quick = !!q && q.style.display !== 'none';
        return quick || !!document.querySelector('.action-widget') || !!document.querySelector('.monaco-hover:not(.hidden)');
      })()`);
      if (!open) return;
      await this.page.keyboard.press('Escape');
    }
  }

  private async quickInputVisible(): Promise<boolean> {
    return this.page.locator(SEL.quickInput).isVisible();
  }

  /** Opens quick input with `key` and makes its text exactly `text` (retrying the key if needed). */
  private async openQuickInput(key: string, text: string): Promise<void> {
    await poll(`quick input (${key}) to accept "${text}"`, async () => {
      if (!(await this.quickInputVisible())) {
        await this.page.keyboard.press(key);
        await poll('quick input to open', () => this.quickInputVisible(), { timeoutMs: 3000 });
      }
      const box = this.page.locator(SEL.quickInputBox);
      await box.fill(text, { timeout: 3000 });
      return (await box.inputValue()) === text;
    });
  }

  /** Rows of the open quick input: label, description, aria-label, focused. */
  async quickInputRows(): Promise<Array<{ label: string; description: string; ariaLabel: string; focused: boolean }>> {
    return this.page.evaluate(`(() => Array.from(document.querySelectorAll(${JSON.stringify(SEL.quickInputRow)})).map((r) => ({
      label: (r.querySelector('.label-name')?.textContent ?? '').trim(),
      description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
      ariaLabel: r.getAttribute('aria-label') ?? '',
      focused: r.classList.contains('focused'),
    })))()`);
  }

  /**
   * Accepts the quick input row at `index` with the keyboard (arrow keys, then Enter). Keyboard, not a
   * click: a click leaves the mouse over the workbench, where it later hides keyboard-triggered hovers.
   */
  private async acceptQuickInputRow(index: number): Promise<void> {
    await poll(`quick input row ${index} focused`, async () => {
      const rows = await this.quickInputRows();
      const focused = rows.findIndex((r) => r.focused);
      if (focused === index) return true;
      await this.page.keyboard.press(focused < index ? 'ArrowDown' : 'ArrowUp');
      return false;
    }, { timeoutMs: 5000, intervalMs: 50 });
    await this.page.keyboard.press('Enter');
  }

  /** Moves the mouse to an empty spot of the activity bar, where it triggers no hover. */
  async parkMouse(): Promise<void> {
    const vp = this.page.viewportSize() ?? { width: 1400, height: 900 };
    await this.page.mouse.move(2, Math.round(vp.height * 0.6));
  }

  /**
   * Opens a workspace file by its path relative to the workspace folder, through Quick Open (Ctrl+P).
   * Types the absolute path when the workspace is known (resolved at once; a relative name needs the
   * file search, which early after start answers "0 Results"), and retries until the editor shows it.
   */
  async openFile(relPath: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const rel = (path.isAbsolute(relPath) && this.workspace ? path.relative(this.workspace, relPath) : relPath).split(path.sep).join('/');
    const query = this.workspace ? path.join(this.workspace, rel) : rel;
    const base = path.posix.basename(rel);
    const dir = path.posix.dirname(rel);
    return this.guard(`open file ${rel}`, async () => {
      await this.dismiss();
      await poll(
        `Quick Open to open ${rel}`,
        async () => {
          if (await this.isActiveFile(rel)) return true;
          debug(`openFile ${rel}: typing ${query}`);
          await this.openQuickInput('Control+P', query);
          debug(`openFile ${rel}: waiting for rows`);
          const rows = await poll(
            `a Quick Open result for ${rel}`,
            async (note) => {
              const r = await this.quickInputRows();
              note({ rows: r.map((x) => `${x.label} ${x.description}`.trim()) });
              return r.some((x) => x.label === base) ? r : undefined;
            },
            { timeoutMs: 2500 },
          ).catch(() => undefined);
          if (!rows) {
            await this.page.keyboard.press('Escape'); // stale "0 Results": search again
            return false;
          }
          const want = dir === '.' ? '' : dir;
          let idx = rows.findIndex((x) => x.label === base && (want === '' || x.description.replace(/\\/g, '/').endsWith(want)));
          if (idx < 0) idx = rows.findIndex((x) => x.label === base);
          debug(`openFile ${rel}: accepting row ${idx}`);
          await this.acceptQuickInputRow(idx);
          return poll(`editor tab for ${rel}`, () => this.isActiveFile(rel), { timeoutMs: 5000 }).catch(() => false);
        },
        { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, intervalMs: 200 },
      );
      await poll(`editor for ${rel} to render`, () => this.page.locator(`${SEL.activeEditor} .view-lines`).isVisible());
    });
  }

  /** The file name on the active editor tab, if any. */
  async activeTabName(): Promise<string | undefined> {
    return (await this.page.locator(SEL.activeTab).first().getAttribute('data-resource-name', { timeout: 500 }).catch(() => null)) ?? undefined;
  }

  /** True when the active editor tab shows `relPath` (compares the base name and the breadcrumbs). */
  async isActiveFile(relPath: string): Promise<boolean> {
    const base = path.posix.basename(relPath);
    const name = await this.page
      .locator(SEL.activeTab)
      .first()
      .getAttribute('data-resource-name', { timeout: 500 })
      .catch(() => null);
    if (name !== base) return false;
    const dir = path.posix.dirname(relPath);
    if (dir === '.') return true;
    const crumbs: string = await this.page.evaluate(`(() => {
      const el = document.querySelector('.editor-group-container.active .breadcrumbs-control');
      return el ? Array.from(el.querySelectorAll('.monaco-breadcrumb-item')).map((e) => e.textContent.trim()).join('/') : '';
    })()`);
    return crumbs === '' || crumbs.includes(`${dir}/${base}`);
  }

  /** Runs a command from the Command Palette by its title as shown there, e.g. "E2E Smoke: Say Hello". */
  async runCommand(title: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    return this.guard(`run command "${title}"`, async () => {
      await this.dismiss();
      await poll(
        `Command Palette entry "${title}"`,
        async () => {
          await this.openQuickInput('Control+Shift+P', `>${title}`);
          const rows = await poll(
            `palette row "${title}"`,
            async (note) => {
              const r = await this.quickInputRows();
              note({ rows: r.map((x) => x.label) });
              return r.some((x) => x.label === title) ? r : undefined;
            },
            { timeoutMs: 2500 },
          ).catch(() => undefined);
          if (!rows) {
            await this.page.keyboard.press('Escape'); // commands of a just-activated extension may be late
            return false;
          }
          await this.acceptQuickInputRow(rows.findIndex((x) => x.label === title));
          await poll('palette to close', async () => !(await this.quickInputVisible()), { timeoutMs: 3000 });
          return true;
        },
        { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, intervalMs: 250 },
      );
    });
  }

  /** Texts of the visible notification toasts. */
  async notifications(): Promise<string[]> {
    return this.page.evaluate(`(() => Array.from(document.querySelectorAll('.notifications-toasts .notification-list-item-message, .notifications-center .notification-list-item-message')).map((e) => e.textContent.trim()))()`);
  }

  /** Waits for a notification whose text contains `text` (or matches the RegExp); returns its text. */
  async waitForNotification(text: string | RegExp, opts: { timeoutMs?: number } = {}): Promise<string> {
    const match = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
    return this.guard(`notification ${text}`, () =>
      poll(`a notification ${text}`, async (note) => {
        const all = await this.notifications();
        note({ notifications: all });
        return all.find(match);
      }, { timeoutMs: opts.timeoutMs }),
    );
  }

  /** Squiggle decorations rendered in the active editor (visible lines only). */
  async squiggles(): Promise<Record<Severity, number>> {
    return this.page.evaluate(`(() => {
      const ed = document.querySelector(${JSON.stringify(SEL.activeEditor)});
      const n = (c) => ed ? ed.querySelectorAll('.squiggly-' + c).length : 0;
      return { error: n('error'), warning: n('warning'), info: n('info'), hint: n('hint') };
    })()`);
  }

  /** Waits until the active editor shows at least one squiggle of that severity (any when omitted). */
  async waitForSquiggle(severity?: Severity, opts: { timeoutMs?: number } = {}): Promise<Record<Severity, number>> {
    return this.guard(`${severity ?? 'any'} squiggle`, () =>
      poll(
        `a ${severity ?? 'any'} squiggle in the active editor`,
        async (note) => {
          const s = await this.squiggles();
          note({ squiggles: s, activeTab: await this.activeTabName() });
          const hit = severity ? s[severity] > 0 : s.error + s.warning + s.info + s.hint > 0;
          return hit ? s : undefined;
        },
        { timeoutMs: opts.timeoutMs ?? Math.round(60_000 * TIMEOUT_SCALE) },
      ),
    );
  }

  /** Waits until the active editor shows no squiggles (e.g. after a quick fix). */
  async waitForNoSquiggles(severity?: Severity, opts: { timeoutMs?: number } = {}): Promise<void> {
    await this.guard(`no ${severity ?? ''} squiggles`, () =>
      poll(`no ${severity ?? ''} squiggles in the active editor`, async (note) => {
        const s = await this.squiggles();
        note({ squiggles: s });
        return severity ? s[severity] === 0 : s.error + s.warning + s.info + s.hint === 0;
      }, opts),
    );
  }

  /** Opens (focuses) the Problems panel. */
  async showProblems(): Promise<void> {
    return this.guard('Problems panel', async () => {
      await this.dismiss();
      if (!(await this.page.locator('.markers-panel').isVisible())) {
        await this.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
      }
      await poll('the Problems panel', () => this.page.locator('.markers-panel').isVisible());
    });
  }

  /** Entries of the Problems panel (opens it). */
  async problems(): Promise<Problem[]> {
    await this.showProblems();
    return this.readProblems();
  }

  private async readProblems(): Promise<Problem[]> {
    return this.page.evaluate(`(() => {
      const out = [];
      let file = '';
      for (const row of document.querySelectorAll(${JSON.stringify(SEL.markersRow)})) {
        const fileLabel = row.querySelector('.resource-label-container .monaco-icon-label');
        if (fileLabel) { file = fileLabel.getAttribute('aria-label') || fileLabel.textContent.trim(); continue; }
        const icon = row.querySelector('.marker-icon');
        if (!icon) continue;
        const sev = ['error', 'warning', 'info', 'hint'].find((s) => icon.classList.contains(s)) || 'unknown';
        const text = (sel) => (row.querySelector(sel)?.textContent ?? '').trim();
        const pos = /Ln (\\d+), Col (\\d+)/.exec(text('.marker-line')) || [];
        out.push({ file, severity: sev, message: text('.marker-message'), source: text('.marker-source'),
          code: text('.marker-code'), line: Number(pos[1] || 0), column: Number(pos[2] || 0),
          ariaLabel: row.getAttribute('aria-label') || '' });
      }
      return out;
    })()`);
  }

  /** Waits until the Problems panel lists entries that satisfy `predicate`; returns all entries. */
  async waitForProblems(predicate: (p: Problem[]) => boolean, opts: { what?: string; timeoutMs?: number } = {}): Promise<Problem[]> {
    const what = opts.what ?? 'Problems panel entries';
    return this.guard(what, async () => {
      await this.showProblems();
      return poll(what, async (note) => {
        const p = await this.readProblems();
        note({ problems: p.map((x) => `${x.severity} ${x.line}:${x.column} ${x.message} (${x.source} ${x.code})`) });
        return predicate(p) ? p : undefined;
      }, { timeoutMs: opts.timeoutMs ?? Math.round(60_000 * TIMEOUT_SCALE) });
    });
  }

  /** Focuses the active editor. */
  async focusEditor(): Promise<void> {
    await this.dismiss();
    const ed = this.page.locator(SEL.activeEditor).first();
    const focused = await ed.evaluate((el: any) => el.contains((globalThis as any).document.activeElement)).catch(() => false);
    if (!focused) await this.page.keyboard.press('Control+1'); // View: Focus First Editor Group
    await poll('the editor to have focus', () =>
      ed.evaluate((el: any) => el.contains((globalThis as any).document.activeElement)),
    { timeoutMs: 5000 });
  }

  /** The cursor position of the active editor, from the status bar ("Ln 3, Col 7"). */
  async cursorPosition(): Promise<{ line: number; column: number } | undefined> {
    const text = await this.page.evaluate(`(() => document.querySelector('#status\\\\.editor\\\\.selection')?.textContent ?? '')()`) as string;
    const m = /Ln (\d+), Col (\d+)/.exec(text);
    return m ? { line: Number(m[1]), column: Number(m[2]) } : undefined;
  }

  /** Moves the cursor to a 1-based line and column (Go to Line/Column). */
  async goTo(line: number, column = 1): Promise<void> {
    return this.guard(`go to ${line}:${column}`, async () => {
      await this.focusEditor();
      await poll(`cursor at ${line}:${column}`, async () => {
        const pos = await this.cursorPosition();
        if (pos && pos.line === line && pos.column === column) return true;
        await this.openQuickInput('Control+G', `:${line}:${column}`);
        await this.page.keyboard.press('Enter');
        await poll('go-to-line to close', async () => !(await this.quickInputVisible()), { timeoutMs: 3000 });
        const after = await this.cursorPosition();
        return after?.line === line && after.column === column;
      }, { intervalMs: 200 });
    });
  }

  /** Text of the visible hover, if any. */
  async hoverText(): Promise<string> {
    return this.page.evaluate(`(() => Array.from(document.querySelectorAll(${JSON.stringify(SEL.hover)})).map((e) => e.innerText.trim()).join('\\n'))()`);
  }

  /**
   * Shows the hover at a 1-based line/column with the keyboard (Ctrl+K Ctrl+I = "Show or Focus Hover")
   * and returns its text once it contains `expect` (any non-empty text when omitted).
   */
  async hoverAt(line: number, column: number, opts: { expect?: string | RegExp; timeoutMs?: number } = {}): Promise<string> {
    return this.guard(`hover at ${line}:${column}`, async () => {
      await this.parkMouse(); // a mouse resting over the editor hides a keyboard-triggered hover
      await this.goTo(line, column);
      const ok = (t: string) => t && (opts.expect === undefined || (typeof opts.expect === 'string' ? t.includes(opts.expect) : opts.expect.test(t)));
      return poll(`hover at ${line}:${column}${opts.expect ? ` containing ${opts.expect}` : ''}`, async (note) => {
        let t = await this.hoverText();
        if (!ok(t)) {
          await this.page.keyboard.press('Control+K');
          await this.page.keyboard.press('Control+I');
          t = await poll('hover content', async () => this.hoverText(), { timeoutMs: 2000 }).catch(() => '');
        }
        note({ hover: t, cursor: await this.cursorPosition() });
        return ok(t) ? t : undefined;
      }, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, intervalMs: 300 });
    });
  }

  /** Like hoverAt, but moves the mouse over the character (what a user does). */
  async mouseHoverAt(line: number, column: number, opts: { expect?: string | RegExp; timeoutMs?: number } = {}): Promise<string> {
    return this.guard(`mouse hover at ${line}:${column}`, async () => {
      await this.goTo(line, column);
      const cursor = this.page.locator(`${SEL.activeEditor} .cursors-layer .cursor`).first();
      const box = await poll('the cursor position on screen', () => cursor.boundingBox());
      const ok = (t: string) => t && (opts.expect === undefined || (typeof opts.expect === 'string' ? t.includes(opts.expect) : opts.expect.test(t)));
      let dx = 4;
      return poll(`mouse hover at ${line}:${column}`, async (note) => {
        const t = await this.hoverText();
        note({ hover: t });
        if (ok(t)) return t;
        await this.page.mouse.move(box.x + dx, box.y + box.height / 2);
        dx = dx === 4 ? 5 : 4; // a small move re-triggers the hover
        return undefined;
      }, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, intervalMs: 400 });
    });
  }

  /** Titles offered by Quick Fix (Ctrl+.) at the cursor, or at line/column when given. Leaves the menu open. */
  async codeActions(line?: number, column?: number, opts: { timeoutMs?: number } = {}): Promise<string[]> {
    return this.guard(`code actions${line ? ` at ${line}:${column ?? 1}` : ''}`, async () => {
      if (line !== undefined) await this.goTo(line, column ?? 1);
      else await this.focusEditor();
      return poll('the Quick Fix menu', async (note) => {
        if (!(await this.exists(SEL.actionRow))) {
          await this.page.keyboard.press('Control+.');
          await poll('Quick Fix menu rows', () => this.exists(SEL.actionRow), { timeoutMs: 2500 }).catch(() => false);
        }
        const titles = await this.actionTitles();
        note({ actions: titles, cursor: await this.cursorPosition() });
        return titles.length ? titles : undefined;
      }, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, intervalMs: 300 });
    });
  }

  private async focusedActionTitle(): Promise<string | undefined> {
    return this.page.evaluate(`(() => {
      const r = document.querySelector(${JSON.stringify(SEL.actionRow + '.focused')});
      return r ? (r.querySelector('.title')?.textContent ?? r.getAttribute('aria-label') ?? '').trim() : undefined;
    })()`);
  }

  private async actionTitles(): Promise<string[]> {
    return this.page.evaluate(`(() => Array.from(document.querySelectorAll(${JSON.stringify(SEL.actionRow)})).map((r) => (r.querySelector('.title')?.textContent ?? r.getAttribute('aria-label') ?? '').trim()))()`);
  }

  /** Opens Quick Fix (Ctrl+.) at the position (or cursor) and applies the action titled `title`. */
  async quickFix(title: string | RegExp, at?: { line: number; column: number }, opts: { timeoutMs?: number } = {}): Promise<void> {
    return this.guard(`quick fix ${title}`, async () => {
      const match = (t: string) => (typeof title === 'string' ? t === title : title.test(t));
      await poll(`Quick Fix "${title}"`, async (note) => {
        await this.dismiss();
        const titles = await this.codeActions(at?.line, at?.column, { timeoutMs: 5000 });
        note({ actions: titles });
        if (!titles.some(match)) return false; // diagnostics/code actions may not be there yet: reopen
        // Keyboard, not a click: the menu re-renders while code actions resolve (clicks then miss).
        await poll(`"${title}" focused in the Quick Fix menu`, async () => {
          const focused = await this.focusedActionTitle();
          if (focused !== undefined && match(focused)) return true;
          await this.page.keyboard.press('ArrowDown');
          return false;
        }, { timeoutMs: 5000, intervalMs: 50 });
        await this.page.keyboard.press('Enter');
        await poll('the Quick Fix menu to close', async () => !(await this.exists(SEL.actionRow)), { timeoutMs: 3000 });
        return true;
      }, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, intervalMs: 300 });
    });
  }

  /**
   * The full text of the active editor's document (also the parts scrolled out of view): select all,
   * copy, read the clipboard. Leaves the cursor at the start of the document.
   */
  async editorText(): Promise<string> {
    return this.guard('editor text', async () => {
      await this.focusEditor();
      await this.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(this.page.url()).origin });
      const marker = `zdm-e2e-${Date.now()}-${Math.random()}`;
      await this.page.evaluate(`navigator.clipboard.writeText(${JSON.stringify(marker)})`);
      await this.page.keyboard.press('Control+A');
      await this.page.keyboard.press('Control+C');
      const text = await poll('the editor text on the clipboard', async () => {
        const t = (await this.page.evaluate('navigator.clipboard.readText()')) as string;
        return t !== marker ? { t } : undefined;
      }, { timeoutMs: 5000 });
      await this.page.keyboard.press('Control+Home');
      return text.t;
    });
  }

  /** Waits until the active editor's text satisfies `predicate` (e.g. after a quick fix). */
  async waitForEditorText(predicate: (text: string) => boolean, opts: { what?: string; timeoutMs?: number } = {}): Promise<string> {
    const what = opts.what ?? 'editor text';
    return this.guard(what, () =>
      poll(what, async (note) => {
        const t = await this.editorText();
        note({ text: t });
        return predicate(t) ? { t } : undefined;
      }, { timeoutMs: opts.timeoutMs, intervalMs: 300 }).then((r) => r.t),
    );
  }

  /** Types into the active editor at the cursor. */
  async type(text: string): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.type(text);
  }

  /** Saves the active editor (Ctrl+S) and waits for the dirty marker to go. */
  async save(): Promise<void> {
    return this.guard('save', async () => {
      await this.focusEditor();
      await this.page.keyboard.press('Control+S');
      await poll('the editor to be saved', async () => !(await this.exists(`${SEL.activeTab}.dirty`)));
    });
  }

  // ----------------------------------------------------------------- quick input driven by a command

  /**
   * What the open quick input asks: title, placeholder, the message under the box (an input box's
   * `prompt`, or its validation message), the typed value and the rows. `visible` false when closed.
   */
  async quickInputState(): Promise<QuickInputState> {
    return this.page.evaluate(`(() => {
      const w = document.querySelector('.quick-input-widget');
      const visible = !!w && w.style.display !== 'none' && w.offsetParent !== null;
      const input = w && w.querySelector('.quick-input-box input');
      const text = (sel) => ((w && w.querySelector(sel)?.textContent) ?? '').trim();
      const rows = w ? Array.from(w.querySelectorAll('.quick-input-list .monaco-list-row')).map((r) => ({
        label: (r.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
        ariaLabel: r.getAttribute('aria-label') ?? '',
        focused: r.classList.contains('focused'),
      })) : [];
      return { visible, title: text('.quick-input-title'), placeholder: input?.getAttribute('placeholder') ?? '',
        message: text('.quick-input-message'), value: input?.value ?? '', rows };
    })()`);
  }

  /**
   * Answers the prompts a command shows (quick picks and input boxes), one after the other, until
   * `done()` holds. Each prompt is matched (title, placeholder and message together) against `answers`
   * in order: `pick` selects the row with that label (typing it first to filter), `type` replaces the
   * value and accepts it, `accept` takes the value or row as offered. A prompt no answer matches fails
   * at once (the command asks something the test does not expect). Returns what was asked, in order.
   */
  async answerPrompts(
    answers: PromptAnswer[],
    done: () => Promise<boolean> | boolean,
    opts: { what?: string; timeoutMs?: number } = {},
  ): Promise<string[]> {
    const what = opts.what ?? 'the prompts';
    return this.guard(what, async () => {
      const asked: string[] = [];
      let last = '';
      await poll(what, async (note) => {
        if (await done()) return true;
        const q = await this.quickInputState();
        const key = `${q.title} | ${q.placeholder} | ${q.message}`;
        note({ asked, open: q.visible ? key : '(no prompt open)', rows: q.rows.map((r) => r.label).slice(0, 10) });
        if (!q.visible || key === last) return false; // wait for the next prompt (or for done)
        const answer = answers.find((a) => a.when.test(key));
        if (!answer) throw new UnexpectedPromptError(key, q.rows.map((r) => r.label));
        asked.push(key);
        debug(`prompt "${key}" -> ${JSON.stringify(answer)}`);
        const box = this.page.locator(SEL.quickInputBox);
        if ('pick' in answer) {
          await box.fill(answer.pick, { timeout: 3000 });
          const rows = await poll(`a row "${answer.pick}" for "${key}"`, async () => {
            const r = (await this.quickInputState()).rows;
            return r.some((x) => x.label === answer.pick) ? r : undefined;
          }, { timeoutMs: 5000 });
          await this.acceptQuickInputRow(rows.findIndex((x) => x.label === answer.pick));
        } else {
          if ('type' in answer) await box.fill(answer.type, { timeout: 3000 });
          await this.page.keyboard.press('Enter');
        }
        last = key;
        // The same widget shows the next prompt: wait until it changed or closed before reading it again.
        await poll(`the prompt "${key}" to be answered`, async () => {
          const n = await this.quickInputState();
          return !n.visible || `${n.title} | ${n.placeholder} | ${n.message}` !== key;
        }, { timeoutMs: 10_000 }).catch(() => {
          last = ''; // still the same prompt (e.g. a validation message): look again
        });
        return false;
      }, { timeoutMs: opts.timeoutMs ?? Math.round(60_000 * TIMEOUT_SCALE), intervalMs: 200, fatal: (e) => e instanceof UnexpectedPromptError });
      return asked;
    });
  }

  // ------------------------------------------------------------------------------- modal dialogs

  /** The open modal dialog, if any: message, detail and button labels. `visible` false when none. */
  async dialogState(): Promise<DialogState> {
    return this.page.evaluate(`(() => {
      const box = document.querySelector(${JSON.stringify(SEL.dialog)});
      const visible = !!box && box.offsetParent !== null;
      const text = (sel) => ((box && box.querySelector(sel)?.textContent) ?? '').trim();
      const buttons = box ? Array.from(box.querySelectorAll('.dialog-buttons .monaco-button')).map((b) => (b.textContent ?? '').trim()) : [];
      return { visible, message: text('.dialog-message-text'), detail: text('.dialog-message-detail'), buttons };
    })()`);
  }

  /**
   * Waits for a modal dialog whose message matches `message`, presses its button `button` and waits for
   * the dialog to close. Returns what the dialog showed. A dialog with another message, or without that
   * button, fails (the command asks something the test does not expect).
   */
  async answerDialog(message: RegExp, button: string, opts: { timeoutMs?: number } = {}): Promise<DialogState> {
    return this.guard(`the dialog ${message} -> "${button}"`, async () => {
      const shown = await poll(`a dialog ${message}`, async (note) => {
        const d = await this.dialogState();
        note({ dialog: d.visible ? d : '(no dialog open)' });
        if (!d.visible || !d.message) return undefined;
        if (!message.test(d.message)) throw new UnexpectedPromptError(d.message, d.buttons);
        return d;
      }, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, intervalMs: 200, fatal: (e) => e instanceof UnexpectedPromptError });
      const index = shown.buttons.indexOf(button);
      if (index < 0) throw new UnexpectedPromptError(`${shown.message} (no button "${button}")`, shown.buttons);
      debug(`dialog "${shown.message}" -> ${button}`);
      // Pressed again while the same dialog stays open (a click may be lost while it renders); never a
      // button of the next dialog (a command may ask twice).
      await poll(`the dialog to close after "${button}"`, async () => {
        const d = await this.dialogState();
        if (!d.visible || d.message !== shown.message) return true;
        await this.page.locator(SEL.dialogButton).nth(index).click({ timeout: 3000 });
        await this.parkMouse(); // a mouse resting over the workbench hides keyboard hovers later
        return poll('the dialog to close', async () => {
          const n = await this.dialogState();
          return !n.visible || n.message !== shown.message;
        }, { timeoutMs: 2000 }).catch(() => false);
      }, { timeoutMs: 15_000, intervalMs: 100 });
      return shown;
    });
  }

  // ------------------------------------------------------------------------ explorer and tree views

  /** Names of the rows the Explorer's file tree shows (expanded folders' children included). */
  async explorerItems(): Promise<string[]> {
    return this.page.evaluate(`(() => Array.from(document.querySelectorAll(${JSON.stringify(SEL.explorerRow)})).map((r) =>
      (r.querySelector('.label-name')?.textContent ?? r.getAttribute('aria-label') ?? '').trim()))()`);
  }

  /** Waits until the Explorer's file tree shows rows satisfying `predicate`; returns the row names. */
  async waitForExplorerItems(predicate: (names: string[]) => boolean, opts: { what?: string; timeoutMs?: number } = {}): Promise<string[]> {
    const what = opts.what ?? 'Explorer rows';
    return this.guard(what, () =>
      poll(what, async (note) => {
        const names = await this.explorerItems();
        note({ explorer: names });
        return predicate(names) ? names : undefined;
      }, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS }),
    );
  }

  /**
   * Rows of a view pane (e.g. an extension's tree view in the Explorer), found by its header title:
   * label, description and the accessible label. Expands the pane when it is collapsed. `undefined`
   * when no pane has that title.
   */
  async viewItems(title: string): Promise<ViewItem[] | undefined> {
    return this.page.evaluate(`(() => {
      const title = ${JSON.stringify(title)};
      const pane = Array.from(document.querySelectorAll('.monaco-workbench .pane')).find((p) => {
        const h = p.querySelector('.pane-header');
        const t = h && (h.querySelector('h3.title')?.textContent ?? h.getAttribute('aria-label') ?? '');
        return t && t.trim().toLowerCase() === title.toLowerCase();
      });
      if (!pane) return undefined;
      const header = pane.querySelector('.pane-header');
      if (header && header.getAttribute('aria-expanded') === 'false') header.click();
      return Array.from(pane.querySelectorAll('.pane-body .monaco-list-row')).map((r) => ({
        label: (r.querySelector('.label-name')?.textContent ?? r.querySelector('.monaco-highlighted-label')?.textContent ?? '').trim(),
        description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
        ariaLabel: r.getAttribute('aria-label') ?? '',
      }));
    })()`);
  }

  /**
   * Opens the "More Actions…" menu of the view pane titled `title` (its title bar's overflow: the
   * `view/title` entries outside the navigation group), clicks `entry` and returns every entry the menu
   * listed. The pane's header actions show only while it is hovered, so the mouse goes there first (and
   * is parked before the entry is chosen with the arrow keys and Enter).
   */
  async runViewTitleMenu(title: string, entry: string, opts: { timeoutMs?: number } = {}): Promise<string[]> {
    return this.guard(`"${entry}" in the ${title} view's title menu`, async () => {
      const header = this.page
        .locator('.monaco-workbench .pane > .pane-header')
        .filter({ has: this.page.locator('h3.title', { hasText: new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'i') }) });
      const menuItem = '.monaco-menu .action-item:not(.disabled) .action-label';
      const labels = await poll(`the ${title} view's title menu`, async (note) => {
        if (!(await this.exists(menuItem))) {
          await header.first().hover({ timeout: 3000 });
          await header.first().locator('.actions .codicon-toolbar-more').click({ timeout: 3000 });
        }
        const found = await poll('menu entries', async () => {
          const l = (await this.page.locator(menuItem).allTextContents()).map((t) => t.trim()).filter(Boolean);
          return l.length ? l : undefined;
        }, { timeoutMs: 3000 });
        note({ menu: found });
        return found;
      }, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, intervalMs: 250 });
      const index = labels.indexOf(entry);
      if (index < 0) {
        await this.page.keyboard.press('Escape');
        throw new Error(`no "${entry}" in the ${title} view's title menu (entries: ${labels.join(', ')})`);
      }
      // The keyboard, not a click: a click just after the menu opens may be ignored (the menu stays open).
      await this.parkMouse();
      await poll(`"${entry}" focused in the menu`, async () => {
        const focused = (await this.page.locator('.monaco-menu .action-item.focused .action-label').allTextContents()).map((t) => t.trim());
        if (focused[0] === entry) return true;
        await this.page.keyboard.press('ArrowDown');
        return false;
      }, { timeoutMs: 5000, intervalMs: 150 });
      await this.page.keyboard.press('Enter');
      await poll('the menu to close', async () => !(await this.exists(menuItem)), { timeoutMs: 5000 });
      return labels;
    });
  }

  /** Waits until the view titled `title` shows rows satisfying `predicate`; returns them. */
  async waitForViewItems(title: string, predicate: (items: ViewItem[]) => boolean, opts: { what?: string; timeoutMs?: number } = {}): Promise<ViewItem[]> {
    const what = opts.what ?? `the ${title} view`;
    return this.guard(what, () =>
      poll(what, async (note) => {
        const items = await this.viewItems(title);
        note({ [title]: items?.map((i) => `${i.label} — ${i.description}`) ?? '(no such view)' });
        return items && predicate(items) ? items : undefined;
      }, { timeoutMs: opts.timeoutMs ?? Math.round(60_000 * TIMEOUT_SCALE), intervalMs: 250 }),
    );
  }

  /** Texts of the status bar entries. */
  async statusBarItems(): Promise<string[]> {
    return this.page.evaluate(`(() => Array.from(document.querySelectorAll('.monaco-workbench .part.statusbar .statusbar-item')).map((e) => (e.getAttribute('aria-label') || e.textContent || '').trim()).filter(Boolean))()`);
  }

  /** Screenshot of the whole page to test-results/e2e/<step>.png; returns the path. */
  async screenshot(step: string): Promise<string> {
    const file = path.join(RESULTS_DIR, `${sanitize(step)}.png`);
    await fsp.mkdir(RESULTS_DIR, { recursive: true });
    await this.page.screenshot({ path: file, timeout: 15_000 });
    return file;
  }
}

// ------------------------------------------------------------------------------------------ session

export interface SessionOptions {
  /** Names screenshots, logs and the temp dir. */
  name: string;
  /** The workspace folder's contents. */
  fixture: Fixture;
  /** .vsix files or unpacked extension folders to install. */
  extensions?: string[];
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  viewport?: { width: number; height: number };
  /** Extra query parameters of the workbench URL, once the server runs (e.g. CodeServer.testPayload). */
  query?: (cs: CodeServer) => Record<string, string>;
  /** Skip waiting for the Explorer to list the workspace (a test run may close the window early). */
  noWaitForReady?: boolean;
}

export interface SessionMetrics {
  codeServerStartMs?: number;
  workbenchReadyMs?: number;
  [key: string]: number | undefined;
}

const captured = new WeakSet<object>();

/** code-server + Chromium + an open workbench on a fresh workspace, all in one temp dir. */
export class E2ESession {
  readonly metrics: SessionMetrics = {};
  readonly consoleLines: string[] = [];
  readonly wb: Workbench;
  /** Time the workbench URL was opened (Date.now()). */
  navigatedAt = 0;
  private failureCount = 0;
  private disposed = false;

  private constructor(
    readonly name: string,
    readonly root: string,
    readonly workspace: string,
    readonly codeServer: CodeServer,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    this.wb = new Workbench(page, (what, err) => this.captureFailure(what, err), workspace);
  }

  static async start(opts: SessionOptions): Promise<E2ESession> {
    const root = await makeTempRoot(opts.name);
    let cs: CodeServer | undefined;
    let context: BrowserContext | undefined;
    try {
      const workspace = await createWorkspace(opts.fixture, root);
      cs = await CodeServer.start({
        workspace,
        stateDir: path.join(root, 's'),
        extensions: opts.extensions,
        settings: opts.settings,
        env: opts.env,
      });
      const t = Date.now();
      context = await launchBrowser({
        profileDir: path.join(root, 'chromium'),
        tmpDir: cs.dirs.tmp,
        xdgDir: path.join(root, 'chromium-xdg'),
        viewport: opts.viewport,
      });
      log(`chromium launched in ${Date.now() - t} ms`);
      const page: Page = context.pages()[0] ?? (await context.newPage());
      const session = new E2ESession(opts.name, root, workspace, cs, context, page);
      session.metrics.codeServerStartMs = cs.startMs;
      page.on('console', (m: any) => {
        if (m.type() === 'error' || m.type() === 'warning') session.consoleLines.push(`[${m.type()}] ${m.text()}`.slice(0, 500));
        if (session.consoleLines.length > 200) session.consoleLines.shift();
      });
      page.on('pageerror', (e: any) => session.consoleLines.push(`[pageerror] ${e?.message ?? e}`));
      const query = opts.query?.(cs);
      if (query && 'payload' in query) await allowDevelopmentPayload(page);
      session.navigatedAt = Date.now();
      try {
        await page.goto(cs.workbenchUrl(workspace, query), { waitUntil: 'domcontentloaded', timeout: Math.round(60_000 * TIMEOUT_SCALE) });
        if (!opts.noWaitForReady) await session.wb.waitForReady();
      } catch (err) {
        await session.captureFailure('startup', err);
        await session.dispose();
        throw err;
      }
      session.metrics.workbenchReadyMs = Date.now() - session.navigatedAt;
      log(`workbench ready in ${session.metrics.workbenchReadyMs} ms`);
      return session;
    } catch (err) {
      // session.dispose() already ran when the session existed; otherwise clean up here.
      if (context) await context.close().catch(() => {});
      if (cs) {
        if (!fs.existsSync(path.join(RESULTS_DIR, 'logs', sanitize(opts.name)))) {
          console.error(`--- code-server log (${cs.dirs.log}) ---\n${cs.logTail(40)}`);
        }
        await cs.stop();
      }
      await removeDir(root);
      throw err;
    }
  }

  /** ms since the workbench URL was opened. */
  sinceNavigation(): number {
    return Date.now() - this.navigatedAt;
  }

  /**
   * Runs one named step: on success saves test-results/e2e/<name>.png; on failure saves the
   * diagnostics (screenshot, HTML, log tails) and rethrows.
   */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t = Date.now();
    log(`step ${name} …`);
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      await this.captureFailure(`step ${name}`, err);
      throw err;
    }
    await this.wb.screenshot(`${this.name}-${name}`).catch((e) => log(`screenshot failed: ${(e as Error).message}`));
    log(`step ${name} ok (${Date.now() - t} ms)`);
    return result;
  }

  /** Memory of code-server's process tree and of Chromium's, in bytes. */
  rss(): { codeServer: number; chromium: number; total: number } {
    const csPids = new Set(this.codeServer.pids());
    const others = processTree(process.pid).filter((p) => p !== process.pid && !csPids.has(p));
    const codeServer = rssBytes([...csPids]);
    const chromium = rssBytes(others);
    return { codeServer, chromium, total: codeServer + chromium };
  }

  /** Saves what helps to understand a failure; called by failed waits and failed steps (once per error). */
  async captureFailure(what: string, err: unknown): Promise<void> {
    if (err && typeof err === 'object') {
      if (captured.has(err)) return;
      captured.add(err);
    }
    const label = `${this.name}-FAILED-${++this.failureCount}-${sanitize(what)}`;
    await fsp.mkdir(RESULTS_DIR, { recursive: true });
    const parts: string[] = [`=== e2e failure: ${what}: ${(err as Error)?.message ?? err}`];
    try {
      parts.push(`screenshot: ${await this.wb.screenshot(label)}`);
      const html = path.join(RESULTS_DIR, `${label}.html`);
      await fsp.writeFile(html, await this.page.content());
      parts.push(`page HTML: ${html}`);
    } catch (e) {
      parts.push(`(no screenshot: ${(e as Error).message.split('\n')[0]})`);
    }
    const logDir = path.join(RESULTS_DIR, 'logs', sanitize(this.name));
    await fsp.mkdir(logDir, { recursive: true });
    await fsp.copyFile(this.codeServer.dirs.log, path.join(logDir, 'code-server.log')).catch(() => {});
    await fsp.cp(path.join(this.codeServer.dirs.userData, 'logs'), path.join(logDir, 'vscode'), { recursive: true }).catch(() => {});
    await fsp.writeFile(path.join(logDir, 'browser-console.log'), this.consoleLines.join('\n')).catch(() => {});
    parts.push(`logs copied to: ${logDir}`);
    parts.push(`--- code-server log (tail) ---\n${this.codeServer.logTail(30)}`);
    for (const f of this.codeServer.vscodeLogFiles()) {
      const rel = path.relative(path.join(this.codeServer.dirs.userData, 'logs'), f);
      if (!/exthost|remoteagent/.test(rel) || /Telemetry|vscode\.(git|github)/.test(rel)) continue;
      parts.push(`--- ${rel} (tail) ---\n${tailFile(f, 20)}`);
    }
    parts.push(`--- browser console (errors/warnings, last 15) ---\n${this.consoleLines.slice(-15).join('\n')}`);
    console.error(parts.join('\n'));
  }

  /** Stops Chromium and code-server (process trees) and removes the temp dir. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const t = Date.now();
    const browserPids = processTree(process.pid).filter((p) => p !== process.pid && !new Set(this.codeServer.pids()).has(p));
    await withTimeout(this.context.close(), 10_000).catch((e) => log(`closing Chromium: ${(e as Error).message}`));
    for (const p of browserPids) if (isAlive(p)) await killTree(p, 2000);
    await this.codeServer.stop();
    await removeDir(this.root);
    log(`session ${this.name} stopped and cleaned up in ${Date.now() - t} ms`);
  }
}

/**
 * Makes a built web workbench honour the `payload`'s extensionDevelopmentPath / extensionTestsPath
 * (CodeServer.testPayload). VS Code 1.100 reads them from any payload; newer ones (1.139) only when the
 * workbench is not built or its configuration has `developmentOptions.enableSmokeTestDriver`, which the
 * server sets for `--enable-smoke-test-driver`, an option code-server's CLI rejects. So a script that
 * runs before the page's own adds that flag to the configuration (the `vscode-workbench-web-configuration`
 * meta element's JSON) as soon as the parser inserts it, before workbench.js (a module script, run after
 * parsing) reads it. Older workbenches ignore the flag. (Serving a rewritten page through page.route
 * instead makes Chromium treat it as public and block its WebSocket to 127.0.0.1: Local Network Access.)
 */
async function allowDevelopmentPayload(page: Page): Promise<void> {
  await page.addInitScript(`(() => {
    if (window.top !== window) return;
    const patch = () => {
      const meta = document.getElementById('vscode-workbench-web-configuration');
      const raw = meta && meta.getAttribute('data-settings');
      if (!raw || raw.startsWith('{{')) return false;
      try {
        const config = JSON.parse(raw);
        config.developmentOptions = Object.assign({}, config.developmentOptions, { enableSmokeTestDriver: true });
        meta.setAttribute('data-settings', JSON.stringify(config));
      } catch (err) {
        console.error('zdm-e2e: workbench configuration not patched: ' + err);
      }
      return true;
    };
    const observer = new MutationObserver(() => { if (patch()) observer.disconnect(); });
    observer.observe(document, { childList: true, subtree: true });
  })()`);
}

async function removeDir(dir: string): Promise<void> {
  liveRoots.delete(dir);
  if (KEEP) {
    log(`ZDM_E2E_KEEP=1: leaving ${dir}`);
    return;
  }
  await fsp.rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch((e) => log(`could not remove ${dir}: ${e.message}`));
}

// -------------------------------------------------------------------------------------- metrics

/** Merges figures into test-results/e2e/metrics.json (read and printed by run-e2e.mjs). */
export async function recordMetrics(suite: string, figures: Record<string, number | string | undefined>): Promise<void> {
  await fsp.mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, 'metrics.json');
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch {
    /* first */
  }
  all[suite] = { ...(all[suite] as object), ...figures };
  await fsp.writeFile(file, JSON.stringify(all, null, 2) + '\n');
}
