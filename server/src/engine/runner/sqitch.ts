// A sqitch project for the runner: its migrations are the changes of sqitch.plan in plan order (the
// deploy script is the up, the revert script the down), each script run as psql runs it for sqitch.
// - The script's own BEGIN/COMMIT decide its transaction (the format layer marks the section `none`,
//   so apply.ts sends it statement by statement and follows the file's BEGIN/COMMIT).
// - psql variables (`:name`, `:'name'`, `:"name"`, `:{?name}`) are replaced as psql replaces them, with
//   sqitch's values: `[core.variables]`, `[deploy.variables]` (and `[revert.variables]` for a revert
//   script), `[engine "pg"] variables`, the target's variables, `registry`, and the script's own `\set`.
// - A meta-command zdm cannot honour (`\i`, `\if`, `\connect`, `\copy`, `\gset` ...), a `COPY FROM
//   STDIN`, or a variable with no value makes the section's `toolFailure`: the run is refused before
//   anything runs (sqitchRunProblems), naming the file and line.
// - A reworked change (a name planned twice, `name [name@tag]`): its earlier version runs from
//   `deploy/name@tag.sql` (the tag sqitch picks), and is keyed `name@tag` among the migrations.
// What sqitch needs to record a change (its id, tags, dependencies, the deploy script's SHA-1, who
// deploys) travels with each migration (sqitchChangeOf), for tracking/sqitch.ts; so do its verify script
// (with the deploy's variables for --verify, with `[verify.variables]` for zdm verify) and its revert
// script as a failed verify runs it, for sqitch-verify.ts.

import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeMigration } from '../formats/index';
import type { ProjectHost } from '../host';
import { childPath } from '../paths';
import { psqlMetaCommands, psqlSetArguments, psqlValueAt, unrunnableMetaCommand, type PsqlAssignment } from '../sql/psql';
import { psqlVariableOf, psqlVariables } from '../sql/placeholders';
import { LineIndex } from '../text/offsets';
import { quoteIdent } from './db';
import { checksumOf, statementHash } from './record';
import type { LoadedMigrations, LoadOptions, LoadProblem, Migration, RunSection } from './migrations';
import { runSection, withStatementTexts } from './migrations';
import { isApplied, type MigrationStatus, type Step } from './plan';
import { originalOffsets } from './placeholders';
import { changeKey, DEPLOY_VARIABLES, parseSqitchPlan, sqitchConfig, SqitchPlanError, sqitchRegistry, sqitchScriptSegments, sqitchVariables, tagQualifiedName, VARIABLES_WHERE, type SqitchChange, type SqitchPlan } from './sqitch-plan';

export interface SqitchInfo {
  plan: SqitchPlan;
  change: SqitchChange;
  /** SHA-1 of the deploy script's bytes (changes.script_hash). */
  scriptHash: string;
  committerName: string;
  committerEmail: string;
  /** The ids the change's `require` dependencies resolve to (plan order: each is an earlier change). */
  requireIds: Map<string, string>;
  /** The migration keys of the changes its `require` dependencies resolve to. */
  requireKeys: Map<string, string>;
  /**
   * The change's verify script (`verify/<change>.sql`, or the reworked change's `verify/name@tag.sql`,
   * the same segments as its deploy script), as `sqitch deploy --verify` runs it (`deploy`: the deploy's
   * variables) and as `sqitch verify` runs it (`verify`: with `[verify.variables]`); undefined when the
   * file does not exist (sqitch warns and goes on).
   */
  verifyScript(kind: 'deploy' | 'verify'): RunSection | undefined;
  verifyPath: string;
  /** The project's top folder (holding sqitch.plan). */
  top: string;
  /** The revert script as `sqitch deploy` runs it after a failed verify: with the deploy's variables, not `[revert.variables]`. */
  revertAfterVerify(): RunSection | undefined;
}

const infos = new WeakMap<Migration, SqitchInfo>();

/** The sqitch facts of a migration loaded from a sqitch plan. */
export function sqitchChangeOf(migration: Migration): SqitchInfo | undefined {
  return infos.get(migration);
}

/** The folder holding sqitch.plan when `dir` is it, or its `deploy` folder. */
export function sqitchTop(dir: string, host: ProjectHost): string | undefined {
  if (host.fileExists(childPath(dir, 'sqitch.plan'))) return dir;
  const parent = path.dirname(dir);
  if (path.basename(dir) === 'deploy' && host.fileExists(childPath(parent, 'sqitch.plan'))) return parent;
  return undefined;
}

/** The registry's `changes` table, `"schema"."changes"`, for the project whose deploy folder (or top) is `dir`. */
export function sqitchChangesTable(dir: string, host: ProjectHost, env: NodeJS.ProcessEnv): string {
  const top = sqitchTop(dir, host) ?? dir;
  return `${quoteIdent(sqitchRegistry(sqitchConfig(top, host, env)))}.${quoteIdent('changes')}`;
}

/**
 * `deploy.verify` in the sqitch configuration of the project whose deploy folder (or top) is `dir`:
 * sqitch deploy's --verify default. A value that is no boolean is an error naming it (sqitch dies on it).
 */
export function sqitchDeployVerify(dir: string, host: ProjectHost, env: NodeJS.ProcessEnv): { verify: boolean } | { error: string } {
  const top = sqitchTop(dir, host) ?? dir;
  const value = sqitchConfig(top, host, env).get('deploy.verify');
  if (value === undefined) return { verify: false };
  // As sqitch's configuration reads a boolean (Config::GitLike).
  if (/^(?:true|yes|on|-?0*1)$/i.test(value)) return { verify: true };
  if (/^(?:false|no|off|0*)$/i.test(value)) return { verify: false };
  return { error: `deploy.verify = ${value} in the sqitch configuration is not a boolean (sqitch: Invalid bool); use true or false.` };
}

/** Loads the changes of the sqitch project at `top` as migrations. */
export function loadSqitchMigrations(options: LoadOptions, top: string): LoadedMigrations {
  const { host } = options;
  const env = options.env ?? process.env;
  const problems: LoadProblem[] = [];
  const planPath = childPath(top, 'sqitch.plan');
  const rel = (p: string) => path.relative(options.root, p) || p;
  const refuse = (message: string): LoadedMigrations => {
    problems.push({ path: planPath, message, severity: 'error' });
    return { dirs: options.dirs, format: 'sqitch', migrations: [], problems };
  };
  const config = sqitchConfig(top, host, env);
  const engine = config.get('core.engine');
  if (engine && engine !== 'pg') return refuse(`${rel(planPath)}: the project's engine is ${engine} (core.engine in sqitch.conf); zdm runs sqitch projects on PostgreSQL (pg) only.`);
  let plan: SqitchPlan;
  try {
    plan = parseSqitchPlan(host.readFile(planPath) ?? '');
  } catch (error) {
    if (error instanceof SqitchPlanError) return refuse(`${rel(planPath)}: ${error.message.replace(/^sqitch\.plan /, '')}`);
    throw error;
  }
  const names = new Set(plan.changes.map((c) => c.name));
  for (const change of plan.changes) {
    for (const d of change.dependencies) {
      if (d.project) return refuse(`${rel(planPath)}:${change.line}: change "${change.name}" depends on "${d.name}" of another project; zdm runs dependencies within one project only: nothing was run. Deploy this project with sqitch.`);
    }
  }
  const committerName = env.SQITCH_FULLNAME || config.get('user.name') || env.SQITCH_ORIG_FULLNAME || systemUser();
  const committerEmail = env.SQITCH_EMAIL || config.get('user.email') || env.SQITCH_ORIG_EMAIL || `${systemUser()}@${os.hostname()}`;
  const deployVariables = sqitchVariables(config, 'deploy');
  const revertVariables = sqitchVariables(config, 'revert');
  const verifyVariables = sqitchVariables(config, 'verify');
  const migrations: Migration[] = [];
  plan.changes.forEach((change, index) => {
    const segments = sqitchScriptSegments(change, (p) => host.fileExists(childPath(top, 'deploy', ...p)));
    const upPath = childPath(top, 'deploy', ...segments);
    const downPath = childPath(top, 'revert', ...segments);
    const verifyPath = childPath(top, 'verify', ...segments);
    const upText = host.readFile(upPath);
    if (upText === undefined) {
      problems.push({ path: upPath, message: `${rel(planPath)}:${change.line}: the deploy script of change "${change.name}", ${rel(upPath)}, does not exist.`, severity: 'error' });
      return;
    }
    const requires = new Map<string, SqitchChange>();
    for (const d of change.dependencies) {
      if (d.type === 'conflict' && d.change !== undefined && !names.has(d.change)) {
        // sqitch looks a conflicting change up in the plan too ("Unable to find change").
        problems.push({ path: planPath, message: `${rel(planPath)}:${change.line}: change "${change.name}" conflicts with "${d.name}", which is not in the plan (sqitch: Unable to find change "${d.name}" in plan).`, severity: 'error' });
        return;
      }
      if (d.type !== 'require') continue;
      const required = requiredChange(plan.changes, index, d.change, d.tag);
      if (required === undefined) {
        problems.push({ path: planPath, message: `${rel(planPath)}:${change.line}: change "${change.name}" requires "${d.name}", which is not planned before it.`, severity: 'error' });
        return;
      }
      requires.set(d.name, required);
    }
    const up = psqlSection(upPath, upText.replace(/^\uFEFF/, ''), host, 'up', deployVariables, DEPLOY_VARIABLES);
    const downText = host.readFile(downPath);
    const down = downText === undefined ? undefined : psqlSection(downPath, downText.replace(/^\uFEFF/, ''), host, 'down', revertVariables, VARIABLES_WHERE.revert);
    if (!up) return;
    const written = up.written;
    let hashes: { checksum: string; statements: string[] } | undefined;
    const hashesOf = () => (hashes ??= { checksum: checksumOf(written.map((s) => s)), statements: written.map(statementHash) });
    const key = changeKey(change);
    const migration: Migration = {
      version: String(index + 1),
      key,
      name: key,
      description: change.note,
      format: 'sqitch',
      upPath,
      up: up.section,
      down: down?.section,
      downPath: down?.section.path,
      get checksum() {
        return hashesOf().checksum;
      },
      get statementHashes() {
        return hashesOf().statements;
      },
    };
    const requireIds = new Map([...requires].map(([name, c]) => [name, c.id]));
    const requireKeys = new Map([...requires].map(([name, c]) => [name, changeKey(c)]));
    // Read now (a project cached between runs is reloaded when a file it read changes), parsed when a
    // run asks for them (--verify, zdm verify): most runs never do.
    const verifyText = host.readFile(verifyPath);
    const scripts = new Map<string, RunSection | undefined>();
    const script = (file: string, text: string | undefined, kind: 'up' | 'down', variables: ReadonlyMap<string, string>, key: string, where: string) => {
      if (!scripts.has(key)) scripts.set(key, text === undefined ? undefined : psqlSection(file, text.replace(/^\uFEFF/, ''), host, kind, variables, where)?.section);
      return scripts.get(key);
    };
    infos.set(migration, {
      plan,
      change,
      scriptHash: createHash('sha1').update(Buffer.from(upText, 'utf8')).digest('hex'),
      committerName,
      committerEmail,
      requireIds,
      requireKeys,
      verifyPath,
      top,
      verifyScript: (kind) =>
        kind === 'deploy'
          ? script(verifyPath, verifyText, 'up', deployVariables, kind, `${DEPLOY_VARIABLES} (sqitch deploy --verify passes no [verify.variables])`)
          : script(verifyPath, verifyText, 'up', verifyVariables, kind, VARIABLES_WHERE.verify),
      revertAfterVerify: () => script(downPath, downText, 'down', deployVariables, 'revert', `${DEPLOY_VARIABLES} (after a failed verify, sqitch deploy runs the revert script with the deploy's variables)`),
    });
    migrations.push(migration);
  });
  return { dirs: options.dirs, format: 'sqitch', migrations: problems.some((p) => p.severity === 'error') ? [] : migrations, problems };
}

/**
 * The change a requirement of the change at `index` names: `name` is the latest change of that name
 * planned before it; `name@tag`, the latest of that name planned at or before the tag; `@tag`, the change
 * carrying the tag.
 */
function requiredChange(changes: readonly SqitchChange[], index: number, name: string | undefined, tag: string | undefined): SqitchChange | undefined {
  let limit = index - 1;
  if (tag !== undefined) {
    const at = changes.findIndex((c, i) => i < index && c.tags.some((t) => t.name === `@${tag}`));
    if (at === -1) return undefined;
    if (name === undefined) return changes[at];
    limit = at;
  }
  for (let i = limit; i >= 0; i--) if (changes[i].name === name) return changes[i];
  return undefined;
}

/** The system user's name ('unknown' without a passwd entry), sqitch's last resort for who deploys. */
export function systemUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Meta-commands zdm honours or that only print: everything else refuses the run. */
/**
 * A script's section as the runner sends it: the statements with psql's variables replaced, and the
 * first reason zdm cannot run it as psql would (its `toolFailure`). `written` keeps the statements as
 * written, for checksums (a changed value in sqitch.conf is not an edited migration).
 */
function psqlSection(file: string, text: string, host: ProjectHost, kind: 'up' | 'down', variables: ReadonlyMap<string, string>, where: string): { section: RunSection; written: string[] } | undefined {
  const doc = describeMigration(file, text, host, { format: 'sqitch' });
  // The format layer names a revert script's section `down`, a deploy script's `up`.
  const section = runSection(doc, kind, undefined, false);
  if (!section) return undefined;
  const written = section.statements.map((s) => s.text);
  let failure: RunSection['toolFailure'];
  const fail = (message: string, offset: number) => {
    if (!failure || offset < failure.offset) failure = { message, offset };
  };
  // `\set` and `\unset` in file order: the values a variable has at each offset.
  const sets: PsqlAssignment[] = [];
  for (const command of psqlMetaCommands(text)) {
    const { start, name, args } = command;
    const unrunnable = unrunnableMetaCommand(command);
    if (unrunnable) {
      fail(name === 'set' || name === 'unset' ? `${unrunnable}; nothing was run.` : `${unrunnable}; nothing was run. Remove it, or deploy this change with sqitch.`, start);
      continue;
    }
    if (name === 'set' || name === 'unset') {
      const parsed = psqlSetArguments(args)!;
      sets.push({ offset: start, name: parsed.name, value: name === 'set' ? parsed.value : undefined });
    }
  }
  const texts = section.statements.map((statement) => {
    if (statement.firstWord === 'copy' && /\bfrom\s+stdin\b/i.test(statement.text)) fail('COPY ... FROM STDIN reads the rows that follow it in the script, which zdm does not send; nothing was run. Deploy this change with sqitch.', statement.span.start);
    const refs = psqlVariables(statement.text);
    if (refs.length === 0) return { text: statement.text, toOriginal: (o: number) => o };
    const replaced: { outStart: number; outEnd: number; start: number; end: number }[] = [];
    let out = '';
    let last = 0;
    for (const [start, end, mask] of refs) {
      const { name, form } = psqlVariableOf(mask);
      const value = psqlValueAt(variables, sets, name, statement.span.start + start);
      let sent: string;
      if (form === 'defined') sent = value === undefined ? 'FALSE' : 'TRUE';
      else if (value === undefined) {
        fail(`the psql variable :${name} has no value (set it under ${where} in sqitch.conf, or with \\set); psql would send it as written. Nothing was run.`, statement.span.start + start);
        sent = statement.text.slice(start, end);
      } else sent = form === 'literal' ? quoteLiteral(value) : form === 'identifier' ? `"${value.replace(/"/g, '""')}"` : value;
      out += statement.text.slice(last, start);
      replaced.push({ outStart: out.length, outEnd: out.length + sent.length, start, end });
      out += sent;
      last = end;
    }
    out += statement.text.slice(last);
    return { text: out, toOriginal: originalOffsets(replaced) };
  });
  const result = withStatementTexts(section, texts);
  return { section: failure ? { ...result, toolFailure: failure } : result, written };
}

/** As psql's `:'name'` quotes a value (PQescapeLiteral): quotes doubled; with backslashes, an E'' string with them doubled. */
function quoteLiteral(value: string): string {
  const body = value.replace(/'/g, "''");
  return value.includes('\\') ? ` E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

/**
 * Why a sqitch plan of steps cannot run, before anything runs: a script zdm cannot run as psql would
 * (its file and line), a change whose required change is neither deployed nor deployed earlier in the
 * run, or one conflicting with a deployed change (sqitch refuses those too).
 */
export function sqitchRunProblems(steps: readonly Step[], statuses: readonly MigrationStatus[], root: string, options: { verify?: boolean; logOnly?: boolean } = {}): string[] {
  const problems: string[] = [];
  const deployed = new Set(statuses.filter(isApplied).map((s) => s.key));
  for (const step of steps) {
    const info = sqitchChangeOf(step.migration);
    const section = step.direction === 'up' ? step.migration.up : step.migration.down;
    // With --verify, the verify script of each change deployed runs too: its problems refuse the run as the
    // deploy script's do. (The revert script run after a failed verify is not checked here: it runs
    // only then, and a problem with it is reported then.)
    const verify = step.direction === 'up' && options.verify ? info?.verifyScript('deploy') : undefined;
    // --log-only runs no deploy or revert script (its verify script, with --verify, it does).
    for (const s of options.logOnly ? [verify] : [section, verify]) {
      if (!s?.toolFailure) continue;
      const at = new LineIndex(s.fileText).positionAt(s.toolFailure.offset);
      problems.push(`${path.relative(root, s.path) || s.path}:${at.line + 1}:${at.character + 1}: ${s.toolFailure.message}`);
    }
    if (step.direction === 'up' && info) {
      for (const d of info.change.dependencies) {
        const required = info.requireKeys.get(d.name);
        if (d.type === 'require' && required !== undefined && !deployed.has(required)) problems.push(`Change "${info.change.name}" requires "${d.name}", which is not deployed; nothing was run.`);
        // A conflict names a change by name: any deployed version of it conflicts.
        const conflicting = d.type === 'conflict' ? statuses.find((s) => s.migration && deployed.has(s.key) && sqitchChangeOf(s.migration)?.change.name === d.change) : undefined;
        if (conflicting) problems.push(`Change "${info.change.name}" conflicts with "${d.name}", which is deployed; nothing was run. Revert "${d.name}" first.`);
      }
      deployed.add(step.migration.key);
    } else if (step.direction === 'down') deployed.delete(step.migration.key);
  }
  return problems;
}

/**
 * A --to / --through as the version (plan position) the planner compares. It is read as sqitch reads a
 * change spec (App::Sqitch::Plan::ChangeList `index_of`, Engine `change_id_for_key`): a change name
 * (zdm's own names too: `users@v1.0` for the earlier version of a reworked change), `name@tag`, `@tag`
 * or a change id (all 40 lower-case hex digits: sqitch takes no abbreviated or upper-case id). sqitch has
 * no positions, and digits alone are a valid change name (`2024`, `001`): when a change has that name,
 * the target is that change, as `sqitch deploy --to 2024` reads it; when none has, they are `Unknown
 * change: "5"`, as sqitch deploy and revert say (checked with sqitch 1.3.1), saying which change is at
 * that position of zdm's numbering (the editor gives names, never positions). The one exception is
 * `zdm rollback --to 0`, zdm's "roll back everything" (sqitch revert without --to). When digits name
 * one change and are the position of another, the run says which it took (`warning`). `option` is how
 * the warning names the flag (`zdm up --to`).
 *
 * The symbolic tags `@HEAD` and `@ROOT` (`HEAD`, `ROOT` too) and the offsets `~N` / `^N` (`~~`, `^^`:
 * 2; `@HEAD^`, `users~2`) are read as sqitch reads them: for `zdm up` against the plan, as sqitch deploy
 * (ChangeList `index_of`: @HEAD the last planned change, @ROOT the first, the offset counted in the plan);
 * for `zdm rollback` against the registry, as sqitch revert (Engine `change_id_for` and
 * `change_id_offset_from_id`: @HEAD the last deployed change, @ROOT the first, the offset counted among
 * the deployed changes in the order they were deployed). A spec that lands before the first change or
 * after the last is refused in sqitch's words (`Unknown change`, or for a rollback `Change not deployed`
 * when the plan has it).
 *
 * `name@tag` is the last change named `name` up to the change the tag is on (ChangeList `index_of`); one
 * the plan does not resolve is `Unknown change` (`Unknown tag` for a tag it has not). For `zdm rollback`
 * every spec is looked up among the deployed changes, as sqitch revert looks it up in its registry
 * (`name@tag` only once the tag is deployed): one the plan has and the registry has not is refused,
 * `Change not deployed: "users"`, before anything is rolled back (--through too, which sqitch has not).
 *
 * The bare name of a reworked change (`users`, `users^`, `users~2`) is refused as sqitch refuses it, as
 * ambiguous, listing the tag-qualified names that are not (sqitchAmbiguity): `users@HEAD`, `users@v1.0`.
 */
export function sqitchVersionOf(target: string | undefined, statuses: readonly MigrationStatus[], option = '--to', base: 'plan' | 'deployed' = option.startsWith('zdm rollback') ? 'deployed' : 'plan'): { version?: string; warning?: string; problem?: string } {
  if (target === undefined) return {};
  const ambiguous = sqitchAmbiguity(target, statuses, base);
  if (ambiguous) return { problem: ambiguous };
  const symbolic = sqitchSymbolicTarget(target, statuses, base);
  if (symbolic) return symbolic;
  const named = sqitchChangeNamed(target, statuses);
  // A tag-qualified spec the plan does not resolve (`flips@v1.0` with flips after the tag, an unknown tag) is no position either.
  if (!named && target.includes('@')) {
    const tag = target.slice(target.indexOf('@'));
    const tagged = statuses.some((s) => s.migration && sqitchChangeOf(s.migration)?.change.tags.some((t) => t.name === tag));
    return { problem: tagged || target.startsWith('@') ? `Unknown change: "${target}"; nothing was run.` : `Unknown tag "${tag}" in "${target}"; nothing was run.` };
  }
  // sqitch revert finds a change in its registry (a reworked change's name: its one deployed version, not
  // the plan's latest; `name@tag`: only once the tag is deployed); one the plan has but the registry has
  // not is "Change not deployed".
  if (base === 'deployed' && named) {
    const planned = statuses.filter((s) => s.migration && sqitchChangeOf(s.migration));
    const deployed = sqitchDeployed(statuses);
    const found = sqitchSpecIn(target, deployed, planned, statuses);
    if (!found) return { problem: sqitchNotDeployed(target, deployed.length) };
    if (found !== named) return { version: found.version };
  }
  const name = (s: MigrationStatus) => s.migration?.name ?? s.key;
  const first = statuses.find((s) => s.migration);
  if (!named) {
    // `zdm rollback --to 0` is zdm's "roll back everything" (sqitch revert without --to), no change spec.
    if (/^0+$/.test(target) && option === 'zdm rollback --to') return { version: target };
    // A spec no change of the plan answers to, digits too (sqitch has no positions, and no abbreviated or
    // upper-case change id): sqitch deploy and revert both say "Unknown change". Digits that are a
    // position of zdm's numbering say which change to name instead.
    const asPosition = /^\d+$/.test(target) ? atPosition(statuses, target) : undefined;
    const hint = asPosition ? ` (sqitch names a change by its name, name@tag, @tag or change id, not by its position: the change at position ${target} in sqitch.plan is "${name(asPosition)}")` : '';
    return { problem: `Unknown change: "${target}"${hint}; nothing was run.` };
  }
  if (!/^\d+$/.test(target)) return { version: named.version };
  // `zdm rollback --to 0` is zdm's "roll back everything"; a change named 0 makes it that change.
  if (/^0+$/.test(target) && option === 'zdm rollback --to' && first)
    return { version: named.version, warning: `${option} ${target}: the change "${name(named)}" (position ${named.version} in sqitch.plan), as sqitch reads a change name, not "roll back everything": to roll back every change, roll back through the first one (zdm rollback --through "${name(first)}").` };
  const asPosition = atPosition(statuses, target);
  if (asPosition && asPosition !== named)
    return { version: named.version, warning: `${option} ${target}: the change "${name(named)}" (position ${named.version} in sqitch.plan), as sqitch reads a change name, not the change at position ${target} ("${name(asPosition)}"): name that one "${name(asPosition)}".` };
  return { version: named.version };
}

// Like [:punct:] without _: sqitch's ChangeList `$punct`. An offset follows no punctuation (`@HEAD^^^` has none).
const SQITCH_OFFSET = /(?<![-!"#$%&'()*+,./:;<=>?@[\\\]^`{|}~])([~^])(?:(\1)|(\d+))?$/;

/**
 * A change spec and its offset, as sqitch's ChangeList `_offset` splits them: `~` counts forwards, `^`
 * backwards, doubled it is 2, with digits that many (`@HEAD^3`); without a suffix the offset is 0.
 */
export function sqitchOffsetOf(spec: string): { key: string; offset: number } {
  const m = SQITCH_OFFSET.exec(spec);
  if (!m) return { key: spec, offset: 0 };
  const n = m[3] !== undefined ? Number(m[3]) : m[2] ? 2 : 1;
  return { key: spec.slice(0, m.index), offset: m[1] === '^' ? -n : n };
}

/** True for a spec sqitch reads with its symbolic tags (`@HEAD`, `ROOT`, `name@HEAD`) or an offset. */
function isSqitchSymbolic(target: string): boolean {
  const { key, offset } = sqitchOffsetOf(target);
  return key !== target || offset !== 0 || /^@?(HEAD|ROOT)$/.test(key) || /^[^@]+@(HEAD|ROOT)$/.test(key);
}

/**
 * A spec with a symbolic tag or an offset (see sqitchVersionOf), or undefined for any other spec (read as
 * before). `base` says what it counts in: the plan (`zdm up`, sqitch deploy) or the deployed changes in
 * the order they were deployed (`zdm rollback`, sqitch revert).
 */
function sqitchSymbolicTarget(target: string, statuses: readonly MigrationStatus[], base: 'plan' | 'deployed'): { version?: string; problem?: string } | undefined {
  if (!isSqitchSymbolic(target)) return undefined;
  const planned = statuses.filter((s) => s.migration && sqitchChangeOf(s.migration));
  const found = base === 'plan' ? sqitchSpecIn(target, planned, planned, statuses) : sqitchSpecIn(target, sqitchDeployed(statuses), planned, statuses);
  if (found) return { version: found.version };
  // sqitch revert, when the registry has no such change, asks the plan: "Change not deployed" when it has it.
  if (base === 'deployed' && sqitchSpecIn(target, planned, planned, statuses)) {
    const count = sqitchDeployed(statuses).length;
    return { problem: `Change not deployed: "${target}" (sqitch revert reads @HEAD as the last deployed change, @ROOT as the first, and counts ~ and ^ among the ${count} deployed change${count === 1 ? '' : 's'}); nothing was rolled back.` };
  }
  return { problem: `Unknown change: "${target}"${base === 'plan' ? ` (sqitch deploy reads @HEAD as the last planned change, @ROOT as the first, and counts ~ and ^ in the plan's ${planned.length} change${planned.length === 1 ? '' : 's'})` : ''}; nothing was run.` };
}

/** sqitch revert's refusal of a planned change its registry does not have, with what zdm looked at. */
function sqitchNotDeployed(target: string, deployed: number): string {
  const among = deployed === 0 ? 'no change is deployed' : `${deployed} change${deployed === 1 ? ' is' : 's are'} deployed`;
  return `Change not deployed: "${target}" (sqitch revert looks a change up among the deployed changes, a name@tag only once its tag is deployed: ${among}); nothing was rolled back.`;
}

/**
 * sqitch's refusal of a bare change name that names several changes (a reworked change), in its words, or
 * undefined. sqitch deploy looks the name up in the plan (ChangeList `index_of`), so it is ambiguous as
 * soon as the plan reworks the change; sqitch revert looks it up in its registry (Engine `change_id_for`),
 * so only when more than one version of it is deployed (one deployed is that one: sqitchVersionOf). An
 * offset is cut first, as sqitch cuts it (`users^` is as ambiguous as `users`). sqitch lists the
 * candidates latest first, each by its tag-qualified name (format_tag_qualified_name: `users@HEAD`).
 */
function sqitchAmbiguity(target: string, statuses: readonly MigrationStatus[], base: 'plan' | 'deployed'): string | undefined {
  const { key } = sqitchOffsetOf(target);
  const instances = sqitchInstancesOf(key, statuses, base);
  if (instances.length < 2) return undefined;
  const names = [...instances].reverse().map((s) => `  * ${tagQualifiedName(sqitchChangeOf(s.migration!)!.change)}`);
  const after = base === 'plan' ? 'Nothing was run.' : `Nothing was rolled back (sqitch revert looks a name up among the deployed changes: ${instances.length} versions of "${key}" are deployed).`;
  return [`Change "${key}" is ambiguous. Please specify a tag-qualified change:`, ...names, after].join('\n');
}

/**
 * The changes a bare change name (no tag, not a change id) names: in the plan, or among the deployed
 * changes in the order they were deployed. More than one for a reworked change.
 */
function sqitchInstancesOf(key: string, statuses: readonly MigrationStatus[], base: 'plan' | 'deployed'): MigrationStatus[] {
  if (key.includes('@') || key === 'HEAD' || key === 'ROOT') return [];
  const changeOf = (s: MigrationStatus) => (s.migration ? sqitchChangeOf(s.migration)?.change : undefined);
  if (statuses.some((s) => changeOf(s)?.id === key)) return [];
  return (base === 'plan' ? statuses : sqitchDeployed(statuses)).filter((s) => changeOf(s)?.name === key);
}

/** The status at zdm's plan position `digits` (what `zdm status` numbers), if any. */
function atPosition(statuses: readonly MigrationStatus[], digits: string): MigrationStatus | undefined {
  return statuses.find((s) => /^\d+$/.test(s.version) && BigInt(s.version) === BigInt(digits));
}

/** The deployed changes in the order sqitch deployed them (its registry's committed_at; plan order for a tie). */
function sqitchDeployed(statuses: readonly MigrationStatus[]): MigrationStatus[] {
  return statuses.filter(isApplied).sort((a, b) => (a.appliedAt?.getTime() ?? 0) - (b.appliedAt?.getTime() ?? 0));
}

/**
 * The change a spec with a symbolic tag or an offset lands on in `list` (the plan, or the deployed
 * changes in deploy order): @HEAD / HEAD its last, @ROOT / ROOT its first, `name@HEAD` the latest change
 * of that name in it, another spec the change it names (in the plan: sqitchChangeNamed; digits are a
 * change name only, never a position: sqitch says `Unknown change: "2^"`) when `list` has it; then the
 * offset counted in `list`.
 */
function sqitchSpecIn(target: string, list: readonly MigrationStatus[], planned: readonly MigrationStatus[], statuses: readonly MigrationStatus[]): MigrationStatus | undefined {
  const { key, offset } = sqitchOffsetOf(target);
  let at: number;
  if (key === '@HEAD' || key === 'HEAD') at = list.length - 1;
  else if (key === '@ROOT' || key === 'ROOT') at = list.length > 0 ? 0 : -1;
  else {
    const [name, tag] = key.split('@', 2);
    const nameOf = (s: MigrationStatus) => (s.migration ? sqitchChangeOf(s.migration)?.change.name : undefined);
    if (tag === 'HEAD' && name) at = list.map(nameOf).lastIndexOf(name);
    // sqitch: nothing comes before the first tag (`name@ROOT` in the registry); in the plan, the change if it is the first.
    else if (tag === 'ROOT' && name) at = list === planned && nameOf(list[0]) === name ? 0 : -1;
    // Among the deployed changes, `@tag` is the change the deployed tag is on and `name@tag` the last
    // change of that name deployed up to it (sqitch's registry: committed_at <= the tag's).
    else if (tag !== undefined && list !== planned) at = sqitchAtTag(list, name, tag);
    else {
      // Among the deployed changes, a reworked change's name is its one deployed version (sqitchAmbiguity refused more).
      const [deployedOnly] = list !== planned ? sqitchInstancesOf(key, statuses, 'deployed') : [];
      // No position: sqitch reads `2^` as the change named 2 (Unknown change when none is).
      const named = deployedOnly ?? sqitchChangeNamed(key, statuses);
      at = named ? list.indexOf(named) : -1;
    }
  }
  if (at < 0) return undefined;
  at += offset;
  return at >= 0 && at < list.length ? list[at] : undefined;
}

/** The planned change a sqitch change spec names (see sqitchVersionOf), if any. */
function sqitchChangeNamed(target: string, statuses: readonly MigrationStatus[]): MigrationStatus | undefined {
  const exact = statuses.find((s) => s.key === target && s.migration);
  if (exact) return exact;
  const byId = statuses.find((s) => s.migration && sqitchChangeOf(s.migration)?.change.id === target);
  if (byId) return byId;
  const [name, tag] = target.split('@', 2);
  const planned = statuses.filter((s) => s.migration && sqitchChangeOf(s.migration));
  // `name@tag`: the last change of that name planned up to the tag (sqitch's ChangeList `index_of`); `@tag`: the change the tag is on.
  if (tag !== undefined && tag !== 'HEAD') {
    const at = sqitchAtTag(planned, name, tag);
    return at >= 0 ? planned[at] : undefined;
  }
  return name ? planned.find((s) => sqitchChangeOf(s.migration!)!.change.name === name) : undefined;
}

/** The index in `list` of `@tag` (the change the tag is on) or `name@tag` (the last change named `name` up to it); -1 for none. */
function sqitchAtTag(list: readonly MigrationStatus[], name: string, tag: string): number {
  const changeOf = (s: MigrationStatus) => (s.migration ? sqitchChangeOf(s.migration)?.change : undefined);
  const tagAt = list.findIndex((s) => changeOf(s)?.tags.some((t) => t.name === `@${tag}`));
  if (tagAt < 0 || !name) return tagAt;
  for (let i = tagAt; i >= 0; i--) if (changeOf(list[i])?.name === name) return i;
  return -1;
}
