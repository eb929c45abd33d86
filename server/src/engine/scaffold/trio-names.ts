// How the three migrations of a trio find each other: their names share a slug and end in
// `_1_expand`, `_2_backfill`, `_3_contract` (after the version, before the extension), in every
// format's own naming: `20240101120000_rename_users_name_to_full_name_3_contract.sql`,
// `..._3_contract.up.sql`, `V7__..._3_contract.sql`, a diesel or Prisma folder, a sqitch change.

import { basenameOf, childPath, dirnameOf } from '../paths';
import type { ProjectHost } from '../host';
import type { MigrationDocument } from '../model';

export const TRIO_STEPS = ['expand', 'backfill', 'contract'] as const;
export type TrioStep = (typeof TRIO_STEPS)[number];

/** The description of one step's migration: `<slug>_<n>_<step>`. */
export function trioDescription(slug: string, step: TrioStep): string {
  return `${slug}_${TRIO_STEPS.indexOf(step) + 1}_${step}`;
}

/** The slug and step of a migration name (without version and extension), when it is a trio step. */
export function parseTrioName(name: string): { slug: string; step: TrioStep } | undefined {
  const m = /^(.+)_([123])_(expand|backfill|contract)$/.exec(name);
  if (!m || TRIO_STEPS[Number(m[2]) - 1] !== m[3]) return undefined;
  return { slug: m[1], step: m[3] as TrioStep };
}

/** The trio step of a migration file, when it is one (up files only: a .down.sql, a U script or a revert is not). */
export function trioStepOf(doc: MigrationDocument): { slug: string; step: TrioStep } | undefined {
  if (doc.role === 'down' || doc.role === 'verify' || doc.role === 'repeatable') return undefined;
  const name = migrationName(doc.format, doc.path, doc.description);
  return name === undefined ? undefined : parseTrioName(name);
}

/** The up file of another step of the same trio, when it exists beside this one. */
export function findTrioSibling(doc: MigrationDocument, slug: string, step: TrioStep, host: ProjectHost): string | undefined {
  const wanted = trioDescription(slug, step);
  const folderFormat = doc.format === 'diesel' || doc.format === 'prisma';
  const dir = folderFormat ? dirnameOf(dirnameOf(doc.path)) : dirnameOf(doc.path);
  for (const entry of host.readDirectory(dir) ?? []) {
    if (folderFormat) {
      if (stripVersion(entry) !== wanted) continue;
      const file = childPath(dir, entry, doc.format === 'diesel' ? 'up.sql' : 'migration.sql');
      if (host.fileExists(file)) return file;
      continue;
    }
    if ((doc.format === 'flyway' && !entry.startsWith('V')) || /\.down\.sql$/i.test(entry)) continue;
    const full = childPath(dir, entry);
    if (migrationName(doc.format, full, undefined) === wanted) return full;
  }
  return undefined;
}

/** A migration's name without its version and extension, as the trio naming uses it. */
function migrationName(format: MigrationDocument['format'], filePath: string, description: string | undefined): string | undefined {
  const base = basenameOf(filePath);
  switch (format) {
    case 'flyway':
      return /^[VU][^_]*(?:_\d[^_]*)*__(.+)\.sql$/.exec(base)?.[1] ?? description;
    case 'sqitch':
      return base.replace(/\.sql$/i, '');
    case 'diesel':
    case 'prisma':
      return stripVersion(basenameOf(dirnameOf(filePath)));
    case 'golang-migrate':
      return /\.up\.sql$/i.test(base) ? stripVersion(base.replace(/(\.[a-z0-9]+)?\.up\.sql$/i, '')) : undefined;
    default:
      return /\.sql$/i.test(base) ? stripVersion(base.replace(/\.sql$/i, '')) : undefined;
  }
}

function stripVersion(name: string): string {
  return name.replace(/^\d[\d-]*_/, '');
}
