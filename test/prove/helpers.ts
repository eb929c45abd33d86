// Shared pieces of the proving tests: throwaway databases left on the server, waiting for a condition.

import type { TestPostgres } from '../helpers/postgres';
export { until } from '../helpers/wait';

/** Databases on the test server whose name says they are zdm throwaways. */
export async function throwawaysOn(pg: TestPostgres): Promise<string[]> {
  const rows = await pg.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'zdm\\_roundtrip\\_%' OR datname LIKE 'zdm\\_trace\\_%' ORDER BY 1");
  return rows.map((r) => r.datname);
}


/** The findings of a result, as `rule@line: message` lines (for readable assertion failures). */
export function describeFindings(findings: readonly { rule: string; line: number; message: string }[]): string {
  return findings.map((f) => `${f.rule}@${f.line}: ${f.message}`).join('\n');
}

/** Options for the proving commands on a test project and database. */
export function proveOptions(project: { root: string }, url: string): { cwd: string; url: string; env: NodeJS.ProcessEnv; embedded: false } {
  return { cwd: project.root, url, env: {}, embedded: false };
}
