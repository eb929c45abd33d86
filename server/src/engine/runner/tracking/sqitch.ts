// sqitch's registry, kept as sqitch 1.3 keeps it on PostgreSQL (registry version 1.1), so that `sqitch
// status`, `deploy` and `revert` see what zdm did and zdm sees what sqitch did:
// - the schema (`sqitch`, or the project's `registry`) with `releases`, `projects`, `changes`, `tags`,
//   `dependencies` and `events`, created when missing with sqitch's columns and constraints, and a
//   `releases` row for version 1.1;
// - per deploy: the `projects` row when missing, a `changes` row (the id sqitch computes from the plan,
//   the SHA-1 of the deploy script), a `dependencies` row per dependency, a `tags` row per tag the
//   change carries, and a `deploy` event;
// - per revert: the change's tags and its `changes` row deleted (its dependencies go with it, ON
//   DELETE CASCADE), and a `revert` event listing the deleted tags and the dependencies;
// - a deploy script that fails, or (--verify) a verify script: a `fail` event (the change is not recorded).
// The change's facts come from the plan (sqitch.ts sqitchChangeOf). Who deploys is sqitch's user
// (SQITCH_FULLNAME, user.name in sqitch.conf ...). Several bookkeeping commands travel in one statement
// (db.ts batchCommands, as sibling WITH clauses on one snapshot): the revert's event reads the tags and
// dependencies before the deletes beside it take them away.

import * as os from 'node:os';
import { quoteIdent, type Session, type SqlCommand } from '../db';
import type { Migration } from '../migrations';
import { sqitchChangeOf, systemUser, type SqitchInfo } from '../sqitch';
import { changeKey } from '../sqitch-plan';
import { TrackingTableError, type Tracker } from './types';

/** The registry version this module writes and reads (sqitch 1.3's). */
export const SQITCH_REGISTRY_VERSION = 1.1;

/** The advisory lock sqitch takes on PostgreSQL while it deploys or reverts (App::Sqitch::Engine::pg). */
const SQITCH_LOCK = 75474063;

export function sqitchTracker(registry = 'sqitch'): Tracker {
  const schema = quoteIdent(registry);
  const t = (name: string) => `${schema}.${name}`;
  const changes = t('changes');
  const info = (m: Migration): SqitchInfo => {
    const found = sqitchChangeOf(m);
    if (!found) throw new TrackingTableError(`${m.name} is not a change of a sqitch plan.`);
    return found;
  };
  const projectRow = (i: SqitchInfo): SqlCommand => ({
    table: t('projects'),
    text: `INSERT INTO ${t('projects')} (project, uri, creator_name, creator_email, created_at) SELECT $1::text, $2::text, $3::text, $4::text, clock_timestamp() WHERE NOT EXISTS (SELECT 1 FROM ${t('projects')} WHERE project = $1::text)`,
    values: [i.plan.project, i.plan.uri ?? null, i.committerName, i.committerEmail],
  });
  const event = (kind: 'deploy' | 'fail', i: SqitchInfo): SqlCommand => ({
    table: t('events'),
    text: `INSERT INTO ${t('events')} (event, change_id, change, project, note, tags, requires, conflicts, committer_name, committer_email, planned_at, planner_name, planner_email, committed_at)
           VALUES ($1, $2, $3, $4, $5, $6::text[], $7::text[], $8::text[], $9, $10, $11::timestamptz, $12, $13, clock_timestamp())`,
    values: [
      kind,
      i.change.id,
      i.change.name,
      i.plan.project,
      i.change.note,
      i.change.tags.map((x) => x.name),
      i.change.dependencies.filter((d) => d.type === 'require').map((d) => d.name),
      i.change.dependencies.filter((d) => d.type === 'conflict').map((d) => d.name),
      i.committerName,
      i.committerEmail,
      i.change.plannedAt,
      i.change.plannerName,
      i.change.plannerEmail,
    ],
  });
  return {
    tool: 'sqitch',
    table: changes,
    async ensure(session) {
      // sqitch's own lock (a session lock, held until zdm's session ends): a sqitch deploy or revert
      // running now makes zdm stop, and one starting while zdm runs waits for it, as two sqitch do.
      const [lock] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [SQITCH_LOCK]);
      if (!lock.locked) throw new TrackingTableError(`Another sqitch (or zdm) is working on this database: it holds sqitch's lock (pg_advisory_lock(${SQITCH_LOCK})). Try again when it has finished.`);
      if (await registryExists(session, registry)) {
        await checkRelease(session, registry);
        return;
      }
      await session.queryText('BEGIN');
      try {
        for (const statement of registryDdl(schema)) await session.queryText(statement);
        await session.query(`INSERT INTO ${t('releases')} (version, installed_at, installer_name, installer_email) VALUES ($1, clock_timestamp(), $2, $3)`, [SQITCH_REGISTRY_VERSION, ...installer()]);
        await session.queryText('COMMIT');
      } catch (error) {
        await session.queryText('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    async read(session, migrations) {
      if (!(await registryExists(session, registry))) return { applied: new Map(), exists: false };
      const plan = migrations.map(sqitchChangeOf).find((i) => i !== undefined)?.plan;
      if (!plan) return { applied: new Map(), exists: true };
      const [project] = await session.query<{ uri: string | null }>(`SELECT uri FROM ${t('projects')} WHERE project = $1`, [plan.project]);
      if (project && (project.uri ?? undefined) !== plan.uri) {
        throw new TrackingTableError(`The sqitch registry ${schema} holds project "${plan.project}" with URI ${project.uri ?? 'NULL'}, but sqitch.plan says ${plan.uri ?? 'none'}: sqitch refuses to deploy it ("Cannot register ..."), and so does zdm.`);
      }
      const rows = await session.query<{ change_id: string; change: string; committed_at: Date }>(`SELECT change_id, change, committed_at FROM ${changes} WHERE project = $1 ORDER BY committed_at`, [plan.project]);
      const planned = new Map(plan.changes.map((c) => [c.id, changeKey(c)]));
      const applied = new Map<string, { appliedAt?: Date }>();
      for (const r of rows) {
        // A deployed change whose id the plan no longer computes (its plan line was edited): sqitch
        // cannot find it in the plan either; zdm lists it as missing.
        applied.set(planned.get(r.change_id) ?? `${r.change} (id ${r.change_id.slice(0, 8)})`, { appliedAt: r.committed_at });
      }
      return { applied, exists: true };
    },
    recordUp(m) {
      const i = info(m);
      const out: SqlCommand[] = [
        projectRow(i),
        {
          table: changes,
          text: `INSERT INTO ${changes} (change_id, script_hash, change, project, note, committer_name, committer_email, planned_at, planner_name, planner_email, committed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9, $10, clock_timestamp())`,
          values: [i.change.id, i.scriptHash, i.change.name, i.plan.project, i.change.note, i.committerName, i.committerEmail, i.change.plannedAt, i.change.plannerName, i.change.plannerEmail],
        },
      ];
      if (i.change.dependencies.length > 0) {
        out.push({
          table: t('dependencies'),
          text: `INSERT INTO ${t('dependencies')} (change_id, type, dependency, dependency_id) SELECT $1::text, d.type, d.dependency, d.dependency_id FROM unnest($2::text[], $3::text[], $4::text[]) AS d(type, dependency, dependency_id)`,
          values: [i.change.id, i.change.dependencies.map((d) => d.type), i.change.dependencies.map((d) => d.name), i.change.dependencies.map((d) => (d.type === 'require' ? i.requireIds.get(d.name) ?? null : null))],
        });
      }
      if (i.change.tags.length > 0) {
        const tags = i.change.tags;
        out.push({
          table: t('tags'),
          text: `INSERT INTO ${t('tags')} (tag_id, tag, project, change_id, note, committer_name, committer_email, planned_at, planner_name, planner_email, committed_at)
                 SELECT x.tag_id, x.tag, $1::text, $2::text, x.note, $3::text, $4::text, x.planned_at::timestamptz, x.planner_name, x.planner_email, clock_timestamp()
                 FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) AS x(tag_id, tag, note, planned_at, planner_name, planner_email)`,
          values: [i.plan.project, i.change.id, i.committerName, i.committerEmail, tags.map((x) => x.id), tags.map((x) => x.name), tags.map((x) => x.note), tags.map((x) => x.plannedAt), tags.map((x) => x.plannerName), tags.map((x) => x.plannerEmail)],
        });
      }
      out.push(event('deploy', i));
      return out;
    },
    recordDown(m) {
      const i = info(m);
      // The event lists the tags and dependencies as the registry holds them, read before they are deleted.
      return [
        {
          table: t('events'),
          text: `INSERT INTO ${t('events')} (event, change_id, change, project, note, tags, requires, conflicts, committer_name, committer_email, planned_at, planner_name, planner_email, committed_at)
                 SELECT 'revert', c.change_id, c.change, c.project, c.note,
                        ARRAY(SELECT tag FROM ${t('tags')} WHERE change_id = c.change_id),
                        ARRAY(SELECT dependency FROM ${t('dependencies')} WHERE change_id = c.change_id AND type = 'require'),
                        ARRAY(SELECT dependency FROM ${t('dependencies')} WHERE change_id = c.change_id AND type = 'conflict'),
                        $2, $3, c.planned_at, c.planner_name, c.planner_email, clock_timestamp()
                 FROM ${changes} c WHERE c.change_id = $1`,
          values: [i.change.id, i.committerName, i.committerEmail],
        },
        { table: t('tags'), text: `DELETE FROM ${t('tags')} WHERE change_id = $1`, values: [i.change.id] },
        { table: changes, text: `DELETE FROM ${changes} WHERE change_id = $1`, values: [i.change.id] },
      ];
    },
    recordFailed(m) {
      const i = info(m);
      return [projectRow(i), event('fail', i)];
    },
  };
}

async function registryExists(session: Session, registry: string): Promise<boolean> {
  const [row] = await session.query<{ exists: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = $2) AS exists', [registry, 'changes']);
  return row.exists;
}

/** sqitch refuses to work on a registry of another version until `sqitch upgrade`; so does zdm. */
async function checkRelease(session: Session, registry: string): Promise<void> {
  const rows = await session.query<{ version: string | null }>(`SELECT max(version)::text AS version FROM ${quoteIdent(registry)}.releases`).catch(() => [{ version: null }]);
  const version = rows[0]?.version;
  if (version === null || version === undefined || Number(version) !== SQITCH_REGISTRY_VERSION) {
    throw new TrackingTableError(`The sqitch registry "${registry}" is at version ${version ?? '(none: no releases table)'}, and zdm keeps version ${SQITCH_REGISTRY_VERSION} (sqitch 1.3): run \`sqitch upgrade\` first.`);
  }
}

/** Who installs the registry (before any change is known): sqitch's user from the environment, else the system user. */
function installer(): [string, string] {
  const user = systemUser();
  return [process.env.SQITCH_FULLNAME || user, process.env.SQITCH_EMAIL || `${user}@${os.hostname()}`];
}

/** The registry's tables as sqitch 1.3 creates them on PostgreSQL (registry version 1.1). */
function registryDdl(schema: string): string[] {
  const t = (name: string) => `${schema}.${name}`;
  const who = (what: string) => `${what}_name TEXT NOT NULL, ${what}_email TEXT NOT NULL`;
  const planned = `planned_at TIMESTAMPTZ NOT NULL, ${who('planner')}`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${schema}`,
    `COMMENT ON SCHEMA ${schema} IS 'Sqitch database deployment metadata v1.1.'`,
    `CREATE TABLE ${t('releases')} (version REAL PRIMARY KEY, installed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), ${who('installer')})`,
    `CREATE TABLE ${t('projects')} (project TEXT PRIMARY KEY, uri TEXT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), ${who('creator')})`,
    `CREATE TABLE ${t('changes')} (change_id TEXT PRIMARY KEY, script_hash TEXT NULL, change TEXT NOT NULL,
       project TEXT NOT NULL REFERENCES ${t('projects')}(project) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '',
       committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), ${who('committer')}, ${planned}, UNIQUE (project, script_hash))`,
    `CREATE TABLE ${t('tags')} (tag_id TEXT PRIMARY KEY, tag TEXT NOT NULL,
       project TEXT NOT NULL REFERENCES ${t('projects')}(project) ON UPDATE CASCADE,
       change_id TEXT NOT NULL REFERENCES ${t('changes')}(change_id) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '',
       committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), ${who('committer')}, ${planned}, UNIQUE (project, tag))`,
    `CREATE TABLE ${t('dependencies')} (change_id TEXT NOT NULL REFERENCES ${t('changes')}(change_id) ON UPDATE CASCADE ON DELETE CASCADE,
       type TEXT NOT NULL, dependency TEXT NOT NULL,
       dependency_id TEXT NULL REFERENCES ${t('changes')}(change_id) ON UPDATE CASCADE
         CONSTRAINT dependencies_check CHECK ((type = 'require' AND dependency_id IS NOT NULL) OR (type = 'conflict' AND dependency_id IS NULL)),
       PRIMARY KEY (change_id, dependency))`,
    `CREATE TABLE ${t('events')} (event TEXT NOT NULL CONSTRAINT events_event_check CHECK (event IN ('deploy', 'revert', 'fail', 'merge')),
       change_id TEXT NOT NULL, change TEXT NOT NULL,
       project TEXT NOT NULL REFERENCES ${t('projects')}(project) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '',
       requires TEXT[] NOT NULL DEFAULT '{}', conflicts TEXT[] NOT NULL DEFAULT '{}', tags TEXT[] NOT NULL DEFAULT '{}',
       committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), ${who('committer')}, ${planned}, PRIMARY KEY (change_id, committed_at))`,
    ...[
      ['releases', 'Sqitch registry releases.'],
      ['projects', 'Sqitch projects deployed to this database.'],
      ['changes', 'Tracks the changes currently deployed to the database.'],
      ['tags', 'Tracks the tags currently applied to the database.'],
      ['dependencies', 'Tracks the currently satisfied dependencies.'],
      ['events', 'Contains full history of all deployment events.'],
    ].map(([table, comment]) => `COMMENT ON TABLE ${t(table)} IS '${comment}'`),
  ].map((s) => s.replace(/\s*\n\s*/g, ' '));
}
