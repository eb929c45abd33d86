// sqitch's plan (`sqitch.plan`) and configuration (`sqitch.conf`), read as sqitch 1.3 reads them, for
// the runner: the changes in plan order with their dependencies, planner, time and note, the tags, and
// the ids sqitch derives from them. A change's id is the SHA-1 of a git-style object ("change <byte
// length>\0<info>") whose info lists the project, the URI, the change name, its parent (the change
// before it in the plan), the planner, the planned time and the dependencies and note; a tag's id is
// hashed the same way from the tag's own lines and its change's id. sqitch finds the last deployed change
// in the plan by that id, so zdm must compute the same one for `sqitch status` and `sqitch deploy` to
// accept what zdm deployed. Also which psql variables sqitch sets for a script (the configuration files
// read through a ProjectHost), for the runner and for the linter, which warns about a variable a script
// uses with no value. No I/O here but through the host, and nothing of the runner's database code: the
// format layer (formats/sqitch.ts) imports this file.

import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProjectHost } from '../host';
import { childPath } from '../paths';

export interface SqitchDependency {
  /** `require` or `conflict` (written `!name`). */
  type: 'require' | 'conflict';
  /** As sqitch stores it (`users`, `users@v1`, `other:users`; the project prefix dropped when it is this project). */
  name: string;
  /** The other project named, when it is not this one. */
  project?: string;
  /** The change name (undefined for a bare `@tag`). */
  change?: string;
  /** The tag (`v1`, without `@`). */
  tag?: string;
}

export interface SqitchTag {
  /** With its `@`. */
  name: string;
  id: string;
  note: string;
  plannedAt: string;
  plannerName: string;
  plannerEmail: string;
  line: number;
}

export interface SqitchChange {
  name: string;
  id: string;
  /** 1-based line in sqitch.plan. */
  line: number;
  note: string;
  /** `YYYY-MM-DDTHH:MM:SSZ`, as in the plan and in the id. */
  plannedAt: string;
  plannerName: string;
  plannerEmail: string;
  dependencies: SqitchDependency[];
  tags: SqitchTag[];
  /**
   * For a change reworked later in the plan (the same name planned again): the tags between it and its
   * rework, latest first, then its own (sqitch's `rework_tags`). Its scripts are `deploy/<name><tag>.sql`
   * for the first of them whose deploy script exists. Empty for a change not reworked.
   */
  reworkTags: string[];
}

export interface SqitchPlan {
  project: string;
  uri?: string;
  changes: SqitchChange[];
}

export class SqitchPlanError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

// A name, by sqitch's rule (App::Sqitch::Plan name_re): no leading or trailing punctuation (`_` is not
// punctuation there: `_foo`, `foo_` are names), no blanks, `:`, `@`, `#` or `\` inside, and not ending
// in a symbolic reference's punctuation and digits (`foo~1`, `foo^2`, `foo/3`; `foo-1` is a name).
// Digits alone are a name (`2024`, `00`), but not `0`: sqitch's plan reader takes a name of 0 as no name.
const PUNCT = `-!"#$%&'()*+,./:;<=>?@\\[\\\\\\]^\`{|}~`;
const NAME = `[^${PUNCT}\\s](?:(?:[^\\s:#@\\\\]*[^${PUNCT}\\s])?)(?<![~/=%^]\\d+)`;
const NAME_ONLY = new RegExp(`^${NAME}$`);
const LINE = new RegExp(`^\\s*(?:(@)|\\s*([+-])\\s*)?(${NAME})(?:\\s+)?(?:\\[([^\\]]+)\\]\\s*)?(?:(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})Z\\s*)?(?:([^<]+?)\\s+<([^>]+)>)?$`);
const NOTE_ESCAPES: Record<string, string> = { '\\\\': '\\', '\\n': '\n', '\\r': '\r' };

/** Reads `sqitch.plan`. Fails with the line and what is wrong, as sqitch would refuse the plan. */
export function parseSqitchPlan(text: string): SqitchPlan {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const pragmas = new Map<string, string>();
  let i = 0;
  // The pragmas come first, up to the first blank line.
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (/^[ \t]*(?:#.*)?$/.test(line)) {
      if (/^[ \t]*$/.test(line)) {
        i++;
        break;
      }
      continue;
    }
    const m = /^[ \t]*%[ \t]*([^\s=]+)[ \t]*(?:=[ \t]*(.*?))?[ \t]*(?:#.*)?$/.exec(line);
    if (!m) throw new SqitchPlanError(`sqitch.plan line ${i + 1}: invalid pragma; a blank line must come between pragmas and changes`, i + 1);
    pragmas.set(m[1], m[2] ?? '1');
  }
  const project = pragmas.get('project');
  if (!project) throw new SqitchPlanError('sqitch.plan has no %project pragma');
  const uri = pragmas.get('uri') || undefined;
  const changes: SqitchChange[] = [];
  const tagLines = new Map<string, number>();
  for (; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i];
    if (/^[ \t]*(?:#.*)?$/.test(line)) continue;
    const fail = (why: string): never => {
      throw new SqitchPlanError(`sqitch.plan line ${lineNo}: ${why}`, lineNo);
    };
    // The note: after the first `#`, trimmed, with `\\`, `\n` and `\r` unescaped.
    let note = '';
    const hash = line.indexOf('#');
    if (hash !== -1) {
      note = line
        .slice(hash + 1)
        .trim()
        .replace(/\\[\\nr]/g, (e) => NOTE_ESCAPES[e]);
      line = line.slice(0, hash);
    }
    line = line.replace(/[ \t]+$/, '');
    const m = LINE.exec(line);
    if (!m) fail(`cannot read "${line.trim()}" (expected a change or tag: name [dependencies] timestamp planner <email>)`);
    const [, at, operator, name, deps, yr, mo, dy, hr, mi, sc, plannerName, plannerEmail] = m!;
    if (!yr) fail('missing timestamp');
    if (!plannerName) fail('missing planner name and email');
    // Perl's truth: sqitch's reader (`!$params{name}`) refuses a change or tag named 0.
    if (name === '0') fail(`invalid name "${at ?? ''}0" (sqitch refuses it: "Invalid name")`);
    if (/^[0-9a-f]{40}/.test(name)) fail(`"${name}" could be confused with a SHA1 ID`);
    if (['HEAD', 'ROOT'].includes(name)) fail(`"${at ?? ''}${name}" is a reserved name`);
    const plannedAt = `${yr}-${mo}-${dy}T${hr}:${mi}:${sc}Z`;
    if (at) {
      const previous = changes[changes.length - 1];
      if (!previous) fail(`tag "@${name}" declared without a preceding change`);
      if (deps) fail('tags may not specify dependencies');
      if (tagLines.has(name)) fail(`tag "@${name}" duplicates earlier declaration on line ${tagLines.get(name)}`);
      tagLines.set(name, lineNo);
      previous!.tags.push({ name: `@${name}`, id: '', note, plannedAt, plannerName: plannerName.trim(), plannerEmail, line: lineNo });
      continue;
    }
    if (operator === '-') fail(`"-${name}" (a change marked as reverted, an old plan syntax) is not supported by zdm`);
    const dependencies: SqitchDependency[] = [];
    for (const spec of deps ? deps.trim().split(/\s+/) : []) {
      const d = /^(!)?(?:([^:@\s]+):)?([^:@\s]+)?(?:@([^:@\s]+))?$/.exec(spec);
      if (!d || (!d[3] && !d[4]) || (d[3] && !NAME_ONLY.test(d[3]))) fail(`"${spec}" is not a valid dependency specification`);
      const other = d![2] && d![2] !== project ? d![2] : undefined;
      const key = `${d![3] ?? ''}${d![4] ? `@${d![4]}` : ''}`;
      if (dependencies.some((x) => x.name === (other ? `${other}:${key}` : key) && x.type === (d![1] ? 'conflict' : 'require'))) fail(`duplicate dependency "${spec}"`);
      dependencies.push({ type: d![1] ? 'conflict' : 'require', name: other ? `${other}:${key}` : key, project: other, change: d![3], tag: d![4] });
    }
    // A change planned again is a rework: allowed once a tag has come between them.
    const earlier = changes.findLastIndex((c) => c.name === name);
    if (earlier !== -1) {
      const between = changes.slice(earlier + 1);
      if (!changes[earlier].tags.length && !between.some((c) => c.tags.length > 0)) fail(`change "${name}" duplicates earlier declaration on line ${changes[earlier].line}`);
      changes[earlier].reworkTags.push(...between.reverse().flatMap((c) => c.tags.map((t) => t.name)), ...changes[earlier].tags.map((t) => t.name));
    }
    changes.push({ name, id: '', line: lineNo, note, plannedAt, plannerName: plannerName.trim(), plannerEmail, dependencies, tags: [], reworkTags: [] });
  }
  // Ids: each change's info names the one before it (its parent), so they are computed in plan order.
  let parent: string | undefined;
  for (const c of changes) {
    c.id = changeId(project, uri, c, parent);
    parent = c.id;
    for (const t of c.tags) t.id = tagId(project, uri, t, c.id);
  }
  return { project, uri, changes };
}

/** The change's id, as sqitch computes it (App::Sqitch::Plan::Change `info` and `id`). */
export function changeId(project: string, uri: string | undefined, change: SqitchChange, parent: string | undefined): string {
  const requires = change.dependencies.filter((d) => d.type === 'require').map((d) => d.name);
  const conflicts = change.dependencies.filter((d) => d.type === 'conflict').map((d) => d.name);
  const info = [
    `project ${project}`,
    ...(uri ? [`uri ${canonicalUri(uri)}`] : []),
    `change ${change.name}`,
    ...(parent ? [`parent ${parent}`] : []),
    `planner ${change.plannerName} <${change.plannerEmail}>`,
    `date ${change.plannedAt}`,
    ...(requires.length > 0 ? [`requires\n  + ${requires.join('\n  + ')}`] : []),
    ...(conflicts.length > 0 ? [`conflicts\n  - ${conflicts.join('\n  - ')}`] : []),
    ...(change.note ? ['', change.note] : []),
  ].join('\n');
  return gitObjectHash('change', info);
}

/** The tag's id, as sqitch computes it (App::Sqitch::Plan::Tag). */
export function tagId(project: string, uri: string | undefined, tag: SqitchTag, changeIdOfTag: string): string {
  const info = [
    `project ${project}`,
    ...(uri ? [`uri ${canonicalUri(uri)}`] : []),
    `tag ${tag.name}`,
    `change ${changeIdOfTag}`,
    `planner ${tag.plannerName} <${tag.plannerEmail}>`,
    `date ${tag.plannedAt}`,
    ...(tag.note ? ['', tag.note] : []),
  ].join('\n');
  return gitObjectHash('tag', info);
}

function gitObjectHash(kind: string, info: string): string {
  const content = Buffer.from(info, 'utf8');
  return createHash('sha1').update(`${kind} ${content.length}\0`).update(content).digest('hex');
}

/**
 * The URI as Perl's URI->canonical writes it, for the forms a plan holds: scheme and host in lower
 * case, the scheme's default port dropped, an empty http(s) path written `/`.
 */
export function canonicalUri(uri: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#@]*@)?([^/?#:]*)(?::(\d*))?([^?#]*)(.*)$/.exec(uri);
  if (!m) return uri;
  const scheme = m[1].toLowerCase();
  const defaults: Record<string, string> = { http: '80', https: '443', ftp: '21' };
  const port = m[4] === undefined || m[4] === '' || defaults[scheme] === m[4] ? '' : `:${m[4]}`;
  const pathPart = m[5] === '' && (scheme === 'http' || scheme === 'https') ? '/' : m[5];
  return `${scheme}://${m[2] ?? ''}${m[3].toLowerCase()}${port}${pathPart}${m[6]}`;
}

/**
 * A git-style config file (sqitch.conf) as `section.subsection.key` -> value: section and key names in
 * lower case, `[a "B"]` and `[a.b]` both read as `a.B`/`a.b`, quotes and `\` escapes in values read,
 * `#` and `;` comments. A later value of the same key wins.
 */
export function parseSqitchConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[\s*([^\]\s"]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]\s*(?:[#;].*)?$/.exec(line);
    if (head) {
      section = head[2] !== undefined ? `${head[1].toLowerCase()}.${head[2].replace(/\\(.)/g, '$1')}` : head[1].toLowerCase();
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9_-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!kv || !section) continue;
    out.set(`${section}.${kv[1].toLowerCase()}`, kv[2] === undefined ? 'true' : configValue(kv[2]));
  }
  return out;
}

/** A config value: quoted parts kept as written, comments outside quotes dropped, escapes read. */
function configValue(raw: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && i + 1 < raw.length) {
      const n = raw[++i];
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
    } else if (!quoted && (c === '#' || c === ';')) break;
    else out += c;
  }
  return quoted ? out : out.trimEnd();
}

/** The variables under `prefix.` (`deploy.variables.`), with their names as written after it. */
export function configSection(config: ReadonlyMap<string, string>, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  const head = `${prefix}.`;
  for (const [k, v] of config) if (k.startsWith(head) && k.length > head.length) out.set(k.slice(head.length), v);
  return out;
}

/** sqitch's configuration: system, user, then project file (SQITCH_SYSTEM_CONFIG, SQITCH_USER_CONFIG, SQITCH_CONFIG override where each is). */
export function sqitchConfig(top: string, host: ProjectHost, env: NodeJS.ProcessEnv): Map<string, string> {
  return sqitchConfigOf(sqitchConfigFiles(top, env).map((file) => host.readFile(file)));
}

/** The files of sqitch's configuration for the project at `top`, in the order they are read (later ones win). */
export function sqitchConfigFiles(top: string, env: NodeJS.ProcessEnv): string[] {
  return [env.SQITCH_SYSTEM_CONFIG ?? '/etc/sqitch/sqitch.conf', env.SQITCH_USER_CONFIG ?? path.join(os.homedir(), '.sqitch', 'sqitch.conf'), env.SQITCH_CONFIG ? path.resolve(top, env.SQITCH_CONFIG) : childPath(top, 'sqitch.conf')];
}

/** sqitch's configuration from the texts of its files (undefined: the file does not exist), in sqitchConfigFiles' order. */
export function sqitchConfigOf(texts: readonly (string | undefined)[]): Map<string, string> {
  const config = new Map<string, string>();
  for (const text of texts) if (text !== undefined) for (const [k, v] of parseSqitchConf(text)) config.set(k, v);
  return config;
}

/** The registry schema: the target's `registry`, else `[engine "pg"] registry`, else `sqitch`. */
export function sqitchRegistry(config: ReadonlyMap<string, string>): string {
  const target = targetName(config);
  return (target && config.get(`target.${target}.registry`)) || config.get('engine.pg.registry') || 'sqitch';
}

function targetName(config: ReadonlyMap<string, string>): string | undefined {
  const name = config.get('engine.pg.target') ?? config.get('core.target');
  // A URI names no target section of its own.
  return name && !name.startsWith('db:') ? name : undefined;
}

/**
 * The psql variables sqitch sets for a command (later sources win), and `registry`: `sqitch deploy`
 * (whose verify scripts, and the revert after a failed verify, run with these too), `sqitch revert`
 * (adds `[revert.variables]`), `sqitch verify` (adds `[verify.variables]`).
 */
export function sqitchVariables(config: ReadonlyMap<string, string>, kind: 'deploy' | 'revert' | 'verify'): Map<string, string> {
  const target = targetName(config);
  const sources = ['core.variables', 'deploy.variables', ...(kind === 'deploy' ? [] : [`${kind}.variables`]), 'engine.pg.variables', ...(target ? [`target.${target}.variables`] : [])];
  const out = new Map<string, string>();
  for (const s of sources) for (const [k, v] of configSection(config, s)) out.set(k, v);
  out.set('registry', sqitchRegistry(config));
  return out;
}

/** Where a deploy script's variables are set in sqitch.conf, for the message about one without a value. */
export const DEPLOY_VARIABLES = '[deploy.variables] or [core.variables]';

/** Where each command's variables are set in sqitch.conf (sqitchVariables' sections), for the runner's and the linter's messages. */
export const VARIABLES_WHERE: Record<'deploy' | 'revert' | 'verify', string> = {
  deploy: DEPLOY_VARIABLES,
  revert: `[revert.variables], ${DEPLOY_VARIABLES}`,
  verify: `[verify.variables], ${DEPLOY_VARIABLES}`,
};

/**
 * A change's script path under deploy/ (or revert/, verify/), as segments: its name's segments and
 * `.sql`; for a reworked change, the name with the first of its rework tags whose deploy script
 * exists (`users@v1.0.sql`), else with the first of them, as sqitch picks it. `deployExists` answers
 * for a path under deploy/ given as segments.
 */
export function sqitchScriptSegments(change: SqitchChange, deployExists: (segments: readonly string[]) => boolean): string[] {
  const segments = change.name.split('/');
  const base = segments.pop()!;
  if (change.reworkTags.length === 0) return [...segments, `${base}.sql`];
  const found = change.reworkTags.find((tag) => deployExists([...segments, `${base}${tag}.sql`]));
  return [...segments, `${base}${found ?? change.reworkTags[0]}.sql`];
}

/**
 * The key of a change among the migrations: its name, or for a change reworked later in the plan, its
 * name with its first tag or rework tag (`users@v1.0`), as sqitch names it (format_tag_qualified_name).
 */
export function changeKey(change: SqitchChange): string {
  if (change.reworkTags.length === 0) return change.name;
  return `${change.name}${change.tags[0]?.name ?? change.reworkTags[0]}`;
}

/**
 * A change as sqitch lists it when a bare name is ambiguous (format_tag_qualified_name): its name with
 * its first tag, else its first rework tag, else `@HEAD` (`users@v1.0`, `users@HEAD`).
 */
export function tagQualifiedName(change: SqitchChange): string {
  return `${change.name}${change.tags[0]?.name ?? change.reworkTags[0] ?? '@HEAD'}`;
}

/**
 * What a --to / --through names a change by, so that it still points at that change when the plan grows:
 * its name; for a change planned more than once (reworked, or the rework) its tag-qualified name, since
 * sqitch refuses the bare name of such a change as ambiguous.
 */
export function changeTargetName(change: SqitchChange, changes: readonly SqitchChange[]): string {
  return changes.some((c) => c !== change && c.name === change.name) ? tagQualifiedName(change) : change.name;
}

/**
 * What a rollback (--through) names a change by, so that it names that version and no other: its name;
 * for a change planned more than once, its change id. sqitch revert looks a spec up among the deployed
 * changes, not in the plan, so a tag-qualified name may land on another version: `users@HEAD` is the
 * latest DEPLOYED users, the earlier `users@v1.0` while the rework is not deployed (sqitch 1.3.1 `revert
 * --to users@HEAD` then reverts to it), and `users@v1.0` is not deployed at all while a tag placed on a
 * later change is not. The id is that one version: `Change not deployed` when it is not.
 */
export function changeRevertTargetName(change: SqitchChange, changes: readonly SqitchChange[]): string {
  return changes.some((c) => c !== change && c.name === change.name) ? change.id : change.name;
}
