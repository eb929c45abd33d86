// The zdm command line: `zdm lint`, `zdm server --stdio`, and the runner commands.

import { registry } from '../engine/rules/registry';
import { runLint } from './lint-command';
import { commandIO, exitWith, VERSION } from './run';

// The language server and the runner are loaded on demand: `zdm lint` does not pay for the LSP
// libraries and the PostgreSQL client at startup (about 90 ms).
const server = () => require('../lsp/server') as typeof import('../lsp/server');
const runner = () => require('./runner-commands') as typeof import('./runner-commands');
const prove = () => require('./prove-commands') as typeof import('./prove-commands');
const scaffold = () => require('./scaffold-commands') as typeof import('./scaffold-commands');

export { VERSION };

const HELP = `zdm ${VERSION} — zero-downtime PostgreSQL migrations

Usage:
  zdm lint [options] [paths|globs...]   Lint migrations (zdm lint --help for options)
  zdm server --stdio                    Start the language server (for any LSP client)
  zdm rules                             List the rules with their default levels
  zdm up [--to VERSION]                 Apply pending migrations (dev database; zdm up --help)
  zdm rollback [--to VERSION]           Roll back the last migration (or down to VERSION); zdm down is the same
  zdm redo                              Roll back the last migration and apply it again
  zdm status [--format text|json]       Applied / pending / edited / missing migrations
  zdm baseline [--version VERSION]      Flyway: write Flyway's baseline row (as flyway baseline)
  zdm db start|stop|url|status          The embedded PostgreSQL (used when no URL is configured)
  zdm roundtrip [--seed FILE]           Check that each pending migration's down undoes its up (throwaway copy)
  zdm trace FILE [--format json]        Run FILE's up on a throwaway copy and show the locks each statement takes
  zdm verify [FILE...]                  Run the -- zdm:verify queries of backfill migrations on the dev database
  zdm new <description>                 Create the next migration in the project's format (zdm new --help)
  zdm trio <change> <target>            Create an expand / backfill / contract trio (zdm trio --help)
  zdm --version

Docs: README.md and docs/rules/ in the zdm repository.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'server') {
    server().startServer(); // the language server owns stdin and stdout
    return new Promise<number>(() => undefined); // runs until the client closes the connection
  }
  const io = commandIO(command, rest);
  switch (command) {
    case 'lint':
      return runLint(rest, io, VERSION);
    case 'up':
      return prove().runUpWithContractCheck(rest, io, (args) => runner().runRunnerCommand('up', args, io));
    case 'rollback':
    case 'redo':
    case 'status':
    case 'baseline':
      return runner().runRunnerCommand(command, rest, io);
    case 'down': // goose's, golang-migrate's and dbmate's name for it
      return runner().runRunnerCommand('rollback', rest, io);
    case 'db':
      return runner().runDbCommand(rest, io);
    case 'roundtrip':
      return prove().runRoundTrip(rest, io);
    case 'trace':
      return prove().runTrace(rest, io);
    case 'verify':
      return prove().runVerify(rest, io);
    case 'new':
      return scaffold().runNew(rest, io);
    case 'trio':
      return scaffold().runTrio(rest, io);
    case 'rules': {
      for (const r of registry) io.stdout(`${r.id.padEnd(48)} ${r.defaultLevel.padEnd(8)} ${r.summary}\n`);
      return 0;
    }
    case '--version':
    case '-v':
    case 'version':
      io.stdout(`${VERSION}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.stdout(HELP);
      return 0;
    default:
      io.stderr(`zdm: unknown command "${command}".\n\n${HELP}`);
      return 2;
  }
}

/** Runs the command line and sets the exit code (the entry, entry.ts, calls this for every command but `lint`). */
export function runCli(argv: string[]): void {
  exitWith(main(argv));
}

if (require.main === module) runCli(process.argv.slice(2));
