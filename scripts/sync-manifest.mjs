// Writes the settings table (server/src/lsp/settings.ts) into package.json's
// contributes.configuration, keeping other entries. Run after `npm run compile-tests`.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { configurationProperties } = require(join(root, 'out/server/src/lsp/settings.js'));
const file = join(root, 'package.json');
const pkg = JSON.parse(readFileSync(file, 'utf8'));
pkg.contributes.configuration.properties = { ...pkg.contributes.configuration.properties, ...configurationProperties() };
writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
console.log('package.json contributes.configuration updated');
