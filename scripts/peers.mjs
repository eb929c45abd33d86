// Installs peer tools from the npm registry into a git-ignored folder (.peers/), for side-by-side
// benchmarks and compatibility tests. They are never dependencies of zdm.
//   node scripts/peers.mjs squawk-cli@2.66.0 dbmate@2.36.0   -> prints the folder
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.peers');

export const PINNED = {
  'squawk-cli': '2.66.0',
  dbmate: '2.36.0',
  // A Node wrapper bundling the Liquibase 4.28 distribution (with the PostgreSQL JDBC driver); needs Java.
  liquibase: '4.28.1',
  '@flvmnt/pgfence': '0.1.5',
  '@postgrestools/postgrestools': 'latest',
};

/** Installs the packages (name or name@version) if missing; returns the path of .peers/node_modules/.bin. */
export function ensurePeers(specs) {
  mkdirSync(PEERS_DIR, { recursive: true });
  const pkgFile = join(PEERS_DIR, 'package.json');
  if (!existsSync(pkgFile)) writeFileSync(pkgFile, JSON.stringify({ name: 'zdm-peers', private: true, allowScripts: {} }, null, 2));
  const wanted = specs.map((s) => (s.lastIndexOf('@') > 0 ? s : `${s}@${PINNED[s] ?? 'latest'}`));
  const missing = wanted.filter((spec) => {
    const name = spec.slice(0, spec.lastIndexOf('@'));
    const version = spec.slice(spec.lastIndexOf('@') + 1);
    const installed = join(PEERS_DIR, 'node_modules', name, 'package.json');
    if (!existsSync(installed)) return true;
    return version !== 'latest' && JSON.parse(readFileSync(installed, 'utf8')).version !== version;
  });
  if (missing.length > 0) {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...missing], { cwd: PEERS_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return join(PEERS_DIR, 'node_modules', '.bin');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(ensurePeers(process.argv.slice(2)));
}
