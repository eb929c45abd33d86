// The real sqitch (and the psql it runs scripts with), for the tests that check zdm against it. Found
// on PATH; when missing and the process runs as root (a fresh CI machine), installed from Debian's apt
// (`sqitch`, its PostgreSQL driver `libdbd-pg-perl`, and `postgresql-client` for psql). Otherwise the
// test fails saying what to install: sqitch is the reference these tests compare with, never mocked.
// Commands run with their own configuration files (SQITCH_CONFIG, SQITCH_USER_CONFIG,
// SQITCH_SYSTEM_CONFIG), so the machine's ~/.sqitch plays no part, and with the password in the
// environment (SQITCH_PASSWORD, PGPASSWORD), never on a command line.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { aptInstall } from './apt';

export interface Sqitch {
  /** Runs sqitch in `cwd` against `target` (a db:pg:// URI without password): the output and exit code. */
  run(cwd: string, target: string, password: string, ...args: string[]): { out: string; code: number | null };
  /** The environment zdm gets in these tests: the same sqitch user and configuration files. */
  env(cwd: string): NodeJS.ProcessEnv;
}

const APT_PACKAGES = ['sqitch', 'libdbd-pg-perl', 'postgresql-client'];

function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(path.delimiter)) {
    const full = path.join(dir, program);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      return full;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** sqitch can load its PostgreSQL driver (DBD::Pg), without which it cannot reach a pg target. */
function hasDriver(): boolean {
  return spawnSync('perl', ['-MDBD::Pg', '-e', '1'], { stdio: 'ignore' }).status === 0;
}

let found: Sqitch | undefined;

/** The real sqitch and psql, installed with apt-get when missing and running as root. */
export function ensureSqitch(): Sqitch {
  if (found) return found;
  if (!onPath('sqitch') || !onPath('psql') || !hasDriver()) {
    const failed = aptInstall(APT_PACKAGES);
    if (failed !== undefined || !onPath('sqitch') || !onPath('psql') || !hasDriver()) {
      throw new Error(`These tests need the real sqitch with its PostgreSQL driver and psql (${failed ?? 'still missing after apt-get install'}). Install them: apt-get install -y --no-install-recommends ${APT_PACKAGES.join(' ')}`);
    }
  }
  const sqitch = onPath('sqitch')!;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-sqitch-home-'));
  const env = (cwd: string): NodeJS.ProcessEnv => ({
    SQITCH_CONFIG: path.join(cwd, 'sqitch.conf'),
    SQITCH_USER_CONFIG: path.join(home, 'user.conf'),
    SQITCH_SYSTEM_CONFIG: path.join(home, 'system.conf'),
    SQITCH_FULLNAME: 'Test Deployer',
    SQITCH_EMAIL: 'deployer@example.org',
  });
  found = {
    run(cwd, target, password, ...args) {
      const result = spawnSync(sqitch, [args[0], '--target', target, ...args.slice(1)], {
        cwd,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: home, LANG: 'C', ...env(cwd), SQITCH_PASSWORD: password, PGPASSWORD: password },
      });
      return { out: result.stdout + result.stderr, code: result.status };
    },
    env,
  };
  return found;
}
