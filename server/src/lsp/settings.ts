// The extension's settings, declared once. package.json's contributes.configuration is checked
// against this table by test/lsp/settings.test.ts, and the server reads settings through it.

export interface SettingSpec {
  key: string;
  type: 'boolean' | 'number' | 'string' | ['number', 'null'] | ['string', 'null'];
  default: unknown;
  description: string;
  scope?: 'resource' | 'window' | 'machine';
}

export const SETTINGS: readonly SettingSpec[] = [
  { key: 'enable', type: 'boolean', default: true, description: 'Lint SQL migration files as you type.', scope: 'resource' },
  { key: 'pgVersion', type: ['number', 'null'], default: null, description: 'Target PostgreSQL major version. Overrides "pgVersion" in .zdm.json when set.', scope: 'resource' },
  { key: 'ignoreBaseline', type: 'boolean', default: false, description: 'Also lint migrations at or before the "baseline" version of .zdm.json (they are quiet by default).', scope: 'resource' },
  { key: 'lintAllSqlFiles', type: 'boolean', default: false, description: 'Lint every .sql file, not only those that look like migrations (in a migrations folder, named like one, or with migration markers).', scope: 'resource' },
];

export interface ClientSettings {
  enable: boolean;
  pgVersion: number | null;
  ignoreBaseline: boolean;
  lintAllSqlFiles: boolean;
}

export const DEFAULT_SETTINGS: ClientSettings = Object.fromEntries(SETTINGS.map((s) => [s.key, s.default])) as unknown as ClientSettings;

/** Reads settings leniently: a value of the wrong type falls back to the default. */
export function readSettings(raw: unknown): ClientSettings {
  const s = (raw ?? {}) as Record<string, unknown>;
  const pgVersion = s.pgVersion;
  return {
    enable: typeof s.enable === 'boolean' ? s.enable : DEFAULT_SETTINGS.enable,
    pgVersion: typeof pgVersion === 'number' && Number.isInteger(pgVersion) && pgVersion >= 9 && pgVersion <= 30 ? pgVersion : null,
    ignoreBaseline: typeof s.ignoreBaseline === 'boolean' ? s.ignoreBaseline : DEFAULT_SETTINGS.ignoreBaseline,
    lintAllSqlFiles: typeof s.lintAllSqlFiles === 'boolean' ? s.lintAllSqlFiles : DEFAULT_SETTINGS.lintAllSqlFiles,
  };
}

/** The `contributes.configuration.properties` block package.json must hold. */
export function configurationProperties(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const s of SETTINGS) out[`zdm.${s.key}`] = { type: s.type, default: s.default, description: s.description, ...(s.scope ? { scope: s.scope } : {}) };
  return out;
}
