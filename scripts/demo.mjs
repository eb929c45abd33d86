// The README's main job on the project's own examples: lint them, migrate them up against the
// embedded PostgreSQL (it starts by itself: no database to install), show their status, roll the last
// one back, and stop the server. Findings from the lint are expected: the examples are there to show them.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const examples = join(root, 'examples');
const cli = join(root, 'dist', 'cli.js');

function step(title, args, { expectFindings = false } = {}) {
  console.log(`\n\x1b[1m$ zdm ${args.join(' ')}\x1b[0m   # ${title}\n`);
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: examples, stdio: 'inherit' });
  const ok = result.status === 0 || (expectFindings && result.status === 1);
  if (!ok) {
    console.error(`\nzdm ${args.join(' ')} failed (exit ${result.status}).`);
    spawnSync(process.execPath, [cli, 'db', 'stop'], { cwd: examples, stdio: 'inherit' });
    process.exit(result.status ?? 1);
  }
}

step('lint the example migrations (the findings are the point)', ['lint', '.'], { expectFindings: true });
step('apply them to the embedded PostgreSQL', ['up']);
step('what is applied', ['status']);
step('roll the last one back (its down drops the index CONCURRENTLY; --yes confirms a down that drops data)', ['rollback', '--yes']);
step('what is applied now', ['status']);
step('stop the embedded PostgreSQL (its data stays in examples/.zdm/)', ['db', 'stop']);
