// The CodeLenses of the proving commands, over a real LSP conversation with the built server.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CodeLensRequest } from 'vscode-languageserver-protocol/node';
import { LspClient } from '../helpers/lsp-client';

let client: LspClient;
let root: string;
before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-prove-lsp-'));
  client = await LspClient.start({ rootPath: root });
});
after(async () => {
  await client.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('proving CodeLenses', () => {
  it('Trace Locks above the up section, Verify Round Trip above the down, Verify Backfill above the first directive', async () => {
    const file = path.join(root, 'db', 'migrations', '20240101000000_fill_2_backfill.sql');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = '-- migrate:up transaction:false\nUPDATE users SET b = a WHERE b IS NULL;\n-- zdm:verify SELECT count(*) FROM users WHERE b IS NULL -- expect 0\n\n-- migrate:down\nSELECT 1;\n';
    fs.writeFileSync(file, text);
    const uri = pathToFileURL(file).toString();
    client.open(file, text);
    const lenses = (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) ?? [];
    assert.deepEqual(
      lenses.map((l) => [l.range.start.line, l.command?.title, l.command?.command, l.command?.arguments]),
      [
        [0, 'Trace Locks', 'zdm.traceLocks', [uri]],
        [4, 'Verify Up/Down Round Trip', 'zdm.verifyRoundTrip', [uri]],
        [2, 'Verify Backfill', 'zdm.verifyBackfill', [uri]],
      ],
    );
  });
});
