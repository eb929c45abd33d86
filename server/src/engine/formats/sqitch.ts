// sqitch: a project with `sqitch.plan`, and per change `deploy/<change>.sql`, `revert/<change>.sql`
// and `verify/<change>.sql`. sqitch runs each script as it is, through psql, so a script's
// transaction is whatever its own BEGIN/COMMIT say, and psql's meta-commands (`\set`, `\i` ...) and
// variables (`:name`, `:'name'`, `:"name"`) are part of the language (sql/psql.ts, sql/placeholders.ts).
// A script's version is its change's position in sqitch.plan (1, 2, 3 ..., as the runner numbers the
// changes), so the folder's history (history.ts) replays the earlier changes in plan order; a script the
// plan does not name, or a plan sqitch would refuse, gives none.

import * as path from 'node:path';
import { basenameOf, childPath, resolvedPath } from '../paths';
import type { ProjectHost } from '../host';
import type { MigrationDocument } from '../model';
import { parseSqitchPlan, sqitchScriptSegments } from '../runner/sqitch-plan';
import { psqlScript } from '../sql/psql';
import { baseDocument, type FormatModule, section } from './common';

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
    if (layout) doc.version = planPosition(layout.top, layout.change, host);
    const kind = role === 'down' ? 'down' : 'up';
    const script = psqlScript(text);
    const joined = script.queryStrings ? { queryStrings: script.queryStrings, queryStringSource: 'psql sends statements joined by `\\;` as one query string' } : {};
    doc.sections.push(section(kind, { start: 0, end: text.length }, 'none', 'sqitch runs the script with psql as written (its own BEGIN/COMMIT decide)', script.source, { placeholders: 'psql', ...joined }));
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

/** Per project folder: the plan's text and each script name's (`users`, `users@v1.0`, `app/users`) position in it. */
const positions = new Map<string, { plan: string; byScript: Map<string, string> }>();

/** The position (1-based, as a string) in sqitch.plan of the change whose scripts are named `script`. */
function planPosition(top: string, script: string, host: ProjectHost): string | undefined {
  const plan = host.readFile(childPath(top, 'sqitch.plan'));
  if (plan === undefined) return undefined;
  let known = positions.get(top);
  if (known?.plan !== plan) {
    const byScript = new Map<string, string>();
    try {
      parseSqitchPlan(plan).changes.forEach((change, i) => {
        const segments = sqitchScriptSegments(change, (p) => host.fileExists(childPath(top, 'deploy', ...p)));
        byScript.set(segments.join('/').replace(/\.sql$/, ''), String(i + 1));
      });
    } catch {
      // A plan sqitch refuses: no positions (the runner reports the plan's error).
    }
    known = { plan, byScript };
    positions.set(top, known);
  }
  return known.byScript.get(script);
}
