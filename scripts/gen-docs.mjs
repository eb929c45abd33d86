// Regenerates docs/rules/ from the rule declarations (after `npm run compile-tests`).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { initParser } = require(join(root, 'out/server/src/engine/sql/parser.js'));
const { renderAllRuleDocs } = require(join(root, 'out/test/helpers/docs.js'));
await initParser();
const dir = join(root, 'docs', 'rules');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.md')) rmSync(join(dir, f));
const docs = renderAllRuleDocs();
for (const [name, text] of docs) writeFileSync(join(dir, name), text);
console.log(`wrote ${docs.size} files to docs/rules/`);
