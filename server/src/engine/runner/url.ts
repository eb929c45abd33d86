// Database URLs: where the runner's URL comes from (--url, then DATABASE_URL, then .zdm.json), whether
// it points at this machine, and masking its password in every message. No database access here.

export type UrlSource = 'flag' | 'env' | 'config' | 'embedded';

export interface ResolvedUrl {
  url: string;
  source: UrlSource;
  /** How the URL was found, for messages ("--url", "DATABASE_URL", ".zdm.json database.url"). */
  origin: string;
}

export interface UrlInputs {
  /** `--url`, or the editor's URL (passed as ZDM_DATABASE_URL so the password never sits in argv). */
  flag?: string;
  env: NodeJS.ProcessEnv;
  /** `database.url` of .zdm.json. */
  config?: string;
}

export class UrlError extends Error {}

/**
 * The configured database URL, or undefined when none is configured (the caller then starts the
 * embedded server). Order: --url (or ZDM_DATABASE_URL), DATABASE_URL, .zdm.json database.url.
 */
export function resolveConfiguredUrl(inputs: UrlInputs): ResolvedUrl | undefined {
  // The config's URL is expanded only when it is the one used: an unset variable there must not stop a run given --url.
  const candidates: [() => string | undefined, UrlSource, string][] = [
    [() => inputs.flag, 'flag', '--url'],
    [() => inputs.env.ZDM_DATABASE_URL, 'flag', 'ZDM_DATABASE_URL'],
    [() => inputs.env.DATABASE_URL, 'env', 'DATABASE_URL'],
    [() => (inputs.config !== undefined && inputs.config.trim() !== '' ? expandEnv(inputs.config, inputs.env, '.zdm.json database.url') : undefined), 'config', '.zdm.json database.url'],
  ];
  for (const [read, source, origin] of candidates) {
    const value = read();
    if (value === undefined || value.trim() === '') continue;
    checkUrl(value.trim(), origin);
    return { url: value.trim(), source, origin };
  }
  return undefined;
}

/**
 * Replaces `${NAME}` and `$NAME` with environment variables (so .zdm.json can keep the password out).
 * With `origin`, a variable that is not set is an error naming it (an empty value would make a URL
 * that fails later with a less helpful message, or connect somewhere else).
 */
export function expandEnv(value: string, env: NodeJS.ProcessEnv, origin?: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    const found = env[name];
    if (found === undefined && origin !== undefined) throw new UrlError(`${origin} uses the environment variable ${name}, which is not set.`);
    return found ?? '';
  });
}

/** Throws a UrlError (with the password masked) when `url` is not a PostgreSQL URL. */
export function checkUrl(url: string, origin: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UrlError(`${origin} is not a valid URL: ${maskUrl(url)} (expected postgres://user:password@host:5432/database).`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UrlError(`${origin} must be a postgres:// URL, not ${parsed.protocol}// (${maskUrl(url)}).`);
  }
}

/** The URL with its password replaced by ****, also when the URL does not parse. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    for (const key of [...parsed.searchParams.keys()]) if (/^(password|sslpassword)$/i.test(key)) parsed.searchParams.set(key, '****');
    return parsed.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1****@').replace(/((?:^|[?&\s])(?:ssl)?password=)[^&\s]*/gi, '$1****');
  }
}

/** The password of a URL, if it has one (decoded). */
export function passwordOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const own = parsed.password ? decodeURIComponent(parsed.password) : undefined;
    return own ?? parsed.searchParams.get('password') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * A function that masks the given URLs' passwords (raw and percent-encoded) wherever they appear in
 * a text: every message and log line of the runner goes through one.
 */
export function createRedactor(urls: readonly string[]): (text: string) => string {
  const secrets = new Set<string>();
  for (const url of urls) {
    const password = passwordOf(url);
    if (password && password.length > 0) {
      secrets.add(password);
      secrets.add(encodeURIComponent(password));
    }
  }
  const list = [...secrets].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const s of list) out = out.split(s).join('****');
    // URLs we were not told about still lose their passwords.
    return out.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1****@');
  };
}

/**
 * True when the URL points at this machine: localhost, 127.0.0.0/8, ::1 or a unix socket (an absolute
 * path as host, or no host at all, which means the default socket).
 */
export function isLocalUrl(url: string): boolean {
  const host = hostOf(url);
  if (host === undefined) return false;
  if (host === '' || host.startsWith('/')) return true;
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The host a URL connects to (a `host=` parameter wins, as in libpq), lower case; '' for the default socket. */
function hostOf(url: string): string | undefined {
  let host: string | undefined;
  let hostParam: string | null = null;
  try {
    const parsed = new URL(url);
    host = parsed.hostname;
    hostParam = parsed.searchParams.get('host');
  } catch {
    // `postgres://user@/db?host=/tmp` is valid for libpq but not for WHATWG URLs.
    const m = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/:?]*)/i.exec(url);
    if (!m) return undefined;
    host = m[1];
    hostParam = /[?&]host=([^&]*)/.exec(url)?.[1] ?? null;
  }
  const chosen = hostParam ?? host ?? '';
  let decoded = chosen;
  try {
    decoded = decodeURIComponent(chosen);
  } catch {
    // keep it as written
  }
  return decoded.replace(/^\[|\]$/g, '').toLowerCase();
}

/** host:port/database of a URL, for short messages. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.searchParams.get('host') ?? parsed.host ?? '';
    return `${host || 'local socket'}${parsed.pathname || '/'}`;
  } catch {
    return maskUrl(url);
  }
}
