#!/usr/bin/env node
// The extension-host integration tests (test/e2e/host/suite.ts) in a desktop VS Code downloaded by
// @vscode/test-electron, for contributors whose machine can reach update.code.visualstudio.com:
//
//   npm run test:e2e:electron                 (builds, compiles the tests, then runs this)
//   xvfb-run -a npm run test:e2e:electron     (Linux without a display)
//   ZDM_VSCODE_VERSION=stable|insiders|1.x.y  (default 1.100.3, the VS Code that code-server 4.100.3 is)
//
// The repository is the extension under development (dist/ must be built). The same suite runs offline
// through code-server in `npm run test:e2e` (test/e2e/extension-host.test.ts), which is what CI runs:
// VS Code cannot be downloaded there. @vscode/test-electron downloads nothing at install time; VS Code
// is downloaded on the first run into .vscode-test/ (git-ignored).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const SUITE = path.join(ROOT, 'out', 'test', 'e2e', 'host', 'suite.js');
const FIXTURE_MODULE = path.join(ROOT, 'out', 'test', 'e2e', 'fixture.js');
const version = process.env.ZDM_VSCODE_VERSION ?? '1.100.3';

for (const [file, fix] of [
  [path.join(ROOT, 'dist', 'extension.js'), 'npm run build'],
  [SUITE, 'npm run compile-tests'],
]) {
  if (!fs.existsSync(file)) {
    console.error(`[e2e-electron] ${path.relative(ROOT, file)} is missing: run \`${fix}\` (npm run test:e2e:electron does)`);
    process.exit(2);
  }
}

const { runTests } = require('@vscode/test-electron');
const { FIXTURE } = require(FIXTURE_MODULE);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-electron-'));
const workspace = path.join(tmp, 'workspace');
for (const [rel, content] of Object.entries(FIXTURE)) {
  fs.mkdirSync(path.dirname(path.join(workspace, rel)), { recursive: true });
  fs.writeFileSync(path.join(workspace, rel), content);
}
const results = path.join(tmp, 'results.json');
const launchArgs = [
  workspace,
  '--user-data-dir', path.join(tmp, 'user-data'),
  '--extensions-dir', path.join(tmp, 'extensions'),
  '--disable-workspace-trust',
  '--skip-welcome',
  '--skip-release-notes',
  '--disable-telemetry',
];
if (typeof process.getuid === 'function' && process.getuid() === 0) launchArgs.push('--no-sandbox'); // Electron refuses root otherwise

let code = 0;
const t = Date.now();
try {
  console.log(`[e2e-electron] VS Code ${version}, workspace ${workspace}`);
  code = await runTests({
    version,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: SUITE,
    launchArgs,
    extensionTestsEnv: { ZDM_HOST_TEST_RESULTS: results },
  });
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|download/i.test(message)) {
    console.error(
      `[e2e-electron] VS Code ${version} could not be downloaded (${message.split('\n')[0]}).\n` +
        '[e2e-electron] This machine cannot reach update.code.visualstudio.com. The same extension-host tests run\n' +
        '[e2e-electron] offline through code-server: npm run test:e2e (test/e2e/extension-host.test.ts).',
    );
  } else {
    console.error(`[e2e-electron] the tests failed: ${message}`);
  }
  code = 1;
}
try {
  for (const r of JSON.parse(fs.readFileSync(results, 'utf8'))) console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.name} (${r.ms} ms)${r.ok ? '' : `\n${r.error}`}`);
} catch {
  /* no results: VS Code did not start or the suite did not run */
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`[e2e-electron] ${code === 0 ? 'passed' : 'failed'} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
process.exit(code);
