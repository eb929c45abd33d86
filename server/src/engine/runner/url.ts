// Database URLs: where the runner's URL comes from (--url, then DATABASE_URL, then .zdm.json), whether
// it points at this machine, and masking its password in every message; URLs read as libpq reads them,
// and the connection string that makes node-postgres connect to the same place. No database access here.

import * as fs from 'node:fs';

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

/** Throws a UrlError (with the password masked) when `url` is not a PostgreSQL URL as libpq reads one. */
export function checkUrl(url: string, origin: string): void {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1].toLowerCase();
  if (scheme !== undefined && scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new UrlError(`${origin} must be a postgres:// URL, not ${scheme}:// (${maskUrl(url)}).`);
  }
  const parsed = parsePgUrl(url);
  if ('error' in parsed) throw new UrlError(`${origin} is not a valid URL: ${maskUrl(url)} (${parsed.error}; expected postgres://user:password@host:5432/database).`);
  refuseUnsupported(parsed, url, origin);
}

/** What libpq reads in a URL but zdm's client would ignore or misread, connecting elsewhere: refused, saying what to write instead. */
function refuseUnsupported(parsed: PgUrl, url: string, origin: string): void {
  if (parsed.params.has('hostaddr')) throw new UrlError(`${origin} sets hostaddr, which zdm's PostgreSQL client (node-postgres) does not read: it would connect to the host name instead. Put the address in the host part (postgres://user@${parsed.params.get('hostaddr')}:port/database) (${maskUrl(url)}).`);
  if (parsed.params.has('service')) throw new UrlError(`${origin} names a service (pg_service.conf), which zdm does not read: write the service's host, port and database in the URL (${maskUrl(url)}).`);
  if (parsed.hosts.length > 1) throw new UrlError(`${origin} names several hosts (${parsed.hosts.join(', ')}), which libpq tries in turn; zdm connects to one: name the one to migrate (${maskUrl(url)}).`);
  if (parsed.port?.includes(',')) throw new UrlError(`${origin} names several ports (${parsed.port}); zdm connects to one: name the one to migrate (${maskUrl(url)}).`);
  // What libpq refuses before it connects, and node-postgres would misread (a port out of range: "Invalid URL"; an unknown sslmode: a try with SSL).
  if (parsed.port !== undefined && !(Number(parsed.port) >= 1 && Number(parsed.port) <= 65535)) throw new UrlError(`${origin} has an invalid port number: "${parsed.port}" (1 to 65535) (${maskUrl(url)}).`);
  const sslmode = parsed.params.get('sslmode');
  if (sslmode !== undefined && !SSL_MODES.includes(sslmode)) throw new UrlError(`${origin} has an invalid sslmode value: "${sslmode}" (one of ${SSL_MODES.join(', ')}) (${maskUrl(url)}).`);
  const timeout = parsed.params.get('connect_timeout');
  if (timeout !== undefined && !WHOLE_SECONDS.test(timeout)) throw new UrlError(`${origin} has an invalid connect_timeout value: "${timeout}" (whole seconds) (${maskUrl(url)}).`);
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
/** connect_timeout as libpq reads it: an integer number of seconds. */
const WHOLE_SECONDS = /^\s*-?\d+\s*$/;

/**
 * How long to wait for the server, from the URL's connect_timeout as libpq reads it: whole seconds, at
 * least 2; 0 or less waits without end (0 ms to node-postgres). Undefined when the URL does not say.
 */
export function connectTimeoutOf(url: string): number | undefined {
  const parsed = parsePgUrl(url);
  const value = 'error' in parsed ? undefined : parsed.params.get('connect_timeout');
  if (value === undefined || !WHOLE_SECONDS.test(value)) return undefined;
  const seconds = Number(value);
  return seconds <= 0 ? 0 : Math.max(2, seconds) * 1000;
}

/**
 * A PostgreSQL URL as libpq reads one (its "Connection URIs"): `postgres[ql]://[user[:password]@]
 * [host][:port][,host2...][/database][?key=value&...]`, each part percent-decoded, so a unix socket's
 * folder may be the host (`postgres://%2Fvar%2Frun%2Fpostgresql/db`), and the query's `host`, `port`,
 * `dbname`, `user` and `password` win over the parts before it (`postgres://user@/db?host=/tmp`, which
 * WHATWG URLs reject). An empty host means the default socket (or PGHOST).
 */
export interface PgUrl {
  /** The hosts, in order ([''] when none is given): names, addresses, or socket folders (starting with `/`). */
  hosts: string[];
  port?: string;
  database?: string;
  user?: string;
  password?: string;
  /** The query parameters, decoded (the ones above included). */
  params: Map<string, string>;
}

export function parsePgUrl(url: string): PgUrl | { error: string } {
  const m = /^postgres(?:ql)?:\/\//i.exec(url);
  if (!m) return { error: 'it does not start with postgres:// or postgresql://' };
  let rest = url.slice(m[0].length);
  const queryAt = rest.indexOf('?');
  const query = queryAt === -1 ? '' : rest.slice(queryAt + 1);
  if (queryAt !== -1) rest = rest.slice(0, queryAt);
  const decode = (part: string, what: string): string => {
    if (/%(?![0-9A-Fa-f]{2})/.test(part) || /%00/.test(part)) throw new Error(`bad percent-encoding in the ${what}`);
    try {
      return decodeURIComponent(part);
    } catch {
      throw new Error(`bad percent-encoding in the ${what}`);
    }
  };
  try {
    const out: PgUrl = { hosts: [], params: new Map() };
    // user[:password]@, looked for before the first '/' (libpq's reading).
    const slash = rest.indexOf('/');
    const at = rest.slice(0, slash === -1 ? rest.length : slash).lastIndexOf('@');
    if (at !== -1) {
      const credentials = rest.slice(0, at);
      const colon = credentials.indexOf(':');
      out.user = decode(colon === -1 ? credentials : credentials.slice(0, colon), 'user name') || undefined;
      if (colon !== -1) out.password = decode(credentials.slice(colon + 1), 'password');
      rest = rest.slice(at + 1);
    }
    const pathAt = rest.indexOf('/');
    const hostspec = pathAt === -1 ? rest : rest.slice(0, pathAt);
    if (pathAt !== -1 && rest.length > pathAt + 1) out.database = decode(rest.slice(pathAt + 1), 'database name');
    const ports: string[] = [];
    for (const spec of hostspec.split(',')) {
      const h = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(spec)!;
      out.hosts.push(decode(h[1].replace(/^\[|\]$/g, ''), 'host'));
      if (h[2] !== undefined && h[2] !== '') {
        if (!/^\d+$/.test(h[2])) throw new Error(`the port '${h[2]}' is not a number`);
        ports.push(h[2]);
      }
    }
    if (ports.length > 0) out.port = ports.join(',');
    for (const pair of query.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq === -1) throw new Error(`the query parameter '${pair}' has no '=value'`);
      const key = decode(pair.slice(0, eq), 'query');
      const value = decode(pair.slice(eq + 1), `${key} parameter`);
      out.params.set(key, value);
    }
    const param = (key: string) => out.params.get(key);
    if (param('host') !== undefined) out.hosts = param('host')!.split(',');
    if (param('port') !== undefined) {
      if (!/^\d+(,\d+)*$/.test(param('port')!)) throw new Error(`the port '${param('port')}' is not a number`);
      out.port = param('port');
    }
    if (param('dbname') !== undefined) out.database = param('dbname');
    if (param('user') !== undefined) out.user = param('user');
    if (param('password') !== undefined) out.password = param('password');
    return out;
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Whether a host is a unix socket's folder (an absolute path, or `@name` for Linux's abstract namespace). */
function isSocket(host: string): boolean {
  return host.startsWith('/') || host.startsWith('@');
}

/** The folders where libpq builds look for the default socket (Debian's, then PostgreSQL's own default). */
const DEFAULT_SOCKET_DIRS = ['/var/run/postgresql', '/tmp'];

/**
 * The connection string to give node-postgres (`pg`) so that it connects where libpq would, and as
 * libpq would, for a URL `checkUrl` accepted. `pg` reads the same URLs (with its own parser), but:
 * with no host it connects to localhost over TCP where libpq uses the default unix socket, so the
 * socket is named when one is there; it does not know `sslmode` over a unix socket (libpq never uses
 * SSL there; `pg` would ask the server for it and fail), so sslmode is dropped for sockets; its
 * `sslmode=require` verifies the certificate unless `uselibpqcompat=true`, which is added (libpq's
 * require encrypts without verifying); and it would quietly ignore `hostaddr` and `service`, and read
 * `h1,h2` as one host name, so those are refused, saying what to write instead.
 * `socketExists` is the file check (a parameter so the choice can be tested).
 */
export function pgConnectionString(url: string, env: NodeJS.ProcessEnv = process.env, socketExists: (file: string) => boolean = defaultSocketExists): string {
  const parsed = parsePgUrl(url);
  if ('error' in parsed) return url;
  refuseUnsupported(parsed, url, 'The database URL');
  const set = new Map<string, string | undefined>();
  let host = parsed.hosts[0];
  if (host === '' && !env.PGHOST) {
    const port = parsed.port ?? env.PGPORT ?? '5432';
    const dir = DEFAULT_SOCKET_DIRS.find((d) => socketExists(`${d}/.s.PGSQL.${port}`));
    if (dir) {
      set.set('host', dir);
      host = dir;
    }
  }
  if (host === '' && env.PGHOST) host = env.PGHOST;
  if (isSocket(host)) {
    set.set('sslmode', undefined);
    set.set('ssl', undefined);
  } else if (parsed.params.has('sslmode') && !parsed.params.has('uselibpqcompat')) {
    set.set('uselibpqcompat', 'true');
  }
  return set.size === 0 ? url : withQuery(url, set);
}

function defaultSocketExists(file: string): boolean {
  try {
    return fs.statSync(file).isSocket();
  } catch {
    return false;
  }
}

/** `url` with its query parameters in `set` replaced (undefined: removed) or added, the others kept as written. */
export function withQuery(url: string, set: ReadonlyMap<string, string | undefined>): string {
  const queryAt = url.indexOf('?');
  const base = queryAt === -1 ? url : url.slice(0, queryAt);
  const pairs = queryAt === -1 ? [] : url.slice(queryAt + 1).split('&').filter((p) => p !== '');
  const keyOf = (pair: string) => {
    const raw = pair.split('=')[0];
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  };
  const kept = pairs.filter((p) => !set.has(keyOf(p)));
  for (const [key, value] of set) if (value !== undefined) kept.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  return kept.length > 0 ? `${base}?${kept.join('&')}` : base;
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

/** The password of a URL, if it has one (decoded), also in the forms WHATWG URLs reject (`postgres://u:pw@/db?host=/tmp`). */
export function passwordOf(url: string): string | undefined {
  const parsed = parsePgUrl(url);
  if (!('error' in parsed)) return parsed.password || undefined;
  try {
    const whatwg = new URL(url);
    return (whatwg.password ? decodeURIComponent(whatwg.password) : undefined) ?? whatwg.searchParams.get('password') ?? undefined;
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
 * True when the URL points at this machine: localhost, 127.0.0.0/8, ::1 or a unix socket (a folder as
 * host, in the URL's host part percent-encoded or its `host=` parameter; or no host at all, which
 * means PGHOST, else the default socket). Every host must be local when several are named.
 */
export function isLocalUrl(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const parsed = parsePgUrl(url);
  if ('error' in parsed) return false;
  const hosts = parsed.hosts.flatMap((h) => (h === '' ? (env.PGHOST ? env.PGHOST.split(',') : ['']) : [h]));
  if (parsed.params.has('hostaddr')) hosts.push(...parsed.params.get('hostaddr')!.split(','));
  return hosts.every((raw) => {
    const host = raw.trim().toLowerCase();
    if (host === '' || isSocket(host)) return true;
    return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  });
}

/** host:port/database of a URL, for short messages ("/var/run/postgresql (unix socket)/app"). */
export function describeUrl(url: string): string {
  const parsed = parsePgUrl(url);
  if ('error' in parsed) return maskUrl(url);
  const host = parsed.hosts
    .map((h) => (h === '' ? 'local socket' : isSocket(h) ? `${h} (unix socket${parsed.port ? ` ${parsed.port}` : ''})` : `${h.includes(':') ? `[${h}]` : h}${parsed.port ? `:${parsed.port}` : ''}`))
    .join(',');
  return `${host}/${parsed.database ?? ''}`;
}
