// sqitch: a project with `sqitch.plan`, and per change `deploy/<change>.sql`, `revert/<change>.sql`
// and `verify/<change>.sql`. sqitch runs each script as it is, through psql, so a script's
// transaction is whatever its own BEGIN/COMMIT say, and psql's meta-commands (`\set`, `\i` ...) and
// variables (`:name`, `:'name'`, `:"name"`) are part of the language (sql/psql.ts, sql/placeholders.ts).
// A script's version is its change's position in sqitch.plan (1, 2, 3 ..., as the runner numbers the
// changes), so the folder's history (history.ts) replays the earlier changes in plan order; a script the
// plan does not name, or a plan sqitch would refuse, gives none.
// A variable the script uses with no value (not in the sqitch configuration for its kind of script, not
// `\set` before it) is a `migration-format` warning: the runner refuses it, and psql would send
// `:name` as written. A warning, not an error: `sqitch deploy --set name=value` may give it one, which
// zdm cannot see. The configuration is read as the runner reads it (runner/sqitch-plan.ts), with this
// process's environment (SQITCH_CONFIG ...): the CLI's, or the language server's as the editor started it.

import * as path from 'node:path';
import { basenameOf, childPath, resolvedPath } from '../paths';
import type { ProjectHost } from '../host';
import type { MigrationDocument } from '../model';
import { changeKey, changeRevertTargetName, changeTargetName, parseSqitchPlan, sqitchConfigFiles, sqitchConfigOf, sqitchScriptSegments, sqitchVariables, VARIABLES_WHERE } from '../runner/sqitch-plan';
import { psqlVariableOf, psqlVariables } from '../sql/placeholders';
import { psqlMetaCommands, psqlScript, psqlSetArguments, psqlValueAt, unrunnableMetaCommand, type PsqlAssignment } from '../sql/psql';
import { baseDocument, type FormatModule, problem, section } from './common';

const ROLES = { deploy: 'up', revert: 'down', verify: 'verify' } as const;

/** The sqitch layout of a path: the top folder (holding sqitch.plan) and the change name. */
export function sqitchLayout(filePath: string, host: ProjectHost): { top: string; role: keyof typeof ROLES; change: string } | undefined {
  const parts = resolvedPath(filePath).split(path.sep);
  for (let i = parts.length - 2; i >= 1; i--) {
    const role = parts[i] as keyof typeof ROLES;
    if (!(role in ROLES)) continue;
    const top = parts.slice(0, i).join(path.sep) || path.sep;
    if (host.fileExists(childPath(top, 'sqitch.plan'))) {
      return { top, role, change: parts.slice(i + 1).join('/').replace(/\.sql$/, '') };
    }
  }
  return undefined;
}

export const sqitch: FormatModule = {
  id: 'sqitch',
  name: 'sqitch',
  supportsDown: true,
  matchesPath: (filePath, host) => filePath.endsWith('.sql') && sqitchLayout(filePath, host) !== undefined,
  describe(filePath, text, host): MigrationDocument {
    const layout = sqitchLayout(filePath, host);
    const role = layout ? ROLES[layout.role] : 'up';
    const doc = baseDocument(filePath, text, 'sqitch', true, role);
    doc.description = layout?.change ?? basenameOf(filePath, '.sql');
    if (layout) doc.version = plannedChange(layout.top, layout.change, host)?.version;
    const kind = role === 'down' ? 'down' : 'up';
    const script = psqlScript(text);
    const joined = script.queryStrings ? { queryStrings: script.queryStrings, queryStringSource: 'psql sends statements joined by `\\;` as one query string' } : {};
    doc.sections.push(section(kind, { start: 0, end: text.length }, 'none', 'sqitch runs the script with psql as written (its own BEGIN/COMMIT decide)', script.source, { placeholders: 'psql', ...joined }));
    if (layout) unsetVariables(doc, text, script.source, layout.top, layout.role, host);
    unrunnableMetaCommands(doc, text);
    if (layout && layout.role !== 'verify') {
      doc.companionPath = childPath(layout.top, layout.role === 'deploy' ? 'revert' : 'deploy', ...layout.change.split('/')) + '.sql';
      doc.companionExists = host.fileExists(doc.companionPath);
    }
    return doc;
  },
};

/** The text of the sqitch.plan a script belongs to (its version depends on it, not only on its own text). */
export function sqitchPlanText(filePath: string, host: ProjectHost): string | undefined {
  const layout = sqitchLayout(filePath, host);
  return layout ? host.readFile(childPath(layout.top, 'sqitch.plan')) : undefined;
}

interface PlannedChange {
  /** Its position in sqitch.plan, 1-based. */
  version: string;
  /** Its name as the runner names it (changeKey): `users`, `users@v1.0` for the earlier version of a reworked change. */
  key: string;
  /** What --to / --through name it by (changeTargetName): `users@HEAD` for the rework, whose bare name sqitch finds ambiguous. */
  target: string;
  /**
   * What a rollback names it by (changeRevertTargetName): its name, or the change id of a version of a
   * reworked change, since a rollback looks `users@HEAD` up among the deployed changes (another version).
   */
  revertTarget: string;
}

/** Per project folder: the plan's text, and by script name (`users`, `users@v1.0`, `app/users`) its change's position in it and names. */
const positions = new Map<string, { plan: string; byScript: Map<string, PlannedChange> }>();

/** The change of sqitch.plan whose scripts are named `script`. */
function plannedChange(top: string, script: string, host: ProjectHost): PlannedChange | undefined {
  const plan = host.readFile(childPath(top, 'sqitch.plan'));
  if (plan === undefined) return undefined;
  let known = positions.get(top);
  if (known?.plan !== plan) {
    const byScript = new Map<string, PlannedChange>();
    try {
      const { changes } = parseSqitchPlan(plan);
      changes.forEach((change, i) => {
        const segments = sqitchScriptSegments(change, (p) => host.fileExists(childPath(top, 'deploy', ...p)));
        byScript.set(segments.join('/').replace(/\.sql$/, ''), { version: String(i + 1), key: changeKey(change), target: changeTargetName(change, changes), revertTarget: changeRevertTargetName(change, changes) });
      });
    } catch {
      // A plan sqitch refuses: no positions (the runner reports the plan's error).
    }
    known = { plan, byScript };
    positions.set(top, known);
  }
  return known.byScript.get(script);
}

/** The planned change a deploy, revert or verify script belongs to: its position, its names, and the script's role. */
export function sqitchChangeOfScript(filePath: string, host: ProjectHost): (PlannedChange & { role: keyof typeof ROLES }) | undefined {
  const layout = sqitchLayout(filePath, host);
  const change = layout && plannedChange(layout.top, layout.change, host);
  return change && layout ? { ...change, role: layout.role } : undefined;
}

/** Per project folder: the configuration files read (paths and texts) and the variables each kind of script gets from them. */
const configs = new Map<string, { files: string[]; texts: (string | undefined)[]; variables: Record<keyof typeof ROLES, ReadonlyMap<string, string>> }>();

/** The psql variables sqitch sets for a script of `role` in the project at `top`: read again only when a configuration file changed. */
function variablesFor(top: string, role: keyof typeof ROLES, host: ProjectHost): ReadonlyMap<string, string> {
  const files = sqitchConfigFiles(top, process.env);
  const texts = files.map((file) => host.readFile(file));
  let known = configs.get(top);
  if (!known || known.files.some((f, i) => f !== files[i]) || known.texts.some((t, i) => t !== texts[i])) {
    const config = sqitchConfigOf(texts);
    // A verify script: `sqitch verify`'s variables, the deploy's and [verify.variables] (`sqitch deploy --verify` passes the deploy's only).
    known = { files, texts, variables: { deploy: sqitchVariables(config, 'deploy'), revert: sqitchVariables(config, 'revert'), verify: sqitchVariables(config, 'verify') } };
    configs.set(top, known);
  }
  return known.variables[role];
}

const INCLUDES = new Set(['i', 'include', 'ir', 'include_relative']);
/** The rest of an `\if` block: its `\if` has the warning. */
const BRANCHES = new Set(['elif', 'else', 'endif']);

/**
 * A warning at each meta-command zdm's runner refuses (runner/sqitch.ts): `\i`, `\if`, `\connect`,
 * a `\set AUTOCOMMIT off` ... sqitch runs them, so it is a warning, said while typing rather than when
 * the run is refused. The linter reads the script as written: not the file `\i` includes, and every
 * branch of an `\if`.
 */
function unrunnableMetaCommands(doc: MigrationDocument, text: string): void {
  for (const command of psqlMetaCommands(text)) {
    const reason = BRANCHES.has(command.name) ? undefined : unrunnableMetaCommand(command);
    if (!reason) continue;
    const linted = INCLUDES.has(command.name) ? ' zdm does not lint the file it includes.' : command.name === 'if' ? ' zdm lints every branch as if it ran.' : '';
    const p = problem('migration-format', `${reason}; so zdm's runner refuses the script.${linted}`, { start: command.start, end: command.start + 1 + command.name.length }, 'Deploy this change with sqitch, or write the script without it.');
    doc.problems.push({ ...p, severity: 'warning' });
  }
}

/** A warning at each psql variable of the script that has no value where it stands (see the top of this file). */
function unsetVariables(doc: MigrationDocument, text: string, source: string, top: string, role: keyof typeof ROLES, host: ProjectHost): void {
  // `:{?name}` is TRUE or FALSE, always defined.
  const uses = psqlVariables(source)
    .map(([start, end, mask]) => ({ start, end, ...psqlVariableOf(mask) }))
    .filter((v) => v.form !== 'defined');
  if (uses.length === 0) return;
  const variables = variablesFor(top, role, host);
  const assignments: PsqlAssignment[] = [];
  for (const { start, name, args } of psqlMetaCommands(text)) {
    if (name !== 'set' && name !== 'unset') continue;
    // A `\set` zdm cannot read still gives its name a value (the runner reports the `\set` itself).
    const parsed = psqlSetArguments(args);
    const variable = parsed?.name ?? /^[A-Za-z0-9_\u0080-\uffff]+/.exec(args)?.[0];
    if (variable !== undefined) assignments.push({ offset: start, name: variable, value: name === 'set' ? (parsed?.value ?? '') : undefined });
  }
  for (const use of uses) {
    if (psqlValueAt(variables, assignments, use.name, use.start) !== undefined) continue;
    const p = problem(
      'migration-format',
      `The psql variable :${use.name} has no value (set it under ${VARIABLES_WHERE[role]} in sqitch.conf, or with \\set before it); psql would send it as written, and zdm's runner refuses the script.`,
      { start: use.start, end: use.end },
      `If you pass it to sqitch with --set ${use.name}=..., which zdm cannot see, set it in sqitch.conf as well, or put -- zdm-ignore migration-format above the statement.`,
    );
    doc.problems.push({ ...p, severity: 'warning' });
  }
}
