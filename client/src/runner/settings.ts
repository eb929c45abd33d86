// The runner's editor settings, declared once (package.json's contributes.configuration holds the same,
// checked by test/runner/client-settings.test.ts), and the URL/password split: the URL without its
// password goes to settings, the password to VS Code's SecretStorage. No VS Code API here.

export interface RunnerSetting {
  key: string;
  type: 'boolean' | 'string';
  default: unknown;
  description: string;
  scope: 'resource' | 'window' | 'machine-overridable';
}

export const RUNNER_SETTINGS: readonly RunnerSetting[] = [
  {
    key: 'database.url',
    type: 'string',
    default: '',
    description:
      'Dev database for "zdm: Migrate Up" and the other runner commands, without its password (set it with "zdm: Set Database URL": the password goes to the secret storage). Empty: DATABASE_URL, then "database.url" in .zdm.json, then the embedded PostgreSQL.',
    scope: 'resource',
  },
  { key: 'runner.codeLens', type: 'boolean', default: true, description: 'Show "Migrate up to here" and "Roll back to here" above migration sections.', scope: 'resource' },
];

/** The `contributes.configuration.properties` entries package.json must hold for the runner. */
export function runnerConfigurationProperties(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const s of RUNNER_SETTINGS) out[`zdm.${s.key}`] = { type: s.type, default: s.default, description: s.description, scope: s.scope };
  return out;
}

/** Splits a URL into the URL without its password and the password (decoded). */
export function splitPassword(url: string): { url: string; password?: string } {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return { url };
    const password = decodeURIComponent(parsed.password);
    parsed.password = '';
    return { url: parsed.toString(), password };
  } catch {
    // libpq's forms that WHATWG URLs reject (`postgres://user:pw@/db?host=/var/run/postgresql`): by hand.
    const m = /^(postgres(?:ql)?:\/\/[^:@/?]*):([^@/?]*)@/i.exec(url);
    if (!m) return { url };
    let password = m[2];
    try {
      password = decodeURIComponent(m[2]);
    } catch {
      // kept as written
    }
    return { url: `${m[1]}@${url.slice(m[0].length)}`, ...(password ? { password } : {}) };
  }
}

/** Puts a password into a URL that has a user. */
export function withPassword(url: string, password: string | undefined): string {
  if (!password) return url;
  try {
    const parsed = new URL(url);
    if (!parsed.username) return url;
    parsed.password = encodeURIComponent(password);
    return parsed.toString();
  } catch {
    const m = /^(postgres(?:ql)?:\/\/[^:@/?]+)@/i.exec(url);
    return m ? `${m[1]}:${encodeURIComponent(password)}@${url.slice(m[0].length)}` : url;
  }
}

/** The SecretStorage key of a URL's password (one per URL without password). */
export function secretKey(urlWithoutPassword: string): string {
  return `zdm.database.password:${urlWithoutPassword}`;
}
