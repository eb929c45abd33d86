// package.json's contributions must match what the code declares: settings (one table in
// server/src/lsp/settings.ts) and commands (client/src/commands.ts and sibling tables).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { configurationProperties } from '../../server/src/lsp/settings';
import { REPO_ROOT } from '../helpers/paths';

const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));

describe('extension manifest', () => {
  it('declares exactly the settings of server/src/lsp/settings.ts', () => {
    const declared = manifest.contributes.configuration.properties as Record<string, unknown>;
    const ours = Object.fromEntries(Object.entries(declared).filter(([k]) => Object.keys(configurationProperties()).includes(k)));
    assert.deepEqual(ours, configurationProperties(), 'run: node scripts/sync-manifest.mjs');
  });

  it('contributes every command the client registers, and registers every contributed command', () => {
    const contributed = new Set((manifest.contributes.commands as { command: string }[]).map((c) => c.command));
    const source = fs
      .readdirSync(path.join(REPO_ROOT, 'client', 'src'), { recursive: true })
      .filter((f) => String(f).endsWith('.ts'))
      .map((f) => fs.readFileSync(path.join(REPO_ROOT, 'client', 'src', String(f)), 'utf8'))
      .join('\n');
    const registered = new Set([...source.matchAll(/['"](zdm\.[A-Za-z.]+)['"]\s*:/g)].map((m) => m[1]).filter((id) => !id.startsWith('zdm.status')));
    for (const id of registered) assert.ok(contributed.has(id), `${id} is registered but not in contributes.commands`);
    for (const id of contributed) assert.ok(registered.has(id), `${id} is contributed but never registered`);
  });

  it('ships the files the manifest points at', () => {
    for (const g of manifest.contributes.grammars) assert.ok(fs.existsSync(path.join(REPO_ROOT, g.path)), g.path);
    for (const v of manifest.contributes.jsonValidation) assert.ok(fs.existsSync(path.join(REPO_ROOT, v.url)), v.url);
  });
});
