/**
 * The extension-host integration tests (host/suite.ts: the `vscode` API, inside the extension host)
 * run offline through code-server: the packaged extension (zdm.vsix) is installed, then the workbench
 * is opened with a `payload` that makes that extension the one under development and host/suite.js its
 * `extensionTestsPath`, as @vscode/test-electron does for a desktop VS Code (`npm run
 * test:e2e:electron`, where VS Code can be downloaded). The suite writes its results to a file, read here.
 */
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURE } from './fixture';
import { E2ESession, REPO_ROOT, TIMEOUT_SCALE, log, makeTempRoot, poll, recordMetrics } from './harness';

const VSIX = process.env.ZDM_E2E_VSIX ?? path.join(REPO_ROOT, 'zdm.vsix');
const SUITE = path.join(__dirname, 'host', 'suite.js');

interface Result {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

describe('extension-host tests (vscode API) in code-server, on the packaged extension', { timeout: 600_000 }, () => {
  let session: E2ESession | undefined;
  let scratch = '';
  let resultsFile = '';
  const figures: Record<string, number> = {};

  before(async () => {
    assert.ok(fs.existsSync(VSIX), `${VSIX} not found: run \`npm run package\` first (npm run test:e2e does)`);
    assert.ok(fs.existsSync(SUITE), `${SUITE} not found: run \`npm run compile-tests\``);
    scratch = await makeTempRoot('host-results');
    resultsFile = path.join(scratch, 'results.json');
    const t = Date.now();
    session = await E2ESession.start({
      name: 'extension-host',
      fixture: FIXTURE,
      extensions: [VSIX],
      env: { ZDM_HOST_TEST_RESULTS: resultsFile },
      query: (cs) => {
        const installed = fs.readdirSync(cs.dirs.extensions).find((n) => n.startsWith('zdm.zdm-'));
        assert.ok(installed, `the .vsix was not installed in ${cs.dirs.extensions}`);
        return cs.testPayload(path.join(cs.dirs.extensions, installed), SUITE);
      },
      noWaitForReady: true, // the tests may be over before the Explorer lists the workspace
    });
    figures.sessionStartMs = Date.now() - t;
  });

  after(async () => {
    if (session) await session.dispose();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    await recordMetrics('extension-host', figures);
  });

  it('runs host/suite.ts in the extension host and every test passes', async () => {
    const s = session!;
    const t = Date.now();
    const results = await s.step('results', () =>
      poll('the extension-host tests to finish (their results file)', () => (fs.existsSync(resultsFile) ? (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as Result[]) : undefined), {
        timeoutMs: Math.round(300_000 * TIMEOUT_SCALE),
        intervalMs: 250,
      }),
    );
    figures.testsMs = Date.now() - t;
    for (const r of results) log(`${r.ok ? 'PASS' : 'FAIL'} ${r.name} (${r.ms} ms)${r.ok ? '' : `\n${r.error}`}`);
    figures.tests = results.length;
    figures.failed = results.filter((r) => !r.ok).length;
    assert.ok(results.length >= 5, `only ${results.length} results`);
    assert.deepEqual(results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error?.split('\n')[0]}`), []);
  });
});
